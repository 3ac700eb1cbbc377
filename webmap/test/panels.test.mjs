// The pure parts of the reports and imports panels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportQuery, rowsOf, textOf } from '../src/app/reports.js';
import { LAYER_RE, fmtBytes, guessLayer, summaryHTML } from '../src/app/imports.js';
import { setLang } from '../src/app/i18n.js';

test('a report query names the sub-districts for the table and the downloads alike', () => {
  assert.equal(reportQuery({ format: 'json' }), 'format=json');
  const q = new URLSearchParams(reportQuery({ format: 'csv', group: 'class', year: ' 2024 ', streets: ['龙津街道', '沙湾镇'] }));
  assert.deepEqual([...q], [['format', 'csv'], ['group', 'class'], ['year', '2024'], ['street', '龙津街道,沙湾镇']]);
  assert.equal(reportQuery({ format: 'xlsx', group: '', year: '', streets: [''] }), 'format=xlsx', 'the "all" choice sends no street');
  assert.equal(new URLSearchParams(reportQuery({ format: 'json', streets: ['A&B=C'] })).get('street'), 'A&B=C');
  assert.equal(new URLSearchParams(reportQuery({ format: 'json', asOf: '2017-12-31' })).get('as_of'), '2017-12-31', 'the as-of date asks for the layers\' state then');
  assert.equal(reportQuery({ format: 'json', asOf: '' }), 'format=json');
});

test('report rows become objects by column key', () => {
  const rep = { columns: [{ key: 'street' }, { key: 'area_mu' }], rows: [['龙津街道', 12.5], { street: '沙湾镇', area_mu: 3 }] };
  assert.deepEqual(rowsOf(rep), [{ street: '龙津街道', area_mu: 12.5 }, { street: '沙湾镇', area_mu: 3 }]);
  assert.deepEqual(rowsOf({}), []);
});

test('titles come in either language', () => {
  const col = { key: 'area_mu', title: '面积', title_en: 'Area' };
  setLang('zh-CN');
  assert.equal(textOf(col), '面积');
  assert.equal(textOf({ title: { zh: '地类', en: 'Class' } }), '地类');
  setLang('en');
  assert.equal(textOf(col), 'Area');
  assert.equal(textOf({ title: { zh: '地类', en: 'Class' } }), 'Class');
  assert.equal(textOf({ key: 'share' }), 'share');
  assert.equal(textOf(null), '');
  setLang('zh-CN');
});

test('layer names are proposed from file names as the server takes them', () => {
  assert.equal(guessLayer('Parcels 2023.shp'), 'parcels_2023');
  assert.equal(guessLayer('idle-land.geojson'), 'idle_land');
  assert.equal(guessLayer('2023地块.zip'), '', 'a name must start with a letter');
  assert.equal(guessLayer('地块.gpkg'), '');
  assert.equal(guessLayer('a'.repeat(60) + '.shp').length, 48);
  for (const ok of ['parcels', 'p', 'parcels_2023', 'a'.repeat(48)]) assert.match(ok, LAYER_RE);
  for (const bad of ['', 'Parcels', '2023', '_x', 'idle-land', 'a'.repeat(49)]) assert.doesNotMatch(bad, LAYER_RE);
});

test('file sizes are shown in B, KB or MB', () => {
  assert.equal(fmtBytes(512), '512 B');
  assert.equal(fmtBytes(1536), '1.5 KB');
  assert.equal(fmtBytes(5 * 1024 * 1024), '5.0 MB');
});

test('the import summary speaks the current language', () => {
  const s = { summary: { read: 1200, loaded: 1198, repaired: 3, rejected: 2, encoding: 'GBK', srid: 4490, problems: [{ file: 'a.shp', record: 7, message: 'self-intersection' }] } };
  setLang('zh-CN');
  const zh = summaryHTML(s);
  assert.match(zh, /读取/);
  assert.match(zh, /1,198/);
  assert.match(zh, /编码: GBK/);
  assert.match(zh, /a\.shp #7 self-intersection/);
  assert.match(zh, /kpi warn/);
  setLang('en');
  const en = summaryHTML(s);
  assert.match(en, /Read/);
  assert.match(en, /Problems \(1\)/);
  assert.doesNotMatch(en, /[\u4e00-\u9fff]/);
  setLang('zh-CN');
});
