// Interface language: zh-CN by default, English by the switch. Strings carry
// both languages side by side so a missing translation is visible in review
// (and fails the module's tests). Nothing here touches the page: the page
// keeps the choice and relabels itself through onLangChange.

export const STRINGS = {
  'app.title': ['土地一张图', 'Land map'],
  'page.title': ['tudi 土地 · 一张图', 'tudi · Land map'],
  'search.placeholder': ['搜索地块编号、单元名称、街道…', 'Search parcel code, unit name, sub-district…'],
  'search.none': ['未找到匹配的要素', 'Nothing matches'],
  'search.searching': ['正在搜索…', 'Searching…'],
  'settings.title': ['设置', 'Settings'],
  'settings.basemap': ['底图瓦片地址（可选，XYZ 栅格）', 'Basemap tile URL (optional, XYZ raster)'],
  'settings.basemaphint': ['留空则使用纯色背景；仅在内网有瓦片服务时填写。', 'Leave empty for a plain background; set it only where your network has a tile service.'],
  'settings.basemapattr': ['底图版权说明', 'Basemap attribution'],
  'settings.cancel': ['取消', 'Cancel'],
  'settings.save': ['保存', 'Save'],
  'settings.token': ['访问令牌', 'Access token'],
  'settings.tokenhint': ['服务器要求令牌时填写；仅保存在本标签页，关闭即清除。', 'Needed when the server asks for one; kept in this tab only, gone when it closes.'],
  'auth.title': ['需要令牌', 'Token needed'],
  'auth.needed': ['此服务器需要令牌才能查看数据。请输入管理员发给您的令牌。', 'This server needs a token to show its data. Enter the token your administrator gave you.'],
  'auth.refused': ['服务器拒绝了令牌：{msg}', 'The server refused the token: {msg}'],
  'auth.placeholder': ['tudi_…', 'tudi_…'],
  'auth.ok': ['确定', 'OK'],
  'auth.cancel': ['取消', 'Cancel'],
  'map.loading': ['加载中…', 'Loading…'],
  'map.home': ['全图', 'Whole district'],
  'map.zoomin': ['放大', 'Zoom in'],
  'map.zoomout': ['缩小', 'Zoom out'],
  'map.fullscreen': ['全屏', 'Enter fullscreen'],
  'map.exitfullscreen': ['退出全屏', 'Exit fullscreen'],
  'map.attribution': ['数据来源', 'Toggle attribution'],
  'tab.layers': ['图层', 'Layers'],
  'tab.query': ['空间分析', 'Analysis'],
  'tab.reports': ['统计报表', 'Reports'],
  'tab.import': ['数据导入', 'Import'],
  'layers.heading': ['图层与图例', 'Layers and legend'],
  'layers.hint': ['点击地图任意位置查看该处各图层要素。', 'Click anywhere on the map to see what every layer has there.'],
  'layers.features': ['个要素', 'features'],
  'layers.zoomto': ['缩放至图层', 'Zoom to layer'],
  'layers.empty': ['暂无图层。请导入数据。', 'No layers yet. Import some data.'],
  'layers.loadfailed': ['无法加载图层目录', 'Cannot load the layer catalog'],
  'legend.other': ['其他', 'Other'],
  'legend.points': ['点要素', 'Points'],
  'legend.lines': ['线要素', 'Lines'],
  'legend.polygons': ['面要素', 'Polygons'],
  'identify.heading': ['查询结果', 'At this place'],
  'identify.loading': ['正在查询…', 'Looking…'],
  'identify.nothing': ['此处没有要素。', 'Nothing here.'],
  'identify.area': ['面积', 'Area'],
  'identify.zoomto': ['缩放至要素', 'Zoom to feature'],
  'identify.props': ['源数据属性', 'Source attributes'],
  'identify.failed': ['查询失败', 'Identify failed'],
  'query.heading': ['叠加分析', 'Overlay analysis'],
  'query.hint': ['绘制范围或选取一个要素，可加缓冲距离，统计其涉及的各图层要素与面积。', 'Draw an area or pick a feature, optionally with a buffer, to see what it touches in each layer and how much.'],
  'query.draw': ['绘制多边形', 'Draw polygon'],
  'query.pick': ['选取要素', 'Pick feature'],
  'query.clear': ['清除', 'Clear'],
  'query.buffer': ['缓冲距离（米）', 'Buffer (metres)'],
  'query.layers': ['统计图层', 'Layers to check'],
  'query.run': ['开始分析', 'Analyse'],
  'query.drawing': ['单击添加顶点，双击或回车完成，Esc 取消。', 'Click to add vertices; double-click or Enter to finish; Esc cancels.'],
  'query.picking': ['单击地图上的要素以选取。', 'Click a feature on the map to pick it.'],
  'query.drawn': ['已绘制多边形（{n} 个顶点）', 'Polygon drawn ({n} vertices)'],
  'query.picked': ['已选取：{what}', 'Picked: {what}'],
  'query.running': ['正在分析…', 'Analysing…'],
  'query.total': ['合计', 'Total'],
  'query.count': ['要素数', 'Features'],
  'query.touched': ['涉及面积', 'Area touched'],
  'query.shapearea': ['分析范围面积', 'Area analysed'],
  'query.none': ['未涉及任何要素', 'Touches nothing'],
  'query.failed': ['分析失败', 'Analysis failed'],
  'reports.heading': ['统计报表', 'Reports'],
  'reports.report': ['报表', 'Report'],
  'reports.group': ['分组', 'Group by'],
  'reports.year': ['年度', 'Year'],
  'reports.allyears': ['全部', 'All'],
  'reports.asof': ['截至日期（存量）', 'As of (stocks)'],
  'reports.street': ['街道/镇', 'Sub-district'],
  'reports.allstreets': ['全部', 'All'],
  'reports.run': ['生成报表', 'Run report'],
  'reports.running': ['正在统计…', 'Computing…'],
  'reports.failed': ['报表生成失败', 'Report failed'],
  'reports.total': ['合计', 'Total'],
  'reports.rows': ['{n} 行', '{n} rows'],
  'reports.none': ['暂无可用报表', 'No reports available'],
  'reports.default': ['默认', 'Default'],
  'import.heading': ['数据导入', 'Import data'],
  'import.drop': ['拖放 Shapefile（.shp/.dbf/.shx/.prj/.cpg 或 .zip）、GeoJSON、GeoPackage 或台账（.xlsx/.csv）文件到此处', 'Drop a shapefile (.shp/.dbf/.shx/.prj/.cpg or a .zip), GeoJSON, GeoPackage or a ledger (.xlsx/.csv) here'],
  'import.orclick': ['或点击选择文件', 'or click to choose files'],
  'import.layer': ['图层名', 'Layer'],
  'import.kind': ['类型', 'Kind'],
  'import.mode': ['方式', 'Mode'],
  'import.replace': ['替换', 'Replace'],
  'import.append': ['追加', 'Append'],
  'import.encoding': ['编码', 'Encoding'],
  'import.auto': ['自动', 'auto'],
  'import.token': ['令牌（编辑或管理员）', 'Token (editor or admin)'],
  'import.tokenhint': ['Bearer 令牌（仅保存在本标签页）', 'Bearer token (kept in this tab only)'],
  'import.run': ['上传并导入', 'Upload and import'],
  'import.uploading': ['正在上传… {pct}%', 'Uploading… {pct}%'],
  'import.processing': ['上传完成，服务器正在导入…', 'Uploaded; the server is importing…'],
  'import.done': ['导入完成', 'Import finished'],
  'import.failed': ['导入失败', 'Import failed'],
  'import.history': ['导入记录', 'Import history'],
  'import.nohistory': ['暂无导入记录', 'No imports yet'],
  'import.read': ['读取', 'Read'],
  'import.loaded': ['入库', 'Loaded'],
  'import.repaired': ['修复', 'Repaired'],
  'import.rejected': ['拒绝', 'Rejected'],
  'import.problems': ['问题', 'Problems'],
  'import.badlayer': ['图层名须为小写字母开头，仅含小写字母、数字和下划线', 'Layer names start with a lower-case letter and hold only a–z, 0–9 and _'],
  'kind.auto': ['自动', 'auto'],
  'unit.m2': ['平方米', 'm²'],
  'unit.ha': ['公顷', 'ha'],
  'unit.mu': ['亩', 'mu'],
  'common.error': ['错误', 'Error'],
  'common.yes': ['是', 'yes'],
  'common.no': ['否', 'no'],
  'common.layer': ['图层', 'Layer'],
  'common.time': ['时间', 'Time'],
  'common.status': ['状态', 'Status'],
};

