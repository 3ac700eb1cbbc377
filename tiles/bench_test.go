package tiles_test

import (
	"context"
	"testing"
	"time"

	"tudi/tiles"
)

// BenchmarkCachedTile compares, side by side, a cached tile whose layer
// versions come from memory (the listener is in sync) with the same tile
// when every request reads the registry in the database (no listener), the
// cost the in-memory registry removes from every warm request.
func BenchmarkCachedTile(b *testing.B) {
	e := newEnv(b, tiles.Config{})
	e.mustCreateParcels("parcels", 20, 20)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	names := []string{"parcels"}
	ctx := context.Background()
	if _, err := e.svc.Tile(ctx, names, tile, false); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.svc.Tile(ctx, names, tile, false); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("registry read per request", run)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = e.svc.Run(rctx) }()
	before := gather(b, e.reg, "tudi_tile_registry_checks_total")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := e.svc.Tile(ctx, names, tile, false); err != nil {
			b.Fatal(err)
		}
		after := gather(b, e.reg, "tudi_tile_registry_checks_total")
		if after == before {
			break
		}
		before = after
		if time.Now().After(deadline) {
			b.Fatal("the listener did not sync in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Run("registry in memory", run)
}
