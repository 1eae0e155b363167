//! Phase one, extraction: tokenise once, classify tokens through the word
//! lists, then match the rules' token patterns, leftmost-longest. The output
//! is typed ([`Extraction`]): what each expression said and what its sentence
//! implied. One pass over the text; rules are indexed by what their first
//! element can match, so most tokens cost one hash lookup.

use super::grammar::{class_mask, FastMap, fold, needs_fold, Class, Elem, Field, Grammar, Matcher, Rule, SuffixKind, Val};
use super::said::{Amount, Extraction, Implied, Modifier, PartOfDay, Said, Tense, TimexType, Unit};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Word,
    Num,
    Punct,
}

/// A classified token. Offsets are bytes into the text.
#[derive(Clone, Debug)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    /// Whitespace between the previous token and this one.
    pub gap: bool,
    /// Word id of the folded token, and of its stem when a case suffix was
    /// stripped (NONE when not in the lexicon).
    pub word: u32,
    pub stem: u32,
    /// Range into the document's sense list.
    pub senses: (u32, u32),
    /// The classes of those senses, one bit each ([`Class::bit`]).
    pub mask: u64,
    pub sentence: u32,
    pub tense: Tense,
    /// A capitalised word the lexicon does not know (likely part of a name).
    pub name_like: bool,
    /// Written with a capital ("Election Day", not "election day").
    pub capital: bool,
    /// A number written as words ("twenty-five"), mergeable with neighbours.
    pub number_word: bool,
    /// A number with a case ending ("2020లో", in 2020): it ends the phrase,
    /// so no rule takes a word after it ("2020లో 43 లక్షల", "2014లో ప్రారంభం").
    pub closed: bool,
    /// The word id of that case ending (NONE when none or unknown).
    pub ending: u32,
    /// Two digits with a leading zero ("06"): may be a year's last two
    /// digits ("2005-06") though under 10.
    pub padded: bool,
}

/// Per-document token data.
#[derive(Default)]
pub struct Tokens {
    pub toks: Vec<Tok>,
    pub senses: Vec<(Class, Val)>,
}

impl Tokens {
    pub fn senses(&self, t: &Tok) -> &[(Class, Val)] {
        &self.senses[t.senses.0 as usize..t.senses.1 as usize]
    }
}

/// The candidate rules of a token that several rule lists feed (by word,
/// stem and each class), merged once for each (word, stem, classes): most
/// such tokens are numbers and the same few words. Kept across the
/// documents of one engine, as sorting the unions again for every
/// document cost more than any rule.
#[derive(Default)]
pub struct MergedRules {
    /// The engine the unions were made for (its address).
    engine: usize,
    index: FastMap<(u32, u32, u64), (u32, u32)>,
    store: Vec<u16>,
}

/// What extraction reuses from one document to the next.
#[derive(Default)]
pub struct Scratch {
    pub tokens: Tokens,
    pub merged: MergedRules,
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{0C66}'..='\u{0C6F}' => Some(c as u32 - 0x0C66),
        '\u{0966}'..='\u{096F}' => Some(c as u32 - 0x0966),
        _ => None,
    }
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    ('\u{0900}'..='\u{0DFF}').contains(&c)
        || c == '\u{200C}'
        || c == '\u{200D}'
        || ('\u{0300}'..='\u{036F}').contains(&c)
        || c.is_alphabetic()
}

struct Raw {
    start: usize,
    end: usize,
    kind: Kind,
    gap: bool,
    /// Line breaks before it (2 for two or more: a blank line).
    newlines: u8,
    value: i64,
    digits: u8,
    complex: bool,
    /// A word of ASCII lower-case letters (and abbreviation dots) only: it
    /// needs no folding.
    plain: bool,
}

/// The raw tokens of a text, one at a time (no list of them is built).
/// Walks bytes; only a non-ASCII byte costs a character decode.
struct RawTokens<'a> {
    b: &'a [u8],
    pos: usize,
}

fn tokenise(text: &str) -> std::iter::Peekable<RawTokens<'_>> {
    RawTokens { b: text.as_bytes(), pos: 0 }.peekable()
}

/// Whether a text's single line breaks fall inside sentences (text wrapped
/// at a fixed width) rather than after headlines, datelines and paragraphs
/// (the usual pasted article: "... lights up the night\nMonday, March 5,
/// 2007"). A break is mid-sentence when a word or a comma is before it and
/// a letter that is not a capital after it; a text is wrapped when at
/// least two of its single breaks are, and a quarter of them.
fn hard_wrapped(text: &str) -> bool {
    let b = text.as_bytes();
    let (mut single, mut inside) = (0usize, 0usize);
    for (i, _) in text.match_indices('\n') {
        // The byte before the break, a "\r" of "\r\n" skipped.
        let before = b[..i].strip_suffix(b"\r").unwrap_or(&b[..i]).last();
        let (Some(&before), Some(&after)) = (before, b.get(i + 1)) else { continue };
        if before == b'\n' || after == b'\n' || after == b'\r' {
            continue;
        }
        single += 1;
        let word_before = before.is_ascii_alphanumeric() || before == b',' || before >= 0x80;
        let lower_after = match after {
            x if x.is_ascii() => x.is_ascii_lowercase(),
            _ => text[i + 1..].chars().next().is_some_and(|c| c.is_alphabetic() && !c.is_uppercase()),
        };
        inside += usize::from(word_before && lower_after);
    }
    inside >= 2 && inside * 4 >= single
}

