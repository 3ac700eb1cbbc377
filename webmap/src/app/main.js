// The tudi web map: layers and legend, identify, search, overlay analysis,
// reports and imports, all from the tudi server the page came from.

import * as maplibregl from '../vendor/maplibre-gl.mjs';
import { getJSON, escapeHTML, bboxOf, labelPoint, unionBounds } from './api.js';
import {
  t, pick, value, setLang, onLangChange, initialLang, applyI18n, loadFieldTitles,
  kindTitle, fieldsOf, fieldTitle, fmtNum, fmtAreas, landuseClassName, currentLang, learnValues,
} from './i18n.js';
import { parseHash, formatHash } from './hash.js';
import { loadStyle, sortLayers, dataLayerOf, legendOf, legendFromServer, labelLayersFor, takeBackground } from './style.js';
import { initQuery } from './query.js';
import { initReports } from './reports.js';
import { initImports } from './imports.js';
import { getToken, setToken, onUnauthorized, transformRequest } from './auth.js';

const $ = (sel, root = document) => root.querySelector(sel);
let map; // the maplibregl.Map, also window.map for tests

// state is what the URL hash keeps (view and visible layers) plus the
// catalog of layers the server has.
const state = {
  catalog: [],
  hidden: new Set(),
  style: null,
  mode: 'identify', // or 'draw' / 'pick', set by the analysis panel
};

let hashTimer = 0;
function writeHash() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    if (!map) return;
    const tab = document.querySelector('.tabs [aria-selected="true"]');
    history.replaceState(null, '', '#' + formatHash({
      zoom: map.getZoom(), center: map.getCenter().toArray(), hidden: [...state.hidden], lang: currentLang(), tab: tab && tab.dataset.tab,
    }));
  }, 150);
}

export function toast(msg, kind = 'info') {
  const el = $('#toast');
  el.textContent = msg;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => { el.hidden = true; }, 5000);
}

// ---- map ------------------------------------------------------------------

function addBasemap(style) {
  const url = localStorage.getItem('tudi.basemap');
  if (!url) return;
  style.sources.basemap = { type: 'raster', tiles: [url], tileSize: 256, attribution: localStorage.getItem('tudi.basemapAttr') || '' };
  const i = style.layers.findIndex((l) => l.type === 'background');
  style.layers.splice(i + 1, 0, { id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.9 } });
}

// The page's own overlays (the identify highlight and the clicked point)
// join the map when first needed: an empty GeoJSON source still loads its
// tiles in MapLibre's worker, which delays the first view. Their data is
// kept here, so a new style (after an import) gets them back.
const EMPTY = { type: 'FeatureCollection', features: [] };
const overlays = { 'tudi-highlight': EMPTY, 'tudi-click': EMPTY };
const OVERLAY = { 'tudi:overlay': true };
const hasData = (d) => d.type !== 'FeatureCollection' || d.features.length > 0;

