// The interface texts: every string in both languages, every key the page
// uses defined, and the formatting of numbers and areas in each language.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  STRINGS, LANDUSE_CLASSES, VALUES_EN, t, pick, value, setLang, currentLang, isEN, onLangChange, initialLang,
  fmtNum, fmtAreas, landuseClassName, setFieldTitles, kindTitle, fieldTitle, fieldsOf, kinds, learnValues,
} from '../src/app/i18n.js';
import { GROUP_TITLES } from '../src/app/reports.js';

const app = new URL('../src/app/', import.meta.url);
const read = (name) => readFileSync(new URL(name, app), 'utf8');
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function inLang(lang, fn) {
  const was = currentLang();
  setLang(lang);
  try { return fn(); } finally { setLang(was); }
}

test('every string has a Chinese and an English text with the same placeholders', () => {
  const keys = Object.keys(STRINGS);
  assert.ok(keys.length > 100, `only ${keys.length} strings`);
  for (const [key, pair] of Object.entries(STRINGS)) {
    assert.ok(Array.isArray(pair) && pair.length === 2, `${key}: not a [zh, en] pair`);
    const [zh, en] = pair;
    assert.ok(typeof zh === 'string' && zh.trim(), `${key}: no Chinese`);
    assert.ok(typeof en === 'string' && en.trim(), `${key}: no English`);
    assert.deepEqual(placeholders(en), placeholders(zh), `${key}: placeholders differ`);
    assert.doesNotMatch(en, /[\u4e00-\u9fff]/, `${key}: Chinese in the English text ${JSON.stringify(en)}`);
  }
});

test('the land-use classes, group titles and value translations are complete', () => {
  assert.equal(Object.keys(LANDUSE_CLASSES).length, 13);
  for (const [code, [zh, en]] of Object.entries(LANDUSE_CLASSES)) {
    assert.match(code, /^\d\d$/);
    assert.ok(zh && en, code);
  }
  for (const [key, [zh, en]] of Object.entries(GROUP_TITLES)) assert.ok(zh && en && !/[\u4e00-\u9fff]/.test(en), key);
  for (const [zh, en] of Object.entries(VALUES_EN)) {
    assert.match(zh, /[\u4e00-\u9fff]/, `${zh} is not a Chinese value`);
    assert.ok(en.trim() && !/[\u4e00-\u9fff]/.test(en), `${zh}: ${en}`);
  }
});

