//! The language data of the recogniser: word lists and token patterns, read
//! from small text files compiled into the binary (`data/*.txt`). A grammar
//! is the common layer plus one language's file; the engine is the same for
//! every language.
//!
//! The format, one statement a line (`#` starts a comment):
//!
//! ```text
//! month 3: ^March, mar.          # a word list: class, value, words
//! rule month-day DATE: MONTH DAY # a pattern of typed slots and literals
//!   e.g. March 11 => DATE 2025-03-11
//! ```
//!
//! Words: lower case; `^` = must be written with a capital (May, not may);
//! a final `.` = an abbreviation that takes a following full stop along.
//! Several words make a phrase (only for `premod`). `word:` lists known words
//! with no class (so that "In 1990" is not read as a name before a number).
//! `tense past|future:` lists the cues that give a sentence its tense;
//! `tense aux|yields|defers|report|future-after-aux|sets-ahead|future-after-present-aux|future-before-infinitive|infinitive|perfect|schedules|bare-after|coordinates:`
//! how some of them read with their neighbours (see `WordEntry`).
//! `ranges: joined` makes a range one expression (default `split`: two).
//! `sport:` lists words of a sports report, for the flag `not-in-sport`.
//! `stamp:` lists the labels of a page's date stamp ("Updated: March 11,
//! 2025"), which may stand before a dateline's date.
//! `link date-time:` lists the words that may join a date and a clock time
//! of that day ("March 5 at 3 p.m.").
//! `weekday-stem N:` lists the short forms of a weekday that name it only
//! where a rule says so (the WEEKDAYSTEM slot: "శని, ఆదివారాల్లో").
//! `measure:` lists units of measure, money and people (the MEASURE slot:
//! a number before one is a count, no year). `number 2+half:` and `fused
//! 1Y+half:` are a count and a half ("రెండున్నర", "ఏడాదిన్నర").
//!
//! Pattern elements: `CLASS` (a typed slot: MONTH, DAY, YEAR, NUM ...),
//! `CLASS:field` (the slot's value goes to another field: `ORD:quarter`),
//! `NUM:rest-amount UNIT:rest-unit` (a further part of a duration, "three
//! hours [and nine minutes]": the match stands only when the units get
//! smaller), `CLASS=value` (only that value: `UNIT=Q`), a literal word or punctuation
//! (`the`, `,`; `^election` only when written with a capital), alternatives
//! `to|through` (of one token each), `?` after an element for
//! optional, `~` between elements for "no space between" (`YEAR~-~NUM`), and
//! `{to|-}` for a range connective: the rule then yields two expressions, the
//! second inheriting what the first said; `<ended|ending>` for context that
//! must be there but stays outside the span (at either end; after the span it
//! is left free for other rules, "Friday" in "10:35 a.m. (0735 GMT) Friday",
//! "two weeks" after the BLOCK "will last <NUM>"); `!ago|later`
//! for what must not follow; `HOUR+` for a number with a case ending
//! ("11.30కు"), `DAY+న` with that one ending only ("12న"); `*` for any
//! word outside the word lists (the counted noun of "four flights a week",
//! never "after" or "the"). A rule of type BLOCK marks
//! what is not an expression (a rate, "$500 million a year") and keeps other
//! rules off it. After `=>`, fixed actions that set
//! fields (`rel=-1, unit=Q`; `easter=-2` for a feast dated from Easter,
//! `era=-1` before Christ), and flags: `not-after-name`, `not-before-name`
//! (not next to a capitalised unknown word), `not-after-number` (not right
//! after a number: "482 1003"), `fiscal-year` ("2021-22" one year),
//! `not-in-sport` (not in a sentence with a `sport:` word).
//!
//! Every rule carries at least one example (`e.g.` lines under it) with the
//! type and value expected against the reference date 2025-03-11; square
//! brackets mark the expected span when the example has context around it
//! (for a BLOCK, the part that must yield nothing).
//! A unit test runs all examples through the engine.
//!
//! Cost: a rule is tried at every token that can start it, its optional
//! leading elements included. A rule that opens with an optional "a" or
//! "the" is tried at almost every sentence; start it at a word that must be
//! there ("a|one fortnight", not "a? fortnight").

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::said::{Modifier, PartOfDay, RefKind, Season, Tense, TimexType, Unit};
use crate::error::Error;

/// A small fast hash for the short keys of the word lists and the rule
/// index (word lookups happen once per token).
#[derive(Clone, Copy, Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Little-endian 8-byte words, the last one zero-padded.
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

pub const COMMON: &str = include_str!("data/common.txt");

/// The per-language files compiled in.
pub fn language_data(lang: &str) -> Option<&'static str> {
    match lang {
        "en" => Some(include_str!("data/en.txt")),
        "te" => Some(include_str!("data/te.txt")),
        _ => None,
    }
}

