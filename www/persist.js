// Autosave: every change the store reports is written, debounced, to
// IndexedDB (localStorage when IndexedDB is unavailable). A failed write
// (a full quota, most often) keeps everything in memory, keeps the changes
// marked unsaved, reports the failure, and is retried on the next change.
//
// Several tabs of the page share that storage. Each save raises a revision
// number kept in the meta record, after checking in the same transaction
// that it is still the revision this tab loaded or last wrote. A tab that
// finds another tab has saved since (at its next save, or at once through a
// BroadcastChannel message) is behind: it stops saving rather than write its
// older state over the newer work, and says so (state 'conflict'). Its
// unsaved changes are not dropped: the rescue copy written as it closes is
// based on its revision, and the next start adds the documents it changed as
// copies next to the newer ones instead of applying them over.

import { sanitizeLabels } from './labels.js';

const DB_NAME = 'lede';
const DB_VERSION = 1;
const LS_PREFIX = 'lede:v1:';
// Changes not yet written when the tab goes away are put here, synchronously
// (an IndexedDB write started while a page unloads may never finish), and
// applied on the next start: one key per tab (RESCUE_KEY:tab id), so that two
// tabs closing together keep both; the bare key is an older page's copy.
const RESCUE_KEY = 'lede:v1:rescue';
const CHANNEL = 'lede-saves';
// A document's saved undo history: a record of its own in the meta store
// (no new object store, so no database upgrade that an open older tab could
// block), written in the same transaction as the document.
const HISTORY = 'history:';
const DOC_FIELDS = ['id', 'title', 'text', 'langSetting', 'lang', 'dct', 'dctSource', 'status', 'spans', 'rejected', 'created', 'annotated'];

function record(doc) {
  const out = {};
  for (const k of DOC_FIELDS) if (doc[k] !== undefined) out[k] = doc[k];
  return out;
}

function isQuota(e) {
  return e && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22 || /quota/i.test(String(e.message)));
}

/** The revision of a saved meta record (0 before revisions were saved). */
function revOf(meta) {
  return meta && Number.isInteger(meta.rev) ? meta.rev : 0;
}

/** Another tab saved after the revision this one is based on. */
class ConflictError extends Error {
  name = 'ConflictError';
}

function validRecord(d) {
  return d && typeof d.id === 'string' && typeof d.text === 'string' && Array.isArray(d.spans)
    && d.spans.every((s) => s && Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= d.text.length && s.start < s.end && typeof s.label === 'string');
}

class IdbBackend {
  name = 'IndexedDB';
  keepsHistory = true;

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
    return { docs, meta: meta || null, histories: await this.histories() };
  }

  /** The saved undo histories, [doc id, record] pairs; read apart, so that a failure here loses only them. */
  async histories() {
    try {
      const store = this.db.transaction('meta', 'readonly').objectStore('meta');
      const range = IDBKeyRange.bound(HISTORY, `${HISTORY}\uffff`);
      const [keys, values] = await Promise.all([asPromise(store.getAllKeys(range)), asPromise(store.getAll(range))]);
      return keys.map((k, i) => [String(k).slice(HISTORY.length), values[i]]);
    } catch {
      return [];
    }
  }

  /**
   * Writes, if the stored revision is still `base` (checked in the same
   * transaction: no other tab can write in between; a null `base`, unknown,
   * never matches). histories: [doc id, record or null] for the documents
   * written. Resolves with the revision written.
   */
  save(docs, deleted, meta, base, histories = []) {
    return new Promise((resolve, reject) => {
      let tx;
      let failure = null;
      let written = null;
      const abort = (e) => {
        failure = e;
        try {
          tx?.abort();
        } catch {
          // nothing to abort
        }
      };
      try {
        tx = this.db.transaction(['docs', 'meta'], 'readwrite');
        const metaStore = tx.objectStore('meta');
        const check = metaStore.get('state');
        check.onsuccess = () => {
          const rev = revOf(check.result);
          if (rev !== base) {
            abort(new ConflictError(`another tab saved revision ${rev}`));
            return;
          }
          try {
            const store = tx.objectStore('docs');
            for (const d of docs) store.put(d);
            for (const id of deleted) {
              store.delete(id);
              metaStore.delete(`${HISTORY}${id}`);
            }
            for (const [id, h] of histories) {
              if (h) metaStore.put(h, `${HISTORY}${id}`);
              else metaStore.delete(`${HISTORY}${id}`);
            }
            written = rev + 1;
            metaStore.put({ ...meta, rev: written }, 'state');
          } catch (e) {
            abort(e);
          }
        };
      } catch (e) {
        abort(e);
        reject(e);
        return;
      }
      tx.oncomplete = () => resolve(written);
      tx.onabort = () => reject(failure || tx.error || new DOMException('the save was aborted', 'AbortError'));
      tx.onerror = (ev) => ev.preventDefault();
    });
  }
}

