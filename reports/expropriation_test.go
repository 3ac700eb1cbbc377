package reports_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// The expropriation fixture, drawn like the others (fixture_test.go): the
// two streets, three acquisition plots of two projects, five households (two
// with a house point, three ledger rows without geometry), an overlay layer
// of two polygons that overlap each other, and five renovation projects.
var (
	a1 = rect{100, 100, 300, 300}   // east, 甲项目, 40 000 m² = 60 亩, handed over 2023-06-01, 2.5 亩 retained land never allocated
	a2 = rect{400, 100, 500, 300}   // east, 甲项目, 20 000 m² = 30 亩, not handed over (坟墓迁移)
	a3 = rect{-400, 100, -200, 200} // west, 乙项目, 20 000 m² = 30 亩, handed over 2024-03-01, retained land allocated 2024-09-01

	o1 = rect{150, 150, 350, 250} // the overlay: o1 and o2 overlap each other inside a1; o2 also meets a2
	o2 = rect{200, 200, 450, 280}
	o3 = rect{-1000, 900, -900, 1000} // meets no plot

	rv1 = rect{100, 500, 300, 700}   // east, 棚户区改造 of 2024, started 2024-03-01
	rv2 = rect{-300, 500, -100, 700} // west, 老旧小区改造 of 2024, not started
	rv4 = rect{600, 500, 700, 600}   // east, 安置房 of 2020, started 2020-06-01, never delivered
)

func expropriationFixture(t *testing.T) (*reports.Service, *postgis.DB) {
	t.Helper()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	boundariesLayer(t, db)
	expropriationLayers(t, db)
	return reports.New(db, nil), db
}