/// Token classes: the word-list classes, and those the engine derives from
/// digits (DAY, YEAR, HOUR, MIN, DECADE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Month,
    Weekday,
    /// Plural weekdays ("Mondays"): a recurrence.
    Weekdays,
    /// The short form of a weekday that names it only before a second
    /// weekday ("శని, ఆదివారాల్లో", on Saturday and Sunday): alone it is
    /// an ordinary word (శని, Saturn; గురు, teacher).
    WeekdayStem,
    Num,
    Ord,
    Day,
    Year,
    Hour,
    Min,
    Decade,
    Unit,
    /// Plural units only ("years", not "year").
    Units,
    /// Singular units only ("30-day", not "three-quarters").
    Unit1,
    Season,
    Part,
    Rel,
    DayRel,
    Ref,
    Mod,
    Dir,
    Set,
    Vague,
    AmPm,
    Tz,
    That,
    Clock,
    Multiplier,
    Premod,
    Postposition,
    /// A count and its unit in one word ("రెండేళ్ల"): fills amount and unit.
    Fused,
    /// A unit of measure, money or people ("metres", "crore", "మంది"): a
    /// number before it counts them and is no year.
    Measure,
    /// Any number, or a word that counts ("million", "%", "times").
    Quantity,
}

// Every class has a bit in a `u64` mask.
const _: () = assert!(Class::COUNT <= 64);

impl Class {
    /// How many classes there are (for tables indexed by class).
    pub const COUNT: usize = Class::Quantity as usize + 1;

    /// This class's bit in a class mask (there are at most 64 classes).
    #[inline]
    pub fn bit(self) -> u64 {
        1 << self as u32
    }

    /// All classes, in order (for walking the bits of a mask).
    pub const ALL: [Class; Class::COUNT] = {
        use Class::*;
        [Month, Weekday, Weekdays, WeekdayStem, Num, Ord, Day, Year, Hour, Min, Decade, Unit, Units, Unit1, Season, Part, Rel, DayRel, Ref, Mod, Dir, Set, Vague, AmPm, Tz, That, Clock, Multiplier, Premod, Postposition, Fused, Measure, Quantity]
    };

    pub fn parse(s: &str) -> Option<Class> {
        use Class::*;
        Some(match s {
            "MONTH" => Month,
            "WEEKDAY" => Weekday,
            "WEEKDAYS" => Weekdays,
            "WEEKDAYSTEM" => WeekdayStem,
            "NUM" => Num,
            "ORD" => Ord,
            "DAY" => Day,
            "YEAR" => Year,
            "HOUR" => Hour,
            "MIN" => Min,
            "DECADE" => Decade,
            "UNIT" => Unit,
            "UNITS" => Units,
            "UNIT1" => Unit1,
            "SEASON" => Season,
            "PART" => Part,
            "REL" => Rel,
            "DAYREL" => DayRel,
            "REF" => Ref,
            "MOD" => Mod,
            "DIR" => Dir,
            "SET" => Set,
            "VAGUE" => Vague,
            "AMPM" => AmPm,
            "TZ" => Tz,
            "THAT" => That,
            "CLOCK" => Clock,
            "MULTIPLIER" => Multiplier,
            "PREMOD" => Premod,
            "POSTPOSITION" => Postposition,
            "FUSED" => Fused,
            "MEASURE" => Measure,
            "QUANTITY" => Quantity,
            _ => return None,
        })
    }

    /// The field a slot of this class fills unless the rule says otherwise.
    pub fn default_field(self) -> Field {
        use Class::*;
        match self {
            Month => Field::Month,
            Weekday | Weekdays | WeekdayStem => Field::Weekday,
            Num => Field::Amount,
            Ord => Field::Ordinal,
            Day => Field::Day,
            Year => Field::Year,
            Hour => Field::Hour,
            Min => Field::Minute,
            Decade => Field::Decade,
            Unit | Units | Unit1 => Field::Unit,
            Season => Field::Season,
            Part => Field::Part,
            Rel => Field::Rel,
            DayRel => Field::DayRel,
            Ref => Field::Ref,
            Mod | Premod => Field::Mod,
            Dir => Field::Dir,
            Set => Field::Set,
            Vague => Field::Amount,
            AmPm => Field::Pm,
            That => Field::That,
            Clock => Field::Clock,
            Fused => Field::Amount,
            Tz | Multiplier | Postposition | Measure | Quantity => Field::None,
        }
    }
}

impl Val {
    fn unit(self) -> Option<Unit> {
        match self {
            Val::Unit(u, _) => Some(u),
            _ => None,
        }
    }
}

/// A typed value carried by a token of some class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    Int(i64),
    Unit(Unit, bool),
    Season(Season),
    Part(PartOfDay),
    Ref(RefKind),
    Mod(Modifier),
    Pm(bool),
    Clock(u8, u8),
    /// A decimal number: its digits and how many follow the point (1.5 =
    /// 15, 1); only an amount ("1.5 hours").
    Decimal(i64, u8),
    /// A count and a half ("రెండున్నర", two and a half): "two and a half
    /// hours" is PT2H30M, as in English, not PT2.5H.
    AndHalf(i64),
    /// A count and unit in one word (Telugu "రెండేళ్ల", two years); a
    /// negative count is a vague one ("కొన్నేళ్ల", some years); true when a
    /// half is added ("ఏడాదిన్నర", a year and a half).
    Fused(i64, Unit, bool),
    Flag,
}

