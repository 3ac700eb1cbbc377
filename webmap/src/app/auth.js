// The token this tab sends to the tudi server: one Bearer token, typed by
// the user (in the import panel, the settings or the dialog shown when the
// server asks for one) and kept in sessionStorage, so it lives as long as
// the tab and is never written to disk by the page. It goes only to the
// server the page came from.

export const TOKEN_KEY = 'tudi.token';

// store returns the tab's session storage, or null where there is none
// (tests in Node).
function store() {
  try { return globalThis.sessionStorage || null; } catch { return null; }
}

// getToken returns the tab's token, or ''.
export function getToken() {
  const s = store();
  return (s && s.getItem(TOKEN_KEY)) || '';
}

// setToken keeps (or, when empty, forgets) the tab's token. A token an
// earlier version of the page left in localStorage is forgotten too.
export function setToken(token) {
  const s = store();
  const v = String(token ?? '').trim();
  if (s) {
    if (v) s.setItem(TOKEN_KEY, v); else s.removeItem(TOKEN_KEY);
  }
  try { globalThis.localStorage?.removeItem(TOKEN_KEY); } catch { /* none */ }
}

// sameOrigin reports whether url (relative to base) is on the page's server.
export function sameOrigin(url, base = globalThis.location?.href) {
  try { return new URL(url, base).origin === new URL(base).origin; } catch { return false; }
}

// authHeaders returns the Authorization header for a request to url: the
// token, when there is one and url is on the page's server; else nothing.
export function authHeaders(url, token = getToken(), base = globalThis.location?.href) {
  return token && sameOrigin(url, base) ? { Authorization: `Bearer ${token}` } : {};
}

// transformRequest is MapLibre's hook for the requests it makes itself
// (TileJSON, tiles): the same header as the page's own calls.
export function transformRequest(url) {
  const headers = authHeaders(url);
  return headers.Authorization ? { url, headers } : { url };
}

// Listeners of a 401 answer: the page asks for a token.
const listeners = [];
export function onUnauthorized(fn) { listeners.push(fn); }
export function unauthorized(message) { for (const fn of listeners) fn(message); }
