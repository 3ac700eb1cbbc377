// The map style: tudi's own /styles/default.json when the server has it,
// else one built here from the /tiles catalog. Either way nothing in it may
// point off the machine: no glyphs or sprite URL on another host (MapLibre 6
// draws label glyphs from local system fonts when the style has no glyphs
// URL, which is what a closed network needs).

import { getJSON } from './api.js';
import { LANDUSE_CLASSES } from './i18n.js';

// FALLBACK_LEGENDS is the legend (in the shape of the server's
// /styles/legend.json) used only when the server gives none: one neutral
// colour for every kind. The classes and their colours come from the
// server's catalogue, never from a table of the page's own.
export const FALLBACK_LEGENDS = [
  { kind: 'generic', name: '图层', name_en: 'Layer', fill: '#9ecae1', outline: '#3182bd', other: '#9ecae1' },
];

const KIND_ORDER = ['boundaries', 'farmland', 'parcels', 'idle_land', 'renewal_units', 'generic'];

function sameOrigin(url) {
  try { return new URL(url, location.href).origin === location.origin; } catch { return false; }
}

function isOnMachine(url) {
  return url.includes('{') ? sameOrigin(url.replace(/\{[^}]*\}/g, 'x')) : sameOrigin(url);
}

// loadStyle returns {style, catalog}: the server's style (made safe for a
// closed network) or a fallback built from the catalog.
export async function loadStyle() {
  const [cat, serverStyle, legend] = await Promise.allSettled([getJSON('tiles'), getJSON('styles/default.json'), getJSON('styles/legend.json')]);
  if (cat.status === 'rejected') throw cat.reason;
  const catalog = cat.value.layers || [];
  let style = serverStyle.status === 'fulfilled' ? serverStyle.value : null;
  const legends = legend.status === 'fulfilled' ? legend.value.kinds || null : null;
  if (!style || !Array.isArray(style.layers) || !style.sources) style = fallbackStyle(catalog, legends);
  if (style.glyphs && !isOnMachine(style.glyphs)) delete style.glyphs;
  if (style.sprite && typeof style.sprite === 'string' && !isOnMachine(style.sprite)) delete style.sprite;
  for (const [id, src] of Object.entries(style.sources)) {
    const urls = [src.url, ...(src.tiles || [])].filter(Boolean);
    if (urls.some((u) => !isOnMachine(u))) delete style.sources[id];
  }
  style.layers = style.layers.filter((l) => !l.source || style.sources[l.source]);
  // Points (stations and the like) drawn big enough to find at district scale.
  for (const l of style.layers) {
    if (l.type !== 'circle' || !l.paint) continue;
    l.paint['circle-radius'] = ['interpolate', ['linear'], ['zoom'], 10, 3, 13, 5, 17, 8];
    l.paint['circle-stroke-color'] = '#1f5fa8';
    l.paint['circle-stroke-width'] = 1.5;
  }
  // An empty value fails MapLibre's validation of the whole style, leaving
  // a blank map: drop it and let the property take its default.
  for (const l of style.layers) {
    for (const part of [l.paint, l.layout]) {
      if (!part) continue;
      for (const [k, v] of Object.entries(part)) if (v === '' || v === null) delete part[k];
    }
  }
  if (!style.layers.some((l) => l.type === 'background')) {
    style.layers.unshift({ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } });
  }
  return { style, catalog, legends };
}

function kindRank(k) {
  const i = KIND_ORDER.indexOf(k);
  return i < 0 ? KIND_ORDER.length : i;
}

// sortLayers orders catalog layers the way they stack on the map, bottom
// first: boundaries under everything, points on top.
export function sortLayers(catalog) {
  return [...catalog].sort((a, b) => {
    const pa = /point/i.test(a.geom_type) ? 1 : 0;
    const pb = /point/i.test(b.geom_type) ? 1 : 0;
    return pa - pb || kindRank(a.kind) - kindRank(b.kind) || a.name.localeCompare(b.name);
  });
}

// legendFor returns the legend of a kind from the server's legends, else
// the generic one, else the page's neutral fallback.
export function legendFor(legends, kind) {
  const all = legends && legends.length ? legends : FALLBACK_LEGENDS;
  return all.find((k) => k.kind === kind) || all.find((k) => k.kind === 'generic') || FALLBACK_LEGENDS[0];
}

