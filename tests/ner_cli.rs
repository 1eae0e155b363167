//! `lede train` and `lede bench` as a user runs them.

use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ner/fixture-en.jsonl");

fn lede(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lede")).args(args).output().expect("lede runs")
}

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lede-ner-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn train_writes_the_same_model_twice_and_scores_the_dev_set() {
    let (a, b) = (scratch("a.lnm"), scratch("b.lnm"));
    for out in [&a, &b] {
        let o = lede(&["train", "--lang", "en", "--out", out, "--bits", "12", "--epochs", "4", "--seed", "3", "--dev", FIXTURE, FIXTURE]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stdout = String::from_utf8(o.stdout).unwrap();
        assert!(stdout.contains("dev fixture-en.jsonl"), "{stdout}");
        // Trained and scored on the same small set: it has learnt it.
        let all = stdout.lines().find(|l| l.trim_start().starts_with("ALL")).expect("an ALL row");
        let f1: f64 = all.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert!(f1 > 0.9, "{stdout}");
    }
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(ba == bb, "same corpus, options and seed gave different model files");
    let other = scratch("c.lnm");
    let o = lede(&["train", "--lang", "en", "--out", &other, "--bits", "12", "--epochs", "4", "--seed", "4", FIXTURE]);
    assert!(o.status.success());
    assert!(std::fs::read(&other).unwrap() != ba, "the seed changes nothing");
}

#[test]
fn train_refuses_bad_arguments() {
    let o = lede(&["train", "--out", &scratch("x.lnm"), FIXTURE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--lang"));
    let o = lede(&["train", "--lang", "en", "--out", &scratch("y.lnm"), "--scheme", "iob9", FIXTURE]);
    assert_eq!(o.status.code(), Some(2));
    let o = lede(&["train", "--lang", "en", "--out", &scratch("z.lnm"), "/nonexistent/corpus.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/corpus.jsonl"));
}

#[test]
fn bench_prints_native_throughput() {
    let o = lede(&["bench", "--seconds", "0.2", FIXTURE]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("12 documents"), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("annotate (entities + dates)")).expect("a throughput line");
    let mbs: f64 = line.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(mbs > 0.0, "{line}");
}

#[test]
fn train_chooses_epochs_on_held_out_documents_then_trains_on_all() {
    let out = scratch("h.lnm");
    let o = lede(&["train", "--lang", "en", "--out", &out, "--bits", "12", "--epochs", "5", "--holdout", "0.25", FIXTURE]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.contains("choosing epochs: 3 documents held out of 12"), "{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("best on the held-out documents: ")).expect("the epochs chosen");
    let best: u32 = line.split_whitespace().nth(5).unwrap().parse().unwrap();
    assert!((1..=5).contains(&best), "{line}");
    let model = lede::ner::Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(model.info.epochs, best);
    let o = lede(&["train", "--lang", "en", "--out", &scratch("h2.lnm"), "--holdout", "0.95", FIXTURE]);
    assert_eq!(o.status.code(), Some(2));
}
