//! The tagger's tokeniser: raw text in, byte-offset tokens and sentences out.
//!
//! It has to serve two kinds of input with one set of rules: corpora that are
//! already tokenised ("Germany 's", "do n't", "U.S. .") and running news text
//! ("Germany's", "don't", "Reuters'", "New York-based", emoji, Telugu). Every
//! gold entity edge in the training corpora has to fall on a token edge, so
//! the rules split a little more than a linguist would (hyphens and slashes
//! are tokens of their own) and never less. A token never ends inside a
//! grapheme cluster: a Telugu vowel sign or virama stays with its letter, and
//! an emoji ZWJ sequence is one token.

use unicode_segmentation::GraphemeCursor;

/// A token: byte offsets into the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// A tokenised text: tokens in order, and sentences as token index ranges
/// that cover every token exactly once.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    pub sentences: Vec<std::ops::Range<usize>>,
}

/// Words that end in a period that belongs to them ("Mr.", "Jan.", "Corp.").
/// Single letters ("J.") and dotted initialisms ("U.S.") are recognised by
/// shape and need no entry.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "jr", "sr", "st", "mt", "ft", "gen", "gov", "sen", "rep", "col", "lt", "capt", "sgt",
    "cmdr", "adm", "maj", "prof", "rev", "hon", "pres", "inc", "corp", "co", "ltd", "bros", "plc", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "vs", "no", "nos", "etc", "ave", "blvd",
    "rd", "mass", "calif", "conn", "fla", "ill", "penn", "tenn", "tex", "wash", "wis", "ariz", "colo", "ore", "okla",
    "neb", "nev", "mich", "minn", "miss", "kan", "ky", "la", "md", "va", "pa", "ala", "ark", "del", "ga", "ind",
    "dept", "univ", "assn", "approx", "est", "fig", "vol", "pp", "op", "cf", "al",
];

/// Telugu spellings of Latin letter names and titles written with a period.
const TELUGU_INITIALS: &[&str] = &[
    "ఎఫ్", "హెచ్", "ఎల్", "ఎం", "ఎమ్", "ఎన్", "క్యూ", "ఆర్", "ఎస్", "డబ్ల్యు", "డబ్ల్యూ", "ఎక్స్", "జెడ్", "డా", "ప్రొ", "శ్రీ",
];

/// A character of the Telugu Unicode block.
pub(crate) fn is_telugu(c: char) -> bool {
    ('\u{0C00}'..='\u{0C7F}').contains(&c)
}

/// Letters, digits and the marks that attach to them (combining marks, Indic
/// vowel signs and viramas, joiners).
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if is_telugu(c) {
        return true;
    }
    if c.is_alphanumeric() {
        return true;
    }
    let u = c as u32;
    matches!(u,
        0x0300..=0x036F          // combining diacritics
        | 0x0483..=0x0489
        | 0x0591..=0x05C7
        | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0963 | 0x0966..=0x0DFF  // Indic blocks but the dandas
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x200C | 0x200D                  // ZWNJ, ZWJ
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F)
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// A lexer over one text.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
}

impl<'a> Lexer<'a> {
    #[inline]
    fn char_at(&self, i: usize) -> Option<char> {
        match self.bytes.get(i) {
            Some(&b) if b < 0x80 => Some(b as char),
            None => None,
            _ => self.text.get(i..).and_then(|s| s.chars().next()),
        }
    }

    fn word_char_at(&self, i: usize) -> bool {
        self.char_at(i).is_some_and(is_word_char)
    }

