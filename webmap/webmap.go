// Package webmap is the bundled web map: the page's plain HTML/JS (src/)
// with MapLibre GL JS and ECharts from npm (copied into vendor/), embedded
// in the binary, so the page works on closed networks.
package webmap

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"tudi/httpx"
)

// The page's own files (src/, served from /) and the npm packages' browser
// files (vendor/, served from /vendor/).
//
//go:embed all:src vendor
var embedded embed.FS

// asset is one embedded file as it is served: its bytes, its strong ETag
// and, for text, a gzip copy made once.
type asset struct {
	data []byte
	typ  string
	tag  string
	gz   func() []byte // nil for files not worth compressing
}

// compressible lists the extensions of text files, served gzip-compressed
// to clients that accept it.
var compressible = map[string]bool{".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true, ".svg": true, ".txt": true}

// assets maps each embedded file (its URL path without the leading slash)
// to its asset. It is
// built on first use, an immutable function of the embedded files (which
// the embed directive forces to be a package-level variable too). Embedded
// files carry no modification time, so without an ETag a browser would
// re-download the 3 MB of MapLibre and ECharts on every visit.
//
// Compressing 1 MB of JavaScript on every request cost the server 20 ms of
// CPU per file, and the first view as much. The big vendor modules come with
// a gzip copy made at build time (name.gz beside them, see the Makefile),
// used when it matches the file; every other text file is compressed once,
// in the background from the first request on (a request for a file not yet
// done makes its copy itself).
var assets = sync.OnceValue(func() map[string]*asset {
	files := map[string][]byte{}
	for _, root := range []string{"src", "vendor"} {
		_ = fs.WalkDir(embedded, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := embedded.ReadFile(p)
			if err != nil {
				return err
			}
			files[strings.TrimPrefix(p, "src/")] = b
			return nil
		})
	}
	m := map[string]*asset{}
	for name, b := range files {
		if base, ok := strings.CutSuffix(name, ".gz"); ok && files[base] != nil {
			continue // the build's gzip copy of a file, not a file of its own
		}
		sum := sha256.Sum256(b)
		a := &asset{data: b, tag: hex.EncodeToString(sum[:12]), typ: mime.TypeByExtension(path.Ext(name))}
		if a.typ == "" {
			a.typ = "application/octet-stream"
		}
		switch gz := files[name+".gz"]; {
		case gz != nil && gzipOf(gz, b):
			a.gz = func() []byte { return gz }
		case compressible[path.Ext(name)] && len(b) >= 1024:
			a.gz = sync.OnceValue(func() []byte { return gzipped(b) })
		}
		m[name] = a
	}
	go func() {
		for _, a := range warmOrder(m) {
			a.gz()
		}
	}()
	return m
})

// gzipOf reports whether gz is a gzip copy of b, by its trailer (the CRC-32
// and the length of what it holds): a copy left from an older build must not
// be served for a newer file.
func gzipOf(gz, b []byte) bool {
	n := len(gz)
	return n >= 18 && gz[0] == 0x1f && gz[1] == 0x8b &&
		binary.LittleEndian.Uint32(gz[n-8:]) == crc32.ChecksumIEEE(b) &&
		binary.LittleEndian.Uint32(gz[n-4:]) == uint32(len(b))
}

// warmOrder lists the compressible assets in the order the page asks for
// them: the files index.html names (MapLibre's module among them), then the
// rest, largest first.
func warmOrder(m map[string]*asset) []*asset {
	var out []*asset
	seen := map[*asset]bool{}
	if page, ok := m["index.html"]; ok {
		for _, ref := range pageRefs.FindAllSubmatch(page.data, -1) {
			if a, ok := m[path.Clean(string(ref[1]))]; ok && a.gz != nil && !seen[a] {
				out = append(out, a)
				seen[a] = true
			}
		}
	}
	var rest []*asset
	for _, a := range m {
		if a.gz != nil && !seen[a] {
			rest = append(rest, a)
		}
	}
	slices.SortFunc(rest, func(x, y *asset) int { return cmp.Compare(len(y.data), len(x.data)) })
	return append(out, rest...)
}

var pageRefs = regexp.MustCompile(`(?:href|src)="([^"#:?]+)"`)

// gzipped returns b compressed, or nil when that does not make it smaller.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := w.Write(b); err != nil {
		return nil
	}
	if err := w.Close(); err != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

var handler = sync.OnceValue(func() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings: the page is the only index
			return
		}
		if name == "" {
			name = "index.html"
		}
		a, ok := assets()[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.typ)
		h.Set("Cache-Control", "no-cache")
		body, tag := a.data, a.tag
		if a.gz != nil {
			httpx.AddVary(h, "Accept-Encoding")
			if gz := a.gz(); gz != nil && httpx.Coding(r.Header, "gzip") == "gzip" {
				// A representation of its own, with an ETag of its own.
				body, tag = gz, a.tag+"-gzip"
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", `"`+tag+`"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
})

// Handler serves the embedded page and its assets. Every response carries
// an ETag and "Cache-Control: no-cache", so browsers revalidate (a 304 when
// unchanged) and never run a stale page after an upgrade. Text files go out
// gzip-compressed (compressed once) to clients that accept it; the response
// compressor in front passes them through. Folders are not listed.
func Handler() http.Handler { return handler() }
