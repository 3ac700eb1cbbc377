package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The default disk tile cache is the embedded cluster's, or for --db one
// directory per database: never the working directory, never shared by
// two databases, shared by servers (and users) of the same one.
func TestDefaultTileCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	got, err := defaultTileCacheDir(DBConfig{DataDir: "/srv/tudi"})
	if err != nil || got != filepath.Join("/srv/tudi", "tile-cache") {
		t.Fatalf("embedded: %q %v", got, err)
	}
	dir := func(url string) string {
		t.Helper()
		d, err := defaultTileCacheDir(DBConfig{URL: url, DataDir: "./tudi-data"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(d, "tudi-data") || !filepath.IsAbs(d) {
			t.Fatalf("%s: %q", url, d)
		}
		return d
	}
	a := dir("postgres://alice:secret@db.example:5432/district_a")
	if b := dir("postgres://bob:other@db.example:5432/district_a?sslmode=disable"); b != a {
		t.Errorf("same database, two users: %q and %q", a, b)
	}
	if b := dir("postgres://alice:secret@db.example:5432/district_b"); b == a {
		t.Errorf("two databases share %q", a)
	}
	if b := dir("postgres://alice:secret@db2.example:5432/district_a"); b == a {
		t.Errorf("two servers share %q", a)
	}
	if _, err := defaultTileCacheDir(DBConfig{URL: "postgres://%zz"}); err == nil {
		t.Error("a bad --db URL is accepted")
	}
}
