package tiles_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"tudi/geo"
	"tudi/postgis"
	"tudi/tiles"
)

func tilePath(layers string, t tiles.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, t.Z, t.X, t.Y)
}

func TestTilesMatchTheSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 40, 30)
	e.mustCreateFarmland("farmland")
	ctx := context.Background()

	for _, z := range []int{13, 15, 16} {
		t.Run(fmt.Sprintf("a z%d composite tile holds every parcel and farmland patch that meets it or its buffer, with its attributes", z), func(t *testing.T) {
			tile := tileAt(originLon+0.004, originLat+0.004, z)
			ls := decode(t, tile, e.get(tilePath("parcels,farmland", tile)))
			if len(ls) != 2 || ls[0].Name != "parcels" || ls[1].Name != "farmland" {
				t.Fatalf("%d layers, want [parcels farmland] in that order", len(ls))
			}
			if ls[0].Extent != 4096 || ls[0].Version != 2 {
				t.Errorf("layer extent %d version %d, want 4096 and MVT 2", ls[0].Extent, ls[0].Version)
			}
			for _, layer := range []string{"parcels", "farmland"} {
				var want int
				err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+postgis.Table(layer)+`
					WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096))`, tile.Z, tile.X, tile.Y).Scan(&want)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(layerNamed(ls, layer).Features); got != want {
					t.Errorf("layer %s: %d features, want %d (the source features meeting the tile)", layer, got, want)
				}
			}
			for _, f := range layerNamed(ls, "parcels").Features {
				id, ok := f.Properties["id"].(float64)
				if !ok || f.ID == nil {
					t.Fatalf("feature without id attribute and feature id: %v %v", f.ID, f.Properties)
				}
				var code, luName, street, date string
				var price float64
				var c orb.Point
				err := e.db.Pool.QueryRow(ctx, `SELECT code, landuse_name, street, supply_date::text, price_wan,
					ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM layers.parcels WHERE id = $1`, int64(id)).
					Scan(&code, &luName, &street, &date, &price, &c[0], &c[1])
				if err != nil {
					t.Fatalf("feature id %v: %v", id, err)
				}
				p := f.Properties
				if p["code"] != code || p["landuse_name"] != luName || p["street"] != street || p["supply_date"] != date || p["price_wan"] != price {
					t.Fatalf("feature %v attributes %v, want code %s, landuse_name %s, street %s, supply_date %s, price %v",
						id, p, code, luName, street, date, price)
				}
				if _, ok := p["props"]; ok {
					t.Errorf("props sent without ?props=all")
				}
				// A parcel wholly inside the tile keeps its shape: same centroid within
				// a quantisation step (tile width / 4096).
				b := f.Geometry.Bound()
				tb := geo.TileBoundsLonLat(tile.Z, tile.X, tile.Y)
				if tb.Contains(b.Min) && tb.Contains(b.Max) {
					got, _ := planar.CentroidArea(f.Geometry)
					step := (tb.Max[0] - tb.Min[0]) / 4096
					if mathAbs(got[0]-c[0]) > 2*step || mathAbs(got[1]-c[1]) > 2*step {
						t.Errorf("feature %v centroid %v, source %v", id, got, c)
					}
				}
			}
		})
	}

	t.Run("props=all adds the source attributes, Chinese text intact", func(t *testing.T) {
		tile := tileAt(originLon+0.004, originLat+0.004, 16)
		ls := decode(t, tile, e.get(tilePath("parcels", tile)+"?props=all"))
		f := ls[0].Features[0]
		if !strings.HasPrefix(fmt.Sprint(f.Properties["BZ"]), "测试地块") || f.Properties["DKBH"] != f.Properties["code"] {
			t.Fatalf("props=all attributes: %v", f.Properties)
		}
	})
}

func mathAbs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestGoldenTiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 12, 10)
	e.mustCreateFarmland("farmland")
	for _, tc := range []struct {
		name   string
		layers string
		tile   tiles.Tile
	}{
		{"parcels_z15", "parcels", tileAt(originLon+0.002, originLat+0.002, 15)},
		{"parcels_farmland_z14", "parcels,farmland", tileAt(originLon+0.002, originLat+0.002, 14)},
		{"farmland_z17", "farmland", tileAt(originLon+0.004, originLat+0.003, 17)},
	} {
		t.Run(tc.name+" decodes to its golden GeoJSON", func(t *testing.T) {
			ls := decode(t, tc.tile, e.get(tilePath(tc.layers, tc.tile)))
			compareGolden(t, tc.name, goldenJSON(ls))
		})
	}
}

func TestWhatClientsNeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 20, 20)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	path := tilePath("parcels", tile)

	t.Run("gzip is sent only to clients that accept it, and then always with Content-Encoding", func(t *testing.T) {
		gz := e.get(path, "Accept-Encoding", "gzip, deflate")
		if gz.header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(gz.body, []byte{0x1f, 0x8b}) {
			t.Fatalf("QGIS-like request: Content-Encoding %q, body starts %x", gz.header.Get("Content-Encoding"), gz.body[:2])
		}
		plain := e.get(path)
		if plain.header.Get("Content-Encoding") != "" || bytes.HasPrefix(plain.body, []byte{0x1f, 0x8b}) {
			t.Fatalf("request without Accept-Encoding got Content-Encoding %q, body %x", plain.header.Get("Content-Encoding"), plain.body[:2])
		}
		refused := e.get(path, "Accept-Encoding", "gzip;q=0, identity")
		if refused.header.Get("Content-Encoding") != "" {
			t.Fatalf("gzip;q=0 still got gzip")
		}
		if ct := plain.header.Get("Content-Type"); ct != tiles.MVTContentType {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.Contains(plain.header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("no Vary: Accept-Encoding")
		}
		if len(decode(t, tile, gz)[0].Features) != len(decode(t, tile, plain)[0].Features) {
			t.Errorf("gzip and plain tiles differ")
		}
	})

	t.Run("HEAD answers with the Content-Length of the GET and no body", func(t *testing.T) {
		for _, ae := range []string{"", "gzip"} {
			head := e.do(http.MethodHead, path, "Accept-Encoding", ae)
			get := e.get(path, "Accept-Encoding", ae)
			if head.status != 200 || head.header.Get("Content-Length") != strconv.Itoa(len(get.body)) || len(head.body) != 0 {
				t.Fatalf("HEAD (Accept-Encoding %q): status %d Content-Length %q, GET body %d bytes",
					ae, head.status, head.header.Get("Content-Length"), len(get.body))
			}
		}
	})

	t.Run("an ETag comes with every tile and If-None-Match gives 304", func(t *testing.T) {
		first := e.get(path, "Accept-Encoding", "gzip")
		etag := first.header.Get("ETag")
		if etag == "" || first.header.Get("Cache-Control") == "" {
			t.Fatalf("ETag %q Cache-Control %q", etag, first.header.Get("Cache-Control"))
		}
		again := e.get(path, "Accept-Encoding", "gzip", "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Fatalf("If-None-Match %s: status %d", etag, again.status)
		}
		other := e.get(path, "If-None-Match", `"something-else"`)
		if other.status != 200 {
			t.Fatalf("a foreign ETag: status %d", other.status)
		}
	})

	t.Run("each encoding has its own ETag and only its own gives 304", func(t *testing.T) {
		gz := e.get(path, "Accept-Encoding", "gzip")
		plain := e.get(path, "Accept-Encoding", "identity")
		gzTag, plainTag := gz.header.Get("ETag"), plain.header.Get("ETag")
		if gzTag == "" || gzTag == plainTag || gz.header.Get("Content-Encoding") != "gzip" || plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("gzip ETag %q (%q), identity ETag %q (%q)", gzTag, gz.header.Get("Content-Encoding"), plainTag, plain.header.Get("Content-Encoding"))
		}
		for _, c := range []struct {
			name, accept, inm string
			status            int
		}{
			{"gzip with the gzip ETag", "gzip", gzTag, http.StatusNotModified},
			{"gzip with the weak gzip ETag", "gzip", "W/" + gzTag, http.StatusNotModified},
			{"identity with the identity ETag", "", plainTag, http.StatusNotModified},
			{"gzip with the identity ETag", "gzip", plainTag, http.StatusOK},
			{"identity with the gzip ETag", "", gzTag, http.StatusOK},
			{"identity with the weak gzip ETag", "", "W/" + gzTag, http.StatusOK},
			{"gzip with both", "gzip", plainTag + ", " + gzTag, http.StatusNotModified},
			{"gzip with *", "gzip", "*", http.StatusNotModified},
		} {
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				r := e.do(m, path, "Accept-Encoding", c.accept, "If-None-Match", c.inm)
				if r.status != c.status {
					t.Errorf("%s %s: status %d, want %d", m, c.name, r.status, c.status)
				}
				if r.status == http.StatusOK && m == http.MethodGet {
					want := ""
					if c.accept == "gzip" {
						want = "gzip"
					}
					if r.header.Get("Content-Encoding") != want || len(decode(t, tile, r)[0].Features) == 0 {
						t.Errorf("%s: Content-Encoding %q, want %q", c.name, r.header.Get("Content-Encoding"), want)
					}
				}
			}
		}
	})

	t.Run("an empty tile is 204, not 404", func(t *testing.T) {
		empty := tileAt(-70, -30, 12)
		if r := e.get(tilePath("parcels", empty)); r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("empty tile: status %d, %d bytes", r.status, len(r.body))
		}
	})

	t.Run("MVT layer names are the stable ASCII layer names", func(t *testing.T) {
		ls := decode(t, tile, e.get(path))
		for _, l := range ls {
			for _, r := range l.Name {
				if r > 127 {
					t.Fatalf("layer name %q is not ASCII", l.Name)
				}
			}
		}
		if ls[0].Name != "parcels" {
			t.Fatalf("layer name %q", ls[0].Name)
		}
	})

	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/tiles/parcels/25/0/0.mvt", 400, "zoom 25 out of range"},
		{"/tiles/parcels/3/8/0.mvt", 400, "out of range"},
		{"/tiles/parcels/3/-1/0.mvt", 400, "out of range"},
		{"/tiles/parcels/a/0/0.mvt", 400, "not an integer"},
		{"/tiles/parcels/1/0/0.mvt?props=some", 400, "props"},
		{"/tiles/nope/1/0/0.mvt", 404, `layer "nope" not found`},
		{"/tiles/parcels,nope/1/0/0.mvt", 404, `layer "nope" not found`},
		{"/tiles/parcels,parcels/1/0/0.mvt", 400, "named twice"},
		{"/tiles/Bad-Name/1/0/0.mvt", 400, "invalid layer name"},
		{"/tiles/nope.json", 404, `layer "nope" not found`},
		{"/styles/nope.json", 404, `layer "nope" not found`},
	} {
		t.Run(fmt.Sprintf("%s is a %d JSON error saying %q", tc.path, tc.status, tc.says), func(t *testing.T) {
			r := e.get(tc.path)
			var body struct{ Error string }
			if err := json.Unmarshal(r.body, &body); err != nil || r.status != tc.status || !strings.Contains(body.Error, tc.says) {
				t.Fatalf("status %d body %s", r.status, r.body)
			}
		})
	}
}

