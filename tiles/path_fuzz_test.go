package tiles_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"tudi/geo"
	"tudi/land"
	"tudi/tiles"
)

// FuzzTilePath routes arbitrary paths through the tile route's pattern and
// the parsers of its parameters: they may refuse a path, with an Invalid
// error (400), but never panic, and what they accept is a valid tile of
// distinct, valid layer names spelling the path's segment. The seed corpus
// in testdata/fuzz/FuzzTilePath runs with every go test.
func FuzzTilePath(f *testing.F) {
	f.Add("parcels/14/13358/7124.mvt")
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest(http.MethodGet, "http://tudi.test/tiles/"+path, nil)
		if err != nil {
			return // not a URL: net/http never routes it
		}
		tileRouter(t.Fatalf).ServeHTTP(httptest.NewRecorder(), req)
	})
}

// tileRouter has the tile route's pattern (Service.Mount) and checks what
// its parsers make of the parameters.
func tileRouter(fail func(format string, args ...any)) http.Handler {
	r := chi.NewRouter()
	r.Get("/tiles/{layers}/{z}/{x}/{y}.mvt", func(w http.ResponseWriter, req *http.Request) {
		seg := chi.URLParam(req, "layers")
		names, err := tiles.ParseLayers(seg)
		switch {
		case err != nil && land.KindOf(err) != land.Invalid:
			fail("layers %q: %v is not Invalid", seg, err)
		case err == nil && strings.Join(names, ",") != seg:
			fail("layers %q parsed as %q", seg, names)
		case err == nil:
			for i, n := range names {
				if land.ValidateLayerName(n) != nil || slices.Contains(names[:i], n) {
					fail("layers %q: accepted %q", seg, n)
				}
			}
		}
		z, x, y := chi.URLParam(req, "z"), chi.URLParam(req, "x"), chi.URLParam(req, "y")
		t, err := tiles.ParseTile(z, x, y)
		switch {
		case err != nil && land.KindOf(err) != land.Invalid:
			fail("tile %s/%s/%s: %v is not Invalid", z, x, y, err)
		case err == nil && geo.ValidTile(t.Z, t.X, t.Y) != nil:
			fail("tile %s/%s/%s accepted as %v", z, x, y, t)
		}
	})
	return r
}