impl RawTokens<'_> {
    /// The character at byte `i` (a character boundary) and its length.
    #[inline]
    fn char_at(&self, i: usize) -> (char, usize) {
        let b = self.b;
        let x = b[i] as u32;
        // The text is valid UTF-8 and `i` a boundary: decode by hand.
        let (c, len) = if x < 0x80 {
            (x, 1)
        } else if x < 0xE0 {
            (((x & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
        } else if x < 0xF0 {
            (((x & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F), 3)
        } else {
            (((x & 0x07) << 18) | ((b[i + 1] as u32 & 0x3F) << 12) | ((b[i + 2] as u32 & 0x3F) << 6) | (b[i + 3] as u32 & 0x3F), 4)
        };
        (char::from_u32(c).unwrap_or(' '), len)
    }
}

impl Iterator for RawTokens<'_> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        let b = self.b;
        let n = b.len();
        let (mut gap, mut newlines) = (false, 0u32);
        let (i, c, len) = loop {
            if self.pos >= n {
                return None;
            }
            // Spaces and line breaks first, without a character decode.
            match b[self.pos] {
                b' ' => {
                    gap = true;
                    self.pos += 1;
                    continue;
                }
                b'\n' => {
                    gap = true;
                    newlines += 1;
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let (c, len) = self.char_at(self.pos);
            if c.is_whitespace() {
                gap = true;
                if c == '\n' {
                    newlines += 1;
                }
                self.pos += len;
                continue;
            }
            break (self.pos, c, len);
        };
        self.pos = i + len;
        let mut raw = Raw { start: i, end: i + len, kind: Kind::Punct, gap, newlines: newlines.min(2) as u8, value: 0, digits: 0, complex: false, plain: false };
        if let Some(d) = digit_value(c) {
            raw.kind = Kind::Num;
            raw.value = d as i64;
            raw.digits = 1;
            let dotted_date = in_dotted_date(b, i);
            while self.pos < n {
                let j = self.pos;
                if b[j].is_ascii_digit() {
                    raw.value = raw.value.saturating_mul(10).saturating_add((b[j] - b'0') as i64);
                    raw.digits = raw.digits.saturating_add(1);
                    raw.end = j + 1;
                    self.pos = j + 1;
                    continue;
                }
                let (c2, l2) = self.char_at(j);
                if let Some(d) = digit_value(c2) {
                    raw.value = raw.value.saturating_mul(10).saturating_add(d as i64);
                    raw.digits = raw.digits.saturating_add(1);
                    raw.end = j + l2;
                    self.pos = j + l2;
                } else if (c2 == ',' || (c2 == '.' && !dotted_date)) && b.get(j + 1).is_some_and(|x| x.is_ascii_digit()) {
                    raw.complex = true;
                    raw.end = j + 1;
                    self.pos = j + 1;
                } else {
                    break;
                }
            }
        } else if is_word_char(c) {
            raw.kind = Kind::Word;
            raw.plain = c.is_ascii_lowercase();
            let mut run = 1usize;
            while self.pos < n {
                let j = self.pos;
                if b[j].is_ascii_alphabetic() {
                    raw.plain &= b[j].is_ascii_lowercase();
                    run += 1;
                    raw.end = j + 1;
                    self.pos = j + 1;
                    continue;
                }
                let (c2, l2) = self.char_at(j);
                if is_word_char(c2) {
                    raw.plain = false;
                    run += 1;
                    raw.end = j + l2;
                    self.pos = j + l2;
                } else if c2 == '.' && run == 1 && c.is_ascii_alphabetic() {
                    // Dotted abbreviations of single letters: "a.m", "U.S".
                    let next = b.get(j + 1).copied().unwrap_or(b' ');
                    let after = b.get(j + 2).copied().unwrap_or(b' ');
                    if next.is_ascii_alphabetic() && !after.is_ascii_alphabetic() {
                        raw.plain &= next.is_ascii_lowercase();
                        raw.end = j + 2;
                        self.pos = j + 2;
                        run = 1;
                    } else {
                        break;
                    }
                } else {
                    break;
                }
            }
        }
        Some(raw)
    }
}


/// The case endings and tense endings of a grammar by their last byte, each
/// list in the grammar's order (longest first): a word is compared only
/// with the endings that end as it does.
struct Endings {
    case: Vec<Vec<u16>>,
    tense: Vec<Vec<u16>>,
}

impl Endings {
    fn of(g: &Grammar) -> Endings {
        let mut e = Endings { case: vec![Vec::new(); 256], tense: vec![Vec::new(); 256] };
        for (k, suf) in g.case_suffixes.iter().enumerate() {
            if let Some(&b) = suf.as_bytes().last() {
                e.case[b as usize].push(k as u16);
            }
        }
        for (k, (suf, _)) in g.tense_suffixes.iter().enumerate() {
            if let Some(&b) = suf.as_bytes().last() {
                e.tense[b as usize].push(k as u16);
            }
        }
        e
    }
}

/// Builds tokens with their senses; merges abbreviation dots, attached
/// suffixes and multi-word numbers.
/// The lists of `into` are reused (kept by the caller from one document to
/// the next: a long document's lists are megabytes of fresh memory).
fn classify(g: &Grammar, endings: &Endings, text: &str, into: &mut Tokens) {
    let mut raws = tokenise(text);
    let Tokens { toks, senses } = into;
    toks.clear();
    senses.clear();
    // Room for news text (about five bytes a token) without growing, which
    // would copy the whole list again.
    toks.reserve(text.len() / 4 + 8);
    senses.reserve(text.len() / 4 + 8);
    let mut buf = String::new();
    let mut sentence = 0u32;
    // A blank line ends a sentence; so does a line break, unless the text
    // is wrapped mid-sentence.
    let wrapped = hard_wrapped(text);
    while let Some(r) = raws.next() {
        // Not again after a full stop that ended the sentence already: the
        // paragraph after "... Sunday night." is the very next sentence.
        if (r.newlines >= 2 || (r.newlines == 1 && !wrapped)) && toks.last().is_some_and(|t| t.sentence == sentence) {
            sentence += 1;
        }
        let s0 = senses.len() as u32;
        let mut tok = Tok { start: r.start, end: r.end, kind: r.kind, gap: r.gap, word: NONE, stem: NONE, senses: (s0, s0), mask: 0, sentence, tense: Tense::Unknown, name_like: false, capital: false, number_word: false, closed: false, ending: NONE, padded: r.kind == Kind::Num && r.digits == 2 && r.value < 10 };
        match r.kind {
            Kind::Num => {
                let mut suffix: Option<SuffixKind> = None;
                if let Some(n) = raws.peek() {
                    if n.kind == Kind::Word && !n.gap {
                        let w = folded(&text[n.start..n.end], &mut buf);
                        if let Some(k) = suffix_chain(g, w) {
                            suffix = Some(k);
                            tok.closed = k == SuffixKind::Case;
                            tok.ending = g.ids.get(w).copied().unwrap_or(NONE);
                            tok.end = n.end;
                            raws.next();
                        }
                    }
                }
                if !r.complex {
                    number_senses(r.value, r.digits, suffix, senses);
                    if r.digits == 4 && suffix.is_none() && r.value % 100 < 60 && r.value / 100 < 24 && next_word_has(g, text, raws.peek(), Class::Tz, &mut buf) {
                        // "1430 GMT": a clock written as four digits, when a
                        // time zone follows, and no year ("( 1315 GMT )").
                        if let Some(p) = senses[s0 as usize..].iter().position(|(c, _)| *c == Class::Year) {
                            senses.remove(s0 as usize + p);
                        }
                        senses.push((Class::Hour, Val::Clock((r.value / 100) as u8, (r.value % 100) as u8)));
                    }
                } else {
                    let t = &text[r.start..r.end];
                    if let Some((h, m)) = dotted_clock(t) {
                        // "10.30" written for half past ten ("ఉదయం 10.30 గంటలకు",
                        // "10.30pm"): an hour that carries its minutes.
                        senses.push((Class::Hour, Val::Clock(h, m)));
                    }
                    if let (true, Some(d)) = (next_word_has(g, text, raws.peek(), Class::Unit, &mut buf), decimal(t)) {
                        // "1.5 hours", "4.5 ఏళ్ళు" (only before a unit: tables
                        // of decimals are no amounts).
                        senses.push((Class::Num, d));
                    }
                }
                senses.push((Class::Quantity, Val::Int(r.value)));
            }
            Kind::Word => {
                let w = &text[r.start..r.end];
                // The folded word; most words are already folded and are
                // looked up in place.
                let key: &str = if r.plain { w } else { folded(w, &mut buf) };
                // A joiner left at either end ("మార్చ్\u{200C}", a stray one
                // before "\u{200D}ఐదు") changes nothing. One before the word
                // stays outside the span: after a space it belongs to the
                // space's grapheme cluster.
                let key = key.trim_end_matches(['\u{200C}', '\u{200D}']);
                // (Both joiners start with the byte E2; most words do not.)
                let key = if key.as_bytes().first() == Some(&0xE2) {
                    let trimmed = key.trim_start_matches(['\u{200C}', '\u{200D}']);
                    tok.start += key.len() - trimmed.len();
                    trimmed
                } else {
                    key
                };
                let caps = w.chars().next().is_some_and(char::is_uppercase);
                tok.capital = caps;
                let mut entry = g.ids.get(key).copied();
                tok.word = entry.unwrap_or(NONE);
                let has_senses = |id: Option<u32>| id.is_some_and(|id| !g.entries[id as usize].senses.is_empty());
                if !has_senses(entry) {
                    // A case ending on a known word: "జనవరిలో" = జనవరి + లో.
                    // The longest known stem wins: "గతనెలలో" is గతనెల + లో,
                    // though "నెలలో" is an ending too ("మార్చినెలలో").
                    let last = key.as_bytes().last().map_or(&[][..], |&b| &endings.case[b as usize][..]);
                    let mut best = 0;
                    for suf in last.iter().map(|&k| &g.case_suffixes[k as usize]) {
                        if key.len() > suf.len() && ends_with(key, suf) {
                            let stem = key[..key.len() - suf.len()].trim_end_matches(['\u{200C}', '\u{200D}']);
                            // A noun in -ం drops it before -ానికి: "మధ్యాహ్నానికి"
                            // is మధ్యాహ్నం + ానికి (by the afternoon).
                            let id = g.ids.get(stem).or_else(|| {
                                suf.starts_with('\u{0C3E}').then(|| g.ids.get([stem, "\u{0C02}"].concat().as_str())).flatten()
                            });
                            if let (Some(&id), true) = (id, stem.len() > best) {
                                entry = Some(id);
                                tok.stem = id;
                                best = stem.len();
                            }
                        }
                    }
                }
                match entry {
                    Some(id) => {
                        let e = &g.entries[id as usize];
                        for s in &e.senses {
                            if !s.caps || caps {
                                senses.push((s.class, s.val));
                                if let (Class::Unit, Val::Unit(_, plural)) = (s.class, s.val) {
                                    senses.push((if plural { Class::Units } else { Class::Unit1 }, s.val));
                                }
                                if s.class == Class::Num {
                                    tok.number_word = true;
                                    senses.push((Class::Quantity, s.val));
                                }
                                if s.class == Class::Ord {
                                    if let Val::Int(n) = s.val {
                                        if (1..=31).contains(&n) {
                                            senses.push((Class::Day, s.val));
                                        }
                                    }
                                }
                            }
                        }
                        tok.tense = e.tense;
                        if e.tense == Tense::Unknown && e.senses.is_empty() && !caps {
                            // A known word that is only a literal of some rule
                            // ("ended") still shows its tense by its ending.
                            tok.tense = tense_by_suffix(g, endings, key);
                        }
                        if e.abbr {
                            if let Some(n) = raws.peek() {
                                if !n.gap && &text[n.start..n.end] == "." {
                                    tok.end = n.end;
                                    raws.next();
                                }
                            }
                        }
                    }
                    None => {
                        tok.name_like = caps;
                        if !caps {
                            tok.tense = tense_by_suffix(g, endings, key);
                        }
                    }
                }
            }
            Kind::Punct => {
                let p = &text[r.start..r.end];
                tok.word = g.ids.get(folded(p, &mut buf)).copied().unwrap_or(NONE);
                if tok.word != NONE {
                    senses.extend(g.entries[tok.word as usize].senses.iter().map(|s| (s.class, s.val)));
                }
                if matches!(p, "." | "!" | "?") && raws.peek().is_none_or(|n| n.gap) {
                    tok.sentence = sentence;
                    sentence += 1;
                    tok.senses = (s0, senses.len() as u32);
                    tok.mask = class_mask(&senses[s0 as usize..]);
                    toks.push(tok);
                    continue;
                }
            }
        }
        tok.senses = (s0, senses.len() as u32);
        tok.mask = class_mask(&senses[s0 as usize..]);
        toks.push(tok);
    }
    merge_number_words(toks, senses, text, g);
}

/// `w` folded ([`fold`]) into `buf`, or `w` itself when folding would not
/// change it (most words: no copy).
#[inline]
fn folded<'a>(w: &'a str, buf: &'a mut String) -> &'a str {
    if needs_fold(w) {
        fold(w, buf);
        buf
    } else {
        w
    }
}

/// `w` ends with `suf`, compared from the end (suffixes are short and most
/// differ near their end).
#[inline]
fn ends_with(w: &str, suf: &str) -> bool {
    let (w, suf) = (w.as_bytes(), suf.as_bytes());
    w.len() >= suf.len() && w.iter().rev().zip(suf.iter().rev()).all(|(a, b)| a == b)
}

/// A suffix, or two in a row, that a number can carry ("th", "లో", "లలో").
fn suffix_chain(g: &Grammar, w: &str) -> Option<SuffixKind> {
    let mut meaning = None;
    let mut rest = w;
    for _ in 0..2 {
        if rest.is_empty() {
            break;
        }
        let (suf, kind) = g.suffixes.iter().find(|(s, _)| rest.starts_with(s.as_str()))?;
        rest = &rest[suf.len()..];
        if *kind != SuffixKind::Case || meaning.is_none() {
            meaning = Some(*kind);
        }
    }
    if rest.is_empty() {
        meaning
    } else {
        None
    }
}

/// "H.MM" or "HH.MM" with an hour of the day and minutes under 60.
fn dotted_clock(t: &str) -> Option<(u8, u8)> {
    let (h, m) = t.split_once('.')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m <= 59).then_some((h, m))
}

/// Whether the next token is a word, after a space, that the word lists
/// give a sense of `class` ("GMT" a time zone, "hours" a unit).
fn next_word_has(g: &Grammar, text: &str, next: Option<&Raw>, class: Class, buf: &mut String) -> bool {
    let Some(n) = next.filter(|n| n.gap && n.kind == Kind::Word) else { return false };
    let w = folded(&text[n.start..n.end], buf);
    g.ids.get(w).is_some_and(|&id| g.entries[id as usize].senses.iter().any(|s| s.class == class))
}

/// Whether the number at `i` is the day or the month of a dotted date
/// ("28.01.2021"): its dots then stay tokens of their own, so that the date
/// is read as day, month and year rather than as one decimal number.
fn in_dotted_date(b: &[u8], i: usize) -> bool {
    // The run of digits and dots around `i`, less a full stop at its end.
    let digit_or_dot = |x: &u8| x.is_ascii_digit() || *x == b'.';
    let start = b[..i].iter().rposition(|x| !digit_or_dot(x)).map_or(0, |p| p + 1);
    let end = b[i..].iter().position(|x| !digit_or_dot(x)).map_or(b.len(), |p| i + p);
    let run = &b[start..end];
    let run = run.strip_suffix(b".").unwrap_or(run);
    let mut parts = run.split(|&x| x == b'.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(m), Some(y), None) => {
            (1..=2).contains(&d.len()) && (1..=2).contains(&m.len()) && y.len() == 4 && i - start < d.len() + 1 + m.len()
        }
        _ => false,
    }
}

/// "1.5", "0.25": ASCII digits with one decimal point, as a `Val::Decimal`.
fn decimal(t: &str) -> Option<Val> {
    let (whole, frac) = t.split_once('.')?;
    if whole.is_empty() || frac.is_empty() || frac.len() > 3 || whole.len() > 6 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scaled = whole.bytes().chain(frac.bytes()).fold(0i64, |n, b| n * 10 + (b - b'0') as i64);
    Some(Val::Decimal(scaled, frac.len() as u8))
}

fn number_senses(v: i64, digits: u8, suffix: Option<SuffixKind>, out: &mut Vec<(Class, Val)>) {
    match suffix {
        Some(SuffixKind::Ordinal) => {
            out.push((Class::Ord, Val::Int(v)));
            if (1..=31).contains(&v) && digits <= 2 {
                out.push((Class::Day, Val::Int(v)));
            }
        }
        Some(SuffixKind::Plural) if v % 10 == 0 && (digits == 4 || digits == 2) => {
            let decade = if digits == 2 { 1900 + v } else { v };
            out.push((Class::Decade, Val::Int(decade)));
        }
        Some(SuffixKind::Plural) => out.push((Class::Num, Val::Int(v))),
        _ => {
            out.push((Class::Num, Val::Int(v)));
            if (1..=31).contains(&v) && digits <= 2 {
                out.push((Class::Day, Val::Int(v)));
            }
            if digits == 4 && (1000..=2199).contains(&v) {
                out.push((Class::Year, Val::Int(v)));
            }
            if v <= 24 && digits <= 2 {
                out.push((Class::Hour, Val::Int(v)));
            }
            if v <= 59 && digits == 2 {
                out.push((Class::Min, Val::Int(v)));
            }
        }
    }
}

fn tense_by_suffix(g: &Grammar, endings: &Endings, w: &str) -> Tense {
    let last = w.as_bytes().last().map_or(&[][..], |&b| &endings.tense[b as usize][..]);
    for (suf, t) in last.iter().map(|&k| &g.tense_suffixes[k as usize]) {
        if w.len() >= suf.len() + 3 && ends_with(w, suf) {
            return *t;
        }
    }
    Tense::Unknown
}

fn num_of(senses: &[(Class, Val)], t: &Tok, class: Class) -> Option<i64> {
    senses[t.senses.0 as usize..t.senses.1 as usize].iter().find_map(|(c, v)| match (c, v) {
        (c, Val::Int(n)) if *c == class => Some(*n),
        _ => None,
    })
}

/// "twenty-five", "one hundred", "nineteen ninety-six" become one number.
fn merge_number_words(toks: &mut Vec<Tok>, senses: &mut Vec<(Class, Val)>, text: &str, g: &Grammar) {
    // Only a number word followed (across a hyphen or "and") by another
    // number word or a multiplier can merge; most texts have none.
    // Digits merge with a multiplier only: "3 వేల" (three thousand).
    let digits_times = |toks: &[Tok], senses: &[(Class, Val)], i: usize| toks[i].kind == Kind::Num && toks.get(i + 1).is_some_and(|n| num_of(senses, n, Class::Multiplier).is_some());
    let mergeable = |i: usize| {
        let next_is_number = |j: usize| toks.get(j).is_some_and(|n| n.number_word || num_of(senses, n, Class::Multiplier).is_some());
        (toks[i].number_word && (next_is_number(i + 1) || next_is_number(i + 2))) || digits_times(toks, senses, i)
    };
    if !(0..toks.len()).any(mergeable) {
        return;
    }
    let and = g.ids.get("and").copied().unwrap_or(NONE);
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let mut t = toks[i].clone();
        let digits = digits_times(toks, senses, i);
        i += 1;
        if !t.number_word && !digits {
            out.push(t);
            continue;
        }
        let Some(mut v) = num_of(senses, &t, Class::Num) else {
            out.push(t);
            continue;
        };
        let mut merged = false;
        let mut year_reading = false;
        loop {
            // The next word, across a glued hyphen or an "and" after hundreds.
            let mut k = i;
            let hyphen = |k: usize| !toks[k].gap && &text[toks[k].start..toks[k].end] == "-" && !toks[k + 1].gap;
            if k + 1 < toks.len() && (hyphen(k) || toks[k].word == and && v % 100 == 0 && v > 0) {
                k += 1;
            }
            let Some(n) = toks.get(k) else { break };
            if n.kind != Kind::Word {
                break;
            }
            if let Some(m) = num_of(senses, n, Class::Multiplier) {
                if v == 0 || v >= m {
                    break;
                }
                v *= m;
            } else if n.number_word && !digits {
                let Some(w) = num_of(senses, n, Class::Num) else { break };
                let tens_units = (20..100).contains(&v) && v % 10 == 0 && (1..10).contains(&w);
                let hundreds_rest = v >= 100 && v % 100 == 0 && (1..100).contains(&w);
                if tens_units || hundreds_rest {
                    v += w;
                } else if (10..100).contains(&v) && v % 10 != 0 || (11..20).contains(&v) {
                    if (10..100).contains(&w) && !year_reading {
                        v = v * 100 + w;
                        year_reading = true;
                    } else {
                        break;
                    }
                } else if year_reading && v % 10 == 0 && (1..10).contains(&w) {
                    v += w;
                } else {
                    break;
                }
            } else {
                break;
            }
            t.end = n.end;
            merged = true;
            i = k + 1;
        }
        if merged {
            let s0 = senses.len() as u32;
            senses.push((Class::Num, Val::Int(v)));
            senses.push((Class::Quantity, Val::Int(v)));
            if year_reading {
                senses.push((Class::Year, Val::Int(v)));
            }
            t.senses = (s0, senses.len() as u32);
            t.mask = class_mask(&senses[s0 as usize..]);
            t.word = NONE;
            t.stem = NONE;
        }
        out.push(t);
    }
    *toks = out;
}

