// Geometry and text helpers of api.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHTML, bboxOf, labelPoint, unionBounds } from '../src/app/api.js';

test('escapeHTML makes text safe in HTML and attributes', () => {
  assert.equal(escapeHTML(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeHTML(null), '');
  assert.equal(escapeHTML(0), '0');
  assert.equal(escapeHTML('地块 4401'), '地块 4401');
});

test('bboxOf covers every part of a geometry', () => {
  assert.deepEqual(bboxOf({ type: 'Point', coordinates: [113.3, 23.1] }), [113.3, 23.1, 113.3, 23.1]);
  assert.deepEqual(bboxOf({ type: 'MultiPolygon', coordinates: [[[[0, 0], [2, 0], [2, 1], [0, 0]]], [[[5, -3], [6, -3], [6, 4], [5, -3]]]] }), [0, -3, 6, 4]);
  assert.deepEqual(bboxOf({ type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }, { type: 'LineString', coordinates: [[-1, 5], [0, 0]] }] }), [-1, 0, 1, 5]);
});

// inside reports whether p is inside a ring (even-odd).
function inside([x, y], ring) {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

test('labelPoint is well inside the polygon, even a U-shaped one, and not in a hole', () => {
  // A U: the centre of its extent is outside, in the notch.
  const u = [[0, 0], [10, 0], [10, 10], [7, 10], [7, 3], [3, 3], [3, 10], [0, 10], [0, 0]];
  const p = labelPoint({ type: 'Polygon', coordinates: [u] });
  assert.ok(inside(p, u), `${p} is outside the U`);
  // A square with a big hole in the middle.
  const outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
  const hole = [[2, 2], [8, 2], [8, 8], [2, 8], [2, 2]];
  const q = labelPoint({ type: 'Polygon', coordinates: [outer, hole] });
  assert.ok(inside(q, outer) && !inside(q, hole), `${q} is not in the ring`);
  // Of a MultiPolygon, the largest part.
  const small = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]];
  const big = [[20, 20], [30, 20], [30, 30], [20, 30], [20, 20]];
  const r = labelPoint({ type: 'MultiPolygon', coordinates: [[small], [big]] });
  assert.ok(inside(r, big), `${r} is not in the largest part`);
  assert.ok(Math.abs(r[0] - 25) < 1.5 && Math.abs(r[1] - 25) < 1.5, `${r} is not near the middle of the square`);
});

test('unionBounds spans the layers that have bounds', () => {
  assert.deepEqual(unionBounds([{ bounds: [113.27, 23.08, 113.33, 23.12] }, { bounds: [113.2, 23.1, 113.3, 23.2] }, { bounds: null }, {}]), [113.2, 23.08, 113.33, 23.2]);
  assert.equal(unionBounds([]), null);
  assert.equal(unionBounds([{ bounds: [1, 2, 3] }]), null);
});
