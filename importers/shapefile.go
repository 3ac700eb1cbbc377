package importers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"tudi/geo"
	"tudi/land"
)

// The shapefile reader is written by hand. The pure-Go libraries we looked
// at (github.com/jonas-p/go-shp and its forks) need the .shx to read, load
// each record through reflection-based binary.Read, panic on truncated
// files, and decode .dbf text themselves; we need the opposite on each
// point: a strictly sequential read (so a missing .shx does not matter and
// a 1 GB file streams), errors that name file and record, and the raw .dbf
// bytes for our own decoding. The format (ESRI Shapefile Technical
// Description, July 1998) is small.

// shapefile reads a .shp with its .dbf, in sequence.
type shapefile struct {
	shpName string
	f       *os.File
	r       *bufio.Reader
	dbf     *dbfReader
	dec     *decoder
	fileLen int64 // bytes, from the header
	pos     int64 // bytes read so far
	n       int64 // records read
	content []byte
	keys    []string
	values  []any
	feat    feature
}

// siblings finds the files next to a .shp that share its base name, whatever
// the case of their extensions.
func siblings(shp string) (map[string]string, error) {
	dir, base := filepath.Dir(shp), strings.TrimSuffix(filepath.Base(shp), filepath.Ext(shp))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if strings.EqualFold(strings.TrimSuffix(name, filepath.Ext(name)), base) {
			out[ext] = filepath.Join(dir, name)
		}
	}
	return out, nil
}

// openShapefile opens path (a .shp) and its .dbf, settles the text encoding
// and the CRS, and returns the reader positioned on the first record.
func openShapefile(path string, req Request, info *sourceInfo) (*shapefile, error) {
	sib, err := siblings(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", filepath.Base(path), err)
	}
	shpName := filepath.Base(path)
	info.Format, info.File = "shapefile", shpName
	dbfPath, ok := sib[".dbf"]
	if !ok {
		return nil, land.Errorf(land.Invalid, "%s: the .dbf file with the attributes is missing (a shapefile needs .shp, .dbf and, better, .shx, .prj, .cpg)", shpName)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", shpName, err)
	}
	s := &shapefile{shpName: shpName, f: f, r: bufio.NewReaderSize(f, 1<<20)}
	ok = false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	var hdr [100]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return nil, land.Errorf(land.Invalid, "%s: not a shapefile (the 100-byte header is incomplete)", shpName)
	}
	if binary.BigEndian.Uint32(hdr[0:]) != 9994 {
		return nil, land.Errorf(land.Invalid, "%s: not a shapefile (file code %d, want 9994)", shpName, binary.BigEndian.Uint32(hdr[0:]))
	}
	s.fileLen = int64(binary.BigEndian.Uint32(hdr[24:])) * 2
	s.pos = 100
	shapeType := binary.LittleEndian.Uint32(hdr[32:])
	if shapeType == 31 {
		return nil, land.Errorf(land.Invalid, "%s: MultiPatch shapefiles are not supported", shpName)
	}
	b := orb.Bound{Min: orb.Point{f64(hdr[36:]), f64(hdr[44:])}, Max: orb.Point{f64(hdr[52:]), f64(hdr[60:])}}
	info.Bound = &b
	if shapeType >= 10 && shapeType < 30 {
		info.Notes = append(info.Notes, fmt.Sprintf("%s holds %s values: they are dropped (tudi stores 2D)", shpName, map[bool]string{true: "Z", false: "M"}[shapeType < 20]))
	}

	if shx, ok := sib[".shx"]; ok {
		if st, err := os.Stat(shx); err == nil && st.Size() >= 100 {
			info.Total = (st.Size() - 100) / 8
		}
	} else {
		info.Notes = append(info.Notes, fmt.Sprintf("%s has no .shx index: records were read in sequence from the .shp, which needs none", shpName))
	}

	if s.dbf, err = openDBF(dbfPath, filepath.Base(dbfPath)); err != nil {
		return nil, err
	}
	if info.Total > 0 && info.Total != s.dbf.Records {
		return nil, land.Errorf(land.Invalid, "%s has %d records but %s indexes %d shapes: the files do not belong together", s.dbf.name, s.dbf.Records, filepath.Base(sib[".shx"]), info.Total)
	}
	if info.Total == 0 {
		info.Total = s.dbf.Records
	}
	if err := s.settleEncoding(req, sib, info); err != nil {
		return nil, err
	}
	if err := settlePRJ(req, sib, info); err != nil {
		return nil, err
	}
	for i := range s.dbf.Fields {
		fd := &s.dbf.Fields[i]
		name, _ := s.dec.decode(fd.raw)
		fd.Name = name
		if fd.Name == "" {
			fd.Name = fmt.Sprintf("field_%d", i+1)
		}
		s.keys = append(s.keys, fd.Name)
		info.Fields = append(info.Fields, land.SourceField{Name: fd.Name, Type: fd.fieldType()})
	}
	s.values = make([]any, len(s.keys))
	ok = true
	return s, nil
}

