// The document and span store: the single source of truth of the page.
//
// A document: { id, title, text, langSetting, lang, dct, dctSource, status,
//               spans, rejected, created, annotated }
// A span (immutable; every change makes a new object and a new spans array):
//   { id, start, end, label, value?, source?, reviewed, userValue? }
// with start/end in UTF-16 code units. `reviewed` is true once a person has
// made, accepted or corrected the span; machine spans that are not reviewed
// are the only ones a new extraction run may replace. `rejected` lists the
// machine spans a person deleted, so that a re-run does not bring them back.
//
// Undo/redo keeps per-document snapshots of (spans, rejected): since spans
// are immutable, a snapshot is one array of references. The latest steps of
// a document's history are saved with it (exportHistory / importHistory):
// each span once, each snapshot as a list of indexes into them.
//
// The store knows nothing about the DOM or storage. It emits:
//   'spans'   {docId, prev}      a document's spans changed (prev = old array)
//   'doc'     {docId}            a document's fields (title, dct, lang, status) changed
//   'docs'    {}                 documents added or removed
//   'current' {docId}            another document is shown
//   'labels'  {}                 the label set changed
//   'dirty'   {docId?, meta?}    something to persist

import { DEFAULT_LABELS, newLabel, validLabelName } from './labels.js';

const UNDO_LIMIT = 500;
// What is saved of a history: at most this many undo (and redo) steps, taken
// newest first; and once the steps taken hold SAVED_REFS span references in
// all, no more are added, so that a long document keeps fewer steps rather
// than slow every save. Not a hard cap: the step that reaches it is kept, and
// the newest undo step always is, whatever its size.
const SAVED_STEPS = 100;
const SAVED_REFS = 20_000;
// Document fields that an undo step restores with the spans (a date or
// language change and the re-run it caused are one step).
const STEP_FIELDS = ['dct', 'dctSource', 'langSetting', 'lang'];

function pick(doc) {
  return Object.fromEntries(STEP_FIELDS.map((k) => [k, doc[k]]));
}
let idCounter = 0;

export function newId(prefix) {
  idCounter += 1;
  return `${prefix}${Date.now().toString(36)}${idCounter.toString(36)}`;
}

