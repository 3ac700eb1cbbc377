package tiles_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/geo"

	"tudi/postgis"
	"tudi/tiles"
)

func TestGeneralisedLowZooms(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 3600 parcels over ~3 km; counted as large from 1000 features.
	e := newEnv(t, tiles.Config{GeneraliseMin: 1000})
	e.mustCreateParcels("parcels", 60, 60)
	if err := e.svc.Rebuild(ctx, "parcels"); err != nil {
		t.Fatal(err)
	}
	var sourceArea float64
	if err := e.db.Pool.QueryRow(ctx, `SELECT sum(ST_Area(geom::geography)) FROM layers.parcels`).Scan(&sourceArea); err != nil {
		t.Fatal(err)
	}
	center := [2]float64{originLon + 30*cellDeg, originLat + 30*cellDeg}

	for _, z := range []int{8, 10, 11} {
		t.Run(fmt.Sprintf("z%d shows land-use classes, no single parcels, with the area of the source", z), func(t *testing.T) {
			tile := tileAt(center[0], center[1], z)
			ls := decode(t, tile, e.get(tilePath("parcels", tile)))
			l := layerNamed(ls, "parcels")
			if l == nil || len(l.Features) == 0 || len(l.Features) > 1000 {
				t.Fatalf("z%d: %d features, want some and far fewer than the 3600 parcels", z, len(l.Features))
			}
			var area float64
			classes := map[string]bool{}
			for _, f := range l.Features {
				if len(f.Properties) != 1 || f.ID != nil {
					t.Fatalf("a generalised feature carries %v (id %v), want landuse_code only", f.Properties, f.ID)
				}
				classes[fmt.Sprint(f.Properties["landuse_code"])] = true
				area += geo.Area(f.Geometry)
			}
			// As many cells are kept as the parcels' area fills (up to the
			// rounding of the last cell and the Mercator/ellipsoid difference).
			if area < 0.9*sourceArea || area > 1.1*sourceArea {
				t.Errorf("generalised area %.0f m², source %.0f m²", area, sourceArea)
			}
			for c := range classes {
				if len(c) != 4 {
					t.Errorf("class %q is not a land-use code", c)
				}
			}
		})
	}

	t.Run("z12 shows the parcels dissolved by class, each class with its area", func(t *testing.T) {
		tile := tileAt(originLon, originLat, 12)
		if far := tileAt(originLon+60*cellDeg, originLat+60*cellDeg, 12); far != tile {
			t.Fatalf("the test district is not inside one z12 tile: %v %v", tile, far)
		}
		l := layerNamed(decode(t, tile, e.get(tilePath("parcels", tile))), "parcels")
		got := map[string]float64{}
		for _, f := range l.Features {
			if len(f.Properties) != 1 || f.ID != nil {
				t.Fatalf("a generalised feature carries %v (id %v), want landuse_code only", f.Properties, f.ID)
			}
			got[fmt.Sprint(f.Properties["landuse_code"])] += geo.Area(f.Geometry)
		}
		rows, err := e.db.Pool.Query(ctx, `SELECT landuse_code, sum(ST_Area(geom::geography)) FROM layers.parcels GROUP BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var c string
			var a float64
			if err := rows.Scan(&c, &a); err != nil {
				t.Fatal(err)
			}
			n++
			if d := (got[c] - a) / a; d > 0.05 || d < -0.05 {
				t.Errorf("class %s: %.0f m² at z12, %.0f m² in the source", c, got[c], a)
			}
		}
		if n != len(landUses) || len(got) != n {
			t.Fatalf("classes: %d in the source, %v at z12", n, got)
		}
	})

	t.Run("z13 and up are per parcel; z13 comes pre-rendered", func(t *testing.T) {
		before := metric(t, e, "tudi_tile_prerendered_total")
		// The district spans two z13 tiles: together they hold every parcel.
		a, b := tileAt(originLon, originLat, 13), tileAt(originLon+60*cellDeg, originLat+60*cellDeg, 13)
		if a.X != b.X || b.Y != a.Y-1 {
			t.Fatalf("the test district is not over two z13 tiles: %v %v", a, b)
		}
		ids := map[any]bool{}
		for _, tile := range []tiles.Tile{a, b} {
			l := decode(t, tile, e.get(tilePath("parcels", tile)))[0]
			for _, f := range l.Features {
				if f.Properties["code"] == nil {
					t.Fatalf("z13 feature without attributes: %v", f.Properties)
				}
				ids[f.ID] = true
			}
		}
		if len(ids) != 3600 {
			t.Fatalf("z13: %d parcels, want 3600", len(ids))
		}
		if metric(t, e, "tudi_tile_prerendered_total") != before+2 {
			t.Fatal("z13 was not read from the pre-rendered tiles")
		}
	})

	// An import changes the layer: until the rebuild, low zooms are rendered
	// live from the source (slow but current), then from the new build.
	err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE layers.parcels SET landuse_code = '0810' WHERE id <= 1800`); err != nil {
			return err
		}
		l, err := postgis.RefreshLayer(ctx, tx, "parcels")
		if err != nil {
			return err
		}
		return postgis.NotifyChange(ctx, tx, postgis.Change{Layer: "parcels", Version: l.Version, BBox: l.BBox()})
	})
	if err != nil {
		t.Fatal(err)
	}
	tile := tileAt(center[0], center[1], 10)
	t.Run("right after an import, a low zoom is current even before the rebuild", func(t *testing.T) {
		l := decode(t, tile, e.get(tilePath("parcels", tile)))[0]
		n := 0
		for _, f := range l.Features {
			if f.Properties["landuse_code"] == "0810" {
				n++
			}
		}
		if n != 1800 || metric(t, e, "tudi_tile_generalised_stale_total") == 0 {
			t.Fatalf("%d features of 0810, want the 1800 live parcels", n)
		}
	})
	t.Run("the service rebuilds the generalisation after the import and serves it", func(t *testing.T) {
		go func() { _ = e.svc.Run(ctx) }()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var current bool
			if err := e.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tiles.generalised g
				JOIN tudi.layers l ON l.name = g.layer AND l.version = g.version)`).Scan(&current); err != nil {
				t.Fatal(err)
			}
			if current {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no rebuild within 30 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		l := decode(t, tile, e.get(tilePath("parcels", tile)))[0]
		var parks float64
		for _, f := range l.Features {
			if len(f.Properties) != 1 {
				t.Fatalf("not generalised after the rebuild: %v", f.Properties)
			}
			if f.Properties["landuse_code"] == "0810" {
				parks += geo.Area(f.Geometry)
			}
		}
		if parks == 0 {
			t.Fatal("the rebuilt z10 tile has no 0810 land")
		}
	})
}
