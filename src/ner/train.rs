//! Training: an averaged structured perceptron (Collins 2002) over whole
//! documents, sentence by sentence, with Viterbi decoding under the tag
//! scheme's constraints. Deterministic for a given seed: documents are
//! shuffled by our own generator and nothing depends on hash-map order.
//!
//! Corpora that leave a type unannotated (Universal NER has no MISC) are
//! trained as partially labelled: on their O tokens the "gold" path is the
//! best path that agrees with the annotated spans and may put the missing
//! types anywhere else, so their O is never taken as evidence against MISC.

use std::ops::Range;

use crate::error::Error;

use super::features::{IdMap, History, FEATURE_SET};
use super::gazetteer::{self, Gazetteer, TrainGazetteer};
use super::model::{bucket, Model, ModelInfo};
use super::score::Scores;
use super::tagger::{prepare, tag_prepared, tag_prepared_with, viterbi, Prepared, Scheme, Weights};

/// One training or evaluation document: text and gold entities as byte
/// offsets with type indices.
#[derive(Clone, Debug)]
pub struct TrainDoc {
    pub text: String,
    pub spans: Vec<(usize, usize, usize)>,
    /// Type bit mask of the types this document's corpus does not annotate.
    pub missing: u8,
}

/// Reads a corpus file (JSONL, ../shared/data format). Spans with labels
/// outside `types` are ignored; a type with no span in the whole file is
/// taken as not annotated by that corpus.
pub fn load_corpus(path: &str, types: &[String]) -> Result<Vec<TrainDoc>, Error> {
    let mut docs = Vec::new();
    let mut seen = 0u8;
    for (line_no, doc) in crate::export::read_corpus(path)? {
        let gold = doc.gold_spans().map_err(|e| Error::BadInput(format!("{path}:{line_no}: {e}")))?;
        let mut spans = Vec::new();
        for s in gold {
            if let Some(ty) = types.iter().position(|t| *t == s.label) {
                seen |= 1 << ty;
                spans.push((s.start, s.end, ty));
            }
        }
        docs.push(TrainDoc { text: doc.text, spans, missing: 0 });
    }
    let all = ((1u16 << types.len()) - 1) as u8;
    let missing = all & !seen;
    for d in &mut docs {
        d.missing = missing;
    }
    Ok(docs)
}

/// Token chunks `(first token, end token, type)` for byte spans; spans
/// whose edges fall inside a token are counted and left out.
pub fn align(tokens: &[super::tokenize::Token], spans: &[(usize, usize, usize)]) -> (Vec<(usize, usize, usize)>, usize) {
    let mut chunks = Vec::with_capacity(spans.len());
    let mut misaligned = 0;
    for &(s, e, ty) in spans {
        let first = tokens.partition_point(|t| t.start < s);
        let last = tokens.partition_point(|t| t.end <= e);
        if first < last && tokens[first].start == s && tokens[last - 1].end == e {
            chunks.push((first, last, ty));
        } else {
            misaligned += 1;
        }
    }
    chunks.sort_unstable();
    chunks.dedup_by(|a, b| a.0 < b.1);
    (chunks, misaligned)
}

#[derive(Clone, Debug)]
pub struct Config {
    pub lang: String,
    pub types: Vec<String>,
    pub scheme: Scheme,
    pub bits: u8,
    pub epochs: u32,
    pub seed: u64,
    /// Free text stored in the model: which corpora.
    pub trained_on: String,
    pub gazetteer: bool,
    /// Cost-augmented training: while learning, every wrong tag gets a
    /// bonus of `margin`, and O on a gold entity token `margin * miss_cost`
    /// (above 1 trades precision for recall). 0 = the plain perceptron.
    pub margin: f32,
    pub miss_cost: f32,
    /// Perceptrons trained on different shuffles (seeds by `member_seed`)
    /// whose averaged weights are averaged into the model; 1 = one.
    pub ensemble: u32,
    /// Passive-aggressive steps capped at this (PA-I), instead of 1.
    pub pa: Option<f32>,
}

