// Editing with the keyboard and the mouse: add, relabel, delete, undo/redo,
// move between spans, edit a value, and find the work (and its undo history)
// again after a reload.

import assert from 'node:assert/strict';
import { useApp, appTest, slowEngineLoad, waitEngine, pasteDocument, selectRange, waitIdle, loadSample } from './helpers.mjs';

const env = useApp();

const TEXT = `NEW DELHI, 2025-03-11 — Finance Minister Lakshmi Reddy met officials of the Reserve Bank on March 3.
A second meeting follows on April 14.`;

const spans = (page) => page.evaluate(() => window.lede.store.current.spans.map((s) => ({ ...s })));
const quote = (s) => TEXT.slice(s.start, s.end);
const at = (w) => [TEXT.indexOf(w), TEXT.indexOf(w) + w.length];

// Spans are checked by id and range, never by global counts: the engine's
// entity model may find more or fewer spans as it improves.
const byId = async (page, id) => (await spans(page)).find((x) => x.id === id);

appTest(env, 'select + key adds a span; undo, redo, relabel and delete work from the keyboard', async ({ page }) => {
  await pasteDocument(page, TEXT);
  const machine = await spans(page);
  assert.ok(machine.some((x) => x.label === 'DATE'), 'the engine found the dates');

  // A ninth label through the label editor: key 9.
  await page.click('#edit-labels');
  await page.fill('#new-label', 'EVENT');
  await page.click('#add-label');
  assert.equal(await page.locator('#labels-rows tr').last().locator('kbd').textContent(), '9');
  await page.click('#labels-dialog button[type="submit"]');
  assert.equal(await page.locator('#legend button[data-label="EVENT"] kbd').textContent(), '9');

  await selectRange(page, ...at('second meeting'));
  await page.keyboard.press('9');
  let s = await spans(page);
  assert.equal(s.length, machine.length + 1);
  const ev = s.find((x) => x.label === 'EVENT');
  assert.equal(quote(ev), 'second meeting');
  assert.equal(ev.source, 'manual');
  assert.equal(await page.locator(`#text mark[data-id="${ev.id}"]`).textContent(), 'second meeting');
  assert.equal(await page.locator(`#text mark[data-id="${ev.id}"]`).getAttribute('data-label'), 'EVENT');
  // The new span is selected and described in the side panel.
  assert.equal(await page.textContent('#span-text'), 'second meeting');
  assert.equal(await page.textContent('#span-source'), 'made by you');
  assert.equal(await page.textContent('#legend button[data-label="EVENT"] .n'), '1');

  await page.keyboard.press('Control+z');
  assert.deepEqual(await spans(page), machine, 'undo removes it');
  assert.equal(await page.locator(`#text mark[data-id="${ev.id}"]`).count(), 0);
  await page.keyboard.press('Control+Shift+z');
  assert.equal((await byId(page, ev.id))?.label, 'EVENT', 'redo brings it back');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+y');
  assert.equal((await byId(page, ev.id))?.label, 'EVENT', 'Ctrl+Y redoes too');

  // Click the span, relabel it with 2 (ORG), delete it.
  await page.keyboard.press('Escape');
  await page.click(`#text mark[data-id="${ev.id}"]`);
  assert.equal(await page.textContent('#span-text'), 'second meeting');
  await page.keyboard.press('2');
  assert.equal((await byId(page, ev.id)).label, 'ORG');
  assert.equal(await page.locator(`#text mark[data-id="${ev.id}"]`).getAttribute('data-label'), 'ORG');
  await page.keyboard.press('Delete');
  assert.equal(await byId(page, ev.id), undefined);
  assert.equal((await spans(page)).length, machine.length);
  assert.equal(await page.locator(`#text mark[data-id="${ev.id}"]`).count(), 0);
  // Undo restores the deleted span with its label.
  await page.keyboard.press('Control+z');
  assert.equal((await byId(page, ev.id)).label, 'ORG');

  // A label key with no selection and no selected span changes nothing.
  await page.keyboard.press('Escape');
  const before = await spans(page);
  await page.keyboard.press('3');
  assert.deepEqual(await spans(page), before);
});

