package reports_test

import (
	"testing"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// The fixtures of renewal-pipeline, supply-plan and approvals, in the
// district of fixture_test.go (东街道 x 0…1000, 西街道 x −1000…0, inside
// 示例区). Every expected figure below is worked out by hand from the
// rectangles' planar sizes and the field values, in the comments.

const (
	renewalProjects = land.Kind("renewal_projects")
	landApprovals   = land.Kind("land_approvals")
)

// Units: U1 (east) has three phases, two of them contracted (2023-08-01,
// 2024-03-01); U2 (west, 统筹单元) one phase, contracted 2024-02-01; U3
// (east) is only listed; U4 (east) has no phases and its own contract
// date.
func pipelineFixture(tb testing.TB) *reports.Service {
	tb.Helper()
	db := postgis.New(pgtest.NewDB(tb).Pool, nil)
	boundariesLayer(tb, db)
	mustLayer(tb, db, "renewal_units", land.RenewalUnits, []feature{
		{r: rect{100, 100, 300, 200}, vals: map[string]any{"code": "U1", "category": "拆除重建", "direction": "工改商住", "approver": "市", "scope": "计划单元",
			"listed_date": date("2021-03-01"), "approved_date": date("2022-06-01"), "entity_date": date("2023-02-01"), "contract_date": date("2023-08-01"),
			"plan_area_m2": 20000.0, "demolition_area_m2": 15000.0, "approved_area_m2": 18000.0, "dev_area_m2": 12000.0,
			"gfa_m2": 60000.0, "gfa_residential_m2": 30000.0, "gfa_commercial_m2": 10000.0, "gfa_industrial_m2": 15000.0, "gfa_public_m2": 5000.0,
			"existing_industrial_m2": 8000.0, "affordable_m2": 6000.0, "innovative_m2": 4000.0, "schools": 1, "kindergartens": 2, "health_centres": 1}},
		{r: rect{-300, 100, -100, 400}, vals: map[string]any{"code": "U2", "category": "拆除重建", "direction": "工改工", "approver": "区", "scope": "统筹单元",
			"listed_date": date("2022-01-10"), "approved_date": date("2023-09-01"),
			"plan_area_m2": 30000.0, "demolition_area_m2": 25000.0, "approved_area_m2": 28000.0, "dev_area_m2": 20000.0,
			"gfa_m2": 80000.0, "gfa_industrial_m2": 50000.0, "existing_industrial_m2": 20000.0, "innovative_m2": 10000.0, "kindergartens": 1}},
		{r: rect{400, 100, 500, 300}, vals: map[string]any{"code": "U3", "category": "综合整治", "direction": "居改居", "scope": "计划单元",
			"listed_date": date("2023-05-01"), "plan_area_m2": 10000.0}},
		{r: rect{600, 600, 800, 800}, vals: map[string]any{"code": "U4", "category": "功能改变", "direction": "工改商", "approver": "区", "scope": "计划单元",
			"listed_date": date("2020-01-01"), "approved_date": date("2021-01-01"), "entity_date": date("2021-06-01"), "contract_date": date("2022-01-01"),
			"approved_area_m2": 5000.0, "dev_area_m2": 5000.0, "existing_industrial_m2": 3000.0, "gfa_industrial_m2": 0.0}},
	})
	mustLayer(tb, db, "renewal_projects", renewalProjects, []feature{
		{r: rect{100, 100, 200, 200}, vals: map[string]any{"code": "P1a", "unit_code": "U1", "phase": 1, "entity": "甲公司", "entity_date": date("2023-02-01"),
			"contract_no": "C1", "contract_date": date("2023-08-01"), "land_price_wan": 50000.0}},
		{r: rect{200, 100, 250, 200}, vals: map[string]any{"code": "P1b", "unit_code": "U1", "phase": 2, "entity": "甲公司", "entity_date": date("2023-03-01"),
			"contract_no": "C2", "contract_date": date("2024-03-01"), "land_price_wan": 30000.0, "handover_date": date("2024-05-01"), "handover_area_m2": 3000.0}},
		{r: rect{250, 100, 300, 200}, vals: map[string]any{"code": "P1c", "unit_code": "U1", "phase": 3, "entity": "甲公司", "entity_date": date("2024-06-01")}},
		{r: rect{-300, 100, -100, 400}, vals: map[string]any{"code": "P2a", "unit_code": "U2", "phase": 1, "entity": "乙公司", "entity_date": date("2024-01-01"),
			"contract_no": "C3", "contract_date": date("2024-02-01"), "land_price_wan": 20000.0, "handover_date": date("2024-02-15"), "handover_area_m2": 5000.0}},
	})
	return reports.New(db, nil)
}

func TestRenewalPipeline(t *testing.T) {
	t.Parallel()
	svc := pipelineFixture(t)
	t.Run("stocks as of 2024-12-31: shares, contribution, industrial space, both implementation rates, coverage", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{AsOf: mustDate(t, "2024-12-31")})
		checkRows(t, res, []want{
			// U1 and U2: 2 of 4 units; U1's phases 2 of 3 contracted, U2's 1 of 1.
			{map[string]any{"category": "拆除重建"}, map[string]float64{"units": 2, "share": 50, "approved_units": 2, "unapproved_units": 0,
				"phases": 4, "phases_contracted": 3, "phase_rate": 75, "units_contracted": 1, "unit_rate": 50, "units_entity": 2,
				// (18000 − 12000 + 28000 − 20000) ÷ (18000 + 28000)
				"contribution_rate": 100 * 14000.0 / 46000, "industrial_wm2": 6.5, "industrial_increase_wm2": (7000 + 30000) / 10000.0,
				"plan_area_ha": 5, "coordinated_streets": 1, "coordinated_coverage": 50}},
			{map[string]any{"category": "综合整治"}, map[string]float64{"units": 1, "share": 25, "approved_units": 0, "unapproved_units": 1,
				"phases": 0, "units_contracted": 0, "unit_rate": 0, "coordinated_streets": 0, "coordinated_coverage": 0}},
			// U4 has no phases: contracted by its own 土地出让 date.
			{map[string]any{"category": "功能改变"}, map[string]float64{"units": 1, "share": 25, "approved_units": 1, "units_contracted": 1,
				"unit_rate": 100, "units_entity": 1, "contribution_rate": 0, "industrial_increase_wm2": -0.3}},
		}, map[string]float64{"units": 4, "share": 100, "approved_units": 3, "unapproved_units": 1, "phases": 4, "phases_contracted": 3,
			"phase_rate": 75, "units_contracted": 2, "unit_rate": 50, "units_entity": 3,
			// (6000 + 8000 + 0) ÷ (18000 + 28000 + 5000)
			"contribution_rate": 100 * 14000.0 / 51000, "industrial_wm2": 6.5, "industrial_increase_wm2": 3.4,
			"plan_area_ha": 6, "tod_units": 0, "coordinated_streets": 1, "coordinated_coverage": 50})
		for _, k := range []string{"phase_rate", "unit_rate", "contribution_rate", "share", "coordinated_coverage"} {
			if c, _ := column(res, k); c.Type != land.ColumnPercent || c.Formula == "" {
				t.Errorf("%s: %+v, want a percent with a formula", k, c)
			}
		}
	})
	t.Run("as of dates before and after the first contract of a phase", func(t *testing.T) {
		// 2023-06-30: U2 not yet approved (2023-09-01), no phase contracted
		// (P1a on 2023-08-01), U4 contracted by its own date; only U4 has
		// every phase's entity (U1's third phase: 2024).
		before := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Group: []string{"scope"}, AsOf: mustDate(t, "2023-06-30")})
		checkFigures(t, before, "totals", before.Totals, map[string]float64{"units": 4, "approved_units": 2, "unapproved_units": 2,
			"phases": 4, "phases_contracted": 0, "phase_rate": 0, "units_contracted": 1, "unit_rate": 25, "units_entity": 1,
			"contribution_rate": 100 * 6000.0 / 23000, "industrial_increase_wm2": 0.4})
		after := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Group: []string{"scope"}, AsOf: mustDate(t, "2023-08-31")})
		checkFigures(t, after, "totals", after.Totals, map[string]float64{"phases_contracted": 1, "phase_rate": 25, "units_contracted": 1, "unit_rate": 25})
		// Before U3 was listed (2023-05-01) it is not a unit yet.
		early := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{AsOf: mustDate(t, "2023-04-30")})
		checkFigures(t, early, "totals", early.Totals, map[string]float64{"units": 3, "unapproved_units": 1})
	})
	t.Run("flows of a period", func(t *testing.T) {
		// Listed in 2021–2022: U1 (15000 m² to demolish, 计划单元) and U2
		// (25000 m², 统筹单元).
		res := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Group: []string{"scope"}, From: mustDate(t, "2021-01-01"), To: mustDate(t, "2022-12-31")})
		checkRows(t, res, []want{
			{map[string]any{"scope": "计划单元"}, map[string]float64{"listed_in": 1, "listed_demolition_ha_in": 1.5, "listed_demolition_share": 37.5,
				"listed_plan_ha_in": 2, "approved_in": 2, "approved_city_in": 1, "approved_district_in": 1}},
			{map[string]any{"scope": "统筹单元"}, map[string]float64{"listed_in": 1, "listed_demolition_ha_in": 2.5, "listed_demolition_share": 62.5}},
		}, map[string]float64{"listed_in": 2, "listed_demolition_ha_in": 4, "listed_demolition_share": 100, "approved_in": 2,
			// U4 (2021-01-01) and U1 (2022-06-01): (0 + 6000) ÷ (5000 + 18000)
			"contribution_rate_in": 100 * 6000.0 / 23000, "approved_ha_in": 2.3, "dev_ha_in": 1.7, "schools_in": 1, "kindergartens_in": 2})

		// 2023: U2 approved by the district with its floor areas; U1's
		// entity; phases P1a and P1b confirmed, P1a contracted for 5 亿元.
		y23 := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Year: 2023})
		checkFigures(t, y23, "totals", y23.Totals, map[string]float64{"listed_in": 1, "approved_in": 1, "approved_city_in": 0, "approved_district_in": 1,
			"approved_ha_in": 2.8, "dev_ha_in": 2, "contribution_rate_in": 100 * 8000.0 / 28000, "gfa_wm2_in": 8, "gfa_industrial_wm2_in": 5,
			"innovative_wm2_in": 1, "affordable_wm2_in": 0, "kindergartens_in": 1, "schools_in": 0,
			"entity_units_in": 1, "entity_phases_in": 2, "contracts_in": 1, "land_price_yi_in": 5, "handover_in": 0, "handover_ha_in": 0})
		// 2024: P1b and P2a contracted (3 + 2 亿元) and handed over (0.3 + 0.5 ha).
		y24 := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Year: 2024, Group: []string{"street"}})
		checkRows(t, y24, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"contracts_in": 1, "land_price_yi_in": 3, "handover_in": 1, "handover_ha_in": 0.3, "entity_phases_in": 1,
				"units": 3, "phases": 3, "phases_contracted": 2, "coordinated_streets": 0, "coordinated_coverage": 0}},
			{map[string]any{"street": "西街道"}, map[string]float64{"contracts_in": 1, "land_price_yi_in": 2, "handover_in": 1, "handover_ha_in": 0.5, "entity_phases_in": 1,
				"units": 1, "phases": 1, "phases_contracted": 1, "unit_rate": 100, "coordinated_streets": 1, "coordinated_coverage": 100}},
		}, map[string]float64{"coordinated_coverage": 50, "contracts_in": 2, "land_price_yi_in": 5, "handover_in": 2, "handover_ha_in": 0.8, "entity_phases_in": 2})
		// Filtered to 西街道 the figures are its row's; coverage is then of
		// the one chosen sub-district.
		west := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Year: 2024, Street: []string{"西街道"}})
		checkFigures(t, west, "西街道", west.Totals, map[string]float64{"units": 1, "phases": 1, "contracts_in": 1, "land_price_yi_in": 2, "coordinated_coverage": 100})
	})
}

