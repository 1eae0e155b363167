// Pasting articles, seeing the engine's spans highlighted, and downloading
// them: the export's code-point offsets must slice the text to each span's
// quote, in English and in Telugu with emoji.

import assert from 'node:assert/strict';
import { useApp, appTest, pasteDocument, download, cpSlice, selectRange, waitIdle } from './helpers.mjs';

const env = useApp();

const EN = `HYDERABAD, 2025-03-11 — Talks between the two unions resumed on March 3 and are expected to end by April 14, Minister K. Rao said.

The next round is planned for May 2 at the Secretariat.`;

function checkExport(data) {
  assert.equal(data.format, 'lede');
  assert.equal(data.version, 1);
  assert.equal(data.offset_unit, 'codepoint');
  for (const doc of data.documents) {
    assert.equal(typeof doc.text, 'string');
    for (const s of doc.spans) {
      assert.ok(Number.isInteger(s.start) && Number.isInteger(s.end) && s.start < s.end, JSON.stringify(s));
      assert.equal(cpSlice(doc.text, s.start, s.end), s.text, `code-point slice of ${JSON.stringify(s)}`);
    }
  }
}

appTest(env, 'an English article: dates highlighted, resolved against the dateline, exported with exact offsets', async ({ page }) => {
  await pasteDocument(page, EN, { title: 'Union talks' });

  // Highlights: DATE marks for the dates in the text, counted in the legend.
  const marks = await page.$$eval('#text mark.m.start', (ms) => ms.map((m) => ({ label: m.dataset.label, text: m.textContent })));
  const dates = marks.filter((m) => m.label === 'DATE').map((m) => m.text);
  for (const d of ['March 3', 'April 14', 'May 2']) assert.ok(dates.some((t) => t.startsWith(d)), `${d} highlighted as DATE (got ${JSON.stringify(dates)})`);
  const legendDate = await page.textContent('#legend button[data-label="DATE"] .n');
  assert.equal(Number(legendDate), marks.filter((m) => m.label === 'DATE').length);
  // The document date came from the dateline.
  assert.equal(await page.inputValue('#doc-dct'), '2025-03-11');
  assert.match(await page.textContent('#dct-source'), /dateline/);
  // A span's source is shown when it is selected.
  await page.click('#text mark[data-label="DATE"]');
  assert.match(await page.textContent('#span-source'), /\S/);
  assert.notEqual(await page.textContent('#span-source'), 'made by you');

  const { name, text } = await download(page, '#export-json');
  assert.match(name, /\.json$/);
  const data = JSON.parse(text);
  checkExport(data);
  const [doc] = data.documents;
  assert.equal(doc.text, EN);
  assert.equal(doc.lang, 'en');
  assert.equal(doc.dct, '2025-03-11');
  assert.equal(doc.title, 'Union talks');
  const value = (w) => doc.spans.find((s) => s.label === 'DATE' && s.text.startsWith(w))?.value;
  assert.equal(value('March 3'), '2025-03-03');
  assert.equal(value('April 14'), '2025-04-14');
  assert.equal(value('May 2'), '2025-05-02');
  for (const s of doc.spans) assert.equal(s.reviewed, false, 'machine spans are not reviewed yet');
});

// Emoji (astral, ZWJ sequences, skin tone) before the spans shift UTF-16
// offsets away from code points; Telugu conjuncts must not be split.
const TE = 'హైదరాబాద్, 2025-03-11: 🎉👨‍👩‍👧 మంత్రి శ్రీనివాస్ రావు 👍🏽 మార్చి 3న సమావేశమయ్యారు. The meeting on March 3 went well.';

appTest(env, 'Telugu with emoji: selections snap to whole clusters and offsets are code points in both exports', async ({ page }) => {
  await pasteDocument(page, TE);
  const doc0 = await page.evaluate(() => window.lede.store.current);
  assert.equal(doc0.lang, 'te');
  assert.equal(doc0.dct, '2025-03-11');

  // Select from inside "శ్రీ" (after its virama) to inside the last cluster of శ్రీనివాస్: snaps to the whole word.
  const word = 'శ్రీనివాస్';
  const w = TE.indexOf(word);
  await selectRange(page, w + 1, w + word.length - 1);
  await page.keyboard.press('1');
  // Select part of the family emoji (one person of the ZWJ sequence): the whole sequence is labelled.
  const fam = '👨‍👩‍👧';
  const f = TE.indexOf(fam);
  await selectRange(page, f + 3, f + 5);
  await page.keyboard.press('4');
  // A selection with spaces around it is trimmed: " రావు " -> "రావు".
  const r = TE.indexOf(' రావు ');
  await selectRange(page, r, r + ' రావు '.length);
  await page.keyboard.press('1');
  await waitIdle(page);

  const shown = await page.$$eval('#text mark.m.start', (ms) => ms.map((m) => [m.dataset.label, m.textContent]));
  assert.ok(shown.some(([l, t]) => l === 'PER' && t === word), JSON.stringify(shown));
  assert.ok(shown.some(([l, t]) => l === 'MISC' && t === fam), JSON.stringify(shown));
  assert.ok(shown.some(([l, t]) => l === 'PER' && t === 'రావు'), JSON.stringify(shown));

  const data = JSON.parse((await download(page, '#export-json')).text);
  checkExport(data);
  const [doc] = data.documents;
  assert.equal(doc.lang, 'te');
  const per = doc.spans.find((s) => s.label === 'PER' && s.text === word);
  assert.ok(per, 'the PER span is exported');
  assert.equal(per.start, Array.from(TE.slice(0, w)).length, 'start in code points');
  assert.equal(per.end - per.start, Array.from(word).length);
  assert.equal(per.source, 'manual');
  assert.equal(per.reviewed, true);
  const misc = doc.spans.find((s) => s.label === 'MISC');
  assert.equal(misc.text, fam);
  assert.equal(misc.end - misc.start, 5, 'three people and two joiners');
  // The dateline date after the Telugu word is found, and it is the document date.
  assert.ok(doc.spans.some((s) => s.label === 'DATE' && s.text === '2025-03-11' && s.value === '2025-03-11'), JSON.stringify(doc.spans));
  assert.equal(doc.dct, '2025-03-11');

  // The corpus JSONL has the same offsets.
  const jsonl = (await download(page, '#export-jsonl')).text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(jsonl.length, 1);
  assert.deepEqual(Object.keys(jsonl[0]), ['id', 'lang', 'dct', 'text', 'spans']);
  assert.deepEqual(jsonl[0].spans, doc.spans.map(({ start, end, label, value }) => (value ? { start, end, label, value } : { start, end, label })));
});

appTest(env, 'markup in a text or a title is shown as text, never run', async ({ page }) => {
  const text = 'Breaking <img src=x onerror="window.__pwned=1"> <b>bold</b> & <script>window.__pwned=2</script> on March 3.';
  await pasteDocument(page, text, { title: '<i onmouseover="window.__pwned=3">title</i>' });
  assert.equal(await page.locator('#text img, #text b, #text script, #doc-list i').count(), 0);
  assert.equal(await page.locator('#text .line').first().textContent(), text);
  assert.equal(await page.locator('#doc-list .title').first().textContent(), '<i onmouseover="window.__pwned=3">title</i>');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
});
