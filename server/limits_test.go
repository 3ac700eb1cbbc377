package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// newGridServer serves a layer "grid" of n×n adjacent squares of 0.001°
// side from 113°E 23°N: with n = 200, 40 000 features over about 450 km²,
// a district's worth of parcels whose union merges them all.
func newGridServer(t *testing.T, n int, cfg server.Config) (*httptest.Server, *pgtest.DB) {
	t.Helper()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "grid", Kind: land.Parcels}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.grid (props, geom)
			SELECT '{}', ST_MakeEnvelope(113 + i * 0.001, 23 + j * 0.001, 113 + i * 0.001 + 0.001, 23 + j * 0.001 + 0.001, 4490)
			FROM generate_series(0, $1::integer - 1) i, generate_series(0, $1::integer - 1) j`, n); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "grid")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tdb.Pool.Exec(ctx, `ANALYZE layers.grid`); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, tdb
}

func wholeGrid(n int) map[string]any {
	e := 113 + float64(n)*0.001
	f := 23 + float64(n)*0.001
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{112.9995, 22.9995}, {e, 22.9995}, {e, f}, {112.9995, f}, {112.9995, 22.9995}}}}
}

// watchDB opens the connection that activeQueries asks on, one of its
// own: the server under test shares tdb.Pool, and a check queued behind
// the very queries it waits for would only see them once they had ended.
func watchDB(t *testing.T, tdb *pgtest.DB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), tdb.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// activeQueries counts the other sessions of the watched database that are
// running a statement.
func activeQueries(t *testing.T, watch *pgx.Conn) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitIdle fails unless the database has no running statement within d.
func waitIdle(t *testing.T, watch *pgx.Conn, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		n := activeQueries(t, watch)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements still running %s after the request ended", n, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postCtx(ctx context.Context, u string, body any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// A query over the whole district that outlives its deadline, or whose
// client goes away, leaves nothing running in PostgreSQL: the statement
// timeout is set in the query's transaction, the request's context sends a
// cancel request, and the work is split into small GEOS calls that let the
// cancel through.
func TestHeavyQueryCancelled(t *testing.T) {
	const n = 200
	ts, tdb := newGridServer(t, n, server.Config{RequestTimeout: 400 * time.Millisecond})
	watch := watchDB(t, tdb)
	body := map[string]any{"geometry": wholeGrid(n), "layers": []string{"grid"}}
	t.Run("the request's deadline stops the query in the database", func(t *testing.T) {
		t0 := time.Now()
		code, err := postCtx(context.Background(), ts.URL+"/api/query", body)
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusGatewayTimeout {
			t.Fatalf("status %d after %s, want 504", code, time.Since(t0))
		}
		waitIdle(t, watch, 10*time.Second)
	})
	ts2, tdb2 := newGridServer(t, n, server.Config{RequestTimeout: time.Minute})
	watch2 := watchDB(t, tdb2)
	var full time.Duration
	t.Run("the whole district answers within the statement timeout", func(t *testing.T) {
		t0 := time.Now()
		var a queryAnswer
		post(t, ts2.URL+"/api/query", body, 200, &a)
		full = time.Since(t0)
		t.Logf("query over %d features: %s", a.Layers[0].Count, full)
		if a.Layers[0].Count != n*n {
			t.Fatalf("count %d, want %d", a.Layers[0].Count, n*n)
		}
		// 40 000 squares of 0.001° × 0.001°, about 102 m × 111 m each.
		if !near(a.Layers[0].Total.M2, a.Layers[0].Union.M2, 1e-6) || a.Layers[0].Union.M2 < 4.4e8 || a.Layers[0].Union.M2 > 4.7e8 {
			t.Fatalf("total %v, union %v", a.Layers[0].Total.M2, a.Layers[0].Union.M2)
		}
	})
	waitIdle(t, watch2, 10*time.Second)
	// Before the fix, the intersections were interruptible row by row, but
	// the union of all of them was one GEOS call that no cancel reached:
	// a client leaving during it left the backend running to the end. The
	// client leaves at fractions of the time the whole query took on this
	// machine, so that every phase is hit however fast the machine is.
	for _, f := range []float64{0.1, 0.4, 0.7, 0.95} {
		d := time.Duration(f * float64(full))
		t.Run(fmt.Sprintf("a client that goes away after %.0f%% of the query stops it in the database", 100*f), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			if code, err := postCtx(ctx, ts2.URL+"/api/query", body); err == nil {
				t.Logf("the query answered %d within %s", code, d)
			}
			waitIdle(t, watch2, 10*time.Second)
		})
	}
}

// Expensive requests over the per-client limit get 429 with Retry-After,
// and /healthz answers while the running ones hold every pool connection.
func TestConcurrencyLimitAndHealth(t *testing.T) {
	const n = 200
	conns := max(4, runtime.NumCPU()) // pgxpool's default pool size
	ts, tdb := newGridServer(t, n, server.Config{RequestTimeout: time.Minute,
		Limits: server.Limits{MaxConcurrentPerClient: conns, MaxConcurrent: conns + 10}})
	watch := watchDB(t, tdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body, _ := json.Marshal(map[string]any{"geometry": wholeGrid(n), "layers": []string{"grid"}})
	type result struct {
		code       int
		retryAfter string
	}
	results := make(chan result, conns+2)
	for range conns + 2 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/api/query", bytes.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- result{}
				return
			}
			resp.Body.Close()
			results <- result{resp.StatusCode, resp.Header.Get("Retry-After")}
		}()
	}
	for range 2 {
		select {
		case r := <-results:
			if r.code != http.StatusTooManyRequests || r.retryAfter == "" {
				t.Fatalf("over the limit: %d, Retry-After %q; want 429 with Retry-After", r.code, r.retryAfter)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no request was refused")
		}
	}
	// Wait until the admitted requests run their queries (at least all but
	// one: the server's pool may lend a connection to something else).
	for deadline := time.Now().Add(30 * time.Second); activeQueries(t, watch) < conns-1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d connections running queries", activeQueries(t, watch), conns)
		}
	}
	// Take whatever connection is still free, so none is left for /healthz.
	// They are given back before the end, whose check needs one.
	var held []*pgxpool.Conn
	release := func() {
		for _, c := range held {
			c.Release()
		}
		held = nil
	}
	defer release()
	for {
		actx, acancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		c, err := tdb.Pool.Acquire(actx)
		acancel()
		if err != nil {
			break
		}
		held = append(held, c)
	}
	t0 := time.Now()
	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	req, _ := http.NewRequestWithContext(hctx, http.MethodGet, ts.URL+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("/healthz while queries run: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(t0) > 5*time.Second {
		t.Fatalf("/healthz while queries run: %d in %s", resp.StatusCode, time.Since(t0))
	}
	t.Logf("/healthz answered in %s with %d queries running", time.Since(t0).Round(time.Millisecond), conns)
	release()
	cancel()
	for range conns {
		<-results
	}
	waitIdle(t, watch, 10*time.Second)
}

// ringArea is the shoelace area of a ring: positive when counter-clockwise.
func ringArea(r [][]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

// A polygon of 1.2 million vertices does not make identify return its full
// geometry (about 50 MB of GeoJSON): it is simplified and the answer says
// so, or omitted under a smaller cap; exterior rings come counter-clockwise
// (RFC 7946) although the source ring is clockwise.
func TestIdentifyHugePolygon(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	const nv = 1200000
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "big", Kind: land.Generic}); err != nil {
			return err
		}
		// A clockwise circle of radius 0.01° around 113.5°E 23.5°N.
		if _, err := tx.Exec(ctx, `INSERT INTO layers.big (props, geom)
			SELECT '{}', ST_SetSRID(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l))), 4490) FROM (
				SELECT ST_MakeLine(ST_MakePoint(113.5 + 0.01 * cos(2 * pi() * i / $1), 23.5 - 0.01 * sin(2 * pi() * i / $1)) ORDER BY i) AS l
				FROM generate_series(0, $1::integer - 1) i) x`, nv); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "big")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(l server.Limits) string {
		srv, err := server.New(server.Config{Limits: l}, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts.URL + "/api/identify?lon=113.5&lat=23.5&layers=big"
	}
	type answer struct {
		Notes  []string `json:"notes"`
		Layers []struct {
			Features []struct {
				Geometry *struct {
					Type        string        `json:"type"`
					Coordinates [][][]float64 `json:"coordinates"`
				} `json:"geometry"`
				Simplified bool `json:"geometry_simplified"`
				Omitted    bool `json:"geometry_omitted"`
			} `json:"features"`
		} `json:"layers"`
	}
	t.Run("with the default limits the geometry is simplified, counter-clockwise, and the answer says so", func(t *testing.T) {
		t0 := time.Now()
		var a answer
		body := getJSON(t, serve(server.Limits{}), 200, &a)
		t.Logf("%d bytes in %s", len(body), time.Since(t0).Round(time.Millisecond))
		if len(body) > 1<<20 {
			t.Fatalf("identify returned %d bytes", len(body))
		}
		f := a.Layers[0].Features[0]
		if !f.Simplified || f.Omitted || f.Geometry == nil || len(a.Notes) == 0 {
			t.Fatalf("simplified %v omitted %v notes %q", f.Simplified, f.Omitted, a.Notes)
		}
		r := f.Geometry.Coordinates[0]
		if len(r) < 8 || len(r) > server.DefaultLimits().MaxFeatureVertices || ringArea(r) <= 0 {
			t.Fatalf("exterior ring of %d vertices, signed area %g", len(r), ringArea(r))
		}
	})
	t.Run("under a cap smaller than the simplified ring the geometry is omitted", func(t *testing.T) {
		var a answer
		getJSON(t, serve(server.Limits{MaxFeatureVertices: 3}), 200, &a)
		f := a.Layers[0].Features[0]
		if !f.Omitted || f.Geometry != nil || len(a.Notes) == 0 {
			t.Fatalf("omitted %v geometry %v notes %q", f.Omitted, f.Geometry, a.Notes)
		}
	})
	t.Run("past the answer's vertex budget the geometry is omitted", func(t *testing.T) {
		var a answer
		getJSON(t, serve(server.Limits{MaxResponseVertices: 3}), 200, &a)
		if f := a.Layers[0].Features[0]; !f.Omitted || f.Geometry != nil {
			t.Fatalf("omitted %v", f.Omitted)
		}
	})
}

// Bad input gives 400 naming what is wrong, never 500.
func TestBadInputIs400(t *testing.T) {
	ts := newSpatialServer(t)
	for _, q := range []string{
		"lon=113%00&lat=23", "lon=113&lat=23&layers=fl%00", "lon=113&lat=23&layers=%ff%fe", "lon=113&lat=23&crs=EPSG:4490%00",
		"lon=1e30&lat=23", "lon=NaN&lat=23", "lon=113&lat=-Inf", "lon=1e30&lat=1e30&crs=EPSG:4547", "lon=NaN&lat=0&crs=EPSG:3857",
		"lon=500000&lat=1e300&crs=EPSG:4547", "lon=113&lat=23&tolerance=NaN", "lon=113&lat=23&zoom=1e400",
		"lon=113&lat=23&geometry=%ff",
	} {
		t.Run("identify?"+q, func(t *testing.T) {
			resp, err := http.Get(ts.URL + "/api/identify?" + q)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Fatalf("%d, want 400", resp.StatusCode)
			}
		})
	}
	nested := `{"type":"Point","coordinates":[113,23]}`
	for range 500 {
		nested = `{"type":"GeometryCollection","geometries":[` + nested + `]}`
	}
	deep := strings.Repeat("[", 500) + "113,23" + strings.Repeat("]", 500)
	for _, c := range []struct{ name, body string }{
		{"a 2-point ring", `{"geometry":{"type":"Polygon","coordinates":[[[113,23],[113.01,23]]]}}`},
		{"a 3-point ring", `{"geometry":{"type":"Polygon","coordinates":[[[113,23],[113.01,23],[113,23]]]}}`},
		{"an antipodal polygon", `{"geometry":{"type":"Polygon","coordinates":[[[-180,0],[0,0],[180,0],[0,10],[-180,0]]]}}`},
		{"an antipodal line", `{"geometry":{"type":"LineString","coordinates":[[0,0],[180,0]]}}`},
		{"a pole-to-pole polygon", `{"geometry":{"type":"Polygon","coordinates":[[[0,-90],[10,-90],[10,90],[0,90],[0,-90]]]}}`},
		{"500-deep collections", `{"geometry":` + nested + `}`},
		{"500-deep arrays", `{"geometry":{"type":"Point","coordinates":` + deep + `}}`},
		{"trailing garbage", `{"geometry":{"type":"Point","coordinates":[113,23]},"layers":["fl"]} xyz`},
		{"two bodies", `{"geometry":{"type":"Point","coordinates":[113,23]}}{"geometry":{"type":"Point","coordinates":[113,23]}}`},
		{"a NUL in a layer name", `{"geometry":{"type":"Point","coordinates":[113,23]},"layers":["fl\u0000"]}`},
		{"invalid UTF-8", "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[113,23]},\"layers\":[\"\xff\xfe\"]}"},
		{"lon 1e30", `{"geometry":{"type":"Point","coordinates":[1e30,23]}}`},
		{"lon 1e30 in a projected crs", `{"geometry":{"type":"Point","coordinates":[1e30,1e30]},"crs":"EPSG:4547"}`},
		{"a NUL in the crs", `{"geometry":{"type":"Point","coordinates":[113,23]},"crs":"EPSG:4490\u0000"}`},
	} {
		t.Run("query: "+c.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/api/query", "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 && resp.StatusCode != 413 {
				t.Fatalf("%d, want 400: %s", resp.StatusCode, b.String())
			}
		})
	}
}

// Query shapes over the area or vertex limit are refused with 413 naming
// the limit; a feature used as the shape counts too.
func TestQueryShapeLimits(t *testing.T) {
	ts, _ := newGridServer(t, 3, server.Config{Limits: server.Limits{MaxQueryAreaKm2: 0.05, MaxQueryVertices: 5}})
	u := ts.URL + "/api/query"
	body := post(t, u, map[string]any{"geometry": wholeGrid(3), "layers": []string{"grid"}}, 413, nil)
	if !strings.Contains(body, "km²") || !strings.Contains(body, "0.05") {
		t.Fatalf("area: %s", body)
	}
	small := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{113, 23}, {113.001, 23}, {113.001, 23.001}, {113, 23}}}}
	var a queryAnswer
	post(t, u, map[string]any{"geometry": small, "layers": []string{"grid"}}, 200, &a)
	six := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{113, 23}, {113.001, 23}, {113.001, 23.0005}, {113.001, 23.001}, {113, 23.001}, {113, 23}}}}
	if body := post(t, u, map[string]any{"geometry": six, "layers": []string{"grid"}}, 413, nil); !strings.Contains(body, "vertices") {
		t.Fatalf("vertices: %s", body)
	}
	// A grid square is 5 positions: within the limit; 2 km around it is not.
	post(t, u, map[string]any{"feature": map[string]any{"layer": "grid", "id": 1}, "layers": []string{"grid"}}, 200, &a)
	if body := post(t, u, map[string]any{"feature": map[string]any{"layer": "grid", "id": 1}, "distance": 2000, "layers": []string{"grid"}}, 413, nil); !strings.Contains(body, "vertices") && !strings.Contains(body, "km²") {
		t.Fatalf("buffered feature: %s", body)
	}
}

// Past the answer's byte budget geometries are omitted, then features are
// left out, and the answer says so.
func TestResponseBytesLimit(t *testing.T) {
	lon, lat := lonLat(500075, 2550050) // in A and B
	u := fmt.Sprintf("/api/identify?lon=%.10f&lat=%.10f&layers=fl", lon, lat)
	type answer struct {
		Truncated bool     `json:"truncated"`
		Notes     []string `json:"notes"`
		Layers    []struct {
			Features []struct {
				Geometry json.RawMessage `json:"geometry"`
				Omitted  bool            `json:"geometry_omitted"`
			} `json:"features"`
		} `json:"layers"`
	}
	var full answer
	getJSON(t, newSpatialServer(t).URL+u, 200, &full)
	if len(full.Layers) != 1 || len(full.Layers[0].Features) != 2 || full.Truncated || len(full.Notes) != 0 {
		t.Fatalf("without limits: %+v", full)
	}
	var a answer
	getJSON(t, newSpatialServer(t, server.Config{Limits: server.Limits{MaxResponseBytes: 400}}).URL+u, 200, &a)
	if !a.Truncated || len(a.Notes) == 0 || len(a.Layers) != 1 || len(a.Layers[0].Features) != 1 || !a.Layers[0].Features[0].Omitted {
		t.Fatalf("with 400 bytes: %+v", a)
	}
}

// A query's listed intersections stop carrying geometry once the answer's
// vertex budget is spent; their areas stay.
func TestQueryVertexBudget(t *testing.T) {
	ts, _ := newGridServer(t, 10, server.Config{Limits: server.Limits{MaxResponseVertices: 50}})
	var a struct {
		Notes  []string `json:"notes"`
		Layers []struct {
			Features []struct {
				Intersection struct{ M2 float64 } `json:"intersection"`
				Geometry     json.RawMessage      `json:"intersection_geometry"`
				Omitted      bool                 `json:"geometry_omitted"`
			} `json:"features"`
		} `json:"layers"`
	}
	post(t, ts.URL+"/api/query", map[string]any{"geometry": wholeGrid(10), "layers": []string{"grid"}}, 200, &a)
	with, without := 0, 0
	for _, f := range a.Layers[0].Features {
		if f.Intersection.M2 < 10000 {
			t.Fatalf("intersection %v m²", f.Intersection.M2)
		}
		if f.Omitted && len(f.Geometry) == 0 {
			without++
		} else if !f.Omitted && len(f.Geometry) > 0 {
			with++
		}
	}
	// Squares of 5 positions: 10 fit in 50 vertices.
	if with != 10 || without != 90 || len(a.Notes) == 0 {
		t.Fatalf("%d with geometry, %d without, notes %q", with, without, a.Notes)
	}
}