/// The fields of [`super::said::Said`] a slot or an action can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Year,
    Month,
    Day,
    Weekday,
    Season,
    Quarter,
    Half,
    Decade,
    Century,
    Hour,
    Minute,
    Pm,
    Clock,
    Part,
    Amount,
    Unit,
    Rel,
    Dir,
    DayRel,
    Ref,
    Mod,
    Set,
    That,
    Ordinal,
    /// Days from Easter Sunday (Good Friday = -2): a movable feast.
    Easter,
    /// The era said: -1 before Christ ("300 BC"), 1 after ("AD 78").
    Era,
    Gran,
    /// "and a half", "1/2": half a unit more.
    PlusHalf,
    /// A further part of a duration: the nine minutes of "three hours and
    /// nine minutes".
    RestAmount,
    RestUnit,
    None,
}

impl Field {
    pub fn parse(s: &str) -> Option<Field> {
        use Field::*;
        Some(match s {
            "year" => Year,
            "month" => Month,
            "day" => Day,
            "weekday" => Weekday,
            "season" => Season,
            "quarter" => Quarter,
            "half" => Half,
            "decade" => Decade,
            "century" => Century,
            "hour" => Hour,
            "minute" => Minute,
            "pm" => Pm,
            "part" => Part,
            "amount" => Amount,
            "unit" => Unit,
            "rel" => Rel,
            "dir" => Dir,
            "dayrel" => DayRel,
            "ref" => Ref,
            "mod" => Mod,
            "set" => Set,
            "that" => That,
            "ordinal" => Ordinal,
            "easter" => Easter,
            "era" => Era,
            "gran" => Gran,
            "plushalf" => PlusHalf,
            "rest-amount" => RestAmount,
            "rest-unit" => RestUnit,
            "none" => None,
            _ => return Option::None,
        })
    }
}

/// What a suffix attached to a number or word does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuffixKind {
    /// "11th", "20వ": the number is an ordinal.
    Ordinal,
    /// "1990s", "1980ల": a decade when the number ends in 0.
    Plural,
    /// "2015లో", "జనవరిలో": a case ending; part of the token, no meaning here.
    Case,
}

/// A class value that a word carries; `caps` = only when capitalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sense {
    pub class: Class,
    pub val: Val,
    pub caps: bool,
}

#[derive(Clone, Debug, Default)]
pub struct WordEntry {
    pub senses: Vec<Sense>,
    /// Takes a following "." along ("Feb.").
    pub abbr: bool,
    pub tense: Tense,
    /// An auxiliary ("was", "were"): its verb group is read by the cue after
    /// it ("were planning" looks ahead).
    pub aux: bool,
    /// A future cue that yields to a past verb right before it: "ran until
    /// Monday" is past, "will run until Monday" future.
    pub yields: bool,
    /// A past verb that keeps a following "until" in the future: "postponed
    /// until Tuesday".
    pub defers: bool,
    /// A verb of reporting ("said"): its tense is the expression's only when
    /// it stands right by it ("said Thursday") or no other cue is near; a
    /// quote's own verb wins ("'We will leave Thursday,' he said").
    pub report: bool,
    /// A word that points ahead only after an auxiliary: "is set for
    /// Saturday" (but "set a record on Friday").
    pub ahead_after_aux: bool,
    /// After such a word, makes it point ahead without an auxiliary too:
    /// "for" in "his sentencing, currently set for June 9".
    pub sets_ahead: bool,
    /// A conjunction after the expression beyond which a cue is another
    /// clause's, only a fallback: "left shortly after midnight Wednesday
    /// and was expected ... by noon Friday".
    pub coordinates: bool,
    /// The same, only after an auxiliary with no tense of its own: "is to
    /// be held" is ahead, "was to write" and "have been to" are not.
    pub ahead_after_present_aux: bool,
    /// A verb of intent that points ahead before an infinitive: "vowed to
    /// march on the weekend" (but "vowed on Monday" is past).
    pub ahead_before_infinitive: bool,
    /// The mark of an infinitive ("to").
    pub infinitive: bool,
    /// The auxiliary of the past perfect ("had"): a plan told with it was
    /// for a day now past ("had been scheduled to expire Friday").
    pub perfect: bool,
    /// A present copula that schedules a day or month right after it,
    /// perhaps across a preposition: "the vote is Tuesday", "the hearing
    /// is on Monday".
    pub schedules: bool,
    /// May stand between a date and a clock time of that day ("March 5 at
    /// 3 p.m."): `link date-time:`.
    pub links_date_time: bool,
    /// A past form right after it is a participle or a bare verb and says
    /// nothing of time: "be held", "to last", "will cut".
    pub bare_after: bool,
    /// A word of a sports report ("scored", "striker"): in its sentence
    /// "the second half" is the match's, not the year's (`sport:`).
    pub sport: bool,
    /// A label of a web page's date stamp ("Published", "Updated"): before
    /// a complete date near the top it makes that the document's date
    /// (`stamp:`).
    pub stamp: bool,
}

