// Offsets and text helpers. No DOM here: node's test runner imports this too.
//
// Inside the page every offset is a UTF-16 code unit index (what JavaScript
// strings index by, and what the wasm engine returns). Files on disk use
// Unicode code points (Python str indices). Conversion happens only at the
// file boundary, in formats.js, through the two functions below.

/** Converts UTF-16 offsets (in any order) to code-point offsets. */
export function utf16ToCodePoints(text, offsets) {
  return mapOffsets(text, offsets, false);
}

/** Converts code-point offsets to UTF-16 offsets; -1 for one past the end. */
export function codePointsToUtf16(text, offsets) {
  return mapOffsets(text, offsets, true);
}

/** Number of code points in a string (Python's len()). */
export function codePointLength(text) {
  let n = 0;
  for (let i = 0; i < text.length; i += unitsAt(text, i)) n += 1;
  return n;
}

/** 2 at the start of a surrogate pair, else 1 (a lone surrogate counts as one code point, as in Python). */
function unitsAt(text, i) {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return 1;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

/** One walk through the text, in order of the wanted offsets. */
function mapOffsets(text, offsets, fromCodePoints) {
  const targets = [...new Set(offsets)].sort((a, b) => a - b);
  const found = new Map();
  let i = 0;
  let cp = 0;
  for (const t of targets) {
    while ((fromCodePoints ? cp : i) < t && i < text.length) {
      i += unitsAt(text, i);
      cp += 1;
    }
    // A UTF-16 offset inside a surrogate pair lands after the pair; callers
    // never produce one (selections snap to grapheme clusters).
    found.set(t, fromCodePoints ? (cp === t ? i : -1) : cp);
  }
  return offsets.map((o) => found.get(o));
}

// ---------------------------------------------------------------------------
// Grapheme clusters. Span edges never split one (a Telugu conjunct, an emoji
// ZWJ sequence, a flag, a letter with combining marks).

const graphemes = typeof Intl !== 'undefined' && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/**
 * Grapheme boundaries of text[from, to) as absolute offsets, including both
 * ends. `from` and `to` must themselves be boundaries (line starts and ends are).
 */
export function graphemeBoundaries(text, from, to) {
  const out = [from];
  if (!graphemes) {
    // Fallback without Intl.Segmenter: at least never split a surrogate pair
    // or detach a combining mark / virama sequence from its base.
    for (let i = from + 1; i < to; i++) {
      const c = text.charCodeAt(i);
      if (!(c >= 0xdc00 && c <= 0xdfff) && !/[\p{M}\u200c\u200d]/u.test(text[i]) && text[i - 1] !== '\u200d') out.push(i);
    }
  } else {
    for (const seg of graphemes.segment(text.slice(from, to))) {
      if (seg.index > 0) out.push(from + seg.index);
    }
  }
  if (to > from) out.push(to);
  return out;
}

/** Start of the line containing offset i. */
export function lineStart(text, i) {
  const nl = text.lastIndexOf('\n', i - 1);
  return nl < 0 ? 0 : nl + 1;
}

/** End of the line containing offset i (index of its "\n", or text.length). */
export function lineEnd(text, i) {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl;
}

/**
 * Snaps a raw selection [start, end) outwards to grapheme cluster edges and
 * trims whitespace (whole clusters) from both ends. Returns null when nothing
 * but whitespace is left.
 */
export function snapSelection(text, start, end) {
  if (start > end) [start, end] = [end, start];
  start = Math.max(0, Math.min(start, text.length));
  end = Math.max(0, Math.min(end, text.length));
  if (start === end) return null;
  const from = lineStart(text, start);
  const to = lineEnd(text, Math.max(start, end - 1));
  const bounds = graphemeBoundaries(text, from, to);
  // Snap outwards: start down to a boundary, end up to one.
  let s = from;
  let e = to;
  for (const b of bounds) {
    if (b <= start) s = b;
    if (b >= end) { e = b; break; }
  }
  // Trim whitespace clusters on both sides.
  let si = bounds.indexOf(s);
  let ei = bounds.indexOf(e);
  while (si < ei && /^\s+$/u.test(text.slice(bounds[si], bounds[si + 1]))) si += 1;
  while (ei > si && /^\s+$/u.test(text.slice(bounds[ei - 1], bounds[ei]))) ei -= 1;
  if (si >= ei) return null;
  return { start: bounds[si], end: bounds[ei] };
}

/** The grapheme cluster edge before (dir < 0) or after (dir > 0) offset i; i itself at the text's ends. */
export function stepGrapheme(text, i, dir) {
  const at = dir < 0 ? Math.max(0, i - 1) : i;
  const bounds = graphemeBoundaries(text, lineStart(text, at), lineEnd(text, at));
  if (dir < 0) return bounds.filter((b) => b < i).pop() ?? i;
  // Past the end of a line: the next line's first cluster ("\n" is a cluster of its own).
  return bounds.find((b) => b > i) ?? Math.min(text.length, i + 1);
}

const words = typeof Intl !== 'undefined' && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: 'word' }) : null;

