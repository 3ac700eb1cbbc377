// Reports: the bureau's yearly figures from GET /api/reports/{name}, shown as
// a table and a chart, with CSV / Excel downloads of the same query.

import { getJSON, escapeHTML } from './api.js';
import { LANDUSE_COLORS } from './style.js';
import { t, pick, fmtNum, value, onLangChange, landuseClassName, isEN } from './i18n.js';

const $ = (sel, root = document) => root.querySelector(sel);

// ECharts is 1 MB: load it when the first report is shown, not with the map.
let echarts = null;

const DEFAULT_GROUPS = ['street', 'year'];
const GROUP_TITLES = {
  street: ['街道/镇', 'Sub-district'], year: ['年度', 'Year'], method: ['供应方式', 'Supply method'],
  landuse: ['地类', 'Land use'], class: ['地类', 'Land-use class'], kind: ['类型', 'Kind'], cause: ['原因', 'Cause'],
  stage: ['阶段', 'Stage'], category: ['更新类别', 'Category'], direction: ['更新方向', 'Direction'],
  disposal_method: ['处置方式', 'Disposal method'], supply_year: ['供应年度', 'Supply year'],
};

// textOf picks the title of something that may carry it as a string, as
// {zh, en}, or as title / title_en fields.
function textOf(o, key = 'title') {
  if (!o) return '';
  const v = o[key];
  if (v && typeof v === 'object') return pick(v.zh, v.en);
  return pick(v, o[`${key}_en`]) || o.name || o.key || '';
}

