package reports_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"tudi/land"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// addsUp checks that the rows of res add up to its totals: counts and areas
// within the rounding of each row; a farmland patch may count in two rows
// and once in the total; rates, running sums, averages and maxima do not
// add up.
func addsUp(tb testing.TB, res *reports.Result) {
	tb.Helper()
	for _, c := range res.Columns {
		total, ok := reports.Figure(res.Totals[c.Key])
		if !ok || c.Type == land.ColumnPercent || strings.HasPrefix(c.Key, "at_or_past_") || strings.HasPrefix(c.Key, "avg_") || strings.HasPrefix(c.Key, "max_") {
			continue
		}
		var sum float64
		for _, row := range res.Rows {
			v, _ := reports.Figure(row[c.Key])
			sum += v
		}
		if c.Key == "patches" || distinctCount(res.Report, c.Key) {
			if total > sum {
				tb.Errorf("patches: total %v, rows %v", total, sum)
			}
			continue
		}
		if tol := float64(len(res.Rows))*0.5*math.Pow(10, -float64(c.Decimals)) + 1e-9; math.Abs(sum-total) > tol {
			tb.Errorf("%s: rows add up to %v, total %v", c.Key, sum, total)
		}
	}
}

// A report filtered to a sub-district is computed over that sub-district's
// features alone: its figures are those of the sub-district's row when
// grouped by street (the share of land use, a share of the total, is then
// of the chosen sub-districts' total), in any grouping, with the rows
// adding up to the totals.
func TestStreetFilterEqualsTheStreetRow(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	inspectionLayers(t, db)
	permitsLayer(t, db)
	expropriationLayers(t, db)
	for _, r := range svc.Reports() {
		byStreet := reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, reports.Options{Group: []string{"street"}}))
		if len(byStreet.Rows) < 2 {
			t.Fatalf("%s: the fixture should give two sub-districts or more: %v", r.Name, byStreet.Rows)
		}
		for _, row := range byStreet.Rows {
			name := row["street"].(string)
			t.Run(r.Name+" filtered to "+name, func(t *testing.T) {
				one := reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, reports.Options{Group: []string{"street"}, Street: []string{name}}))
				if len(one.Rows) != 1 || one.Rows[0]["street"] != name {
					t.Fatalf("rows %v, want the one of %s", one.Rows, name)
				}
				reportstest.SameFigures(t, one, "row", one.Rows[0], row, "share")
				reportstest.SameFigures(t, one, "totals", one.Totals, row, "share")
				def := reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, reports.Options{Street: []string{name}}))
				reportstest.SameFigures(t, def, "totals in the default grouping", def.Totals, row, "share")
				addsUp(t, def)
				if _, ok := column(def, "share"); ok {
					if s, _ := reports.Figure(def.Totals["share"]); s != 100 {
						t.Errorf("share of the total %v, want 100", def.Totals["share"])
					}
				}
				if !slices.Equal(def.Params.Street, []string{name}) {
					t.Errorf("params %+v", def.Params)
				}
			})
		}
	}
}

