//! `lede train` and `lede bench` as a user runs them.

mod common;

use common::lede;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ner/fixture-en.jsonl");

/// A path for a model file under Cargo's scratch directory for integration
/// tests (target/tmp): each run overwrites the last one's files instead of
/// leaving a directory per run in the system's temporary directory.
fn scratch(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ner-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn train_writes_the_same_model_twice_and_scores_the_dev_set() {
    let (a, b) = (scratch("a.lnm"), scratch("b.lnm"));
    for out in [&a, &b] {
        let (code, stdout, stderr) = lede(&["train", "--lang", "en", "--out", out, "--bits", "12", "--epochs", "4", "--seed", "3", "--dev", FIXTURE, FIXTURE], b"");
        assert!(code == 0, "{stderr}");
        assert!(stdout.contains("dev fixture-en.jsonl"), "{stdout}");
        // Trained and scored on the same small set: it has learnt it.
        let all = stdout.lines().find(|l| l.trim_start().starts_with("ALL")).expect("an ALL row");
        let f1: f64 = all.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert!(f1 > 0.9, "{stdout}");
    }
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(ba == bb, "same corpus, options and seed gave different model files");
    let other = scratch("c.lnm");
    let (code, _, _) = lede(&["train", "--lang", "en", "--out", &other, "--bits", "12", "--epochs", "4", "--seed", "4", FIXTURE], b"");
    assert!(code == 0);
    assert!(std::fs::read(&other).unwrap() != ba, "the seed changes nothing");
}

#[test]
fn train_refuses_bad_arguments() {
    let (code, _, stderr) = lede(&["train", "--out", &scratch("x.lnm"), FIXTURE], b"");
    assert_eq!(code, 2);
    assert!(stderr.contains("--lang"));
    let (code, _, _) = lede(&["train", "--lang", "en", "--out", &scratch("y.lnm"), "--scheme", "iob9", FIXTURE], b"");
    assert_eq!(code, 2);
    let (code, _, stderr) = lede(&["train", "--lang", "en", "--out", &scratch("z.lnm"), "/nonexistent/corpus.jsonl"], b"");
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent/corpus.jsonl"));
}

#[test]
fn bench_prints_native_throughput() {
    let (code, stdout, stderr) = lede(&["bench", "--seconds", "0.2", FIXTURE], b"");
    assert!(code == 0, "{stderr}");
    assert!(stdout.contains("12 documents"), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("annotate (entities + dates)")).expect("a throughput line");
    let mbs: f64 = line.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(mbs > 0.0, "{line}");
}

#[test]
fn train_refuses_options_its_objective_does_not_read() {
    for (args, name) in [
        (&["--objective", "crf", "--pa", "inf"][..], "--pa does nothing with --objective crf"),
        (&["--objective", "crf-sgd", "--l2", "3"][..], "--l2 does nothing with --objective crf-sgd"),
        (&["--rate", "0.1"][..], "--rate does nothing with --objective perceptron"),
        (&["--objective", "crf", "--bits", "22"][..], "--objective crf wants --bits 20 or fewer"),
    ] {
        let mut all = vec!["train", "--lang", "en", "--out"];
        let out = scratch("refused.lnm");
        all.push(&out);
        all.extend_from_slice(args);
        all.push(FIXTURE);
        let (code, _, stderr) = lede(&all, b"");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(name), "{args:?}: {stderr}");
    }
}

#[test]
fn bench_times_one_recogniser_alone() {
    for (only, heading) in [("dates", "dates alone"), ("entities", "entities alone")] {
        let (code, stdout, stderr) = lede(&["bench", "--seconds", "0.1", "--only", only, FIXTURE], b"");
        assert!(code == 0, "{stderr}");
        assert!(stdout.lines().any(|l| l.starts_with(heading) && l.contains(" MB/s")), "{stdout}");
    }
    let (code, _, stderr) = lede(&["bench", "--only", "timex", FIXTURE], b"");
    assert_eq!(code, 2);
    assert!(stderr.contains("--only wants dates or entities"), "{stderr}");
}

#[test]
fn train_chooses_epochs_on_held_out_documents_then_trains_on_all() {
    let out = scratch("h.lnm");
    let (code, _, stderr) = lede(&["train", "--lang", "en", "--out", &out, "--bits", "12", "--epochs", "5", "--holdout", "0.25", FIXTURE], b"");
    assert!(code == 0, "{stderr}");
    assert!(stderr.contains("choosing epochs: 3 documents held out of 12"), "{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("best on the held-out documents: ")).expect("the epochs chosen");
    let best: u32 = line.split_whitespace().nth(5).unwrap().parse().unwrap();
    assert!((1..=5).contains(&best), "{line}");
    let model = lede::ner::Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(model.info.epochs, best);
    let (code, _, _) = lede(&["train", "--lang", "en", "--out", &scratch("h2.lnm"), "--holdout", "0.95", FIXTURE], b"");
    assert_eq!(code, 2);
}
