//! Training: an averaged structured perceptron (Collins 2002) over whole
//! documents, sentence by sentence, with Viterbi decoding under the tag
//! scheme's constraints; or the same linear model as a linear-chain CRF
//! (`Objective`). Deterministic: documents are shuffled by our own
//! generator from the seed (the L-BFGS CRF uses no shuffle at all), and
//! nothing depends on hash-map order.
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
    /// When above 0, the name list also marks common words: stems seen
    /// outside every entity in at least this many training documents
    /// (`gazetteer::COMMON`; a document's own count left out while training).
    pub common_words: u32,
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
    /// What the weights are learnt by; for `Crf`, `epochs` counts L-BFGS
    /// iterations and `margin`/`miss_cost` make the loss softmax-margin.
    pub objective: Objective,
    /// The step size of `Objective::CrfSgd`.
    pub rate: f32,
    /// The CRF's L2 penalty `l2 / 2 * |w|^2` (on the summed sentence losses).
    pub l2: f64,
}

/// The training objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// The averaged structured perceptron (optionally cost-augmented, PA steps).
    Perceptron,
    /// A linear-chain CRF: L2-regularised conditional log-likelihood,
    /// optimised by L-BFGS (deterministic: the seed plays no part).
    Crf,
    /// The same loss without the L2 term, by stochastic gradient steps of
    /// `rate` over shuffled sentences, the weights averaged as the
    /// perceptron's are; `epochs` passes.
    CrfSgd,
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
        self.each_difference(feats, gold, pred, |p, i, d| p.nudge(i, d * step));
    }

    /// Adds `d` to weight `i` (feature rows, then transitions), keeping
    /// the sums that average it.
    fn nudge(&mut self, i: usize, d: f32) {
        if i < self.cur.w.len() {
            self.cur.w[i] += d;
            self.acc_w[i] += self.c * d as f64;
        } else {
            let i = i - self.cur.w.len();
            self.cur.trans[i] += d;
            self.acc_t[i] += self.c * d as f64;
        }
    }

    /// A stochastic gradient step on one sentence's CRF loss (`emit`: its
    /// scores under the current weights).
    fn crf_step(&mut self, emit: &mut [f32], feats: &[Vec<u64>], gold: &[usize], missing: u8, cfg: &Config, uni: &mut Vec<f64>) {
        let t = self.cur.n_tags;
        let rows = self.cur.w.len();
        let mut trans = vec![0.0; (t + 1) * t];
        let mut chain = Chain::new(&self.cur, cfg.scheme);
        if !crf_sentence(&mut chain, emit, gold, missing, cfg, uni, &mut trans).is_finite() {
            return;
        }
        let rate = -cfg.rate;
        scatter_rows(feats, uni, t, cfg.bits, |i, d| self.nudge(i, rate * d as f32));
        for (k, &d) in trans.iter().enumerate() {
            self.nudge(rows + k, rate * d as f32);
        }
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
        let mut uni = Vec::new();
        for &di in &self.order {
            let ex = &examples[di];
            if cfg.objective == Objective::CrfSgd {
                let scores = std::cell::RefCell::new(Vec::new());
                let keep = |_: Range<usize>, emit: &mut [f32]| *scores.borrow_mut() = emit.to_vec();
                tag_prepared_with(&mut self.p, scheme, &ex.prepared, &mut self.history, keep, |w, _, range, feats, pred| {
                    sentences += 1;
                    errors += (ex.gold[range.clone()] != *pred) as usize;
                    w.crf_step(&mut scores.borrow_mut(), feats, &ex.gold[range], ex.missing, cfg, &mut uni);
                    w.c += 1.0;
                });
                continue;
            }
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

/// The lower-cased name keys of a document's gold spans, with type masks;
/// with `common`, also each word with letters outside them, as `COMMON`.
fn doc_names(p: &Prepared, chunks: &[(usize, usize, usize)], common: bool) -> IdMap<u8> {
    let mut names = IdMap::default();
    if common {
        let mut inside = vec![false; p.tokens.tokens.len()];
        for &(s, e, _) in chunks {
            inside[s..e].iter_mut().for_each(|x| *x = true);
        }
        for (i, _) in inside.iter().enumerate().filter(|(_, &x)| !x) {
            if p.ctx.info(i).flags & super::features::ALPHA != 0 {
                *names.entry(gazetteer::key([p.ctx.info(i).stem])).or_insert(0) |= 1 << gazetteer::COMMON;
            }
        }
    }
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

/// `train`, also giving the F1 of the first dev set after each epoch (each
/// L-BFGS iteration for the CRF; empty without dev sets).
pub fn train_scored(
    train_docs: &[TrainDoc],
    dev: &[(String, Vec<TrainDoc>)],
    cfg: &Config,
    log: &mut dyn FnMut(&str),
) -> (Model, Vec<f64>) {
    let scheme = cfg.scheme;
    // Tokens and gold chunks first: the gazetteer needs every document's names.
    let mut misaligned = 0;
    let mut staged = Vec::with_capacity(train_docs.len());
    assert!(cfg.types.len() <= gazetteer::COMMON as usize, "at most 7 types");
    let mut gaz = TrainGazetteer::with_common_min(cfg.common_words);
    for d in train_docs {
        let bare = prepare(&d.text, &gazetteer::NoGazetteer);
        let (chunks, bad) = align(&bare.tokens.tokens, &d.spans);
        misaligned += bad;
        let names = doc_names(&bare, &chunks, cfg.common_words > 0);
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
    let dev_sets = dev
        .iter()
        .map(|(name, docs)| {
            let prepped = docs.iter().map(|d| (d.clone(), prepare(&d.text, &shipped_gaz))).collect();
            (name.clone(), prepped)
        })
        .collect();
    let mut progress = Progress { dev_sets, log, curve: Vec::new() };

    let (weights, epochs, how) = match cfg.objective {
        Objective::Perceptron | Objective::CrfSgd => {
            let members = cfg.ensemble.max(1) as usize;
            let sgd = cfg.objective == Objective::CrfSgd;
            let how = match (sgd, members > 1) {
                (false, false) => None,
                (false, true) => Some(format!("mean of {members} perceptrons (shuffles)")),
                (true, false) => Some(format!("linear-chain CRF, averaged SGD, rate {}", cfg.rate)),
                (true, true) => Some(format!("mean of {members} linear-chain CRFs (averaged SGD, rate {}; shuffles)", cfg.rate)),
            };
            (train_online(&examples, cfg, &mut progress), cfg.epochs, how)
        }
        Objective::Crf => {
            let (w, iterations) = train_crf(&examples, cfg, &mut progress);
            (w, iterations, Some(format!("linear-chain CRF, L2 {}", cfg.l2)))
        }
    };
    let info = ModelInfo {
        lang: cfg.lang.clone(),
        scheme,
        types: cfg.types.clone(),
        bits: cfg.bits,
        feature_set: FEATURE_SET,
        epochs,
        seed: cfg.seed,
        trained_on: match how {
            Some(how) => format!("{}; {how}", cfg.trained_on),
            None => cfg.trained_on.clone(),
        },
    };
    (Model::quantise(info, &weights.w, &weights.trans, shipped_gaz), progress.curve)
}

/// Where training reports: the log, with the dev sets' scores after every
/// epoch or iteration, and the first dev set's F1 curve.
struct Progress<'a> {
    dev_sets: Vec<(String, Vec<(TrainDoc, Prepared)>)>,
    log: &'a mut dyn FnMut(&str),
    curve: Vec<f64>,
}

impl Progress<'_> {
    /// Whether `report` wants weights to score.
    fn scores(&self) -> bool {
        !self.dev_sets.is_empty()
    }

    /// Logs `line`, followed by the dev scores of `w` when there are dev sets.
    fn report(&mut self, cfg: &Config, mut line: String, w: Option<&mut Dense>) {
        if let Some(w) = w {
            for (k, (name, set)) in self.dev_sets.iter().enumerate() {
                let s = evaluate(w, cfg.scheme, &cfg.types, set);
                line.push_str(&format!("; {name} F1 {:.4}", s.total().f1()));
                if k == 0 {
                    self.curve.push(s.total().f1());
                }
            }
        }
        (self.log)(&line);
    }
}

/// The averaged perceptron, or the CRF by averaged SGD (or the mean of an
/// ensemble of them).
fn train_online(examples: &[Example], cfg: &Config, progress: &mut Progress) -> Dense {
    let n_tags = cfg.scheme.n_tags(cfg.types.len());
    let mut ens: Vec<Member> = (0..cfg.ensemble.max(1) as usize)
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
            let (e, s) = m.epoch(examples, cfg.scheme, cfg);
            errors += e;
            sentences += s;
        }
        let line = format!("epoch {epoch}: {errors}/{sentences} sentences wrong");
        let mut avg = progress.scores().then(|| ensemble_average(&ens));
        progress.report(cfg, line, avg.as_mut());
    }
    ensemble_average(&ens)
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
            if !agrees(scheme, gold[i], missing, tag) {
                *e = f32::NEG_INFINITY;
            }
        }
    }
    viterbi(w, scheme, &emit, n)
}

