// HTTP helpers: every tudi error is JSON {"error", "detail"}; surface its
// message to the user rather than a bare status code. Every call sends the
// tab's token (auth.js) and reports a 401, so the page can ask for one.

import { authHeaders, unauthorized } from './auth.js';

export class APIError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

async function errorOf(resp) {
  let msg = `${resp.status} ${resp.statusText}`;
  let detail;
  try {
    const body = await resp.json();
    if (body && body.error) msg = body.error;
    detail = body && body.detail;
  } catch { /* not JSON */ }
  if (resp.status === 401) unauthorized(msg);
  return new APIError(resp.status, msg, detail);
}

// getJSON fetches a URL relative to the page and decodes its JSON body.
export async function getJSON(url, opts = {}) {
  const resp = await fetch(url, { ...opts, headers: { Accept: 'application/json', ...authHeaders(url), ...(opts.headers || {}) } });
  if (!resp.ok) throw await errorOf(resp);
  return resp.json();
}

// postJSON posts body as JSON and decodes the JSON answer.
export async function postJSON(url, body, opts = {}) {
  const resp = await fetch(url, {
    ...opts,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders(url), ...(opts.headers || {}) },
    body: JSON.stringify(body),
  });
  if (!resp.ok) throw await errorOf(resp);
  return resp.json();
}

// uploadForm posts a multipart form with upload progress (fetch has none,
// so this uses XMLHttpRequest) and resolves with the decoded JSON answer.
export function uploadForm(url, form, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total, false); };
    xhr.upload.onload = () => onProgress(1, true);
    xhr.onerror = () => reject(new APIError(0, 'network error'));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new APIError(xhr.status, (body && body.error) || `${xhr.status} ${xhr.statusText}`, body && body.detail));
    };
    xhr.send(form);
  });
}

// escapeHTML makes s safe to put in innerHTML.
export function escapeHTML(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// bboxOf returns [minx, miny, maxx, maxy] of a GeoJSON geometry.
export function bboxOf(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else for (const x of c) walk(x);
  };
  if (geom.type === 'GeometryCollection') for (const g of geom.geometries) walk(g.coordinates);
  else walk(geom.coordinates);
  return b;
}

// unionBounds returns the extent [minx, miny, maxx, maxy] of the catalog's
// layers that have bounds, or null when none has.
export function unionBounds(catalog) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const l of catalog) {
    if (!l.bounds || l.bounds.length !== 4) continue;
    b[0] = Math.min(b[0], l.bounds[0]); b[1] = Math.min(b[1], l.bounds[1]);
    b[2] = Math.max(b[2], l.bounds[2]); b[3] = Math.max(b[3], l.bounds[3]);
  }
  return Number.isFinite(b[0]) ? b : null;
}

function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return Math.abs(a / 2);
}

function inRing(p, r) {
  let c = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    if ((r[i][1] > p[1]) !== (r[j][1] > p[1]) && p[0] < ((r[j][0] - r[i][0]) * (p[1] - r[i][1])) / (r[j][1] - r[i][1]) + r[i][0]) c = !c;
  }
  return c;
}

function segDist2(p, a, b) {
  let [x, y] = a;
  let dx = b[0] - x, dy = b[1] - y;
  if (dx || dy) {
    const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) { x = b[0]; y = b[1]; } else if (t > 0) { x += dx * t; y += dy * t; }
  }
  dx = p[0] - x; dy = p[1] - y;
  return dx * dx + dy * dy;
}

// labelPoint returns a point well inside a polygon (of a MultiPolygon, its
// largest part): of a grid over its extent, the inside point farthest from
// the edges. Good enough for placing one label per district polygon, which
// tiles cannot do (each tile would label its own piece).
export function labelPoint(geom) {
  const polys = geom.type === 'MultiPolygon' ? geom.coordinates : [geom.coordinates];
  const poly = polys.reduce((a, b) => (ringArea(b[0]) > ringArea(a[0]) ? b : a));
  const [x0, y0, x1, y1] = bboxOf({ type: 'Polygon', coordinates: poly });
  let best = null;
  const n = 24;
  for (let i = 1; i < n; i++) {
    for (let j = 1; j < n; j++) {
      const p = [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * j) / n];
      if (!inRing(p, poly[0]) || poly.slice(1).some((h) => inRing(p, h))) continue;
      let d = Infinity;
      for (const r of poly) for (let k = 0; k + 1 < r.length; k++) d = Math.min(d, segDist2(p, r[k], r[k + 1]));
      if (!best || d > best.d) best = { p, d };
    }
  }
  return best ? best.p : [(x0 + x1) / 2, (y0 + y1) / 2];
}
