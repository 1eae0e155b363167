// Unit tests of the BIO token exports (www/tokens.js and the CoNLL and token
// JSONL writers in www/formats.js), run by node directly: no browser needed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { snapSelection, utf16ToCodePoints } from '../../www/text.js';
import { bioDocument, tokenize } from '../../www/tokens.js';
import { CONLL_DOCSTART, toConll, toTokenJsonl } from '../../www/formats.js';

const cpSlice = (text, start, end) => Array.from(text).slice(start, end).join('');
const words = (text, tokens) => tokens.map((t) => text.slice(t.start, t.end));
/** The tags of some labels in the order FORMAT.md gives for ids: O, then B- and I- of each label. */
const tagNames = (labels) => ['O', ...labels.flatMap((name) => [`B-${name}`, `I-${name}`])];

/** A document with spans given by their text (the n-th occurrence when `nth` is given). */
function docWith(id, text, spans) {
  return {
    id,
    title: id,
    text,
    spans: spans.map(([quote, label, { nth = 0, reviewed = true } = {}]) => {
      let at = -1;
      for (let k = 0; k <= nth; k++) at = text.indexOf(quote, at + 1);
      assert.ok(at >= 0, `${quote} in ${text}`);
      return { start: at, end: at + quote.length, label, reviewed };
    }),
  };
}

/** Reads the token JSONL back: one record a line, every line valid JSON. */
function records(jsonl) {
  assert.ok(jsonl.endsWith('\n'));
  return jsonl.slice(0, -1).split('\n').map((line) => JSON.parse(line));
}

/** Spans decoded from BIO tags, in code points: {start, end, label}. */
function decode(recs) {
  const spans = [];
  for (const r of recs) {
    r.ner_tags.forEach((tag, i) => {
      const [, bi, label] = /^(?:(B|I)-(.+)|O)$/.exec(tag);
      if (bi === 'B') spans.push({ start: r.offsets[i][0], end: r.offsets[i][1], label, doc: r.doc_id });
      if (bi === 'I') spans.at(-1).end = r.offsets[i][1];
    });
  }
  return spans;
}

/**
 * Everything that must hold of any export: tags are valid BIO over the labels
 * asked for; tokens are what their offsets slice, never hold whitespace, tabs
 * or newlines; every span asked for is either tagged exactly (its tokens,
 * taken with the text between them, are its quote) or reported as left out;
 * the CoNLL file carries the same tokens and tags; the options change no
 * token or sentence.
 */
