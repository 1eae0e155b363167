// Runs the engine over documents and merges its spans into the store, with
// the document-date defaults: the document's own date, else the dateline
// date the engine finds, else today. A run never touches spans a person
// made or corrected (see Store.mergeMachine). Results of a run that a newer
// run for the same document has overtaken are dropped.

import { guessLanguage, today } from './text.js';

// A long text goes to the engine in pieces of about this many UTF-16 units,
// cut after a line break: progress can be shown, a newer run can overtake
// an old one between pieces, and no single call holds the worker for long.
const PIECE = 400_000;

function pieces(text) {
  const out = [];
  for (let a = 0; a < text.length;) {
    let b = a + PIECE;
    if (b >= text.length) b = text.length;
    else {
      const nl = text.indexOf('\n', b);
      b = nl < 0 ? text.length : nl + 1;
    }
    out.push({ start: a, text: text.slice(a, b) });
    a = b;
  }
  return out.length ? out : [{ start: 0, text }];
}

export class PreAnnotator extends EventTarget {
  constructor(store, engine, notify) {
    super();
    this.store = store;
    this.engine = engine;
    this.notify = notify;
    this.tokens = new Map();
    this.busy = new Set();
    this.progress = new Map(); // doc id -> fraction done, for long documents
    // Runs asked for while the engine loads: doc id -> the options of the run.
    this.waiting = new Map();
    // The run in flight for a document: doc id -> its options.
    this.running = new Map();
    engine.addEventListener('status', () => {
      if (engine.status === 'loading') return;
      const queued = [...this.waiting];
      this.waiting.clear();
      // Ready: the runs go ahead; failed: each takes the no-engine path of run(),
      // which still records the undo step of a date or language change.
      for (const [id, opts] of queued) this.run(id, opts);
    });
  }

  /**
   * Queues a run until the engine has loaded. Several asked for one document
   * make one run that is one undo step back to before the first of them (its
   * fieldsBefore); a change made before the document's first pre-annotation
   * (which is no undo step) becomes part of that first run.
   */
  queue(id, opts) {
    const prev = this.waiting.get(id);
    this.waiting.set(id, prev ? joinRuns(prev, opts) : opts);
  }

  /** Documents restored or imported without pre-annotation get it now. */
  runPending() {
    for (const d of this.store.documents()) if (!d.annotated) this.run(d.id, { undoable: false });
  }

  setBusy(id, on, fraction = null) {
    if (on) this.busy.add(id);
    else this.busy.delete(id);
    if (on && fraction != null) this.progress.set(id, fraction);
    else this.progress.delete(id);
    this.dispatchEvent(new CustomEvent('busy', { detail: { docId: id } }));
  }

  /** Without the engine: a guessed language and today's date, so that exports are complete. */
  fallback(id) {
    const d = this.store.docs.get(id);
    if (!d) return;
    const patch = {};
    if (!d.lang) patch.lang = d.langSetting === 'auto' ? guessLanguage(d.text) : d.langSetting;
    if (!d.dct) Object.assign(patch, { dct: today(), dctSource: 'today' });
    this.store.updateDoc(id, patch);
  }

  async run(id, { undoable = false, announce = false, fieldsBefore = null } = {}) {
    const doc = this.store.docs.get(id);
    if (!doc) return;
    if (this.engine.status === 'loading') {
      this.queue(id, { undoable, announce, fieldsBefore });
      return;
    }
    if (this.engine.status === 'failed') {
      this.fallback(id);
      // Still one undo step for the date or language change itself.
      if (fieldsBefore && undoable) this.store.commit(id, [...doc.spans], doc.rejected, 'Change document date or language', { fieldsBefore });
      if (announce) this.notify(`Pre-annotation is unavailable: ${this.engine.message}`, 'warn');
      return;
    }
    // A run that overtakes one still in flight (the date changed twice in
    // quick succession) is, like queued runs, one undo step back to before
    // the first: the overtaken run never records its step.
    const inflight = this.running.get(id);
    if (inflight) ({ undoable, announce, fieldsBefore } = joinRuns(inflight, { undoable, announce, fieldsBefore }));
    this.running.set(id, { undoable, announce, fieldsBefore });
    const token = (this.tokens.get(id) || 0) + 1;
    this.tokens.set(id, token);
    const stale = () => this.tokens.get(id) !== token || this.store.docs.get(id) !== doc;
    this.setBusy(id, true);
    try {
      // A date that was only a guess (today) does not stop the search for a dateline.
      const given = doc.dct && doc.dctSource !== 'today' ? doc.dct : '';
      const parts = pieces(doc.text);
      // The first piece decides the language and finds the dateline.
      let res = await this.engine.annotate(parts[0].text, doc.langSetting, given);
      if (stale()) return;
      const patch = { lang: res.lang, annotated: true };
      let dct = given;
      if (!given) {
        if (res.referenceDate) {
          patch.dct = res.referenceDate;
          patch.dctSource = res.referenceDateSource === 'dateline' ? 'dateline' : 'given';
        } else {
          patch.dct = doc.dct || today();
          patch.dctSource = 'today';
          res = await this.engine.annotate(parts[0].text, doc.langSetting, patch.dct);
          if (stale()) return;
        }
        dct = patch.dct;
      }
      const spans = res.spans;
      for (let k = 1; k < parts.length; k++) {
        this.setBusy(id, true, k / parts.length);
        const r = await this.engine.annotate(parts[k].text, res.lang, dct);
        if (stale()) return;
        const at = parts[k].start;
        for (const s of r.spans) spans.push({ ...s, start: s.start + at, end: s.end + at });
      }
      res = { ...res, spans };
      this.store.updateDoc(id, patch);
      this.store.mergeMachine(id, res.spans, { undoable, fieldsBefore });
      if (announce) this.notify(`Extraction done: ${res.spans.length} span${res.spans.length === 1 ? '' : 's'} found; your own and corrected spans were kept.`);
    } catch (e) {
      if (stale()) return;
      this.notify(`Pre-annotation of “${doc.title}” failed: ${e.message}`, 'error');
      this.fallback(id);
    } finally {
      if (this.tokens.get(id) === token) {
        this.running.delete(id);
        this.setBusy(id, false);
      }
    }
  }
}

/** Two runs asked for one document, as one: one undo step back to before
 * the first (its fieldsBefore), undoable only if both were. */
function joinRuns(prev, opts) {
  return {
    undoable: prev.undoable && opts.undoable,
    announce: prev.announce || opts.announce,
    fieldsBefore: prev.fieldsBefore || opts.fieldsBefore,
  };
}
