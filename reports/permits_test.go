package reports_test

import (
	"context"
	"testing"
	"testing/fstest"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// permitsLayer loads the permits fixture into db (whose boundaries are the
// fixture's). Working days, counted by hand on the 2024 calendar:
//
//	P1 accepted Fri 2024-09-27, before the National Day week (10-01…10-07
//	   off, Sun 09-29 and Sat 10-12 worked), issued Mon 10-14: 09-29, 09-30,
//	   10-08, 10-09, 10-10, 10-11, 10-12, 10-14 = 8 (11 by weekdays alone).
//	P2 accepted Thu 2024-02-08, before the Spring Festival (02-10…02-17 off,
//	   Sun 02-18 worked), issued Tue 02-20: 02-09, 02-18, 02-19, 02-20 = 4.
//	P3 accepted and issued Mon 2024-03-04: 0.
//	P4 issued 2024-05-06 without an acceptance date: not timed.
//	P5 accepted Wed 2023-12-20, issued Thu 2023-12-28: 12-21, 22, 25, 26,
//	   27, 28 = 6.
//	P6 accepted 2024-12-20, not issued: not counted.
func permitsLayer(tb testing.TB, db *postgis.DB) {
	tb.Helper()
	mustLayer(tb, db, "permits", land.Permits, []feature{
		{r: rect{100, 400, 200, 500}, vals: map[string]any{"code": "P1", "type": "建设用地规划许可证", "source": "城市更新", "category": "教育",
			"accepted_date": date("2024-09-27"), "issued_date": date("2024-10-14"), "limit_days": 10, "land_area_m2": 20000.0}},
		{r: rect{-200, 400, -100, 500}, vals: map[string]any{"code": "P2", "type": "建设工程规划许可证", "source": "一般", "category": "医疗",
			"accepted_date": date("2024-02-08"), "issued_date": date("2024-02-20"), "limit_days": 3, "floor_area_m2": 50000.0}},
	})
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO layers.permits
		(code, type, source, category, accepted_date, issued_date, limit_days, floor_area_m2, street) VALUES
		('P3', '建设工程规划许可证', '一般', '教育', '2024-03-04', '2024-03-04', 5, 30000, '东街道'),
		('P4', '规划验收合格证', '一般', NULL, NULL, '2024-05-06', 20, NULL, '西街道'),
		('P5', '建设用地规划许可证', '一般', '教育', '2023-12-20', '2023-12-28', 5, NULL, '西街道'),
		('P6', '建设用地规划许可证', '一般', '教育', '2024-12-20', NULL, 20, NULL, '西街道')`); err != nil {
		tb.Fatal(err)
	}
}

func TestPermits(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	boundariesLayer(t, db)
	permitsLayer(t, db)
	svc := reports.New(db, nil)
	t.Run("a year: working days between acceptance and issue by the holiday calendar, 按时率", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "permits", reports.Options{Year: 2024})
		checkRows(t, res, []want{
			{map[string]any{"type": "建设用地规划许可证"}, map[string]float64{"permits": 1, "land_ha": 2, "timed": 1, "avg_workdays": 8, "max_workdays": 8,
				"with_limit": 1, "on_time": 1, "on_time_rate": 100}},
			{map[string]any{"type": "建设工程规划许可证"}, map[string]float64{"permits": 2, "floor_wan_m2": 8, "timed": 2, "avg_workdays": 2, "max_workdays": 4,
				"with_limit": 2, "on_time": 1, "on_time_rate": 50}},
			{map[string]any{"type": "规划验收合格证"}, map[string]float64{"permits": 1, "timed": 0, "with_limit": 0}},
		}, map[string]float64{"permits": 4, "land_ha": 2, "floor_wan_m2": 8, "timed": 3, "avg_workdays": 4, "max_workdays": 8,
			"with_limit": 3, "on_time": 2, "on_time_rate": 200.0 / 3})
		for _, r := range res.Rows {
			if r["type"] == "规划验收合格证" && (r["avg_workdays"] != nil || r["on_time_rate"] != nil) {
				t.Errorf("untimed group: %v", r)
			}
		}
		if c, _ := column(res, "on_time_rate"); c.Formula == "" {
			t.Errorf("no formula: %+v", c)
		}
	})
	t.Run("without a period: issued on or before the as-of date", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "permits", reports.Options{AsOf: mustDate(t, "2024-03-31"), Group: []string{"year"}})
		checkRows(t, res, []want{
			{map[string]any{"year": int64(2023)}, map[string]float64{"permits": 1, "avg_workdays": 6}},
			{map[string]any{"year": int64(2024)}, map[string]float64{"permits": 2, "avg_workdays": 2, "max_workdays": 4}},
		}, map[string]float64{"permits": 3, "max_workdays": 6})
	})
	t.Run("by street and by source", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "permits", reports.Options{Year: 2024, Group: []string{"street", "source"}})
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道", "source": "城市更新"}, map[string]float64{"permits": 1}}, // P1 by its site
			{map[string]any{"street": "东街道", "source": "一般"}, map[string]float64{"permits": 1}},   // P3 by its street
			{map[string]any{"street": "西街道", "source": "一般"}, map[string]float64{"permits": 2}},   // P2, P4
		}, map[string]float64{"permits": 4})
	})
	t.Run("a catalogue's calendar replaces a year", func(t *testing.T) {
		// A 2024 without the National Day holiday and its make-up days: P1
		// takes 11 working days (09-30, 10-01…04, 10-07…11, 10-14), late.
		cat, err := reports.DefaultCatalog().OverlayHolidays(fstest.MapFS{
			"cat/holidays/2024.yaml": {Data: []byte("year: 2024\nholidays:\n  - {name: 元旦, from: 2024-01-01, to: 2024-01-01}\n")},
		}, "cat/holidays", "cat/holidays")
		if err != nil {
			t.Fatal(err)
		}
		res := reportstest.MustRun(t, reports.NewWithCatalog(db, nil, cat), "permits", reports.Options{Year: 2024, Group: []string{"category"}})
		checkRows(t, res, []want{
			{map[string]any{"category": "教育"}, map[string]float64{"permits": 2, "max_workdays": 11, "on_time": 1}}, // P1 late, P3 on time
			{map[string]any{"category": "医疗"}, map[string]float64{"permits": 1, "max_workdays": 8}},                // P2: 02-09, 02-12…16, 02-19, 02-20
			{map[string]any{"category": "未填"}, map[string]float64{"permits": 1}},
		}, map[string]float64{"permits": 4, "on_time": 1})
	})
}
