//! Sequence labelling: tag schemes, Viterbi decoding, and tagging a whole
//! document sentence by sentence with the document's history, the same code
//! for training (float weights being learnt) and for the shipped model
//! (quantised weights).

use std::ops::Range;

use super::features::{sentence_features, DocContext, History};
use super::gazetteer::GazLookup;
use super::tokenize::{tokenize, Tokens};

/// How entity chunks are spelled as per-token tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// O, B-X, I-X.
    Bio,
    /// O, B-X, I-X, L-X (last), U-X (unit).
    Bilou,
}

impl Scheme {
    pub fn code(self) -> u8 {
        match self {
            Scheme::Bio => 0,
            Scheme::Bilou => 1,
        }
    }

    pub fn from_code(c: u8) -> Option<Scheme> {
        match c {
            0 => Some(Scheme::Bio),
            1 => Some(Scheme::Bilou),
            _ => None,
        }
    }

    fn width(self) -> usize {
        match self {
            Scheme::Bio => 2,
            Scheme::Bilou => 4,
        }
    }

    pub fn n_tags(self, n_types: usize) -> usize {
        1 + self.width() * n_types
    }

    /// The type index of a tag (None for O) and its role: 0 B, 1 I, 2 L, 3 U.
    pub fn split(self, tag: usize) -> Option<(usize, usize)> {
        (tag > 0).then(|| ((tag - 1) / self.width(), (tag - 1) % self.width()))
    }

    fn tag(self, ty: usize, role: usize) -> usize {
        1 + ty * self.width() + role
    }

    /// Whether `cur` may follow `prev` (`None`: sentence start).
    pub fn allowed(self, prev: Option<usize>, cur: usize) -> bool {
        let p = prev.and_then(|p| self.split(p));
        let c = self.split(cur);
        match self {
            Scheme::Bio => match c {
                Some((ct, 1)) => matches!(p, Some((pt, _)) if pt == ct),
                _ => true,
            },
            Scheme::Bilou => {
                let open = matches!(p, Some((_, 0)) | Some((_, 1)));
                match c {
                    Some((ct, 1)) | Some((ct, 2)) => matches!(p, Some((pt, 0)) | Some((pt, 1)) if pt == ct),
                    _ => !open,
                }
            }
        }
    }

    /// Whether a sentence may end after `tag`.
    pub fn may_end(self, tag: usize) -> bool {
        match self {
            Scheme::Bio => true,
            Scheme::Bilou => !matches!(self.split(tag), Some((_, 0)) | Some((_, 1))),
        }
    }

    /// Tags for `n` tokens with chunks `(start, end, type)` (token indices).
    pub fn encode(self, n: usize, chunks: &[(usize, usize, usize)]) -> Vec<usize> {
        let mut tags = vec![0; n];
        for &(s, e, ty) in chunks {
            for (k, tag) in tags[s..e].iter_mut().enumerate() {
                let role = match self {
                    Scheme::Bio => (k > 0) as usize,
                    Scheme::Bilou if e - s == 1 => 3,
                    Scheme::Bilou if k == 0 => 0,
                    Scheme::Bilou if s + k + 1 == e => 2,
                    Scheme::Bilou => 1,
                };
                *tag = self.tag(ty, role);
            }
        }
        tags
    }

    /// Chunks `(start, end, type)` from tags (lenient: an I or L without a
    /// B starts a chunk, a change of type ends one).
    pub fn decode(self, tags: &[usize]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut open: Option<(usize, usize)> = None; // (start, type)
        for (i, &t) in tags.iter().enumerate() {
            match self.split(t) {
                None => {
                    if let Some((s, ty)) = open.take() {
                        out.push((s, i, ty));
                    }
                }
                Some((ty, role)) => {
                    let continues = matches!(role, 1 | 2) && matches!(open, Some((_, oty)) if oty == ty);
                    if !continues {
                        if let Some((s, oty)) = open.take() {
                            out.push((s, i, oty));
                        }
                        open = Some((i, ty));
                    }
                    if self == Scheme::Bilou && matches!(role, 2 | 3) {
                        let (s, ty) = open.take().unwrap_or((i, ty));
                        out.push((s, i + 1, ty));
                    }
                }
            }
        }
        if let Some((s, ty)) = open {
            out.push((s, tags.len(), ty));
        }
        out
    }
}