export function initReports(app) {
  const view = $('#report-view');
  const sel = $('#report-name');
  const groupSel = $('#report-group');
  const streetSel = $('#report-street');
  let reports = [];
  let current = null; // last report answer
  let chart = null;
  let metric = null;

  async function loadList() {
    try {
      const body = await getJSON('api/reports');
      reports = Array.isArray(body) ? body : (body.reports || []);
    } catch (err) {
      $('#report-status').innerHTML = `<span class="error">${escapeHTML(err.message)}</span>`;
      reports = [];
    }
    renderList();
  }

  function renderList() {
    const prev = sel.value;
    sel.innerHTML = reports.length
      ? reports.map((r) => `<option value="${escapeHTML(r.name)}">${escapeHTML(textOf(r))}</option>`).join('')
      : `<option value="">${t('reports.none')}</option>`;
    if (prev && reports.some((r) => r.name === prev)) sel.value = prev;
    renderGroups();
  }

  function renderGroups() {
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

  async function loadStreets() {
    const b = app.catalog().find((l) => l.kind === 'boundaries');
    if (!b) return;
    try {
      const body = await getJSON(`ogc/collections/${encodeURIComponent(b.name)}/items?limit=200`, { headers: { Accept: 'application/geo+json' } });
      const names = [...new Set((body.features || []).map((f) => f.properties && f.properties.name).filter(Boolean))].sort((a, b2) => a.localeCompare(b2, 'zh-CN'));
      streetSel.innerHTML = `<option value="">${t('reports.allstreets')}</option>` + names.map((n) => `<option>${escapeHTML(n)}</option>`).join('');
    } catch { /* no boundaries via OGC yet: keep "all" */ }
  }

  // params are the report's query parameters. The API has no sub-district
  // filter: with one chosen, the report is also grouped by street and the
  // page keeps that street's rows (downloads hold every street).
  function params(format) {
    const p = new URLSearchParams({ format });
    const groups = groupSel.value ? [groupSel.value] : [];
    if (format === 'json' && streetSel.value && !groups.includes('street')) groups.unshift('street');
    if (groups.length) p.set('group', groups.join(','));
    const y = $('#report-year').value.trim();
    if (y) p.set('year', y);
    return p;
  }

  // rowsOf returns the rows as objects keyed by column key.
  function rowsOf(rep) {
    const cols = rep.columns || [];
    return (rep.rows || []).map((r) => (Array.isArray(r) ? Object.fromEntries(cols.map((c, i) => [c.key, r[i]])) : r));
  }

  function isNumCol(rep, c) {
    return rowsOf(rep).some((r) => typeof r[c.key] === 'number');
  }

  function colTitle(c) {
    const title = textOf(c);
    return c.unit ? (isEN() ? `${title} (${c.unit})` : `${title}（${c.unit}）`) : title;
  }

  function cell(c, v) {
    if (typeof v === 'number') return fmtNum(v, c.decimals ?? (Number.isInteger(v) ? 0 : 2));
    if (c.key === 'landuse_class' || c.key === 'class') return `${v ?? ''} ${v ? landuseClassName(v) : ''}`;
    return value(v);
  }

  function streetFilter(rows) {
    const s = current && current.street;
    if (!s) return rows;
    return rows.filter((r) => r.street === s);
  }

  // totalsOf sums the filtered rows' counts and areas; rates and shares
  // cannot be summed and stay empty.
  function totalsOf(rep, rows, numCols) {
    if (!rep.street) return rep.totals && typeof rep.totals === 'object' ? rep.totals : null;
    const out = {};
    for (const c of numCols) {
      if (c.unit === '%' || c.type === 'percent') continue;
      out[c.key] = rows.reduce((a, r) => a + (Number(r[c.key]) || 0), 0);
    }
    return out;
  }

  // kpiCols are the columns worth a key figure: square metres only when the
  // report has no hectares or mu, so that rates still fit.
  function kpiCols(numCols) {
    const big = numCols.some((c) => /公顷|亩|^ha$|^mu$/.test(c.unit || ''));
    return numCols.filter((c) => !(big && (c.unit === 'm²' || c.unit === 'm2')));
  }

  // landuseColor is a land-use code's colour on the map: the server's
  // legend (second-level code, else its first-level class), else the page's.
  function landuseColor(code) {
    const c = String(code ?? '');
    const lg = (app.state.legends || []).find((k) => k.kind === 'parcels');
    const classes = (lg && lg.classes) || [];
    const hit = classes.find((x) => x.value === c) || classes.find((x) => x.value === c.slice(0, 2));
    return (hit && hit.color) || LANDUSE_COLORS[c.slice(0, 2)] || '#9aa3b5';
  }

  function chooseMetric(rep, numCols) {
    if (metric && numCols.some((c) => c.key === metric)) return metric;
    const pref = numCols.find((c) => /亩|mu|公顷|ha/i.test(c.unit || '')) || numCols.find((c) => (c.unit || '') !== '%') || numCols[0];
    return pref && pref.key;
  }

  function render() {
    if (!current) return;
    const rep = current;
    const cols = (rep.columns || []).filter((c) => !(rep.street && rep.dropStreet && c.key === 'street'));
    const rows = streetFilter(rowsOf(rep));
    const numCols = cols.filter((c) => isNumCol(rep, c));
    const labelCols = cols.filter((c) => !numCols.includes(c));
    view.hidden = false;
    $('.title', view).textContent = [textOf(rep) || rep.report, rep.street].filter(Boolean).join(' · ');
    const base = `api/reports/${encodeURIComponent(rep.report || sel.value)}`;
    $('.csv', view).href = `${base}?${params('csv')}`;
    $('.xlsx', view).href = `${base}?${params('xlsx')}`;
    metric = chooseMetric(rep, numCols);
    const totals = totalsOf(rep, rows, numCols);
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
    const st = $('#report-status');
    st.innerHTML = `<span class="loading">${t('reports.running')}</span>`;
    try {
      current = await getJSON(`api/reports/${encodeURIComponent(name)}?${params('json')}`);
      current.report = current.report || name;
      current.street = streetSel.value;
      current.dropStreet = groupSel.value !== 'street';
      echarts ??= await import('../vendor/echarts.mjs');
      st.textContent = t('reports.rows', { n: rowsOf(current).length });
      render();
    } catch (err) {
      st.innerHTML = `<span class="error">${t('reports.failed')}：${escapeHTML(err.message)}</span>`;
    }
  }

  $('#btn-run-report').addEventListener('click', run);
  $('.close', view).addEventListener('click', () => { view.hidden = true; if (chart) { chart.dispose(); chart = null; } });
  window.addEventListener('resize', () => chart && chart.resize());
  onLangChange(() => { renderList(); render(); });
  let loaded = false;
  document.addEventListener('tudi:tab', (e) => {
    if (e.detail === 'reports' && !loaded) {
      loaded = true;
      loadList();
      loadStreets();
    }
  });
}