/// Whether `tag` agrees with the annotation `gold` of a token: it is the
/// gold tag, or, on an O token, a tag of a type the corpus leaves
/// unannotated (`missing`).
fn agrees(scheme: Scheme, gold: usize, missing: u8, tag: usize) -> bool {
    tag == gold || (gold == 0 && scheme.split(tag).is_some_and(|(ty, _)| missing & (1 << ty) != 0))
}


// The linear-chain CRF (Lafferty et al. 2001): the same features, tags and
// transitions as the perceptron, learnt by minimising the L2-regularised
// negative conditional log-likelihood of the gold tags,
//   sum over sentences of (log Z(x) - log Z_gold(x)) + l2 / 2 * |w|^2,
// where Z sums exp(score) over the paths the scheme allows and Z_gold over
// those that agree with the annotation (one path, unless the corpus leaves
// types unannotated). With a margin the loss is softmax-margin (Gimpel and
// Smith 2010): Z's paths get `tag_cost` for every tag that disagrees. The
// history features of a document's later sentences come from the Viterbi
// tags of the earlier ones under the current weights, as when tagging.

/// A sentence lattice in probability space, scaled position by position.
struct Chain {
    t: usize,
    /// exp(transition score), `(t + 1) * t` as in `Dense::trans` (last row:
    /// the sentence start); 0 where the scheme forbids the move.
    trans: Vec<f64>,
    /// 1 where a sentence may end with the tag, else 0.
    end: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    /// Per-position sums that scale `alpha` and `beta`.
    scale: Vec<f64>,
    /// exp(emission score - its row maximum).
    emit: Vec<f64>,
}

