package importers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// The fuzz targets of the readers take bytes and never touch the database.
// Their seed corpora live in testdata/fuzz/FuzzXxx (plain `go test` runs
// them); `go test -run TestFuzzSeeds -fuzzseeds` rewrites the seeds made
// from the sample district and the hand-made bad files, leaving inputs the
// fuzzer found (named by their hash) in place.

var fuzzSeeds = flag.Bool("fuzzseeds", false, "rewrite the generated seeds in testdata/fuzz")

// FuzzParseShape decodes one .shp record's content.
func FuzzParseShape(f *testing.F) {
	f.Fuzz(func(t *testing.T, c []byte) {
		if len(c) < 4 { // readShape refuses records shorter than the type
			return
		}
		g, err := parseShape(c)
		if err != nil && g != nil {
			t.Fatalf("parseShape returned both %T and %v", g, err)
		}
	})
}

// FuzzShapefile opens a .shp, .shx and .dbf written from the inputs and
// reads every record.
func FuzzShapefile(f *testing.F) {
	f.Fuzz(func(t *testing.T, shp, shx, dbf []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f.shp")
		mustWriteFile(t, p, shp)
		if len(shx) > 0 {
			mustWriteFile(t, filepath.Join(dir, "f.shx"), shx)
		}
		mustWriteFile(t, filepath.Join(dir, "f.dbf"), dbf)
		s, err := openShapefile(p, Request{}, &sourceInfo{})
		if err != nil {
			return
		}
		defer s.Close()
		for {
			feat, err := s.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "f.") {
					t.Fatalf("error names no file: %v", err)
				}
				return
			}
			if len(feat.Keys) != len(feat.Values) {
				t.Fatalf("%d keys, %d values", len(feat.Keys), len(feat.Values))
			}
		}
	})
}

func TestCraftedRecordLengthDoesNotAllocateIt(t *testing.T) {
	t.Parallel()
	// A 108-byte .shp whose one record announces 256 MB (the most the
	// reader accepts) must fail as truncated without allocating it.
	shp := make([]byte, 108)
	binary.BigEndian.PutUint32(shp[0:], 9994)
	binary.BigEndian.PutUint32(shp[24:], 54)
	binary.LittleEndian.PutUint32(shp[32:], 5)
	binary.BigEndian.PutUint32(shp[100:], 1)
	binary.BigEndian.PutUint32(shp[104:], 128<<20) // 16-bit words: 256 MB
	dbf := fuzzDBF(1, "A", 'C', 4, [][]byte{[]byte("ab  ")})
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "big.shp"), shp)
	mustWriteFile(t, filepath.Join(dir, "big.dbf"), dbf)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := openShapefile(filepath.Join(dir, "big.shp"), Request{}, &sourceInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Next()
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("Next = %v, want a truncated record", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Fatalf("reading a 108-byte file allocated %d MB", grew>>20)
	}
}

func TestManyRingsInOneRecordAssembleInBoundedWork(t *testing.T) {
	t.Parallel()
	// A polygon record of a million empty parts (4 MB) compared each ring
	// with each: 10¹² tests, hours. Each ring now becomes a polygon of its
	// own.
	const parts = 1_000_000
	c := binary.LittleEndian.AppendUint32(nil, 5)
	c = append(c, make([]byte, 32)...)
	c = binary.LittleEndian.AppendUint32(c, parts)
	c = binary.LittleEndian.AppendUint32(c, 0)
	c = append(c, make([]byte, 4*parts)...)
	g, err := parseShape(c)
	if err != nil {
		t.Fatal(err)
	}
	if mp, ok := g.(orb.MultiPolygon); !ok || len(mp) != parts {
		t.Fatalf("parseShape = %T, want a MultiPolygon of %d", g, parts)
	}
}

func mustWriteFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// fuzzDBF builds a .dbf of one field type with the given records.
func fuzzDBF(n int, name string, typ byte, length int, recs [][]byte) []byte {
	h := make([]byte, 32+32+1)
	h[0] = 3
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint16(h[8:], uint16(len(h)))
	binary.LittleEndian.PutUint16(h[10:], uint16(1+length))
	copy(h[32:43], name)
	h[43] = typ
	h[48] = byte(length)
	h[len(h)-1] = 0x0D
	for _, r := range recs {
		h = append(append(h, ' '), r...)
	}
	return append(h, 0x1A)
}

