//! The model file: a versioned little-endian binary, checked before use.
//!
//! ```text
//! magic        8 bytes  "LEDENER\x1a"
//! version      u32      FORMAT_VERSION
//! lang         u8 length + UTF-8
//! scheme       u8       0 BIO, 1 BILOU
//! types        u8 count, each u8 length + UTF-8 ("PER", "ORG", ...)
//! bits         u8       the weight table has 2^bits rows
//! feature_set  u32      features::FEATURE_SET the model was trained with
//! epochs       u32, seed u64
//! trained_on   u16 length + UTF-8 (corpora, free text)
//! scale        f32      quantised weight = round(weight * scale), |q| <= 127
//! transitions  (tags + 1) * tags i32 (last row: sentence start)
//! weights      2^bits * tags i8, row-major
//! gazetteer    u32 count, count * (u64 key, u8 type mask), keys ascending
//! checksum     u64      FNV-1a of every byte before it
//! ```
//! A file with another magic, another version, a bad checksum, a short or
//! long body, or values out of range is refused with `Error::BadModel`.

use crate::error::Error;

use super::features::{IdMap, FEATURE_SET};
use super::gazetteer::Gazetteer;
use super::tagger::{Scheme, Weights};

pub const MAGIC: &[u8; 8] = b"LEDENER\x1a";
pub const FORMAT_VERSION: u32 = 2;

/// What a model is and how it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    pub lang: String,
    pub scheme: Scheme,
    pub types: Vec<String>,
    pub bits: u8,
    pub feature_set: u32,
    pub epochs: u32,
    pub seed: u64,
    pub trained_on: String,
}

/// A trained tagger with quantised weights: 8 bits are as good as 16 on
/// the dev sets (CoNLL dev F1 0.9125 against 0.9132) and halve the table
/// the page loads and the tagger reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub info: ModelInfo,
    n_tags: usize,
    scale: f32,
    trans: Vec<i32>,
    /// The table, then `PAD` zero bytes so that a row can be read as a
    /// whole vector register (`Table::add_row`).
    weights: Vec<i8>,
    pub gazetteer: Gazetteer,
}

/// Zero bytes after the weight table in memory (not in the file).
const PAD: usize = 32;

fn padded(mut weights: Vec<i8>) -> Vec<i8> {
    weights.resize(weights.len() + PAD, 0);
    weights
}

/// The weight-table row of a feature hash.
#[inline]
pub fn bucket(h: u64, bits: u8) -> usize {
    (h.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> (64 - bits as u32)) as usize
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h
}

impl Model {
    /// Quantises float weights (`weights`: 2^bits rows of `tags` values;
    /// `trans`: (tags + 1) * tags) to 16 bits.
    pub fn quantise(info: ModelInfo, weights: &[f32], trans: &[f32], gazetteer: Gazetteer) -> Model {
        let n_tags = info.scheme.n_tags(info.types.len());
        assert_eq!(weights.len(), (1usize << info.bits) * n_tags);
        assert_eq!(trans.len(), (n_tags + 1) * n_tags);
        let max = weights.iter().fold(0f32, |m, &w| m.max(w.abs())).max(1e-9);
        let scale = 127.0 / max;
        let weights = padded(weights.iter().map(|&w| (w * scale).round().clamp(-127.0, 127.0) as i8).collect());
        let trans = trans.iter().map(|&w| (w as f64 * scale as f64).round() as i32).collect();
        Model { info, n_tags, scale, trans, weights, gazetteer }
    }

    pub fn n_tags(&self) -> usize {
        self.n_tags
    }