/// The rules and their index by first element.
pub struct Engine {
    pub grammar: Grammar,
    /// Rules that can start at a token, by its word id and by its classes.
    by_word: Vec<Vec<u16>>,
    by_class: Vec<Vec<u16>>,
    /// What the tokens after a start must offer for any rule of
    /// `by_word[w]` (`by_class[c]`) to start there: see [`Ahead`].
    word_ahead: Vec<Ahead>,
    class_ahead: Vec<Ahead>,
    /// Per rule, what must be there for it to match: see [`Start`].
    starts: Vec<Start>,
    endings: Endings,
}

/// One test for a whole list of candidate rules: a rule can start at token
/// `i` only if its second required element passes its [`Quick`] test at
/// one of the tokens `i + 1 ..= i + first + 1 + slack`. The union of those
/// tests over the list, within the furthest such reach, rules out every
/// rule of the list at once (in tables of numbers, most tokens).
#[derive(Clone, Default)]
struct Ahead {
    /// 0 when some rule of the list needs no second element (no test).
    reach: usize,
    mask: u64,
    any_word: bool,
    words: Vec<u32>,
}

impl Ahead {
    fn of(starts: &[Start], rules: &[u16]) -> Ahead {
        let mut a = Ahead::default();
        for &ri in rules {
            let st = &starts[ri as usize];
            let Some(e2) = &st.e2 else { return Ahead::default() };
            a.reach = a.reach.max(st.first + 1 + st.slack);
            a.mask |= e2.mask;
            a.any_word |= e2.any_word;
            a.words.extend_from_slice(&e2.words[..e2.n as usize]);
        }
        a.words.sort_unstable();
        a.words.dedup();
        a
    }

