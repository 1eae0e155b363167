//! Extraction as an ordered list of recognisers and refiners: recognisers
//! propose spans, refiners (run in order, after all recognisers) merge, snap,
//! resolve overlaps and filter. Every span keeps the name of what made it.

use crate::offsets::{grapheme_ceil, grapheme_floor};
use crate::span::{Document, Span};

/// Proposes spans for a document. Recognising cannot fail: anything that can
/// go wrong (loading data, models) happens when the recogniser is built.
pub trait Recogniser: Send + Sync {
    fn name(&self) -> &str;
    /// Appends proposals to `out`. `doc.dct` is already the reference date the
    /// pipeline settled on (given, or found in a dateline).
    fn recognise(&self, doc: &Document, out: &mut Vec<Span>);
}

/// Rewrites the proposals of all recognisers.
pub trait Refiner: Send + Sync {
    fn name(&self) -> &str;
    fn refine(&self, doc: &Document, spans: Vec<Span>) -> Vec<Span>;
}

#[derive(Default)]
pub struct Pipeline {
    recognisers: Vec<Box<dyn Recogniser>>,
    refiners: Vec<Box<dyn Refiner>>,
}

impl Pipeline {
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    pub fn recogniser(mut self, r: impl Recogniser + 'static) -> Pipeline {
        self.recognisers.push(Box::new(r));
        self
    }

    pub fn refiner(mut self, r: impl Refiner + 'static) -> Pipeline {
        self.refiners.push(Box::new(r));
        self
    }

    pub fn run(&self, doc: &Document) -> Vec<Span> {
        let mut spans = Vec::new();
        for r in &self.recognisers {
            r.recognise(doc, &mut spans);
        }
        for r in &self.refiners {
            spans = r.refine(doc, spans);
        }
        spans
    }
}

/// Widens span edges to grapheme-cluster boundaries (a Telugu vowel sign or a
/// ZWJ emoji sequence is never cut) and drops spans that end up empty.
pub struct SnapToGraphemes;

impl Refiner for SnapToGraphemes {
    fn name(&self) -> &str {
        "snap-to-graphemes"
    }

    fn refine(&self, doc: &Document, mut spans: Vec<Span>) -> Vec<Span> {
        for s in &mut spans {
            s.start = grapheme_floor(&doc.text, s.start);
            s.end = grapheme_ceil(&doc.text, s.end);
        }
        spans.retain(|s| !s.is_empty());
        spans
    }
}

/// Leaves a set of spans in which no two overlap, so the output can be used
/// as flat BIO labels or spaCy `doc.ents` as it is.
///
/// Policy: a longer span wins over a shorter one it overlaps ("Fourth of July
/// Parade" as one name beats "Fourth of July" inside it; "the summer of 2023"
/// beats "2023"); at equal length a temporal expression wins over an entity,
/// because its value carries more than the label; then the earlier span.
pub struct ResolveOverlaps;

impl Refiner for ResolveOverlaps {
    fn name(&self) -> &str {
        "resolve-overlaps"
    }

    fn refine(&self, _doc: &Document, mut spans: Vec<Span>) -> Vec<Span> {
        spans.sort_by(|a, b| {
            b.len()
                .cmp(&a.len())
                .then(b.is_temporal().cmp(&a.is_temporal()))
                .then(a.start.cmp(&b.start))
        });
        let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans {
            if !kept.iter().any(|k| k.overlaps(&s)) {
                kept.push(s);
            }
        }
        kept.sort_by_key(|s| (s.start, s.end));
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<Span>);
    impl Recogniser for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
        fn recognise(&self, _doc: &Document, out: &mut Vec<Span>) {
            out.extend(self.0.iter().cloned());
        }
    }

    #[test]
    fn overlaps_resolve_longest_first_then_temporal() {
        let doc = Document::new("the summer of 2023 in Paris", "en", None);
        let p = Pipeline::new()
            .recogniser(Fixed(vec![
                Span::new(14, 18, "DATE", "a"),
                Span::new(0, 18, "DATE", "b"),
                Span::new(22, 27, "LOC", "c"),
                Span::new(22, 27, "DATE", "d"),
            ]))
            .refiner(ResolveOverlaps);
        let got: Vec<(usize, usize, String, String)> =
            p.run(&doc).into_iter().map(|s| (s.start, s.end, s.label, s.source)).collect();
        assert_eq!(
            got,
            vec![(0, 18, "DATE".into(), "b".into()), (22, 27, "DATE".into(), "d".into())]
        );
    }

    #[test]
    fn snapping_widens_to_whole_clusters() {
        let text = "నగరం హైదరాబాద్";
        let doc = Document::new(text, "te", None);
        let start = text.find("హై").unwrap();
        // A span that starts inside the cluster హై (after హ) and ends before ్.
        let p = Pipeline::new()
            .recogniser(Fixed(vec![Span::new(start + "హ".len(), text.len() - "్".len(), "LOC", "x")]))
            .refiner(SnapToGraphemes);
        let s = &p.run(&doc)[0];
        assert_eq!(&text[s.start..s.end], "హైదరాబాద్");
    }
}