    /// The end of the run of word characters from `i`.
    fn run_end(&self, mut i: usize) -> usize {
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    i += 1;
                    continue;
                }
                break;
            }
            match self.char_at(i) {
                Some(c) if is_word_char(c) => i += c.len_utf8(),
                _ => break,
            }
        }
        i
    }

    /// If an apostrophe at `i` starts an English clitic ("'s", "'ll", "'re",
    /// "'ve", "'m", "'d") that ends there, the clitic's end.
    fn clitic_end(&self, i: usize) -> Option<usize> {
        let rest = &self.bytes[i..];
        let q = if rest.starts_with(b"'") { 1 } else if rest.starts_with("\u{2019}".as_bytes()) { 3 } else { return None };
        let end = self.run_end(i + q);
        let word = &self.text[i + q..end];
        let lower = word.to_ascii_lowercase();
        matches!(lower.as_str(), "s" | "ll" | "re" | "ve" | "m" | "d").then_some(end)
    }

    /// Whether the word `text[start..end]` keeps a period that follows it.
    fn takes_period(&self, start: usize, end: usize) -> bool {
        let w = &self.text[start..end];
        if w.chars().next().is_some_and(is_telugu) {
            // Initials ("కే. వి. మోహన్ కుమార్", "ఎస్. వెంకటేశ్వర్"): one
            // aksharam, or the Telugu name of a Latin letter, or "Dr".
            let mut cursor = GraphemeCursor::new(start, self.text.len(), true);
            let one_cluster = cursor.next_boundary(self.text, 0).ok().flatten() == Some(end);
            return one_cluster || TELUGU_INITIALS.contains(&w);
        }
        // Dotted initialisms and single letters: "U.S", "J", "e.g".
        let initialism = w.split('.').all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic));
        if initialism {
            return true;
        }
        let lower = w.to_ascii_lowercase();
        ABBREVIATIONS.contains(&lower.as_str())
    }

    /// The end of the word token starting at `start` (a word character).
    fn word_end(&self, start: usize) -> usize {
        let mut i = self.run_end(start);
        loop {
            let Some(c) = self.char_at(i) else { return i };
            let next = i + c.len_utf8();
            match c {
                '.' | ',' => {
                    let prev_digit = i > start && self.bytes[i - 1].is_ascii_digit();
                    let next_digit = self.bytes.get(next).is_some_and(u8::is_ascii_digit);
                    if prev_digit && next_digit {
                        i = self.run_end(next);
                        continue;
                    }
                    if c == ',' {
                        return i;
                    }
                    // "U.S": a single letter before the dot and a letter after.
                    let seg_start = self.text[start..i].rfind('.').map_or(start, |p| start + p + 1);
                    let single = self.text[seg_start..i].chars().count() == 1
                        && self.text[seg_start..i].chars().all(char::is_alphabetic);
                    if single && self.char_at(next).is_some_and(char::is_alphabetic) {
                        let e = self.run_end(next);
                        if self.text[next..e].chars().count() == 1 {
                            i = e;
                            continue;
                        }
                    }
                    if !self.word_char_at(next) && self.takes_period(start, i) {
                        return next;
                    }
                    return i;
                }
                '&' => {
                    // "AT&T", "S&P": between capitals with no space.
                    let before = self.bytes[i - 1].is_ascii_uppercase();
                    let after = self.bytes.get(next).is_some_and(u8::is_ascii_uppercase);
                    if before && after {
                        i = self.run_end(next);
                        continue;
                    }
                    return i;
                }
                c if is_apostrophe(c) => {
                    if !self.char_at(next).is_some_and(char::is_alphabetic) {
                        return i; // "Reuters'"
                    }
                    // "don't" -> "do" + "n't"; "n't" alone (pre-tokenised) stays whole.
                    let t_end = self.run_end(next);
                    if matches!(&self.text[next..t_end], "t" | "T") && i > start && matches!(self.bytes[i - 1], b'n' | b'N') {
                        if i - 1 > start {
                            return i - 1;
                        }
                        i = t_end;
                        continue;
                    }
                    if self.clitic_end(i).is_some() {
                        return i; // "Germany's" -> "Germany" + "'s"
                    }
                    i = t_end; // "O'Neill", "rock'n'roll"
                    continue;
                }
                _ => return i,
            }
        }
    }

    /// The end of a symbol token at `start`: a run of one repeated ASCII
    /// punctuation character ("--", "..."), else one grapheme cluster.
    fn symbol_end(&self, start: usize) -> usize {
        let b = self.bytes[start];
        if b < 0x80 {
            let mut i = start + 1;
            while i < self.bytes.len() && self.bytes[i] == b && matches!(b, b'-' | b'.' | b'=' | b'*' | b'_' | b'~' | b'!' | b'?') {
                i += 1;
            }
            return i;
        }
        let mut cursor = GraphemeCursor::new(start, self.text.len(), true);
        cursor.next_boundary(self.text, 0).ok().flatten().unwrap_or(self.text.len())
    }

    /// Moves `end` forward to a grapheme boundary (a stray combining mark
    /// after a token stays with it).
    fn cluster_end(&self, end: usize) -> usize {
        if end >= self.bytes.len() || self.bytes[end] < 0x80 {
            return end;
        }
        crate::offsets::grapheme_ceil(self.text, end)
    }
}

/// Whether a token ends a sentence when followed by `next`.
fn ends_sentence(tok: &str, next: Option<&str>) -> bool {
    if !matches!(tok, "." | "!" | "?" | "..." | "।" | "?!" | "!!") {
        return false;
    }
    match next.and_then(|n| n.chars().next()) {
        None => true,
        Some(c) => !c.is_lowercase() && !matches!(c, ',' | ';' | ':' | ')' | ']'),
    }
}

/// Tokenises `text`. Sentences end at line breaks and at sentence-final
/// punctuation followed by a token that does not start in lower case.
pub fn tokenize(text: &str) -> Tokens {
    let mut out = Tokens::default();
    tokenize_into(text, &mut out);
    out
}

