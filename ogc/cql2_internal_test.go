package ogc

import (
	"strings"
	"testing"

	"tudi/land"
)

// FuzzCQL2 feeds arbitrary text to both parsers and the compiler: they may
// refuse it, but never panic, and whatever compiles uses only bind
// parameters for the input's values.
func FuzzCQL2(f *testing.F) {
	for _, s := range []string{
		"street='横店街'", "a = 1 AND NOT (b LIKE 'x%') OR c IN (1,2)", "S_INTERSECTS(geometry, POLYGON((1 2,3 4,5 6,1 2)))",
		"T_DURING(INTERVAL(supply_date, '..'), INTERVAL('2020-01-01','..'))", "price_wan BETWEEN -1.5e3 AND 2", `"code" IS NOT NULL`,
		"BBOX(1,2,3,4)", "((((", "'unterminated", `{"op":"and","args":[{"op":"=","args":[{"property":"code"},"x"]}]}`,
		"S_DWITHIN(geometry, POINT(113 23), 500, 'meters')", "DATE('2020-02-30') = supply_date",
	} {
		f.Add(s)
	}
	sc := newSchema(&land.Layer{Name: "p", Kind: land.Parcels})
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (node, error){parseCQL2Text, parseCQL2JSON} {
			n, err := parse(s)
			if err != nil {
				continue
			}
			var a args
			sql, err := compileFilter(sc, n, crs84, &a)
			if err != nil {
				continue
			}
			if strings.Contains(sql, ";") || strings.Contains(sql, "--") {
				t.Fatalf("%q compiled to %q", s, sql)
			}
		}
	})
}

func TestCQL2TextParsesTheStandardsExamples(t *testing.T) {
	sc := newSchema(&land.Layer{Name: "p", Kind: land.Parcels})
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