func TestTheNextRequestAfterAnImportShowsTheChange(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 20, 20)
	tile := tileAt(originLon+0.001, originLat+0.001, 16)
	path := tilePath("parcels", tile)
	far := tileAt(originLon+0.0095, originLat+0.0095, 16)
	farPath := tilePath("parcels", far)

	nameOf := func(r response, tl tiles.Tile, id int64) string {
		t.Helper()
		for _, f := range decode(t, tl, r)[0].Features {
			if int64(f.Properties["id"].(float64)) == id {
				return fmt.Sprint(f.Properties["landuse_name"])
			}
		}
		t.Fatalf("parcel %d not in tile %s", id, tl)
		return ""
	}
	var id int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT id FROM layers.parcels
		WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1::int, $2::int, $3::int)) ORDER BY id LIMIT 1`, tile.Z, tile.X, tile.Y).Scan(&id); err != nil {
		t.Fatal(err)
	}

	// change updates one parcel the way an import does: under a fence,
	// change, refresh the registry (bumping the version), notify, commit.
	change := func(newName string) {
		t.Helper()
		err := e.db.InFencedTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
			var bbox [4]float64
			if err := tx.QueryRow(ctx, `UPDATE layers.parcels SET landuse_name = $2 WHERE id = $1
				RETURNING ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)`, id, newName).
				Scan(&bbox[0], &bbox[1], &bbox[2], &bbox[3]); err != nil {
				return err
			}
			l, err := postgis.RefreshLayer(ctx, tx, "parcels")
			if err != nil {
				return err
			}
			return postgis.NotifyChange(ctx, tx, postgis.Change{Layer: "parcels", Version: l.Version, BBox: bbox[:]})
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("without any notification heard, the request right after the commit is fresh", func(t *testing.T) {
		if got := nameOf(e.get(path), tile, id); got == "临时改名" {
			t.Fatalf("already changed: %s", got)
		}
		_ = e.get(path) // now cached
		change("临时改名")
		if got := nameOf(e.get(path), tile, id); got != "临时改名" {
			t.Fatalf("after the import the tile says %q, want 临时改名", got)
		}
	})

	t.Run("with the listener running, a change invalidates exactly the tiles of its extent", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- e.svc.Run(ctx) }()
		// The service's listener connects in the background: repeat the change
		// until a notification has been heard, i.e. until the far tile, cached
		// at the previous version, is kept instead of rendered again.
		var last string
		for i := 0; metric(t, e, "tudi_tile_cache_revalidated_total") == 0; i++ {
			if i == 100 {
				t.Fatal("no change notification heard in 10 s")
			}
			_ = e.get(path)
			_ = e.get(farPath)
			last = fmt.Sprintf("再次改名%d", i)
			change(last)
			time.Sleep(100 * time.Millisecond)
			_ = e.get(farPath)
		}
		if got := nameOf(e.get(path), tile, id); got != last {
			t.Fatalf("tile over the change says %q, want %q", got, last)
		}
		// The listener is in sync: between changes, requests take the layer
		// versions from memory; right after each commit they are fresh.
		inMemory := func() bool {
			before := metric(t, e, "tudi_tile_registry_checks_total")
			_ = e.get(farPath)
			return metric(t, e, "tudi_tile_registry_checks_total") == before
		}
		for i := 0; i < 20; i++ {
			deadline := time.Now().Add(5 * time.Second)
			for !inMemory() {
				if time.Now().After(deadline) {
					t.Fatal("requests still read the registry in the database 5 s after the last change")
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = e.get(path)
			name := fmt.Sprintf("第%d次", i)
			change(name)
			if got := nameOf(e.get(path), tile, id); got != name {
				t.Fatalf("change %d: the request right after the commit says %q, want %q", i, got, name)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
