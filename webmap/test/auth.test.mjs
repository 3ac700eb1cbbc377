// The tab's token: kept in sessionStorage only, sent only to the page's own
// server, on the page's calls and on MapLibre's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_KEY, getToken, setToken, sameOrigin, authHeaders, transformRequest, onUnauthorized, unauthorized } from '../src/app/auth.js';

class MemoryStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
  removeItem(k) { this.m.delete(k); }
}

const page = 'http://tudi.example:8080/';

test('the token lives in sessionStorage only, and an old localStorage copy is dropped', () => {
  globalThis.sessionStorage = new MemoryStorage();
  globalThis.localStorage = new MemoryStorage();
  globalThis.localStorage.setItem(TOKEN_KEY, 'old');
  assert.equal(getToken(), '');
  setToken('  tudi_abc \n');
  assert.equal(getToken(), 'tudi_abc');
  assert.equal(globalThis.sessionStorage.getItem(TOKEN_KEY), 'tudi_abc');
  assert.equal(globalThis.localStorage.getItem(TOKEN_KEY), null);
  setToken('');
  assert.equal(getToken(), '');
  assert.equal(globalThis.sessionStorage.getItem(TOKEN_KEY), null);
  delete globalThis.sessionStorage;
  delete globalThis.localStorage;
  assert.equal(getToken(), '', 'no storage (Node): no token');
});

test('the token goes only to the page\'s own server', () => {
  assert.ok(sameOrigin('tiles/parcels.json', page));
  assert.ok(sameOrigin('/ogc/collections', page));
  assert.ok(!sameOrigin('http://intranet/tiles/1/2/3.png', page));
  assert.ok(!sameOrigin('http://tudi.example:8081/tiles', page));
  assert.deepEqual(authHeaders('api/identify?lon=1', 'tudi_x', page), { Authorization: 'Bearer tudi_x' });
  assert.deepEqual(authHeaders('http://intranet/basemap/1/2/3.png', 'tudi_x', page), {});
  assert.deepEqual(authHeaders('api/identify', '', page), {});
});

test('MapLibre\'s requests carry the token too', () => {
  globalThis.sessionStorage = new MemoryStorage();
  globalThis.location = { href: page };
  try {
    assert.deepEqual(transformRequest('http://tudi.example:8080/tiles/parcels/3/4/5.mvt'), { url: 'http://tudi.example:8080/tiles/parcels/3/4/5.mvt' });
    setToken('tudi_y');
    assert.deepEqual(transformRequest('http://tudi.example:8080/tiles/parcels/3/4/5.mvt'),
      { url: 'http://tudi.example:8080/tiles/parcels/3/4/5.mvt', headers: { Authorization: 'Bearer tudi_y' } });
    assert.deepEqual(transformRequest('http://intranet/1/2/3.png'), { url: 'http://intranet/1/2/3.png' });
  } finally {
    delete globalThis.sessionStorage;
    delete globalThis.location;
  }
});

test('a 401 reaches the page\'s listeners with the server\'s message', () => {
  const heard = [];
  onUnauthorized((m) => heard.push(m));
  unauthorized('a token is required');
  assert.deepEqual(heard, ['a token is required']);
});