appTest(env, 'Tab moves between spans; Enter edits a date value; Backspace deletes; Accept all reviews the rest', async ({ page }) => {
  await pasteDocument(page, TEXT);
  const all = await spans(page);
  await page.focus('#text');
  await page.keyboard.press('Tab');
  assert.equal(await page.textContent('#span-text'), quote(all[0]));
  await page.keyboard.press('Tab');
  assert.equal(await page.textContent('#span-text'), quote(all[1]));
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.textContent('#span-text'), quote(all[0]));
  assert.equal(await page.locator('#text mark.sel').first().textContent(), quote(all[0]));

  // Tab on to the "March 3" date; Enter focuses its value; a typed value and Enter store it as reviewed.
  const k = all.findIndex((x) => x.label === 'DATE' && quote(x).startsWith('March 3'));
  assert.ok(k >= 0, JSON.stringify(all));
  for (let i = 0; i < k; i++) await page.keyboard.press('Tab');
  assert.equal(await page.textContent('#span-text'), quote(all[k]));
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'span-value');
  await page.fill('#span-value', '2024-03-03');
  await page.keyboard.press('Enter');
  let s = await byId(page, all[k].id);
  assert.equal(s.value, '2024-03-03');
  assert.equal(s.reviewed, true);
  assert.match(await page.textContent('#span-status'), /reviewed/);

  // Backspace deletes the selected span (focus is back in the text).
  await page.keyboard.press('Backspace');
  assert.equal(await byId(page, all[k].id), undefined);
  assert.equal((await spans(page)).length, all.length - 1);

  await page.click('#accept-all');
  s = await spans(page);
  assert.ok(s.every((x) => x.reviewed));
  assert.equal(await page.locator('#text mark.pending').count(), 0);
});

appTest(env, 'changing the document date re-resolves machine values but keeps the spans a person made or corrected', async ({ page }) => {
  await pasteDocument(page, TEXT);
  await selectRange(page, ...at('second meeting'));
  await page.keyboard.press('4');
  // Correct the value of the March 3 date by hand.
  const march = (await spans(page)).find((x) => quote(x).startsWith('March 3'));
  await page.evaluate((id) => window.lede.controls.select(id), march.id);
  await page.fill('#span-value', '1999-03-03');
  await page.keyboard.press('Enter');
  await waitIdle(page);

  await page.fill('#doc-dct', '2030-06-01');
  await page.dispatchEvent('#doc-dct', 'change');
  await page.waitForFunction(() => window.lede.store.current.spans.some((s) => s.value && s.value.startsWith('2030')));
  await waitIdle(page);
  const s = await spans(page);
  assert.ok(s.some((x) => x.label === 'MISC' && quote(x) === 'second meeting' && x.source === 'manual'), 'the hand-made span is kept');
  assert.equal(s.find((x) => quote(x).startsWith('March 3')).value, '1999-03-03', 'the corrected value is kept');
  assert.equal(s.find((x) => quote(x).startsWith('April 14')).value, '2030-04-14', 'an untouched machine value is re-resolved');
  assert.match(await page.textContent('#dct-source'), /set by you/);
  // The date change and its re-run are one undo step (from the text, not the date field).
  await page.focus('#text');
  await page.keyboard.press('Control+z');
  assert.equal((await spans(page)).find((x) => quote(x).startsWith('April 14')).value, '2025-04-14');
  assert.equal(await page.inputValue('#doc-dct'), '2025-03-11');
  assert.match(await page.textContent('#dct-source'), /dateline/);
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await page.inputValue('#doc-dct'), '2030-06-01');
});

appTest(env, 'date changes made while the engine is still loading are one undo step with their re-run', async ({ page }) => {
  await pasteDocument(page, TEXT);
  await page.reload();
  await waitEngine(page, { engine: 'loading' });
  // Two changes before the engine is there: one run, one step back to before the first.
  for (const date of ['2029-01-01', '2030-06-01']) {
    await page.fill('#doc-dct', date);
    await page.dispatchEvent('#doc-dct', 'change');
  }
  assert.equal(await page.evaluate(() => window.lede.engine.status), 'loading');
  await waitEngine(page);
  await waitIdle(page);
  assert.equal((await spans(page)).find((x) => quote(x).startsWith('April 14')).value, '2030-04-14');
  await page.focus('#text');
  await page.keyboard.press('Control+z');
  assert.equal(await page.inputValue('#doc-dct'), '2025-03-11');
  assert.equal((await spans(page)).find((x) => quote(x).startsWith('April 14')).value, '2025-04-14');
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await page.inputValue('#doc-dct'), '2030-06-01');
}, { setup: slowEngineLoad(2000) });

