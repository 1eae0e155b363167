// Files in and out. The page works in UTF-16 offsets; every file format uses
// Unicode code points (Python str indices), converted here and only here.
// The formats are specified in FORMAT.md. No DOM: node's tests import this.

import { codePointLength, codePointsToUtf16, isIsoDate, onGraphemeEdges, utf16ToCodePoints } from './text.js';
import { validLabelName } from './labels.js';
import { bioDocument } from './tokens.js';

export const FORMAT_NAME = 'lede';
export const FORMAT_VERSION = 1;

/** Texts above this many UTF-16 units get a warning; above HARD_LIMIT they are refused. */
export const SOFT_LIMIT = 5_000_000;
export const HARD_LIMIT = 50_000_000;

export class ImportError extends Error {}

// ---------------------------------------------------------------------------
// Export

/**
 * The spans an export takes: all, or only reviewed ones; only those with a
 * label in `labels` and those `keep` accepts, when given.
 */
function chosenSpans(doc, { reviewedOnly = false, labels = null, keep = null } = {}) {
  return doc.spans.filter((s) => (!reviewedOnly || s.reviewed) && (!labels || labels.includes(s.label)) && (!keep || keep(s)));
}

/**
 * The span filter of a BIO export's "tag" choice: none for 'all' (every
 * span, also one whose label is not in the label set: nothing is dropped
 * silently), else the spans whose label is of that kind ('entity' or
 * 'temporal', by `labelKind`, the store's).
 */
export function tagFilter(want, labelKind) {
  return want === 'all' ? null : (s) => labelKind(s.label) === want;
}

function exportSpans(doc, options) {
  const spans = chosenSpans(doc, options);
  const cps = utf16ToCodePoints(doc.text, spans.flatMap((s) => [s.start, s.end]));
  return spans.map((s, i) => ({ span: s, start: cps[2 * i], end: cps[2 * i + 1] }));
}

function exportRejected(doc) {
  const cps = utf16ToCodePoints(doc.text, doc.rejected.flatMap((r) => [r.start, r.end]));
  return doc.rejected.map((r, i) => ({ start: cps[2 * i], end: cps[2 * i + 1], label: r.label }));
}

/** The full, versioned Lede JSON (round-trips through importFile). */
export function toLedeJson(docs, labels, { generator = 'lede', reviewedOnly = false } = {}) {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    offset_unit: 'codepoint',
    generator,
    exported_at: new Date().toISOString(),
    labels: labels.map((l) => ({ name: l.name, kind: l.kind, color: l.color })),
    documents: docs.map((doc) => {
      const out = {
        id: doc.id,
        title: doc.title,
        lang: doc.lang || null,
        dct: doc.dct || null,
        dct_source: doc.dct ? doc.dctSource || 'given' : null,
        status: doc.status,
        text: doc.text,
        spans: exportSpans(doc, { reviewedOnly }).map(({ span, start, end }) => {
          const o = { start, end, label: span.label, text: doc.text.slice(span.start, span.end) };
          if (span.value != null) o.value = span.value;
          if (span.source) o.source = span.source;
          o.reviewed = span.reviewed;
          return o;
        }),
      };
      if (doc.rejected.length) out.rejected = exportRejected(doc);
      return out;
    }),
  };
}

/** One corpus line per document: {"id","lang","dct","text","spans":[{"start","end","label","value"?}]}. */
export function toCorpusJsonl(docs, { reviewedOnly = false } = {}) {
  return docs
    .map((doc) => JSON.stringify({
      id: doc.id,
      lang: doc.lang || null,
      dct: doc.dct || null,
      text: doc.text,
      spans: exportSpans(doc, { reviewedOnly }).map(({ span, start, end }) => {
        const o = { start, end, label: span.label };
        if (span.value != null) o.value = span.value;
        return o;
      }),
    }))
    .map((line) => `${line}\n`)
    .join('');
}

// ---------------------------------------------------------------------------
// Token-level exports: CoNLL BIO and token JSONL (FORMAT.md section 3).

/** What `-DOCSTART-` line spaCy's CoNLL converter splits documents on (other readers skip any line starting -DOCSTART-). */
export const CONLL_DOCSTART = '-DOCSTART- -X- O O';

/**
 * The token view of each document, offsets in code points:
 *   { docs: [{doc, sentences: [[{text, start, end, tag}]]}],
 *     stats: {documents, sentences, tokens, spans, overlapping: [{doc, span, by}], empty: [{doc, span}]} }
 * Options: reviewedOnly, labels (the label names to tag; others are O), keep (a span filter, see tagFilter).
 */