function checkExport(docs, options = {}) {
  const { text: jsonl, stats } = toTokenJsonl(docs, options);
  const recs = records(jsonl);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const allowed = new Set(tagNames(options.labels ?? [...new Set(docs.flatMap((d) => d.spans.map((s) => s.label)))]));
  for (const r of recs) {
    assert.deepEqual(Object.keys(r), ['id', 'doc_id', 'tokens', 'ner_tags', 'offsets']);
    assert.ok(r.tokens.length > 0, 'no empty sentence');
    assert.equal(r.tokens.length, r.ner_tags.length);
    const text = byId.get(r.doc_id).text;
    r.tokens.forEach((tok, i) => {
      assert.equal(cpSlice(text, ...r.offsets[i]), tok, 'a token is the text at its offsets');
      assert.doesNotMatch(tok, /[\s\p{Cc}]/u, 'no whitespace, tab or newline in a token');
      assert.ok(tok.length > 0);
      const tag = r.ner_tags[i];
      assert.ok(allowed.has(tag), `tag ${tag} is one of the labels asked for`);
      if (tag.startsWith('I-')) assert.ok(i > 0 && r.ner_tags[i - 1].slice(2) === tag.slice(2), `${tag} continues a span of its label`);
      if (i > 0) assert.ok(r.offsets[i][0] >= r.offsets[i - 1][1], 'tokens in order, not overlapping');
    });
  }
  // Every span asked for is tagged exactly or counted as left out.
  const tagged = decode(recs);
  const wanted = docs.flatMap((d) => d.spans.filter((s) => (!options.reviewedOnly || s.reviewed) && (!options.labels || options.labels.includes(s.label))).map((s) => ({ d, s })));
  const left = new Set([...stats.overlapping, ...stats.empty].map((o) => o.span));
  assert.equal(tagged.length + left.size, wanted.length, 'no span lost without being counted');
  assert.equal(stats.spans, tagged.length);
  for (const { d, s } of wanted) {
    if (left.has(s)) continue;
    const [start, end] = utf16ToCodePoints(d.text, [s.start, s.end]);
    const t = tagged.find((x) => x.doc === d.id && x.start === start);
    assert.ok(t, `span ${JSON.stringify(d.text.slice(s.start, s.end))} is tagged where it starts`);
    assert.equal(t.end, end, `span ${JSON.stringify(d.text.slice(s.start, s.end))} ends where it ends`);
    assert.equal(t.label, s.label);
    assert.equal(cpSlice(d.text, t.start, t.end), d.text.slice(s.start, s.end), 'its tokens with the text between them are its quote');
  }
  // The CoNLL file: a -DOCSTART- line and a blank line per document, sentences
  // of TOKEN<TAB>TAG lines each followed by a blank line; the same tokens and tags.
  const conll = toConll(docs, options).text;
  const blocks = conll.split(`${CONLL_DOCSTART}\n\n`);
  assert.equal(blocks.shift(), '');
  assert.equal(blocks.length, docs.length);
  const fromConll = blocks.flatMap((b) => (b ? b.replace(/\n\n$/, '').split('\n\n').map((s) => s.split('\n')) : []));
  assert.deepEqual(fromConll, recs.map((r) => r.tokens.map((tok, i) => `${tok}\t${r.ner_tags[i]}`)));
  for (const line of fromConll.flat()) assert.match(line, /^[^\t\n]+\t(O|[BI]-[^\t\n]+)$/);
  // The options change tags only: the same sentences and tokens as with every span tagged.
  const every = records(toTokenJsonl(docs).text);
  assert.deepEqual(recs.map(({ id, tokens, offsets }) => ({ id, tokens, offsets })), every.map(({ id, tokens, offsets }) => ({ id, tokens, offsets })));
  return { recs, stats, conll };
}

test('English: words and punctuation are tokens, numbers keep their inner marks, a span is a run of tokens', () => {
  const text = 'HYDERABAD, March 11, 2025 — Mayor K. Rao said work on the ₹1,200.5-crore plan would begin at 10:30 on 2025-04-14.';
  const doc = docWith('en', text, [['HYDERABAD', 'LOC'], ['March 11, 2025', 'DATE'], ['K. Rao', 'PER'], ['10:30', 'TIME'], ['2025-04-14', 'DATE']]);
  const { recs, stats } = checkExport([doc]);
  assert.equal(recs.length, 1, 'the "." of an initial inside a span ends no sentence');
  assert.deepEqual(recs[0].tokens.slice(0, 14), ['HYDERABAD', ',', 'March', '11', ',', '2025', '—', 'Mayor', 'K', '.', 'Rao', 'said', 'work', 'on']);
  assert.deepEqual(recs[0].ner_tags.slice(0, 11), ['B-LOC', 'O', 'B-DATE', 'I-DATE', 'I-DATE', 'I-DATE', 'O', 'O', 'B-PER', 'I-PER', 'I-PER']);
  assert.ok(recs[0].tokens.includes('1,200.5'), 'digits around , and . stay one token');
  assert.ok(recs[0].tokens.includes('₹'), 'a symbol is a token of its own');
  assert.deepEqual(recs[0].tokens.slice(-4), ['10:30', 'on', '2025-04-14', '.']);
  assert.deepEqual(recs[0].ner_tags.slice(-4), ['B-TIME', 'O', 'B-DATE', 'O']);
  assert.equal(recs[0].id, 'en:1');
  assert.equal(stats.overlapping.length, 0);
});