impl Chain {
    fn new(w: &Dense, scheme: Scheme) -> Chain {
        let t = w.n_tags;
        let trans = (0..(t + 1) * t)
            .map(|k| {
                let prev = (k / t < t).then_some(k / t);
                if scheme.allowed(prev, k % t) {
                    (w.transition(prev, k % t) as f64).exp()
                } else {
                    0.0
                }
            })
            .collect();
        let end = (0..t).map(|tag| if scheme.may_end(tag) { 1.0 } else { 0.0 }).collect();
        Chain { t, trans, end, alpha: Vec::new(), beta: Vec::new(), scale: Vec::new(), emit: Vec::new() }
    }

    /// Forward-backward over `n` tokens with emission scores `emit` (n × t,
    /// log space) where `allowed(i, tag)`, the other tags ruled out. Gives
    /// log Z and adds `sign` times the marginal probability of every tag at
    /// every position to `uni` (n × t) and of every transition to `trans`.
    /// None when every path underflows (weights far out, as a line search
    /// may try).
    fn run(&mut self, emit: &[f32], n: usize, allowed: impl Fn(usize, usize) -> bool, sign: f64, uni: &mut [f64], trans: &mut [f64]) -> Option<f64> {
        let t = self.t;
        let mut log_z = 0.0;
        self.emit.clear();
        for i in 0..n {
            let row = &emit[i * t..(i + 1) * t];
            let max = (0..t).filter(|&c| allowed(i, c)).map(|c| row[c]).fold(f32::NEG_INFINITY, f32::max);
            log_z += max as f64;
            self.emit.extend((0..t).map(|c| if allowed(i, c) { ((row[c] - max) as f64).exp() } else { 0.0 }));
        }
        let (a, b, e, m) = (&mut self.alpha, &mut self.beta, &self.emit, &self.trans);
        a.clear();
        a.resize(n * t, 0.0);
        b.clear();
        b.resize(n * t, 0.0);
        self.scale.clear();
        for i in 0..n {
            for c in 0..t {
                if e[i * t + c] != 0.0 {
                    let into = if i == 0 { m[t * t + c] } else { (0..t).map(|p| a[(i - 1) * t + p] * m[p * t + c]).sum() };
                    a[i * t + c] = into * e[i * t + c];
                }
            }
            let s: f64 = a[i * t..(i + 1) * t].iter().sum();
            if !(s > 0.0 && s.is_finite()) {
                return None;
            }
            a[i * t..(i + 1) * t].iter_mut().for_each(|x| *x /= s);
            self.scale.push(s);
            log_z += s.ln();
        }
        let end: f64 = (0..t).map(|c| a[(n - 1) * t + c] * self.end[c]).sum();
        if !(end > 0.0) {
            return None;
        }
        log_z += end.ln();
        for c in 0..t {
            b[(n - 1) * t + c] = self.end[c] / end;
        }
        for i in (0..n - 1).rev() {
            for p in 0..t {
                b[i * t + p] = (0..t).map(|c| m[p * t + c] * e[(i + 1) * t + c] * b[(i + 1) * t + c]).sum::<f64>() / self.scale[i + 1];
            }
        }
        for k in 0..n * t {
            uni[k] += sign * a[k] * b[k];
        }
        for c in 0..t {
            trans[t * t + c] += sign * a[c] * b[c];
        }
        for i in 1..n {
            for p in 0..t {
                let ap = a[(i - 1) * t + p] / self.scale[i];
                if ap != 0.0 {
                    for c in 0..t {
                        trans[p * t + c] += sign * ap * m[p * t + c] * e[i * t + c] * b[i * t + c];
                    }
                }
            }
        }
        Some(log_z)
    }
}

