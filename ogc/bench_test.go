package ogc_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// benchParcels is the size of the benchmark layer: TUDI_BENCH_PARCELS, or
// 100 000 (1 000 000 is the target size of a district; it takes about a
// minute to build on 2 cores).
func benchParcels(b *testing.B) int {
	if v := os.Getenv("TUDI_BENCH_PARCELS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("TUDI_BENCH_PARCELS=%q: %v", v, err)
		}
		return n
	}
	return 100000
}

// mustBenchLayer builds a parcels layer of n squares of 0.0005° (≈ 50 m) on
// a 1000-wide grid from 113.0°E 23.0°N, in id order row by row.
func mustBenchLayer(b *testing.B, db *postgis.DB, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "parcels", Kind: land.Parcels}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.parcels (code, street, supply_date, price_wan, props, geom)
			SELECT 'DK' || i, CASE i % 3 WHEN 0 THEN '横店街' WHEN 1 THEN '石楼镇' END,
			       date '2015-01-01' + (i % 3000), (i % 997) * 3.5, jsonb_build_object('DKBH', 'DK' || i),
			       ST_MakeEnvelope(113 + (i % 1000) * 0.0005, 23 + (i / 1000) * 0.0005,
			                       113 + (i % 1000) * 0.0005 + 0.0005, 23 + (i / 1000) * 0.0005 + 0.0005, 4490)
			FROM generate_series(0, $1 - 1) i`, n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ANALYZE layers.parcels`); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "parcels")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d parcels in %s", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkItemsBBox pages 1000 features at a bbox of about 1000 squares
// somewhere in the layer, and reports the median latitude.
func BenchmarkItemsBBox(b *testing.B) {
	n := benchParcels(b)
	tdb := pgtest.NewDB(b)
	db := postgis.New(tdb.Pool, nil)
	mustBenchLayer(b, db, n)
	ts := serve(b, db)
	rows := n / 1000
	rng := rand.New(rand.NewPCG(1, 2))
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// 32 × 32 squares: 1024 features, of which limit=1000 are returned.
		x := 113 + float64(rng.IntN(1000-32))*0.0005 + 0.0001
		y := 23 + float64(rng.IntN(max(1, rows-32)))*0.0005 + 0.0001
		u := fmt.Sprintf("%s/ogc/collections/parcels/items?limit=1000&bbox=%.4f,%.4f,%.4f,%.4f", ts.URL, x, y, x+31*0.0005, y+31*0.0005)
		t0 := time.Now()
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		nb, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || nb < 100000 {
			b.Fatalf("%s: %d, %d bytes", u, resp.StatusCode, nb)
		}
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, durs)
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
}