appTest(env, 'a date change that overtakes the run of the one before is one undo step back to before both', async ({ page }) => {
  await pasteDocument(page, TEXT);
  await waitIdle(page);
  // Both changes in one task: the first run is still in flight when the
  // second starts and overtakes it.
  await page.evaluate(() => {
    const field = document.getElementById('doc-dct');
    for (const date of ['2029-01-01', '2030-06-01']) {
      field.value = date;
      field.dispatchEvent(new Event('change'));
    }
  });
  await page.waitForFunction(() => window.lede.store.current.spans.some((s) => s.value && s.value.startsWith('2030')));
  await waitIdle(page);
  await page.focus('#text');
  await page.keyboard.press('Control+z');
  assert.equal(await page.inputValue('#doc-dct'), '2025-03-11');
  assert.equal((await spans(page)).find((x) => quote(x).startsWith('April 14')).value, '2025-04-14');
});

appTest(env, 'work survives a reload: documents, spans, corrections, labels and the current document', async ({ page }) => {
  await loadSample(page, 'en');
  await pasteDocument(page, TEXT, { title: 'Second' });
  await selectRange(page, ...at('second meeting'));
  await page.keyboard.press('4');
  await page.evaluate(() => window.lede.store.addLabel('EVENT'));
  await waitIdle(page);
  assert.equal(await page.textContent('#save-status'), 'All changes saved');
  const beforeState = await page.evaluate(() => ({ docs: window.lede.store.documents().map((d) => ({ id: d.id, title: d.title, text: d.text, dct: d.dct, spans: d.spans })), current: window.lede.store.currentId }));

  await page.reload();
  await waitEngine(page);
  await waitIdle(page);
  const afterState = await page.evaluate(() => ({ docs: window.lede.store.documents().map((d) => ({ id: d.id, title: d.title, text: d.text, dct: d.dct, spans: d.spans })), current: window.lede.store.currentId }));
  assert.deepEqual(afterState, beforeState);
  assert.equal(await page.locator('#doc-list li').count(), 2);
  const misc = afterState.docs[1].spans.find((x) => x.label === 'MISC' && x.source === 'manual');
  assert.equal(await page.locator(`#text mark[data-id="${misc.id}"]`).textContent(), 'second meeting');
  assert.equal(await page.locator('#legend button[data-label="EVENT"]').count(), 1);
  assert.equal(await page.inputValue('#doc-title'), 'Second');

  // A label renamed in the editor renames its spans, and stays renamed.
  await page.click('#edit-labels');
  await page.fill('#labels-rows input[aria-label="Name of MISC"]', 'OTHER');
  await page.dispatchEvent('#labels-rows input[aria-label="Name of OTHER"], #labels-rows input[aria-label="Name of MISC"]', 'change');
  await page.click('#labels-dialog button[type="submit"]');
  assert.equal(await page.locator(`#text mark[data-id="${misc.id}"]`).getAttribute('data-label'), 'OTHER');
  // An edit followed at once by a reload (no time for the debounced save) is not lost.
  await page.focus('#text');
  await page.keyboard.press('Tab');
  const tabbed = await page.evaluate(() => window.lede.controls.selected);
  await page.keyboard.press('Delete');
  await page.reload();
  await waitEngine(page);
  const last = await page.evaluate(() => window.lede.store.current.spans);
  assert.equal(last.find((x) => x.id === tabbed), undefined, 'the deletion survived');
  assert.equal(last.find((x) => x.id === misc.id).label, 'OTHER');
  assert.equal(await page.locator('#legend button[data-label="OTHER"]').count(), 1);
  assert.equal(await page.locator('#legend button[data-label="MISC"]').count(), 0);
});

// Counts the writes of the rescue copy in sessionStorage, which outlives a reload of the tab.
function countRescues() {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function counted(k, v) {
    if (this === localStorage && k.startsWith('lede:v1:rescue')) setItem.call(sessionStorage, 'rescues', String(Number(sessionStorage.getItem('rescues')) + 1));
    return setItem.call(this, k, v);
  };
}

