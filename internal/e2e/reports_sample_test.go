package e2e_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"tudi/land"
	"tudi/reports"
	"tudi/reports/reportstest"
	"tudi/sampledata/sampletest"
)

// On the sample district every report has rows in every grouping, no group
// is empty, and the groups add up to the totals.
func TestSampleDistrict(t *testing.T) {
	t.Parallel()
	db := sampletest.Load(t, 1, "test")
	svc := reports.New(db, nil)
	ctx := context.Background()
	var layerArea float64
	if err := db.Pool.QueryRow(ctx, `SELECT sum(area_m2) FROM layers.parcels`).Scan(&layerArea); err != nil {
		t.Fatal(err)
	}
	for _, r := range svc.Reports() {
		for _, g := range r.Groups {
			t.Run(r.Name+" grouped by "+g.Key+" is non-trivial and adds up", func(t *testing.T) {
				res := reportstest.MustRun(t, svc, r.Name, reports.Options{Group: []string{g.Key}})
				if len(res.Rows) < 2 {
					t.Fatalf("%d rows: %v", len(res.Rows), res.Rows)
				}
				for _, c := range res.Columns {
					if c.Type == land.ColumnText || c.Key == "year" || c.Key == g.Key {
						continue
					}
					var sum float64
					for _, row := range res.Rows {
						v, _ := reports.Figure(row[c.Key])
						sum += v
					}
					total, ok := reports.Figure(res.Totals[c.Key])
					switch {
					case c.Key == "patches":
						// A patch touched by parcels of two groups counts in
						// each, and once in the total.
						if total > sum || total == 0 {
							t.Errorf("patches: total %v, groups %v", total, sum)
						}
					case distinctCount(r.Name, c.Key) || c.Key == "coordinated_streets":
						// A project (or sub-district) of two groups counts in
						// each, and once in the total.
						if total > sum {
							t.Errorf("%s: total %v, groups %v", c.Key, total, sum)
						}
					case c.Type == land.ColumnPercent || c.Key == "at_or_past_units" || c.Key == "at_or_past_ha" ||
						strings.HasPrefix(c.Key, "avg_") || strings.HasPrefix(c.Key, "max_"):
						// Rates, running sums, averages and maxima do not add up.
					case !ok:
						t.Errorf("no total %s", c.Key)
					default:
						// Each group is rounded to the column's decimals.
						tol := float64(len(res.Rows))*0.5*math.Pow(10, -float64(c.Decimals)) + 1e-9
						if math.Abs(sum-total) > tol {
							t.Errorf("%s: groups add up to %v, total %v", c.Key, sum, total)
						}
					}
				}
				// Every group holds something: each row counts at least one feature.
				first := res.Columns[len(res.Columns)-1].Key
				for _, c := range res.Columns {
					if c.Type == land.ColumnInteger && c.Key != "year" && c.Key != g.Key {
						first = c.Key
						break
					}
				}
				for _, row := range res.Rows {
					if n, _ := reports.Figure(row[first]); n < 1 {
						t.Errorf("empty group %v", row)
					}
				}
				if r.Name == "land-use-summary" {
					if got, _ := reports.Figure(res.Totals["area_m2"]); math.Abs(got-layerArea) > 0.01 {
						t.Errorf("total %v m², layer %v m²", got, layerArea)
					}
				}
			})
		}
	}
	// Over real sub-district outlines (edges crossing many cells, the grid
	// of a filter covering one sub-district's extent), each report
	// filtered to a sub-district gives the figures of its street row.
	for _, r := range svc.Reports() {
		t.Run(r.Name+" filtered to each sub-district gives its street row", func(t *testing.T) {
			byStreet := reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, reports.Options{Group: []string{"street"}}))
			for _, row := range byStreet.Rows {
				res := reportstest.MustRun(t, svc, r.Name, reportstest.WithSummary(r.Name, reports.Options{Street: []string{row["street"].(string)}}))
				reportstest.SameFigures(t, res, fmt.Sprint(row["street"]), res.Totals, row, "share")
			}
		})
	}
	t.Run("the households ledger is at its houses or projects, a few rows without geometry", func(t *testing.T) {
		var all, located, points int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*), count(geom), count(*) FILTER (WHERE GeometryType(geom) = 'POINT')
			FROM layers.households`).Scan(&all, &located, &points); err != nil {
			t.Fatal(err)
		}
		if all < 1500 || points != located || located < all*85/100 || located > all*97/100 {
			t.Errorf("%d households, %d located (%d points)", all, located, points)
		}
	})
	t.Run("the figures a work report quotes are there", func(t *testing.T) {
		problems := reportstest.MustRun(t, svc, "rectification", reports.Options{Year: 2024, Layers: map[string]string{"inspection_patches": "inspection_problems"}})
		patches := reportstest.MustRun(t, svc, "rectification", reports.Options{Year: 2024})
		permits := reportstest.MustRun(t, svc, "permits", reports.Options{Year: 2024})
		for what, v := range map[string]any{
			"problems (ledger, no geometry)": problems.Totals["needs_items"], "problems carried over": problems.Totals["carried_over"],
			"patches' 整改率": patches.Totals["rectification_rate"], "patches' farmland computed": patches.Totals["farmland_computed"],
			"permits' 按时率": permits.Totals["on_time_rate"], "permits' average working days": permits.Totals["avg_workdays"],
		} {
			if n, ok := reports.Figure(v); !ok || n <= 0 {
				t.Errorf("%s = %v", what, v)
			}
		}
		idle := reportstest.MustRun(t, svc, "idle-land", reports.Options{})
		occ := reportstest.MustRun(t, svc, "farmland-occupation", reports.Options{})
		ren := reportstest.MustRun(t, svc, "renewal-progress", reports.Options{})
		pipe := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{})
		pipe19 := reportstest.MustRun(t, svc, "renewal-pipeline", reports.Options{Year: 2019})
		plan := reportstest.MustRun(t, svc, "supply-plan", reports.Options{Year: 2024})
		appr := reportstest.MustRun(t, svc, "approvals", reports.Options{})
		for what, v := range map[string]any{
			"disposal rate": idle.Totals["disposal_rate"], "occupied area": occ.Totals["area_ha"],
			"implementation rate": ren.Totals["implementation_rate"], "TOD units": ren.Totals["tod_units"],
			"phase rate": pipe.Totals["phase_rate"], "unit rate": pipe.Totals["unit_rate"], "contribution rate": pipe.Totals["contribution_rate"],
			"coverage of 统筹单元": pipe.Totals["coordinated_coverage"], "plans approved in 2019": pipe19.Totals["approved_in"],
			"land contracts in 2019": pipe19.Totals["contracts_in"], "handed over in 2019": pipe19.Totals["handover_ha_in"],
			"reserve stock": plan.Totals["reserve_ha"], "plan completion": plan.Totals["plan_rate"], "supplied outside the plan": plan.Totals["unplanned_in"],
			"renewal supply": plan.Totals["renewal_supplied_ha"], "price paid": plan.Totals["paid_in_yi"], "supplied but not started": plan.Totals["unstarted_parcels"],
			"batches pending": appr.Totals["pending"], "批而未供": appr.Totals["unsupplied_mu"], "offset rate": appr.Totals["offset_rate"], "supply rate": appr.Totals["supply_rate"],
		} {
			if n, ok := reports.Figure(v); !ok || n <= 0 {
				t.Errorf("%s = %v", what, v)
			}
		}
	})
}

// distinctCount reports whether a column counts distinct things that a
// row of several groups may share (the projects of the expropriation
// reports, the sub-districts touched).
func distinctCount(report, key string) bool {
	return (report == "expropriation" || report == "resettlement") && strings.HasSuffix(key, "projects") || key == "handed_in_streets"
}

// BenchmarkReports runs every report over the sample district at the scale
// in TUDI_BENCH_SCALE (default 1; 400 is about a million parcels, and its
// loading takes minutes before the timing starts).
func BenchmarkReports(b *testing.B) {
	scale := sampletest.BenchScale(b, 1)
	start := time.Now()
	db := sampletest.Load(b, scale, "test")
	var parcels int64
	_ = db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM layers.parcels`).Scan(&parcels)
	b.Logf("scale %d: %d parcels loaded in %v", scale, parcels, time.Since(start).Round(time.Second))
	_, _ = db.Pool.Exec(context.Background(), `ANALYZE`)
	svc := reports.New(db, nil)
	streets, err := svc.Streets(context.Background(), "boundaries")
	if err != nil || len(streets) == 0 {
		b.Fatalf("sub-districts %v: %v", streets, err)
	}
	for _, r := range svc.Reports() {
		// The default grouping, grouped by street, and the default grouping
		// filtered to one sub-district, which should cost little more than
		// the whole.
		var opts []reports.Options
		if r.Name == reports.LayerSummary {
			// The parcels summed up: by a canonical field in a year, by
			// street and by two fields, filtered to one sub-district.
			sum := reports.SummaryOptions{Of: "parcels", Sum: "price_wan", Date: "supply_date"}
			opts = []reports.Options{{Group: []string{"supply_method"}, Year: 2023, Summary: sum},
				{Group: []string{"street"}, Summary: sum}, {Group: []string{"supply_method", "landuse_code"}, Street: streets[:1], Summary: sum}}
		} else {
			opts = []reports.Options{{Group: r.Group}}
			if r.Group[0] != "street" {
				opts = append(opts, reports.Options{Group: []string{"street"}})
			}
			opts = append(opts, reports.Options{Group: r.Group, Street: streets[:1]})
		}
		for _, opt := range opts {
			name := fmt.Sprintf("%s/group=%v", r.Name, opt.Group)
			if opt.Street != nil {
				name += fmt.Sprintf("/street=%v", opt.Street)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := svc.Run(context.Background(), r.Name, opt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkExpropriationSample runs the three reports over the sample
// district at TUDI_BENCH_SCALE (default 1; 400 has 120 acquisition
// projects, about 54 000 households and 480 三改 projects), importing only
// the layers they read (and farmland, the overlay, and the renewal units
// of the yardstick: renewal-progress by street, in the same run).
func BenchmarkExpropriationSample(b *testing.B) {
	scale := sampletest.BenchScale(b, 1)
	ctx := context.Background()
	start := time.Now()
	db := sampletest.Load(b, scale, "bench", "boundaries", "farmland", "renewal_units", "acquisition", "households", "renovation")
	b.Logf("scale %d loaded in %v", scale, time.Since(start).Round(time.Second))
	if _, err := db.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	svc := reports.New(db, nil)
	for _, tc := range []struct {
		report string
		opt    reports.Options
	}{
		// The yardstick, in the same run: an existing report by street.
		{"renewal-progress", reports.Options{Group: []string{"street"}}},
		{"expropriation", reports.Options{}},
		{"expropriation", reports.Options{Group: []string{"street"}, Year: 2024}},
		{"expropriation", reports.Options{Group: []string{"project"}, Params: map[string]string{"overlay": "farmland"}}},
		{"resettlement", reports.Options{}},
		{"resettlement", reports.Options{Group: []string{"street"}, Year: 2024}},
		{"renovation-progress", reports.Options{}},
		{"renovation-progress", reports.Options{Group: []string{"street"}, Year: 2024}},
	} {
		name := fmt.Sprintf("%s/group=%v/year=%d/params=%v", tc.report, tc.opt.Group, tc.opt.Year, tc.opt.Params)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Run(ctx, tc.report, tc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