class LocalBackend {
  name = 'localStorage';
  // Its few megabytes are for the annotations.
  keepsHistory = false;

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
    return { docs, meta: this.meta() };
  }

  meta() {
    try {
      return JSON.parse(localStorage.getItem(`${LS_PREFIX}meta`) || 'null');
    } catch {
      return null;
    }
  }

  /** Writes, if the stored revision is still `base` (the check and the writes run without a pause; a null `base`, unknown, never matches). Returns the revision written. */
  async save(docs, deleted, meta, base) {
    const rev = revOf(this.meta());
    if (rev !== base) throw new ConflictError(`another tab saved revision ${rev}`);
    for (const d of docs) localStorage.setItem(`${LS_PREFIX}doc:${d.id}`, JSON.stringify(d));
    for (const id of deleted) localStorage.removeItem(`${LS_PREFIX}doc:${id}`);
    localStorage.setItem(`${LS_PREFIX}meta`, JSON.stringify({ ...meta, rev: rev + 1 }));
    return rev + 1;
  }
}

/** A preference of this browser (not work, kept apart from the documents); null when absent or unreadable. */
export function readPreference(name) {
  try {
    return JSON.parse(localStorage.getItem(`${LS_PREFIX}${name}`) || 'null');
  } catch {
    return null; // no storage here, or an unreadable value
  }
}

export function writePreference(name, value) {
  try {
    localStorage.setItem(`${LS_PREFIX}${name}`, JSON.stringify(value));
  } catch {
    // Private mode or full storage: a preference, not work; nothing is lost.
  }
}

function removeItem(key) {
  try {
    localStorage.removeItem(key);
  } catch {
    // no localStorage
  }
}