func TestStreetFilter(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	t.Run("two streets: totals and rates over both and nothing else", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Street: []string{"东街道", "西街道"}})
		a1, a2, a3, a4 := r1.area(), r2.area(), r3.area(), r4.area()
		stage := func(units int, area float64, past int) map[string]float64 {
			return map[string]float64{"units": float64(units), "area_ha": ha(area), "at_or_past_units": float64(past)}
		}
		// r5 (未划分, 实施主体确认) is left out: no row of its stage, and
		// 2 of 4 units transferred, not 2 of 5.
		checkRows(t, res, []want{
			{map[string]any{"stage": "计划立项"}, stage(1, a4, 4)},
			{map[string]any{"stage": "规划批准"}, stage(1, a3, 3)},
			{map[string]any{"stage": "土地出让"}, stage(1, a2, 2)},
			{map[string]any{"stage": "竣工"}, stage(1, a1, 1)},
		}, map[string]float64{"units": 4, "area_ha": ha(a1 + a2 + a3 + a4), "confirmed_units": 2, "transferred_units": 2,
			"implementation_rate": 50, "contributed_m2": 4000, "contribution_rate": math.Round(10000*4000/(a1+a2+a3+a4)) / 100,
			"tod_units": 3})
		addsUp(t, res)
	})
	t.Run("two streets of land use: shares of their own total", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Street: []string{"西街道", "东街道"}})
		total := p1.area() + p2.area() + p3.area() + p4.area() + p6.area() + p7.area()
		share := func(n int, m2 float64) map[string]float64 {
			return areas(m2, map[string]float64{"parcels": float64(n), "share": math.Round(10000*m2/total) / 100})
		}
		checkRows(t, res, []want{
			{map[string]any{"class_code": "02"}, share(1, p7.area())},
			{map[string]any{"class_code": "06"}, share(1, p1.area())},
			{map[string]any{"class_code": "07"}, share(2, p2.area()+p3.area())},
			{map[string]any{"class_code": "08"}, share(1, p4.area())},
			{map[string]any{"class_code": "10"}, share(1, p6.area())},
		}, areas(total, map[string]float64{"parcels": 6, "share": 100}))
		if !slices.Equal(res.Params.Street, []string{"西街道", "东街道"}) {
			t.Errorf("params %+v", res.Params)
		}
	})
	t.Run("未划分 selects the features outside every boundary", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Street: []string{"未划分"}})
		checkRows(t, res, []want{{map[string]any{"class_code": "01"}, areas(p5.area(), map[string]float64{"parcels": 1, "share": 100})}},
			areas(p5.area(), map[string]float64{"parcels": 1, "share": 100}))
		res = reportstest.MustRun(t, svc, "idle-land", reports.Options{Street: []string{"未划分"}})
		checkRows(t, res, nil, map[string]float64{"items": 0, "area_m2": 0})
		res = reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Group: []string{"category"}, Street: []string{"未划分", "西街道"}})
		checkRows(t, res, []want{
			{map[string]any{"category": "拆除重建"}, map[string]float64{"units": 1, "area_ha": ha(r5.area())}},
			{map[string]any{"category": "综合整治"}, map[string]float64{"units": 1, "area_ha": ha(r3.area())}},
			{map[string]any{"category": "功能改变"}, map[string]float64{"units": 1, "area_ha": ha(r4.area())}},
		}, map[string]float64{"units": 3, "confirmed_units": 1, "transferred_units": 0, "tod_units": 1})
	})
	t.Run("with a year and another grouping", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-supply", reports.Options{Group: []string{"method"}, Year: 2024, Street: []string{"西街道"}})
		checkRows(t, res, []want{
			{map[string]any{"method": "划拨"}, areas(p4.area(), map[string]float64{"parcels": 1, "price_wan": 0})},
		}, areas(p4.area(), map[string]float64{"parcels": 1, "price_wan": 0}))
		o1 := inter(p1, f1).area() + inter(p1, f2).area() - inter(inter(p1, f1), f2).area()
		o6 := inter(p6, f4).area()
		occ := func(parcels, patches int, m2 float64) map[string]float64 {
			return areas(m2, map[string]float64{"parcels": float64(parcels), "patches": float64(patches)})
		}
		res = reportstest.MustRun(t, svc, "farmland-occupation", reports.Options{Group: []string{"class"}, Street: []string{"东街道"}})
		checkRows(t, res, []want{
			{map[string]any{"class_code": "06"}, occ(1, 2, o1)},
			{map[string]any{"class_code": "10"}, occ(1, 1, o6)},
		}, occ(2, 3, o1+o6))
		res = reportstest.MustRun(t, svc, "idle-land", reports.Options{Group: []string{"year"}, Year: 2023, Street: []string{"东街道"}})
		// The land of 东街道 as of 2023-12-31: i1 (2022) and i2 (2023), whose
		// disposal has no date (unknown as of a past date).
		checkRows(t, res, []want{
			{map[string]any{"year": int64(2022)}, areas(i1.area(), map[string]float64{"items": 1, "disposed_mu": 0, "disposal_rate": 0, "digestion_rate": 100, "identified_items": 0})},
			{map[string]any{"year": int64(2023)}, areas(i2.area(), map[string]float64{"items": 1, "disposed_mu": 0, "disposal_rate": 0, "digestion_rate": 100, "identified_items": 1})},
		}, areas(i1.area()+i2.area(), map[string]float64{"items": 2, "identified_items": 1}))
	})
	t.Run("the names are those of the chosen boundaries layer", func(t *testing.T) {
		mustLayer(t, db, "boundaries_2030", land.Boundaries, []feature{{r: west, vals: map[string]any{"name": "西区"}}})
		layers := map[string]string{"boundaries": "boundaries_2030"}
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Street: []string{"西区"}, Layers: layers})
		checkFigures(t, res, "totals", res.Totals, areas(p3.area()+p4.area(), map[string]float64{"parcels": 2}))
		_, err := svc.Run(context.Background(), "land-use-summary", reports.Options{Street: []string{"东街道"}, Layers: layers})
		if land.KindOf(err) != land.Invalid || !strings.Contains(land.MessageOf(err), "(allowed: 西区, 未划分, comma-separated)") {
			t.Errorf("error %v", err)
		}
	})
}

