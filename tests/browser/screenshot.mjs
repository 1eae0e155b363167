// Writes www/screenshot.png: the page with the English sample loaded, a few
// spans reviewed and one selected (the README shows it).
//   node tests/browser/screenshot.mjs [OUT.png]

import { join } from 'node:path';
import { WWW, HAVE_PKG, startServer, startBrowser, newPage, openApp, loadSample, waitIdle } from './helpers.mjs';

if (!HAVE_PKG) {
  console.error('www/pkg is not built: run `bash www/build.sh` first');
  process.exit(1);
}
const out = process.argv[2] || join(WWW, 'screenshot.png');
const lang = process.env.SAMPLE || 'en';
const server = await startServer();
const browser = await startBrowser();
try {
  const { page } = await newPage(browser, { viewport: { width: 1440, height: 900 } });
  await openApp(page, server.url);
  await loadSample(page, lang === 'en' ? 'te' : 'en');
  await loadSample(page, lang);
  // Review the first few spans, then select a date so the side panel shows its value and source.
  await page.focus('#text');
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    await page.keyboard.press('a');
  }
  const id = await page.evaluate(() => window.lede.store.current.spans.find((s) => s.label === 'DATE' && !s.reviewed && s.value)?.id);
  if (id) await page.evaluate((x) => window.lede.controls.select(x), id);
  await waitIdle(page);
  await page.evaluate(() => document.activeElement.blur());
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.getElementById('notices').replaceChildren());
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
