// The page's controls: document list, toolbar, legend, selected-span panel,
// keyboard and mouse editing, files in and out, the label editor. All state
// lives in the store; this module turns user actions into store calls and
// store events into DOM updates.

import { keyFor, validLabelName } from './labels.js';
import { HARD_LIMIT, ImportError, SOFT_LIMIT, clip, importFile, plainDoc, tagFilter, toConll, toCorpusJsonl, toLedeJson, toTokenJsonl } from './formats.js';
import { TextView } from './render.js';
import { readPreference, writePreference } from './persist.js';
import { codePointLength, guessLanguage, isIsoDate, looksLikeTimexValue, snapSelection, stepGrapheme, utf16ToCodePoints, widenToWords } from './text.js';

const $ = (id) => document.getElementById(id);
const BIG_PASTE = 500_000; // UTF-16 units

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') for (const [p, x] of Object.entries(v)) e.style.setProperty(p, x);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

function isEditable(t) {
  return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
}

export class Controls {
  constructor({ store, persist, engine, pre, samples }) {
    this.store = store;
    this.persist = persist;
    this.engine = engine;
    this.pre = pre;
    this.samples = samples;
    this.selected = null; // selected span id in the current document
    this.view = new TextView($('text'), (name) => this.labelInfo(name));
    this.lengths = new WeakMap(); // document -> its length in code points
  }

  labelInfo(name) {
    const i = this.store.labels.findIndex((l) => l.name === name);
    return i >= 0 ? { color: this.store.labels[i].color, key: keyFor(i), hidden: Boolean(this.store.labels[i].hidden) } : { color: '#cccccc', key: '', hidden: false };
  }

  get doc() {
    return this.store.current;
  }

  // -- wiring ---------------------------------------------------------------

  start() {
    const s = this.store;
    s.addEventListener('docs', () => this.renderDocList());
    s.addEventListener('current', () => this.showCurrent());
    s.addEventListener('labels', () => {
      this.renderLegend();
      this.renderPicker();
      this.view.redrawAll();
      this.renderDetails();
      if ($('labels-dialog').open) this.renderLabelRows();
    });
    s.addEventListener('spans', (ev) => this.onSpans(ev.detail));
    s.addEventListener('doc', (ev) => {
      if (ev.detail.docId === s.currentId) this.renderToolbar();
      this.renderDocItem(ev.detail.docId);
    });
    this.persist.addEventListener('status', () => this.renderSaveStatus());
    this.engine.addEventListener('status', () => this.renderEngineStatus());
    this.pre.addEventListener('busy', (ev) => {
      if (ev.detail.docId === s.currentId) this.renderStats();
    });

    this.wireDocuments();
    this.wireToolbar();
    this.wireText();
    this.wireDetails();
    this.wireLabels();
    this.wireKeys();
    this.wireFiles();

    this.renderEngineStatus();
    this.renderSaveStatus();
    this.renderLegend();
    this.renderPicker();
    this.renderDocList();
    this.showCurrent();
  }

  // -- messages -------------------------------------------------------------

