package importers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseCRSMember(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		member string
		want   int
		named  bool
	}{
		{`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}}`, 4490, true},
		{`{"type":"name","properties":{"name":"EPSG:4547"}}`, 4547, true},
		{`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG:6.6:4326"}}`, 4326, true},
		{`{"type":"name","properties":{"name":"http://www.opengis.net/def/crs/EPSG/0/3857"}}`, 3857, true},
		{`{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}`, 4326, true},
		{`{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC::crs84"}}`, 4326, true},
		{`{"type":"EPSG","properties":{"code":4490}}`, 4490, true},
		{`{"type":"EPSG","properties":{"code":"4526"}}`, 4526, true},
		{`{"type":"name","properties":{"name":"urn:ogc:def:crs:ESRI::102100"}}`, 0, true},
		{`{"type":"link","properties":{"href":"http://example.com/crs","type":"proj4"}}`, 0, true},
		{`"garbage"`, 0, true},
		{`null`, 0, false},
	} {
		got, shown := parseCRSMember(json.RawMessage(c.member))
		if got != c.want || (shown != "") != c.named {
			t.Errorf("parseCRSMember(%s) = %d, %q; want %d, named %v", c.member, got, shown, c.want, c.named)
		}
	}
}

func TestInLonLat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		b    orb.Bound
		want bool
	}{
		{orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, true},
		{orb.Bound{Min: orb.Point{-25.36, 14.8}, Max: orb.Point{-22.67, 17.2}}, true},
		{orb.Bound{Min: orb.Point{-180.5, 0}, Max: orb.Point{0, 1}}, false},
		{orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{10, 90.2}}, false},
		{orb.Bound{Min: orb.Point{38456789, 2553734}, Max: orb.Point{38456889, 2553834}}, false},
	} {
		if got := inLonLat(c.b); got != c.want {
			t.Errorf("inLonLat(%v) = %v, want %v", c.b, got, c.want)
		}
	}
}