/// Scores of features: the float weights being trained or the quantised
/// weights of a shipped model.
pub trait Weights {
    /// True when the weights do not change while a document is tagged
    /// (a shipped model, or averaged weights being evaluated): transition
    /// scores are then computed once and features are not kept.
    const FROZEN: bool = false;
    fn n_tags(&self) -> usize;
    /// Adds the weights of feature hash `h` for every tag to `acc`.
    fn add(&self, h: u64, acc: &mut [f32]);
    /// Adds the weights of all of `hs`.
    fn add_all<'a>(&self, hs: impl Iterator<Item = &'a u64>, acc: &mut [f32]) {
        for &h in hs {
            self.add(h, acc);
        }
    }
    /// The score of tag `cur` after `prev` (`None`: sentence start).
    fn transition(&self, prev: Option<usize>, cur: usize) -> f32;
}

/// Transition scores under a scheme's constraints, laid out for Viterbi:
/// forbidden moves at minus infinity.
pub struct Transitions {
    t: usize,
    /// `into[cur * t + prev]`: the score of moving from `prev` to `cur`.
    into: Vec<f32>,
    /// The same, `from[prev * t + cur]`.
    from: Vec<f32>,
    /// The score of starting a sentence with each tag.
    start: Vec<f32>,
    /// Whether a sentence may end with each tag.
    end_ok: Vec<bool>,
}

pub fn transitions<W: Weights>(w: &W, scheme: Scheme) -> Transitions {
    let t = w.n_tags();
    let score = |p: Option<usize>, cur: usize| if scheme.allowed(p, cur) { w.transition(p, cur) } else { f32::NEG_INFINITY };
    let mut into = vec![0f32; t * t];
    for cur in 0..t {
        for prev in 0..t {
            into[cur * t + prev] = score(Some(prev), cur);
        }
    }
    let from = (0..t * t).map(|k| into[(k % t) * t + k / t]).collect();
    let start = (0..t).map(|cur| score(None, cur)).collect();
    let end_ok = (0..t).map(|tag| scheme.may_end(tag)).collect();
    Transitions { t, into, from, start, end_ok }
}

/// Best tag sequence under `scheme`'s constraints; `emit` is `n * t` scores.
pub fn viterbi<W: Weights>(w: &W, scheme: Scheme, emit: &[f32], n: usize) -> Vec<usize> {
    viterbi_with(&transitions(w, scheme), emit, n)
}

/// `viterbi` with the transition scores given.
pub fn viterbi_with(tr: &Transitions, emit: &[f32], n: usize) -> Vec<usize> {
    match tr.t {
        // The usual label sets get loops of a width known at compile time,
        // padded to whole 128-bit vectors (`P` lanes, the extra ones -inf).
        9 => viterbi_fixed::<9, 12>(tr, emit, n),
        17 => viterbi_fixed::<17, 20>(tr, emit, n),
        _ => viterbi_any(tr, emit, n),
    }
}

