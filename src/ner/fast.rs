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
use super::tokenize::{tokenize_into, Tokens};

/// Per-word sums, one vector of `T` scores per group, kept in the word
/// cache from one document to the next: they depend on the word alone.
const OWN: usize = 0; // the word's own features
const AS_M2: usize = 1; // features the word feeds to the token two after it
const AS_M1: usize = 2;
const AS_P1: usize = 3;
const AS_P2: usize = 4;
const GROUPS: usize = 5;

/// The sums of the sentence edges: the positions before a sentence as
/// the first token's neighbours (M1: the first before it, M2 of the first
/// token: the second before it), of the second token (M2: the first
/// before); likewise after.
const B1_AS_M1: usize = 0;
const B2_AS_M2: usize = 1;
const B1_AS_M2: usize = 2;
const A1_AS_P1: usize = 3;
const A2_AS_P2: usize = 4;
const A1_AS_P2: usize = 5;
const EDGES: usize = 6;

/// Words cached (with their sums) at most, checked between documents.
const MAX_CACHED_WORDS: usize = 1 << 14;

/// Reusable buffers (kept between documents by the caller), and the words
/// met so far with their sums under one model.
#[derive(Default)]
pub struct Scratch {
    /// Per cached word (`DocContext::cache`): `GROUPS` sums of `L` lanes.
    cached: Vec<i16>,
    /// Sums of the sentence edges, `EDGES` of `L` lanes.
    edges: Vec<i16>,
    /// The model the sums are of (its address).
    model: usize,
    /// The document's context, with the word cache.
    ctx: DocContext,
    tokens: Tokens,
    /// Per word of the document: the sums of its position features in
    /// mid-sentence (they read the document's `doc_bits`).
    pos0: Vec<i16>,
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

#[inline(always)]
fn lanes<const L: usize>(v: &mut [i16], i: usize) -> &mut [i16; L] {
    (&mut v[i * L..(i + 1) * L]).try_into().expect("L lanes")
}

/// `T` tags, summed in `L` >= `T` lanes of 16 bits (see `Table::add_row`).
fn entities_t<const T: usize, const L: usize>(m: &Model, tr: &Transitions, text: &str, s: &mut Scratch) -> Vec<(usize, usize, usize)> {
    let scheme: Scheme = m.info.scheme;
    let table = m.table();
    let model = m as *const Model as usize;
    if s.model != model || s.ctx.cache.len() > MAX_CACHED_WORDS {
        s.ctx.cache.clear();
        s.cached.clear();
    }
    if s.model != model || s.edges.len() != EDGES * L {
        s.model = model;
        s.edges.clear();
        s.edges.resize(EDGES * L, 0);
        let (b1, b2, a1, a2) = (Neighbour::before(1), Neighbour::before(2), Neighbour::after(1), Neighbour::after(2));
        for (slot, rel, nb) in [
            (B1_AS_M1, Rel::M1, &b1),
            (B2_AS_M2, Rel::M2, &b2),
            (B1_AS_M2, Rel::M2, &b1),
            (A1_AS_P1, Rel::P1, &a1),
            (A2_AS_P2, Rel::P2, &a2),
            (A1_AS_P2, Rel::P2, &a1),
        ] {
            let v = lanes::<L>(&mut s.edges, slot);
            neighbour_features(rel, nb, |h| table.add_row::<T, L>(h, v));
        }
    }
    tokenize_into(text, &mut s.tokens);
    let tokens = &s.tokens;
    s.ctx.fill(text, tokens);
    let ctx = &s.ctx;
    let cache = &ctx.cache;

    // Sums of the words met for the first time.
    let done = s.cached.len() / (GROUPS * L);
    s.cached.resize(cache.len() * GROUPS * L, 0);
    for id in done..cache.len() {
        let t = cache.info(id);
        let nb = Neighbour::of(t);
        let v = &mut s.cached[id * GROUPS * L..(id + 1) * GROUPS * L];
        word_features(t, cache.ngrams(id), |h| table.add_row::<T, L>(h, lanes::<L>(v, OWN)));
        neighbour_features(Rel::M2, &nb, |h| table.add_row::<T, L>(h, lanes::<L>(v, AS_M2)));
        neighbour_features(Rel::M1, &nb, |h| table.add_row::<T, L>(h, lanes::<L>(v, AS_M1)));
        neighbour_features(Rel::P1, &nb, |h| table.add_row::<T, L>(h, lanes::<L>(v, AS_P1)));
        neighbour_features(Rel::P2, &nb, |h| table.add_row::<T, L>(h, lanes::<L>(v, AS_P2)));
    }
    // Position features in mid-sentence, per word of this document.
    let nw = ctx.n_words();
    s.pos0.clear();
    s.pos0.resize(nw * L, 0);
    for w in 0..nw {
        let v = lanes::<L>(&mut s.pos0, w);
        position_features(ctx.word(w), 0, ctx.doc_bits[w], |h| table.add_row::<T, L>(h, v));
    }
    let cached = &s.cached;
    let g = |w: usize, gi: usize| {
        let at = (ctx.word_id[w] as usize * GROUPS + gi) * L;
        &cached[at..at + L]
    };
    let edges = &s.edges;
    let edge = |e: usize| &edges[e * L..(e + 1) * L];
    let (b1, a1) = (Neighbour::before(1), Neighbour::after(1));

    let mut out = Vec::new();
    s.history.clear();
    for range in &tokens.sentences {
        let n = range.len();
        gazetteer::find(&m.gazetteer, &ctx, range.clone(), &mut s.matches);
        quoted_marks(&ctx, range.clone(), &mut s.quoted);
        s.history.lookup(&ctx, range.clone(), &mut s.known);
        // Filled token by token below (no zeroing first).
        s.emit.clear();
        s.emit.reserve(n * T);
        let word = |i: usize| ctx.word_of[range.start + i] as usize;
        for i in 0..n {
            let k = range.start + i;
            let w = word(i);
            let t = ctx.word(w);
            let pos = ctx.pos[k];
            let mut acc = [0i16; L];
            add_vec(&mut acc, g(w, OWN));
            if pos == 0 {
                add_vec(&mut acc, &s.pos0[w * L..(w + 1) * L]);
            } else {
                position_features(t, pos, ctx.doc_bits[w], |h| table.add_row::<T, L>(h, &mut acc));
            }
            let prev = if i >= 1 { Neighbour::of(ctx.word(word(i - 1))) } else { b1 };
            let next = if i + 1 < n { Neighbour::of(ctx.word(word(i + 1))) } else { a1 };
            add_vec(&mut acc, if i >= 1 { g(word(i - 1), AS_M1) } else { edge(B1_AS_M1) });
            add_vec(&mut acc, match i {
                0 => edge(B2_AS_M2),
                1 => edge(B1_AS_M2),
                _ => g(word(i - 2), AS_M2),
            });
            add_vec(&mut acc, if i + 1 < n { g(word(i + 1), AS_P1) } else { edge(A1_AS_P1) });
            add_vec(&mut acc, if i + 2 < n {
                g(word(i + 2), AS_P2)
            } else if i + 2 == n {
                edge(A1_AS_P2)
            } else {
                edge(A2_AS_P2)
            });
            pair_features_left(&prev, t, |h| table.add_row::<T, L>(h, &mut acc));
            pair_features_right(t, &next, |h| table.add_row::<T, L>(h, &mut acc));
            let gaz: &[(u8, u8)] = &s.matches[i];
            if s.quoted[i] != 0 || !gaz.is_empty() {
                span_features(t, pos, s.quoted[i], gaz, |h| table.add_row::<T, L>(h, &mut acc));
            }
            s.history.features(&ctx, range.clone(), i, &s.known, |h| table.add_row::<T, L>(h, &mut acc));
            s.emit.extend(acc[..T].iter().map(|&a| a as f32));
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
