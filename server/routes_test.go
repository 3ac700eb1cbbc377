package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"tudi/server"
)

// The indexes answer with and without a trailing slash: /tiles and /tiles/
// give the tile catalogue, /ogc and /ogc/ the OGC landing page.
func TestIndexesAnswerWithATrailingSlash(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, server.Config{})
	for _, tc := range []struct {
		path, key string // key: a member the JSON answer must have
	}{
		{"/tiles", "layers"},
		{"/tiles/", "layers"},
		{"/ogc", "links"},
		{"/ogc/", "links"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d, want 200", tc.path, res.StatusCode)
			}
			var body map[string]json.RawMessage
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatalf("GET %s: %v", tc.path, err)
			}
			if _, ok := body[tc.key]; !ok {
				t.Errorf("GET %s: no %q in the answer", tc.path, tc.key)
			}
		})
	}
}
