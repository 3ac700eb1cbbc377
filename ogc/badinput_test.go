package ogc_test

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestBadInputIsAClientError: inputs that PostgreSQL or PROJ would refuse
// are refused first, as 400 naming the parameter, never a 500.
func TestBadInputIsAClientError(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	items := ts.URL + "/ogc/collections/parcels/items?"
	f := func(s string) string { return "filter=" + url.QueryEscape(s) }
	j := func(s string) string { return "filter-lang=cql2-json&filter=" + url.QueryEscape(s) }
	cases := []struct{ name, url, says string }{
		{"a LIKE pattern ending with the escape character", items + j(`{"op":"like","args":[{"property":"code"},"DK\\"]}`), "escape character"},
		{"a LIKE pattern ending with three backslashes", items + j(`{"op":"like","args":[{"property":"code"},"DK\\\\\\"]}`), "escape character"},
		{"a LIKE pattern that is a property", items + j(`{"op":"like","args":[{"property":"code"},{"property":"street"}]}`), "pattern"},
		{"a text LIKE whose pattern is only a backslash", items + f(`code LIKE '\'`), "unterminated"},
		{"a NUL in a filter", items + f("code = 'a\x00b'"), "NUL"},
		{"a NUL in a property filter", items + "code=a%00b", "NUL"},
		{"invalid UTF-8 in a property filter", items + "code=%ff%fe", "UTF-8"},
		{"invalid UTF-8 in a filter", items + f("code = '\xff'"), "UTF-8"},
		{"invalid UTF-8 in a parameter name", items + "%ff=1", "UTF-8"},
		{"a NUL in f on the landing page", ts.URL + "/ogc/?f=%00", "NUL"},
		{"invalid UTF-8 in the collections' f", ts.URL + "/ogc/collections?f=%c3%28", "UTF-8"},
		{"a NUL in a single feature's crs", ts.URL + "/ogc/collections/parcels/items/1?crs=%00", "NUL"},
		{"a NUL in a cursor's key", items + "sortby=street&cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"k":["a\u0000b"],"i":1}`)), "cursor"},
		{"year 0 in a DATE", items + f("supply_date = DATE('0000-01-01')"), "0000"},
		{"year 0 in datetime", items + "datetime=0000-01-01", "0000"},
		{"a longitude beyond 180 in bbox", items + "bbox=100,20,200,30", "outside"},
		{"a latitude beyond 90 in a lat/lon bbox", items + "bbox-crs=EPSG:4490&bbox=20,100,95,110", "outside"},
		{"1e30 in bbox", items + "bbox=1e30,1,2,3", "outside"},
		{"a bbox beyond a Gauss-Krüger zone", items + "bbox-crs=EPSG:4547&bbox=-1e30,-1e30,1e30,1e30", "outside"},
		{"a bbox beyond the Web Mercator world", items + "bbox-crs=EPSG:3857&bbox=-1e30,-1e30,1e30,1e30", "outside"},
		{"a filter point beyond a Gauss-Krüger zone", items + "filter-crs=EPSG:4547&" + f("S_INTERSECTS(geometry, POINT(1e30 1e30))"), "outside"},
		{"a filter point beyond 180°", items + f("S_INTERSECTS(geometry, POINT(1e30 1e30))"), "outside"},
		{"a 2-point ring", items + f("S_INTERSECTS(geometry, POLYGON((113 23, 114 23)))"), "ring"},
		{"an unclosed ring in JSON", items + j(`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[113,23],[114,23],[114,24],[113,24]]]}]}`), "ring"},
		{"a 1-point line", items + f("S_INTERSECTS(geometry, LINESTRING(113 23))"), "line"},
		{"POINT Z with two numbers", items + f("S_INTERSECTS(geometry, POINT Z(113 23))"), "3 (x y z)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, _ := get(t, c.url, 400)
			if msg, _ := doc["error"].(string); !strings.Contains(msg, c.says) {
				t.Errorf("message %q does not say %q", msg, c.says)
			}
		})
	}
	// The edges of the accepted domains answer (the CRSs' transformations
	// hold there), even if nothing lies in them.
	for _, q := range []string{
		"bbox=-180,-90,180,90",
		"bbox-crs=EPSG:4547&bbox=-10000000,-500000,10000000,1500000",
		"bbox-crs=EPSG:4513&bbox=-10000000,24500000,10000000,26500000",
		"bbox-crs=EPSG:4491&bbox=-10000000,12500000,10000000,14500000",
		"bbox-crs=EPSG:3857&bbox=-20037508.342789244,-20037508.342789244,20037508.342789244,20037508.342789244",
		"filter-crs=EPSG:4547&" + f("S_INTERSECTS(geometry, POLYGON((-10000000 -500000, -10000000 1500000, 10000000 1500000, 10000000 -500000, -10000000 -500000)))"),
	} {
		get(t, items+q, 200)
	}
}

