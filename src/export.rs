//! The exchange formats at the edge of the core: spans with code-point
//! offsets and their quoted text (what Python, spaCy and the CLI use), and the
//! corpus JSONL read by `lede annotate` and `lede eval`.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::offsets::{self, Unit};
use crate::span::Span;

/// A span as exported: offsets in code points, with the quote so that a
/// reader can check the offsets by slicing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The `(start, end)` of each span in `unit` offsets, converted in one
/// pass over the text.
pub fn span_offsets(text: &str, spans: &[Span], unit: Unit) -> Vec<(usize, usize)> {
    let bytes: Vec<usize> = spans.iter().flat_map(|s| [s.start, s.end]).collect();
    offsets::from_bytes(text, &bytes, unit).chunks(2).map(|c| (c[0], c[1])).collect()
}

/// Converts core spans (byte offsets) to `unit` offsets, quoting each.
pub fn export_spans(text: &str, spans: &[Span], unit: Unit) -> Vec<ExportSpan> {
    spans
        .iter()
        .zip(span_offsets(text, spans, unit))
        .map(|(s, (start, end))| ExportSpan {
            start,
            end,
            label: s.label.clone(),
            text: text[s.start..s.end].to_string(),
            value: s.value.clone(),
            source: Some(s.source.clone()),
        })
        .collect()
}

/// One line of a corpus file: the input of `lede annotate` and the gold of
/// `lede eval` (the format of ../shared/data). Unknown fields are ignored.
#[derive(Clone, Debug, Deserialize)]
pub struct CorpusLine {
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    pub text: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub dct: Option<String>,
    #[serde(default)]
    pub spans: Vec<GoldSpan>,
}

/// A gold span, code-point offsets.
#[derive(Clone, Debug, Deserialize)]
pub struct GoldSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// Reads a corpus file: one JSON document per line, blank lines skipped.
/// Each document comes with its 1-based line number, for messages; a line
/// that does not parse fails the whole file with its number.
pub fn read_corpus(path: &str) -> Result<Vec<(usize, CorpusLine)>, Error> {
    let text = std::fs::read(path).map_err(|e| Error::Io(format!("cannot open {path}: {e}")))?;
    let text = String::from_utf8(text).map_err(|_| Error::BadInput(format!("{path} is not UTF-8 text (a binary file?)")))?;
    let mut docs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc = serde_json::from_str(line).map_err(|e| Error::BadInput(format!("{path}:{}: {e}", n + 1)))?;
        docs.push((n + 1, doc));
    }
    Ok(docs)
}

impl CorpusLine {
    pub fn parse(line: &str) -> Result<CorpusLine, Error> {
        serde_json::from_str(line).map_err(|e| Error::BadInput(e.to_string()))
    }

    /// The id as a string, whether the file gave a string or a number.
    pub fn id_string(&self) -> Option<String> {
        self.id.as_ref().map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Gold spans with byte offsets; spans whose offsets fall outside the
    /// text are reported as an error rather than silently dropped.
    pub fn gold_spans(&self) -> Result<Vec<Span>, Error> {
        let cps: Vec<usize> = self.spans.iter().flat_map(|s| [s.start, s.end]).collect();
        let bytes = offsets::to_bytes(&self.text, &cps, Unit::CodePoint);
        self.spans
            .iter()
            .zip(bytes.chunks(2))
            .map(|(g, b)| match (b[0], b[1]) {
                (Some(start), Some(end)) if start <= end => Ok(Span {
                    start,
                    end,
                    label: g.label.clone(),
                    value: g.value.clone(),
                    source: "gold".to_string(),
                }),
                _ => Err(Error::BadInput(format!("span {}..{} is outside the text", g.start, g.end))),
            })
            .collect()
    }
}