appTest(env, 'leaving the page with changes unsaved writes the rescue copy once, and again after an unload that did not happen', async ({ page }) => {
  await pasteDocument(page, TEXT);
  const rescues = () => page.evaluate(() => Number(sessionStorage.getItem('rescues')));
  // From now on a save never finishes (a slow disk): the changes stay unsaved.
  await page.evaluate(() => { window.lede.persist.backend.save = () => new Promise(() => {}); });
  await selectRange(page, ...at('second meeting'));
  await page.keyboard.press('4');
  await page.waitForFunction(() => Boolean(window.lede.persist.running));
  await selectRange(page, ...at('officials'));
  await page.keyboard.press('4');
  // beforeunload and pagehide, as a closing tab fires them: one copy.
  await page.evaluate(() => { dispatchEvent(new Event('beforeunload')); dispatchEvent(new Event('pagehide')); });
  assert.equal(await rescues(), 1);
  // The page did not go after all; a later edit is rescued by whichever event comes.
  await selectRange(page, ...at('follows'));
  await page.keyboard.press('4');
  await page.evaluate(() => dispatchEvent(new Event('pagehide')));
  assert.equal(await rescues(), 2);
  await page.evaluate(() => dispatchEvent(new Event('beforeunload')));
  assert.equal(await rescues(), 2);
  // A real reload with nothing new: no copy written, and all three edits come back.
  await page.reload();
  await waitEngine(page);
  assert.equal(await rescues(), 2);
  const misc = (await spans(page)).filter((x) => x.label === 'MISC').map(quote);
  assert.deepEqual(misc, ['officials', 'second meeting', 'follows']);
}, { init: countRescues });

appTest(env, 'an edit whose save is still being written when the page goes is rescued too', async ({ page }) => {
  await pasteDocument(page, TEXT);
  // From now on a save never finishes (a slow disk, or one cut off by the unload).
  await page.evaluate(() => { window.lede.persist.backend.save = () => new Promise(() => {}); });
  await selectRange(page, ...at('officials'));
  await page.keyboard.press('4');
  await page.waitForFunction(() => Boolean(window.lede.persist.running) && !window.lede.persist.unsaved);
  await page.reload();
  await waitEngine(page);
  assert.deepEqual((await spans(page)).filter((x) => x.label === 'MISC').map(quote), ['officials']);
});

appTest(env, 'undo and redo go on after a reload; a damaged saved history still restores the annotations', async ({ page }) => {
  await pasteDocument(page, TEXT);
  await selectRange(page, ...at('second meeting'));
  await page.keyboard.press('4');
  await selectRange(page, ...at('officials'));
  await page.keyboard.press('4');
  await waitIdle(page);
  const miscs = async () => (await spans(page)).filter((x) => x.label === 'MISC').map(quote);
  await page.reload();
  await waitEngine(page);
  assert.equal(await page.getAttribute('#undo', 'title'), 'Undo: Add MISC (Ctrl+Z)');
  await page.focus('#text');
  await page.keyboard.press('Control+z');
  assert.deepEqual(await miscs(), ['second meeting']);
  await page.keyboard.press('Control+z');
  assert.deepEqual(await miscs(), []);
  await page.keyboard.press('Control+Shift+z');
  assert.deepEqual(await miscs(), ['second meeting']);
  await waitIdle(page);
  // The saved history made unreadable: the annotations come back, with nothing to undo.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('lede');
    req.onsuccess = () => {
      const tx = req.result.transaction('meta', 'readwrite');
      tx.objectStore('meta').put({ v: 1, spans: [{ id: 1 }], lists: 'x', undo: [{ what: 5 }] }, `history:${window.lede.store.currentId}`);
      tx.oncomplete = () => { req.result.close(); resolve(); };
      tx.onabort = () => reject(tx.error);
    };
    req.onerror = () => reject(req.error);
  }));
  await page.reload();
  await waitEngine(page);
  assert.deepEqual(await miscs(), ['second meeting']);
  assert.equal(await page.isDisabled('#undo'), true);
});

