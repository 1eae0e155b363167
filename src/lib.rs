//! Lede's extraction core: named entities and temporal expressions in news
//! text, English and Telugu. The same code runs natively (the `lede` CLI) and
//! in the page (WebAssembly, through the one boundary module `wasm`).
//!
//! ```
//! use lede::{Annotator, Document, Date};
//! let annotator = Annotator::builtin().unwrap();
//! let doc = Document::new("The vote is on March 11.", "en", Some(Date::parse("2025-03-01").unwrap()));
//! let spans = annotator.annotate(&doc).spans;
//! assert_eq!(&doc.text[spans[0].start..spans[0].end], "March 11");
//! assert_eq!(spans[0].value.as_deref(), Some("2025-03-11"));
//! ```

pub mod annotator;
pub mod date;
pub mod error;
pub mod eval;
pub mod export;
pub mod ner;
pub mod offsets;
pub mod pipeline;
pub mod span;
pub mod timex;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use annotator::{detect_language, Annotation, Annotator, DateSource, LANGUAGES};
pub use date::Date;
pub use error::Error;
pub use span::{Document, Span};