// expropriationLayers loads the layers of the expropriation fixture (not
// the boundaries).
func expropriationLayers(t testing.TB, db *postgis.DB) {
	t.Helper()
	mustLayer(t, db, "acquisition", land.Acquisition, []feature{
		{r: a1, vals: map[string]any{"code": "A1", "project": "甲项目", "source": "市下达", "task_year": 2023, "handed_date": date("2023-06-01"), "retained_mu": 2.5}},
		{r: a2, vals: map[string]any{"code": "A2", "project": "甲项目", "source": "区统筹", "task_year": 2023, "obstacle": "坟墓迁移"}},
		{r: a3, vals: map[string]any{"code": "A3", "project": "乙项目", "source": "区统筹", "task_year": 2024, "handed_date": date("2024-03-01"),
			"retained_mu": 1.0, "retained_date": date("2024-09-01")}},
	})
	mustLayer(t, db, "households", land.Households, []feature{
		// H1: signed in 2023, demolished, in transition from 2023-08-01 for
		// 12 months, resettled (delivered) in 2024.
		{pt: pt(150, 150), vals: map[string]any{"code": "H1", "project": "甲项目", "street": "西街道", "sign_mode": "协议征收", "house_area_m2": 100.0, "buildings": 1,
			"signed_date": date("2023-05-10"), "demolished_date": date("2023-08-01"), "compensation_wan": 50.0, "paid_wan": 30.0,
			"resettle_mode": "产权调换", "resettle_site": "安置一区", "investor": "政府投资",
			"transition_start": date("2023-08-01"), "transition_months": 12, "transition_fee": 1000.0, "delivered_date": date("2024-03-15")}},
		// H5: in no sub-district; signed in 2022, resettlement mode not
		// filled in (so to be resettled), in transition for 24 months from 2023.
		{pt: pt(500, 2500), vals: map[string]any{"code": "H5", "project": "丙项目", "house_area_m2": 60.0, "buildings": 1,
			"signed_date": date("2022-12-01"), "transition_start": date("2023-01-01"), "transition_months": 24, "transition_fee": 800.0}},
	})
	// Ledger rows without geometry: by their street field.
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO layers.households
		(code, project, street, sign_mode, house_area_m2, buildings, signed_date, demolished_date, compensation_wan, paid_wan,
		 resettle_mode, resettle_site, investor, transition_start, transition_months, transition_fee) VALUES
		('H2', '甲项目', '东街道', '协议征收', 80, 1, '2023-11-01', NULL, 40, 40, '货币补偿', NULL, '政府投资', NULL, NULL, NULL),
		('H3', '乙项目', '西街道', '司法征收', 120, 2, '2024-02-01', '2024-04-01', 70, 0, '产权调换', '安置二区', '企业', '2024-04-01', 6, 1500),
		('H4', '乙项目', '西街道', NULL, 90, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	mustLayer(t, db, "sugar", land.Generic, []feature{{r: o1}, {r: o2}, {r: o3}})
	mustLayer(t, db, "renovation", land.Renovation, []feature{
		{r: rv1, vals: map[string]any{"code": "R1", "type": "棚户区改造", "plan_year": 2024, "households": 100, "dwellings": 90, "floor_area_m2": 20000.0,
			"invest_wan": 5000.0, "funds_wan": 1000.0, "bond": true, "mode": "拆除新建", "start_date": date("2024-03-01")}},
		{r: rv2, vals: map[string]any{"code": "R2", "type": "老旧小区改造", "plan_year": 2024, "households": 300, "themed": true, "mode": "整治提升"}},
		{r: rv4, vals: map[string]any{"code": "R4", "type": "安置房", "plan_year": 2020, "dwellings": 500, "start_date": date("2020-06-01")}},
	})
	// R3, a back lane: a line of 400 m in the east, started and completed in 2023.
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO layers.renovation (code, type, plan_year, start_date, completion_date, geom)
		VALUES ('R3', '背街小巷', 2023, '2023-05-01', '2023-10-01',
		        ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($3, $2)), 4547), 4490))`,
		gkX+300, gkY+900, gkX+700); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"households", "renovation"} {
		if err := db.InTx(context.Background(), func(tx pgx.Tx) error { _, err := postgis.RefreshLayer(context.Background(), tx, l); return err }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpropriation(t *testing.T) {
	t.Parallel()
	svc, _ := expropriationFixture(t)
	run := func(t *testing.T, opt reports.Options) *reports.Result {
		t.Helper()
		return reportstest.MustRun(t, svc, "expropriation", opt)
	}
	t.Run("by project as of the end of 2023, with that year's flows", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2023})
		checkRows(t, res, []want{
			{map[string]any{"project": "甲项目"}, map[string]float64{"households": 2, "signed": 2, "sign_rate": 100, "signed_m2": 180,
				"demolished": 1, "demolished_m2": 100, "buildings": 2, "demolished_buildings": 1,
				"compensation_wan": 90, "paid_wan": 70, "unpaid_wan": 20,
				"plots": 2, "area_mu": 90, "handed_mu": 60, "pending_plots": 1, "pending_mu": 30, "retained_due_mu": 2.5,
				"signed_in": 2, "signed_in_m2": 180, "demolished_in": 1, "demolished_in_wm2": 0.01, "handed_in_mu": 60, "handed_in_streets": 1}},
			// H3 signs only in 2024, A3 is handed over only in 2024.
			{map[string]any{"project": "乙项目"}, map[string]float64{"households": 2, "signed": 0, "sign_rate": 0, "plots": 1, "area_mu": 30,
				"handed_mu": 0, "pending_plots": 1, "pending_mu": 30, "retained_due_mu": 0, "signed_in": 0, "handed_in_mu": 0, "handed_in_streets": 0}},
			{map[string]any{"project": "丙项目"}, map[string]float64{"households": 1, "signed": 1, "sign_rate": 100, "signed_m2": 60, "plots": 0, "signed_in": 0}},
		}, map[string]float64{"projects": 3, "households": 5, "signed": 3, "sign_rate": 60, "signed_m2": 240, "buildings": 6,
			"compensation_wan": 90, "paid_wan": 70, "unpaid_wan": 20, "plots": 3, "area_mu": 120, "handed_mu": 60,
			"pending_plots": 2, "pending_mu": 60, "retained_due_mu": 2.5, "signed_in": 2, "handed_in_mu": 60, "handed_in_streets": 1})
		for _, r := range res.Rows {
			if want := map[string]any{"甲项目": "2023-06-01", "乙项目": nil, "丙项目": nil}[r["project"].(string)]; r["retained_since"] != want {
				t.Errorf("%s: retained_since %v, want %v", r["project"], r["retained_since"], want)
			}
		}
		if _, ok := column(res, "overlap_mu"); ok {
			t.Error("an overlap column without --overlay")
		}
	})
	t.Run("by street: households by their point, else by their street field; plots by theirs", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2024, Group: []string{"street"}})
		checkRows(t, res, []want{
			// H1 (its point, whatever its street field says), H2 (street), A1, A2.
			{map[string]any{"street": "东街道"}, map[string]float64{"households": 2, "signed": 2, "plots": 2, "handed_in_mu": 0, "handed_in_streets": 0}},
			// H3, H4 (street), A3 handed over in 2024, its retained land allocated.
			{map[string]any{"street": "西街道"}, map[string]float64{"households": 2, "signed": 1, "sign_rate": 50, "signed_in": 1, "demolished_in": 1,
				"demolished_in_wm2": 0.012, "plots": 1, "handed_mu": 30, "handed_in_mu": 30, "handed_in_streets": 1, "retained_due_mu": 0, "unpaid_wan": 70}},
			{map[string]any{"street": reports.Unassigned}, map[string]float64{"households": 1, "signed": 1, "plots": 0}},
		}, map[string]float64{"projects": 3, "households": 5, "signed": 4, "sign_rate": 80, "handed_mu": 90, "handed_in_mu": 30, "handed_in_streets": 1,
			"unpaid_wan": 90, "retained_due_mu": 2.5})
		west := run(t, reports.Options{Year: 2024, Street: []string{"西街道"}})
		checkFigures(t, west, "西街道 totals", west.Totals, map[string]float64{"households": 2, "signed": 1, "plots": 1, "handed_in_mu": 30})
	})
	t.Run("by obstacle and source households take their project's; by signing mode plots are 不适用", func(t *testing.T) {
		res := run(t, reports.Options{Group: []string{"obstacle"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"obstacle": "坟墓迁移"}, map[string]float64{"households": 2, "plots": 1, "pending_mu": 30}}, // 甲项目's obstacle (A2), A2
			{map[string]any{"obstacle": "未填"}, map[string]float64{"households": 3, "plots": 2, "pending_mu": 0}},
		}, map[string]float64{"pending_mu": 30})
		res = run(t, reports.Options{Group: []string{"source"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"source": "市下达"}, map[string]float64{"households": 2, "plots": 1}}, // 甲项目's first plot A1; A1
			{map[string]any{"source": "区统筹"}, map[string]float64{"households": 2, "plots": 2}}, // 乙项目; A2, A3
			{map[string]any{"source": "未填"}, map[string]float64{"households": 1, "plots": 0}},  // 丙项目 has no plots
		}, map[string]float64{"households": 5, "plots": 3})
		res = run(t, reports.Options{Group: []string{"sign_mode"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"sign_mode": "协议征收"}, map[string]float64{"households": 2, "signed": 2}},
			{map[string]any{"sign_mode": "司法征收"}, map[string]float64{"households": 1, "signed": 1}},
			{map[string]any{"sign_mode": "未填"}, map[string]float64{"households": 2, "signed": 1}},
			{map[string]any{"sign_mode": "不适用"}, map[string]float64{"households": 0, "plots": 3, "handed_mu": 90}},
		}, map[string]float64{"households": 5, "plots": 3})
		res = run(t, reports.Options{Group: []string{"year"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"year": int64(2023)}, map[string]float64{"households": 2, "plots": 2}},
			{map[string]any{"year": int64(2024)}, map[string]float64{"households": 2, "plots": 1}},
			{map[string]any{"year": nil}, map[string]float64{"households": 1, "plots": 0}},
		}, nil)
	})
	t.Run("the overlap with an overlay layer counts each piece of land once", func(t *testing.T) {
		// a1 meets o1 and o2, which overlap each other inside a1: the union
		// |a1∩o1| + |a1∩o2| − |a1∩o1∩o2|; a2 meets o2 alone.
		in1 := inter(a1, o1).area() + inter(a1, o2).area() - inter(inter(a1, o1), o2).area()
		in2 := inter(a2, o2).area()
		if in1 != 18000 || in2 != 4000 || inter(a1, o1).area()+inter(a1, o2).area()+in2 != 27000 {
			t.Fatalf("fixture changed: %v %v", in1, in2)
		}
		res := run(t, reports.Options{Group: []string{"project"}, Params: map[string]string{"overlay": "sugar"}})
		checkRows(t, res, []want{
			{map[string]any{"project": "甲项目"}, map[string]float64{"overlap_projects": 1, "overlap_plots": 2, "overlap_mu": mu(in1 + in2)}},
			{map[string]any{"project": "乙项目"}, map[string]float64{"overlap_projects": 0, "overlap_plots": 0, "overlap_mu": 0}},
			{map[string]any{"project": "丙项目"}, map[string]float64{"overlap_projects": 0, "overlap_mu": 0}},
		}, map[string]float64{"overlap_projects": 1, "overlap_plots": 2, "overlap_mu": mu(in1 + in2)})
		if res.Params.Options["overlay"] != "sugar" {
			t.Errorf("options %v", res.Params.Options)
		}
	})
	t.Run("bad parameters are refused with their names", func(t *testing.T) {
		for _, tc := range []struct {
			params map[string]string
			kind   land.ErrorKind
			says   string
		}{
			{map[string]string{"overlay": "no_such_layer"}, land.NotFound, `layer "no_such_layer" does not exist`},
			{map[string]string{"overlay": "Bad Name"}, land.Invalid, "parameter overlay: invalid layer name"},
			{map[string]string{"late_years": "3"}, land.Invalid, `takes no parameter "late_years" (its own parameters: overlay)`},
		} {
			_, err := svc.Run(context.Background(), "expropriation", reports.Options{Params: tc.params})
			if land.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%v: %v, want %v %q", tc.params, err, tc.kind, tc.says)
			}
		}
		// A layer without polygons: the households (points and none).
		_, err := svc.Run(context.Background(), "expropriation", reports.Options{Params: map[string]string{"overlay": "households"}})
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "has no polygons") {
			t.Errorf("points as overlay: %v", err)
		}
	})
}

func TestResettlement(t *testing.T) {
	t.Parallel()
	svc, _ := expropriationFixture(t)
	run := func(t *testing.T, opt reports.Options) *reports.Result {
		t.Helper()
		return reportstest.MustRun(t, svc, "resettlement", opt)
	}
	t.Run("a household signed in 2023 and delivered in 2024 is not resettled at the end of 2023", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2023})
		checkRows(t, res, []want{
			{map[string]any{"project": "甲项目"}, map[string]float64{"households": 2, "signed": 2, "to_resettle": 1, "resettled": 0, "resettle_rate": 0,
				"unresettled": 1, "unresettled_wm2": 0.01, "in_transition": 1, "overdue": 0, "fee_wan_month": 0.1, "resettled_in": 0}},
			{map[string]any{"project": "乙项目"}, map[string]float64{"households": 2, "signed": 0, "to_resettle": 0, "in_transition": 0}},
			{map[string]any{"project": "丙项目"}, map[string]float64{"households": 1, "to_resettle": 1, "unresettled": 1, "in_transition": 1}},
		}, map[string]float64{"households": 5, "signed": 3, "to_resettle": 2, "resettled": 0, "resettle_rate": 0, "unresettled_projects": 2,
			"unresettled": 2, "unresettled_wm2": 0.016, "in_transition": 2, "overdue": 0, "fee_wan_month": 0.18, "overdue_fee_wan_month": 0})
		for _, r := range res.Rows {
			if r["project"] == "乙项目" && r["resettle_rate"] != nil {
				t.Errorf("a rate of nothing to resettle: %v", r)
			}
		}
	})
	t.Run("and resettled in 2024; H3's transition is past its period at the end of 2024", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2024, Group: []string{"resettle_mode"}})
		checkRows(t, res, []want{
			{map[string]any{"resettle_mode": "产权调换"}, map[string]float64{"to_resettle": 2, "resettled": 1, "resettle_rate": 50, "resettled_in": 1,
				"in_transition": 1, "overdue": 1, "fee_wan_month": 0.15, "overdue_fee_wan_month": 0.15}},
			{map[string]any{"resettle_mode": "货币补偿"}, map[string]float64{"signed": 1, "to_resettle": 0}},
			{map[string]any{"resettle_mode": "未填"}, map[string]float64{"households": 2, "signed": 1, "to_resettle": 1, "in_transition": 1, "overdue": 0}},
		}, map[string]float64{"households": 5, "signed": 4, "to_resettle": 3, "resettled": 1, "resettle_rate": 100.0 / 3, "unresettled_projects": 2,
			"unresettled": 2, "unresettled_wm2": 0.018, "in_transition": 2, "overdue": 1, "fee_wan_month": 0.23, "overdue_fee_wan_month": 0.15, "resettled_in": 1})
	})
	t.Run("a transition is past its period only for as-of dates after its end", func(t *testing.T) {
		// H3: from 2024-04-01 for 6 months, to 2024-10-01.
		for _, tc := range []struct {
			asOf    string
			overdue float64
		}{{"2024-09-30", 0}, {"2024-10-01", 0}, {"2024-10-02", 1}, {"2026-01-01", 2}} { // by 2026 H5's 24 months (to 2025-01-01) are over too
			res := run(t, reports.Options{AsOf: mustDate(t, tc.asOf)})
			checkFigures(t, res, tc.asOf, res.Totals, map[string]float64{"in_transition": 2, "overdue": tc.overdue})
		}
	})
	t.Run("by street and by resettlement site", func(t *testing.T) {
		res := run(t, reports.Options{Group: []string{"street"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"households": 2, "to_resettle": 1, "resettled": 1}},
			{map[string]any{"street": "西街道"}, map[string]float64{"households": 2, "to_resettle": 1, "overdue": 1}},
			{map[string]any{"street": reports.Unassigned}, map[string]float64{"households": 1, "to_resettle": 1}},
		}, map[string]float64{"households": 5})
		res = run(t, reports.Options{Group: []string{"resettle_site", "investor"}, AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"resettle_site": "安置一区", "investor": "政府投资"}, map[string]float64{"resettled": 1}},
			{map[string]any{"resettle_site": "安置二区", "investor": "企业"}, map[string]float64{"unresettled": 1}},
			{map[string]any{"resettle_site": "未填", "investor": "政府投资"}, map[string]float64{"households": 1}},
			{map[string]any{"resettle_site": "未填", "investor": "未填"}, map[string]float64{"households": 2}},
		}, nil)
	})
}

func TestRenovationProgress(t *testing.T) {
	t.Parallel()
	svc, _ := expropriationFixture(t)
	run := func(t *testing.T, opt reports.Options) *reports.Result {
		t.Helper()
		return reportstest.MustRun(t, svc, "renovation-progress", opt)
	}
	t.Run("2024: the year's projects started, lanes, late resettlement housing", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2024})
		checkRows(t, res, []want{
			{map[string]any{"type": "棚户区改造"}, map[string]float64{"projects": 1, "households": 100, "dwellings": 90, "floor_area_wm2": 2, "invest_wan": 5000,
				"funds_wan": 1000, "bond_projects": 1, "year_projects": 1, "year_households": 100, "year_started_households": 100, "start_rate": 100,
				"year_completed_households": 0, "completion_rate": 0, "started_in": 1}},
			{map[string]any{"type": "老旧小区改造"}, map[string]float64{"projects": 1, "themed_projects": 1, "year_households": 300, "year_started_households": 0, "start_rate": 0}},
			{map[string]any{"type": "背街小巷"}, map[string]float64{"projects": 1, "lanes": 1, "lane_km": 0.4, "year_projects": 0, "started_projects": 1, "completed_projects": 1}},
			{map[string]any{"type": "安置房"}, map[string]float64{"projects": 1, "dwellings": 500, "late_resettlement": 1, "late_dwellings": 500}},
		}, map[string]float64{"projects": 4, "households": 400, "lanes": 1, "lane_km": 0.4, "year_projects": 2, "year_households": 400,
			"year_started_households": 100, "start_rate": 25, "completion_rate": 0, "late_resettlement": 1, "started_in": 1, "completed_in": 0})
		for _, r := range res.Rows {
			if r["type"] == "背街小巷" && r["start_rate"] != nil {
				t.Errorf("a start rate without the year's projects: %v", r)
			}
		}
		c, _ := column(res, "late_resettlement")
		if c.Title != "开工超过3年未交付安置房项目数" {
			t.Errorf("title %q", c.Title)
		}
	})
	t.Run("2023: the 2024 projects are not yet listed; the lane is started and completed in it", func(t *testing.T) {
		res := run(t, reports.Options{Year: 2023})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"projects": 2, "year_projects": 1, "year_households": 0, "started_in": 1,
			"completed_in": 1, "late_resettlement": 1})
		if res.Totals["start_rate"] != nil {
			t.Errorf("start rate of no households: %v", res.Totals["start_rate"])
		}
	})
	t.Run("late resettlement housing: N years after its start, N given", func(t *testing.T) {
		for _, tc := range []struct {
			asOf  string
			years string
			late  float64
		}{{"2023-05-31", "", 0}, {"2023-06-02", "", 1}, {"2024-12-31", "5", 0}, {"2025-06-02", "5", 1}} {
			opt := reports.Options{AsOf: mustDate(t, tc.asOf)}
			if tc.years != "" {
				opt.Params = map[string]string{"late_years": tc.years}
			}
			res := run(t, opt)
			checkFigures(t, res, tc.asOf+" N="+tc.years, res.Totals, map[string]float64{"late_resettlement": tc.late})
		}
		for _, bad := range []string{"0", "x", "51"} {
			_, err := svc.Run(context.Background(), "renovation-progress", reports.Options{Params: map[string]string{"late_years": bad}})
			if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "parameter late_years") {
				t.Errorf("late_years=%s: %v", bad, err)
			}
		}
	})
	t.Run("a target is a separate column; a project without a target has none", func(t *testing.T) {
		path := writeTargets(t,
			"年度,报表,指标,条件,街道,目标值,单位,下达单位",
			"2024,renovation-progress,year_started_households,type=棚户区改造,,200,户,市下达",
		)
		if n, err := importTargets(svc, path); err != nil || n != 1 {
			t.Fatalf("import: %d, %v", n, err)
		}
		res := run(t, reports.Options{Year: 2024})
		checkRows(t, res, []want{
			{map[string]any{"type": "棚户区改造"}, map[string]float64{"start_rate": 100, "year_started_households": 100,
				"year_started_households_target": 200, "year_started_households_rate": 50}},
			{map[string]any{"type": "老旧小区改造"}, map[string]float64{"start_rate": 0}},
			{map[string]any{"type": "背街小巷"}, nil},
			{map[string]any{"type": "安置房"}, nil},
		}, map[string]float64{"start_rate": 25})
		for _, r := range res.Rows {
			if r["type"] != "棚户区改造" && (r["year_started_households_target"] != nil || r["year_started_households_rate"] != nil) {
				t.Errorf("a target on a project type without one: %v", r)
			}
		}
		if res.Totals["year_started_households_target"] != nil {
			t.Errorf("a filtered target on the totals: %v", res.Totals)
		}
	})
	t.Run("the list carries the reports' own parameters", func(t *testing.T) {
		for _, r := range svc.List().Reports {
			var names []string
			for _, p := range r.Params {
				names = append(names, p.Name+":"+p.Kind)
			}
			want := map[string][]string{"expropriation": {"overlay:layer"}, "renovation-progress": {"late_years:int"}}[r.Name]
			if !slices.Equal(names, want) {
				t.Errorf("%s: params %v, want %v", r.Name, names, want)
			}
		}
	})
}