// Supply plan: parcels Q1–Q6 (areas 20000, 20000, 60000, 10000, 40000,
// 10000 m²).
func TestSupplyPlan(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	boundariesLayer(t, db)
	mustLayer(t, db, "parcels", land.Parcels, []feature{
		{r: rect{100, 100, 300, 200}, vals: map[string]any{"code": "Q1", "source": "储备", "reserve_date": date("2022-03-01"), "reserve_source": "征收", "plan_year": 2024,
			"supply_method": "招拍挂", "supply_date": date("2024-05-01"), "contract_date": date("2024-05-10"), "price_wan": 8000.0, "paid_wan": 4000.0,
			"paid_date": date("2024-06-01"), "agreed_start_date": date("2024-11-01")}},
		{r: rect{400, 100, 500, 300}, vals: map[string]any{"code": "Q2", "source": "储备", "reserve_date": date("2023-07-01"), "reserve_source": "收回", "plan_year": 2024}},
		{r: rect{-300, 100, -100, 400}, vals: map[string]any{"code": "Q3", "source": "城市更新", "reserve_date": date("2024-02-01"), "reserve_source": "城市更新移交",
			"supply_method": "协议", "supply_date": date("2024-08-01"), "price_wan": 12000.0, "paid_wan": 12000.0, "paid_date": date("2024-09-01"),
			"agreed_start_date": date("2025-03-01")}},
		{r: rect{-600, 500, -500, 600}, vals: map[string]any{"code": "Q4", "source": "其他", "plan_year": 2023, "supply_method": "划拨", "supply_date": date("2024-01-15"),
			"agreed_start_date": date("2024-06-01"), "start_date": date("2024-05-20")}},
		{r: rect{600, 600, 800, 800}, vals: map[string]any{"code": "Q5", "source": "储备", "reserve_date": date("2021-05-01"), "reserve_source": "土地整备", "plan_year": 2024}},
		{r: rect{700, 100, 800, 200}, vals: map[string]any{"code": "Q6", "source": "城市更新", "plan_year": 2022, "supply_method": "招拍挂", "supply_date": date("2022-04-01"),
			"price_wan": 3000.0, "paid_wan": 3000.0, "paid_date": date("2022-05-01"), "agreed_start_date": date("2023-01-01"), "start_date": date("2023-02-01")}},
		{r: rect{100, 600, 200, 700}, vals: map[string]any{"code": "Q7"}}, // in no figure
	})
	svc := reports.New(db, nil)
	t.Run("a year: the plan against the supply, outside the plan, reserve, price, 供而未用", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "supply-plan", reports.Options{Year: 2024, Group: []string{"source"}})
		checkRows(t, res, []want{
			// Q1, Q2, Q5 (Q6: supplied 2022, a figure only of the cumulative renewal supply: 城市更新 row).
			{map[string]any{"source": "储备"}, map[string]float64{"parcels": 3, "reserve_parcels": 2, "reserve_ha": 6, "planned_parcels": 3, "planned_mu": mu(80000),
				"planned_supplied_parcels": 1, "planned_supplied_mu": mu(20000), "plan_rate": 25, "unstarted_parcels": 1, "unstarted_mu": mu(20000),
				"supplied_in": 1, "unplanned_in": 0, "price_agreed_in_yi": 0.8, "paid_in_yi": 0.4}},
			{map[string]any{"source": "城市更新"}, map[string]float64{"parcels": 2, "renewal_supplied_ha": 7, "renewal_supplied_in_ha": 6, "reserved_in": 1,
				"reserved_in_ha": 6, "unplanned_in": 1, "unplanned_in_mu": mu(60000), "price_agreed_in_yi": 1.2, "paid_in_yi": 1.2, "unstarted_parcels": 0}},
			{map[string]any{"source": "其他"}, map[string]float64{"parcels": 1, "supplied_in": 1, "unplanned_in": 1, "unplanned_in_mu": mu(10000), "planned_parcels": 0}},
		}, map[string]float64{"parcels": 6, "reserve_parcels": 2, "reserve_ha": 6, "planned_parcels": 3, "planned_mu": mu(80000), "planned_supplied_mu": mu(20000),
			"plan_rate": 25, "renewal_supplied_ha": 7, "unstarted_parcels": 1, "reserved_in": 1, "reserved_in_ha": 6,
			"supplied_in": 3, "supplied_in_mu": mu(90000), "unplanned_in": 2, "unplanned_in_mu": mu(70000), "renewal_supplied_in_ha": 6,
			"price_agreed_in_yi": 2, "paid_in_yi": 1.6})
		if c, _ := column(res, "plan_rate"); c.Formula == "" {
			t.Errorf("plan_rate has no formula: %+v", c)
		}
	})
	t.Run("as of an earlier date: Q1 still in the reserve, the plan of that year", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "supply-plan", reports.Options{AsOf: mustDate(t, "2023-12-31"), Group: []string{"reserve_source"}})
		checkRows(t, res, []want{
			{map[string]any{"reserve_source": "征收"}, map[string]float64{"reserve_parcels": 1, "reserve_ha": 2}},
			{map[string]any{"reserve_source": "收回"}, map[string]float64{"reserve_parcels": 1}},
			{map[string]any{"reserve_source": "土地整备"}, map[string]float64{"reserve_parcels": 1, "reserve_ha": 4}},
			// Q4 (plan 2023, supplied 2024) and Q6 (supplied 2022).
			{map[string]any{"reserve_source": "未填"}, map[string]float64{"parcels": 2, "planned_parcels": 1, "planned_supplied_parcels": 0, "plan_rate": 0,
				"renewal_supplied_ha": 1, "unstarted_parcels": 0}},
		}, map[string]float64{"reserve_parcels": 3, "reserve_ha": 8, "planned_parcels": 1, "planned_mu": 15, "plan_rate": 0, "renewal_supplied_ha": 1})
	})
}

