package ogc_test

import (
	"context"
	"fmt"
	"testing"
)

// signedArea is the shoelace sum of a ring given as GeoJSON positions:
// positive when counter-clockwise in the (first, second) ordinate plane.
func signedArea(ring []any) float64 {
	var a float64
	for i := 0; i+1 < len(ring); i++ {
		p, q := ring[i].([]any), ring[i+1].([]any)
		a += p[0].(float64)*q[1].(float64) - q[0].(float64)*p[1].(float64)
	}
	return a / 2
}

// TestGeoJSONRingsAreCounterClockwise: RFC 7946 §3.1.6 wants exterior
// rings counter-clockwise and holes clockwise, whatever the source order.
// The source polygon here is clockwise with a counter-clockwise hole, and
// the fixture's squares (ST_MakeEnvelope) are clockwise too.
func TestGeoJSONRingsAreCounterClockwise(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `INSERT INTO layers.farmland (code, geom) VALUES ('CW',
		ST_GeomFromText('POLYGON((113.32 23.10, 113.32 23.11, 113.33 23.11, 113.33 23.10, 113.32 23.10),
		                          (113.322 23.102, 113.328 23.102, 113.328 23.108, 113.322 23.108, 113.322 23.102))', 4490))
		RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var srcExterior float64
	if err := db.Pool.QueryRow(context.Background(), `SELECT ST_Area(ST_MakePolygon(ST_ExteriorRing(geom))) *
		CASE WHEN ST_IsPolygonCW(geom) THEN -1 ELSE 1 END FROM layers.farmland WHERE id = $1`, id).Scan(&srcExterior); err != nil {
		t.Fatal(err)
	}
	if srcExterior >= 0 {
		t.Fatal("the source polygon is not clockwise; the test would prove nothing")
	}
	check := func(t *testing.T, geom map[string]any, flipped bool) {
		t.Helper()
		rings := geom["coordinates"].([]any)
		for i, r := range rings {
			a := signedArea(r.([]any))
			if flipped { // lat/lon mirrors the plane: geographic CCW reads CW
				a = -a
			}
			if i == 0 && a <= 0 || i > 0 && a >= 0 {
				t.Errorf("ring %d has signed area %g (exterior must be counter-clockwise, holes clockwise): %v", i, a, r)
			}
		}
	}
	for _, c := range []struct {
		query   string
		flipped bool
	}{{"", false}, {"?crs=EPSG:4490", true}, {"?crs=http://www.opengis.net/def/crs/EPSG/0/3857", false}, {"?crs=http://www.opengis.net/def/crs/EPSG/0/4547", true}} {
		t.Run("the clockwise source, one feature"+c.query, func(t *testing.T) {
			doc, _ := get(t, fmt.Sprintf("%s/ogc/collections/farmland/items/%d%s", ts.URL, id, c.query), 200)
			g := doc["geometry"].(map[string]any)
			if len(g["coordinates"].([]any)) != 2 {
				t.Fatalf("the hole is lost: %v", g)
			}
			check(t, g, c.flipped)
		})
	}
	t.Run("every feature of a page", func(t *testing.T) {
		for _, layer := range []string{"farmland", "parcels"} {
			doc, _ := get(t, ts.URL+"/ogc/collections/"+layer+"/items?limit=1000", 200)
			n := 0
			for _, f := range features(doc) {
				if g, ok := f["geometry"].(map[string]any); ok {
					check(t, g, false)
					n++
				}
			}
			if n == 0 {
				t.Fatalf("%s: no polygons", layer)
			}
		}
	})
}