// geojsonFile writes a FeatureCollection of squares (side d, lower left
// corners pts) with an optional crs member.
func geojsonFile(t *testing.T, dir, name, crs string, d float64, pts ...orb.Point) string {
	t.Helper()
	var fs []string
	for i, p := range pts {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{"n":%d},"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}`,
			i+1, p[0], p[1], p[0]+d, p[1], p[0]+d, p[1]+d, p[0], p[1]+d, p[0], p[1]))
	}
	head := `{"type":"FeatureCollection",`
	if crs != "" {
		head += `"crs":` + crs + `,`
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(head+`"features":[`+strings.Join(fs, ",\n")+"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGeoJSONCRSRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()

	// Before anything else: a layer whose state failed imports must keep.
	base := geojsonFile(t, dir, "base.geojson", "", 0.01, orb.Point{114, 22.5})
	e.MustImport(t, Request{Layer: "world", Kind: "generic", Files: []string{base}})
	before := e.MustState(t, "world")

	firstX := func(layer string) (x float64, srid int) {
		t.Helper()
		if err := e.db.Pool.QueryRow(ctx, `SELECT ST_XMin(geom), ST_SRID(geom) FROM layers.`+layer+` ORDER BY id LIMIT 1`).Scan(&x, &srid); err != nil {
			t.Fatal(err)
		}
		return x, srid
	}

	t.Run("no crs member: longitude/latitude anywhere on earth, judged on every feature", func(t *testing.T) {
		// Cape Verde first, then China: the first feature alone is not in
		// China, the whole file spans half the world.
		p := geojsonFile(t, dir, "world.geojson", "", 0.5, orb.Point{-24.7, 14.8}, orb.Point{116.3, 39.9}, orb.Point{-70, -54})
		imp := e.MustImport(t, Request{Layer: "lonlat", Kind: "generic", Files: []string{p}})
		s := imp.Summary
		if s.SRID != 4326 || !strings.Contains(s.SRIDSource, "RFC 7946") || s.Loaded != 3 {
			t.Fatalf("SRID %d (%s), loaded %d; want 4326 by RFC 7946, 3", s.SRID, s.SRIDSource, s.Loaded)
		}
		// Stored as CGCS2000, coordinates unchanged.
		if x, srid := firstX("lonlat"); srid != 4490 || x != -24.7 {
			t.Fatalf("stored x %v in EPSG:%d, want -24.7 in EPSG:4490", x, srid)
		}
	})
	t.Run("crs member honoured", func(t *testing.T) {
		for _, c := range []struct {
			crs  string
			srid int
			pt   orb.Point
			x    float64 // first x as stored in EPSG:4490
		}{
			{`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}}`, 4490, orb.Point{114, 22.5}, 114},
			{`{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}`, 4326, orb.Point{114, 22.5}, 114},
			{`{"type":"EPSG","properties":{"code":4326}}`, 4326, orb.Point{114, 22.5}, 114},
			// A Gauss-Krüger zone named by the member: converted.
			{`{"type":"name","properties":{"name":"EPSG:4526"}}`, 4526, orb.Point{38500000, 2500000}, 114},
		} {
			p := geojsonFile(t, dir, "crs.geojson", c.crs, 0.01, c.pt)
			imp := e.MustImport(t, Request{Layer: "named", Kind: "generic", Mode: "replace", Files: []string{p}})
			if imp.Summary.SRID != c.srid || imp.Summary.SRIDSource != "geojson crs member" {
				t.Errorf("%s: SRID %d (%s), want %d from the crs member", c.crs, imp.Summary.SRID, imp.Summary.SRIDSource, c.srid)
			}
			if x, _ := firstX("named"); x < c.x-1e-6 || x > c.x+1e-6 {
				t.Errorf("%s: stored x %v, want %v", c.crs, x, c.x)
			}
		}
	})
	t.Run("a crs member naming no EPSG code is an error, --srid overrides it", func(t *testing.T) {
		crs := `{"type":"name","properties":{"name":"urn:ogc:def:crs:ESRI::102100"}}`
		p := geojsonFile(t, dir, "esri.geojson", crs, 0.01, orb.Point{114, 22.5})
		_, err := e.im.Import(ctx, Request{Layer: "world", Files: []string{p}})
		if err == nil || !strings.Contains(err.Error(), "ESRI::102100") || !strings.Contains(err.Error(), "--srid") {
			t.Fatalf("err = %v, want one naming the crs member and --srid", err)
		}
		imp := e.MustImport(t, Request{Layer: "esri", Kind: "generic", SRID: 4490, Files: []string{p}})
		if imp.Summary.SRID != 4490 || imp.Summary.SRIDSource != "flag" {
			t.Fatalf("SRID %d (%s), want 4490 by flag", imp.Summary.SRID, imp.Summary.SRIDSource)
		}
	})
	t.Run("no crs member, Gauss-Krüger eastings with a zone number: guessed, confirmed on the whole extent", func(t *testing.T) {
		p := geojsonFile(t, dir, "gk.geojson", "", 10, orb.Point{38500000, 2500000}, orb.Point{38510000, 2510000})
		imp := e.MustImport(t, Request{Layer: "gk", Kind: "generic", Files: []string{p}})
		if imp.Summary.SRID != 4526 || imp.Summary.SRIDSource != "guessed" || !strings.Contains(strings.Join(imp.Summary.Notes, " "), "WARNING") {
			t.Fatalf("SRID %d (%s), notes %v; want 4526 guessed with a warning", imp.Summary.SRID, imp.Summary.SRIDSource, imp.Summary.Notes)
		}
	})
	for _, c := range []struct {
		name string
		pts  []orb.Point
		want []string
	}{
		{"longitude/latitude first, then eastings", []orb.Point{{114, 22.5}, {115, 23}, {38500000, 2500000}},
			[]string{"longitude/latitude", "feature 3", "38500000", "--srid"}},
		{"one zone first, then another", []orb.Point{{38500000, 2500000}, {39500000, 2500000}},
			[]string{"EPSG:4526", "38500000", "39500010", "--srid"}},
	} {
		t.Run("no crs member, "+c.name+": an error showing the extent, the layer unchanged", func(t *testing.T) {
			p := geojsonFile(t, dir, "mixed.geojson", "", 10, c.pts...)
			imp, err := e.im.Import(ctx, Request{Layer: "world", Mode: "replace", Files: []string{p}})
			if err == nil {
				t.Fatalf("imported %+v, want an error", imp.Summary)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after := e.MustState(t, "world"); after != before {
				t.Fatalf("layer changed by a failed import: %+v → %+v", before, after)
			}
		})
	}
	t.Run("no crs member, the first feature neither degrees nor a zone: the error shows it", func(t *testing.T) {
		p := geojsonFile(t, dir, "mercator.geojson", "", 10, orb.Point{12700000, 2500000})
		_, err := e.im.Import(ctx, Request{Layer: "world", Files: []string{p}})
		if err == nil || !strings.Contains(err.Error(), "12700000") || !strings.Contains(err.Error(), "--srid") {
			t.Fatalf("err = %v, want one showing the coordinates and asking for --srid", err)
		}
	})
}
