// Package webmap is the bundled web map: plain HTML/JS with MapLibre GL JS
// from npm, built into dist/ and embedded in the binary, so the page works
// on closed networks.
package webmap

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the embedded page and its assets.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return http.FileServer(http.FS(sub))
}
