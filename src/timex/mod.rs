//! Temporal expressions (TIMEX3): found and normalised, English and Telugu,
//! by one data-driven engine.
//!
//! - Language knowledge is data (`data/common.txt` + `data/<lang>.txt`,
//!   compiled in): word lists, suffixes, tense cues, and token patterns, each
//!   rule with examples that a unit test runs. See [`grammar`] for the format.
//!   Adding a language is a data file with examples, not engine code.
//! - Extraction ([`engine`]) tokenises once, classifies tokens through the
//!   word lists (Telugu words are split into stem + known case ending), and
//!   matches rules leftmost-longest (ties: the earlier rule). It records what
//!   was said ([`said::Said`]) and what the sentence implies (its tense, from
//!   the nearest cue word) in typed fields. BLOCK rules claim what only looks
//!   like an expression (rates, ages).
//! - Resolution ([`resolve`]) turns that record, the reference date and the
//!   last date the text mentioned into the TIMEX3 value; it never reads text.
//!
//! Conventions:
//! - Spans: a Telugu case ending or postposition belongs to the expression
//!   (whole tokens, as IL-NER annotates: "2015లో", "2023 లో", "ఫిబ్రవరి 12
//!   న"); English determiners are inside when the rule's head is a time noun
//!   ("the third quarter", "the past two months"), and pre-modifiers
//!   ("early", "nearly", "at least", "mid-") are taken along. Ranges
//!   ("March 1 to 5", "1990-95") are two expressions in English, as
//!   TimeBank marks them; the second inherits what the first said (month,
//!   year). Telugu joins them into one ("2014 నుంచి 2021 వరకు", as IL-NER
//!   marks all but one of its 75), valued as an ISO 8601 interval ("2014/2021").
//! - Underspecified dates: a month or quarter without a year takes the year
//!   that puts it nearest the reference date, a reading against the
//!   sentence's tense counting as further away; "last"/"next" are strict.
//!   A bare weekday is the past one (the reference day itself counts) unless
//!   the tense points ahead or it is tomorrow.
//! - Anaphora: "that year", "the following day", "a year earlier" after "the
//!   third quarter" lean on the last date the text mentioned.
//! - Without a reference date (no `dct`, no dateline), unsaid parts stay X at
//!   the expression's granularity ("March 11" = XXXX-03-11, "yesterday" =
//!   XXXX-XX-XX, "last week" = XXXX-WXX, "next year" = XXXX); durations,
//!   sets and PRESENT_REF/PAST_REF/FUTURE_REF need no date.

pub mod engine;
pub mod grammar;
pub mod resolve;
pub mod said;

use std::sync::{Mutex, OnceLock};

use crate::date::Date;
use crate::pipeline::Recogniser;
use crate::span::{Document, Span};
use engine::{Engine, Scratch};
use grammar::Grammar;
use resolve::Anchor;
use said::Extraction;

pub struct TimexRecogniser {
    lang: String,
    engine: &'static Engine,
    /// Token lists and merged rule lists reused from one document to the
    /// next (a second caller at the same time gets fresh ones).
    scratch: Mutex<Scratch>,
}

impl TimexRecogniser {
    /// The recogniser for `lang` from the compiled-in language data.
    pub fn new(lang: &str) -> Result<TimexRecogniser, crate::Error> {
        Ok(TimexRecogniser { lang: lang.to_string(), engine: engine(lang)?, scratch: Mutex::default() })
    }

    /// Phase one only: the typed extractions.
    pub fn extract(&self, text: &str) -> Vec<Extraction> {
        self.engine.extract(text)
    }