export function tokenView(docs, options = {}) {
  const stats = { documents: docs.length, sentences: 0, tokens: 0, spans: 0, overlapping: [], empty: [] };
  const out = docs.map((doc) => {
    const view = bioDocument(doc.text, doc.spans, chosenSpans(doc, options));
    const cps = utf16ToCodePoints(doc.text, view.tokens.flatMap((t) => [t.start, t.end]));
    const tokens = view.tokens.map((t, i) => ({ text: doc.text.slice(t.start, t.end), start: cps[2 * i], end: cps[2 * i + 1], tag: t.tag }));
    stats.sentences += view.sentences.length;
    stats.tokens += tokens.length;
    stats.spans += view.kept.length;
    stats.overlapping.push(...view.overlapping.map(({ span, by }) => ({ doc, span, by })));
    stats.empty.push(...view.empty.map((span) => ({ doc, span })));
    return { doc, sentences: view.sentences.map(([from, to]) => tokens.slice(from, to)) };
  });
  return { docs: out, stats };
}

/** CoNLL: a -DOCSTART- line per document, then one `TOKEN<TAB>TAG` line per token, a blank line after each sentence. Returns {text, stats}. */
export function toConll(docs, options = {}) {
  const view = tokenView(docs, options);
  const parts = [];
  for (const { sentences } of view.docs) {
    parts.push(`${CONLL_DOCSTART}\n\n`);
    for (const sentence of sentences) parts.push(`${sentence.map((t) => `${t.text}\t${t.tag}\n`).join('')}\n`);
  }
  return { text: parts.join(''), stats: view.stats };
}

/** Token JSONL: one line a sentence, {"id","doc_id","tokens","ner_tags","offsets"}. Returns {text, stats}. */
export function toTokenJsonl(docs, options = {}) {
  const view = tokenView(docs, options);
  const lines = view.docs.flatMap(({ doc, sentences }) => sentences.map((sentence, i) => `${JSON.stringify({
    id: `${doc.id}:${i + 1}`,
    doc_id: doc.id,
    tokens: sentence.map((t) => t.text),
    ner_tags: sentence.map((t) => t.tag),
    offsets: sentence.map((t) => [t.start, t.end]),
  })}\n`));
  return { text: lines.join(''), stats: view.stats };
}

// ---------------------------------------------------------------------------
// Import

/**
 * Decodes file bytes as text: UTF-8 (a BOM is dropped), or UTF-16 with a BOM.
 * Throws ImportError for empty, binary or non-UTF-8 files.
 */
export function decodeText(name, bytes) {
  if (bytes.length === 0) throw new ImportError(`${name} is empty.`);
  let text;
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    try {
      text = new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(bytes);
    } catch {
      throw new ImportError(`${name} starts like UTF-16 text but is not valid UTF-16.`);
    }
  } else {
    if (bytes.indexOf(0) >= 0) throw new ImportError(`${name} looks like a binary file (it contains NUL bytes), not text. Open a .txt, .json or .jsonl file.`);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ImportError(`${name} is not UTF-8 text. Save it as UTF-8 and open it again.`);
    }
  }
  if (text.includes('\u0000')) throw new ImportError(`${name} contains NUL characters: it does not look like text.`);
  if (!text.trim()) throw new ImportError(`${name} has no text in it (only whitespace).`);
  if (text.length > HARD_LIMIT) throw new ImportError(`${name} is too large (${mb(text.length)} of text; the limit is ${mb(HARD_LIMIT)}). Split it into smaller files.`);
  return text;
}

function mb(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * Parses an opened file into documents with UTF-16 offsets:
 *   { docs: [{id?, title, text, lang, langSetting, dct, dctSource, status, spans, rejected, annotated}],
 *     labels: [...] | null, warnings: [string] }
 * Throws ImportError with a message naming the first problems. A file either
 * imports whole or not at all.
 */
export function importFile(name, bytes) {
  const text = decodeText(name, bytes);
  const lower = name.toLowerCase();
  const trimmed = text.trimStart();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return importJsonl(name, text);
  if (lower.endsWith('.json') || (!lower.endsWith('.txt') && (trimmed.startsWith('{') || trimmed.startsWith('[')))) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      // A .json file that is really JSON Lines.
      const lines = text.split('\n').filter((l) => l.trim());
      if (lines.length > 1 && lines.every((l) => l.trim().startsWith('{'))) return importJsonl(name, text);
      throw new ImportError(`${name} is not valid JSON: ${e.message}`);
    }
    return importJson(name, data);
  }
  const title = name.replace(/\.[^.]*$/, '') || name;
  return { docs: [plainDoc(text, title)], labels: null, warnings: warningsFor(name, [{ text, spans: [] }]) };
}

