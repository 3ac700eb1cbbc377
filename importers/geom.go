package importers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// The WKB reader and writer are written by hand: orb/encoding/wkb reads only
// 2D geometries (GeoPackages hold Z and M too); orb/encoding/ewkb can write
// EWKB with an SRID, but writes a geometry as it is, and this writer must
// close rings and drop degenerate ones on the way (recording each fix for
// the feature's problems), because PostGIS refuses a whole COPY for one
// unclosed ring.

// ewkbWriter appends 2D EWKB (little endian, with SRID) of orb geometries,
// fixing what PostGIS's parser would refuse: unclosed rings are closed,
// rings of fewer than 4 points and lines of fewer than 2 points dropped.
// fixes collects what was changed, for the feature's problems.
type ewkbWriter struct {
	buf   []byte
	srid  uint32
	fixes []string
}

const (
	wkbPoint              = 1
	wkbLineString         = 2
	wkbPolygon            = 3
	wkbMultiPoint         = 4
	wkbMultiLineString    = 5
	wkbMultiPolygon       = 6
	wkbGeometryCollection = 7
	ewkbSRIDFlag          = 0x20000000
)

// encode returns the EWKB of g, or nil when nothing is left of it (an empty
// geometry, or one made only of degenerate parts). The slice is reused by
// the next call.
func (w *ewkbWriter) encode(g orb.Geometry) []byte {
	return w.encodeWith(g, nil)
}

// encodeWith is encode with each point converted by f (when not nil) after
// the cleaning, which judges the geometry in its own coordinates.
func (w *ewkbWriter) encodeWith(g orb.Geometry, f func(orb.Point) orb.Point) []byte {
	w.fixes = w.fixes[:0]
	g = w.clean(g)
	if g == nil {
		return nil
	}
	if f != nil {
		if p, ok := g.(orb.Point); ok {
			g = f(p)
		} else {
			transform(g, f)
		}
	}
	w.buf = w.appendGeom(w.buf[:0], g, true)
	return w.buf
}

// clean closes rings and removes degenerate parts; nil when nothing is left.
func (w *ewkbWriter) clean(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		if math.IsNaN(g[0]) || math.IsNaN(g[1]) {
			w.fixes = append(w.fixes, "point with NaN coordinates")
			return nil
		}
		return g
	case orb.MultiPoint:
		if len(g) == 0 {
			return nil
		}
		return g
	case orb.LineString:
		if len(g) < 2 {
			w.fixes = append(w.fixes, fmt.Sprintf("line of %d point(s) dropped", len(g)))
			return nil
		}
		return g
	case orb.MultiLineString:
		out := g[:0:0]
		for _, l := range g {
			if c := w.clean(l); c != nil {
				out = append(out, c.(orb.LineString))
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.Ring:
		return w.clean(orb.Polygon{g})
	case orb.Polygon:
		out := g[:0:0]
		for i, r := range g {
			if len(r) > 0 && r[0] != r[len(r)-1] {
				w.fixes = append(w.fixes, fmt.Sprintf("ring %d not closed: closed", i+1))
				r = append(r[:len(r):len(r)], r[0])
			}
			if len(r) < 4 {
				w.fixes = append(w.fixes, fmt.Sprintf("ring %d of %d points dropped", i+1, len(r)))
				if i == 0 {
					return nil // no exterior, no polygon
				}
				continue
			}
			// A ring without area (its points on one line) is checked here,
			// in the source coordinates: a later transformation would bend
			// it into a valid sliver.
			if collinear(r) {
				w.fixes = append(w.fixes, fmt.Sprintf("ring %d has no area: dropped", i+1))
				if i == 0 {
					return nil
				}
				continue
			}
			out = append(out, r)
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.MultiPolygon:
		out := g[:0:0]
		for _, p := range g {
			if c := w.clean(p); c != nil {
				out = append(out, c.(orb.Polygon))
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.Collection:
		out := g[:0:0]
		for _, c := range g {
			if c := w.clean(c); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.Bound:
		return w.clean(g.ToPolygon())
	}
	return nil
}

// collinear reports whether every point of r lies on one line (or on one
// point), to within rounding.
func collinear(r []orb.Point) bool {
	p0 := r[0]
	var d orb.Point
	for _, p := range r[1:] {
		if p != p0 {
			d = orb.Point{p[0] - p0[0], p[1] - p0[1]}
			break
		}
	}
	if d == (orb.Point{}) {
		return true
	}
	dl := math.Hypot(d[0], d[1])
	for _, p := range r {
		e := orb.Point{p[0] - p0[0], p[1] - p0[1]}
		if math.Abs(d[0]*e[1]-d[1]*e[0]) > 1e-12*dl*math.Hypot(e[0], e[1]) {
			return false
		}
	}
	return true
}

func (w *ewkbWriter) header(b []byte, typ uint32, top bool) []byte {
	b = append(b, 1)
	if top {
		b = binary.LittleEndian.AppendUint32(b, typ|ewkbSRIDFlag)
		return binary.LittleEndian.AppendUint32(b, w.srid)
	}
	return binary.LittleEndian.AppendUint32(b, typ)
}

func appendPoints(b []byte, pts []orb.Point) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(pts)))
	for _, p := range pts {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
	}
	return b
}

func (w *ewkbWriter) appendGeom(b []byte, g orb.Geometry, top bool) []byte {
	switch g := g.(type) {
	case orb.Point:
		b = w.header(b, wkbPoint, top)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(g[0]))
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(g[1]))
	case orb.MultiPoint:
		b = w.header(b, wkbMultiPoint, top)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(g)))
		for _, p := range g {
			b = w.appendGeom(b, p, false)
		}
		return b
	case orb.LineString:
		b = w.header(b, wkbLineString, top)
		return appendPoints(b, g)
	case orb.MultiLineString:
		b = w.header(b, wkbMultiLineString, top)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(g)))
		for _, l := range g {
			b = w.appendGeom(b, l, false)
		}
		return b
	case orb.Polygon:
		b = w.header(b, wkbPolygon, top)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(g)))
		for _, r := range g {
			b = appendPoints(b, r)
		}
		return b
	case orb.MultiPolygon:
		b = w.header(b, wkbMultiPolygon, top)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(g)))
		for _, p := range g {
			b = w.appendGeom(b, p, false)
		}
		return b
	case orb.Collection:
		b = w.header(b, wkbGeometryCollection, top)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(g)))
		for _, c := range g {
			b = w.appendGeom(b, c, false)
		}
		return b
	}
	return b
}

