//! Throughput of the temporal recogniser alone (extraction and resolution).
//! Ignored by default (timing depends on the build profile and the machine):
//! `cargo test --release --test timex_speed -- --ignored --nocapture`
//! (LEDE_TIMEX_BENCH=corpus.jsonl for a corpus's texts, LEDE_TIMEX_LANGS=en
//! for one language).

use std::time::Instant;

use lede::timex::TimexRecogniser;
use lede::Date;

fn news_text(bytes: usize) -> String {
    // Sentences of the kinds the recogniser has to look at closely (dates,
    // numbers, capitalised words) and of the kinds it has to skip fast.
    let parts = [
        "WASHINGTON, March 11, 2025 — The Senate voted 52-48 on Tuesday to pass the bill, ",
        "which had stalled for two weeks after a 90-minute debate last month. ",
        "Shares of ABC Corp. rose 12.53% to $2,000 in early trading, the highest since the summer of 2023. ",
        "Officials said the third quarter would be weak, and that 2,000 people had applied since January. ",
        "హైదరాబాద్ లో 2015లో ప్రారంభమైన పథకం ఫిబ్రవరి 12 న పూర్తయింది. ",
        "Nothing in this sentence is a date but it is long enough to look like ordinary prose from a newspaper. ",
    ];
    let mut s = String::with_capacity(bytes + 200);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(parts[i % parts.len()]);
        i += 1;
    }
    s
}

/// The texts of a corpus JSONL file named by LEDE_TIMEX_BENCH, else
/// generated text.
fn bench_text() -> String {
    match std::env::var("LEDE_TIMEX_BENCH") {
        Ok(path) => std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n\n"),
        Err(_) => news_text(4 << 20),
    }
}

#[test]
#[ignore]
fn timex_throughput() {
    let text = bench_text();
    let dct = Some(Date::parse("2025-03-11").unwrap());
    // LEDE_TIMEX_LANGS=en (or te) measures one recogniser only.
    let langs = std::env::var("LEDE_TIMEX_LANGS").unwrap_or_else(|_| "en,te".into());
    for lang in langs.split(',') {
        let r = TimexRecogniser::new(lang).unwrap();
        let t = Instant::now();
        let n = r.spans(&text, dct).len();
        let secs = t.elapsed().as_secs_f64();
        println!("timex {lang}: {:.1} MB/s ({n} spans in {:.1} MB)", text.len() as f64 / secs / 1e6, text.len() as f64 / 1e6);
    }
}
