package httpx

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// itemsPage returns testdata/items-1000.json.gz uncompressed: the answer
// of /ogc/collections/parcels/items?limit=1000 on the sample district
// (tudi serve; 1000 parcels, 663 kB of GeoJSON).
func itemsPage(tb testing.TB) []byte {
	tb.Helper()
	f, err := os.Open("testdata/items-1000.json.gz")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// BenchmarkCodings compresses a page of 1000 sample parcels the way items
// are written (64 kB at a time into a reused encoder) with gzip levels and
// brotli qualities. One iteration compresses the page once with each
// setting in turn, so that all settings share the machine's load of the
// moment, and the ratios between them hold within one run; it reports each
// setting's time (<setting>-ms) and size (<setting>-kB). These numbers
// chose gzipLevel and brotliQuality.
func BenchmarkCodings(b *testing.B) {
	page := itemsPage(b)
	type setting struct {
		name  string
		enc   encoder
		chunk int // bytes per Write; 0: 64 kB, as items write
		d     time.Duration
		n     int
	}
	var settings []*setting
	for _, l := range []int{1, 2, 4, 6} {
		z, _ := gzip.NewWriterLevel(io.Discard, l)
		settings = append(settings, &setting{name: fmt.Sprintf("gzip%d", l), enc: z})
	}
	for _, q := range []int{0, 1, 2, 3, 4, 5} {
		settings = append(settings, &setting{name: fmt.Sprintf("br%d", q),
			enc: brotli.NewWriterOptions(io.Discard, brotli.WriterOptions{Quality: q, LGWin: brotliWindow})})
	}
	settings = append(settings, &setting{name: "br1win22", enc: brotli.NewWriterOptions(io.Discard, brotli.WriterOptions{Quality: 1, LGWin: 22})})
	// The compressor's own br encoder (behind its brotliChunk buffer),
	// written 4 kB at a time as a CSV writer does.
	settings = append(settings, &setting{name: "compressor-br-4k", enc: NewCompressor().pools["br"].Get().(encoder), chunk: 4 << 10})
	b.ReportAllocs()
	var cw countWriter
	for b.Loop() {
		for _, s := range settings {
			start := time.Now()
			cw.n = 0
			s.enc.Reset(&cw)
			for p := page; len(p) > 0; {
				n := min(len(p), cmp.Or(s.chunk, 64<<10)) // items write through a 64 kB bufio.Writer
				if _, err := s.enc.Write(p[:n]); err != nil {
					b.Fatal(err)
				}
				p = p[n:]
			}
			if err := s.enc.Close(); err != nil {
				b.Fatal(err)
			}
			s.d += time.Since(start)
			s.n = cw.n
		}
	}
	for _, s := range settings {
		b.ReportMetric(float64(s.d.Microseconds())/1000/float64(b.N), s.name+"-ms")
		b.ReportMetric(float64(s.n)/1000, s.name+"-kB")
	}
	b.ReportMetric(float64(len(page))/1000, "identity-kB")
}

// TestBrotliSmallWrites checks that the compressor's br encoder compresses
// a page written in small pieces as well as one written 64 kB at a time.
func TestBrotliSmallWrites(t *testing.T) {
	page := itemsPage(t)
	size := func(chunk int) int {
		var cw countWriter
		enc := NewCompressor().pools["br"].Get().(encoder)
		enc.Reset(&cw)
		for p := page; len(p) > 0; {
			n := min(len(p), chunk)
			if _, err := enc.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		return cw.n
	}
	whole := size(len(page))
	for _, chunk := range []int{100, 512, 4 << 10, 64 << 10} {
		if n := size(chunk); n > whole*105/100 {
			t.Errorf("written %d bytes at a time: %d bytes, %d written at once", chunk, n, whole)
		}
	}
}

// TestCodingsRoundTrip checks that each encoder of the compressor gives
// back the page.
func TestCodingsRoundTrip(t *testing.T) {
	page := itemsPage(t)
	c := NewCompressor()
	for coding, pool := range c.pools {
		var buf bytes.Buffer
		enc := pool.Get().(encoder)
		enc.Reset(&buf)
		if _, err := enc.Write(page); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		got := mustDecode(t, coding, buf.Bytes())
		if !bytes.Equal(got, page) {
			t.Errorf("%s: %d bytes back of %d", coding, len(got), len(page))
		}
	}
}
