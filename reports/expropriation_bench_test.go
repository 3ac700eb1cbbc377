package reports_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
)

// BenchmarkExpropriationReports runs the three expropriation reports over
// TUDI_BENCH_HOUSEHOLDS households (default 100 000) of 200 projects, with
// 600 acquisition plots and 5 000 renovation projects over the fixture's
// two sub-districts: 60 % of the households have a point, the rest are
// ledger rows placed by their street field. (Over the sample district at
// scale 400: BenchmarkReports with TUDI_BENCH_SCALE=400.)
func BenchmarkExpropriationReports(b *testing.B) {
	n := 100000
	if s := os.Getenv("TUDI_BENCH_HOUSEHOLDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	db := postgis.New(pgtest.NewDB(b).Pool, nil)
	boundariesLayer(b, db)
	for _, l := range []struct {
		name string
		kind land.Kind
	}{{"acquisition", land.Acquisition}, {"households", land.Households}, {"renovation", land.Renovation}, {"sugar", land.Generic}} {
		mustLayer(b, db, l.name, l.kind, nil)
	}
	// Points and plots within x −1000…1000, y 0…1000 metres of the
	// fixture's origin (both sub-districts); dates over 2019–2025.
	for _, q := range []string{
		`INSERT INTO layers.acquisition (code, project, source, task_year, handed_date, obstacle, retained_mu, geom)
		 SELECT 'A' || i, 'P' || (i % 200), (ARRAY['市下达', '区统筹', '重点项目'])[1 + i % 3], 2019 + i % 7,
		        CASE WHEN i % 3 > 0 THEN DATE '2019-03-01' + (i * 37) % 2400 END,
		        CASE WHEN i % 3 = 0 THEN (ARRAY['坟墓迁移', '权属争议'])[1 + i % 2] END, 1.5,
		        ST_Transform(ST_MakeEnvelope(x, y, x + 40, y + 40, 4547), 4490)
		 FROM generate_series(1, 600) i, LATERAL (SELECT 500000 - 1000 + (i * 53) % 1950 AS x, 2500000 + (i * 97) % 950 AS y) c`,
		`INSERT INTO layers.households (code, project, street, sign_mode, house_area_m2, buildings, signed_date, demolished_date,
		        compensation_wan, paid_wan, resettle_mode, resettle_site, investor, delivered_date, transition_start,
		        transition_months, transition_fee, geom)
		 SELECT 'H' || i, 'P' || (i % 200), CASE WHEN i % 2 = 0 THEN '东街道' ELSE '西街道' END,
		        CASE WHEN i % 25 = 0 THEN '司法征收' ELSE '协议征收' END, 60 + i % 240, 1 + i % 3,
		        s, s + 90, 50 + i % 100, i % 120, (ARRAY['货币补偿', '产权调换', '购房凭证改选', '调安'])[1 + i % 4],
		        'S' || (i % 5), CASE WHEN i % 5 = 0 THEN '企业' ELSE '政府投资' END,
		        CASE WHEN i % 2 = 0 THEN s + 900 END, s + 90, 24, 1500,
		        CASE WHEN i % 10 < 6 THEN ST_Transform(ST_SetSRID(ST_MakePoint(500000 - 999 + (i * 7) % 1998, 2500000 + 1 + (i * 13) % 998), 4547), 4490) END
		 FROM generate_series(1, $1::integer) i,
		      LATERAL (SELECT CASE WHEN i % 8 > 0 THEN DATE '2019-01-01' + (i * 31) % 2500 END AS s) d`,
		`INSERT INTO layers.renovation (code, type, plan_year, households, dwellings, floor_area_m2, invest_wan, start_date, completion_date, delivered_date, geom)
		 SELECT 'R' || i, (ARRAY['棚户区改造', '老旧小区改造', '城中村改造', '配套基础设施', '安置房'])[1 + i % 5], 2019 + i % 7,
		        100 + i % 300, 120 + i % 300, 10000 + i, 1000 + i, DATE '2019-06-01' + (i * 11) % 2300,
		        CASE WHEN i % 3 = 0 THEN DATE '2021-06-01' + (i * 7) % 1500 END, NULL,
		        ST_Transform(ST_MakeEnvelope(x, y, x + 20, y + 20, 4547), 4490)
		 FROM generate_series(1, 5000) i, LATERAL (SELECT 500000 - 1000 + (i * 37) % 1970 AS x, 2500000 + (i * 71) % 970 AS y) c`,
		`INSERT INTO layers.sugar (geom)
		 SELECT ST_Transform(ST_MakeEnvelope(x, y, x + 300, y + 300, 4547), 4490)
		 FROM generate_series(1, 20) i, LATERAL (SELECT 500000 - 1000 + (i * 97) % 1700 AS x, 2500000 + (i * 41) % 700 AS y) c`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if _, err := db.Pool.Exec(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	// The yardstick, in the same run: one plain scan and aggregation of the
	// households (a report costs a multiple of it, whatever the load).
	b.Run("baseline: SELECT project, count(*), sum(house_area_m2) GROUP BY project", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Pool.Exec(ctx, `SELECT project, count(*), sum(house_area_m2) FROM layers.households GROUP BY project`); err != nil {
				b.Fatal(err)
			}
		}
	})
	svc := reports.New(db, nil)
	for _, tc := range []struct {
		report string
		opt    reports.Options
	}{
		{"expropriation", reports.Options{}},
		{"expropriation", reports.Options{Group: []string{"street"}, Year: 2024}},
		{"expropriation", reports.Options{Group: []string{"project"}, Params: map[string]string{"overlay": "sugar"}}},
		{"resettlement", reports.Options{}},
		{"resettlement", reports.Options{Group: []string{"street"}, Year: 2024}},
		{"renovation-progress", reports.Options{}},
		{"renovation-progress", reports.Options{Group: []string{"street"}, Year: 2024}},
	} {
		name := fmt.Sprintf("%s/group=%v/year=%d/params=%v", tc.report, tc.opt.Group, tc.opt.Year, tc.opt.Params)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				res, err := svc.Run(ctx, tc.report, tc.opt)
				if err != nil {
					b.Fatal(err)
				}
				if tc.report != "renovation-progress" {
					if h, _ := reports.Figure(res.Totals["households"]); int(h) != n {
						b.Fatalf("%v households, want %d", h, n)
					}
				}
			}
		})
	}
}
