package ogc_test

import (
	"context"
	"encoding/base64"
	"math"
	"net/url"
	"testing"

	"github.com/paulmach/orb"

	"tudi/geo"
)

func TestCQL2FiltersSelectWhatTheGeneratorSays(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	square := func(r fixtureRow, x0, y0, x1, y1 float64) bool { // fully inside
		const eps = 1e-9
		return r.minx >= x0-eps && r.minx+0.001 <= x1+eps && r.miny >= y0-eps && r.miny+0.001 <= y1+eps
	}
	cases := []struct {
		name, lang, filter, extra string
		want                      func(fixtureRow) bool
	}{
		{"text equality in Chinese", "", "street='横店街'", "", func(r fixtureRow) bool { return r.street == "横店街" }},
		{"inequality leaves NULLs out", "", "street <> '横店街'", "", func(r fixtureRow) bool { return r.street == "石楼镇" }},
		{"number ranges with AND", "", "price_wan > 1000 AND price_wan <= 2000", "", func(r fixtureRow) bool { return r.hasPrice && *r.price > 1000 && *r.price <= 2000 }},
		{"BETWEEN", "", "price_wan BETWEEN 100 AND 200", "", func(r fixtureRow) bool { return r.hasPrice && *r.price >= 100 && *r.price <= 200 }},
		{"NOT BETWEEN", "", "price_wan NOT BETWEEN 100 AND 2500", "", func(r fixtureRow) bool { return r.hasPrice && (*r.price < 100 || *r.price > 2500) }},
		{"IN", "", "supply_method IN ('划拨', '协议')", "", func(r fixtureRow) bool { return r.method == "划拨" }},
		{"NOT IN", "", "landuse_code NOT IN ('0701')", "", func(r fixtureRow) bool { return r.landuse == "0101" }},
		{"IS NULL", "", "street IS NULL", "", func(r fixtureRow) bool { return r.street == "" }},
		{"IS NOT NULL", "", "price_wan IS NOT NULL", "", func(r fixtureRow) bool { return r.hasPrice }},
		{"LIKE", "", "code LIKE 'DK00%'", "", func(r fixtureRow) bool { return r.i < 100 }},
		{"NOT LIKE", "", "street NOT LIKE '横%'", "", func(r fixtureRow) bool { return r.street == "石楼镇" }},
		{"NOT of a group", "", "NOT (street = '横店街')", "", func(r fixtureRow) bool { return r.street == "石楼镇" }},
		{"OR with precedence below AND", "", "supply_method = '划拨' OR price_wan < 50 AND street = '石楼镇'", "",
			func(r fixtureRow) bool {
				return r.method == "划拨" || r.hasPrice && *r.price < 50 && r.street == "石楼镇"
			}},
		{"case-insensitive keywords and a quoted property", "", `"street" = '横店街' and "price_wan" is not null`, "",
			func(r fixtureRow) bool { return r.street == "横店街" && r.hasPrice }},
		{"S_INTERSECTS with a BBOX", "", "S_INTERSECTS(geometry, BBOX(113.3005,23.1005,113.3025,23.1015))", "",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"S_INTERSECTS with a polygon", "", "S_INTERSECTS(geometry, POLYGON((113.3005 23.1005, 113.3025 23.1005, 113.3025 23.1015, 113.3005 23.1015, 113.3005 23.1005)))", "",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"S_WITHIN", "", "S_WITHIN(geometry, BBOX(113.2999,23.0999,113.3051,23.1021))", "",
			func(r fixtureRow) bool { return square(r, 113.2999, 23.0999, 113.3051, 23.1021) }},
		{"S_CONTAINS a point", "", "S_CONTAINS(geometry, POINT(113.3015 23.1015))", "", func(r fixtureRow) bool { return r.i == 26 }},
		{"S_DISJOINT", "", "S_DISJOINT(geometry, BBOX(113.3005,23.1005,113.3025,23.1015))", "",
			func(r fixtureRow) bool { return !inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"S_DWITHIN 10 m of a centre finds its square", "", "S_DWITHIN(geometry, POINT(113.3015 23.1015), 10, 'meters')", "", func(r fixtureRow) bool { return r.i == 26 }},
		{"S_DWITHIN 60 m reaches the four edge neighbours", "", "S_DWITHIN(geometry, POINT(113.3015 23.1015), 60)", "",
			func(r fixtureRow) bool { return r.i == 26 || r.i == 25 || r.i == 27 || r.i == 1 || r.i == 51 }},
		{"filter-crs EPSG:4326 reads lat/lon", "", "S_CONTAINS(geometry, POINT(23.1015 113.3015))", "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
			func(r fixtureRow) bool { return r.i == 26 }},
		{"a date comparison", "", "supply_date >= DATE('2024-01-01')", "", func(r fixtureRow) bool { return r.hasDate && !r.date.Before(day("2024-01-01")) }},
		{"T_AFTER", "", "T_AFTER(supply_date, DATE('2024-01-01'))", "", func(r fixtureRow) bool { return r.hasDate && r.date.After(day("2024-01-01")) }},
		{"T_BEFORE a timestamp", "", "T_BEFORE(supply_date, TIMESTAMP('2020-02-01T00:00:00Z'))", "", func(r fixtureRow) bool { return r.hasDate && r.date.Before(day("2020-02-01")) }},
		{"T_DURING an interval", "", "T_DURING(INTERVAL(supply_date, supply_date), INTERVAL('2021-01-01','2021-06-30'))", "",
			func(r fixtureRow) bool {
				return r.hasDate && r.date.After(day("2021-01-01")) && r.date.Before(day("2021-06-30"))
			}},
		{"T_INTERSECTS an open interval", "", "T_INTERSECTS(supply_date, INTERVAL('..','2020-03-01'))", "",
			func(r fixtureRow) bool { return r.hasDate && !r.date.After(day("2020-03-01")) }},
		{"T_EQUALS", "", "T_EQUALS(supply_date, DATE('2020-01-08'))", "", func(r fixtureRow) bool { return r.hasDate && r.date.Equal(day("2020-01-08")) }},
		{"JSON equality", "cql2-json", `{"op":"=","args":[{"property":"street"},"横店街"]}`, "", func(r fixtureRow) bool { return r.street == "横店街" }},
		{"JSON and/like/in", "cql2-json", `{"op":"and","args":[{"op":"like","args":[{"property":"code"},"DK01%"]},{"op":"in","args":[{"property":"street"},["横店街"]]}]}`, "",
			func(r fixtureRow) bool { return r.i >= 100 && r.i < 200 && r.street == "横店街" }},
		{"JSON isNull", "cql2-json", `{"op":"isNull","args":[{"property":"street"}]}`, "", func(r fixtureRow) bool { return r.street == "" }},
		{"JSON s_intersects with a bbox", "cql2-json", `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[113.3005,23.1005,113.3025,23.1015]}]}`, "",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"JSON s_intersects with GeoJSON", "cql2-json", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[113.3015,23.1015]}]}`, "",
			func(r fixtureRow) bool { return r.i == 26 }},
		{"JSON t_during", "cql2-json", `{"op":"t_during","args":[{"interval":[{"property":"supply_date"},{"property":"supply_date"}]},{"interval":["2021-01-01","2021-06-30"]}]}`, "",
			func(r fixtureRow) bool {
				return r.hasDate && r.date.After(day("2021-01-01")) && r.date.Before(day("2021-06-30"))
			}},
		{"JSON between and not", "cql2-json", `{"op":"not","args":[{"op":"between","args":[{"property":"price_wan"},100,2500]}]}`, "",
			func(r fixtureRow) bool { return r.hasPrice && (*r.price < 100 || *r.price > 2500) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := ts.URL + "/ogc/collections/parcels/items?limit=1000&filter=" + url.QueryEscape(c.filter) + c.extra
			if c.lang != "" {
				u += "&filter-lang=" + c.lang
			}
			doc, _ := get(t, u, 200)
			want := countWhere(c.want)
			if want == 0 {
				t.Fatal("the case selects nothing; it would prove nothing")
			}
			if got := len(features(doc)); got != want || int(doc["numberMatched"].(float64)) != want {
				t.Fatalf("%s: %d features (numberMatched %v), want %d", c.filter, got, doc["numberMatched"], want)
			}
		})
	}
}

// TestCQL2InjectionStaysData throws SQL at every way into the query: it must
// come back as a 400 or as data that matches nothing, and the tables must be
// untouched.
func TestCQL2InjectionStaysData(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	evil := base64.RawURLEncoding.EncodeToString([]byte(`{"k":["x'); DROP TABLE layers.parcels; --"],"i":1}`))
	cases := []struct{ name, query string }{
		{"a quote-escaping string literal", "filter=" + url.QueryEscape(`code = 'x''; DROP TABLE layers.parcels; --'`)},
		{"a LIKE pattern with quotes", "filter=" + url.QueryEscape(`code LIKE '%'' OR ''1''=''1'`)},
		{"a statement after the filter", "filter=" + url.QueryEscape(`code = 'a'; DROP TABLE layers.parcels`)},
		{"a comment after the filter", "filter=" + url.QueryEscape(`code = 'a' -- ' OR 1=1`)},
		{"a quoted property name with SQL", "filter=" + url.QueryEscape(`"code"" = 'a'; DROP TABLE layers.parcels; --" = 'a'`)},
		{"a function that is not CQL2", "filter=" + url.QueryEscape(`pg_sleep(10) = 1`)},
		{"SQL in a WKT literal", "filter=" + url.QueryEscape(`S_INTERSECTS(geometry, POINT(1 2)); DELETE FROM tudi.layers; --`)},
		{"SQL in a date", "filter=" + url.QueryEscape(`supply_date = DATE('2020-01-01''); DROP TABLE layers.parcels; --')`)},
		{"SQL as a JSON property", "filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"=","args":[{"property":"code\") OR (1=1"},"x"]}`)},
		{"SQL as a JSON operator", "filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"= 1 OR 1 =","args":[{"property":"code"},"x"]}`)},
		{"SQL as a JSON string", "filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"=","args":[{"property":"code"},"x' OR '1'='1"]}`)},
		{"SQL in sortby", "sortby=" + url.QueryEscape(`code;DROP TABLE layers.parcels`)},
		{"SQL in a property filter", "code=" + url.QueryEscape(`x' OR '1'='1`)},
		{"SQL in properties", "properties=" + url.QueryEscape(`code,(SELECT 1)`)},
		{"SQL in bbox", "bbox=" + url.QueryEscape(`1,2,3,4); DROP TABLE layers.parcels; --`)},
		{"SQL in a cursor", "sortby=street&cursor=" + evil},
		{"a deeply nested filter", "filter=" + url.QueryEscape(deep(500))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := httpGet(ts.URL + "/ogc/collections/parcels/items?" + c.query)
			if err != nil {
				t.Fatal(err)
			}
			switch resp.status {
			case 400:
			case 200:
				if n := len(features(resp.doc)); n != 0 && c.name != "SQL in a cursor" {
					t.Fatalf("the payload matched %d features", n)
				}
			default:
				t.Fatalf("status %d: %v", resp.status, resp.doc)
			}
		})
	}
	var n, layers int
	if err := db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM layers.parcels), (SELECT count(*) FROM tudi.layers)`).Scan(&n, &layers); err != nil {
		t.Fatal(err)
	}
	if n != fixtureParcels || layers != 2 {
		t.Fatalf("after the attempts: %d parcels, %d layers", n, layers)
	}
}

func deep(n int) string {
	s := "code = 'a'"
	for range n {
		s = "(" + s + ")"
	}
	return s
}

func TestCRSParametersAndAxisOrder(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	// Feature 1 is the square from (113.300, 23.100); its first vertex is that corner.
	first := func(query string) ([]float64, string) {
		doc, h := get(t, ts.URL+"/ogc/collections/parcels/items/1"+query, 200)
		c := doc["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
		return []float64{c[0].(float64), c[1].(float64)}, h.Get("Content-Crs")
	}
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
	p, h := first("")
	if !near(p[0], 113.3, 1e-9) || !near(p[1], 23.1, 1e-9) || h != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("CRS84: %v %s", p, h)
	}
	for _, c := range []string{"EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4490"} {
		p, h = first("?crs=" + url.QueryEscape(c))
		if !near(p[0], 23.1, 1e-9) || !near(p[1], 113.3, 1e-9) || h == "" {
			t.Errorf("%s is lat/lon: %v %s", c, p, h)
		}
	}
	p, h = first("?crs=http://www.opengis.net/def/crs/EPSG/0/3857")
	// Web Mercator by the spherical formulas: x = R λ, y = R ln tan(π/4 + φ/2).
	const r = 6378137.0
	x := r * 113.3 * math.Pi / 180
	y := r * math.Log(math.Tan(math.Pi/4+23.1*math.Pi/360))
	if !near(p[0], x, 0.01) || !near(p[1], y, 0.01) || h != "<http://www.opengis.net/def/crs/EPSG/0/3857>" {
		t.Errorf("EPSG:3857: %v, want %v %v", p, x, y)
	}
	// Gauss-Krüger zone CM 114°E (EPSG:4547) orders northing first.
	z, _ := geo.CGCS2000GK(4547)
	en := z.Forward(orb.Point{113.3, 23.1})
	p, h = first("?crs=http://www.opengis.net/def/crs/EPSG/0/4547")
	if !near(p[0], en[1], 0.01) || !near(p[1], en[0], 0.01) || h != "<http://www.opengis.net/def/crs/EPSG/0/4547>" {
		t.Errorf("EPSG:4547: %v, want northing %v easting %v", p, en[1], en[0])
	}
	// A bbox in the GK zone (northing first) selects the same squares as in CRS84.
	lo := z.Forward(orb.Point{113.3005, 23.1005})
	hi := z.Forward(orb.Point{113.3025, 23.1015})
	doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?bbox-crs=EPSG:4547&bbox="+
		url.QueryEscape(fmtFloats(lo[1], lo[0], hi[1], hi[0])), 200)
	if got, want := len(features(doc)), countWhere(func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }); got != want {
		t.Errorf("GK bbox: %d features, want %d", got, want)
	}
}

func TestHTMLViews(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, u := range []string{"/ogc?f=html", "/ogc/conformance?f=html", "/ogc/collections?f=html", "/ogc/collections/parcels?f=html",
		"/ogc/collections/parcels/items?f=html&limit=5", "/ogc/collections/parcels/items/1?f=html", "/ogc/collections/parcels/queryables?f=html", "/ogc/api?f=html"} {
		doc, h := get(t, ts.URL+u, 200)
		body := doc["body"].(string)
		if h.Get("Content-Type") != "text/html; charset=utf-8" || !contains(body, "<html") || contains(body, "http://cdn") || contains(body, "<script src") {
			t.Errorf("%s: %s %.200s", u, h.Get("Content-Type"), body)
		}
	}
	doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?f=html&limit=5", 200)
	if b := doc["body"].(string); !contains(b, "DK0004") || !contains(b, ">next</a>") || !contains(b, "横店街") {
		t.Errorf("items page lacks features or links: %s", b)
	}
	// A browser's Accept header gets HTML without f.
	r, err := httpGetAccept(ts.URL+"/ogc/collections", "text/html,application/xhtml+xml,*/*;q=0.8")
	if err != nil || r != "text/html; charset=utf-8" {
		t.Errorf("Accept: text/html gave %q %v", r, err)
	}
}
