package httpx

import (
	"bufio"
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Compression settings, chosen with BenchmarkCodings (compress_bench_test.go)
// on a page of 1000 sample parcels as /ogc items sends it (663 kB of
// GeoJSON, written 64 kB at a time). The compressor works while the page
// streams, so its time adds to every request's; the gzip level was
// already BestSpeed for items, whose query and encoding cost about three
// times what BestSpeed does. One run, all settings interleaved, on 2
// shared cores at load ~20 (so the times are inflated; the ratios are what
// counts):
//
//	setting        kB    ms/page   × gzip 1
//	gzip 1       80.2     23.3      1.00
//	gzip 2       74.4     25.5      1.09
//	gzip 4       68.1     40.9      1.76
//	gzip 6       65.1     78.2      3.35   (chi's level 5 was about this)
//	br 0         88.2     13.9      0.60
//	br 1         69.9     21.1      0.90
//	br 2         64.8     39.1      1.68
//	br 3         63.3     44.8      1.92
//	br 4         62.6     59.6      2.56
//	br 5         61.8    104.1      4.47
//
// br 1 costs less than gzip 1 for a body 13 % smaller (about gzip 4's
// size), and its writer holds about 0.5 MB against gzip 1's 1.1 MB; br 2
// would save another 7 % of bytes for almost twice the time. The window
// is 2¹⁸: it does not matter at quality 1, but keeps a writer small if the
// quality is raised (at quality 3 a writer holds 1.3 MB with it, 9 MB with
// the default 2²²).
const (
	gzipLevel     = gzip.BestSpeed
	brotliQuality = 1
	brotliWindow  = 18 // 256 kB: small writers to pool, little loss on pages of features
)

// encoder is a streaming compressor that can be reused.
type encoder interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

// brotliChunk is the least input the brotli encoder is given at once. At
// qualities 0 and 1 it compresses each Write on its own, with no window
// reaching back into the previous one: a page written 512 bytes at a time
// comes out at 432 kB, 4 kB at a time 137 kB, 64 kB at a time 70 kB (the
// page of BenchmarkCodings). Handlers write in pieces of any size (CSV
// rows, HTML), so the compressor gathers 64 kB before compressing; a
// stream is still sent as it is written, 64 kB behind at most, and a
// Flush sends everything.
const brotliChunk = 64 << 10

// bufferedBrotli is a brotli writer behind a brotliChunk buffer.
type bufferedBrotli struct {
	br *brotli.Writer
	bw *bufio.Writer
}

func (b *bufferedBrotli) Write(p []byte) (int, error) { return b.bw.Write(p) }

func (b *bufferedBrotli) Flush() error {
	if err := b.bw.Flush(); err != nil {
		return err
	}
	return b.br.Flush()
}

func (b *bufferedBrotli) Close() error {
	if err := b.bw.Flush(); err != nil {
		return err
	}
	return b.br.Close()
}

func (b *bufferedBrotli) Reset(w io.Writer) {
	b.br.Reset(w)
	b.bw.Reset(b.br)
}

// Compressor compresses responses of the given media types with the coding
// the client prefers among br and gzip (see Coding), as they are written:
// nothing is held back beyond gzip's window or brotliChunk, so streamed
// answers stay streamed. Responses that already carry a Content-Encoding
// (stored gzip tiles and page assets, or an inner Compressor's work), partial
// content, and answers without a body (HEAD, 204, 304) pass through as they
// are. Every response of a compressible type says Vary: Accept-Encoding,
// whatever its coding, so caches keep the codings apart; the strong ETag
// of an answer it compresses becomes weak.
type Compressor struct {
	types map[string]bool
	pools map[string]*sync.Pool // by coding: pooled encoders
}

// NewCompressor returns a compressor of responses whose Content-Type (its
// media type, without parameters) is one of types.
func NewCompressor(types ...string) *Compressor {
	c := &Compressor{types: map[string]bool{}, pools: map[string]*sync.Pool{
		"br": {New: func() any {
			br := brotli.NewWriterOptions(io.Discard, brotli.WriterOptions{Quality: brotliQuality, LGWin: brotliWindow})
			return &bufferedBrotli{br: br, bw: bufio.NewWriterSize(br, brotliChunk)}
		}},
		"gzip": {New: func() any {
			z, _ := gzip.NewWriterLevel(io.Discard, gzipLevel)
			return z
		}},
	}}
	for _, t := range types {
		c.types[strings.ToLower(t)] = true
	}
	return c
}

// Handler is the compressor as middleware.
func (c *Compressor) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &compressWriter{ResponseWriter: w, c: c, coding: Coding(r.Header, "br", "gzip"), head: r.Method == http.MethodHead}
		next.ServeHTTP(cw, r)
		// Not deferred: after a panic (http.ErrAbortHandler cuts a response
		// that failed half-way) the stream must stay unfinished, so that the
		// client sees a truncated body rather than a complete-looking one.
		cw.close()
	})
}

func (c *Compressor) compressible(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && c.types[mt]
}

// compressWriter decides at WriteHeader whether the body is compressed.
type compressWriter struct {
	http.ResponseWriter
	c           *Compressor
	coding      string // negotiated; "": identity
	head        bool
	wroteHeader bool
	enc         encoder // non-nil while compressing a body
	discard     bool    // a HEAD answer that is compressed: no body to make
}

func (cw *compressWriter) WriteHeader(status int) {
	if cw.wroteHeader {
		cw.ResponseWriter.WriteHeader(status)
		return
	}
	if status >= 100 && status < 200 {
		cw.ResponseWriter.WriteHeader(status) // informational: the real one follows
		return
	}
	cw.wroteHeader = true
	h := cw.Header()
	if h.Get("Content-Encoding") == "" && cw.c.compressible(h.Get("Content-Type")) {
		AddVary(h, "Accept-Encoding")
		if cw.coding != "" && status != http.StatusNoContent && status != http.StatusNotModified &&
			status != http.StatusPartialContent && h.Get("Content-Range") == "" {
			h.Set("Content-Encoding", cw.coding)
			h.Del("Content-Length") // of the identity body
			if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
				// The identity body's strong ETag would name other bytes:
				// weakened, it still says "same content" (If-None-Match
				// compares weakly), as nginx does.
				h.Set("ETag", "W/"+et)
			}
			if cw.head {
				cw.discard = true
			} else {
				cw.enc = cw.c.pools[cw.coding].Get().(encoder)
				cw.enc.Reset(cw.ResponseWriter)
			}
		}
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *compressWriter) Write(p []byte) (int, error) {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	switch {
	case cw.enc != nil:
		return cw.enc.Write(p)
	case cw.discard:
		return len(p), nil
	}
	return cw.ResponseWriter.Write(p)
}

// Flush sends what has been written so far, compressed as far as it goes.
func (cw *compressWriter) Flush() {
	if cw.enc != nil {
		_ = cw.enc.Flush()
	}
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// close ends the compressed stream and returns the encoder to its pool.
func (cw *compressWriter) close() {
	if cw.enc == nil {
		return
	}
	_ = cw.enc.Close()
	cw.enc.Reset(io.Discard) // drop the reference to the connection
	cw.c.pools[cw.coding].Put(cw.enc)
	cw.enc = nil
}