  /** A message in the corner. kind: info | warn | error. Errors stay until dismissed. */
  notify(text, kind = 'info', { action, timeout } = {}) {
    const box = el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, el('p', {}, text));
    if (action) box.append(el('button', { type: 'button', onclick: () => { action.run(); box.remove(); } }, action.label));
    box.append(el('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => box.remove() }, '×'));
    $('notices').append(box);
    const ms = timeout ?? (kind === 'error' ? 0 : kind === 'warn' ? 12000 : 5000);
    if (ms) setTimeout(() => box.remove(), ms);
    while ($('notices').children.length > 5) $('notices').firstElementChild.remove();
    return box;
  }

  /** A lasting banner under the header, one per key; null text removes it. */
  banner(key, text, { kind = 'error', actions = [] } = {}) {
    const id = `banner-${key}`;
    const old = document.getElementById(id);
    if (!text) {
      old?.remove();
      return;
    }
    const b = el('div', { id, class: `banner ${kind}`, role: 'alert' }, el('p', {}, text));
    for (const a of actions) b.append(el('button', { type: 'button', onclick: a.run }, a.label));
    if (old) old.replaceWith(b);
    else $('banners').append(b);
  }

  renderEngineStatus() {
    const e = this.engine;
    const pill = $('engine-status');
    pill.dataset.state = e.status;
    if (e.status === 'loading') pill.textContent = 'Engine loading…';
    else if (e.status === 'ready') {
      pill.textContent = `Engine ready · ${e.version}`;
      $('version').textContent = e.version;
      this.banner('engine', null);
    } else {
      pill.textContent = 'Pre-annotation unavailable';
      this.banner('engine', `The extraction engine could not be loaded: ${e.message}. You can still annotate by hand, save and export; nothing is pre-annotated. (Developers: build it with “bash www/build.sh”.)`, { kind: 'warn' });
    }
    this.renderStats();
  }

  renderSaveStatus() {
    const p = this.persist;
    const pill = $('save-status');
    pill.dataset.state = p.state;
    pill.textContent = {
      idle: this.store.order.length ? 'Saved' : 'Nothing to save yet',
      saving: 'Saving…',
      saved: 'All changes saved',
      error: p.quota ? 'Not saved: storage full' : 'Not saved',
      unavailable: 'Cannot save in this browser',
      conflict: 'Not saving: newer work in another tab',
    }[p.state];
    pill.title = p.backend ? `Autosaved in this browser (${p.backend.name})` : '';
    if (p.backend && navigator.storage?.estimate && p.state === 'saved') {
      navigator.storage.estimate().then(({ usage, quota }) => {
        if (usage != null && quota) pill.title = `Autosaved in this browser (${p.backend.name}): ${(usage / 1e6).toFixed(1)} MB used of ${(quota / 1e6).toFixed(0)} MB available`;
      }).catch(() => {});
    }
    if (p.state === 'error' || p.state === 'unavailable' || p.state === 'conflict') {
      const download = { label: 'Download JSON', run: () => this.exportJson({ all: true }) };
      const actions = {
        // A tab that could not read storage never saves: trying again cannot help.
        error: [download, ...(p.readFailed ? [] : [{ label: 'Try again', run: () => p.flush() }])],
        unavailable: [download],
        // Reloading keeps unsaved changes as copies (the rescue copy), so it need
        // not ask; but only once that copy is written: if it could not be (no
        // room), the tab stays and says to download first.
        conflict: [...(p.unsaved ? [download] : []), { label: 'Reload', run: () => this.reloadBehind() }],
      }[p.state];
      this.banner('save', p.message, { actions });
    } else {
      this.banner('save', null);
    }
  }

  /** The conflict banner's Reload: leaves only when this tab's unsaved changes are kept (written as a rescue copy, or none). */
  reloadBehind() {
    const p = this.persist;
    if (p.rescue()) {
      p.leaving = true;
      location.reload();
      return;
    }
    this.notify('Not reloaded: your changes in this tab could not be kept for the reload (browser storage is full), so reloading now would lose them. Click “Download JSON” first to keep them in a file; then reload.', 'error', { timeout: 0 });
  }

  // -- documents -----------------------------------------------------------

  wireDocuments() {
    $('new-doc').addEventListener('click', () => this.openPaste());
    $('load-en').addEventListener('click', () => this.loadSample('en'));
    $('load-te').addEventListener('click', () => this.loadSample('te'));
    for (const b of document.querySelectorAll('[data-action]')) {
      b.addEventListener('click', () => {
        const a = b.dataset.action;
        if (a === 'new-doc') this.openPaste();
        else this.loadSample(a === 'load-en' ? 'en' : 'te');
      });
    }
    $('paste-panel').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.addPasted();
    });
    $('paste-cancel').addEventListener('click', () => this.closePaste());
    // A very long paste is kept aside instead of being laid out in the
    // textarea, which would take the browser seconds per megabyte.
    $('paste-text').addEventListener('paste', (ev) => {
      const text = ev.clipboardData?.getData('text/plain') || '';
      if (text.length <= BIG_PASTE) return;
      ev.preventDefault();
      this.holdBigPaste(text);
    });
    $('paste-text').addEventListener('input', (ev) => {
      if (ev.isTrusted && this.bigPaste) this.holdBigPaste(null);
      const n = this.bigPaste ? this.bigPaste.length : $('paste-text').value.length;
      $('paste-size').textContent = n > SOFT_LIMIT ? `${(n / 1e6).toFixed(1)} MB: large; it will work, but slowly` : n ? `${n.toLocaleString()} characters` : '';
    });
    $('doc-list').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-id]');
      if (!b) return;
      // The paste form closes (its draft is kept for next time).
      $('paste-panel').hidden = true;
      if (b.dataset.id === this.store.currentId) this.showCurrent();
      else this.store.setCurrent(b.dataset.id);
    });
  }

  openPaste(text = '') {
    $('paste-panel').hidden = false;
    $('empty').hidden = true;
    $('doc-pane').hidden = true;
    if (text.length > BIG_PASTE) this.holdBigPaste(text);
    else if (text) {
      this.holdBigPaste(null);
      $('paste-text').value = text;
    }
    $('paste-text').dispatchEvent(new Event('input'));
    $('paste-text').focus();
  }

  /** Keeps a long pasted text out of the textarea (null lets the textarea hold the text again). */
  holdBigPaste(text) {
    const ta = $('paste-text');
    if (!ta.dataset.placeholder) ta.dataset.placeholder = ta.placeholder;
    this.bigPaste = text;
    if (text) ta.value = '';
    ta.placeholder = text
      ? `${(text.length / 1e6).toFixed(1)} MB of text pasted: too long to show here, and kept exactly as pasted. Press “Add document” (or type here to start over).`
      : ta.dataset.placeholder;
    ta.dispatchEvent(new Event('input'));
  }

  closePaste() {
    $('paste-panel').hidden = true;
    this.showCurrent();
  }

  addPasted() {
    const text = this.bigPaste ?? $('paste-text').value;
    if (!text.trim()) {
      this.notify('Paste some text first.', 'warn');
      return;
    }
    if (text.length > HARD_LIMIT) {
      this.notify(`This text is too large (${(text.length / 1e6).toFixed(1)} MB; the limit is ${HARD_LIMIT / 1e6} MB). Split it into smaller documents.`, 'error');
      return;
    }
    if (text.length > SOFT_LIMIT) {
      this.notify(`A large text (${(text.length / 1e6).toFixed(1)} MB): it is added, but pre-annotation, drawing and saving take longer. Splitting it into articles keeps the page quick.`, 'warn');
    }
    const title = $('paste-title').value.trim();
    const input = plainDoc(text, title || undefined);
    $('paste-panel').hidden = true;
    $('paste-text').value = '';
    $('paste-title').value = '';
    this.holdBigPaste(null);
    this.addDocs([input]);
  }

  /** Adds parsed documents, fills in what they lack and starts pre-annotation. */
  addDocs(list, { select = true } = {}) {
    for (const d of list) if (!d.lang) d.lang = guessLanguage(d.text);
    const docs = this.store.addDocuments(list, { select });
    for (const d of docs) if (!d.annotated) this.pre.run(d.id, { undoable: false });
    return docs;
  }

  async loadSample(lang) {
    const sample = this.samples[lang];
    try {
      const res = await fetch(sample.url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      const existing = this.store.documents().find((d) => d.text === text);
      $('paste-panel').hidden = true;
      if (existing) {
        if (existing.id === this.store.currentId) this.showCurrent();
        else this.store.setCurrent(existing.id);
        this.notify(`“${existing.title}” is already open.`);
        return;
      }
      this.addDocs([{ ...plainDoc(text, sample.title), langSetting: lang }]);
    } catch (e) {
      this.notify(`Could not load the sample (${sample.url}): ${e.message}.`, 'error');
    }
  }

  renderDocList() {
    const list = $('doc-list');
    list.replaceChildren(...this.store.documents().map((d) => el('li', { id: `doc-item-${d.id}` }, this.docButton(d))));
    $('doc-count').textContent = this.store.order.length ? `(${this.store.order.length})` : '';
    if (this.persist.state === 'idle') this.renderSaveStatus();
  }

  docButton(d) {
    const pending = d.spans.filter((s) => !s.reviewed).length;
    const meta = `${d.lang || '?'} · ${d.spans.length} span${d.spans.length === 1 ? '' : 's'}${pending ? ` · ${pending} to review` : ''}`;
    return el('button', {
      type: 'button',
      class: d.status === 'done' ? 'done' : '',
      dataset: { id: d.id },
      'aria-current': d.id === this.store.currentId ? 'true' : 'false',
    }, el('span', { class: 'title' }, d.title), el('span', { class: 'meta' }, meta));
  }

  renderDocItem(id) {
    const d = this.store.docs.get(id);
    const li = document.getElementById(`doc-item-${id}`);
    if (d && li) li.replaceChildren(this.docButton(d));
  }

  showCurrent() {
    const d = this.doc;
    for (const b of $('doc-list').querySelectorAll('button[data-id]')) b.setAttribute('aria-current', b.dataset.id === this.store.currentId ? 'true' : 'false');
    this.hidePicker();
    this.selected = null;
    this.store.selectionHint = null;
    // An open paste form stays in front while it is being filled.
    if ($('paste-panel').hidden) {
      $('empty').hidden = Boolean(d);
      $('doc-pane').hidden = !d;
    }
    this.view.setDocument(d);
    this.renderToolbar();
    this.renderLegend();
    this.renderDetails();
  }

  // -- toolbar --------------------------------------------------------------

  wireToolbar() {
    $('doc-title').addEventListener('change', () => {
      const t = $('doc-title').value.trim();
      if (this.doc && t) this.store.updateDoc(this.doc.id, { title: t });
      else this.renderToolbar();
    });
    $('doc-lang').addEventListener('change', () => {
      const d = this.doc;
      if (!d) return;
      const v = $('doc-lang').value;
      const fieldsBefore = this.store.updateDoc(d.id, { langSetting: v, lang: v === 'auto' ? guessLanguage(d.text) : v });
      this.pre.run(d.id, { undoable: true, fieldsBefore });
    });
    $('doc-dct').addEventListener('change', () => {
      const d = this.doc;
      if (!d) return;
      const v = $('doc-dct').value;
      if (v && !isIsoDate(v)) {
        this.notify(`“${v}” is not a date.`, 'error');
        this.renderToolbar();
        return;
      }
      // An empty date means: find it again (dateline, else today).
      const fieldsBefore = this.store.updateDoc(d.id, v ? { dct: v, dctSource: 'user' } : { dct: null, dctSource: null });
      this.pre.run(d.id, { undoable: true, fieldsBefore });
    });
    $('rerun').addEventListener('click', () => {
      if (this.doc) this.pre.run(this.doc.id, { undoable: true, announce: true });
    });
    $('accept-all').addEventListener('click', () => {
      if (!this.doc) return;
      const n = this.store.acceptAll(this.doc.id);
      this.notify(n ? `Accepted ${n} span${n === 1 ? '' : 's'}.` : 'Nothing to accept: every span is reviewed.');
    });
    $('mark-done').addEventListener('click', () => {
      const d = this.doc;
      if (d) this.store.updateDoc(d.id, { status: d.status === 'done' ? 'todo' : 'done' });
    });
    $('undo').addEventListener('click', () => this.undo());
    $('redo').addEventListener('click', () => this.redo());
    $('delete-doc').addEventListener('click', () => this.deleteDoc());
  }

  renderToolbar() {
    const d = this.doc;
    if (!d) return;
    if (document.activeElement !== $('doc-title')) $('doc-title').value = d.title;
    $('doc-lang').value = d.langSetting;
    $('doc-lang').options[0].textContent = d.langSetting === 'auto' && d.lang ? `Auto (${d.lang === 'te' ? 'Telugu' : 'English'})` : 'Auto';
    $('doc-dct').value = d.dct || '';
    $('dct-source').textContent = {
      given: 'from the document',
      dateline: 'from the dateline',
      today: this.engine.status === 'failed' ? 'today (no engine to read a dateline)' : 'today (no dateline found)',
      user: 'set by you',
    }[d.dctSource] || (d.annotated ? 'none given' : this.engine.status === 'ready' ? 'looking for a dateline…' : '');
    const done = d.status === 'done';
    $('mark-done').setAttribute('aria-pressed', String(done));
    $('mark-done').textContent = done ? 'Done ✓' : 'Mark done';
    $('rerun').disabled = this.engine.status !== 'ready';
    $('accept-all').disabled = !d.spans.some((s) => !s.reviewed);
    const h = this.store.hist(d.id);
    $('undo').disabled = !h.undo.length;
    $('redo').disabled = !h.redo.length;
    $('undo').title = h.undo.length ? `Undo: ${h.undo[h.undo.length - 1].what} (Ctrl+Z)` : 'Nothing to undo';
    $('redo').title = h.redo.length ? `Redo: ${h.redo[h.redo.length - 1].what} (Ctrl+Shift+Z, Ctrl+Y)` : 'Nothing to redo';
    this.renderStats();
  }

  renderStats() {
    const d = this.doc;
    if (!d) return;
    const pending = d.spans.filter((s) => !s.reviewed).length;
    const parts = [`${d.spans.length} span${d.spans.length === 1 ? '' : 's'}`];
    if (pending) parts.push(`${pending} not reviewed`);
    // Characters as the exports count them (code points); a document's text never changes.
    if (!this.lengths.has(d)) this.lengths.set(d, codePointLength(d.text));
    parts.push(`${this.lengths.get(d).toLocaleString()} characters`);
    if (this.pre.busy.has(d.id)) {
      const f = this.pre.progress.get(d.id);
      parts.push(f == null ? 'pre-annotating…' : `pre-annotating… ${Math.round(f * 100)}%`);
    } else if (this.engine.status === 'failed') {
      parts.push('no pre-annotation');
    }
    $('doc-stats').textContent = parts.join(' · ');
  }

  deleteDoc() {
    const d = this.doc;
    if (!d) return;
    if (!confirm(`Delete “${d.title}” and its ${d.spans.length} spans from this browser?`)) return;
    const index = this.store.order.indexOf(d.id);
    this.store.removeDocument(d.id);
    this.notify(`Deleted “${d.title}”.`, 'info', {
      timeout: 15000,
      action: {
        label: 'Undo',
        run: () => this.store.addDocuments([{ ...d }], { at: index }),
      },
    });
  }

  // -- spans ------------------------------------------------------------------

  onSpans({ docId, prev, select }) {
    this.renderDocItem(docId);
    if (docId !== this.store.currentId) return;
    this.view.update(prev);
    const d = this.doc;
    if (select !== undefined && select !== null && d.spans.some((s) => s.id === select)) this.select(select);
    else if (this.selected && !d.spans.some((s) => s.id === this.selected)) this.select(null);
    this.renderToolbar();
    this.renderLegend();
    this.renderDetails();
  }

  select(id, opts) {
    this.selected = id;
    this.store.selectionHint = id;
    this.view.select(id, opts);
    this.renderDetails();
  }

  selectedSpan() {
    return this.selected && this.doc ? this.doc.spans.find((s) => s.id === this.selected) || null : null;
  }

  /** The text selection in the view, snapped to grapheme clusters and trimmed, or null. */
  textSelection() {
    let raw = this.view.selectionOffsets();
    if (!raw) return null;
    if (this.store.settings.snapWords) raw = widenToWords(this.doc.text, raw.start, raw.end);
    return snapSelection(this.doc.text, raw.start, raw.end);
  }

  /** Applies a label: to the selected text when there is some, else to the selected span. */
  applyLabel(label) {
    const d = this.doc;
    if (!d || !this.store.hasLabel(label)) return false;
    const sel = this.textSelection();
    if (sel) {
      const id = this.store.addSpan(d.id, { start: sel.start, end: sel.end, label });
      window.getSelection()?.removeAllRanges();
      this.hidePicker();
      if (id) this.select(id);
      $('text').focus({ preventScroll: true });
      return true;
    }
    if (this.view.selectionOffsets()) {
      this.notify('The selection is only whitespace: nothing to label.', 'warn');
      return false;
    }
    const span = this.selectedSpan();
    if (span) {
      this.store.relabel(d.id, span.id, label);
      return true;
    }
    this.notify('Select some text first (or a span to relabel).', 'info', { timeout: 3000 });
    return false;
  }

  deleteSelected() {
    const span = this.selectedSpan();
    if (!span) return;
    const d = this.doc;
    const i = d.spans.indexOf(span);
    this.store.removeSpan(d.id, span.id);
    const next = this.doc.spans[Math.min(i, this.doc.spans.length - 1)];
    this.select(next ? next.id : null, { scroll: false });
  }

  /** Moves one of the selected span's edges by one grapheme cluster. */
  nudge(edge, dir) {
    const span = this.selectedSpan();
    if (!span) return;
    let { start, end } = span;
    if (edge === 'start') start = stepGrapheme(this.doc.text, start, dir);
    else end = stepGrapheme(this.doc.text, end, dir);
    if (start >= end) return;
    this.store.resize(this.doc.id, span.id, start, end);
  }

  moveSelection(dir) {
    const spans = (this.doc?.spans || []).filter((s) => !this.labelInfo(s.label).hidden || s.id === this.selected);
    if (!spans.length) return false;
    const i = spans.findIndex((s) => s.id === this.selected);
    let j;
    if (i < 0) j = dir > 0 ? 0 : spans.length - 1;
    else j = i + dir;
    if (j < 0 || j >= spans.length) return false;
    this.select(spans[j].id);
    return true;
  }

  acceptAndNext() {
    const span = this.selectedSpan();
    if (!span) return;
    this.store.accept(this.doc.id, span.id);
    const spans = this.doc.spans;
    const i = spans.findIndex((s) => s.id === span.id);
    const next = spans.slice(i + 1).find((s) => !s.reviewed) || spans.find((s) => !s.reviewed);
    if (next) this.select(next.id);
  }

  /** Selects the next (dir 1) or previous (-1) span that is not reviewed, wrapping around. */
  nextPending(dir) {
    const spans = this.doc?.spans || [];
    const i = spans.findIndex((s) => s.id === this.selected);
    for (let k = 1; k <= spans.length; k++) {
      const s = spans[(((i < 0 && dir < 0 ? 0 : i) + dir * k) % spans.length + spans.length) % spans.length];
      if (!s.reviewed) {
        this.select(s.id);
        return true;
      }
    }
    return false;
  }

  switchDoc(dir) {
    const order = this.store.order;
    const i = order.indexOf(this.store.currentId);
    const j = i + dir;
    if (j >= 0 && j < order.length) this.store.setCurrent(order[j]);
  }

  /** Marks the document done and opens the next one still to do. */
  doneAndNext() {
    const d = this.doc;
    if (!d) return;
    this.store.updateDoc(d.id, { status: 'done' });
    const order = this.store.order;
    const i = order.indexOf(d.id);
    const next = [...order.slice(i + 1), ...order.slice(0, i)].map((id) => this.store.docs.get(id)).find((x) => x.status !== 'done');
    if (next) this.store.setCurrent(next.id);
    else this.notify('Every document is marked done. Download JSON to keep the labels.', 'info');
  }

  undo() {
    const d = this.doc;
    if (!d) return;
    const what = this.store.undo(d.id);
    if (what) this.notify(`Undone: ${what}`, 'info', { timeout: 2500 });
    this.renderToolbar();
  }

  redo() {
    const d = this.doc;
    if (!d) return;
    const what = this.store.redo(d.id);
    if (what) this.notify(`Redone: ${what}`, 'info', { timeout: 2500 });
    this.renderToolbar();
  }

  // -- the text: mouse --------------------------------------------------------

  wireText() {
    const root = $('text');
    // The selection is final at mouseup: a click selects a span, a drag offers the labels.
    root.addEventListener('mouseup', (ev) => {
      if (ev.button === 0) this.afterMouse(ev);
    });
    document.addEventListener('selectionchange', () => {
      if (!this.view.selectionOffsets()) this.hidePicker();
    });
    $('text').addEventListener('scroll', () => this.hidePicker(), { passive: true });
    // Picker buttons must not take the text selection away.
    $('picker').addEventListener('mousedown', (ev) => ev.preventDefault());
    $('picker').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-label]');
      if (b) this.applyLabel(b.dataset.label);
    });
  }

  afterMouse(ev) {
    const sel = this.view.selectionOffsets();
    if (sel) {
      this.showPicker();
      return;
    }
    const id = this.view.spanAt(ev.target);
    if (!id) {
      this.select(null);
      return;
    }
    // Clicking the selected span again selects the span around it, if any.
    if (id === this.selected) {
      const marks = [];
      for (let m = ev.target.closest('mark[data-id]'); m; m = m.parentElement?.closest('mark[data-id]')) marks.push(m.dataset.id);
      const k = marks.indexOf(id);
      this.select(marks[k + 1] || marks[0], { scroll: false });
    } else {
      this.select(id, { scroll: false });
    }
  }

  renderPicker() {
    const p = $('picker');
    p.replaceChildren(...this.store.labels.map((l, i) => el('button', {
      type: 'button',
      dataset: { label: l.name },
      style: { '--c': l.color },
      title: keyFor(i) ? `Key ${keyFor(i)}` : '',
      tabindex: '-1',
    }, `${keyFor(i) ? `${keyFor(i)} ` : ''}${l.name}`)));
  }

  showPicker() {
    const sel = window.getSelection();
    if (!sel.rangeCount) return;
    const rect = sel.getRangeAt(0).getBoundingClientRect();
    const host = $('picker').parentElement.getBoundingClientRect();
    const p = $('picker');
    p.hidden = false;
    const top = rect.bottom - host.top + 8;
    const left = Math.max(8, Math.min(rect.left - host.left, host.width - p.offsetWidth - 8));
    p.style.top = `${Math.min(top, host.height - p.offsetHeight - 8)}px`;
    p.style.left = `${left}px`;
  }

  hidePicker() {
    $('picker').hidden = true;
  }

  // -- legend -----------------------------------------------------------------

  renderLegend() {
    const d = this.doc;
    const counts = new Map();
    for (const s of d?.spans || []) counts.set(s.label, (counts.get(s.label) || 0) + 1);
    const items = this.store.labels.map((l, i) => el('li', { class: l.hidden ? 'off' : '' },
      el('button', {
        type: 'button',
        dataset: { label: l.name },
        style: { '--c': l.color },
        title: `${keyFor(i) ? `Key ${keyFor(i)}: ` : ''}label the selected text as ${l.name}, or relabel the selected span`,
      },
      keyFor(i) ? el('kbd', {}, keyFor(i)) : el('span'),
      el('span', { class: 'swatch' }),
      el('span', {}, l.name, l.kind === 'temporal' ? el('span', { class: 'kind' }, 'time') : null),
      el('span', { class: 'n', 'aria-label': `${counts.get(l.name) || 0} spans` }, String(counts.get(l.name) || 0))),
      el('button', {
        type: 'button',
        class: 'eye',
        dataset: { toggle: l.name },
        'aria-pressed': l.hidden ? 'false' : 'true',
        'aria-label': `Show ${l.name} highlights`,
        title: l.hidden ? `${l.name} highlights are hidden: show them` : `Hide ${l.name} highlights (the spans stay)`,
      }, l.hidden ? '○' : '●')));
    // Spans whose label is not in the set (should not happen; shown so they are not hidden).
    for (const [name, n] of counts) {
      if (!this.store.hasLabel(name)) items.push(el('li', {}, el('span', { class: 'hint' }, `${name}: ${n} (not in the label set)`)));
    }
    $('legend').replaceChildren(...items);
    $('snap-words').checked = Boolean(this.store.settings.snapWords);
    $('legend-total').textContent = d ? `${d.spans.length} spans in this document` : '';
  }

  // -- selected span ----------------------------------------------------------

  wireDetails() {
    $('snap-words').addEventListener('change', () => this.store.setSetting('snapWords', $('snap-words').checked));
    $('legend').addEventListener('mousedown', (ev) => {
      if (ev.target.closest('button')) ev.preventDefault();
    });
    $('legend').addEventListener('click', (ev) => {
      const eye = ev.target.closest('button[data-toggle]');
      if (eye) {
        const l = this.store.labels.find((x) => x.name === eye.dataset.toggle);
        if (l) this.store.updateLabel(l.name, { hidden: !l.hidden });
        return;
      }
      const b = ev.target.closest('button[data-label]');
      if (b) this.applyLabel(b.dataset.label);
    });
    $('span-label').addEventListener('change', () => {
      const span = this.selectedSpan();
      if (span) this.store.relabel(this.doc.id, span.id, $('span-label').value);
    });
    const value = $('span-value');
    value.addEventListener('input', () => this.checkValue());
    value.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.commitValue();
        $('text').focus({ preventScroll: true });
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        this.renderDetails();
        $('text').focus({ preventScroll: true });
      }
    });
    value.addEventListener('change', () => this.commitValue());
    $('span-accept').addEventListener('click', () => this.acceptAndNext());
    $('span-delete').addEventListener('click', () => this.deleteSelected());
  }

  commitValue() {
    const span = this.selectedSpan();
    if (span && ($('span-value').value.trim() !== (span.value || '') || !span.reviewed)) {
      this.store.setValue(this.doc.id, span.id, $('span-value').value);
    }
  }

  checkValue() {
    const v = $('span-value').value.trim();
    const ok = looksLikeTimexValue(v);
    $('span-value').classList.toggle('bad', !ok);
    $('span-value-hint').textContent = ok ? '' : 'Does not look like a TIMEX3 value (e.g. 2025-03-11, P3D, 2025-W11, T10:30, PRESENT_REF); it is kept as typed.';
  }

  renderDetails() {
    const span = this.selectedSpan();
    $('no-selection').hidden = Boolean(span);
    $('span-details').hidden = !span;
    if (!span) return;
    const d = this.doc;
    const info = this.labelInfo(span.label);
    $('span-details').style.setProperty('--c', info.color);
    $('span-text').textContent = d.text.slice(span.start, span.end);
    const sel = $('span-label');
    const names = this.store.labels.map((l) => l.name);
    if (!names.includes(span.label)) names.push(span.label);
    sel.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    sel.value = span.label;
    const temporal = this.store.labelKind(span.label) === 'temporal';
    $('span-value-term').hidden = !temporal && !span.value;
    $('span-value-row').hidden = !temporal && !span.value;
    if (document.activeElement !== $('span-value')) $('span-value').value = span.value || '';
    this.checkValue();
    const [cs, ce] = utf16ToCodePoints(d.text, [span.start, span.end]);
    $('span-offsets').textContent = cs === span.start && ce === span.end ? `${cs}–${ce}` : `${cs}–${ce} (code points); ${span.start}–${span.end} (UTF-16)`;
    $('span-source').textContent = span.source === 'manual' ? 'made by you' : span.source || 'imported';
    $('span-status').replaceChildren(span.reviewed
      ? el('span', { class: 'reviewed-tag' }, span.userValue ? 'reviewed (value set by you)' : 'reviewed')
      : el('span', { class: 'pending-tag' }, 'not reviewed (machine)'));
    $('span-accept').disabled = span.reviewed;
  }

  // -- keyboard -------------------------------------------------------------

  wireKeys() {
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    document.addEventListener('paste', (ev) => {
      if (isEditable(ev.target) || document.querySelector('dialog[open]')) return;
      const text = ev.clipboardData?.getData('text/plain');
      if (text && text.trim()) {
        ev.preventDefault();
        this.openPaste(text);
      }
    });
  }

  onKey(ev) {
    if (document.querySelector('dialog[open]')) return;
    const t = ev.target;
    const mod = ev.ctrlKey || ev.metaKey;
    const k = ev.key;
    if (mod && !ev.altKey && (k === 'z' || k === 'Z')) {
      if (isEditable(t) && t.type !== 'checkbox' && t.tagName !== 'SELECT') return; // the field's own undo
      ev.preventDefault();
      if (ev.shiftKey) this.redo();
      else this.undo();
      return;
    }
    if (mod && !ev.altKey && (k === 'y' || k === 'Y')) {
      if (isEditable(t) && t.tagName !== 'SELECT') return;
      ev.preventDefault();
      this.redo();
      return;
    }
    if (mod && (k === 's' || k === 'S')) {
      ev.preventDefault();
      this.persist.flush().then((ok) => ok && this.notify('Saved in this browser. Use “Download JSON” for a file.', 'info', { timeout: 2500 }));
      return;
    }
    if (isEditable(t) || !this.doc || $('doc-pane').hidden) return;
    if (ev.altKey && !mod && (k === 'ArrowDown' || k === 'ArrowUp')) {
      ev.preventDefault();
      this.switchDoc(k === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (mod && k === 'Enter') {
      ev.preventDefault();
      this.doneAndNext();
      return;
    }
    if (mod || ev.altKey) return;
    const inText = $('text').contains(t) || t === $('text');
    if (/^[1-9]$/.test(k) && !ev.shiftKey) {
      const label = this.store.labels[Number(k) - 1];
      if (label) {
        ev.preventDefault();
        this.applyLabel(label.name);
      }
      return;
    }
    switch (k) {
      case 'Tab':
        if (inText && this.moveSelection(ev.shiftKey ? -1 : 1)) ev.preventDefault();
        break;
      case 'Delete':
      case 'Backspace':
        if (this.selectedSpan()) {
          ev.preventDefault();
          this.deleteSelected();
        }
        break;
      case 'Enter': {
        const span = this.selectedSpan();
        if (!span || t.tagName === 'BUTTON') break;
        ev.preventDefault();
        if (this.store.labelKind(span.label) === 'temporal') {
          $('span-value').focus();
          $('span-value').select();
        } else {
          this.acceptAndNext();
        }
        break;
      }
      case 'a':
      case 'A':
        if (this.selectedSpan()) {
          ev.preventDefault();
          this.acceptAndNext();
        }
        break;
      case 'n':
      case 'N':
        ev.preventDefault();
        if (!this.nextPending(ev.shiftKey ? -1 : 1)) this.notify('No span left to review in this document.', 'info', { timeout: 2500 });
        break;
      case '[':
      case ']':
      case '{':
      case '}':
        if (this.selectedSpan()) {
          ev.preventDefault();
          const edge = k === '[' || k === '{' ? 'start' : 'end';
          const grow = k === '[' || k === ']';
          this.nudge(edge, edge === 'start' ? (grow ? -1 : 1) : (grow ? 1 : -1));
        }
        break;
      case 'Escape':
        window.getSelection()?.removeAllRanges();
        this.hidePicker();
        this.select(null);
        break;
      default:
    }
  }

  // -- files ------------------------------------------------------------------

  wireFiles() {
    $('open-files').addEventListener('click', () => $('file-input').click());
    $('file-input').addEventListener('change', async () => {
      const files = [...$('file-input').files];
      $('file-input').value = '';
      await this.openFiles(files);
    });
    $('export-json').addEventListener('click', () => this.exportJson({}));
    // The format spec, shown in the page (a static server may not serve .md as text).
    $('format-link').addEventListener('click', async (ev) => {
      ev.preventDefault();
      try {
        const res = await fetch($('format-link').getAttribute('href'));
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        $('format-text').textContent = await res.text();
        $('format-dialog').showModal();
      } catch (e) {
        this.notify(`Could not load FORMAT.md: ${e.message}`, 'error');
      }
    });
    $('export-jsonl').addEventListener('click', () => this.exportJsonl());
    $('export-conll').addEventListener('click', () => this.exportTokens('conll'));
    $('export-tokens').addEventListener('click', () => this.exportTokens('jsonl'));
    restoreExportChoices();
    for (const id of ['export-tag-labels', 'export-reviewed']) $(id).addEventListener('change', saveExportChoices);
    document.addEventListener('dragover', (ev) => {
      if (ev.dataTransfer?.types?.includes('Files')) ev.preventDefault();
    });
    document.addEventListener('drop', (ev) => {
      if (!ev.dataTransfer?.files?.length) return;
      ev.preventDefault();
      this.openFiles([...ev.dataTransfer.files]);
    });
  }

  /** Imports files one by one; a bad file is reported and skipped, the others still come in. */
  async openFiles(files) {
    const added = [];
    for (const f of files) {
      try {
        if (f.size > HARD_LIMIT * 4) throw new ImportError(`${f.name} is too large (${(f.size / 1e6).toFixed(0)} MB).`);
        const bytes = new Uint8Array(await f.arrayBuffer());
        const { docs, labels, warnings } = importFile(f.name, bytes);
        if (labels) this.mergeLabels(labels);
        const used = new Set(docs.flatMap((d) => d.spans.map((s) => s.label)));
        const newLabels = this.store.ensureLabels([...used]);
        if (newLabels.length) this.notify(`${f.name}: added the label${newLabels.length > 1 ? 's' : ''} ${newLabels.join(', ')} to the label set.`);
        for (const w of warnings) this.notify(w, 'warn');
        const before = new Set(this.store.order);
        const docsAdded = this.addDocs(docs, { select: added.length === 0 });
        const renamed = docsAdded.filter((d, i) => docs[i].id && docs[i].id !== d.id);
        if (renamed.length) this.notify(`${f.name}: ${renamed.length} document id${renamed.length > 1 ? 's were' : ' was'} already open, so the new cop${renamed.length > 1 ? 'ies were' : 'y was'} renamed (e.g. ${renamed[0].id}).`, 'warn');
        added.push(...docsAdded.filter((d) => !before.has(d.id)));
      } catch (e) {
        const msg = e instanceof ImportError ? e.message : `${f.name} could not be opened: ${e.message}`;
        this.notify(`${msg}${/unchanged/.test(msg) ? '' : ' Your documents are unchanged.'}`, 'error');
      }
    }
    if (added.length) {
      $('paste-panel').hidden = true;
      this.showCurrent();
      this.notify(`Opened ${added.length} document${added.length > 1 ? 's' : ''}.`);
    }
    return added;
  }

  /** Labels from an imported Lede file: known names keep their settings, new ones are added. */
  mergeLabels(labels) {
    for (const l of labels) {
      if (l && validLabelName(l.name) && !this.store.hasLabel(l.name)) {
        this.store.addLabel(l.name);
        const patch = {};
        if (l.kind === 'temporal' || l.kind === 'entity') patch.kind = l.kind;
        if (/^#[0-9a-fA-F]{6}$/.test(l.color || '')) patch.color = l.color;
        this.store.updateLabel(l.name, patch);
      }
    }
  }

  /** The documents an export writes (all, or the chosen ones); null, with a message, when there are none. */
  exportDocs({ all = false } = {}) {
    const docs = all || !$('export-current').checked ? this.store.documents() : this.doc ? [this.doc] : [];
    if (docs.length) return docs;
    this.notify('Nothing to export yet.', 'warn');
    return null;
  }

  exportJson({ all = false }) {
    const docs = this.exportDocs({ all });
    if (!docs) return;
    const data = toLedeJson(docs, this.store.labels, {
      generator: `lede ${this.engine.version || 'page'}`,
      reviewedOnly: !all && $('export-reviewed').checked,
    });
    download(`lede-${stamp()}.json`, `${JSON.stringify(data, null, 1)}\n`, 'application/json');
  }

  exportJsonl() {
    const docs = this.exportDocs();
    if (!docs) return;
    download(`lede-${stamp()}.jsonl`, toCorpusJsonl(docs, { reviewedOnly: $('export-reviewed').checked }), 'application/jsonl');
  }

  /** The BIO token exports: CoNLL (kind 'conll') or token JSONL ('jsonl'); says what went in and what was left out. */
  exportTokens(kind) {
    const docs = this.exportDocs();
    if (!docs) return;
    const want = $('export-tag-labels').value;
    // By kind, not by the set's names: a span whose label left the set is tagged (and counted) too.
    const keep = tagFilter(want, (name) => this.store.labelKind(name));
    const options = { keep, reviewedOnly: $('export-reviewed').checked };
    const labels = [...new Set([
      ...this.store.labels.filter((l) => !keep || l.kind === want).map((l) => l.name),
      ...docs.flatMap((d) => d.spans.filter((s) => !keep || keep(s)).map((s) => s.label)),
    ])];
    if (!labels.length) {
      this.notify(`The label set has no ${want} labels: every token would be O. Nothing was downloaded.`, 'warn');
      return;
    }
    const name = kind === 'conll' ? `lede-${stamp()}.conll` : `lede-${stamp()}-tokens.jsonl`;
    const { text, stats } = kind === 'conll' ? toConll(docs, options) : toTokenJsonl(docs, options);
    download(name, text, kind === 'conll' ? 'text/plain' : 'application/jsonl');
    const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
    const lines = [`${name}: ${plural(stats.documents, 'document')}, ${plural(stats.sentences, 'sentence')}, ${plural(stats.tokens, 'token')}; ${plural(stats.spans, 'span')} tagged (${labels.join(', ')}).`];
    const quote = ({ doc, span }) => `${span.label} “${clip(doc.text.slice(span.start, span.end))}”`;
    const { overlapping, empty } = stats;
    if (overlapping.length) {
      const inside = (o) => o.by.start <= o.span.start && o.span.end <= o.by.end;
      const examples = overlapping.slice(0, 3).map((o) => `${quote(o)} ${inside(o) ? 'inside' : 'overlapping'} ${quote({ doc: o.doc, span: o.by })} (${o.doc.title || o.doc.id})`);
      lines.push(`${plural(overlapping.length, 'span')} left out: BIO tags cannot nest or overlap, so of two overlapping spans the longer was kept. ${overlapping.length > 3 ? 'For example: ' : ''}${examples.join('; ')}.`);
    }
    if (empty.length) lines.push(`${plural(empty.length, 'span')} left out: only whitespace, no token (e.g. ${quote(empty[0])} in ${empty[0].doc.title || empty[0].doc.id}).`);
    const lost = overlapping.length + empty.length;
    this.notify(lines.join('\n'), lost ? 'warn' : 'info', { timeout: lost ? 0 : undefined });
  }

  // -- label editor -------------------------------------------------------------

  wireLabels() {
    $('edit-labels').addEventListener('click', () => {
      this.renderLabelRows();
      $('labels-dialog').showModal();
    });
    $('add-label').addEventListener('click', () => this.addLabelFromInput());
    $('new-label').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.addLabelFromInput();
      }
    });
  }

  addLabelFromInput() {
    const name = $('new-label').value.trim();
    if (!validLabelName(name)) {
      this.notify('A label name is 1–24 letters, digits, “_” or “-”, without spaces.', 'error');
      return;
    }
    if (this.store.hasLabel(name)) {
      this.notify(`There is already a label ${name}.`, 'warn');
      return;
    }
    this.store.addLabel(name);
    $('new-label').value = '';
  }

  renderLabelRows() {
    const rows = this.store.labels.map((l, i) => {
      const use = this.store.labelUse(l.name);
      const name = el('input', { type: 'text', value: l.name, 'aria-label': `Name of ${l.name}`, maxlength: '24' });
      name.addEventListener('change', () => {
        const to = name.value.trim();
        if (to === l.name) return;
        if (!validLabelName(to) || this.store.hasLabel(to)) {
          this.notify(this.store.hasLabel(to) ? `There is already a label ${to}.` : 'A label name is 1–24 letters, digits, “_” or “-”.', 'error');
          name.value = l.name;
          return;
        }
        this.store.renameLabel(l.name, to);
        if (use.spans) this.notify(`Renamed ${l.name} to ${to} in ${use.spans} span${use.spans > 1 ? 's' : ''} (undo history of those documents cleared).`);
      });
      const color = el('input', { type: 'color', value: l.color, 'aria-label': `Colour of ${l.name}` });
      color.addEventListener('change', () => this.store.updateLabel(l.name, { color: color.value }));
      const kind = el('select', { 'aria-label': `Kind of ${l.name}` }, el('option', { value: 'entity' }, 'entity'), el('option', { value: 'temporal' }, 'temporal (has a value)'));
      kind.value = l.kind;
      kind.addEventListener('change', () => this.store.updateLabel(l.name, { kind: kind.value }));
      const up = el('button', { type: 'button', 'aria-label': `Move ${l.name} up`, onclick: () => this.store.moveLabel(l.name, -1) }, '↑');
      up.disabled = i === 0;
      const down = el('button', { type: 'button', 'aria-label': `Move ${l.name} down`, onclick: () => this.store.moveLabel(l.name, 1) }, '↓');
      down.disabled = i === this.store.labels.length - 1;
      const del = el('button', {
        type: 'button',
        class: 'danger',
        'aria-label': `Remove ${l.name}`,
        onclick: () => {
          if (this.store.labels.length <= 1) {
            this.notify('Keep at least one label.', 'warn');
            return;
          }
          if (use.spans && !confirm(`${use.spans} span${use.spans > 1 ? 's' : ''} in ${use.docs} document${use.docs > 1 ? 's' : ''} use ${l.name}. Remove the label and those spans?`)) return;
          this.store.removeLabel(l.name);
        },
      }, 'Remove');
      return el('tr', {}, el('td', {}, keyFor(i) ? el('kbd', {}, keyFor(i)) : ''), el('td', {}, color), el('td', {}, name), el('td', {}, kind), el('td', {}, String(use.spans)), el('td', { class: 'actions' }, up, down, del));
    });
    $('labels-rows').replaceChildren(...rows);
  }
}

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Which labels the BIO exports tag and "only reviewed spans" are this
// browser's preferences: someone training an entity tagger picks "entity
// labels only" once.
const EXPORT_CHOICES = 'export-choices';

function restoreExportChoices() {
  const saved = readPreference(EXPORT_CHOICES);
  const select = $('export-tag-labels');
  if ([...select.options].some((o) => o.value === saved?.tags)) select.value = saved.tags;
  if (typeof saved?.reviewedOnly === 'boolean') $('export-reviewed').checked = saved.reviewedOnly;
}

function saveExportChoices() {
  writePreference(EXPORT_CHOICES, { tags: $('export-tag-labels').value, reviewedOnly: $('export-reviewed').checked });
}