// firstShapes cuts a .shp and its .shx to their first n records.
func firstShapes(shp, shx []byte, n int) ([]byte, []byte) {
	off := 100
	for range n {
		if off+8 > len(shp) {
			break
		}
		off += 8 + 2*int(binary.BigEndian.Uint32(shp[off+4:]))
	}
	shp = append([]byte(nil), shp[:off]...)
	binary.BigEndian.PutUint32(shp[24:], uint32(len(shp)/2))
	if len(shx) >= 100 {
		shx = append([]byte(nil), shx[:min(len(shx), 100+8*n)]...)
		binary.BigEndian.PutUint32(shx[24:], uint32(len(shx)/2))
	}
	return shp, shx
}

// firstRecords cuts a .dbf to its first n records.
func firstRecords(dbf []byte, n int) []byte {
	hdr := int(binary.LittleEndian.Uint16(dbf[8:]))
	rec := int(binary.LittleEndian.Uint16(dbf[10:]))
	out := append([]byte(nil), dbf[:hdr+n*rec]...)
	binary.LittleEndian.PutUint32(out[4:], uint32(n))
	return append(out, 0x1A)
}

// writeSeed writes one seed of a fuzz target in the corpus file format.
func writeSeed(tb testing.TB, target, name string, args ...[]byte) {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		fmt.Fprintf(&b, "[]byte(%q)\n", a)
	}
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	mustWriteFile(tb, filepath.Join(dir, "seed-"+name), b.Bytes())
}

func TestFuzzSeeds(t *testing.T) {
	t.Parallel()
	targets := map[string]int{"FuzzParseShape": 8, "FuzzShapefile": 8, "FuzzDBF": 6, "FuzzGeoJSON": 10}
	if *fuzzSeeds {
		writeShapefileSeeds(t)
		writeGeoJSONSeeds(t)
	}
	for target, least := range targets {
		seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "seed-*"))
		if err != nil || len(seeds) < least {
			t.Errorf("%s has %d seeds (%v), want at least %d: run go test -run TestFuzzSeeds -fuzzseeds", target, len(seeds), err, least)
		}
	}
}

