//! Feature extraction. Features are never strings: each is a 64-bit hash of a
//! template number and the hashes of the token properties it combines, mapped
//! to a row of the weight table by the model (feature hashing bounds the
//! model's size whatever the vocabulary).
//!
//! Three kinds of features:
//! - local: the word and its neighbours (±2), lower-cased forms, shapes,
//!   prefixes and suffixes, capitalisation, sentence-initial and headline
//!   position, word bigrams, and the entity types of a gazetteer induced from
//!   the training data (carried in the model);
//! - document: whether the word is also seen capitalised mid-sentence or in
//!   lower case elsewhere in the same document (tells "Mr" at the start of a
//!   headline from a name);
//! - history: the entity type the tagger gave the same word earlier in the
//!   document ("Blackburn" after "Peter Blackburn").

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::tokenize::Tokens;

/// The version of the feature templates: a model trained with other
/// templates is refused at load time.
pub const FEATURE_SET: u32 = 2;

/// A hasher for keys that are already good 64-bit hashes.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0, b as u64);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
pub type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    (a.rotate_left(23) ^ b).wrapping_mul(K)
}

pub fn hash_str(s: &str) -> u64 {
    let mut h = 0x5151_5151_5151_5151u64;
    for chunk in s.as_bytes().chunks(8) {
        let mut buf = [0u8; 8];
        buf[..chunk.len()].copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(buf));
    }
    mix(h, s.len() as u64)
}

const NONE: u64 = 0x00AB_CDEF_0123_4567;
const BOS: u64 = 0x0B05_0B05_0B05_0B05;
const EOS: u64 = 0x0E05_0E05_0E05_0E05;

/// Properties of one token, computed once.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenInfo {
    /// Lower-cased form.
    pub lw: u64,
    /// As written.
    pub raw: u64,
    /// Compressed shape ("Xx", "X.X.", "d-d", "t" for Telugu letters...).
    pub shape: u64,
    pub prefix: [u64; 4],
    pub suffix: [u64; 4],
    pub n_affix: u8,
    pub flags: u8,
    /// Length class: 1, 2, 3, 4-6, 7-10, 11+ characters.
    pub len_class: u8,
}

pub const CAP: u8 = 1; // first letter upper case
pub const ALL_CAPS: u8 = 2; // at least two letters, all upper case
pub const LOWER: u8 = 4; // first letter lower case
pub const HAS_DIGIT: u8 = 8;
pub const INITIAL: u8 = 16; // first word of a sentence (after opening punctuation)
pub const HEADLINE: u8 = 32; // in a sentence written in capitals
pub const ALPHA: u8 = 64; // has a letter

fn char_class(c: char) -> u8 {
    if c.is_ascii_digit() || c.is_numeric() {
        b'd'
    } else if c.is_uppercase() {
        b'X'
    } else if c.is_lowercase() {
        b'x'
    } else if c.is_alphabetic() {
        if ('\u{0C00}'..='\u{0C7F}').contains(&c) {
            b't'
        } else {
            b'a'
        }
    } else if super::tokenize::is_word_char(c) {
        b'm' // a combining mark, virama or joiner: not part of the shape
    } else if c.is_ascii() {
        c as u8
    } else {
        b'#'
    }
}

/// Computes the per-token properties of one token's text.
pub fn token_info(w: &str) -> TokenInfo {
    let mut info = TokenInfo::default();
    let mut lower = String::with_capacity(w.len());
    let mut shape = [0u8; 12];
    let mut shape_len = 0usize;
    let mut letters = 0usize;
    let mut uppers = 0usize;
    let mut first_letter: Option<char> = None;
    let mut n_chars = 0usize;
    for c in w.chars() {
        n_chars += 1;
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
        if c.is_alphabetic() {
            letters += 1;
            if first_letter.is_none() {
                first_letter = Some(c);
            }
            if c.is_uppercase() {
                uppers += 1;
            }
        } else if c.is_numeric() {
            info.flags |= HAS_DIGIT;
        }
        let cls = char_class(c);
        if cls == b'm' {
            continue;
        }
        if shape_len == 0 || shape[shape_len - 1] != cls {
            if shape_len < shape.len() {
                shape[shape_len] = cls;
                shape_len += 1;
            }
        }
    }
    if let Some(f) = first_letter {
        info.flags |= ALPHA;
        if f.is_uppercase() {
            info.flags |= CAP;
        } else if f.is_lowercase() {
            info.flags |= LOWER;
        }
    }
    if letters >= 2 && uppers == letters {
        info.flags |= ALL_CAPS;
    }
    info.lw = hash_str(&lower);
    info.raw = hash_str(w);
    info.shape = hash_str(std::str::from_utf8(&shape[..shape_len]).unwrap_or(""));
    info.len_class = match n_chars {
        0..=3 => n_chars as u8,
        4..=6 => 4,
        7..=10 => 5,
        _ => 6,
    };
    // Affixes over the lower-cased characters; only for words longer than
    // the affix, so that the whole word is not repeated as an affix.
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    let n = chars.len();
    let mut k = 0;
    while k < 4 && k + 1 < n {
        let end = chars[k + 1].0;
        info.prefix[k] = hash_str(&lower[..end]);
        let start = chars[n - 1 - k].0;
        info.suffix[k] = hash_str(&lower[start..]);
        k += 1;
    }
    info.n_affix = k as u8;
    info
}

