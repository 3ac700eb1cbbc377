// Package sampletest loads the sample district into a test database for
// the tests and benchmarks of several packages (a test package cannot
// import another package's test files).
package sampletest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"tudi/importers"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/sampledata"
)

// BenchScale is the scale given in TUDI_BENCH_SCALE, or def when it is
// not set; a value that is not a number fails the benchmark.
func BenchScale(tb testing.TB, def int) int {
	tb.Helper()
	s := os.Getenv("TUDI_BENCH_SCALE")
	if s == "" {
		return def
	}
	scale, err := strconv.Atoi(s)
	if err != nil {
		tb.Fatalf("TUDI_BENCH_SCALE: %v", err)
	}
	return scale
}

// Load imports the sample district at the given scale (only the layers
// named, when any are) into a new test database; see Import.
func Load(tb testing.TB, scale int, user string, only ...string) *postgis.DB {
	tb.Helper()
	db := postgis.New(pgtest.NewDB(tb).Pool, nil)
	Import(tb, db, scale, user, only...)
	return db
}

// Import writes the sample district at the given scale and imports its
// layers (only those named, when any are) into db as a user would, by
// user; it logs the features of each layer.
func Import(tb testing.TB, db *postgis.DB, scale int, user string, only ...string) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	m, err := sampledata.Write(ctx, dir, sampledata.Options{Scale: scale}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	im := importers.New(db, nil)
	for _, l := range m.Layers {
		if len(only) > 0 && !slices.Contains(only, l.Name) {
			continue
		}
		imp, err := im.Import(ctx, importers.Request{Layer: l.Name, Kind: l.Kind, Encoding: l.Encoding, SRID: l.SRID,
			Files: []string{filepath.Join(dir, l.Files[0])}, User: user})
		if err != nil {
			tb.Fatalf("import %s: %v", l.Name, err)
		}
		tb.Logf("%s: %d features", l.Name, imp.Summary.Loaded)
	}
}
