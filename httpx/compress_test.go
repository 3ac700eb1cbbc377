package httpx

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serveCompressed serves h behind a Compressor of JSON and GeoJSON.
func serveCompressed(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(NewCompressor("application/json", "application/geo+json").Handler(h))
	t.Cleanup(ts.Close)
	return ts
}

// do sends a request without the transport's own gzip handling.
func do(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, b
}

func TestCompressor(t *testing.T) {
	page := itemsPage(t)
	ts := serveCompressed(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/items":
			w.Header().Set("Content-Type", "application/geo+json")
			for p := page; len(p) > 0; { // in pieces, as a stream
				n := min(len(p), 10000)
				_, _ = w.Write(p[:n])
				p = p[n:]
			}
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(page[:1000])
		case "/stored":
			// Already encoded (a stored gzip tile): not touched.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte("not really gzip"))
		case "/etag":
			w.Header().Set("ETag", `"v1"`)
			_ = WriteJSON(w, http.StatusOK, MediaJSON, "tagged")
		case "/json":
			_ = WriteJSON(w, http.StatusTeapot, MediaJSON, map[string]string{"a": "<b>"})
		case "/304":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotModified)
		case "/204":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNoContent)
		case "/partial":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Range", "bytes 0-9/100")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(page[:10])
		}
	})

	t.Run("each coding gives back the same body, with Vary", func(t *testing.T) {
		for _, c := range []struct{ accept, coding string }{
			{"", ""}, {"gzip", "gzip"}, {"br", "br"}, {"gzip, deflate, br", "br"}, {"gzip;q=0, br;q=0", ""}, {"identity", ""},
		} {
			resp, body := do(t, "GET", ts.URL+"/items", "Accept-Encoding", c.accept)
			if got := resp.Header.Get("Content-Encoding"); got != c.coding {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", c.accept, got, c.coding)
				continue
			}
			if got := mustDecode(t, c.coding, body); !bytes.Equal(got, page) {
				t.Errorf("Accept-Encoding %q: %d bytes decoded, want %d", c.accept, len(got), len(page))
			}
			if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
				t.Errorf("Accept-Encoding %q: Vary %q", c.accept, v)
			}
			if c.coding != "" && len(body) > len(page)/5 {
				t.Errorf("%s: %d bytes of %d: hardly compressed", c.coding, len(body), len(page))
			}
		}
	})

	t.Run("HEAD has GET's headers and no body", func(t *testing.T) {
		for _, ae := range []string{"", "gzip", "br"} {
			get, _ := do(t, "GET", ts.URL+"/json", "Accept-Encoding", ae)
			head, body := do(t, "HEAD", ts.URL+"/json", "Accept-Encoding", ae)
			for _, k := range []string{"Content-Encoding", "Content-Type", "Vary", "Content-Length"} {
				if k == "Content-Length" && ae != "" {
					continue // of a compressed body: known only once it is made
				}
				if head.Header.Get(k) != get.Header.Get(k) {
					t.Errorf("Accept-Encoding %q: %s %q on HEAD, %q on GET", ae, k, head.Header.Get(k), get.Header.Get(k))
				}
			}
			if len(body) != 0 || head.StatusCode != http.StatusTeapot {
				t.Errorf("HEAD: status %d, %d bytes of body", head.StatusCode, len(body))
			}
		}
	})

	t.Run("other media types, stored encodings, bodiless and partial answers pass through", func(t *testing.T) {
		for _, c := range []struct {
			path, coding, vary string
			status             int
		}{
			{"/png", "", "", 200},
			{"/stored", "gzip", "", 200},
			{"/304", "", "Accept-Encoding", 304},
			{"/204", "", "Accept-Encoding", 204},
			{"/partial", "", "Accept-Encoding", 206},
		} {
			resp, body := do(t, "GET", ts.URL+c.path, "Accept-Encoding", "br, gzip")
			if resp.StatusCode != c.status || resp.Header.Get("Content-Encoding") != c.coding || resp.Header.Get("Vary") != c.vary {
				t.Errorf("%s: status %d, Content-Encoding %q, Vary %q; want %d, %q, %q", c.path, resp.StatusCode,
					resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"), c.status, c.coding, c.vary)
			}
			if c.path == "/stored" && string(body) != "not really gzip" {
				t.Errorf("stored body changed: %q", body)
			}
		}
	})

	t.Run("a compressed answer's strong ETag becomes weak", func(t *testing.T) {
		for ae, want := range map[string]string{"": `"v1"`, "gzip": `W/"v1"`, "br": `W/"v1"`} {
			resp, _ := do(t, "GET", ts.URL+"/etag", "Accept-Encoding", ae)
			if got := resp.Header.Get("ETag"); got != want {
				t.Errorf("Accept-Encoding %q: ETag %q, want %q", ae, got, want)
			}
		}
	})

	t.Run("JSON answers keep their status and Content-Length when not compressed", func(t *testing.T) {
		resp, body := do(t, "GET", ts.URL+"/json")
		if resp.StatusCode != http.StatusTeapot || string(body) != "{\"a\":\"<b>\"}\n" ||
			resp.Header.Get("Content-Length") != "12" || resp.Header.Get("Content-Type") != MediaJSON {
			t.Errorf("status %d, body %q, Content-Length %q, Content-Type %q", resp.StatusCode, body,
				resp.Header.Get("Content-Length"), resp.Header.Get("Content-Type"))
		}
		resp, _ = do(t, "GET", ts.URL+"/json", "Accept-Encoding", "gzip")
		if resp.Header.Get("Content-Length") == "12" {
			t.Errorf("gzip answer with the identity Content-Length")
		}
	})
}