    /// False only when no rule of the list can start at token `i`.
    #[inline]
    fn allows(&self, toks: &[Tok], i: usize) -> bool {
        if self.reach == 0 {
            return true;
        }
        let end = (i + self.reach).min(toks.len() - 1);
        toks[i + 1..=end].iter().any(|t| offers(t, self.mask, self.any_word, &self.words))
    }
}

/// Whether token `t` has one of the classes in `mask`, is one of `words`
/// (as itself or by its stem), or is a word when `any_word`.
#[inline]
fn offers(t: &Tok, mask: u64, any_word: bool, words: &[u32]) -> bool {
    // A token the lexicon does not know (most) cannot be one of `words`.
    t.mask & mask != 0 || (any_word && t.kind == Kind::Word) || ((t.word & t.stem) != NONE && words.iter().any(|&w| w == t.word || w == t.stem))
}

/// The first two elements of a rule that always take a token: the first
/// falls within `first` tokens of the start (optional elements before it
/// take one or none), the second within `slack` + 1 tokens after the first.
/// Each as a [`Quick`] test, kept here so that trying a rule at a token
/// reads one small record.
struct Start {
    first: usize,
    slack: usize,
    e1: Quick,
    e2: Option<Quick>,
}

/// What a token must offer to possibly match an element (true whenever
/// [`elem_val`] matches, whatever values the element requires):
/// one of the classes in `mask`, or one of the words, or any word.
#[derive(Clone, Copy)]
struct Quick {
    mask: u64,
    any_word: bool,
    n: u8,
    words: [u32; Quick::MAX],
}

impl Quick {
    const MAX: usize = 6;

    fn of(e: &Elem) -> Quick {
        let mut q = Quick { mask: e.mask, any_word: false, n: 0, words: [NONE; Quick::MAX] };
        match &e.matcher {
            Matcher::Words(ids) if ids.len() <= Quick::MAX => {
                q.words[..ids.len()].copy_from_slice(ids);
                q.n = ids.len() as u8;
            }
            // Too many words to list: any word may do (still a sound test).
            Matcher::Words(_) | Matcher::AnyWord => q.any_word = true,
            Matcher::Classes(_) => {}
        }
        q
    }

    #[inline]
    fn test(&self, t: &Tok) -> bool {
        offers(t, self.mask, self.any_word, &self.words[..self.n as usize])
    }
}

impl Start {
    fn of(rule: &Rule) -> Start {
        let required = |e: &Elem| !e.optional && !e.negative;
        let first = rule.elems.iter().position(required).unwrap_or(0);
        let second = rule.elems.iter().skip(first + 1).position(required).map(|k| first + 1 + k);
        let slack = second.map_or(0, |k| rule.elems[first + 1..k].iter().filter(|e| !e.negative).count());
        Start { first, slack, e1: Quick::of(&rule.elems[first]), e2: second.map(|k| Quick::of(&rule.elems[k])) }
    }
}