/// `tokenize` into the buffers of `out` (kept from one document to the next).
pub fn tokenize_into(text: &str, out: &mut Tokens) {
    let lx = Lexer { text, bytes: text.as_bytes() };
    let tokens = &mut out.tokens;
    tokens.clear();
    tokens.reserve(text.len() / 5 + 1);
    // Token index after which a line break occurred.
    let mut breaks: Vec<usize> = Vec::new();
    let mut i = 0;
    let n = text.len();
    while i < n {
        let b = lx.bytes[i];
        if b == b'\n' {
            breaks.push(tokens.len());
            i += 1;
            continue;
        }
        if b == b' ' || b == b'\t' || b == b'\r' {
            i += 1;
            continue;
        }
        let c = lx.char_at(i).unwrap_or(' ');
        if (b >= 0x80 || b < 0x20) && c.is_whitespace() {
            if c == '\u{2028}' || c == '\u{2029}' {
                breaks.push(tokens.len());
            }
            i += c.len_utf8();
            continue;
        }
        let end = if is_word_char(c) {
            lx.word_end(i)
        } else if let Some(e) = if is_apostrophe(c) { lx.clitic_end(i) } else { None } {
            e
        } else {
            lx.symbol_end(i)
        };
        let end = lx.cluster_end(end.max(i + c.len_utf8()));
        tokens.push(Token { start: i, end });
        i = end;
    }
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut bi = 0;
    for t in 0..tokens.len() {
        while bi < breaks.len() && breaks[bi] <= t {
            if breaks[bi] > start {
                sentences.push(start..breaks[bi]);
                start = breaks[bi];
            }
            bi += 1;
        }
        // Sentence-final punctuation starts with '.', '!', '?' or the
        // first byte of the danda.
        if !matches!(lx.bytes[tokens[t].start], b'.' | b'!' | b'?' | 0xE0) {
            continue;
        }
        let next = tokens.get(t + 1).map(|x| x.text(text));
        if ends_sentence(tokens[t].text(text), next) && t + 1 > start {
            // Keep a closing quote or bracket with the sentence it closes.
            let mut e = t + 1;
            while e < tokens.len() && matches!(tokens[e].text(text), "\"" | "'" | ")" | "\u{201D}" | "\u{2019}") {
                e += 1;
            }
            if e < tokens.len() && !breaks[bi..].first().is_some_and(|&b| b < e) {
                sentences.push(start..e);
                start = e;
            }
        }
    }
    if start < tokens.len() {
        sentences.push(start..tokens.len());
    }
    // A sentence end inside the loop above may have run past a later start.
    let merged = &mut out.sentences;
    merged.clear();
    for s in sentences {
        match merged.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ if s.is_empty() => {}
            _ => merged.push(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text).tokens.iter().map(|t| t.text(text)).collect()
    }

    #[test]
    fn news_text() {
        assert_eq!(
            words("Germany's U.S. envoy didn't say, Reuters' man said."),
            ["Germany", "'s", "U.S.", "envoy", "did", "n't", "say", ",", "Reuters", "'", "man", "said", "."]
        );
        assert_eq!(words("a New York-based firm"), ["a", "New", "York", "-", "based", "firm"]);
        assert_eq!(words("O'Neill paid $1,000.50 to AT&T."), ["O'Neill", "paid", "$", "1,000.50", "to", "AT&T", "."]);
        assert_eq!(words("Mr. Smith -- \"no\"..."), ["Mr.", "Smith", "--", "\"", "no", "\"", "..."]);
        assert_eq!(words("in the U.S."), ["in", "the", "U.S."]);
    }

    #[test]
    fn pretokenised_text() {
        assert_eq!(words("Germany 's envoy do n't say U.S. ."), ["Germany", "'s", "envoy", "do", "n't", "say", "U.S.", "."]);
    }

    #[test]
    fn telugu_initials_keep_their_period() {
        let t = "కే. వి. మోహన్ కుమార్ రాసిన నవల. ఎస్. వెంకటేశ్వర్ అన్నారు.";
        assert_eq!(words(t), ["కే.", "వి.", "మోహన్", "కుమార్", "రాసిన", "నవల", ".", "ఎస్.", "వెంకటేశ్వర్", "అన్నారు", "."]);
        assert_eq!(tokenize(t).sentences, [0..7, 7..11]);
    }

    #[test]
    fn telugu_and_emoji_keep_clusters() {
        let t = "మోదీ హైదరాబాద్‌లో 👩‍👩‍👧 ప్రసంగించారు.";
        assert_eq!(words(t), ["మోదీ", "హైదరాబాద్‌లో", "👩‍👩‍👧", "ప్రసంగించారు", "."]);
    }

    #[test]
    fn sentences_split_at_lines_and_final_punctuation() {
        let t = "He left. She stayed in the U.S. on Monday.\nNew line here";
        let toks = tokenize(t);
        let sents: Vec<String> = toks
            .sentences
            .iter()
            .map(|r| toks.tokens[r.clone()].iter().map(|x| x.text(t)).collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(sents, ["He left .", "She stayed in the U.S. on Monday .", "New line here"]);
    }
}