    /// Both phases: spans with TIMEX3 values, resolved against `dct`.
    pub fn spans(&self, text: &str, dct: Option<Date>) -> Vec<Span> {
        // The last date spoken of, for anaphora ("that day", "four days
        // earlier"), and the point of the expression just before, whose day
        // a clock time right after it takes ("the following Monday at 3
        // p.m."), even when that one is itself anaphoric; and the point of
        // the last date or time, for a clock time that takes the day of
        // one before it with a duration between ("on Monday ... 10
        // seconds apart at 2:50 p.m.").
        let (mut anchor, mut previous, mut last_point): (Option<Anchor>, Option<Anchor>, Option<Anchor>) = (None, None, None);
        // The last anchor that named a day.
        let mut day_anchor: Option<Anchor> = None;
        // The day of the first expression that names one (the engine's
        // Implied::day_of_lead looks at the same one), once found.
        let mut lead_day: Option<Option<Anchor>> = None;
        let mut out: Vec<Span> = Vec::new();
        let extractions = match self.scratch.try_lock() {
            Ok(mut tokens) => self.engine.extract_reusing(text, &mut tokens),
            Err(_) => self.engine.extract(text),
        };
        for mut x in extractions {
            // The end of a range without a year comes after its start:
            // resolved from the start's date, looking ahead.
            let start = previous.filter(|_| x.implied.after_previous).and_then(|a| a.month.and_then(|m| Date::new(a.year, m, a.day.unwrap_or(1))));
            if start.is_some() {
                x.implied.tense = said::Tense::Future;
            }
            // A month takes the year said before it only in a text without
            // a reference date (a life story: "in 1981, after his wife died
            // in March"). In news the reference date dates it better: the
            // year is often another story's ("a program approved in 1987
            // ... had bought shares through Sept. 29"), and on TempEval-3
            // train value accuracy fell (85.61 to 85.55) even when only
            // years two or more before the reference date's counted.
            if dct.is_some() {
                x.implied.year_of_previous = false;
            }
            // The story's day (see Implied::day_of_lead), only when it lies
            // in the week up to the reference date: a report of that day.
            let lead = lead_day.flatten().filter(|a| x.implied.day_of_lead && a.date().zip(dct).is_some_and(|(d, r)| (0..=7).contains(&(r.to_days() - d.to_days()))));
            if lead.is_some() {
                x.implied.day_of_previous = true;
            }
            // "that day" leans on the last date that named a day, past a
            // bare year said since ("March 14 ... for 2016-17 ... that
            // day"); a month since is its own ("last October ... that same
            // day": a day of that October).
            let that_day = x.said.that && x.said.dir.is_none() && x.said.unit == Some(said::Unit::Day);
            let leaned_on = match lead {
                Some(a) => Some(a),
                None if x.implied.leans_on_previous() => last_point,
                None if that_day && anchor.is_some_and(|a| a.month.is_none()) => day_anchor.or(anchor),
                None => anchor,
            };
            let (value, point) = resolve::resolve(&x, start.or(dct), leaned_on);
            if lead_day.is_none() && matches!(x.kind, said::TimexType::Date | said::TimexType::Time) && x.said.names_a_day() {
                lead_day = Some(point.and_then(|p| p.anchor()).filter(|a| a.date().is_some()));
            }
            previous = point.and_then(|p| p.anchor());
            if !matches!(x.kind, said::TimexType::Duration | said::TimexType::Set) {
                last_point = previous;
            }
            if let Some(a) = previous {
                // Anaphora and shifts ("a year earlier", "the year-ago
                // quarter") are counted from the anchor; they do not become
                // it, or a second "a year ago" would go back two years.
                if !x.said.that && x.said.dir.is_none() {
                    anchor = Some(a);
                    if a.date().is_some() {
                        day_anchor = Some(a);
                    }
                }
            }
            if let (true, Some(first)) = (x.range_end && self.engine.grammar.joined_ranges, out.last_mut()) {
                // One span for the range, valued as an interval.
                first.end = x.end;
                let first_value = first.value.take().unwrap_or_default();
                first.value = Some([&first_value, "/", &value].concat());
                continue;
            }
            let source = ["timex:", &self.lang, ":", &x.rule].concat();
            out.push(Span::new(x.start, x.end, x.kind.label(), &source).with_value(value));
        }
        out
    }
}

/// The engine of each language compiled in, built once per process and
/// shared by every recogniser of the language and by the dateline reader
/// (loading the grammars is most of the start-up; the dateline reader had
/// loaded both a second time).
fn engines() -> &'static [(&'static str, Engine)] {
    static ENGINES: OnceLock<Vec<(&'static str, Engine)>> = OnceLock::new();
    ENGINES.get_or_init(|| crate::LANGUAGES.iter().filter_map(|l| Grammar::load(l).ok().map(|g| (*l, Engine::new(g)))).collect())
}

/// The shared engine of `lang`, or why there is none (no such language,
/// or data that does not load).
fn engine(lang: &str) -> Result<&'static Engine, crate::Error> {
    match engines().iter().find(|(l, _)| *l == lang) {
        Some((_, e)) => Ok(e),
        None => Grammar::load(lang).and(Err(crate::Error::UnknownLanguage(lang.to_string()))),
    }
}

