//! `lede eval` end to end on tiny hand-made gold files.

mod common;

use common::lede;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/timex");

#[test]
fn temporal_scores_per_language_and_overall_as_json() {
    let gold = format!("{DATA}/eval-gold.jsonl");
    let (code, out, err) = lede(&["eval", "--gold", &gold, "--json"], b"");
    let ok = code == 0;
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // English: both gold expressions found exactly, "now" is a false positive.
    let en = &v["languages"]["en"]["timex"];
    assert_eq!(en["counts"]["spans"], serde_json::json!({"gold": 2, "pred": 3, "strict": 2, "relaxed": 2}), "{out}");
    assert_eq!(en["value_accuracy"], 1.0);
    assert_eq!(en["type_accuracy"], 1.0);
    assert!((en["strict"]["p"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // Telugu IL-NER style: span-only TIMEX, so no type or value scores.
    let te = &v["languages"]["te"]["timex"];
    assert_eq!(te["counts"]["spans"]["strict"], 1, "{out}");
    assert_eq!(te["value_accuracy"], serde_json::Value::Null);
    assert_eq!(v["overall"]["docs"], 2);
    assert_eq!(v["overall"]["timex"]["counts"]["spans"]["gold"], 3);
    // No entity is annotated in this gold: entities are not scored.
    assert!(v["overall"].get("entities").is_none(), "{out}");
}

#[test]
fn the_table_names_the_languages_and_measures() {
    let gold = format!("{DATA}/eval-gold.jsonl");
    let (code, out, err) = lede(&["eval", "--gold", &gold], b"");
    let ok = code == 0;
    assert!(ok, "{err}");
    for needle in ["language en", "language te", "overall", "strict", "relaxed", "value accuracy"] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn a_corpus_without_temporal_gold_does_not_score_dates() {
    let gold = format!("{DATA}/eval-entities-only.jsonl");
    let (code, out, err) = lede(&["eval", "--gold", &gold, "--json"], b"");
    let ok = code == 0;
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["overall"].get("timex").is_none(), "{out}");
    let labels = v["overall"]["entities"]["labels"].as_object().unwrap();
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["LOC"]);
}

#[test]
fn errors_lists_each_mismatch_with_its_document_and_context() {
    let gold = format!("{DATA}/eval-gold.jsonl");
    let (code, out, err) = lede(&["eval", "--gold", &gold, "--errors"], b"");
    let ok = code == 0;
    assert!(ok, "{err}");
    // The English "now" is the one temporal mismatch: a false positive.
    let lines: Vec<&str> = out.lines().filter(|l| l.contains('\t')).collect();
    assert!(lines.iter().any(|l| l.contains("spurious") && l.contains("\"now\"") && l.contains("«now»")), "{out}");
    assert!(out.contains("== overall"), "{out}");
    // With --json the listing goes to stderr and stdout stays JSON.
    let (code, out, err) = lede(&["eval", "--gold", &gold, "--errors", "--json"], b"");
    let ok = code == 0;
    assert!(ok && err.contains("spurious"), "{err}");
    serde_json::from_str::<serde_json::Value>(&out).expect("stdout is JSON");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let (code, _, err) = lede(&["eval"], b"");
    let ok = code == 0;
    assert!(!ok && err.contains("--gold"), "{err}");
    let (code, _, err) = lede(&["eval", "--gold", "/nonexistent/file.jsonl"], b"");
    let ok = code == 0;
    assert!(!ok && err.contains("cannot open"), "{err}");
}