function ensureOverlays() {
  if (map.getSource('tudi-highlight')) return;
  for (const [id, data] of Object.entries(overlays)) map.addSource(id, { type: 'geojson', data });
  map.addLayer({ id: 'tudi-highlight-fill', type: 'fill', source: 'tudi-highlight', metadata: OVERLAY, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#00e5ff', 'fill-opacity': 0.18 } });
  map.addLayer({ id: 'tudi-highlight-line', type: 'line', source: 'tudi-highlight', metadata: OVERLAY, paint: { 'line-color': '#00b8d4', 'line-width': 3 } });
  map.addLayer({ id: 'tudi-click', type: 'circle', source: 'tudi-click', metadata: OVERLAY, paint: { 'circle-radius': 5, 'circle-color': '#ff3d00', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
}

function setOverlay(id, data) {
  overlays[id] = data;
  if (!map.getSource(id) && !hasData(data)) return;
  ensureOverlays();
  map.getSource(id).setData(data);
}

// overlayFloor returns the lowest of the page's overlay layers (here and in
// the analysis panel), which the data's labels go under.
export function overlayFloor() {
  return map.getLayersOrder().find((id) => map.getLayer(id)?.metadata?.['tudi:overlay']);
}

// addLabels puts the text labels on the map, under the page's overlays.
function addLabels() {
  const before = overlayFloor();
  for (const l of labelLayersFor(map.getStyle(), state.catalog)) {
    if (state.hidden.has(dataLayerOf(l))) l.layout = { ...l.layout, visibility: 'none' };
    map.addLayer(l, before);
  }
  addBoundaryLabels().then(() => {
    map.once('idle', () => mark('labelledMs'));
    map.triggerRepaint();
  });
}

// Sub-district names, one label per polygon at a point well inside it (a
// tile-based label would repeat in every tile the polygon crosses).
const boundaryLabels = new Map(); // "layer@version" → FeatureCollection
async function addBoundaryLabels() {
  for (const l of state.catalog.filter((c) => c.kind === 'boundaries')) {
    const key = `${l.name}@${l.version}`;
    let fc = boundaryLabels.get(key);
    if (!fc) {
      try {
        const body = await getJSON(`ogc/collections/${encodeURIComponent(l.name)}/items?limit=1000`, { headers: { Accept: 'application/geo+json' } });
        fc = {
          type: 'FeatureCollection',
          features: (body.features || []).filter((f) => f.geometry && /Polygon/.test(f.geometry.type) && f.properties.name).map((f) => ({
            type: 'Feature', properties: { name: f.properties.name, level: f.properties.level || '' },
            geometry: { type: 'Point', coordinates: labelPoint(f.geometry) },
          })),
        };
      } catch {
        continue;
      }
      boundaryLabels.set(key, fc);
    }
    const id = `${l.name}-names`;
    if (map.getSource(id)) continue;
    map.addSource(id, { type: 'geojson', data: fc });
    const before = overlayFloor();
    map.addLayer({
      id, type: 'symbol', source: id, minzoom: 9, maxzoom: 16, metadata: { 'tudi:layer': l.name },
      layout: {
        'text-field': ['get', 'name'], 'text-font': ['Noto Sans Bold'], 'text-letter-spacing': 0.3,
        'text-size': ['interpolate', ['linear'], ['zoom'], 10, 13, 15, 19], 'text-allow-overlap': false,
        visibility: state.hidden.has(l.name) ? 'none' : 'visible',
      },
      paint: { 'text-color': '#3d2f6b', 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 2 },
    }, before);
  }
}

export function highlight(features) {
  const fc = { type: 'FeatureCollection', features: features.filter((f) => f && f.geometry).map((f) => ({ type: 'Feature', properties: {}, geometry: f.geometry })) };
  setOverlay('tudi-highlight', fc);
}

function markClick(lngLat) {
  setOverlay('tudi-click', lngLat
    ? { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] } }
    : EMPTY);
}

// homeControl is the "全图" button: back to the whole district.
function homeControl() {
  return {
    onAdd() {
      const div = document.createElement('div');
      div.className = 'maplibregl-ctrl maplibregl-ctrl-group';
      div.innerHTML = `<button type="button" class="tudi-home" title="${t('map.home')}" aria-label="${t('map.home')}">⌂</button>`;
      div.firstChild.addEventListener('click', () => {
        const b = unionBounds(state.catalog);
        if (b) map.fitBounds(b, { padding: 30 });
      });
      onLangChange(() => { div.firstChild.title = t('map.home'); });
      return div;
    },
    onRemove() {},
  };
}

// ---- layers panel -----------------------------------------------------------

function styleLayersOf(name) {
  return map.getStyle().layers.filter((l) => dataLayerOf(l) === name);
}

function setLayerVisible(name, visible) {
  if (visible) state.hidden.delete(name); else state.hidden.add(name);
  for (const l of styleLayersOf(name)) map.setLayoutProperty(l.id, 'visibility', visible ? 'visible' : 'none');
  writeHash();
}

export function visibleLayers() {
  return state.catalog.map((l) => l.name).filter((n) => !state.hidden.has(n));
}

export function catalog() { return state.catalog; }

function swatch(e) {
  const color = escapeHTML(typeof e.color === 'string' ? e.color : '#999');
  const border = e.outline && typeof e.outline === 'string' ? `border-color:${escapeHTML(e.outline)}` : '';
  if (e.type === 'line') return `<span class="sw line" style="background:${color}"></span>`;
  if (e.type === 'circle') return `<span class="sw dot" style="background:${color}"></span>`;
  return `<span class="sw" style="background:${color};${border}"></span>`;
}

function legendText(e, layer) {
  if (!e.label || layer.kind === 'generic') {
    const g = layer.geom_type || '';
    return /point/i.test(g) ? t('legend.points') : /line/i.test(g) ? t('legend.lines') : t('legend.polygons');
  }
  if (e.label.landuse) return `${e.label.landuse} ${landuseClassName(e.label.landuse)}`;
  if (e.label.text) return pick(e.label.text, e.label.text_en);
  return value(e.label.value);
}

function layerTitle(l) {
  const canonical = l.kind && l.kind !== 'generic';
  const ownTitle = l.title && l.title !== l.name;
  if (canonical && (currentLang() === 'en' || !ownTitle)) {
    // A second layer of a kind (parcels_2023 beside parcels) needs its name.
    return l.name && l.name !== l.kind ? `${kindTitle(l.kind)} · ${l.name}` : kindTitle(l.kind);
  }
  return ownTitle ? l.title : l.name;
}

function renderLayers() {
  const box = $('#layer-list');
  if (!state.catalog.length) {
    box.innerHTML = `<p class="empty">${t('layers.empty')}</p>`;
    return;
  }
  const style = map.getStyle();
  box.innerHTML = '';
  for (const l of [...sortLayers(state.catalog)].reverse()) {
    const div = document.createElement('div');
    div.className = 'layer';
    div.dataset.layer = l.name;
    const server = state.legends && state.legends.find((k) => k.kind === l.kind);
    const legend = legendFromServer(server, l.geom_type) || legendOf(style, l.name);
    div.innerHTML = `
      <div class="layer-head">
        <label><input type="checkbox" ${state.hidden.has(l.name) ? '' : 'checked'}>
        <span class="layer-name">${escapeHTML(layerTitle(l))}</span></label>
        <span class="count" title="${escapeHTML(l.name)}">${fmtNum(l.feature_count, 0)}</span>
        <button type="button" class="zoom ghost" title="${t('layers.zoomto')}">⤢</button>
      </div>
      <ul class="legend">${legend.map((e) => `<li title="${escapeHTML(legendText(e, l))}">${swatch(e)}<span>${escapeHTML(legendText(e, l))}</span></li>`).join('')}</ul>`;
    $('input', div).addEventListener('change', (ev) => setLayerVisible(l.name, ev.target.checked));
    $('.zoom', div).addEventListener('click', () => { if (l.bounds) map.fitBounds(l.bounds, { padding: 40 }); });
    box.appendChild(div);
  }
}

// ---- identify ---------------------------------------------------------------

// normalizeIdentify accepts the identify answer as a list of layers, each
// with its features, and returns [{layer, kind, title, features:[{id,
// attrs, props, areas, geometry}]}].
function normalizeIdentify(body) {
  const list = Array.isArray(body) ? body : (body.layers || body.results || []);
  return list.map((r) => ({
    layer: r.layer || r.name,
    kind: r.kind || (state.catalog.find((c) => c.name === (r.layer || r.name)) || {}).kind || 'generic',
    title: r.title,
    features: (r.features || []).map((f) => ({
      id: f.id,
      attrs: f.fields || f.attributes || f.properties || {},
      props: f.props || (f.properties && f.properties.props) || null,
      areas: f.areas || f.area || (f.area_m2 !== undefined ? { m2: f.area_m2 } : null),
      geometry: f.geometry || null,
    })),
  })).filter((r) => r.features.length);
}

function attrRows(kind, attrs) {
  const rows = [];
  const seen = new Set(['props', 'geom', 'geometry', 'area_m2', 'area', 'areas', 'id']);
  for (const f of fieldsOf(kind)) {
    if (!(f.name in attrs)) continue;
    seen.add(f.name);
    rows.push([fieldTitle(kind, f.name), f.name === 'landuse_code' && attrs[f.name] ? `${attrs[f.name]}` : value(attrs[f.name])]);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (seen.has(k) || (v !== null && typeof v === 'object')) continue;
    rows.push([k, value(v)]);
  }
  return rows;
}

// areasHTML shows an area in m², 公顷 and 亩, one unit per unbreakable line.
function areasHTML(a) {
  return fmtAreas(a).split(' · ').map((x) => `<span class="nb">${escapeHTML(x)}</span>`).join('');
}

function featureCard(kind, f) {
  const rows = attrRows(kind, f.attrs);
  const propRows = f.props && typeof f.props === 'object' ? Object.entries(f.props) : [];
  const heading = f.attrs.code || f.attrs.name || (f.id !== undefined ? `#${f.id}` : '');
  return `<article class="feature">
    <h4>${escapeHTML(heading)}${f.geometry ? `<button type="button" class="fit" title="${t('identify.zoomto')}">⤢</button>` : ''}</h4>
    <table class="attrs">${rows.map(([k, v]) => `<tr><th>${escapeHTML(k)}</th><td>${escapeHTML(v)}</td></tr>`).join('')}
    ${f.areas ? `<tr class="area"><th>${t('identify.area')}</th><td>${areasHTML(f.areas)}</td></tr>` : ''}</table>
    ${propRows.length ? `<details><summary>${t('identify.props')}（${propRows.length}）</summary><table class="attrs props">${propRows.map(([k, v]) => `<tr><th>${escapeHTML(k)}</th><td>${escapeHTML(value(v))}</td></tr>`).join('')}</table></details>` : ''}
  </article>`;
}

// identifyView is what the identify panel shows ({where, results}, or
// {where, loading} or {where, error}), kept to show it again in the other
// language.
let identifyView = null;

// showFeatures renders identify results in the panel.
export function showFeatures(results, where) {
  identifyView = { where, results };
  renderIdentify();
}

function renderIdentify() {
  const panel = $('#identify');
  panel.hidden = !identifyView;
  if (!identifyView) return;
  const { where, results, loading, error } = identifyView;
  $('.where', panel).textContent = where || '';
  const body = $('.body', panel);
  if (loading) {
    body.innerHTML = `<p class="loading">${t('identify.loading')}</p>`;
    return;
  }
  if (error !== undefined) {
    body.innerHTML = `<p class="error">${t('identify.failed')}：${escapeHTML(error)}</p>`;
    return;
  }
  if (!results.length) {
    body.innerHTML = `<p class="empty">${t('identify.nothing')}</p>`;
    return;
  }
  body.innerHTML = results.map((r) => {
    const cat = state.catalog.find((c) => c.name === r.layer) || { name: r.layer, kind: r.kind };
    return `<section class="id-layer" data-layer="${escapeHTML(r.layer)}">
      <h3>${escapeHTML(layerTitle({ ...cat, title: r.title || cat.title }))}<span class="count">${r.features.length}</span></h3>
      ${r.features.map((f) => featureCard(r.kind, f)).join('')}
    </section>`;
  }).join('');
  // Each card's ⤢ zooms to its feature and outlines it.
  const feats = results.flatMap((r) => r.features);
  body.querySelectorAll('.feature').forEach((card, i) => {
    const btn = card.querySelector('.fit');
    const f = feats[i];
    if (!btn || !f || !f.geometry) return;
    btn.addEventListener('click', () => {
      map.fitBounds(bboxOf(f.geometry), { padding: 80, maxZoom: 18 });
      highlight([f]);
    });
  });
}

// The identify panel lists parcels first, the sub-district last.
const IDENTIFY_ORDER = ['parcels', 'farmland', 'idle_land', 'renewal_units', 'generic', 'boundaries'];
function identifyRank(kind) {
  const i = IDENTIFY_ORDER.indexOf(kind);
  return i < 0 ? IDENTIFY_ORDER.length : i;
}

let identifySeq = 0;
async function identify(lngLat) {
  const seq = ++identifySeq;
  markClick(lngLat);
  const where = `${lngLat.lng.toFixed(6)}, ${lngLat.lat.toFixed(6)}`;
  identifyView = { where, loading: true };
  renderIdentify();
  const layers = visibleLayers();
  let results;
  try {
    // zoom lets the server turn a few pixels into metres for points and lines.
    const q = new URLSearchParams({ lon: lngLat.lng.toFixed(7), lat: lngLat.lat.toFixed(7), zoom: map.getZoom().toFixed(2) });
    if (layers.length && layers.length < state.catalog.length) q.set('layers', layers.join(','));
    results = normalizeIdentify(await getJSON(`api/identify?${q}`));
  } catch (err) {
    if (seq !== identifySeq) return;
    identifyView = { where, error: err.message };
    renderIdentify();
    return;
  }
  if (seq !== identifySeq) return;
  results.sort((a, b) => identifyRank(a.kind) - identifyRank(b.kind));
  showFeatures(results, where);
  // Outline what was hit, but not the sub-district around it: it would tint
  // the whole view.
  const geoms = results.filter((r) => r.kind !== 'boundaries').flatMap((r) => r.features.filter((f) => f.geometry));
  if (results.some((r) => r.features.some((f) => f.geometry))) {
    highlight(geoms);
  } else {
    // No geometry in the answer: outline what is drawn under the click.
    const pt = map.project(lngLat);
    const drawn = map.queryRenderedFeatures(pt).filter((f) => f.sourceLayer && !state.hidden.has(f.sourceLayer) && f.geometry.type !== 'Point');
    highlight(drawn.map((f) => ({ geometry: f.geometry })));
  }
}

// ---- search -----------------------------------------------------------------

// The fields a search matches, those of them a kind has: a code by its
// start, a name or project anywhere in it. A generic layer is searched by
// the name in its source attributes; a kind with none of them is not asked.
const SEARCH_FIELDS = ['code', 'name', 'project'];

function searchFields(kind) {
  const have = new Set(fieldsOf(kind).map((f) => f.name));
  const fields = SEARCH_FIELDS.filter((f) => have.has(f));
  return fields.length || kind !== 'generic' ? fields : ['name'];
}

// SEARCH_AT_ONCE is how many layers are searched at a time: the server
// answers at most four expensive requests of a client at once (429 past it).
const SEARCH_AT_ONCE = 3;

// settleEach runs fn over items, at most n at a time, and settles like
// Promise.allSettled.
async function settleEach(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]) };
      } catch (e) {
        out[i] = { status: 'rejected', reason: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function cqlString(s) { return `'${s.replaceAll("'", "''")}'`; }

async function searchLayer(l, q, signal) {
  const fields = searchFields(l.kind);
  const like = q.replaceAll('%', '').replaceAll('_', '');
  const filter = fields.map((f) => (f === 'code' ? `${f} LIKE ${cqlString(like + '%')}` : `${f} LIKE ${cqlString('%' + like + '%')}`)).join(' OR ');
  const p = new URLSearchParams({ limit: '6', filter, 'filter-lang': 'cql2-text', props: 'all' }); // props: the source attributes, shown with the fields
  const body = await getJSON(`ogc/collections/${encodeURIComponent(l.name)}/items?${p}`, { signal, headers: { Accept: 'application/geo+json' } });
  return (body.features || []).map((f) => ({ layer: l, feature: f }));
}

function initSearch() {
  const input = $('#search');
  const list = $('#search-results');
  let ctl = null;
  let timer = 0;
  let hits = [];
  const close = () => { list.hidden = true; };
  const choose = (h) => {
    close();
    const f = h.feature;
    if (f.geometry) {
      const b = bboxOf(f.geometry);
      map.fitBounds(b, { padding: 80, maxZoom: 17, duration: 900 });
      highlight([f]);
    }
    const attrs = { ...(f.properties || {}) };
    const props = attrs.props;
    delete attrs.props;
    showFeatures([{ layer: h.layer.name, kind: h.layer.kind, features: [{ id: f.id, attrs, props, areas: attrs.area_m2 !== undefined ? { m2: attrs.area_m2 } : null }] }], '');
  };
  const run = async () => {
    const q = input.value.trim();
    if (ctl) ctl.abort();
    if (!q) { close(); return; }
    ctl = new AbortController();
    list.hidden = false;
    list.innerHTML = `<li class="muted">${t('search.searching')}</li>`;
    const layers = state.catalog.filter((l) => /polygon|point|line/i.test(l.geom_type || 'polygon') && searchFields(l.kind).length);
    const settled = await settleEach(layers, SEARCH_AT_ONCE, (l) => searchLayer(l, q, ctl.signal));
    hits = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : [])).slice(0, 12);
    if (!hits.length) { list.innerHTML = `<li class="muted">${t('search.none')}</li>`; return; }
    list.innerHTML = hits.map((h, i) => {
      const p = h.feature.properties || {};
      const main = p.code && p.name ? `${p.code} ${p.name}` : (p.code || p.name || `#${h.feature.id}`);
      const sub = [layerTitle(h.layer), p.street, p.landuse_name, p.stage].filter(Boolean).join(' · ');
      return `<li data-i="${i}" tabindex="-1"><b>${escapeHTML(main)}</b><small>${escapeHTML(sub)}</small></li>`;
    }).join('');
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { clearTimeout(timer); if (hits.length && !list.hidden) choose(hits[0]); else run(); }
    if (e.key === 'Escape') close();
  });
  list.addEventListener('mousedown', (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) { e.preventDefault(); choose(hits[Number(li.dataset.i)]); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}

// ---- chrome -----------------------------------------------------------------

function selectTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const p of document.querySelectorAll('.panel')) p.hidden = p.dataset.panel !== name;
  document.dispatchEvent(new CustomEvent('tudi:tab', { detail: name }));
  writeHash();
}

