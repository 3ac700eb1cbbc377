package ogc_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAbstractTestSuite walks the abstract tests of OGC API - Features -
// Part 1 (OGC 17-069r4, Annex A) for the Core and GeoJSON conformance
// classes; the official executable suite (TEAM Engine, Java) cannot run
// here. Each subtest is named after the abstract test it checks.
func TestAbstractTestSuite(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	root := ts.URL + "/ogc"
	var landing, conf, api, colls map[string]any

	t.Run("/conf/core/http: the server speaks HTTP/1.1", func(t *testing.T) {
		resp, err := http.Get(root)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
			t.Fatalf("protocol %s", resp.Proto)
		}
	})
	t.Run("/conf/core/root-op and root-success: the landing page links the API, conformance and data", func(t *testing.T) {
		landing, _ = get(t, root, 200)
		for _, rel := range []string{"self", "service-desc", "service-doc", "conformance", "data"} {
			if linkOf(landing, rel, "") == "" {
				t.Errorf("no %s link", rel)
			}
		}
		for _, l := range landing["links"].([]any) {
			m := l.(map[string]any)
			if m["href"] == "" || m["rel"] == "" {
				t.Errorf("link without href or rel: %v", m)
			}
		}
	})
	t.Run("/conf/core/api-definition-op and success: the API definition is OpenAPI 3.0", func(t *testing.T) {
		var h http.Header
		api, h = get(t, linkOf(landing, "service-desc", ""), 200)
		if !strings.HasPrefix(api["openapi"].(string), "3.0") || !strings.Contains(h.Get("Content-Type"), "openapi") {
			t.Fatalf("openapi %v, Content-Type %s", api["openapi"], h.Get("Content-Type"))
		}
		for _, p := range []string{"/", "/conformance", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} {
			if _, ok := api["paths"].(map[string]any)[p]; !ok {
				t.Errorf("path %s not described", p)
			}
		}
	})
	t.Run("/conf/core/conformance-op and success: the classes are listed", func(t *testing.T) {
		conf, _ = get(t, linkOf(landing, "conformance", ""), 200)
		var cs []string
		for _, c := range conf["conformsTo"].([]any) {
			cs = append(cs, c.(string))
		}
		for _, want := range []string{"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core", "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson", "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"} {
			if !slices.Contains(cs, want) {
				t.Errorf("%s not listed", want)
			}
		}
	})
	t.Run("/conf/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items, fc-md-extent: the collections", func(t *testing.T) {
		colls, _ = get(t, linkOf(landing, "data", ""), 200)
		if linkOf(colls, "self", "") == "" || linkOf(colls, "alternate", "") == "" {
			t.Error("collections lacks self or alternate")
		}
		for _, c := range colls["collections"].([]any) {
			m := c.(map[string]any)
			if m["id"] == "" || linkOf(m, "items", "application/geo+json") == "" {
				t.Errorf("collection %v lacks an id or an items link", m["id"])
			}
			bb := m["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
			x0, y0, x1, y1 := bb[0].(float64), bb[1].(float64), bb[2].(float64), bb[3].(float64)
			if x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90 || x0 > x1 || y0 > y1 {
				t.Errorf("collection %v: bad extent %v", m["id"], bb)
			}
		}
	})
	t.Run("/conf/core/sfc-md-op and success: one collection matches its entry in the list", func(t *testing.T) {
		for _, c := range colls["collections"].([]any) {
			m := c.(map[string]any)
			one, _ := get(t, root+"/collections/"+m["id"].(string), 200)
			if one["id"] != m["id"] || one["title"] != m["title"] {
				t.Errorf("collection %v differs from the list", m["id"])
			}
		}
	})
	itemsURL := root + "/collections/parcels/items"
	t.Run("/conf/core/fc-limit-definition: limit is an integer with minimum 1, a maximum and a default", func(t *testing.T) {
		p := api["paths"].(map[string]any)["/collections/{collectionId}/items"].(map[string]any)["get"].(map[string]any)["parameters"].([]any)
		for _, x := range p {
			m := x.(map[string]any)
			if m["name"] == "limit" {
				s := m["schema"].(map[string]any)
				if s["type"] != "integer" || s["minimum"].(float64) != 1 || s["maximum"] == nil || s["default"] == nil || m["in"] != "query" || m["style"] != "form" {
					t.Fatalf("limit: %v", m)
				}
				return
			}
		}
		t.Fatal("no limit parameter")
	})
	t.Run("/conf/core/fc-limit-response-1: a page never holds more than limit", func(t *testing.T) {
		for _, n := range []string{"1", "9", "100"} {
			doc, _ := get(t, itemsURL+"?limit="+n, 200)
			if l := len(features(doc)); l > atoi(n) || doc["numberReturned"].(float64) != float64(l) {
				t.Errorf("limit=%s: %d features", n, l)
			}
		}
	})
	t.Run("/conf/core/fc-bbox-definition and fc-bbox-response: every feature intersects the bbox", func(t *testing.T) {
		doc, _ := get(t, itemsURL+"?bbox=113.3105,23.1025,113.3125,23.1045", 200)
		if len(features(doc)) == 0 {
			t.Fatal("nothing in the bbox")
		}
		for _, f := range features(doc) {
			ring := f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)
			minx, miny, maxx, maxy := 999.0, 999.0, -999.0, -999.0
			for _, p := range ring {
				c := p.([]any)
				minx, maxx = min(minx, c[0].(float64)), max(maxx, c[0].(float64))
				miny, maxy = min(miny, c[1].(float64)), max(maxy, c[1].(float64))
			}
			if maxx < 113.3105 || minx > 113.3125 || maxy < 23.1025 || miny > 23.1045 {
				t.Errorf("feature %v outside the bbox", f["id"])
			}
		}
	})
	t.Run("/conf/core/fc-datetime-definition and fc-datetime-response: every feature is in the interval", func(t *testing.T) {
		doc, _ := get(t, itemsURL+"?datetime=2021-01-01/2021-03-31&limit=1000", 200)
		if len(features(doc)) == 0 {
			t.Fatal("nothing in the interval")
		}
		for _, f := range features(doc) {
			d, err := time.Parse(time.DateOnly, f["properties"].(map[string]any)["supply_date"].(string))
			if err != nil || d.Before(day("2021-01-01")) || d.After(day("2021-03-31")) {
				t.Errorf("feature %v dated %v", f["id"], d)
			}
		}
	})
	t.Run("/conf/core/query-param-invalid and query-param-unknown: 400", func(t *testing.T) {
		get(t, itemsURL+"?limit=abc", 400)
		get(t, itemsURL+"?bbox=1,2", 400)
		get(t, itemsURL+"?unknownparam=1", 400)
	})
	t.Run("/conf/core/fc-response, fc-links, fc-timeStamp, fc-numberMatched, fc-numberReturned: paging over everything", func(t *testing.T) {
		next, total, matched := itemsURL+"?limit=40", 0, -1.0
		for next != "" {
			doc, h := get(t, next, 200)
			if doc["type"] != "FeatureCollection" || doc["features"] == nil {
				t.Fatalf("not a FeatureCollection: %v", doc["type"])
			}
			if linkOf(doc, "self", "application/geo+json") == "" || linkOf(doc, "alternate", "text/html") == "" {
				t.Fatal("self or alternate link missing")
			}
			if _, err := time.Parse(time.RFC3339, doc["timeStamp"].(string)); err != nil {
				t.Fatalf("timeStamp %v", doc["timeStamp"])
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/geo+json") {
				t.Fatalf("Content-Type %s", h.Get("Content-Type"))
			}
			if matched >= 0 && doc["numberMatched"].(float64) != matched {
				t.Fatal("numberMatched changed between pages")
			}
			matched = doc["numberMatched"].(float64)
			total += len(features(doc))
			next = linkOf(doc, "next", "")
		}
		if float64(total) != matched {
			t.Fatalf("numberMatched %v, but the pages hold %d", matched, total)
		}
	})
	t.Run("/conf/core/f-op, f-success: one feature with self, alternate and collection links", func(t *testing.T) {
		doc, _ := get(t, itemsURL+"/42", 200)
		for _, rel := range []string{"self", "alternate", "collection"} {
			if linkOf(doc, rel, "") == "" {
				t.Errorf("no %s link", rel)
			}
		}
		get(t, itemsURL+"/424242", 404)
	})
	t.Run("/conf/geojson/definition and content: GeoJSON features with type, geometry, properties and id", func(t *testing.T) {
		doc, h := get(t, itemsURL+"?limit=5", 200)
		if h.Get("Content-Type") != "application/geo+json" {
			t.Fatal(h.Get("Content-Type"))
		}
		for _, f := range features(doc) {
			g, _ := f["geometry"].(map[string]any)
			if f["type"] != "Feature" || g["type"] != "Polygon" || g["coordinates"] == nil || f["properties"] == nil || f["id"] == nil {
				t.Fatalf("feature %v", f)
			}
		}
		one, h := get(t, itemsURL+"/1", 200)
		if h.Get("Content-Type") != "application/geo+json" || one["type"] != "Feature" {
			t.Fatalf("single feature: %s %v", h.Get("Content-Type"), one["type"])
		}
	})
	t.Run("a feature without a geometry has geometry null", func(t *testing.T) {
		doc, _ := get(t, root+"/collections/farmland/items?code=TB3", 200)
		fs := features(doc)
		if len(fs) != 1 {
			t.Fatalf("%d features", len(fs))
		}
		if g, ok := fs[0]["geometry"]; !ok || g != nil {
			t.Fatalf("geometry = %v (present %v)", g, ok)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