/// Everything about a document that features read, computed once.
pub struct DocContext {
    pub info: Vec<TokenInfo>,
    /// Lower-cased forms seen capitalised in mid-sentence, outside headlines.
    cap_mid: IdSet,
    /// Lower-cased forms seen written in lower case.
    lower_seen: IdSet,
}

impl DocContext {
    pub fn new(text: &str, toks: &Tokens) -> DocContext {
        let mut info: Vec<TokenInfo> = toks.tokens.iter().map(|t| token_info(t.text(text))).collect();
        let mut cap_mid = IdSet::default();
        let mut lower_seen = IdSet::default();
        for s in &toks.sentences {
            let (mut letters_upper, mut letters_cased) = (0usize, 0usize);
            for t in &info[s.clone()] {
                if t.flags & ALPHA != 0 && t.flags & (CAP | LOWER) != 0 {
                    letters_cased += 1;
                    if t.flags & ALL_CAPS != 0 || (t.flags & CAP != 0 && t.len_class == 1) {
                        letters_upper += 1;
                    }
                }
            }
            let headline = letters_cased >= 3 && letters_upper * 10 >= letters_cased * 9;
            let mut initial = true;
            for t in &mut info[s.clone()] {
                if headline {
                    t.flags |= HEADLINE;
                }
                if initial && t.flags & (ALPHA | HAS_DIGIT) != 0 {
                    t.flags |= INITIAL;
                    initial = false;
                    if !headline && t.flags & LOWER != 0 {
                        lower_seen.insert(t.lw);
                    }
                    continue;
                }
                if t.flags & LOWER != 0 {
                    lower_seen.insert(t.lw);
                } else if t.flags & CAP != 0 && !headline {
                    cap_mid.insert(t.lw);
                }
            }
        }
        DocContext { info, cap_mid, lower_seen }
    }
}

// Template numbers (part of FEATURE_SET: change them and bump it).
const T_BIAS: u64 = 1;
const T_LW: u64 = 2;
const T_RAW: u64 = 3;
const T_LW_M1: u64 = 4;
const T_LW_P1: u64 = 5;
const T_LW_M2: u64 = 6;
const T_LW_P2: u64 = 7;
const T_SH: u64 = 8;
const T_SH_M1: u64 = 9;
const T_SH_P1: u64 = 10;
const T_SH_M1_0: u64 = 11;
const T_SH_0_P1: u64 = 12;
const T_PRE: u64 = 13;
const T_SUF: u64 = 17;
const T_BI_M1: u64 = 21;
const T_BI_P1: u64 = 22;
const T_POS: u64 = 23;
const T_DOC: u64 = 24;
const T_LW_POS: u64 = 25;
const T_LEN: u64 = 26;
const T_SH_M2: u64 = 27;
const T_SH_P2: u64 = 28;
const T_LW_M1_SH: u64 = 29;
const T_SH_LW_P1: u64 = 30;
const T_GAZ: u64 = 31;
const T_GAZ_SH: u64 = 32;
const T_HIST: u64 = 40;
const T_HIST_M1: u64 = 41;
const T_HIST_P1: u64 = 42;
const T_HIST_SH: u64 = 43;

fn flag_class(f: u8) -> u64 {
    (f & (CAP | ALL_CAPS | LOWER | HAS_DIGIT | ALPHA)) as u64
}

