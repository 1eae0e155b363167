//! Name lists induced from the training data: every gold entity string (up
//! to `MAX_LEN` tokens, lower-cased, Telugu case suffixes stripped) with the set of types it was labelled
//! with. A match is a feature, not a decision: the tagger learns how far to
//! trust it. While training, a document's own names are left out of the list
//! it sees, so the tagger learns how much the list is worth on unseen text
//! rather than learning to copy it.

use std::ops::Range;

use super::features::{mix, DocContext, IdMap, ALPHA, HAS_DIGIT};

pub const MAX_LEN: usize = 6;

/// A name list: the type bit mask of a name key (0 when not listed).
pub trait GazLookup {
    fn lookup(&self, key: u64) -> u8;
}

/// The key of a sequence of lower-cased token hashes.
pub fn key(lws: impl IntoIterator<Item = u64>) -> u64 {
    let mut h = 0x6A7E_77E1_u64;
    let mut n = 0u64;
    for lw in lws {
        h = mix(h, lw);
        n += 1;
    }
    mix(h, n)
}

/// For each token of the sentence `range`, the listed names covering it as
/// `(type index, position)` with position 0 begin, 1 inside, 2 last, 3 unit.
pub fn find<G: GazLookup + ?Sized>(gaz: &G, ctx: &DocContext, range: Range<usize>, out: &mut Vec<Vec<(u8, u8)>>) {
    let n = range.len();
    // Only the first `n` lists are this sentence's; longer ones keep
    // their buffers for the next.
    if out.len() < n {
        out.resize_with(n, Vec::new);
    }
    for v in &mut out[..n] {
        v.clear();
    }
    // The stems of the sentence in a row, and which tokens may start a name.
    let mut stems = [0u64; 64];
    let mut i0 = 0;
    while i0 < n {
        // Windows of at most 64 tokens, overlapping by `MAX_LEN - 1`.
        let m = (n - i0).min(stems.len());
        for (k, st) in stems[..m].iter_mut().enumerate() {
            *st = ctx.stem(range.start + i0 + k);
        }
        let starts = if i0 + m == n { m } else { m - (MAX_LEN - 1) };
        for j in 0..starts {
            let i = i0 + j;
            if ctx.flags(range.start + i) & (ALPHA | HAS_DIGIT) == 0 {
                continue;
            }
            let mut h = 0x6A7E_77E1_u64;
            for len in 1..=MAX_LEN.min(m - j) {
                h = mix(h, stems[j + len - 1]);
                let mask = gaz.lookup(mix(h, len as u64));
                if mask != 0 {
                    mark(out, i, len, mask);
                }
            }
        }
        i0 += starts;
    }
}

/// Records a listed name of type mask `mask` over tokens `i..i + len`.
#[cold]
fn mark(out: &mut [Vec<(u8, u8)>], i: usize, len: usize, mask: u8) {
    for ty in 0..8u8 {
        if mask & (1 << ty) == 0 {
            continue;
        }
        for k in 0..len {
            let pos = if len == 1 {
                3
            } else if k == 0 {
                0
            } else if k + 1 == len {
                2
            } else {
                1
            };
            let v = &mut out[i + k];
            if !v.contains(&(ty, pos)) {
                v.push((ty, pos));
            }
        }
    }
}

/// The shipped list, with a bit filter in front of it: most token
/// sequences are not names, and a bit test is cheaper than a hash probe.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gazetteer {
    entries: IdMap<u8>,
    filter: Vec<u64>,
}

const FILTER_BITS: u32 = 17;

impl Gazetteer {
    pub fn new(entries: IdMap<u8>) -> Gazetteer {
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for &k in entries.keys() {
            let bit = (k >> (64 - FILTER_BITS)) as usize;
            filter[bit >> 6] |= 1 << (bit & 63);
        }
        Gazetteer { entries, filter }
    }

    pub fn entries(&self) -> &IdMap<u8> {
        &self.entries
    }
}

impl GazLookup for Gazetteer {
    #[inline]
    fn lookup(&self, key: u64) -> u8 {
        if self.entries.is_empty() {
            return 0;
        }
        let bit = (key >> (64 - FILTER_BITS)) as usize;
        if self.filter[bit >> 6] & (1 << (bit & 63)) == 0 {
            return 0;
        }
        self.entries.get(&key).copied().unwrap_or(0)
    }
}

/// The bit of a name-list mask that marks a common word: one seen outside
/// every entity in at least the minimum number of training documents. Not
/// an entity type (types take the low bits).
pub const COMMON: u8 = 7;

/// The list while training: document counts per type, less one document's
/// own names.
#[derive(Default)]
pub struct TrainGazetteer {
    counts: IdMap<[u32; 8]>,
    /// Documents a key needs under `COMMON` (0 = 1, as every type).
    common_min: u32,
}

impl TrainGazetteer {
    /// A list whose `COMMON` bit needs `min` documents.
    pub fn with_common_min(min: u32) -> TrainGazetteer {
        TrainGazetteer { counts: IdMap::default(), common_min: min }
    }

    /// Documents a key needs under type bit `ty`.
    fn min_docs(&self, ty: usize) -> u32 {
        if ty == COMMON as usize { self.common_min.max(1) } else { 1 }
    }

