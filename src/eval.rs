//! Scoring predicted spans against gold: temporal expressions the TempEval-3
//! way, named entities the CoNLL way, per language and overall.
//!
//! - Temporal: strict span P/R/F1 (exact extent) and relaxed (overlap, each
//!   gold span matched to at most one prediction); over the relaxed-matched
//!   pairs, type accuracy and value accuracy; value P/R/F1 counts a pair as
//!   correct when its value is (TE3's attribute F1). The label TIMEX is
//!   span-only (Telugu IL-NER): such gold spans count for extent, not type or
//!   value.
//! - Entities (PER/ORG/LOC/MISC): strict (exact extent and label) and
//!   relaxed (overlap and label) P/R/F1 per label, and overall with and
//!   without MISC.
//! - Only the families a gold file annotates are scored: temporal when one
//!   of its spans is temporal, and each entity label that occurs in it, so a
//!   corpus without TIMEX does not turn predicted dates into false positives.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::span::{is_temporal_label, Span};

pub const ENTITY_LABELS: [&str; 4] = ["PER", "ORG", "LOC", "MISC"];

/// What a gold file annotates, decided from the labels present in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Families {
    pub temporal: bool,
    pub entity_labels: BTreeSet<String>,
}

impl Families {
    pub fn of<'a>(gold: impl IntoIterator<Item = &'a Span>) -> Families {
        let mut f = Families::default();
        for s in gold {
            if is_temporal_label(&s.label) {
                f.temporal = true;
            } else if ENTITY_LABELS.contains(&s.label.as_str()) {
                f.entity_labels.insert(s.label.clone());
            }
        }
        f
    }
}

/// Span counts for one label family or label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub gold: usize,
    pub pred: usize,
    /// Predictions with exactly a gold span's extent.
    pub strict: usize,
    /// One-to-one overlapping pairs.
    pub relaxed: usize,
}

/// Precision, recall and F1 (0 when undefined).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prf {
    pub p: f64,
    pub r: f64,
    pub f1: f64,
}

pub fn prf(correct: usize, pred: usize, gold: usize) -> Prf {
    let p = if pred == 0 { 0.0 } else { correct as f64 / pred as f64 };
    let r = if gold == 0 { 0.0 } else { correct as f64 / gold as f64 };
    let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    Prf { p, r, f1 }
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.gold += o.gold;
        self.pred += o.pred;
        self.strict += o.strict;
        self.relaxed += o.relaxed;
    }
    pub fn strict_prf(&self) -> Prf {
        prf(self.strict, self.pred, self.gold)
    }
    pub fn relaxed_prf(&self) -> Prf {
        prf(self.relaxed, self.pred, self.gold)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TimexCounts {
    pub spans: Counts,
    /// Relaxed pairs whose gold has a type (not span-only TIMEX).
    pub typed_pairs: usize,
    pub type_correct: usize,
    /// Relaxed pairs whose gold has a value.
    pub valued_pairs: usize,
    pub value_correct: usize,
    /// Gold spans that carry a value, and predictions matched or not.
    pub valued_gold: usize,
    /// Predictions, when the gold has values (for value precision).
    pub valued_pred: usize,
}

impl TimexCounts {
    pub fn add(&mut self, o: &TimexCounts) {
        self.spans.add(&o.spans);
        self.typed_pairs += o.typed_pairs;
        self.type_correct += o.type_correct;
        self.valued_pairs += o.valued_pairs;
        self.value_correct += o.value_correct;
        self.valued_gold += o.valued_gold;
        self.valued_pred += o.valued_pred;
    }
    pub fn type_accuracy(&self) -> Option<f64> {
        (self.typed_pairs > 0).then(|| self.type_correct as f64 / self.typed_pairs as f64)
    }
    pub fn value_accuracy(&self) -> Option<f64> {
        (self.valued_pairs > 0).then(|| self.value_correct as f64 / self.valued_pairs as f64)
    }
    pub fn value_prf(&self) -> Option<Prf> {
        (self.valued_gold > 0).then(|| prf(self.value_correct, self.valued_pred, self.valued_gold))
    }
}

/// Scores of one language (or all).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub docs: usize,
    pub timex: Option<TimexCounts>,
    pub entities: BTreeMap<String, Counts>,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.docs += o.docs;
        if let Some(t) = &o.timex {
            self.timex.get_or_insert_with(TimexCounts::default).add(t);
        }
        for (l, c) in &o.entities {
            self.entities.entry(l.clone()).or_default().add(c);
        }
    }

    /// Entity counts summed over labels, optionally leaving MISC out.
    pub fn entity_total(&self, with_misc: bool) -> Counts {
        let mut c = Counts::default();
        for (l, x) in &self.entities {
            if with_misc || l != "MISC" {
                c.add(x);
            }
        }
        c
    }

    /// Scores one document's predictions against its gold.
    pub fn score_doc(&mut self, families: &Families, gold: &[Span], pred: &[Span]) {
        self.docs += 1;
        if families.temporal {
            let (g, p, pairs) = temporal_pairs(gold, pred);
            let t = self.timex.get_or_insert_with(TimexCounts::default);
            t.spans.add(&Counts { gold: g.len(), pred: p.len(), strict: strict_count(&g, &p, |_, _| true), relaxed: pairs.len() });
            let valued_gold = g.iter().filter(|s| s.value.is_some()).count();
            t.valued_gold += valued_gold;
            if valued_gold > 0 {
                t.valued_pred += p.len();
            }
            for (gi, pi) in pairs {
                let (gs, ps) = (g[gi], p[pi]);
                if let Some(ok) = type_ok(gs, ps) {
                    t.typed_pairs += 1;
                    t.type_correct += ok as usize;
                }
                if let Some(ok) = value_ok(gs, ps) {
                    t.valued_pairs += 1;
                    t.value_correct += ok as usize;
                }
            }
        }
        for label in &families.entity_labels {
            let g: Vec<&Span> = gold.iter().filter(|s| &s.label == label).collect();
            let p: Vec<&Span> = pred.iter().filter(|s| &s.label == label).collect();
            let c = Counts { gold: g.len(), pred: p.len(), strict: strict_count(&g, &p, |_, _| true), relaxed: relaxed_pairs(&g, &p, |_, _| true).len() };
            self.entities.entry(label.clone()).or_default().add(&c);
        }
    }
}