/** A document from pasted or plain text. */
export function plainDoc(text, title) {
  return { title, text, langSetting: 'auto', lang: null, dct: null, spans: [], rejected: [], annotated: false };
}

/** Things worth knowing about a file that still imports: very large texts, spans that split a character cluster. */
function warningsFor(name, docs) {
  const out = [];
  const big = docs.filter((d) => d.text.length > SOFT_LIMIT).length;
  if (big) out.push(`${name}: ${big === 1 ? 'a document is' : `${big} documents are`} over ${mb(SOFT_LIMIT)}; the page stays usable but pre-annotation and saving take longer.`);
  const split = docs.reduce((n, d) => n + d.spans.filter((s) => !onGraphemeEdges(d.text, s.start, s.end)).length, 0);
  if (split) out.push(`${name}: ${split} span${split > 1 ? 's start or end' : ' starts or ends'} inside a character cluster (an emoji sequence, or a letter and its marks). ${split > 1 ? 'They are' : 'It is'} kept as given.`);
  return out;
}

function importJsonl(name, text) {
  const docs = [];
  const problems = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim() || problems.length >= 5) return;
    let obj;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      problems.push(`line ${i + 1} is not valid JSON (${e.message})`);
      return;
    }
    const doc = readDoc(obj, `line ${i + 1}`, problems, { unit: 'codepoint', defaultReviewed: true });
    if (doc) docs.push(doc);
  });
  finish(name, docs, problems);
  return { docs, labels: null, warnings: warningsFor(name, docs) };
}

function importJson(name, data) {
  const problems = [];
  let list;
  let labels = null;
  let unit = 'codepoint';
  if (Array.isArray(data)) list = data;
  else if (data && typeof data === 'object' && Array.isArray(data.documents)) {
    if (data.format !== undefined && data.format !== FORMAT_NAME) throw new ImportError(`${name}: unknown format "${data.format}" (expected "${FORMAT_NAME}").`);
    if (data.version !== undefined && !(Number.isInteger(data.version) && data.version >= 1 && data.version <= FORMAT_VERSION)) {
      throw new ImportError(`${name} is format version ${JSON.stringify(data.version)}; this page reads version ${FORMAT_VERSION}. Use a newer Lede.`);
    }
    unit = data.offset_unit ?? 'codepoint';
    if (unit !== 'codepoint' && unit !== 'utf16') throw new ImportError(`${name}: unknown offset_unit "${unit}" (expected "codepoint").`);
    list = data.documents;
    if (Array.isArray(data.labels)) labels = data.labels;
  } else if (data && typeof data === 'object' && typeof data.text === 'string') list = [data];
  else throw new ImportError(`${name} is JSON but not a Lede export, a list of documents or a document with "text".`);
  const docs = [];
  list.forEach((obj, i) => {
    if (problems.length >= 5) return;
    const doc = readDoc(obj, `document ${i + 1}`, problems, { unit, defaultReviewed: true });
    if (doc) docs.push(doc);
  });
  finish(name, docs, problems);
  return { docs, labels, warnings: warningsFor(name, docs) };
}

function finish(name, docs, problems) {
  if (problems.length) {
    const more = problems.length >= 5 ? ' (and maybe more)' : '';
    throw new ImportError(`${name} was not imported: ${problems.join('; ')}${more}. Nothing from this file was added; your documents are unchanged.`);
  }
  if (!docs.length) throw new ImportError(`${name} has no documents in it.`);
}

