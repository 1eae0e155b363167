// Starts the page: store, autosave, extraction worker, controls.

import { Store } from './store.js';
import { Persistence } from './persist.js';
import { EngineClient } from './engine.js';
import { PreAnnotator } from './preannotate.js';
import { Controls } from './controls.js';

const SAMPLES = {
  en: { url: 'samples/en-sample.txt', title: 'English sample: Musi riverfront' },
  te: { url: 'samples/te-sample.txt', title: 'Telugu sample: మెట్రో రెండో దశ' },
};

async function main() {
  const store = new Store();
  const persist = new Persistence(store);
  const engine = new EngineClient('./worker.js');
  let controls = null;
  const notify = (...a) => controls?.notify(...a);
  const pre = new PreAnnotator(store, engine, notify);
  controls = new Controls({ store, persist, engine, pre, samples: SAMPLES });

  const saved = await persist.open();
  if (saved) {
    if (saved.docs.length || saved.labels) store.restore(saved);
    if (saved.dropped) notify(`${saved.dropped} saved document${saved.dropped > 1 ? 's were' : ' was'} damaged and could not be restored.`, 'error');
  }
  controls.start();
  if (saved?.docs.length) notify(`Restored ${saved.docs.length} document${saved.docs.length > 1 ? 's' : ''} from this browser.`, 'info', { timeout: 3000 });
  pre.runPending();

  // Ask the browser not to evict saved work under storage pressure (best effort).
  navigator.storage?.persist?.().catch(() => {});

  if (saved?.rescued) persist.settleRescue(saved.rescued);

  // Changes not written yet are rescued synchronously as the tab goes away
  // (both events, as a browser may fire only one; persist.rescue writes once);
  // when saving is failing, closing the tab asks first.
  addEventListener('pagehide', () => persist.rescue());
  addEventListener('beforeunload', (ev) => {
    if (persist.state === 'error' || (persist.state === 'unavailable' && store.order.length)) {
      ev.preventDefault();
      ev.returnValue = '';
    } else {
      persist.rescue();
    }
  });

  // Two tabs on the same storage would overwrite each other's saves.
  if (typeof BroadcastChannel === 'function') {
    const ch = new BroadcastChannel('lede');
    ch.onmessage = (ev) => {
      if (ev.data === 'hello') ch.postMessage('here');
      if (ev.data === 'hello' || ev.data === 'here') {
        controls.banner('tabs', 'Lede is open in another tab of this browser. Both save to the same place: edit in one tab only, or the last save wins.', { kind: 'warn' });
      }
    };
    ch.postMessage('hello');
  }

  window.lede = { store, persist, engine, controls };
}

main().catch((e) => {
  const p = document.createElement('p');
  p.className = 'fatal';
  p.textContent = `Lede could not start: ${e && e.message ? e.message : e}`;
  document.body.prepend(p);
  console.error(e);
});
