// Tokens, sentences and BIO tags for the token-level exports (CoNLL and token
// JSONL; the rules are written out in FORMAT.md, section 3). Offsets here are
// UTF-16, like everywhere in the page; formats.js turns them into code points.
// No DOM: node's tests import this.

import { codePointLength, graphemeBoundaries } from './text.js';

// A grapheme cluster is one of three kinds. A gap separates tokens and belongs
// to none: a cluster holding whitespace or a control character, or one made
// only of invisible format characters (a zero-width space). A mark
// (punctuation or a symbol, emoji included) is a token of its own. Anything
// else is part of a word, and adjacent word clusters make one token.
const GAP = 0;
const WORD = 1;
const MARK = 2;
const HAS_SPACE = /[\s\p{Cc}]/u;
const ONLY_FORMAT = /^\p{Cf}+$/u;
const STARTS_MARK = /^[\p{P}\p{S}]/u;
// Kept inside a number when between two digits: 3.5, 10,000, 2025-03-11, 10:30, 11/03.
const NUMBER_JOINER = /^[.,:/-]$/;
const ENDS_DIGIT = /\p{Nd}$/u;
const STARTS_DIGIT = /^\p{Nd}/u;

const TERMINAL = /^[.!?…।॥]$/u;
const CLOSING = /^[\p{Pe}\p{Pf}"']$/u;
const LINE_BREAK = /[\n\r\v\f\x85\u2028\u2029]/;
const SPACE = /\s/u;
const STARTS_LOWER = /^\p{Ll}/u;
const CAPITAL = /^\p{Lu}$/u;

// Intl.Segmenter takes about a microsecond a character, and longer per
// character on long strings. So it is used only where it is needed: between
// two characters below U+0300 there is always a cluster boundary (but inside
// CR LF), and the stretches in between are segmented in windows of at most
// WINDOW units. A window starts on a boundary and its own end (which may cut a
// cluster) is not taken: a boundary depends only on the characters before it
// and the one after it.
const WINDOW = 1024;

/** Grapheme cluster boundaries of the whole text, 0 and text.length included. */
function clusterBoundaries(text) {
  const out = [0];
  let from = 0; // the last boundary found
  for (let p = 1; p <= text.length; p++) {
    const a = text.charCodeAt(p - 1);
    const b = text.charCodeAt(p);
    if (p < text.length && !(a < 0x300 && b < 0x300 && !(a === 13 && b === 10))) continue;
    if (p - from > 1) segmentStretch(text, from, p, out);
    else out.push(p);
    from = p;
  }
  return out;
}

/** Appends the boundaries of text[from, to) after `from` (to included); both ends are boundaries. */
function segmentStretch(text, from, to, out) {
  while (from < to) {
    let end = Math.min(to, from + WINDOW);
    if (end < to && /[\ud800-\udbff]/.test(text[end - 1])) end -= 1;
    const found = graphemeBoundaries(text, from, end);
    const inner = end === to ? found.slice(1) : found.slice(1, -1);
    if (inner.length) out.push(...inner);
    else out.push(end); // one cluster longer than a window (never in real text): cut it
    from = out[out.length - 1];
  }
}

function kindOf(cluster) {
  if (HAS_SPACE.test(cluster) || ONLY_FORMAT.test(cluster)) return GAP;
  return STARTS_MARK.test(cluster) ? MARK : WORD;
}

/**
 * Splits text into tokens [{start, end}] (UTF-16, in order). `cuts` are
 * offsets where a token must end and the next begin (span edges): a cut inside
 * a word splits it there, even inside a grapheme cluster (the pieces keep the
 * kind of their cluster).
 */
export function tokenize(text, cuts = []) {
  const cutList = [...new Set(cuts)].filter((c) => c > 0 && c < text.length).sort((a, b) => a - b);
  const cutSet = new Set(cutList);
  const clusters = clusterBoundaries(text);
  const bounds = [0];
  const kinds = [];
  let c = 0;
  for (let i = 0; i + 1 < clusters.length; i++) {
    const kind = kindOf(text.slice(clusters[i], clusters[i + 1]));
    while (c < cutList.length && cutList[c] <= clusters[i]) c += 1;
    for (; c < cutList.length && cutList[c] < clusters[i + 1]; c += 1) {
      bounds.push(cutList[c]);
      kinds.push(kind);
    }
    bounds.push(clusters[i + 1]);
    kinds.push(kind);
  }
  const n = kinds.length;
  const piece = (i) => text.slice(bounds[i], bounds[i + 1]);
  // A joiner between two digits, with no cut on either side, counts as part of the word.
  for (let i = 1; i + 1 < n; i++) {
    if (kinds[i] === MARK && kinds[i - 1] === WORD && kinds[i + 1] === WORD && NUMBER_JOINER.test(piece(i))
      && ENDS_DIGIT.test(piece(i - 1)) && STARTS_DIGIT.test(piece(i + 1))
      && !cutSet.has(bounds[i]) && !cutSet.has(bounds[i + 1])) kinds[i] = WORD;
  }
  const tokens = [];
  for (let i = 0; i < n; i++) {
    if (kinds[i] === GAP) continue;
    const joins = i > 0 && kinds[i] === WORD && kinds[i - 1] === WORD && !cutSet.has(bounds[i]);
    if (joins) tokens[tokens.length - 1].end = bounds[i + 1];
    else tokens.push({ start: bounds[i], end: bounds[i + 1] });
  }
  return tokens;
}

/**
 * Sentences as [from, to) ranges of token indices. A sentence ends at a line
 * break, and after . ! ? … । ॥ (and any closing quotes or brackets after it)
 * when whitespace follows and the next token does not start with a lower-case
 * letter; a "." after a single capital letter (an initial, as in "K. Rao")
 * ends none. `inSpan[i]` true keeps token i in the sentence of token i - 1.
 */
export function splitSentences(text, tokens, inSpan) {
  const sentences = [];
  let first = 0;
  let ending = false; // a sentence-final mark seen, then at most closing marks
  const word = (t) => text.slice(t.start, t.end);
  for (let i = 1; i < tokens.length; i++) {
    const prev = word(tokens[i - 1]);
    if (TERMINAL.test(prev) && !(prev === '.' && isInitial(text, tokens, i - 2))) ending = true;
    else if (!CLOSING.test(prev)) ending = false;
    if (inSpan[i]) continue;
    const gap = text.slice(tokens[i - 1].end, tokens[i].start);
    if (LINE_BREAK.test(gap) || (ending && SPACE.test(gap) && !STARTS_LOWER.test(word(tokens[i])))) {
      sentences.push([first, i]);
      first = i;
      ending = false;
    }
  }
  if (tokens.length) sentences.push([first, tokens.length]);
  return sentences;
}

/** Token j is a single capital letter directly followed by the next token. */
function isInitial(text, tokens, j) {
  return j >= 0 && tokens[j].end === tokens[j + 1].start && CAPITAL.test(text.slice(tokens[j].start, tokens[j].end));
}

/** In a list of disjoint ranges in text order, the index of the first that ends after `offset` (the length when none does). */
function firstEndingAfter(list, offset) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * BIO tags need spans that do not overlap. Of spans that overlap (nested or
 * crossing), the longer one in code points is kept; on equal length the one
 * that starts first; then the one listed first. Returns the kept spans in text
 * order and the others, each with a kept span it overlaps ({span, by}).
 */
export function resolveOverlaps(text, spans) {
  const ranked = spans
    .map((s, i) => ({ s, i, len: codePointLength(text.slice(s.start, s.end)) }))
    .sort((a, b) => b.len - a.len || a.s.start - b.s.start || a.i - b.i);
  const kept = []; // disjoint, in text order
  const overlapping = [];
  for (const { s } of ranked) {
    const at = firstEndingAfter(kept, s.start);
    if (at < kept.length && kept[at].start < s.end) overlapping.push({ span: s, by: kept[at] });
    else kept.splice(at, 0, s);
  }
  return { kept, overlapping };
}

/** The tokens [from, to) that lie inside span s (tokens are cut at its edges). */
function tokenRange(tokens, s) {
  const from = firstEndingAfter(tokens, s.start);
  let to = from;
  while (to < tokens.length && tokens[to].start < s.end) to += 1;
  return [from, to];
}

/**
 * The token view of a document. `spans` are all its spans, `tagged` those to
 * tag ({start, end, label}, UTF-16, any order, overlaps allowed). Tokens are
 * cut at the edges of every span and no sentence ends inside one, so the
 * tokens and sentences do not depend on which spans are tagged. Returns tokens
 * [{start, end, tag}], sentences as token ranges, the spans tagged, those left
 * out for overlapping (see resolveOverlaps) and those that cover no token
 * (only whitespace).
 */
export function bioDocument(text, spans, tagged = spans) {
  const tokens = tokenize(text, spans.flatMap((s) => [s.start, s.end]));
  const inSpan = new Uint8Array(tokens.length);
  for (const s of spans) {
    const [from, to] = tokenRange(tokens, s);
    inSpan.fill(1, from + 1, to);
  }
  for (const t of tokens) t.tag = 'O';
  // A span with no token (only whitespace) is left out first: it must not
  // knock out, as the longer of two, a span that has tokens.
  const empty = tagged.filter((s) => {
    const [from, to] = tokenRange(tokens, s);
    return from === to;
  });
  const emptySet = new Set(empty);
  const { kept, overlapping } = resolveOverlaps(text, tagged.filter((s) => !emptySet.has(s)));
  for (const s of kept) {
    const [from, to] = tokenRange(tokens, s);
    for (let t = from; t < to; t++) tokens[t].tag = `${t === from ? 'B' : 'I'}-${s.label}`;
  }
  return { tokens, sentences: splitSentences(text, tokens, inSpan), kept, overlapping, empty };
}
