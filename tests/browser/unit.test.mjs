// Unit tests of the page's pure modules (offsets, formats, store), run by
// node directly: no browser needed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { codePointsToUtf16, utf16ToCodePoints, codePointLength, snapSelection, looksLikeTimexValue, isIsoDate, widenToWords } from '../../www/text.js';
import { importFile, toCorpusJsonl, toLedeJson, ImportError, tagFilter, toConll } from '../../www/formats.js';
import { Store, overlapIndex } from '../../www/store.js';
import { Persistence } from '../../www/persist.js';

const enc = (s) => new TextEncoder().encode(s);

test('UTF-16 and code-point offsets convert both ways, astral characters included', () => {
  const text = 'a😀b👨‍👩‍👧c';
  // UTF-16: 'a'=0, '😀'=1-2, 'b'=3, family 4..11 (3 astral + 2 ZWJ = 8 units), 'c'=12.
  // Code points: a, 😀, b, three people and two ZWJs, c = 9.
  assert.equal(text.length, 13);
  assert.equal(codePointLength(text), 9);
  assert.deepEqual(utf16ToCodePoints(text, [0, 1, 3, 4, 12, 13]), [0, 1, 2, 3, 8, 9]);
  assert.deepEqual(codePointsToUtf16(text, [0, 1, 2, 3, 8, 9]), [0, 1, 3, 4, 12, 13]);
  assert.deepEqual(codePointsToUtf16(text, [10]), [-1]);
});

test('a selection snaps outwards to grapheme clusters and drops surrounding whitespace', () => {
  const text = 'x  శ్రీనివాస్ 👍🏽 y';
  const s = text.indexOf('శ్రీ');
  // Start inside the conjunct (after the virama), end inside the emoji modifier pair.
  const raw = snapSelection(text, s - 2 + 0, s + 2);
  assert.equal(text.slice(raw.start, raw.end), 'శ్రీ');
  const e = text.indexOf('👍🏽');
  const em = snapSelection(text, e + 1, e + 3);
  assert.equal(text.slice(em.start, em.end), '👍🏽');
  assert.equal(snapSelection(text, 1, 3), null, 'only spaces');
});

test('TIMEX3 values and dates are checked', () => {
  for (const v of ['2025-03-11', '2025-03', '2025', '2025-W11', 'P30D', 'PT2H', 'PRESENT_REF', 'XXXX-03-11', '2025-03-11T10:30', 'T10:30', '2025-Q1', 'P1Y6M', 'BC0300', 'BC05', '2014/2021', '2025-03-25/2025-03-30', 'BC01/BC00', 'XXXX-06/XXXX-07']) assert.ok(looksLikeTimexValue(v), v);
  for (const v of ['March', '2025/03/11', 'P', '30 days', '2025/', 'P3D/P', 'BC']) assert.ok(!looksLikeTimexValue(v), v);
  assert.ok(isIsoDate('2024-02-29'));
  assert.ok(!isIsoDate('2025-02-30'));
  assert.ok(!isIsoDate('11-03-2025'));
});

test('Lede JSON round-trips documents exactly, with code-point offsets', () => {
  // హైదరాబాద్ is 9 code points, then a space, 😀, a space: "March" starts at code point 12.
  const text = 'హైదరాబాద్ 😀 March 3, 2025: Rao met 👨‍👩‍👧 at ORG.';
  const store = new Store();
  const [doc] = store.addDocuments([{ id: 'd1', title: 'T', text, lang: 'te', dct: '2025-03-11', dctSource: 'dateline' }]);
  const at = (s) => [text.indexOf(s), text.indexOf(s) + s.length];
  const [ms, me] = at('March 3');
  store.mergeMachine('d1', [{ start: ms, end: me, label: 'DATE', value: '2025-03-03', source: 'timex:en:month-day' }], { undoable: false });
  const [rs, re] = at('Rao');
  store.addSpan('d1', { start: rs, end: re, label: 'PER' });
  const [fs, fe] = at('👨‍👩‍👧');
  store.addSpan('d1', { start: fs, end: fe, label: 'MISC' });
  const data = toLedeJson(store.documents(), store.labels);
  assert.equal(data.format, 'lede');
  assert.equal(data.version, 1);
  assert.equal(data.offset_unit, 'codepoint');
  const out = data.documents[0];
  for (const s of out.spans) assert.equal(Array.from(out.text).slice(s.start, s.end).join(''), s.text);
  const date = out.spans.find((s) => s.label === 'DATE');
  assert.deepEqual(date, { start: 12, end: 19, label: 'DATE', text: 'March 3', value: '2025-03-03', source: 'timex:en:month-day', reviewed: false });

  const back = importFile('x.json', enc(JSON.stringify(data)));
  const store2 = new Store();
  store2.addDocuments(back.docs);
  const again = toLedeJson(store2.documents(), store.labels);
  delete again.exported_at;
  delete data.exported_at;
  assert.deepEqual(again, data);
});

