package ogc_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestAnswersAreCompressedAsTheClientAsks checks every JSON resource of
// /ogc in each coding: br when the client prefers or merely accepts it,
// gzip otherwise, identity when it takes neither, the same document in
// each, Vary: Accept-Encoding always, and HEAD with GET's headers.
func TestAnswersAreCompressedAsTheClientAsks(t *testing.T) {
	ts, _ := newServer(t)
	paths := []string{"/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/parcels",
		"/ogc/collections/parcels/queryables", "/ogc/collections/parcels/items?limit=100",
		"/ogc/collections/parcels/items/1", "/ogc/collections/parcels/items?f=html&limit=5"}
	codings := []struct{ accept, want string }{
		{"", ""},
		{"gzip, deflate", "gzip"},              // QGIS
		{"deflate, gzip, br, zstd", "br"},      // curl --compressed
		{"gzip, deflate, br, zstd", "br"},      // browsers
		{"br;q=0.5, gzip", "gzip"},             // a stated preference
		{"gzip;q=0, br;q=0.0", ""},             // refusals
		{"gzip;q=0.0", ""},                     // (the old items code gzipped this one)
		{"identity;q=1, *;q=0", ""},            //
		{"*", "br"},                            //
		{"gzip;q=0.5, identity;q=0.9", ""},     //
		{"x-gzip", "gzip"},                     //
		{"br, gzip;q=0.8, identity;q=0", "br"}, //
	}
	for _, p := range paths {
		plain, _ := fetch(t, "GET", ts.URL+p, "")
		for _, c := range codings {
			got, resp := fetch(t, "GET", ts.URL+p, c.accept)
			if enc := resp.Header.Get("Content-Encoding"); enc != c.want {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, want %q", p, c.accept, enc, c.want)
				continue
			}
			if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
				t.Errorf("%s, Accept-Encoding %q: Vary %q", p, c.accept, v)
			}
			if !sameDocument(plain, got) {
				t.Errorf("%s, Accept-Encoding %q: the document differs from the identity one", p, c.accept)
			}
			head, hresp := fetch(t, "HEAD", ts.URL+p, c.accept)
			if len(head) != 0 || hresp.StatusCode != resp.StatusCode ||
				hresp.Header.Get("Content-Encoding") != c.want || hresp.Header.Get("Content-Type") != resp.Header.Get("Content-Type") {
				t.Errorf("%s, Accept-Encoding %q: HEAD %d, Content-Encoding %q, Content-Type %q, %d bytes; GET %d, %q",
					p, c.accept, hresp.StatusCode, hresp.Header.Get("Content-Encoding"), hresp.Header.Get("Content-Type"), len(head),
					resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	}
	// An error answer is compressed like any other, and says what went wrong.
	body, resp := fetch(t, "GET", ts.URL+"/ogc/collections/nosuch/items", "br")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "nosuch") {
		t.Errorf("error answer: %d %q", resp.StatusCode, body)
	}
}

// fetch sends a request with the given Accept-Encoding ("" for none) and
// returns the decoded body.
func fetch(t *testing.T, method, u, accept string) ([]byte, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch coding := resp.Header.Get("Content-Encoding"); {
	case method == "HEAD":
	case coding == "gzip":
		if r, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	case coding == "br":
		r = brotli.NewReader(resp.Body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s %s (Accept-Encoding %q): %v", method, u, accept, err)
	}
	return b, resp
}

// sameDocument compares two JSON documents but for their timeStamp, or two
// other bodies byte for byte.
func sameDocument(a, b []byte) bool {
	var da, db map[string]any
	if json.Unmarshal(a, &da) != nil || json.Unmarshal(b, &db) != nil {
		return string(a) == string(b)
	}
	delete(da, "timeStamp")
	delete(db, "timeStamp")
	return reflect.DeepEqual(da, db)
}

// TestAcceptChoosesHTMLOrJSON checks the representation chosen by Accept
// (without f): HTML when ranked above every JSON type, JSON otherwise.
func TestAcceptChoosesHTMLOrJSON(t *testing.T) {
	ts, _ := newServer(t)
	for accept, want := range map[string]string{
		"": "application/json",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "text/html; charset=utf-8", // browsers
		"application/geo+json, application/json":                          "application/json",         // GDAL
		"*/*":                                                             "application/json",
		"text/html;q=0, */*":                                              "application/json", // HTML refused (it was sent HTML)
		"text/html;q=0.1, application/json":                               "application/json", // JSON preferred (it was sent HTML)
		"application/json;q=0.5, text/html":                               "text/html; charset=utf-8",
		"text/html":                                                       "text/html; charset=utf-8",
		"image/png":                                                       "application/json",
	} {
		got, err := httpGetAccept(ts.URL+"/ogc/collections", accept)
		if err != nil || got != want {
			t.Errorf("Accept %q: Content-Type %q (%v), want %q", accept, got, err, want)
		}
	}
}