// Approvals: batches A1–A5 and the supplied parcels under them. S1 and S2
// overlap each other inside A1 (10000 m² in common); S3 lies across A1 and
// A2, half in each; A2 is partly supplied (S4, and S5 is not supplied); A4
// is withdrawn; A5 is being compiled.
func TestApprovals(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	boundariesLayer(t, db)
	mustLayer(t, db, "land_approvals", landApprovals, []feature{
		{r: rect{0, 0, 600, 500}, vals: map[string]any{"code": "A1", "name": "2019年第一批", "batch_kind": "城市批次", "status": "已批准",
			"submitted_date": date("2019-03-01"), "approved_date": date("2019-12-01"), "approved_area_m2": 300000.0,
			"farmland_m2": 100000.0, "offset_m2": 100000.0, "withdrawn_m2": 20000.0}},
		{r: rect{600, 0, 1000, 500}, vals: map[string]any{"code": "A2", "name": "单独选址一", "batch_kind": "单独选址", "status": "已批准",
			"submitted_date": date("2020-05-01"), "approved_date": date("2021-04-01"), "approved_area_m2": 200000.0,
			"farmland_m2": 50000.0, "offset_m2": 40000.0}},
		{r: rect{-1000, 0, -500, 500}, vals: map[string]any{"code": "A3", "name": "2023年第一批", "batch_kind": "城市批次", "status": "审查中",
			"submitted_date": date("2023-06-01")}},
		{r: rect{-500, 0, 0, 500}, vals: map[string]any{"code": "A4", "name": "更新批次", "batch_kind": "城市更新", "status": "已撤回",
			"submitted_date": date("2020-01-01"), "approved_date": date("2020-10-01"), "approved_area_m2": 250000.0}},
		{r: rect{-1000, 600, -500, 900}, vals: map[string]any{"code": "A5", "name": "2025年第一批", "batch_kind": "城市批次", "status": "组卷"}},
	})
	mustLayer(t, db, "parcels", land.Parcels, []feature{
		{r: rect{100, 100, 300, 300}, vals: map[string]any{"code": "S1", "supply_method": "招拍挂", "supply_date": date("2020-06-01")}},
		{r: rect{200, 200, 400, 400}, vals: map[string]any{"code": "S2", "supply_method": "招拍挂", "supply_date": date("2022-03-01")}},
		{r: rect{550, 100, 650, 200}, vals: map[string]any{"code": "S3", "supply_method": "划拨", "supply_date": date("2021-06-01")}},
		{r: rect{700, 100, 900, 300}, vals: map[string]any{"code": "S4", "supply_method": "协议", "supply_date": date("2024-03-01")}},
		{r: rect{800, 350, 900, 450}, vals: map[string]any{"code": "S5"}},
		{r: rect{-400, 100, -200, 300}, vals: map[string]any{"code": "S6", "supply_method": "招拍挂", "supply_date": date("2021-02-01")}},
	})
	svc := reports.New(db, nil)
	t.Run("per batch as of today: overlaps once, a parcel in two batches, partly supplied, withdrawn left out", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "approvals", reports.Options{Group: []string{"batch"}})
		// A1: S1 ∪ S2 = 70000, S3's half 5000; 300000 − 75000 − 20000.
		// A2: S3's half 5000, S4 40000; 200000 − 45000.
		checkRows(t, res, []want{
			{map[string]any{"batch_code": "A1"}, map[string]float64{"recorded": 1, "approved": 1, "batches": 1, "supplied_mu": mu(75000), "withdrawn_mu": mu(20000),
				"unsupplied_mu": mu(205000), "disposed_mu": mu(95000), "supply_rate": 25, "offset_rate": 100}},
			{map[string]any{"batch_code": "A2"}, map[string]float64{"supplied_mu": mu(45000), "unsupplied_mu": mu(155000), "offset_rate": 80, "supply_rate": 22.5}},
			{map[string]any{"batch_code": "A3"}, map[string]float64{"submitted": 1, "approved": 0, "pending": 1, "batches": 0, "unsupplied_mu": 0}},
			{map[string]any{"batch_code": "A4"}, map[string]float64{"approved": 1, "pending": 0, "batches": 0, "unsupplied_mu": 0, "supplied_mu": 0}},
			{map[string]any{"batch_code": "A5"}, map[string]float64{"recorded": 1, "submitted": 0, "pending": 0}},
		}, map[string]float64{"recorded": 5, "submitted": 4, "approved": 3, "pending": 1, "batches": 2, "approved_ha": 50, "approved_mu": mu(500000),
			"farmland_ha": 15, "offset_ha": 14, "offset_rate": 100 * 140000.0 / 150000, "supplied_mu": mu(120000), "withdrawn_mu": mu(20000),
			"unsupplied_mu": mu(360000), "disposed_mu": mu(140000), "unsupplied_batches": 2, "supply_rate": 24})
		if c, _ := column(res, "offset_rate"); c.Formula == "" {
			t.Errorf("offset_rate has no formula: %+v", c)
		}
	})
	t.Run("as of an earlier date S2 and S4 are not supplied yet", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "approvals", reports.Options{Group: []string{"batch_kind"}, AsOf: mustDate(t, "2021-12-31")})
		// A1: S1 40000 + 5000; A2: 5000. A3 not submitted yet; A5 undated: not known then.
		checkRows(t, res, []want{
			{map[string]any{"batch_kind": "城市批次"}, map[string]float64{"recorded": 1, "supplied_mu": mu(45000), "unsupplied_mu": mu(235000)}},
			{map[string]any{"batch_kind": "单独选址"}, map[string]float64{"supplied_mu": mu(5000), "unsupplied_mu": mu(195000)}},
			{map[string]any{"batch_kind": "城市更新"}, map[string]float64{"approved": 1, "unsupplied_mu": 0}},
		}, map[string]float64{"recorded": 3, "submitted": 3, "approved": 3, "pending": 0, "unsupplied_mu": mu(430000)})
	})
	t.Run("the period selects the batches by approval date; supply as of the as-of date", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "approvals", reports.Options{From: mustDate(t, "2019-01-01"), To: mustDate(t, "2019-12-31"), AsOf: mustDate(t, "2024-12-31")})
		checkFigures(t, res, "totals", res.Totals, map[string]float64{"batches": 1, "approved_mu": mu(300000), "unsupplied_mu": mu(205000),
			"submitted_in": 1, "approved_in": 1})
		y := reportstest.MustRun(t, svc, "approvals", reports.Options{Year: 2021, Group: []string{"year"}})
		// A2 approved in 2021, supplied by 2021-12-31: S3's half.
		checkRows(t, y, []want{
			{map[string]any{"year": int64(2021)}, map[string]float64{"batches": 1, "unsupplied_mu": mu(195000), "approved_in": 1}},
			{map[string]any{"year": int64(2019)}, map[string]float64{"batches": 0, "approved": 1}},
			{map[string]any{"year": int64(2020)}, map[string]float64{"batches": 0, "approved": 1}},
		}, map[string]float64{"batches": 1, "unsupplied_mu": mu(195000), "submitted_in": 0, "approved_in": 1})
	})
	t.Run("by street", func(t *testing.T) {
		res := reportstest.MustRun(t, svc, "approvals", reports.Options{Group: []string{"street"}})
		checkRows(t, res, []want{
			{map[string]any{"street": "东街道"}, map[string]float64{"recorded": 2, "batches": 2, "unsupplied_mu": mu(360000)}},
			{map[string]any{"street": "西街道"}, map[string]float64{"recorded": 3, "batches": 0, "pending": 1}},
		}, map[string]float64{"recorded": 5, "unsupplied_mu": mu(360000)})
		west := reportstest.MustRun(t, svc, "approvals", reports.Options{Street: []string{"西街道"}})
		checkFigures(t, west, "西街道", west.Totals, map[string]float64{"recorded": 3, "batches": 0, "pending": 1})
	})
}

