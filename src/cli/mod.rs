//! The subcommands of the `lede` binary and the little they share.

pub mod annotate;
pub mod bench;
pub mod eval;
pub mod serve;
pub mod train;

use std::process::ExitCode;

pub enum CliError {
    /// Wrong arguments: the usage text follows the message.
    Usage(String),
    /// The command could not do its work.
    Failed(String),
}

impl From<lede::Error> for CliError {
    fn from(e: lede::Error) -> CliError {
        CliError::Failed(e.to_string())
    }
}

pub type CliResult = Result<ExitCode, CliError>;

/// Splits `--name value` options from positional arguments. Every option
/// takes a value; `allowed` lists the names a command accepts.
pub fn parse_options(args: &[String], allowed: &[&str]) -> Result<(Vec<(String, String)>, Vec<String>), CliError> {
    let (mut opts, mut positional) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--") {
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it.next().ok_or_else(|| CliError::Usage(format!("--{name} needs a value")))?;
                    (name.to_string(), v.clone())
                }
            };
            if !allowed.contains(&name.as_str()) {
                return Err(CliError::Usage(format!("unknown option --{name}")));
            }
            opts.push((name, value));
        } else {
            positional.push(a.clone());
        }
    }
    Ok((opts, positional))
}

pub fn option<'a>(opts: &'a [(String, String)], name: &str) -> Option<&'a str> {
    opts.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Reads a file as UTF-8 text, with a message that says what is wrong.
pub fn read_text_file(path: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::Failed(format!("cannot read {path}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::Failed(format!("{path} is not UTF-8 text (a binary file?): invalid byte at offset {}", e.utf8_error().valid_up_to()))
    })
}