/// The temporal spans of gold and prediction, and their pairs as the
/// relaxed score (and `--errors`) pairs them.
fn temporal_pairs<'a>(gold: &'a [Span], pred: &'a [Span]) -> (Vec<&'a Span>, Vec<&'a Span>, Vec<(usize, usize)>) {
    let g: Vec<&Span> = gold.iter().filter(|s| s.is_temporal()).collect();
    let p: Vec<&Span> = pred.iter().filter(|s| s.is_temporal()).collect();
    let pairs = relaxed_pairs(&g, &p, |_, _| true);
    (g, p, pairs)
}

/// Whether a pair's type is right; None when the gold has no type
/// (IL-NER's untyped TIMEX).
fn type_ok(gold: &Span, pred: &Span) -> Option<bool> {
    (gold.label != "TIMEX").then(|| gold.label == pred.label)
}

/// Whether a pair's value is right; None when the gold has no value.
fn value_ok(gold: &Span, pred: &Span) -> Option<bool> {
    gold.value.as_ref().map(|v| pred.value.as_ref() == Some(v))
}

/// Predictions with exactly the extent of a (distinct) gold span.
fn strict_count(gold: &[&Span], pred: &[&Span], ok: impl Fn(&Span, &Span) -> bool) -> usize {
    let mut used = vec![false; gold.len()];
    let mut n = 0;
    for p in pred {
        if let Some(i) = (0..gold.len()).find(|&i| !used[i] && gold[i].start == p.start && gold[i].end == p.end && ok(gold[i], p)) {
            used[i] = true;
            n += 1;
        }
    }
    n
}

/// One-to-one overlapping pairs (gold index, pred index): exact matches
/// first, then for each gold span the unmatched prediction that overlaps it
/// most.
fn relaxed_pairs(gold: &[&Span], pred: &[&Span], ok: impl Fn(&Span, &Span) -> bool) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut gused = vec![false; gold.len()];
    let mut pused = vec![false; pred.len()];
    for (gi, g) in gold.iter().enumerate() {
        if let Some(pi) = (0..pred.len()).find(|&pi| !pused[pi] && pred[pi].start == g.start && pred[pi].end == g.end && ok(g, pred[pi])) {
            gused[gi] = true;
            pused[pi] = true;
            pairs.push((gi, pi));
        }
    }
    for (gi, g) in gold.iter().enumerate() {
        if gused[gi] {
            continue;
        }
        let overlap = |p: &Span| p.end.min(g.end).saturating_sub(p.start.max(g.start));
        let best = (0..pred.len()).filter(|&pi| !pused[pi] && pred[pi].overlaps(g) && ok(g, pred[pi])).max_by_key(|&pi| (overlap(pred[pi]), std::cmp::Reverse(pi)));
        if let Some(pi) = best {
            pused[pi] = true;
            pairs.push((gi, pi));
        }
    }
    pairs
}