    /// Adds the names of one document (each counted once per document).
    pub fn add_document(&mut self, names: &IdMap<u8>) {
        for (&k, &mask) in names {
            let c = self.counts.entry(k).or_default();
            for (ty, n) in c.iter_mut().enumerate() {
                if mask & (1 << ty) != 0 {
                    *n += 1;
                }
            }
        }
    }

    /// The list as seen from a document with names `own`.
    pub fn without<'a>(&'a self, own: &'a IdMap<u8>) -> impl GazLookup + 'a {
        LeaveOut { all: self, own }
    }

    /// The list to ship.
    pub fn freeze(&self) -> Gazetteer {
        let mut entries = IdMap::default();
        for (&k, c) in &self.counts {
            let mask = c.iter().enumerate().filter(|&(ty, &n)| n >= self.min_docs(ty)).fold(0u8, |m, (ty, _)| m | 1 << ty);
            if mask != 0 {
                entries.insert(k, mask);
            }
        }
        Gazetteer::new(entries)
    }
}

struct LeaveOut<'a> {
    all: &'a TrainGazetteer,
    own: &'a IdMap<u8>,
}

impl GazLookup for LeaveOut<'_> {
    fn lookup(&self, key: u64) -> u8 {
        let Some(c) = self.all.counts.get(&key) else { return 0 };
        let own = self.own.get(&key).copied().unwrap_or(0);
        let mut mask = 0;
        for (ty, &n) in c.iter().enumerate() {
            let mine = (own >> ty) & 1;
            if n.saturating_sub(mine as u32) >= self.all.min_docs(ty) {
                mask |= 1 << ty;
            }
        }
        mask
    }
}

/// No list at all.
pub struct NoGazetteer;

impl GazLookup for NoGazetteer {
    fn lookup(&self, _key: u64) -> u8 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::tokenize::tokenize;

    #[test]
    fn common_words_need_their_minimum_of_other_documents() {
        let common = 1u8 << COMMON;
        let doc = |keys: &[(u64, u8)]| -> IdMap<u8> { keys.iter().copied().collect() };
        // "said" (key 1) outside names in two documents, "Lisbon" (key 2) a
        // LOC in one and a common word in another.
        let (a, b, c) = (doc(&[(1, common), (2, 1 << 2)]), doc(&[(1, common), (2, common)]), doc(&[]));
        let mut g = TrainGazetteer::with_common_min(2);
        for d in [&a, &b, &c] {
            g.add_document(d);
        }
        // Seen from a third document both count; from one of the two, the
        // other alone is not enough for COMMON, but is for a type.
        assert_eq!(g.without(&c).lookup(1), common);
        assert_eq!(g.without(&a).lookup(1), 0);
        assert_eq!(g.without(&b).lookup(2), 1 << 2);
        assert_eq!(g.without(&c).lookup(2), 1 << 2);
        let shipped = g.freeze();
        assert_eq!((shipped.lookup(1), shipped.lookup(2)), (common, 1 << 2));
        // Without a minimum, COMMON is counted as a type is.
        let mut g1 = TrainGazetteer::default();
        g1.add_document(&b);
        assert_eq!(g1.freeze().lookup(2), common);
    }

    /// `find` as first written: every start, every length, no windows.
    fn find_naive(gaz: &Gazetteer, ctx: &DocContext, range: Range<usize>) -> Vec<Vec<(u8, u8)>> {
        let n = range.len();
        let mut out = vec![Vec::new(); n];
        for i in 0..n {
            if ctx.info(range.start + i).flags & (ALPHA | HAS_DIGIT) == 0 {
                continue;
            }
            for len in 1..=MAX_LEN.min(n - i) {
                let mask = gaz.lookup(key((i..i + len).map(|k| ctx.info(range.start + k).stem)));
                if mask != 0 {
                    mark(&mut out, i, len, mask);
                }
            }
        }
        out
    }

    #[test]
    fn long_sentences_find_names_across_windows() {
        // One sentence of 300 tokens; names of 1 to 6 words start at every
        // offset round the window edges (59, 118, 177...).
        let words: Vec<String> = (0..300).map(|i| format!("w{}", i % 97)).collect();
        let text = words.join(" ");
        let toks = tokenize(&text);
        assert_eq!(toks.sentences.len(), 1);
        let ctx = DocContext::new(&text, &toks);
        let mut entries = IdMap::default();
        for (s, len, ty) in [(0, 2, 0), (55, 6, 1), (57, 4, 2), (58, 6, 0), (59, 3, 3), (116, 5, 1), (117, 2, 2), (176, 6, 0), (294, 6, 3), (299, 1, 1)] {
            entries.insert(key((s..s + len).map(|k| ctx.info(k).stem)), 1u8 << ty);
        }
        let gaz = Gazetteer::new(entries);
        let mut out = Vec::new();
        find(&gaz, &ctx, 0..300, &mut out);
        let naive = find_naive(&gaz, &ctx, 0..300);
        assert_eq!(&out[..300], &naive[..]);
        assert!(naive.iter().filter(|v| !v.is_empty()).count() > 30);
    }
}