/// The cost of a wrong `tag` in cost-augmented training: `margin`, and
/// `margin * miss_cost` for O (tag 0) where a sentence has no unannotated
/// types (`missing`) that O could stand for.
fn tag_cost(cfg: &Config, tag: usize, missing: u8) -> f32 {
    if tag == 0 && missing == 0 {
        cfg.margin * cfg.miss_cost
    } else {
        cfg.margin
    }
}

/// Float weights.
#[derive(Clone)]
pub struct Dense {
    n_tags: usize,
    bits: u8,
    w: Vec<f32>,
    trans: Vec<f32>,
}

impl Dense {
    fn new(n_tags: usize, bits: u8) -> Dense {
        Dense { n_tags, bits, w: vec![0.0; (1usize << bits) * n_tags], trans: vec![0.0; (n_tags + 1) * n_tags] }
    }
}

impl Weights for Dense {
    const FROZEN: bool = true;

    fn n_tags(&self) -> usize {
        self.n_tags
    }
    #[inline]
    fn add(&self, h: u64, acc: &mut [f32]) {
        let b = bucket(h, self.bits) * self.n_tags;
        for (a, &w) in acc.iter_mut().zip(&self.w[b..b + self.n_tags]) {
            *a += w;
        }
    }
    fn transition(&self, prev: Option<usize>, cur: usize) -> f32 {
        self.trans[prev.unwrap_or(self.n_tags) * self.n_tags + cur]
    }
}

/// The weights being learnt and the sums that average them.
struct Perceptron {
    cur: Dense,
    acc_w: Vec<f64>,
    acc_t: Vec<f64>,
    c: f64,
}

impl Weights for Perceptron {
    fn n_tags(&self) -> usize {
        self.cur.n_tags
    }
    fn add(&self, h: u64, acc: &mut [f32]) {
        self.cur.add(h, acc)
    }
    fn transition(&self, prev: Option<usize>, cur: usize) -> f32 {
        self.cur.transition(prev, cur)
    }
}

impl Perceptron {
    fn new(n_tags: usize, bits: u8) -> Perceptron {
        Perceptron {
            cur: Dense::new(n_tags, bits),
            acc_w: vec![0.0; (1usize << bits) * n_tags],
            acc_t: vec![0.0; (n_tags + 1) * n_tags],
            c: 1.0,
        }
    }

    /// w += step · (Φ(gold) − Φ(predicted)).
    fn update(&mut self, feats: &[Vec<u64>], gold: &[usize], pred: &[usize], step: f32) {
        self.each_difference(feats, gold, pred, |p, i, d| {
            if i < p.cur.w.len() {
                p.cur.w[i] += d * step;
                p.acc_w[i] += p.c * (d * step) as f64;
            } else {
                let i = i - p.cur.w.len();
                p.cur.trans[i] += d * step;
                p.acc_t[i] += p.c * (d * step) as f64;
            }
        });
    }

    /// Calls `f(self, index, ±1)` for every entry of Φ(gold) − Φ(predicted):
    /// feature rows first, transitions after them (index past the rows).
    fn each_difference(&mut self, feats: &[Vec<u64>], gold: &[usize], pred: &[usize], mut f: impl FnMut(&mut Self, usize, f32)) {
        let (t, bits, rows) = (self.cur.n_tags, self.cur.bits, self.cur.w.len());
        for i in 0..gold.len() {
            if gold[i] != pred[i] {
                for &h in &feats[i] {
                    let b = bucket(h, bits) * t;
                    f(self, b + gold[i], 1.0);
                    f(self, b + pred[i], -1.0);
                }
            }
            let gp = i.checked_sub(1).map(|j| gold[j]);
            let pp = i.checked_sub(1).map(|j| pred[j]);
            if gp != pp || gold[i] != pred[i] {
                f(self, rows + gp.unwrap_or(t) * t + gold[i], 1.0);
                f(self, rows + pp.unwrap_or(t) * t + pred[i], -1.0);
            }
        }
    }