#[derive(Clone, Debug)]
pub enum Matcher {
    /// One of these word ids (literals, punctuation).
    Words(Vec<u32>),
    /// A token of one of these classes (with that value only, when given).
    Classes(Vec<(Class, Option<Val>)>),
    /// Any word (`*`).
    AnyWord,
}

#[derive(Clone, Debug)]
pub struct Elem {
    pub matcher: Matcher,
    pub optional: bool,
    /// Must follow the previous element with no space between.
    pub glued: bool,
    /// Where the slot's value goes; None = the matched class's default.
    pub field: Option<Field>,
    /// A range connective: ends the first expression, starts the second.
    pub separator: bool,
    /// Context: must match, but stays outside the span (`<ended|ending>`).
    pub context: bool,
    /// Must not match here (`!ago|earlier`); takes no token.
    pub negative: bool,
    /// The classes a `Classes` matcher accepts, one bit each (a quick test
    /// against a token's [`class_mask`] before its senses are read).
    pub mask: u64,
    /// Literals that must be written with a capital (`^election`).
    pub caps: bool,
    /// Only a number with a case ending (`HOUR+`: "11.30కు", at 11.30).
    pub cased: bool,
    /// With `cased`, the word id of the one ending allowed (`DAY+న`: "12న",
    /// on the 12th); `u32::MAX` for any.
    pub ending: u32,
}

#[derive(Clone, Debug)]
pub struct Example {
    /// The whole input, brackets removed.
    pub text: String,
    /// Byte range of the expected span(s) in `text`.
    pub span: (usize, usize),
    /// Expected (type, value) of each expression, in order.
    pub expect: Vec<(TimexType, String)>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub kind: TimexType,
    /// A blocking rule (type BLOCK): what it matches is no expression, and
    /// no other rule may take it ("$500 million a year" is a rate).
    pub block: bool,
    pub elems: Vec<Elem>,
    pub actions: Vec<(Field, Val)>,
    /// The rule's `e.g.` lines as written (`text with [span] => TYPE
    /// value`), read by [`parse_example`] only when the examples are run:
    /// reading them cost each page load more than the rest of the grammar.
    pub examples: Vec<String>,
    /// Refuse the match after a capitalised word that is not in the word
    /// lists ("Pay ABC 2000", "Windows 2000").
    pub not_after_name: bool,
    /// Refuse the match before a capitalised unknown word ("Jan Kavan").
    pub not_before_name: bool,
    /// Refuse the match right after a number (a phone number's "482 1003",
    /// a table's row "21 15 1 5 2123 1631").
    pub not_after_number: bool,
    /// A range of a year and the next written with two digits ("2021-22")
    /// is one fiscal or season year, named by its end year (as "FY22").
    pub fiscal_year: bool,
    /// Refuse the match in a sentence with a word of a sports report
    /// ("scored early in the second half").
    pub not_in_sport: bool,
    /// A duration said in several units (a `rest-unit` slot): it stands
    /// only when each unit is smaller than the one before ("three hours and
    /// nine minutes").
    pub in_parts: bool,
    /// The line in the data file, for messages.
    pub line: usize,
}

/// A language's grammar: its lexicon and rules over the common layer.
#[derive(Clone, Debug)]
pub struct Grammar {
    pub lang: String,
    pub ids: FastMap<String, u32>,
    pub entries: Vec<WordEntry>,
    pub rules: Vec<Rule>,
    /// Attached suffixes, longest first.
    pub suffixes: Vec<(String, SuffixKind)>,
    /// The case endings among them, longest first (split off words).
    pub case_suffixes: Vec<String>,
    /// Multi-word pre-modifiers ("at least"), as word-id sequences.
    pub premod_phrases: Vec<(Vec<u32>, Modifier)>,
    /// Verb endings that signal a tense, longest first.
    pub tense_suffixes: Vec<(String, Tense)>,
    /// A range is one expression ("2014 నుంచి 2021 వరకు", as IL-NER marks
    /// it), valued as an ISO 8601 interval ("2014/2021"); else two, as
    /// TimeBank marks them (`ranges: joined` or `split`, the default).
    pub joined_ranges: bool,
}

fn bad(name: &str, line: usize, msg: impl std::fmt::Display) -> Error {
    Error::BadLanguageData(format!("{name}:{line}: {msg}"))
}

/// The classes of a list of senses, one bit each.
pub fn class_mask(senses: &[(Class, Val)]) -> u64 {
    senses.iter().fold(0, |m, (c, _)| m | c.bit())
}

/// Whether [`fold`] would change `word`: an upper-case letter, a curly
/// apostrophe, or a character outside ASCII and the Indic blocks (whose
/// case rules are not worth deciding here).
#[inline]
pub fn needs_fold(word: &str) -> bool {
    let b = word.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            x if x < 0x80 => {
                if x.is_ascii_uppercase() {
                    return true;
                }
                i += 1;
            }
            // U+0900..U+0DFF: E0 A4..B7 xx.
            0xE0 if (0xA4..=0xB7).contains(&b[i + 1]) => i += 3,
            // U+200C, U+200D: E2 80 8C|8D.
            0xE2 if b[i + 1] == 0x80 && matches!(b[i + 2], 0x8C | 0x8D) => i += 3,
            _ => return true,
        }
    }
    false
}

