package ogc_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"tudi/ogc"
)

// Each test here is one point of what QGIS and GDAL need (CLIENTS.md).

func TestTheLandingPageLinksServiceDescAndData(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc, _ := get(t, ts.URL+"/ogc", 200)
	if h := linkOf(doc, "service-desc", ""); h != ts.URL+"/ogc/api" {
		t.Errorf("service-desc = %q", h)
	}
	if h := linkOf(doc, "data", ""); h != ts.URL+"/ogc/collections" {
		t.Errorf("data = %q", h)
	}
	if linkOf(doc, "conformance", "") == "" || linkOf(doc, "service-doc", "") == "" {
		t.Errorf("conformance or service-doc link missing: %v", doc["links"])
	}
	// Items come gzipped to clients that take it, plain to the others.
	for _, enc := range []string{"gzip", ""} {
		req, _ := http.NewRequest("GET", ts.URL+"/ogc/collections/parcels/items?limit=5", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = resp.Body
		if got := resp.Header.Get("Content-Encoding"); got != enc {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		} else if enc == "gzip" {
			if r, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		var doc map[string]any
		if err := json.NewDecoder(r).Decode(&doc); err != nil || len(features(doc)) != 5 {
			t.Errorf("Accept-Encoding %q: %v, %d features", enc, err, len(features(doc)))
		}
		resp.Body.Close()
	}
	for _, u := range []string{"/ogc", "/ogc/collections/parcels/items?limit=5"} {
		resp, err := http.Head(ts.URL + u)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("HEAD %s: %v %v", u, resp.Status, err)
		}
		resp.Body.Close()
	}
}

func TestTheAPIDeclaresTheEnforcedLimit(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc, _ := get(t, ts.URL+"/ogc/api", 200)
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/collections/{collectionId}/items", "/collections/parcels/items"} {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Fatalf("path %s missing", p)
		}
		found := false
		for _, prm := range item["get"].(map[string]any)["parameters"].([]any) {
			m := prm.(map[string]any)
			if m["name"] != "limit" {
				continue
			}
			found = true
			s := m["schema"].(map[string]any)
			if s["maximum"].(float64) != ogc.MaxLimit || s["default"].(float64) != ogc.DefaultLimit || s["maximum"].(float64) < 1000 {
				t.Errorf("%s limit schema = %v", p, s)
			}
		}
		if !found {
			t.Errorf("%s declares no limit", p)
		}
	}
	// And the server enforces it: a larger limit is capped at the maximum.
	big, _ := get(t, ts.URL+"/ogc/collections/parcels/items?limit=20000", 200)
	if n := len(features(big)); n != fixtureParcels {
		t.Errorf("limit=20000 returned %d features", n)
	}
}

func TestNextLinksOnEveryPageButTheLastAndNumberMatched(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	next := ts.URL + "/ogc/collections/parcels/items?limit=100"
	pages := 0
	seen := map[float64]bool{}
	for next != "" {
		doc, _ := get(t, next, 200)
		pages++
		if doc["numberMatched"].(float64) != fixtureParcels {
			t.Fatalf("numberMatched = %v", doc["numberMatched"])
		}
		fs := features(doc)
		if int(doc["numberReturned"].(float64)) != len(fs) {
			t.Fatalf("numberReturned %v for %d features", doc["numberReturned"], len(fs))
		}
		for _, f := range fs {
			id := f["id"].(float64)
			if seen[id] {
				t.Fatalf("feature %v on two pages", id)
			}
			seen[id] = true
		}
		next = linkOf(doc, "next", "")
		if next != "" && !strings.HasPrefix(next, ts.URL+"/ogc/collections/parcels/items?") {
			t.Fatalf("next link %q is not absolute", next)
		}
		if next == "" && len(seen) != fixtureParcels {
			t.Fatalf("no next link after %d features", len(seen))
		}
	}
	if pages != 3 || len(seen) != fixtureParcels {
		t.Fatalf("%d pages, %d features", pages, len(seen))
	}
}

