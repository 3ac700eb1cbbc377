package reports_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// want is an expected row: its key values (as the result holds them) and
// its figures, compared within the tolerance of each column.
type want struct {
	keys map[string]any
	figs map[string]float64
}

func column(res *reports.Result, key string) (land.Column, bool) {
	for _, c := range res.Columns {
		if c.Key == key {
			return c, true
		}
	}
	return land.Column{}, false
}

// checkFigures compares got's figures with w: areas within the fixture
// tolerance (see fixture_test.go) plus the rounding of the column, rates
// within 0.01 (their rounding: expected rates are computed from planar
// areas and rounded here), counts exactly.
func checkFigures(tb testing.TB, res *reports.Result, what string, got map[string]any, w map[string]float64) {
	tb.Helper()
	for key, exp := range w {
		c, ok := column(res, key)
		if !ok {
			tb.Errorf("%s: no column %q in %v", what, key, res.Columns)
			continue
		}
		g, ok := reports.Figure(got[key])
		if !ok {
			tb.Errorf("%s: %s = %#v, want %v", what, key, got[key], exp)
			continue
		}
		var tol float64
		switch c.Type {
		case land.ColumnInteger:
			tol = 0
		case land.ColumnPercent:
			tol = 0.01 + 1e-9
		default:
			tol = math.Abs(exp)*2e-5 + 0.5*math.Pow(10, -float64(c.Decimals)) + 1e-9
		}
		if math.Abs(g-exp) > tol {
			tb.Errorf("%s: %s = %v, want %v (±%g)", what, key, g, exp, tol)
		}
	}
}

// checkRows finds each wanted row by its keys and checks its figures; the
// result must have exactly the wanted rows.
func checkRows(tb testing.TB, res *reports.Result, rows []want, totals map[string]float64) {
	tb.Helper()
	if len(res.Rows) != len(rows) {
		tb.Errorf("%d rows, want %d: %v", len(res.Rows), len(rows), res.Rows)
	}
	for _, w := range rows {
		var found map[string]any
		for _, r := range res.Rows {
			match := true
			for k, v := range w.keys {
				if r[k] != v {
					match = false
				}
			}
			if match {
				found = r
				break
			}
		}
		if found == nil {
			tb.Errorf("no row %v in %v", w.keys, res.Rows)
			continue
		}
		checkFigures(tb, res, fmt.Sprint(w.keys), found, w.figs)
	}
	checkFigures(tb, res, "totals", res.Totals, totals)
}

func ha(m2 float64) float64 { return m2 / 10000 }
func mu(m2 float64) float64 { return m2 * 15 / 10000 }

// areas returns the three area figures of m2 square metres.
func areas(m2 float64, with map[string]float64) map[string]float64 {
	with["area_m2"], with["area_ha"], with["area_mu"] = m2, ha(m2), mu(m2)
	return with
}

