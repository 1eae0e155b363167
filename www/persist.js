// Autosave: every change the store reports is written, debounced, to
// IndexedDB (localStorage when IndexedDB is unavailable). A failed write
// (a full quota, most often) keeps everything in memory, keeps the changes
// marked unsaved, reports the failure, and is retried on the next change.

import { sanitizeLabels } from './labels.js';

const DB_NAME = 'lede';
const DB_VERSION = 1;
const LS_PREFIX = 'lede:v1:';
// Changes not yet written when the tab goes away are put here, synchronously
// (an IndexedDB write started while a page unloads may never finish), and
// applied on the next start.
const RESCUE_KEY = 'lede:v1:rescue';
const DOC_FIELDS = ['id', 'title', 'text', 'langSetting', 'lang', 'dct', 'dctSource', 'status', 'spans', 'rejected', 'created', 'annotated'];

function record(doc) {
  const out = {};
  for (const k of DOC_FIELDS) if (doc[k] !== undefined) out[k] = doc[k];
  return out;
}

function isQuota(e) {
  return e && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22 || /quota/i.test(String(e.message)));
}

function validRecord(d) {
  return d && typeof d.id === 'string' && typeof d.text === 'string' && Array.isArray(d.spans)
    && d.spans.every((s) => s && Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= d.text.length && s.start < s.end && typeof s.label === 'string');
}

class IdbBackend {
  name = 'IndexedDB';

  async open() {
    this.db = await new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('docs')) db.createObjectStore('docs', { keyPath: 'id' });
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      };
      req.onsuccess = () => {
        // A newer version of the page opened in another tab: let it upgrade.
        req.result.onversionchange = () => req.result.close();
        resolve(req.result);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the database is blocked by another tab'));
    });
  }

  async load() {
    const tx = this.db.transaction(['docs', 'meta'], 'readonly');
    const docs = await asPromise(tx.objectStore('docs').getAll());
    const meta = await asPromise(tx.objectStore('meta').get('state'));
    return { docs, meta: meta || null };
  }

  save(docs, deleted, meta) {
    return new Promise((resolve, reject) => {
      let tx;
      try {
        tx = this.db.transaction(['docs', 'meta'], 'readwrite');
        const store = tx.objectStore('docs');
        for (const d of docs) store.put(d);
        for (const id of deleted) store.delete(id);
        if (meta) tx.objectStore('meta').put(meta, 'state');
      } catch (e) {
        try {
          tx?.abort();
        } catch {
          // nothing to abort
        }
        reject(e);
        return;
      }
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error || new DOMException('the save was aborted', 'AbortError'));
      tx.onerror = (ev) => ev.preventDefault();
    });
  }
}

class LocalBackend {
  name = 'localStorage';

  async open() {
    const k = `${LS_PREFIX}probe`;
    localStorage.setItem(k, '1');
    localStorage.removeItem(k);
  }

  async load() {
    const docs = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k.startsWith(`${LS_PREFIX}doc:`)) continue;
      try {
        docs.push(JSON.parse(localStorage.getItem(k)));
      } catch {
        // skipped below as invalid
      }
    }
    let meta = null;
    try {
      meta = JSON.parse(localStorage.getItem(`${LS_PREFIX}meta`) || 'null');
    } catch {
      meta = null;
    }
    return { docs, meta };
  }

  async save(docs, deleted, meta) {
    for (const d of docs) localStorage.setItem(`${LS_PREFIX}doc:${d.id}`, JSON.stringify(d));
    for (const id of deleted) localStorage.removeItem(`${LS_PREFIX}doc:${id}`);
    if (meta) localStorage.setItem(`${LS_PREFIX}meta`, JSON.stringify(meta));
  }
}

