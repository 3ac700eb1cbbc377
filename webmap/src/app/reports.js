// Reports: the bureau's yearly figures from GET /api/reports/{name}, shown as
// a table and a chart, with CSV / Excel downloads of the same query.

import { getJSON, escapeHTML, APIError } from './api.js';
import { authHeaders } from './auth.js';
import { t, pick, fmtNum, value, onLangChange, landuseClassName, isEN } from './i18n.js';

const $ = (sel, root = document) => root.querySelector(sel);

// ECharts is 1 MB: load it when the first report is shown, not with the map.
let echarts = null;

const DEFAULT_GROUPS = ['street', 'year'];
export const GROUP_TITLES = {
  street: ['街道/镇', 'Sub-district'], year: ['年度', 'Year'], method: ['供应方式', 'Supply method'],
  landuse: ['地类', 'Land use'], class: ['地类', 'Land-use class'], kind: ['类型', 'Kind'], cause: ['原因', 'Cause'],
  stage: ['阶段', 'Stage'], category: ['更新类别', 'Category'], direction: ['更新方向', 'Direction'],
  disposal_method: ['处置方式', 'Disposal method'], supply_year: ['供应年度', 'Supply year'],
};

// textOf picks the title of something that may carry it as a string, as
// {zh, en}, or as title / title_en fields.
export function textOf(o, key = 'title') {
  if (!o) return '';
  const v = o[key];
  if (v && typeof v === 'object') return pick(v.zh, v.en);
  return pick(v, o[`${key}_en`]) || o.name || o.key || '';
}

// reportQuery is the query string of a report: the format, the grouping,
// the year, the as-of date of the stocks (the layers' state on that date)
// and the sub-districts (all when none), the same for the table, the chart
// and the downloads.
// A report that lists inputs (layer-summary: of, group, sum, date) adds
// them from extra.
export function reportQuery({ format, group, year, asOf, streets = [], extra = {} }) {
  const p = new URLSearchParams({ format });
  if (group) p.set('group', group);
  for (const [k, v] of Object.entries(extra)) {
    const s = String(v ?? '').trim();
    if (s) p.set(k, s);
  }
  const y = String(year ?? '').trim();
  if (y) p.set('year', y);
  const d = String(asOf ?? '').trim();
  if (d) p.set('as_of', d);
  const st = streets.filter(Boolean);
  if (st.length) p.set('street', st.join(','));
  return p.toString();
}

// rowsOf returns a report's rows as objects keyed by column key.
export function rowsOf(rep) {
  const cols = rep.columns || [];
  return (rep.rows || []).map((r) => (Array.isArray(r) ? Object.fromEntries(cols.map((c, i) => [c.key, r[i]])) : r));
}