func TestLandSupply(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	a1, a2, a3, a4 := p1.area(), p2.area(), p3.area(), p4.area()
	supply := func(n int64, m2, wan float64) map[string]float64 {
		return areas(m2, map[string]float64{"parcels": float64(n), "price_wan": wan, "price_yi": wan / 10000})
	}
	cases := []struct {
		name   string
		opt    reports.Options
		rows   []want
		totals map[string]float64
	}{
		{"by default the rows are per supply year and method", reports.Options{}, []want{
			{map[string]any{"year": int64(2023), "method": "招拍挂"}, supply(1, a1, 5000)},
			{map[string]any{"year": int64(2023), "method": "协议"}, supply(1, a3, 3000)},
			{map[string]any{"year": int64(2024), "method": "招拍挂"}, supply(1, a2, 12000)},
			{map[string]any{"year": int64(2024), "method": "划拨"}, supply(1, a4, 0)},
		}, supply(4, a1+a2+a3+a4, 20000)},
		{"grouped by street, parcels fall in the street holding their point on surface", reports.Options{Group: []string{"street"}}, []want{
			{map[string]any{"street": "东街道"}, supply(2, a1+a2, 17000)},
			{map[string]any{"street": "西街道"}, supply(2, a3+a4, 3000)},
		}, supply(4, a1+a2+a3+a4, 20000)},
		{"with a year only that year's supply counts", reports.Options{Group: []string{"method"}, Year: 2024}, []want{
			{map[string]any{"method": "招拍挂"}, supply(1, a2, 12000)},
			{map[string]any{"method": "划拨"}, supply(1, a4, 0)},
		}, supply(2, a2+a4, 12000)},
		{"grouped by street and method", reports.Options{Group: []string{"street", "method"}}, []want{
			{map[string]any{"street": "东街道", "method": "招拍挂"}, supply(2, a1+a2, 17000)},
			{map[string]any{"street": "西街道", "method": "协议"}, supply(1, a3, 3000)},
			{map[string]any{"street": "西街道", "method": "划拨"}, supply(1, a4, 0)},
		}, supply(4, a1+a2+a3+a4, 20000)},
		{"a year without supply gives no rows and zero totals", reports.Options{Year: 2019}, nil, supply(0, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := reportstest.MustRun(t, svc, "land-supply", tc.opt)
			checkRows(t, res, tc.rows, tc.totals)
		})
	}
	t.Run("rows come by year, then in the order 招拍挂, 协议, 划拨", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-supply", reports.Options{})
		var got []string
		for _, r := range res.Rows {
			got = append(got, fmt.Sprint(r["year"], r["method"]))
		}
		if want := []string{"2023招拍挂", "2023协议", "2024招拍挂", "2024划拨"}; !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
		if _, ok := res.Rows[0]["street"]; ok {
			t.Errorf("a street column without grouping by street: %v", res.Rows[0])
		}
	})
}

func TestFarmlandOccupation(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	// p1 meets f1 and f2, which overlap each other inside p1: the occupied
	// area is that of the union, |p1∩f1| + |p1∩f2| − |p1∩f1∩f2|.
	o1 := inter(p1, f1).area() + inter(p1, f2).area() - inter(inter(p1, f1), f2).area()
	if o1 != 10500 || inter(p1, f1).area()+inter(p1, f2).area() != 13500 {
		t.Fatalf("fixture changed: union %v", o1)
	}
	o3 := inter(p3, f3).area()
	o6 := inter(p6, f4).area()
	occ := func(parcels, patches int, m2 float64) map[string]float64 {
		return areas(m2, map[string]float64{"parcels": float64(parcels), "patches": float64(patches)})
	}
	cases := []struct {
		name   string
		opt    reports.Options
		rows   []want
		totals map[string]float64
	}{
		{"by default per street and class, overlapping patches counted once, edge contact and non-construction land not at all", reports.Options{}, []want{
			{map[string]any{"street": "东街道", "class_code": "06", "class_name": "工矿仓储用地"}, occ(1, 2, o1)},
			{map[string]any{"street": "东街道", "class_code": "10"}, occ(1, 1, o6)},
			{map[string]any{"street": "西街道", "class_code": "07", "class_name": "住宅用地"}, occ(1, 1, o3)},
		}, occ(3, 4, o1+o3+o6)},
		{"by land-use code", reports.Options{Group: []string{"code"}}, []want{
			{map[string]any{"landuse_code": "0601", "landuse_name": "工业用地"}, occ(1, 2, o1)},
			{map[string]any{"landuse_code": "0701"}, occ(1, 1, o3)},
			{map[string]any{"landuse_code": "1003"}, occ(1, 1, o6)},
		}, occ(3, 4, o1+o3+o6)},
		{"with a year only parcels supplied that year count", reports.Options{Group: []string{"street"}, Year: 2023}, []want{
			{map[string]any{"street": "东街道"}, occ(1, 2, o1)},
			{map[string]any{"street": "西街道"}, occ(1, 1, o3)},
		}, occ(2, 3, o1+o3)},
		{"a year without supply occupies nothing", reports.Options{Year: 2030}, nil, occ(0, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRows(t, reportstest.MustRun(t, svc, "farmland-occupation", tc.opt), tc.rows, tc.totals)
		})
	}
	t.Run("the total equals the area of the union of all overlaps, by a brute-force query", func(t *testing.T) {
		// A second, deliberately naive computation: one union over every
		// construction-parcel × patch intersection of the whole district.
		var brute float64
		err := db.Pool.QueryRow(context.Background(), `
			SELECT ST_Area(ST_Union(ST_Intersection(p.geom, f.geom))::geography)
			FROM layers.parcels p, layers.farmland f
			WHERE substr(p.landuse_code, 1, 2) BETWEEN '05' AND '10'
			  AND ST_Area(ST_Intersection(p.geom, f.geom)) > 0`).Scan(&brute)
		if err != nil {
			t.Fatal(err)
		}
		res := reportstest.MustRun(t, svc, "farmland-occupation", reports.Options{})
		if got, _ := reports.Figure(res.Totals["area_m2"]); math.Abs(got-brute) > 0.01 {
			t.Errorf("total %v m², brute force %v m²", got, brute)
		}
	})
}

