package webmap

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// A build's gzip copy is used only for the very file it was made from.
func TestGzipOf(t *testing.T) {
	t.Parallel()
	file := bytes.Repeat([]byte("import * as maplibregl from './maplibre-gl.mjs';\n"), 100)
	older := bytes.Repeat([]byte("import * as maplibregl from './maplibre-gl.mjz';\n"), 100)
	zip := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	gz := zip(file)
	cases := []struct {
		name string
		gz   []byte
		want bool
	}{
		{"a copy of the file", gz, true},
		{"a copy of another file of the same length", zip(older), false},
		{"a copy of the file with a line more", zip(append(bytes.Clone(file), '\n')), false},
		{"a truncated copy", gz[:len(gz)-1], false},
		{"not gzip", file, false},
		{"empty", nil, false},
	}
	for _, c := range cases {
		if got := gzipOf(c.gz, file); got != c.want {
			t.Errorf("%s: gzipOf = %v, want %v", c.name, got, c.want)
		}
	}
}