function initChrome() {
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  for (const b of document.querySelectorAll('.lang button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  $('#identify .close').addEventListener('click', () => { identifyView = null; renderIdentify(); highlight([]); markClick(null); });
  const dlg = $('#settings');
  $('#btn-settings').addEventListener('click', () => {
    $('#basemap-url').value = localStorage.getItem('tudi.basemap') || '';
    $('#basemap-attr').value = localStorage.getItem('tudi.basemapAttr') || '';
    $('#settings-token').value = getToken();
    dlg.showModal();
  });
  dlg.addEventListener('close', () => {
    if (dlg.returnValue !== 'ok') return;
    setToken($('#settings-token').value);
    const url = $('#basemap-url').value.trim();
    if (url) localStorage.setItem('tudi.basemap', url); else localStorage.removeItem('tudi.basemap');
    localStorage.setItem('tudi.basemapAttr', $('#basemap-attr').value.trim());
    location.reload();
  });
}

// initAuth asks for a token when the server answers 401 (it runs with
// --auth read, or the tab's token was revoked or has expired); the page
// starts again with the token entered.
function initAuth() {
  const dlg = $('#token-dialog');
  let asking = false;
  onUnauthorized((msg) => {
    if (asking) return; // a whole page of requests fails at once
    asking = true;
    const refused = $('#token-refused');
    refused.hidden = !getToken();
    refused.textContent = getToken() ? t('auth.refused', { msg }) : '';
    $('#token-input').value = '';
    dlg.showModal();
  });
  dlg.addEventListener('close', () => {
    asking = false;
    const token = $('#token-input').value.trim();
    if (dlg.returnValue === 'ok' && token) setToken(token);
    else if (getToken()) setToken(''); // the refused token goes: open reads work without one
    else return;
    location.reload();
  });
}

// relabelPage puts the page itself in the current language: the marked
// elements, the title, the switch, and the language kept in this browser.
function relabelPage() {
  const lang = currentLang();
  localStorage.setItem('tudi.lang', lang);
  document.documentElement.lang = lang;
  document.title = t('page.title');
  applyI18n(document);
  for (const b of document.querySelectorAll('.lang button')) b.classList.toggle('on', b.dataset.lang === lang);
}

// MapLibre names its buttons once, in English; these follow the language.
const CONTROL_TITLES = {
  '.maplibregl-ctrl-zoom-in': 'map.zoomin',
  '.maplibregl-ctrl-zoom-out': 'map.zoomout',
  '.maplibregl-ctrl-fullscreen': 'map.fullscreen',
  '.maplibregl-ctrl-shrink': 'map.exitfullscreen',
  '.maplibregl-ctrl-attrib-button': 'map.attribution',
};

function relabelControls() {
  for (const [sel, key] of Object.entries(CONTROL_TITLES)) {
    for (const el of map.getContainer().querySelectorAll(sel)) {
      el.title = t(key);
      el.setAttribute('aria-label', t(key));
    }
  }
}

// refreshCatalog re-reads the layer list (after an import) and reloads the
// style so new layers and new data show.
export async function refreshCatalog() {
  const loaded = await loadStyle();
  prepareStyle(loaded);
  map.setStyle(loaded.style, { diff: false });
}

const BLANK_STYLE = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } }] };