/// One sentence's CRF loss (infinite when its lattice underflows, so that
/// a line search steps back), with `emit` its scores (changed: the costs
/// are added) and `gold` its tags. `uni` gets, per token and tag, the
/// expected count less the gold one (the gradient of each of the token's
/// feature rows); the transitions' are added to `trans`.
fn crf_sentence(chain: &mut Chain, emit: &mut [f32], gold: &[usize], missing: u8, cfg: &Config, uni: &mut Vec<f64>, trans: &mut [f64]) -> f64 {
    let (scheme, t) = (cfg.scheme, chain.t);
    // A gold chunk across a sentence break is cut at it, as the tagger
    // (which tags sentence by sentence) would have to.
    let gold = scheme.encode(gold.len(), &scheme.decode(gold));
    let n = gold.len();
    let agree = |i: usize, tag: usize| agrees(scheme, gold[i], missing, tag);
    uni.clear();
    uni.resize(n * t, 0.0);
    let mut loss = -chain.run(emit, n, agree, -1.0, uni, trans).unwrap_or(f64::NEG_INFINITY);
    if cfg.margin != 0.0 {
        for (k, e) in emit.iter_mut().enumerate() {
            if !agree(k / t, k % t) {
                *e += tag_cost(cfg, k % t, missing);
            }
        }
    }
    loss += chain.run(emit, n, |_, _| true, 1.0, uni, trans).unwrap_or(f64::INFINITY);
    loss
}

/// Hands `add(row index, d)` the gradient `uni` (token by tag) of every
/// feature row a sentence's tokens use; the one scatter of both CRF
/// optimisers.
fn scatter_rows(feats: &[Vec<u64>], uni: &[f64], t: usize, bits: u8, mut add: impl FnMut(usize, f64)) {
    for (i, hs) in feats.iter().enumerate() {
        let u = &uni[i * t..(i + 1) * t];
        for &h in hs {
            let b = bucket(h, bits) * t;
            for (tag, &d) in u.iter().enumerate() {
                if d != 0.0 {
                    add(b + tag, d);
                }
            }
        }
    }
}

/// Weights read while the CRF's objective is computed: not frozen, so that
/// `tag_prepared` hands over each token's features.
struct Reading<'a>(&'a Dense);

impl Weights for Reading<'_> {
    fn n_tags(&self) -> usize {
        self.0.n_tags
    }
    fn add(&self, h: u64, acc: &mut [f32]) {
        self.0.add(h, acc)
    }
    fn transition(&self, prev: Option<usize>, cur: usize) -> f32 {
        self.0.transition(prev, cur)
    }
}

