// The wasm boundary: the module the page loads must give exactly the spans
// the native core gives, with offsets converted correctly (UTF-16 in the page,
// code points in the CLI). Offsets are checked by slicing the text: the CLI
// quotes each span; the page's spans carry no quote (the page has the text),
// so their UTF-16 slices must give the CLI's quotes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { utf16ToCodePoints } from '../../www/text.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = path.join(root, 'www/pkg');
const lede = process.env.LEDE_BIN || path.join(root, 'target/release/lede');
const corpus = path.join(root, 'tests/data/boundary.jsonl');

const { initSync, Engine, detectLanguage } = await import(path.join(pkg, 'lede.js'));
initSync({ module: readFileSync(path.join(pkg, 'lede_bg.wasm')) });
const engine = new Engine();

const docs = readFileSync(corpus, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

function nativeSpans() {
  const r = spawnSync(lede, ['annotate', corpus], { encoding: 'utf8' });
  assert.equal(r.status, 0, `lede annotate failed: ${r.stderr}`);
  const byId = new Map();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line);
    byId.set(o.id, o.spans);
  }
  return byId;
}

const native = nativeSpans();

for (const doc of docs) {
  test(`wasm and native agree: ${doc.id}`, () => {
    const lang = doc.lang ?? 'auto';
    const r = engine.annotate(doc.text, lang, doc.dct ?? '');
    const fromNative = native.get(doc.id);
    assert.ok(fromNative, `native output has ${doc.id}`);
    const cps = [...doc.text];
    for (const s of fromNative) {
      assert.equal(cps.slice(s.start, s.end).join(''), s.text, `code-point slice of ${JSON.stringify(s)}`);
    }
    assert.equal(r.spans.length, fromNative.length, JSON.stringify(r.spans));
    const fromWasm = r.spans.map((s, i) => {
      assert.equal(s.text, undefined, 'no quote crosses the boundary');
      // UTF-16 offsets slice the JS string to the CLI's quote.
      const quote = doc.text.slice(s.start, s.end);
      assert.equal(quote, fromNative[i].text, `UTF-16 slice of ${JSON.stringify(s)}`);
      // The page's own conversion to code points, as on export.
      const [start, end] = utf16ToCodePoints(doc.text, [s.start, s.end]);
      return { ...s, start, end, text: quote };
    });
    assert.deepEqual(fromWasm, fromNative);
    assert.ok(fromWasm.length > 0, 'the fixture has something to find');
  });
}

test('offsets past astral characters are converted, not copied', () => {
  const doc = docs.find((d) => d.id === 'emoji');
  const r = engine.annotate(doc.text, 'en', doc.dct);
  const march = r.spans.find((s) => doc.text.slice(s.start, s.end) === 'March 12');
  assert.ok(march, 'March 12 is found');
  // UTF-16 and code-point offsets differ here: the emoji before it are astral.
  assert.notEqual(utf16ToCodePoints(doc.text, [march.start])[0], march.start);
  assert.equal(march.value, '2025-03-12');
});

test('language detection and date errors cross the boundary', () => {
  assert.equal(detectLanguage('హైదరాబాద్ నగరం'), 'te');
  assert.equal(detectLanguage('Hyderabad city'), 'en');
  assert.throws(() => engine.annotate('on March 1', 'en', '2025-02-30'), /not a valid date/);
  const r = engine.annotate('BRUSSELS 1996-08-22 It met on August 20.', 'en', '');
  assert.equal(r.referenceDate, '1996-08-22');
  assert.equal(r.referenceDateSource, 'dateline');
});
