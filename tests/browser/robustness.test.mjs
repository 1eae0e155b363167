// Bad input and bad conditions: broken, binary, empty and out-of-range files,
// a missing wasm package, an engine that crashes, hangs or loads slowly, a
// full storage quota, a huge paste, the export → import round trip, and two
// tabs saving to the same storage.

import assert from 'node:assert/strict';
import { useApp, appTest, slowEngineLoad, newPage, openApp, waitEngine, pasteDocument, selectRange, waitIdle, loadSample, download } from './helpers.mjs';

const env = useApp();

const snapshot = (page) => page.evaluate(() => JSON.stringify(window.lede.store.documents().map((d) => [d.id, d.title, d.text, d.dct, d.spans])));

async function openFile(page, name, content) {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer });
}

async function lastNotice(page) {
  await page.waitForSelector('#notices .notice.error');
  return page.locator('#notices .notice.error').last().textContent();
}

appTest(env, 'broken, binary, empty and out-of-range files give a clear message and leave the work untouched', async ({ page }) => {
  await loadSample(page, 'en');
  await selectRange(page, 0, 9);
  await page.keyboard.press('3');
  await waitIdle(page);
  const before = await snapshot(page);
  const cases = [
    ['broken.json', '{"format": "lede", "version": 1, "documents": [{"text": "abc", ', /broken\.json is not valid JSON/],
    ['photo.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), /binary/],
    ['latin1.txt', new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]), /not UTF-8/],
    ['empty.txt', '', /empty/],
    ['gold.jsonl', '{"id":"a","text":"Rao met Devi.","spans":[{"start":0,"end":3,"label":"PER"}]}\n{"id":"b","text":"short","spans":[{"start":2,"end":40,"label":"LOC"}]}\n', /line 2.*out of range/],
  ];
  for (const [name, content, message] of cases) {
    await page.evaluate(() => document.getElementById('notices').replaceChildren());
    await openFile(page, name, content);
    const text = await lastNotice(page);
    assert.match(text, message, `${name}: ${text}`);
    assert.match(text, /unchanged/, `${name} says the work is unchanged`);
    assert.equal(await snapshot(page), before, `${name} changed nothing`);
  }
  // The document on screen is still the one being worked on, with the correction.
  const loc = await page.evaluate(() => window.lede.store.current.spans.find((s) => s.start === 0 && s.end === 9));
  assert.equal(loc.label, 'LOC');
  assert.equal(loc.reviewed, true);
  assert.equal(await page.locator(`#text mark[data-id="${loc.id}"]`).textContent(), 'HYDERABAD');
  assert.equal(await page.locator('#doc-list li').count(), 1);
  // Good files still open afterwards, several at once (one document per .txt, one per JSONL line);
  // a bad one among them is reported and the others come in.
  await page.setInputFiles('#file-input', [
    { name: 'good.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"id":"g1","text":"Rao met Devi on 2025-03-11.","lang":"en","dct":"2025-03-11","spans":[{"start":0,"end":3,"label":"PER"}]}\n{"id":"g2","text":"రావు హైదరాబాద్ వెళ్లారు."}\n') },
    { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('[{"text": 5}]') },
    { name: 'Rain in Warangal.txt', mimeType: 'text/plain', buffer: Buffer.from('Heavy rain hit Warangal on Monday.') },
  ]);
  await page.waitForFunction(() => window.lede.store.order.length === 4);
  await waitIdle(page);
  const docs = await page.evaluate(() => window.lede.store.documents().map((d) => [d.id, d.title, d.lang, d.spans.filter((s) => s.reviewed).length]));
  assert.deepEqual(docs.slice(1).map(([id, , lang, reviewed]) => [id, lang, reviewed]).slice(0, 2), [['g1', 'en', 1], ['g2', 'te', 0]]);
  assert.equal(docs[3][1], 'Rain in Warangal');
  // The format the exports follow is one click away.
  await page.click('#format-link');
  await page.waitForSelector('#format-dialog[open]');
  assert.match(await page.textContent('#format-text'), /offset_unit/);
  await page.click('#format-dialog button[type="submit"]');
  assert.match(await page.locator('#notices .notice.error').last().textContent(), /bad\.json.*document 1 has no "text" string/);
});