    pub fn table(&self) -> Table<'_> {
        Table { weights: &self.weights, bits: self.info.bits }
    }

    /// The size of the serialised model in bytes.
    pub fn byte_len(&self) -> usize {
        self.to_bytes().len()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let i = &self.info;
        let mut b = Vec::with_capacity(self.weights.len() * 2 + 1024);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        put_str8(&mut b, &i.lang);
        b.push(i.scheme.code());
        b.push(i.types.len() as u8);
        for t in &i.types {
            put_str8(&mut b, t);
        }
        b.push(i.bits);
        b.extend_from_slice(&i.feature_set.to_le_bytes());
        b.extend_from_slice(&i.epochs.to_le_bytes());
        b.extend_from_slice(&i.seed.to_le_bytes());
        let trained: &[u8] = i.trained_on.as_bytes();
        let trained = &trained[..trained.len().min(u16::MAX as usize)];
        b.extend_from_slice(&(trained.len() as u16).to_le_bytes());
        b.extend_from_slice(trained);
        b.extend_from_slice(&self.scale.to_le_bytes());
        for &t in &self.trans {
            b.extend_from_slice(&t.to_le_bytes());
        }
        b.extend(self.weights[..self.weights.len() - PAD].iter().map(|&w| w as u8));
        let mut gaz: Vec<(u64, u8)> = self.gazetteer.entries().iter().map(|(&k, &m)| (k, m)).collect();
        gaz.sort_unstable();
        b.extend_from_slice(&(gaz.len() as u32).to_le_bytes());
        for (k, m) in gaz {
            b.extend_from_slice(&k.to_le_bytes());
            b.push(m);
        }
        let sum = fnv1a(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model, Error> {
        let bad = |m: String| Error::BadModel(m);
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(bad("not a Lede NER model (bad magic bytes)".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "model file format version {version}, this build of lede reads version {FORMAT_VERSION}: retrain the model (see src/ner/MODELS.md)"
            )));
        }
        if bytes.len() < 20 {
            return Err(bad("model file is truncated".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv1a(body) != u64::from_le_bytes(sum.try_into().unwrap()) {
            return Err(bad("model file is corrupt or truncated (checksum mismatch)".into()));
        }
        let mut r = Reader { b: body, pos: 12 };
        let lang = r.str8()?;
        let scheme = Scheme::from_code(r.u8()?).ok_or_else(|| bad("unknown tag scheme".into()))?;
        let n_types = r.u8()? as usize;
        if n_types == 0 || n_types > 8 {
            return Err(bad(format!("{n_types} entity types (1 to 8 supported)")));
        }
        let types = (0..n_types).map(|_| r.str8()).collect::<Result<Vec<_>, _>>()?;
        let bits = r.u8()?;
        if !(8..=24).contains(&bits) {
            return Err(bad(format!("weight table of 2^{bits} rows is out of range")));
        }
        let feature_set = r.u32()?;
        if feature_set != FEATURE_SET {
            return Err(bad(format!(
                "model uses feature set {feature_set}, this build computes feature set {FEATURE_SET}: retrain the model"
            )));
        }
        let epochs = r.u32()?;
        let seed = r.u64()?;
        let n = r.u16()? as usize;
        let trained_on = String::from_utf8(r.take(n)?.to_vec()).map_err(|_| bad("trained_on is not UTF-8".into()))?;
        let scale = f32::from_le_bytes(r.take(4)?.try_into().unwrap());
        if !scale.is_finite() || scale <= 0.0 {
            return Err(bad("bad weight scale".into()));
        }
        let n_tags = scheme.n_tags(n_types);
        let trans = r.take((n_tags + 1) * n_tags * 4)?.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        let weights = padded(r.take((1usize << bits) * n_tags)?.iter().map(|&b| b as i8).collect());
        let n_gaz = r.u32()? as usize;
        let raw = r.take(n_gaz.checked_mul(9).ok_or_else(|| bad("gazetteer size overflows".into()))?)?;
        let mut entries = IdMap::default();
        entries.reserve(n_gaz);
        for e in raw.chunks_exact(9) {
            entries.insert(u64::from_le_bytes(e[..8].try_into().unwrap()), e[8]);
        }
        if r.pos != body.len() {
            return Err(bad(format!("{} unexpected bytes after the model", body.len() - r.pos)));
        }
        let info = ModelInfo { lang, scheme, types, bits, feature_set, epochs, seed, trained_on };
        Ok(Model { info, n_tags, scale, trans, weights, gazetteer: Gazetteer::new(entries) })
    }
}

impl Weights for &Model {
    const FROZEN: bool = true;

    fn n_tags(&self) -> usize {
        self.n_tags
    }

    #[inline]
    fn add(&self, h: u64, acc: &mut [f32]) {
        let b = bucket(h, self.info.bits) * self.n_tags;
        let row = &self.weights[b..b + self.n_tags];
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += w as f32;
        }
    }

    fn add_all<'a>(&self, hs: impl Iterator<Item = &'a u64>, acc: &mut [f32]) {
        // Integer sums over rows of a width known at compile time for the
        // usual label sets (BIO and BILOU over four types).
        match self.n_tags {
            9 => add_rows::<9>(&self.weights, self.info.bits, hs, acc),
            17 => add_rows::<17>(&self.weights, self.info.bits, hs, acc),
            _ => {
                for &h in hs {
                    self.add(h, acc);
                }
            }
        }
    }

    fn transition(&self, prev: Option<usize>, cur: usize) -> f32 {
        let p = prev.unwrap_or(self.n_tags);
        self.trans[p * self.n_tags + cur] as f32
    }
}

/// The weight table of a model, for `fast.rs`.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    weights: &'a [i8],
    bits: u8,
}

impl Table<'_> {
    /// Adds the row of feature hash `h` (`T`: the model's tags) to the first
    /// `T` of `L` lanes of 16 bits; the other lanes get the bytes that
    /// follow the row, to be ignored. One load and two additions of whole
    /// registers where `L` is 16. (The sums `fast.rs` makes of at most 140
    /// rows of |w| <= 127 cannot overflow 16 bits.)
    #[inline(always)]
    pub fn add_row<const T: usize, const L: usize>(&self, h: u64, acc: &mut [i16; L]) {
        let b = bucket(h, self.bits) * T;
        let row: &[i8; L] = self.weights[b..b + L].try_into().expect("row inside the padded table");
        for k in 0..L {
            acc[k] = acc[k].wrapping_add(row[k] as i16);
        }
    }
}

fn add_rows<'a, const T: usize>(weights: &[i8], bits: u8, hs: impl Iterator<Item = &'a u64>, acc: &mut [f32]) {
    let mut sum = [0i32; T];
    for &h in hs {
        let b = bucket(h, bits) * T;
        let row: &[i8; T] = weights[b..b + T].try_into().expect("row inside the table");
        for k in 0..T {
            sum[k] += row[k] as i32;
        }
    }
    for (a, s) in acc.iter_mut().zip(sum) {
        *a += s as f32;
    }
}

fn put_str8(b: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(255)];
    b.push(bytes.len() as u8);
    b.extend_from_slice(bytes);
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| Error::BadModel("model file is truncated".into()))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn str8(&mut self) -> Result<String, Error> {
        let n = self.u8()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Error::BadModel("a name in the header is not UTF-8".into()))
    }
}
