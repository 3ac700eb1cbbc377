// Overlay analysis: draw a polygon (or pick a feature), optionally buffer it,
// and ask POST /api/query what it touches in each layer, with areas.

import { postJSON, escapeHTML } from './api.js';
import { t, fmtNum, fmtAreas, value, onLangChange } from './i18n.js';
import { dataLayerOf } from './style.js';

const $ = (sel, root = document) => root.querySelector(sel);
const EMPTY = { type: 'FeatureCollection', features: [] };

export function initQuery(app) {
  const { map } = app;
  let vertices = [];
  let cursor = null;
  let subject = null; // {geometry} or {layer, id, geometry}
  let lastResult = null;
  let shapeArea = null; // of the analysed shape, after the buffer
  let queryData = EMPTY; // the result's geometries on the map
  let status = null; // what the line under the buttons says: a function of the language
  let failure = null; // the message of a failed analysis
  let running = false;

  const statusEl = $('#draw-status');
  const runBtn = $('#btn-run-query');

  // The drawing and the result join the map when first used (an empty
  // GeoJSON source still costs the first view its tiles), above the data
  // and its labels.
  function ensureLayers() {
    if (map.getSource('tudi-draw')) return;
    const md = { 'tudi:overlay': true };
    map.addSource('tudi-draw', { type: 'geojson', data: EMPTY });
    map.addSource('tudi-query', { type: 'geojson', data: queryData });
    map.addLayer({ id: 'tudi-query-fill', type: 'fill', source: 'tudi-query', metadata: md, paint: { 'fill-color': '#ff6d00', 'fill-opacity': 0.35 } });
    map.addLayer({ id: 'tudi-query-line', type: 'line', source: 'tudi-query', metadata: md, paint: { 'line-color': '#e65100', 'line-width': 1.5 } });
    map.addLayer({ id: 'tudi-draw-fill', type: 'fill', source: 'tudi-draw', metadata: md, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.12 } });
    map.addLayer({ id: 'tudi-draw-line', type: 'line', source: 'tudi-draw', metadata: md, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#1565c0', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'tudi-draw-vertex', type: 'circle', source: 'tudi-draw', metadata: md, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4.5, 'circle-color': '#fff', 'circle-stroke-color': '#1565c0', 'circle-stroke-width': 2 } });
  }

  function render() {
    ensureLayers();
    const pts = cursor ? [...vertices, cursor] : vertices;
    const features = vertices.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
    if (subject && subject.geometry) features.push({ type: 'Feature', properties: {}, geometry: subject.geometry });
    else if (pts.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    else if (pts.length === 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    map.getSource('tudi-draw').setData({ type: 'FeatureCollection', features });
  }

  // The status line and the result are kept as what to say, not as text,
  // so that the language switch says it again.
  function setStatus(say) {
    status = say;
    renderStatus();
  }
  function renderStatus() {
    statusEl.textContent = status ? status() : '';
  }

  function finishDraw() {
    if (vertices.length < 3) return;
    subject = { geometry: { type: 'Polygon', coordinates: [[...vertices, vertices[0]]] } };
    const n = vertices.length;
    vertices = [];
    cursor = null;
    stop();
    render();
    setStatus(() => t('query.drawn', { n }));
    runBtn.disabled = false;
  }

  function stop() {
    app.setMode('identify');
    map.doubleClickZoom.enable();
    $('#btn-draw').classList.remove('active');
    $('#btn-pick').classList.remove('active');
  }

  function clear() {
    stop();
    vertices = []; cursor = null; subject = null; lastResult = null; shapeArea = null; failure = null;
    render();
    queryData = EMPTY;
    map.getSource('tudi-query')?.setData(EMPTY);
    setStatus(null);
    showResult();
    runBtn.disabled = true;
  }

  $('#btn-draw').addEventListener('click', () => {
    clear();
    app.setMode('draw');
    map.doubleClickZoom.disable();
    $('#btn-draw').classList.add('active');
    setStatus(() => t('query.drawing'));
  });
  $('#btn-pick').addEventListener('click', () => {
    clear();
    app.setMode('pick');
    $('#btn-pick').classList.add('active');
    setStatus(() => t('query.picking'));
  });
  $('#btn-clear').addEventListener('click', clear);

  map.on('click', (e) => {
    if (app.state.mode === 'draw') {
      vertices.push([e.lngLat.lng, e.lngLat.lat]);
      render();
    } else if (app.state.mode === 'pick') {
      const hit = map.queryRenderedFeatures(e.point).find((f) => f.sourceLayer && dataLayerOf(f.layer) && f.geometry.type !== 'Point');
      if (!hit) return;
      const id = hit.id ?? hit.properties.id;
      const layer = hit.sourceLayer;
      const cat = app.catalog().find((c) => c.name === layer) || { name: layer };
      const what = hit.properties.code || hit.properties.name || '#' + id;
      subject = { layer, id, geometry: hit.geometry };
      stop();
      render();
      setStatus(() => t('query.picked', { what: `${app.layerTitle(cat)} ${what}` }));
      runBtn.disabled = false;
    }
  });
  map.on('dblclick', (e) => {
    if (app.state.mode !== 'draw') return;
    e.preventDefault();
    vertices.pop(); // the second click of the double click added a duplicate vertex
    finishDraw();
  });
  map.on('mousemove', (e) => {
    if (app.state.mode !== 'draw' || !vertices.length) return;
    cursor = [e.lngLat.lng, e.lngLat.lat];
    render();
  });
  document.addEventListener('keydown', (e) => {
    if (app.state.mode !== 'draw') return;
    if (e.key === 'Enter') finishDraw();
    if (e.key === 'Escape') clear();
  });

  function renderLayerChecks() {
    const box = $('#query-layers');
    const prev = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
    const defaults = new Set(['farmland', 'parcels', 'renewal_units', 'idle_land']);
    box.innerHTML = app.catalog().filter((l) => /polygon/i.test(l.geom_type || 'polygon')).map((l) => {
      const on = prev.size ? prev.has(l.name) : defaults.has(l.kind);
      return `<label><input type="checkbox" value="${escapeHTML(l.name)}" ${on ? 'checked' : ''}> ${escapeHTML(app.layerTitle(l))}</label>`;
    }).join('');
  }
  document.addEventListener('tudi:tab', (e) => { if (e.detail === 'query') renderLayerChecks(); });

  function normalize(body) {
    const list = Array.isArray(body) ? body : (body.layers || body.results || []);
    return list.map((r) => ({
      layer: r.layer || r.name,
      kind: r.kind,
      count: r.count ?? r.feature_count ?? (r.features || []).length,
      area: r.area || r.total_area || r.totals || (r.area_m2 !== undefined ? { m2: r.area_m2 } : null),
      features: (r.features || []).map((f) => ({
        id: f.id,
        attrs: f.fields || f.attributes || f.properties || {},
        area: f.intersection_area || f.intersection || f.area || (f.intersection_m2 !== undefined ? { m2: f.intersection_m2 } : null),
        geometry: f.intersection_geometry || f.geometry || null,
      })),
    }));
  }

  function showResult() {
    const box = $('#query-result');
    if (running) { box.innerHTML = `<p class="loading">${t('query.running')}</p>`; return; }
    if (failure !== null) { box.innerHTML = `<p class="error">${t('query.failed')}：${escapeHTML(failure)}</p>`; return; }
    if (!lastResult) { box.innerHTML = ''; return; }
    const rows = lastResult.filter((r) => r.count > 0);
    const head = shapeArea ? `<p class="total shape"><b>${t('query.shapearea')}</b> ${escapeHTML(fmtAreas(shapeArea))}</p>` : '';
    if (!rows.length) { box.innerHTML = `${head}<p class="empty">${t('query.none')}</p>`; return; }
    box.innerHTML = head + rows.map((r) => {
      const cat = app.catalog().find((c) => c.name === r.layer) || { name: r.layer, kind: r.kind };
      return `<section class="q-layer">
        <h3>${escapeHTML(app.layerTitle(cat))}<span class="count">${fmtNum(r.count, 0)}</span></h3>
        ${r.area ? `<p class="total"><b>${t('query.touched')}</b> ${escapeHTML(fmtAreas(r.area))}</p>` : ''}
        <table class="mini"><tbody>${r.features.slice(0, 50).map((f) => `<tr><td>${escapeHTML(f.attrs.code || f.attrs.name || '#' + f.id)}</td><td>${escapeHTML(value(f.attrs.landuse_name || f.attrs.stage || f.attrs.disposal_status || ''))}</td><td class="num">${f.area ? fmtNum(f.area.mu ?? (f.area.m2 ?? 0) * 15 / 1e4, 2) + ' ' + t('unit.mu') : ''}</td></tr>`).join('')}</tbody></table>
      </section>`;
    }).join('');
  }
  onLangChange(() => { renderStatus(); showResult(); renderLayerChecks(); });

  runBtn.addEventListener('click', async () => {
    if (!subject) return;
    const layers = [...$('#query-layers').querySelectorAll('input:checked')].map((i) => i.value);
    const distance = Number($('#query-distance').value) || 0;
    const body = { layers, distance };
    if (subject.layer && subject.id !== undefined) { body.layer = subject.layer; body.id = subject.id; } else body.geometry = subject.geometry;
    running = true;
    failure = null;
    showResult();
    runBtn.disabled = true;
    try {
      const res = await postJSON('api/query', body);
      lastResult = normalize(res);
      shapeArea = res.area || null;
      const geoms = lastResult.flatMap((r) => r.features.filter((f) => f.geometry).map((f) => ({ type: 'Feature', properties: {}, geometry: f.geometry })));
      queryData = { type: 'FeatureCollection', features: geoms };
      ensureLayers();
      map.getSource('tudi-query').setData(queryData);
      if (res.geometry || res.query_geometry) {
        subject = { ...subject, geometry: res.geometry || res.query_geometry };
        render();
      }
    } catch (err) {
      failure = err.message;
    } finally {
      running = false;
      showResult();
      runBtn.disabled = false;
    }
  });

  // A new style (after an import) drops the page's sources: draw them again
  // if there is anything to draw.
  document.addEventListener('tudi:style', () => {
    if (map.getSource('tudi-draw') || !(vertices.length || subject || queryData !== EMPTY)) return;
    render();
  });
}
