//! `lede train`: trains an entity tagger from corpus JSONL files and writes
//! the model file; prints progress and, with `--dev`, strict span scores.

use std::process::ExitCode;

use lede::ner::tagger::Scheme;
use lede::ner::train::{self, Config, Objective, TrainDoc};
use lede::ner::NerRecogniser;

use super::{option, parse_options, CliError, CliResult};

fn parse_num<T: std::str::FromStr>(opts: &[(String, String)], name: &str, default: T) -> Result<T, CliError> {
    match option(opts, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| CliError::Usage(format!("--{name} wants a number, not {v:?}"))),
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub fn run(args: &[String]) -> CliResult {
    let (opts, files) =
        parse_options(args, &["lang", "out", "dev", "epochs", "seed", "bits", "scheme", "labels", "gazetteer", "margin", "miss-cost", "holdout", "ensemble", "pa", "objective", "l2", "rate", "common-words"])?;
    let lang = option(&opts, "lang").ok_or_else(|| CliError::Usage("train needs --lang".into()))?.to_string();
    let out = option(&opts, "out").ok_or_else(|| CliError::Usage("train needs --out".into()))?.to_string();
    if files.is_empty() {
        return Err(CliError::Usage("train needs at least one training file".into()));
    }
    let scheme = match option(&opts, "scheme").unwrap_or("bio") {
        "bio" => Scheme::Bio,
        "bilou" => Scheme::Bilou,
        other => return Err(CliError::Usage(format!("unknown --scheme {other:?} (bio or bilou)"))),
    };
    let gazetteer = match option(&opts, "gazetteer").unwrap_or("yes") {
        "yes" => true,
        "no" => false,
        other => return Err(CliError::Usage(format!("--gazetteer wants yes or no, not {other:?}"))),
    };
    let types: Vec<String> =
        option(&opts, "labels").unwrap_or("PER,ORG,LOC,MISC").split(',').map(|s| s.trim().to_string()).collect();
    if types.is_empty() || types.len() > 8 {
        return Err(CliError::Usage("--labels wants 1 to 8 labels".into()));
    }
    let bits: u8 = parse_num(&opts, "bits", 17)?;
    if !(8..=24).contains(&bits) {
        return Err(CliError::Usage("--bits wants 8 to 24".into()));
    }
    let mut docs: Vec<TrainDoc> = Vec::new();
    for f in &files {
        let d = train::load_corpus(f, &types)?;
        let missing: Vec<&str> =
            types.iter().enumerate().filter(|(i, _)| d.first().is_some_and(|x| x.missing & (1 << i) != 0)).map(|(_, t)| t.as_str()).collect();
        if missing.is_empty() {
            eprintln!("{}: {} documents", basename(f), d.len());
        } else {
            eprintln!("{}: {} documents; no {} spans: trained as unannotated, not as O", basename(f), d.len(), missing.join("/"));
        }
        docs.extend(d);
    }
    let mut dev = Vec::new();
    for (n, v) in &opts {
        if n == "dev" {
            dev.push((basename(v).to_string(), train::load_corpus(v, &types)?));
        }
    }
    let holdout: f64 = parse_num(&opts, "holdout", 0.0)?;
    if !(0.0..0.9).contains(&holdout) {
        return Err(CliError::Usage("--holdout wants a fraction from 0 to 0.9".into()));
    }
    let objective = match option(&opts, "objective").unwrap_or("perceptron") {
        "perceptron" => Objective::Perceptron,
        "crf" => Objective::Crf,
        "crf-sgd" => Objective::CrfSgd,
        other => return Err(CliError::Usage(format!("unknown --objective {other:?} (perceptron, crf or crf-sgd)"))),
    };
    let l2: f64 = parse_num(&opts, "l2", 1.0)?;
    if !(l2 >= 0.0 && l2.is_finite()) {
        return Err(CliError::Usage("--l2 wants a number of at least 0".into()));
    }
    let mut cfg = Config {
        lang: lang.clone(),
        types: types.clone(),
        scheme,
        bits,
        epochs: parse_num(&opts, "epochs", 12)?,
        seed: parse_num(&opts, "seed", 1)?,
        trained_on: files.iter().map(|f| basename(f)).collect::<Vec<_>>().join(", "),
        gazetteer,
        common_words: parse_num(&opts, "common-words", 0)?,
        margin: parse_num(&opts, "margin", 0.0)?,
        miss_cost: parse_num(&opts, "miss-cost", 1.0)?,
        ensemble: parse_num(&opts, "ensemble", 1)?,
        pa: match option(&opts, "pa") {
            None => None,
            Some(_) => Some(parse_num(&opts, "pa", f32::INFINITY)?),
        },
        objective,
        l2,
        rate: parse_num(&opts, "rate", 0.02)?,
    };
    if !(cfg.rate > 0.0 && cfg.rate.is_finite()) {
        return Err(CliError::Usage("--rate wants a positive number".into()));
    }
    if !(1..=64).contains(&cfg.ensemble) {
        return Err(CliError::Usage("--ensemble wants 1 to 64 models".into()));
    }
    // An option the chosen objective does not read is an error, not a
    // silent no-op.
    let given = |name: &str| option(&opts, name).is_some();
    let unread = match objective {
        Objective::Perceptron => ["l2", "rate"].iter().find(|n| given(n)),
        Objective::Crf => ["pa", "rate", "ensemble"].iter().find(|n| given(n)),
        Objective::CrfSgd => ["pa", "l2"].iter().find(|n| given(n)),
    };
    if let Some(name) = unread {
        return Err(CliError::Usage(format!("--{name} does nothing with --objective {}", option(&opts, "objective").unwrap_or("perceptron"))));
    }
    if objective == Objective::Crf && bits > 20 {
        // L-BFGS keeps about 21 copies of the weights as f64.
        return Err(CliError::Usage("--objective crf wants --bits 20 or fewer (it keeps about 21 copies of the weights)".into()));
    }
    if objective == Objective::Crf && !given("epochs") {
        // The perceptron's 12 epochs are far too few L-BFGS iterations.
        cfg.epochs = 100;
    }
    let started = std::time::Instant::now();
    if holdout > 0.0 {
        // Epochs chosen on held-out training documents (up to --epochs),
        // then the model is trained on all of them with that many.
        let (keep, out) = train::hold_out(docs.clone(), holdout, cfg.seed);
        eprintln!("choosing epochs: {} documents held out of {}", out.len(), docs.len());
        let held = vec![("held-out".to_string(), out)];
        let (_, curve) = train::train_scored(&keep, &held, &cfg, &mut |line| eprintln!("  {line}"));
        let best = train::best_epoch(&curve).unwrap_or(cfg.epochs);
        let f1 = curve.get(best as usize - 1).copied().unwrap_or(0.0);
        eprintln!("best on the held-out documents: {best} epochs (F1 {f1:.4}); training on all");
        cfg.epochs = best;
    }
    let model = train::train(&docs, &dev, &cfg, &mut |line| eprintln!("{line}"));
    let bytes = model.to_bytes();
    std::fs::write(&out, &bytes).map_err(|e| CliError::Failed(format!("cannot write {out}: {e}")))?;
    eprintln!("wrote {out}: {} bytes, {} gazetteer names, trained in {:.1}s", bytes.len(), model.gazetteer.entries().len(), started.elapsed().as_secs_f64());
    // Scores of the model as written (quantised), through the recogniser.
    let rec = NerRecogniser::from_bytes(&bytes)?;
    for (name, docs) in &dev {
        let mut scores = lede::ner::score::Scores::default();
        for d in docs {
            let pred: Vec<(usize, usize, usize)> = rec
                .entities(&d.text)
                .into_iter()
                .map(|s| (s.start, s.end, types.iter().position(|t| *t == s.label).unwrap_or(0)))
                .collect();
            scores.add_document(&d.spans, &pred, &types, d.missing);
        }
        println!("dev {name} ({lang}, strict spans, model as written):\n{}", scores.table());
    }
    Ok(ExitCode::SUCCESS)
}