test('Telugu and emoji: grapheme clusters stay whole, offsets are code points', () => {
  const text = 'మంత్రి శ్రీనివాస్ రావు 👍🏽 హైదరాబాద్‌లో 👨‍👩‍👧 కుటుంబంతో 🇮🇳 జెండా ఎగురవేశారు. ఆయన 1️⃣ రోజు ఉన్నారు';
  const doc = docWith('te', text, [['శ్రీనివాస్ రావు', 'PER'], ['హైదరాబాద్‌', 'LOC'], ['👨‍👩‍👧', 'MISC']]);
  const { recs } = checkExport([doc]);
  assert.equal(recs.length, 2, 'a "." followed by a space ends the sentence');
  const tokens = recs.flatMap((r) => r.tokens);
  for (const whole of ['మంత్రి', 'శ్రీనివాస్', '👍🏽', '👨‍👩‍👧', '🇮🇳', 'ఎగురవేశారు', '1️⃣']) assert.ok(tokens.includes(whole), `${whole} is one token`);
  // The LOC span ends inside the word (before the suffix -లో): the word is split there.
  const i = tokens.indexOf('హైదరాబాద్‌');
  assert.equal(tokens[i + 1], 'లో');
  const tags = recs.flatMap((r) => r.ner_tags);
  assert.deepEqual([tags[i], tags[i + 1]], ['B-LOC', 'O']);
  // Code points: శ్రీనివాస్ starts after మంత్రి (6 code points) and a space.
  assert.deepEqual(recs[0].offsets[1], [7, 17]);
});

test('a span edge inside a word splits it there, even inside a grapheme cluster', () => {
  const text = 'The Hyderabadis cheered; ద్‌లో and 👍🏽.';
  const mid = text.indexOf('ద్‌') + 2; // between the virama and the ZWNJ of one cluster
  const doc = { id: 'd', text, spans: [{ start: 4, end: 13, label: 'LOC', reviewed: true }, { start: mid - 2, end: mid, label: 'X', reviewed: true }, { start: text.indexOf('👍'), end: text.indexOf('👍') + 2, label: 'MISC', reviewed: true }] };
  const { recs } = checkExport([doc]);
  const [r] = recs;
  assert.deepEqual(r.tokens, ['The', 'Hyderabad', 'is', 'cheered', ';', 'ద్', '\u200cలో', 'and', '👍', '🏽', '.']);
  assert.deepEqual(r.ner_tags, ['O', 'B-LOC', 'O', 'O', 'O', 'B-X', 'O', 'O', 'B-MISC', 'O', 'O']);
  assert.deepEqual(words(text, tokenize(text)).slice(0, 2), ['The', 'Hyderabadis'], 'without the span the word is whole');
});

test('overlapping spans: the longer is kept, the others are counted, never dropped silently', () => {
  const text = 'The University of Hyderabad and Osmania University signed on Monday morning.';
  const doc = docWith('o', text, [
    ['Hyderabad', 'LOC'], // inside the ORG
    ['University of Hyderabad', 'ORG'],
    ['Osmania University', 'ORG'],
    ['Osmania', 'LOC'], // inside the second ORG
    ['Monday morning', 'TIME'],
    ['on Monday', 'DATE'], // crosses TIME, shorter
    ['University of', 'MISC'], // inside the first ORG
  ]);
  const { recs, stats } = checkExport([doc]);
  assert.equal(stats.overlapping.length, 4);
  assert.deepEqual(stats.overlapping.map((o) => text.slice(o.span.start, o.span.end)).sort(), ['Hyderabad', 'Osmania', 'University of', 'on Monday']);
  assert.equal(text.slice(stats.overlapping.find((o) => o.span.label === 'DATE').by.start, stats.overlapping.find((o) => o.span.label === 'DATE').by.end), 'Monday morning');
  assert.deepEqual(recs[0].ner_tags, ['O', 'B-ORG', 'I-ORG', 'I-ORG', 'O', 'B-ORG', 'I-ORG', 'O', 'O', 'B-TIME', 'I-TIME', 'O']);
  // Equal length: the one that starts first is kept.
  const tie = docWith('t', 'ab cd ef', [['cd ef', 'B'], ['ab cd', 'A']]);
  const { stats: s2 } = checkExport([tie]);
  assert.deepEqual(s2.overlapping.map((o) => o.span.label), ['B']);
});

test('sentences: at . ! ? before a space and at line breaks, never inside a span', () => {
  const text = 'He said "no." Then he left! Did he? e.g. not yet. Dr. Who came.\nA new line\n\nU.S. Army left';
  const doc = docWith('s', text, [['Dr. Who', 'PER'], ['U.S. Army', 'ORG']]);
  const { recs } = checkExport([doc]);
  assert.deepEqual(recs.map((r) => r.tokens.join(' ')), [
    'He said " no . "', // the closing quote stays with its sentence
    'Then he left !',
    'Did he ? e . g . not yet .', // a lower-case word after "?" goes on
    'Dr . Who came .', // the span keeps "Dr." with "Who"
    'A new line',
    'U . S . Army left',
  ]);
  assert.deepEqual(recs.map((r) => r.id), ['s:1', 's:2', 's:3', 's:4', 's:5', 's:6']);
});

