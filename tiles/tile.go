package tiles

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"tudi/geo"
	"tudi/land"
)

// Tile addresses one tile of the XYZ scheme (y counted from the north).
type Tile struct{ Z, X, Y int }

// String returns "z/x/y".
func (t Tile) String() string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }

// ParseTile parses the z, x and y of a tile URL. Returns Invalid for
// anything but integers addressing a tile of zooms 0–24.
func ParseTile(z, x, y string) (Tile, error) {
	var t Tile
	for _, p := range []struct {
		name, s string
		v       *int
	}{{"z", z, &t.Z}, {"x", x, &t.X}, {"y", y, &t.Y}} {
		n, err := strconv.Atoi(p.s)
		if err != nil {
			return Tile{}, land.Errorf(land.Invalid, "tile %s/%s/%s: %s %q is not an integer", z, x, y, p.name, p.s)
		}
		*p.v = n
	}
	if err := geo.ValidTile(t.Z, t.X, t.Y); err != nil {
		return Tile{}, land.Wrap(land.Invalid, err, err.Error())
	}
	return t, nil
}

// boundsWithBuffer returns the lon/lat bounds of t widened by the 64/4096
// tile buffer: everything that can draw in the tile lies inside.
func (t Tile) boundsWithBuffer() orb.Bound {
	b := geo.TileBoundsLonLat(t.Z, t.X, t.Y)
	dx := (b.Max[0] - b.Min[0]) * 64 / 4096
	dy := (b.Max[1] - b.Min[1]) * 64 / 4096
	return orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
}

// ParseLayers splits a comma-separated list of layer names. Returns Invalid
// for an empty list, a bad name or a name given twice (an MVT tile cannot
// hold two layers of one name).
func ParseLayers(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, land.Errorf(land.Invalid, "no layer named: give one or more layer names separated by commas")
	}
	names := strings.Split(s, ",")
	for i, n := range names {
		if err := land.ValidateLayerName(n); err != nil {
			return nil, err
		}
		if slices.Contains(names[:i], n) {
			return nil, land.Errorf(land.Invalid, "layer %q named twice in %q", n, s)
		}
	}
	return names, nil
}

// isPolygonal reports whether a registry geometry type is (multi)polygon.
func isPolygonal(geomType string) bool {
	return strings.HasSuffix(strings.ToLower(geomType), "polygon")
}

// classField returns the canonical field that classes a kind's features
// for styling and low-zoom generalisation ("" when the kind has none).
func classField(k land.Kind) string {
	switch k {
	case land.Parcels, land.Farmland:
		return "landuse_code"
	case land.RenewalUnits:
		return "stage"
	case land.IdleLand:
		return "disposal_status"
	}
	return ""
}

// extentBound returns an orb.Bound of a [minx, miny, maxx, maxy] extent.
func extentBound(e [4]float64) orb.Bound {
	return orb.Bound{Min: orb.Point{e[0], e[1]}, Max: orb.Point{e[2], e[3]}}
}