appTest(env, 'an exported JSON file imports back to exactly the same documents', async ({ page }) => {
  // Exported from this page (its errors are checked by appTest), imported into a fresh one.
  const b = await newPage(env.browser);
  try {
    await loadSample(page, 'en');
    await loadSample(page, 'te');
    await pasteDocument(page, 'Emoji 👩🏽‍💻 and Devi 🇮🇳 met on 2025-03-11 in Vizag.', { title: 'emoji' });
    const t = 'Emoji 👩🏽‍💻 and Devi 🇮🇳 met on 2025-03-11 in Vizag.';
    await selectRange(page, t.indexOf('Devi'), t.indexOf('Devi') + 4);
    await page.keyboard.press('1');
    await selectRange(page, t.indexOf('Vizag'), t.indexOf('Vizag') + 5);
    await page.keyboard.press('3');
    await page.click('#mark-done');
    await waitIdle(page);
    const first = await download(page, '#export-json');

    await openApp(b.page, env.server.url);
    await openFile(b.page, first.name, first.text);
    await b.page.waitForFunction(() => window.lede.store.order.length === 3);
    await waitIdle(b.page);
    const second = await download(b.page, '#export-json');
    const strip = (s) => {
      const o = JSON.parse(s);
      delete o.exported_at;
      return o;
    };
    assert.deepEqual(strip(second.text), strip(first.text));
    assert.equal(await b.page.locator('#doc-list .done').count(), 1);
    assert.deepEqual(b.errors, [], 'uncaught errors in the importing page');
  } finally {
    await b.context.close();
  }
});

/** Without an engine: its banner says why (`why`), and a span is still made by hand. */
async function byHandWithoutEngine(page, why) {
  assert.equal(await page.textContent('#engine-status'), 'Pre-annotation unavailable');
  const banner = await page.locator('#banner-engine').textContent();
  assert.match(banner, why);
  assert.match(banner, /annotate by hand/);
  const text = 'Minister Lakshmi Reddy visited Warangal on Monday.';
  await pasteDocument(page, text);
  assert.equal(await page.locator('#text mark').count(), 0, 'no pre-annotation');
  await selectRange(page, text.indexOf('Lakshmi'), text.indexOf('Reddy') + 5);
  await page.keyboard.press('1');
  assert.equal(await page.locator('#text mark[data-label="PER"]').textContent(), 'Lakshmi Reddy');
}

appTest(env, 'without the wasm package the page says so, and manual annotation, saving and export still work', async ({ page }) => {
  await byHandWithoutEngine(page, /could not be loaded/);
  const data = JSON.parse((await download(page, '#export-json')).text);
  assert.deepEqual(data.documents[0].spans.map((s) => [s.label, s.text]), [['PER', 'Lakshmi Reddy']]);
  assert.equal(data.documents[0].lang, 'en');
  assert.match(data.documents[0].dct, /^\d{4}-\d{2}-\d{2}$/);
  await waitIdle(page);
  assert.equal(await page.textContent('#save-status'), 'All changes saved');
}, { server: 'noWasm', engine: 'failed' });