func writeShapefileSeeds(t *testing.T) {
	dir, _ := MustSample(t)
	read := func(name string) []byte { return mustRead(t, filepath.Join(dir, name)) }
	for _, layer := range []string{"parcels", "farmland"} {
		shp, shx := firstShapes(read(layer+".shp"), read(layer+".shx"), 3)
		dbf := firstRecords(read(layer+".dbf"), 3)
		writeSeed(t, "FuzzShapefile", "sample-"+layer, shp, shx, dbf)
		writeSeed(t, "FuzzDBF", "sample-"+layer, dbf)
		writeSeed(t, "FuzzParseShape", "sample-"+layer, shp[108:108+2*binary.BigEndian.Uint32(shp[104:])])
	}

	// Hand-made files: GBK text, points, lines, Z polygons, rings, nulls.
	hand := t.TempDir()
	gbkName, gbkValue := []byte{0xb5, 0xd8, 0xbf, 0xe9, 0xb1, 0xe0, 0xba, 0xc5}, string([]byte{0xc9, 0xb3, 0xba, 0xd3})
	specs := map[string]shpSpec{
		"gbk-polygons": {ShapeType: 5, Shapes: []orb.Geometry{orb.Polygon{square(0, 0, 50)}, orb.Polygon{square(100, 0, 50)}},
			Fields:  []testField{{gbkName, 'C', 20, 0}, {[]byte("CJJK"), 'N', 10, 2}, {[]byte("RQ"), 'D', 8, 0}, {[]byte("OK"), 'L', 1, 0}},
			Records: [][]string{{gbkValue, "**********", "20200131", "T"}, {"A2", "12x.5", "2020x131", "?"}}},
		"points": {ShapeType: 1, Shapes: []orb.Geometry{orb.Point{1, 2}, nil, orb.Point{3, 4}},
			Fields: []testField{{[]byte("N"), 'N', 5, 0}}, Records: [][]string{{"1"}, {""}, {"99999"}}},
		"pointz": {ShapeType: 11, Shapes: []orb.Geometry{orb.Point{1, 2}},
			Fields: []testField{{[]byte("N"), 'F', 8, 3}}, Records: [][]string{{"1.5"}}},
		"lines": {ShapeType: 3, Shapes: []orb.Geometry{orb.LineString{{0, 0}, {1, 1}, {2, 0}}},
			Fields: []testField{{[]byte("A"), 'C', 3, 0}}, Records: [][]string{{"abc"}}},
		"polygon-z-holes": {ShapeType: 15, Shapes: []orb.Geometry{orb.Polygon{square(0, 0, 100), reversed(square(10, 10, 10))},
			orb.MultiPolygon{{square(0, 0, 10)}, {square(50, 50, 10)}}},
			Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}, {"b"}}},
		"wrong-orientation": {ShapeType: 5, NoSHX: true, Shapes: []orb.Geometry{orb.Polygon{reversed(square(0, 0, 100)), reversed(square(10, 10, 10))}},
			Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}}},
	}
	for name, spec := range specs {
		p := MustWriteShapefile(t, hand, name, spec)
		base := strings.TrimSuffix(p, ".shp")
		shp, dbf := mustRead(t, p), mustRead(t, base+".dbf")
		var shx []byte
		if !spec.NoSHX {
			shx = mustRead(t, base+".shx")
		}
		writeSeed(t, "FuzzShapefile", name, shp, shx, dbf)
		writeSeed(t, "FuzzDBF", name, dbf)
		writeSeed(t, "FuzzParseShape", name, shp[108:108+2*binary.BigEndian.Uint32(shp[104:])])
	}

	// Broken files, as the bad-input tests make them.
	shp, shx := firstShapes(read("parcels.shp"), read("parcels.shx"), 2)
	dbf := firstRecords(read("parcels.dbf"), 2)
	cut := func(b []byte, n int) []byte { return append([]byte(nil), b[:n]...) }
	patch := func(b []byte, off int, v uint32, big bool) []byte {
		b = append([]byte(nil), b...)
		if big {
			binary.BigEndian.PutUint32(b[off:], v)
		} else {
			binary.LittleEndian.PutUint32(b[off:], v)
		}
		return b
	}
	writeSeed(t, "FuzzShapefile", "bad-cut-in-record", cut(shp, len(shp)-20), shx, dbf)
	writeSeed(t, "FuzzShapefile", "bad-cut-in-header", cut(shp, 60), shx, dbf)
	writeSeed(t, "FuzzShapefile", "bad-file-code", patch(shp, 0, 1234, true), shx, dbf)
	writeSeed(t, "FuzzShapefile", "bad-huge-record", patch(shp, 104, 0x7fffffff, true), shx, dbf)
	writeSeed(t, "FuzzShapefile", "bad-shx-count", shp, cut(shx, 108), dbf)
	writeSeed(t, "FuzzShapefile", "bad-more-records", shp, shx, patch(firstRecords(read("parcels.dbf"), 3), 4, 3, false))
	writeSeed(t, "FuzzShapefile", "bad-dbf-header", shp, shx, patch(dbf, 8, 0x00100020, false))
	writeSeed(t, "FuzzShapefile", "multipatch", patch(shp, 32, 31, false), shx, dbf)
	writeSeed(t, "FuzzDBF", "bad-short-records", patch(dbf, 8, 0x0002_0000|uint32(binary.LittleEndian.Uint16(dbf[8:])), false))
	writeSeed(t, "FuzzDBF", "bad-cut", cut(dbf, len(dbf)/2))
	writeSeed(t, "FuzzDBF", "deleted", fuzzDBF(2, "A", 'C', 2, [][]byte{[]byte("ab"), []byte("cd")}))
	writeSeed(t, "FuzzDBF", "int-field", fuzzDBF(1, "A", 'I', 4, [][]byte{{1, 2, 3, 4}}))
	poly := func(parts, points uint32) []byte {
		c := binary.LittleEndian.AppendUint32(nil, 5)
		c = append(c, make([]byte, 32)...)
		c = binary.LittleEndian.AppendUint32(c, parts)
		return binary.LittleEndian.AppendUint32(c, points)
	}
	writeSeed(t, "FuzzParseShape", "bad-parts", append(poly(2, 1), 0, 0, 0, 0, 5, 0, 0, 0))
	writeSeed(t, "FuzzParseShape", "bad-huge-counts", poly(math.MaxUint32, math.MaxUint32))
	writeSeed(t, "FuzzParseShape", "bad-multipoint", binary.LittleEndian.AppendUint32(append(binary.LittleEndian.AppendUint32(nil, 8), make([]byte, 32)...), 1<<30))
	writeSeed(t, "FuzzParseShape", "bad-type", binary.LittleEndian.AppendUint32(nil, 31))
}
