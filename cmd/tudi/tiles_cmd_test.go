package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// TestTilesOfTheSampleDistrict checks the tile side end to end on the
// embedded default: a QGIS-like XYZ request, then tudi tiles seed and export
// on the same data directory (attaching to the running server's cluster).
func TestTilesOfTheSampleDistrict(t *testing.T) {
	base := sharedServer(t)
	var cat struct {
		Layers []struct {
			Name   string    `json:"name"`
			Bounds []float64 `json:"bounds"`
		} `json:"layers"`
	}
	getJSON(t, base+"/tiles", 200, &cat)
	var b []float64
	for _, l := range cat.Layers {
		if l.Name == "parcels" {
			b = l.Bounds
		}
	}
	if len(b) != 4 {
		t.Fatalf("no parcels in the catalog: %+v", cat)
	}

	t.Run("an XYZ request like QGIS's gets a gzip tile with Content-Encoding and the parcels layer", func(t *testing.T) {
		tile := maptile.At(orb.Point{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}, 14)
		req, _ := http.NewRequest(http.MethodGet, base+fmt.Sprintf("/tiles/parcels/14/%d/%d.mvt", tile.X, tile.Y), nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate")
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("status %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		ls, err := mvt.UnmarshalGzipped(body.Bytes())
		if err != nil || len(ls) != 1 || ls[0].Name != "parcels" || len(ls[0].Features) == 0 {
			t.Fatalf("tile: %v, %d layers", err, len(ls))
		}
	})

	run := func(args ...string) (int, string) {
		var out, errb syncBuffer
		code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String() + errb.String()
	}
	t.Run("tudi tiles seed pre-renders a zoom of the sample", func(t *testing.T) {
		code, out := run("tiles", "seed", "--data-dir", shared.dataDir, "--layers", "parcels,farmland", "--zoom", "13")
		if code != 0 || !strings.Contains(out, "seeded") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	for _, ext := range []string{"mbtiles", "pmtiles"} {
		t.Run("tudi tiles export writes a ."+ext+" file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "district."+ext)
			code, out := run("tiles", "export", "--data-dir", shared.dataDir, "--layers", "parcels,boundaries", "--zoom", "10-12", "--out", path)
			fi, err := os.Stat(path)
			if code != 0 || err != nil || fi.Size() < 1000 || !strings.Contains(out, "wrote") {
				t.Fatalf("exit %d, %v:\n%s", code, err, out)
			}
		})
	}
	t.Run("bad flags exit with 2 and say what is wrong", func(t *testing.T) {
		for _, args := range [][]string{
			{"tiles", "seed", "--layers", "parcels"},
			{"tiles", "seed", "--layers", "parcels", "--zoom", "9-x"},
			{"tiles", "export", "--layers", "parcels", "--zoom", "9", "--out", "x.zip"},
			{"tiles", "render"},
		} {
			if code, out := run(args...); code != 2 || out == "" {
				t.Errorf("%q: exit %d, output %q", args, code, out)
			}
		}
	})
}
