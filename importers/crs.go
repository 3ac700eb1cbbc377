package importers

import (
	"fmt"

	"github.com/paulmach/orb"

	"tudi/geo"
	"tudi/land"
)

// WGS84 is EPSG:4326, the system of RFC 7946 GeoJSON.
const WGS84 = 4326

// inLonLat reports whether b lies within longitude -180..180 and latitude
// -90..90 (with a margin for rounding at the antimeridian and the poles).
func inLonLat(b orb.Bound) bool {
	const eps = 1e-7
	return b.Min[0] >= -180-eps && b.Max[0] <= 180+eps && b.Min[1] >= -90-eps && b.Max[1] <= 90+eps
}

// extentCheck is a coordinate system decided before the whole file was
// read (from its first feature), to be confirmed on the whole extent at the
// end of the read, before anything is committed.
type extentCheck struct {
	srid int
	// rule words the decision for the error message.
	rule string
	// fits tells whether one feature's extent agrees with the decision.
	fits func(orb.Bound) bool
	// whole tells whether the file's extent agrees with the decision.
	whole func(orb.Bound) bool
	// hint ends the error message.
	hint string
}

// extentTracker accumulates the extent of the features read, in the
// source coordinates, and the first feature that disagrees with a
// tentative coordinate system.
type extentTracker struct {
	check    *extentCheck
	n        int64
	extent   orb.Bound
	firstBad int64
	badAt    orb.Bound
}

func (t *extentTracker) add(num int64, g orb.Geometry) {
	if t.check == nil || g == nil {
		return
	}
	b := g.Bound()
	if t.n == 0 {
		t.extent = b
	} else {
		t.extent = t.extent.Union(b)
	}
	t.n++
	if t.firstBad == 0 && !t.check.fits(b) {
		t.firstBad, t.badAt = num, b
	}
}

// confirm is called at the end of the read: an error when the whole extent
// contradicts the coordinate system decided from the first feature.
func (t *extentTracker) confirm(file string) error {
	if t.check == nil || t.n == 0 || (t.firstBad == 0 && t.check.whole(t.extent)) {
		return nil
	}
	e := t.extent
	bad := ""
	if t.firstBad != 0 {
		bad = fmt.Sprintf(", and feature %d lies at %s, outside it", t.firstBad, fmtBound(t.badAt))
	}
	return land.Errorf(land.Invalid, "%s: %s; but the %d features with a geometry span %s%s: cannot tell the coordinate system (%s)",
		file, t.check.rule, t.n, fmtBound(e), bad, t.check.hint)
}

func fmtBound(b orb.Bound) string {
	if b.Min == b.Max {
		return fmt.Sprintf("(%.10g, %.10g)", b.Min[0], b.Min[1])
	}
	return fmt.Sprintf("x %.10g..%.10g, y %.10g..%.10g", b.Min[0], b.Max[0], b.Min[1], b.Max[1])
}

// geojsonSRID decides the coordinate system of a GeoJSON file without a crs
// member (and without --srid) from its first feature: longitude/latitude
// (RFC 7946: WGS 84, stored as CGCS2000, which differs by under a metre)
// when it lies within -180..180, -90..90, else the Gauss-Krüger guess of
// files without a .prj. Either is confirmed on the whole extent at the end
// of the read.
func geojsonSRID(info *sourceInfo, first *feature) (*extentCheck, error) {
	if first == nil || first.Geom == nil || inLonLat(first.Geom.Bound()) {
		info.SRID, info.SRIDSource, info.lonLatAsCGCS = WGS84, "geojson without a crs member: RFC 7946 longitude/latitude (WGS 84), stored as CGCS2000", true
		return &extentCheck{
			srid:  WGS84,
			rule:  "a GeoJSON file without a crs member holds longitude/latitude (RFC 7946), within -180..180, -90..90",
			fits:  inLonLat,
			whole: inLonLat,
			hint:  "give --srid, or a crs member in the file",
		}, nil
	}
	b := first.Geom.Bound()
	srid, why, err := geo.GuessSRID(b)
	if err != nil || srid == geo.CGCS2000 {
		return nil, land.Errorf(land.Invalid, "%s has no crs member and its first feature, at %s, is not longitude/latitude: %v (--srid)", info.File, fmtBound(b), err)
	}
	info.SRID, info.SRIDSource = srid, "guessed"
	note := fmt.Sprintf("WARNING: %s has no crs member and is not longitude/latitude; %s. If that is wrong, import again with --srid.", info.File, why)
	info.Notes = append(info.Notes, note)
	return gkCheck(srid, why), nil
}

// gkCheck confirms a Gauss-Krüger zone (or any system) guessed from the
// first feature: the whole extent must lead to the same guess.
func gkCheck(srid int, why string) *extentCheck {
	same := func(b orb.Bound) bool {
		s, _, err := geo.GuessSRID(b)
		return err == nil && s == srid
	}
	return &extentCheck{
		srid:  srid,
		rule:  fmt.Sprintf("the first feature was taken for EPSG:%d (%s)", srid, why),
		fits:  same,
		whole: same,
		hint:  "give --srid",
	}
}
