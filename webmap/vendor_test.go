package webmap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

// The npm packages' browser files are committed under vendor/ (so a
// plain `go build` serves a working map); what the binary embeds must be
// byte for byte what vendor/SHA256SUMS lists, no file more or less,
// and every gzip copy must hold its file. vendor/ stays flat: a module zip
// (what `go install …@latest` fetches) leaves out the subdirectories of a
// directory named vendor.
func TestVendoredFilesMatchTheirChecksums(t *testing.T) {
	t.Parallel()
	sums, err := embedded.ReadFile("vendor/SHA256SUMS")
	if err != nil {
		t.Fatalf("vendor/SHA256SUMS: %v (regenerate vendor with `make -C webmap vendor`)", err)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || name == "" {
			t.Fatalf("vendor/SHA256SUMS line %d: %q is not `sha256  name`", n, sc.Text())
		}
		want[name] = sum
	}
	if len(want) == 0 {
		t.Fatal("vendor/SHA256SUMS lists no file")
	}
	entries, err := fs.ReadDir(embedded, "vendor")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("vendor/%s is a directory: module zips would leave it out", e.Name())
		}
		if e.Name() != "SHA256SUMS" {
			have = append(have, e.Name())
		}
	}
	for name := range want {
		if !slices.Contains(have, name) {
			t.Errorf("vendor/%s is listed in SHA256SUMS but not embedded", name)
		}
	}
	for _, name := range have {
		b, err := embedded.ReadFile("vendor/" + name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		switch w, ok := want[name]; {
		case !ok:
			t.Errorf("vendor/%s is embedded but not listed in SHA256SUMS", name)
		case hex.EncodeToString(sum[:]) != w:
			t.Errorf("vendor/%s: sha256 %x, SHA256SUMS says %s", name, sum, w)
		}
		if base, ok := strings.CutSuffix(name, ".gz"); ok {
			orig, err := embedded.ReadFile("vendor/" + base)
			if err != nil {
				t.Errorf("vendor/%s has no %s beside it", name, base)
				continue
			}
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("vendor/%s: %v", name, err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("vendor/%s: %v", name, err)
			}
			if !bytes.Equal(got, orig) || !gzipOf(b, orig) {
				t.Errorf("vendor/%s does not hold vendor/%s", name, base)
			}
		}
	}
}

// The vendored files are the versions package-lock.json pins: each names
// its version in its header (MapLibre's licence link, ECharts' version
// constant), so an upgrade of the lock without `make -C webmap vendor` (or
// the other way round) fails here.
func TestVendoredFilesAreTheLockedVersions(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	for _, c := range []struct {
		pkg, file string
		mark      func(version string) string
	}{
		{"maplibre-gl", "maplibre-gl.mjs", func(v string) string { return "maplibre-gl-js/blob/v" + v + "/LICENSE.txt" }},
		{"maplibre-gl", "maplibre-gl-worker.mjs", func(v string) string { return "maplibre-gl-js/blob/v" + v + "/LICENSE.txt" }},
		{"echarts", "echarts.mjs", func(v string) string { return `"` + v + `"` }},
	} {
		v := lock.Packages["node_modules/"+c.pkg].Version
		if v == "" {
			t.Fatalf("package-lock.json has no version of %s", c.pkg)
		}
		f, err := embedded.ReadFile(path.Join("vendor", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(f, []byte(c.mark(v))) {
			t.Errorf("vendor/%s is not %s %s, the version package-lock.json pins: run `make -C webmap vendor`", c.file, c.pkg, v)
		}
	}
}