// approvalLayers adds approval batches and renewal phases to the common
// fixture (fixture_test.go), so that every report runs over it: B1 over
// p1 and p2 (east), B2 over p3 and p4 (west), B3 pending outside every
// sub-district; phases of R1, R2 and R5.
func approvalLayers(tb testing.TB, db *postgis.DB) {
	mustLayer(tb, db, "land_approvals", landApprovals, []feature{
		{r: rect{0, 0, 600, 400}, vals: map[string]any{"code": "B1", "name": "东批次", "batch_kind": "城市批次", "status": "已批准",
			"submitted_date": date("2021-03-01"), "approved_date": date("2022-01-01"), "approved_area_m2": 240000.0, "farmland_m2": 20000.0, "offset_m2": 20000.0}},
		{r: rect{-700, 0, 0, 700}, vals: map[string]any{"code": "B2", "name": "西批次", "batch_kind": "单独选址", "status": "已批准",
			"submitted_date": date("2020-09-01"), "approved_date": date("2021-06-01"), "approved_area_m2": 490000.0, "withdrawn_m2": 10000.0}},
		{r: rect{0, 2000, 200, 2200}, vals: map[string]any{"code": "B3", "name": "待批批次", "batch_kind": "城市批次", "status": "审查中",
			"submitted_date": date("2024-01-01")}},
	})
	mustLayer(tb, db, "renewal_projects", renewalProjects, []feature{
		{r: r1, vals: map[string]any{"code": "R1-1", "unit_code": "R1", "phase": 1, "entity": "甲", "entity_date": date("2021-01-01"), "contract_no": "H1",
			"contract_date": date("2021-06-01"), "land_price_wan": 9000.0}},
		{r: r2, vals: map[string]any{"code": "R2-1", "unit_code": "R2", "phase": 1, "entity": "乙", "entity_date": date("2022-01-01"), "contract_no": "H2",
			"contract_date": date("2023-06-01"), "land_price_wan": 4000.0, "handover_date": date("2023-01-01"), "handover_area_m2": 800.0}},
		{r: r2, vals: map[string]any{"code": "R2-2", "unit_code": "R2", "phase": 2, "entity": "乙", "entity_date": date("2023-01-01")}},
		{r: r5, vals: map[string]any{"code": "R5-1", "unit_code": "R5", "phase": 1, "entity": "丙", "entity_date": date("2023-03-01")}},
	})
}
