// The browser test of the built docs site (run by .ci/run after `pnpm docs:build`).
//
// Serves .vitepress/dist on 127.0.0.1 with a small static server, opens it in Debian's
// Chromium through playwright-core, visits every page reachable from the home page, and
// fails on any console error, page error, broken internal link (a 404 or a missing
// #anchor) or image that does not load. It also searches with the local search box and
// follows a result, and saves screenshots of the home and guide pages in test-results/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const docsDirectory = fileURLToPath(new URL('../../', import.meta.url));
const distDirectory = join(docsDirectory, '.vitepress', 'dist');
const resultsDirectory = join(docsDirectory, 'test-results');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static server for the built site: `/a/` serves `/a/index.html`; anything else 404s. */
function serve() {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    let file = normalize(join(distDirectory, path));
    if (!file.startsWith(distDirectory)) file = distDirectory; // no escaping the folder
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) && existsSync(`${file}.html`)) file = `${file}.html`;
    if (!existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end(readFileSync(join(distDirectory, '404.html')));
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const failures = [];
const fail = (where, what) => {
  failures.push(`${where}: ${what}`);
  console.log(`  FAIL ${where}: ${what}`);
};

async function main() {
  if (!existsSync(join(distDirectory, 'index.html'))) {
    console.error('no built site in apps/docs/.vitepress/dist: run `pnpm docs:build` first');
    process.exit(1);
  }
  if (!existsSync(executablePath)) {
    console.error(`no Chromium at ${executablePath} (apt-get install -y chromium)`);
    process.exit(1);
  }
  rmSync(resultsDirectory, { recursive: true, force: true });
  mkdirSync(resultsDirectory, { recursive: true });
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = mkdtempSync(join(tmpdir(), 'coro-docs-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const started = Date.now();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let current = '';
    page.on('console', (message) => {
      if (message.type() === 'error') fail(current, `console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => fail(current, `page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.url().startsWith(origin) && response.status() >= 400) {
        fail(current, `${response.status()} for ${response.url().slice(origin.length)}`);
      }
    });

    // Every page reachable from the home page, each visited once.
    const queue = ['/'];
    const seen = new Set(queue);
    const anchors = []; // [page, target, id] for each link with a #fragment
    const idsOf = new Map(); // page → the ids of its elements
    let visited = 0;
    while (queue.length > 0) {
      const path = queue.shift();
      current = path;
      const response = await page.goto(origin + path, { waitUntil: 'load' });
      visited++;
      if (response?.status() !== 200) {
        fail(path, `status ${response?.status()}`);
        continue;
      }
      // Images may still be loading at `load` only if lazy: wait for each to settle.
      await page.waitForFunction(
        () => [...document.images].every((img) => img.complete),
        undefined,
        { timeout: 10_000 },
      );
      const { links, images, ids } = await page.evaluate(() => ({
        ids: [...document.querySelectorAll('[id]')].map((element) => element.id),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
        images: [...document.querySelectorAll('img')].map((img) => ({
          src: img.currentSrc || img.src,
          ok: img.complete && img.naturalWidth > 0,
        })),
      }));
      idsOf.set(path, new Set(ids));
      for (const image of images) if (!image.ok) fail(path, `image did not load: ${image.src}`);
      for (const link of links) {
        const url = new URL(link);
        if (url.origin !== origin) continue;
        if (url.hash) anchors.push([path, url.pathname, decodeURIComponent(url.hash.slice(1))]);
        if (!seen.has(url.pathname)) {
          seen.add(url.pathname);
          queue.push(url.pathname);
        }
      }
    }
    console.log(`visited ${visited} pages`);

    // Every #fragment link points at an element of its target page.
    for (const [from, target, id] of anchors) {
      if (id !== '' && !idsOf.get(target)?.has(id)) fail(from, `broken anchor ${target}#${id}`);
    }
    console.log(`checked ${anchors.length} links with an anchor`);

    // The local search box finds taskGroup and its result leads to a page about it.
    current = '/ (search)';
    await page.goto(`${origin}/`, { waitUntil: 'networkidle' });
    await page.screenshot({ path: join(resultsDirectory, 'home.png'), fullPage: true });
    await page.locator('.VPNavBarSearch button').first().click();
    const input = page.locator('#localsearch-input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('taskGroup');
    const result = page.locator('.VPLocalSearchBox .results a').first();
    await result.waitFor({ state: 'visible', timeout: 10_000 });
    const resultText = ((await result.textContent()) ?? '').replace(/\s+/g, ' ');
    if (!/taskGroup|task group/i.test(resultText)) fail(current, `first result is "${resultText}"`);
    await result.click();
    // The site routes on the client: wait until the new page has rendered, not only loaded.
    await page.waitForURL((url) => url.pathname !== '/', { timeout: 10_000 });
    await page.waitForLoadState('networkidle');
    await page
      .locator('.vp-doc', { hasText: 'taskGroup' })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 })
      .catch(() => {}); // judged below, with the page it did reach
    const body = (await page.locator('.vp-doc').first().textContent()) ?? '';
    if (!body.includes('taskGroup'))
      fail(current, `the result led to ${page.url()}, without taskGroup`);
    console.log(`search: "taskGroup" → ${new URL(page.url()).pathname}`);

    current = '/guide/';
    await page.goto(`${origin}/guide/`, { waitUntil: 'networkidle' });
    await page.screenshot({ path: join(resultsDirectory, 'guide.png'), fullPage: true });
    console.log('screenshots: apps/docs/test-results/home.png, guide.png');
  } finally {
    await context.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`browser test: ${failures.length === 0 ? 'ok' : 'FAILED'} in ${seconds} s`);
  console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
  if (failures.length > 0) process.exit(1);
}

await main();
