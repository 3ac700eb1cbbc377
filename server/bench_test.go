package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// BenchmarkIdentify clicks random points of a parcels layer of
// TUDI_BENCH_PARCELS squares (default 100 000; 1 000 000 takes about a
// minute to build) plus a farmland layer over the same area, across all
// layers, through the HTTP handler, and reports the median latency.
func BenchmarkIdentify(b *testing.B) {
	n := 100000
	if v := os.Getenv("TUDI_BENCH_PARCELS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	tdb := pgtest.NewDB(b)
	db := postgis.New(tdb.Pool, nil)
	start := time.Now()
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		for _, l := range []*land.Layer{{Name: "parcels", Kind: land.Parcels}, {Name: "farmland", Kind: land.Farmland}} {
			if err := postgis.CreateLayer(ctx, tx, l); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		// Squares of 0.0005° on a 1000-wide grid; farmland: one square of
		// 0.005° per 100 parcels.
		if _, err := tx.Exec(ctx, `INSERT INTO layers.parcels (code, street, props, geom)
			SELECT 'DK' || i, '横店街', jsonb_build_object('DKBH', 'DK' || i),
			       ST_MakeEnvelope(113 + (i % 1000) * 0.0005, 23 + (i / 1000) * 0.0005,
			                       113 + (i % 1000) * 0.0005 + 0.0005, 23 + (i / 1000) * 0.0005 + 0.0005, 4490)
			FROM generate_series(0, $1 - 1) i`, n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.farmland (code, grade, geom)
			SELECT 'TB' || i, i % 10, ST_MakeEnvelope(113 + (i % 100) * 0.005, 23 + (i / 100) * 0.005,
			                       113 + (i % 100) * 0.005 + 0.005, 23 + (i / 100) * 0.005 + 0.005, 4490)
			FROM generate_series(0, $1 / 100 - 1) i`, n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ANALYZE layers.parcels; ANALYZE layers.farmland`); err != nil {
			return err
		}
		for _, l := range []string{"parcels", "farmland"} {
			if _, err := postgis.RefreshLayer(ctx, tx, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d parcels in %s", n, time.Since(start).Round(time.Millisecond))
	srv, err := server.New(server.Config{}, db, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	rows := n / 1000
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		lon := 113 + rng.Float64()*0.5
		lat := 23 + rng.Float64()*float64(rows)*0.0005
		t0 := time.Now()
		resp, err := http.Get(fmt.Sprintf("%s/api/identify?lon=%.7f&lat=%.7f", ts.URL, lon, lat))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) < 200 {
			b.Fatalf("%d: %s", resp.StatusCode, body)
		}
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
}
