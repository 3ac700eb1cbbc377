package reports_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tudi/land"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// chargersLayer is a generic ledger whose fields are source attributes
// only (props): type, street, count and completion date, as a bureau's
// table writes them.
func chargersLayer(tb testing.TB, db *postgis.DB) {
	tb.Helper()
	var feats []feature
	for i := range 5 {
		x := float64(100 * i)
		feats = append(feats, feature{r: rect{x, 800, x + 50, 900}, vals: map[string]any{"name": string(rune('A' + i))}}) // 5 000 m² each
	}
	mustLayer(tb, db, "chargers", land.Generic, feats)
	if _, err := db.Pool.Exec(context.Background(), `UPDATE layers.chargers SET props = CASE name
		WHEN 'A' THEN '{"类型": "充电桩", "街道": "东街道", "数量": "1,200", "建成日期": "2024年3月1日"}'
		WHEN 'B' THEN '{"类型": "充电桩", "街道": "西街道", "数量": "30 个", "建成日期": "2024/5/6"}'
		WHEN 'C' THEN '{"类型": "充电站", "街道": "东街道", "数量": "2", "建成日期": "20240701"}'
		WHEN 'D' THEN '{"类型": "充电站", "街道": "东街道", "数量": "abc", "建成日期": "2024-13-01"}'
		WHEN 'E' THEN '{"类型": "充电桩", "街道": "东街道", "数量": "5", "建成日期": "2023-12-31"}' END::jsonb`); err != nil {
		tb.Fatal(err)
	}
}

func TestLayerSummary(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	chargersLayer(t, db)
	run := func(opt reports.Options) *reports.Result {
		t.Helper()
		return reportstest.MustRun(t, svc, reports.LayerSummary, opt)
	}
	summary := func(of, sum, date string) reports.SummaryOptions {
		return reports.SummaryOptions{Of: of, Sum: sum, Date: date}
	}
	t.Run("canonical fields, by name or Chinese title, in a year", func(t *testing.T) {
		for _, group := range []string{"supply_method", "供应方式", "GYFS"} {
			res := run(reports.Options{Group: []string{group}, Year: 2023, Summary: summary("parcels", "成交价", "supply_date")})
			checkRows(t, res, []want{
				{map[string]any{"supply_method": "招拍挂"}, areas(p1.area(), map[string]float64{"features": 1, "sum": 5000})},
				{map[string]any{"supply_method": "协议"}, areas(p3.area(), map[string]float64{"features": 1, "sum": 3000})},
			}, areas(p1.area()+p3.area(), map[string]float64{"features": 2, "sum": 8000}))
			if c, _ := column(res, "sum"); c.Unit != "万元" || c.Title != "成交价合计" {
				t.Errorf("sum column %+v", c)
			}
		}
	})
	t.Run("source attributes (props): numbers and dates read from text, two groups", func(t *testing.T) {
		res := run(reports.Options{Group: []string{"类型"}, Year: 2024, Summary: summary("chargers", "数量", "建成日期")})
		checkRows(t, res, []want{
			{map[string]any{"类型": "充电桩"}, areas(10000, map[string]float64{"features": 2, "sum": 1230})}, // A, B (E is 2023's)
			{map[string]any{"类型": "充电站"}, areas(5000, map[string]float64{"features": 1, "sum": 2})},     // C (D's date is not one)
		}, map[string]float64{"features": 3, "sum": 1232})
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "1 features have no date in 建成日期") {
			t.Errorf("notes %q", res.Notes)
		}
		two := run(reports.Options{Group: []string{"类型", "街道"}, Summary: summary("chargers", "数量", "")})
		checkRows(t, two, []want{
			{map[string]any{"类型": "充电桩", "街道": "东街道"}, map[string]float64{"features": 2, "sum": 1205}},
			{map[string]any{"类型": "充电桩", "街道": "西街道"}, map[string]float64{"features": 1, "sum": 30}},
			{map[string]any{"类型": "充电站", "街道": "东街道"}, map[string]float64{"features": 2, "sum": 2}}, // D's 数量 is not a number
		}, map[string]float64{"features": 5, "sum": 1237, "area_m2": 25000})
		if len(two.Notes) != 1 || !strings.Contains(two.Notes[0], "1 features have no number in 数量") {
			t.Errorf("notes %q", two.Notes)
		}
	})
	t.Run("bad parameters are refused, user text never reaches the SQL", func(t *testing.T) {
		for _, c := range []struct {
			opt  reports.Options
			kind land.ErrorKind
			msg  string
		}{
			{reports.Options{Group: []string{"类型"}}, land.Invalid, "give --of LAYER"},
			{reports.Options{Summary: summary("chargers", "", "")}, land.Invalid, "one or two fields"},
			{reports.Options{Group: []string{"a", "b", "c"}, Summary: summary("chargers", "", "")}, land.Invalid, "one or two fields"},
			{reports.Options{Group: []string{"类型"}, Year: 2024, Summary: summary("chargers", "", "")}, land.Invalid, "give --date FIELD"},
			{reports.Options{Group: []string{"颜色"}, Summary: summary("chargers", "", "")}, land.Invalid, `layer "chargers" has no field "颜色" (allowed: name (名称), 建成日期, 数量, 类型, 街道)`},
			{reports.Options{Group: []string{"x'); DROP TABLE layers.parcels; --"}, Summary: summary("parcels", "", "")}, land.Invalid, "has no field"},
			{reports.Options{Group: []string{"code"}, Summary: summary("parcels", "supply_date", "")}, land.Invalid, `sum: field "supply_date" of layer "parcels" is a date field, not a number`},
			{reports.Options{Group: []string{"code"}, Street: []string{"北街道"}, Summary: summary("parcels", "", "")}, land.Invalid, `unknown street "北街道"`},
			{reports.Options{Group: []string{"code"}, Summary: summary("nosuch", "", "")}, land.NotFound, `layer "nosuch" does not exist`},
		} {
			_, err := svc.Run(context.Background(), reports.LayerSummary, c.opt)
			if land.KindOf(err) != c.kind || err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%+v: error %v (%s), want %s containing %q", c.opt, err, land.KindOf(err), c.kind, c.msg)
			}
		}
		var n int
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM layers.parcels`).Scan(&n); err != nil || n != 7 {
			t.Fatalf("parcels %d %v", n, err)
		}
	})
	t.Run("the API takes of, group, sum and date", func(t *testing.T) {
		ts := serve(t, svc)
		q := url.Values{"of": {"chargers"}, "group": {"类型"}, "sum": {"数量"}, "date": {"建成日期"}, "year": {"2024"}}
		resp, err := http.Get(ts.URL + "/api/reports/layer-summary?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var res land.ReportResult
		if resp.StatusCode != 200 || json.Unmarshal(body, &res) != nil || len(res.Rows) != 2 || res.Totals["sum"] != 1232.0 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		resp2, err := http.Get(ts.URL + "/api/reports/layer-summary?of=chargers&group=%E9%A2%9C%E8%89%B2")
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != 400 {
			t.Errorf("unknown field: %d", resp2.StatusCode)
		}
	})
}
