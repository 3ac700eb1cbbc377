package reports_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/land"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// Renewal units with milestone dates (D1–D3), one without any (D4, whose
// stage field counts only as of today) and its stage 建设 read as 开工.
var (
	d1 = rect{100, 300, 300, 400}   // east
	d2 = rect{500, 300, 600, 400}   // east
	d3 = rect{-500, 300, -300, 350} // west
	d4 = rect{-800, 800, -700, 900} // west
)

func datedRenewal(tb testing.TB, db *postgis.DB, name string) {
	mustLayer(tb, db, name, land.RenewalUnits, []feature{
		{r: d1, vals: map[string]any{"code": "D1", "stage": "建设", "listed_date": date("2020-03-01"), "approved_date": date("2021-05-01"),
			"entity_date": date("2022-02-01"), "contract_date": date("2023-06-01"), "start_date": date("2023-09-01")}},
		{r: d2, vals: map[string]any{"code": "D2", "stage": "规划批准", "listed_date": date("2022-01-10"), "approved_date": date("2023-03-01")}},
		{r: d3, vals: map[string]any{"code": "D3", "stage": "计划立项", "listed_date": date("2023-11-01")}},
		{r: d4, vals: map[string]any{"code": "D4", "stage": "土地出让"}},
	})
}

func TestMilestones(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	datedRenewal(t, db, "renewal_dated")
	layers := map[string]string{"renewal_units": "renewal_dated"}
	run := func(t *testing.T, opt reports.Options) *reports.Result {
		t.Helper()
		opt.Layers = layers
		return reportstest.MustRun(t, svc, "renewal-progress", opt)
	}
	asOf2022 := reports.Options{Group: []string{"stage"}, AsOf: mustDate(t, "2022-12-31")}
	stage := func(units, past int) map[string]float64 {
		return map[string]float64{"units": float64(units), "at_or_past_units": float64(past)}
	}
	t.Run("the stage as of a date is the last milestone on or before it; units without dates are not known then", func(t *testing.T) {
		res := run(t, asOf2022)
		checkRows(t, res, []want{
			{map[string]any{"stage": "计划立项"}, stage(1, 2)},   // D2
			{map[string]any{"stage": "实施主体确认"}, stage(1, 1)}, // D1
		}, map[string]float64{"units": 2, "approved_units": 1, "confirmed_units": 1, "transferred_units": 0, "started_units": 0, "implementation_rate": 0})
		if res.Params.AsOf != "2022-12-31" || res.Params.From != nil {
			t.Errorf("params %+v", res.Params)
		}
	})
	t.Run("as of today units without dates count by their stage field, 建设 as 开工", func(t *testing.T) {
		res := run(t, reports.Options{Group: []string{"stage"}})
		checkRows(t, res, []want{
			{map[string]any{"stage": "计划立项"}, stage(1, 4)}, // D3
			{map[string]any{"stage": "规划批准"}, stage(1, 3)}, // D2
			{map[string]any{"stage": "土地出让"}, stage(1, 2)}, // D4, by its field
			{map[string]any{"stage": "开工"}, stage(1, 1)},   // D1
		}, map[string]float64{"units": 4, "approved_units": 3, "transferred_units": 2, "started_units": 1, "completed_units": 0, "implementation_rate": 50})
	})
	t.Run("a year gives the units reaching each milestone in it, and the stages at its end", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2023})
		checkRows(t, res, []want{
			{map[string]any{"stage": "计划立项"}, withFig(stage(1, 3), "planned_in", 1)},
			{map[string]any{"stage": "规划批准"}, withFig(stage(1, 2), "approved_in", 1)},
			{map[string]any{"stage": "开工"}, withFig(stage(1, 1), "transferred_in", 1, "started_in", 1, "planned_in", 0)},
		}, map[string]float64{"units": 3, "planned_in": 1, "approved_in": 1, "confirmed_in": 0, "transferred_in": 1, "started_in": 1, "completed_in": 0})
		for _, k := range []string{"planned_in", "completed_in"} {
			if _, ok := column(res, k); !ok {
				t.Errorf("no column %s with a period", k)
			}
		}
		if res := run(t, reports.Options{}); slices.ContainsFunc(res.Columns, func(c land.Column) bool { return c.Key == "planned_in" }) {
			t.Errorf("a period's column without a period: %v", res.Columns)
		}
	})
	t.Run("a year equals its from/to", func(t *testing.T) {
		for _, name := range []string{"land-supply", "idle-land", "renewal-progress", "farmland-occupation", "land-use-summary"} {
			y := reportstest.MustRun(t, svc, name, reports.Options{Year: 2023})
			p := reportstest.MustRun(t, svc, name, reports.Options{From: mustDate(t, "2023-01-01"), To: mustDate(t, "2023-12-31")})
			if *y.Params.From != "2023-01-01" || *y.Params.To != "2023-12-31" || y.Params.AsOf != "2023-12-31" || p.Params.Year != nil {
				t.Errorf("%s: params %+v and %+v", name, y.Params, p.Params)
			}
			if !reflect.DeepEqual(y.Rows, p.Rows) || !reflect.DeepEqual(y.Totals, p.Totals) || !reflect.DeepEqual(y.Columns, p.Columns) {
				t.Errorf("%s: --year 2023 gives\n%v %v\n--from/--to gives\n%v %v", name, y.Rows, y.Totals, p.Rows, p.Totals)
			}
		}
	})
	t.Run("a re-run for the same date after later milestones were recorded gives the same answer", func(t *testing.T) {
		before := run(t, asOf2022)
		beforeYear := run(t, reports.Options{Group: []string{"stage", "street"}, Year: 2022})
		ctx := context.Background()
		// Later events: D2 confirmed and D3 approved in 2024, D1 completed,
		// a new unit planned in 2025, and D4 given dates of later years.
		for _, q := range []string{
			`UPDATE layers.renewal_dated SET entity_date = '2024-01-01' WHERE code = 'D2'`,
			`UPDATE layers.renewal_dated SET approved_date = '2024-03-01' WHERE code = 'D3'`,
			`UPDATE layers.renewal_dated SET completed_date = '2024-06-30', stage = '竣工' WHERE code = 'D1'`,
			`UPDATE layers.renewal_dated SET listed_date = '2024-02-01', contract_date = '2025-01-01' WHERE code = 'D4'`,
			`INSERT INTO layers.renewal_dated (code, stage, listed_date, geom) SELECT 'D5', '计划立项', '2025-04-01', geom FROM layers.renewal_dated WHERE code = 'D3'`,
		} {
			if _, err := db.Pool.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		after := run(t, asOf2022)
		afterYear := run(t, reports.Options{Group: []string{"stage", "street"}, Year: 2022})
		if !reflect.DeepEqual(before.Rows, after.Rows) || !reflect.DeepEqual(before.Totals, after.Totals) {
			t.Errorf("as of 2022-12-31 before\n%v %v\nafter\n%v %v", before.Rows, before.Totals, after.Rows, after.Totals)
		}
		if !reflect.DeepEqual(beforeYear.Rows, afterYear.Rows) || !reflect.DeepEqual(beforeYear.Totals, afterYear.Totals) {
			t.Errorf("2022 before\n%v %v\nafter\n%v %v", beforeYear.Rows, beforeYear.Totals, afterYear.Rows, afterYear.Totals)
		}
		// Today the new events count.
		now := run(t, reports.Options{})
		checkFigures(t, now, "totals", now.Totals, map[string]float64{"units": 5, "completed_units": 1, "confirmed_units": 3, "transferred_units": 2})
	})
	t.Run("a layer made before the milestone fields has them empty", func(t *testing.T) {
		mustLayer(t, db, "renewal_old", land.RenewalUnits, []feature{{r: d1, vals: map[string]any{"code": "O1", "stage": "土地出让"}}})
		for _, f := range []string{"listed_date", "approved_date", "entity_date", "contract_date", "start_date", "completed_date", "street"} {
			if _, err := db.Pool.Exec(context.Background(), "ALTER TABLE layers.renewal_old DROP COLUMN "+f); err != nil {
				t.Fatal(err)
			}
		}
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Layers: map[string]string{"renewal_units": "renewal_old"}})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"units": 1, "transferred_units": 1})
	})
}