// settleEncoding chooses the .dbf text encoding: --encoding, else the .cpg,
// else the language-driver byte, else detection over the text fields.
func (s *shapefile) settleEncoding(req Request, sib map[string]string, info *sourceInfo) error {
	var enc textEncoding
	var err error
	switch {
	case req.Encoding != "":
		if enc, err = lookupEncoding(req.Encoding, "--encoding"); err != nil {
			return err
		}
		info.EncodingSource = "flag"
	case sib[".cpg"] != "":
		b, rerr := os.ReadFile(sib[".cpg"])
		if rerr != nil {
			return land.Errorf(land.Invalid, "%s: %w", filepath.Base(sib[".cpg"]), rerr)
		}
		if enc, err = lookupEncoding(string(b), filepath.Base(sib[".cpg"])); err != nil {
			return err
		}
		info.EncodingSource = "cpg"
	default:
		if e, ok := encodingOfLDID(s.dbf.LDID); ok {
			enc, info.EncodingSource = e, "ldid"
			break
		}
		sample, err := s.sampleText(8 << 20)
		if err != nil {
			return err
		}
		var found bool
		enc, found = detectEncoding(sample)
		info.EncodingSource = "detected"
		if !found {
			info.EncodingSource = "detected (ASCII only)"
		}
		if err := s.dbf.rewind(); err != nil {
			return err
		}
	}
	s.dec = newDecoder(enc)
	info.Encoding = enc.Name
	return nil
}

// sampleText collects the field names and the non-ASCII text values of the
// first records, up to limit bytes of text.
func (s *shapefile) sampleText(limit int) ([][]byte, error) {
	var out [][]byte
	for _, f := range s.dbf.Fields {
		out = append(out, f.raw)
	}
	size := 0
	for size < limit {
		rec, _, err := s.dbf.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, f := range s.dbf.Fields {
			if f.Type != 'C' {
				continue
			}
			b := rec[f.Offset : f.Offset+f.Length]
			for _, c := range b {
				if c >= 0x80 {
					out = append(out, append([]byte(nil), trimSpaceNUL(b)...))
					size += len(b)
					break
				}
			}
		}
		if size > 0 && len(out) > 2000 {
			break
		}
	}
	return out, nil
}

// trimSpaceNUL trims ASCII blanks and NULs, the padding of .dbf fields.
// Only ASCII: a GBK byte is never mistaken for a space, and no rune
// decoding is spent on it.
func trimSpaceNUL(b []byte) []byte {
	blank := func(c byte) bool { return c == ' ' || c == 0 || c == '\t' || c == '\r' || c == '\n' }
	for len(b) > 0 && blank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && blank(b[0]) {
		b = b[1:]
	}
	return b
}

// settlePRJ chooses the CRS: --srid, else the .prj, else (later, from the
// coordinates) a guess.
func settlePRJ(req Request, sib map[string]string, info *sourceInfo) error {
	if req.SRID != 0 {
		info.SRID, info.SRIDSource = req.SRID, "flag"
		return nil
	}
	prj, ok := sib[".prj"]
	if !ok {
		return nil
	}
	b, err := os.ReadFile(prj)
	if err != nil {
		return land.Errorf(land.Invalid, "%s: %w", filepath.Base(prj), err)
	}
	m, err := geo.RecognisePRJ(string(b))
	if err != nil {
		return land.Errorf(land.Invalid, "%s: cannot recognise the coordinate system (%v); give it with --srid", filepath.Base(prj), err)
	}
	info.SRID, info.SRIDSource = m.SRID, "prj ("+m.By+")"
	return nil
}

func f64(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }

