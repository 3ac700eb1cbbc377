// The URL hash keeps the view for sharing:
//
//   #map=ZOOM/LAT/LON&hide=LAYER,…&lang=en&tab=reports
//
// parseHash and formatHash read and write it; the page applies it.

// parseHash reads a location hash (with or without its "#") into
// {view: {zoom, center: [lon, lat]}, hidden: [layer names], tab, lang}.
// A part that is missing or makes no sense (a latitude beyond the pole, a
// zoom MapLibre does not have, an unknown language) is left out, so a
// mangled link still opens the page.
export function parseHash(hash) {
  const h = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const out = {};
  const m = (h.get('map') || '').split('/');
  if (m.length === 3 && m.every((x) => x.trim() !== '' && Number.isFinite(Number(x)))) {
    const [zoom, lat, lon] = m.map(Number);
    if (zoom >= 0 && zoom <= 24 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) out.view = { zoom, center: [lon, lat] };
  }
  if (h.has('hide')) out.hidden = h.get('hide').split(',').map((s) => s.trim()).filter(Boolean);
  if (h.get('tab')) out.tab = h.get('tab');
  if (['en', 'zh-CN'].includes(h.get('lang'))) out.lang = h.get('lang');
  return out;
}

// formatHash writes a view ({zoom, center: [lon, lat]}) and the page's
// state into a hash (without its "#"): the view to 2 decimals of zoom and 5
// of a degree (about a metre), hidden layers, English (Chinese is the
// default) and the open tab (unless it is the first, the layers).
export function formatHash({ zoom, center, hidden = [], lang, tab }) {
  const h = new URLSearchParams();
  h.set('map', `${zoom.toFixed(2)}/${center[1].toFixed(5)}/${center[0].toFixed(5)}`);
  if (hidden.length) h.set('hide', [...hidden].join(','));
  if (lang === 'en') h.set('lang', 'en');
  if (tab && tab !== 'layers') h.set('tab', tab);
  return h.toString().replaceAll('%2F', '/').replaceAll('%2C', ',');
}
