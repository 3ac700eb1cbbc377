package webmap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"

	"tudi/land"
	"tudi/webmap"
)

var update = flag.Bool("update", false, "rewrite src/app/fields.json from land's kinds")

// fieldTitles is the shape of src/app/fields.json: per kind, its titles and
// its canonical fields in order, with their Chinese and English titles.
type fieldTitles map[land.Kind]struct {
	Title   string       `json:"title"`
	TitleEN string       `json:"title_en"`
	Fields  []fieldTitle `json:"fields"`
}

type fieldTitle struct {
	Name string `json:"name"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
	Unit string `json:"unit,omitempty"`
	Type string `json:"type"`
}

// The page labels attributes with the kinds' field titles; it reads them
// from a JSON file beside it, which must say what land says.
func TestFieldTitlesMirrorTheKinds(t *testing.T) {
	t.Parallel()
	want := fieldTitles{}
	cat := land.DefaultCatalog()
	for _, k := range cat.Kinds() { // every embedded kind, land_approvals and renewal_projects too
		spec := cat.Spec(k)
		e := want[k]
		e.Title, e.TitleEN = spec.Title, spec.TitleEN
		for _, f := range spec.Fields {
			e.Fields = append(e.Fields, fieldTitle{Name: f.Name, ZH: f.Title, EN: f.TitleEN, Unit: f.Unit, Type: string(f.Type)})
		}
		want[k] = e
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(want); err != nil {
		t.Fatal(err)
	}
	const file = "src/app/fields.json"
	if *update {
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s differs from land's kinds; run go test ./webmap -update", file)
	}
}

func TestHandlerServesThePage(t *testing.T) {
	t.Parallel()
	h := webmap.Handler()
	cases := []struct {
		name, path string
		status     int
		typ        string
	}{
		{"the root is the page", "/", 200, "text/html"},
		{"the page's module is JavaScript", "/app/main.js", 200, "text/javascript"},
		{"the field titles are JSON", "/app/fields.json", 200, "application/json"},
		{"an unknown file is not found", "/no-such-file.js", 404, ""},
		{"a folder is not listed", "/app/", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
			if rec.Code != c.status {
				t.Fatalf("GET %s: status %d, want %d", c.path, rec.Code, c.status)
			}
			if c.status != 200 {
				return
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.typ) {
				t.Errorf("GET %s: Content-Type %q, want %s", c.path, ct, c.typ)
			}
			tag := rec.Header().Get("ETag")
			if tag == "" {
				t.Fatalf("GET %s: no ETag", c.path)
			}
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header.Set("If-None-Match", tag)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %s: status %d, want 304", c.path, tag, rec.Code)
			}
		})
	}
}

// Every file the page refers to (in index.html, and the modules' imports)
// is in src/, or is one of the vendor files `make webmap` copies into
// vendor/ (served from /vendor/).
func TestPageReferencesExist(t *testing.T) {
	t.Parallel()
	vendor := map[string]bool{}
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)\$\(VENDOR\)/([\w.-]+)`).FindAllStringSubmatch(string(mk), -1) {
		vendor[m[1]] = true
	}
	for _, name := range []string{"maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css", "echarts.mjs"} {
		if !vendor[name] && !strings.Contains(string(mk), name) {
			t.Errorf("Makefile does not copy %s into vendor", name)
		}
	}
	refs := regexp.MustCompile(`(?:href|src)="([^"#:]+)"|(?:from|import)\s*\(?\s*'(\.[^']+)'`)
	check := func(file string) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range refs.FindAllStringSubmatch(string(b), -1) {
			ref := m[1] + m[2]
			target := path.Clean(path.Join(path.Dir(file), ref))
			if strings.HasPrefix(target, "src/vendor/") {
				if !strings.Contains(string(mk), path.Base(target)) {
					t.Errorf("%s refers to %s, which the Makefile does not make", file, ref)
				}
				continue
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s refers to %s: %v", file, ref, err)
			}
		}
	}
	check("src/index.html")
	js, err := filepath.Glob("src/app/*.js")
	if err != nil || len(js) == 0 {
		t.Fatalf("no modules in src/app: %v", err)
	}
	for _, f := range js {
		check(f)
	}
}