test('corpus JSONL is one document per line with code-point offsets', () => {
  const store = new Store();
  const text = '😀 May 2';
  store.addDocuments([{ id: 7, text, lang: 'en', dct: null }]);
  store.mergeMachine('7', [{ start: 3, end: 8, label: 'DATE', value: 'XXXX-05-02', source: 'r' }], { undoable: false });
  const lines = toCorpusJsonl(store.documents()).trimEnd().split('\n');
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), { id: '7', lang: 'en', dct: null, text, spans: [{ start: 2, end: 7, label: 'DATE', value: 'XXXX-05-02' }] });
  const back = importFile('c.jsonl', enc(lines.join('\n')));
  assert.equal(back.docs[0].spans[0].start, 3);
});

test('bad files are refused whole with a message that says why', () => {
  const bad = (name, content) => assert.throws(() => importFile(name, typeof content === 'string' ? enc(content) : content), ImportError);
  bad('empty.txt', '');
  bad('blank.txt', '  \n ');
  bad('bin.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
  bad('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
  bad('broken.json', '{"documents": [');
  assert.throws(() => importFile('range.jsonl', enc('{"text":"abc","spans":[{"start":1,"end":9,"label":"PER"}]}')), /out of range/);
  assert.throws(() => importFile('quote.json', enc('{"text":"😀ab","spans":[{"start":1,"end":2,"label":"PER","text":"b"}]}')), /not the text/);
  assert.throws(() => importFile('v.json', enc('{"format":"lede","version":9,"documents":[]}')), /version/);
  assert.throws(() => importFile('d.jsonl', enc('{"text":"a","dct":"2025-02-30"}')), /dct/);
  // One bad line spoils the file; nothing is half-imported.
  assert.throws(() => importFile('mixed.jsonl', enc('{"text":"ok"}\nnot json\n')), /line 2/);
});

test('plain text keeps its exact characters; BOM dropped; UTF-16 with BOM read', () => {
  const r = importFile('a.txt', new Uint8Array([0xef, 0xbb, 0xbf, ...enc('Hi\r\nthere')]));
  assert.equal(r.docs[0].text, 'Hi\r\nthere');
  assert.equal(r.docs[0].title, 'a');
  const u16 = new Uint8Array([0xff, 0xfe, 0x48, 0, 0x69, 0]);
  assert.equal(importFile('b.txt', u16).docs[0].text, 'Hi');
});

test('a re-run replaces only untouched machine spans and keeps corrections', () => {
  const store = new Store();
  const text = 'On March 3 and May 2 and June 9.';
  store.addDocuments([{ id: 'a', text }]);
  const m = (w, v) => ({ start: text.indexOf(w), end: text.indexOf(w) + w.length, label: 'DATE', value: v, source: 'rule' });
  store.mergeMachine('a', [m('March 3', '2025-03-03'), m('May 2', '2025-05-02'), m('June 9', '2025-06-09')], { undoable: false });
  const [march, may, june] = store.docs.get('a').spans;
  store.setValue('a', march.id, '2024-03-03'); // corrected value
  store.removeSpan('a', may.id); // rejected
  store.accept('a', june.id); // accepted, value not typed
  store.mergeMachine('a', [m('March 3', '2026-03-03'), m('May 2', '2026-05-02'), m('June 9', '2026-06-09')], { undoable: true });
  const spans = store.docs.get('a').spans;
  assert.deepEqual(spans.map((s) => [text.slice(s.start, s.end), s.value, s.reviewed]), [
    ['March 3', '2024-03-03', true],
    ['June 9', '2026-06-09', true],
  ]);
  store.undo('a');
  assert.equal(store.docs.get('a').spans.find((s) => s.start === june.start).value, '2025-06-09');
  store.undo('a'); // accept
  store.undo('a'); // remove
  assert.equal(store.docs.get('a').spans.length, 3);
  store.redo('a');
  assert.equal(store.docs.get('a').spans.length, 2);
});

test('a re-run does not add machine spans over reviewed ones, however they overlap', () => {
  const store = new Store();
  const text = 'aaaa bbbb cccc dddd eeee';
  store.addDocuments([{ id: 'o', text, spans: [{ start: 5, end: 9, label: 'PER' }, { start: 15, end: 24, label: 'ORG' }] }]);
  const m = (start, end) => ({ start, end, label: 'LOC', source: 'ner' });
  // Inside, around, crossing the left or the right edge, touching, apart.
  store.mergeMachine('o', [m(6, 8), m(0, 14), m(3, 6), m(8, 12), m(9, 14), m(0, 5), m(10, 12), m(20, 22), m(14, 15)], { undoable: false });
  const added = store.docs.get('o').spans.filter((s) => s.label === 'LOC').map((s) => [s.start, s.end]);
  assert.deepEqual(added, [[0, 5], [9, 14], [10, 12], [14, 15]]);
});

test('the overlap index copies spans already in order, sorts only those that are not, and never shares the caller\'s array', () => {
  const inOrder = [{ start: 0, end: 9 }, { start: 2, end: 4 }, { start: 2, end: 3 }, { start: 12, end: 15 }];
  const idx = overlapIndex(inOrder);
  assert.notEqual(idx.sorted, inOrder, 'a copy');
  assert.deepEqual(idx.sorted, inOrder, 'in the same order');
  assert.deepEqual(idx.maxEnd, [9, 9, 9, 15]);
  // The caller writing into its own array (as mergeMachine does) leaves the index as it was.
  const first = inOrder[0];
  inOrder[0] = { start: 20, end: 30 };
  assert.equal(idx.sorted[0], first);
  inOrder[0] = first;
  const shuffled = [inOrder[3], inOrder[1], inOrder[0], inOrder[2]];
  const again = overlapIndex(shuffled);
  assert.deepEqual(again.sorted.map((s) => s.start), [0, 2, 2, 12]);
  assert.deepEqual(again.maxEnd, [9, 9, 9, 15]);
  assert.deepEqual(shuffled.map((s) => s.start), [12, 2, 0, 2], 'the input is left as it was');
  // A document restored with its spans out of order still keeps machine spans off reviewed ones.
  const store = new Store();
  store.restore({ docs: [{ id: 'r', text: 'aaaa bbbb cccc', spans: [{ id: 's2', start: 10, end: 14, label: 'ORG', reviewed: true }, { id: 's1', start: 0, end: 4, label: 'PER', reviewed: true }], rejected: [] }] });
  store.mergeMachine('r', [{ start: 1, end: 3, label: 'LOC', source: 'ner' }, { start: 5, end: 9, label: 'LOC', source: 'ner' }, { start: 11, end: 12, label: 'LOC', source: 'ner' }], { undoable: false });
  assert.deepEqual(store.docs.get('r').spans.filter((s) => s.label === 'LOC').map((s) => [s.start, s.end]), [[5, 9]]);
});

test('an undo history saved and taken back undoes and redoes the same steps; a damaged or stale one is dropped, never the document', () => {
  const text = 'Rao met Devi in Vizag on Monday.';
  const make = () => {
    const store = new Store();
    store.addDocuments([{ id: 'a', text, dct: '2025-03-11' }]);
    store.mergeMachine('a', [{ start: 0, end: 3, label: 'PER', source: 'ner' }, { start: 16, end: 21, label: 'LOC', source: 'ner' }], { undoable: false });
    store.addSpan('a', { start: 8, end: 12, label: 'PER' });
    store.relabel('a', store.docs.get('a').spans[0].id, 'ORG');
    store.removeSpan('a', store.docs.get('a').spans.find((x) => x.label === 'LOC').id);
    store.undo('a');
    return store;
  };
  const store = make();
  // As storage gives them back: plain data.
  const again = (st) => JSON.parse(JSON.stringify(st));
  const record = again(store.docs.get('a'));
  const saved = again(store.exportHistory('a'));
  assert.equal(saved.spans.length, 4, 'each span once');
  const labels = (st) => st.docs.get('a').spans.map((x) => x.label);
  const restored = (histories, rec = record) => {
    const st = new Store();
    st.restore({ docs: [again(rec)], order: ['a'], histories });
    return st;
  };
  const back = restored([['a', saved]]);
  assert.deepEqual(labels(back), ['ORG', 'PER', 'LOC']);
  assert.equal(back.redo('a'), 'Delete LOC');
  assert.deepEqual(labels(back), ['ORG', 'PER']);
  assert.equal(back.undo('a'), 'Delete LOC');
  assert.equal(back.undo('a'), 'Relabel PER → ORG');
  assert.equal(back.undo('a'), 'Add PER');
  assert.deepEqual(labels(back), ['PER', 'LOC']);
  assert.equal(back.undo('a'), null, 'the machine run was no step');

  // Damaged in many ways: the document comes back as saved, without a history.
  const damaged = [
    null, 'x', { v: 2 }, { ...saved, spans: 'x' }, { ...saved, lists: [[99]] }, { ...saved, undo: [{}] },
    { ...saved, spans: saved.spans.map((x) => ({ ...x, end: 999 })) },
    { ...saved, lists: saved.lists.map((l) => (l.length > 1 && Number.isInteger(l[0]) ? [...l].reverse() : l)) },
  ];
  for (const h of damaged) {
    const st = restored([['a', h]]);
    assert.deepEqual(labels(st), ['ORG', 'PER', 'LOC'], JSON.stringify(h)?.slice(0, 60));
    assert.equal(st.undo('a'), null);
  }
  // A history that does not lead to the saved document (a later change saved without it) is dropped.
  const changed = { ...record, spans: record.spans.slice(1) };
  const stale = restored([['a', saved]], changed);
  assert.equal(stale.docs.get('a').spans.length, 2);
  assert.equal(stale.undo('a'), null);
  // A history of another, unknown document is ignored.
  assert.equal(restored([['zz', saved]]).docs.size, 1);
});

test('a saved undo history is bounded: at most 100 steps, and fewer for a document with many spans', () => {
  const store = new Store();
  const words = Array.from({ length: 3000 }, (_, i) => `w${i}`);
  const text = words.join(' ');
  store.addDocuments([{ id: 'big', text }]);
  let at = 0;
  const many = words.map((w) => { const sp = { start: at, end: at + w.length, label: 'MISC', source: 'ner' }; at += w.length + 1; return sp; });
  store.mergeMachine('big', many, { undoable: false });
  const ids = store.docs.get('big').spans.map((x) => x.id);
  for (let i = 0; i < 150; i++) store.accept('big', ids[i]);
  assert.equal(store.hist('big').undo.length, 150);
  const saved = store.exportHistory('big');
  assert.ok(saved.undo.length < 100 && saved.undo.length >= 5, `${saved.undo.length} steps`);
  assert.ok(saved.lists.reduce((n, l) => n + l.length, 0) < 30_000);
  // The newest steps are the ones kept, and they still undo.
  assert.equal(saved.undo.at(-1).what, 'Accept MISC');
  const st = new Store();
  st.restore({ docs: [JSON.parse(JSON.stringify(store.docs.get('big')))], order: ['big'], histories: [['big', JSON.parse(JSON.stringify(saved))]] });
  assert.equal(st.undo('big'), 'Accept MISC');
  assert.equal(st.docs.get('big').spans.find((x) => x.id === ids[149]).reviewed, false);

  const small = new Store();
  small.addDocuments([{ id: 's', text: 'a b c' }]);
  for (let i = 0; i < 130; i++) small.addSpan('s', { start: 0, end: 1, label: i % 2 ? 'PER' : 'LOC' });
  assert.equal(small.exportHistory('s').undo.length, 100);
});

test('renaming and removing a label rewrite the spans of every document', () => {
  const store = new Store();
  store.addDocuments([
    { id: 'x', text: 'Rao met Devi', spans: [{ start: 0, end: 3, label: 'PER' }, { start: 8, end: 12, label: 'PER' }] },
    { id: 'y', text: 'Devi', spans: [{ start: 0, end: 4, label: 'PER' }] },
  ]);
  assert.deepEqual(store.labelUse('PER'), { spans: 3, docs: 2 });
  assert.ok(store.renameLabel('PER', 'PERSON'));
  assert.ok(!store.renameLabel('ORG', 'PERSON'), 'no two labels share a name');
  assert.deepEqual([...store.docs.values()].flatMap((d) => d.spans.map((s) => s.label)), ['PERSON', 'PERSON', 'PERSON']);
  store.removeLabel('PERSON');
  assert.equal(store.hasLabel('PERSON'), false);
  assert.deepEqual([...store.docs.values()].map((d) => d.spans.length), [0, 0]);
  // The engine's suggestions of a removed label are dropped.
  store.mergeMachine('x', [{ start: 0, end: 3, label: 'PERSON', source: 'ner' }, { start: 8, end: 12, label: 'LOC', source: 'ner' }], { undoable: false });
  assert.deepEqual(store.docs.get('x').spans.map((s) => s.label), ['LOC']);
});

test('an imported span that splits a character cluster is kept, with a warning', () => {
  const text = 'నేను 👍🏽 ok';
  // Code points: న ే న ు (0-3), space (4), 👍 (5), 🏽 (6), space, o, k.
  const r = importFile('w.jsonl', enc(JSON.stringify({ text, spans: [{ start: 0, end: 1, label: 'PER' }, { start: 5, end: 6, label: 'MISC' }, { start: 8, end: 10, label: 'LOC' }] })));
  assert.equal(r.docs[0].spans.length, 3);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /2 spans start or end inside a character cluster/);
  assert.equal(importFile('ok.jsonl', enc(JSON.stringify({ text, spans: [{ start: 0, end: 4, label: 'PER' }] }))).warnings.length, 0);
});

test('word snapping widens an edge inside a word, and only then', () => {
  const text = 'The Hyderabad council met.';
  const s = text.indexOf('derabad');
  assert.deepEqual(widenToWords(text, s, s + 4), { start: 4, end: 13 });
  assert.deepEqual(widenToWords(text, 4, 21), { start: 4, end: 21 }, 'already on word edges');
  const te = 'హైదరాబాద్‌లో మెట్రో';
  const w = widenToWords(te, 2, 4);
  assert.equal(te.slice(w.start, w.end), te.split(' ')[0]);
});

// A stand-in for the page's localStorage; `full` makes every write fail as a full quota does.
class FakeLocalStorage {
  items = new Map();
  full = false;
  get length() { return this.items.size; }
  key(i) { return [...this.items.keys()][i] ?? null; }
  getItem(k) { return this.items.has(k) ? this.items.get(k) : null; }
  setItem(k, v) {
    if (this.full) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
    this.items.set(k, String(v));
  }
  removeItem(k) { this.items.delete(k); }
}

/** A Persistence over a fake localStorage (node has no IndexedDB, so it opens the localStorage backend). */
async function persistence({ ls = new FakeLocalStorage() } = {}) {
  globalThis.localStorage = ls;
  const store = new Store();
  const p = new Persistence(store, { delayMs: 60_000 });
  p.channel?.close();
  p.channel = null;
  const saved = await p.open();
  return { store, p, ls, saved };
}

test('rescue() says whether the unsaved changes are kept: nothing to write, or the copy written', async () => {
  const { store, p, ls } = await persistence();
  assert.equal(p.rescue(), true, 'nothing unsaved');
  store.addDocuments([{ id: 'a', text: 'Alice met Bob.' }]);
  // Behind another tab: nothing is saved but the rescue copy.
  p.setState('conflict', 'behind');
  assert.equal(p.rescue(), true);
  assert.ok([...ls.items.keys()].some((k) => k.startsWith('lede:v1:rescue:')));
  // A copy that cannot be written (full storage) is reported, also when asked again.
  store.addSpan('a', { start: 0, end: 5, label: 'PER' });
  ls.full = true;
  assert.equal(p.rescue(), false, 'the rescue copy could not be written');
  assert.equal(p.rescue(), false, 'still not written');
  ls.full = false;
  store.addSpan('a', { start: 10, end: 13, label: 'PER' });
  assert.equal(p.rescue(), true);
  clearTimeout(p.timer);
});

test('a tab that could not read storage does not save over it, and its rescue copy comes back as copies', async () => {
  const ls = new FakeLocalStorage();
  ls.setItem('lede:v1:doc:a', JSON.stringify({ id: 'a', title: 'Saved', text: 'Saved work.', spans: [], created: 1 }));
  const meta = JSON.stringify({ order: ['a'], currentId: 'a', labels: [{ name: 'ONLY', kind: 'entity', color: '#888888' }], rev: 2 });
  ls.setItem('lede:v1:meta', meta);
  // Reading fails (the probe write of open() works).
  const key = ls.key.bind(ls);
  ls.key = () => { throw new Error('storage is unreadable'); };
  const { store, p, saved } = await persistence({ ls });
  assert.equal(saved, null);
  assert.equal(p.state, 'error');
  let told = 0;
  p.addEventListener('status', () => { told += 1; });
  store.addDocuments([{ id: 'a', text: 'Work of this tab.' }]);
  assert.equal(await p.flush(), false, 'refused');
  assert.equal(await p.flush(), false, 'refused again');
  clearTimeout(p.timer);
  assert.equal(told, 0, 'said once, at the failed load');
  assert.equal(ls.getItem('lede:v1:meta'), meta, 'the saved labels and order are untouched');
  assert.equal(JSON.parse(ls.getItem('lede:v1:doc:a')).text, 'Saved work.');
  assert.ok(p.unsaved, 'the changes stay marked');
  // Its rescue copy is based on nothing: the next start keeps both versions.
  assert.equal(p.rescue(), true);
  clearTimeout(p.timer);
  ls.key = key;
  const next = await persistence({ ls });
  clearTimeout(next.p.timer);
  assert.deepEqual(next.saved.docs.map((d) => [d.id, d.text]).sort(), [['a', 'Saved work.'], ['a-2', 'Work of this tab.']]);
  assert.deepEqual(next.saved.labels.map((l) => l.name), ['ONLY']);
});

test('the BIO export tags every span for "all labels", also one whose label is not in the label set; by kind otherwise', () => {
  const store = new Store();
  const [doc] = store.addDocuments([{ id: 'd', text: 'Alice met Bob on Monday.', spans: [
    { start: 0, end: 5, label: 'PER' },
    { start: 10, end: 13, label: 'GONE' },
    { start: 17, end: 23, label: 'DATE' },
  ] }]);
  assert.equal(store.hasLabel('GONE'), false);
  assert.equal(store.labelKind('DATE'), 'temporal');
  const tags = (want) => {
    const { text, stats } = toConll([doc], { keep: tagFilter(want, (n) => store.labelKind(n)) });
    return { tags: text.split('\n').filter((l) => l.includes('\t') && !l.endsWith('\tO')).map((l) => l.split('\t')[1]), stats };
  };
  const all = tags('all');
  assert.deepEqual(all.tags, ['B-PER', 'B-GONE', 'B-DATE']);
  assert.equal(all.stats.spans, 3, 'nothing left out, nothing uncounted');
  assert.deepEqual(tags('entity').tags, ['B-PER', 'B-GONE'], 'a label not in the set counts as an entity label');
  assert.deepEqual(tags('temporal').tags, ['B-DATE']);
});
