// Package httpx holds the HTTP mechanics that the handler packages (tiles,
// ogc, webmap, server) share: content-coding negotiation by RFC 9110, the
// response compressor (br and gzip), JSON answers, ETag comparison, Vary,
// and the base URL under which a client reached the service.
//
// It sits below the feature packages and imports nothing of the project,
// so each of them can use it without importing another.
//
// The negotiation is written by hand: the standard library parses neither
// Accept nor Accept-Encoding, and goautoneg (in the module graph through
// prometheus) handles Accept only and lets "*/*" accept what a more
// specific "text/html;q=0" refuses. The compression is andybalholm/brotli
// (pure Go, so the build needs only Go) and compress/gzip.
package httpx
