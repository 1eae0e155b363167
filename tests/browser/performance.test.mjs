// A long article (100 KB, 2,000 spans): an edit redraws only the line it is
// on, not the document. Timings are reported, not asserted.

import assert from 'node:assert/strict';
import { useApp, appTest, selectRange, waitIdle } from './helpers.mjs';

const env = useApp();

function longDocument() {
  const words = ['council', 'river', 'Hyderabad', 'minister', 'report', 'budget', 'Warangal', 'water', 'metro', 'tender'];
  const spans = [];
  let text = '';
  let n = 0;
  while (text.length < 100_000) {
    const parts = [];
    for (let k = 0; k < 90; k++) parts.push(words[(n + k * 7) % words.length]);
    let line = parts.join(' ');
    line = `${line}.`;
    // 14 spans per line, on whole words.
    let at = 0;
    for (let k = 0; k < 14; k++) {
      const w = parts[k * 6];
      const i = line.indexOf(w, at);
      spans.push({ start: text.length + i, end: text.length + i + w.length, label: k % 2 ? 'LOC' : 'ORG' });
      at = i + w.length + 1;
    }
    text += `${line}\n`;
    n += 1;
  }
  return { id: 'long', lang: 'en', dct: '2025-03-11', text, spans: spans.slice(0, 2000) };
}

appTest(env, 'a 100 KB article with 2,000 spans: an edit redraws one line', async ({ page, t }) => {
  const doc = longDocument();
  assert.equal(doc.spans.length, 2000);
  const t0 = Date.now();
  await page.setInputFiles('#file-input', { name: 'long.jsonl', mimeType: 'application/json', buffer: Buffer.from(`${JSON.stringify(doc)}\n`) });
  await page.waitForFunction(() => window.lede.store.current?.id === 'long');
  await page.waitForFunction(() => document.getElementById('text').dataset.complete === 'true');
  t.diagnostic(`open and draw: ${Date.now() - t0} ms`);
  assert.equal(await page.evaluate(() => window.lede.store.current.spans.length), 2000);
  await waitIdle(page);

  // Count the lines each redraw touches.
  await page.evaluate(() => {
    const view = window.lede.controls.view;
    const update = view.update.bind(view);
    window.__redrawn = [];
    view.update = (prev) => {
      const t1 = performance.now();
      const n = update(prev);
      window.__redrawn.push({ lines: n, ms: performance.now() - t1 });
      return n;
    };
  });
  const line = doc.text.split('\n')[40];
  const start = doc.text.indexOf(line) + line.lastIndexOf('metro');
  await selectRange(page, start, start + 5);
  const ms = await page.evaluate(() => {
    const t1 = performance.now();
    window.lede.controls.applyLabel('MISC');
    return performance.now() - t1;
  });
  t.diagnostic(`add a span: ${ms.toFixed(1)} ms`);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+Shift+z');
  const redrawn = await page.evaluate(() => window.__redrawn);
  assert.equal(redrawn.length, 3);
  for (const r of redrawn) assert.equal(r.lines, 1, JSON.stringify(redrawn));
  t.diagnostic(`redraws: ${redrawn.map((r) => `${r.ms.toFixed(1)} ms`).join(', ')}`);
  // The span is drawn, on its line.
  const id = await page.evaluate((s) => window.lede.store.current.spans.find((x) => x.start === s && x.label === 'MISC')?.id, start);
  assert.ok(id);
  assert.equal(await page.locator(`#text mark[data-id="${id}"]`).textContent(), 'metro');
});
