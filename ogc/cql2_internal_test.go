package ogc

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tudi/land"
)

// The fuzz targets feed arbitrary text to a parser and the compiler: they
// may refuse it, but never panic, and whatever compiles uses only bind
// parameters for the input's values, each of them (PostgreSQL refuses a
// statement with a parameter it cannot type, which was a 500). The seed
// corpora in testdata/fuzz hold the CQL2 standard's examples, the forms the
// tests use and every input the fuzzers found; go test runs them all, and
// TestFuzzSeedsAnswer200Or400 sends each to a real database.

func FuzzCQL2Text(f *testing.F) {
	f.Add("street='横店街'")
	f.Fuzz(func(t *testing.T, s string) { fuzzCompile(t, s, parseCQL2Text) })
}

func FuzzCQL2JSON(f *testing.F) {
	f.Add(`{"op":"=","args":[{"property":"code"},"x"]}`)
	f.Fuzz(func(t *testing.T, s string) { fuzzCompile(t, s, parseCQL2JSON) })
}

var paramRef = regexp.MustCompile(`\$([0-9]+)`)

func fuzzCompile(t *testing.T, s string, parse func(string) (node, error)) {
	n, err := parse(s)
	if err != nil {
		return
	}
	sc := newSchema(&land.Layer{Name: "p", Kind: land.Parcels}, land.Parcels.Spec())
	for _, c := range []crs{crs84, mustCRS(t, "EPSG:4490"), mustCRS(t, "EPSG:4547"), mustCRS(t, "EPSG:3857")} {
		var a args
		sql, err := compileFilter(sc, n, c, &a)
		if err != nil {
			continue
		}
		if strings.Contains(sql, ";") || strings.Contains(sql, "--") || strings.Count(sql, "(") != strings.Count(sql, ")") {
			t.Fatalf("%q compiled to %q", s, sql)
		}
		used := map[int]bool{}
		for _, m := range paramRef.FindAllStringSubmatch(sql, -1) {
			k, _ := strconv.Atoi(m[1])
			if k < 1 || k > len(a.v) {
				t.Fatalf("%q compiled to %q: $%d of %d parameters", s, sql, k, len(a.v))
			}
			used[k] = true
		}
		if len(used) != len(a.v) {
			t.Fatalf("%q compiled to %q: %d parameters bound, %d used", s, sql, len(a.v), len(used))
		}
	}
}

func mustCRS(tb testing.TB, s string) crs {
	c, err := parseCRS("crs", s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestCQL2TextParsesTheStandardsExamples(t *testing.T) {
	t.Parallel()
	sc := newSchema(&land.Layer{Name: "p", Kind: land.Parcels}, land.Parcels.Spec())
	for _, s := range []string{
		"street = '横店街'",
		"price_wan > 5 and price_wan < 10.5",
		"street LIKE '横%' OR code NOT LIKE 'DK%'",
		"price_wan NOT BETWEEN 1 AND 2",
		"street NOT IN ('a', 'b')",
		"NOT street IS NULL",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((1 1,2 1,2 2,1 1))))",
		"S_WITHIN(geometry, BBOX(-1,-1,1,1)) AND T_AFTER(supply_date, TIMESTAMP('2020-01-01T00:00:00Z'))",
		"T_INTERSECTS(INTERVAL(supply_date, '..'), INTERVAL('2020-01-01', '2021-01-01'))",
		"supply_date > DATE('2020-01-01')",
		"S_CROSSES(geometry, LINESTRING(0 0, 1 1))",
		"S_CONTAINS(geometry, POINT(113.3 -23.1))",
	} {
		n, err := parseCQL2Text(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		var a args
		if _, err := compileFilter(sc, n, crs84, &a); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

func TestCQL2TextQuoteEscapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`'it\'s'`: "it's", `'it''s'`: "it's", `'a\b'`: `a\b`, `'\''''`: "''", `'x\\''`: `x\'`} {
		n, err := parseCQL2Text("code = " + in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := n.(*opNode).Args[1].(*strNode).V; got != want {
			t.Errorf("%s read as %q, want %q", in, got, want)
		}
	}
}
