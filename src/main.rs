//! `lede`: the native command line on the same core as the page.
//!
//!     lede annotate [--lang L] [--dct YYYY-MM-DD] [FILE...]   JSONL or .txt in, JSONL spans out
//!     lede serve [--port N] [--dir DIR]                       serve the annotator page
//!     lede train --lang L --out MODEL [--dev FILE] TRAIN...    train an entity tagger
//!     lede bench [--only dates|entities] [FILE...]             native annotate throughput
//!     lede eval --gold FILE... [--errors] [--json]              score against gold corpora

mod cli;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  lede annotate [--lang en|te|auto] [--dct YYYY-MM-DD] [FILE...]
      Reads JSONL lines {\"id\", \"text\", \"lang\"?, \"dct\"?} (stdin when no FILE; a .txt
      file is one document) and writes one JSONL line per document:
      {\"id\", \"spans\": [{\"start\", \"end\", \"label\", \"text\", \"value\"?, \"source\"}]}
      with code-point offsets.
  lede serve [--port N] [--dir DIR]
      Serves the annotator page (default: port 8000, directory www) on 127.0.0.1.
  lede train --lang en|te --out MODEL [--dev FILE]... [--epochs N] [--seed S]
             [--bits B] [--scheme bio|bilou] [--labels PER,ORG,LOC,MISC]
             [--gazetteer yes|no] [--margin M] [--miss-cost C] [--holdout FRACTION]
             [--pa CAP] [--ensemble N] [--objective perceptron|crf|crf-sgd]
             [--l2 C] [--rate R] [--common-words N] TRAIN.jsonl...
      Trains the entity tagger on corpus JSONL files and writes a model file
      (deterministic for a seed). With --dev, prints strict span P/R/F1 per label.
      --holdout picks the number of epochs on that share of the training
      documents, then trains on all of them. --pa makes each update the
      passive-aggressive step (at most CAP; inf for none) instead of 1.
      --ensemble averages N models trained on different shuffles.
      --common-words also lists the word stems seen outside every entity in
      at least N training documents (a feature for scripts without capitals).
      --objective crf learns the same model as a linear-chain CRF (penalty
      C/2 |w|^2, default C 1) by L-BFGS, at most --epochs iterations (100 unless
      given); with
      --margin (and --miss-cost) its loss is softmax-margin. crf-sgd: the
      same loss without the penalty by averaged stochastic gradient steps
      of R (default 0.02) over --epochs shuffled passes.
  lede bench [--seconds S] [--only dates|entities] [FILE...]
      Native throughput (MB/s) of annotate, entities and dates together, on the
      given texts (.txt, or corpus JSONL) or on built-in generated news text:
      over all passes, per CPU second, and the fastest pass.
      --only times one recogniser alone (no refiners), to see where time goes.
  lede eval --gold FILE.jsonl [--gold FILE2 ...] [--only ID-PREFIX] [--skip ID-PREFIX] [--errors] [--json]
      Annotates each gold document (with its lang and dct) and prints, per language
      and overall, temporal strict/relaxed span P/R/F1, type and value accuracy and
      value F1 (TempEval-3), and entity strict/relaxed P/R/F1 per label, overall with
      and without MISC. Only label families present in a gold file are scored.
      --errors lists every mismatch (missed, spurious, extent, type, value) with context.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "annotate" => cli::annotate::run(rest),
        "serve" => cli::serve::run(rest),
        "train" => cli::train::run(rest),
        "bench" => cli::bench::run(rest),
        "eval" => cli::eval::run(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(cli::CliError::Usage(format!("unknown command {other:?}"))),
    };
    match result {
        Ok(code) => code,
        Err(cli::CliError::Usage(msg)) => {
            eprintln!("lede: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(cli::CliError::Failed(msg)) => {
            eprintln!("lede: {msg}");
            ExitCode::FAILURE
        }
    }
}