/** Validates one document object; pushes problems and returns null when it is unusable. */
function readDoc(obj, where, problems, { unit, defaultReviewed }) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    problems.push(`${where} is not an object`);
    return null;
  }
  if (typeof obj.text !== 'string') {
    problems.push(`${where} has no "text" string`);
    return null;
  }
  const text = obj.text;
  const label = obj.id != null ? `${where} (id ${JSON.stringify(obj.id)})` : where;
  if (obj.id != null && typeof obj.id !== 'string' && typeof obj.id !== 'number') {
    problems.push(`${label}: "id" must be a string or a number`);
    return null;
  }
  const lang = obj.lang === 'en' || obj.lang === 'te' ? obj.lang : null;
  let dct = null;
  if (obj.dct != null && obj.dct !== '') {
    if (!isIsoDate(obj.dct)) {
      problems.push(`${label}: "dct" ${JSON.stringify(obj.dct)} is not a date written YYYY-MM-DD`);
      return null;
    }
    dct = obj.dct;
  }
  const rawSpans = spanList(obj);
  if (rawSpans === undefined) {
    problems.push(`${label}: "spans" must be a list`);
    return null;
  }
  const len = unit === 'codepoint' ? codePointLength(text) : text.length;
  const spans = [];
  for (let j = 0; j < rawSpans.length; j++) {
    const s = rawSpans[j];
    const at = `${label}, span ${j + 1}`;
    if (!s || typeof s !== 'object' || !Number.isInteger(s.start) || !Number.isInteger(s.end)) {
      problems.push(`${at}: "start" and "end" must be whole numbers`);
      return null;
    }
    if (s.start < 0 || s.end > len || s.start >= s.end) {
      problems.push(`${at}: offsets ${s.start}–${s.end} are out of range (the text has ${len} ${unit === 'codepoint' ? 'code points' : 'UTF-16 units'})`);
      return null;
    }
    if (!validLabelName(s.label)) {
      problems.push(`${at}: label ${JSON.stringify(s.label)} is not a valid label name`);
      return null;
    }
    if (s.value != null && typeof s.value !== 'string') {
      problems.push(`${at}: "value" must be a string`);
      return null;
    }
    spans.push(s);
  }
  const rejected = Array.isArray(obj.rejected) ? obj.rejected.filter((r) => r && Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.end <= len && r.start < r.end && validLabelName(r.label)) : [];
  // Offsets to UTF-16.
  const conv = unit === 'codepoint'
    ? codePointsToUtf16(text, [...spans, ...rejected].flatMap((s) => [s.start, s.end]))
    : [...spans, ...rejected].flatMap((s) => [s.start, s.end]);
  const outSpans = [];
  for (let j = 0; j < spans.length; j++) {
    const s = spans[j];
    const start = conv[2 * j];
    const end = conv[2 * j + 1];
    const quoted = text.slice(start, end);
    if (typeof s.text === 'string' && s.text !== quoted) {
      problems.push(`${label}, span ${j + 1}: its "text" ${JSON.stringify(clip(s.text))} is not the text at ${s.start}–${s.end} (${JSON.stringify(clip(quoted))}); are the offsets in code points?`);
      return null;
    }
    const span = { start, end, label: s.label, reviewed: typeof s.reviewed === 'boolean' ? s.reviewed : defaultReviewed };
    if (s.value != null && s.value !== '') span.value = s.value;
    if (typeof s.source === 'string' && s.source) span.source = s.source;
    outSpans.push(span);
  }
  const outRejected = rejected.map((r, j) => ({ start: conv[2 * (spans.length + j)], end: conv[2 * (spans.length + j) + 1], label: r.label }));
  const title = typeof obj.title === 'string' && obj.title.trim() ? obj.title : undefined;
  const dctSource = dct ? (['given', 'dateline', 'today', 'user'].includes(obj.dct_source) ? obj.dct_source : 'given') : null;
  return {
    id: obj.id != null ? String(obj.id) : undefined,
    title,
    text,
    lang,
    langSetting: lang || 'auto',
    dct,
    dctSource,
    status: obj.status === 'done' ? 'done' : 'todo',
    spans: outSpans,
    rejected: outRejected,
    // Documents that come with spans keep them as they are; the rest are pre-annotated.
    annotated: outSpans.length > 0,
  };
}

/** The span list of a document object: Lede/corpus "spans", or doccano "label" / spaCy "entities" triples. */
function spanList(obj) {
  if (obj.spans != null) return Array.isArray(obj.spans) ? obj.spans : undefined;
  for (const k of ['entities', 'label', 'labels']) {
    if (Array.isArray(obj[k]) && obj[k].every((t) => Array.isArray(t) && t.length >= 3)) {
      return obj[k].map(([start, end, label]) => ({ start, end, label }));
    }
  }
  return [];
}

/** A string cut to 40 characters for messages. */
export function clip(s) {
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}