impl Engine {
    pub fn new(grammar: Grammar) -> Engine {
        let mut by_word: Vec<Vec<u16>> = vec![Vec::new(); grammar.entries.len()];
        let mut by_class: Vec<Vec<u16>> = vec![Vec::new(); Class::COUNT];
        for (ri, rule) in grammar.rules.iter().enumerate() {
            for e in &rule.elems {
                if e.negative {
                    continue;
                }
                match &e.matcher {
                    Matcher::Words(ids) => ids.iter().for_each(|&id| by_word[id as usize].push(ri as u16)),
                    Matcher::Classes(cs) => cs.iter().for_each(|(c, _)| by_class[*c as usize].push(ri as u16)),
                    Matcher::AnyWord => panic!("rule {}: a pattern cannot start with *", rule.id),
                }
                if !e.optional {
                    break;
                }
            }
        }
        for v in by_word.iter_mut().chain(by_class.iter_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        let starts: Vec<Start> = grammar.rules.iter().map(Start::of).collect();
        let word_ahead = by_word.iter().map(|rs| Ahead::of(&starts, rs)).collect();
        let class_ahead = by_class.iter().map(|rs| Ahead::of(&starts, rs)).collect();
        let endings = Endings::of(&grammar);
        Engine { grammar, by_word, by_class, word_ahead, class_ahead, starts, endings }
    }

    /// All expressions in `text`, in order, not overlapping.
    pub fn extract(&self, text: &str) -> Vec<Extraction> {
        self.extract_reusing(text, &mut Scratch::default())
    }

    /// `extract` with the token lists and merged rule lists of `scratch`
    /// reused.
    pub fn extract_reusing(&self, text: &str, scratch: &mut Scratch) -> Vec<Extraction> {
        classify(&self.grammar, &self.endings, text, &mut scratch.tokens);
        self.extract_tokens(text, &scratch.tokens, &mut scratch.merged)
    }

    pub fn extract_tokens<'e>(&'e self, text: &str, tokens: &Tokens, merged: &mut MergedRules) -> Vec<Extraction> {
        let toks = &tokens.toks;
        let mut out = Vec::new();
        // A scratch lives beside its engine (TimexRecogniser), so the
        // address names the engine for as long as the unions are kept.
        let me = self as *const Engine as usize;
        if merged.engine != me {
            *merged = MergedRules { engine: me, ..MergedRules::default() };
        }
        let MergedRules { index, store, .. } = merged;
        let mut lists: Vec<(&'e [u16], &'e Ahead)> = Vec::new();
        let mut path: Vec<(u16, u32)> = Vec::new();
        let (mut cand_path, mut best_path): (Vec<(u16, u32)>, Vec<(u16, u32)>) = (Vec::new(), Vec::new());
        let mut floor = 0usize; // first token not yet used by a match
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            // The lists of rules that can start here (by word, stem and each
            // class), each with its test of what must follow; none passing,
            // no rule is tried.
            lists.clear();
            for w in [t.word, t.stem] {
                if w != NONE {
                    lists.push((&self.by_word[w as usize], &self.word_ahead[w as usize]));
                }
            }
            let mut m = t.mask;
            while m != 0 {
                let c = m.trailing_zeros() as usize;
                m &= m - 1;
                lists.push((&self.by_class[c], &self.class_ahead[c]));
            }
            lists.retain(|(rules, _)| !rules.is_empty());
            if !lists.iter().any(|(_, ahead)| ahead.allows(toks, i)) {
                i += 1;
                continue;
            }
            let cands: &[u16] = if let [(rules, _)] = lists[..] {
                rules
            } else {
                let (a, z) = *index.entry((t.word, t.stem, t.mask)).or_insert_with(|| {
                    let a = store.len();
                    let mut union: Vec<u16> = lists.iter().flat_map(|(rules, _)| rules.iter().copied()).collect();
                    union.sort_unstable();
                    union.dedup();
                    store.extend_from_slice(&union);
                    (a as u32, store.len() as u32)
                });
                &store[a as usize..z as usize]
            };
            let mut best: Option<(u16, usize)> = None;
            for &ri in cands {
                if !self.may_start(tokens, ri, i) {
                    continue;
                }
                let rule = &self.grammar.rules[ri as usize];
                let mut end = 0usize;
                path.clear();
                self.walk(tokens, rule, 0, i, &mut path, &mut end, &mut cand_path);
                if end > 0 && best.is_none_or(|(_, e)| end > e) && self.acceptable(text, tokens, rule, i, end) && (!rule.in_parts || parts_fit(tokens, rule, &cand_path)) {
                    best = Some((ri, end));
                    std::mem::swap(&mut best_path, &mut cand_path);
                }
            }
            match best {
                Some((ri, end)) => {
                    let rule = &self.grammar.rules[ri as usize];
                    if !rule.block {
                        self.emit(text, tokens, rule, &best_path, floor, &mut out);
                    }
                    // Context after the span ("<(> <NUM> <TZ> <)> <WEEKDAY>",
                    // "will last <two> weeks") stays free for other rules.
                    let end = best_path.iter().filter(|(ei, _)| !rule.elems[*ei as usize].context).map(|(_, ti)| *ti as usize + 1).max().unwrap_or(end);
                    floor = end;
                    i = end;
                    // A postposition absorbed by emit moves the floor on.
                    if let Some(last) = out.last().filter(|_| !rule.block) {
                        while i < toks.len() && toks[i].start < last.end {
                            i += 1;
                        }
                        floor = i;
                    }
                }
                None => i += 1,
            }
        }
        out
    }

    /// A cheap test before walking a rule: its first required element must
    /// match one of the tokens it could fall on ("the? REL UNIT" at every
    /// "the"), and the next required element one of the tokens after it.
    fn may_start(&self, tokens: &Tokens, ri: u16, i: usize) -> bool {
        let st = &self.starts[ri as usize];
        let toks = &tokens.toks;
        if st.first == 0 && st.slack == 0 {
            // The first element is the one the rule was listed under for
            // this token (it passes), so only the next token is in question
            // (most rules: "NUM UNIT", "DAY MONTH").
            return match &st.e2 {
                None => true,
                Some(e2) => toks.get(i + 1).is_some_and(|t| e2.test(t)),
            };
        }
        let last = (i + st.first).min(toks.len() - 1);
        for j in i..=last {
            if !st.e1.test(&toks[j]) {
                continue;
            }
            let Some(e2) = &st.e2 else { return true };
            let end = (j + 1 + st.slack).min(toks.len() - 1);
            for k in j + 1..=end {
                if e2.test(&toks[k]) {
                    return true;
                }
            }
        }
        false
    }

    /// Every way the rule matches from token `ti`: the path (element, token)
    /// of the first that ends furthest goes to `best_path`, its end to
    /// `best_end` (0 while none).
    #[allow(clippy::too_many_arguments)]
    fn walk(&self, tokens: &Tokens, rule: &Rule, ei: usize, ti: usize, path: &mut Vec<(u16, u32)>, best_end: &mut usize, best_path: &mut Vec<(u16, u32)>) {
        if ei == rule.elems.len() {
            if path.is_empty() {
                return;
            }
            if ti > *best_end {
                *best_end = ti;
                best_path.clear();
                best_path.extend_from_slice(path);
            }
            return;
        }
        let e = &rule.elems[ei];
        if e.negative {
            let hit = tokens.toks.get(ti).is_some_and(|t| (!e.glued || !t.gap) && elem_val(tokens, e, t).is_some());
            if !hit {
                self.walk(tokens, rule, ei + 1, ti, path, best_end, best_path);
            }
            return;
        }
        if let Some(t) = tokens.toks.get(ti) {
            // The token before ends the phrase when it is a number with a
            // case ending; only context may follow it, unless the rule asked
            // for that ending ("మార్చి DAY+న ఉదయం ...": on March 10, in the
            // morning).
            let asked = path.last().is_some_and(|&(pe, _)| rule.elems[pe as usize].cased);
            let follows = path.is_empty() || (t.sentence == tokens.toks[ti - 1].sentence && (e.context || asked || !tokens.toks[ti - 1].closed));
            if (!e.glued || !t.gap) && follows && elem_val(tokens, e, t).is_some() {
                path.push((ei as u16, ti as u32));
                self.walk(tokens, rule, ei + 1, ti + 1, path, best_end, best_path);
                path.pop();
            }
        }
        if e.optional {
            self.walk(tokens, rule, ei + 1, ti, path, best_end, best_path);
        }
    }

    /// Context guards: numbers that belong to money, percentages, phone
    /// numbers or product names are not dates.
    fn acceptable(&self, text: &str, tokens: &Tokens, rule: &Rule, first: usize, end: usize) -> bool {
        let toks = &tokens.toks;
        let (a, z) = (&toks[first], &toks[end - 1]);
        if a.kind == Kind::Num && !a.gap {
            let mut before = text[..a.start].chars().rev();
            match (before.next(), before.next()) {
                // Money, and names in links and files ("cis_1052.html").
                (Some('$' | '€' | '£' | '¥' | '₹' | '#' | '+' | '_' | '=' | '&'), _) => return false,
                (Some('/' | '-' | '.' | ':' | ','), Some(d)) if d.is_ascii_digit() => return false,
                (Some(c), _) if c.is_alphanumeric() => return false,
                _ => {}
            }
        }
        if z.kind == Kind::Num {
            let after = &text[z.end..];
            let mut cs = after.chars();
            match (cs.next(), cs.next()) {
                (Some('%' | '_' | '&' | '='), _) => return false,
                (Some(c), _) if c.is_alphanumeric() => return false,
                // A file's extension: "report_2004.pdf", "1052.html".
                (Some('.'), Some(c)) if c.is_ascii_lowercase() => return false,
                (Some('-' | '/' | ':' | '.'), Some(d)) if d.is_ascii_digit() => return false,
                _ => {}
            }
        }
        if rule.not_before_name && end < toks.len() && toks[end].name_like && toks[end].sentence == z.sentence {
            return false;
        }
        if rule.not_after_number && first > 0 {
            // A table's columns of consecutive years ("1996 1995") stay years.
            let p = &toks[first - 1];
            let year = |t: &Tok| tokens.senses(t).iter().find_map(|&(c, v)| match (c, v) {
                (Class::Year, Val::Int(y)) => Some(y),
                _ => None,
            });
            let next_year = year(p).zip(year(a)).is_some_and(|(y0, y1)| (y0 - y1).abs() == 1);
            // A number with a case ending closes its own phrase: "మార్చి
            // 14న 2016-17 ఆర్థిక సంవత్సరానికి" (on March 14, for 2016-17).
            if p.kind == Kind::Num && !p.closed && p.sentence == a.sentence && !next_year {
                return false;
            }
        }
        if rule.not_in_sport {
            // "early in the second half" of a match: a word of a sports
            // report anywhere in the sentence.
            let sport = |t: &Tok| [t.word, t.stem].iter().any(|&w| w != NONE && self.grammar.entries[w as usize].sport);
            let sentence = |t: &&Tok| t.sentence == a.sentence;
            if toks[..first].iter().rev().take_while(sentence).any(sport) || toks[first..].iter().take_while(sentence).any(sport) {
                return false;
            }
        }
        if rule.not_after_name && first > 0 {
            let p = &toks[first - 1];
            if p.name_like {
                return false;
            }
            if matches!(&text[p.start..p.end], "$" | "€" | "£" | "#" | "No" | "no") {
                return false;
            }
        }
        true
    }

    /// Whether `prev` is a date (or a time) with its day whose day a clock
    /// time starting at byte `start` (token `f`) takes: one earlier in the
    /// same sentence ("Sunday's game started at 8:07 p.m.", "Saturday
    /// afternoon at the town hall, from 2 p.m. to 5 p.m."), or right before
    /// it with nothing between but a comma or a `link date-time` word
    /// ("March 5 at 3 p.m.", "Friday, 9 a.m.").
    fn day_before(&self, text: &str, tokens: &Tokens, prev: &Extraction, f: usize, start: usize) -> bool {
        if !matches!(prev.kind, TimexType::Date | TimexType::Time) || !prev.said.names_a_day() || prev.end > start {
            return false;
        }
        // A day named earlier in the same sentence: "Sunday's game started
        // at 8:07 p.m.".
        let sentence = tokens.toks[f].sentence;
        if tokens.toks[..f].iter().rev().take_while(|t| t.end > prev.start).all(|t| t.sentence == sentence) {
            return true;
        }
        // The tokens between, last first (a pre-modifier of the time's own
        // skipped): at most two.
        let between = tokens.toks[..f].iter().rev().skip_while(|t| t.start >= start).take_while(|t| t.start >= prev.end);
        between.enumerate().all(|(k, t)| {
            let link = t.word != NONE && self.grammar.entries[t.word as usize].links_date_time;
            k < 2 && (link || &text[t.start..t.end] == ",")
        })
    }

    /// Whether the expression starting at token `f` (byte `start`) takes the
    /// day of a date before it (see `Implied::day_of_previous`): a clock
    /// time without a day, after a day in its sentence or right before it
    /// (durations and sets between do not count), or in the sentence before
    /// when both tell of the past or both of the future (a past time and a
    /// day not told in the future count too); a weekday restating the date
    /// right before it.
    #[allow(clippy::too_many_arguments)]
    fn takes_day_of_previous(&self, text: &str, tokens: &Tokens, kind: TimexType, said: &Said, tense: Tense, out: &[Extraction], f: usize, start: usize) -> bool {
        // A past clock time takes a day not told in the future; a future
        // one, a day told in the future ("సభలో అందజేస్తారు ... సభ ఉదయం 11
        // గంటలకు ప్రారంభమవుతుంది": the meeting on Friday starts at 11).
        let agree = |day: Tense| match tense {
            Tense::Past => day != Tense::Future,
            Tense::Future => day == Tense::Future,
            Tense::Unknown => false,
        };
        match kind {
            TimexType::Time if !said.says_a_date() => out.iter().rev().find(|p| !matches!(p.kind, TimexType::Duration | TimexType::Set)).is_some_and(|p| {
                let sentence_before = tokens.toks[f].sentence.checked_sub(1);
                self.day_before(text, tokens, p, f, start)
                    || (said.hour.is_some() && agree(p.implied.tense) && matches!(p.kind, TimexType::Date | TimexType::Time) && p.said.names_a_day() && sentence_before.is_some() && end_sentence(tokens, p, f) == sentence_before)
            }),
            TimexType::Date => said.weekday.is_some() && said.month.is_none() && said.rel.is_none() && out.last().is_some_and(|p| in_apposition(text, tokens, p, f)),
            _ => false,
        }
    }

    /// "The vote is Tuesday", "the semifinals are July 19-20", "the hearing
    /// is on Monday": a present copula (`tense schedules`) right before the
    /// expression starting at token `f`, or before a known word of no class
    /// ("on") right before it, schedules it.
    fn scheduled(&self, tokens: &Tokens, f: usize) -> bool {
        let toks = &tokens.toks;
        let before = |k: usize| f.checked_sub(k).map(|i| &toks[i]).filter(|t| t.sentence == toks[f].sentence && t.word != NONE);
        let schedules = |t: Option<&Tok>| t.is_some_and(|t| self.grammar.entries[t.word as usize].schedules);
        schedules(before(1)) || (before(1).is_some_and(|t| t.mask == 0) && schedules(before(2)))
    }

    fn emit(&self, text: &str, tokens: &Tokens, rule: &Rule, path: &[(u16, u32)], floor: usize, out: &mut Vec<Extraction>) {
        let toks = &tokens.toks;
        let mut parts: Vec<(Said, usize, usize)> = Vec::with_capacity(2);
        let mut said = Said::default();
        let (mut first, mut last) = (usize::MAX, 0usize);
        for &(ei, ti) in path {
            let e = &rule.elems[ei as usize];
            let t = &toks[ti as usize];
            if e.separator {
                if first != usize::MAX {
                    parts.push((said.clone(), first, last));
                }
                // The end inherits what the start said, but not its minutes:
                // "08:30 am - 7 pm" ends at 19:00.
                said.minute = None;
                first = usize::MAX;
                continue;
            }
            if !e.context {
                if first == usize::MAX {
                    first = ti as usize;
                }
                last = ti as usize;
            }
            if let Some((field, v)) = elem_val(tokens, e, t) {
                apply(&mut said, field, v);
            }
        }
        if first != usize::MAX {
            parts.push((said, first, last));
        }
        let mut fiscal = false;
        if parts.len() == 2 {
            // "1990-95": a two-digit end year is read in the start's century.
            if let (Some(y0), Some(y1), true) = (parts[0].0.year, parts[1].0.year, parts[1].0.two_digit_year) {
                if !parts[0].0.two_digit_year {
                    let mut y = y0 - y0.rem_euclid(100) + y1;
                    if y < y0 {
                        y += 100;
                    }
                    parts[1].0.year = Some(y);
                    parts[1].0.two_digit_year = false;
                    fiscal = rule.fiscal_year && y == y0 + 1;
                }
            }
            let (y, m, unit, plural) = (parts[1].0.year, parts[1].0.month, parts[1].0.unit, parts[1].0.plural);
            let (hour, pm, weekday) = (parts[1].0.hour, parts[1].0.pm, parts[1].0.weekday);
            let p0 = &mut parts[0].0;
            if p0.hour.is_some() && !p0.says_a_date() {
                // "from 7 a.m. to 8 p.m. on Sunday": the day said after
                // the end is the start's too.
                p0.weekday = weekday;
            }
            if p0.year.is_none() && p0.decade.is_none() {
                p0.year = y;
            }
            // "from the 5th to March 10" takes the end's month; "from the
            // 18th of this month to December 10" (ఈ నెల 18 నుంచి
            // డిసెంబరు 10 వరకు) has its own.
            let month_said = p0.rel.is_some() && p0.unit == Some(Unit::Month);
            if p0.month.is_none() && p0.day.is_some() && !month_said {
                p0.month = m;
            }
            if p0.unit.is_none() && p0.amount.is_some() {
                // "six to eight weeks": the unit said once, at the end.
                p0.unit = unit;
                p0.plural = plural;
            }
            if let (None, Some(h0), Some(h1), Some(pm)) = (p0.pm, p0.hour, hour, pm) {
                // "from 2 to 4 p.m.": a.m./p.m. said once, at the end; a
                // start later on the clock is in the other half ("11 to 2
                // p.m." starts at 11 a.m.).
                p0.pm = Some(if h0 % 12 <= h1 % 12 { pm } else { !pm });
            }
        }
        // The end of "from August to March" or "(last) Friday to Monday"
        // comes after the start. A weekday end does not take the start's
        // "last" along: it is the first such day after the start.
        let end_after_start = parts.len() == 2 && {
            let (a, b) = (&parts[0].0, &parts[1].0);
            let weekdays = a.weekday.is_some() && b.weekday.is_some() && b.month.is_none() && b.rel == a.rel;
            b.year.is_none() && ((b.rel.is_none() && a.month.is_some() && b.month.is_some()) || weekdays)
        };
        if end_after_start && parts[1].0.weekday.is_some() {
            parts[1].0.rel = None;
        }
        if let [(a, ..), (b, ..)] = &mut parts[..] {
            // "from 10 p.m. to 6 a.m.", "from (last) night to morning": an
            // end earlier in the day than the start is the next day's (the
            // day said once, at the start).
            let clock = |s: &Said| s.hour24().map(|h| h as usize * 60 + s.minute.unwrap_or(0) as usize);
            let (ka, kb) = match (clock(a), clock(b)) {
                (Some(x), Some(y)) => (Some(x), Some(y)),
                _ => (a.part.map(PartOfDay::order), b.part.map(PartOfDay::order)),
            };
            if let (Some(pa), Some(pb)) = (ka, kb) {
                if pb < pa && b.day == a.day && b.month.is_none() {
                    match b.weekday {
                        Some(w) => b.weekday = Some(w % 7 + 1),
                        None => b.dayrel = Some(b.dayrel.unwrap_or(0) + 1),
                    }
                }
            }
        }
        if fiscal {
            // "2021-22": one year that spans two, named by its end (FY22).
            let (said, _, l) = parts.pop().expect("two parts");
            parts[0] = (said, parts[0].1, l);
        }
        let n = parts.len();
        for (k, (mut said, f, l)) in parts.into_iter().enumerate() {
            for (field, v) in &rule.actions {
                apply(&mut said, *field, *v);
            }
            let mut start = toks[f].start;
            let mut end = toks[l].end;
            if k == 0 {
                // Pre-modifiers: "early", "about", "at least", "mid-".
                let said_as = |j: usize| &text[toks[j].start..toks[j].end];
                let mut s = f;
                if s > floor + 1 && !toks[s].gap && said_as(s - 1) == "-" && !toks[s - 1].gap {
                    s -= 1;
                }
                let mut taken = false;
                // An amount word before a possessive goes with what is
                // possessed: "around Wednesday's ruling", "up to last year's
                // level". "late Friday's session" is still late on Friday.
                let possessed = n == 1 && l + 2 < toks.len() && !toks[l + 1].gap && !toks[l + 2].gap && matches!(said_as(l + 1), "'" | "’") && said_as(l + 2) == "s";
                let fits = |m: Modifier| !possessed || matches!(m, Modifier::Start | Modifier::Mid | Modifier::End);
                if s > floor {
                    if let Some(m) = tokens.senses(&toks[s - 1]).iter().find_map(|(c, v)| match (c, v) {
                        (Class::Premod, Val::Mod(m)) if fits(*m) => Some(*m),
                        _ => None,
                    }) {
                        said.modifier = Some(m);
                        start = toks[s - 1].start;
                        taken = true;
                    }
                }
                if !taken {
                    // Not the end of a hyphenated word: "the run-up to Christmas".
                    let hyphened = |p: usize| p > 0 && !toks[p].gap && said_as(p - 1) == "-";
                    for (ids, m) in self.grammar.premod_phrases.iter().filter(|(_, m)| fits(*m)) {
                        if s >= floor + ids.len() && ids.iter().enumerate().all(|(j, id)| toks[s - ids.len() + j].word == *id) && !hyphened(s - ids.len()) {
                            said.modifier = Some(*m);
                            start = toks[s - ids.len()].start;
                            break;
                        }
                    }
                }
            }
            if k + 1 == n {
                // Postpositions after a space: "2023 లో", "ఫిబ్రవరి 12 న".
                let mut j = l + 1;
                while j < toks.len() && j <= l + 2 && tokens.senses(&toks[j]).iter().any(|(c, _)| *c == Class::Postposition) {
                    end = toks[j].end;
                    j += 1;
                }
            }
            // "at 8:30 p.m. on Sunday": the clock time took this weekday as
            // its day (context after it); the weekday goes where it went.
            let dated_clock = out.last().filter(|p| {
                p.kind == TimexType::Time && said.weekday.is_some() && p.said.weekday == said.weekday && said.month.is_none() && said.rel.is_none() && tokens_between(tokens, p, f) <= 6
            });
            let tense = match dated_clock {
                Some(p) => p.implied.tense,
                None if (said.weekday.is_some() || said.month.is_some()) && self.scheduled(tokens, f) => Tense::Future,
                None => tense_near(&self.grammar, text, tokens, f, l),
            };
            // The end of a clock range takes the day its start took.
            let day_of_previous = self.takes_day_of_previous(text, tokens, rule.kind, &said, tense, out, f, start)
                || (k == 1 && rule.kind == TimexType::Time && out.last().is_some_and(|p| p.implied.day_of_previous));
            // A month without a year after a date of the same sentence: one
            // with a year said ("In 2010 ... on June 3"), or "last year"
            // at most two words before it.
            let month_without_year = said.month.is_some() && said.year.is_none() && !said.that && said.rel.is_none() && k == 0;
            let date_in_sentence = out.last().filter(|p| p.kind == TimexType::Date && p.said.dir.is_none() && end_sentence(tokens, p, f) == Some(tokens.toks[f].sentence));
            let year_of_previous = month_without_year && date_in_sentence.is_some_and(|p| (p.said.year.is_some() || p.implied.year_of_previous) && !p.said.that);
            let year_of_relative = month_without_year && date_in_sentence.is_some_and(|p| p.said.rel.is_some() && p.said.unit == Some(Unit::Year) && p.said.month.is_none() && tokens_between(tokens, p, f) <= 2);
            // "began on Feb. 10 and ended on the 12th", "ఈ నెల 10న ... 12న":
            // a day said alone, in the sentence of a date or the one after,
            // and later in the month than it: after "convicted on Jan. 22",
            // "sentencing was set for the 5th" is not January's.
            let month_of_previous = said.day.is_some()
                && said.month.is_none()
                && said.year.is_none()
                && said.weekday.is_none()
                && said.rel.is_none()
                && !said.that
                && k == 0
                && out.last().is_some_and(|p| p.kind == TimexType::Date && p.said.day.is_some_and(|d| Some(d) < said.day) && p.said.dir.is_none() && end_sentence(tokens, p, f).is_some_and(|ps| ps + 1 >= tokens.toks[f].sentence));
            let day_of_lead = rule.kind == TimexType::Time
                && !day_of_previous
                && tense == Tense::Past
                && said.hour.is_some()
                && !said.says_a_date()
                && out.iter().find(|p| matches!(p.kind, TimexType::Date | TimexType::Time) && p.said.names_a_day()).is_some_and(|p| end_sentence(tokens, p, f).is_some_and(|s| s <= 1 && s < tokens.toks[f].sentence));
            let implied = Implied { tense, day_of_previous, year_of_previous, year_of_relative, month_of_previous, day_of_lead, after_previous: k == 1 && end_after_start };
            out.push(Extraction { start, end, kind: rule.kind, rule: rule.id.clone(), said, implied, range_end: k == 1 });
        }
    }
}

