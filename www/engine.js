// The page's side of the extraction worker: a promise per request, and one
// load status that the page shows. If the worker or the wasm cannot load,
// every request rejects and manual annotation goes on without pre-annotation.

export class EngineClient extends EventTarget {
  constructor(url = './worker.js', { timeoutMs = 30000 } = {}) {
    super();
    this.status = 'loading'; // 'loading' | 'ready' | 'failed'
    this.message = '';
    this.version = '';
    this.pending = new Map();
    this.nextId = 1;
    try {
      if (typeof Worker === 'undefined') throw new Error('this browser has no Web Workers');
      this.worker = new Worker(url, { type: 'module' });
    } catch (e) {
      this.fail(`could not start the extraction worker: ${e.message}`);
      return;
    }
    this.worker.onmessage = (ev) => this.onMessage(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.fail(ev.message ? `the extraction worker stopped: ${ev.message}` : 'the extraction worker could not be loaded (worker.js missing, or module workers unsupported)');
    };
    this.timer = setTimeout(() => {
      if (this.status === 'loading') this.fail(`the extraction engine did not load within ${timeoutMs / 1000} s`);
    }, timeoutMs);
  }

  onMessage(msg) {
    if (msg.type === 'ready') {
      clearTimeout(this.timer);
      this.status = 'ready';
      this.version = msg.version;
      this.dispatchEvent(new Event('status'));
    } else if (msg.type === 'failed') {
      this.fail(msg.message);
    } else if (msg.type === 'result' || msg.type === 'error') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.result);
      else p.reject(new Error(msg.message));
    }
  }

  fail(message) {
    if (this.status === 'failed') return;
    clearTimeout(this.timer);
    this.status = 'failed';
    this.message = message;
    try {
      this.worker?.terminate();
    } catch {
      // already gone
    }
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    this.dispatchEvent(new Event('status'));
  }

  /** Resolves with the engine's result (UTF-16 offsets); rejects when unavailable or on error. */
  annotate(text, lang, dct) {
    if (this.status === 'failed') return Promise.reject(new Error(this.message));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'annotate', id, text, lang, dct });
    });
  }
}
