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
pub const FEATURE_SET: u32 = 8;

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
    hash_bytes(s.as_bytes())
}

pub fn hash_bytes(s: &[u8]) -> u64 {
    let mut h = 0x5151_5151_5151_5151u64;
    for chunk in s.chunks(8) {
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
    /// The lower-cased form less a Telugu case suffix ("హైదరాబాద్‌లో" ->
    /// "హైదరాబాద్"); the key of name lists and history. `lw` elsewhere.
    pub stem: u64,
    /// As written.
    pub raw: u64,
    /// Compressed shape ("Xx", "X.X.", "d-d", "t" for Telugu letters...).
    pub shape: u64,
    /// Prefixes and suffixes of 1 to 4 characters (6 in Telugu, where
    /// stems are longer and case suffixes are glued on).
    pub prefix: [u64; 6],
    pub suffix: [u64; 6],
    pub n_affix: u8,
    pub flags: u8,
    /// Length class: 1, 2, 3, 4-6, 7-10, 11+ characters.
    pub len_class: u8,
    /// QUOTE when the token is a quotation mark.
    pub kind: u8,
    /// Telugu: the hash of the case suffix or postposition `stem` lost
    /// ("లో" of "హైదరాబాద్‌లో"), 0 when none was stripped.
    pub case: u64,
    /// Telugu: suffixes of 1 to 4 characters of the stem when it differs
    /// from the word (name endings such as "-రావు" under a case suffix).
    pub stem_suffix: [u64; 4],
    pub n_stem_suffix: u8,
}

pub const CAP: u8 = 1; // first letter upper case
pub const ALL_CAPS: u8 = 2; // at least two letters, all upper case
pub const LOWER: u8 = 4; // first letter lower case
pub const HAS_DIGIT: u8 = 8;
// Position of a token in its sentence (`DocContext::pos`, not a property of
// the word): first word, and sentences written in capitals.
pub const INITIAL: u8 = 16; // first word of a sentence (after opening punctuation)
pub const HEADLINE: u8 = 32; // in a sentence written in capitals
pub const ALPHA: u8 = 64; // has a letter
pub const TELUGU: u8 = 128; // written in Telugu script
pub const QUOTE: u8 = 1; // in `TokenInfo::kind`: a quotation mark

fn char_class(c: char) -> u8 {
    if c.is_ascii_digit() || c.is_numeric() {
        b'd'
    } else if c.is_uppercase() {
        b'X'
    } else if c.is_lowercase() {
        b'x'
    } else if c.is_alphabetic() {
        if super::tokenize::is_telugu(c) {
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
    token_info_keyed(w, hash_str(w))
}

/// `token_info` given `raw`, the hash of the text (`hash_str(w)`).
pub fn token_info_keyed(w: &str, raw: u64) -> TokenInfo {
    if w.len() <= 48 && w.is_ascii() {
        return ascii_token_info(w.as_bytes(), raw);
    }
    let mut info = general_token_info(w);
    info.raw = raw;
    info
}

fn general_token_info(w: &str) -> TokenInfo {
    let mut info = TokenInfo::default();
    // Lower case on the stack for the common short ASCII word.
    let mut stack = [0u8; 48];
    let mut lower = String::new();
    let ascii = w.len() <= stack.len() && w.is_ascii();
    let mut shape = [0u8; 12];
    let mut shape_len = 0usize;
    let mut letters = 0usize;
    let mut uppers = 0usize;
    let mut first_letter: Option<char> = None;
    let mut n_chars = 0usize;
    for c in w.chars() {
        if super::tokenize::is_telugu(c) {
            // Telugu, without the slow Unicode tables: no case; digits,
            // the virama (a mark: no shape of its own), letters and signs.
            info.flags |= TELUGU;
            lower.push(c);
            n_chars += 1;
            let cls = match c {
                '\u{0C66}'..='\u{0C6F}' => {
                    info.flags |= HAS_DIGIT;
                    b'd'
                }
                '\u{0C4D}' => continue,
                _ => {
                    letters += 1;
                    first_letter.get_or_insert('\u{0C05}');
                    b't'
                }
            };
            if shape_len == 0 || shape[shape_len - 1] != cls {
                if shape_len < shape.len() {
                    shape[shape_len] = cls;
                    shape_len += 1;
                }
            }
            continue;
        }
        if ascii {
            stack[n_chars] = (c as u8).to_ascii_lowercase();
        } else {
            lower.extend(c.to_lowercase());
        }
        n_chars += 1;
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
    if matches!(w, "\"" | "'" | "\u{201C}" | "\u{201D}" | "\u{2018}" | "\u{2019}" | "\u{AB}" | "\u{BB}" | "''" | "``") {
        info.kind |= QUOTE;
    }
    let lower: &str = if ascii { std::str::from_utf8(&stack[..w.len()]).unwrap_or("") } else { &lower };
    info.lw = hash_str(lower);
    info.stem = info.lw;
    if info.flags & TELUGU != 0 {
        if let Some(stem) = telugu_stem(lower) {
            info.stem = hash_str(stem);
            info.case = hash_str(lower[stem.len()..].trim_start_matches(['\u{200C}', '\u{200D}']));
            let mut h = 0x0053_5445_4D53_5546u64; // "STEMSUF"
            let mut buf = [0u8; 4];
            for (j, c) in stem.chars().rev().take(4).enumerate() {
                for &b in c.encode_utf8(&mut buf).as_bytes().iter().rev() {
                    h = mix(h, b as u64);
                }
                info.stem_suffix[j] = h;
                info.n_stem_suffix = j as u8 + 1;
            }
        }
    }
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
    // Affix hashes roll over the bytes, one character at a time: no
    // re-hashing per length.
    let max_affix = if info.flags & TELUGU != 0 { 6 } else { 4 };
    let n = if ascii { lower.len() } else { lower.chars().count() };
    let k = max_affix.min(n.saturating_sub(1));
    let mut buf = [0u8; 4];
    let mut h = 0x0050_5245_4649_5845u64; // "PREFIX"
    for (j, c) in lower.chars().take(k).enumerate() {
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            h = mix(h, b as u64);
        }
        info.prefix[j] = h;
    }
    let mut h = 0x0053_5546_4649_5845u64; // "SUFFIX"
    for (j, c) in lower.chars().rev().take(k).enumerate() {
        for &b in c.encode_utf8(&mut buf).as_bytes().iter().rev() {
            h = mix(h, b as u64);
        }
        info.suffix[j] = h;
    }
    info.n_affix = k as u8;
    info
}

/// Case suffixes, postpositions and clitics glued to Telugu nouns. The
/// longest that leaves a stem of three or more characters is stripped.
const TELUGU_SUFFIXES: &[&str] = &[
    "గురించి", "ద్వారా", "నుంచి", "నుండి", "యొక్క", "కోసం", "తరఫున", "లాంటి", "వంటి", "వద్ద", "వరకు", "లోనూ", "లోనే", "లోని",
    "లోను", "లోకి", "ల్లో", "లలో", "లకు", "లను", "లతో", "లపై", "లది", "వారి", "వారు", "గారి", "గారు", "మీద", "తోనే", "కూడా",
    "లో", "కు", "కి", "ను", "ని", "తో", "గా", "పై", "పు", "లు", "దే", "నే", "నూ", "లే", "ది",
];

/// A Telugu word without its case suffix, if it has one and at least
/// three characters are left.
pub fn telugu_stem(word: &str) -> Option<&str> {
    let mut best: Option<&str> = None;
    for suf in TELUGU_SUFFIXES {
        if let Some(stem) = word.strip_suffix(suf) {
            let stem = stem.trim_end_matches(['\u{200C}', '\u{200D}']);
            if stem.chars().count() >= 3 && best.is_none_or(|b| stem.len() < b.len()) {
                best = Some(stem);
            }
        }
    }
    best
}

/// `token_info` for a short ASCII token, the common case, in one pass over
/// the bytes: the same values the general path computes.
fn ascii_token_info(w: &[u8], raw: u64) -> TokenInfo {
    let mut info = TokenInfo::default();
    let mut lower = [0u8; 48];
    let mut shape = [0u8; 12];
    let mut shape_len = 0usize;
    let (mut letters, mut uppers) = (0usize, 0usize);
    let mut first_letter = 0u8;
    for (i, &b) in w.iter().enumerate() {
        lower[i] = b.to_ascii_lowercase();
        let cls = match b {
            b'0'..=b'9' => {
                info.flags |= HAS_DIGIT;
                b'd'
            }
            b'A'..=b'Z' => {
                letters += 1;
                uppers += 1;
                b'X'
            }
            b'a'..=b'z' => {
                letters += 1;
                b'x'
            }
            _ => b,
        };
        if first_letter == 0 && b.is_ascii_alphabetic() {
            first_letter = b;
        }
        if (shape_len == 0 || shape[shape_len - 1] != cls) && shape_len < shape.len() {
            shape[shape_len] = cls;
            shape_len += 1;
        }
    }
    if first_letter != 0 {
        info.flags |= ALPHA | if first_letter.is_ascii_uppercase() { CAP } else { LOWER };
    }
    if letters >= 2 && uppers == letters {
        info.flags |= ALL_CAPS;
    }
    if matches!(w, b"\"" | b"'" | b"''" | b"``") {
        info.kind |= QUOTE;
    }
    let n = w.len();
    let lower = &lower[..n];
    // Lower-casing changed nothing: the same bytes, the same hash.
    info.lw = if uppers == 0 { raw } else { hash_bytes(lower) };
    info.stem = info.lw;
    info.raw = raw;
    info.shape = hash_bytes(&shape[..shape_len]);
    info.len_class = match n {
        0..=3 => n as u8,
        4..=6 => 4,
        7..=10 => 5,
        _ => 6,
    };
    let k = 4.min(n.saturating_sub(1));
    let mut h = 0x0050_5245_4649_5845u64; // "PREFIX"
    for j in 0..k {
        h = mix(h, lower[j] as u64);
        info.prefix[j] = h;
    }
    let mut h = 0x0053_5546_4649_5845u64; // "SUFFIX"
    for j in 0..k {
        h = mix(h, lower[n - 1 - j] as u64);
        info.suffix[j] = h;
    }
    info.n_affix = k as u8;
    info
}

/// Character n-grams of one word at most (bounds the features of a token:
/// see `model::Table::add_row`).
pub const MAX_NGRAMS: usize = 24;

/// Words met so far and their properties, kept from one document to the
/// next (an arena of word texts, a map from the hash of a text to its
/// id): on short documents most words have been seen before, and their
/// properties, trigrams and (in `fast.rs`) weight sums are not computed
/// again. Ids stay valid until `clear`, which callers do between
/// documents only.
#[derive(Default)]
pub struct WordCache {
    arena: String,
    /// Hash of a word's text -> id (a word whose hash is taken by another
    /// text gets an id of its own each time it is met, uncached).
    ids: IdMap<u32>,
    /// Per id: the text's bytes in `arena`.
    text_at: Vec<(u32, u32)>,
    infos: Vec<TokenInfo>,
    ngrams: Vec<u64>,
    ngram_at: Vec<(u32, u32)>,
    /// The document being filled (`DocContext::fill`), for `lw_bits`.
    stamp: u32,
    chars: Vec<char>,
    /// Per id: the id of the first word with the same lower-cased form
    /// ("The" and "the" share one), found through `lw_ids` when added.
    lw_id: Vec<u32>,
    lw_ids: IdMap<u32>,
    /// Per id: the `seen` bits of its lower-cased form in the document
    /// stamped (`DocContext::fill`).
    lw_bits: Vec<(u32, u8)>,
}

impl WordCache {
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Forgets every word.
    pub fn clear(&mut self) {
        self.arena.clear();
        self.ids.clear();
        self.text_at.clear();
        self.infos.clear();
        self.ngrams.clear();
        self.ngram_at.clear();
        self.lw_id.clear();
        self.lw_ids.clear();
        self.lw_bits.clear();
    }

    /// The properties of word `id`.
    #[inline]
    pub fn info(&self, id: usize) -> &TokenInfo {
        &self.infos[id]
    }

    /// The character n-grams of word `id`.
    #[inline]
    pub fn ngrams(&self, id: usize) -> &[u64] {
        let (a, b) = self.ngram_at[id];
        &self.ngrams[a as usize..b as usize]
    }

    /// The id of a word's text (`key`: its `hash_str`), adding it if new.
    fn intern(&mut self, w: &str, key: u64) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            let (a, b) = self.text_at[id as usize];
            if &self.arena[a as usize..b as usize] == w {
                return id;
            }
            return self.add(w, key, false);
        }
        self.add(w, key, true)
    }

    fn add(&mut self, w: &str, key: u64, insert: bool) -> u32 {
        let id = self.infos.len() as u32;
        if insert {
            self.ids.insert(key, id);
        }
        let a = self.arena.len() as u32;
        self.arena.push_str(w);
        self.text_at.push((a, self.arena.len() as u32));
        let info = token_info_keyed(w, key);
        let g = self.ngrams.len() as u32;
        if info.flags & TELUGU != 0 {
            let chars = &mut self.chars;
            chars.clear();
            chars.push('^');
            chars.extend(w.chars());
            chars.push('$');
            for c in chars.windows(3).take(MAX_NGRAMS) {
                self.ngrams.push(mix(mix(c[0] as u64, c[1] as u64), c[2] as u64));
            }
        }
        self.ngram_at.push((g, self.ngrams.len() as u32));
        self.lw_id.push(*self.lw_ids.entry(info.lw).or_insert(id));
        self.lw_bits.push((0, 0));
        self.infos.push(info);
        id
    }
}

/// Everything about a document that features read, computed once. Words
/// are interned: the properties of a word (and everything derived from it
/// alone) are computed once per distinct word, news text being Zipfian.
/// The words' properties stay in the word cache (read through `word`),
/// not copied per document.
#[derive(Default)]
pub struct DocContext {
    /// The words met so far, this document's and earlier ones'.
    pub cache: WordCache,
    /// Per word: its id in the `WordCache` the context was filled from.
    pub word_id: Vec<u32>,
    /// Per token: its word, an index into the per-word arrays (`word_id`, `stems`).
    pub word_of: Vec<u32>,
    /// Per token: `INITIAL` and `HEADLINE`.
    pub pos: Vec<u8>,
    /// Per word: 1 if its lower-cased form is seen capitalised mid-sentence
    /// outside headlines, 2 if seen written in lower case (`T_DOC`).
    pub doc_bits: Vec<u8>,
    seen: Vec<u8>,
    /// Per word: its first token (to compare texts with), and its flags
    /// and length class (read here per token, kept close together).
    first_at: Vec<(u32, u32)>,
    flags: Vec<(u8, u8, u8)>,
    /// Per word: its `stem` (the key of name lists and history).
    stems: Vec<u64>,
    /// Per word: its stem as a small index, one per distinct stem of the
    /// document (`n_stems` in all), so that history is an array.
    stem_idx: Vec<u32>,
    n_stems: usize,
    /// The document's stems by value, as `table` holds its words.
    stem_table: HashSlots,
    /// The document's words by the hash of their text: open addressing,
    /// sized to the document, `(hash, word + 1)` (0: empty). Only a word
    /// new to the document is looked up in the word cache.
    table: HashSlots,
}

/// Open addressing over 64-bit hashes, sized to a document: per slot
/// `(hash, index + 1)`, 0 when empty.
#[derive(Clone, Debug, Default)]
struct HashSlots {
    slots: Vec<(u64, u32)>,
    bits: u32,
}

impl HashSlots {
    /// Empty, with room for `n` entries at most half full.
    fn reset(&mut self, n: usize) {
        self.bits = (2 * n).max(16).next_power_of_two().trailing_zeros();
        self.slots.clear();
        self.slots.resize(1 << self.bits, (0, 0));
    }

    /// `Ok(index)` of the entry under `key` for which `same(index)` holds;
    /// else `next` is stored under `key` and `Err(next)` returned.
    #[inline]
    fn find_or_insert(&mut self, key: u64, next: u32, same: impl Fn(u32) -> bool) -> Result<u32, u32> {
        let mask = self.slots.len() - 1;
        let mut slot = (key >> (64 - self.bits)) as usize;
        loop {
            let (k, i1) = self.slots[slot];
            if i1 == 0 {
                self.slots[slot] = (key, next + 1);
                return Err(next);
            }
            if k == key && same(i1 - 1) {
                return Ok(i1 - 1);
            }
            slot = (slot + 1) & mask;
        }
    }
}

impl DocContext {
    pub fn new(text: &str, toks: &Tokens) -> DocContext {
        let mut ctx = DocContext::default();
        ctx.fill(text, toks);
        ctx
    }

    /// Computes the context of a document into this one's buffers, with the
    /// properties of words found in (or added to) its word cache.
    pub fn fill(&mut self, text: &str, toks: &Tokens) {
        let n = toks.tokens.len();
        self.word_id.clear();
        self.word_of.clear();
        self.first_at.clear();
        self.flags.clear();
        self.stems.clear();
        let cache = &mut self.cache;
        cache.stamp = cache.stamp.wrapping_add(1);
        if cache.stamp == 0 {
            // Stamps wrapped round: old ones could be taken for this document's.
            for s in &mut cache.lw_bits {
                *s = (0, 0);
            }
            cache.stamp = 1;
        }
        let stamp = cache.stamp;
        self.table.reset(n);
        let b = text.as_bytes();
        for tok in &toks.tokens {
            let wt = tok.text(text);
            let key = hash_str(wt);
            let first_at = &self.first_at;
            let same_text = |w: u32| {
                let (a, z) = first_at[w as usize];
                &b[a as usize..z as usize] == wt.as_bytes()
            };
            let w = match self.table.find_or_insert(key, self.word_id.len() as u32, same_text) {
                Ok(w) => w,
                Err(w) => {
                    // New to the document.
                    let cid = cache.intern(wt, key);
                    self.word_id.push(cid);
                    self.first_at.push((tok.start as u32, tok.end as u32));
                    let t = &cache.infos[cid as usize];
                    self.flags.push((t.flags, t.len_class, t.kind));
                    self.stems.push(t.stem);
                    w
                }
            };
            self.word_of.push(w);
        }
        // Distinct stems, numbered in order of appearance.
        self.stem_table.reset(self.stems.len());
        self.stem_idx.clear();
        let mut n_stems = 0u32;
        for &stem in &self.stems {
            let idx = self.stem_table.find_or_insert(stem, n_stems, |_| true).unwrap_or_else(|new| {
                n_stems += 1;
                new
            });
            self.stem_idx.push(idx);
        }
        self.n_stems = n_stems as usize;
        let word_id = &self.word_id;
        let flags = &self.flags;
        let word_of = &self.word_of;
        // Per word: seen in lower case (1), seen capitalised mid-sentence
        // outside a headline (2); then the same by lower-cased form.
        let seen = &mut self.seen;
        seen.clear();
        seen.resize(word_id.len(), 0);
        let pos = &mut self.pos;
        pos.clear();
        pos.resize(n, 0);
        for s in &toks.sentences {
            let (mut letters_upper, mut letters_cased) = (0usize, 0usize);
            for &w in &word_of[s.clone()] {
                let (f, len_class, _) = flags[w as usize];
                if f & ALPHA != 0 && f & (CAP | LOWER) != 0 {
                    letters_cased += 1;
                    if f & ALL_CAPS != 0 || (f & CAP != 0 && len_class == 1) {
                        letters_upper += 1;
                    }
                }
            }
            let headline = letters_cased >= 3 && letters_upper * 10 >= letters_cased * 9;
            let mut initial = true;
            for k in s.clone() {
                let w = word_of[k] as usize;
                let f = flags[w].0;
                if headline {
                    pos[k] |= HEADLINE;
                }
                if initial && f & (ALPHA | HAS_DIGIT) != 0 {
                    pos[k] |= INITIAL;
                    initial = false;
                    if !headline && f & LOWER != 0 {
                        seen[w] |= 1;
                    }
                    continue;
                }
                if f & LOWER != 0 {
                    seen[w] |= 1;
                } else if f & CAP != 0 && !headline {
                    seen[w] |= 2;
                }
            }
        }
        let cache = &mut self.cache;
        let lw_of = |cache: &WordCache, w: usize| cache.lw_id[word_id[w] as usize] as usize;
        for (w, &b) in seen.iter().enumerate() {
            if b != 0 {
                let l = lw_of(cache, w);
                let e = &mut cache.lw_bits[l];
                *e = (stamp, if e.0 == stamp { e.1 | b } else { b });
            }
        }
        self.doc_bits.clear();
        self.doc_bits.extend((0..word_id.len()).map(|w| {
            let (st, b) = cache.lw_bits[lw_of(cache, w)];
            let b = if st == stamp { b } else { 0 };
            ((b >> 1) & 1) | ((b & 1) << 1)
        }));
    }

    /// The number of distinct words of the document.
    #[inline]
    pub fn n_words(&self) -> usize {
        self.word_id.len()
    }

    /// The properties of word `w` of the document.
    #[inline]
    pub fn word(&self, w: usize) -> &TokenInfo {
        self.cache.info(self.word_id[w] as usize)
    }

    /// The `stem` of token `i` (as `info(i).stem`, read from a short array).
    #[inline]
    pub fn stem(&self, i: usize) -> u64 {
        self.stems[self.word_of[i] as usize]
    }

    /// The index of token `i`'s stem among the document's distinct stems
    /// (below `n_stems`).
    #[inline]
    pub fn stem_index(&self, i: usize) -> usize {
        self.stem_idx[self.word_of[i] as usize] as usize
    }

    /// The `flags` of token `i` (as `info(i).flags`).
    #[inline]
    pub fn flags(&self, i: usize) -> u8 {
        self.flags[self.word_of[i] as usize].0
    }

    /// The `kind` of token `i` (as `info(i).kind`).
    #[inline]
    pub fn kind(&self, i: usize) -> u8 {
        self.flags[self.word_of[i] as usize].2
    }

    /// The properties of the word of token `i`.
    #[inline]
    pub fn info(&self, i: usize) -> &TokenInfo {
        self.word(self.word_of[i] as usize)
    }

    /// The character n-grams of word `w`.
    #[inline]
    pub fn ngrams(&self, w: usize) -> &[u64] {
        self.cache.ngrams(self.word_id[w] as usize)
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
const T_PRE: u64 = 50;
const T_SUF: u64 = 60;
const T_STEM_SUF: u64 = 70;
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
const T_NGRAM: u64 = 33;
const T_QUOTE: u64 = 34;
const T_SUF_M1: u64 = 35;
const T_SUF_P1: u64 = 36;
const T_STEM: u64 = 37;
const T_CASE: u64 = 38;
const T_STEM_M1: u64 = 44;
const T_STEM_P1: u64 = 45;
const T_CASE_M1: u64 = 46;
const T_CASE_P1: u64 = 47;
const T_HIST: u64 = 40;
const T_HIST_M1: u64 = 41;
const T_HIST_P1: u64 = 42;
const T_HIST_SH: u64 = 43;

#[inline]
fn flag_class(f: u8) -> u64 {
    (f & (CAP | ALL_CAPS | LOWER | HAS_DIGIT | ALPHA)) as u64
}

#[inline]
fn feat(tpl: u64, v: u64) -> u64 {
    mix(mix(tpl, v), tpl)
}

/// What features read of a neighbouring token, or of the sentence
/// boundary beyond it.
#[derive(Clone, Copy, Debug)]
pub struct Neighbour {
    pub lw: u64,
    pub shape: u64,
    /// The 3-character suffix, or the word when it is shorter.
    pub suf3: u64,
    /// Telugu: stem and case suffix (0 when none).
    pub stem: u64,
    pub case: u64,
}

impl Neighbour {
    #[inline]
    pub fn of(t: &TokenInfo) -> Neighbour {
        let suf3 = if t.n_affix >= 3 { t.suffix[2] } else { t.lw };
        Neighbour { lw: t.lw, shape: t.shape, suf3, stem: t.stem, case: t.case }
    }

    /// The `k`-th position before the sentence (k = 1, 2).
    pub fn before(k: u64) -> Neighbour {
        Neighbour { lw: BOS.wrapping_add(k), shape: BOS, suf3: NONE, stem: BOS.wrapping_add(k), case: 0 }
    }

    /// The `k`-th position after the sentence (k = 1, 2).
    pub fn after(k: u64) -> Neighbour {
        Neighbour { lw: EOS.wrapping_add(k), shape: EOS, suf3: NONE, stem: EOS.wrapping_add(k), case: 0 }
    }
}

/// Where a neighbour is, relative to the token whose features it feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    M2,
    M1,
    P1,
    P2,
}

/// Features of a token that depend on its word alone.
#[inline]
pub fn word_features(t: &TokenInfo, ngrams: &[u64], mut emit: impl FnMut(u64)) {
    emit(feat(T_BIAS, NONE));
    emit(feat(T_LW, t.lw));
    emit(feat(T_RAW, t.raw));
    emit(feat(T_SH, t.shape));
    for k in 0..t.n_affix as usize {
        emit(feat(T_PRE + k as u64, t.prefix[k]));
        emit(feat(T_SUF + k as u64, t.suffix[k]));
    }
    emit(feat(T_LEN, t.len_class as u64));
    if t.stem != t.lw {
        emit(feat(T_STEM, t.stem));
        emit(feat(T_CASE, t.case));
        for k in 0..t.n_stem_suffix as usize {
            emit(feat(T_STEM_SUF + k as u64, t.stem_suffix[k]));
        }
    }
    for &g in ngrams {
        emit(feat(T_NGRAM, g));
    }
}

/// Features of a token that depend on its word, its position in the
/// sentence (`INITIAL`, `HEADLINE`) and the document (`doc_bits`).
#[inline]
pub fn position_features(t: &TokenInfo, pos: u8, doc_bits: u8, mut emit: impl FnMut(u64)) {
    let pos = pos as u64;
    emit(feat(T_POS, mix(pos, flag_class(t.flags))));
    emit(feat(T_LW_POS, mix(pos, t.lw)));
    if t.flags & ALPHA != 0 {
        emit(feat(T_DOC, mix(mix(doc_bits as u64, pos), flag_class(t.flags))));
    }
}

/// Features of a token that depend on one neighbour alone.
#[inline]
pub fn neighbour_features(rel: Rel, nb: &Neighbour, mut emit: impl FnMut(u64)) {
    // Word and shape; for the adjacent neighbours also the 3-character
    // suffix and, in Telugu, stem and case suffix.
    let (t_lw, t_sh, near) = match rel {
        Rel::M2 => (T_LW_M2, T_SH_M2, None),
        Rel::M1 => (T_LW_M1, T_SH_M1, Some((T_SUF_M1, T_STEM_M1, T_CASE_M1))),
        Rel::P1 => (T_LW_P1, T_SH_P1, Some((T_SUF_P1, T_STEM_P1, T_CASE_P1))),
        Rel::P2 => (T_LW_P2, T_SH_P2, None),
    };
    emit(feat(t_lw, nb.lw));
    emit(feat(t_sh, nb.shape));
    if let Some((t_suf, t_stem, t_case)) = near {
        emit(feat(t_suf, nb.suf3));
        if nb.stem != nb.lw {
            emit(feat(t_stem, nb.stem));
            emit(feat(t_case, nb.case));
        }
    }
}

/// Features of a token that combine its word with the previous one.
#[inline]
pub fn pair_features_left(prev: &Neighbour, t: &TokenInfo, mut emit: impl FnMut(u64)) {
    emit(feat(T_SH_M1_0, mix(prev.shape, t.shape)));
    emit(feat(T_BI_M1, mix(prev.lw, t.lw)));
    emit(feat(T_LW_M1_SH, mix(prev.lw, t.shape)));
}

/// Features of a token that combine its word with the next one.
#[inline]
pub fn pair_features_right(t: &TokenInfo, next: &Neighbour, mut emit: impl FnMut(u64)) {
    emit(feat(T_SH_0_P1, mix(t.shape, next.shape)));
    emit(feat(T_BI_P1, mix(t.lw, next.lw)));
    emit(feat(T_SH_LW_P1, mix(t.shape, next.lw)));
}

/// Features from a short quoted stretch (`quoted`: see `quoted_marks`) and
/// from the name list (`gaz`: matches covering the token).
#[inline]
pub fn span_features(t: &TokenInfo, pos: u8, quoted: u8, gaz: &[(u8, u8)], mut emit: impl FnMut(u64)) {
    if quoted != 0 {
        emit(feat(T_QUOTE, mix(quoted as u64, flag_class(t.flags))));
    }
    for &(ty, p) in gaz {
        let v = ((ty as u64) << 8) | p as u64;
        emit(feat(T_GAZ, v));
        emit(feat(T_GAZ_SH, mix(v, flag_class(t.flags) | (pos as u64) << 8)));
    }
}

/// Short quoted stretches of a sentence (titles of works, nicknames), per
/// token: 1 inside, 2 first word, 4 last word; 0 elsewhere.
pub fn quoted_marks(ctx: &DocContext, range: std::ops::Range<usize>, quoted: &mut Vec<u8>) {
    let n = range.len();
    quoted.clear();
    quoted.resize(n, 0);
    let mut open: Option<usize> = None;
    for i in 0..n {
        if ctx.kind(range.start + i) & QUOTE == 0 {
            continue;
        }
        match open.take() {
            Some(o) if i > o + 1 && i - o <= 12 => {
                for q in &mut quoted[o + 1..i] {
                    *q |= 1;
                }
                quoted[o + 1] |= 2;
                quoted[i - 1] |= 4;
            }
            Some(_) => {}
            None => open = Some(i),
        }
    }
}

/// The neighbour at offset `j` of a sentence `range` (negative: before it).
#[inline]
pub fn neighbour_at(ctx: &DocContext, range: &std::ops::Range<usize>, j: isize) -> Neighbour {
    let n = range.len() as isize;
    if j < 0 {
        Neighbour::before((-j) as u64)
    } else if j >= n {
        Neighbour::after((j - n + 1) as u64)
    } else {
        Neighbour::of(ctx.info(range.start + j as usize))
    }
}

/// Appends the static features (all but history) of each token of the
/// sentence `range`: `offsets` gets the start index into `out` of each token.
/// The tagger's fast path (`fast.rs`) sums the same features in groups.
pub fn sentence_features(
    ctx: &DocContext,
    range: std::ops::Range<usize>,
    gaz: Option<&[Vec<(u8, u8)>]>,
    out: &mut Vec<u64>,
    offsets: &mut Vec<u32>,
) {
    let n = range.len();
    let mut quoted = Vec::new();
    quoted_marks(ctx, range.clone(), &mut quoted);
    for i in 0..n {
        offsets.push(out.len() as u32);
        let k = range.start + i;
        let w = ctx.word_of[k] as usize;
        let t = ctx.word(w);
        let ii = i as isize;
        let nb = |j: isize| neighbour_at(ctx, &range, j);
        let mut e = |h: u64| out.push(h);
        word_features(t, ctx.ngrams(w), &mut e);
        position_features(t, ctx.pos[k], ctx.doc_bits[w], &mut e);
        neighbour_features(Rel::M2, &nb(ii - 2), &mut e);
        neighbour_features(Rel::M1, &nb(ii - 1), &mut e);
        neighbour_features(Rel::P1, &nb(ii + 1), &mut e);
        neighbour_features(Rel::P2, &nb(ii + 2), &mut e);
        pair_features_left(&nb(ii - 1), t, &mut e);
        pair_features_right(t, &nb(ii + 1), &mut e);
        span_features(t, ctx.pos[k], quoted[i], gaz.map_or(&[][..], |g| &g[i]), &mut e);
    }
}

/// The entity types the tagger gave words earlier in the document: 0 for
/// "seen, outside any entity", 1 + type index for a type.
#[derive(Default)]
pub struct History {
    /// Per stem of the document (`DocContext::stem_index`): the type last
    /// given to it, 0xFF while it has none. Empty until the first record.
    seen: Vec<u8>,
}

impl History {
    pub fn clear(&mut self) {
        self.seen.clear();
    }

    /// Records the types of a decoded sentence (`types[i]`: 0 outside, else
    /// 1 + type index). Only words with letters count.
    pub fn record(&mut self, ctx: &DocContext, range: std::ops::Range<usize>, types: &[u8]) {
        if self.seen.len() < ctx.n_stems {
            self.seen.resize(ctx.n_stems, 0xFF);
        }
        for (k, &ty) in range.zip(types) {
            if ctx.flags(k) & ALPHA != 0 {
                self.seen[ctx.stem_index(k)] = ty;
            }
        }
    }

    /// What history says about each token of a sentence (0xFF: nothing),
    /// the input of `features`.
    pub fn lookup(&self, ctx: &DocContext, range: std::ops::Range<usize>, out: &mut Vec<u64>) {
        out.clear();
        if self.seen.is_empty() {
            out.resize(range.len(), 0xFF);
            return;
        }
        out.extend(range.map(|k| self.seen[ctx.stem_index(k)] as u64));
    }

    /// Appends the history features of token `i` of the sentence, given the
    /// sentence's `lookup`.
    #[inline]
    pub fn features(&self, ctx: &DocContext, range: std::ops::Range<usize>, i: usize, known: &[u64], mut emit: impl FnMut(u64)) {
        let h = |j: usize| -> u64 { known[j] };
        let k = range.start + i;
        let hi = h(i);
        if hi != 0xFF {
            emit(feat(T_HIST, hi));
            emit(feat(T_HIST_SH, mix(hi, flag_class(ctx.flags(k)) | (ctx.pos[k] as u64) << 8)));
        }
        if i > 0 && h(i - 1) != 0xFF {
            emit(feat(T_HIST_M1, mix(h(i - 1), hi)));
        }
        if i + 1 < range.len() && h(i + 1) != 0xFF {
            emit(feat(T_HIST_P1, mix(hi, h(i + 1))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_fast_path_agrees_with_the_general_path() {
        for w in ["Reuters", "U.S.", "1996-08-22", "McDonald's", "x", "AB", "--", "\"", "n't", "iPhone15", "``"] {
            let (fast, slow) = (ascii_token_info(w.as_bytes(), hash_str(w)), general_token_info(w));
            let key = |t: &TokenInfo| (t.lw, t.stem, t.raw, t.shape, t.prefix, t.suffix, t.n_affix, t.flags, t.len_class, t.kind, t.case);
            assert_eq!(key(&fast), key(&slow), "{w}");
        }
    }
}
