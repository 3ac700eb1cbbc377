package ogc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"tudi/geo"
	"tudi/land"
)

// CRS URIs of OGC API Features Part 2.
const (
	uriCRS84   = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	uriEPSG    = "http://www.opengis.net/def/crs/EPSG/0/"
	uriTRS8601 = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
)

// crs is a coordinate reference system tudi accepts in crs, bbox-crs and
// filter-crs, and emits.
type crs struct {
	URI  string
	SRID int // PostGIS SRID; CRS84 maps to 4490, the storage CRS
	// NorthFirst: the EPSG definition orders the axes latitude/northing
	// first. OGC API Features Part 2 requires coordinates in the axis order
	// of the requested CRS, so EPSG:4490 and EPSG:4326 are lat/lon and the
	// CGCS2000 Gauss-Krüger zones (EPSG:4491–4554, axes "northing (X),
	// easting (Y)") are northing/easting; only CRS84 and EPSG:3857 are x/y.
	NorthFirst bool
	Degrees    bool
}

// crs84 is the default of every CRS parameter. Geometries are stored in
// CGCS2000 (EPSG:4490); CGCS2000 and WGS 84 agree to a few centimetres, and
// PROJ has no transformation between them beyond the null one, so CRS84 is
// served from the stored coordinates without ST_Transform.
var crs84 = crs{URI: uriCRS84, SRID: geo.CGCS2000, Degrees: true}

// transformed reports whether geometries need ST_Transform from/to storage.
func (c crs) transformed() bool {
	return c.SRID != geo.CGCS2000 && c.SRID != geo.WGS84
}

// decimals is the number of decimals worth emitting: 1e-9° ≈ 0.1 mm, 1 mm in metres.
func (c crs) decimals() int {
	if c.Degrees {
		return 9
	}
	return 3
}

// supportedCRS lists every CRS tudi serves, CRS84 first.
func supportedCRS() []crs {
	out := []crs{crs84}
	for _, s := range geo.SupportedSRIDs {
		c, _ := crsOfSRID(s)
		out = append(out, c)
	}
	for s := 4491; s <= 4554; s++ {
		c, _ := crsOfSRID(s)
		out = append(out, c)
	}
	return out
}

func supportedURIs() []string {
	var out []string
	for _, c := range supportedCRS() {
		out = append(out, c.URI)
	}
	return out
}

func crsOfSRID(srid int) (crs, bool) {
	if !geo.IsSupportedSRID(srid) {
		return crs{}, false
	}
	c := crs{URI: uriEPSG + strconv.Itoa(srid), SRID: srid}
	switch srid {
	case geo.CGCS2000, geo.WGS84:
		c.NorthFirst, c.Degrees = true, true
	case geo.WebMercator:
	default: // Gauss-Krüger zones: northing first
		c.NorthFirst = true
	}
	return c, true
}

// parseCRS reads a CRS parameter: the OGC URIs, and for convenience the
// forms EPSG:4490, [EPSG:4490], urn:ogc:def:crs:EPSG::4490, CRS84. Anything
// else is an Invalid error naming the parameter.
func parseCRS(param, s string) (crs, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	v = strings.Replace(v, "https://", "http://", 1)
	switch u := strings.ToUpper(v); {
	case u == "CRS84" || u == "OGC:CRS84" || v == uriCRS84 || v == "http://www.opengis.net/def/crs/OGC/0/CRS84" || u == "URN:OGC:DEF:CRS:OGC:1.3:CRS84":
		return crs84, nil
	}
	code := ""
	switch u := strings.ToUpper(v); {
	case strings.HasPrefix(v, uriEPSG):
		code = strings.TrimPrefix(v, uriEPSG)
	case strings.HasPrefix(u, "EPSG:"):
		code = v[len("EPSG:"):]
	case strings.HasPrefix(u, "URN:OGC:DEF:CRS:EPSG:"):
		code = v[strings.LastIndex(v, ":")+1:]
	}
	if n, err := strconv.Atoi(code); err == nil {
		if c, ok := crsOfSRID(n); ok {
			return c, nil
		}
	}
	return crs{}, land.Errorf(land.Invalid, "%s: unsupported CRS %q (use %s, EPSG:4490, EPSG:4326, EPSG:3857 or a CGCS2000 Gauss-Krüger zone EPSG:4491–4554 as %s<code>)", param, s, uriCRS84, uriEPSG)
}