// Makes IndexedDB writes fail as with a full quota while window.__full is true.
function quotaTrap() {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function trapped(...args) {
    if (window.__full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
}

appTest(env, 'a full storage quota: a clear message, nothing lost, a download offered, saving resumes', async ({ page }) => {
  await loadSample(page, 'en');
  await page.evaluate(() => { window.__full = true; });
  const text = await page.evaluate(() => window.lede.store.current.text);
  const w = text.indexOf('Lakshmi Reddy');
  await selectRange(page, w, w + 'Lakshmi Reddy'.length);
  await page.keyboard.press('1');
  await page.waitForSelector('#banner-save');
  const banner = await page.textContent('#banner-save');
  assert.match(banner, /storage is full/i);
  assert.match(banner, /nothing is lost/i);
  assert.match(await page.textContent('#save-status'), /storage full/);
  // The edit is still there, and the banner's download has it.
  const reviewedPer = () => page.evaluate(([a, b]) => window.lede.store.current.spans.filter((s) => s.start === a && s.end === b && s.label === 'PER' && s.reviewed).length, [w, w + 'Lakshmi Reddy'.length]);
  assert.equal(await reviewedPer(), 1);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#banner-save button:has-text("Download JSON")')]);
  const data = JSON.parse(await (await import('node:fs/promises')).readFile(await dl.path(), 'utf8'));
  assert.ok(data.documents[0].spans.some((s) => s.label === 'PER' && s.text === 'Lakshmi Reddy'));
  // Space freed: "Try again" saves, and a reload finds the edit.
  await page.evaluate(() => { window.__full = false; });
  await page.click('#banner-save button:has-text("Try again")');
  await page.waitForFunction(() => window.lede.persist.state === 'saved');
  assert.equal(await page.locator('#banner-save').count(), 0);
  await page.reload();
  await waitEngine(page);
  assert.equal(await reviewedPer(), 1);
}, { init: quotaTrap });

appTest(env, 'a huge paste (over 5 MB) warns, is added, and the page stays responsive', async ({ page, t }) => {
  await page.click('#new-doc');
  await page.evaluate(() => {
    const para = 'On March 3 the council met in Hyderabad and agreed to meet again on April 14. ';
    const lines = [];
    let n = 0;
    while (n < 5_200_000) {
      const line = para.repeat(8);
      lines.push(line);
      n += line.length + 1;
    }
    // A real paste event: the page keeps a text this long out of the textarea.
    const data = new DataTransfer();
    data.setData('text/plain', lines.join('\n'));
    document.getElementById('paste-text').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.match(await page.getAttribute('#paste-text', 'placeholder'), /MB of text pasted/);
  const t0 = Date.now();
  await page.click('#paste-add');
  await page.waitForSelector('#notices .notice.warn');
  assert.match(await page.locator('#notices .notice.warn').first().textContent(), /large text/i);
  await page.waitForFunction(() => window.lede.store.current && window.lede.store.current.text.length > 5_100_000);
  // The page answers while the rest is drawn and pre-annotated in the background
  // (the progress check below needs the main thread too); the time is a figure.
  const t1 = Date.now();
  await page.evaluate(() => 1);
  t.diagnostic(`huge paste: the page answered in ${Date.now() - t1} ms`);
  assert.ok(await page.locator('#text .line').count() > 0);
  // Pre-annotation goes in pieces and shows its progress.
  await page.waitForFunction(() => /pre-annotating… \d+%/.test(document.getElementById('doc-stats').textContent), null, { timeout: 30000 });
  await page.waitForFunction(() => window.lede.controls.pre.busy.size === 0, null, { timeout: 60000 });
  const spans = await page.evaluate(() => window.lede.store.current.spans.length);
  assert.ok(spans > 1000, `pre-annotated (${spans} spans)`);
  t.diagnostic(`huge paste: ${Date.now() - t0} ms to pre-annotate ${spans} spans`);
});

appTest(env, 'an engine that crashes or hangs is replaced; the page reports it and pre-annotates the next document', async ({ page }) => {
  await pasteDocument(page, 'CRASH of the engine');
  assert.match(await page.locator('#notices .notice.error').last().textContent(), /failed: unreachable/);
  await page.waitForFunction(() => window.lede.engine.status === 'ready');
  await pasteDocument(page, 'HANG forever');
  assert.match(await page.locator('#notices .notice.error').last().textContent(), /longer than .* restarted/);
  await page.waitForFunction(() => window.lede.engine.status === 'ready');
  await pasteDocument(page, 'ACME opened a plant.');
  assert.equal(await page.locator('#text mark[data-label="ORG"]').textContent(), 'ACME');
  // The failed documents stay, ready for manual work.
  assert.equal(await page.locator('#doc-list li').count(), 3);
}, { server: 'fake', init: () => { window.__ledeEngineTimeoutMs = 1500; } });

appTest(env, "a request's time limit counts neither the engine's loading nor the requests queued before it", async ({ page }) => {
  const ask = (texts) => page.evaluate((ts) => Promise.all(ts.map((t) => window.lede.engine.annotate(t, 'auto', '').then(
    (r) => r.spans.map((s) => s.label).join(), (e) => e.message))), texts);
  // Asked while the module is still loading, which takes longer than the 1 s limit.
  assert.equal(await page.evaluate(() => window.lede.engine.status), 'loading');
  assert.deepEqual(await ask(['ACME opened a plant.']), ['ORG']);
  // Three requests of 0.6 s each, asked at once: the last is done 1.8 s after it was asked.
  assert.deepEqual(await ask(['SLOW one', 'SLOW two', 'SLOW three']), ['ORG', 'ORG', 'ORG']);
  assert.equal(await page.evaluate(() => window.lede.engine.restarts), 0, 'no restart');
}, { server: 'fake', engine: 'loading', setup: slowEngineLoad(2500), init: () => { window.__ledeEngineTimeoutMs = 1000; } });

// Two tabs of the page in one browser: same storage.
const TWO_TABS = 'Minister Lakshmi Reddy met officials of the Reserve Bank in Warangal on Monday.';

/** Opens a second tab of the app in the context; `init` runs in it before its scripts. */
async function secondTab(context, url, init) {
  const tab = await context.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  if (init) await tab.addInitScript(init);
  await openApp(tab, url);
  return { tab, errors };
}

/** Labels the words `w` of the two-tab text MISC (key 4) in a tab. */
async function misc(page, w) {
  const i = TWO_TABS.indexOf(w);
  await selectRange(page, i, i + w.length);
  await page.keyboard.press('4');
}

const miscWords = (page) => page.evaluate(() => window.lede.store.documents().map((d) => [d.title, d.spans.filter((s) => s.label === 'MISC').map((s) => d.text.slice(s.start, s.end))]));

appTest(env, 'two tabs: the one behind is told at once, stops saving over the newer work, and on Reload keeps its own edits as a copy', async ({ page, context, url }) => {
  await pasteDocument(page, TWO_TABS, { title: 'Meeting' });
  const { tab: other, errors } = await secondTab(context, url);
  await other.waitForSelector('#banner-tabs');
  // Saved in the first tab: the second is behind, and says so before it is edited.
  await misc(page, 'officials');
  await waitIdle(page);
  await other.waitForSelector('#banner-save');
  assert.match(await other.textContent('#banner-save'), /saved in another tab.*stopped saving.*nothing of this tab is lost/);
  assert.equal(await other.textContent('#save-status'), 'Not saving: newer work in another tab');
  // An edit there stays in that tab, and the banner says it is not saved.
  await misc(other, 'Reserve Bank');
  await other.waitForFunction(() => /NOT saved/.test(document.getElementById('banner-save').textContent));
  await other.waitForTimeout(800);
  assert.equal(await other.evaluate(() => window.lede.persist.unsaved), true);
  // The first tab's work is what is stored.
  await page.reload();
  await waitEngine(page);
  assert.deepEqual(await miscWords(page), [['Meeting', ['officials']]]);
  // Reload in the tab behind: the newer work, and its own edit as a copy, said plainly.
  await other.click('#banner-save button:has-text("Reload")');
  await other.waitForFunction(() => window.lede?.store.order.length === 2);
  await waitEngine(other);
  assert.deepEqual(await miscWords(other), [['Meeting', ['officials']], ['Meeting (unsaved changes from another tab)', ['Reserve Bank']]]);
  assert.match(await other.locator('#notices .notice.warn').last().textContent(), /kept as a copy: “Meeting \(unsaved changes from another tab\)”/);
  await waitIdle(other);
  // Saving the copy made the first tab the one behind.
  await page.waitForSelector('#banner-save');
  assert.deepEqual(errors, [], 'uncaught errors in the second tab');
});

// The tab behind has no BroadcastChannel: only its save can find the newer work.
// Both backends: IndexedDB, and localStorage where IndexedDB is missing.
for (const [backend, init] of [['IndexedDB', undefined], ['localStorage', () => { delete window.indexedDB; }]]) {
  appTest(env, `two tabs, one without BroadcastChannel (${backend}): its save finds the newer work and stops`, async ({ page, context, url }) => {
    assert.equal(await page.evaluate(() => window.lede.persist.backend.name), backend);
    await pasteDocument(page, TWO_TABS, { title: 'Meeting' });
    const { tab: other, errors } = await secondTab(context, url, () => { delete window.BroadcastChannel; });
    await misc(page, 'officials');
    await waitIdle(page);
    assert.equal(await other.locator('#banner-save').count(), 0, 'not told: no channel');
    await misc(other, 'Reserve Bank');
    await other.waitForSelector('#banner-save');
    assert.match(await other.textContent('#banner-save'), /stopped saving.*NOT saved/);
    await page.reload();
    await waitEngine(page);
    assert.deepEqual(await miscWords(page), [['Meeting', ['officials']]]);
    assert.deepEqual(errors, [], 'uncaught errors in the second tab');
  }, { init });
}

// The worker's SIMD probe fails as it would in an old browser.
async function withoutSimd(context) {
  await context.route('**/worker.js', async (route) => {
    const res = await route.fetch();
    const body = 'WebAssembly.validate = () => false;\n' + (await res.text());
    await route.fulfill({ response: res, body });
  });
}

appTest(env, 'a browser without WebAssembly SIMD is told so, and manual annotation still works', async ({ page }) => {
  await byHandWithoutEngine(page, /lacks WebAssembly SIMD/);
}, { setup: withoutSimd, engine: 'failed' });