/**
 * Widens [start, end) so that neither edge falls inside a word (an edge in
 * the middle of "Hyderabad" moves to the word's edge). Used before
 * snapSelection when the page's "snap to whole words" is on.
 */
export function widenToWords(text, start, end) {
  if (!words) return { start, end };
  const from = lineStart(text, start);
  const to = lineEnd(text, Math.max(start, end - 1));
  for (const seg of words.segment(text.slice(from, to))) {
    const a = from + seg.index;
    const b = a + seg.segment.length;
    if (!seg.isWordLike) continue;
    if (a < start && start < b) start = a;
    if (a < end && end < b) end = b;
  }
  return { start, end };
}

/** True when [start, end) begins and ends on grapheme cluster edges. */
export function onGraphemeEdges(text, start, end) {
  const check = (i) => {
    if (i <= 0 || i >= text.length) return true;
    const a = text.charCodeAt(i - 1);
    const b = text.charCodeAt(i);
    // Fast path: between two characters below U+0300 only CR LF forms a cluster.
    if (a < 0x300 && b < 0x300) return !(a === 13 && b === 10);
    const from = lineStart(text, i);
    const to = lineEnd(text, i);
    if (i === from || i === to) return true;
    return graphemeBoundaries(text, from, to).includes(i);
  };
  return check(start) && check(end);
}

// ---------------------------------------------------------------------------
// Languages and dates.

/** "te" when Telugu letters outnumber Latin ones, else "en" (the engine's own guess is used when loaded). */
export function guessLanguage(text) {
  let te = 0;
  let latin = 0;
  const n = Math.min(text.length, 20000);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x0c00 && c <= 0x0c7f) te += 1;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin += 1;
  }
  return te > latin ? 'te' : 'en';
}

/** Today's local date as YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** A loose check of a TIMEX3 value: warns about typos, never blocks. A
 * range suggested as one span is an ISO 8601 interval of two values,
 * "2014/2021". */
export function looksLikeTimexValue(v) {
  if (v === '' || looksLikeOneValue(v)) return true;
  const halves = v.split('/');
  return halves.length === 2 && halves.every(looksLikeOneValue);
}

function looksLikeOneValue(v) {
  return /^BC\d{2,4}$/.test(v)
    || /^(PRESENT_REF|PAST_REF|FUTURE_REF)$/.test(v)
    || /^P(\d+(\.\d+)?[YMWD]|X[YMWD])*(T(\d+(\.\d+)?[HMS]|X[HMS])+)?$/.test(v) && v !== 'P' && v !== 'PT'
    || /^R\d*\/?P/.test(v)
    || /^(\d{2}|\d{4}|X{4}|\d{3}X|\d{2}XX)(-(\d{2}|XX)(-(\d{2}|XX))?|-W(\d{2}|XX)(-WE|-\d)?|-Q[1-4X]|-H[12X]|-(SP|SU|FA|WI))?(T(\d{2}(:\d{2}(:\d{2})?)?|MO|AF|EV|NI|DT))?$/.test(v)
    || /^T(\d{2}(:\d{2}(:\d{2})?)?|MO|AF|EV|NI|DT)$/.test(v)
    || /^XXXX-WXX-\d$/.test(v);
}
