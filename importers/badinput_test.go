package importers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tudi/land"
)

// copyShapefile copies the sample's parcels shapefile (all sidecars) into
// a new directory and returns the new .shp path.
func copyShapefile(tb testing.TB, dir, name string) string {
	tb.Helper()
	out := tb.TempDir()
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		b, err := os.ReadFile(filepath.Join(dir, name+ext))
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(out, name+ext), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(out, name+".shp")
}

func TestBadInputLeavesTheLayerUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir, _ := MustSample(t)
	e.MustImport(t, Request{Layer: "parcels", Files: []string{filepath.Join(dir, "parcels.shp")}})
	before := e.MustState(t, "parcels")
	if before.Rows < 2000 {
		t.Fatalf("sample parcels: %+v", before)
	}
	shpSize := len(mustRead(t, filepath.Join(dir, "parcels.shp")))

	// A GeoJSON file with a syntax error at feature 90 000.
	var gj bytes.Buffer
	gj.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
	for i := 1; i <= 90000; i++ {
		if i > 1 {
			gj.WriteString(",\n")
		}
		if i == 90000 {
			gj.WriteString(`{"type":"Feature","geometry":{"type":"Point","coordinates":[113.3,23.1]},"properties":{"DKBH":"x" "y"}}`)
			continue
		}
		fmt.Fprintf(&gj, `{"type":"Feature","geometry":{"type":"Point","coordinates":[113.%d,23.1]},"properties":{"DKBH":"P%d"}}`, i%1000, i)
	}
	gj.WriteString("\n]}\n")

	cases := []struct {
		name  string
		make  func(t *testing.T) Request
		kind  land.ErrorKind
		words []string // the message names file and record
	}{
		{"a .shp cut inside a record", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.Truncate(p, int64(shpSize/2))
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.shp", "record", "truncated"}},
		{"a .shp cut between records", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			// Find a record boundary by walking the records.
			b := mustRead(t, p)
			off := 100
			for n := 0; n < 1000; n++ {
				off += 8 + 2*int(uint32(b[off+4])<<24|uint32(b[off+5])<<16|uint32(b[off+6])<<8|uint32(b[off+7]))
			}
			os.Truncate(p, int64(off))
			os.Remove(strings.TrimSuffix(p, ".shp") + ".shx")
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.shp", "truncated", "record 1000"}},
		{"a .dbf with another record count than the .shx", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.WriteFile(strings.TrimSuffix(p, ".shp")+".dbf", mustRead(t, filepath.Join(dir, "farmland.dbf")), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.dbf", "records", "parcels.shx"}},
		{"a .dbf with fewer records than the .shp and no .shx", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.WriteFile(strings.TrimSuffix(p, ".shp")+".dbf", mustRead(t, filepath.Join(dir, "farmland.dbf")), 0o644)
			os.Remove(strings.TrimSuffix(p, ".shp") + ".shx")
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.shp", "more shapes than", "parcels.dbf"}},
		{"a missing .dbf", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.Remove(strings.TrimSuffix(p, ".shp") + ".dbf")
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.shp", ".dbf", "missing"}},
		{"a zip holding no shapefile", func(t *testing.T) Request {
			return Request{Files: []string{MustZip(t, filepath.Join(t.TempDir(), "empty.zip"), [][2]string{{"readme.txt", "nothing here"}, {"data/notes.doc", "x"}})}}
		}, land.Invalid, []string{"empty.zip", "no shapefile", "readme.txt"}},
		{"a zip with ../ paths", func(t *testing.T) Request {
			return Request{Files: []string{MustZip(t, filepath.Join(t.TempDir(), "evil.zip"), [][2]string{
				{"../../parcels.shp", filepath.Join(dir, "parcels.shp")}, {"parcels.dbf", filepath.Join(dir, "parcels.dbf")}})}}
		}, land.Invalid, []string{"evil.zip", "../../parcels.shp", "refused"}},
		{"a zip with an absolute path", func(t *testing.T) Request {
			return Request{Files: []string{MustZip(t, filepath.Join(t.TempDir(), "abs.zip"), [][2]string{{"/etc/parcels.shp", "x"}})}}
		}, land.Invalid, []string{"abs.zip", "/etc/parcels.shp", "refused"}},
		{"a zip holding two shapefiles without --source-layer", func(t *testing.T) Request {
			var entries [][2]string
			for _, n := range []string{"parcels", "farmland"} {
				for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
					entries = append(entries, [2]string{"export/" + n + ext, filepath.Join(dir, n+ext)})
				}
			}
			return Request{Files: []string{MustZip(t, filepath.Join(t.TempDir(), "two.zip"), entries)}}
		}, land.Invalid, []string{"two.zip", "export/parcels.shp", "export/farmland.shp", "--source-layer"}},
		{"an unknown encoding name in the .cpg", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.WriteFile(strings.TrimSuffix(p, ".shp")+".cpg", []byte("KLINGON-8"), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.cpg", "KLINGON-8"}},
		{"an unknown --encoding", func(t *testing.T) Request {
			return Request{Files: []string{copyShapefile(t, dir, "parcels")}, Encoding: "EBCDIC-KLINGON"}
		}, land.Invalid, []string{"--encoding", "EBCDIC-KLINGON"}},
		{"a .prj that cannot be parsed", func(t *testing.T) Request {
			p := copyShapefile(t, dir, "parcels")
			os.WriteFile(strings.TrimSuffix(p, ".shp")+".prj", []byte(`PROJCS["broken",GEOGCS[`), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.prj", "--srid"}},
		{"GeoJSON with a syntax error at feature 90 000", func(t *testing.T) Request {
			p := filepath.Join(t.TempDir(), "big.geojson")
			os.WriteFile(p, gj.Bytes(), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"big.geojson", "feature 90000", "syntax"}},
		{"GeoJSON cut in the middle", func(t *testing.T) Request {
			p := filepath.Join(t.TempDir(), "cut.geojson")
			os.WriteFile(p, gj.Bytes()[:gj.Len()/3], 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"cut.geojson", "feature", "truncated"}},
		{"a file type tudi does not read", func(t *testing.T) Request {
			p := filepath.Join(t.TempDir(), "parcels.xls")
			os.WriteFile(p, []byte("x"), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.xls", "unsupported"}},
		{"an .xlsx that is not a workbook", func(t *testing.T) Request {
			p := filepath.Join(t.TempDir(), "parcels.xlsx")
			os.WriteFile(p, []byte("x"), 0o644)
			return Request{Files: []string{p}}
		}, land.Invalid, []string{"parcels.xlsx", "not a readable .xlsx workbook"}},
		{"a --map onto a field the kind does not have", func(t *testing.T) Request {
			return Request{Files: []string{filepath.Join(dir, "parcels.shp")}, Map: map[string]string{"colour": "DKBH"}}
		}, land.Invalid, []string{"--map", "colour"}},
		{"a --map from a field the file does not have", func(t *testing.T) Request {
			return Request{Files: []string{filepath.Join(dir, "parcels.shp")}, Map: map[string]string{"code": "NOPE"}}
		}, land.Invalid, []string{"--map", "NOPE", "parcels.shp"}},
		{"an SRID PostGIS does not know", func(t *testing.T) Request {
			return Request{Files: []string{filepath.Join(dir, "parcels.shp")}, SRID: 999999}
		}, land.Invalid, []string{"999999"}},
		{"a zip bomb", func(t *testing.T) Request {
			return Request{Files: []string{MustZip(t, filepath.Join(t.TempDir(), "bomb.zip"), [][2]string{{"a.geojson", strings.Repeat(" ", 3<<20)}})}}
		}, land.TooLarge, []string{"bomb.zip", "a.geojson"}},
	}
	e.im.maxUnzipped = 2 << 20
	for _, c := range cases {
		t.Run(c.name+" is refused and the layer stays as it was", func(t *testing.T) {
			req := c.make(t)
			req.Layer = "parcels"
			imp, err := e.im.Import(ctx, req)
			if err == nil {
				t.Fatalf("import succeeded: %+v", imp.Summary)
			}
			if land.KindOf(err) != c.kind {
				t.Errorf("error kind %s, want %s: %v", land.KindOf(err), c.kind, err)
			}
			msg := land.MessageOf(err)
			t.Logf("%s", msg)
			for _, w := range c.words {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			if after := e.MustState(t, "parcels"); after != before {
				t.Errorf("layer changed: %+v → %+v", before, after)
			}
			if imp == nil || imp.ID == 0 || imp.Status != "failed" {
				t.Fatalf("failed import not recorded: %+v", imp)
			}
			rec, ferr := e.db.FindImport(ctx, imp.ID)
			if ferr != nil || rec.Status != "failed" || rec.Error == "" || len(rec.Files) == 0 || rec.Files[0].Name == "" {
				t.Errorf("history: %+v %v", rec, ferr)
			}
		})
	}
	e.im.maxUnzipped = defaultMaxUnzipped

	t.Run("a missing .shx is no obstacle: records are read in sequence", func(t *testing.T) {
		p := copyShapefile(t, dir, "parcels")
		os.Remove(strings.TrimSuffix(p, ".shp") + ".shx")
		imp := e.MustImport(t, Request{Layer: "parcels_noshx", Files: []string{p}})
		if imp.Summary.Loaded != before.Rows || !strings.Contains(strings.Join(imp.Summary.Notes, " "), ".shx") {
			t.Fatalf("loaded %d of %d, notes %q", imp.Summary.Loaded, before.Rows, imp.Summary.Notes)
		}
	})
	t.Run("a zip with the shapefile in a sub-folder loads", func(t *testing.T) {
		var entries [][2]string
		for _, n := range []string{"parcels", "farmland"} {
			for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
				if _, err := os.Stat(filepath.Join(dir, n+ext)); err == nil {
					entries = append(entries, [2]string{"2024/export/" + n + ext, filepath.Join(dir, n+ext)})
				}
			}
		}
		z := MustZip(t, filepath.Join(t.TempDir(), "bureau.zip"), entries)
		imp := e.MustImport(t, Request{Layer: "parcels_zip", Files: []string{z}, SourceLayer: "parcels"})
		if imp.Summary.Loaded != before.Rows || imp.Summary.Encoding != "GBK" || imp.Summary.SRID != 4526 {
			t.Fatalf("zip import: %+v", imp.Summary)
		}
	})
	t.Run("a cancelled import changes nothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		req := Request{Layer: "parcels", Files: []string{filepath.Join(dir, "parcels.shp")},
			Progress: func(read, total int64) { cancel() }}
		if _, err := e.im.Import(cctx, req); err == nil {
			t.Fatal("a cancelled import succeeded")
		}
		if after := e.MustState(t, "parcels"); after != before {
			t.Errorf("layer changed: %+v → %+v", before, after)
		}
	})
}