// GB/T 21010-2017 first-level land-use classes, for legends and labels.
export const LANDUSE_CLASSES = {
  '01': ['耕地', 'Cropland'],
  '02': ['园地', 'Orchard'],
  '03': ['林地', 'Forest'],
  '04': ['草地', 'Grassland'],
  '05': ['商服用地', 'Commercial'],
  '06': ['工矿仓储用地', 'Industrial & storage'],
  '07': ['住宅用地', 'Residential'],
  '08': ['公共管理与公共服务用地', 'Public administration & services'],
  '09': ['特殊用地', 'Special use'],
  '10': ['交通运输用地', 'Transport'],
  '11': ['水域及水利设施用地', 'Water & water facilities'],
  '12': ['其他土地', 'Other land'],
  '00': ['湿地', 'Wetland'],
};

// learnValues takes the names of values from the server's legends (the
// catalogue, GET /styles/legend.json): the catalogue's English names of a
// kind's values and its land-use classes win over the tables here, which
// only stand in for a value the catalogue does not list (or when the
// server sends no legend).
export function learnValues(legends) {
  for (const k of legends || []) {
    for (const c of k.classes || []) {
      if (typeof c.value !== 'string' || !c.value) continue;
      if (k.match === 'prefix2' && c.level === 1 && c.name) LANDUSE_CLASSES[c.value] = [c.name, c.name_en || c.name];
      else if (k.match !== 'prefix2' && c.name_en) VALUES_EN[c.value] = c.name_en;
    }
  }
}