// Text files go out gzip-compressed to clients that accept gzip, as their
// own representation (an ETag of their own, Vary: Accept-Encoding), and as
// they are to clients that do not; the server's response compressor in front
// passes the compressed copy through instead of compressing it again.
func TestHandlerServesGzip(t *testing.T) {
	t.Parallel()
	// The page's own module is compressed by the server, MapLibre's comes
	// with its copy from the build (when the vendor files are built).
	files := []string{"/app/main.js"}
	if _, err := os.Stat("vendor/maplibre-gl.mjs.gz"); err == nil {
		files = append(files, "/vendor/maplibre-gl.mjs")
	}
	for _, file := range files {
		testGzip(t, file)
	}
}

func testGzip(t *testing.T, file string) {
	disk := "src" + file // the page's own files; the npm ones are in vendor/, as served
	if strings.HasPrefix(file, "/vendor/") {
		disk = file[1:]
	}
	plain, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	compress := middleware.Compress(5, "text/javascript")
	handlers := map[string]http.Handler{"alone": webmap.Handler(), "behind the compressor": compress(webmap.Handler())}
	cases := []struct {
		accept string
		gzip   bool
	}{
		{"gzip, deflate, br, zstd", true},
		{"GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"*", true},
		{"gzip;q=0", false},
		{"identity", false},
		{"", false},
	}
	for hname, h := range handlers {
		for _, c := range cases {
			t.Run(file+"/"+hname+"/"+c.accept, func(t *testing.T) {
				get := func(inm string) *httptest.ResponseRecorder {
					req := httptest.NewRequest("GET", file, nil)
					if c.accept != "" {
						req.Header.Set("Accept-Encoding", c.accept)
					}
					if inm != "" {
						req.Header.Set("If-None-Match", inm)
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					return rec
				}
				rec := get("")
				if rec.Code != 200 {
					t.Fatalf("status %d", rec.Code)
				}
				if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
					t.Errorf("Vary %q, want Accept-Encoding", rec.Header().Get("Vary"))
				}
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
					t.Errorf("Content-Type %q", ct)
				}
				body := rec.Body.Bytes()
				enc := rec.Header().Get("Content-Encoding")
				if c.gzip {
					if enc != "gzip" {
						t.Fatalf("Content-Encoding %q, want gzip", enc)
					}
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					if body, err = io.ReadAll(zr); err != nil {
						t.Fatal(err)
					}
				} else if enc != "" {
					// The compressor in front may still encode in its own way
					// (it reads no q-values); the handler itself must not.
					if hname == "alone" {
						t.Fatalf("Content-Encoding %q, want none", enc)
					}
					return
				}
				if !bytes.Equal(body, plain) {
					t.Fatalf("body (%d bytes after decoding) is not %s (%d bytes)", len(body), file, len(plain))
				}
				tag := rec.Header().Get("ETag")
				if c.gzip != strings.HasSuffix(tag, `-gzip"`) {
					t.Errorf("ETag %s for Accept-Encoding %q", tag, c.accept)
				}
				if rec := get(tag); rec.Code != http.StatusNotModified {
					t.Errorf("If-None-Match %s: status %d, want 304", tag, rec.Code)
				}
			})
		}
	}
}

// The page's pure modules (texts in both languages, number and area
// formatting, the URL's view, styles and legends, report queries) have unit
// tests of their own in test/, for Node's built-in test runner; they run
// here when Node.js is installed.
func TestJavaScriptModules(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the page's JavaScript tests (webmap/test) need Node.js 20 or later (apt-get install -y nodejs)")
	}
	v, err := exec.CommandContext(t.Context(), node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), ".", 2)[0])
	if major < 20 {
		t.Fatalf("node %s is too old for the page's JavaScript tests: they need Node.js 20 or later", strings.TrimSpace(string(v)))
	}
	files, err := filepath.Glob("test/*.test.mjs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no JavaScript tests in webmap/test: %v", err)
	}
	out, err := exec.CommandContext(t.Context(), node, append([]string{"--test", "--test-reporter=spec"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", strings.Join(files, " "), err, out)
	}
	t.Logf("node --test:\n%s", out)
}
