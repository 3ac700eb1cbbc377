package reports_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tudi/importers"
	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/sampledata"
)

// loadSample writes the sample district at the given scale and imports
// every layer of it as a user would (the importer is only a test
// dependency of this package: reports itself never imports importers).
func loadSample(tb testing.TB, scale int) *postgis.DB {
	tb.Helper()
	ctx := context.Background()
	db := postgis.New(pgtest.NewDB(tb).Pool, nil)
	dir := tb.TempDir()
	m, err := sampledata.Write(ctx, dir, sampledata.Options{Scale: scale}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	im := importers.New(db, nil)
	for _, l := range m.Layers {
		if _, err := im.Import(ctx, importers.Request{Layer: l.Name, Kind: l.Kind, Encoding: l.Encoding, SRID: l.SRID,
			Files: []string{filepath.Join(dir, l.Files[0])}, User: "test"}); err != nil {
			tb.Fatalf("import %s: %v", l.Name, err)
		}
	}
	return db
}

// On the sample district every report has rows in every grouping, no group
// is empty, and the groups add up to the totals.
func TestSampleDistrict(t *testing.T) {
	db := loadSample(t, 1)
	svc := reports.New(db, nil)
	ctx := context.Background()
	var layerArea float64
	if err := db.Pool.QueryRow(ctx, `SELECT sum(area_m2) FROM layers.parcels`).Scan(&layerArea); err != nil {
		t.Fatal(err)
	}
	for _, r := range svc.Reports() {
		for _, g := range r.Groups {
			t.Run(r.Name+" grouped by "+g.Key+" is non-trivial and adds up", func(t *testing.T) {
				res := mustRun(t, svc, r.Name, reports.Options{Group: []string{g.Key}})
				if len(res.Rows) < 2 {
					t.Fatalf("%d rows: %v", len(res.Rows), res.Rows)
				}
				for _, c := range res.Columns {
					if c.Type == land.ColumnText || c.Key == "year" {
						continue
					}
					var sum float64
					for _, row := range res.Rows {
						v, _ := num(row[c.Key])
						sum += v
					}
					total, ok := num(res.Totals[c.Key])
					switch {
					case c.Key == "patches":
						// A patch touched by parcels of two groups counts in
						// each, and once in the total.
						if total > sum || total == 0 {
							t.Errorf("patches: total %v, groups %v", total, sum)
						}
					case c.Key == "coordinated_streets":
						// A sub-district with coordinated units of two
						// groups counts in each, and once in the total.
						if total > sum {
							t.Errorf("coordinated_streets: total %v, groups %v", total, sum)
						}
					case c.Type == land.ColumnPercent || c.Key == "at_or_past_units" || c.Key == "at_or_past_ha":
						// Rates and running sums do not add up.
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
					if c.Type == land.ColumnInteger && c.Key != "year" {
						first = c.Key
						break
					}
				}
				for _, row := range res.Rows {
					if n, _ := num(row[first]); n < 1 {
						t.Errorf("empty group %v", row)
					}
				}
				if r.Name == "land-use-summary" {
					if got, _ := num(res.Totals["area_m2"]); math.Abs(got-layerArea) > 0.01 {
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
			byStreet := mustRun(t, svc, r.Name, reports.Options{Group: []string{"street"}})
			for _, row := range byStreet.Rows {
				res := mustRun(t, svc, r.Name, reports.Options{Street: []string{row["street"].(string)}})
				sameFigures(t, res, fmt.Sprint(row["street"]), res.Totals, row, "share")
			}
		})
	}
	t.Run("the figures a work report quotes are there", func(t *testing.T) {
		idle := mustRun(t, svc, "idle-land", reports.Options{})
		occ := mustRun(t, svc, "farmland-occupation", reports.Options{})
		ren := mustRun(t, svc, "renewal-progress", reports.Options{})
		pipe := mustRun(t, svc, "renewal-pipeline", reports.Options{})
		pipe19 := mustRun(t, svc, "renewal-pipeline", reports.Options{Year: 2019})
		plan := mustRun(t, svc, "supply-plan", reports.Options{Year: 2024})
		appr := mustRun(t, svc, "approvals", reports.Options{})
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
			if n, ok := num(v); !ok || n <= 0 {
				t.Errorf("%s = %v", what, v)
			}
		}
	})
}

// BenchmarkReports runs every report over the sample district at the scale
// in TUDI_BENCH_SCALE (default 1; 400 is about a million parcels, and its
// loading takes minutes before the timing starts).
func BenchmarkReports(b *testing.B) {
	scale := 1
	if s := os.Getenv("TUDI_BENCH_SCALE"); s != "" {
		var err error
		if scale, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	db := loadSample(b, scale)
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
		opts := []reports.Options{{Group: r.Group}}
		if r.Group[0] != "street" {
			opts = append(opts, reports.Options{Group: []string{"street"}})
		}
		opts = append(opts, reports.Options{Group: r.Group, Street: streets[:1]})
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