/// How many tokens lie between `prev` and token `f` after it.
fn tokens_between(tokens: &Tokens, prev: &Extraction, f: usize) -> usize {
    tokens.toks[..f].iter().rev().take_while(|t| t.start >= prev.end).count()
}

/// The sentence of the token `prev` ends in (it lies before token `f`).
fn end_sentence(tokens: &Tokens, prev: &Extraction, f: usize) -> Option<u32> {
    tokens.toks[..f].iter().rev().find(|t| t.start < prev.end).map(|t| t.sentence)
}

/// Whether a weekday starting at token `f` only restates the day of `prev`,
/// right before it with nothing between but a bracket or comma: "March 5
/// (Wednesday)", "ఈ నెల 5వ తేదీ బుధవారం".
fn in_apposition(text: &str, tokens: &Tokens, prev: &Extraction, f: usize) -> bool {
    let between = tokens.toks[..f].iter().rev().take_while(|t| t.start >= prev.end);
    prev.kind == TimexType::Date && prev.said.day.is_some() && between.enumerate().all(|(k, t)| k < 2 && matches!(&text[t.start..t.end], "(" | ","))
}

/// Whether the parts of a duration matched by `path` add up ("two years
/// and six months"; not "two hours and three days").
fn parts_fit(tokens: &Tokens, rule: &Rule, path: &[(u16, u32)]) -> bool {
    let mut said = Said::default();
    for &(ei, ti) in path {
        if let Some((field, v)) = elem_val(tokens, &rule.elems[ei as usize], &tokens.toks[ti as usize]) {
            apply(&mut said, field, v);
        }
    }
    said.rest_fits()
}