// Next reads the next shape and its attributes.
func (s *shapefile) Next() (*feature, error) {
	rec, deleted, dbfErr := s.dbf.next()
	for {
		shapeEOF, err := s.readShape()
		if err != nil {
			return nil, err
		}
		switch {
		case shapeEOF && errors.Is(dbfErr, io.EOF):
			return nil, io.EOF
		case shapeEOF && dbfErr == nil:
			return nil, land.Errorf(land.Invalid, "%s has more records than %s has shapes (%d): the files do not belong together or the .shp is cut short", s.dbf.name, s.shpName, s.n)
		case dbfErr != nil && !errors.Is(dbfErr, io.EOF):
			return nil, dbfErr
		case dbfErr != nil:
			return nil, land.Errorf(land.Invalid, "%s has more shapes than %s has records (%d): the files do not belong together", s.shpName, s.dbf.name, s.dbf.read)
		}
		if !deleted {
			break
		}
		// A record marked deleted in the .dbf is skipped with its shape, as
		// GIS software does.
		rec, deleted, dbfErr = s.dbf.next()
	}
	f := &s.feat
	f.Num, f.Keys, f.Values, f.Problems = s.n, s.keys, s.values, f.Problems[:0]
	for i, fd := range s.dbf.Fields {
		v, problem := fd.value(rec, s.dec)
		s.values[i] = v
		if problem != "" {
			f.Problems = append(f.Problems, land.ImportProblem{File: s.dbf.name, Record: s.n, Field: fd.Name, Action: "warning", Reason: problem})
		}
	}
	return f, nil
}

// readShape reads one record of the .shp into s.feat.Geom; eof is true at
// the clean end of the file.
func (s *shapefile) readShape() (eof bool, err error) {
	var hdr [8]byte
	n, err := io.ReadFull(s.r, hdr[:])
	if n == 0 && errors.Is(err, io.EOF) {
		if s.pos < s.fileLen {
			return false, land.Errorf(land.Invalid, "%s is truncated: the header announces %d bytes, the file ends after %d (record %d)", s.shpName, s.fileLen, s.pos, s.n)
		}
		return true, nil
	}
	s.n++
	if err != nil {
		return false, land.Errorf(land.Invalid, "%s: record %d is truncated (the file ends inside its header)", s.shpName, s.n)
	}
	size := int64(binary.BigEndian.Uint32(hdr[4:])) * 2
	if size < 4 || size > 256<<20 {
		return false, land.Errorf(land.Invalid, "%s: record %d has an impossible length of %d bytes (corrupt file)", s.shpName, s.n, size)
	}
	// The buffer grows with the bytes actually read, a megabyte at a time:
	// a crafted header announcing a 256 MB record in a small file must fail
	// at the end of the data, not allocate what it announces.
	c := s.content[:0]
	for int64(len(c)) < size {
		chunk := int(min(size-int64(len(c)), 1<<20))
		c = slices.Grow(c, chunk)
		n, err := io.ReadFull(s.r, c[len(c):len(c)+chunk])
		c = c[:len(c)+n]
		if err != nil {
			return false, land.Errorf(land.Invalid, "%s: record %d is truncated: it announces %d bytes, the file ends before", s.shpName, s.n, size)
		}
	}
	s.content = c
	s.pos += 8 + size
	g, err := parseShape(c)
	if err != nil {
		return false, land.Errorf(land.Invalid, "%s: record %d: %v", s.shpName, s.n, err)
	}
	s.feat.Geom = g
	return false, nil
}

