package geo

import "fmt"

// Well-known SRIDs.
const (
	CGCS2000    = 4490 // CGCS2000 geographic; every layer is stored in it
	WGS84       = 4326
	CRS84       = 4326 // lon/lat order of OGC CRS84 is what tudi emits for 4326 too
	WebMercator = 3857
	Xian80      = 4610
	Beijing54   = 4214
)

// CGCS2000 Gauss-Krüger zones in the EPSG registry:
//   - 4491–4501: 6° zones 13–23 with the zone number in the false easting;
//   - 4502–4512: the same 6° zones without it (central meridian 75°E–135°E);
//   - 4513–4533: 3° zones 25–45 with the zone number in the false easting;
//   - 4534–4554: the same 3° zones without it (central meridian 75°E–135°E).

// GKZone describes a Gauss-Krüger zone of CGCS2000.
type GKZone struct {
	SRID            int
	Width           int     // 3 or 6 degrees
	Zone            int     // zone number
	CentralMeridian float64 // degrees east
	FalseEasting    float64 // metres: 500000, or zone*1e6+500000 with the prefix
	Prefixed        bool    // false easting carries the zone number
}

// CGCS2000GK returns the CGCS2000 Gauss-Krüger zone of an EPSG code in
// 4491–4554.
func CGCS2000GK(srid int) (GKZone, bool) {
	switch {
	case srid >= 4491 && srid <= 4501:
		z := srid - 4491 + 13
		return GKZone{srid, 6, z, float64(z*6 - 3), float64(z)*1e6 + 500000, true}, true
	case srid >= 4502 && srid <= 4512:
		z := srid - 4502 + 13
		return GKZone{srid, 6, z, float64(z*6 - 3), 500000, false}, true
	case srid >= 4513 && srid <= 4533:
		z := srid - 4513 + 25
		return GKZone{srid, 3, z, float64(z * 3), float64(z)*1e6 + 500000, true}, true
	case srid >= 4534 && srid <= 4554:
		z := srid - 4534 + 25
		return GKZone{srid, 3, z, float64(z * 3), 500000, false}, true
	}
	return GKZone{}, false
}

// CGCS2000GK3 returns the EPSG code of the CGCS2000 3° zone with central
// meridian cm (75..135, a multiple of 3), with or without the zone prefix.
func CGCS2000GK3(cm int, prefixed bool) (int, error) {
	if cm < 75 || cm > 135 || cm%3 != 0 {
		return 0, fmt.Errorf("no CGCS2000 3-degree zone has central meridian %d", cm)
	}
	if prefixed {
		return 4513 + cm/3 - 25, nil
	}
	return 4534 + cm/3 - 25, nil
}

// SupportedSRIDs are the output CRSs tudi offers besides the GK zones.
var SupportedSRIDs = []int{CGCS2000, WGS84, WebMercator}

// IsSupportedSRID reports whether srid is a CRS tudi can emit and accept in
// requests: CGCS2000, WGS84, Web Mercator or a CGCS2000 GK zone.
func IsSupportedSRID(srid int) bool {
	if _, ok := CGCS2000GK(srid); ok {
		return true
	}
	for _, s := range SupportedSRIDs {
		if s == srid {
			return true
		}
	}
	return false
}