test('every key the page uses is defined', () => {
  const used = new Set();
  const html = readFileSync(new URL('../src/index.html', import.meta.url), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-title)?="([^"]+)"/g)) used.add(m[1]);
  const modules = readdirSync(app).filter((f) => f.endsWith('.js'));
  assert.ok(modules.includes('main.js'));
  for (const f of modules) {
    // t('key') and t("key"); CONTROL_TITLES-style tables name keys as 'map.x'.
    for (const m of read(f).matchAll(/\bt\(\s*['"]([\w.]+)['"]/g)) used.add(m[1]);
    for (const m of read(f).matchAll(/:\s*'((?:map|page)\.[\w]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 80, `found only ${used.size} keys in use`);
  const missing = [...used].filter((k) => !(k in STRINGS));
  assert.deepEqual(missing, [], `keys used but not defined: ${missing.join(', ')}`);
});

test('t fills placeholders and falls back to the key', () => {
  inLang('zh-CN', () => {
    assert.equal(t('reports.rows', { n: 12 }), '12 行');
    assert.equal(t('query.drawn', { n: 3 }), '已绘制多边形（3 个顶点）');
  });
  inLang('en', () => {
    assert.equal(t('reports.rows', { n: 12 }), '12 rows');
    assert.equal(t('import.uploading', { pct: 40 }), 'Uploading… 40%');
  });
  assert.equal(t('no.such.key'), 'no.such.key');
});

test('setLang switches the language and tells every listener, in order', () => {
  const heard = [];
  onLangChange((l) => heard.push(`a:${l}`));
  onLangChange((l) => heard.push(`b:${l}`));
  setLang('en');
  assert.equal(currentLang(), 'en');
  assert.ok(isEN());
  setLang('fr');
  assert.equal(currentLang(), 'zh-CN', 'an unknown language is Chinese');
  assert.deepEqual(heard, ['a:en', 'b:en', 'a:zh-CN', 'b:zh-CN']);
});

test('initialLang takes the first known language, else Chinese', () => {
  assert.equal(initialLang('en', 'zh-CN'), 'en');
  assert.equal(initialLang(undefined, 'en'), 'en');
  assert.equal(initialLang(null, 'de'), 'zh-CN');
  assert.equal(initialLang(), 'zh-CN');
});

test('numbers are grouped, with at most the given decimals', () => {
  for (const lang of ['zh-CN', 'en']) {
    inLang(lang, () => {
      assert.equal(fmtNum(1234567.891), '1,234,567.89');
      assert.equal(fmtNum(2.5, 0), '3');
      assert.equal(fmtNum(0.12345, 4), '0.1235');
      assert.equal(fmtNum('42'), '42');
      assert.equal(fmtNum(null), '—');
      assert.equal(fmtNum(''), '—');
      assert.equal(fmtNum('n/a'), 'n/a');
    });
  }
});

test('areas are shown in m², hectares and mu (1 ha = 15 mu)', () => {
  inLang('zh-CN', () => {
    assert.equal(fmtAreas(10000), '10,000 平方米 · 1 公顷 · 15 亩');
    assert.equal(fmtAreas({ m2: 6666.67 }), '6,666.7 平方米 · 0.6667 公顷 · 10 亩');
    assert.equal(fmtAreas({ area_m2: 20000 }), '20,000 平方米 · 2 公顷 · 30 亩');
    assert.equal(fmtAreas(null), '—');
  });
  inLang('en', () => {
    assert.equal(fmtAreas(10000), '10,000 m² · 1 ha · 15 mu');
    // The server's own hectares and mu win over the page's arithmetic.
    assert.equal(fmtAreas({ m2: 1, ha: 2, mu: 3 }), '1 m² · 2 ha · 3 mu');
  });
});

test('values, land-use classes and field titles follow the language', () => {
  setFieldTitles(JSON.parse(read('fields.json')));
  assert.deepEqual(kinds().sort(), ['acquisition', 'boundaries', 'farmland', 'generic', 'households', 'idle_land', 'inspection_patches', 'land_approvals', 'parcels', 'permits', 'renewal_projects', 'renewal_units', 'renovation']);
  assert.ok(fieldsOf('parcels').some((f) => f.name === 'landuse_code'));
  assert.equal(fieldsOf('no_such_kind'), fieldsOf('generic'));
  inLang('zh-CN', () => {
    assert.equal(value(true), '是');
    assert.equal(value('已处置'), '已处置');
    assert.equal(landuseClassName('0101'), '耕地');
    assert.equal(kindTitle('parcels'), '地块');
    assert.equal(fieldTitle('parcels', 'landuse_code'), '地类编码');
    assert.equal(fieldTitle('parcels', 'price_wan'), '成交价（万元）');
    assert.equal(pick('中', 'en'), '中');
  });
  inLang('en', () => {
    assert.equal(value(false), 'no');
    assert.equal(value('已处置'), 'Disposed');
    assert.equal(value('某个自由文本'), '某个自由文本', 'data stays in its language');
    assert.equal(landuseClassName('0701'), 'Residential');
    assert.equal(kindTitle('parcels'), 'Parcels');
    assert.equal(fieldTitle('parcels', 'price_wan'), 'Price (万元)');
    assert.equal(pick('中', ''), '中', 'falls back to the text that exists');
  });
  assert.equal(value(null), '—');
  assert.equal(landuseClassName('99'), '99');
  assert.equal(fieldTitle('parcels', 'no_such_field'), 'no_such_field');
});

test('the names of values come from the server legend (the catalogue) where it has them', () => {
  const before = { ...VALUES_EN };
  const classes = { ...LANDUSE_CLASSES };
  try {
    learnValues([
      { kind: 'renewal_units', field: 'stage', classes: [{ value: '开工', name: '开工', name_en: 'Construction started', color: '#111111' }] },
      { kind: 'parcels', field: 'landuse_code', match: 'prefix2', classes: [
        { value: '07', name: '住宅用地', name_en: 'Housing land', color: '#222222', level: 1 },
        { value: '0701', name: '城镇住宅用地', name_en: 'Urban housing', color: '#333333', level: 2 }] },
    ]);
    inLang('en', () => {
      assert.equal(value('开工'), 'Construction started', 'a value only the catalogue knows');
      assert.equal(landuseClassName('0701'), 'Housing land', 'the catalogue wins over the page table');
    });
    learnValues(null);
  } finally {
    for (const k of Object.keys(VALUES_EN)) if (!(k in before)) delete VALUES_EN[k];
    Object.assign(VALUES_EN, before);
    Object.assign(LANDUSE_CLASSES, classes);
  }
});