fn viterbi_fixed<const T: usize, const P: usize>(tr: &Transitions, emit: &[f32], n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    // Forward: the best score of each tag at each position, all current
    // tags at once, one previous tag at a time (vectorises; `a > b ? a : b`
    // is the machine's max). The arguments of the maxima are found again
    // only along the path taken, on the way back.
    let mut from = [[f32::NEG_INFINITY; P]; T];
    for (prev, row) in from.iter_mut().enumerate() {
        row[..T].copy_from_slice(&tr.from[prev * T..(prev + 1) * T]);
    }
    let mut scores = vec![[f32::NEG_INFINITY; P]; n];
    for cur in 0..T {
        scores[0][cur] = tr.start[cur] + emit[cur];
    }
    for i in 1..n {
        let score = scores[i - 1];
        let mut best = [f32::NEG_INFINITY; P];
        for (row, &sp) in from.iter().zip(&score) {
            for (b, &r) in best.iter_mut().zip(row) {
                let s = sp + r;
                *b = if s > *b { s } else { *b };
            }
        }
        for (b, &e) in best.iter_mut().zip(&emit[i * T..(i + 1) * T]) {
            *b += e;
        }
        scores[i] = best;
    }
    let into: &[f32] = &tr.into;
    let mut tags = vec![0; n];
    tags[n - 1] = best_end(&scores[n - 1][..T], &tr.end_ok);
    for i in (1..n).rev() {
        // The first previous tag with the best score, as a forward scan
        // with a strict comparison would keep.
        let col: &[f32; T] = into[tags[i] * T..(tags[i] + 1) * T].try_into().expect("T * T transitions");
        let score = &scores[i - 1];
        let (mut best, mut arg) = (score[0] + col[0], 0);
        for prev in 1..T {
            let s = score[prev] + col[prev];
            if s > best {
                best = s;
                arg = prev;
            }
        }
        tags[i - 1] = arg;
    }
    tags
}

/// The best final tag among those a sentence may end with.
fn best_end(score: &[f32], end_ok: &[bool]) -> usize {
    let mut last = 0;
    let mut best = f32::NEG_INFINITY;
    for (cur, (&sc, &ok)) in score.iter().zip(end_ok).enumerate() {
        if ok && sc > best {
            best = sc;
            last = cur;
        }
    }
    last
}