func TestIdleLand(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	a1, a2, a3, a4 := i1.area(), i2.area(), i3.area(), i4.area()
	// idle returns the figures of items of total area, of which disposed
	// and digested square metres.
	idle := func(items int, area, disposed, digested float64) map[string]float64 {
		m := areas(area, map[string]float64{"items": float64(items),
			"disposed_mu": mu(disposed), "digested_mu": mu(digested)})
		if area > 0 {
			m["disposal_rate"] = math.Round(10000*disposed/area) / 100
			m["digestion_rate"] = math.Round(10000*digested/area) / 100
		}
		return m
	}
	all := idle(4, a1+a2+a3+a4, a1+a3, a1+a2+a3)
	cases := []struct {
		name   string
		opt    reports.Options
		rows   []want
		totals map[string]float64
	}{
		{"by default per kind, with disposal and digestion rates by area", reports.Options{}, []want{
			{map[string]any{"kind": "闲置"}, idle(2, a1+a2, a1, a1+a2)},
			{map[string]any{"kind": "批而未供"}, idle(2, a3+a4, a3, a3)},
		}, all},
		{"by cause, a missing cause is 未填", reports.Options{Group: []string{"cause"}}, []want{
			{map[string]any{"cause": "企业原因"}, idle(1, a1, a1, a1)},
			{map[string]any{"cause": "政府原因"}, idle(2, a2+a3, a3, a2+a3)},
			{map[string]any{"cause": "未填"}, idle(1, a4, 0, 0)},
		}, all},
		{"by disposal method", reports.Options{Group: []string{"method"}}, []want{
			{map[string]any{"method": "延期动工"}, idle(1, a1, a1, a1)},
			{map[string]any{"method": "协议收回"}, idle(1, a3, a3, a3)},
			{map[string]any{"method": "未填"}, idle(2, a2+a4, 0, a2)},
		}, all},
		{"by street", reports.Options{Group: []string{"street"}}, []want{
			{map[string]any{"street": "东街道"}, idle(2, a1+a2, a1, a1+a2)},
			{map[string]any{"street": "西街道"}, idle(2, a3+a4, a3, a3)},
		}, all},
		{"by identified year", reports.Options{Group: []string{"year"}}, []want{
			{map[string]any{"year": int64(2022)}, idle(1, a1, a1, a1)},
			{map[string]any{"year": int64(2023)}, idle(3, a2+a3+a4, a3, a2+a3)},
		}, all},
		// As of 2023-12-31, a past date, the land identified by then is all
		// four items; a disposal without a date is not known then, and the
		// year's flows are the items identified in it.
		{"with a year the land is that of the year's end, disposals without a date unknown then", reports.Options{Year: 2023}, []want{
			{map[string]any{"kind": "闲置"}, withFig(idle(2, a1+a2, 0, a1+a2), "identified_items", 1, "identified_mu", mu(a2))},
			{map[string]any{"kind": "批而未供"}, withFig(idle(2, a3+a4, 0, a3), "identified_items", 2, "identified_mu", mu(a3+a4), "disposed_in_mu", 0)},
		}, withFig(idle(4, a1+a2+a3+a4, 0, a1+a2+a3), "identified_items", 3, "identified_mu", mu(a2+a3+a4))},
		{"as of a date before some identifications, they are not there yet", reports.Options{AsOf: mustDate(t, "2023-05-01")}, []want{
			{map[string]any{"kind": "闲置"}, idle(2, a1+a2, 0, a1+a2)},
		}, idle(2, a1+a2, 0, a1+a2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRows(t, reportstest.MustRun(t, svc, "idle-land", tc.opt), tc.rows, tc.totals)
		})
	}
}

