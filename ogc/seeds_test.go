package ogc_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeeds reads the string inputs of a fuzz target's seed corpus.
func fuzzSeeds(t *testing.T, target string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds for %s: %v", target, err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
			t.Fatalf("%s: not a string seed", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, s)
	}
	return out
}

// TestFuzzSeedsAnswer200Or400 sends every seed of the CQL2 fuzz corpora
// (the standard's examples, the tests' forms and what fuzzing found) as a
// filter to a real database: each is answered or refused, never a 500.
func TestFuzzSeedsAnswer200Or400(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, c := range []struct{ target, lang string }{{"FuzzCQL2Text", "cql2-text"}, {"FuzzCQL2JSON", "cql2-json"}} {
		for _, s := range fuzzSeeds(t, c.target) {
			for _, extra := range []string{"", "&filter-crs=EPSG:4547"} {
				resp, err := http.Get(ts.URL + "/ogc/collections/parcels/items?limit=1&filter-lang=" + c.lang + extra + "&filter=" + url.QueryEscape(s))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 400 {
					t.Errorf("%s%s %.200q: status %d", c.lang, extra, s, resp.StatusCode)
				}
			}
		}
	}
}
