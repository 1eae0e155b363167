//! `lede bench`: native throughput of `annotate` (entities and dates in one
//! pipeline) in MB/s of UTF-8 text, on given texts or on generated news text;
//! `--only dates|entities` times one recogniser alone, to see where time goes.

use std::process::ExitCode;
use std::time::Instant;

use lede::export::read_corpus;
use lede::ner::NerRecogniser;
use lede::pipeline::Recogniser;
use lede::timex::TimexRecogniser;
use lede::{Annotator, Document, LANGUAGES};

use super::{option, parse_options, read_text_file, CliError, CliResult};

/// Deterministic news-like English and Telugu text of about `bytes` bytes.
pub fn generated_text(bytes: usize) -> Vec<(String, &'static str)> {
    const PEOPLE: &[&str] = &["Narendra Modi", "Joe Biden", "Angela Merkel", "Xi Jinping", "Emmanuel Macron", "Rishi Sunak", "Kamala Harris", "Olaf Scholz"];
    const ORGS: &[&str] = &["the World Bank", "Reuters", "the United Nations", "Infosys", "the European Commission", "Tata Motors", "NATO", "Google"];
    const PLACES: &[&str] = &["Washington", "New Delhi", "Hyderabad", "Brussels", "Beijing", "London", "Paris", "Tokyo"];
    const WHEN: &[&str] = &["on Tuesday", "on March 11", "last week", "in 2023", "on 5 June 2024", "yesterday", "next month", "on January 3"];
    const VERBS: &[&str] = &["met", "criticised", "praised", "called", "visited", "warned", "thanked", "joined"];
    const TE: &[&str] = &[
        "ప్రధానమంత్రి నరేంద్ర మోదీ మంగళవారం హైదరాబాద్‌లో పర్యటించారు .",
        "భారత క్రికెట్ జట్టు ముంబైలో శిక్షణ ప్రారంభించింది .",
        "తెలంగాణ ప్రభుత్వం కొత్త పథకాన్ని ప్రకటించింది .",
    ];
    let mut out = Vec::new();
    let (mut en, mut te) = (String::new(), String::new());
    let mut i = 0usize;
    let mut done = 0usize;
    while done + en.len() + te.len() < bytes {
        let p = |list: &[&'static str], k: usize| list[(i * (k * 2 + 1) + k) % list.len()];
        en.push_str(&format!(
            "{} {} {} of {} in {} {}, officials said. ",
            p(PEOPLE, 1), p(VERBS, 2), p(PEOPLE, 3), p(ORGS, 4), p(PLACES, 5), p(WHEN, 6)
        ));
        if i % 8 == 7 {
            en.push('\n');
        }
        if i % 10 == 0 {
            te.push_str(p(TE, 7));
            te.push(' ');
        }
        i += 1;
        if en.len() > 20_000 {
            done += en.len();
            out.push((std::mem::take(&mut en), "en"));
        }
        if te.len() > 20_000 {
            done += te.len();
            out.push((std::mem::take(&mut te), "te"));
        }
    }
    out.push((en, "en"));
    out.push((te, "te"));
    out.retain(|(t, _)| !t.is_empty());
    out
}

pub fn run(args: &[String]) -> CliResult {
    let (opts, files) = parse_options(args, &["seconds", "lang", "only"])?;
    let only = option(&opts, "only");
    if !matches!(only, None | Some("dates" | "entities")) {
        return Err(CliError::Usage(format!("--only wants dates or entities, not {:?}", only.unwrap_or_default())));
    }
    let seconds: f64 = match option(&opts, "seconds") {
        None => 3.0,
        Some(v) => v.parse().map_err(|_| CliError::Usage(format!("--seconds wants a number, not {v:?}")))?,
    };
    let default_lang = option(&opts, "lang").unwrap_or("auto");
    let mut docs: Vec<(String, String)> = Vec::new();
    for f in &files {
        if f.ends_with(".jsonl") {
            for (_, c) in read_corpus(f)? {
                let lang = c.lang.clone().unwrap_or_else(|| lede::detect_language(&c.text).to_string());
                docs.push((c.text, lang));
            }
        } else {
            let text = read_text_file(f)?;
            let lang = if default_lang == "auto" { lede::detect_language(&text).to_string() } else { default_lang.to_string() };
            docs.push((text, lang));
        }
    }
    let source = if files.is_empty() {
        docs = generated_text(2_000_000).into_iter().map(|(t, l)| (t, l.to_string())).collect();
        "generated news text".to_string()
    } else {
        files.join(", ")
    };
    let docs: Vec<Document> = docs.into_iter().map(|(t, l)| Document::new(t, l, None)).collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    if bytes == 0 {
        return Err(CliError::Failed("no text to benchmark".into()));
    }
    let load = Instant::now();
    let run_one: Box<dyn Fn(&Document) -> usize> = match only {
        None => {
            let annotator = Annotator::builtin()?;
            Box::new(move |d| annotator.annotate(d).spans.len())
        }
        Some(which) => {
            // One recogniser per language, without the refiners.
            let mut by_lang: Vec<(&str, Box<dyn Recogniser>)> = Vec::new();
            for lang in LANGUAGES {
                let r: Box<dyn Recogniser> = if which == "dates" { Box::new(TimexRecogniser::new(lang)?) } else { Box::new(NerRecogniser::builtin(lang)?) };
                by_lang.push((lang, r));
            }
            Box::new(move |d| {
                let r = by_lang.iter().find(|(l, _)| *l == d.lang).unwrap_or(&by_lang[0]);
                let mut out = Vec::new();
                r.1.recognise(d, &mut out);
                out.len()
            })
        }
    };
    let load_ms = load.elapsed().as_secs_f64() * 1000.0;
    // One warm-up pass, then whole passes until the time is up.
    let spans: usize = docs.iter().map(|d| run_one(d)).sum();
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut passes = 0usize;
    // The fastest pass: on a shared machine the least disturbed one.
    let mut fastest = f64::INFINITY;
    while passes == 0 || start.elapsed().as_secs_f64() < seconds {
        let pass = Instant::now();
        for d in &docs {
            std::hint::black_box(run_one(d));
        }
        fastest = fastest.min(pass.elapsed().as_secs_f64());
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_start.zip(cpu_seconds()).map(|(a, b)| b - a);
    let mb = (bytes * passes) as f64 / 1e6;
    println!("bench: {source}: {} documents, {:.2} MB, {spans} spans", docs.len(), bytes as f64 / 1e6);
    let what = match only {
        None => "annotate (entities + dates)",
        Some("dates") => "dates alone (temporal recogniser, no refiners)",
        Some(_) => "entities alone (tagger, no refiners)",
    };
    println!("{what}, native, one core: {:.2} MB/s ({passes} passes in {secs:.2}s; models loaded in {load_ms:.1} ms)", mb / secs);
    if let Some(cpu) = cpu.filter(|&c| c > 0.0) {
        // On a shared machine wall time includes waiting for a core.
        println!("per CPU second of this thread: {:.2} MB/s", mb / cpu);
    }
    println!("fastest pass: {:.2} MB/s", bytes as f64 / 1e6 / fastest);
    Ok(ExitCode::SUCCESS)
}

/// CPU time of this thread so far, where the system tells it (Linux).
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