    /// The passive-aggressive step (Crammer et al. 2006, PA-I): the
    /// smallest that makes gold beat the prediction by its cost, at most `c`.
    fn pa_step(&mut self, feats: &[Vec<u64>], gold: &[usize], pred: &[usize], cost: f32, c: f32) -> f32 {
        let mut diff: Vec<(usize, f32)> = Vec::new();
        self.each_difference(feats, gold, pred, |_, i, d| diff.push((i, d)));
        diff.sort_unstable_by_key(|&(i, _)| i);
        let (mut margin, mut norm, mut k) = (0f64, 0f64, 0);
        while k < diff.len() {
            let i = diff[k].0;
            let mut d = 0f32;
            while k < diff.len() && diff[k].0 == i {
                d += diff[k].1;
                k += 1;
            }
            let w = if i < self.cur.w.len() { self.cur.w[i] } else { self.cur.trans[i - self.cur.w.len()] };
            margin += (w * d) as f64;
            norm += (d * d) as f64;
        }
        if norm == 0.0 {
            return 0.0;
        }
        (((cost as f64 - margin) / norm).max(0.0) as f32).min(c)
    }

    fn averaged(&self) -> Dense {
        let mut d = self.cur.clone();
        let c = self.c;
        for (w, &a) in d.w.iter_mut().zip(&self.acc_w) {
            *w -= (a / c) as f32;
        }
        for (w, &a) in d.trans.iter_mut().zip(&self.acc_t) {
            *w -= (a / c) as f32;
        }
        d
    }
}

/// xorshift64*: a small deterministic generator for shuffling.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x2545_F491_4F6C_DD1D | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The seed of ensemble member `i`: member 0 has the model's own seed, so
/// an ensemble of one is the single perceptron. The step is even and large:
/// `Rng::new` ignores the low bit, and members of nearby seeds do not share
/// shuffles.
pub fn member_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C16))
}

/// One perceptron of an ensemble, with its own order of the documents.
struct Member {
    p: Perceptron,
    rng: Rng,
    order: Vec<usize>,
    history: History,
}

impl Member {
    /// One pass over the examples in a new order; gives (sentences wrong,
    /// sentences).
    fn epoch(&mut self, examples: &[Example], scheme: Scheme, cfg: &Config) -> (usize, usize) {
        self.rng.shuffle(&mut self.order);
        let (mut errors, mut sentences) = (0usize, 0usize);
        let t = scheme.n_tags(cfg.types.len());
        for &di in &self.order {
            let ex = &examples[di];
            let adjust = |range: Range<usize>, emit: &mut [f32]| {
                if cfg.margin == 0.0 {
                    return;
                }
                for (i, &g) in ex.gold[range].iter().enumerate() {
                    for tag in 0..t {
                        if tag != g {
                            emit[i * t + tag] += tag_cost(cfg, tag, ex.missing);
                        }
                    }
                }
            };
            tag_prepared_with(&mut self.p, scheme, &ex.prepared, &mut self.history, adjust, |w, _, range, feats, pred| {
                let gold_all = &ex.gold[range.clone()];
                let gold: Vec<usize> =
                    if ex.missing != 0 { latent_gold(w, scheme, feats, gold_all, ex.missing) } else { gold_all.to_vec() };
                sentences += 1;
                if gold != pred {
                    errors += 1;
                    let step = match cfg.pa {
                        None => 1.0,
                        Some(c) => {
                            let cost: f32 = gold
                                .iter()
                                .zip(pred)
                                .filter(|(g, p)| g != p)
                                .map(|(_, &p)| tag_cost(cfg, p, ex.missing))
                                .sum();
                            w.pa_step(feats, &gold, pred, cost, c)
                        }
                    };
                    w.update(feats, &gold, pred, step);
                }
                w.c += 1.0;
            });
        }
        (errors, sentences)
    }
}

/// The mean of the members' averaged weights: one model of the same size.
fn ensemble_average(members: &[Member]) -> Dense {
    let mut sum = members[0].p.averaged();
    if members.len() == 1 {
        return sum;
    }
    for m in &members[1..] {
        let d = m.p.averaged();
        for (a, b) in sum.w.iter_mut().zip(&d.w) {
            *a += b;
        }
        for (a, b) in sum.trans.iter_mut().zip(&d.trans) {
            *a += b;
        }
    }
    let n = members.len() as f32;
    sum.w.iter_mut().chain(sum.trans.iter_mut()).for_each(|x| *x /= n);
    sum
}

