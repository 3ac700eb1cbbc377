package tiles_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"tudi/postgis"
	"tudi/tiles"
)

func TestTheDiskCacheIsSharedAndNeverStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	e := newEnv(t, tiles.Config{CacheDir: dir})
	e.mustCreateParcels("parcels", 10, 10)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	first := e.get(tilePath("parcels", tile))
	files, _ := filepath.Glob(filepath.Join(dir, "parcels", "15", "*", "*.mvt.gz"))
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
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := d.Bytes(); err != nil || string(raw) != string(first.body) {
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

func gather(t testing.TB, reg *prometheus.Registry, name string) float64 {
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

func TestAnImportInvalidatesExactlyThePreRenderedTilesOfItsExtent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, tiles.Config{CacheBytes: -1})
	e.mustCreateParcels("parcels", 40, 40)
	if _, err := e.svc.Seed(ctx, tiles.Range{Layers: []string{"parcels"}, MinZoom: 15, MaxZoom: 16}, nil); err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.svc.Run(ctx) }()
	near := tileAt(originLon+0.0002, originLat+0.0002, 16)
	far := tileAt(originLon+0.019, originLat+0.019, 16)
	// Wait until the service listens: announce a change of another layer
	// until it is heard.
	for i := 0; metric(t, e, "tudi_tile_changes_heard_total") == 0; i++ {
		if i == 100 {
			t.Fatal("no change heard in 10 s")
		}
		if err := e.db.InTx(ctx, func(tx pgx.Tx) error {
			return postgis.NotifyChange(ctx, tx, postgis.Change{Layer: "probe", Version: 1})
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Change parcel 1, at the origin, the way an import does.
	var version int64
	if err := e.db.InFencedTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
		var bbox [4]float64
		if err := tx.QueryRow(ctx, `UPDATE layers.parcels SET landuse_name = '已改' WHERE id = 1
			RETURNING ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)`).Scan(&bbox[0], &bbox[1], &bbox[2], &bbox[3]); err != nil {
			return err
		}
		l, err := postgis.RefreshLayer(ctx, tx, "parcels")
		if err != nil {
			return err
		}
		version = l.Version
		return postgis.NotifyChange(ctx, tx, postgis.Change{Layer: "parcels", Version: l.Version, BBox: bbox[:]})
	}); err != nil {
		t.Fatal(err)
	}
	versionOf := func(tl tiles.Tile) int64 {
		var v int64
		err := e.db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT version FROM tiles.prerendered WHERE layer = 'parcels'
			AND z = $1 AND x = $2 AND y = $3), 0)`, tl.Z, tl.X, tl.Y).Scan(&v)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	deadline := time.Now().Add(10 * time.Second)
	for versionOf(far) != version {
		if time.Now().After(deadline) {
			t.Fatalf("the far tile stays at version %d, layer at %d", versionOf(far), version)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := versionOf(near); v == version {
		t.Fatalf("the tile over the change was kept at version %d", v)
	}
	before := metric(t, e, "tudi_tile_prerendered_total")
	_ = e.get(tilePath("parcels", far))
	if metric(t, e, "tudi_tile_prerendered_total") != before+1 {
		t.Fatal("the far tile was rendered again instead of read")
	}
	for _, f := range decode(t, near, e.get(tilePath("parcels", near)))[0].Features {
		if f.Properties["id"] == float64(1) && f.Properties["landuse_name"] != "已改" {
			t.Fatalf("the tile over the change shows %v", f.Properties["landuse_name"])
		}
	}
}

func TestOutdatedDiskCacheFilesAreRemoved(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	e := newEnv(t, tiles.Config{CacheDir: dir})
	e.mustCreateParcels("parcels", 10, 10)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	_ = e.get(tilePath("parcels", tile))
	old, _ := filepath.Glob(filepath.Join(dir, "parcels", "15", "*", "*.mvt.gz"))
	if len(old) != 1 {
		t.Fatalf("disk cache files: %v", old)
	}
	// A tile of a layer that is gone, one of a version newer than this
	// process knows (another process wrote it), and a temporary file.
	gone := filepath.Join(dir, "gone", "15", "1", "2-v1.mvt.gz")
	newer := filepath.Join(dir, "parcels", "15", "1", "2-v99.mvt.gz")
	for _, p := range []string{gone, newer} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = e.svc.Run(ctx) }()
	if err := e.db.InFencedTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
		_, err := postgis.RefreshLayer(ctx, tx, "parcels")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for exists(old[0]) || exists(gone) {
		if time.Now().After(deadline) {
			t.Fatalf("outdated files kept: old version %v, gone layer %v", exists(old[0]), exists(gone))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !exists(newer) {
		t.Fatal("the file of a newer version was removed")
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
