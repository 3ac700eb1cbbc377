package importers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tudi/land"
)

// writeFeatures writes a FeatureCollection in EPSG:4490 of the given
// geometries (GeoJSON geometry objects).
func writeFeatures(t *testing.T, dir, name string, geoms ...string) string {
	t.Helper()
	var fs []string
	for i, g := range geoms {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{"n":%d},"geometry":%s}`, i+1, g))
	}
	path := filepath.Join(dir, name)
	doc := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"features":[` + strings.Join(fs, ",\n") + "]}"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// bigInvalidRing is a polygon of n vertices on a circle around (114, 22.5)
// with two neighbouring vertices swapped: one small self-intersection in
// a ring large enough that no repair finishes within a millisecond.
func bigInvalidRing(n int) string {
	pts := make([]string, 0, n+1)
	for i := range n {
		j := i
		switch i {
		case n / 2:
			j = i + 1
		case n/2 + 1:
			j = i - 1
		}
		a := 2 * math.Pi * float64(j) / float64(n)
		pts = append(pts, fmt.Sprintf("[%.9f,%.9f]", 114+0.1*math.Cos(a), 22.5+0.1*math.Sin(a)))
	}
	pts = append(pts, pts[0])
	return `{"type":"Polygon","coordinates":[[` + strings.Join(pts, ",") + `]]}`
}

const (
	// A valid square and a bow-tie: only the bow-tie needs repair.
	squareAndBowtie = `{"type":"MultiPolygon","coordinates":[[[[114,22],[114.01,22],[114.01,22.01],[114,22.01],[114,22]]],[[[114.1,22],[114.12,22.02],[114.12,22],[114.1,22.02],[114.1,22]]]]}`
	// Two valid squares that overlap: valid parts, an invalid whole.
	overlapping = `{"type":"MultiPolygon","coordinates":[[[[114,22],[114.02,22],[114.02,22.02],[114,22.02],[114,22]]],[[[114.01,22.01],[114.03,22.01],[114.03,22.03],[114.01,22.03],[114.01,22.01]]]]}`
	validSquare = `{"type":"Polygon","coordinates":[[[115,23],[115.01,23],[115.01,23.01],[115,23.01],[115,23]]]}`
)

func TestRepairModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	file := writeFeatures(t, dir, "repair.geojson", squareAndBowtie, overlapping, validSquare)

	// Independently: what ST_MakeValid (linework, as ogr2ogr -makevalid)
	// and method=structure make of each feature, in planar degrees².
	want := func(geom, method string) float64 {
		t.Helper()
		var a float64
		q := `SELECT ST_Area(ST_CollectionExtract(ST_MakeValid(ST_GeomFromGeoJSON($1)), 3))`
		if method == "structure" {
			q = `SELECT ST_Area(ST_CollectionExtract(ST_MakeValid(ST_GeomFromGeoJSON($1), 'method=structure'), 3))`
		}
		if err := e.db.Pool.QueryRow(ctx, q, geom).Scan(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	type row struct {
		valid bool
		area  float64
	}
	rows := func(layer string) []row {
		t.Helper()
		r, err := e.db.Pool.Query(ctx, `SELECT ST_IsValid(geom), ST_Area(geom) FROM layers.`+layer+` ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []row
		for r.Next() {
			var x row
			if err := r.Scan(&x.valid, &x.area); err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		return out
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	problem := func(imp *land.Import, rec int64) string {
		for _, p := range imp.Summary.Problems {
			if p.Record == rec {
				return p.Action + ": " + p.Reason
			}
		}
		return ""
	}

	t.Run("default: invalid parts repaired alone, overlapping parts together", func(t *testing.T) {
		var mu sync.Mutex
		var last ValidationProgress
		calls := 0
		imp := e.MustImport(t, Request{Layer: "bounded", Kind: "generic", Files: []string{file},
			Validation: func(p ValidationProgress) { mu.Lock(); last = p; calls++; mu.Unlock() }})
		got := rows("bounded")
		if len(got) != 3 {
			t.Fatalf("%d rows, want 3", len(got))
		}
		for i, g := range []string{squareAndBowtie, overlapping, validSquare} {
			if !got[i].valid || !near(got[i].area, want(g, "linework")) {
				t.Errorf("feature %d: valid %v area %v, want valid with linework's %v", i+1, got[i].valid, got[i].area, want(g, "linework"))
			}
		}
		if p := problem(imp, 1); !strings.HasPrefix(p, "repaired: invalid geometry (Self-intersection") {
			t.Errorf("feature 1: %q", p)
		}
		if p := problem(imp, 2); !strings.HasPrefix(p, "repaired: ") || strings.Contains(p, "with method") {
			t.Errorf("feature 2: %q, want repaired by parts (overlapping parts repaired together)", p)
		}
		if p := problem(imp, 3); p != "" {
			t.Errorf("valid feature 3 has a problem: %q", p)
		}
		v, _ := imp.Extra["validation"].(map[string]any)
		if v["mode"] != RepairBounded || v["invalid"] != int64(2) || v["repaired"] != int64(2) || v["kept_invalid"] != int64(0) {
			t.Errorf("validation record %v", v)
		}
		mu.Lock()
		defer mu.Unlock()
		if calls < 2 || last.Total != 3 || last.Done != 3 || last.Invalid != 2 || last.Repaired != 2 {
			t.Errorf("%d progress calls, last %+v; want the last at 3 of 3, 2 invalid, 2 repaired", calls, last)
		}
	})
	t.Run("fast: overlapping parts by parts, as linework", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "fast", Kind: "generic", Files: []string{file}, Repair: RepairFast})
		got := rows("fast")
		if !got[1].valid || !near(got[1].area, want(overlapping, "linework")) || near(got[1].area, want(overlapping, "structure")) {
			t.Errorf("feature 2: valid %v area %v, want linework's %v (structure's is %v)", got[1].valid, got[1].area,
				want(overlapping, "linework"), want(overlapping, "structure"))
		}
		if p := problem(imp, 2); !strings.HasPrefix(p, "repaired: ") || strings.Contains(p, "with method") {
			t.Errorf("feature 2: %q", p)
		}
	})
	t.Run("full: linework on the whole", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "full", Kind: "generic", Files: []string{file}, Repair: RepairFull})
		for i, g := range []string{squareAndBowtie, overlapping} {
			if r := rows("full")[i]; !r.valid || !near(r.area, want(g, "linework")) {
				t.Errorf("feature %d: %+v", i+1, r)
			}
		}
		if v, _ := imp.Extra["validation"].(map[string]any); v["mode"] != RepairFull {
			t.Errorf("validation record %v", v)
		}
	})
	t.Run("off: stored as they come", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "off", Kind: "generic", Files: []string{file}, Repair: RepairOff})
		got := rows("off")
		if got[0].valid || got[1].valid || !got[2].valid || imp.Summary.Repaired != 0 {
			t.Errorf("rows %+v, repaired %d; want the invalid ones stored as they are", got, imp.Summary.Repaired)
		}
		if !strings.Contains(strings.Join(imp.Summary.Notes, " "), "--repair off") {
			t.Errorf("notes %v", imp.Summary.Notes)
		}
	})
	t.Run("a bad mode is refused", func(t *testing.T) {
		_, err := e.im.Import(ctx, Request{Layer: "bad", Kind: "generic", Files: []string{file}, Repair: "quick"})
		if err == nil || !strings.Contains(err.Error(), "--repair") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRepairBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	file := writeFeatures(t, dir, "big.geojson", validSquare, bigInvalidRing(30_000))

	// A budget of a millisecond: no method finishes on 30 000 vertices,
	// so each is given up in turn and the feature is kept as it is,
	// reported, never waited for.
	imp := e.MustImport(t, Request{Layer: "tight", Kind: "generic", Files: []string{file}, RepairBudget: time.Millisecond})
	var p *land.ImportProblem
	for i := range imp.Summary.Problems {
		if imp.Summary.Problems[i].Record == 2 {
			p = &imp.Summary.Problems[i]
		}
	}
	if p == nil || p.Action != "warning" || !strings.Contains(p.Reason, "kept as it is") || !strings.Contains(p.Reason, "parts, linework and structure") {
		t.Fatalf("problem of feature 2: %+v, want kept as it is after parts, linework and structure", p)
	}
	v, _ := imp.Extra["validation"].(map[string]any)
	if v["kept_invalid"] != int64(1) || v["repaired"] != int64(0) || imp.Summary.Loaded != 2 {
		t.Fatalf("validation %v, loaded %d", v, imp.Summary.Loaded)
	}
	var valid bool
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT ST_IsValid(geom) FROM layers.tight WHERE id = 2`).Scan(&valid); err != nil || valid {
		t.Fatalf("feature 2 valid %v (%v), want kept invalid", valid, err)
	}

	// The default budget repairs it, with the first method.
	imp = e.MustImport(t, Request{Layer: "roomy", Kind: "generic", Files: []string{file}})
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT ST_IsValid(geom) FROM layers.roomy WHERE id = 2`).Scan(&valid); err != nil || !valid {
		t.Fatalf("feature 2 valid %v (%v), want repaired", valid, err)
	}
	if v, _ := imp.Extra["validation"].(map[string]any); v["repaired"] != int64(1) {
		t.Fatalf("validation %v", v)
	}
}

// A repair connection cannot send a cancel request (one reaching GEOS can
// crash the server): a query given up at its deadline leaves its backend
// running to the end, as an over-budget repair's is left.
func TestRepairConnectionSendsNoCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	wc := &workerConn{im: e.im}
	defer wc.release(ctx)
	c, err := wc.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PgConn().CancelRequest(ctx); !errors.Is(err, errNoCancel) {
		t.Fatalf("a cancel request on a repair connection: %v, want it refused", err)
	}
	var pid int
	if err := c.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = c.Exec(qctx, `SELECT pg_sleep(60)`)
	cancel()
	if err == nil {
		t.Fatal("the query outlived its deadline")
	}
	// A cancel request would end the sleep within milliseconds.
	time.Sleep(300 * time.Millisecond)
	var state string
	if err := e.db.Pool.QueryRow(ctx, `SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state); err != nil || state != "active" {
		t.Errorf("the abandoned backend is %q (%v), want still active", state, err)
	}
	// pg_sleep, unlike GEOS, ends safely when terminated.
	if _, err := e.db.Pool.Exec(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
		t.Fatal(err)
	}
}
