package sampledata

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding"
)

// The shapefile writer is written by hand: the one pure-Go shapefile library
// (github.com/jonas-p/go-shp) is not served by the module proxy, and it
// writes the .dbf with a seek per attribute, stamps today's date into the
// header (so two runs would differ) and cannot set the language-driver byte.
// The format is small (ESRI Shapefile Technical Description, 1998, and the
// dBASE III table), and writing it ourselves lets every file stream through a
// bufio.Writer with only the headers patched at the end.

// dbfField is one column of a .dbf table.
type dbfField struct {
	Name     string // at most 10 ASCII characters
	Type     byte   // 'C' text or 'N' number
	Length   int    // bytes
	Decimals int    // digits after the point, for 'N'
}

// shpWriter streams polygon records into .shp, .shx and .dbf files.
type shpWriter struct {
	path   string // without the extension
	fields []dbfField
	enc    *encoding.Encoder
	cache  map[string][]byte // encoded non-ASCII values; few distinct ones
	ldid   byte

	files   [3]*os.File
	shp     *bufio.Writer
	shx     *bufio.Writer
	dbf     *bufio.Writer
	n       int   // records written
	offset  int64 // .shp length so far, bytes
	bbox    orb.Bound
	hasBBox bool
	rec     []byte // scratch
}

// newShpWriter creates path.shp, .shx and .dbf. Text values are encoded with
// enc; ldid is the dBASE language-driver id written at offset 29 (0 for
// none, 0x4D for GBK / code page 936).
func newShpWriter(path string, fields []dbfField, enc encoding.Encoding, ldid byte) (*shpWriter, error) {
	w := &shpWriter{path: path, fields: fields, enc: enc.NewEncoder(), cache: map[string][]byte{}, ldid: ldid, offset: 100}
	for i, ext := range []string{".shp", ".shx", ".dbf"} {
		f, err := os.Create(path + ext)
		if err != nil {
			w.abort()
			return nil, fmt.Errorf("create shapefile: %w", err)
		}
		w.files[i] = f
	}
	w.shp = bufio.NewWriterSize(w.files[0], 1<<16)
	w.shx = bufio.NewWriterSize(w.files[1], 1<<16)
	w.dbf = bufio.NewWriterSize(w.files[2], 1<<16)
	// Placeholders for the headers, rewritten by Close once the counts and
	// the bounding box are known.
	var zero [100]byte
	w.shp.Write(zero[:])
	w.shx.Write(zero[:])
	w.dbf.Write(w.dbfHeader())
	return w, nil
}

// dbfHeader returns the table header for the records written so far.
func (w *shpWriter) dbfHeader() []byte {
	recLen := 1
	for _, f := range w.fields {
		recLen += f.Length
	}
	h := make([]byte, 32+32*len(w.fields)+1)
	h[0] = 0x03 // dBASE III without memo
	// Date of last update, fixed so that the output is the same every run.
	h[1], h[2], h[3] = 124, 12, 31
	binary.LittleEndian.PutUint32(h[4:], uint32(w.n))
	binary.LittleEndian.PutUint16(h[8:], uint16(len(h)))
	binary.LittleEndian.PutUint16(h[10:], uint16(recLen))
	h[29] = w.ldid
	for i, f := range w.fields {
		d := h[32+32*i:]
		copy(d[:10], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
	}
	h[len(h)-1] = 0x0D
	return h
}

// Write appends one polygon (nil for a null shape) with its attributes, one
// per field: a string, a float64, or nil for an empty value.
func (w *shpWriter) Write(poly orb.Polygon, attrs ...any) error {
	if len(attrs) != len(w.fields) {
		return fmt.Errorf("shapefile %s: %d values for %d fields", w.path, len(attrs), len(w.fields))
	}
	w.n++
	rec := w.rec[:0]
	if poly == nil {
		rec = binary.LittleEndian.AppendUint32(rec, 0) // null shape
	} else {
		b := poly.Bound()
		if w.hasBBox {
			w.bbox = w.bbox.Union(b)
		} else {
			w.bbox, w.hasBBox = b, true
		}
		npts := 0
		for _, r := range poly {
			npts += len(r)
		}
		rec = binary.LittleEndian.AppendUint32(rec, 5) // polygon
		rec = appendBound(rec, b)
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(poly)))
		rec = binary.LittleEndian.AppendUint32(rec, uint32(npts))
		start := 0
		for _, r := range poly {
			rec = binary.LittleEndian.AppendUint32(rec, uint32(start))
			start += len(r)
		}
		for _, r := range poly {
			for _, p := range r {
				rec = binary.LittleEndian.AppendUint64(rec, math.Float64bits(p[0]))
				rec = binary.LittleEndian.AppendUint64(rec, math.Float64bits(p[1]))
			}
		}
	}
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(w.n))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(rec)/2))
	w.shp.Write(hdr[:])
	w.shp.Write(rec)
	var idx [8]byte
	binary.BigEndian.PutUint32(idx[0:], uint32(w.offset/2))
	binary.BigEndian.PutUint32(idx[4:], uint32(len(rec)/2))
	w.shx.Write(idx[:])
	w.offset += int64(len(hdr) + len(rec))

	rec = append(rec[:0], ' ') // not deleted
	for i, f := range w.fields {
		var err error
		if rec, err = w.appendValue(rec, f, attrs[i]); err != nil {
			return fmt.Errorf("shapefile %s record %d: %w", w.path, w.n, err)
		}
	}
	w.rec = rec
	_, err := w.dbf.Write(rec)
	return err
}

