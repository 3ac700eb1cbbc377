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
	"time"

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

// TestATileIsFreshRightAfterTudiImport imports a layer four times with
// `tudi import` (its own database pool and connections, as in another
// process) while `tudi serve` runs, and asks the server for a tile over it
// right after each import returns: the tile always shows what was just imported, and
// between imports the server answers from its in-memory registry.
func TestATileIsFreshRightAfterTudiImport(t *testing.T) {
	base := sharedServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "fresh.geojson")
	const lon, lat = 113.30, 23.10
	importName := func(name string) {
		t.Helper()
		gj := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"DKBH":"F1","DLMC":%q},
			"geometry":{"type":"Polygon","coordinates":[[[%[2]f,%[3]f],[%[4]f,%[3]f],[%[4]f,%[5]f],[%[2]f,%[5]f],[%[2]f,%[3]f]]]}}]}`,
			name, lon, lat, lon+0.001, lat+0.001)
		if err := os.WriteFile(file, []byte(gj), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb syncBuffer
		code := RunEnv(context.Background(), []string{"import", "--data-dir", shared.dataDir, "--layer", "fresh_parcels",
			"--kind", "parcels", "--map", "code=DKBH", "--map", "landuse_name=DLMC", file},
			Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		if code != 0 {
			t.Fatalf("import exit %d: %s %s", code, out.String(), errb.String())
		}
	}
	tile := maptile.At(orb.Point{lon + 0.0005, lat + 0.0005}, 16)
	url := base + fmt.Sprintf("/tiles/fresh_parcels/16/%d/%d.mvt", tile.X, tile.Y)
	nameInTile := func() string {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(res.Body)
		ls, err := mvt.Unmarshal(body.Bytes())
		if err != nil || len(ls) != 1 || len(ls[0].Features) != 1 {
			t.Fatalf("status %d: %v", res.StatusCode, err)
		}
		return fmt.Sprint(ls[0].Features[0].Properties["landuse_name"])
	}
	checks := func() float64 {
		t.Helper()
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(res.Body)
		for line := range strings.Lines(body.String()) {
			if v, ok := strings.CutPrefix(line, "tudi_tile_registry_checks_total "); ok {
				var f float64
				fmt.Sscan(v, &f)
				return f
			}
		}
		t.Fatal("no tudi_tile_registry_checks_total in /metrics")
		return 0
	}
	for i := range 4 {
		name := fmt.Sprintf("第%d版", i)
		importName(name)
		if got := nameInTile(); got != name {
			t.Fatalf("import %d: the tile right after it says %q, want %q", i, got, name)
		}
		// Once the fence is lifted and heard, requests need no registry query.
		deadline := time.Now().Add(10 * time.Second)
		for {
			before := checks()
			if nameInTile() != name {
				t.Fatal("the tile changed back")
			}
			if checks() == before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("every tile request still reads the registry in the database 10 s after the import")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
