package ogc_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// fixtureRow models a row of the parcels fixture in Go, so expected counts
// come from the generator's rules and not from the database under test.
type fixtureRow struct {
	i        int
	street   string // "" for NULL
	method   string
	date     *time.Time
	price    *float64
	minx     float64
	miny     float64
	landuse  string
	hasDate  bool
	hasPrice bool
}

func fixtureRows() []fixtureRow {
	var out []fixtureRow
	for i := range fixtureParcels {
		r := fixtureRow{i: i, minx: 113.3 + float64(i%25)*0.001, miny: 23.1 + float64(i/25)*0.001, method: "招拍挂", landuse: "0101"}
		switch i % 3 {
		case 0:
			r.street = "横店街"
		case 1:
			r.street = "石楼镇"
		}
		if i%2 == 0 {
			r.landuse = "0701"
		}
		if i%5 == 0 {
			r.method = "划拨"
		}
		if i%4 != 3 {
			d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i)
			r.date, r.hasDate = &d, true
		}
		if i%10 != 9 {
			p := float64(i) * 10.5
			r.price, r.hasPrice = &p, true
		}
		out = append(out, r)
	}
	return out
}

func countWhere(pred func(fixtureRow) bool) int {
	n := 0
	for _, r := range fixtureRows() {
		if pred(r) {
			n++
		}
	}
	return n
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// inBox: the square of row r intersects [x0,y0,x1,y1] (touching counts, as
// ST_Intersects says).
func inBox(r fixtureRow, x0, y0, x1, y1 float64) bool {
	const eps = 1e-9
	return r.minx <= x1+eps && r.minx+0.001 >= x0-eps && r.miny <= y1+eps && r.miny+0.001 >= y0-eps
}

func TestEachItemsParameter(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	cases := []struct {
		name  string
		query string
		want  func(fixtureRow) bool
	}{
		{"no parameter returns every feature", "", func(fixtureRow) bool { return true }},
		{"a bbox in CRS84 selects the squares it touches", "bbox=113.3005,23.1005,113.3025,23.1015",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"a bbox with bbox-crs EPSG:4326 is lat/lon", "bbox=23.1005,113.3005,23.1015,113.3025&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"a bbox with bbox-crs EPSG:4490 is lat/lon", "bbox=23.1005,113.3005,23.1015,113.3025&bbox-crs=EPSG:4490",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"a 6-number bbox ignores heights", "bbox=113.3005,23.1005,0,113.3025,23.1015,100",
			func(r fixtureRow) bool { return inBox(r, 113.3005, 23.1005, 113.3025, 23.1015) }},
		{"a datetime instant matches that day", "datetime=2020-01-15",
			func(r fixtureRow) bool { return r.hasDate && r.date.Equal(day("2020-01-15")) }},
		{"a closed datetime interval", "datetime=2021-01-01/2021-06-30",
			func(r fixtureRow) bool {
				return r.hasDate && !r.date.Before(day("2021-01-01")) && !r.date.After(day("2021-06-30"))
			}},
		{"an open-start datetime interval", "datetime=../2020-03-01",
			func(r fixtureRow) bool { return r.hasDate && !r.date.After(day("2020-03-01")) }},
		{"an open-end datetime interval with a timestamp", "datetime=2024-01-01T00:00:00Z/..",
			func(r fixtureRow) bool { return r.hasDate && !r.date.Before(day("2024-01-01")) }},
		{"a simple property filter in Chinese", "street=" + url.QueryEscape("横店街"),
			func(r fixtureRow) bool { return r.street == "横店街" }},
		{"two property filters combine", "street=" + url.QueryEscape("石楼镇") + "&supply_method=" + url.QueryEscape("划拨"),
			func(r fixtureRow) bool { return r.street == "石楼镇" && r.method == "划拨" }},
		{"a numeric property filter", "price_wan=21",
			func(r fixtureRow) bool { return r.hasPrice && *r.price == 21 }},
		{"a date property filter", "supply_date=2020-01-08",
			func(r fixtureRow) bool { return r.hasDate && r.date.Equal(day("2020-01-08")) }},
		{"bbox, datetime and a property together", "bbox=113.3,23.1,113.31,23.105&datetime=2020-01-01/2021-12-31&landuse_code=0701",
			func(r fixtureRow) bool {
				return inBox(r, 113.3, 23.1, 113.31, 23.105) && r.hasDate && !r.date.After(day("2021-12-31")) && r.landuse == "0701"
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := ts.URL + "/ogc/collections/parcels/items?limit=1000"
			if c.query != "" {
				u += "&" + c.query
			}
			doc, _ := get(t, u, 200)
			want := countWhere(c.want)
			if want == 0 {
				t.Fatal("the case selects nothing; it would prove nothing")
			}
			if got := len(features(doc)); got != want || int(doc["numberMatched"].(float64)) != want {
				t.Fatalf("%s: %d features, numberMatched %v, want %d", c.query, got, doc["numberMatched"], want)
			}
		})
	}
}

func TestLimitPropertiesAndSortby(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?limit=3", 200)
	if len(features(doc)) != 3 || doc["numberMatched"].(float64) != fixtureParcels {
		t.Fatalf("limit=3: %d features", len(features(doc)))
	}
	doc, _ = get(t, ts.URL+"/ogc/collections/parcels/items?limit=5&properties=code,street", 200)
	for _, f := range features(doc) {
		p := f["properties"].(map[string]any)
		if _, ok := p["code"]; !ok || len(p) != 2 {
			t.Fatalf("properties=code,street gave %v", p)
		}
	}
	doc, _ = get(t, ts.URL+"/ogc/collections/parcels/items?limit=5&properties=props", 200)
	if p := features(doc)[0]["properties"].(map[string]any); len(p) != 1 || p["props"].(map[string]any)["DKBH"] != "DK0" {
		t.Fatalf("properties=props gave %v", p)
	}
	doc, _ = get(t, ts.URL+"/ogc/collections/parcels/items?limit=3&sortby=-price_wan", 200)
	// The highest price is row 248 (249 has none): 2604.
	if p := features(doc)[0]["properties"].(map[string]any)["price_wan"]; p != 2604.0 {
		t.Fatalf("sortby=-price_wan starts with %v", p)
	}
}

func TestSortedPagingVisitsEveryFeatureOnceAndPrevGoesBack(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, sortby := range []string{"", "street", "-price_wan,code", "+supply_date,-street"} {
		t.Run("sortby "+sortby, func(t *testing.T) {
			next := ts.URL + "/ogc/collections/parcels/items?limit=7&properties=street&sortby=" + url.QueryEscape(sortby)
			var pages []string
			seen := map[float64]bool{}
			var order []float64
			for next != "" {
				doc, _ := get(t, next, 200)
				pages = append(pages, next)
				for _, f := range features(doc) {
					id := f["id"].(float64)
					if seen[id] {
						t.Fatalf("feature %v seen twice", id)
					}
					seen[id] = true
					order = append(order, id)
				}
				if len(pages) > 1 && linkOf(doc, "prev", "") == "" {
					t.Fatalf("page %d has no prev link", len(pages))
				}
				if len(pages) == 3 {
					// prev of page 3 is page 2.
					back, _ := get(t, linkOf(doc, "prev", ""), 200)
					want := order[7:14]
					for i, f := range features(back) {
						if f["id"].(float64) != want[i] {
							t.Fatalf("prev page = %v…, want %v", f["id"], want)
						}
					}
				}
				next = linkOf(doc, "next", "")
			}
			if len(seen) != fixtureParcels {
				t.Fatalf("%d features", len(seen))
			}
		})
	}
}

func TestBadParametersAre400NamingTheParameter(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	cases := []struct{ name, query, names string }{
		{"a bbox with three numbers", "bbox=1,2,3", "bbox"},
		{"a bbox with words", "bbox=a,b,c,d", "bbox"},
		{"a bbox upside down", "bbox=114,24,113,23", "bbox"},
		{"a bbox off the globe", "bbox=113,23,200,24", "bbox"},
		{"an unknown crs", "crs=EPSG:9999", "crs"},
		{"an unknown bbox-crs", "bbox=1,2,3,4&bbox-crs=urn:x", "bbox-crs"},
		{"an unknown filter-crs", "filter=code='x'&filter-crs=EPSG:1", "filter-crs"},
		{"a negative limit", "limit=-1", "limit"},
		{"a zero limit", "limit=0", "limit"},
		{"a limit that is not a number", "limit=ten", "limit"},
		{"an unknown property as a filter", "nosuchfield=1", "nosuchfield"},
		{"an unknown property in properties", "properties=code,nosuch", "properties"},
		{"an unknown property in sortby", "sortby=nosuch", "sortby"},
		{"an unknown property in a filter", "filter=nosuch='x'", "filter"},
		{"malformed CQL2 text", "filter=code=", "filter"},
		{"unbalanced CQL2 parentheses", "filter=(code='a'", "filter"},
		{"an unterminated CQL2 string", "filter=code='abc", "filter"},
		{"malformed CQL2 JSON", "filter={\"op\":&filter-lang=cql2-json", "filter"},
		{"an unknown filter-lang", "filter=x&filter-lang=sql", "filter-lang"},
		{"a type mismatch in CQL2", "filter=price_wan='cheap'", "filter"},
		{"a bad datetime", "datetime=yesterday", "datetime"},
		{"a bad date property value", "supply_date=30/06/2023", "supply_date"},
		{"a bad number property value", "price_wan=abc", "price_wan"},
		{"a forged cursor", "cursor=bm9wZQ", "cursor"},
		{"an unknown format", "f=xml", "f"},
		{"a bad as_of date", "as_of=2017-02-30", "as_of"},
		{"as_of on a layer without history", "as_of=2017-01-01", "as_of: layer \"parcels\" keeps no history"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?"+strings.ReplaceAll(c.query, " ", "%20"), 400)
			msg, _ := doc["error"].(string)
			if !strings.Contains(msg, c.names) {
				t.Fatalf("message %q does not name %q", msg, c.names)
			}
		})
	}
	t.Run("datetime on a layer without dates", func(t *testing.T) {
		doc, _ := get(t, ts.URL+"/ogc/collections/farmland/items?datetime=2020-01-01", 400)
		if !strings.Contains(doc["error"].(string), "datetime") {
			t.Fatal(doc)
		}
	})
	t.Run("an unknown parameter on the landing page", func(t *testing.T) {
		get(t, ts.URL+"/ogc?foo=1", 400)
	})
	t.Run("an unknown collection is 404", func(t *testing.T) {
		get(t, ts.URL+"/ogc/collections/nope/items", 404)
		get(t, ts.URL+"/ogc/collections/parcels/items/99999", 404)
		get(t, ts.URL+"/ogc/collections/parcels/items/abc", 404)
	})
}
