// The BIO token exports from the page: the "Download CoNLL (BIO)" and
// "Download JSONL (tokens)" buttons, the label choice, and the message
// that counts spans left out for overlapping.

import assert from 'node:assert/strict';
import { useApp, appTest, pasteDocument, download, cpSlice, selectRange, waitIdle, waitEngine, loadSample } from './helpers.mjs';
import { importFile, toConll, toTokenJsonl } from '../../www/formats.js';

const env = useApp();

const TEXT = 'The University of Hyderabad and మంత్రి శ్రీనివాస్ రావు met 👨‍👩‍👧 in హైదరాబాద్‌లో on March 3. Talks end by April 14.\nNext line';

/** Labels TEXT by hand (keys: 1 PER, 2 ORG, 3 LOC, 4 MISC, 5 DATE); LOC "Hyderabad" lies inside the ORG. */
async function annotateByHand(page) {
  await pasteDocument(page, TEXT, { title: 'Mixed' });
  for (const [quote, key] of [['University of Hyderabad', '2'], ['Hyderabad', '3'], ['శ్రీనివాస్ రావు', '1'], ['👨‍👩‍👧', '4'], ['హైదరాబాద్‌', '3'], ['March 3', '5']]) {
    const at = TEXT.indexOf(quote);
    await selectRange(page, at, at + quote.length);
    await page.keyboard.press(key);
  }
  await waitIdle(page);
  assert.equal(await page.locator('#text mark.m.start').count(), 6);
}

/** CoNLL text from lines written `TOKEN TAG` (the -DOCSTART- line as it is). */
const conllOf = (lines) => lines.map((l) => (l.startsWith('-DOCSTART-') ? l : l.replace(' ', '\t'))).join('\n');

appTest(env, 'CoNLL and token JSONL downloads: BIO tags, a span ending mid-word splits it, the overlap is reported', async ({ page }) => {
  await annotateByHand(page);
  const conll = await download(page, '#export-conll');
  assert.match(conll.name, /^lede-.*\.conll$/);
  assert.equal(conll.text, conllOf([
    '-DOCSTART- -X- O O', '',
    'The O', 'University B-ORG', 'of I-ORG', 'Hyderabad I-ORG', 'and O', 'మంత్రి O', 'శ్రీనివాస్ B-PER', 'రావు I-PER', 'met O',
    '👨‍👩‍👧 B-MISC', 'in O', 'హైదరాబాద్‌ B-LOC', 'లో O', 'on O', 'March B-DATE', '3 I-DATE', '. O', '',
    'Talks O', 'end O', 'by O', 'April O', '14 O', '. O', '',
    'Next O', 'line O', '', '',
  ]));
  // The nested LOC is left out, and the page says so until dismissed.
  const warning = page.locator('#notices .notice.warn').last();
  assert.match(await warning.textContent(), /1 document, 3 sentences, 25 tokens; 5 spans tagged \(PER, ORG, LOC, MISC, DATE, TIME, DURATION, SET\)/);
  assert.match(await warning.textContent(), /1 span left out: BIO tags cannot nest or overlap.*LOC “Hyderabad” inside ORG “University of Hyderabad” \(Mixed\)/);

  const jsonl = await download(page, '#export-tokens');
  assert.match(jsonl.name, /^lede-.*-tokens\.jsonl$/);
  const recs = jsonl.text.trimEnd().split('\n').map((line) => JSON.parse(line));
  const id = await page.evaluate(() => window.lede.store.current.id);
  assert.deepEqual(recs.map((r) => r.id), [`${id}:1`, `${id}:2`, `${id}:3`]);
  const sentences = conll.text.split('\n\n').slice(1, -1).map((s) => s.split('\n').map((l) => l.split('\t')));
  assert.deepEqual(recs.map((r) => r.tokens), sentences.map((s) => s.map(([tok]) => tok)));
  assert.deepEqual(recs.map((r) => r.ner_tags), sentences.map((s) => s.map(([, tag]) => tag)));
  for (const r of recs) {
    assert.equal(r.doc_id, id);
    r.tokens.forEach((tok, i) => assert.equal(cpSlice(TEXT, ...r.offsets[i]), tok, 'code-point offsets'));
  }
  // The family emoji is 5 code points (three people, two joiners).
  const fam = recs[0].tokens.indexOf('👨‍👩‍👧');
  assert.equal(recs[0].offsets[fam][1] - recs[0].offsets[fam][0], 5);

  // Entity labels only: the date is O. Temporal labels only: nothing overlaps, nothing is left out.
  await page.selectOption('#export-tag-labels', 'entity');
  const entities = (await download(page, '#export-conll')).text;
  assert.doesNotMatch(entities, /-DATE/);
  assert.match(entities, /^March\tO$/m);
  assert.match(entities, /^University\tB-ORG$/m);
  await page.selectOption('#export-tag-labels', 'temporal');
  const temporal = (await download(page, '#export-tokens')).text;
  const tags = temporal.trimEnd().split('\n').flatMap((l) => JSON.parse(l).ner_tags);
  assert.deepEqual([...new Set(tags)].sort(), ['B-DATE', 'I-DATE', 'O']);
  const done = page.locator('#notices .notice').last();
  assert.match(await done.textContent(), /-tokens\.jsonl: 1 document, 3 sentences, 25 tokens; 1 span tagged \(DATE, TIME, DURATION, SET\)\.×$/);
  assert.deepEqual(await done.evaluate((n) => n.className), 'notice info');
}, { server: 'noWasm', engine: 'failed' });

