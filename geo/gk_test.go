package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// mustGKZone returns the CGCS2000 Gauss-Krüger zone of srid or fails tb.
func mustGKZone(tb testing.TB, srid int) GKZone {
	tb.Helper()
	z, ok := CGCS2000GK(srid)
	if !ok {
		tb.Fatalf("EPSG:%d is not a CGCS2000 GK zone", srid)
	}
	return z
}

// The expected values come from PostGIS 3.3.2 with PROJ 9.1.1:
//
//	SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(
//	  ST_SetSRID(ST_MakePoint(lon, lat), 4490), srid) AS g) q;
//
// rounded to 0.1 mm.
var gkKnown = []struct {
	srid     int
	lon, lat float64
	e, n     float64
}{
	{4526, 113.3, 23.1, 38428285.9562, 2555783.9288},
	{4547, 113.3, 23.1, 428285.9562, 2555783.9288},
	{4526, 114.0, 23.1, 38500000.0000, 2555612.0494},
	{4526, 115.45, 23.1, 38648558.9958, 2556349.6766},
	{4547, 112.55, 22.5, 350789.0977, 2489889.9463},
	{4526, 113.3, 0.0, 38422074.4048, 0},
	{4547, 114.9, 40.2, 576630.3133, 4452124.8294},
}

func TestGKForwardMatchesPostGIS(t *testing.T) {
	t.Parallel()
	for _, c := range gkKnown {
		t.Run(fmt.Sprintf("EPSG:%d of %g,%g", c.srid, c.lon, c.lat), func(t *testing.T) {
			got := mustGKZone(t, c.srid).Forward(orb.Point{c.lon, c.lat})
			if math.Abs(got[0]-c.e) > 0.0005 || math.Abs(got[1]-c.n) > 0.0005 {
				t.Errorf("Forward = %.4f, %.4f; PostGIS says %.4f, %.4f", got[0], got[1], c.e, c.n)
			}
		})
	}
}

func TestGKInverseMatchesPostGIS(t *testing.T) {
	t.Parallel()
	for _, c := range gkKnown {
		t.Run(fmt.Sprintf("EPSG:%d of %g,%g", c.srid, c.lon, c.lat), func(t *testing.T) {
			got := mustGKZone(t, c.srid).Inverse(orb.Point{c.e, c.n})
			// 1e-8° is about 1 mm.
			if math.Abs(got[0]-c.lon) > 1e-8 || math.Abs(got[1]-c.lat) > 1e-8 {
				t.Errorf("Inverse = %.10f, %.10f; want %g, %g", got[0], got[1], c.lon, c.lat)
			}
		})
	}
}

func TestGKRoundTripIsBelowAMillimetre(t *testing.T) {
	t.Parallel()
	for _, srid := range []int{4513, 4526, 4547, 4554, 4497, 4502} {
		z := mustGKZone(t, srid)
		half := float64(z.Width) / 2
		worst := 0.0
		for lat := 0.0; lat <= 54; lat += 1.5 {
			for dl := -half; dl <= half; dl += half / 8 {
				ll := orb.Point{z.CentralMeridian + dl, lat}
				en := z.Forward(ll)
				back := z.Forward(z.Inverse(en))
				if d := math.Hypot(back[0]-en[0], back[1]-en[1]); d > worst {
					worst = d
				}
			}
		}
		if worst > 0.001 {
			t.Errorf("EPSG:%d: worst round trip %.6f m, want < 1 mm", srid, worst)
		}
	}
}

func TestGKCentralMeridianHasScaleOne(t *testing.T) {
	t.Parallel()
	// On the central meridian the northing is the meridian arc: 1° of
	// latitude near 23°N is about 110.75 km.
	z := mustGKZone(t, 4547)
	a := z.Forward(orb.Point{114, 23})
	b := z.Forward(orb.Point{114, 24})
	if a[0] != 500000 || b[0] != 500000 {
		t.Errorf("easting on the central meridian = %f, %f; want 500000", a[0], b[0])
	}
	if d := b[1] - a[1]; d < 110700 || d > 110800 {
		t.Errorf("1° of latitude = %.1f m, want about 110750", d)
	}
}

func TestEsriWKT(t *testing.T) {
	t.Parallel()
	cases := []struct {
		srid int
		want string
	}{
		{4490, `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`},
		{4526, `PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`},
		{4547, `PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`},
	}
	for _, c := range cases {
		got, err := EsriWKT(c.srid)
		if err != nil {
			t.Fatalf("EsriWKT(%d): %v", c.srid, err)
		}
		if got != c.want {
			t.Errorf("EsriWKT(%d) =\n%s\nwant\n%s", c.srid, got, c.want)
		}
	}
	for srid, name := range map[int]string{4491: "CGCS2000_GK_Zone_13", 4512: "CGCS2000_GK_CM_135E", 4513: "CGCS2000_3_Degree_GK_Zone_25", 4534: "CGCS2000_3_Degree_GK_CM_75E"} {
		got, err := EsriWKT(srid)
		if err != nil || !strings.HasPrefix(got, `PROJCS["`+name+`",`) {
			t.Errorf("EsriWKT(%d) = %.40q, %v; want name %s", srid, got, err, name)
		}
	}
	if _, err := EsriWKT(3857); err == nil {
		t.Error("EsriWKT(3857) succeeded, want an error")
	}
}
