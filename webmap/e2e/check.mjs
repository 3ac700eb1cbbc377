// End-to-end check of the web map in headless Chromium (Debian's chromium,
// driven by playwright-core). Run by cmd/tudi's browser test:
//
//   node webmap/e2e/check.mjs BASE_URL OUTDIR
//
// It opens the page, waits for the map to be idle (and breaks the time down:
// page, MapLibre, style, map, tiles, first idle), checks that tiles were
// drawn, that no request left the machine and no console error occurred,
// clicks a parcel and looks for its code in the identify panel (which must
// follow the language switch), runs a report (land use by class) and looks
// for one of its figures in the page, runs it again for one sub-district
// (the server's figures, and downloads for that sub-district), has an
// import refused for a wrong token, switches to English and checks that what
// was drawn before follows, and writes screenshots into OUTDIR. The last
// line of stdout is a JSON summary; any failed check exits with status 1 and
// says why on stderr.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node check.mjs BASE_URL OUTDIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const failures = [];
const fail = (msg) => { failures.push(msg); console.error(`FAIL: ${msg}`); };
const log = (msg) => console.error(`check: ${msg}`);

async function getJSON(path) {
  const resp = await fetch(new URL(path, base));
  if (!resp.ok) throw new Error(`GET ${path}: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

// interiorPoint returns a point inside a GeoJSON polygon: the centroid of
// its outer ring when inside, else the inside grid point nearest to it.
function interiorPoint(geom) {
  const ring = geom.type === 'MultiPolygon' ? geom.coordinates[0][0] : geom.coordinates[0];
  const inside = ([x, y]) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c;
  };
  let a = 0, cx = 0, cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    a += f; cx += (x0 + x1) * f; cy += (y0 + y1) * f;
  }
  const c = [cx / (3 * a), cy / (3 * a)];
  if (inside(c)) return c;
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let best = null;
  for (let i = 1; i < 30; i++) {
    for (let j = 1; j < 30; j++) {
      const p = [x0 + ((x1 - x0) * i) / 30, y0 + ((y1 - y0) * j) / 30];
      const d = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2;
      if (inside(p) && (!best || d < best.d)) best = { p, d };
    }
  }
  return best ? best.p : c;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'tudi-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1440, height: 900 },
  deviceScaleFactor: 1,
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
  args: [
    '--no-sandbox',
    // MapLibre 6 needs WebGL2: SwiftShader provides it without a GPU.
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
const summary = {};
try {
  const page = context.pages()[0] || await context.newPage();
  const requests = [];
  const offMachine = [];
  const consoleErrors = [];
  const failed = [];
  context.on('request', (req) => {
    const url = req.url();
    requests.push(url);
    const u = new URL(url);
    if (!['data:', 'blob:'].includes(u.protocol) && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) offMachine.push(url);
  });
  context.on('requestfailed', (req) => failed.push(`${req.url()}: ${req.failure()?.errorText}`));
  // When each vector tile was asked for and came in (epoch ms), for the
  // first view's breakdown.
  const tileTimes = [];
  context.on('requestfinished', (req) => {
    if (!/\.mvt(\?|$)/.test(req.url())) return;
    const tm = req.timing();
    tileTimes.push({ start: tm.startTime, end: tm.startTime + tm.responseEnd });
  });
  // The browser reports the refused import below (401) on the console; that
  // one is expected.
  let refusing = false;
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !(refusing && /status of 401/.test(msg.text()))) consoleErrors.push(msg.text());
    if (['error', 'warning'].includes(msg.type())) log(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.setDefaultTimeout(60_000);

  // 1. First view: the whole district, drawn.
  await page.goto(new URL('/', base).href);
  await page.waitForFunction(() => window.map && window.tudiTiming && window.tudiTiming.firstIdleMs, null, { timeout: 90_000 });
  const timing = await page.evaluate(() => window.tudiTiming);
  summary.firstIdleMs = timing.firstIdleMs;
  // Where the time went, in ms from navigation start: the page's own marks
  // (window.tudiTiming), navigation and resource timing, and the tiles the
  // first view asked for.
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    const lib = performance.getEntriesByName(new URL('vendor/maplibre-gl.mjs', location.href).href)[0];
    return { origin: performance.timeOrigin, html: n.responseEnd, dcl: n.domContentLoadedEventEnd, lib: lib ? lib.responseEnd : null };
  });
  const firstTiles = tileTimes.map((x) => ({ start: x.start - nav.origin, end: x.end - nav.origin })).filter((x) => x.start <= timing.firstIdleMs);
  const ms = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
  summary.firstView = {
    htmlMs: ms(nav.html),
    maplibreMs: ms(nav.lib),
    domContentLoadedMs: ms(nav.dcl),
    styleMs: ms(timing.styleMs),
    mapCreatedMs: ms(timing.mapCreatedMs),
    tiles: firstTiles.length,
    tilesRequestedMs: firstTiles.length ? ms(Math.min(...firstTiles.map((x) => x.start))) : null,
    tilesReceivedMs: firstTiles.length ? ms(Math.max(...firstTiles.map((x) => x.end))) : null,
    mapLoadMs: ms(timing.mapLoadMs),
    firstIdleMs: ms(timing.firstIdleMs),
  };
  log(`first idle ${timing.firstIdleMs} ms after navigation: ${JSON.stringify(summary.firstView)}`);
  if (!firstTiles.length) fail('the first view asked for no vector tiles');
  const webgl2 = await page.evaluate(() => window.map.getCanvas().getContext('webgl2') !== null);
  if (!webgl2) fail('the map canvas has no WebGL2 context');
  // Read the canvas inside MapLibre's render event, while the frame's
  // drawing buffer is still intact (the map does not preserve it).
  const pixels = await page.evaluate(() => new Promise((resolve) => {
    const map = window.map;
    map.once('render', () => {
      const src = map.getCanvas();
      const c = document.createElement('canvas');
      c.width = 400; c.height = Math.round((400 * src.height) / src.width);
      const ctx = c.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(src, 0, 0, c.width, c.height);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const counts = new Map();
      for (let i = 0; i < d.length; i += 4) {
        const k = `${d[i] >> 3},${d[i + 1] >> 3},${d[i + 2] >> 3}`;
        counts.set(k, (counts.get(k) || 0) + 1);
      }
      const total = d.length / 4;
      const top = Math.max(...counts.values());
      resolve({ colors: counts.size, drawnFraction: 1 - top / total });
    });
    map.triggerRepaint();
  }));
  summary.canvas = pixels;
  log(`canvas: ${pixels.colors} colours, ${(pixels.drawnFraction * 100).toFixed(1)}% not background`);
  if (pixels.colors < 8 || pixels.drawnFraction < 0.1) fail(`the map looks blank: ${JSON.stringify(pixels)}`);
  const rendered = await page.evaluate(() => window.map.queryRenderedFeatures().length);
  summary.renderedFeatures = rendered;
  if (rendered < 50) fail(`only ${rendered} features rendered in the first view`);
  // Labels come after the first view; wait for them before the screenshot.
  await page.waitForFunction(() => window.tudiTiming.labelledMs, null, { timeout: 30_000 });
  await page.screenshot({ path: join(outDir, 'map.png') });
  const firstView = await page.evaluate(() => ({ center: window.map.getCenter().toArray(), zoom: window.map.getZoom() }));

  // 2. Click a parcel and find its code in the identify panel.
  // The parcel nearest the middle of the district (of the first 1000), so the
  // screenshot shows it among its neighbours.
  const cat = await getJSON('/tiles');
  const pb = (cat.layers.find((l) => l.name === 'parcels') || {}).bounds;
  const mid = pb ? [(pb[0] + pb[2]) / 2, (pb[1] + pb[3]) / 2] : [0, 0];
  const parcels = await getJSON('/ogc/collections/parcels/items?limit=1000');
  let parcel = null;
  let best = Infinity;
  for (const f of parcels.features) {
    if (!f.properties.code || !/Polygon/.test(f.geometry.type)) continue;
    const [x, y] = interiorPoint(f.geometry);
    const d = (x - mid[0]) ** 2 + (y - mid[1]) ** 2;
    if (d < best) { best = d; parcel = f; }
  }
  if (!parcel) throw new Error('no parcel with a code in /ogc/collections/parcels/items');
  const code = parcel.properties.code;
  const [lon, lat] = interiorPoint(parcel.geometry);
  summary.parcel = { code, lon, lat };
  await page.evaluate(([lon, lat]) => new Promise((r) => {
    window.map.once('idle', r);
    window.map.jumpTo({ center: [lon, lat], zoom: 16.6 });
  }), [lon, lat]);
  const pt = await page.evaluate(([lon, lat]) => {
    const p = window.map.project([lon, lat]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [lon, lat]);
  await page.mouse.click(pt.x, pt.y);
  try {
    await page.waitForFunction((code) => {
      const el = document.querySelector('#identify .body');
      return el && !document.querySelector('#identify').hidden && el.textContent.includes(code);
    }, code, { timeout: 30_000 });
    log(`identify panel shows parcel ${code}`);
  } catch {
    fail(`the identify panel does not show parcel ${code}: ${await page.textContent('#identify').catch(() => '')}`);
  }
  await page.mouse.move(5, 5); // off the map: no hover tip in the screenshot
  await page.evaluate(() => new Promise((r) => (window.map.loaded() ? r() : window.map.once('idle', r))));
  await page.screenshot({ path: join(outDir, 'identify.png') });
  // The open panel follows the language switch, and back.
  const areaLabel = () => page.textContent('#identify .body tr.area th').catch(() => '');
  await page.click('.lang [data-lang="en"]');
  if ((await areaLabel()).trim() !== 'Area') fail(`the identify panel stayed in Chinese after the EN switch: area row ${JSON.stringify(await areaLabel())}`);
  if (!(await page.textContent('#identify .body')).includes(code)) fail('the identify panel lost its parcel on the EN switch');
  await page.click('.lang [data-lang="zh-CN"]');
  if ((await areaLabel()).trim() !== '面积') fail(`the identify panel did not come back to Chinese: area row ${JSON.stringify(await areaLabel())}`);

  // 3. Run a report and find one of its figures in the page.
  await page.click('#identify .close');
  await page.evaluate((v) => new Promise((r) => { window.map.once('idle', r); window.map.jumpTo(v); }), firstView);
  await page.click('.tabs [data-tab="reports"]');
  await page.waitForFunction(() => document.querySelectorAll('#report-name option[value]:not([value=""])').length > 0);
  const reportName = await page.evaluate(() => {
    const names = [...document.querySelectorAll('#report-name option')].map((o) => o.value);
    return names.includes('land-use-summary') ? 'land-use-summary' : names[0];
  });
  await page.selectOption('#report-name', reportName);
  const groups = await page.evaluate(() => [...document.querySelectorAll('#report-group option')].map((o) => o.value));
  const wanted = ['class', 'street'].find((g) => groups.includes(g));
  if (wanted) await page.selectOption('#report-group', wanted);
  const group = await page.inputValue('#report-group');
  await page.click('#btn-run-report');
  await page.waitForSelector('#report-view:not([hidden]) table.grid tbody tr', { timeout: 60_000 });
  await page.waitForSelector('#report-view .chart-canvas canvas', { timeout: 30_000 });
  const rep = await getJSON(`/api/reports/${reportName}?format=json&group=${group}`);
  const cols = rep.columns || [];
  const rows = (rep.rows || []).map((r) => (Array.isArray(r) ? Object.fromEntries(cols.map((c, i) => [c.key, r[i]])) : r));
  const numeric = cols.filter((c) => rows.some((r) => typeof r[c.key] === 'number'));
  // A figure the page must show: the first positive total, else the first
  // positive number of a row, formatted as the page formats it.
  let figure, col;
  for (const c of numeric) {
    const v = rep.totals && rep.totals[c.key];
    if (typeof v === 'number' && v > 0) { figure = v; col = c; break; }
  }
  for (const r of rows) {
    if (figure !== undefined) break;
    col = numeric.find((c) => typeof r[c.key] === 'number' && r[c.key] > 0);
    if (col) figure = r[col.key];
  }
  if (figure === undefined) {
    fail(`report ${reportName} has no positive figure: ${JSON.stringify(rep).slice(0, 300)}`);
  } else {
    const shown = figure.toLocaleString('zh-CN', { maximumFractionDigits: col.decimals ?? (Number.isInteger(figure) ? 0 : 2) });
    const text = await page.textContent('#report-view');
    summary.report = { name: reportName, group, figure, shown };
    if (!text.includes(shown)) fail(`report ${reportName}: the page does not show ${shown} (${figure})`);
    else log(`report ${reportName} by ${group} shows ${shown}`);
  }
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(outDir, 'report.png') });

  // 3b. The same report for one sub-district: the filter lists the server's
  // sub-districts, the figures are the server's for that one, and the
  // downloads ask for it too.
  const listed = await getJSON('/api/reports');
  const options = await page.evaluate(() => [...document.querySelectorAll('#report-street option')].map((o) => o.value).filter(Boolean));
  if (JSON.stringify(options) !== JSON.stringify(listed.streets || [])) fail(`the sub-district filter lists ${JSON.stringify(options)}, the server ${JSON.stringify(listed.streets)}`);
  if (options.length) {
    const street = options[0];
    await page.selectOption('#report-street', street);
    await page.click('#btn-run-report');
    await page.waitForFunction((s) => document.querySelector('#report-view .title').textContent.includes(s), street, { timeout: 60_000 });
    const one = await getJSON(`/api/reports/${reportName}?format=json&group=${group}&street=${encodeURIComponent(street)}`);
    const total = one.totals && col && one.totals[col.key];
    if (typeof total === 'number') {
      const shownOne = total.toLocaleString('zh-CN', { maximumFractionDigits: col.decimals ?? (Number.isInteger(total) ? 0 : 2) });
      const footer = await page.textContent('#report-view table.grid tfoot');
      if (!footer.includes(shownOne)) fail(`report ${reportName} for ${street}: the total row does not show ${shownOne}: ${footer}`);
      else log(`report ${reportName} for ${street} shows ${shownOne}`);
      summary.report = { ...summary.report, street: { name: street, shown: shownOne } };
    } else fail(`report ${reportName} for ${street} has no total ${col && col.key}: ${JSON.stringify(one.totals)}`);
    for (const dl of ['csv', 'xlsx']) {
      const href = await page.getAttribute(`#report-view a.${dl}`, 'href');
      const q = new URL(href, base).searchParams;
      if (q.get('street') !== street || q.get('format') !== dl) fail(`the ${dl} download is not for ${street}: ${href}`);
    }
  }

  // 3c. An import refused (a wrong token), to see its result switch
  // language with the rest; nothing reaches the database.
  await page.click('.tabs [data-tab="import"]');
  await page.setInputFiles('#import-files', {
    name: 'e2e_lang_check.geojson', mimeType: 'application/geo+json',
    buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'x' }, geometry: { type: 'Point', coordinates: [113.3, 23.1] } }] })),
  });
  await page.fill('#import-token', 'not-the-write-token');
  refusing = true;
  await page.click('#btn-import');
  await page.waitForSelector('#import-result .error', { timeout: 30_000 });
  refusing = false;
  const importZH = await page.textContent('#import-result');
  if (!importZH.includes('导入失败')) fail(`a refused import says ${JSON.stringify(importZH)}`);

  // 4. English by the switch (everything on the page, what was drawn before
  // it too), and the view in the URL.
  const zoomTitle = () => page.getAttribute('.maplibregl-ctrl-zoom-in', 'title');
  if (await zoomTitle() !== '放大') fail(`the zoom-in button is titled ${JSON.stringify(await zoomTitle())} in Chinese`);
  await page.click('.lang [data-lang="en"]');
  const tab = await page.textContent('.tabs [data-tab="layers"]');
  if (tab.trim() !== 'Layers') fail(`the English switch left the layers tab as ${JSON.stringify(tab)}`);
  const english = await page.evaluate(() => ({
    title: document.title,
    importResult: document.querySelector('#import-result').textContent,
    reportStatus: document.querySelector('#report-status').textContent,
    allStreets: document.querySelector('#report-street option[value=""]').textContent,
    totalRow: document.querySelector('#report-view table.grid tfoot td')?.textContent,
    legend: document.querySelector('#layer-list').textContent,
  }));
  const expect = { title: /^tudi · Land map$/, importResult: /^Import failed/, reportStatus: /^\d+ rows?$/, allStreets: /^All$/, totalRow: /^Total$/, legend: /Residential/ };
  for (const [k, re] of Object.entries(expect)) {
    if (!re.test((english[k] || '').trim())) fail(`after the EN switch, ${k} reads ${JSON.stringify(english[k])}`);
  }
  if (await zoomTitle() !== 'Zoom in') fail(`after the EN switch, the zoom-in button is titled ${JSON.stringify(await zoomTitle())}`);
  summary.english = english;
  await page.waitForTimeout(400);
  const hash = await page.evaluate(() => location.hash);
  if (!/map=\d+(\.\d+)?\/-?\d+\.\d+\/-?\d+\.\d+/.test(hash)) fail(`the URL hash does not keep the view: ${hash}`);

  // 5. tudi's style as it is, in a plain MapLibre page (a planner's own
  // page, or a newer QGIS): it must load with no error and draw.
  const plain = await context.newPage();
  await plain.route('**/e2e-plain-maplibre.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="/vendor/maplibre-gl.css">
<div id="map" style="position:absolute;inset:0"></div>
<script type="module">
import * as maplibregl from '/vendor/maplibre-gl.mjs';
window.errors = [];
const map = new maplibregl.Map({ container: 'map', style: '/styles/default.json' });
map.on('error', (e) => window.errors.push(String(e.error && e.error.message || e.error || e)));
map.once('idle', () => { window.drawn = map.queryRenderedFeatures().length; });
</script>`,
  }));
  await plain.goto(new URL('/e2e-plain-maplibre.html', base).href);
  const plainResult = await plain.waitForFunction(() => (window.drawn !== undefined || (window.errors && window.errors.length)) && { drawn: window.drawn, errors: window.errors }, null, { timeout: 60_000 })
    .then((h) => h.jsonValue()).catch((err) => ({ errors: [String(err)] }));
  summary.plainMapLibre = plainResult;
  if (plainResult.errors && plainResult.errors.length) fail(`/styles/default.json in a plain MapLibre page: ${plainResult.errors.join(' | ')}`);
  else log(`/styles/default.json draws ${plainResult.drawn} features in a plain MapLibre page`);
  await plain.close();

  summary.requests = requests.length;
  summary.offMachine = offMachine;
  summary.consoleErrors = consoleErrors;
  summary.failedRequests = failed;
  if (offMachine.length) fail(`${offMachine.length} requests left the machine: ${offMachine.slice(0, 5).join(', ')}`);
  if (consoleErrors.length) fail(`console errors: ${consoleErrors.slice(0, 5).join(' | ')}`);
} catch (err) {
  fail(`${err.stack || err}`);
  const page = context.pages()[0];
  if (page) await page.screenshot({ path: join(outDir, 'failure.png') }).catch(() => {});
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
summary.failures = failures;
console.log(JSON.stringify(summary));
process.exit(failures.length ? 1 : 0);