appTest(env, 'review flow: N jumps to unreviewed spans, A accepts, Alt+arrows switch documents, Ctrl+Enter marks done and moves on', async ({ page }) => {
  await pasteDocument(page, TEXT, { title: 'One' });
  await pasteDocument(page, TEXT.replace('NEW DELHI', 'CHENNAI'), { title: 'Two' });
  await page.focus('#text');
  const pending = (await spans(page)).filter((x) => !x.reviewed);
  assert.ok(pending.length >= 2);
  await page.keyboard.press('n');
  assert.equal(await page.evaluate(() => window.lede.controls.selected), pending[0].id);
  await page.keyboard.press('a');
  assert.equal((await byId(page, pending[0].id)).reviewed, true);
  assert.equal(await page.evaluate(() => window.lede.controls.selected), pending[1].id, 'A moves on to the next unreviewed span');
  await page.keyboard.press('Shift+n');
  const back = await page.evaluate(() => window.lede.controls.selected);
  assert.notEqual(back, pending[0].id, 'accepted spans are skipped');

  await page.keyboard.press('Alt+ArrowUp');
  assert.equal(await page.inputValue('#doc-title'), 'One');
  await page.keyboard.press('Alt+ArrowDown');
  assert.equal(await page.inputValue('#doc-title'), 'Two');
  await page.focus('#text');
  await page.keyboard.press('Control+Enter');
  assert.equal(await page.inputValue('#doc-title'), 'One', 'the next document still to do');
  assert.equal(await page.locator('#doc-list li .done').count(), 1);
});

appTest(env, 'hiding a label in the legend hides its highlights and Tab skips its spans; the spans stay', async ({ page }) => {
  await pasteDocument(page, TEXT);
  const dates = (await spans(page)).filter((x) => x.label === 'DATE');
  assert.ok(dates.length >= 2);
  await page.click('#legend button[data-toggle="DATE"]');
  assert.equal(await page.getAttribute('#legend button[data-toggle="DATE"]', 'aria-pressed'), 'false');
  for (const d of dates) assert.match(await page.getAttribute(`#text mark[data-id="${d.id}"]`, 'class'), /\boff\b/);
  await page.focus('#text');
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    const sel = await page.evaluate(() => window.lede.controls.selected);
    assert.ok(!dates.some((d) => d.id === sel), 'a hidden span was selected by Tab');
  }
  assert.equal((await spans(page)).filter((x) => x.label === 'DATE').length, dates.length);
  await page.click('#legend button[data-toggle="DATE"]');
  assert.doesNotMatch(await page.getAttribute(`#text mark[data-id="${dates[0].id}"]`, 'class'), /\boff\b/);
});

appTest(env, 'deleting a document asks first, and the notice can undo it', async ({ page }) => {
  await pasteDocument(page, TEXT, { title: 'First' });
  await pasteDocument(page, TEXT, { title: 'Second' });
  await pasteDocument(page, TEXT, { title: 'Third' });
  await page.click('#doc-list li:nth-child(2) button');
  const before = await page.evaluate(() => window.lede.store.current);
  page.once('dialog', (d) => d.dismiss());
  await page.click('#delete-doc');
  assert.equal(await page.locator('#doc-list li').count(), 3, 'dismissed: nothing deleted');
  page.once('dialog', (d) => d.accept());
  await page.click('#delete-doc');
  assert.deepEqual(await page.$$eval('#doc-list .title', (ts) => ts.map((t) => t.textContent)), ['First', 'Third']);
  await page.click('#notices .notice button:has-text("Undo")');
  assert.deepEqual(await page.$$eval('#doc-list .title', (ts) => ts.map((t) => t.textContent)), ['First', 'Second', 'Third']);
  const back = await page.evaluate(() => window.lede.store.current);
  assert.deepEqual({ ...back, created: 0 }, { ...before, created: 0 });
  await waitIdle(page);
  await page.reload();
  await waitEngine(page);
  assert.deepEqual(await page.$$eval('#doc-list .title', (ts) => ts.map((t) => t.textContent)), ['First', 'Second', 'Third']);
});

appTest(env, '"snap selections to whole words": a sloppy selection takes whole words, and the choice is remembered', async ({ page }) => {
  await pasteDocument(page, TEXT);
  const [a] = at('officials');
  // Off (the default): the selection is kept as made (grapheme-snapped only).
  await selectRange(page, a + 2, a + 5);
  await page.keyboard.press('4');
  let misc = (await spans(page)).filter((x) => x.label === 'MISC').map(quote);
  assert.deepEqual(misc, ['fic']);
  await page.keyboard.press('Control+z');
  await page.check('#snap-words');
  await selectRange(page, a + 2, a + 5);
  await page.keyboard.press('4');
  misc = (await spans(page)).filter((x) => x.label === 'MISC').map(quote);
  assert.deepEqual(misc, ['officials']);
  await waitIdle(page);
  await page.reload();
  await waitEngine(page);
  assert.equal(await page.isChecked('#snap-words'), true);
});