/// The field and value a token offers to an element, if it matches it.
fn elem_val(tokens: &Tokens, e: &Elem, t: &Tok) -> Option<(Field, Val)> {
    match &e.matcher {
        Matcher::Words(ids) => {
            if (t.capital || !e.caps) && ids.iter().any(|&id| id == t.word || id == t.stem) {
                Some((Field::None, Val::Flag))
            } else {
                None
            }
        }
        // A content word: "in 2024 after a decade" is no rate.
        Matcher::AnyWord => (t.kind == Kind::Word && t.word == NONE).then_some((Field::None, Val::Flag)),
        Matcher::Classes(_) if t.mask & e.mask == 0 || (e.cased && (!t.closed || (e.ending != NONE && e.ending != t.ending))) => None,
        Matcher::Classes(cs) => tokens.senses(t).iter().find_map(|(tc, v)| {
            let ok = cs.iter().any(|(c, constraint)| {
                c == tc
                    && match (constraint, v) {
                        (None, _) => true,
                        (Some(Val::Unit(u, _)), Val::Unit(w, _)) => u == w,
                        (Some(x), v) => x == v,
                    }
            });
            let field = e.field.unwrap_or(tc.default_field());
            (ok && (valid(field, *v) || (field == Field::Year && t.padded))).then_some((field, *v))
        }),
    }
}

fn valid(field: Field, v: Val) -> bool {
    if let Val::Decimal(..) = v {
        return field == Field::Amount;
    }
    let Val::Int(n) = v else { return true };
    match field {
        Field::Month => (1..=12).contains(&n),
        Field::Day => (1..=31).contains(&n),
        Field::Weekday => (1..=7).contains(&n),
        Field::Quarter => (1..=4).contains(&n),
        Field::Half => (1..=2).contains(&n),
        Field::Hour => (0..=24).contains(&n),
        Field::Minute => (0..=59).contains(&n),
        Field::Year => (10..=2999).contains(&n),
        // A decade is a year ending in 0 ("the 1930's"; "the 1935's" is none).
        // "90వ దశకం", "the 80's": two digits name a decade of the 1900s.
        Field::Decade => n % 10 == 0 && ((10..=90).contains(&n) || (100..=2999).contains(&n)),
        Field::Century => (1..=30).contains(&n),
        Field::Amount => n >= 0,
        _ => true,
    }
}

