//! The entity tagger: deterministic training, a model file that refuses to
//! load when it is not exactly what this build writes, and the shipped
//! models' output on hand-written sentences.

use lede::ner::model::{fnv1a, Model, FORMAT_VERSION, MAGIC};
use lede::ner::tagger::Scheme;
use lede::ner::train::{self, Config, Objective};
use lede::ner::NerRecogniser;
use lede::{Annotator, Document, Error};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ner/fixture-en.jsonl");

fn types() -> Vec<String> {
    ["PER", "ORG", "LOC", "MISC"].iter().map(|s| s.to_string()).collect()
}

fn fixture_model(seed: u64) -> Vec<u8> {
    fixture_model_with(seed, |_| {})
}

fn fixture_model_with(seed: u64, change: impl FnOnce(&mut Config)) -> Vec<u8> {
    let docs = train::load_corpus(FIXTURE, &types()).unwrap();
    let mut cfg = Config {
        lang: "en".into(),
        types: types(),
        scheme: Scheme::Bio,
        bits: 12,
        epochs: 6,
        seed,
        trained_on: "fixture-en.jsonl".into(),
        gazetteer: true,
        common_words: 0,
        margin: 1.0,
        miss_cost: 2.0,
        ensemble: 1,
        pa: None,
        objective: Objective::Perceptron,
        l2: 1.0,
        rate: 0.1,
    };
    change(&mut cfg);
    train::train(&docs, &[], &cfg, &mut |_| {}).to_bytes()
}

#[test]
fn training_is_deterministic_and_learns_the_fixture() {
    let a = fixture_model(7);
    let b = fixture_model(7);
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two trainings with the same seed wrote different bytes");
    let rec = NerRecogniser::from_bytes(&a).unwrap();
    let text = "Anna Kowalski joined Brightwater Labs in Lisbon last spring.";
    let got: Vec<(&str, String)> = rec.entities(text).into_iter().map(|s| (&text[s.start..s.end], s.label)).collect();
    assert_eq!(
        got,
        [("Anna Kowalski", "PER".to_string()), ("Brightwater Labs", "ORG".into()), ("Lisbon", "LOC".into())]
    );
    let info = &rec.model().info;
    assert_eq!((info.lang.as_str(), info.epochs, info.seed), ("en", 6, 7));
    assert_eq!(info.trained_on, "fixture-en.jsonl");
}

#[test]
fn common_words_are_listed_only_when_asked_for() {
    let names = |bytes: &[u8]| Model::from_bytes(bytes).unwrap().gazetteer.entries().len();
    let plain = fixture_model(7);
    let with_common = fixture_model_with(7, |c| c.common_words = 2);
    assert_eq!(with_common, fixture_model_with(7, |c| c.common_words = 2), "not deterministic");
    // Words such as "the" and "said" recur outside names in the fixture.
    assert!(names(&with_common) > names(&plain) + 5, "{} vs {}", names(&with_common), names(&plain));
    let rec = NerRecogniser::from_bytes(&with_common).unwrap();
    let text = "Anna Kowalski joined Brightwater Labs in Lisbon last spring.";
    let got: Vec<String> = rec.entities(text).into_iter().map(|s| text[s.start..s.end].to_string()).collect();
    assert!(got.contains(&"Anna Kowalski".to_string()), "{got:?}");
}