/// Lower-cases a word the way the tokeniser does (curly apostrophe folded).
pub fn fold(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        for c in word.chars() {
            match c {
                '\u{2019}' => out.push('\''),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
}

impl Grammar {
    /// The common layer plus `lang`'s file.
    pub fn load(lang: &str) -> Result<Grammar, Error> {
        let data = language_data(lang).ok_or_else(|| Error::UnknownLanguage(lang.to_string()))?;
        Grammar::from_sources(lang, &[("common.txt", COMMON), (&format!("{lang}.txt"), data)])
    }

    pub fn from_sources(lang: &str, sources: &[(&str, &str)]) -> Result<Grammar, Error> {
        let mut g = Grammar {
            lang: lang.to_string(),
            ids: FastMap::default(),
            entries: Vec::new(),
            rules: Vec::new(),
            suffixes: Vec::new(),
            case_suffixes: Vec::new(),
            premod_phrases: Vec::new(),
            tense_suffixes: Vec::new(),
            joined_ranges: false,
        };
        for (name, text) in sources {
            g.parse(name, text)?;
        }
        g.suffixes.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        g.case_suffixes = g.suffixes.iter().filter(|(_, k)| *k == SuffixKind::Case).map(|(s, _)| s.clone()).collect();
        g.tense_suffixes.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        g.premod_phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Ok(g)
    }

    pub fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.entries.len() as u32;
        self.ids.insert(word.to_string(), id);
        self.entries.push(WordEntry::default());
        id
    }

    fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let mut fold_buf = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = match raw.find(" #") {
                Some(i) => &raw[..i],
                None if raw.trim_start().starts_with('#') => "",
                None => raw,
            };
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(ex) = trimmed.strip_prefix("e.g. ") {
                let rule = self.rules.last_mut().ok_or_else(|| bad(name, line_no, "an example before any rule"))?;
                rule.examples.push(ex.to_string());
                continue;
            }
            let (head, body) = trimmed.split_once(": ").or_else(|| trimmed.strip_suffix(':').map(|h| (h, ""))).ok_or_else(|| bad(name, line_no, "expected `class value: words` or `rule id TYPE: pattern`"))?;
            let head: Vec<&str> = head.split_whitespace().collect();
            if head.first() == Some(&"rule") {
                if let Some(prev) = self.rules.last() {
                    if prev.examples.is_empty() {
                        return Err(bad(name, prev.line, format!("rule {} has no example", prev.id)));
                    }
                }
                let rule = self.parse_rule(&head, body, line_no).map_err(|m| bad(name, line_no, m))?;
                // A rule's id is what a span's source shows: it must say which rule.
                if self.rules.iter().any(|r| r.id == rule.id) {
                    return Err(bad(name, line_no, format!("a second rule named {}", rule.id)));
                }
                self.rules.push(rule);
                continue;
            }
            let class = head[0];
            let value = head.get(1).copied().unwrap_or("");
            for item in body.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                self.add_word(class, value, item, &mut fold_buf).map_err(|m| bad(name, line_no, m))?;
            }
        }
        if let Some(prev) = self.rules.last() {
            if prev.examples.is_empty() {
                return Err(bad(name, prev.line, format!("rule {} has no example", prev.id)));
            }
        }
        Ok(())
    }

    fn add_word(&mut self, class: &str, value: &str, item: &str, buf: &mut String) -> Result<(), String> {
        let caps = item.starts_with('^');
        let item = item.trim_start_matches('^');
        let abbr = item.len() > 1 && item.ends_with('.') && !item.contains(' ');
        let word = if abbr { &item[..item.len() - 1] } else { item };
        fold(word, buf);
        let word = buf.clone();
        match class {
            "suffix" => {
                let kind = match value {
                    "ordinal" => SuffixKind::Ordinal,
                    "plural" => SuffixKind::Plural,
                    "case" => SuffixKind::Case,
                    v => return Err(format!("unknown suffix kind {v:?}")),
                };
                self.suffixes.push((word, kind));
                return Ok(());
            }
            "ranges" => {
                self.joined_ranges = match word.as_str() {
                    "joined" => true,
                    "split" => false,
                    w => return Err(format!("ranges are joined or split, not {w:?}")),
                };
                return Ok(());
            }
            "tense-suffix" => {
                self.tense_suffixes.push((word, parse_tense(value)?));
                return Ok(());
            }
            "word" => {
                // Known words with no class: not taken for parts of a name;
                // "jr." takes its full stop along, so that it ends no sentence.
                let id = self.id(&word);
                self.entries[id as usize].abbr |= abbr;
                return Ok(());
            }
            "tense" if matches!(value, "aux" | "yields" | "defers" | "report" | "future-after-aux" | "sets-ahead" | "future-after-present-aux" | "future-before-infinitive" | "infinitive" | "perfect" | "schedules" | "bare-after" | "coordinates") => {
                let id = self.id(&word);
                let e = &mut self.entries[id as usize];
                match value {
                    "aux" => e.aux = true,
                    "yields" => e.yields = true,
                    "report" => e.report = true,
                    "future-after-aux" => e.ahead_after_aux = true,
                    "sets-ahead" => e.sets_ahead = true,
                    "coordinates" => e.coordinates = true,
                    "future-after-present-aux" => e.ahead_after_present_aux = true,
                    "future-before-infinitive" => e.ahead_before_infinitive = true,
                    "infinitive" => e.infinitive = true,
                    "perfect" => e.perfect = true,
                    "schedules" => e.schedules = true,
                    "bare-after" => e.bare_after = true,
                    _ => e.defers = true,
                }
                return Ok(());
            }
            "sport" => {
                let id = self.id(&word);
                self.entries[id as usize].sport = true;
                return Ok(());
            }
            "stamp" => {
                let id = self.id(&word);
                self.entries[id as usize].stamp = true;
                return Ok(());
            }
            "link" if value == "date-time" => {
                let id = self.id(&word);
                self.entries[id as usize].links_date_time = true;
                return Ok(());
            }
            "tense" => {
                let t = parse_tense(value)?;
                let id = self.id(&word);
                self.entries[id as usize].tense = t;
                return Ok(());
            }
            _ => {}
        }
        let (cls, val) = class_value(class, value)?;
        if word.contains(' ') {
            if cls != Class::Premod {
                return Err(format!("{word:?}: only premod entries may be phrases"));
            }
            let ids: Vec<u32> = word.split(' ').map(|w| self.id(w)).collect();
            let Val::Mod(m) = val else { unreachable!() };
            self.premod_phrases.push((ids, m));
            return Ok(());
        }
        let id = self.id(&word);
        let e = &mut self.entries[id as usize];
        e.abbr |= abbr;
        e.senses.push(Sense { class: cls, val, caps });
        Ok(())
    }

    fn parse_rule(&mut self, head: &[&str], body: &str, line: usize) -> Result<Rule, String> {
        if head.len() != 3 {
            return Err("expected `rule <id> <TYPE>: <pattern>`".into());
        }
        let block = head[2] == "BLOCK";
        let kind = if block { TimexType::Date } else { TimexType::parse(head[2]).ok_or_else(|| format!("unknown type {:?}", head[2]))? };
        let (pattern, actions) = match body.split_once("=>") {
            Some((p, a)) => (p, a),
            None => (body, ""),
        };
        let mut elems = Vec::new();
        let mut buf = String::new();
        for word in pattern.split_whitespace() {
            for (k, part) in word.split('~').enumerate() {
                if part.is_empty() {
                    // A literal "~" is not supported; "-~" etc. split fine.
                    return Err(format!("empty element in {word:?}"));
                }
                let mut elem = self.parse_elem(part, &mut buf)?;
                elem.glued = k > 0;
                elems.push(elem);
            }
        }
        if elems.is_empty() || elems.iter().all(|e| e.optional) {
            return Err("a pattern needs a required element".into());
        }
        let mut acts = Vec::new();
        let (mut not_after_name, mut not_before_name, mut not_after_number, mut fiscal_year, mut not_in_sport) = (false, false, false, false, false);
        for a in actions.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            if a == "not-after-name" {
                not_after_name = true;
                continue;
            }
            if a == "not-before-name" {
                not_before_name = true;
                continue;
            }
            if a == "not-after-number" {
                not_after_number = true;
                continue;
            }
            if a == "fiscal-year" {
                fiscal_year = true;
                continue;
            }
            if a == "not-in-sport" {
                not_in_sport = true;
                continue;
            }
            let (f, v) = a.split_once('=').unwrap_or((a, ""));
            let field = Field::parse(f).ok_or_else(|| format!("unknown field {f:?}"))?;
            acts.push((field, action_value(field, v)?));
        }
        let in_parts = elems.iter().any(|e| e.field == Some(Field::RestUnit));
        Ok(Rule { id: head[1].to_string(), kind, block, elems, actions: acts, examples: Vec::new(), not_after_name, not_before_name, not_after_number, fiscal_year, not_in_sport, in_parts, line })
    }

    fn parse_elem(&mut self, part: &str, buf: &mut String) -> Result<Elem, String> {
        let (part, optional) = match part.strip_suffix('?') {
            Some(p) if !p.is_empty() => (p, true),
            _ => (part, false),
        };
        let (part, separator) = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(p) => (p, true),
            None => (part, false),
        };
        let (part, context) = match part.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
            Some(p) => (p, true),
            None => (part, false),
        };
        let (part, negative) = match part.strip_prefix('!') {
            Some(p) if !p.is_empty() => (p, true),
            _ => (part, false),
        };
        if part == "*" {
            return Ok(Elem { matcher: Matcher::AnyWord, optional, glued: false, field: Some(Field::None), separator, context, negative, mask: 0, caps: false, cased: false, ending: u32::MAX });
        }
        let first = part.chars().next().unwrap_or(' ');
        if first.is_ascii_uppercase() {
            let (part, cased, ending) = match part.split_once('+') {
                Some((p, "")) => (p, true, u32::MAX),
                Some((_, e)) if e.contains('|') => return Err(format!("{part:?}: one case ending after +")),
                Some((p, e)) => {
                    fold(e, buf);
                    let w = buf.clone();
                    (p, true, self.id(&w))
                }
                None => (part, false, u32::MAX),
            };
            let (alts, field) = match part.split_once(':') {
                Some((c, f)) => (c, Some(Field::parse(f).ok_or_else(|| format!("unknown field {f:?}"))?)),
                None => (part, None),
            };
            // "WEEKDAY|DAYREL", "UNIT=Y|M|W" (values after the first belong to its class).
            let mut classes: Vec<(Class, Option<Val>)> = Vec::new();
            let mut current: Option<Class> = None;
            for a in alts.split('|') {
                let (name, value) = match a.split_once('=') {
                    Some((c, v)) => (c, Some(v)),
                    None => (a, None),
                };
                // A value of the class before wins over a class of the same
                // name: in "UNITS=H|MIN", MIN is minutes, not the class MIN.
                let value_of_current = |c: Class| value.is_none() && matches!(c, Class::Unit | Class::Units | Class::Unit1) && Unit::parse(name).is_some();
                let (class, value) = match (Class::parse(name), value, current) {
                    (_, None, Some(c)) if value_of_current(c) => (c, Some(name)),
                    (Some(c), v, _) => (c, v),
                    (None, None, Some(c)) => (c, Some(name)),
                    _ => return Err(format!("unknown class {name:?}")),
                };
                current = Some(class);
                let constraint = match value {
                    Some(v) => {
                        let list = if matches!(class, Class::Units | Class::Unit1) { "unit".to_string() } else { format!("{class:?}").to_ascii_lowercase() };
                        Some(match class_value(&list, v)?.1 {
                            // A unit constraint ignores number (year / years).
                            Val::Unit(u, _) => Val::Unit(u, false),
                            x => x,
                        })
                    }
                    None => None,
                };
                classes.push((class, constraint));
            }
            let mask = classes.iter().fold(0, |m, (c, _)| m | c.bit());
            Ok(Elem { matcher: Matcher::Classes(classes), optional, glued: false, field, separator, context, negative, mask, caps: false, cased, ending })
        } else {
            // `^election`: only when written with a capital; all or none of
            // the alternatives say so.
            let caps = part.starts_with('^');
            if part.split('|').any(|w| w.starts_with('^') != caps) {
                return Err(format!("{part:?}: mark every alternative with ^ or none"));
            }
            let ids = part
                .split('|')
                .map(|w| {
                    fold(w.trim_start_matches('^'), buf);
                    let w = buf.clone();
                    self.id(&w)
                })
                .collect();
            Ok(Elem { matcher: Matcher::Words(ids), optional, glued: false, field: Some(Field::None), separator, context, negative, mask: 0, caps, cased: false, ending: u32::MAX })
        }
    }
}