func TestRenewalProgress(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	a1, a2, a3, a4, a5 := r1.area(), r2.area(), r3.area(), r4.area(), r5.area()
	all := a1 + a2 + a3 + a4 + a5
	t.Run("by default per stage, with the units at or past each stage", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{})
		stage := func(units int, area float64, past int, pastArea float64) map[string]float64 {
			return map[string]float64{"units": float64(units), "area_ha": ha(area), "area_mu": mu(area),
				"at_or_past_units": float64(past), "at_or_past_ha": ha(pastArea)}
		}
		checkRows(t, res, []want{
			{map[string]any{"stage": "计划立项"}, stage(1, a4, 5, all)},
			{map[string]any{"stage": "规划批准"}, stage(1, a3, 4, a3+a5+a2+a1)},
			{map[string]any{"stage": "实施主体确认"}, stage(1, a5, 3, a5+a2+a1)},
			{map[string]any{"stage": "土地出让"}, stage(1, a2, 2, a2+a1)},
			{map[string]any{"stage": "竣工"}, stage(1, a1, 1, a1)},
		}, map[string]float64{
			"units": 5, "area_ha": ha(all), "approved_units": 4, "confirmed_units": 3, "transferred_units": 2,
			"implementation_rate": 40, "contributed_m2": 4500, "contribution_rate": math.Round(10000*4500/all) / 100,
			"tod_units": 3, "tod_ha": ha(a1 + a2 + a4),
		})
		var order []string
		for _, r := range res.Rows {
			order = append(order, r["stage"].(string))
		}
		if want := []string{"计划立项", "规划批准", "实施主体确认", "土地出让", "竣工"}; !slices.Equal(order, want) {
			t.Errorf("stage order %v, want %v", order, want)
		}
	})
	t.Run("by street, with implementation and contribution rates", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Group: []string{"street"}})
		if _, ok := column(res, "at_or_past_units"); ok {
			t.Errorf("at-or-past columns without grouping by stage")
		}
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"units": 2, "area_ha": ha(a1 + a2), "transferred_units": 2,
				"implementation_rate": 100, "contributed_m2": 4000, "contribution_rate": math.Round(10000*4000/(a1+a2)) / 100, "tod_units": 2}},
			{map[string]any{"street": "西街道"}, map[string]float64{"units": 2, "area_ha": ha(a3 + a4), "approved_units": 1,
				"transferred_units": 0, "implementation_rate": 0, "contributed_m2": 0, "contribution_rate": 0, "tod_units": 1, "tod_ha": ha(a4)}},
			{map[string]any{"street": "未划分"}, map[string]float64{"units": 1, "confirmed_units": 1, "transferred_units": 0, "contributed_m2": 500, "tod_units": 0}},
		}, map[string]float64{"units": 5, "tod_units": 3})
	})
	t.Run("by category and direction", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Group: []string{"category", "direction"}})
		checkRows(t, res, []want{
			{map[string]any{"category": "拆除重建", "direction": "工改商住"}, map[string]float64{"units": 1, "area_ha": ha(a1)}},
			{map[string]any{"category": "拆除重建", "direction": "工改工"}, map[string]float64{"units": 2, "area_ha": ha(a2 + a5), "transferred_units": 1}},
			{map[string]any{"category": "综合整治", "direction": "居改居"}, map[string]float64{"units": 1}},
			{map[string]any{"category": "功能改变", "direction": "工改商住"}, map[string]float64{"units": 1}},
		}, map[string]float64{"units": 5})
	})
	t.Run("without a stations layer the TOD figures are zero and a note says why", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Layers: map[string]string{"stations": "no_stations"}})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"units": 5, "tod_units": 0, "tod_ha": 0})
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], `"no_stations"`) {
			t.Errorf("notes %q", res.Notes)
		}
	})
}