func TestStreetFilterRefuses(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	mustLayer(t, db, "no_streets", land.Boundaries, nil)
	cases := []struct {
		name     string
		opt      reports.Options
		kind     land.ErrorKind
		contains []string
	}{
		{"a name that is no sub-district, listing the sub-districts", reports.Options{Street: []string{"东街道", "北街道"}}, land.Invalid,
			[]string{`unknown street "北街道"`, `layer "boundaries"`, "allowed: 东街道, 示例区, 西街道, 未划分"}},
		{"an empty name", reports.Options{Street: []string{""}}, land.Invalid, []string{"empty street name"}},
		{"a name given twice", reports.Options{Street: []string{"东街道", "东街道"}}, land.Invalid, []string{`street "东街道" is given twice`}},
		{"a street without the boundaries layer", reports.Options{Street: []string{"东街道"}, Layers: map[string]string{"boundaries": "streets_2030"}},
			land.NotFound, []string{`"streets_2030"`, "--layer boundaries=NAME"}},
		{"a street of an empty boundaries layer", reports.Options{Street: []string{"东街道"}, Layers: map[string]string{"boundaries": "no_streets"}},
			land.Invalid, []string{"allowed: 未划分,"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Run(context.Background(), "land-use-summary", tc.opt)
			if land.KindOf(err) != tc.kind {
				t.Fatalf("error %v (kind %s), want kind %s", err, land.KindOf(err), tc.kind)
			}
			for _, s := range tc.contains {
				if !strings.Contains(land.MessageOf(err), s) {
					t.Errorf("message %q lacks %q", land.MessageOf(err), s)
				}
			}
		})
	}
	t.Run("over an empty boundaries layer every feature is 未划分", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Street: []string{"未划分"}, Layers: map[string]string{"boundaries": "no_streets"}})
		if n, _ := reports.Figure(res.Totals["parcels"]); n != 7 || len(res.Notes) != 1 {
			t.Errorf("totals %v, notes %q", res.Totals, res.Notes)
		}
	})
	for in, want := range map[string][]string{"": nil, " , ": nil, "东街道, 西街道": {"东街道", "西街道"}, "未划分,": {"未划分"}} {
		if got := reports.ParseStreets(in); !slices.Equal(got, want) {
			t.Errorf("ParseStreets(%q) = %q, want %q", in, got, want)
		}
	}
}

// distinctCount reports whether a column counts distinct things that a
// row of several groups may share (the projects of the expropriation
// reports, the sub-districts touched).
func distinctCount(report, key string) bool {
	return (report == "expropriation" || report == "resettlement") && strings.HasSuffix(key, "projects") || key == "handed_in_streets"
}