export function compareSpans(a, b) {
  return a.start - b.start || b.end - a.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

/** A span object with only known fields, validated by the caller. */
export function makeSpan(s, defaults = {}) {
  const span = {
    id: s.id || newId('s'),
    start: s.start,
    end: s.end,
    label: s.label,
    reviewed: s.reviewed ?? defaults.reviewed ?? false,
  };
  if (s.value != null && s.value !== '') span.value = String(s.value);
  const source = s.source ?? defaults.source;
  if (source) span.source = source;
  if (s.userValue) span.userValue = true;
  return span;
}

/** True for a span that came from the engine and no person has looked at. */
export function isPending(span) {
  return !span.reviewed;
}

function key(s) {
  return `${s.start}:${s.end}:${s.label}`;
}

export class Store extends EventTarget {
  constructor() {
    super();
    this.docs = new Map();
    this.order = [];
    this.currentId = null;
    this.labels = DEFAULT_LABELS.map((l) => ({ ...l }));
    this.history = new Map();
    // The span selected in the page, remembered with each undo step so that
    // undo shows the span it brings back.
    this.selectionHint = null;
    // Page preferences, saved with the labels.
    this.settings = { snapWords: false };
  }

  setSetting(name, value) {
    this.settings = { ...this.settings, [name]: value };
    this.emit('dirty', { meta: true });
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // -- loading ------------------------------------------------------------

  /** Replaces the whole state with what persistence restored (histories: saved undo histories by document id). */
  restore({ docs, order, currentId, labels, settings, histories = null }) {
    this.docs = new Map(docs.map((d) => [d.id, d]));
    this.order = (order || []).filter((id) => this.docs.has(id));
    for (const d of docs) if (!this.order.includes(d.id)) this.order.push(d.id);
    if (labels) this.labels = labels;
    if (settings) this.settings = { ...this.settings, snapWords: settings.snapWords === true };
    this.currentId = this.docs.has(currentId) ? currentId : this.order[0] ?? null;
    this.history.clear();
    for (const [id, saved] of histories || []) this.importHistory(id, saved);
    this.emit('labels');
    this.emit('docs');
    this.emit('current', { docId: this.currentId });
  }

  // -- documents ----------------------------------------------------------

  get current() {
    return this.currentId ? this.docs.get(this.currentId) : null;
  }

  documents() {
    return this.order.map((id) => this.docs.get(id));
  }

  /** Adds documents (already validated, UTF-16 offsets), at the end of the list or at index `at`. Returns them. */
  addDocuments(list, { select = true, at = null } = {}) {
    const added = [];
    for (const input of list) {
      let id = input.id ? String(input.id) : newId('doc-');
      if (this.docs.has(id)) {
        let n = 2;
        while (this.docs.has(`${id}-${n}`)) n += 1;
        id = `${id}-${n}`;
      }
      const doc = {
        id,
        title: input.title || titleFrom(input.text),
        text: input.text,
        langSetting: input.langSetting || 'auto',
        lang: input.lang || null,
        dct: input.dct || null,
        dctSource: input.dct ? input.dctSource || 'given' : null,
        status: input.status === 'done' ? 'done' : 'todo',
        spans: (input.spans || []).map((s) => makeSpan(s, { reviewed: true })).sort(compareSpans),
        rejected: (input.rejected || []).map((r) => ({ start: r.start, end: r.end, label: r.label })),
        created: input.created || Date.now(),
        annotated: Boolean(input.annotated),
      };
      this.docs.set(id, doc);
      if (at === null) this.order.push(id);
      else this.order.splice(Math.min(at + added.length, this.order.length), 0, id);
      added.push(doc);
      this.emit('dirty', { docId: id });
    }
    this.emit('dirty', { meta: true });
    this.emit('docs');
    if (select && added.length) this.setCurrent(added[0].id);
    return added;
  }

  removeDocument(id) {
    if (!this.docs.has(id)) return;
    this.docs.delete(id);
    this.history.delete(id);
    const i = this.order.indexOf(id);
    this.order.splice(i, 1);
    this.emit('dirty', { docId: id, deleted: true });
    this.emit('docs');
    if (this.currentId === id) this.setCurrent(this.order[Math.min(i, this.order.length - 1)] ?? null);
    this.emit('dirty', { meta: true });
  }

  setCurrent(id) {
    if (id !== null && !this.docs.has(id)) return;
    this.currentId = id;
    this.emit('current', { docId: id });
    this.emit('dirty', { meta: true });
  }

  /** Changes document fields (title, langSetting, lang, dct, dctSource, status, annotated). Returns the step fields as they were. */
  updateDoc(id, patch) {
    const doc = this.docs.get(id);
    if (!doc) return null;
    const was = pick(doc);
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (doc[k] !== v) {
        doc[k] = v;
        changed = true;
      }
    }
    if (changed) {
      this.emit('doc', { docId: id });
      this.emit('dirty', { docId: id });
    }
    return was;
  }

  // -- spans, through undoable commits -------------------------------------

  hist(id) {
    let h = this.history.get(id);
    if (!h) {
      h = { undo: [], redo: [] };
      this.history.set(id, h);
    }
    return h;
  }

  /**
   * The latest steps of a document's history, as plain data to save (null
   * when there is none). Spans are written once each; a snapshot is a list of
   * indexes into them, and snapshots that are the same array are written once.
   */
  exportHistory(id) {
    const h = this.history.get(id);
    if (!h || !(h.undo.length || h.redo.length)) return null;
    const spans = [];
    const spanAt = new Map();
    const lists = [];
    const listAt = new Map();
    let refs = 0;
    const list = (arr, ofSpans) => {
      if (!listAt.has(arr)) {
        listAt.set(arr, lists.length);
        lists.push(ofSpans ? arr.map((sp) => {
          if (!spanAt.has(sp)) {
            spanAt.set(sp, spans.length);
            spans.push(sp);
          }
          return spanAt.get(sp);
        }) : arr);
        refs += arr.length;
      }
      return listAt.get(arr);
    };
    const side = (x) => ({ spans: list(x.spans, true), rejected: list(x.rejected, false), select: x.select ?? null, fields: x.fields });
    const take = (steps) => {
      const out = [];
      // Newest first (the end of each stack), until the bound.
      for (let i = steps.length - 1; i >= 0 && out.length < SAVED_STEPS && refs < SAVED_REFS; i--) {
        const st = steps[i];
        out.unshift({ what: st.what, before: side(st.before), after: side(st.after) });
      }
      return out;
    };
    const undo = take(h.undo);
    const redo = take(h.redo);
    return { v: 1, spans, lists, undo, redo };
  }

  /**
   * Takes back a saved history. Anything unexpected in it (a damaged record,
   * a history that does not end at the document's saved state) drops the
   * history, never the document. Returns true when it was taken.
   */
  importHistory(id, saved) {
    const doc = this.docs.get(id);
    try {
      if (!doc || !saved || saved.v !== 1 || !Array.isArray(saved.spans) || !Array.isArray(saved.lists)) return false;
      const n = doc.text.length;
      const spans = saved.spans.map((sp) => {
        if (!sp || typeof sp.id !== 'string' || !Number.isInteger(sp.start) || !Number.isInteger(sp.end) || !(sp.start >= 0 && sp.start < sp.end && sp.end <= n) || typeof sp.label !== 'string') throw new Error('span');
        return makeSpan(sp);
      });
      const lists = new Map();
      const listOf = (i, ofSpans) => {
        const raw = saved.lists[i];
        if (!Array.isArray(raw)) throw new Error('list');
        if (!lists.has(i)) {
          lists.set(i, ofSpans ? raw.map((k, j) => {
            // Snapshots are saved in the order of a document's spans.
            if (!spans[k] || (j > 0 && compareSpans(spans[raw[j - 1]], spans[k]) > 0)) throw new Error('span index');
            return spans[k];
          }) : raw.map((r) => {
            if (!r || !Number.isInteger(r.start) || !Number.isInteger(r.end) || typeof r.label !== 'string') throw new Error('rejected');
            return { start: r.start, end: r.end, label: r.label };
          }));
        }
        return lists.get(i);
      };
      const fieldsOf = (f) => {
        if (!f || typeof f !== 'object') throw new Error('fields');
        return Object.fromEntries(STEP_FIELDS.map((k) => {
          if (f[k] != null && typeof f[k] !== 'string') throw new Error('field');
          return [k, f[k] ?? null];
        }));
      };
      const side = (x) => ({
        spans: listOf(x.spans, true),
        rejected: listOf(x.rejected, false),
        select: typeof x.select === 'string' ? x.select : null,
        fields: fieldsOf(x.fields),
      });
      const steps = (arr) => {
        if (!Array.isArray(arr)) throw new Error('steps');
        return arr.map((st) => ({ what: String(st.what), before: side(st.before), after: side(st.after) }));
      };
      const h = { undo: steps(saved.undo), redo: steps(saved.redo) };
      // The history must lead to the state the document was saved in.
      const now = h.undo.length ? h.undo[h.undo.length - 1].after : h.redo.length ? h.redo[h.redo.length - 1].before : null;
      const same = (a, b) => a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
      const norm = (list) => list.map((sp) => makeSpan(sp));
      if (!now || !same(norm(doc.spans), now.spans) || !same(doc.rejected, now.rejected) || STEP_FIELDS.some((k) => (doc[k] ?? null) !== now.fields[k])) return false;
      // The same objects as the history's, so that undo changes only what it changes.
      doc.spans = now.spans;
      doc.rejected = now.rejected;
      this.history.set(id, h);
      return true;
    } catch {
      return false;
    }
  }

  /** Replaces a document's spans (and rejected list) as one undoable step. */
  commit(id, spans, rejected, what, { undoable = true, select = null, fieldsBefore = null } = {}) {
    const doc = this.docs.get(id);
    if (!doc) return;
    const prev = doc.spans;
    const before = { spans: doc.spans, rejected: doc.rejected, select: this.selectionHint, fields: fieldsBefore || pick(doc) };
    spans.sort(compareSpans);
    doc.spans = spans;
    doc.rejected = rejected;
    if (undoable) {
      const h = this.hist(id);
      h.undo.push({ before, after: { spans, rejected, select, fields: pick(doc) }, what });
      if (h.undo.length > UNDO_LIMIT) h.undo.shift();
      h.redo.length = 0;
    }
    this.emit('spans', { docId: id, prev, select, what });
    this.emit('dirty', { docId: id });
  }

  undo(id) {
    return this.travel(id, 'undo', 'redo', 'before');
  }

  redo(id) {
    return this.travel(id, 'redo', 'undo', 'after');
  }

  travel(id, from, to, side) {
    const doc = this.docs.get(id);
    if (!doc) return null;
    const h = this.hist(id);
    const step = h[from].pop();
    if (!step) return null;
    h[to].push(step);
    const prev = doc.spans;
    doc.spans = step[side].spans;
    doc.rejected = step[side].rejected;
    const fields = step[side].fields;
    if (STEP_FIELDS.some((k) => doc[k] !== fields[k])) {
      Object.assign(doc, fields);
      this.emit('doc', { docId: id });
    }
    this.emit('spans', { docId: id, prev, select: step[side].select ?? null, what: step.what });
    this.emit('dirty', { docId: id });
    return step.what;
  }

  span(id, spanId) {
    const doc = this.docs.get(id);
    return doc ? doc.spans.find((s) => s.id === spanId) || null : null;
  }

  /**
   * Adds a span a person drew. The same range with another label relabels
   * the existing span instead of stacking a duplicate. Returns the span id.
   */
  addSpan(id, { start, end, label }) {
    const doc = this.docs.get(id);
    if (!doc || !(start < end) || start < 0 || end > doc.text.length) return null;
    const same = doc.spans.find((s) => s.start === start && s.end === end);
    if (same) {
      if (same.label === label && same.reviewed) return same.id;
      return this.relabel(id, same.id, label);
    }
    const span = makeSpan({ start, end, label, source: 'manual', reviewed: true });
    this.commit(id, [...doc.spans, span], doc.rejected, `Add ${label}`, { select: span.id });
    return span.id;
  }

  removeSpan(id, spanId) {
    const doc = this.docs.get(id);
    const span = this.span(id, spanId);
    if (!span) return;
    let rejected = doc.rejected;
    if (span.source && span.source !== 'manual' && !rejected.some((r) => key(r) === key(span))) {
      rejected = [...rejected, { start: span.start, end: span.end, label: span.label }];
    }
    this.commit(id, doc.spans.filter((s) => s !== span), rejected, `Delete ${span.label}`);
  }

  relabel(id, spanId, label) {
    const doc = this.docs.get(id);
    const span = this.span(id, spanId);
    if (!span) return null;
    if (span.label === label && span.reviewed) return span.id;
    const next = { ...span, label, reviewed: true };
    const kind = this.labelKind(label);
    if (kind !== 'temporal') {
      delete next.value;
      delete next.userValue;
    }
    this.commit(id, doc.spans.map((s) => (s === span ? next : s)), doc.rejected, `Relabel ${span.label} → ${label}`, { select: span.id });
    return span.id;
  }

  setValue(id, spanId, value) {
    const doc = this.docs.get(id);
    const span = this.span(id, spanId);
    if (!span) return;
    value = value.trim();
    if ((span.value || '') === value && span.reviewed) return;
    const next = { ...span, reviewed: true, userValue: true };
    if (value) next.value = value;
    else delete next.value;
    this.commit(id, doc.spans.map((s) => (s === span ? next : s)), doc.rejected, `Set value ${value || '(none)'}`, { select: span.id });
  }

  /** Moves a span's edges (already snapped by the caller). */
  resize(id, spanId, start, end) {
    const doc = this.docs.get(id);
    const span = this.span(id, spanId);
    if (!span || !(start < end) || start < 0 || end > doc.text.length) return;
    if (span.start === start && span.end === end) return;
    if (doc.spans.some((s) => s !== span && s.start === start && s.end === end && s.label === span.label)) return;
    const next = { ...span, start, end, reviewed: true };
    this.commit(id, doc.spans.map((s) => (s === span ? next : s)), doc.rejected, `Resize ${span.label}`, { select: span.id });
  }

  accept(id, spanId) {
    const doc = this.docs.get(id);
    const span = this.span(id, spanId);
    if (!span || span.reviewed) return;
    this.commit(id, doc.spans.map((s) => (s === span ? { ...s, reviewed: true } : s)), doc.rejected, `Accept ${span.label}`, { select: span.id });
  }

  /** Marks every pending machine span of a document as reviewed. Returns how many. */
  acceptAll(id) {
    const doc = this.docs.get(id);
    if (!doc) return 0;
    const n = doc.spans.filter(isPending).length;
    if (!n) return 0;
    this.commit(id, doc.spans.map((s) => (s.reviewed ? s : { ...s, reviewed: true })), doc.rejected, `Accept ${n} spans`);
    return n;
  }

  /**
   * Merges a fresh extraction run into a document. Pending machine spans are
   * replaced; reviewed spans are kept, and a machine span is not added where
   * it would overlap one of them, where a person rejected it, or when its label
   * is not in the label set. A reviewed
   * span that the run found again (same edges and label) takes the new value
   * unless a person typed the value.
   */
  mergeMachine(id, machine, { undoable, fieldsBefore = null }) {
    const doc = this.docs.get(id);
    if (!doc) return;
    const pendingByKey = new Map(doc.spans.filter(isPending).map((s) => [key(s), s]));
    const rejected = new Set(doc.rejected.map(key));
    const kept = [];
    const keptIndex = new Map();
    for (const s of doc.spans) {
      if (!s.reviewed) continue;
      keptIndex.set(key(s), kept.length);
      kept.push(s);
    }
    const keptSorted = overlapIndex(kept);
    const added = [];
    const addedKeys = new Set();
    for (const m of machine) {
      if (!(m.start < m.end) || m.start < 0 || m.end > doc.text.length || !m.label) continue;
      // A label taken out of the label set is not suggested either.
      if (!this.hasLabel(m.label)) continue;
      const k = key(m);
      if (rejected.has(k)) continue;
      if (keptIndex.has(k)) {
        const i = keptIndex.get(k);
        const s = kept[i];
        if (!s.userValue && (s.value || '') !== (m.value || '') && s.source && s.source !== 'manual') {
          const next = { ...s };
          if (m.value) next.value = m.value;
          else delete next.value;
          kept[i] = next;
        }
        continue;
      }
      if (addedKeys.has(k) || overlapsAny(keptSorted, m)) continue;
      addedKeys.add(k);
      const old = pendingByKey.get(k);
      if (old && (old.value || '') === (m.value || '') && old.source === m.source) added.push(old);
      else added.push(makeSpan({ id: old?.id, start: m.start, end: m.end, label: m.label, value: m.value, source: m.source || 'engine', reviewed: false }));
    }
    const next = [...kept, ...added].sort(compareSpans);
    const same = next.length === doc.spans.length && next.every((s, i) => s === doc.spans[i]);
    const fieldsChanged = fieldsBefore && STEP_FIELDS.some((k) => fieldsBefore[k] !== doc[k]);
    if (same && !(undoable && fieldsChanged)) return;
    this.commit(id, next, doc.rejected, fieldsChanged ? 'Change document date or language' : 'Update pre-annotation', { undoable, fieldsBefore });
  }

  // -- labels -------------------------------------------------------------

  labelKind(name) {
    return this.labels.find((l) => l.name === name)?.kind || 'entity';
  }

  hasLabel(name) {
    return this.labels.some((l) => l.name === name);
  }

  /** Adds labels that imported documents use and the set lacks. Returns the names added. */
  ensureLabels(names) {
    const added = [];
    for (const n of names) {
      if (!this.hasLabel(n) && validLabelName(n)) {
        this.labels.push(newLabel(n, this.labels));
        added.push(n);
      }
    }
    if (added.length) {
      this.emit('labels');
      this.emit('dirty', { meta: true });
    }
    return added;
  }

  addLabel(name) {
    if (!validLabelName(name) || this.hasLabel(name)) return false;
    this.labels.push(newLabel(name, this.labels));
    this.emit('labels');
    this.emit('dirty', { meta: true });
    return true;
  }

  updateLabel(name, patch) {
    const l = this.labels.find((x) => x.name === name);
    if (!l) return;
    Object.assign(l, patch);
    this.emit('labels');
    this.emit('dirty', { meta: true });
  }

  moveLabel(name, delta) {
    const i = this.labels.findIndex((x) => x.name === name);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= this.labels.length) return;
    [this.labels[i], this.labels[j]] = [this.labels[j], this.labels[i]];
    this.emit('labels');
    this.emit('dirty', { meta: true });
  }

  /** How many spans, in how many documents, use a label. */
  labelUse(name) {
    let spans = 0;
    let docs = 0;
    for (const d of this.docs.values()) {
      const n = d.spans.filter((s) => s.label === name).length;
      if (n) {
        spans += n;
        docs += 1;
      }
    }
    return { spans, docs };
  }

  /**
   * Renames a label everywhere, spans included. The undo history of the
   * documents it touched is cleared (its snapshots name the old label).
   */
  renameLabel(from, to) {
    if (!validLabelName(to) || this.hasLabel(to) || !this.hasLabel(from)) return false;
    this.labels.find((l) => l.name === from).name = to;
    this.rewriteSpans((s) => (s.label === from ? { ...s, label: to } : s), (r) => (r.label === from ? { ...r, label: to } : r));
    this.emit('labels');
    this.emit('dirty', { meta: true });
    return true;
  }

  /** Removes a label and every span that has it. */
  removeLabel(name) {
    this.labels = this.labels.filter((l) => l.name !== name);
    this.rewriteSpans((s) => (s.label === name ? null : s), (r) => (r.label === name ? null : r));
    this.emit('labels');
    this.emit('dirty', { meta: true });
  }

  rewriteSpans(fs, fr) {
    for (const doc of this.docs.values()) {
      const spans = doc.spans.map(fs).filter(Boolean);
      const changed = spans.length !== doc.spans.length || spans.some((s, i) => s !== doc.spans[i]);
      const rejected = doc.rejected.map(fr).filter(Boolean);
      if (!changed && rejected.length === doc.rejected.length) continue;
      const prev = doc.spans;
      doc.spans = spans.sort(compareSpans);
      doc.rejected = rejected;
      this.history.delete(doc.id);
      this.emit('spans', { docId: doc.id, prev });
      this.emit('dirty', { docId: doc.id });
    }
  }
}