func TestIdleLandPeriods(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	// I1 identified 2022, disposed 2023-03-01; I2 identified 2023, disposed
	// 2024-05-01; I3 identified 2023, not disposed; I4 without dates,
	// disposed (known only as of today).
	mustLayer(t, db, "idle_dated", land.IdleLand, []feature{
		{r: i1, vals: map[string]any{"code": "I1", "kind": "闲置", "disposal_status": "已处置", "identified_date": date("2022-03-01"), "disposed_date": date("2023-03-01")}},
		{r: i2, vals: map[string]any{"code": "I2", "kind": "闲置", "disposal_status": "已处置", "identified_date": date("2023-04-01"), "disposed_date": date("2024-05-01")}},
		{r: i3, vals: map[string]any{"code": "I3", "kind": "批而未供", "disposal_status": "未处置", "identified_date": date("2023-06-01")}},
		{r: i4, vals: map[string]any{"code": "I4", "kind": "批而未供", "disposal_status": "已处置"}},
	})
	a1, a2, a3, a4 := i1.area(), i2.area(), i3.area(), i4.area()
	layers := map[string]string{"idle_land": "idle_dated"}
	res := reportstest.MustRun(t, svc, "idle-land", reports.Options{Year: 2023, Layers: layers})
	checkRows(t, res, []want{
		{map[string]any{"kind": "闲置"}, areas(a1+a2, map[string]float64{"items": 2, "disposed_mu": mu(a1), "identified_items": 1, "identified_mu": mu(a2), "disposed_in_mu": mu(a1)})},
		{map[string]any{"kind": "批而未供"}, areas(a3+a4, map[string]float64{"items": 2, "disposed_mu": 0, "identified_items": 1, "identified_mu": mu(a3), "disposed_in_mu": 0})},
	}, areas(a1+a2+a3+a4, map[string]float64{"items": 4, "disposed_mu": mu(a1), "identified_items": 2, "disposed_in_mu": mu(a1)}))
	now := reportstest.MustRun(t, svc, "idle-land", reports.Options{Layers: layers})
	checkFigures(t, now, "totals", now.Totals, map[string]float64{"items": 4, "disposed_mu": mu(a1 + a2 + a4)})
	early := reportstest.MustRun(t, svc, "idle-land", reports.Options{AsOf: mustDate(t, "2022-12-31"), Layers: layers})
	checkFigures(t, early, "totals", early.Totals, map[string]float64{"items": 2, "disposed_mu": 0}) // I1 and I4 (no date)
	supply := reportstest.MustRun(t, svc, "land-supply", reports.Options{AsOf: mustDate(t, "2023-12-31"), Group: []string{"method"}})
	checkFigures(t, supply, "totals", supply.Totals, map[string]float64{"parcels": 2}) // P1 and P3, supplied in 2023
}

