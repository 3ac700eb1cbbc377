// Imports by drag and drop: POST /api/imports (multipart, with the token
// the user typed, kept in this tab: see auth.js), upload progress, the
// server's summary, and the import history.

import { getJSON, uploadForm, escapeHTML } from './api.js';
import { getToken, setToken } from './auth.js';
import { t, fmtNum, kinds, kindTitle, onLangChange, value } from './i18n.js';

const $ = (sel, root = document) => root.querySelector(sel);

// LAYER_RE is what the server takes as a layer name.
export const LAYER_RE = /^[a-z][a-z0-9_]{0,47}$/;

// fmtBytes renders a file size in B, KB or MB.
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

// guessLayer proposes a layer name from a file name: ASCII, lower case.
export function guessLayer(name) {
  const base = name.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(base) ? base.slice(0, 48) : '';
}

// summaryHTML renders the server's summary of an import: the counts, the
// encoding and CRS it found, and the problems.
export function summaryHTML(s) {
  const sum = s.summary || s;
  const n = (k) => fmtNum(sum[k] ?? sum[`features_${k}`] ?? 0, 0);
  const problems = sum.problems || s.problems || [];
  return `<div class="kpis">
      <div class="kpi"><span>${t('import.read')}</span><b>${n('read')}</b></div>
      <div class="kpi"><span>${t('import.loaded')}</span><b>${n('loaded')}</b></div>
      <div class="kpi"><span>${t('import.repaired')}</span><b>${n('repaired')}</b></div>
      <div class="kpi ${Number(sum.rejected) > 0 ? 'warn' : ''}"><span>${t('import.rejected')}</span><b>${n('rejected')}</b></div>
    </div>
    ${[sum.encoding && `${t('import.encoding')}: ${sum.encoding}`, sum.srid && `SRID: ${sum.srid}`, sum.crs && `CRS: ${sum.crs}`]
      .filter(Boolean).map((x) => `<span class="chip">${escapeHTML(x)}</span>`).join(' ')}
    ${problems.length ? `<details open><summary>${t('import.problems')} (${problems.length})</summary><ul class="problems">${problems.slice(0, 100).map((p) =>
      `<li>${escapeHTML([p.file, p.record !== undefined ? `#${p.record}` : '', p.message || p.reason || JSON.stringify(p)].filter(Boolean).join(' '))}</li>`).join('')}</ul></details>` : ''}`;
}

export function initImports(app) {
  const drop = $('#dropzone');
  const input = $('#import-files');
  const btn = $('#btn-import');
  const tokenInput = $('#import-token');
  const layerInput = $('#import-layer');
  const kindSel = $('#import-kind');
  const progress = $('.progress');
  let files = [];
  // The result, the progress and the history are kept as data and drawn by
  // the render functions below, again when the language changes.
  let result = null; // {ok, layer, summary} | {badLayer} | {status, message, detail}
  let upload = null; // {frac, done} while uploading
  let history = null; // the imports, or {error}

  // The tab's token is shown here; one typed here becomes the tab's token
  // once the server has accepted it (a typo must not make every read fail).
  tokenInput.value = getToken();

  function renderKinds() {
    const prev = kindSel.value;
    kindSel.innerHTML = `<option value="">${t('kind.auto')}</option>` +
      kinds().map((k) => `<option value="${k}">${escapeHTML(kindTitle(k))} (${k})</option>`).join('');
    kindSel.value = prev;
  }

  function update() {
    $('#import-filelist').innerHTML = files.map((f) => `<li><span>${escapeHTML(f.name)}</span><small>${fmtBytes(f.size)}</small></li>`).join('');
    btn.disabled = !files.length || !LAYER_RE.test(layerInput.value.trim());
    layerInput.classList.toggle('bad', !!layerInput.value && !LAYER_RE.test(layerInput.value.trim()));
  }

  function addFiles(list) {
    files = [...list];
    if (!layerInput.value && files.length) {
      const main = files.find((f) => /\.(shp|zip|geojson|json|gpkg|xlsx|csv)$/i.test(f.name)) || files[0];
      layerInput.value = guessLayer(main.name);
      if (!kindSel.value && kinds().includes(layerInput.value)) kindSel.value = layerInput.value;
    }
    update();
  }

  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') input.click(); });
  input.addEventListener('change', () => addFiles(input.files));
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); addFiles(e.dataTransfer.files); });
  // A file dropped anywhere on the page opens the import panel with it.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    if (!e.dataTransfer || !e.dataTransfer.files.length || drop.contains(e.target)) return;
    document.querySelector('.tabs [data-tab="import"]').click();
    addFiles(e.dataTransfer.files);
  });
  layerInput.addEventListener('input', update);

  function renderResult() {
    const box = $('#import-result');
    if (!result) { box.innerHTML = ''; return; }
    if (result.badLayer) { box.innerHTML = `<p class="error">${t('import.badlayer')}</p>`; return; }
    if (result.ok) {
      box.innerHTML = `<h3 class="ok">✓ ${t('import.done')} · ${escapeHTML(result.layer)}</h3>${summaryHTML(result.summary || {})}`;
      return;
    }
    const d = result.detail;
    const detail = d ? (typeof d === 'object' ? summaryHTML(d) : `<p>${escapeHTML(d)}</p>`) : '';
    box.innerHTML = `<p class="error">${t('import.failed')}（${result.status || ''}）：${escapeHTML(result.message)}</p>${detail}`;
  }

  function renderProgress() {
    progress.hidden = !upload;
    if (!upload) return;
    const pc = Math.round(upload.frac * 100);
    $('.bar', progress).style.width = `${pc}%`;
    $('.pct', progress).textContent = upload.done ? t('import.processing') : t('import.uploading', { pct: pc });
    progress.classList.toggle('busy', upload.done);
  }

  btn.addEventListener('click', async () => {
    const layer = layerInput.value.trim();
    if (!LAYER_RE.test(layer)) { result = { badLayer: true }; renderResult(); return; }
    const token = tokenInput.value.trim();
    const form = new FormData();
    // The layer first: the server refuses a token not allowed to write it
    // before the files are sent.
    form.append('layer', layer);
    for (const f of files) form.append('file', f, f.name);
    if (kindSel.value) form.append('kind', kindSel.value);
    form.append('mode', $('#import-mode').value);
    const enc = $('#import-encoding').value.trim();
    if (enc) form.append('encoding', enc);
    const srid = $('#import-srid').value.trim();
    if (srid) form.append('srid', srid);
    btn.disabled = true;
    const onProgress = (frac, done) => {
      upload = { frac, done };
      renderProgress();
    };
    onProgress(0, false);
    try {
      const res = await uploadForm('api/imports', form, token, onProgress);
      upload = null;
      if (token) setToken(token);
      result = { ok: true, layer, summary: res };
      app.toast(`${t('import.done')}: ${layer}`);
      await app.refreshCatalog();
      loadHistory();
    } catch (err) {
      upload = null;
      // 401: the token is unknown, revoked or expired; anything else means
      // the server knew it (403: not allowed this layer).
      if (err.status === 401) { if (token && token === getToken()) setToken(''); } else if (token) setToken(token);
      result = { status: err.status, message: err.message, detail: err.detail };
    } finally {
      renderProgress();
      renderResult();
      update();
    }
  });

  async function loadHistory() {
    try {
      const body = await getJSON('api/imports');
      history = Array.isArray(body) ? body : (body.imports || []);
    } catch (err) {
      history = { error: err.message };
    }
    renderHistory();
  }

  function renderHistory() {
    const box = $('#import-history');
    if (!history) return;
    if (history.error !== undefined) { box.innerHTML = `<p class="muted">${escapeHTML(history.error)}</p>`; return; }
    if (!history.length) { box.innerHTML = `<p class="empty">${t('import.nohistory')}</p>`; return; }
    box.innerHTML = `<table class="mini"><thead><tr><th>${t('common.layer')}</th><th>${t('import.loaded')}</th><th>${t('common.time')}</th></tr></thead><tbody>${history.slice(0, 20).map((im) => {
      const s = im.summary || im;
      const when = im.finished_at || im.created_at || im.started_at || '';
      return `<tr><td>${escapeHTML(im.layer || '')}</td><td class="num">${fmtNum(s.loaded ?? s.features_loaded, 0)}</td><td>${escapeHTML(value(String(when).replace('T', ' ').slice(0, 16)))}</td></tr>`;
    }).join('')}</tbody></table>`;
  }

  renderKinds();
  onLangChange(() => { renderKinds(); renderResult(); renderProgress(); renderHistory(); });
  document.addEventListener('tudi:tab', (e) => { if (e.detail === 'import') loadHistory(); });
}