/// Rewrites the version field and the checksum, as a build writing another
/// format version would leave a file that is intact in itself.
fn with_version(bytes: &[u8], version: u32) -> Vec<u8> {
    let mut b = bytes[..bytes.len() - 8].to_vec();
    b[8..12].copy_from_slice(&version.to_le_bytes());
    let sum = fnv1a(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

fn bad_model_message(r: Result<Model, Error>) -> String {
    match r {
        Err(Error::BadModel(m)) => m,
        Err(e) => panic!("expected BadModel, got {e:?}"),
        Ok(_) => panic!("a bad model loaded"),
    }
}

#[test]
fn other_format_versions_are_refused_clearly() {
    let good = fixture_model(1);
    assert!(Model::from_bytes(&good).is_ok());
    for v in [FORMAT_VERSION - 1, FORMAT_VERSION + 1] {
        let m = bad_model_message(Model::from_bytes(&with_version(&good, v)));
        assert!(m.contains(&format!("version {v}")) && m.contains("retrain"), "{m}");
    }
}

#[test]
fn truncated_or_corrupted_models_fail_with_bad_model() {
    let good = fixture_model(1);
    // Every cut, including inside the header and the checksum.
    for len in (0..good.len()).step_by(97).chain([1, 8, 11, 12, good.len() - 1, good.len() - 8]) {
        let m = bad_model_message(Model::from_bytes(&good[..len]));
        assert!(!m.is_empty());
    }
    // A flipped bit anywhere: header, weights, gazetteer, checksum.
    for at in (0..good.len()).step_by(131).chain([9, 13, good.len() - 20, good.len() - 1]) {
        let mut b = good.clone();
        b[at] ^= 0x10;
        bad_model_message(Model::from_bytes(&b));
    }
    // Trailing bytes are not silently ignored.
    let mut long = good.clone();
    long.push(0);
    bad_model_message(Model::from_bytes(&long));
    let m = bad_model_message(Model::from_bytes(b"PK\x03\x04 not a model at all"));
    assert!(m.contains("magic"), "{m}");
    // An intact file whose header lies about its contents.
    let mut lying = good[..good.len() - 8].to_vec();
    let bits_at = 12 + 1 + 2 + 1 + 1 + (1 + 3) * 3 + (1 + 4);
    assert_eq!(lying[bits_at], 12, "the bits field moved: update this test");
    lying[bits_at] = 13;
    let sum = fnv1a(&lying);
    lying.extend_from_slice(&sum.to_le_bytes());
    let m = bad_model_message(Model::from_bytes(&lying));
    assert!(m.contains("truncated") || m.contains("unexpected"), "{m}");
    assert_eq!(&good[..8], MAGIC);
}

fn entities(lang: &str, text: &str) -> Vec<(String, String)> {
    let rec = NerRecogniser::builtin(lang).unwrap();
    rec.entities(text).into_iter().map(|s| (text[s.start..s.end].to_string(), s.label)).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn shipped_english_tagger_on_hand_written_sentences() {
    assert_eq!(
        entities("en", "Narendra Modi met Joe Biden in Washington on Tuesday."),
        pairs(&[("Narendra Modi", "PER"), ("Joe Biden", "PER"), ("Washington", "LOC")])
    );
    assert_eq!(
        entities("en", "Shares of Microsoft fell in New York after the European Commission opened an inquiry."),
        pairs(&[("Microsoft", "ORG"), ("New York", "LOC"), ("European Commission", "ORG")])
    );
    // Possessives and a hyphenated adjective stay outside the names.
    assert_eq!(
        entities("en", "Germany's foreign minister flew to Paris for talks with French officials."),
        pairs(&[("Germany", "LOC"), ("Paris", "LOC"), ("French", "MISC")])
    );
}

#[test]
fn shipped_telugu_tagger_on_hand_written_sentences() {
    let got = entities("te", "భారతదేశం మరియు పాకిస్తాన్ మధ్య చర్చలు జరిగాయి .");
    assert_eq!(got, pairs(&[("భారతదేశం", "LOC"), ("పాకిస్తాన్", "LOC")]));
    // Spans are whole tokens, case suffix included.
    let text = "ప్రధానమంత్రి నరేంద్ర మోదీ హైదరాబాద్‌లో పర్యటించారు .";
    let got = entities("te", text);
    assert!(got.contains(&("హైదరాబాద్‌లో".to_string(), "LOC".to_string())), "{got:?}");
}

#[test]
fn entities_and_dates_come_out_of_one_pipeline() {
    let a = Annotator::builtin().unwrap();
    let doc = Document::new("Narendra Modi met Joe Biden in Washington on March 11.", "en", None);
    let spans = a.annotate(&doc).spans;
    let got: Vec<(&str, &str, &str)> =
        spans.iter().map(|s| (&doc.text[s.start..s.end], s.label.as_str(), s.source.as_str())).collect();
    assert_eq!(
        got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
        [("Narendra Modi", "PER"), ("Joe Biden", "PER"), ("Washington", "LOC"), ("March 11", "DATE")]
    );
    assert_eq!(got[0].2, "ner:perceptron:en");
}

#[test]
fn odd_inputs_never_panic_and_spans_stay_on_cluster_edges() {
    let long_word = "A".repeat(5000);
    let long_line = "He flew from Paris to London. ".repeat(3000);
    let inputs = [
        "",
        "   ",
        "\n\n\r\n",
        "🙂🙂 👩‍👩‍👧",
        "\u{0301}\u{0301}x",
        "్ ై",
        "'s 's n't ' \" ``",
        "U.S.A.B.C.D. ... -- --- ?!",
        long_word.as_str(),
        long_line.as_str(),
        "Ünïcödé Çafé in Zürich, 東京 and القاهرة.",
        "కే. వి.\nమోహన్\u{200C}లో హైదరాబాద్‌",
    ];
    for lang in ["en", "te"] {
        let rec = NerRecogniser::builtin(lang).unwrap();
        for text in inputs {
            for s in rec.entities(text) {
                assert!(s.start < s.end && s.end <= text.len(), "{lang} {text:?}: {s:?}");
                assert_eq!(lede::offsets::grapheme_floor(text, s.start), s.start, "{text:?}");
                assert_eq!(lede::offsets::grapheme_ceil(text, s.end), s.end, "{text:?}");
            }
        }
    }
    let found = NerRecogniser::builtin("en").unwrap().entities(&long_line);
    assert_eq!(found.len(), 6000, "names found in a long line of them");
}

/// The fast path of the shipped taggers (per-word sums of feature rows)
/// tags exactly as the general path that training uses, on English and
/// Telugu text with headlines, quotes, repeated names, short and long
/// sentences.
#[test]
fn fast_path_tags_as_the_general_path() {
    let mut en = String::new();
    for line in std::fs::read_to_string(FIXTURE).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        en.push_str(v["text"].as_str().unwrap());
        en.push('\n');
    }
    en.push_str(concat!(
        "RUGBY UNION - ENGLAND BEAT WALES IN CARDIFF .\n",
        "LONDON 1996-08-30\n",
        "Peter Blackburn said \"The Times of India\" and the New York Times had it. Blackburn left.\n",
        "Shares of Microsoft fell in New York after the European Commission opened an inquiry.\n",
        "x\n",
        "He said: 'no' -- then Mr. Smith of Acme Corp. went to the U.S. on 5 June 2024.\n",
    ));
    let te = concat!(
        "ప్రధానమంత్రి నరేంద్ర మోదీ మంగళవారం హైదరాబాద్‌లో పర్యటించారు .\n",
        "భారతదేశం మరియు పాకిస్తాన్ మధ్య చర్చలు జరిగాయి . మోదీ గారు ఢిల్లీ నుంచి వచ్చారు .\n",
        "కే. వి. మోహన్ కుమార్ రాసిన నవల \" వెన్నెల \" తెలంగాణ ప్రభుత్వానికి నచ్చింది .\n",
    );
    for (lang, text) in [("en", en.as_str()), ("te", te), ("en", te), ("te", en.as_str())] {
        let rec = NerRecogniser::builtin(lang).unwrap();
        let fast: Vec<(usize, usize, String)> = rec.entities(text).into_iter().map(|s| (s.start, s.end, s.label)).collect();
        let types = &rec.model().info.types;
        let general: Vec<(usize, usize, String)> =
            rec.entities_general(text).into_iter().map(|(s, e, ty)| (s, e, types[ty].clone())).collect();
        assert!(!fast.is_empty() || text.starts_with('ప') != (lang == "te"), "{lang}: nothing found");
        assert_eq!(fast, general, "{lang}");
    }
}

/// The fast path keeps words and their weight sums from one document to
/// the next (and forgets them when there are too many): tagging many short
/// documents one after another with one recogniser, in any order, gives the
/// tags the general path gives each alone.
#[test]
fn word_cache_across_documents_changes_no_tag() {
    let mut docs: Vec<String> = Vec::new();
    for line in std::fs::read_to_string(FIXTURE).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        docs.push(v["text"].as_str().unwrap().to_string());
    }
    docs.push("ప్రధానమంత్రి నరేంద్ర మోదీ మంగళవారం హైదరాబాద్‌లో పర్యటించారు .".into());
    // Enough distinct words to make the cache start afresh.
    docs.push((0..20_000).map(|i| format!("Word{i} ")).collect::<String>() + "in London .");
    let n = docs.len();
    for k in 0..n {
        docs.push(docs[(k * 7 + 3) % n].clone());
    }
    for lang in ["en", "te"] {
        let rec = NerRecogniser::builtin(lang).unwrap();
        for text in &docs {
            let fast: Vec<(usize, usize, String)> = rec.entities(text).into_iter().map(|s| (s.start, s.end, s.label)).collect();
            let types = &rec.model().info.types;
            let general: Vec<(usize, usize, String)> =
                rec.entities_general(text).into_iter().map(|(s, e, ty)| (s, e, types[ty].clone())).collect();
            assert_eq!(fast, general, "{lang}: {text:.60}");
        }
    }
}

/// The entities the fixture model finds in a sentence like the fixture's.
fn fixture_entities(bytes: &[u8]) -> Vec<(String, String)> {
    let rec = NerRecogniser::from_bytes(bytes).unwrap();
    let text = "Anna Kowalski joined Brightwater Labs in Lisbon last spring.";
    rec.entities(text).into_iter().map(|s| (text[s.start..s.end].to_string(), s.label)).collect()
}

#[test]
fn ensembles_and_passive_aggressive_steps_are_deterministic() {
    let single = fixture_model(7);
    assert!(fixture_model_with(7, |c| c.ensemble = 1) == single, "an ensemble of one must be the single perceptron");
    let ens = fixture_model_with(7, |c| c.ensemble = 3);
    assert!(ens == fixture_model_with(7, |c| c.ensemble = 3), "two ensembles with the same seed wrote different bytes");
    let note = "; mean of 3 perceptrons (shuffles)";
    assert_eq!(ens.len(), single.len() + note.len(), "an ensemble is one model of the same size but for its note");
    assert!(ens != single);
    assert!(ens != fixture_model_with(9, |c| c.ensemble = 3), "another seed, other shuffles");
    let rec = NerRecogniser::from_bytes(&ens).unwrap();
    assert_eq!(rec.model().info.trained_on, format!("fixture-en.jsonl{note}"));
    let want = pairs(&[("Anna Kowalski", "PER"), ("Brightwater Labs", "ORG"), ("Lisbon", "LOC")]);
    assert_eq!(fixture_entities(&ens), want);

    let pa = fixture_model_with(7, |c| c.pa = Some(f32::INFINITY));
    assert!(pa == fixture_model_with(7, |c| c.pa = Some(f32::INFINITY)));
    assert!(pa != single);
    assert_eq!(fixture_entities(&pa), want);
}

#[test]
fn crf_training_is_deterministic_and_learns_the_fixture() {
    let crf = |seed: u64| {
        fixture_model_with(seed, |c| {
            c.objective = Objective::Crf;
            c.epochs = 40;
            c.l2 = 0.1;
        })
    };
    let a = crf(7);
    assert!(a == crf(7), "two CRF trainings with the same seed wrote different bytes");
    assert!(a != fixture_model(7));
    let rec = NerRecogniser::from_bytes(&a).unwrap();
    let info = &rec.model().info;
    assert_eq!(info.trained_on, "fixture-en.jsonl; linear-chain CRF, L2 0.1");
    assert!((1..=40).contains(&info.epochs), "the L-BFGS iterations done: {}", info.epochs);
    // L-BFGS from zero draws nothing at random: the seed is only recorded.
    let other = crf(9);
    let weights = |b: &[u8]| NerRecogniser::from_bytes(b).unwrap().model().clone();
    let (ma, mut mb) = (weights(&a), weights(&other));
    mb.info.seed = 7;
    assert!(ma == mb);
    let want = pairs(&[("Anna Kowalski", "PER"), ("Brightwater Labs", "ORG"), ("Lisbon", "LOC")]);
    assert_eq!(fixture_entities(&a), want);

    // Stochastic gradient steps: the seed orders the sentences.
    let sgd = |seed: u64| {
        fixture_model_with(seed, |c| {
            c.objective = Objective::CrfSgd;
            c.rate = 0.1;
        })
    };
    let s = sgd(7);
    assert!(s == sgd(7), "two CRF-SGD trainings with the same seed wrote different bytes");
    assert!(s != sgd(9) && s != fixture_model(7));
    assert_eq!(fixture_entities(&s), want);
}