// writeTargets writes a targets CSV (UTF-8 with a byte-order mark) with
// the given lines.
func writeTargets(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "targets.csv")
	if err := os.WriteFile(p, []byte("\ufeff"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func importTargets(svc *reports.Service, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ts, err := reports.ReadTargets(path, f)
	if err != nil {
		return 0, err
	}
	return svc.ImportTargets(context.Background(), path, ts)
}

func TestTargets(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	ctx := context.Background()
	// 2024's supply: P2 (east, 20 000 m²) and P4 (west, 10 000 m²), 3 ha.
	path := writeTargets(t,
		"年度,报表,指标,条件,街道,目标值,单位,下达单位",
		"2024,land-supply,area_ha,,,4,公顷,市下达",
		"2024,land-supply,parcels,,,5,宗,区定",
		"2024,land-supply,area_ha,,东街道,15,亩,区定",
		"2024,land-supply,area_mu,method=划拨,,\"1,000\",平方米,区定",
		"2024,idle-land,disposed_in_mu,kind=批而未供,,10,亩,市下达",
		"2023,renewal-progress,started_in,,,2,个,区定",
	)
	n, err := importTargets(svc, path)
	if err != nil || n != 6 {
		t.Fatalf("import: %d, %v", n, err)
	}
	t.Run("a target adds the target and the completion rate after its column", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-supply", reports.Options{Year: 2024, Group: []string{"method"}})
		var keys []string
		for _, c := range res.Columns {
			keys = append(keys, c.Key)
		}
		wantCols := "method parcels parcels_target parcels_rate area_m2 area_ha area_ha_target area_ha_rate area_mu area_mu_target area_mu_rate price_wan price_yi"
		if strings.Join(keys, " ") != wantCols {
			t.Errorf("columns %s, want %s", strings.Join(keys, " "), wantCols)
		}
		rate, _ := column(res, "area_ha_rate")
		if rate.Title != "完成率(面积÷年度任务)" || rate.TitleEN != "Completion rate (Area ÷ yearly target)" || rate.Type != land.ColumnPercent {
			t.Errorf("rate column %+v", rate)
		}
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"area_ha": 3, "area_ha_target": 4, "area_ha_rate": 75, "parcels_target": 5, "parcels_rate": 40})
		if res.Totals["area_mu_target"] != nil {
			t.Errorf("a filtered target on the totals: %v", res.Totals)
		}
		// 划拨: P4, 10 000 m² = 15 亩, of a target of 1 000 m² = 1.5 亩.
		checkRows(t, res, []want{
			{map[string]any{"method": "招拍挂"}, map[string]float64{"parcels": 1}},
			{map[string]any{"method": "划拨"}, map[string]float64{"area_mu": 15, "area_mu_target": 1.5, "area_mu_rate": 1000}},
		}, nil)
		for _, r := range res.Rows {
			if r["method"] == "招拍挂" && (r["area_mu_target"] != nil || r["area_ha_target"] != nil) {
				t.Errorf("a target on a row it does not apply to: %v", r)
			}
		}
		if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "target 2024 area_ha: 4 公顷 (市下达)") }) {
			t.Errorf("notes %q", res.Notes)
		}
	})
	t.Run("a street's target applies to its row, or to the totals when filtered to it", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "land-supply", reports.Options{Year: 2024, Group: []string{"street"}})
		// 东街道: P2, 2 ha of 15 亩 = 1 ha.
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"area_ha": 2, "area_ha_target": 1, "area_ha_rate": 200}},
			{map[string]any{"street": "西街道"}, map[string]float64{"area_ha": 1}},
		}, map[string]float64{"area_ha_target": 4, "area_ha_rate": 75})
		one := reportstest.MustRun(t, svc, "land-supply", reports.Options{Year: 2024, Street: []string{"东街道"}})
		checkFigures(t, one, "totals", one.Totals, map[string]float64{"area_ha": 2, "area_ha_target": 1, "area_ha_rate": 200})
	})
	t.Run("a target filtered by kind applies to that kind's row", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "idle-land", reports.Options{Year: 2024})
		checkRows(t, res, []want{
			{map[string]any{"kind": "批而未供"}, map[string]float64{"disposed_in_mu": 0, "disposed_in_mu_target": 10, "disposed_in_mu_rate": 0}},
			{map[string]any{"kind": "闲置"}, map[string]float64{"items": 2}},
		}, nil)
	})
	t.Run("without a target for the period there are no target columns", func(t *testing.T) {
		for _, opt := range []reports.Options{{Year: 2023}, {}, {From: mustDate(t, "2024-01-01"), To: mustDate(t, "2024-06-30")}} {
			res := reportstest.MustRun(t, svc, "land-supply", opt)
			if slices.ContainsFunc(res.Columns, func(c land.Column) bool { return strings.HasSuffix(c.Key, "_target") }) {
				t.Errorf("%+v: columns %v", opt, res.Columns)
			}
		}
	})
	t.Run("a re-import replaces a target's value", func(t *testing.T) {
		if _, err := importTargets(svc, writeTargets(t, "year,report,measure,value,unit,issuer", "2024,land-supply,area_ha,6,,区定")); err != nil {
			t.Fatal(err)
		}
		res := reportstest.MustRun(t, svc, "land-supply", reports.Options{Year: 2024})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"area_ha_target": 6, "area_ha_rate": 50})
		ts, err := svc.Targets(ctx, reports.TargetFilter{Year: 2024, Report: "land-supply"})
		if err != nil || len(ts) != 4 {
			t.Fatalf("targets %v, %v", ts, err)
		}
	})
	t.Run("an xlsx file with English headers", func(t *testing.T) {
		f := excelize.NewFile()
		for i, row := range [][]any{{"Year", "Report", "Measure", "Value", "Unit", "Issuer"}, {2023, "renewal-progress", "completed_in", 3, "个", "市下达"}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(t.TempDir(), "targets.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		if n, err := importTargets(svc, p); err != nil || n != 1 {
			t.Fatalf("import: %d, %v", n, err)
		}
		res := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{Year: 2023})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"completed_in": 0, "completed_in_target": 3, "completed_in_rate": 0, "started_in_target": 2})
	})
	t.Run("a GBK csv, as Excel saves it in a Chinese locale", func(t *testing.T) {
		text := "年度,报表,指标,条件,目标值,单位,下达单位\n2022,idle-land,disposed_in_mu,kind=闲置,12.5,亩,区定\n"
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "任务.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if n, err := importTargets(svc, p); err != nil || n != 1 {
			t.Fatalf("import: %d, %v", n, err)
		}
		ts, err := svc.Targets(ctx, reports.TargetFilter{Year: 2022})
		if err != nil || len(ts) != 1 || ts[0].Filter != "kind=闲置" || ts[0].Issuer != "区定" || ts[0].Unit != "亩" {
			t.Errorf("targets %+v, %v", ts, err)
		}
	})
	t.Run("GET /api/targets lists them", func(t *testing.T) {
		ts := serve(t, svc)
		resp, err := http.Get(ts.URL + "/api/targets?year=2023")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var got struct{ Targets []land.Target }
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || len(got.Targets) != 2 || got.Targets[0].Report != "renewal-progress" {
			t.Errorf("%d %s: %v", resp.StatusCode, body, err)
		}
		resp, err = http.Get(ts.URL + "/api/targets?report=nope")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("unknown report: %d", resp.StatusCode)
		}
	})
}

