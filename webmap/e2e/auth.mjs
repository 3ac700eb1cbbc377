// The web map against a `tudi serve --auth read` in headless Chromium (run
// by cmd/tudi's browser test):
//
//   node webmap/e2e/auth.mjs BASE_URL VIEWER_TOKEN
//
// The page must ask for a token, say so when a wrong one is refused, and
// with a viewer token draw the map: every tile request carries the token,
// which the tab keeps in sessionStorage only. The last line of stdout is a
// JSON summary; a failed check exits with status 1 and says why on stderr.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node auth.mjs BASE_URL VIEWER_TOKEN');
  process.exit(2);
}
const failures = [];
const fail = (msg) => { failures.push(msg); console.error(`FAIL: ${msg}`); };
const log = (msg) => console.error(`auth: ${msg}`);

const userDataDir = mkdtempSync(join(tmpdir(), 'tudi-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  locale: 'zh-CN',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const summary = { tiles: 0, tilesWithToken: 0 };
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(90_000);
  const tiles = [];
  page.on('response', (resp) => {
    if (/\.mvt(\?|$)/.test(resp.url())) tiles.push({ status: resp.status(), auth: resp.request().headers().authorization || '' });
  });
  const consoleErrors = [];
  page.on('console', (msg) => {
    // The 401s before a token is given are the point of this check.
    if (msg.type() === 'error' && !/status of 401/.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));

  // 1. No token: the page asks for one.
  await page.goto(new URL('/', base).href);
  await page.waitForSelector('#token-dialog[open]');
  if (!(await page.isHidden('#token-refused'))) fail('the first ask says a token was refused');
  log('asked for a token');

  // 2. A wrong token: asked again, saying it was refused.
  await page.fill('#token-input', 'tudi_not-a-token');
  await page.click('#token-dialog button[value="ok"]');
  await page.waitForSelector('#token-dialog[open] #token-refused:not([hidden])');
  const refused = await page.textContent('#token-refused');
  if (!/令牌|token/i.test(refused)) fail(`the refusal says ${JSON.stringify(refused)}`);
  log(`a wrong token: ${refused}`);

  // 3. The viewer's token: the map with its layers and tiles.
  tiles.length = 0;
  await page.fill('#token-input', token);
  await page.click('#token-dialog button[value="ok"]');
  await page.waitForSelector('#layer-list .layer');
  await page.waitForFunction(() => window.map && window.map.loaded() && window.map.areTilesLoaded(), null, { timeout: 120_000 });
  summary.layers = await page.locator('#layer-list .layer').count();
  summary.tiles = tiles.length;
  summary.tilesWithToken = tiles.filter((t) => t.auth === `Bearer ${token}`).length;
  if (!tiles.length) fail('no tile was requested with the token');
  for (const t of tiles) {
    if (t.auth !== `Bearer ${token}`) { fail(`a tile request without the token (${t.auth || 'none'})`); break; }
    if (t.status !== 200 && t.status !== 204) { fail(`a tile answered ${t.status}`); break; }
  }
  if (await page.isVisible('#token-dialog')) fail('the token dialog is still open');
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('tudi.token'), local: localStorage.getItem('tudi.token') }));
  if (stored.session !== token) fail(`sessionStorage holds ${JSON.stringify(stored.session)}`);
  if (stored.local !== null) fail('the token is in localStorage');
  for (const e of consoleErrors) fail(`console: ${e}`);
  log(`${summary.layers} layers, ${summary.tiles} tiles, all with the token`);
} catch (err) {
  fail(`${err.message}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
summary.failures = failures;
console.log(JSON.stringify(summary));
process.exit(failures.length ? 1 : 0);