fn parse_tense(v: &str) -> Result<Tense, String> {
    match v {
        "past" => Ok(Tense::Past),
        "future" => Ok(Tense::Future),
        v => Err(format!("unknown tense {v:?}")),
    }
}

fn int(v: &str) -> Result<i64, String> {
    v.trim_start_matches('+').parse::<i64>().map_err(|_| format!("expected a number, got {v:?}"))
}

/// The class and typed value of a word-list line `class value:`.
fn class_value(class: &str, value: &str) -> Result<(Class, Val), String> {
    let need = |o: Option<Val>| o.ok_or_else(|| format!("bad value {value:?} for {class}"));
    Ok(match class {
        "month" | "weekday" | "weekdays" | "weekday-stem" | "number" | "num" | "ordinal" | "ord" | "rel" | "dayrel" | "dir" | "multiplier" | "day" | "year" | "decade" => {
            let cls = match class {
                "month" => Class::Month,
                "weekday" => Class::Weekday,
                "weekdays" => Class::Weekdays,
                "weekday-stem" => Class::WeekdayStem,
                "number" | "num" => Class::Num,
                "ordinal" | "ord" => Class::Ord,
                "rel" => Class::Rel,
                "dayrel" => Class::DayRel,
                "dir" => Class::Dir,
                "day" => Class::Day,
                "year" => Class::Year,
                "decade" => Class::Decade,
                _ => Class::Multiplier,
            };
            // `number 2+half:` two and a half.
            match value.strip_suffix("+half") {
                Some(n) if cls == Class::Num => (cls, Val::AndHalf(int(n)?)),
                _ => (cls, Val::Int(int(value)?)),
            }
        }
        "unit" => (Class::Unit, need(Unit::parse(value).map(|u| Val::Unit(u, false)))?),
        "units" => (Class::Unit, need(Unit::parse(value).map(|u| Val::Unit(u, true)))?),
        "season" => (Class::Season, need(Season::parse(value).map(Val::Season))?),
        "part" => (Class::Part, need(PartOfDay::parse(value).map(Val::Part))?),
        "ref" => (Class::Ref, need(RefKind::parse(value).map(Val::Ref))?),
        "mod" => (Class::Mod, need(Modifier::parse(value).map(Val::Mod))?),
        "premod" => (Class::Premod, need(Modifier::parse(value).map(Val::Mod))?),
        "ampm" => (Class::AmPm, Val::Pm(match value {
            "am" => false,
            "pm" => true,
            _ => return Err(format!("ampm is am or pm, not {value:?}")),
        })),
        "clock" => {
            let (h, m) = value.split_once(':').ok_or("clock value is HH:MM")?;
            (Class::Clock, Val::Clock(int(h)? as u8, int(m)? as u8))
        }
        "fused" => {
            // `fused 2Y:` two years; `fused XY:` some years; `fused 1Y+half:`
            // a year and a half.
            let (value, half) = match value.strip_suffix("+half") {
                Some(v) => (v, true),
                None => (value, false),
            };
            let split = value.find(|c: char| c.is_ascii_uppercase() && c != 'X').ok_or_else(|| format!("fused value is <count><unit>, not {value:?}"))?;
            let (n, u) = value.split_at(split);
            let n = if n == "X" { -1 } else { int(n)? };
            (Class::Fused, Val::Fused(n, need(Unit::parse(u).map(|u| Val::Unit(u, false)))?.unit().unwrap_or(Unit::Year), half))
        }
        "set" | "vague" | "tz" | "that" | "postposition" | "measure" | "quantity" => {
            let cls = match class {
                "set" => Class::Set,
                "vague" => Class::Vague,
                "tz" => Class::Tz,
                "that" => Class::That,
                "quantity" => Class::Quantity,
                "measure" => Class::Measure,
                _ => Class::Postposition,
            };
            (cls, Val::Flag)
        }
        other => return Err(format!("unknown word class {other:?}")),
    })
}