// colorOfLegend returns the MapLibre colour of a kind's legend: a match on
// its field's values (land use: on the first two digits of the code, by the
// first-level classes) or its plain colour.
export function colorOfLegend(kl) {
  const other = kl.other || kl.fill || '#9ecae1';
  const classes = (kl.classes || []).filter((c) => kl.match !== 'prefix2' || c.level === 1 || String(c.value).length === 2);
  if (!kl.field || !classes.length) return kl.fill || other;
  const input = kl.match === 'prefix2'
    ? ['slice', ['to-string', ['coalesce', ['get', kl.field], '']], 0, 2]
    : ['get', kl.field];
  const m = ['match', input];
  const seen = new Set();
  for (const c of [...classes].sort((a, b) => String(a.value).localeCompare(String(b.value)))) {
    if (seen.has(c.value)) continue;
    seen.add(c.value);
    m.push(c.value, c.color);
  }
  m.push(other);
  return m;
}

const labelFont = ['Noto Sans Regular'];

// fallbackStyle builds a style for every catalog layer from one composite
// tile source (one request per tile for all layers).
export function fallbackStyle(catalog, legends) {
  const layers = sortLayers(catalog);
  const style = {
    version: 8,
    name: 'tudi',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } }],
  };
  if (!layers.length) return style;
  style.sources.tudi = { type: 'vector', url: `tiles/${layers.map((l) => l.name).join(',')}.json` };
  for (const l of layers) {
    const base = { source: 'tudi', 'source-layer': l.name, metadata: { 'tudi:layer': l.name } };
    const id = (s) => `${l.name}-${s}`;
    const poly = /polygon/i.test(l.geom_type || 'polygon');
    const line = /line/i.test(l.geom_type || '');
    const kl = legendFor(legends, l.kind);
    const fill = colorOfLegend(kl);
    const outline = kl.outline || kl.other || '#3182bd';
    switch (l.kind) {
      case 'boundaries':
        style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 } });
        style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 15, 2.2], 'line-dasharray': [4, 2] } });
        break;
      case 'parcels':
        style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': 0.82 } });
        style.layers.push({ ...base, id: id('line'), type: 'line', minzoom: 13, paint: { 'line-color': outline, 'line-opacity': 0.55, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.2, 17, 1] } });
        break;
      case 'farmland':
        style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': 0.35 } });
        style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.6, 16, 2] } });
        break;
      case 'renewal_units':
        style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': 0.38 } });
        style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': 1.6 } });
        break;
      case 'idle_land':
        style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': 0.45 } });
        style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': 1.4, 'line-dasharray': [2, 1] } });
        break;
      default:
        if (poly && !line) {
          style.layers.push({ ...base, id: id('fill'), type: 'fill', paint: { 'fill-color': fill, 'fill-opacity': 0.3 } });
          style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': 1 } });
        } else if (line) {
          style.layers.push({ ...base, id: id('line'), type: 'line', paint: { 'line-color': outline, 'line-width': 1.5 } });
        } else {
          style.layers.push({ ...base, id: id('circle'), type: 'circle', paint: { 'circle-color': fill, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 16, 7], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
        }
    }
  }
  return style;
}

// labelLayers returns symbol layers naming what a planner looks for: streets
// over boundaries, renewal units, station names and, zoomed in, parcel codes.
// The style has no glyphs URL, so MapLibre draws the text with local fonts.
function labelLayers(l, source) {
  const base = { source, 'source-layer': l.name, metadata: { 'tudi:layer': l.name, 'tudi:label': true } };
  const halo = (color, w = 1.4) => ({ 'text-color': color, 'text-halo-color': '#ffffff', 'text-halo-width': w });
  const layout = (field, size, extra = {}) => ({ 'text-field': field, 'text-font': labelFont, 'text-size': size, ...extra });
  switch (l.kind) {
    case 'parcels':
      return [{ ...base, id: `${l.name}-label`, type: 'symbol', minzoom: 16.5, layout: layout(['coalesce', ['get', 'code'], ''], 10),
        paint: halo('#3b3b3b', 1.2) }];
    case 'renewal_units':
      return [{ ...base, id: `${l.name}-label`, type: 'symbol', minzoom: 14, layout: layout(['coalesce', ['get', 'name'], ['get', 'code'], ''], 12),
        paint: halo('#3f1f6e') }];
    default:
      if (/point/i.test(l.geom_type || '')) {
        return [{ ...base, id: `${l.name}-label`, type: 'symbol', minzoom: 12,
          layout: layout(['coalesce', ['get', 'name'], ''], 12, { 'text-offset': [0, 1.1], 'text-anchor': 'top' }),
          paint: halo('#0c4a8a') }];
      }
      return [];
  }
}