impl Dense {
    /// The weights from a flat vector: feature rows, then transitions.
    fn set(&mut self, x: &[f64]) {
        let rows = self.w.len();
        self.w.iter_mut().zip(&x[..rows]).for_each(|(w, &v)| *w = v as f32);
        self.trans.iter_mut().zip(&x[rows..]).for_each(|(w, &v)| *w = v as f32);
    }
}

/// The CRF objective at weights `w` (and `x`, the same as a flat vector),
/// with its gradient written to `grad` (feature rows, then transitions).
fn crf_objective(w: &Dense, x: &[f64], examples: &[Example], cfg: &Config, grad: &mut [f64]) -> f64 {
    let (scheme, t, rows) = (cfg.scheme, w.n_tags, w.w.len());
    grad.iter_mut().zip(x).for_each(|(g, &v)| *g = cfg.l2 * v);
    let mut loss = 0.5 * cfg.l2 * x.iter().map(|v| v * v).sum::<f64>();
    let mut chain = Chain::new(w, scheme);
    let (mut history, mut uni) = (History::default(), Vec::new());
    // The scores `tag_prepared` computed for the sentence it hands over.
    let scores = std::cell::RefCell::new(Vec::new());
    for ex in examples {
        let keep = |_: Range<usize>, emit: &mut [f32]| {
            let mut s = scores.borrow_mut();
            s.clear();
            s.extend_from_slice(emit);
        };
        tag_prepared_with(&mut Reading(w), scheme, &ex.prepared, &mut history, keep, |_, _, range, feats, _| {
            let (row_grad, trans_grad) = grad.split_at_mut(rows);
            loss += crf_sentence(&mut chain, &mut scores.borrow_mut(), &ex.gold[range], ex.missing, cfg, &mut uni, trans_grad);
            scatter_rows(feats, &uni, t, cfg.bits, |i, d| row_grad[i] += d);
        });
    }
    loss
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `f` (value; gradient written to its second argument) from `x`
/// by L-BFGS (Nocedal 1980) with `m` corrections and a backtracking line
/// search (Armijo). `each(iteration, value, x)` after every iteration.
/// Stops after `iters` iterations, or earlier when the value no longer
/// falls; gives the iterations done.
fn lbfgs(
    x: &mut Vec<f64>,
    iters: u32,
    m: usize,
    f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    each: &mut dyn FnMut(u32, f64, &[f64]),
) -> u32 {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut fx = f(x, &mut g);
    let (mut d, mut xn, mut gn) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    // Corrections (s, y, 1 / y·s), oldest first.
    let mut pairs: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = Default::default();
    for k in 1..=iters {
        // d = -H g by the two-loop recursion.
        d.copy_from_slice(&g);
        let mut a = vec![0.0; pairs.len()];
        for (j, (s, y, rho)) in pairs.iter().enumerate().rev() {
            a[j] = rho * dot(s, &d);
            d.iter_mut().zip(y).for_each(|(d, y)| *d -= a[j] * y);
        }
        if let Some((s, y, _)) = pairs.back() {
            let gamma = dot(s, y) / dot(y, y);
            d.iter_mut().for_each(|d| *d *= gamma);
        }
        for (j, (s, y, rho)) in pairs.iter().enumerate() {
            let b = a[j] - rho * dot(y, &d);
            d.iter_mut().zip(s).for_each(|(d, s)| *d += b * s);
        }
        d.iter_mut().for_each(|d| *d = -*d);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            pairs.clear();
            d.iter_mut().zip(&g).for_each(|(d, g)| *d = -g);
            slope = -dot(&g, &g);
        }
        let mut step = if pairs.is_empty() { 1.0 / (-slope).sqrt().max(1.0) } else { 1.0 };
        let mut f_new = f64::INFINITY;
        let mut accepted = false;
        for _ in 0..30 {
            xn.iter_mut().zip(x.iter().zip(&d)).for_each(|(xn, (x, d))| *xn = x + step * d);
            f_new = f(&xn, &mut gn);
            if f_new <= fx + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        // Tested against the step it was computed with, not the halved one.
        if !accepted {
            return k - 1;
        }
        let (mut s, mut y) = if pairs.len() == m { pairs.pop_front().map(|(s, y, _)| (s, y)).unwrap() } else { (vec![0.0; n], vec![0.0; n]) };
        s.iter_mut().zip(xn.iter().zip(x.iter())).for_each(|(s, (a, b))| *s = a - b);
        y.iter_mut().zip(gn.iter().zip(&g)).for_each(|(y, (a, b))| *y = a - b);
        let sy = dot(&s, &y);
        if sy > 1e-10 {
            pairs.push_back((s, y, 1.0 / sy));
        }
        let stalled = fx - f_new <= 1e-7 * f_new.abs().max(1.0);
        std::mem::swap(x, &mut xn);
        std::mem::swap(&mut g, &mut gn);
        fx = f_new;
        each(k, fx, x);
        if stalled {
            return k;
        }
    }
    iters
}

/// The CRF's weights and the L-BFGS iterations done (`cfg.epochs` at most).
fn train_crf(examples: &[Example], cfg: &Config, progress: &mut Progress) -> (Dense, u32) {
    let mut w = Dense::new(cfg.scheme.n_tags(cfg.types.len()), cfg.bits);
    let mut x = vec![0.0; w.w.len() + w.trans.len()];
    let mut scratch = w.clone();
    let mut objective = |x: &[f64], g: &mut [f64]| {
        scratch.set(x);
        crf_objective(&scratch, x, examples, cfg, g)
    };
    let mut report = |k: u32, value: f64, x: &[f64]| {
        let line = format!("iteration {k}: objective {value:.3}");
        let scored = progress.scores().then(|| {
            w.set(x);
            &mut w
        });
        progress.report(cfg, line, scored);
    };
    let done = lbfgs(&mut x, cfg.epochs, LBFGS_MEMORY, &mut objective, &mut report);
    w.set(&x);
    (w, done)
}

/// L-BFGS corrections kept.
const LBFGS_MEMORY: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRF's gradient is the derivative of its objective (central
    /// differences at random weights on a tiny problem with colliding
    /// feature rows), with softmax-margin costs and a document whose
    /// corpus leaves PER unannotated.
    #[test]
    fn crf_gradient_matches_finite_differences() {
        let cfg = Config {
            lang: "en".into(),
            types: vec!["PER".into(), "LOC".into()],
            scheme: Scheme::Bilou,
            bits: 4,
            epochs: 1,
            seed: 1,
            trained_on: String::new(),
            gazetteer: false,
            common_words: 0,
            margin: 0.5,
            miss_cost: 3.0,
            ensemble: 1,
            pa: None,
            objective: Objective::Crf,
            l2: 0.3,
            rate: 0.1,
        };
        let docs = [
            ("Maria Silva visited Porto", vec![(0, 11, 0), (20, 25, 1)], 0u8),
            ("Then Porto met Maria", vec![(5, 10, 1)], 1),
        ];
        let examples: Vec<Example> = docs
            .iter()
            .map(|(text, spans, missing)| {
                let prepared = prepare(text, &gazetteer::NoGazetteer);
                let (chunks, _) = align(&prepared.tokens.tokens, spans);
                assert_eq!(chunks.len(), spans.len());
                let gold = cfg.scheme.encode(prepared.tokens.tokens.len(), &chunks);
                Example { prepared, gold, missing: *missing }
            })
            .collect();
        let mut w = Dense::new(9, cfg.bits);
        let mut rng = Rng::new(5);
        let x: Vec<f64> = (0..w.w.len() + w.trans.len()).map(|_| (rng.next() % 2001) as f64 / 1000.0 - 1.0).collect();
        let mut f = |x: &[f64], g: &mut [f64]| {
            w.set(x);
            crf_objective(&w, x, &examples, &cfg, g)
        };
        let mut g = vec![0.0; x.len()];
        f(&x, &mut g);
        let mut scratch = vec![0.0; x.len()];
        let h = 1e-2;
        for j in 0..x.len() {
            let mut xh = x.clone();
            xh[j] = x[j] + h;
            let up = f(&xh, &mut scratch);
            xh[j] = x[j] - h;
            let down = f(&xh, &mut scratch);
            let numeric = (up - down) / (2.0 * h);
            assert!((numeric - g[j]).abs() < 2e-3 * g[j].abs().max(1.0), "weight {j}: gradient {} but finite difference {numeric}", g[j]);
        }
        // Not only the L2 term: the data moves the gradient.
        assert!(g.iter().zip(&x).any(|(g, x)| (g - cfg.l2 * x).abs() > 0.5));
    }
}
