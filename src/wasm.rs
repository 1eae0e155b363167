//! The one module that knows about JavaScript. It converts at the boundary:
//! strings in, plain JS objects out, byte offsets turned into UTF-16 offsets
//! (what JavaScript strings index by). The core has no wasm-bindgen types.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::export::span_offsets;
use crate::offsets::Unit;
use crate::{Annotator, Date, DateSource, Document, Span};

#[wasm_bindgen(start)]
fn start() {
    // Panics show up in the console with their message instead of "unreachable".
    console_error_panic_hook::set_once();
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsAnnotation<'a> {
    lang: &'a str,
    spans: Vec<JsSpan<'a>>,
    reference_date: Option<String>,
    reference_date_source: DateSource,
}

/// A span as the page takes it: UTF-16 offsets and no quote (the page
/// holds the text, and its exports quote from it), the strings borrowed.
/// Quotes were a fifth of the JSON that crossed.
#[derive(Serialize)]
struct JsSpan<'a> {
    start: usize,
    end: usize,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    source: &'a str,
}

fn js_spans<'a>(text: &str, spans: &'a [Span]) -> Vec<JsSpan<'a>> {
    spans
        .iter()
        .zip(span_offsets(text, spans, Unit::Utf16))
        .map(|(s, (start, end))| JsSpan { start, end, label: &s.label, value: s.value.as_deref(), source: &s.source })
        .collect()
}

/// The extraction engine, built once per worker.
#[wasm_bindgen]
pub struct Engine {
    annotator: Annotator,
}

#[wasm_bindgen]
impl Engine {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Engine, JsError> {
        let annotator = Annotator::builtin().map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Engine { annotator })
    }

    /// Annotates `text`. `lang` is "en", "te" or "auto"; `dct` is the document
    /// date as YYYY-MM-DD, or empty to look for a dateline. Offsets in the
    /// result are UTF-16 code units.
    pub fn annotate(&self, text: &str, lang: &str, dct: &str) -> Result<JsValue, JsError> {
        let dct = match dct.trim() {
            "" => None,
            s => Some(Date::parse(s).map_err(|e| JsError::new(&e.to_string()))?),
        };
        let lang = if lang == "auto" || lang.is_empty() { crate::detect_language(text) } else { lang };
        let doc = Document::new(text, lang, dct);
        let ann = self.annotator.annotate(&doc);
        let out = JsAnnotation {
            lang,
            spans: js_spans(text, &ann.spans),
            reference_date: ann.reference_date.map(|d| d.to_string()),
            reference_date_source: ann.reference_date_source,
        };
        // One JSON text, parsed by the engine's JSON.parse, builds the plain
        // objects with one crossing of the boundary; building them field by
        // field from here (serde-wasm-bindgen) took about a fifth of the time
        // of a long article, most of it in string conversions.
        let json = serde_json::to_string(&out).map_err(|e| JsError::new(&e.to_string()))?;
        js_sys::JSON::parse(&json).map_err(|_| JsError::new("the annotation could not be passed to JavaScript"))
    }
}

/// "te" or "en", from the script of the text.
#[wasm_bindgen(js_name = detectLanguage)]
pub fn detect_language(text: &str) -> String {
    crate::detect_language(text).to_string()
}

/// The crate version, shown in the page footer and written into exports.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
