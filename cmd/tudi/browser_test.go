package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// pageTiming is window.tudiTiming, the page's own marks in ms from
// navigation start.
type pageTiming struct {
	StyleMs      *float64 `json:"styleMs"`
	MapCreatedMs *float64 `json:"mapCreatedMs"`
	MapLoadMs    *float64 `json:"mapLoadMs"`
	FirstIdleMs  float64  `json:"firstIdleMs"`
}

// The web map in a real browser: headless Chromium opens the page served by
// `tudi serve` on the sample district, waits for the map, checks that it drew
// tiles with no request leaving the machine and no console error, clicks a
// parcel and finds its code in the identify panel (which must follow the
// language switch), runs a report for the whole district and for one
// sub-district (the server's figures, and downloads for that sub-district),
// has an import refused for a wrong token, switches to English and checks
// that what was drawn before follows, and loads tudi's style in a plain
// MapLibre page. It reports the first-view time with where it went (not
// asserted: it depends on the machine) and keeps the screenshots under
// testout/browser (and in docs/img with UPDATE_SCREENSHOTS=1).
func TestWebMapInChromium(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	chromiumPath(t)
	base := sharedServer(t)
	out := filepath.Join(root, "testout", "browser")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// SwiftShader draws every frame on the CPU, so the checks run in a
	// 1024×640 viewport; the screenshots for the docs are taken at 1440×900.
	w, h := int64(1024), int64(640)
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		w, h = 1440, 900
	}
	b := newBrowser(t, w, h)
	b.out = out
	defer func() {
		if t.Failed() {
			t.Logf("screenshots (and failure.png, if any) are in %s", out)
		}
	}()

	// 1. First view: the whole district, drawn.
	b.do("opening the page", chromedp.Navigate(base+"/"))
	b.mustWaitFor(`window.map && window.tudiTiming && window.tudiTiming.firstIdleMs`, 3*time.Minute)
	var timing pageTiming
	b.eval(`window.tudiTiming`, &timing)
	// Where the time went, in ms from navigation start: the page's own marks,
	// navigation and resource timing, and the tiles the first view asked for
	// (as the proxy saw them).
	var nav struct {
		Origin float64  `json:"origin"`
		HTML   *float64 `json:"html"`
		DCL    *float64 `json:"dcl"`
		Lib    *float64 `json:"lib"`
	}
	b.eval(`(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const lib = performance.getEntriesByName(new URL('vendor/maplibre-gl.mjs', location.href).href)[0];
  return { origin: performance.timeOrigin, html: n.responseEnd, dcl: n.domContentLoadedEventEnd, lib: lib ? lib.responseEnd : null };
})()`, &nav)
	epochMs := func(tm time.Time) float64 { return float64(tm.UnixMicro())/1000 - nav.Origin }
	var tiles int
	first, last := math.Inf(1), math.Inf(-1)
	for _, ex := range b.proxy.exchanges() {
		if !isTile(ex.URL) || epochMs(ex.Start) > timing.FirstIdleMs {
			continue
		}
		tiles++
		first, last = min(first, epochMs(ex.Start)), max(last, epochMs(ex.End))
	}
	t.Logf("first view of the sample district idle after %.0f ms (from navigation start; headless Chromium on SwiftShader)", timing.FirstIdleMs)
	t.Logf("first view, ms from navigation start: page %s, MapLibre module %s, DOMContentLoaded %s, style and catalog %s, map created %s, %d tiles asked for at %.0f and in by %.0f, map loaded %s, idle %.0f",
		msOf(nav.HTML), msOf(nav.Lib), msOf(nav.DCL), msOf(timing.StyleMs), msOf(timing.MapCreatedMs),
		tiles, first, last, msOf(timing.MapLoadMs), timing.FirstIdleMs)
	if tiles == 0 {
		t.Error("the first view asked for no vector tiles")
	}
	var webgl2 bool
	b.eval(`window.map.getCanvas().getContext('webgl2') !== null`, &webgl2)
	if !webgl2 {
		t.Error("the map canvas has no WebGL2 context")
	}
	// Read the canvas inside MapLibre's render event, while the frame's
	// drawing buffer is still intact (the map does not preserve it).
	var canvas struct {
		Colors        int     `json:"colors"`
		DrawnFraction float64 `json:"drawnFraction"`
	}
	b.eval(`new Promise((resolve) => {
  const map = window.map;
  map.once('render', () => {
    const src = map.getCanvas();
    const c = document.createElement('canvas');
    c.width = 400; c.height = Math.round((400 * src.height) / src.width);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(src, 0, 0, c.width, c.height);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) {
      const k = (d[i] >> 3) + ',' + (d[i + 1] >> 3) + ',' + (d[i + 2] >> 3);
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    const total = d.length / 4;
    const top = Math.max(...counts.values());
    resolve({ colors: counts.size, drawnFraction: 1 - top / total });
  });
  map.triggerRepaint();
})`, &canvas)
	if canvas.Colors < 8 || canvas.DrawnFraction < 0.1 {
		t.Errorf("the map looks blank: %d colours, %.1f%% drawn", canvas.Colors, 100*canvas.DrawnFraction)
	}
	var rendered int
	b.eval(`window.map.queryRenderedFeatures().length`, &rendered)
	if rendered < 50 {
		t.Errorf("only %d features rendered in the first view", rendered)
	}
	// Labels come after the first view; wait for them before the screenshot.
	b.mustWaitFor(`window.tudiTiming.labelledMs`, 3*time.Minute)
	b.screenshot(filepath.Join(out, "map.png"))
	var firstView json.RawMessage
	b.eval(`({ center: window.map.getCenter().toArray(), zoom: window.map.getZoom() })`, &firstView)

	// 2. Click a parcel and find its code in the identify panel: the parcel
	// nearest the middle of the district (of the first 1000), so the
	// screenshot shows it among its neighbours.
	var cat struct {
		Layers []struct {
			Name   string    `json:"name"`
			Bounds []float64 `json:"bounds"`
		} `json:"layers"`
	}
	getJSON(t, base+"/tiles", 200, &cat)
	var mid orb.Point
	for _, l := range cat.Layers {
		if l.Name == "parcels" && len(l.Bounds) == 4 {
			mid = orb.Point{(l.Bounds[0] + l.Bounds[2]) / 2, (l.Bounds[1] + l.Bounds[3]) / 2}
		}
	}
	var parcels geojson.FeatureCollection
	getJSON(t, base+"/ogc/collections/parcels/items?limit=1000", 200, &parcels)
	var code string
	var at orb.Point
	best := math.Inf(1)
	for _, f := range parcels.Features {
		c, _ := f.Properties["code"].(string)
		if c == "" {
			continue
		}
		p, ok := interiorPoint(f.Geometry)
		if !ok {
			continue
		}
		if d := planar.DistanceSquared(p, mid); d < best {
			best, code, at = d, c, p
		}
	}
	if code == "" {
		t.Fatal("no parcel with a code in /ogc/collections/parcels/items")
	}
	b.eval(fmt.Sprintf(`new Promise((r) => { window.map.once('idle', r); window.map.jumpTo({ center: %s, zoom: 16.6 }); })`, js(at)), nil)
	var pt struct{ X, Y float64 }
	b.eval(fmt.Sprintf(`(() => { const p = window.map.project(%s); const r = window.map.getCanvas().getBoundingClientRect(); return { X: r.left + p.x, Y: r.top + p.y }; })()`, js(at)), &pt)
	b.clickAt(pt.X, pt.Y)
	if b.waitFor(fmt.Sprintf(`(() => { const el = document.querySelector('#identify .body'); return el && !document.querySelector('#identify').hidden && el.textContent.includes(%s); })()`, js(code)), 3*time.Minute) {
		t.Logf("identify panel shows parcel %s", code)
	} else {
		t.Errorf("the identify panel does not show parcel %s: %s", code, b.text("#identify"))
	}
	b.moveTo(5, 5) // off the map: no hover tip in the screenshot
	b.eval(`new Promise((r) => (window.map.loaded() ? r() : window.map.once('idle', r)))`, nil)
	b.screenshot(filepath.Join(out, "identify.png"))
	// The open panel follows the language switch, and back.
	b.click(`.lang [data-lang="en"]`)
	if got := strings.TrimSpace(b.text("#identify .body tr.area th")); got != "Area" {
		t.Errorf("the identify panel stayed in Chinese after the EN switch: area row %q", got)
	}
	if !strings.Contains(b.text("#identify .body"), code) {
		t.Error("the identify panel lost its parcel on the EN switch")
	}
	b.click(`.lang [data-lang="zh-CN"]`)
	if got := strings.TrimSpace(b.text("#identify .body tr.area th")); got != "面积" {
		t.Errorf("the identify panel did not come back to Chinese: area row %q", got)
	}

	// 3. Run a report and find one of its figures in the page.
	b.click("#identify .close")
	b.eval(fmt.Sprintf(`new Promise((r) => { window.map.once('idle', r); window.map.jumpTo(%s); })`, firstView), nil)
	b.click(`.tabs [data-tab="reports"]`)
	b.mustWaitFor(`document.querySelectorAll('#report-name option[value]:not([value=""])').length > 0`, 3*time.Minute)
	var names, groups []string
	b.eval(`[...document.querySelectorAll('#report-name option')].map((o) => o.value)`, &names)
	reportName := names[0]
	if slices.Contains(names, "land-use-summary") {
		reportName = "land-use-summary"
	}
	b.setValue("#report-name", reportName)
	b.eval(`[...document.querySelectorAll('#report-group option')].map((o) => o.value)`, &groups)
	for _, g := range []string{"class", "street"} {
		if slices.Contains(groups, g) {
			b.setValue("#report-group", g)
			break
		}
	}
	var group string
	b.eval(`document.querySelector('#report-group').value`, &group)
	b.click("#btn-run-report")
	b.mustWaitFor(visible(`#report-view:not([hidden]) table.grid tbody tr`), 3*time.Minute)
	b.mustWaitFor(visible(`#report-view .chart-canvas canvas`), 3*time.Minute)
	var rep reportJSON
	getJSON(t, base+"/api/reports/"+reportName+"?format=json&group="+url.QueryEscape(group), 200, &rep)
	figure, col, ok := rep.figure()
	var shown string
	if !ok {
		t.Errorf("report %s has no positive figure", reportName)
	} else {
		shown = b.zhNumber(figure, col)
		if !strings.Contains(b.text("#report-view"), shown) {
			t.Errorf("report %s: the page does not show %s (%v)", reportName, shown, figure)
		} else {
			t.Logf("report %s by %s shows %s", reportName, group, shown)
		}
	}
	time.Sleep(300 * time.Millisecond)
	b.screenshot(filepath.Join(out, "report.png"))

	// 3b. The same report for one sub-district: the filter lists the
	// server's sub-districts, the figures are the server's for that one, and
	// the downloads ask for it too.
	var listed struct {
		Streets []string `json:"streets"`
	}
	getJSON(t, base+"/api/reports", 200, &listed)
	var options []string
	b.eval(`[...document.querySelectorAll('#report-street option')].map((o) => o.value).filter(Boolean)`, &options)
	if !slices.Equal(options, listed.Streets) {
		t.Errorf("the sub-district filter lists %q, the server %q", options, listed.Streets)
	}
	if len(options) > 0 && ok {
		street := options[0]
		b.setValue("#report-street", street)
		b.click("#btn-run-report")
		b.mustWaitFor(fmt.Sprintf(`document.querySelector('#report-view .title').textContent.includes(%s)`, js(street)), 3*time.Minute)
		var one reportJSON
		getJSON(t, base+"/api/reports/"+reportName+"?format=json&group="+url.QueryEscape(group)+"&street="+url.QueryEscape(street), 200, &one)
		if total, isNum := one.Totals[col.Key].(float64); isNum {
			shownOne := b.zhNumber(total, col)
			if footer := b.text("#report-view table.grid tfoot"); !strings.Contains(footer, shownOne) {
				t.Errorf("report %s for %s: the total row does not show %s: %s", reportName, street, shownOne, footer)
			} else {
				t.Logf("report %s for %s shows %s", reportName, street, shownOne)
			}
		} else {
			t.Errorf("report %s for %s has no total %s: %v", reportName, street, col.Key, one.Totals)
		}
		for _, dl := range []string{"csv", "xlsx"} {
			href := b.attr("#report-view a."+dl, "href")
			u, err := url.Parse(href)
			if err != nil || u.Query().Get("street") != street || u.Query().Get("format") != dl {
				t.Errorf("the %s download is not for %s: %s", dl, street, href)
			}
		}
	}

	// 3c. An import refused (a wrong token), to see its result switch
	// language with the rest; nothing reaches the database.
	b.click(`.tabs [data-tab="import"]`)
	upload := filepath.Join(t.TempDir(), "e2e_lang_check.geojson")
	if err := os.WriteFile(upload, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[113.3,23.1]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("choosing the file to import", chromedp.SetUploadFiles(chromedp.CSS("#import-files"), []string{upload}))
	b.setValue("#import-token", "not-the-write-token")
	b.refusing.Store(true)
	b.click("#btn-import")
	b.mustWaitFor(`document.querySelector('#import-result .error')`, 3*time.Minute)
	time.Sleep(200 * time.Millisecond) // the console message of the 401 may come after the page's answer
	b.refusing.Store(false)
	if got := b.text("#import-result"); !strings.Contains(got, "导入失败") {
		t.Errorf("a refused import says %q", got)
	}

	// 4. English by the switch (everything on the page, what was drawn
	// before it too), and the view in the URL.
	if got := b.attr(".maplibregl-ctrl-zoom-in", "title"); got != "放大" {
		t.Errorf("the zoom-in button is titled %q in Chinese", got)
	}
	b.click(`.lang [data-lang="en"]`)
	if got := strings.TrimSpace(b.text(`.tabs [data-tab="layers"]`)); got != "Layers" {
		t.Errorf("the English switch left the layers tab as %q", got)
	}
	var english map[string]string
	b.eval(`({
  title: document.title,
  importResult: document.querySelector('#import-result').textContent,
  reportStatus: document.querySelector('#report-status').textContent,
  allStreets: document.querySelector('#report-street option[value=""]').textContent,
  totalRow: document.querySelector('#report-view table.grid tfoot td')?.textContent ?? '',
  legend: document.querySelector('#layer-list').textContent,
})`, &english)
	for k, re := range map[string]*regexp.Regexp{
		"title": regexp.MustCompile(`^tudi · Land map$`), "importResult": regexp.MustCompile(`^Import failed`),
		"reportStatus": regexp.MustCompile(`^\d+ rows?$`), "allStreets": regexp.MustCompile(`^All$`),
		"totalRow": regexp.MustCompile(`^Total$`), "legend": regexp.MustCompile(`Residential`),
	} {
		if !re.MatchString(strings.TrimSpace(english[k])) {
			t.Errorf("after the EN switch, %s reads %q", k, english[k])
		}
	}
	if got := b.attr(".maplibregl-ctrl-zoom-in", "title"); got != "Zoom in" {
		t.Errorf("after the EN switch, the zoom-in button is titled %q", got)
	}
	time.Sleep(400 * time.Millisecond)
	var hash string
	b.eval(`location.hash`, &hash)
	if !regexp.MustCompile(`map=\d+(\.\d+)?/-?\d+\.\d+/-?\d+\.\d+`).MatchString(hash) {
		t.Errorf("the URL hash does not keep the view: %s", hash)
	}

	// 5. tudi's style as it is, in a plain MapLibre page (a planner's own
	// page, or a newer QGIS): it must load with no error and draw. A small
	// map: what is checked is the style, and SwiftShader draws on the CPU.
	b.proxy.setPage("/e2e-plain-maplibre.html", `<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="/vendor/maplibre-gl.css">
<div id="map" style="width:480px;height:300px"></div>
<script type="module">
import * as maplibregl from '/vendor/maplibre-gl.mjs';
window.errors = [];
const map = new maplibregl.Map({ container: 'map', style: '/styles/default.json' });
map.on('error', (e) => window.errors.push(String(e.error && e.error.message || e.error || e)));
map.once('idle', () => { window.drawn = map.queryRenderedFeatures().length; });
</script>`)
	plain := b.newTab()
	plain.do("opening a plain MapLibre page", chromedp.Navigate(base+"/e2e-plain-maplibre.html"))
	if !plain.waitFor(`window.drawn !== undefined || (window.errors && window.errors.length)`, 3*time.Minute) {
		t.Error("/styles/default.json in a plain MapLibre page: neither drawn nor an error after a minute")
	} else {
		var res struct {
			Drawn  *int     `json:"drawn"`
			Errors []string `json:"errors"`
		}
		plain.eval(`({ drawn: window.drawn, errors: window.errors })`, &res)
		if len(res.Errors) > 0 {
			t.Errorf("/styles/default.json in a plain MapLibre page: %s", strings.Join(res.Errors, " | "))
		} else if res.Drawn == nil || *res.Drawn == 0 {
			t.Error("/styles/default.json in a plain MapLibre page: idle with nothing drawn")
		} else {
			t.Logf("/styles/default.json draws %d features in a plain MapLibre page (480×300)", *res.Drawn)
		}
	}

	all := b.proxy.exchanges()
	var off, own []string
	for _, ex := range all {
		switch {
		case ex.OffMachine && ex.FromPage:
			off = append(off, ex.URL)
		case ex.OffMachine:
			own = append(own, ex.URL)
		}
	}
	if len(own) > 0 {
		t.Logf("Chromium's own background requests, refused by the proxy (not the page's): %s", strings.Join(own, ", "))
	}
	t.Logf("%d requests, %d of the page's off the machine; %d features rendered; canvas %d colours, %.0f%% drawn; parcel %s identified; report %s shows %s",
		len(all), len(off), rendered, canvas.Colors, 100*canvas.DrawnFraction, code, reportName, shown)
	if len(off) > 0 {
		t.Errorf("%d requests left the machine: %s", len(off), strings.Join(off[:min(5, len(off))], ", "))
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %s", strings.Join(errs[:min(5, len(errs))], " | "))
	}
	if t.Failed() {
		return
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		for _, name := range []string{"map", "identify", "report"} {
			png, err := os.ReadFile(filepath.Join(out, name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(root, "docs", "img", "webmap-"+name+".png")
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", dst)
		}
	}
}

// isTile reports whether a URL asks for a vector tile.
func isTile(u string) bool {
	return regexp.MustCompile(`\.mvt(\?|$)`).MatchString(u)
}

// interiorPoint returns a point inside a polygon: the centroid of its outer
// ring (the first polygon's, for a multipolygon) when inside, else the inside
// point of a 29×29 grid over the ring's bounds nearest to it.
func interiorPoint(g orb.Geometry) (orb.Point, bool) {
	var ring orb.Ring
	switch g := g.(type) {
	case orb.Polygon:
		if len(g) > 0 {
			ring = g[0]
		}
	case orb.MultiPolygon:
		if len(g) > 0 && len(g[0]) > 0 {
			ring = g[0][0]
		}
	}
	if len(ring) < 4 {
		return orb.Point{}, false
	}
	c, _ := planar.CentroidArea(ring)
	if planar.RingContains(ring, c) {
		return c, true
	}
	bound := ring.Bound()
	var best orb.Point
	bestD := math.Inf(1)
	for i := 1; i < 30; i++ {
		for j := 1; j < 30; j++ {
			p := orb.Point{bound.Min[0] + (bound.Max[0]-bound.Min[0])*float64(i)/30, bound.Min[1] + (bound.Max[1]-bound.Min[1])*float64(j)/30}
			if d := planar.DistanceSquared(p, c); planar.RingContains(ring, p) && d < bestD {
				best, bestD = p, d
			}
		}
	}
	return best, !math.IsInf(bestD, 1)
}

// reportJSON is a report in its JSON format, as far as the browser test
// reads it.
type reportJSON struct {
	Columns []reportColumn    `json:"columns"`
	Rows    []json.RawMessage `json:"rows"`
	Totals  map[string]any    `json:"totals"`
}

type reportColumn struct {
	Key      string `json:"key"`
	Decimals *int   `json:"decimals"`
}

// figure returns a figure the page must show: the first positive total,
// else the first positive number of a row, with its column.
func (r reportJSON) figure() (float64, reportColumn, bool) {
	var rows []map[string]any
	for _, raw := range r.Rows {
		var arr []any
		if json.Unmarshal(raw, &arr) == nil {
			m := map[string]any{}
			for i, c := range r.Columns {
				if i < len(arr) {
					m[c.Key] = arr[i]
				}
			}
			rows = append(rows, m)
			continue
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			rows = append(rows, m)
		}
	}
	var numeric []reportColumn
	for _, c := range r.Columns {
		for _, row := range rows {
			if _, ok := row[c.Key].(float64); ok {
				numeric = append(numeric, c)
				break
			}
		}
	}
	for _, c := range numeric {
		if v, ok := r.Totals[c.Key].(float64); ok && v > 0 {
			return v, c, true
		}
	}
	for _, row := range rows {
		for _, c := range numeric {
			if v, ok := row[c.Key].(float64); ok && v > 0 {
				return v, c, true
			}
		}
	}
	return 0, reportColumn{}, false
}

// zhNumber formats v as the page does (in the browser, so it is the same
// Intl): zh-CN grouping, the column's decimals at most, else none for whole
// numbers and two for the rest.
func (b *browser) zhNumber(v float64, c reportColumn) string {
	b.t.Helper()
	d := 2
	switch {
	case c.Decimals != nil:
		d = *c.Decimals
	case v == math.Trunc(v):
		d = 0
	}
	var s string
	b.eval(fmt.Sprintf(`(%s).toLocaleString('zh-CN', { maximumFractionDigits: %d })`, js(v), d), &s)
	return s
}

// msOf formats a step's time of the first view's breakdown, "?" when the
// page did not report it.
func msOf(v *float64) string {
	if v == nil {
		return "?"
	}
	return fmt.Sprintf("%.0f", *v)
}
