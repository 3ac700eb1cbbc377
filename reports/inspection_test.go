package reports_test

import (
	"context"
	"testing"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// The inspection fixture: cropland parcels and permanent-farmland redlines
// that overlap one another, so that a patch's occupied area is the patch ∩
// the union (counted once), never the sum of the pairwise intersections.
var (
	// Parcels: C1 and C2 are cropland (class 01) overlapping at x 100…200;
	// C3 is residential.
	c1 = rect{0, 0, 200, 100}   // 0101
	c2 = rect{100, 0, 300, 100} // 0103
	c3 = rect{300, 0, 400, 100} // 0701
	// Redlines R1 and R2 overlap at x 100…150.
	rl1 = rect{0, 0, 150, 100}
	rl2 = rect{100, 0, 250, 100}

	// Patch A: 400 m × 100 m, half of it (x 100…300) on cropland, x 100…250
	// on redlines; no figures recorded: both are computed.
	patchA = rect{100, 0, 500, 100}
	// Patch B (west): figures recorded; rectified after its deadline.
	patchB = rect{-300, 100, -100, 300}
	// Patch C (east): lawful, no figures and no farmland under it.
	patchC = rect{600, 600, 700, 700}
)

func inspectionFixture(tb testing.TB) (*reports.Service, *postgis.DB) {
	tb.Helper()
	db := postgis.New(pgtest.NewDB(tb).Pool, nil)
	boundariesLayer(tb, db)
	inspectionLayers(tb, db)
	return reports.New(db, nil), db
}

// inspectionLayers loads the inspection fixture's layers into db (whose
// boundaries are the fixture's).
func inspectionLayers(tb testing.TB, db *postgis.DB) {
	tb.Helper()
	mustLayer(tb, db, "insp_parcels", land.Parcels, []feature{
		{r: c1, vals: map[string]any{"code": "C1", "landuse_code": "0101"}},
		{r: c2, vals: map[string]any{"code": "C2", "landuse_code": "0103"}},
		{r: c3, vals: map[string]any{"code": "C3", "landuse_code": "0701"}},
	})
	mustLayer(tb, db, "insp_farmland", land.Farmland, []feature{
		{r: rl1, vals: map[string]any{"code": "R1"}},
		{r: rl2, vals: map[string]any{"code": "R2"}},
	})
	mustLayer(tb, db, "inspection_patches", land.InspectionPatches, []feature{
		{r: patchA, vals: map[string]any{"code": "A", "source": "卫片执法", "batch": "2024年第一季度", "year": 2024, "verdict": "违法",
			"illegal_m2": 40000.0, "status": "整改中", "deadline": date("2024-06-30")}},
		{r: patchB, vals: map[string]any{"code": "B", "source": "卫片执法", "batch": "2024年第二季度", "year": 2024, "verdict": "违法",
			"illegal_m2": 30000.0, "farmland_m2": 1000.0, "basic_farmland_m2": 500.0, "needs_rectification": true,
			"status": "已整改", "deadline": date("2024-09-30"), "rectified_date": date("2024-11-15"), "penalty_wan": 12.5}},
		{r: patchC, vals: map[string]any{"code": "C", "source": "卫片执法", "batch": "2024年第一季度", "year": 2024, "verdict": "合法",
			"monitored_m2": 10000.0, "needs_rectification": false}},
	})
	// Problems without geometry (a 督察 ledger), placed by their street.
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO layers.inspection_patches
		(code, source, year, category, verdict, illegal_m2, farmland_m2, basic_farmland_m2, needs_rectification, status, deadline, rectified_date, street) VALUES
		('D', '耕地保护督察', 2023, '违法占用耕地', '违法', 2000, 2000, 0, true, '已整改', '2023-12-31', '2024-03-01', '西街道'),
		('E', '耕地保护督察', 2024, '违法占用耕地', '违法', 1000, NULL, NULL, true, '未整改', '2024-10-31', NULL, '东街道'),
		('F', '审计', 2022, '其他', '违法', 500, NULL, NULL, true, '已整改', '2022-10-31', '2022-12-01', '北街道')`); err != nil {
		tb.Fatal(err)
	}
}

var inspLayers = map[string]string{"parcels": "insp_parcels", "farmland": "insp_farmland"}

func TestRectification(t *testing.T) {
	t.Parallel()
	svc, _ := inspectionFixture(t)
	run := func(opt reports.Options) *reports.Result {
		t.Helper()
		opt.Layers = inspLayers
		return reportstest.MustRun(t, svc, "rectification", opt)
	}
	// By hand: A is 40 000 m² (monitored area = its own area), cropland
	// under it is x 100…300 (C1 ∪ C2: 20 000 m², not C1∩A + C2∩A = 30 000),
	// redlines x 100…250 (R1 ∪ R2: 15 000 m², not 5 000 + 15 000). B is
	// 40 000 m² with its recorded figures; C 10 000 m² (recorded), computed
	// as 0 of each.
	aArea, bArea := patchA.area(), patchB.area()
	cropA := inter(patchA, rect{0, 0, 300, 100}).area()
	basicA := inter(patchA, rect{0, 0, 250, 100}).area()
	if cropA != 20000 || basicA != 15000 || aArea != 40000 {
		t.Fatalf("fixture arithmetic: %v %v %v", cropA, basicA, aArea)
	}
	t.Run("a year: found, farmland computed once per union, rates, overdue, carried over", func(t *testing.T) {
		res := run(reports.Options{Year: 2024})
		satellite := map[string]float64{
			"items": 3, "monitored_ha": ha(aArea + bArea + 10000), "illegal_items": 2, "illegal_ha": ha(40000 + 30000),
			"farmland_ha": ha(cropA + 1000), "basic_farmland_ha": ha(basicA + 500),
			"farmland_computed": 2, "basic_farmland_computed": 2, // A and C
			"needs_items": 2, "rectified_items": 1, "rectification_rate": 50,
			"needs_illegal_ha": ha(70000), "rectified_illegal_ha": ha(30000), "rectification_area_rate": 100 * 30000.0 / 70000,
			"overdue_items": 1, "rectified_late": 1, "penalty_wan": 12.5,
			"rectified_in": 1, "carried_over": 0, "carried_rectified": 0,
		}
		inspection := map[string]float64{
			"items": 1, "monitored_ha": 0, "illegal_items": 1, "illegal_ha": ha(1000), "farmland_ha": 0, "farmland_computed": 0,
			"needs_items": 1, "rectified_items": 0, "rectification_rate": 0,
			"overdue_items":  1,                                                               // E, past 2024-10-31
			"rectified_late": 1, "rectified_in": 1, "carried_over": 1, "carried_rectified": 1, // D: 2023's, rectified 2024-03-01
		}
		checkRows(t, res, []want{
			{map[string]any{"source": "卫片执法"}, satellite},
			{map[string]any{"source": "耕地保护督察"}, inspection},
		}, map[string]float64{
			"items": 4, "monitored_ha": ha(90000), "illegal_items": 3, "illegal_ha": ha(71000),
			"farmland_ha": ha(cropA + 1000), "basic_farmland_ha": ha(basicA + 500), "farmland_computed": 2, "basic_farmland_computed": 2,
			"needs_items": 3, "rectified_items": 1, "rectification_rate": 100.0 / 3,
			"needs_illegal_ha": ha(71000), "rectified_illegal_ha": ha(30000), "rectification_area_rate": 100 * 30000.0 / 71000,
			"overdue_items": 2, "rectified_late": 2, "penalty_wan": 12.5, "rectified_in": 2, "carried_over": 1, "carried_rectified": 1,
		})
		for _, key := range []string{"rectification_rate", "rectification_area_rate"} {
			if c, _ := column(res, key); c.Type != land.ColumnPercent || c.Formula == "" {
				t.Errorf("%s: %+v", key, c)
			}
		}
	})
	t.Run("a problem rectified after its deadline is overdue until it is rectified", func(t *testing.T) {
		// As of 2024-10-15, B (deadline 2024-09-30) is not rectified yet: overdue with A.
		res := run(reports.Options{AsOf: mustDate(t, "2024-10-15"), Group: []string{"verdict"}})
		checkRows(t, res, []want{
			{map[string]any{"verdict": "违法"}, map[string]float64{"items": 5, "overdue_items": 2, "rectified_late": 2, "rectified_items": 2}}, // D and F rectified, both late
			{map[string]any{"verdict": "合法"}, map[string]float64{"items": 1, "needs_items": 0}},
		}, map[string]float64{"items": 6, "needs_items": 5, "overdue_items": 2, "rectified_late": 2})
		// As of 2024-12-31 it is rectified, late: no longer overdue.
		res = run(reports.Options{AsOf: mustDate(t, "2024-12-31"), Group: []string{"verdict"}})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"overdue_items": 2, "rectified_late": 3, "rectified_items": 3, "rectification_rate": 60}) // A and E overdue; D, F and B late
	})
	t.Run("by street: patches by their geometry, problems by their street field", func(t *testing.T) {
		res := run(reports.Options{Year: 2024, Group: []string{"street"}})
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"items": 3, "farmland_ha": ha(cropA)}}, // A, C, E
			{map[string]any{"street": "西街道"}, map[string]float64{"items": 1, "carried_over": 1}},        // B; D carried over
		}, map[string]float64{"items": 4})
		west := run(reports.Options{Year: 2024, Street: []string{"西街道"}})
		checkFigures(t, west, "totals", west.Totals, map[string]float64{"items": 1, "carried_over": 1, "farmland_computed": 0})
	})
	t.Run("recorded figures are not recomputed", func(t *testing.T) {
		res := run(reports.Options{Year: 2024, Group: []string{"batch"}})
		checkRows(t, res, []want{
			{map[string]any{"batch": "2024年第一季度"}, map[string]float64{"items": 2, "farmland_computed": 2, "farmland_ha": ha(cropA)}},
			{map[string]any{"batch": "2024年第二季度"}, map[string]float64{"items": 1, "farmland_computed": 0, "farmland_ha": ha(1000)}},
			{map[string]any{"batch": "未填"}, map[string]float64{"items": 1, "farmland_computed": 0}},
		}, map[string]float64{"items": 4})
	})
}
