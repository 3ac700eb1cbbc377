package geo

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fuzzSeeds = flag.Bool("fuzzseeds", false, "rewrite the generated seeds in testdata/fuzz")

// FuzzRecognisePRJ parses any text as a .prj and recognises its CRS. Seeds
// (testdata/fuzz/FuzzRecognisePRJ) are the EPSG dataset's .prj files and
// hand-made broken ones; `go test -run TestFuzzSeeds -fuzzseeds` rewrites them.
func FuzzRecognisePRJ(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := RecognisePRJ(string(b))
		if err == nil && m.SRID <= 0 {
			t.Fatalf("RecognisePRJ = %+v without an error", m)
		}
	})
}

func TestDeeplyNestedWKTIsAnError(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{65, 1_000_000} {
		wkt := strings.Repeat("A[", depth) + "1" + strings.Repeat("]", depth)
		if _, err := ParseWKT(wkt); err == nil || !strings.Contains(err.Error(), "nested deeper") {
			t.Fatalf("depth %d: ParseWKT = %v, want a nesting error", depth, err)
		}
	}
	if _, err := ParseWKT(strings.Repeat("A[", 64) + "1" + strings.Repeat("]", 64)); err != nil {
		t.Fatalf("depth 64: %v", err)
	}
}

func TestFuzzSeeds(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "fuzz", "FuzzRecognisePRJ")
	if *fuzzSeeds {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob("testdata/prj/*.prj")
		seeds := map[string]string{
			"bad-unterminated":  `PROJCS["x`,
			"bad-unclosed":      `GEOGCS["x",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]`,
			"bad-number":        `GEOGCS["x",PRIMEM["Greenwich",1e999999],UNIT["Degree",--1]]`,
			"bad-trailing":      `GEOGCS["x"] GEOGCS["y"]`,
			"bad-deep":          strings.Repeat("A[", 100) + strings.Repeat("]", 100),
			"bad-empty":         "",
			"bom-parentheses":   "\ufeffGEOGCS(\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM(\"D_China_2000\",SPHEROID(\"CGCS2000\",6378137.0,298.257222101)),PRIMEM(\"Greenwich\",0.0),UNIT(\"Degree\",0.0174532925199433))",
			"escaped-quote":     `PROJCS["a ""b""",GEOGCS["x"],PROJECTION["Gauss_Kruger"],PARAMETER["Central_Meridian",114],UNIT["Meter",1]]`,
			"mixed-brackets":    `GEOGCS["x",DATUM("y"])`,
			"projected-no-name": `PROJCS[GEOGCS[DATUM[SPHEROID[6378140,298.257]]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000],PARAMETER["Central_Meridian",108],PARAMETER["Scale_Factor",1],UNIT["Meter",1]]`,
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seeds["epsg-"+strings.TrimSuffix(filepath.Base(f), ".prj")] = string(b)
		}
		for name, text := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", text)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if seeds, _ := filepath.Glob(filepath.Join(dir, "seed-*")); len(seeds) < 50 {
		t.Fatalf("%d seeds in %s, want at least 50: run go test -run TestFuzzSeeds -fuzzseeds", len(seeds), dir)
	}
}
