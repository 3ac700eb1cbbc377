// HTTP helpers: every tudi error is JSON {"error", "detail"}; surface its
// message to the user rather than a bare status code.

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
  return new APIError(resp.status, msg, detail);
}

// getJSON fetches a URL relative to the page and decodes its JSON body.
export async function getJSON(url, opts = {}) {
  const resp = await fetch(url, { headers: { Accept: 'application/json' }, ...opts });
  if (!resp.ok) throw await errorOf(resp);
  return resp.json();
}

// postJSON posts body as JSON and decodes the JSON answer.
export async function postJSON(url, body, opts = {}) {
  const resp = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    ...opts,
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