/// The date in a dateline near the top: "WASHINGTON, March 11, 2025 —",
/// "BRUSSELS 1996-08-22", "Updated: Mar 11, 2025 10:30 IST", read with the
/// grammar of the document's language `lang`, then with English's (pages
/// in other languages often stamp their date in English). Only a complete
/// date counts (a dateline without a year, "NEW DELHI, March 11 (Reuters)",
/// gives none), only within the first four non-empty lines, and only when
/// what precedes it on its line (after a byline's last "|") is a place
/// name in capitals, Telugu, or a date stamp's label ("Published on").
pub fn dateline_date(text: &str, lang: &str) -> Option<Date> {
    // Only the first four non-empty lines (and 400 bytes) can hold it, and
    // only a line with four digits in a row (any script's digits), as a
    // complete date has a year. Lines are read one at a time, so a text
    // whose dateline is its second line costs the engine two short lines
    // (most headlines have no year and are not read at all).
    let mut cut = text.len().min(400);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let has_year = |line: &str| {
        let mut run = 0;
        line.chars().any(|c| {
            run = if c.is_numeric() { run + 1 } else { 0 };
            run == 4
        })
    };
    let (own, english) = (engine(lang).ok(), engine("en").ok().filter(|_| lang != "en"));
    let lines = text[..cut].split_inclusive('\n').filter(|line| !line.trim().is_empty()).take(4);
    lines.filter(|line| has_year(line)).find_map(|line| {
        // English is read again only where a Latin word could name a month.
        let latin = line.bytes().any(|b| b.is_ascii_alphabetic());
        own.into_iter().chain(english.filter(|_| latin)).find_map(|engine| {
            engine.extract(line).into_iter().find_map(|x| {
                let s = &x.said;
                let (Some(y), Some(m), Some(d)) = (s.year, s.month, s.day) else { return None };
                if s.two_digit_year || s.rel.is_some() || s.that {
                    return None;
                }
                let before = &line[..x.start];
                let before = before.rsplit(['|', '·', '•']).next().unwrap_or(before);
                (before.len() <= 60 && heads_a_dateline(before, &engine.grammar)).then(|| Date::new(y, m, d)).flatten()
            })
        })
    })
}

/// Whether `before` may stand before a dateline's date on its line: no
/// lower-case Latin letter (a place name in capitals, or Telugu), or a
/// date stamp's label first ("Published on", "Last updated:"). "The Senate,
/// on March 11, 2025, voted" is a sentence, no dateline.
fn heads_a_dateline(before: &str, g: &Grammar) -> bool {
    let mut folded = String::new();
    let mut stamped = false;
    before.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).all(|w| {
        grammar::fold(w, &mut folded);
        stamped |= g.ids.get(folded.as_str()).is_some_and(|&id| g.entries[id as usize].stamp);
        stamped || !w.bytes().any(|b| b.is_ascii_lowercase())
    })
}

impl Recogniser for TimexRecogniser {
    fn name(&self) -> &str {
        "timex"
    }

