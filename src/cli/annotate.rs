//! `lede annotate`: corpus JSONL (or plain text) in, one JSONL line of spans
//! per document out. Its formats are stable: evaluation is built on them.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use lede::export::{export_spans, CorpusLine};
use lede::offsets::Unit;
use lede::{Annotator, Date, Document};
use serde_json::json;

use super::{option, parse_options, read_text_file, CliError, CliResult};

pub fn run(args: &[String]) -> CliResult {
    let (opts, files) = parse_options(args, &["lang", "dct"])?;
    let default_lang = option(&opts, "lang").unwrap_or("auto").to_string();
    let default_dct = option(&opts, "dct").map(Date::parse).transpose()?;
    let annotator = Annotator::builtin()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failures = 0usize;

    let mut emit = |id: serde_json::Value, text: &str, lang: Option<&str>, dct: Option<Date>| {
        let lang = match lang.unwrap_or(&default_lang) {
            "auto" | "" => lede::detect_language(text),
            l => l,
        };
        let doc = Document::new(text, lang, dct.or(default_dct));
        let ann = annotator.annotate(&doc);
        let line = json!({ "id": id, "spans": export_spans(text, &ann.spans, Unit::CodePoint) });
        writeln!(out, "{line}").map_err(|e| CliError::Failed(format!("cannot write output: {e}")))
    };

    let mut inputs: Vec<(String, Box<dyn BufRead>)> = Vec::new();
    if files.is_empty() {
        inputs.push(("<stdin>".to_string(), Box::new(std::io::BufReader::new(std::io::stdin()))));
    }
    for path in &files {
        if path.ends_with(".txt") {
            let text = match read_text_file(path) {
                Ok(t) => t,
                Err(CliError::Failed(msg)) | Err(CliError::Usage(msg)) => {
                    eprintln!("lede: {msg}");
                    failures += 1;
                    continue;
                }
            };
            emit(json!(path), &text, None, None)?;
        } else {
            let f = std::fs::File::open(path).map_err(|e| CliError::Failed(format!("cannot open {path}: {e}")))?;
            inputs.push((path.clone(), Box::new(std::io::BufReader::new(f))));
        }
    }

    for (name, reader) in inputs {
        for (n, line) in reader.split(b'\n').enumerate() {
            let line_no = n + 1;
            let bytes = line.map_err(|e| CliError::Failed(format!("cannot read {name}: {e}")))?;
            let result = std::str::from_utf8(&bytes)
                .map_err(|_| "not UTF-8 text (a binary file?)".to_string())
                .and_then(|l| {
                    let l = l.trim();
                    if l.is_empty() {
                        return Ok(None);
                    }
                    let doc = CorpusLine::parse(l).map_err(|e| e.to_string())?;
                    let dct = match doc.dct.as_deref() {
                        None | Some("") => None,
                        Some(s) => Some(Date::parse(s).map_err(|e| e.to_string())?),
                    };
                    Ok(Some((doc, dct)))
                });
            match result {
                Ok(None) => {}
                Ok(Some((doc, dct))) => {
                    let id = doc.id.clone().unwrap_or(json!(line_no));
                    emit(id, &doc.text, doc.lang.as_deref(), dct)?;
                }
                Err(msg) => {
                    eprintln!("lede: {name}:{line_no}: {msg}");
                    failures += 1;
                }
            }
        }
    }
    out.flush().map_err(|e| CliError::Failed(format!("cannot write output: {e}")))?;
    if failures > 0 {
        eprintln!("lede: {failures} input(s) skipped, the rest annotated");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
