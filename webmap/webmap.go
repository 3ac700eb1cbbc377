// Package webmap is the bundled web map: plain HTML/JS with MapLibre GL JS
// from npm, built into dist/ and embedded in the binary, so the page works
// on closed networks.
package webmap

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed all:dist
var dist embed.FS

// etags maps each embedded file to its strong ETag. Embedded files carry no
// modification time, so without an ETag a browser re-downloads the 3 MB of
// MapLibre and ECharts on every visit. It is computed once, on first use,
// and is an immutable function of the embedded files (which go:embed forces
// to be a package-level variable too).
var etags = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := dist.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		m[strings.TrimPrefix(p, "dist/")] = `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
		return nil
	})
	return m
})

// Handler serves the embedded page and its assets. Every response carries
// an ETag and "Cache-Control: no-cache", so browsers revalidate (a 304 when
// unchanged) and never run a stale page after an upgrade. Folders are not
// listed.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings: the page is the only index
			return
		}
		if name == "" {
			name = "index.html"
		}
		if tag, ok := etags()[name]; ok {
			w.Header().Set("ETag", tag)
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
