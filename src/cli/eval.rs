//! `lede eval`: annotates gold corpus files with the built-in annotator and
//! scores the result (see `lede::eval` for what is counted).

use std::collections::BTreeMap;
use std::process::ExitCode;

use lede::eval::{Families, Tally};
use lede::export::CorpusLine;
use lede::{Annotator, Date, Document};

use super::{CliError, CliResult};

pub fn run(args: &[String]) -> CliResult {
    let (mut golds, mut json, mut only, mut skip, mut errors) = (Vec::new(), false, Vec::new(), Vec::new(), false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| CliError::Usage(format!("{name} needs a value")));
        match a.as_str() {
            "--gold" => golds.push(value("--gold")?),
            "--only" => only.push(value("--only")?),
            "--skip" => skip.push(value("--skip")?),
            "--json" => json = true,
            "--errors" => errors = true,
            other if other.starts_with("--gold=") => golds.push(other["--gold=".len()..].to_string()),
            other => return Err(CliError::Usage(format!("unexpected argument {other:?}"))),
        }
    }
    if golds.is_empty() {
        return Err(CliError::Usage("lede eval needs at least one --gold FILE".into()));
    }
    let annotator = Annotator::builtin()?;
    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    for path in &golds {
        let docs = read_gold(path)?;
        let docs: Vec<CorpusLine> = docs
            .into_iter()
            .filter(|d| {
                let id = d.id_string().unwrap_or_default();
                (only.is_empty() || only.iter().any(|p| id.starts_with(p.as_str()))) && !skip.iter().any(|p| id.starts_with(p.as_str()))
            })
            .collect();
        let mut gold_spans = Vec::with_capacity(docs.len());
        for (n, d) in docs.iter().enumerate() {
            gold_spans.push(d.gold_spans().map_err(|e| CliError::Failed(format!("{path}: document {}: {e}", n + 1)))?);
        }
        let families = Families::of(gold_spans.iter().flatten());
        for (d, gold) in docs.iter().zip(&gold_spans) {
            let lang = match d.lang.as_deref() {
                Some(l) if !l.is_empty() => l.to_string(),
                _ => lede::detect_language(&d.text).to_string(),
            };
            let dct = match d.dct.as_deref() {
                None | Some("") => None,
                Some(s) => Some(Date::parse(s).map_err(|e| CliError::Failed(format!("{path}: {e}")))?),
            };
            let ann = annotator.annotate(&Document::new(d.text.as_str(), lang.as_str(), dct));
            by_lang.entry(lang).or_default().score_doc(&families, gold, &ann.spans);
            if errors && families.temporal {
                let found = lede::eval::timex_mismatches(gold, &ann.spans);
                if !found.is_empty() {
                    let id = d.id_string().unwrap_or_default();
                    let mut out = String::new();
                    for m in &found {
                        out.push_str(&format!("{id}\t{}\n", m.line(&d.text)));
                    }
                    // With --json the listing goes to stderr, so stdout stays JSON.
                    if json {
                        eprint!("{out}");
                    } else {
                        print!("{out}");
                    }
                }
            }
        }
    }
    let mut all = Tally::default();
    for t in by_lang.values() {
        all.add(t);
    }
    if json {
        let per: BTreeMap<&String, _> = by_lang.iter().map(|(l, t)| (l, t.summary())).collect();
        let out = serde_json::json!({ "gold": golds, "languages": per, "overall": all.summary() });
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| CliError::Failed(e.to_string()))?);
    } else {
        println!("gold: {}", golds.join(", "));
        for (l, t) in &by_lang {
            print!("{}", t.table(&format!("language {l}")));
        }
        print!("{}", all.table("overall"));
    }
    Ok(ExitCode::SUCCESS)
}

fn read_gold(path: &str) -> Result<Vec<CorpusLine>, CliError> {
    Ok(lede::export::read_corpus(path)?.into_iter().map(|(_, doc)| doc).collect())
}
