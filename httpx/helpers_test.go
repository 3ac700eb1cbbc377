package httpx

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/andybalholm/brotli"
)

// mustDecode decodes a body of the given content coding ("" for identity).
func mustDecode(tb testing.TB, coding string, b []byte) []byte {
	tb.Helper()
	var r io.Reader = bytes.NewReader(b)
	switch coding {
	case "":
		return b
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			tb.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(r)
	default:
		tb.Fatalf("unknown coding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("%s: %v", coding, err)
	}
	return out
}

func brotliReader(r io.Reader) io.Reader { return brotli.NewReader(r) }

func gzipReader(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
