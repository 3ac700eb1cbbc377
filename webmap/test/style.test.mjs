// The map style built from the catalog, legends and labels (style.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fallbackStyle, sortLayers, legendOf, legendFromServer, labelLayersFor, dataLayerOf, takeBackground,
  FALLBACK_LEGENDS, colorOfLegend,
} from '../src/app/style.js';

const catalog = [
  { name: 'stations', kind: 'generic', geom_type: 'Point' },
  { name: 'parcels', kind: 'parcels', geom_type: 'MultiPolygon' },
  { name: 'boundaries', kind: 'boundaries', geom_type: 'MultiPolygon' },
  { name: 'renewal_units', kind: 'renewal_units', geom_type: 'Polygon' },
  { name: 'roads', kind: 'generic', geom_type: 'LineString' },
];

test('layers stack boundaries first, points last', () => {
  assert.deepEqual(sortLayers(catalog).map((l) => l.name), ['boundaries', 'parcels', 'renewal_units', 'roads', 'stations']);
  assert.equal(catalog[0].name, 'stations', 'the catalog itself is left as it was');
});

test('the fallback style draws every layer from one composite tile source', () => {
  const style = fallbackStyle(catalog);
  assert.equal(style.version, 8);
  assert.deepEqual(Object.keys(style.sources), ['tudi']);
  assert.equal(style.sources.tudi.url, 'tiles/boundaries,parcels,renewal_units,roads,stations.json');
  assert.equal(style.layers[0].type, 'background');
  for (const l of catalog) assert.ok(style.layers.some((s) => dataLayerOf(s) === l.name), `no style layer for ${l.name}`);
  assert.equal(style.layers.find((s) => dataLayerOf(s) === 'stations').type, 'circle');
  assert.deepEqual(style.layers.filter((s) => dataLayerOf(s) === 'roads').map((s) => s.type), ['line']);
  assert.deepEqual(fallbackStyle([]).layers.map((l) => l.type), ['background']);
  assert.deepEqual(fallbackStyle([]).sources, {});
});

// The shape of the server's /styles/legend.json (tiles/legend.go), cut down.
const legends = [
  { kind: 'parcels', field: 'landuse_code', match: 'prefix2', outline: '#7a6a50', other: '#dddddd', classes: [
    { value: '00', name: '湿地', color: '#7fcdbb', level: 1 },
    { value: '01', name: '耕地', color: '#ffff64', level: 1 },
    { value: '0101', name: '水田', color: '#f5f064', level: 2 },
    { value: '10', name: '交通运输用地', color: '#b4b4b4', level: 1 },
  ] },
  { kind: 'renewal_units', field: 'stage', outline: '#542788', other: '#bababa', classes: [
    { value: '计划立项', color: '#fee08b' }, { value: '竣工', color: '#1a9850' },
  ] },
  { kind: 'boundaries', outline: '#6a3d9a', other: '#6a3d9a' },
  { kind: 'generic', fill: '#9ecae1', outline: '#3182bd', other: '#9ecae1' },
];

test('the fallback style takes every colour from the server legend', () => {
  const style = fallbackStyle(catalog, legends);
  const paint = (id) => style.layers.find((l) => l.id === id).paint;
  assert.deepEqual(paint('parcels-fill')['fill-color'],
    ['match', ['slice', ['to-string', ['coalesce', ['get', 'landuse_code'], '']], 0, 2], '00', '#7fcdbb', '01', '#ffff64', '10', '#b4b4b4', '#dddddd']);
  assert.equal(paint('parcels-line')['line-color'], '#7a6a50');
  assert.deepEqual(paint('renewal_units-fill')['fill-color'], ['match', ['get', 'stage'], '竣工', '#1a9850', '计划立项', '#fee08b', '#bababa']);
  assert.equal(paint('boundaries-line')['line-color'], '#6a3d9a');
  assert.equal(paint('roads-line')['line-color'], '#3182bd');
  assert.equal(paint('stations-circle')['circle-color'], '#9ecae1');
});