/// Writes a slot's value into the typed record.
pub fn apply(s: &mut Said, field: Field, v: Val) {
    let int = match v {
        Val::Int(n) => Some(n),
        _ => None,
    };
    match (field, v) {
        (Field::Year, Val::Int(n)) => {
            s.year = Some(n as i32);
            s.two_digit_year = n < 100;
        }
        (Field::Month, _) => s.month = int.map(|n| n as u8),
        (Field::Day, _) => s.day = int.map(|n| n as u8),
        (Field::Weekday, _) => s.weekday = int.map(|n| n as u8),
        (Field::Quarter, _) => s.quarter = int.map(|n| n as u8),
        (Field::Half, _) => s.half = int.map(|n| n as u8),
        (Field::Decade, _) => s.decade = int.map(|n| if n < 100 { 1900 + n as i32 } else { n as i32 }),
        (Field::Century, _) => s.century = int.map(|n| n as i32),
        (Field::Hour, Val::Clock(h, m)) | (Field::Clock, Val::Clock(h, m)) => {
            s.hour = Some(h);
            s.minute = Some(m);
        }
        (Field::Hour, _) => s.hour = int.map(|n| n as u8),
        (Field::Minute, _) => s.minute = int.map(|n| n as u8),
        (Field::Pm, Val::Pm(p)) => s.pm = Some(p),
        (Field::Season, Val::Season(x)) => s.season = Some(x),
        (Field::Part, Val::Part(p)) => s.part = Some(p),
        (Field::Amount, Val::Int(n)) => s.amount = Some(Amount::Count(n)),
        (Field::Amount, Val::Decimal(n, places)) => s.amount = Some(Amount::Decimal(n, places)),
        (Field::Amount, Val::Flag) => s.amount = Some(Amount::Vague),
        (Field::Amount, Val::AndHalf(n)) => {
            s.amount = Some(Amount::Count(n));
            s.and_half = true;
        }
        (Field::Amount, Val::Fused(n, u, half)) => {
            s.amount = Some(if n < 0 { Amount::Vague } else { Amount::Count(n) });
            s.unit = Some(u);
            s.plural = true;
            s.and_half |= half;
        }
        (Field::Unit, Val::Unit(u, plural)) => {
            s.unit = Some(u);
            s.plural = plural;
        }
        (Field::Rel, _) => s.rel = int.map(|n| n as i32),
        (Field::Dir, _) => s.dir = int.map(|n| n as i32),
        (Field::DayRel, _) => s.dayrel = int.map(|n| n as i32),
        (Field::Ref, Val::Ref(r)) => s.reference = Some(r),
        (Field::Mod, Val::Mod(m)) => s.modifier = Some(m),
        (Field::Set, _) => s.set = true,
        (Field::That, _) => s.that = true,
        (Field::Ordinal, _) => s.ordinal = int,
        (Field::Easter, _) => s.easter = int,
        (Field::Era, _) => s.era = int.map(|n| n.signum() as i8),
        (Field::Gran, Val::Unit(u, _)) => s.gran = Some(u),
        (Field::PlusHalf, _) => s.and_half = true,
        (Field::RestAmount, Val::Int(n)) => s.rest.push((n, Unit::Second)),
        (Field::RestUnit, Val::Unit(u, _)) => {
            if let Some(part) = s.rest.last_mut() {
                part.1 = u;
            }
        }
        _ => {}
    }
}

/// The nearest tense cue in the expression's clause (between commas), else
/// in its sentence, looking up to 12 tokens each way.
/// An auxiliary takes the tense of the cue right after it: "were planning",
/// "was expected" look ahead, though "were" and "was" alone look back.
fn tense_near(g: &Grammar, text: &str, tokens: &Tokens, first: usize, last: usize) -> Tense {
    let toks = &tokens.toks;
    let sent = toks[first].sentence;
    let entry = |t: &Tok| (t.word != NONE).then(|| &g.entries[t.word as usize]);
    // The word after token `i`, in the same sentence, and whether it
    // points ahead after an auxiliary ("is set").
    let next_word = |i: usize| toks.get(i + 1).filter(|n| n.sentence == sent);
    let set_ahead = |i: usize| {
        let present = toks[i].tense == Tense::Unknown;
        next_word(i).and_then(entry).is_some_and(|n| n.ahead_after_aux || (present && n.ahead_after_present_aux))
    };
    // The tense an auxiliary's verb gives it ("were planning", "is set").
    let after_aux = |i: usize| {
        let next = next_word(i)?;
        // "is slated": the word's own reading wins over its "-ed".
        if set_ahead(i) {
            Some(Tense::Future)
        } else {
            (next.tense != Tense::Unknown).then_some(next.tense)
        }
    };
    // "is set", "was slated"; and without an auxiliary before a word that
    // `sets-ahead` ("his sentencing, currently set for June 9").
    let ahead_after_aux = |i: usize| {
        entry(&toks[i]).is_some_and(|e| e.ahead_after_aux)
            && (i.checked_sub(1).and_then(|p| entry(&toks[p])).is_some_and(|p| p.aux) || next_word(i).and_then(entry).is_some_and(|n| n.sets_ahead))
    };
    // Only before the expression: in "took office in June vowing to
    // retain", "took" tells when June was.
    let ahead_before_to = |i: usize| i < first && entry(&toks[i]).is_some_and(|e| e.ahead_before_infinitive) && next_word(i).and_then(entry).is_some_and(|n| n.infinitive);
    // A past form after "be", "to" or a modal is a participle or a bare
    // verb, no cue: "will be held Friday", "to last until the summer",
    // "will cut rates Friday".
    // The same in a compound adjective: "Third-placed Wexley play on Sunday",
    // "a long-awaited bridge".
    let hyphened = |i: usize| i > 0 && !toks[i].gap && &text[toks[i - 1].start..toks[i - 1].end] == "-";
    let bare = |i: usize| toks[i].tense == Tense::Past && (hyphened(i) || i.checked_sub(1).and_then(|p| entry(&toks[p])).is_some_and(|p| p.bare_after));
    // Right after "had", or "had" and an auxiliary ("had been").
    let perfect_at = |k: Option<usize>| k.filter(|&p| toks[p].sentence == sent).and_then(|p| entry(&toks[p])).is_some_and(|e| e.perfect);
    let past_perfect = |i: usize| {
        let aux_before = i.checked_sub(1).filter(|&p| toks[p].sentence == sent).and_then(|p| entry(&toks[p])).is_some_and(|e| e.aux);
        perfect_at(i.checked_sub(1)) || (aux_before && perfect_at(i.checked_sub(2)))
    };
    let cue = |i: usize| {
        let t = &toks[i];
        match (entry(t), after_aux(i), i.checked_sub(1).map(|p| &toks[p])) {
            // "had been scheduled to expire at midnight Friday", "had
            // planned to leave on Monday": a plan told in the past perfect
            // was for a day now past.
            _ if (t.tense == Tense::Future || ahead_after_aux(i)) && past_perfect(i) => Tense::Past,
            _ if ahead_after_aux(i) || ahead_before_to(i) => Tense::Future,
            (Some(e), Some(verb), _) if e.aux => verb,
            // "ran until Monday": the verb, unless it defers ("postponed until").
            (Some(e), _, Some(prev)) if e.yields && prev.sentence == sent && prev.tense == Tense::Past && !bare(i - 1) && !entry(prev).is_some_and(|p| p.defers) => Tense::Past,
            _ => t.tense,
        }
    };
    let has_cue = |i: usize| {
        let t = &toks[i];
        // An auxiliary without a tense of its own is a cue before a word
        // that points ahead only after one ("is set").
        let aux_ahead = entry(t).is_some_and(|e| e.aux) && set_ahead(i);
        // "Until Thursday, they had not called him a suspect": an "until"
        // that opens the sentence is no cue; the verb after it tells.
        let opens = entry(t).is_some_and(|e| e.yields) && (i == 0 || toks[i - 1].sentence != sent);
        // A capital inside a sentence is a name's: "the U.S. Open in
        // January", "Will Smith".
        let named = t.capital && i > 0 && toks[i - 1].sentence == sent;
        t.sentence == sent && !bare(i) && !opens && !named && (t.tense != Tense::Unknown || aux_ahead || ahead_before_to(i))
    };
    // A reporting verb further than two tokens away ends the search on its
    // side (what lies beyond it is what it reports) and is only a fallback
    // for a cue on the other side: "'... will leave Thursday,' Castro said".
    let weak = |i: usize, d: usize| d > 2 && entry(&toks[i]).is_some_and(|e| e.report);
    // First within the expression's clause, between commas: "a man, who
    // pleaded guilty in March, will be sentenced next month". Then anywhere
    // in the sentence ("On Monday, the company said").
    let comma = |i: usize| toks[i].kind == Kind::Punct && matches!(&text[toks[i].start..toks[i].end], "," | ";");
    let clause_start = (0..first).rev().find(|&i| toks[i].sentence != sent || comma(i)).map_or(0, |i| i + 1);
    let clause_end = (last + 1..toks.len()).find(|&i| toks[i].sentence != sent || comma(i)).unwrap_or(toks.len());
    // After the expression, a verb beyond a word that `coordinates` ("and",
    // "but") is another clause's, a fallback like a distant reporting verb:
    // "left the port shortly after midnight Wednesday and was expected in
    // Selvany by noon Friday".
    let coordinated = |i: usize| (last + 1..i).any(|k| entry(&toks[k]).is_some_and(|e| e.coordinates));
    for (lo, hi) in [(clause_start, clause_end), (0, toks.len())] {
        let (mut open, mut fallback) = ([true, true], None);
        for d in 1..=12usize {
            let sides = [first.checked_sub(d).filter(|&i| i >= lo), Some(last + d).filter(|&i| i < hi)];
            for (side, i) in sides.into_iter().enumerate() {
                let Some(i) = i.filter(|&i| open[side] && has_cue(i)) else { continue };
                if !weak(i, d) && !(side == 1 && coordinated(i)) {
                    return cue(i);
                }
                open[side] = false;
                fallback.get_or_insert(i);
            }
        }
        if let Some(i) = fallback.filter(|_| lo == 0 && hi == toks.len()) {
            return cue(i);
        }
    }
    Tense::Unknown
}
