//! The public entry point: one pipeline per language, built once.

use std::collections::HashMap;

use crate::date::Date;
use crate::error::Error;
use crate::ner::NerRecogniser;
use crate::pipeline::{Pipeline, ResolveOverlaps, SnapToGraphemes};
use crate::span::{Document, Span};
use crate::timex::{self, TimexRecogniser};

/// The languages Lede has data for.
pub const LANGUAGES: [&str; 2] = ["en", "te"];

/// Where the reference date used for resolution came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateSource {
    /// The document's own `dct`.
    Given,
    /// A dateline in the text ("NEW DELHI, March 11 (Reuters) -").
    Dateline,
    /// None found: relative expressions keep unresolved parts (XXXX-03-11).
    None,
}

/// The result of annotating one document.
#[derive(Clone, Debug)]
pub struct Annotation {
    /// Sorted by start, non-overlapping, byte offsets into the document text.
    pub spans: Vec<Span>,
    /// The date relative expressions were resolved against.
    pub reference_date: Option<Date>,
    pub reference_date_source: DateSource,
}

pub struct Annotator {
    pipelines: HashMap<&'static str, Pipeline>,
}

impl Annotator {
    /// Builds the pipelines from the language data and models compiled in.
    pub fn builtin() -> Result<Annotator, Error> {
        let mut pipelines = HashMap::new();
        for lang in LANGUAGES {
            let p = Pipeline::new()
                .recogniser(TimexRecogniser::new(lang)?)
                .recogniser(NerRecogniser::builtin(lang)?)
                .refiner(SnapToGraphemes)
                .refiner(ResolveOverlaps);
            pipelines.insert(lang, p);
        }
        Ok(Annotator { pipelines })
    }

    /// Annotates a document. An unknown language falls back to the language
    /// detected from the script (Telugu or English).
    pub fn annotate(&self, doc: &Document) -> Annotation {
        let lang = if self.pipelines.contains_key(doc.lang.as_str()) {
            doc.lang.as_str()
        } else {
            detect_language(&doc.text)
        };
        let (reference_date, reference_date_source) = match doc.dct {
            Some(d) => (Some(d), DateSource::Given),
            None => match timex::dateline_date(&doc.text, lang) {
                Some(d) => (Some(d), DateSource::Dateline),
                None => (None, DateSource::None),
            },
        };
        let resolved;
        let doc = if doc.dct == reference_date {
            doc
        } else {
            resolved = Document { dct: reference_date, ..doc.clone() };
            &resolved
        };
        let spans = self.pipelines[lang].run(doc);
        Annotation { spans, reference_date, reference_date_source }
    }
}

/// "te" when most letters are in the Telugu block, else "en".
pub fn detect_language(text: &str) -> &'static str {
    let (mut telugu, mut letters) = (0usize, 0usize);
    for c in text.chars().take(5000).filter(|c| c.is_alphabetic()) {
        letters += 1;
        if crate::ner::tokenize::is_telugu(c) {
            telugu += 1;
        }
    }
    if letters > 0 && telugu * 2 >= letters {
        "te"
    } else {
        "en"
    }
}