// prepareStyle adopts a loaded style: the background goes to the page, the
// basemap, if set, goes under the layers and hidden layers stay hidden.
function prepareStyle(loaded) {
  state.catalog = loaded.catalog;
  state.legends = loaded.legends;
  learnValues(loaded.legends);
  state.style = loaded.style;
  const bg = takeBackground(loaded.style);
  if (bg !== null) $('#map').style.background = bg;
  addBasemap(loaded.style);
  for (const l of loaded.style.layers) {
    if (state.hidden.has(dataLayerOf(l))) l.layout = { ...(l.layout || {}), visibility: 'none' };
  }
}

// window.tudiTiming holds milliseconds since navigation start of the steps
// to the first view, for the browser test's report.
window.tudiTiming = {};
function mark(step) { window.tudiTiming[step] ??= Math.round(performance.now()); }

async function main() {
  mark('mainMs');
  initAuth();
  // Start everything the first view needs at once: MapLibre's worker, the
  // field titles, the catalog, style and legend. The map is created once the
  // style is here: creating it first (WebGL set-up on the main thread) only
  // delays the responses, measured in headless Chromium.
  maplibregl.prewarm();
  const titles = loadFieldTitles();
  const styled = loadStyle();
  styled.catch(() => {});
  const fromHash = parseHash(location.hash);
  for (const n of fromHash.hidden || []) state.hidden.add(n);
  await titles.catch(() => {});
  onLangChange(relabelPage);
  setLang(initialLang(fromHash.lang, localStorage.getItem('tudi.lang')));
  initChrome();
  let loaded;
  try {
    loaded = await styled;
  } catch (err) {
    toast(`${t('layers.loadfailed')}: ${err.message}`, 'error');
    loaded = { style: structuredClone(BLANK_STYLE), catalog: [] };
  }
  prepareStyle(loaded);
  mark('styleMs');
  const bounds = unionBounds(loaded.catalog);
  const view = fromHash.view || (bounds ? { bounds, fitBoundsOptions: { padding: 30 } } : { center: [105, 35], zoom: 3.5 });
  map = new maplibregl.Map({
    container: 'map',
    style: loaded.style,
    ...view,
    attributionControl: { compact: true },
    maxPitch: 0,
    dragRotate: false,
    fadeDuration: 0,
    transformRequest, // the tab's token on tile and TileJSON requests
    localIdeographFontFamily: '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
  });
  window.map = map;
  mark('mapCreatedMs');
  // MapLibre 6 draws its sky in every frame, a pass over the whole canvas
  // that shows only above the horizon of a pitched map. This map never
  // pitches; in software WebGL the sky's shader alone took half a second to
  // compile before the first tiles were even asked for.
  if (typeof map.painter?.drawFunctions?.sky === 'function') map.painter.drawFunctions = { ...map.painter.drawFunctions, sky() {} };
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 140, unit: 'metric' }), 'bottom-left');
  const fullscreen = new maplibregl.FullscreenControl();
  map.addControl(fullscreen, 'bottom-right');
  map.addControl(homeControl(), 'bottom-right');
  relabelControls();
  fullscreen.on('fullscreenstart', relabelControls);
  fullscreen.on('fullscreenend', relabelControls);
  // Every style (the first, and the one after an import) gets the page's
  // overlays back (those with something to show) and refreshes the layer
  // panel.
  let firstView = true;
  map.on('style.load', () => {
    if (Object.values(overlays).some(hasData)) ensureOverlays();
    renderLayers();
    if (firstView) map.once('idle', addLabels); else addLabels();
    firstView = false;
    document.dispatchEvent(new CustomEvent('tudi:style'));
  });
  map.once('load', () => mark('mapLoadMs'));
  map.once('idle', () => {
    mark('firstIdleMs');
    document.body.dataset.ready = 'true';
  });
  // A quiet "loading" pill while tiles are on their way (after 300 ms, so
  // quick pans do not flicker).
  let busyTimer = 0;
  map.on('dataloading', () => {
    clearTimeout(busyTimer);
    busyTimer = setTimeout(() => { if (!map.areTilesLoaded()) $('#busy').hidden = false; }, 300);
  });
  map.on('idle', () => { clearTimeout(busyTimer); $('#busy').hidden = true; });
  map.on('moveend', writeHash);
  // Coordinates, and the code of what is under the pointer (once a frame).
  let hoverFrame = 0;
  map.on('mousemove', (e) => {
    $('#coords').textContent = `${e.lngLat.lng.toFixed(6)}°E  ${e.lngLat.lat.toFixed(6)}°N  z${map.getZoom().toFixed(1)}`;
    if (hoverFrame) return;
    hoverFrame = requestAnimationFrame(() => {
      hoverFrame = 0;
      const tip = $('#hover');
      const f = state.mode === 'identify' && map.getZoom() >= 14 &&
        map.queryRenderedFeatures(e.point).find((x) => x.sourceLayer && (x.properties.code || x.properties.name) && x.layer.type !== 'symbol');
      if (!f) { tip.hidden = true; return; }
      const p = f.properties;
      tip.innerHTML = `${escapeHTML(p.code || p.name)}<small>${escapeHTML(value(p.landuse_name || p.stage || p.disposal_status || (p.code ? p.name : '') || ''))}</small>`;
      tip.style.left = `${e.point.x}px`;
      tip.style.top = `${e.point.y}px`;
      tip.hidden = false;
    });
  });
  map.getCanvas().addEventListener('mouseleave', () => { $('#hover').hidden = true; });
  map.on('click', (e) => { if (state.mode === 'identify') identify(e.lngLat); });
  initSearch();
  const app = {
    map, state, toast, highlight, showFeatures, visibleLayers, catalog, refreshCatalog,
    setMode: (m) => { state.mode = m; map.getCanvas().style.cursor = m === 'identify' ? '' : 'crosshair'; },
    layerTitle,
  };
  initQuery(app);
  initReports(app);
  initImports(app);
  onLangChange(() => { renderLayers(); relabelControls(); if (identifyView) renderIdentify(); writeHash(); });
  const tabs = [...document.querySelectorAll('.tabs button')].map((b) => b.dataset.tab);
  selectTab(tabs.includes(fromHash.tab) ? fromHash.tab : 'layers');
}

main();
