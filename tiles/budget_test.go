package tiles_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb/geo"

	"tudi/tiles"
)

// A tile whose features would weigh more than the byte budget is rendered
// as the classes of its features (a majority grid), within the budget and
// with every class's area within 5 % of the source's; tiles within the
// budget keep every feature.
func TestATileOverTheByteBudgetShowsClassesWithTheirAreas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const budget = 40_000
	// Never generalised by count: only the budget can make a tile lighter.
	e := newEnv(t, tiles.Config{GeneraliseMin: 1 << 40, TileBytes: budget})
	e.mustCreateParcels("parcels", 60, 60)
	tile := tileAt(originLon, originLat, 12)
	if far := tileAt(originLon+60*cellDeg, originLat+60*cellDeg, 12); far != tile {
		t.Fatalf("the test district is not inside one z12 tile: %v %v", tile, far)
	}
	var full int
	if err := e.db.Pool.QueryRow(ctx, `SELECT length(ST_AsMVT(q, 'parcels', 4096, 'geom')) FROM (
		SELECT ST_AsMVTGeom(geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom, id, code, landuse_code, landuse_name,
		       ownership, street, status, supply_method, supply_date::text, price_wan FROM layers.parcels) q`,
		tile.Z, tile.X, tile.Y).Scan(&full); err != nil {
		t.Fatal(err)
	}
	if full <= 2*budget {
		t.Fatalf("every parcel in one tile weighs %d bytes: not enough over the budget for this test", full)
	}

	res := e.get(tilePath("parcels", tile))
	if len(res.body) > budget {
		t.Fatalf("z12 tile of %d bytes, budget %d", len(res.body), budget)
	}
	l := layerNamed(decode(t, tile, res), "parcels")
	got := map[string]float64{}
	for _, f := range l.Features {
		if len(f.Properties) != 1 || f.ID != nil {
			t.Fatalf("a feature of the tile over budget carries %v (id %v), want landuse_code only", f.Properties, f.ID)
		}
		got[fmt.Sprint(f.Properties["landuse_code"])] += geo.Area(f.Geometry)
	}
	rows, err := e.db.Pool.Query(ctx, `SELECT landuse_code, sum(ST_Area(geom::geography)) FROM layers.parcels GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for rows.Next() {
		var c string
		var a float64
		if err := rows.Scan(&c, &a); err != nil {
			t.Fatal(err)
		}
		want[c] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(landUses) {
		t.Fatalf("source classes %v", want)
	}
	t.Logf("z12: %d bytes with every parcel, %d as classes (budget %d)", full, len(res.body), budget)
	for c, a := range want {
		t.Logf("class %s: %.0f m² in the tile, %.0f m² in the source", c, got[c], a)
		if d := math.Abs(got[c]-a) / a; d > 0.05 {
			t.Errorf("class %s: %.0f m² in the tile, %.0f m² in the source (%.1f %%)", c, got[c], a, 100*d)
		}
	}
	if metric(t, e, "tudi_tile_budget_generalised_total") != 1 {
		t.Fatal("the generalisation of a tile over budget was not counted")
	}

	// Within the budget: every feature with its attributes.
	small := tileAt(originLon+0.002, originLat+0.002, 16)
	ls := decode(t, small, e.get(tilePath("parcels", small)))
	if f := ls[0].Features; len(f) == 0 || f[0].Properties["code"] == nil || f[0].ID == nil {
		t.Fatalf("a z16 tile within the budget lost its features' attributes: %v", f)
	}
	if metric(t, e, "tudi_tile_budget_generalised_total") != 1 {
		t.Fatal("a tile within the budget was generalised")
	}
}