/// Appends the static features (all but history) of each token of the
/// sentence `range`: `offsets` gets one start index into `out` per token.
pub fn sentence_features(
    ctx: &DocContext,
    range: std::ops::Range<usize>,
    gaz: Option<&[Vec<(u8, u8)>]>,
    out: &mut Vec<u64>,
    offsets: &mut Vec<u32>,
) {
    let info = &ctx.info[range.clone()];
    let n = info.len();
    let lw = |j: isize| -> u64 {
        if j < 0 {
            BOS.wrapping_add((-j) as u64)
        } else if j as usize >= n {
            EOS.wrapping_add(j as u64 - n as u64)
        } else {
            info[j as usize].lw
        }
    };
    let sh = |j: isize| -> u64 {
        if j < 0 {
            BOS
        } else if j as usize >= n {
            EOS
        } else {
            info[j as usize].shape
        }
    };
    for i in 0..n {
        offsets.push(out.len() as u32);
        let t = &info[i];
        let ii = i as isize;
        let f = |tpl: u64, v: u64| mix(mix(tpl, v), tpl);
        let pos = (t.flags & (INITIAL | HEADLINE)) as u64;
        out.push(f(T_BIAS, NONE));
        out.push(f(T_LW, t.lw));
        out.push(f(T_RAW, t.raw));
        out.push(f(T_LW_M1, lw(ii - 1)));
        out.push(f(T_LW_P1, lw(ii + 1)));
        out.push(f(T_LW_M2, lw(ii - 2)));
        out.push(f(T_LW_P2, lw(ii + 2)));
        out.push(f(T_SH, t.shape));
        out.push(f(T_SH_M1, sh(ii - 1)));
        out.push(f(T_SH_P1, sh(ii + 1)));
        out.push(f(T_SH_M2, sh(ii - 2)));
        out.push(f(T_SH_P2, sh(ii + 2)));
        out.push(f(T_SH_M1_0, mix(sh(ii - 1), t.shape)));
        out.push(f(T_SH_0_P1, mix(t.shape, sh(ii + 1))));
        for k in 0..t.n_affix as usize {
            out.push(f(T_PRE + k as u64, t.prefix[k]));
            out.push(f(T_SUF + k as u64, t.suffix[k]));
        }
        out.push(f(T_BI_M1, mix(lw(ii - 1), t.lw)));
        out.push(f(T_BI_P1, mix(t.lw, lw(ii + 1))));
        out.push(f(T_LW_M1_SH, mix(lw(ii - 1), t.shape)));
        out.push(f(T_SH_LW_P1, mix(t.shape, lw(ii + 1))));
        out.push(f(T_POS, mix(pos, flag_class(t.flags))));
        out.push(f(T_LW_POS, mix(pos, t.lw)));
        out.push(f(T_LEN, t.len_class as u64));
        if t.flags & ALPHA != 0 {
            let d = (ctx.cap_mid.contains(&t.lw) as u64) | ((ctx.lower_seen.contains(&t.lw) as u64) << 1);
            out.push(f(T_DOC, mix(mix(d, pos), flag_class(t.flags))));
        }
        if let Some(g) = gaz {
            for &(ty, p) in &g[i] {
                let v = ((ty as u64) << 8) | p as u64;
                out.push(f(T_GAZ, v));
                out.push(f(T_GAZ_SH, mix(v, flag_class(t.flags) | pos << 8)));
            }
        }
    }
    offsets.push(out.len() as u32);
}

/// The entity types the tagger gave words earlier in the document: 0 for
/// "seen, outside any entity", 1 + type index for a type.
#[derive(Default)]
pub struct History {
    seen: IdMap<u8>,
}

impl History {
    pub fn clear(&mut self) {
        self.seen.clear();
    }

    pub fn get(&self, lw: u64) -> Option<u8> {
        self.seen.get(&lw).copied()
    }

    /// Records the types of a decoded sentence (`types[i]`: 0 outside, else
    /// 1 + type index). Only words with letters count.
    pub fn record(&mut self, ctx: &DocContext, range: std::ops::Range<usize>, types: &[u8]) {
        for (t, &ty) in ctx.info[range].iter().zip(types) {
            if t.flags & ALPHA != 0 {
                self.seen.insert(t.lw, ty);
            }
        }
    }

    /// Appends the history features of token `i` of the sentence.
    pub fn features(&self, ctx: &DocContext, range: std::ops::Range<usize>, i: usize, out: &mut Vec<u64>) {
        let info = &ctx.info[range];
        let h = |j: usize| -> u64 { self.get(info[j].lw).map_or(0xFF, |v| v as u64) };
        let f = |tpl: u64, v: u64| mix(mix(tpl, v), tpl);
        let t = &info[i];
        let hi = h(i);
        if hi != 0xFF {
            out.push(f(T_HIST, hi));
            out.push(f(T_HIST_SH, mix(hi, flag_class(t.flags) | ((t.flags & (INITIAL | HEADLINE)) as u64) << 8)));
        }
        if i > 0 && h(i - 1) != 0xFF {
            out.push(f(T_HIST_M1, mix(h(i - 1), hi)));
        }
        if i + 1 < info.len() && h(i + 1) != 0xFF {
            out.push(f(T_HIST_P1, mix(hi, h(i + 1))));
        }
    }
}