/// What is wrong with one temporal gold span or prediction (`lede eval
/// --errors`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A gold span no prediction overlaps.
    Missed(Span),
    /// A prediction that overlaps no gold span.
    Spurious(Span),
    /// An overlapping pair that differs in extent, type or value (the kinds
    /// that differ are listed: "extent", "type", "value").
    Pair { gold: Span, pred: Span, kinds: Vec<&'static str> },
}

impl Mismatch {
    /// The kinds of error, comma-separated: "missed", "spurious", or those
    /// of a pair ("extent,value").
    pub fn kind(&self) -> String {
        match self {
            Mismatch::Missed(_) => "missed".into(),
            Mismatch::Spurious(_) => "spurious".into(),
            Mismatch::Pair { kinds, .. } => kinds.join(","),
        }
    }

    fn start(&self) -> usize {
        match self {
            Mismatch::Missed(s) | Mismatch::Spurious(s) => s.start,
            Mismatch::Pair { gold, pred, .. } => gold.start.min(pred.start),
        }
    }

    /// One line: kind, gold and prediction (quote, type, value), and the
    /// words around them with the gold extent in «» (the prediction's when
    /// there is no gold).
    pub fn line(&self, text: &str) -> String {
        // Quoted as written (Telugu vowel signs stay readable); only line
        // breaks are flattened.
        let show = |s: &Span| format!("\"{}\" {} {}", text[s.start..s.end].replace(['\n', '\t'], " "), s.label, s.value.as_deref().unwrap_or("-"));
        let (what, mark) = match self {
            Mismatch::Missed(g) => (format!("gold {} | pred -", show(g)), g),
            Mismatch::Spurious(p) => (format!("gold - | pred {}", show(p)), p),
            Mismatch::Pair { gold, pred, .. } => (format!("gold {} | pred {}", show(gold), show(pred)), gold),
        };
        format!("{:<17} {what}   …{}«{}»{}…", self.kind(), context_before(text, mark.start), &text[mark.start..mark.end], context_after(text, mark.end))
    }
}

const CONTEXT_CHARS: usize = 40;

fn context_before(text: &str, at: usize) -> String {
    let s: String = text[..at].chars().rev().take(CONTEXT_CHARS).collect::<Vec<_>>().into_iter().rev().collect();
    s.replace(['\n', '\t'], " ")
}

fn context_after(text: &str, at: usize) -> String {
    let s: String = text[at..].chars().take(CONTEXT_CHARS).collect();
    s.replace(['\n', '\t'], " ")
}

/// The temporal mismatches of one document, in text order: pairs matched
/// as the relaxed score matches them, then what is left on either side.
pub fn timex_mismatches(gold: &[Span], pred: &[Span]) -> Vec<Mismatch> {
    let (g, p, pairs) = temporal_pairs(gold, pred);
    let mut out = Vec::new();
    let (mut gused, mut pused) = (vec![false; g.len()], vec![false; p.len()]);
    for (gi, pi) in pairs {
        gused[gi] = true;
        pused[pi] = true;
        let (gs, ps) = (g[gi], p[pi]);
        let mut kinds = Vec::new();
        if (gs.start, gs.end) != (ps.start, ps.end) {
            kinds.push("extent");
        }
        if type_ok(gs, ps) == Some(false) {
            kinds.push("type");
        }
        if value_ok(gs, ps) == Some(false) {
            kinds.push("value");
        }
        if !kinds.is_empty() {
            out.push(Mismatch::Pair { gold: gs.clone(), pred: ps.clone(), kinds });
        }
    }
    out.extend(g.iter().zip(&gused).filter(|(_, u)| !**u).map(|(s, _)| Mismatch::Missed((*s).clone())));
    out.extend(p.iter().zip(&pused).filter(|(_, u)| !**u).map(|(s, _)| Mismatch::Spurious((*s).clone())));
    out.sort_by_key(Mismatch::start);
    out
}

