package geo

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestRecognisePRJFilesFromTheEPSGDataset(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/prj/*.prj")
	if err != nil || len(files) < 40 {
		t.Fatalf("testdata: %v %d files", err, len(files))
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".prj")
		want, _ := strconv.Atoi(base[strings.LastIndexByte(base, '_')+1:])
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(base+" is EPSG:"+strconv.Itoa(want), func(t *testing.T) {
			m, err := RecognisePRJ(string(b))
			if err != nil || m.SRID != want {
				t.Fatalf("RecognisePRJ = %+v, %v; want %d", m, err, want)
			}
		})
		// Without authorities and with a name nobody knows, the datum and
		// the projection parameters must still give the same code.
		anon := regexp.MustCompile(`,\s*(AUTHORITY|ID)\[[^\]]*\]`).ReplaceAllString(string(b), "")
		anon = regexp.MustCompile(`^(PROJCS|PROJCRS|GEOGCS|GEOGCRS)\["[^"]*"`).ReplaceAllString(anon, `$1["my district grid"`)
		anon = regexp.MustCompile(`(GEOGCS|BASEGEOGCRS)\["[^"]*"`).ReplaceAllString(anon, `$1["unnamed"`)
		anon = regexp.MustCompile(`DATUM\["[^"]*"`).ReplaceAllString(anon, `DATUM["unnamed"`)
		if strings.HasPrefix(base, "wkt2") {
			continue // WKT2 carries IDs in nested places; the WKT1 forms cover parameters
		}
		// A 6° zone without the zone prefix has a central meridian that is
		// also a 3° zone's; without a name the 3° zone wins.
		if w3, ok := map[int]int{4508: 4546, 2338: 2370, 21460: 2436}[want]; ok {
			want = w3
		}
		t.Run(base+" without names or authorities is EPSG:"+strconv.Itoa(want), func(t *testing.T) {
			m, err := RecognisePRJ(anon)
			if err != nil || m.SRID != want || m.By != "parameters" {
				t.Fatalf("RecognisePRJ(%s) = %+v, %v; want %d by parameters", anon, m, err, want)
			}
		})
	}
}

func TestRecognisePRJRefusesWhatItCannotName(t *testing.T) {
	t.Parallel()
	for name, wkt := range map[string]string{
		"an unparsable file":       `PROJCS["x",GEOGCS[`,
		"a UTM zone":               `PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
		"an unknown ellipsoid":     `GEOGCS["x",DATUM["y",SPHEROID["z",6000000,300]],PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]]`,
		"a zone in feet":           `PROJCS["x",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Foot",0.3048]]`,
		"trailing garbage":         `GEOGCS["GCS_WGS_1984"] extra`,
		"a vertical CRS":           `VERT_CS["Yellow Sea 1985 height",VERT_DATUM["Yellow Sea 1985",2005]]`,
		"an empty file":            ``,
		"a zone number off the CM": `PROJCS["x",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
	} {
		t.Run(name+" is an error", func(t *testing.T) {
			if m, err := RecognisePRJ(wkt); err == nil {
				t.Fatalf("RecognisePRJ = %+v, want an error", m)
			}
		})
	}
}

func TestRecognisePRJReadsTheWritersOutput(t *testing.T) {
	t.Parallel()
	for srid := 4490; srid <= 4554; srid++ {
		wkt, err := EsriWKT(srid)
		if err != nil {
			t.Fatal(err)
		}
		m, err := RecognisePRJ(wkt)
		if err != nil || m.SRID != srid || m.By != "name" {
			t.Fatalf("EPSG:%d: RecognisePRJ(EsriWKT) = %+v, %v", srid, m, err)
		}
	}
}

func TestGuessSRID(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		b    orb.Bound
		want int
	}{
		{"degrees in Guangdong are CGCS2000", orb.Bound{Min: orb.Point{113.2, 22.9}, Max: orb.Point{113.5, 23.2}}, 4490},
		{"eastings with 3° zone prefix 38 are EPSG:4526", orb.Bound{Min: orb.Point{38400000, 2540000}, Max: orb.Point{38460000, 2570000}}, 4526},
		{"eastings with 6° zone prefix 19 are EPSG:4497", orb.Bound{Min: orb.Point{19400000, 2540000}, Max: orb.Point{19460000, 2570000}}, 4497},
		{"eastings without a zone prefix cannot be guessed", orb.Bound{Min: orb.Point{400000, 2540000}, Max: orb.Point{460000, 2570000}}, 0},
		{"web mercator metres cannot be guessed", orb.Bound{Min: orb.Point{12600000, 2600000}, Max: orb.Point{12700000, 2700000}}, 0},
		{"an extent over two zones cannot be guessed", orb.Bound{Min: orb.Point{38900000, 2540000}, Max: orb.Point{39100000, 2570000}}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, why, err := GuessSRID(c.b)
			if got != c.want || (c.want == 0) != (err != nil) || (err == nil && why == "") {
				t.Fatalf("GuessSRID = %d %q %v, want %d", got, why, err, c.want)
			}
		})
	}
}