function asPromise(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * state: 'idle' | 'saving' | 'saved' | 'error' | 'unavailable' | 'conflict'
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
    // What the save in flight writes, until it is written: { ids, deleted }.
    this.writing = null;
    // Changes counted, and the count the last rescue copy was written at.
    this.changes = 0;
    this.rescuedAt = -1;
    // Whether that copy was written.
    this.rescueOk = false;
    // The saved revision this tab's state is based on (null until read), and who this tab is.
    this.rev = null;
    // Why the saved work could not be read, if it could not: this tab then never saves.
    this.readFailed = null;
    this.tab = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    // Rescue copies of closed tabs that this start took in, removed once saved properly.
    this.adopted = [];
    // Set when the page reloads itself on purpose: leaving then need not ask.
    this.leaving = false;
    // Undo histories are saved with their documents, unless storage filled up.
    this.historyOff = false;
    store.addEventListener('dirty', (ev) => this.mark(ev.detail));
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.onmessage = (ev) => {
        // A save announced while this tab is still loading is in what it loads.
        if (this.backend && this.rev !== null && Number.isInteger(ev.data?.rev) && ev.data.rev > this.rev) this.fallBehind();
      };
    }
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
      const loaded = await this.backend.load();
      this.rev = revOf(loaded.meta);
      // Changes marked while loading wait for the revision.
      if (this.unsaved) this.timer = setTimeout(() => this.flush(), this.delayMs);
      const { docs, meta, rescued, copies } = this.takeRescues(loaded.docs, loaded.meta);
      const histories = loaded.histories || [];
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
        rescued: rescued.length ? rescued : null,
        copies,
        histories,
      };
    } catch (e) {
      // Without the revision of what is saved, a save could only write over it (the labels, the order, other tabs' work).
      this.readFailed = `Could not read the work saved in this browser (${e.message}), so this tab does not save, rather than write over it: what you do here is kept only while this tab is open. Download JSON to keep it, then reload to try reading again.`;
      this.setState('error', this.readFailed);
      return null;
    }
  }

  metaRecord() {
    return { order: this.store.order, currentId: this.store.currentId, labels: this.store.labels, settings: this.store.settings };
  }

  /** The rescue copies of tabs that went away, oldest first; unreadable ones are only noted for removal. */
  readRescues() {
    const out = [];
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key !== RESCUE_KEY && !key.startsWith(`${RESCUE_KEY}:`)) continue;
        this.adopted.push(key);
        try {
          const r = JSON.parse(localStorage.getItem(key));
          out.push({
            at: Number(r.at) || 0,
            tab: r.tab ?? null,
            // No revision at all: a copy from before revisions (applied as
            // ever); one that is not a number (a tab that could not read the
            // saved work): based on nothing, so its documents become copies.
            rev: Number.isInteger(r.rev) ? r.rev : 'rev' in r ? -1 : null,
            docs: Array.isArray(r.docs) ? r.docs.filter((d) => d && typeof d.id === 'string') : [],
            deleted: Array.isArray(r.deleted) ? r.deleted : [],
            meta: r.meta || null,
          });
        } catch {
          // unreadable: nothing to take from it
        }
      }
    } catch {
      // no localStorage
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /**
   * Applies the rescue copies to what was loaded. A copy is applied when no
   * other tab saved after the revision it was based on (the only save since
   * may be its own tab's last one); a document changed in a copy that is
   * behind, or one that an earlier copy already set, is added as a copy
   * instead, so that neither version is lost. Returns the documents, the meta
   * record, the ids to save again, and the titles of the copies made.
   */
  takeRescues(docs, meta) {
    const byId = new Map(docs.map((d) => [d.id, d]));
    const rev = revOf(meta);
    const taken = new Set();
    const rescued = [];
    const copies = [];
    for (const r of this.readRescues()) {
      // Copies from before revisions were saved are applied as they always were.
      const current = r.rev === null || r.rev === rev || (r.rev + 1 === rev && meta?.tab === r.tab);
      for (const d of r.docs) {
        const old = byId.get(d.id);
        if (!old || (current && !taken.has(d.id))) {
          byId.set(d.id, d);
          taken.add(d.id);
          rescued.push(d.id);
        } else if (JSON.stringify(record(old)) !== JSON.stringify(record(d))) {
          let n = 2;
          while (byId.has(`${d.id}-${n}`)) n += 1;
          const copy = { ...d, id: `${d.id}-${n}`, title: `${d.title || d.id} (unsaved changes from another tab)`, created: Date.now() + copies.length };
          byId.set(copy.id, copy);
          rescued.push(copy.id);
          copies.push(copy.title);
        }
      }
      if (!current) continue;
      for (const id of r.deleted) {
        if (taken.has(id)) continue;
        byId.delete(id);
        rescued.push(id);
      }
      meta = r.meta || meta;
    }
    return { docs: [...byId.values()], meta, rescued, copies };
  }

  /**
   * Called as the page goes away with changes still unwritten: writes them to
   * localStorage at once. The next start applies them and saves them properly.
   * Browsers fire beforeunload, pagehide or both, and the page calls this on
   * each: a second call with no change since the first does nothing (an
   * unload that did not happen, followed by more edits, is rescued again).
   * Returns whether the changes are safe to leave: true when there is
   * nothing to write or the copy was written, false when it could not be
   * (no room, no localStorage): leaving then loses them.
   */
  rescue() {
    if (!this.backend) return !this.unsaved;
    if (!(this.unsaved || this.writing)) return true;
    if (this.rescuedAt === this.changes) return this.rescueOk;
    this.rescuedAt = this.changes;
    this.rescueOk = false;
    try {
      // A save in flight may never finish either: what it writes is rescued
      // too, unless a later change (marked since) says otherwise.
      const ids = new Set(this.writing?.ids.filter((id) => !this.deletedDocs.has(id)));
      const deleted = new Set(this.writing?.deleted.filter((id) => !this.dirtyDocs.has(id)));
      for (const id of this.dirtyDocs) ids.add(id);
      for (const id of this.deletedDocs) deleted.add(id);
      const docs = [...ids].map((id) => this.store.docs.get(id)).filter(Boolean).map(record);
      // With its revision: a tab that is behind leaves copies, not changes over newer work.
      localStorage.setItem(`${RESCUE_KEY}:${this.tab}`, JSON.stringify({
        at: Date.now(),
        tab: this.tab,
        // null when this tab could not read the saved work: taken as copies.
        rev: this.rev,
        docs,
        deleted: [...deleted],
        meta: this.metaRecord(),
      }));
      this.rescueOk = true;
    } catch {
      // No room there either: the changes are lost unless the write below finishes.
    }
    this.flush();
    return this.rescueOk;
  }

  /** After a start that applied rescued changes: they are written properly, then the rescue copies are removed. */
  async settleRescue(ids) {
    for (const id of ids) {
      if (this.store.docs.has(id)) this.dirtyDocs.add(id);
      else this.deletedDocs.add(id);
    }
    this.dirtyMeta = true;
    if (await this.flush()) {
      for (const key of this.adopted.splice(0)) removeItem(key);
    }
  }

  /**
   * Another tab saved after this tab's revision: this tab shows older work.
   * It stops saving (its next save would overwrite the newer work) and says so.
   */
  fallBehind() {
    clearTimeout(this.timer);
    this.setState('conflict', this.unsaved
      ? 'Lede was saved in another tab after this tab loaded its work, so this tab has stopped saving rather than overwrite that newer work. Your changes in this tab are NOT saved: Download JSON keeps them; on Reload they come back as copies of their documents, next to the newer versions.'
      : 'Lede was saved in another tab after this tab loaded its work: this tab shows an older state, and has stopped saving rather than overwrite the newer work. Reload to go on with the latest work; nothing of this tab is lost.');
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
    if (this.state === 'conflict') {
      this.fallBehind();
      return;
    }
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
    if (!this.backend || this.state === 'conflict') return false;
    // No revision: still loading (open() flushes after), or the load failed
    // (said once; the changes stay marked, in memory and the rescue copy).
    if (this.rev === null) {
      if (this.readFailed) this.setState('error', this.readFailed);
      return false;
    }
    if (this.running) {
      await this.running;
      if (this.state === 'conflict') return false;
      if (!this.unsaved) return true;
    }
    if (!this.unsaved) return true;
    const ids = [...this.dirtyDocs];
    const deleted = [...this.deletedDocs];
    this.dirtyDocs.clear();
    this.deletedDocs.clear();
    this.dirtyMeta = false;
    const docs = ids.map((id) => this.store.docs.get(id)).filter(Boolean).map(record);
    // The small meta record (order, current document, labels) goes with every
    // write, with the tab that wrote it (the backend adds the revision).
    const base = this.rev;
    const meta = { ...this.metaRecord(), tab: this.tab };
    const histories = this.backend.keepsHistory && !this.historyOff ? docs.map((d) => [d.id, this.store.exportHistory(d.id)]) : [];
    this.setState('saving');
    this.writing = { ids, deleted };
    this.running = this.backend.save(docs, deleted, meta, base, histories).then(
      (rev) => {
        this.writing = null;
        this.rev = rev;
        this.channel?.postMessage({ rev: this.rev });
        this.quota = false;
        // Everything is in the real store now: this tab's older rescue copy must not come back.
        if (!this.unsaved) removeItem(`${RESCUE_KEY}:${this.tab}`);
        this.setState(this.unsaved ? 'saving' : 'saved');
        return true;
      },
      (e) => {
        this.writing = null;
        // Keep the changes marked, to be written by the next attempt.
        for (const id of ids) if (this.store.docs.has(id)) this.dirtyDocs.add(id);
        for (const id of deleted) this.deletedDocs.add(id);
        this.dirtyMeta = true;
        if (e instanceof ConflictError) {
          this.fallBehind();
          return false;
        }
        this.quota = isQuota(e);
        // Storage is full: the next attempts write the annotations without their undo histories.
        if (this.quota) this.historyOff = true;
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
