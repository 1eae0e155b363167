//! The example corpora in tests/data/timex: every expected expression found
//! with its type and value, offsets checked by slicing the text with the
//! exported code-point offsets; the negative corpora yield nothing. All
//! failing cases are reported together. In the positive corpora, `\n` is a
//! line break.

use lede::export::export_spans;
use lede::offsets::Unit;
use lede::pipeline::{Pipeline, ResolveOverlaps, SnapToGraphemes};
use lede::timex::TimexRecogniser;
use lede::{Date, Document};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/timex");

fn pipeline(lang: &str) -> Pipeline {
    Pipeline::new().recogniser(TimexRecogniser::new(lang).unwrap()).refiner(SnapToGraphemes).refiner(ResolveOverlaps)
}

fn reference() -> Date {
    Date::parse("2025-03-11").unwrap()
}

fn lines(name: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(format!("{DATA}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// (quote by slicing code points, label, value) of every temporal span.
fn found(p: &Pipeline, lang: &str, text: &str) -> Vec<(String, String, String)> {
    let doc = Document::new(text, lang, Some(reference()));
    let spans = p.run(&doc);
    export_spans(text, &spans, Unit::CodePoint)
        .into_iter()
        .map(|s| {
            let quote: String = text.chars().skip(s.start).take(s.end - s.start).collect();
            assert_eq!(quote, s.text, "exported offsets do not slice to the exported text");
            (quote, s.label, s.value.unwrap_or_default())
        })
        .collect()
}

fn check_positive(lang: &str) -> (usize, Vec<String>) {
    let p = pipeline(lang);
    let file = format!("{lang}.tsv");
    let mut failures = Vec::new();
    let rows = lines(&file);
    for (n, row) in &rows {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 4, "{file}:{n}: expected 4 tab-separated columns");
        // "\n" in the text and quote columns is a line break.
        let (text, quote, label, value) = (cols[0].replace("\\n", "\n"), cols[1].replace("\\n", "\n"), cols[2], cols[3]);
        let got = found(&p, lang, &text);
        if !got.iter().any(|(q, l, v)| *q == quote && l == label && v == value) {
            failures.push(format!("{file}:{n}: {text:?}: expected {quote:?} {label} {value}, found {got:?}"));
        }
    }
    (rows.len(), failures)
}

fn check_negative(lang: &str) -> (usize, Vec<String>) {
    let p = pipeline(lang);
    let file = format!("{lang}-negative.txt");
    let mut failures = Vec::new();
    let rows = lines(&file);
    for (n, text) in &rows {
        let got = found(&p, lang, text);
        if !got.is_empty() {
            failures.push(format!("{file}:{n}: {text:?}: expected nothing, found {got:?}"));
        }
    }
    (rows.len(), failures)
}

fn report(results: Vec<(usize, Vec<String>)>, min_cases: usize) {
    let total: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    assert!(total >= min_cases, "only {total} cases read");
    assert!(failures.is_empty(), "{} of {total} cases fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn english_examples_are_found_and_normalised() {
    report(vec![check_positive("en")], 50);
}

#[test]
fn telugu_examples_are_found_and_normalised() {
    report(vec![check_positive("te")], 35);
}

#[test]
fn numbers_that_are_not_dates_are_not_found() {
    report(vec![check_negative("en"), check_negative("te")], 20);
}

#[test]
fn spans_never_split_a_grapheme_cluster() {
    // Telugu words with vowel signs and virama, next to emoji sequences.
    let p = pipeline("te");
    let text = "👩‍👩‍👧డిసెంబరు 25న 🇮🇳 ఆ వేసవిలో";
    let doc = Document::new(text, "te", Some(reference()));
    let spans = p.run(&doc);
    assert!(!spans.is_empty());
    for s in spans {
        assert_eq!(lede::offsets::grapheme_floor(text, s.start), s.start, "{s:?}");
        assert_eq!(lede::offsets::grapheme_ceil(text, s.end), s.end, "{s:?}");
    }
}