// English renderings of the canonical values the legends show.
export const VALUES_EN = {
  '计划立项': 'Planned', '规划批准': 'Plan approved', '实施主体确认': 'Implementer confirmed',
  '土地出让': 'Land sold', '建设': 'Under construction', '竣工': 'Completed',
  '未处置': 'Not disposed', '已处置': 'Disposed', '闲置': 'Idle', '批而未供': 'Approved, unsupplied',
  '招拍挂': 'Tender/auction', '协议': 'Agreement', '划拨': 'Allocation',
  '国有': 'State-owned', '集体': 'Collective', '储备': 'Reserve', '已供应': 'Supplied',
  '拆除重建': 'Redevelopment', '综合整治': 'Refurbishment', '功能改变': 'Change of use',
  '政府原因': 'Government', '企业原因': 'Enterprise', '永久基本农田': 'Permanent basic farmland',
  '水田': 'Paddy', '水浇地': 'Irrigated', '旱地': 'Dry land',
  '工改工': 'Industrial to industrial', '工改商': 'Industrial to commercial', '工改商住': 'Industrial to commercial & residential',
  '工改居': 'Industrial to residential', '居改居': 'Residential to residential', '商改商': 'Commercial to commercial',
  '已建成': 'Built', '在建': 'Under construction', '延期动工': 'Start extended', '调整用途': 'Use changed',
  '协议收回': 'Recovered by agreement', '无偿收回': 'Recovered without compensation', '征缴闲置费': 'Idle fee levied',
  '街道': 'Sub-district', '镇': 'Town', '区': 'District',
};