export function initReports(app) {
  const view = $('#report-view');
  const sel = $('#report-name');
  const groupSel = $('#report-group');
  const streetSel = $('#report-street');
  let reports = [];
  let streets = []; // the sub-districts the reports can be limited to
  let current = null; // last report answer
  let chart = null;
  let metric = null;
  let status = null; // what the status line says: HTML, a function of the language

  function setStatus(say) {
    status = say;
    renderStatus();
  }

  // A link cannot send the tab's token: with one, a download is fetched
  // with it and handed to the browser as a file.
  for (const a of view.querySelectorAll('a.dl')) {
    a.addEventListener('click', async (e) => {
      const headers = authHeaders(a.href);
      if (!headers.Authorization) return;
      e.preventDefault();
      try {
        const resp = await fetch(a.href, { headers });
        if (!resp.ok) throw new APIError(resp.status, `${resp.status} ${resp.statusText}`);
        const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(resp.headers.get('Content-Disposition') || '');
        const url = URL.createObjectURL(await resp.blob());
        const tmp = Object.assign(document.createElement('a'), { href: url, download: name ? decodeURIComponent(name[1]) : '' });
        document.body.appendChild(tmp);
        tmp.click();
        tmp.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      } catch (err) {
        app.toast(err.message, 'error');
      }
    });
  }
  function renderStatus() {
    $('#report-status').innerHTML = status ? status() : '';
  }

  async function loadList() {
    try {
      const body = await getJSON('api/reports');
      reports = Array.isArray(body) ? body : (body.reports || []);
      streets = (!Array.isArray(body) && body.streets) || [];
    } catch (err) {
      setStatus(() => `<span class="error">${escapeHTML(err.message)}</span>`);
      reports = [];
    }
    renderList();
    renderStreets();
  }

  function renderList() {
    const prev = sel.value;
    sel.innerHTML = reports.length
      ? reports.map((r) => `<option value="${escapeHTML(r.name)}">${escapeHTML(textOf(r))}</option>`).join('')
      : `<option value="">${t('reports.none')}</option>`;
    if (prev && reports.some((r) => r.name === prev)) sel.value = prev;
    renderGroups();
  }

  // renderInputs shows a text field for each input the report lists (the
  // layer, fields of layer-summary) in place of the grouping choice.
  function renderInputs() {
    const r = reports.find((x) => x.name === sel.value);
    const inputs = (r && r.inputs) || [];
    const box = $('#report-inputs');
    const prev = Object.fromEntries([...box.querySelectorAll('input')].map((i) => [i.dataset.key, i.value]));
    groupSel.closest('label').hidden = inputs.length > 0;
    box.innerHTML = inputs.map((i) => `<label class="field"><span>${escapeHTML(textOf(i))}${i.required ? ' *' : ''}</span>` +
      `<input type="text" data-key="${escapeHTML(i.key)}" value="${escapeHTML(prev[i.key] || '')}"></label>`).join('');
  }

  function inputValues() {
    return Object.fromEntries([...$('#report-inputs').querySelectorAll('input')].map((i) => [i.dataset.key, i.value]));
  }

  function renderGroups() {
    renderInputs();
    const r = reports.find((x) => x.name === sel.value);
    const groups = (r && (r.groups || r.group_by)) || DEFAULT_GROUPS;
    const prev = groupSel.value;
    groupSel.innerHTML = groups.map((g) => {
      const key = typeof g === 'string' ? g : g.name || g.key;
      const title = typeof g === 'string' ? (GROUP_TITLES[g] ? pick(...GROUP_TITLES[g]) : g) : textOf(g);
      return `<option value="${escapeHTML(key)}">${escapeHTML(title)}</option>`;
    }).join('');
    if (prev && [...groupSel.options].some((o) => o.value === prev)) groupSel.value = prev;
  }
  sel.addEventListener('change', renderGroups);

  // renderStreets fills the sub-district filter from the server's list
  // (GET /api/reports), keeping the choice.
  function renderStreets() {
    const prev = streetSel.value;
    streetSel.innerHTML = `<option value="">${t('reports.allstreets')}</option>` + streets.map((n) => `<option>${escapeHTML(n)}</option>`).join('');
    streetSel.value = streets.includes(prev) ? prev : '';
  }

  // isKeyCol: a column the rows are grouped by (a year too is a label).
  function isKeyCol(rep, c) {
    return ((rep.params && rep.params.group) || []).includes(c.key);
  }

  function isNumCol(rep, c) {
    return !isKeyCol(rep, c) && rowsOf(rep).some((r) => typeof r[c.key] === 'number');
  }

  function colTitle(c) {
    const title = textOf(c);
    return c.unit ? (isEN() ? `${title} (${c.unit})` : `${title}（${c.unit}）`) : title;
  }

  function cell(c, v) {
    if (typeof v === 'number' && current && isKeyCol(current, c)) return String(v);
    if (typeof v === 'number') return fmtNum(v, c.decimals ?? (Number.isInteger(v) ? 0 : 2));
    if (c.key === 'landuse_class' || c.key === 'class') return `${v ?? ''} ${v ? landuseClassName(v) : ''}`;
    return value(v);
  }

  // kpiCols are the columns worth a key figure: square metres only when the
  // report has no hectares or mu, so that rates still fit.
  function kpiCols(numCols) {
    const big = numCols.some((c) => /公顷|亩|^ha$|^mu$/.test(c.unit || ''));
    return numCols.filter((c) => !(big && (c.unit === 'm²' || c.unit === 'm2')));
  }

  // landuseColor is a land-use code's colour on the map: the server's
  // legend (second-level code, else its first-level class), else grey.
  function landuseColor(code) {
    const c = String(code ?? '');
    const lg = (app.state.legends || []).find((k) => k.kind === 'parcels');
    const classes = (lg && lg.classes) || [];
    const hit = classes.find((x) => x.value === c) || classes.find((x) => x.value === c.slice(0, 2));
    return (hit && hit.color) || '#9aa3b5';
  }

  function chooseMetric(rep, numCols) {
    if (metric && numCols.some((c) => c.key === metric)) return metric;
    const pref = numCols.find((c) => /亩|mu|公顷|ha/i.test(c.unit || '')) || numCols.find((c) => (c.unit || '') !== '%') || numCols[0];
    return pref && pref.key;
  }

  function render() {
    if (!current) return;
    const rep = current;
    const cols = rep.columns || [];
    const rows = rowsOf(rep);
    const numCols = cols.filter((c) => isNumCol(rep, c));
    const labelCols = cols.filter((c) => !numCols.includes(c));
    view.hidden = false;
    $('.title', view).textContent = [textOf(rep) || rep.report, ...rep.streets].filter(Boolean).join(' · ');
    const base = `api/reports/${encodeURIComponent(rep.report)}`;
    $('.csv', view).href = `${base}?${rep.query('csv')}`;
    $('.xlsx', view).href = `${base}?${rep.query('xlsx')}`;
    metric = chooseMetric(rep, numCols);
    const totals = rep.totals && typeof rep.totals === 'object' ? rep.totals : null;
    $('.summary', view).innerHTML = totals
      ? kpiCols(numCols).filter((c) => totals[c.key] !== undefined && totals[c.key] !== null).slice(0, 8).map((c) =>
        `<div class="kpi"><span>${escapeHTML(textOf(c))}</span><b>${escapeHTML(cell(c, totals[c.key]))}</b><small>${escapeHTML(c.unit || '')}</small></div>`).join('')
      : '';
    const metricSel = numCols.length > 1
      ? `<select class="metric">${numCols.map((c) => `<option value="${escapeHTML(c.key)}" ${c.key === metric ? 'selected' : ''}>${escapeHTML(colTitle(c))}</option>`).join('')}</select>` : '';
    const table = $('.grid', view);
    table.innerHTML = `<thead><tr>${cols.map((c) => `<th class="${numCols.includes(c) ? 'num' : ''}">${escapeHTML(colTitle(c))}</th>`).join('')}</tr></thead>
      <tbody>${rows.map((r) => `<tr>${cols.map((c) => `<td class="${numCols.includes(c) ? 'num' : ''}">${escapeHTML(cell(c, r[c.key]))}</td>`).join('')}</tr>`).join('')}</tbody>
      ${totals ? `<tfoot><tr>${cols.map((c, i) => `<td class="${numCols.includes(c) ? 'num' : ''}">${i === 0 ? t('reports.total') : escapeHTML(totals[c.key] !== undefined ? cell(c, totals[c.key]) : '')}</td>`).join('')}</tr></tfoot>` : ''}`;
    const chartBox = $('.chart', view);
    chartBox.innerHTML = `<div class="chart-head">${metricSel}</div><div class="chart-canvas"></div>`;
    const ms = $('.metric', chartBox);
    if (ms) ms.addEventListener('change', () => { metric = ms.value; render(); });
    if (chart) chart.dispose();
    chart = null;
    const mc = numCols.find((c) => c.key === metric);
    if (!mc || !rows.length) return;
    const label = (r) => labelCols.map((c) => cell(c, r[c.key])).filter((s) => s && s !== '—').join(' · ') || '—';
    const classCol = labelCols.find((c) => /^(class_code|landuse_code|class|code)$/.test(c.key));
    chart = echarts.init($('.chart-canvas', chartBox), null, { renderer: 'canvas' });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => `${fmtNum(v)} ${mc.unit || ''}` },
      xAxis: { type: 'category', data: rows.map(label), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0, color: '#3c4257' }, axisTick: { alignWithLabel: true } },
      yAxis: { type: 'value', name: mc.unit || '', nameTextStyle: { color: '#6b7185' }, axisLabel: { color: '#6b7185' }, splitLine: { lineStyle: { color: '#e6e8ee' } } },
      series: [{
        type: 'bar', name: textOf(mc), data: rows.map((r) => r[mc.key] ?? 0), barMaxWidth: 36,
        itemStyle: {
          // Grouped by land-use class, each bar takes its class's map colour.
          color: classCol ? (p) => landuseColor(rows[p.dataIndex][classCol.key])
            : new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: '#2f80d1' }, { offset: 1, color: '#1f5fa8' }]),
          borderRadius: [3, 3, 0, 0],
        },
        label: { show: rows.length <= 12, position: 'top', color: '#1f2a44', fontSize: 11, formatter: (p) => fmtNum(p.value, 1) },
      }],
    });
  }

  async function run() {
    const name = sel.value;
    if (!name) return;
    setStatus(() => `<span class="loading">${t('reports.running')}</span>`);
    // The downloads repeat the query of the table, whatever the panel says
    // by the time they are clicked.
    const extra = inputValues();
    const chosen = { group: 'group' in extra ? '' : groupSel.value, year: $('#report-year').value, asOf: $('#report-asof').value, streets: [streetSel.value].filter(Boolean), extra };
    try {
      const rep = await getJSON(`api/reports/${encodeURIComponent(name)}?${reportQuery({ format: 'json', ...chosen })}`);
      rep.report = rep.report || name;
      rep.streets = chosen.streets;
      rep.query = (format) => reportQuery({ format, ...chosen });
      echarts ??= await import('../vendor/echarts.mjs');
      current = rep;
      const n = rowsOf(rep).length;
      setStatus(() => escapeHTML(t('reports.rows', { n })));
      render();
    } catch (err) {
      setStatus(() => `<span class="error">${t('reports.failed')}：${escapeHTML(err.message)}</span>`);
    }
  }

  $('#btn-run-report').addEventListener('click', run);
  $('.close', view).addEventListener('click', () => { view.hidden = true; if (chart) { chart.dispose(); chart = null; } });
  window.addEventListener('resize', () => chart && chart.resize());
  onLangChange(() => { renderList(); renderStreets(); renderStatus(); render(); });
  let loaded = false;
  document.addEventListener('tudi:tab', (e) => {
    if (e.detail === 'reports' && !loaded) {
      loaded = true;
      loadList();
    }
  });
}