test('options: only some labels, only reviewed spans; the rest are O', () => {
  const text = 'Rao met Reddy in Delhi on May 2.';
  const doc = docWith('p', text, [['Rao', 'PER'], ['Reddy', 'PER', { reviewed: false }], ['Delhi', 'LOC'], ['May 2', 'DATE']]);
  const entities = checkExport([doc], { labels: ['PER', 'ORG', 'LOC', 'MISC'] });
  assert.deepEqual(entities.recs[0].ner_tags, ['B-PER', 'O', 'B-PER', 'O', 'B-LOC', 'O', 'O', 'O', 'O']);
  const reviewed = checkExport([doc], { reviewedOnly: true });
  assert.deepEqual(reviewed.recs[0].ner_tags, ['B-PER', 'O', 'O', 'O', 'B-LOC', 'O', 'B-DATE', 'I-DATE', 'O']);
});

test('whitespace and invisible characters are never tokens; a span of only whitespace is counted', () => {
  const text = 'a\t b\u00a0c\u200bd\r\n\u2028e \u200c f\u0007g';
  assert.deepEqual(words(text, tokenize(text)), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  const doc = { id: 'w', text, spans: [{ start: 1, end: 3, label: 'X', reviewed: true }, { start: 0, end: 1, label: 'Y', reviewed: true }] };
  const { stats, recs } = checkExport([doc]);
  assert.equal(stats.empty.length, 1);
  assert.deepEqual(recs.map((r) => r.tokens), [['a', 'b', 'c', 'd'], ['e', 'f', 'g']], 'CR LF and U+2028 end sentences');
});

test('documents: one -DOCSTART- each in CoNLL, ids per sentence in JSONL', () => {
  const docs = [docWith('a', 'One. Two.', [['One', 'X']]), docWith('b', 'Three', [])];
  const { conll, recs } = checkExport(docs);
  assert.equal(conll, `${CONLL_DOCSTART}\n\nOne\tB-X\n.\tO\n\nTwo\tO\n.\tO\n\n${CONLL_DOCSTART}\n\nThree\tO\n\n`);
  assert.deepEqual(recs.map((r) => [r.id, r.doc_id]), [['a:1', 'a'], ['a:2', 'a'], ['b:1', 'b']]);
});

test('random documents in three scripts keep every span (property test)', () => {
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = ['Rao', 'Hyderabad', 'said', 'the', '2025-03-11', '3.5', 'శ్రీనివాస్', 'హైదరాబాద్‌లో', 'కుటుంబం', '👨‍👩‍👧', '👍🏽', '🇮🇳', ',', '.', '!', '"', '(', ')', ' ', ' ', ' ', '  ', '\n', '\n\n', '\t', 'e\u0301', 'U.S.', "don't"];
  for (let round = 0; round < 150; round++) {
    const docs = [];
    for (let d = 0; d < 2; d++) {
      let text = '';
      const n = 5 + rand(40);
      for (let i = 0; i < n; i++) text += pieces[rand(pieces.length)] + (rand(3) ? ' ' : '');
      const spans = [];
      for (let k = rand(8); k > 0; k--) {
        const a = rand(text.length);
        const s = snapSelection(text, a, a + 1 + rand(15));
        if (s) spans.push({ ...s, label: ['PER', 'LOC', 'DATE'][rand(3)], reviewed: rand(4) > 0 });
      }
      docs.push({ id: `r${round}-${d}`, text, spans });
    }
    checkExport(docs);
    checkExport(docs, { labels: ['PER', 'LOC'], reviewedOnly: true });
  }
});

test('a span of only whitespace does not knock out a real span it overlaps, even when longer', () => {
  const text = 'Alice      met Bob.';
  const real = { start: 0, end: 6, label: 'PER' }; // "Alice " (a trailing space)
  const blank = { start: 5, end: 11, label: 'ORG' }; // six spaces: longer
  const view = bioDocument(text, [real, blank]);
  assert.deepEqual(view.kept, [real]);
  assert.deepEqual(view.empty, [blank]);
  assert.deepEqual(view.overlapping, []);
  assert.equal(view.tokens[0].tag, 'B-PER');
});
