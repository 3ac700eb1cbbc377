package ogc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestGDALPagesWithoutNumberMatched puts a proxy between GDAL and tudi that
// removes numberMatched from every items page, as tudi does while a large
// count runs: GDAL must still read every feature through the next links.
func TestGDALPagesWithoutNumberMatched(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	proxy, stripped := stripNumberMatched(t, ts.URL)
	src := "OAPIF:" + proxy + "/ogc"

	out := run(t, "ogrinfo", "-so", src, "parcels")
	if !strings.Contains(out, "Feature Count: 250") {
		t.Fatalf("ogrinfo -so without numberMatched:\n%s", out)
	}
	gpkg := filepath.Join(t.TempDir(), "out.gpkg")
	run(t, "ogr2ogr", "-f", "GPKG", gpkg, src, "parcels", "-where", "street = '横店街'")
	out = run(t, "ogrinfo", "-q", gpkg, "-sql", "SELECT count(*) AS n, count(DISTINCT code) AS d FROM parcels")
	if !strings.Contains(out, "n (Integer) = 84") || !strings.Contains(out, "d (Integer) = 84") {
		t.Fatalf("横店街 rows without numberMatched:\n%s", out)
	}
	if stripped.Load() < 2 {
		t.Fatalf("the proxy removed numberMatched from %d pages only", stripped.Load())
	}
}

// stripNumberMatched starts a proxy to target that removes numberMatched
// from every items page, and returns its URL and how many it removed.
func stripNumberMatched(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	u, _ := url.Parse(target)
	var stripped atomic.Int64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // links point at the proxy
			pr.Out.Header.Del("Accept-Encoding")
		},
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "/items") || resp.StatusCode != http.StatusOK {
				return nil
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				return err
			}
			if _, ok := doc["numberMatched"]; ok {
				delete(doc, "numberMatched")
				stripped.Add(1)
			}
			b, _ = json.Marshal(doc)
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		},
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	return ps.URL, &stripped
}