fn viterbi_any(tr: &Transitions, emit: &[f32], n: usize) -> Vec<usize> {
    let t = tr.t;
    if n == 0 {
        return Vec::new();
    }
    let mut score: Vec<f32> = tr.start.iter().zip(emit).map(|(a, b)| a + b).collect();
    let mut back = vec![0u8; n * t];
    let mut next = vec![0f32; t];
    for i in 1..n {
        for cur in 0..t {
            let (mut best, mut arg) = (f32::NEG_INFINITY, 0usize);
            let col = &tr.into[cur * t..(cur + 1) * t];
            for (prev, (&sc, &tr)) in score.iter().zip(col).enumerate() {
                let s = sc + tr;
                if s > best {
                    best = s;
                    arg = prev;
                }
            }
            next[cur] = best + emit[i * t + cur];
            back[i * t + cur] = arg as u8;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut tags = vec![0; n];
    tags[n - 1] = best_end(&score, &tr.end_ok);
    for i in (1..n).rev() {
        tags[i - 1] = back[i * t + tags[i]] as usize;
    }
    tags
}

/// A document prepared for tagging.
pub struct Prepared {
    pub tokens: Tokens,
    pub ctx: DocContext,
    /// Static features of all tokens, token `i`'s at `offs[i]..offs[i + 1]`.
    pub feats: Vec<u64>,
    pub offs: Vec<u32>,
}

pub fn prepare(text: &str, gaz: &dyn GazLookup) -> Prepared {
    let tokens = tokenize(text);
    let ctx = DocContext::new(text, &tokens);
    let mut feats = Vec::with_capacity(tokens.tokens.len() * 40);
    let mut offs = Vec::with_capacity(tokens.tokens.len() + 1);
    let mut matches = Vec::new();
    for s in &tokens.sentences {
        super::gazetteer::find(gaz, &ctx, s.clone(), &mut matches);
        sentence_features(&ctx, s.clone(), Some(&matches), &mut feats, &mut offs);
    }
    offs.push(feats.len() as u32);
    Prepared { tokens, ctx, feats, offs }
}

/// Tags a prepared document sentence by sentence. `each(sentence index,
/// token range, features per token, predicted tags)` may change the weights
/// (training) before the next sentence is tagged; history is recorded from
/// the predictions.
pub fn tag_prepared<W: Weights>(
    w: &mut W,
    scheme: Scheme,
    doc: &Prepared,
    history: &mut History,
    each: impl FnMut(&mut W, usize, Range<usize>, &[Vec<u64>], &[usize]),
) {
    tag_prepared_with(w, scheme, doc, history, |_, _| {}, each)
}

/// `tag_prepared`, with `adjust(token range, scores)` changing the scores
/// before decoding (cost-augmented decoding while training).
pub fn tag_prepared_with<W: Weights>(
    w: &mut W,
    scheme: Scheme,
    doc: &Prepared,
    history: &mut History,
    mut adjust: impl FnMut(Range<usize>, &mut [f32]),
    mut each: impl FnMut(&mut W, usize, Range<usize>, &[Vec<u64>], &[usize]),
) {
    history.clear();
    let t = w.n_tags();
    let mut emit = Vec::new();
    let mut tok_feats: Vec<Vec<u64>> = Vec::new();
    let mut hist_feats: Vec<u64> = Vec::new();
    let mut known: Vec<u64> = Vec::new();
    let mut types = Vec::new();
    let frozen_trans = W::FROZEN.then(|| transitions(w, scheme));
    for (si, s) in doc.tokens.sentences.iter().enumerate() {
        let (feats, offs) = (&doc.feats, &doc.offs[s.start..]);
        let n = s.len();
        emit.clear();
        emit.resize(n * t, 0.0);
        if !W::FROZEN {
            tok_feats.resize_with(n.max(tok_feats.len()), Vec::new);
        }
        history.lookup(&doc.ctx, s.clone(), &mut known);
        for i in 0..n {
            let row = &mut emit[i * t..(i + 1) * t];
            let fixed = &feats[offs[i] as usize..offs[i + 1] as usize];
            hist_feats.clear();
            history.features(&doc.ctx, s.clone(), i, &known, |h| hist_feats.push(h));
            w.add_all(fixed.iter().chain(&hist_feats), row);
            if !W::FROZEN {
                let fv = &mut tok_feats[i];
                fv.clear();
                fv.extend_from_slice(fixed);
                fv.extend_from_slice(&hist_feats);
            }
        }
        adjust(s.clone(), &mut emit);
        let tags = match &frozen_trans {
            Some(tr) => viterbi_with(tr, &emit, n),
            None => viterbi(w, scheme, &emit, n),
        };
        each(w, si, s.clone(), &tok_feats[..tok_feats.len().min(n)], &tags);
        types.clear();
        types.extend(tags.iter().map(|&tag| scheme.split(tag).map_or(0, |(ty, _)| ty as u8 + 1)));
        history.record(&doc.ctx, s.clone(), &types);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(usize, Vec<f32>);
    impl Weights for Fixed {
        fn n_tags(&self) -> usize {
            self.0
        }
        fn add(&self, _h: u64, _acc: &mut [f32]) {}
        fn transition(&self, prev: Option<usize>, cur: usize) -> f32 {
            self.1[prev.map_or(0, |p| p + 1) * self.0 + cur]
        }
    }

    /// The fixed-width decoder and the general one find the same path, and
    /// both respect the scheme (no I-X after O).
    #[test]
    fn fixed_width_viterbi_agrees_with_the_general_one() {
        let mut seed = 99u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) % 2000) as f32 / 100.0 - 10.0
        };
        for (scheme, t) in [(Scheme::Bio, 9), (Scheme::Bilou, 17)] {
            for n in [1, 2, 7, 30] {
                let w = Fixed(t, (0..(t + 1) * t).map(|_| rnd()).collect());
                let emit: Vec<f32> = (0..n * t).map(|_| rnd()).collect();
                let tr = transitions(&w, scheme);
                let a = viterbi_with(&tr, &emit, n);
                assert_eq!(a, viterbi_any(&tr, &emit, n), "{scheme:?} n={n}");
                assert!(scheme.allowed(None, a[0]));
                assert!(a.windows(2).all(|p| scheme.allowed(Some(p[0]), p[1])), "{a:?}");
                assert!(scheme.may_end(a[n - 1]));
            }
        }
    }
}
