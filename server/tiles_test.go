package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// TestTilesThroughTheServer checks what the server adds to the tile
// service: CORS for any origin, and its compression middleware gzipping a
// tile for a client that asks.
func TestTilesThroughTheServer(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	mustSquareLayer(t, db, "parcels", 113, 23)
	ts := startServer(t, db, server.Config{})
	path := "/tiles/parcels/" + tileOf(113.0005, 23.0005, 15) + ".mvt"

	req, err := http.NewRequest("GET", ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://other.example")
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body gzipped
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, CORS %q, Content-Encoding %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Content-Encoding"))
	}
	if n := featuresIn(mvtLayers(t, body), "parcels"); n != 1 {
		t.Fatalf("%d features through the server, want 1", n)
	}

	head, err := http.Head(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 || head.Header.Get("Content-Length") == "" {
		t.Fatalf("HEAD through the server: %d, Content-Length %q", head.StatusCode, head.Header.Get("Content-Length"))
	}
	if status, _, b := call(t, "GET", ts.URL+"/tiles/parcels/99/0/0.mvt", "", nil); status != 400 || !strings.Contains(string(b), `"error"`) {
		t.Fatalf("bad zoom through the server: %d %s", status, b)
	}
}
