package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the deepest tile zoom tudi serves.
const MaxZoom = 24

// WebMercatorHalf is half the width of the Web Mercator world in metres.
const WebMercatorHalf = 20037508.342789244

// ValidTile reports whether z/x/y addresses a tile of the XYZ scheme.
func ValidTile(z, x, y int) error {
	if z < 0 || z > MaxZoom {
		return fmt.Errorf("zoom %d out of range 0..%d", z, MaxZoom)
	}
	n := 1 << uint(z)
	if x < 0 || x >= n || y < 0 || y >= n {
		return fmt.Errorf("tile %d/%d/%d out of range (x and y must be in 0..%d at zoom %d)", z, x, y, n-1, z)
	}
	return nil
}

// TileBounds3857 returns the Web Mercator (EPSG:3857) envelope of tile z/x/y
// (y counted from the north, as in XYZ).
func TileBounds3857(z, x, y int) orb.Bound {
	size := 2 * WebMercatorHalf / float64(int(1)<<uint(z))
	minx := -WebMercatorHalf + float64(x)*size
	maxy := WebMercatorHalf - float64(y)*size
	return orb.Bound{Min: orb.Point{minx, maxy - size}, Max: orb.Point{minx + size, maxy}}
}

// TileBoundsLonLat returns the lon/lat envelope of tile z/x/y.
func TileBoundsLonLat(z, x, y int) orb.Bound {
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
}

// TilesCovering returns the tile range at zoom z covering a lon/lat bound:
// x0..x1, y0..y1 inclusive.
func TilesCovering(b orb.Bound, z int) (x0, y0, x1, y1 int) {
	minLat := math.Max(b.Min[1], -85.0511287798)
	maxLat := math.Min(b.Max[1], 85.0511287798)
	tl := maptile.At(orb.Point{b.Min[0], maxLat}, maptile.Zoom(z))
	br := maptile.At(orb.Point{b.Max[0], minLat}, maptile.Zoom(z))
	return int(tl.X), int(tl.Y), int(br.X), int(br.Y)
}

// LonLatTo3857 projects a lon/lat point to Web Mercator metres.
func LonLatTo3857(p orb.Point) orb.Point {
	x := p[0] * WebMercatorHalf / 180
	lat := math.Max(math.Min(p[1], 85.0511287798), -85.0511287798)
	y := math.Log(math.Tan((90+lat)*math.Pi/360)) / (math.Pi / 180) * WebMercatorHalf / 180
	return orb.Point{x, y}
}