func TestLandUseSummary(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	total := 0.0
	for _, r := range []rect{p1, p2, p3, p4, p5, p6, p7} {
		total += r.area()
	}
	share := func(n int, m2 float64) map[string]float64 {
		return areas(m2, map[string]float64{"parcels": float64(n), "share": math.Round(10000*m2/total) / 100})
	}
	cases := []struct {
		name string
		opt  reports.Options
		rows []want
	}{
		{"by default per first-level class, with its GB/T 21010 name", reports.Options{}, []want{
			{map[string]any{"class_code": "01", "class_name": "耕地"}, share(1, p5.area())},
			{map[string]any{"class_code": "02", "class_name": "种植园用地"}, share(1, p7.area())},
			{map[string]any{"class_code": "06"}, share(1, p1.area())},
			{map[string]any{"class_code": "07", "class_name": "住宅用地"}, share(2, p2.area()+p3.area())},
			{map[string]any{"class_code": "08"}, share(1, p4.area())},
			{map[string]any{"class_code": "10"}, share(1, p6.area())},
		}},
		{"by street: the straddling parcel goes east, the far one is 未划分", reports.Options{Group: []string{"street"}}, []want{
			{map[string]any{"street": "东街道"}, share(4, p1.area()+p2.area()+p6.area()+p7.area())},
			{map[string]any{"street": "西街道"}, share(2, p3.area()+p4.area())},
			{map[string]any{"street": "未划分"}, share(1, p5.area())},
		}},
		{"by code within class", reports.Options{Group: []string{"class", "code"}}, []want{
			{map[string]any{"class_code": "07", "landuse_code": "0701", "landuse_name": "城镇住宅用地"}, share(2, p2.area()+p3.area())},
			{map[string]any{"class_code": "10", "landuse_code": "1003"}, share(1, p6.area())},
			{map[string]any{"landuse_code": "0101"}, share(1, p5.area())},
			{map[string]any{"landuse_code": "0201"}, share(1, p7.area())},
			{map[string]any{"landuse_code": "0601"}, share(1, p1.area())},
			{map[string]any{"landuse_code": "0801"}, share(1, p4.area())},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRows(t, reportstest.MustRun(t, svc, "land-use-summary", tc.opt), tc.rows,
				areas(total, map[string]float64{"parcels": 7, "share": 100}))
		})
	}
	t.Run("another parcels layer is read when chosen", func(t *testing.T) {
		mustLayer(t, db, "parcels_2025", land.Parcels, []feature{
			{r: rect{10, 10, 60, 40}, vals: map[string]any{"landuse_code": "0601"}},
		})
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Layers: map[string]string{"parcels": "parcels_2025"}})
		checkRows(t, res, []want{{map[string]any{"class_code": "06"}, areas(1500, map[string]float64{"parcels": 1, "share": 100})}},
			areas(1500, map[string]float64{"parcels": 1}))
		if res.Params.Layers["parcels"] != "parcels_2025" {
			t.Errorf("params %+v", res.Params)
		}
	})
}

