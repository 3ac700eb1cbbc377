// Imports by drag and drop: POST /api/imports (multipart, with the write
// token the user typed, kept in this browser), upload progress, the
// server's summary, and the import history.

import { getJSON, uploadForm, escapeHTML } from './api.js';
import { t, fmtNum, kinds, kindTitle, onLangChange, value } from './i18n.js';

const $ = (sel, root = document) => root.querySelector(sel);
const LAYER_RE = /^[a-z][a-z0-9_]{0,47}$/;

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

// guessLayer proposes a layer name from a file name: ASCII, lower case.
function guessLayer(name) {
  const base = name.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(base) ? base.slice(0, 48) : '';
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

  tokenInput.value = localStorage.getItem('tudi.token') || '';
  tokenInput.addEventListener('change', () => localStorage.setItem('tudi.token', tokenInput.value.trim()));

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
      const main = files.find((f) => /\.(shp|zip|geojson|json|gpkg)$/i.test(f.name)) || files[0];
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

  function summaryHTML(s) {
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

  btn.addEventListener('click', async () => {
    const layer = layerInput.value.trim();
    if (!LAYER_RE.test(layer)) { $('#import-result').innerHTML = `<p class="error">${t('import.badlayer')}</p>`; return; }
    const token = tokenInput.value.trim();
    localStorage.setItem('tudi.token', token);
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    form.append('layer', layer);
    if (kindSel.value) form.append('kind', kindSel.value);
    form.append('mode', $('#import-mode').value);
    const enc = $('#import-encoding').value.trim();
    if (enc) form.append('encoding', enc);
    const srid = $('#import-srid').value.trim();
    if (srid) form.append('srid', srid);
    btn.disabled = true;
    progress.hidden = false;
    const bar = $('.bar', progress);
    const pct = $('.pct', progress);
    progress.classList.remove('busy');
    const onProgress = (frac, done) => {
      bar.style.width = `${Math.round(frac * 100)}%`;
      pct.textContent = done ? t('import.processing') : t('import.uploading', { pct: Math.round(frac * 100) });
      progress.classList.toggle('busy', done);
    };
    onProgress(0, false);
    try {
      const res = await uploadForm('api/imports', form, token, onProgress);
      progress.hidden = true;
      $('#import-result').innerHTML = `<h3 class="ok">✓ ${t('import.done')} · ${escapeHTML(layer)}</h3>${summaryHTML(res || {})}`;
      app.toast(`${t('import.done')}: ${layer}`);
      await app.refreshCatalog();
      loadHistory();
    } catch (err) {
      progress.hidden = true;
      const detail = err.detail ? (Array.isArray(err.detail) || typeof err.detail === 'object' ? summaryHTML(err.detail) : `<p>${escapeHTML(err.detail)}</p>`) : '';
      $('#import-result').innerHTML = `<p class="error">${t('import.failed')}（${err.status || ''}）：${escapeHTML(err.message)}</p>${detail}`;
    } finally {
      update();
    }
  });

  async function loadHistory() {
    const box = $('#import-history');
    try {
      const body = await getJSON('api/imports');
      const list = Array.isArray(body) ? body : (body.imports || []);
      if (!list.length) { box.innerHTML = `<p class="empty">${t('import.nohistory')}</p>`; return; }
      box.innerHTML = `<table class="mini"><thead><tr><th>${t('common.layer')}</th><th>${t('import.loaded')}</th><th>${t('common.time')}</th></tr></thead><tbody>${list.slice(0, 20).map((im) => {
        const s = im.summary || im;
        const when = im.finished_at || im.created_at || im.started_at || '';
        return `<tr><td>${escapeHTML(im.layer || '')}</td><td class="num">${fmtNum(s.loaded ?? s.features_loaded, 0)}</td><td>${escapeHTML(value(String(when).replace('T', ' ').slice(0, 16)))}</td></tr>`;
      }).join('')}</tbody></table>`;
    } catch (err) {
      box.innerHTML = `<p class="muted">${escapeHTML(err.message)}</p>`;
    }
  }

  renderKinds();
  onLangChange(renderKinds);
  document.addEventListener('tudi:tab', (e) => { if (e.detail === 'import') loadHistory(); });
}