test('without a server legend every layer takes the one neutral fallback colour', () => {
  const style = fallbackStyle(catalog, null);
  assert.equal(style.layers.find((l) => l.id === 'parcels-fill').paint['fill-color'], FALLBACK_LEGENDS[0].fill);
  assert.equal(colorOfLegend({ kind: 'x', fill: '#010203' }), '#010203');
});

test('the legend of a layer comes from its style: classes of a match, or one colour', () => {
  const style = fallbackStyle(catalog, legends);
  const parcels = legendOf(style, 'parcels');
  assert.equal(parcels.length, 3);
  assert.deepEqual(parcels[1], { color: '#ffff64', outline: '#7a6a50', type: 'fill', label: { landuse: '01' } });
  const roads = legendOf(style, 'roads');
  assert.deepEqual(roads, [{ color: '#3182bd', outline: '#3182bd', type: 'line', label: null }]);
  assert.deepEqual(legendOf(style, 'no_such_layer'), []);
  // A legend in the style's metadata wins.
  const own = { layers: [{ id: 'x', type: 'fill', source: 's', 'source-layer': 'x', metadata: { 'tudi:legend': [{ color: '#123456', label: '甲', label_en: 'A' }] }, paint: { 'fill-color': '#000' } }] };
  assert.deepEqual(legendOf(own, 'x'), [{ color: '#123456', type: 'fill', label: { text: '甲', text_en: 'A' } }]);
});

test('the server legend lists first-level classes, or the layer itself', () => {
  const kl = { kind: 'parcels', field: 'landuse_code', outline: '#7a6a50', classes: [{ value: '01', color: '#fff000', level: 1 }, { value: '0101', color: '#fff001', level: 2 }] };
  assert.deepEqual(legendFromServer(kl, 'MultiPolygon'), [{ color: '#fff000', outline: '#7a6a50', type: 'fill', label: { landuse: '01' } }]);
  assert.deepEqual(legendFromServer({ kind: 'boundaries', outline: '#6a3d9a', name: '行政区划', name_en: 'Boundaries' }, 'Polygon'),
    [{ color: '#6a3d9a', type: 'line', label: { text: '行政区划', text_en: 'Boundaries' } }]);
  assert.equal(legendFromServer(null, 'Point'), null);
});

test('labels are added for the layers the style draws, once', () => {
  const style = fallbackStyle(catalog);
  const labels = labelLayersFor(style, catalog);
  assert.deepEqual(labels.map((l) => l.id).sort(), ['parcels-label', 'renewal_units-label', 'stations-label']);
  for (const l of labels) {
    assert.equal(l.type, 'symbol');
    assert.equal(l.source, 'tudi');
    assert.equal(l.metadata['tudi:label'], true);
  }
  assert.ok(labels.find((l) => l.id === 'parcels-label').minzoom >= 16, 'parcel codes only when zoomed in');
  style.layers.push(...labels);
  assert.deepEqual(labelLayersFor(style, catalog), []);
  assert.deepEqual(labelLayersFor({ sources: {}, layers: [] }, catalog), []);
});

test('a plain background goes to the page; a pattern or a translucent one stays', () => {
  const withBg = (paint, layout) => ({ layers: [{ id: 'bg', type: 'background', paint, layout }, { id: 'x', type: 'fill' }] });
  let s = withBg({ 'background-color': '#f4f3ee' });
  assert.equal(takeBackground(s), '#f4f3ee');
  assert.deepEqual(s.layers.map((l) => l.id), ['x']);
  s = withBg({});
  assert.equal(takeBackground(s), '#000000', "MapLibre's default colour");
  s = withBg({ 'background-color': '#fff' }, { visibility: 'none' });
  assert.equal(takeBackground(s), '');
  assert.equal(s.layers.length, 1);
  for (const paint of [{ 'background-opacity': 0.5 }, { 'background-pattern': 'dots' }, { 'background-color': ['interpolate', ['linear'], ['zoom'], 5, '#fff', 10, '#000'] }]) {
    s = withBg(paint);
    assert.equal(takeBackground(s), null, JSON.stringify(paint));
    assert.equal(s.layers.length, 2);
  }
  assert.equal(takeBackground({ layers: [] }), null);
});