/// A document ready for training: features, gold tags over all tokens.
struct Example {
    prepared: Prepared,
    gold: Vec<usize>,
    missing: u8,
}

/// The lower-cased name keys of a document's gold spans, with type masks.
fn doc_names(p: &Prepared, chunks: &[(usize, usize, usize)]) -> IdMap<u8> {
    let mut names = IdMap::default();
    for &(s, e, ty) in chunks {
        if e - s <= gazetteer::MAX_LEN {
            let k = gazetteer::key((s..e).map(|i| p.ctx.info(i).stem));
            *names.entry(k).or_insert(0) |= 1 << ty;
        }
    }
    names
}

/// The tagger's spans for a prepared document under some weights, as byte
/// offsets with type indices.
pub fn predict<W: Weights>(w: &mut W, scheme: Scheme, p: &Prepared) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut history = History::default();
    tag_prepared(w, scheme, p, &mut history, |_, _, range: Range<usize>, _, tags| {
        for (s, e, ty) in scheme.decode(tags) {
            out.push((p.tokens.tokens[range.start + s].start, p.tokens.tokens[range.start + e - 1].end, ty));
        }
    });
    out
}

/// Scores spans against the gold of `docs`.
pub fn evaluate<W: Weights>(w: &mut W, scheme: Scheme, types: &[String], docs: &[(TrainDoc, Prepared)]) -> Scores {
    let mut scores = Scores::default();
    for (doc, p) in docs {
        let pred = predict(w, scheme, p);
        scores.add_document(&doc.spans, &pred, types, doc.missing);
    }
    scores
}

/// Trains a model. `dev` sets are scored after every epoch and at the end;
/// `log` gets progress lines.
pub fn train(train_docs: &[TrainDoc], dev: &[(String, Vec<TrainDoc>)], cfg: &Config, log: &mut dyn FnMut(&str)) -> Model {
    train_scored(train_docs, dev, cfg, log).0
}