// labelLayersFor returns the label layers of the style's layers not yet in
// it. The page adds them once the first view is drawn: text needs its own
// shaders and glyphs, which would only delay the first view.
export function labelLayersFor(style, catalog) {
  const src = Object.keys(style.sources).find((id) => style.sources[id].type === 'vector');
  if (!src) return [];
  const drawn = new Set(style.layers.map(dataLayerOf).filter(Boolean));
  const out = [];
  for (const l of sortLayers(catalog)) {
    if (!drawn.has(l.name) || style.layers.some((x) => x.id === `${l.name}-label`)) continue;
    out.push(...labelLayers(l, src));
  }
  return out;
}

// legendFromServer turns the server's legend of a kind (/styles/legend.json)
// into legend entries; land use shows its first-level classes.
export function legendFromServer(kl, geomType) {
  if (!kl) return null;
  const point = /point/i.test(geomType || '');
  const line = /line/i.test(geomType || '');
  const type = point ? 'circle' : line ? 'line' : 'fill';
  if (kl.classes && kl.classes.length) {
    return kl.classes.filter((c) => !c.level || c.level === 1).map((c) => ({
      color: c.color, outline: kl.outline, type,
      label: kl.field === 'landuse_code' ? { landuse: c.value } : { text: c.name, text_en: c.name_en },
    }));
  }
  if (kl.kind === 'boundaries') return [{ color: kl.outline, type: 'line', label: { text: kl.name, text_en: kl.name_en } }];
  return [{ color: kl.fill || kl.other, outline: kl.outline, type, label: { text: kl.name, text_en: kl.name_en } }];
}

// takeBackground takes a plain background layer out of the style and
// returns its colour ('' when hidden), for the page to paint under MapLibre's
// transparent canvas; null when the style keeps its background (a pattern, an
// expression or a translucent one) or has none. In software WebGL (no GPU,
// as in the browser test) MapLibre compiled the background's shader in the
// very frame that asks for the first tiles, holding them back by a quarter
// of a second, and filled the whole canvas in every frame.
export function takeBackground(style) {
  const i = style.layers.findIndex((l) => l.type === 'background');
  if (i < 0) return null;
  const { paint = {}, layout = {} } = style.layers[i];
  const color = paint['background-color'] ?? '#000000'; // MapLibre's default
  if (typeof color !== 'string' || paint['background-pattern'] || (paint['background-opacity'] ?? 1) !== 1) return null;
  style.layers.splice(i, 1);
  return layout.visibility === 'none' ? '' : color;
}

// dataLayerOf names the tudi layer a style layer draws.
export function dataLayerOf(styleLayer) {
  return (styleLayer.metadata && styleLayer.metadata['tudi:layer']) || styleLayer['source-layer'] || null;
}

function colorOf(l) {
  const p = l.paint || {};
  return p['fill-color'] ?? p['line-color'] ?? p['circle-color'] ?? p['fill-extrusion-color'] ?? null;
}

function legendLabel(input, v) {
  const s = JSON.stringify(input);
  if (s.includes('landuse_code') && LANDUSE_CLASSES[String(v).slice(0, 2)]) return { landuse: String(v) };
  return { value: v };
}

// legendOf returns the legend entries of one tudi layer from the style:
// [{color, type, label: {landuse}|{value}|null}]. An explicit legend in the
// style's metadata (tudi:legend) wins.
export function legendOf(style, layerName) {
  const layers = style.layers.filter((l) => dataLayerOf(l) === layerName && l.type !== 'symbol');
  for (const l of layers) {
    const md = l.metadata && l.metadata['tudi:legend'];
    if (Array.isArray(md)) return md.map((e) => ({ color: e.color, type: l.type, label: { text: e.label, text_en: e.label_en } }));
  }
  const fill = layers.find((l) => l.type === 'fill') || layers.find((l) => l.type === 'circle') || layers[0];
  if (!fill) return [];
  const c = colorOf(fill);
  const line = layers.find((l) => l.type === 'line');
  const outline = line && typeof colorOf(line) === 'string' ? colorOf(line) : null;
  if (Array.isArray(c) && c[0] === 'match') {
    const out = [];
    for (let i = 2; i + 1 < c.length; i += 2) {
      const vals = Array.isArray(c[i]) ? c[i] : [c[i]];
      for (const v of vals) out.push({ color: c[i + 1], outline, type: fill.type, label: legendLabel(c[1], v) });
      if (out.length > 16) break;
    }
    return out;
  }
  if (typeof c === 'string') return [{ color: c, outline, type: fill.type, label: null }];
  return [];
}