const listeners = new Set();
let lang = 'zh-CN';
let fieldTitles = {};

export function currentLang() { return lang; }
export function isEN() { return lang === 'en'; }

// t returns the string for key in the current language, with {name}
// placeholders filled from vars.
export function t(key, vars) {
  const pair = STRINGS[key];
  let s = pair ? pair[isEN() ? 1 : 0] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// pick chooses between a Chinese and an English text, falling back to the
// one that exists.
export function pick(zh, en) { return (isEN() ? (en || zh) : (zh || en)) ?? ''; }

// value renders a canonical attribute value in the current language.
export function value(v) {
  if (v === true) return t('common.yes');
  if (v === false) return t('common.no');
  if (v === null || v === undefined || v === '') return '—';
  if (isEN() && typeof v === 'string' && VALUES_EN[v]) return VALUES_EN[v];
  return String(v);
}

export function landuseClassName(code) {
  const c = LANDUSE_CLASSES[String(code).slice(0, 2)];
  return c ? pick(c[0], c[1]) : String(code);
}

// setLang switches the language ('en', else zh-CN) and tells every
// listener, in the order they were added.
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh-CN';
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) { listeners.add(fn); }

// initialLang picks the first of the candidates that is a language of the
// page (the URL's, then the one kept in the browser), else zh-CN.
export function initialLang(...candidates) {
  return candidates.find((l) => l === 'en' || l === 'zh-CN') || 'zh-CN';
}

// applyI18n fills every element marked with data-i18n (text),
// data-i18n-placeholder and data-i18n-title under root.
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

// loadFieldTitles reads the kinds' field titles (mirroring land/kind.go).
export async function loadFieldTitles() {
  const resp = await fetch('app/fields.json');
  setFieldTitles(await resp.json());
}

// setFieldTitles adopts the kinds' field titles (the shape of fields.json).
export function setFieldTitles(titles) { fieldTitles = titles || {}; }

// kindTitle returns the title of a layer kind.
export function kindTitle(kind) {
  const k = fieldTitles[kind];
  return k ? pick(k.title, k.title_en) : kind;
}

// fieldsOf returns the canonical fields of a kind, in order.
export function fieldsOf(kind) {
  return (fieldTitles[kind] || fieldTitles.generic || { fields: [] }).fields;
}

// fieldTitle returns the label of a canonical field of kind.
export function fieldTitle(kind, name) {
  const f = fieldsOf(kind).find((f) => f.name === name);
  if (!f) return name;
  const label = pick(f.zh, f.en);
  return f.unit ? (isEN() ? `${label} (${f.unit})` : `${label}（${f.unit}）`) : label;
}

export function kinds() { return Object.keys(fieldTitles); }

// fmtNum formats a number with grouping and at most digits decimals.
export function fmtNum(n, digits = 2) {
  if (n === null || n === undefined || n === '') return '—';
  const x = Number(n);
  if (!Number.isFinite(x)) return String(n);
  return x.toLocaleString(isEN() ? 'en-US' : 'zh-CN', { maximumFractionDigits: digits });
}

// fmtAreas renders an area object {m2, ha, mu} (or square metres) in the
// three units planners use.
export function fmtAreas(a) {
  if (a === null || a === undefined) return '—';
  const m2 = typeof a === 'number' ? a : (a.m2 ?? a.area_m2);
  const ha = typeof a === 'number' ? m2 / 1e4 : (a.ha ?? m2 / 1e4);
  const mu = typeof a === 'number' ? m2 * 15 / 1e4 : (a.mu ?? m2 * 15 / 1e4);
  return `${fmtNum(m2, 1)} ${t('unit.m2')} · ${fmtNum(ha, 4)} ${t('unit.ha')} · ${fmtNum(mu, 2)} ${t('unit.mu')}`;
}