    fn recognise(&self, doc: &Document, out: &mut Vec<Span>) {
        out.extend(self.spans(&doc.text, doc.dct));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule's examples, run through the whole engine of each language
    /// that has the rule: the expected span(s) must be found by that rule,
    /// with the expected types and values. All failures are listed.
    #[test]
    fn every_rule_example_matches_its_rule() {
        let dct = Date::parse("2025-03-11").unwrap();
        let mut failures = Vec::new();
        let mut checked = 0;
        for lang in crate::LANGUAGES {
            let r = TimexRecogniser::new(lang).unwrap();
            for rule in &r.engine.grammar.rules {
                let mut examples = Vec::new();
                for raw in &rule.examples {
                    match grammar::parse_example(raw) {
                        Ok(ex) => examples.push(ex),
                        Err(m) => failures.push(format!("[{lang}] rule {} (line {}): example {raw:?}: {m}", rule.id, rule.line)),
                    }
                }
                if rule.block {
                    // A blocking rule's examples must yield nothing at all,
                    // or nothing over the part in brackets when it has them
                    // ("The strike [will last] two weeks").
                    for ex in &examples {
                        checked += 1;
                        let spans = r.spans(&ex.text, Some(dct));
                        if spans.iter().any(|s| s.start < ex.span.1 && s.end > ex.span.0) || !ex.expect.is_empty() {
                            failures.push(format!("[{lang}] block rule {} (line {}): {:?} gave {spans:?}", rule.id, rule.line, ex.text));
                        }
                    }
                    continue;
                }
                let joined = r.engine.grammar.joined_ranges && rule.elems.iter().any(|e| e.separator);
                for ex in &examples {
                    checked += 1;
                    // A language that joins ranges gives one span for the two
                    // expressions an example lists, valued "first/second".
                    let expect = match &ex.expect[..] {
                        [(t, a), (_, b)] if joined => vec![(*t, format!("{a}/{b}"))],
                        e => e.to_vec(),
                    };
                    let spans = r.spans(&ex.text, Some(dct));
                    let inside: Vec<&Span> = spans.iter().filter(|s| s.start < ex.span.1 && s.end > ex.span.0).collect();
                    let got: Vec<String> = inside.iter().map(|s| format!("{:?} {} {} {}", &ex.text[s.start..s.end], s.label, s.value.as_deref().unwrap_or("-"), s.source)).collect();
                    let source = format!("timex:{lang}:{}", rule.id);
                    let ok = inside.len() == expect.len()
                        && inside.first().is_some_and(|s| s.start == ex.span.0)
                        && inside.last().is_some_and(|s| s.end == ex.span.1)
                        && inside.iter().zip(&expect).all(|(s, (t, v))| s.source == source && s.label == t.label() && s.value.as_deref() == Some(v.as_str()));
                    if !ok {
                        failures.push(format!("[{lang}] rule {} (line {}): {:?} expected {:?} {:?}, got {got:?}", rule.id, rule.line, ex.text, &ex.text[ex.span.0..ex.span.1], expect));
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} examples");
        assert!(failures.is_empty(), "{} of {checked} rule examples fail:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn datelines_give_a_date_only_when_complete() {
        assert_eq!(dateline_date("WASHINGTON, March 11, 2025 — The Senate voted.", "en").map(|d| d.to_string()), Some("2025-03-11".into()));
        assert_eq!(dateline_date("EU rejects call\nBRUSSELS 1996-08-22\nThe European Commission said", "en").map(|d| d.to_string()), Some("1996-08-22".into()));
        assert_eq!(dateline_date("NEW DELHI, March 11 (Reuters) - The rupee fell.", "en"), None);
        assert_eq!(dateline_date("The meeting on March 11, 2025 was long.", "en"), None);
        assert_eq!(dateline_date("", "en"), None);
        assert_eq!(dateline_date("హైదరాబాద్, 2025 మార్చి 11: ముఖ్యమంత్రి నిన్న ఢిల్లీ వెళ్లారు.", "te").map(|d| d.to_string()), Some("2025-03-11".into()));
        assert_eq!(dateline_date("One\nTwo\nThree\nFour\nLONDON 1996-08-30\nText", "en"), None);
        // A web page's date stamp, after its label or a byline.
        assert_eq!(dateline_date("Senate passes bill\nUpdated: Mar 11, 2025, 10:30 IST\nThe Senate voted.", "en").map(|d| d.to_string()), Some("2025-03-11".into()));
        assert_eq!(dateline_date("Senate passes bill\nBy John Smith | March 11, 2025\nThe Senate voted.", "en").map(|d| d.to_string()), Some("2025-03-11".into()));
        assert_eq!(dateline_date("సమావేశం\nPublished : Tue, Mar 11 2025 10:30 AM\nనిన్న సమావేశం జరిగింది.", "te").map(|d| d.to_string()), Some("2025-03-11".into()));
        // A sentence is no dateline, nor is a name before the date.
        assert_eq!(dateline_date("The Senate, on March 11, 2025, voted.", "en"), None);
        assert_eq!(dateline_date("Senate passes bill\nJohn Smith, March 11, 2025\nThe Senate voted.", "en"), None);
    }

    #[test]
    fn extraction_is_typed_and_resolution_fills_the_rest() {
        let r = TimexRecogniser::new("en").unwrap();
        let xs = r.extract("It happened two weeks ago.");
        assert_eq!(xs.len(), 1);
        let s = &xs[0].said;
        assert_eq!((s.amount, s.unit, s.dir), (Some(said::Amount::Count(2)), Some(said::Unit::Week), Some(-1)));
        assert_eq!(s.year, None);
        // Without a reference date the unsaid parts stay X.
        let spans = r.spans("The vote is on March 11; yesterday was busy; next year too. Rent is due on the 20th.", None);
        let values: Vec<&str> = spans.iter().map(|s| s.value.as_deref().unwrap()).collect();
        assert_eq!(values, ["XXXX-03-11", "XXXX-XX-XX", "XXXX", "XXXX-XX-20"]);
    }

    /// Without a reference date, a month takes the year said before it in
    /// its sentence; with one, the reference date decides.
    #[test]
    fn a_month_takes_the_year_before_it_only_without_a_reference_date() {
        let r = TimexRecogniser::new("en").unwrap();
        let text = "In 1981, after his wife died in March, he moved to Paris on June 3. He left in May.";
        let values = |dct: Option<Date>| r.spans(text, dct).into_iter().map(|s| s.value.unwrap()).collect::<Vec<_>>();
        assert_eq!(values(None), ["1981", "1981-03", "1981-06-03", "XXXX-05"]);
        let with_dct = values(Date::parse("2025-03-11").ok());
        assert!(with_dct[1..].iter().all(|v| v.starts_with("202")), "{with_dct:?}");
    }

    /// "this" before a season, resolved against reference dates the example
    /// corpora cannot give (they share one): the nearest season of the name,
    /// and of two as near, the one of the reference year.
    #[test]
    fn this_season_is_the_nearest_then_the_reference_years() {
        let r = TimexRecogniser::new("en").unwrap();
        let value = |text: &str, dct: &str| r.spans(text, Date::parse(dct).ok()).pop().unwrap().value.unwrap();
        assert_eq!(value("He spent three months in hospital this summer.", "2013-12-05"), "2013-SU");
        assert_eq!(value("They released a plan for this winter.", "2013-08-05"), "2013-WI");
        assert_eq!(value("It snowed a lot this winter.", "2013-03-05"), "2012-WI");
        assert_eq!(value("Trials begin this spring.", "2013-01-20"), "2013-SP");
    }

    /// A month without its day, told in the past: three months ahead is
    /// further off than nine back; a future verb still looks ahead.
    #[test]
    fn a_past_verb_keeps_a_month_a_season_ahead_in_the_past() {
        let r = TimexRecogniser::new("en").unwrap();
        let value = |text: &str, dct: &str| r.spans(text, Date::parse(dct).ok()).pop().unwrap().value.unwrap();
        assert_eq!(value("He left in January.", "2014-10-15"), "2014-01");
        assert_eq!(value("He will leave in January.", "2014-10-15"), "2015-01");
        assert_eq!(value("He left in November.", "2014-10-15"), "2014-11");
    }

    /// A weekday or "the weekend" told without a tense cue is the nearer
    /// one: said on a Thursday, the coming weekend; on a Tuesday, the last.
    #[test]
    fn without_a_tense_cue_the_nearer_weekday_and_weekend() {
        let r = TimexRecogniser::new("en").unwrap();
        let value = |text: &str, dct: &str| r.spans(text, Date::parse(dct).ok()).pop().unwrap().value.unwrap();
        let rain = "Up to 10 inches of rain are possible over the weekend.";
        assert_eq!(value(rain, "1998-09-24"), "1998-W39-WE");
        assert_eq!(value(rain, "1998-09-22"), "1998-W38-WE");
        assert_eq!(value("He leaves Rome on Friday.", "1998-09-22"), "1998-09-25");
        assert_eq!(value("He leaves Rome on Monday.", "1998-09-22"), "1998-09-21");
    }

    /// A language's grammar is loaded once per process: its recognisers
    /// share one engine; a language without data is an error.
    #[test]
    fn recognisers_of_a_language_share_its_engine() {
        let (a, b) = (TimexRecogniser::new("te").unwrap(), TimexRecogniser::new("te").unwrap());
        assert!(std::ptr::eq(a.engine, b.engine));
        assert!(!std::ptr::eq(a.engine, TimexRecogniser::new("en").unwrap().engine));
        assert_eq!(TimexRecogniser::new("xx").err(), Some(crate::Error::UnknownLanguage("xx".into())));
    }
}