// TestCompressorStreams checks that a compressed answer reaches the client
// as it is written: the first part is readable while the handler still
// waits to write the rest.
func TestCompressorStreams(t *testing.T) {
	for _, coding := range []string{"br", "gzip"} {
		t.Run(coding, func(t *testing.T) {
			release := make(chan struct{})
			ts := serveCompressed(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"first":true,`+"\n")
				http.NewResponseController(w).Flush()
				<-release
				_, _ = io.WriteString(w, `"second":true}`)
			})
			defer close(release)
			req, _ := http.NewRequest("GET", ts.URL, nil)
			req.Header.Set("Accept-Encoding", coding)
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var r io.Reader
			if coding == "br" {
				r = brotliReader(resp.Body)
			} else if r, err = gzipReader(resp.Body); err != nil {
				t.Fatal(err)
			}
			line := make(chan string, 1)
			go func() {
				s, _ := bufio.NewReader(r).ReadString('\n')
				line <- s
			}()
			select {
			case s := <-line:
				if s != `{"first":true,`+"\n" {
					t.Errorf("first part %q", s)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the first part did not arrive before the handler finished")
			}
		})
	}
}

// TestCompressorAbort checks that a handler that aborts half-way
// (http.ErrAbortHandler) leaves the compressed stream unfinished, so the
// client cannot take the part for the whole.
func TestCompressorAbort(t *testing.T) {
	page := itemsPage(t)
	ts := serveCompressed(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page[:len(page)/2])
		panic(http.ErrAbortHandler)
	})
	ts.Config.ErrorLog = nil
	for _, coding := range []string{"br", "gzip"} {
		req, _ := http.NewRequest("GET", ts.URL, nil)
		req.Header.Set("Accept-Encoding", coding)
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			continue // cut before the headers: fine too
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var r io.Reader = bytes.NewReader(raw)
		if coding == "br" {
			r = brotliReader(r)
		} else if r, err = gzipReader(r); err != nil {
			continue
		}
		if _, err := io.ReadAll(r); err == nil {
			t.Errorf("%s: the aborted answer decodes as a complete stream", coding)
		}
	}
}

// TestNestedCompressors checks that a compressor in front of another
// (the server's in front of /ogc's) does not encode twice.
func TestNestedCompressors(t *testing.T) {
	outer := NewCompressor("application/json")
	inner := NewCompressor("application/json")
	ts := httptest.NewServer(outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = WriteJSON(w, 200, MediaJSON, strings.Repeat("land ", 1000))
	}))))
	defer ts.Close()
	for _, ae := range []string{"br", "gzip", ""} {
		resp, body := do(t, "GET", ts.URL, "Accept-Encoding", ae)
		got := mustDecode(t, resp.Header.Get("Content-Encoding"), body)
		if resp.Header.Get("Content-Encoding") != ae || !strings.HasPrefix(string(got), `"land land`) {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, body %.20q", ae, resp.Header.Get("Content-Encoding"), got)
		}
		if v := resp.Header.Values("Vary"); len(v) != 1 {
			t.Errorf("Accept-Encoding %q: Vary %q", ae, v)
		}
	}
}
