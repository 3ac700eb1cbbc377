package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"tudi/sampledata/sampletest"
	"tudi/server"
)

// BenchmarkSample loads the sample district at TUDI_BENCH_SCALE (default
// 1: 2 500 parcels; 400 is about a million, and loading it takes minutes
// before the timing starts) through the importer, then times identify at
// random points across every layer and items?limit=1000 at bboxes sized to
// hold about 1 000 parcels, through the whole HTTP stack.
func BenchmarkSample(b *testing.B) {
	scale := sampletest.BenchScale(b, 1)
	ctx := context.Background()
	start := time.Now()
	db := sampletest.Load(b, scale, "bench")
	if _, err := db.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	parcels, err := db.FindLayer(ctx, "parcels")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("scale %d: %d parcels loaded in %s", scale, parcels.FeatureCount, time.Since(start).Round(time.Second))
	srv, err := server.New(server.Config{}, db, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e := *parcels.Extent
	w, h := e.Max[0]-e.Min[0], e.Max[1]-e.Min[1]
	// A square holding about 1000 parcels at the layer's mean density.
	side := math.Sqrt(1000 * w * h / float64(parcels.FeatureCount))
	cases := []struct {
		name string
		url  func(*rand.Rand) string
	}{
		{"identify", func(r *rand.Rand) string {
			return fmt.Sprintf("%s/api/identify?lon=%.7f&lat=%.7f", ts.URL, e.Min[0]+r.Float64()*w, e.Min[1]+r.Float64()*h)
		}},
		{"items-limit-1000-bbox", func(r *rand.Rand) string {
			x := e.Min[0] + r.Float64()*math.Max(0, w-side)
			y := e.Min[1] + r.Float64()*math.Max(0, h-side)
			return fmt.Sprintf("%s/ogc/collections/parcels/items?limit=1000&bbox=%.6f,%.6f,%.6f,%.6f", ts.URL, x, y, x+side, y+side)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			var durs []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				u := c.url(rng)
				t0 := time.Now()
				resp, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", u, resp.StatusCode)
				}
				durs = append(durs, time.Since(t0))
			}
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
