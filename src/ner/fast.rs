//! Tagging with a shipped model, fast: the same scores as the general path
//! (`tagger::tag_prepared` over the feature lists of `sentence_features`),
//! summed in another order. Integer weights make the order irrelevant, and
//! a test checks that both paths tag alike.
//!
//! Most features of a token read one word only: its own (word, affixes,
//! shape...) or one neighbour's (the word before, the shape two after...).
//! Their weight rows are summed once per distinct word of the document
//! (`Groups`), so a token costs a handful of vector additions plus the
//! features that combine two words, its position, the name list and the
//! history: about ten table rows instead of forty.

use super::features::{
    neighbour_features, pair_features_left, pair_features_right, position_features, quoted_marks, span_features,
    word_features, DocContext, History, Neighbour, Rel,
};
use super::gazetteer;
use super::model::Model;
use super::tagger::{viterbi_with, Scheme, Transitions};
use super::tokenize::tokenize;

/// Per-word sums, one vector of `T` scores per group.
const OWN: usize = 0; // the word's own features
const POS0: usize = 1; // position features when the token is mid-sentence (pos 0)
const AS_M2: usize = 2; // features the word feeds to the token two after it
const AS_M1: usize = 3;
const AS_P1: usize = 4;
const AS_P2: usize = 5;
const GROUPS: usize = 6;

/// Reusable buffers (kept between documents by the caller).
#[derive(Default)]
pub struct Scratch {
    groups: Vec<i16>,
    emit: Vec<f32>,
    quoted: Vec<u8>,
    known: Vec<u64>,
    matches: Vec<Vec<(u8, u8)>>,
    types: Vec<u8>,
    history: History,
}

/// Entities of a text as `(start byte, end byte, type index)`.
pub fn entities(m: &Model, tr: &Transitions, text: &str, scratch: &mut Scratch) -> Vec<(usize, usize, usize)> {
    match m.n_tags() {
        9 => entities_t::<9, 16>(m, tr, text, scratch),
        17 => entities_t::<17, 32>(m, tr, text, scratch),
        _ => {
            let p = super::tagger::prepare(text, &m.gazetteer);
            super::train::predict(&mut &*m, m.info.scheme, &p)
        }
    }
}

#[inline(always)]
fn add_vec<const L: usize>(acc: &mut [i16; L], v: &[i16]) {
    let v: &[i16; L] = v.try_into().expect("L lanes");
    for k in 0..L {
        acc[k] = acc[k].wrapping_add(v[k]);
    }
}

