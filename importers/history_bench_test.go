package importers

import (
	"context"
	"encoding/binary"

	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tudi/sampledata"
)

// BenchmarkHistoryVsReplace imports the sample parcels (TUDI_BENCH_SCALE,
// default 40: about 100 000 parcels; 400: about a million) into two
// layers, one in replace mode and one in history mode, and then, in each
// iteration, a copy of the file with 1 % of the parcels changed (half in
// their land-use code, half moved by a metre) into both, alternating with
// the original so that every import changes 1 %. It reports the seconds of
// each and their ratio, history ÷ replace, measured side by side. Run it
// with -benchtime=1x (a scale-40 run takes about a minute):
//
//	go test ./importers -run '^$' -bench HistoryVsReplace -benchtime=1x
func BenchmarkHistoryVsReplace(b *testing.B) {
	scale := 40
	if v, err := strconv.Atoi(os.Getenv("TUDI_BENCH_SCALE")); err == nil && v > 0 {
		scale = v
	}
	ctx := context.Background()
	dir := b.TempDir()
	m, err := sampledata.Write(ctx, dir, sampledata.Options{Scale: scale}, nil)
	if err != nil {
		b.Fatal(err)
	}
	base := filepath.Join(dir, "parcels.shp")
	changedDir := filepath.Join(dir, "changed")
	changed := mustChangedCopy(b, base, changedDir, 100)
	e := newBenchEnv(b)
	for _, req := range []Request{
		{Layer: "p_replace", Mode: "replace", Files: []string{base}},
		{Layer: "p_history", Kind: "parcels", Mode: "history", Files: []string{base}, AsOf: date("2020-01-01")},
	} {
		e.MustImport(b, req)
	}
	b.ReportAllocs()
	var replace, history time.Duration
	day := date("2020-01-02")
	i := 0
	for b.Loop() {
		file := changed
		if i%2 == 1 {
			file = base
		}
		i++
		t0 := time.Now()
		e.MustImport(b, Request{Layer: "p_replace", Mode: "replace", Files: []string{file}})
		t1 := time.Now()
		imp := e.MustImport(b, Request{Layer: "p_history", Files: []string{file}, AsOf: day})
		t2 := time.Now()
		replace += t1.Sub(t0)
		history += t2.Sub(t1)
		day = day.AddDate(0, 0, 1)
		if c := imp.Summary.Changes; c == nil || c.Changed == 0 {
			b.Fatalf("history import changed nothing: %+v", c)
		} else {
			b.Logf("scale %d, %d parcels: replace %.2f s, history %.2f s (+%d ~%d -%d =%d)", scale, m.Layers[1].Features,
				t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), c.Added, c.Changed, c.Removed, c.Unchanged)
		}
	}
	n := float64(b.N)
	b.ReportMetric(replace.Seconds()/n, "replace-s/op")
	b.ReportMetric(history.Seconds()/n, "history-s/op")
	b.ReportMetric(history.Seconds()/replace.Seconds(), "history/replace")
}

// mustChangedCopy copies a parcels shapefile into dir with one record in
// every changes changed: the odd ones get another land-use code (DLBM), the
// even ones are moved one metre east.
func mustChangedCopy(tb testing.TB, shp, dir string, every int) string {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	stem := shp[:len(shp)-4]
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		b, err := os.ReadFile(stem + ext)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			tb.Fatal(err)
		}
		switch ext {
		case ".dbf":
			changeDBF(tb, b, "DLBM", every)
		case ".shp":
			moveShapes(b, every)
		}
		if err := os.WriteFile(filepath.Join(dir, "parcels"+ext), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "parcels.shp")
}

// changeDBF rewrites field name of every other changed record (records
// 1, 1+2·every, …) to a code no parcel has.
func changeDBF(tb testing.TB, b []byte, name string, every int) {
	n := int(binary.LittleEndian.Uint32(b[4:8]))
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	rlen := int(binary.LittleEndian.Uint16(b[10:12]))
	off, width := 1, 0 // after the deletion flag
	for p := 32; p+32 <= hlen && b[p] != 0x0D; p += 32 {
		fname := string(b[p : p+11])
		if i := indexByte(fname, 0); i >= 0 {
			fname = fname[:i]
		}
		if fname == name {
			width = int(b[p+16])
			break
		}
		off += int(b[p+16])
	}
	if width == 0 {
		tb.Fatalf("no field %s in the .dbf", name)
	}
	for r := 1; r < n; r += 2 * every {
		field := b[hlen+r*rlen+off : hlen+r*rlen+off+width]
		copy(field, "9999")
		for k := 4; k < width; k++ {
			field[k] = ' '
		}
	}
}

func indexByte(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// moveShapes moves every other changed polygon record (records 1+every,
// 1+3·every, …) one unit (a metre in a GK zone) east.
func moveShapes(b []byte, every int) {
	p := 100
	for r := 0; p+8 <= len(b); r++ {
		clen := int(binary.BigEndian.Uint32(b[p+4:p+8])) * 2
		c := b[p+8 : p+8+clen]
		if r%(2*every) == 1+every && len(c) >= 44 && binary.LittleEndian.Uint32(c[0:4]) == 5 {
			shift := func(o int) {
				binary.LittleEndian.PutUint64(c[o:], math.Float64bits(math.Float64frombits(binary.LittleEndian.Uint64(c[o:]))+1))
			}
			shift(4)  // xmin
			shift(20) // xmax
			parts := int(binary.LittleEndian.Uint32(c[36:40]))
			points := int(binary.LittleEndian.Uint32(c[40:44]))
			for k := range points {
				shift(44 + 4*parts + 16*k)
			}
		}
		p += 8 + clen
	}
}
