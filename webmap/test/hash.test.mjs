// The view in the URL: #map=ZOOM/LAT/LON&hide=…&lang=en&tab=….

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, formatHash } from '../src/app/hash.js';

test('a full hash is read', () => {
  assert.deepEqual(parseHash('#map=13.50/23.10012/113.29971&hide=parcels,farmland&lang=en&tab=reports'), {
    view: { zoom: 13.5, center: [113.29971, 23.10012] },
    hidden: ['parcels', 'farmland'],
    lang: 'en',
    tab: 'reports',
  });
  assert.deepEqual(parseHash('map=3/-33.9/18.4'), { view: { zoom: 3, center: [18.4, -33.9] } }, 'without "#"');
});

test('what makes no sense is left out, the rest kept', () => {
  const cases = {
    '': {},
    '#': {},
    '#map=': {},
    '#map=//': {},
    '#map=12/23.1': {},
    '#map=12/23.1/113.3/4': {},
    '#map=a/23.1/113.3': {},
    '#map=12/95/113.3': {},
    '#map=12/23.1/181': {},
    '#map=30/23.1/113.3': {},
    '#map=-1/23.1/113.3': {},
    '#map=Infinity/23.1/113.3': {},
    '#hide=': { hidden: [] },
    '#hide=,parcels,,': { hidden: ['parcels'] },
    '#lang=fr': {},
    '#lang=zh-CN': { lang: 'zh-CN' },
    '#tab=': {},
    '#map=12/95/113.3&lang=en': { lang: 'en' },
  };
  for (const [hash, want] of Object.entries(cases)) assert.deepEqual(parseHash(hash), want, hash);
  assert.deepEqual(parseHash(undefined), {});
});

test('a view is written to about a metre, defaults left out', () => {
  assert.equal(formatHash({ zoom: 13.456, center: [113.2997123, 23.1001249] }), 'map=13.46/23.10012/113.29971');
  assert.equal(formatHash({ zoom: 12, center: [113.3, 23.1], hidden: ['parcels', 'boundaries'], lang: 'en', tab: 'query' }),
    'map=12.00/23.10000/113.30000&hide=parcels,boundaries&lang=en&tab=query');
  assert.equal(formatHash({ zoom: 12, center: [113.3, 23.1], hidden: [], lang: 'zh-CN', tab: 'layers' }), 'map=12.00/23.10000/113.30000');
});

test('what is written reads back', () => {
  const state = { zoom: 15.25, center: [-0.12345, 51.5], hidden: ['idle_land'], lang: 'en', tab: 'import' };
  const back = parseHash('#' + formatHash(state));
  assert.deepEqual(back, { view: { zoom: 15.25, center: [-0.12345, 51.5] }, hidden: ['idle_land'], lang: 'en', tab: 'import' });
  assert.deepEqual(parseHash(formatHash({ zoom: 0, center: [0, 0] })), { view: { zoom: 0, center: [0, 0] } });
});