/// `T` tags, summed in `L` >= `T` lanes of 16 bits (see `Table::add_row`).
fn entities_t<const T: usize, const L: usize>(m: &Model, tr: &Transitions, text: &str, s: &mut Scratch) -> Vec<(usize, usize, usize)> {
    let scheme: Scheme = m.info.scheme;
    let tokens = tokenize(text);
    let ctx = DocContext::new(text, &tokens);
    let table = m.table();
    let nw = ctx.words.len();

    // Group sums of every distinct word, and of the sentence edges.
    let groups = &mut s.groups;
    groups.clear();
    groups.resize((nw + 2) * GROUPS * L, 0);
    let at = |w: usize, g: usize| (w * GROUPS + g) * L;
    for w in 0..nw {
        let t = &ctx.words[w];
        let nb = Neighbour::of(t);
        let (own, rest) = groups[at(w, 0)..at(w + 1, 0)].split_at_mut(L);
        let own: &mut [i16; L] = own.try_into().unwrap();
        word_features(t, ctx.ngrams(w), |h| table.add_row::<T, L>(h, own));
        let mut group = |g: usize, f: &mut dyn FnMut(&mut dyn FnMut(u64))| {
            let v: &mut [i16; L] = (&mut rest[(g - 1) * L..g * L]).try_into().unwrap();
            f(&mut |h| table.add_row::<T, L>(h, v));
        };
        group(POS0, &mut |e| position_features(t, 0, ctx.doc_bits[w], e));
        group(AS_M2, &mut |e| neighbour_features(Rel::M2, &nb, e));
        group(AS_M1, &mut |e| neighbour_features(Rel::M1, &nb, e));
        group(AS_P1, &mut |e| neighbour_features(Rel::P1, &nb, e));
        group(AS_P2, &mut |e| neighbour_features(Rel::P2, &nb, e));
    }
    // Two pseudo-words for the edges: `nw` holds the positions before a
    // sentence (AS_M1 and AS_M2 of the first one, AS_P2 slot: AS_M2 of the
    // second), `nw + 1` those after it likewise.
    let (b1, b2, a1, a2) = (Neighbour::before(1), Neighbour::before(2), Neighbour::after(1), Neighbour::after(2));
    {
        let mut fill = |w: usize, g: usize, rel: Rel, nb: &Neighbour| {
            let v: &mut [i16; L] = (&mut groups[at(w, g)..at(w, g) + L]).try_into().unwrap();
            neighbour_features(rel, nb, |h| table.add_row::<T, L>(h, v));
        };
        fill(nw, AS_M1, Rel::M1, &b1);
        fill(nw, AS_M2, Rel::M2, &b1);
        fill(nw, OWN, Rel::M2, &b2);
        fill(nw + 1, AS_P1, Rel::P1, &a1);
        fill(nw + 1, AS_P2, Rel::P2, &a1);
        fill(nw + 1, OWN, Rel::P2, &a2);
    }
    let groups = &s.groups;
    let g = |w: usize, gi: usize| &groups[at(w, gi)..at(w, gi) + L];

    let mut out = Vec::new();
    s.history.clear();
    for range in &tokens.sentences {
        let n = range.len();
        gazetteer::find(&m.gazetteer, &ctx, range.clone(), &mut s.matches);
        quoted_marks(&ctx, range.clone(), &mut s.quoted);
        s.history.lookup(&ctx, range.clone(), &mut s.known);
        s.emit.clear();
        s.emit.resize(n * T, 0.0);
        let word = |i: usize| ctx.word_of[range.start + i] as usize;
        for i in 0..n {
            let k = range.start + i;
            let w = word(i);
            let t = &ctx.words[w];
            let pos = ctx.pos[k];
            let mut acc = [0i16; L];
            add_vec(&mut acc, g(w, OWN));
            if pos == 0 {
                add_vec(&mut acc, g(w, POS0));
            } else {
                position_features(t, pos, ctx.doc_bits[w], |h| table.add_row::<T, L>(h, &mut acc));
            }
            let prev = if i >= 1 { Neighbour::of(&ctx.words[word(i - 1)]) } else { b1 };
            let next = if i + 1 < n { Neighbour::of(&ctx.words[word(i + 1)]) } else { a1 };
            add_vec(&mut acc, if i >= 1 { g(word(i - 1), AS_M1) } else { g(nw, AS_M1) });
            add_vec(&mut acc, match i {
                0 => g(nw, OWN),
                1 => g(nw, AS_M2),
                _ => g(word(i - 2), AS_M2),
            });
            add_vec(&mut acc, if i + 1 < n { g(word(i + 1), AS_P1) } else { g(nw + 1, AS_P1) });
            add_vec(&mut acc, if i + 2 < n {
                g(word(i + 2), AS_P2)
            } else if i + 2 == n {
                g(nw + 1, AS_P2)
            } else {
                g(nw + 1, OWN)
            });
            pair_features_left(&prev, t, |h| table.add_row::<T, L>(h, &mut acc));
            pair_features_right(t, &next, |h| table.add_row::<T, L>(h, &mut acc));
            let gaz: &[(u8, u8)] = &s.matches[i];
            if s.quoted[i] != 0 || !gaz.is_empty() {
                span_features(t, pos, s.quoted[i], gaz, |h| table.add_row::<T, L>(h, &mut acc));
            }
            s.history.features(&ctx, range.clone(), i, &s.known, |h| table.add_row::<T, L>(h, &mut acc));
            for (e, &a) in s.emit[i * T..(i + 1) * T].iter_mut().zip(&acc) {
                *e = a as f32;
            }
        }
        let tags = viterbi_with(tr, &s.emit, n);
        for (a, e, ty) in scheme.decode(&tags) {
            out.push((tokens.tokens[range.start + a].start, tokens.tokens[range.start + e - 1].end, ty));
        }
        s.types.clear();
        s.types.extend(tags.iter().map(|&tag| scheme.split(tag).map_or(0, |(ty, _)| ty as u8 + 1)));
        s.history.record(&ctx, range.clone(), &s.types);
    }
    out
}