func TestINListsOfAnyLength(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	var b strings.Builder
	b.WriteString("id IN (")
	for i := 1; i <= 70000; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(")")
	doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?limit=1&filter="+url.QueryEscape(b.String()), 200)
	if n := doc["numberMatched"].(float64); n != fixtureParcels {
		t.Errorf("id IN (1..70000): %v matched, want %d", n, fixtureParcels)
	}
	cases := []struct {
		name, lang, filter string
		want               func(fixtureRow) bool
	}{
		{"dates", "", "supply_date IN (DATE('2020-01-08'), TIMESTAMP('2020-01-15T00:00:00Z'))", func(r fixtureRow) bool { return r.i == 1 || r.i == 2 }},
		{"texts and a property", "", "street IN ('横店街', code)", func(r fixtureRow) bool { return r.street == "横店街" }},
		{"numbers in JSON", "cql2-json", `{"op":"in","args":[{"property":"price_wan"},[10.5,21,"x"]]}`, nil},
		{"NOT IN keeps NULLs out", "", "street NOT IN ('横店街')", func(r fixtureRow) bool { return r.street == "石楼镇" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := ts.URL + "/ogc/collections/parcels/items?limit=1000&filter-lang=" + c.lang + "&filter=" + url.QueryEscape(c.filter)
			if c.lang == "" {
				u = ts.URL + "/ogc/collections/parcels/items?limit=1000&filter=" + url.QueryEscape(c.filter)
			}
			if c.want == nil {
				get(t, u, 400) // a text in a list of numbers
				return
			}
			doc, _ := get(t, u, 200)
			if got, want := len(features(doc)), countWhere(c.want); got != want || want == 0 {
				t.Errorf("%d features, want %d (> 0)", got, want)
			}
		})
	}
}

// TestCQL2TextReadsZAndBackslashQuotes: the geometry types with Z and 3-D
// positions (heights dropped) and the \' escape of the CQL2 grammar.
func TestCQL2TextReadsZAndBackslashQuotes(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	centre := func(r fixtureRow) bool { return r.i == 26 } // the square around 113.3015 23.1015
	square := "(113.3011 23.1011 5, 113.3019 23.1011 5, 113.3019 23.1019 6, 113.3011 23.1019 6, 113.3011 23.1011 5)"
	cases := []struct {
		lang, filter string
		want         func(fixtureRow) bool
	}{
		{"", "S_INTERSECTS(geometry, POINT Z(113.3015 23.1015 10))", centre},
		{"", "S_INTERSECTS(geometry, POINT z (113.3015 23.1015 -3.5))", centre},
		{"", "S_INTERSECTS(geometry, POINT(113.3015 23.1015 10))", centre},
		{"", "S_WITHIN(geometry, POLYGON Z((113.2999 23.0999 0, 113.3051 23.0999 0, 113.3051 23.1021 1, 113.2999 23.1021 1, 113.2999 23.0999 0)))",
			func(r fixtureRow) bool { return r.i < 50 && r.i%25 < 5 }},
		{"", "S_INTERSECTS(geometry, POLYGON Z(" + square + "))", centre},
		{"", "S_INTERSECTS(geometry, MULTIPOLYGON Z((" + square + ")))", centre},
		{"", "S_INTERSECTS(geometry, LINESTRING Z(113.3012 23.1012 1, 113.3018 23.1018 2))", centre},
		{"", "S_INTERSECTS(geometry, MULTILINESTRING Z((113.3012 23.1012 1, 113.3018 23.1018 2)))", centre},
		{"", "S_INTERSECTS(geometry, MULTIPOINT Z((113.3015 23.1015 1), (113.3016 23.1016 2)))", centre},
		{"", "S_INTERSECTS(geometry, MULTIPOINT Z(113.3015 23.1015 1, 113.3016 23.1016 2))", centre},
		{"", "S_INTERSECTS(geometry, GEOMETRYCOLLECTION Z(POINT Z(113.3015 23.1015 1), LINESTRING Z(113.3012 23.1012 1, 113.3018 23.1018 2)))", centre},
		{"cql2-json", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[113.3015,23.1015,10]}]}`, centre},
		{"", `code = 'DK0026' AND code <> 'it\'s' AND code <> 'it''s'`, centre},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			u := ts.URL + "/ogc/collections/parcels/items?limit=1000&filter=" + url.QueryEscape(c.filter)
			if c.lang != "" {
				u += "&filter-lang=" + c.lang
			}
			doc, _ := get(t, u, 200)
			if got, want := len(features(doc)), countWhere(c.want); got != want || want == 0 {
				t.Errorf("%d features, want %d (> 0)", got, want)
			}
		})
	}
}
