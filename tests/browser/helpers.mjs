// Shared by the browser tests: a small static server for www/ (so a test can
// hide files, e.g. the wasm package, or serve a stand-in engine), one headless
// Chromium per test file and a fresh context (its own storage) per test.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
export const WWW = join(ROOT, 'www');
// The wasm package: www/pkg, or another build of it named by LEDE_PKG.
export const PKG = process.env.LEDE_PKG ? normalize(process.env.LEDE_PKG) : join(WWW, 'pkg');
export const HAVE_PKG = existsSync(join(PKG, 'lede.js')) && existsSync(join(PKG, 'lede_bg.wasm'));
// A stand-in engine that crashes, hangs or dawdles on request (see fake-pkg/lede.js).
export const FAKE_PKG = join(dirname(fileURLToPath(import.meta.url)), 'fake-pkg');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
};

/**
 * Serves www/ on a free loopback port. `hide`: path prefixes answered with
 * 404; `pkg`: another folder served as /pkg/ (a stand-in engine).
 */
export async function startServer({ hide = [], pkg = PKG } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const rel = path === '/' ? '/index.html' : path;
    const file = rel.startsWith('/pkg/') ? normalize(join(pkg, rel.slice(5))) : normalize(join(WWW, rel));
    if (!(file.startsWith(WWW) || file.startsWith(pkg)) || hide.some((h) => rel.startsWith(h))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Debian's Chromium, headless. Playwright gives it a fresh temporary profile;
 * each test then takes a new context (its own, empty storage) from it.
 */
export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}

/** A new context and page; `errors` collects uncaught page errors. */
export async function newPage(browser, { viewport = { width: 1400, height: 900 }, init } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/**
 * Registers before/after hooks for a test file: static servers (the app, the
 * app without its wasm package, the app with the stand-in engine), and a
 * browser. Returns the object they fill in.
 */
export function useApp() {
  const env = {};
  before(async () => {
    assert.ok(HAVE_PKG, 'www/pkg is not built: run `bash www/build.sh` first');
    env.server = await startServer();
    env.noWasm = await startServer({ hide: ['/pkg/'] });
    env.fake = await startServer({ pkg: FAKE_PKG });
    env.browser = await startBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
    await env.noWasm?.close();
    await env.fake?.close();
  });
  return env;
}

/**
 * A test on a fresh page of the app (its own storage), opened and with the
 * engine loaded. Uncaught errors in the page fail the test.
 * opts: init (a function run in the page before its scripts), setup (an async
 * function given the context before the page is opened, e.g. for routes),
 * server ('server', 'noWasm' or 'fake'), engine (the engine status to wait for).
 * fn is given { page, t, context, errors, url }.
 */
export function appTest(env, name, fn, { init, setup, server = 'server', engine = 'ready' } = {}) {
  test(name, async (t) => {
    const { context, page, errors } = await newPage(env.browser, { init });
    try {
      await setup?.(context);
      await openApp(page, env[server].url, { engine });
      await fn({ page, t, context, errors, url: env[server].url });
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } finally {
      await context.close();
    }
  });
}

/** For appTest's setup: the engine's module arrives only after `ms`, at every load (a slow network or device). */
export function slowEngineLoad(ms) {
  return async (context) => {
    await context.route('**/pkg/lede.js', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await route.continue();
    });
  };
}

/** Opens the page and waits until the engine has loaded (or failed). */
export async function openApp(page, url, { engine = 'ready' } = {}) {
  await page.goto(url);
  await waitEngine(page, { engine });
}

/**
 * Waits until the page has started and its engine has the status wanted. After
 * page.reload() this is all there is to do (a second navigation would load the
 * page again and hide what the first load did).
 */
export async function waitEngine(page, { engine = 'ready' } = {}) {
  await page.waitForFunction((want) => window.lede && window.lede.engine.status === want, engine, { timeout: 20000 });
}

/** Loads a sample with its button and waits until it is pre-annotated. */
export async function loadSample(page, lang) {
  const before = await page.evaluate(() => window.lede.store.order.length);
  await page.click(lang === 'te' ? '#load-te' : '#load-en');
  await page.waitForFunction((n) => window.lede.store.order.length > n, before);
  await waitIdle(page);
}

/** Pastes a text as a new document (through the paste form) and waits for pre-annotation. */
export async function pasteDocument(page, text, { title = '' } = {}) {
  await page.click('#new-doc');
  await page.fill('#paste-title', title);
  await page.fill('#paste-text', text);
  await page.click('#paste-add');
  await waitIdle(page);
}

/** Waits until no pre-annotation is running and autosave is done. */
export async function waitIdle(page) {
  await page.waitForFunction(() => {
    const { controls, persist } = window.lede;
    return controls.pre.busy.size === 0 && controls.pre.waiting.size === 0 && !persist.unsaved && persist.state !== 'saving';
  }, null, { timeout: 20000 });
}

/** Clicks a download button and returns the parsed file. */
export async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = await dl.path();
  const text = await readFile(path, 'utf8');
  return { name: dl.suggestedFilename(), text };
}

/** Python-style slice by code points. */
export function cpSlice(text, start, end) {
  return Array.from(text).slice(start, end).join('');
}

/** Selects text[start, end) (UTF-16 offsets) inside the text view, as a mouse drag would. */
export async function selectRange(page, start, end) {
  await page.evaluate(([s, e]) => {
    const view = window.lede.controls.view;
    const root = document.getElementById('text');
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let a = null;
    let b = null;
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const base = view.nodeOffsets.get(t);
      if (base === undefined) continue;
      if (!a && s >= base && s <= base + t.length) a = [t, s - base];
      if (e >= base && e <= base + t.length) { b = [t, e - base]; if (a) break; }
    }
    const r = document.createRange();
    r.setStart(...a);
    r.setEnd(...b);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    root.focus();
  }, [start, end]);
}