/// `train`, also giving the F1 of the first dev set after each epoch
/// (empty without dev sets).
pub fn train_scored(
    train_docs: &[TrainDoc],
    dev: &[(String, Vec<TrainDoc>)],
    cfg: &Config,
    log: &mut dyn FnMut(&str),
) -> (Model, Vec<f64>) {
    let mut curve = Vec::new();
    let scheme = cfg.scheme;
    let n_tags = scheme.n_tags(cfg.types.len());
    // Tokens and gold chunks first: the gazetteer needs every document's names.
    let mut misaligned = 0;
    let mut staged = Vec::with_capacity(train_docs.len());
    let mut gaz = TrainGazetteer::default();
    for d in train_docs {
        let bare = prepare(&d.text, &gazetteer::NoGazetteer);
        let (chunks, bad) = align(&bare.tokens.tokens, &d.spans);
        misaligned += bad;
        let names = doc_names(&bare, &chunks);
        if cfg.gazetteer {
            gaz.add_document(&names);
        }
        staged.push((chunks, names));
    }
    let total_spans: usize = train_docs.iter().map(|d| d.spans.len()).sum();
    log(&format!(
        "{} documents, {} spans ({} not on token edges, left out)",
        train_docs.len(),
        total_spans,
        misaligned
    ));
    let examples: Vec<Example> = train_docs
        .iter()
        .zip(&staged)
        .map(|(d, (chunks, names))| {
            let prepared = prepare(&d.text, &gaz.without(names));
            let gold = scheme.encode(prepared.tokens.tokens.len(), chunks);
            Example { prepared, gold, missing: d.missing }
        })
        .collect();
    let shipped_gaz = if cfg.gazetteer { gaz.freeze() } else { Gazetteer::default() };
    let dev_sets: Vec<(String, Vec<(TrainDoc, Prepared)>)> = dev
        .iter()
        .map(|(name, docs)| {
            let prepped = docs.iter().map(|d| (d.clone(), prepare(&d.text, &shipped_gaz))).collect();
            (name.clone(), prepped)
        })
        .collect();

    let members = cfg.ensemble.max(1) as usize;
    let mut ens: Vec<Member> = (0..members)
        .map(|i| Member {
            p: Perceptron::new(n_tags, cfg.bits),
            rng: Rng::new(member_seed(cfg.seed, i)),
            order: (0..examples.len()).collect(),
            history: History::default(),
        })
        .collect();
    for epoch in 1..=cfg.epochs {
        let (mut errors, mut sentences) = (0usize, 0usize);
        for m in &mut ens {
            let (e, s) = m.epoch(&examples, scheme, cfg);
            errors += e;
            sentences += s;
        }
        let mut line = format!("epoch {epoch}: {errors}/{sentences} sentences wrong");
        if !dev_sets.is_empty() {
            let mut avg = ensemble_average(&ens);
            for (k, (name, set)) in dev_sets.iter().enumerate() {
                let s = evaluate(&mut avg, scheme, &cfg.types, set);
                line.push_str(&format!("; {name} F1 {:.4}", s.total().f1()));
                if k == 0 {
                    curve.push(s.total().f1());
                }
            }
        }
        log(&line);
    }
    let avg = ensemble_average(&ens);
    let info = ModelInfo {
        lang: cfg.lang.clone(),
        scheme,
        types: cfg.types.clone(),
        bits: cfg.bits,
        feature_set: FEATURE_SET,
        epochs: cfg.epochs,
        seed: cfg.seed,
        trained_on: if members > 1 {
            format!("{}; mean of {members} perceptrons (shuffles)", cfg.trained_on)
        } else {
            cfg.trained_on.clone()
        },
    };
    (Model::quantise(info, &avg.w, &avg.trans, shipped_gaz), curve)
}

/// Splits training documents into (train, held out): `fraction` of them,
/// chosen by the seed, held out.
pub fn hold_out(docs: Vec<TrainDoc>, fraction: f64, seed: u64) -> (Vec<TrainDoc>, Vec<TrainDoc>) {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    Rng::new(seed ^ 0x484F_4C44).shuffle(&mut order);
    let n_out = ((docs.len() as f64) * fraction).round() as usize;
    let mut out_mask = vec![false; docs.len()];
    for &i in &order[..n_out.min(docs.len())] {
        out_mask[i] = true;
    }
    let (mut keep, mut out) = (Vec::new(), Vec::new());
    for (d, o) in docs.into_iter().zip(out_mask) {
        if o {
            out.push(d);
        } else {
            keep.push(d);
        }
    }
    (keep, out)
}

/// The epoch count to retrain with, from a held-out F1 curve: the first
/// epoch whose score is the best.
pub fn best_epoch(curve: &[f64]) -> Option<u32> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &f) in curve.iter().enumerate() {
        if best.is_none_or(|(_, b)| f > b) {
            best = Some((i, f));
        }
    }
    best.map(|(i, _)| i as u32 + 1)
}

/// The best tag path that keeps every annotated chunk and may tag the O
/// tokens with the types the corpus does not annotate.
fn latent_gold(w: &Perceptron, scheme: Scheme, feats: &[Vec<u64>], gold: &[usize], missing: u8) -> Vec<usize> {
    let t = w.n_tags();
    let n = gold.len();
    let mut emit = vec![0f32; n * t];
    for i in 0..n {
        let row = &mut emit[i * t..(i + 1) * t];
        for &h in &feats[i] {
            w.add(h, row);
        }
        for (tag, e) in row.iter_mut().enumerate() {
            let ok = if gold[i] == 0 {
                tag == 0 || scheme.split(tag).is_some_and(|(ty, _)| missing & (1 << ty) != 0)
            } else {
                tag == gold[i]
            };
            if !ok {
                *e = f32::NEG_INFINITY;
            }
        }
    }
    viterbi(w, scheme, &emit, n)
}
