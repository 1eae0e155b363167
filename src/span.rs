//! Documents in, spans out: the data shapes every layer shares.

use serde::Serialize;

use crate::date::Date;

/// One article to annotate.
#[derive(Clone, Debug)]
pub struct Document {
    pub text: String,
    /// BCP-47 primary language subtag: "en", "te".
    pub lang: String,
    /// The document creation time (publication date), against which relative
    /// temporal expressions ("yesterday", "last March") are resolved.
    pub dct: Option<Date>,
}

impl Document {
    pub fn new(text: impl Into<String>, lang: impl Into<String>, dct: Option<Date>) -> Document {
        Document { text: text.into(), lang: lang.into(), dct }
    }
}

/// An annotation proposed by a recogniser. Offsets are UTF-8 byte offsets into
/// the document text inside Rust; the boundary layers convert them (code points
/// for exports and the CLI, UTF-16 for the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// "PER", "ORG", "LOC", "MISC", "DATE", "TIME", "DURATION", "SET", ...
    pub label: String,
    /// TIMEX3 value for temporal expressions ("2025-03-11", "P30D").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Which rule or model proposed the span, e.g. "timex:en:month-day" or
    /// "ner:perceptron"; shown in the page so a user can see why a span is there.
    pub source: String,
}

impl Span {
    pub fn new(start: usize, end: usize, label: &str, source: &str) -> Span {
        Span { start, end, label: label.to_string(), value: None, source: source.to_string() }
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Span {
        self.value = Some(value.into());
        self
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Temporal (TIMEX3) labels as opposed to named-entity labels.
    pub fn is_temporal(&self) -> bool {
        is_temporal_label(&self.label)
    }
}

pub fn is_temporal_label(label: &str) -> bool {
    matches!(label, "DATE" | "TIME" | "DURATION" | "SET" | "TIMEX")
}
