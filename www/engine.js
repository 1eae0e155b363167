// The page's side of the extraction worker: a promise per request, and one
// load status that the page shows. If the worker or the wasm cannot load,
// every request rejects and manual annotation goes on without pre-annotation.
// A worker whose engine crashed (a wasm trap) or that takes far too long over
// a request is replaced by a fresh one; the request in hand fails with a
// message, the ones queued behind it go to the new worker.
//
// Requests wait here, not in the worker, and the worker is given one at a
// time once it is ready: a request's time limit then measures the engine's
// work on that request alone, never the module's loading (which has its own
// limit and message) nor the requests queued before it.

const LOAD_TIMEOUT_MS = 30_000;
const MAX_RESTARTS = 3;

/** Time allowed for one request: generous, and more for long texts (the tests shorten it). */
function requestTimeout(text) {
  const base = globalThis.__ledeEngineTimeoutMs || 30_000;
  return base + Math.round((text.length / 1e6) * 20_000);
}

export class EngineClient extends EventTarget {
  constructor(url = './worker.js') {
    super();
    this.url = url;
    this.status = 'loading'; // 'loading' | 'ready' | 'failed'
    this.message = '';
    this.version = '';
    this.pending = new Map(); // id -> {resolve, reject, msg, timer}, in the order asked
    this.inHand = null; // the id of the request the worker is working on
    this.nextId = 1;
    this.restarts = 0;
    this.start();
  }

  start() {
    try {
      if (typeof Worker === 'undefined') throw new Error('this browser has no Web Workers');
      this.worker = new Worker(this.url, { type: 'module' });
    } catch (e) {
      this.fail(`could not start the extraction worker: ${e.message}`);
      return;
    }
    const worker = this.worker;
    // A message a replaced worker posted before it was stopped is not an answer.
    this.worker.onmessage = (ev) => worker === this.worker && this.onMessage(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.fail(ev.message ? `the extraction worker stopped: ${ev.message}` : 'the extraction worker could not be loaded (worker.js missing, or module workers unsupported)');
    };
    this.loadTimer = setTimeout(() => {
      if (this.status === 'loading') this.fail(`the extraction engine did not load within ${LOAD_TIMEOUT_MS / 1000} s`);
    }, LOAD_TIMEOUT_MS);
  }

  onMessage(msg) {
    if (msg.type === 'ready') {
      clearTimeout(this.loadTimer);
      this.status = 'ready';
      this.version = msg.version;
      this.dispatchEvent(new Event('status'));
      this.next();
    } else if (msg.type === 'failed') {
      this.fail(msg.message);
    } else if (msg.type === 'result' || msg.type === 'error') {
      const p = this.pending.get(msg.id);
      if (!p || msg.id !== this.inHand) return;
      this.pending.delete(msg.id);
      this.inHand = null;
      clearTimeout(p.timer);
      if (msg.type === 'result') p.resolve(msg.result);
      else p.reject(new Error(msg.message));
      if (msg.crashed) this.restart(msg.id, null);
      else this.next();
    }
  }

  fail(message) {
    if (this.status === 'failed') return;
    clearTimeout(this.loadTimer);
    this.status = 'failed';
    this.message = message;
    this.worker?.terminate();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(message));
    }
    this.pending.clear();
    this.dispatchEvent(new Event('status'));
  }

  /**
   * Replaces the worker. The request `culprit` (if still pending) fails with
   * `reason`; the other pending requests go to the new worker once it is ready.
   */
  restart(culprit, reason) {
    const p = this.pending.get(culprit);
    if (p) {
      this.pending.delete(culprit);
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.worker.terminate();
    this.inHand = null;
    this.restarts += 1;
    if (this.restarts > MAX_RESTARTS) {
      this.fail(`the extraction engine failed ${this.restarts} times and was stopped`);
      return;
    }
    this.status = 'loading';
    this.dispatchEvent(new Event('status'));
    this.start();
  }

  /** Gives the ready worker the oldest waiting request, when it has none in hand. */
  next() {
    if (this.status !== 'ready' || this.inHand !== null) return;
    const first = this.pending.entries().next();
    if (first.done) return;
    const [id, p] = first.value;
    this.inHand = id;
    const ms = requestTimeout(p.msg.text);
    p.timer = setTimeout(() => this.restart(id, `the engine took longer than ${ms / 1000} s and was restarted`), ms);
    this.worker.postMessage(p.msg);
  }

  /** Resolves with the engine's result (UTF-16 offsets); rejects when unavailable or on error. */
  annotate(text, lang, dct) {
    if (this.status === 'failed') return Promise.reject(new Error(this.message));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p = { resolve, reject, msg: { type: 'annotate', id, text, lang, dct }, timer: null };
      this.pending.set(id, p);
      this.next();
    });
  }
}