// errWKB is returned for malformed WKB.
var errWKB = errors.New("malformed WKB")

// wkbReader reads WKB, ISO WKB with Z/M (1000, 2000, 3000 offsets) and EWKB
// (Z/M/SRID flags) into 2D orb geometries; hadZM says whether Z or M values
// were dropped.
type wkbReader struct {
	b     []byte
	order binary.ByteOrder
	hadZM bool
}

// parseWKB parses b; the geometry is nil for an empty collection.
func parseWKB(b []byte) (g orb.Geometry, hadZM bool, err error) {
	r := &wkbReader{b: b}
	g, err = r.geom(0)
	return g, r.hadZM, err
}

func (r *wkbReader) u32() (uint32, error) {
	if len(r.b) < 4 {
		return 0, errWKB
	}
	v := r.order.Uint32(r.b)
	r.b = r.b[4:]
	return v, nil
}

func (r *wkbReader) points(dims int) ([]orb.Point, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*uint64(dims)*8 > uint64(len(r.b)) {
		return nil, errWKB
	}
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{math.Float64frombits(r.order.Uint64(r.b)), math.Float64frombits(r.order.Uint64(r.b[8:]))}
		r.b = r.b[dims*8:]
	}
	return pts, nil
}

func (r *wkbReader) geom(depth int) (orb.Geometry, error) {
	if depth > 8 || len(r.b) < 5 {
		return nil, errWKB
	}
	switch r.b[0] {
	case 0:
		r.order = binary.BigEndian
	case 1:
		r.order = binary.LittleEndian
	default:
		return nil, errWKB
	}
	r.b = r.b[1:]
	typ, _ := r.u32()
	dims := 2
	if typ&0x80000000 != 0 { // EWKB Z
		dims++
	}
	if typ&0x40000000 != 0 { // EWKB M
		dims++
	}
	if typ&ewkbSRIDFlag != 0 {
		if _, err := r.u32(); err != nil {
			return nil, err
		}
	}
	typ &= 0x0fffffff
	switch typ / 1000 { // ISO: 1000 Z, 2000 M, 3000 ZM
	case 1, 2:
		dims++
	case 3:
		dims += 2
	}
	typ %= 1000
	if dims > 2 {
		r.hadZM = true
	}
	switch typ {
	case wkbPoint:
		if len(r.b) < dims*8 {
			return nil, errWKB
		}
		p := orb.Point{math.Float64frombits(r.order.Uint64(r.b)), math.Float64frombits(r.order.Uint64(r.b[8:]))}
		r.b = r.b[dims*8:]
		return p, nil
	case wkbLineString:
		pts, err := r.points(dims)
		return orb.LineString(pts), err
	case wkbPolygon:
		n, err := r.u32()
		if err != nil || uint64(n)*4 > uint64(len(r.b)) {
			return nil, errWKB
		}
		p := make(orb.Polygon, 0, n)
		for range n {
			pts, err := r.points(dims)
			if err != nil {
				return nil, err
			}
			p = append(p, pts)
		}
		return p, nil
	case wkbMultiPoint, wkbMultiLineString, wkbMultiPolygon, wkbGeometryCollection:
		n, err := r.u32()
		if err != nil || uint64(n)*5 > uint64(len(r.b)) {
			return nil, errWKB
		}
		var parts []orb.Geometry
		for range n {
			order := r.order
			c, err := r.geom(depth + 1)
			if err != nil {
				return nil, err
			}
			r.order = order
			parts = append(parts, c)
		}
		switch typ {
		case wkbMultiPoint:
			return orb.MultiPoint(partsOf[orb.Point](parts)), nil
		case wkbMultiLineString:
			return orb.MultiLineString(partsOf[orb.LineString](parts)), nil
		case wkbMultiPolygon:
			return orb.MultiPolygon(partsOf[orb.Polygon](parts)), nil
		}
		return orb.Collection(parts), nil
	}
	return nil, fmt.Errorf("%w: geometry type %d", errWKB, typ)
}

// partsOf keeps the parts of a multi-geometry that are of type T (a
// MultiPolygon's WKB may only hold polygons; anything else is dropped).
func partsOf[T orb.Geometry](parts []orb.Geometry) []T {
	out := make([]T, 0, len(parts))
	for _, c := range parts {
		if t, ok := c.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