/// A machine-readable summary (the `--json` output of `lede eval`).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub docs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timex: Option<TimexSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntitySummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimexSummary {
    pub counts: TimexCounts,
    pub strict: Prf,
    pub relaxed: Prf,
    pub type_accuracy: Option<f64>,
    pub value_accuracy: Option<f64>,
    pub value: Option<Prf>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LabelSummary {
    pub counts: Counts,
    pub strict: Prf,
    pub relaxed: Prf,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntitySummary {
    pub labels: BTreeMap<String, LabelSummary>,
    pub overall: LabelSummary,
    pub overall_without_misc: LabelSummary,
}

fn label_summary(c: Counts) -> LabelSummary {
    LabelSummary { counts: c, strict: c.strict_prf(), relaxed: c.relaxed_prf() }
}

impl Tally {
    pub fn summary(&self) -> Summary {
        let timex = self.timex.map(|t| TimexSummary {
            counts: t,
            strict: t.spans.strict_prf(),
            relaxed: t.spans.relaxed_prf(),
            type_accuracy: t.type_accuracy(),
            value_accuracy: t.value_accuracy(),
            value: t.value_prf(),
        });
        let entities = (!self.entities.is_empty()).then(|| EntitySummary {
            labels: self.entities.iter().map(|(l, c)| (l.clone(), label_summary(*c))).collect(),
            overall: label_summary(self.entity_total(true)),
            overall_without_misc: label_summary(self.entity_total(false)),
        });
        Summary { docs: self.docs, timex, entities }
    }

    /// The plain-text table printed by `lede eval`.
    pub fn table(&self, title: &str) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "== {title} ({} docs)", self.docs);
        let pct = |x: f64| format!("{:6.2}", 100.0 * x);
        let opt = |x: Option<f64>| x.map(pct).unwrap_or_else(|| "     -".to_string());
        if let Some(t) = &self.timex {
            let (s, r) = (t.spans.strict_prf(), t.spans.relaxed_prf());
            let _ = writeln!(out, "  temporal    gold {:5}  pred {:5}", t.spans.gold, t.spans.pred);
            let _ = writeln!(out, "              {:>6} {:>6} {:>6}", "P", "R", "F1");
            let _ = writeln!(out, "    strict    {} {} {}", pct(s.p), pct(s.r), pct(s.f1));
            let _ = writeln!(out, "    relaxed   {} {} {}", pct(r.p), pct(r.r), pct(r.f1));
            if let Some(v) = t.value_prf() {
                let _ = writeln!(out, "    value     {} {} {}", pct(v.p), pct(v.r), pct(v.f1));
            }
            let _ = writeln!(out, "    type accuracy {}   value accuracy {}   (over {} relaxed matches)", opt(t.type_accuracy()), opt(t.value_accuracy()), t.spans.relaxed);
        }
        if !self.entities.is_empty() {
            let _ = writeln!(out, "  entities      gold   pred  strict P      R     F1 | relaxed P      R     F1");
            let row = |out: &mut String, name: &str, c: &Counts| {
                let (s, r) = (c.strict_prf(), c.relaxed_prf());
                let _ = writeln!(out, "    {name:<10} {:5}  {:5}  {} {} {} | {} {} {}", c.gold, c.pred, pct(s.p), pct(s.r), pct(s.f1), pct(r.p), pct(r.r), pct(r.f1));
            };
            for (l, c) in &self.entities {
                row(&mut out, l, c);
            }
            if self.entities.contains_key("MISC") {
                row(&mut out, "all-MISC", &self.entity_total(false));
            }
            row(&mut out, "all", &self.entity_total(true));
        }
        if self.timex.is_none() && self.entities.is_empty() {
            let _ = writeln!(out, "  (no annotated labels to score)");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(start: usize, end: usize, label: &str, value: Option<&str>) -> Span {
        Span { start, end, label: label.into(), value: value.map(Into::into), source: "t".into() }
    }

    #[test]
    fn strict_and_relaxed_span_scores() {
        let gold = [sp(0, 10, "DATE", Some("2025-03-11")), sp(20, 25, "DURATION", Some("P2D")), sp(40, 44, "DATE", Some("1962"))];
        // exact, overlapping with wrong type, a false positive; one gold missed.
        let pred = [sp(0, 10, "DATE", Some("2025-03-11")), sp(18, 25, "DATE", Some("P2D")), sp(30, 33, "DATE", Some("X"))];
        let mut t = Tally::default();
        t.score_doc(&Families::of(&gold), &gold, &pred);
        let x = t.timex.unwrap();
        assert_eq!(x.spans, Counts { gold: 3, pred: 3, strict: 1, relaxed: 2 });
        assert_eq!((x.typed_pairs, x.type_correct, x.valued_pairs, x.value_correct), (2, 1, 2, 2));
        let v = x.value_prf().unwrap();
        assert!((v.p - 2.0 / 3.0).abs() < 1e-9 && (v.r - 2.0 / 3.0).abs() < 1e-9);
        assert!((x.spans.strict_prf().f1 - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn relaxed_matching_is_one_to_one() {
        // Two predictions inside one gold span: one match, one false positive.
        let gold = [sp(0, 20, "DATE", None)];
        let pred = [sp(0, 5, "DATE", None), sp(10, 20, "DATE", None)];
        let mut t = Tally::default();
        t.score_doc(&Families::of(&gold), &gold, &pred);
        assert_eq!(t.timex.unwrap().spans, Counts { gold: 1, pred: 2, strict: 0, relaxed: 1 });
    }

    #[test]
    fn span_only_timex_is_not_typed_and_unannotated_families_are_not_scored() {
        let gold = [sp(0, 6, "TIMEX", None), sp(10, 15, "PER", None)];
        let pred = [sp(0, 6, "DATE", Some("2015")), sp(10, 15, "PER", None), sp(20, 25, "ORG", None)];
        let f = Families::of(&gold);
        assert!(f.temporal);
        assert_eq!(f.entity_labels.iter().collect::<Vec<_>>(), ["PER"]);
        let mut t = Tally::default();
        t.score_doc(&f, &gold, &pred);
        let x = t.timex.unwrap();
        assert_eq!((x.spans.strict, x.typed_pairs, x.valued_pairs, x.value_prf()), (1, 0, 0, None));
        // ORG is not annotated in this gold: the ORG prediction is not counted.
        assert!(!t.entities.contains_key("ORG"));
        assert_eq!(t.entities["PER"], Counts { gold: 1, pred: 1, strict: 1, relaxed: 1 });

        // A corpus without temporal gold: predicted dates are not false positives.
        let gold = [sp(0, 5, "LOC", None)];
        let mut t = Tally::default();
        t.score_doc(&Families::of(&gold), &gold, &[sp(0, 5, "LOC", None), sp(7, 9, "DATE", None)]);
        assert!(t.timex.is_none());
    }

    #[test]
    fn entity_labels_must_agree_and_misc_is_reported_apart() {
        let gold = [sp(0, 5, "PER", None), sp(6, 10, "MISC", None), sp(12, 20, "LOC", None)];
        let pred = [sp(0, 5, "ORG", None), sp(6, 10, "MISC", None), sp(12, 16, "LOC", None)];
        let mut t = Tally::default();
        t.score_doc(&Families::of(&gold), &gold, &pred);
        assert_eq!(t.entities["PER"], Counts { gold: 1, pred: 0, strict: 0, relaxed: 0 });
        assert_eq!(t.entities["LOC"], Counts { gold: 1, pred: 1, strict: 0, relaxed: 1 });
        assert_eq!(t.entity_total(true), Counts { gold: 3, pred: 2, strict: 1, relaxed: 2 });
        assert_eq!(t.entity_total(false), Counts { gold: 2, pred: 1, strict: 0, relaxed: 1 });
        let table = t.table("test");
        assert!(table.contains("all-MISC"), "{table}");
    }
    #[test]
    fn mismatches_name_what_differs_with_context() {
        let text = "On March 3 and in 1998 and for two weeks, nothing happened yesterday.";
        let at = |q: &str| text.find(q).unwrap();
        let gold = [
            sp(at("March 3"), at("March 3") + 7, "DATE", Some("1998-03-03")),
            sp(at("1998"), at("1998") + 4, "DATE", Some("1998")),
            sp(at("two weeks"), at("two weeks") + 9, "DURATION", Some("P2W")),
        ];
        let pred = [
            sp(at("On March"), at("March 3") + 7, "DATE", Some("1998-03-03")),
            sp(at("1998"), at("1998") + 4, "DATE", Some("1998")),
            sp(at("yesterday"), at("yesterday") + 9, "DATE", Some("1998-03-02")),
        ];
        let m = timex_mismatches(&gold, &pred);
        let kinds: Vec<String> = m.iter().map(Mismatch::kind).collect();
        assert_eq!(kinds, ["extent", "missed", "spurious"]);
        let line = m[0].line(text);
        assert!(line.contains("gold \"March 3\" DATE 1998-03-03 | pred \"On March 3\""), "{line}");
        assert!(line.contains("…On «March 3» and in"), "{line}");
        assert!(m[2].line(text).contains("«yesterday»."), "{}", m[2].line(text));
    }
}
