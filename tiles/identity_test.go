package tiles_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"tudi/tiles"
)

// A tile's bytes depend only on the layer versions and the request: two
// processes (fresh caches), a render after the table's rows moved on disk,
// a second generalisation build, a seed, and both export formats give the
// same gzip bytes and the same ETag as the server sent.
func TestTilesAreTheSameBytesEverywhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, tiles.Config{GeneraliseMin: 1000})
	e.mustCreateParcels("parcels", 60, 60)
	if err := e.svc.Rebuild(ctx, "parcels"); err != nil {
		t.Fatal(err)
	}
	c := [2]float64{originLon + 30*cellDeg, originLat + 30*cellDeg}
	type req struct {
		tile tiles.Tile
		all  bool
	}
	reqs := []req{
		{tileAt(c[0], c[1], 10), false}, // generalised, pre-rendered
		{tileAt(c[0], c[1], 12), false}, // generalised, pre-rendered
		{tileAt(c[0], c[1], 13), false}, // per feature, pre-rendered
		{tileAt(c[0], c[1], 14), false}, // per feature, live
		{tileAt(c[0], c[1], 15), true},  // per feature with every source attribute, live
	}
	path := func(r req) string {
		p := tilePath("parcels", r.tile)
		if r.all {
			p += "?props=all"
		}
		return p
	}
	served := map[req]response{}
	for _, r := range reqs {
		res := e.get(path(r), "Accept-Encoding", "gzip")
		if res.status != 200 || res.header.Get("Content-Encoding") != "gzip" || res.header.Get("ETag") == "" {
			t.Fatalf("%s: status %d, headers %v", path(r), res.status, res.header)
		}
		served[r] = res
	}
	same := func(t *testing.T, what string, svc *tiles.Service) {
		t.Helper()
		for _, r := range reqs {
			d, err := svc.Tile(ctx, []string{"parcels"}, r.tile, r.all)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Gzip(), served[r].body) || d.ETag() != served[r].header.Get("ETag") {
				t.Fatalf("%s: tile %s (props=all %v) differs from the served one: %d bytes, ETag %s; served %d bytes, ETag %s",
					what, r.tile, r.all, len(d.Gzip()), d.ETag(), len(served[r].body), served[r].header.Get("ETag"))
			}
		}
	}
	fresh := func() *tiles.Service {
		s, err := tiles.New(e.db, tiles.Config{GeneraliseMin: 1000, CacheBytes: -1}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("another process renders the same bytes and ETags", func(t *testing.T) {
		same(t, "second process", fresh())
	})

	t.Run("after the rows moved on disk (same data), the same bytes", func(t *testing.T) {
		// Rewriting every other row moves it to the end of the table: a scan
		// then meets the features in another order.
		if _, err := e.db.Pool.Exec(ctx, `UPDATE layers.parcels SET price_wan = price_wan WHERE id % 2 = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Pool.Exec(ctx, `VACUUM ANALYZE layers.parcels`); err != nil {
			t.Fatal(err)
		}
		same(t, "after the update", fresh())
	})

	t.Run("a second generalisation build and a seed give the same bytes", func(t *testing.T) {
		s := fresh()
		if err := s.Rebuild(ctx, "parcels"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Seed(ctx, tiles.Range{Layers: []string{"parcels"}, MinZoom: 14, MaxZoom: 14}, nil); err != nil {
			t.Fatal(err)
		}
		same(t, "after rebuild and seed", fresh())
	})

	t.Run("two exports are the same file, holding the served bytes", func(t *testing.T) {
		dir := t.TempDir()
		rng := tiles.Range{Layers: []string{"parcels"}, MinZoom: 10, MaxZoom: 15}
		for _, format := range []string{tiles.FormatMBTiles, tiles.FormatPMTiles} {
			a, b := filepath.Join(dir, "a."+format), filepath.Join(dir, "b."+format)
			if _, err := e.svc.Export(ctx, rng, format, a, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := fresh().Export(ctx, rng, format, b, nil); err != nil {
				t.Fatal(err)
			}
			ab, _ := os.ReadFile(a)
			bb, _ := os.ReadFile(b)
			if len(ab) == 0 || !bytes.Equal(ab, bb) {
				t.Fatalf("two %s exports differ (%d and %d bytes)", format, len(ab), len(bb))
			}
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, "a.mbtiles"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, r := range reqs {
			if r.all {
				continue // exports hold the canonical attributes
			}
			var data []byte
			if err := db.QueryRow(`SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`,
				r.tile.Z, r.tile.X, (1<<r.tile.Z)-1-r.tile.Y).Scan(&data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, served[r].body) {
				t.Fatalf("the exported tile %s is not the bytes served", r.tile)
			}
		}
	})
}
