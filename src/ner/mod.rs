//! Named entities (PER, ORG, LOC, MISC): a trained sequence tagger of our
//! own, small and fast enough for the page. An averaged structured
//! perceptron over hashed features with Viterbi decoding; one model per
//! language, compiled into the binary and the wasm module. How the shipped
//! models were trained and on what: src/ner/MODELS.md.

pub mod fast;
pub mod features;
pub mod gazetteer;
pub mod model;
pub mod score;
pub mod tagger;
pub mod tokenize;
pub mod train;

use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::pipeline::Recogniser;
use crate::span::{Document, Span};

pub use model::Model;

/// The entity tagger of one language as a pipeline recogniser.
pub struct NerRecogniser {
    model: Arc<Model>,
    source: String,
    transitions: tagger::Transitions,
    /// Buffers reused from one document to the next (a second caller at
    /// the same time gets fresh ones).
    scratch: Mutex<fast::Scratch>,
}

impl NerRecogniser {
    pub fn new(model: Model) -> NerRecogniser {
        let source = format!("ner:perceptron:{}", model.info.lang);
        let transitions = tagger::transitions(&&model, model.info.scheme);
        NerRecogniser { model: Arc::new(model), source, transitions, scratch: Mutex::new(fast::Scratch::default()) }
    }

    /// A recogniser from model bytes (a file written by `lede train`).
    pub fn from_bytes(bytes: &[u8]) -> Result<NerRecogniser, Error> {
        Ok(NerRecogniser::new(Model::from_bytes(bytes)?))
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Entities of a text as byte spans.
    pub fn entities(&self, text: &str) -> Vec<Span> {
        let m: &Model = &self.model;
        let found = match self.scratch.try_lock() {
            Ok(mut scratch) => fast::entities(m, &self.transitions, text, &mut scratch),
            Err(_) => fast::entities(m, &self.transitions, text, &mut fast::Scratch::default()),
        };
        found.into_iter().map(|(s, e, ty)| Span::new(s, e, &m.info.types[ty], &self.source)).collect()
    }

    /// Entities as `(start byte, end byte, type index)` by the general path
    /// that training uses (the same as `entities`, more slowly): for tests.
    pub fn entities_general(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let m: &Model = &self.model;
        let p = tagger::prepare(text, &m.gazetteer);
        train::predict(&mut &*m, m.info.scheme, &p)
    }
}

impl Recogniser for NerRecogniser {
    fn name(&self) -> &str {
        &self.source
    }

    fn recognise(&self, doc: &Document, out: &mut Vec<Span>) {
        out.extend(self.entities(&doc.text));
    }
}

/// The models compiled in (natively and into the wasm module alike).
static EN_MODEL: &[u8] = include_bytes!("models/en.lnm");
static TE_MODEL: &[u8] = include_bytes!("models/te.lnm");

/// The bytes of the shipped model of a language.
pub fn builtin_model_bytes(lang: &str) -> Option<&'static [u8]> {
    match lang {
        "en" => Some(EN_MODEL),
        "te" => Some(TE_MODEL),
        _ => None,
    }
}

impl NerRecogniser {
    /// The shipped tagger of a language.
    pub fn builtin(lang: &str) -> Result<NerRecogniser, Error> {
        let bytes = builtin_model_bytes(lang).ok_or_else(|| Error::UnknownLanguage(lang.to_string()))?;
        let model = Model::from_bytes(bytes)?;
        if model.info.lang != lang {
            return Err(Error::BadModel(format!("the built-in {lang} model says it is for {:?}", model.info.lang)));
        }
        Ok(NerRecogniser::new(model))
    }
}
