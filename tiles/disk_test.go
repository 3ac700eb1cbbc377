package tiles_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"tudi/postgis"
	"tudi/tiles"
)

func TestTheDiskCacheIsSharedAndNeverStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := newEnv(t, tiles.Config{CacheDir: dir})
	e.mustCreateParcels("parcels", 10, 10)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	first := e.get(tilePath("parcels", tile))
	files, _ := filepath.Glob(filepath.Join(dir, "parcels", "15", "*", "*.mvt"))
	if len(files) != 1 {
		t.Fatalf("disk cache files: %v", files)
	}

	// Another process (a second service without memory cache) on the same
	// directory finds the tile there.
	reg := prometheus.NewRegistry()
	other, err := tiles.New(e.db, tiles.Config{CacheDir: dir, CacheBytes: -1}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := other.Tile(ctx, []string{"parcels"}, tile, false)
	if err != nil || string(d.Bytes()) != string(first.body) {
		t.Fatalf("tile from the disk cache: %v", err)
	}
	if hits := gather(t, reg, "tudi_tile_cache_hits_total"); hits != 1 {
		t.Fatalf("%v disk hits, want 1", hits)
	}

	// After a change the old file is not used.
	if err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE layers.parcels SET landuse_name = '已改' WHERE id = 1`); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "parcels")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Tile(ctx, []string{"parcels"}, tile, false); err != nil {
		t.Fatal(err)
	}
	if misses := gather(t, reg, "tudi_tile_cache_misses_total"); misses != 1 {
		t.Fatalf("%v misses after the change, want 1", misses)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

func gather(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