func TestCollectionExtentsAreRealInTheListToo(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	list, _ := get(t, ts.URL+"/ogc/collections", 200)
	colls := list["collections"].([]any)
	if len(colls) != 2 {
		t.Fatalf("%d collections", len(colls))
	}
	one, _ := get(t, ts.URL+"/ogc/collections/parcels", 200)
	for _, c := range []map[string]any{colls[1].(map[string]any), one} {
		if c["id"] != "parcels" {
			t.Fatalf("collection %v", c["id"])
		}
		bb := c["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
		want := []float64{113.3, 23.1, 113.325, 23.11}
		for i := range want {
			if d := bb[i].(float64) - want[i]; d > 1e-9 || d < -1e-9 {
				t.Fatalf("bbox = %v, want %v", bb, want)
			}
		}
		iv := c["extent"].(map[string]any)["temporal"].(map[string]any)["interval"].([]any)[0].([]any)
		if iv[0] != "2020-01-01" || iv[1] != "2024-10-09" {
			t.Errorf("temporal interval = %v", iv)
		}
		if c["storageCrs"] != "http://www.opengis.net/def/crs/EPSG/0/4490" || len(c["crs"].([]any)) < 4 {
			t.Errorf("crs = %v, storageCrs = %v", c["crs"], c["storageCrs"])
		}
	}
}

func TestGeoJSONInCRS84WithEveryPropertyPresentAndStableIDs(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc, h := get(t, ts.URL+"/ogc/collections/parcels/items?limit=250", 200)
	if ct := h.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if c := h.Get("Content-Crs"); c != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("Content-Crs = %q", c)
	}
	// The source attributes (props) only with props=all; every other
	// property is present in every feature either way.
	want := []string{"code", "landuse_code", "landuse_name", "ownership", "street", "status", "supply_method", "supply_date", "price_wan",
		"source", "reserve_date", "reserve_source", "plan_year", "contract_date", "paid_wan", "paid_date", "agreed_start_date", "start_date", "standard_land",
		"area_m2"}
	all, _ := get(t, ts.URL+"/ogc/collections/parcels/items?limit=250&props=all", 200)
	if len(features(all)) != len(features(doc)) {
		t.Fatalf("props=all: %d features, without: %d", len(features(all)), len(features(doc)))
	}
	for i, f := range features(all) {
		p := f["properties"].(map[string]any)
		if _, ok := p["props"].(map[string]any); !ok || len(p) != len(want)+1 {
			t.Fatalf("props=all: feature %v has properties %v", f["id"], p)
		}
		delete(p, "props")
		if g := features(doc)[i]; !reflect.DeepEqual(g["properties"], p) || !reflect.DeepEqual(g["geometry"], f["geometry"]) {
			t.Fatalf("props=all: feature %v differs beyond props:\n%v\n%v", f["id"], g, f)
		}
	}
	nulls := 0
	for _, f := range features(doc) {
		p := f["properties"].(map[string]any)
		for _, k := range want {
			v, ok := p[k]
			if !ok {
				t.Fatalf("feature %v lacks %q", f["id"], k)
			}
			if v == nil {
				nulls++
			}
		}
		if len(p) != len(want) {
			t.Fatalf("feature %v has properties %v", f["id"], p)
		}
		c := f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
		if lon := c[0].(float64); lon < 113 || lon > 114 {
			t.Fatalf("first ordinate %v is not a longitude", lon)
		}
		if _, ok := f["geometry"].(map[string]any)["crs"]; ok {
			t.Fatalf("geometry carries a crs member")
		}
	}
	if nulls == 0 {
		t.Fatal("expected some null properties in the fixture")
	}
	one, _ := get(t, ts.URL+"/ogc/collections/parcels/items/17", 200)
	again, _ := get(t, ts.URL+"/ogc/collections/parcels/items?code=DK0016", 200)
	if one["id"].(float64) != 17 || features(again)[0]["id"].(float64) != 17 || one["properties"].(map[string]any)["code"] != "DK0016" {
		t.Fatalf("ids are not stable: %v / %v", one["id"], features(again)[0]["id"])
	}
}

func TestNextLinksFollowTheForwardedHostAndPrefix(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	req := ts.URL + "/ogc/collections/parcels/items?limit=10"
	r, err := newRequest(req, map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gis.example.cn", "X-Forwarded-Prefix": "/tudi"})
	if err != nil {
		t.Fatal(err)
	}
	next := linkOf(r, "next", "")
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "https" || u.Host != "gis.example.cn" || u.Path != "/tudi/ogc/collections/parcels/items" {
		t.Fatalf("next = %q", next)
	}
}
