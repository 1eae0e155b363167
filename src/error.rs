//! The crate's one error type. Loading (models, language data, input files,
//! dates) can fail; extracting from text cannot, so `annotate` returns no Result.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A date that is not `YYYY-MM-DD` or does not exist (2025-02-30).
    BadDate(String),
    /// A language code with no language data behind it.
    UnknownLanguage(String),
    /// A model file that is corrupt, truncated or of another format version.
    BadModel(String),
    /// Language data (word lists, patterns) that does not parse.
    BadLanguageData(String),
    /// Input that is not what a command expects (malformed JSON, binary data...).
    BadInput(String),
    /// A file or socket operation that failed, with what was being done.
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadDate(s) => write!(f, "not a valid date (expected YYYY-MM-DD): {s:?}"),
            Error::UnknownLanguage(s) => write!(f, "unknown language {s:?} (known: en, te)"),
            Error::BadModel(s) => write!(f, "cannot load model: {s}"),
            Error::BadLanguageData(s) => write!(f, "bad language data: {s}"),
            Error::BadInput(s) => write!(f, "bad input: {s}"),
            Error::Io(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for Error {}