func TestBadTargetFiles(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	head := "year,report,measure,filter,street,value,unit,issuer"
	good := "2024,land-supply,area_ha,,,4,公顷,市下达"
	cases := []struct {
		name  string
		lines []string
		want  string
	}{
		{"an unknown report names its row", []string{head, good, "2024,land-supplies,area_ha,,,4,公顷,市下达"}, `row 3: unknown report "land-supplies"`},
		{"an unknown measure names its row and the allowed ones", []string{head, good, "2024,land-supply,area,,,4,公顷,市下达"}, `row 3: report "land-supply" has no measure "area" that takes a target (allowed: parcels, area_ha, area_mu, price_wan, price_yi)`},
		{"a measure that takes no target", []string{head, "2024,idle-land,disposal_rate,,,90,%,区定"}, `row 2: report "idle-land" has no measure "disposal_rate"`},
		{"a filter on something the report is not grouped by", []string{head, "2024,idle-land,disposed_in_mu,colour=red,,4,亩,区定"}, `row 2: report "idle-land" cannot be filtered by "colour"`},
		{"a filter that is not KEY=VALUE", []string{head, "2024,idle-land,disposed_in_mu,批而未供,,4,亩,区定"}, `row 2: invalid filter "批而未供"`},
		{"a unit that does not convert", []string{head, "2024,land-supply,area_ha,,,4,万元,区定"}, `row 2: unit "万元" does not convert to area_ha's unit "公顷"`},
		{"a count for an area", []string{head, "2024,land-supply,area_ha,,,4,宗,区定"}, `row 2: unit "宗" does not convert`},
		{"an unknown issuer", []string{head, "2024,land-supply,area_ha,,,4,公顷,省下达"}, `row 2: unknown issuer "省下达"`},
		{"a bad value", []string{head, good, "2024,land-supply,parcels,,,four,宗,区定"}, `row 3: invalid value "four"`},
		{"a bad year", []string{head, "24,land-supply,parcels,,,4,宗,区定"}, `row 2: invalid year "24"`},
		{"the same target twice", []string{head, good, "2024,land-supply,area_ha,,,5,公顷,区定"}, "row 3: the same target as row 2"},
		{"a missing column", []string{"year,report,measure", "2024,land-supply,area_ha"}, "no value column"},
		{"an unknown column", []string{"year,report,measure,value,colour", "2024,land-supply,area_ha,4,red"}, `unknown column "colour"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importTargets(svc, writeTargets(t, tc.lines...))
			if land.KindOf(err) != land.Invalid || !strings.Contains(land.MessageOf(err), tc.want) {
				t.Errorf("error %v (%s), want Invalid with %q", err, land.KindOf(err), tc.want)
			}
			if !strings.Contains(land.MessageOf(err), "targets.csv") {
				t.Errorf("error %q does not name the file", land.MessageOf(err))
			}
		})
	}
	t.Run("a file with a bad row stores nothing", func(t *testing.T) {
		ts, err := svc.Targets(context.Background(), reports.TargetFilter{})
		if err != nil || len(ts) != 0 {
			t.Errorf("targets %v, %v", ts, err)
		}
	})
}

func TestRecordsWithoutGeometry(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	ctx := context.Background()
	mustLayer(t, db, "idle_ledger", land.IdleLand, []feature{
		{r: i1, vals: map[string]any{"code": "G1", "kind": "闲置", "disposal_status": "已处置"}}, // east by its geometry, whatever its street says
	})
	// Ledger records: no geometry, a street field.
	for _, q := range []string{
		`UPDATE layers.idle_ledger SET street = '西街道'`,
		`INSERT INTO layers.idle_ledger (code, kind, disposal_status, street) VALUES
			('L1', '闲置', '已处置', '西街道'), ('L2', '批而未供', '未处置', ' 东街道 '),
			('L3', '闲置', '未处置', '北街道'), ('L4', '闲置', '未处置', NULL)`,
	} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	layers := map[string]string{"idle_land": "idle_ledger"}
	res := reportstest.MustRun(t, svc, "idle-land", reports.Options{Group: []string{"street"}, Layers: layers})
	checkRows(t, res, []want{
		{map[string]any{"street": "东街道"}, map[string]float64{"items": 2}},              // G1 by geometry, L2 by street
		{map[string]any{"street": "西街道"}, map[string]float64{"items": 1}},              // L1
		{map[string]any{"street": reports.Unassigned}, map[string]float64{"items": 2}}, // L3 (no such sub-district), L4
	}, map[string]float64{"items": 5})
	west := reportstest.MustRun(t, svc, "idle-land", reports.Options{Street: []string{"西街道"}, Layers: layers})
	checkFigures(t, west, "totals", west.Totals, map[string]float64{"items": 1})
	east := reportstest.MustRun(t, svc, "idle-land", reports.Options{Street: []string{"东街道"}, Layers: layers})
	checkFigures(t, east, "totals", east.Totals, map[string]float64{"items": 2})
	// Parcels from a ledger: supplied, by street.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO layers.parcels (code, supply_method, supply_date, price_wan, street) VALUES ('PL', '协议', '2024-02-02', 100, '西街道')`); err != nil {
		t.Fatal(err)
	}
	sup := reportstest.MustRun(t, svc, "land-supply", reports.Options{Group: []string{"street"}, Year: 2024})
	checkRows(t, sup, []want{
		{map[string]any{"street": "东街道"}, map[string]float64{"parcels": 1}},
		{map[string]any{"street": "西街道"}, map[string]float64{"parcels": 2, "price_wan": 100}},
	}, map[string]float64{"parcels": 3})
}
