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
/// as flat BIO labels or spaCy `doc.ents` as it is. Entities (the tagger's
/// PER/ORG/LOC/MISC) and temporal expressions (DATE, TIME, DURATION, SET)
/// compete here on equal terms, by one order of preference:
///
/// 1. The longer span wins over any shorter one it overlaps, nested or
///    crossing. A date inside a name stays part of the name ("Fourth of July
///    Parade Committee" ORG, "2024 Summer Olympics" MISC, "Sunday Times" ORG
///    beat "Fourth of July", "2024", "Sunday"); a name inside a longer
///    temporal expression stays part of it ("Christmas Day" DATE beats
///    "Christmas" MISC; "the summer of 2023" beats "2023").
/// 2. At equal length a temporal expression wins over an entity: a holiday
///    tagged both ways ("Fourth of July" DATE and MISC, "Diwali") keeps the
///    DATE, whose normalised value carries more than a label.
/// 3. Then the span that starts first, then the earlier recogniser's.
///
/// Runs in O(n log n): the spans kept so far are disjoint, so only the kept
/// span nearest before a candidate's end can overlap it.
pub struct ResolveOverlaps;

impl Refiner for ResolveOverlaps {
    fn name(&self) -> &str {
        "resolve-overlaps"
    }

    fn refine(&self, _doc: &Document, spans: Vec<Span>) -> Vec<Span> {
        // The order of preference as one integer key per span, computed once
        // (comparing labels inside the sort cost more than the rest): longer
        // first, then temporal, then earlier start, then earlier proposal.
        let mut order: Vec<(std::cmp::Reverse<usize>, bool, usize, usize)> =
            spans.iter().enumerate().map(|(i, s)| (std::cmp::Reverse(s.len()), !s.is_temporal(), s.start, i)).collect();
        order.sort_unstable();
        // (start, end, index) of the spans kept so far. An empty span clashes
        // as `Span::overlaps` says: only with a span strictly around it.
        let mut kept_at: std::collections::BTreeSet<(usize, usize, usize)> = std::collections::BTreeSet::new();
        for &(_, _, _, i) in &order {
            let s = &spans[i];
            let clash = kept_at.range(..(s.end, 0, 0)).next_back().is_some_and(|&(_, end, _)| end > s.start);
            if !clash {
                kept_at.insert((s.start, s.end, i));
            }
        }
        // In (start, end) order, as the set iterates.
        let mut spans: Vec<Option<Span>> = spans.into_iter().map(Some).collect();
        kept_at.into_iter().filter_map(|(_, _, i)| spans[i].take()).collect()
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

    fn resolve(text: &str, spans: &[(&str, &str, &str)]) -> Vec<(String, String)> {
        let doc = Document::new(text, "en", None);
        let proposed = spans
            .iter()
            .map(|(quote, label, source)| {
                let start = text.find(quote).unwrap();
                Span::new(start, start + quote.len(), label, source)
            })
            .collect();
        ResolveOverlaps
            .refine(&doc, proposed)
            .into_iter()
            .map(|s| (text[s.start..s.end].to_string(), s.label))
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn entities_and_dates_share_one_policy() {
        // A date inside a name stays part of the name.
        let t = "The Fourth of July Parade Committee met the Sunday Times on Monday.";
        assert_eq!(
            resolve(t, &[
                ("Fourth of July", "DATE", "timex"),
                ("Fourth of July Parade Committee", "ORG", "ner"),
                ("Sunday", "DATE", "timex"),
                ("Sunday Times", "ORG", "ner"),
                ("Monday", "DATE", "timex"),
            ]),
            pairs(&[("Fourth of July Parade Committee", "ORG"), ("Sunday Times", "ORG"), ("Monday", "DATE")])
        );
        // A holiday tagged both ways keeps the date; a name inside a longer
        // temporal expression goes.
        let t = "Fireworks on the Fourth of July and on Christmas Day.";
        assert_eq!(
            resolve(t, &[
                ("Fourth of July", "MISC", "ner"),
                ("Fourth of July", "DATE", "timex"),
                ("Christmas", "MISC", "ner"),
                ("Christmas Day", "DATE", "timex"),
            ]),
            pairs(&[("Fourth of July", "DATE"), ("Christmas Day", "DATE")])
        );
        // Crossing spans: the longer one, whichever kind.
        let t = "said May Day Parade organisers";
        assert_eq!(
            resolve(t, &[("May Day", "DATE", "timex"), ("Day Parade organisers", "ORG", "ner")]),
            pairs(&[("Day Parade organisers", "ORG")])
        );
    }

    #[test]
    fn many_spans_resolve_like_the_pairwise_rule() {
        // Against the quadratic definition on a dense pseudo-random set,
        // empty spans among them.
        let text = "x".repeat(400);
        let doc = Document::new(text.as_str(), "en", None);
        let mut seed = 12345u64;
        let mut spans = Vec::new();
        for i in 0..300 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let start = (seed >> 33) as usize % 390;
            let len = (seed >> 20) as usize % 11;
            let label = if i % 3 == 0 { "DATE" } else { "ORG" };
            spans.push(Span::new(start, start + len, label, "r"));
        }
        let got = ResolveOverlaps.refine(&doc, spans.clone());
        let mut order = spans;
        order.sort_by(|a, b| b.len().cmp(&a.len()).then(b.is_temporal().cmp(&a.is_temporal())).then(a.start.cmp(&b.start)));
        let mut want: Vec<Span> = Vec::new();
        for s in order {
            if !want.iter().any(|k| k.overlaps(&s)) {
                want.push(s);
            }
        }
        want.sort_by_key(|s| (s.start, s.end));
        assert_eq!(got, want);
        assert!(got.windows(2).all(|w| w[0].end <= w[1].start));
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