// parseShape decodes a shape record's content into a 2D orb geometry (nil
// for a null shape). Z and M arrays, which follow the points, are skipped.
func parseShape(c []byte) (orb.Geometry, error) {
	typ := binary.LittleEndian.Uint32(c)
	switch typ {
	case 0:
		return nil, nil
	case 1, 11, 21: // Point, PointZ, PointM
		if len(c) < 20 {
			return nil, errors.New("point record too short")
		}
		return orb.Point{f64(c[4:]), f64(c[12:])}, nil
	case 8, 18, 28: // MultiPoint
		if len(c) < 40 {
			return nil, errors.New("multipoint record too short")
		}
		n := int(binary.LittleEndian.Uint32(c[36:]))
		if n < 0 || 40+16*n > len(c) {
			return nil, fmt.Errorf("multipoint of %d points does not fit its %d-byte record", n, len(c))
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			mp[i] = orb.Point{f64(c[40+16*i:]), f64(c[48+16*i:])}
		}
		return mp, nil
	case 3, 13, 23, 5, 15, 25: // PolyLine, Polygon (and Z, M)
		if len(c) < 44 {
			return nil, errors.New("record too short")
		}
		parts := int(binary.LittleEndian.Uint32(c[36:]))
		points := int(binary.LittleEndian.Uint32(c[40:]))
		if parts < 0 || points < 0 || parts > len(c) || 44+4*parts+16*points > len(c) {
			return nil, fmt.Errorf("%d parts of %d points do not fit the %d-byte record", parts, points, len(c))
		}
		pts := make([]orb.Point, points)
		base := 44 + 4*parts
		for i := range pts {
			pts[i] = orb.Point{f64(c[base+16*i:]), f64(c[base+16*i+8:])}
		}
		rings := make([][]orb.Point, 0, parts)
		for i := range parts {
			start := int(binary.LittleEndian.Uint32(c[44+4*i:]))
			end := points
			if i+1 < parts {
				end = int(binary.LittleEndian.Uint32(c[44+4*(i+1):]))
			}
			if start < 0 || start > end || end > points {
				return nil, fmt.Errorf("part %d starts at point %d, outside 0..%d", i+1, start, end)
			}
			rings = append(rings, pts[start:end:end])
		}
		if typ%10 == 3 {
			if len(rings) == 1 {
				return orb.LineString(rings[0]), nil
			}
			ml := make(orb.MultiLineString, len(rings))
			for i, r := range rings {
				ml[i] = r
			}
			return ml, nil
		}
		return assemblePolygon(rings), nil
	}
	return nil, fmt.Errorf("unsupported shape type %d", typ)
}

// maxRingPairs bounds the ring-in-ring tests of one record (about a tenth
// of a second of work); real parcels have a handful of rings.
const maxRingPairs = 20_000_000

// assemblePolygon groups shapefile rings into polygons. Outer rings run
// clockwise, holes counter-clockwise (the specification); each hole goes
// into the smallest outer ring that contains it. A hole inside no outer
// ring becomes a polygon of its own, and when no ring runs clockwise (files
// written with the wrong orientation) containment alone decides.
func assemblePolygon(rings [][]orb.Point) orb.Geometry {
	if len(rings) == 1 {
		return orb.Polygon{rings[0]}
	}
	type ring struct {
		r    orb.Ring
		area float64 // absolute
		b    orb.Bound
	}
	var outers, holes []ring
	for _, r := range rings {
		rr := orb.Ring(r)
		a := planar.Area(rr) // signed: negative for clockwise
		x := ring{rr, math.Abs(a), rr.Bound()}
		if a < 0 {
			outers = append(outers, x)
		} else {
			holes = append(holes, x)
		}
	}
	if len(outers) == 0 && len(holes)*len(holes) > maxRingPairs || len(outers)*len(holes) > maxRingPairs {
		// Too many rings to compare each with each (a crafted record of a
		// million empty parts would take hours): every ring becomes a
		// polygon of its own, and validation reports what overlaps.
		polys := make(orb.MultiPolygon, 0, len(rings))
		for _, r := range rings {
			polys = append(polys, orb.Polygon{r})
		}
		return polys
	}
	if len(outers) == 0 {
		// Orientation says nothing: a ring inside another is a hole.
		all := holes
		outers, holes = nil, nil
		for i, h := range all {
			inside := false
			for j, o := range all {
				if i != j && o.area > h.area && o.b.Contains(h.b.Min) && o.b.Contains(h.b.Max) && len(h.r) > 0 && planar.RingContains(o.r, h.r[0]) {
					inside = true
					break
				}
			}
			if inside {
				holes = append(holes, h)
			} else {
				outers = append(outers, h)
			}
		}
	}
	polys := make([]orb.Polygon, len(outers))
	for i, o := range outers {
		polys[i] = orb.Polygon{o.r}
	}
	for _, h := range holes {
		best := -1
		for i, o := range outers {
			if len(h.r) == 0 || !o.b.Contains(h.b.Min) || !o.b.Contains(h.b.Max) {
				continue
			}
			if planar.RingContains(o.r, h.r[0]) && (best < 0 || o.area < outers[best].area) {
				best = i
			}
		}
		if best < 0 {
			polys = append(polys, orb.Polygon{h.r})
			continue
		}
		polys[best] = append(polys[best], h.r)
	}
	if len(polys) == 1 {
		return polys[0]
	}
	return orb.MultiPolygon(polys)
}

// Close closes the files.
func (s *shapefile) Close() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
	}
	if s.dbf != nil {
		err = errors.Join(err, s.dbf.Close())
	}
	return err
}
