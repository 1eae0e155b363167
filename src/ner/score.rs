//! Strict span scores: a predicted entity counts only with the exact gold
//! start, end and label.

use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Counts per label.
#[derive(Clone, Debug, Default)]
pub struct Scores {
    pub per_label: BTreeMap<String, Counts>,
}

impl Scores {
    /// Adds one document: gold and predicted `(start, end, type index)`.
    /// Predictions of a type the corpus does not annotate (`missing` mask)
    /// are not counted.
    pub fn add_document(&mut self, gold: &[(usize, usize, usize)], pred: &[(usize, usize, usize)], types: &[String], missing: u8) {
        for (ty, name) in types.iter().enumerate() {
            if missing & (1 << ty) != 0 {
                continue;
            }
            let c = self.per_label.entry(name.clone()).or_default();
            let g: Vec<_> = gold.iter().filter(|s| s.2 == ty).collect();
            let p: Vec<_> = pred.iter().filter(|s| s.2 == ty).collect();
            let tp = p.iter().filter(|s| g.contains(s)).count();
            c.tp += tp;
            c.fp += p.len() - tp;
            c.fn_ += g.len() - tp;
        }
    }

    pub fn total(&self) -> Counts {
        self.per_label.values().fold(Counts::default(), |a, c| Counts { tp: a.tp + c.tp, fp: a.fp + c.fp, fn_: a.fn_ + c.fn_ })
    }

    /// A table: label, precision, recall, F1, gold and predicted counts.
    pub fn table(&self) -> String {
        let mut s = String::from("  label      P       R       F1     gold  pred\n");
        let rows = self.per_label.iter().map(|(l, c)| (l.as_str(), *c)).chain([("ALL", self.total())]);
        for (label, c) in rows {
            let _ = writeln!(
                s,
                "  {label:<6} {:>7.4} {:>7.4} {:>7.4} {:>7} {:>5}",
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp + c.fn_,
                c.tp + c.fp
            );
        }
        s
    }
}
