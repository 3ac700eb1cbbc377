package importers

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestNormaliseDates(t *testing.T) {
	t.Parallel()
	want := time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)
	for _, v := range []any{"2023-06-30", "2023-6-30", "20230630", "2023/6/30", "2023/06/30", "2023.6.30", "2023年6月30日",
		" 2023年06月30日 ", "2023-06-30T08:00:00+08:00", "2023/6/30 8:00", int64(20230630), float64(20230630), want.Add(5 * time.Hour)} {
		got, err := parseDate(v)
		if err != nil || got != want {
			t.Errorf("parseDate(%#v) = %v, %v", v, got, err)
		}
	}
	for _, v := range []any{"30 June", "2023-13-01", "2023-02-30", int64(12), true} {
		if got, err := parseDate(v); err == nil {
			t.Errorf("parseDate(%#v) = %v, want an error", v, got)
		}
	}
}

func TestNormaliseBoolsAndNumbers(t *testing.T) {
	t.Parallel()
	for v, want := range map[any]bool{"是": true, "否": false, "Y": true, "n": false, "TRUE": true, "false": false, "1": true, "0": false, int64(1): true, 0.0: false} {
		if got, err := parseBool(v); err != nil || got != want {
			t.Errorf("parseBool(%#v) = %v, %v", v, got, err)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error("parseBool(maybe) is not an error")
	}
	for v, want := range map[any]any{" 12 ": int32(12), "1,234": int32(1234), 7.0: int32(7), int64(3): int32(3)} {
		if got, err := normalise("int", v); err != nil || got != want {
			t.Errorf("int %#v = %#v, %v", v, got, err)
		}
	}
	for _, v := range []any{"12.5", "abc", 1e12} {
		if got, err := normalise("int", v); err == nil {
			t.Errorf("int %#v = %v, want an error", v, got)
		}
	}
	if got, _ := normalise("float", "1,234.5"); got != 1234.5 {
		t.Errorf("float = %v", got)
	}
	if got, _ := normalise("text", "  沙河街道 "); got != "沙河街道" {
		t.Errorf("text = %q", got)
	}
}

func TestLookupEncodingNormalisesNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"GBK": "GBK", "cp936": "GBK", "936": "GBK", "GB2312": "GBK", "ANSI 936": "GBK",
		"GB18030": "GB18030", "utf-8": "UTF-8", "UTF8": "UTF-8", "65001": "UTF-8", "Big5": "Big5", "Big-5": "Big5", "950": "Big5",
		"windows-1252": "windows-1252", "ISO-8859-1": "ISO-8859-1"} {
		e, err := lookupEncoding(name, "test")
		if err != nil || e.Name != want {
			t.Errorf("lookupEncoding(%q) = %q, %v; want %s", name, e.Name, err, want)
		}
	}
	if _, err := lookupEncoding("KLINGON", "x.cpg"); err == nil {
		t.Error("an unknown name is not an error")
	}
}

func TestParseWKBDropsZAndM(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	f := func(b []byte, v ...float64) []byte {
		for _, x := range v {
			b = le.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	// ISO PolygonZ (1003) with one ring of 4 points.
	b := le.AppendUint32([]byte{1}, 1003)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 4)
	b = f(b, 0, 0, 5, 1, 0, 5, 1, 1, 5, 0, 0, 5)
	g, zm, err := parseWKB(b)
	if err != nil || !zm || !orb.Equal(g, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}) {
		t.Fatalf("parseWKB = %v %v %v", g, zm, err)
	}
	// EWKB MultiPoint with Z and M flags and an SRID.
	b = le.AppendUint32([]byte{1}, 4|0x80000000|0x40000000|0x20000000)
	b = le.AppendUint32(b, 4490)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(append(b, 1), 1|0x80000000|0x40000000)
	b = f(b, 113, 23, 1, 2)
	g, _, err = parseWKB(b)
	if err != nil || !orb.Equal(g, orb.MultiPoint{{113, 23}}) {
		t.Fatalf("parseWKB = %v %v", g, err)
	}
	for _, bad := range [][]byte{nil, {1, 3, 0, 0, 0, 255, 255, 255, 255}, {7}} {
		if _, _, err := parseWKB(bad); err == nil {
			t.Errorf("parseWKB(%x) is not an error", bad)
		}
	}
}

func TestAssemblePolygonGroupsHolesIntoTheSmallestOuterRing(t *testing.T) {
	t.Parallel()
	big := square(0, 0, 100)
	small := square(10, 10, 20)
	hole := reversed(square(12, 12, 5))
	g := assemblePolygon([][]orb.Point{big, small, hole})
	mp, ok := g.(orb.MultiPolygon)
	if !ok || len(mp) != 2 || len(mp[0]) != 1 || len(mp[1]) != 2 {
		t.Fatalf("assemblePolygon = %#v", g)
	}
	// A hole outside every outer ring becomes a polygon of its own.
	g = assemblePolygon([][]orb.Point{big, reversed(square(500, 500, 5))})
	if mp, ok := g.(orb.MultiPolygon); !ok || len(mp) != 2 {
		t.Fatalf("stray hole: %#v", g)
	}
}