func TestBadParameters(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	mustLayer(t, db, "empty_parcels", land.Parcels, nil)
	cases := []struct {
		name     string
		report   string
		opt      reports.Options
		kind     land.ErrorKind
		contains []string
	}{
		{"an unknown report lists the reports", "land-supplies", reports.Options{}, land.Invalid,
			[]string{`"land-supplies"`, "land-supply", "farmland-occupation", "idle-land", "renewal-progress", "land-use-summary"}},
		{"an unknown group lists the groups", "land-supply", reports.Options{Group: []string{"district"}}, land.Invalid,
			[]string{`"district"`, "year, street, method"}},
		{"a group given twice", "idle-land", reports.Options{Group: []string{"kind", "kind"}}, land.Invalid, []string{`"kind"`}},
		{"a period that ends before it starts", "land-supply", reports.Options{From: mustDate(t, "2024-02-01"), To: mustDate(t, "2024-01-01")}, land.Invalid,
			[]string{"from 2024-02-01 is after to 2024-01-01"}},
		{"a period without its end", "idle-land", reports.Options{From: mustDate(t, "2024-02-01")}, land.Invalid, []string{"from is given without to"}},
		{"a period without its start", "idle-land", reports.Options{To: mustDate(t, "2024-02-01")}, land.Invalid, []string{"to is given without from"}},
		{"a year and a period together", "idle-land", reports.Options{Year: 2024, From: mustDate(t, "2024-01-01"), To: mustDate(t, "2024-02-01")}, land.Invalid,
			[]string{"year and from/to"}},
		{"a year out of range", "land-supply", reports.Options{Year: 20240}, land.Invalid, []string{"20240"}},
		{"a layer of a kind the report does not read", "land-supply", reports.Options{Layers: map[string]string{"farmland": "farmland"}}, land.Invalid,
			[]string{`"farmland"`, "parcels, boundaries"}},
		{"a layer name that cannot be a layer", "land-supply", reports.Options{Layers: map[string]string{"parcels": "Parcels; drop"}}, land.Invalid, []string{"invalid layer name"}},
		{"a layer of the wrong kind", "land-supply", reports.Options{Layers: map[string]string{"parcels": "farmland"}}, land.Invalid,
			[]string{`layer "farmland" is a farmland layer`}},
		{"a missing layer is named", "farmland-occupation", reports.Options{Layers: map[string]string{"farmland": "farmland_2030"}}, land.NotFound,
			[]string{`"farmland_2030"`, "--layer farmland=NAME"}},
		{"an empty layer is named", "land-use-summary", reports.Options{Layers: map[string]string{"parcels": "empty_parcels"}}, land.NotFound,
			[]string{`"empty_parcels"`, "no features"}},
		{"grouping by street needs the boundaries", "land-use-summary",
			reports.Options{Group: []string{"street"}, Layers: map[string]string{"boundaries": "streets_2030"}}, land.NotFound, []string{`"streets_2030"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Run(context.Background(), tc.report, tc.opt)
			if land.KindOf(err) != tc.kind {
				t.Fatalf("error %v (kind %s), want kind %s", err, land.KindOf(err), tc.kind)
			}
			for _, s := range tc.contains {
				if !strings.Contains(land.MessageOf(err), s) {
					t.Errorf("message %q lacks %q", land.MessageOf(err), s)
				}
			}
			if tc.kind == land.Invalid {
				if err := svc.Check(tc.report, tc.opt); land.KindOf(err) != land.Invalid && !strings.Contains(tc.name, "wrong kind") {
					t.Errorf("Check: %v", err)
				}
			}
		})
	}
	t.Run("without boundaries a report not grouped by street still runs", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Layers: map[string]string{"boundaries": "streets_2030"}})
		if n, _ := reports.Figure(res.Totals["parcels"]); n != 7 {
			t.Errorf("totals %v", res.Totals)
		}
	})
	for _, y := range []string{"20x4", "1800", "-1", "2024.5"} {
		t.Run("year "+y+" is refused", func(t *testing.T) {
			if _, err := reports.ParseYear(y); land.KindOf(err) != land.Invalid {
				t.Errorf("ParseYear(%q): %v", y, err)
			}
		})
	}
}

// The temporary views live only in the report's transaction: the one
// connection of a one-connection pool has none left after every report.
func TestViewsDoNotOutliveTheReport(t *testing.T) {
	t.Parallel()
	tdb := pgtest.NewDB(t)
	pool, err := pgxpool.New(context.Background(), tdb.URL+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	svc, db := fixtureOn(t, postgis.New(pool, nil))
	expropriationLayers(t, db)
	inspectionLayers(t, db)
	permitsLayer(t, db)
	for _, r := range svc.Reports() {
		var opt reports.Options
		if len(r.Groups) > 0 {
			opt.Group = []string{r.Groups[0].Key}
		}
		reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, opt))
	}
	reportstest.MustRun(t, svc, "expropriation", reports.Options{Params: map[string]string{"overlay": "sugar"}})
	var n int
	if err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d temporary relations left on the pooled connection", n)
	}
}

// withFig returns m with more figures, given as key, value pairs.
func withFig(m map[string]float64, kv ...any) map[string]float64 {
	for i := 0; i < len(kv); i += 2 {
		v, _ := reports.Figure(kv[i+1])
		if f, ok := kv[i+1].(int); ok {
			v = float64(f)
		}
		m[kv[i].(string)] = v
	}
	return m
}

func mustDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := reports.ParseDate("date", s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