// contentCRS is the value of the Content-Crs header.
func (c crs) contentCRS() string { return "<" + c.URI + ">" }

// inputSRID is the SRID to give geometries read in c: CRS84 and EPSG:4326
// are taken as the storage CRS (see crs84).
func (c crs) inputSRID() int {
	if !c.transformed() {
		return geo.CGCS2000
	}
	return c.SRID
}

// geomOut returns the SQL expression of the stored geometry column col in c,
// with axes swapped when c orders them north first (ST_FlipCoordinates, as
// GeoJSON writers always write the first two ordinates in storage order).
// Polygons leave with counter-clockwise exterior rings and clockwise holes,
// as RFC 7946 §3.1.6 requires, whatever the source file's order:
// ST_ForcePolygonCCW computes each ring's signed area once and reverses it
// only when needed, a cost lost in ST_AsGeoJSON's. It runs on lon/lat, before
// a transformation (conformal, so orientation-preserving) and before
// swapping axes, which mirrors the ring: the orientation is geographic.
func (c crs) geomOut(col string) string {
	e := "ST_ForcePolygonCCW(" + col + ")"
	if c.transformed() {
		e = fmt.Sprintf("ST_Transform(%s, %d)", e, c.SRID)
	}
	if c.NorthFirst {
		e = "ST_FlipCoordinates(" + e + ")"
	}
	return e
}

// geomIn returns the SQL expression that turns a geometry given in c (WKB
// in parameter p, in c's axis order) into a storage geometry (EPSG:4490,
// lon/lat).
func (c crs) geomIn(p string) string {
	e := fmt.Sprintf("ST_GeomFromWKB(%s, %d)", p, c.inputSRID())
	if c.NorthFirst {
		e = "ST_FlipCoordinates(" + e + ")"
	}
	if c.transformed() {
		e = fmt.Sprintf("ST_Transform(%s, %d)", e, geo.CGCS2000)
	}
	return e
}

// webMercatorMax is the half width of EPSG:3857's square world, in metres.
const webMercatorMax = 20037508.342789244

// checkPosition refuses a position (x, y in c's axis order) that lies
// outside the CRS's domain, where PostGIS's ST_Transform would fail (a 500)
// or a degree is no degree: longitude -180..180 and latitude -90..90; in
// EPSG:3857 the square world; in a Gauss-Krüger zone at most 1 000 km from
// the central meridian and 10 000 km from the equator, well beyond China in
// any zone and within what PROJ's transverse Mercator inverts.
func (c crs) checkPosition(p [2]float64) error {
	x, y := p[0], p[1]
	if c.NorthFirst {
		x, y = y, x
	}
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return fmt.Errorf("coordinates must be finite numbers")
	}
	switch {
	case c.Degrees:
		if x < -180 || x > 180 || y < -90 || y > 90 {
			return fmt.Errorf("longitude %g, latitude %g is outside -180..180, -90..90 (axis order of %s: %s)", x, y, c.URI, c.axes())
		}
	case c.SRID == geo.WebMercator:
		if math.Abs(x) > webMercatorMax || math.Abs(y) > webMercatorMax {
			return fmt.Errorf("x %g, y %g is outside the EPSG:3857 world (±%.0f m)", x, y, webMercatorMax)
		}
	default:
		z, ok := geo.CGCS2000GK(c.SRID)
		if ok && (math.Abs(x-z.FalseEasting) > 1e6 || math.Abs(y) > 1e7) {
			return fmt.Errorf("easting %g, northing %g is outside zone EPSG:%d (easting %.0f ± 1 000 000 m, northing within ±10 000 000 m; northing comes first)", x, y, c.SRID, z.FalseEasting)
		}
	}
	return nil
}

// axes names the axis order of c, for error messages.
func (c crs) axes() string {
	if c.NorthFirst {
		return "latitude first"
	}
	return "longitude first"
}