// appendValue appends v formatted as the fixed-width field f.
func (w *shpWriter) appendValue(rec []byte, f dbfField, v any) ([]byte, error) {
	var b []byte
	switch v := v.(type) {
	case nil:
	case string:
		b = []byte(v)
		if !isASCII(v) {
			if c, ok := w.cache[v]; ok {
				b = c
			} else {
				enc, err := w.enc.Bytes(b)
				if err != nil {
					return nil, fmt.Errorf("field %s: encode %q: %w", f.Name, v, err)
				}
				w.cache[v], b = enc, enc
			}
		}
	case float64:
		b = strconv.AppendFloat(nil, v, 'f', f.Decimals, 64)
	case int:
		b = strconv.AppendInt(nil, int64(v), 10)
	default:
		return nil, fmt.Errorf("field %s: unsupported value %T", f.Name, v)
	}
	if len(b) > f.Length {
		return nil, fmt.Errorf("field %s: value %q is longer than %d bytes", f.Name, b, f.Length)
	}
	pad := f.Length - len(b)
	if f.Type == 'N' { // numbers are right-aligned
		for range pad {
			rec = append(rec, ' ')
		}
		return append(rec, b...), nil
	}
	rec = append(rec, b...)
	for range pad {
		rec = append(rec, ' ')
	}
	return rec, nil
}

// Close writes the end-of-file marker and the final headers and closes the
// files.
func (w *shpWriter) Close() error {
	err := w.dbf.WriteByte(0x1A)
	for _, b := range []*bufio.Writer{w.shp, w.shx, w.dbf} {
		err = errors.Join(err, b.Flush())
	}
	if err != nil {
		w.abort()
		return fmt.Errorf("write shapefile %s: %w", w.path, err)
	}
	_, err = w.files[0].WriteAt(w.mainHeader(w.offset), 0)
	if err == nil {
		_, err = w.files[1].WriteAt(w.mainHeader(100+8*int64(w.n)), 0)
	}
	if err == nil {
		_, err = w.files[2].WriteAt(w.dbfHeader(), 0)
	}
	for _, f := range w.files {
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return fmt.Errorf("finish shapefile %s: %w", w.path, err)
	}
	return nil
}

// abort closes whatever files are open, after an error.
func (w *shpWriter) abort() {
	for _, f := range w.files {
		if f != nil {
			f.Close()
		}
	}
}

// mainHeader returns the 100-byte header of a .shp or .shx of length bytes.
func (w *shpWriter) mainHeader(length int64) []byte {
	h := make([]byte, 0, 100)
	h = binary.BigEndian.AppendUint32(h, 9994)
	h = append(h, make([]byte, 20)...)
	h = binary.BigEndian.AppendUint32(h, uint32(length/2))
	h = binary.LittleEndian.AppendUint32(h, 1000)
	h = binary.LittleEndian.AppendUint32(h, 5)
	h = appendBound(h, w.bbox)
	return append(h, make([]byte, 32)...) // Z and M ranges
}

// appendBound appends xmin, ymin, xmax, ymax as little-endian doubles.
func appendBound(b []byte, r orb.Bound) []byte {
	for _, v := range []float64{r.Min[0], r.Min[1], r.Max[0], r.Max[1]} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