function asPromise(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * state: 'idle' | 'saving' | 'saved' | 'error' | 'unavailable'
 * Emits 'status' whenever state changes; `message` explains errors.
 */
export class Persistence extends EventTarget {
  constructor(store, { delayMs = 300 } = {}) {
    super();
    this.store = store;
    this.delayMs = delayMs;
    this.backend = null;
    this.state = 'idle';
    this.message = '';
    this.quota = false;
    this.dirtyDocs = new Set();
    this.deletedDocs = new Set();
    this.dirtyMeta = false;
    this.timer = null;
    this.running = null;
    // Changes counted, and the count the last rescue copy was written at.
    this.changes = 0;
    this.rescuedAt = -1;
    store.addEventListener('dirty', (ev) => this.mark(ev.detail));
  }

  /** Opens storage and returns what was saved (or null). Never throws. */
  async open() {
    for (const B of [IdbBackend, LocalBackend]) {
      try {
        if (B === IdbBackend && typeof indexedDB === 'undefined') continue;
        const b = new B();
        await b.open();
        this.backend = b;
        break;
      } catch {
        // try the next one
      }
    }
    if (!this.backend) {
      this.setState('unavailable', 'This browser does not let the page store anything (private mode?): your work is kept only while this tab is open. Download JSON to keep it.');
      return null;
    }
    try {
      let { docs, meta } = await this.backend.load();
      const rescued = this.readRescue();
      if (rescued) {
        const byId = new Map(docs.map((d) => [d.id, d]));
        for (const d of rescued.docs) byId.set(d.id, d);
        for (const id of rescued.deleted) byId.delete(id);
        docs = [...byId.values()];
        meta = rescued.meta || meta;
      }
      const good = docs.filter(validRecord);
      const dropped = docs.length - good.length;
      good.sort((a, b) => (a.created || 0) - (b.created || 0));
      return {
        docs: good.map((d) => ({ ...d, rejected: Array.isArray(d.rejected) ? d.rejected : [], status: d.status === 'done' ? 'done' : 'todo' })),
        order: Array.isArray(meta?.order) ? meta.order : null,
        currentId: meta?.currentId ?? null,
        labels: sanitizeLabels(meta?.labels),
        settings: meta?.settings && typeof meta.settings === 'object' ? meta.settings : null,
        dropped,
        rescued: rescued ? rescued.docs.map((d) => d.id).concat(rescued.deleted) : null,
      };
    } catch (e) {
      this.setState('error', `Could not read saved work (${e.message}).`);
      return null;
    }
  }

  metaRecord() {
    return { order: this.store.order, currentId: this.store.currentId, labels: this.store.labels, settings: this.store.settings };
  }

  readRescue() {
    try {
      const raw = localStorage.getItem(RESCUE_KEY);
      if (!raw) return null;
      const r = JSON.parse(raw);
      return { docs: Array.isArray(r.docs) ? r.docs : [], deleted: Array.isArray(r.deleted) ? r.deleted : [], meta: r.meta || null };
    } catch {
      return null;
    }
  }

  /**
   * Called as the page goes away with changes still unwritten: writes them to
   * localStorage at once. The next start applies them and saves them properly.
   * Browsers fire beforeunload, pagehide or both, and the page calls this on
   * each: a second call with no change since the first does nothing (an
   * unload that did not happen, followed by more edits, is rescued again).
   */
  rescue() {
    if (!this.backend || !this.unsaved || this.rescuedAt === this.changes) return;
    this.rescuedAt = this.changes;
    try {
      const docs = [...this.dirtyDocs].map((id) => this.store.docs.get(id)).filter(Boolean).map(record);
      localStorage.setItem(RESCUE_KEY, JSON.stringify({
        at: Date.now(),
        docs,
        deleted: [...this.deletedDocs],
        meta: this.metaRecord(),
      }));
    } catch {
      // No room there either: the changes are lost only if the write below never finishes.
    }
    this.flush();
  }

  /** After a start that applied rescued changes: they are written properly (and the rescue copy removed). */
  async settleRescue(ids) {
    for (const id of ids) {
      if (this.store.docs.has(id)) this.dirtyDocs.add(id);
      else this.deletedDocs.add(id);
    }
    this.dirtyMeta = true;
    await this.flush();
  }

  mark({ docId, deleted, meta }) {
    this.changes += 1;
    if (docId) {
      if (deleted) {
        this.dirtyDocs.delete(docId);
        this.deletedDocs.add(docId);
      } else {
        // A document deleted and brought back (undo) before the save is written again, not deleted.
        this.deletedDocs.delete(docId);
        this.dirtyDocs.add(docId);
      }
    }
    if (meta) this.dirtyMeta = true;
    if (!this.backend) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delayMs);
    if (this.state !== 'error') this.setState('saving');
  }

  get unsaved() {
    return this.dirtyDocs.size > 0 || this.deletedDocs.size > 0 || this.dirtyMeta;
  }

  /** Writes everything pending now. Resolves true when saved. */
  async flush() {
    clearTimeout(this.timer);
    if (!this.backend) return false;
    if (this.running) {
      await this.running;
      if (!this.unsaved) return true;
    }
    if (!this.unsaved) return true;
    const ids = [...this.dirtyDocs];
    const deleted = [...this.deletedDocs];
    this.dirtyDocs.clear();
    this.deletedDocs.clear();
    this.dirtyMeta = false;
    const docs = ids.map((id) => this.store.docs.get(id)).filter(Boolean).map(record);
    // The small meta record (order, current document, labels) goes with every write.
    const meta = this.metaRecord();
    this.setState('saving');
    this.running = this.backend.save(docs, deleted, meta).then(
      () => {
        this.quota = false;
        if (!this.unsaved) {
          // Everything is in the real store now: an older rescue copy must not come back.
          try {
            localStorage.removeItem(RESCUE_KEY);
          } catch {
            // no localStorage
          }
        }
        this.setState(this.unsaved ? 'saving' : 'saved');
        return true;
      },
      (e) => {
        // Keep the changes marked, to be written by the next attempt.
        for (const id of ids) if (this.store.docs.has(id)) this.dirtyDocs.add(id);
        for (const id of deleted) this.deletedDocs.add(id);
        this.dirtyMeta = true;
        this.quota = isQuota(e);
        this.setState('error', this.quota
          ? 'Browser storage is full: your latest changes are NOT saved, but nothing is lost while this tab stays open. Download JSON now, then delete documents you no longer need.'
          : `Saving failed (${e && e.message ? e.message : e}): your latest changes are kept in this tab only. Download JSON to keep them.`);
        return false;
      },
    );
    const ok = await this.running;
    this.running = null;
    if (ok && this.unsaved) return this.flush();
    return ok;
  }

  setState(state, message = '') {
    if (this.state === state && this.message === message) return;
    this.state = state;
    this.message = message;
    this.dispatchEvent(new Event('status'));
  }
}