appTest(env, 'the token downloads match the Lede JSON download, and follow "only reviewed spans"', async ({ page }) => {
  await loadSample(page, 'en');
  await loadSample(page, 'te');
  const data = JSON.parse((await download(page, '#export-json')).text);
  const { docs } = importFile('lede.json', new TextEncoder().encode(JSON.stringify(data)));
  const options = { labels: data.labels.map((l) => l.name) };
  const conll = await download(page, '#export-conll');
  const expected = toConll(docs, options);
  assert.equal(conll.text, expected.text);
  assert.ok(expected.stats.spans > 10, 'the samples are pre-annotated');
  const counts = `${expected.stats.documents} documents, ${expected.stats.sentences.toLocaleString('en')} sentences, ${expected.stats.tokens.toLocaleString('en')} tokens`;
  assert.ok((await page.locator('#notices .notice').last().textContent()).includes(counts), counts);
  assert.equal((await download(page, '#export-tokens')).text, toTokenJsonl(docs, options).text);

  // The samples' spans are machine suggestions nobody reviewed yet: with "only reviewed spans" every tag is O.
  await page.check('#export-reviewed');
  const reviewed = (await download(page, '#export-conll')).text;
  assert.doesNotMatch(reviewed, /\t[BI]-/);
  assert.equal(reviewed.split('\n').length, conll.text.split('\n').length, 'the same tokens');
  await waitIdle(page);
});

appTest(env, 'the label choice of the BIO exports and "only reviewed spans" are kept across a reload', async ({ page }) => {
  assert.equal(await page.inputValue('#export-tag-labels'), 'all');
  assert.equal(await page.isChecked('#export-reviewed'), false);
  await page.selectOption('#export-tag-labels', 'entity');
  await page.check('#export-reviewed');
  await page.reload();
  await waitEngine(page, { engine: 'failed' });
  assert.equal(await page.inputValue('#export-tag-labels'), 'entity');
  assert.equal(await page.isChecked('#export-reviewed'), true);
  // An unreadable stored value leaves the defaults.
  await page.evaluate(() => localStorage.setItem('lede:v1:export-choices', '{not json'));
  await page.reload();
  await waitEngine(page, { engine: 'failed' });
  assert.equal(await page.inputValue('#export-tag-labels'), 'all');
  assert.equal(await page.isChecked('#export-reviewed'), false);
}, { server: 'noWasm', engine: 'failed' });
