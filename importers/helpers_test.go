package importers

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/sampledata"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testEnv is a fresh database with an importer.
type testEnv struct {
	db *postgis.DB
	im *Importer
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newBenchEnv(t)
}

func newBenchEnv(t testing.TB) *testEnv {
	t.Helper()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	if os.Getenv("TUDI_BENCH_DEBUG") != "" {
		return &testEnv{db: db, im: New(db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))}
	}
	return &testEnv{db: db, im: New(db, nil)}
}

// MustImport runs an import that must succeed.
func (e *testEnv) MustImport(tb testing.TB, req Request) *land.Import {
	tb.Helper()
	imp, err := e.im.Import(context.Background(), req)
	if err != nil {
		tb.Fatalf("import %v into %q: %v", req.Files, req.Layer, err)
	}
	return imp
}

// layerState is what must not change when an import fails.
type layerState struct {
	Rows     int64
	Checksum string
	Version  int64
}

// MustState reads a layer's row count, a checksum over every column, and
// its registry version.
func (e *testEnv) MustState(tb testing.TB, layer string) layerState {
	tb.Helper()
	var s layerState
	ctx := context.Background()
	err := e.db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM `+postgis.Table(layer)+` t`).
		Scan(&s.Rows, &s.Checksum)
	if err != nil {
		tb.Fatalf("state of %q: %v", layer, err)
	}
	if err := e.db.Pool.QueryRow(ctx, `SELECT version FROM tudi.layers WHERE name = $1`, layer).Scan(&s.Version); err != nil {
		tb.Fatalf("version of %q: %v", layer, err)
	}
	return s
}

// MustSample writes the scale-1 sample district into a temp dir.
func MustSample(tb testing.TB) (string, *sampledata.Manifest) {
	tb.Helper()
	dir := tb.TempDir()
	m, err := sampledata.Write(context.Background(), dir, sampledata.Options{Scale: 1}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return dir, m
}

// shpSpec describes a small hand-made shapefile.
type shpSpec struct {
	ShapeType uint32 // 1 point, 3 polyline, 5 polygon, 15 polygon Z
	Shapes    []orb.Geometry
	Fields    []testField
	Records   [][]string // raw (already encoded) text of each field
	LDID      byte
	CPG       string // written when not empty
	PRJ       string // written when not empty
	NoSHX     bool
}

type testField struct {
	Name []byte // raw bytes (may be GBK)
	Type byte
	Len  int
	Dec  int
}

// MustWriteShapefile writes dir/name.shp, .shx, .dbf (+ .cpg, .prj) and
// returns the .shp path. Polygons are written ring by ring as given, so the
// test chooses the orientation.
func MustWriteShapefile(tb testing.TB, dir, name string, s shpSpec) string {
	tb.Helper()
	var shp, shx []byte
	shp = make([]byte, 100)
	shx = make([]byte, 100)
	le := binary.LittleEndian
	f64 := func(b []byte, v float64) []byte { return le.AppendUint64(b, math.Float64bits(v)) }
	all := orb.Bound{}
	for i, g := range s.Shapes {
		var c []byte
		if g == nil {
			c = le.AppendUint32(c, 0)
		} else {
			b := g.Bound()
			if i == 0 {
				all = b
			} else {
				all = all.Union(b)
			}
			c = le.AppendUint32(c, s.ShapeType)
			switch g := g.(type) {
			case orb.Point:
				c = f64(f64(c, g[0]), g[1])
				if s.ShapeType == 11 {
					c = f64(f64(c, 7), 0)
				}
			default:
				var parts [][]orb.Point
				switch g := g.(type) {
				case orb.LineString:
					parts = [][]orb.Point{g}
				case orb.Polygon:
					for _, r := range g {
						parts = append(parts, r)
					}
				case orb.MultiPolygon:
					for _, p := range g {
						for _, r := range p {
							parts = append(parts, r)
						}
					}
				}
				n := 0
				for _, p := range parts {
					n += len(p)
				}
				c = f64(f64(f64(f64(c, b.Min[0]), b.Min[1]), b.Max[0]), b.Max[1])
				c = le.AppendUint32(c, uint32(len(parts)))
				c = le.AppendUint32(c, uint32(n))
				start := 0
				for _, p := range parts {
					c = le.AppendUint32(c, uint32(start))
					start += len(p)
				}
				for _, p := range parts {
					for _, pt := range p {
						c = f64(f64(c, pt[0]), pt[1])
					}
				}
				if s.ShapeType == 15 || s.ShapeType == 13 { // Z range, Z values, M range, M values
					c = f64(f64(c, 0), 10)
					for range n {
						c = f64(c, 5)
					}
					c = f64(f64(c, 0), 0)
					for range n {
						c = f64(c, 0)
					}
				}
			}
		}
		shx = binary.BigEndian.AppendUint32(shx, uint32(len(shp)/2))
		shx = binary.BigEndian.AppendUint32(shx, uint32(len(c)/2))
		shp = binary.BigEndian.AppendUint32(shp, uint32(i+1))
		shp = binary.BigEndian.AppendUint32(shp, uint32(len(c)/2))
		shp = append(shp, c...)
	}
	header := func(b []byte) {
		binary.BigEndian.PutUint32(b[0:], 9994)
		binary.BigEndian.PutUint32(b[24:], uint32(len(b)/2))
		le.PutUint32(b[28:], 1000)
		le.PutUint32(b[32:], s.ShapeType)
		for i, v := range []float64{all.Min[0], all.Min[1], all.Max[0], all.Max[1]} {
			le.PutUint64(b[36+8*i:], math.Float64bits(v))
		}
	}
	header(shp)
	header(shx)
	base := filepath.Join(dir, name)
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(os.WriteFile(base+".shp", shp, 0o644))
	if !s.NoSHX {
		must(os.WriteFile(base+".shx", shx, 0o644))
	}
	// The .dbf.
	recLen := 1
	for _, f := range s.Fields {
		recLen += f.Len
	}
	h := make([]byte, 32+32*len(s.Fields)+1)
	h[0] = 3
	le.PutUint32(h[4:], uint32(len(s.Records)))
	le.PutUint16(h[8:], uint16(len(h)))
	le.PutUint16(h[10:], uint16(recLen))
	h[29] = s.LDID
	for i, f := range s.Fields {
		d := h[32+32*i:]
		copy(d[:11], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Len)
		d[17] = byte(f.Dec)
	}
	h[len(h)-1] = 0x0D
	dbf := h
	for _, rec := range s.Records {
		dbf = append(dbf, ' ')
		for i, f := range s.Fields {
			v := []byte(rec[i])
			if len(v) > f.Len {
				tb.Fatalf("value %q longer than field %s", v, f.Name)
			}
			pad := make([]byte, f.Len-len(v))
			for k := range pad {
				pad[k] = ' '
			}
			if f.Type == 'N' {
				dbf = append(append(dbf, pad...), v...)
			} else {
				dbf = append(append(dbf, v...), pad...)
			}
		}
	}
	dbf = append(dbf, 0x1A)
	must(os.WriteFile(base+".dbf", dbf, 0o644))
	if s.CPG != "" {
		must(os.WriteFile(base+".cpg", []byte(s.CPG), 0o644))
	}
	if s.PRJ != "" {
		must(os.WriteFile(base+".prj", []byte(s.PRJ), 0o644))
	}
	return base + ".shp"
}

// square returns a clockwise square ring (a shapefile outer ring) of side d
// at x, y.
func square(x, y, d float64) orb.Ring {
	return orb.Ring{{x, y}, {x, y + d}, {x + d, y + d}, {x + d, y}, {x, y}}
}

// reversed returns r counter-clockwise (a shapefile hole).
func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

// MustZip writes a zip archive with the given entries (name → file path
// or, when the path does not exist, the content itself).
func MustZip(tb testing.TB, path string, entries [][2]string) string {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(e[1])
		if err != nil {
			b = []byte(e[1])
		}
		if _, err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}
