package ogc_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gdalTool finds a GDAL command: CI installs gdal-bin, so a missing one is
// a broken setup, not a reason to skip.
func gdalTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install GDAL's command-line tools (Debian: apt-get install gdal-bin)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(gdalTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestGDALReadsEveryFeature runs GDAL's OAPIF driver as it is: it reads
// /collections, items?limit=10 for the schema, /api for the queryable
// parameters, and follows next links until the last page.
func TestGDALReadsEveryFeature(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	src := "OAPIF:" + ts.URL + "/ogc"

	t.Run("ogrinfo -so lists the fields, the count and the extent", func(t *testing.T) {
		out := run(t, "ogrinfo", "-so", src, "parcels")
		for _, want := range []string{"Feature Count: 250", "Extent: (113.300000, 23.100000) - (113.325000, 23.110000)",
			"code: String", "street: String", "area_m2: Real", "TEMPORAL_INTERVAL_MIN=2020-01-01"} {
			if !strings.Contains(out, want) {
				t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "props:") {
			t.Errorf("props without props=all:\n%s", out)
		}
	})
	t.Run("props=all in the connection URL adds the source attributes", func(t *testing.T) {
		// GDAL appends the query of its OAPIF: URL to every request.
		out := run(t, "ogrinfo", "-so", src+"?props=all", "parcels")
		for _, want := range []string{"Feature Count: 250", "props: String(JSON)"} {
			if !strings.Contains(out, want) {
				t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ogr2ogr downloads every feature into a GeoPackage", func(t *testing.T) {
		gpkg := filepath.Join(t.TempDir(), "out.gpkg")
		run(t, "ogr2ogr", "-f", "GPKG", gpkg, src+"?props=all", "parcels")
		out := run(t, "ogrinfo", "-so", gpkg, "parcels")
		if !strings.Contains(out, "Feature Count: 250") {
			t.Fatalf("the GeoPackage holds:\n%s", out)
		}
		// Chinese text and the source attributes survive.
		out = run(t, "ogrinfo", "-q", gpkg, "-sql", "SELECT count(*) AS n FROM parcels WHERE street = '横店街' AND props LIKE '%DKBH%'")
		if !strings.Contains(out, "n (Integer) = 84") {
			t.Fatalf("横店街 rows:\n%s", out)
		}
	})
	t.Run("a -where on a field is sent to the server and counts right", func(t *testing.T) {
		out := run(t, "ogrinfo", "-so", src, "parcels", "-where", "street = '横店街'")
		if !strings.Contains(out, "Feature Count: 84") {
			t.Fatalf("ogrinfo -where:\n%s", out)
		}
	})
	t.Run("a spatial filter is sent as bbox", func(t *testing.T) {
		out := run(t, "ogrinfo", "-so", src, "parcels", "-spat", "113.3005", "23.1005", "113.3025", "23.1015")
		if !strings.Contains(out, "Feature Count: 6") {
			t.Fatalf("ogrinfo -spat:\n%s", out)
		}
	})
}
