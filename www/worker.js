// The extraction engine, off the main thread. Loads the wasm once, then
// answers {type:'annotate', id, text, lang, dct} with {type:'result', id, result}
// or {type:'error', id, message}. Reports {type:'ready', version} or
// {type:'failed', message} once, after loading.

let engine = null;
let api = null;

// The module is built with WebAssembly SIMD (wasm-pack.toml). A tiny module
// whose one function splats an i32 into a v128 validates only where SIMD is
// supported: Chrome 91+, Firefox 89+, Safari 16.4+.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // i32.const 0; i8x16.splat; end
]);

const ready = (async () => {
  try {
    if (typeof WebAssembly !== 'object') throw new Error('this browser has no WebAssembly support');
    if (!WebAssembly.validate(SIMD_PROBE)) {
      throw new Error('this browser lacks WebAssembly SIMD, which the extraction engine needs (Chrome 91, Firefox 89, Safari 16.4 or newer)');
    }
    try {
      api = await import('./pkg/lede.js');
    } catch (e) {
      throw new Error(`pkg/lede.js could not be loaded (${e.message}): the WebAssembly package is not built or not served`);
    }
    try {
      await api.default();
    } catch (e) {
      throw new Error(`pkg/lede_bg.wasm could not be loaded (${e.message})`);
    }
    engine = new api.Engine();
    postMessage({ type: 'ready', version: api.version() });
  } catch (e) {
    postMessage({ type: 'failed', message: String(e && e.message ? e.message : e) });
  }
})();

self.onmessage = async (ev) => {
  const msg = ev.data;
  await ready;
  if (msg.type !== 'annotate') return;
  if (!engine) {
    postMessage({ type: 'error', id: msg.id, message: 'the extraction engine is not loaded' });
    return;
  }
  try {
    const t0 = performance.now();
    const result = engine.annotate(msg.text, msg.lang, msg.dct || '');
    postMessage({ type: 'result', id: msg.id, result, ms: performance.now() - t0 });
  } catch (e) {
    // A trap leaves the wasm instance unusable: the page replaces this worker.
    const crashed = e instanceof WebAssembly.RuntimeError;
    postMessage({ type: 'error', id: msg.id, crashed, message: String(e && e.message ? e.message : e) });
  }
};