/**
 * Reviewed spans sorted by start, with the running maximum of their ends, so
 * that "does [start, end) overlap any of them" is a binary search, not a scan
 * (a pre-annotation of a long document has tens of thousands of spans).
 * A document's spans are kept sorted, so the input usually is already: it is
 * then only copied, and sorted only when it is not (a record restored from
 * storage is not checked for order). Always a copy: the caller may go on
 * changing its array (mergeMachine replaces spans in it).
 */
export function overlapIndex(spans) {
  const inOrder = spans.every((s, i) => i === 0 || spans[i - 1].start <= s.start);
  const sorted = inOrder ? [...spans] : [...spans].sort((a, b) => a.start - b.start);
  const maxEnd = [];
  let m = -1;
  for (const s of sorted) {
    m = Math.max(m, s.end);
    maxEnd.push(m);
  }
  return { sorted, maxEnd };
}

function overlapsAny({ sorted, maxEnd }, span) {
  // The last reviewed span starting before span.end; any overlap has start < span.end
  // and end > span.start, i.e. the running maximum of ends up to there exceeds span.start.
  let lo = 0;
  let hi = sorted.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].start < span.end) {
      last = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return last >= 0 && maxEnd[last] > span.start;
}

/** A title from the first non-empty line of a text. */
export function titleFrom(text) {
  const line = [...(text.slice(0, 2000).split('\n').find((l) => l.trim()) || 'Untitled').trim()];
  return line.length > 60 ? `${line.slice(0, 57).join('')}…` : line.join('');
}