fn action_value(field: Field, v: &str) -> Result<Val, String> {
    Ok(match field {
        Field::Unit | Field::Gran => Val::Unit(Unit::parse(v).ok_or_else(|| format!("unknown unit {v:?}"))?, false),
        Field::Season => Val::Season(Season::parse(v).ok_or_else(|| format!("unknown season {v:?}"))?),
        Field::Part => Val::Part(PartOfDay::parse(v).ok_or_else(|| format!("unknown part of day {v:?}"))?),
        Field::Ref => Val::Ref(RefKind::parse(v).ok_or_else(|| format!("unknown reference {v:?}"))?),
        Field::Mod => Val::Mod(Modifier::parse(v).ok_or_else(|| format!("unknown modifier {v:?}"))?),
        Field::Set | Field::That | Field::PlusHalf => Val::Flag,
        Field::Amount if v == "X" => Val::Flag,
        _ => Val::Int(int(v)?),
    })
}

/// `text with [span] => TYPE value; TYPE value`.
pub fn parse_example(s: &str) -> Result<Example, String> {
    let (input, expect) = s.split_once("=>").ok_or("an example needs `=> TYPE value` (or `=> NONE`)")?;
    let input = input.trim();
    let (text, span) = match (input.find('['), input.find(']')) {
        (Some(a), Some(b)) if a < b => {
            let text = format!("{}{}{}", &input[..a], &input[a + 1..b], &input[b + 1..]);
            (text, (a, b - 1))
        }
        _ => (input.to_string(), (0, input.len())),
    };
    // A BLOCK's example: its span (the whole text unless bracketed) must
    // yield nothing.
    if expect.trim() == "NONE" {
        return Ok(Example { text, span, expect: Vec::new() });
    }
    let mut exp = Vec::new();
    for part in expect.split(';') {
        let mut it = part.split_whitespace();
        let t = it.next().ok_or("missing type")?;
        let kind = TimexType::parse(t).ok_or_else(|| format!("unknown type {t:?}"))?;
        let value = it.next().ok_or("missing value")?.to_string();
        exp.push((kind, value));
    }
    Ok(Example { text, span, expect: exp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_list_is_in_discriminant_order() {
        for (i, c) in Class::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
            assert_eq!(c.bit(), 1 << i);
        }
    }

    #[test]
    fn two_rules_may_not_share_a_name() {
        let text = "rule here DATE: today\n  e.g. today => DATE 2025-03-11\nrule here DATE: tomorrow\n  e.g. tomorrow => DATE 2025-03-12\n";
        let err = Grammar::from_sources("en", &[("x.txt", text)]).err().expect("a duplicate name is an error").to_string();
        assert!(err.contains("x.txt:3") && err.contains("a second rule named here"), "{err}");
    }

    #[test]
    fn a_number_slot_takes_one_case_ending() {
        let text = "rule on DATE: DAY+న|నాడు => unit=M\n  e.g. 12న => DATE 2025-03-12\n";
        let err = Grammar::from_sources("te", &[("x.txt", text)]).err().expect("two endings are an error").to_string();
        assert!(err.contains("one case ending"), "{err}");
    }

    #[test]
    fn words_that_need_no_folding_are_left_alone() {
        let mut buf = String::new();
        for w in ["march", "జనవరిలో", "మార్చ్\u{200C}", "a.m", "ago"] {
            assert!(!needs_fold(w), "{w}");
            fold(w, &mut buf);
            assert_eq!(buf, w);
        }
        for w in ["March", "it\u{2019}s", "Ünter", "é", "\u{200B}"] {
            assert!(needs_fold(w), "{w}");
        }
    }
}
