package httpx

import (
	"net/http"
	"testing"
)

func TestCoding(t *testing.T) {
	br, gz := []string{"br", "gzip"}, []string{"gzip"}
	cases := []struct {
		name   string
		header []string // Accept-Encoding lines; nil: no header
		offers []string
		want   string
	}{
		// RFC 9110 section 12.5.3, its examples.
		{"the spec's compress, gzip gets gzip", []string{"compress, gzip"}, br, "gzip"},
		{"the spec's empty value asks for identity", []string{""}, br, ""},
		{"the spec's * takes the server's first choice", []string{"*"}, br, "br"},
		{"the spec's compress;q=0.5, gzip;q=1.0 gets gzip", []string{"compress;q=0.5, gzip;q=1.0"}, br, "gzip"},
		{"the spec's gzip;q=1.0, identity; q=0.5, *;q=0 gets gzip", []string{"gzip;q=1.0, identity; q=0.5, *;q=0"}, br, "gzip"},
		{"the spec's gzip;q=1.0, identity; q=0.5, *;q=0 gets identity without gzip offered", []string{"gzip;q=1.0, identity; q=0.5, *;q=0"}, []string{"br"}, ""},

		{"no header gets identity", nil, br, ""},
		{"what browsers send gets br", []string{"gzip, deflate, br, zstd"}, br, "br"},
		{"what curl --compressed sends gets br", []string{"deflate, gzip, br, zstd"}, br, "br"},
		{"QGIS's gzip, deflate gets gzip", []string{"gzip, deflate"}, br, "gzip"},
		{"a tie goes to the server's order", []string{"gzip, br"}, br, "br"},
		{"a higher weight wins over the server's order", []string{"br;q=0.5, gzip"}, br, "gzip"},
		{"br alone gets br", []string{"br"}, br, "br"},
		{"br alone gets identity where only gzip is offered", []string{"br"}, gz, ""},
		{"identity alone gets identity", []string{"identity"}, br, ""},

		{"gzip;q=0 refuses gzip", []string{"gzip;q=0"}, gz, ""},
		{"gzip;q=0.0 refuses gzip", []string{"gzip;q=0.0"}, gz, ""},
		{"gzip;q=0.000 refuses gzip", []string{"gzip;q=0.000"}, gz, ""},
		{"gzip; Q = 0 refuses gzip", []string{"gzip; Q=0"}, gz, ""},
		{"gzip;q=0.001 accepts gzip", []string{"gzip;q=0.001"}, gz, "gzip"},
		{"gzip;q=0, identity refuses gzip", []string{"gzip;q=0, identity"}, gz, ""},
		{"*;q=0 refuses everything but identity named", []string{"*;q=0, identity"}, br, ""},
		{"* with gzip refused gets br", []string{"*, gzip;q=0"}, br, "br"},
		{"*;q=0.1 with gzip named gets gzip", []string{"*;q=0.1, gzip"}, br, "gzip"},
		{"* below identity gets identity", []string{"*;q=0.5, identity"}, br, ""},
		{"identity below gzip gets gzip", []string{"gzip;q=0.8, identity;q=0.2"}, gz, "gzip"},
		{"gzip;q=0.5 alone gets gzip: identity unnamed is the fallback", []string{"gzip;q=0.5"}, gz, "gzip"},
		{"*, gzip;q=0.5 gets identity: * gives identity 1", []string{"*, gzip;q=0.5"}, gz, ""},
		{"identity above gzip gets identity", []string{"gzip;q=0.5, identity"}, gz, ""},
		{"identity refused and nothing else acceptable still gets identity", []string{"identity;q=0"}, gz, ""},
		{"*;q=0 alone refuses all, identity is sent", []string{"*;q=0"}, br, ""},

		{"names are case-insensitive", []string{"GZIP"}, gz, "gzip"},
		{"x-gzip is gzip", []string{"x-gzip"}, gz, "gzip"},
		{"spaces and empty members are ignored", []string{" ,  gzip ; q=1 , "}, gz, "gzip"},
		{"several header lines are one list", []string{"gzip;q=0.5", "br"}, br, "br"},
		{"a later line can refuse", []string{"gzip", "gzip;q=0"}, gz, ""},
		{"a malformed weight is ignored", []string{"gzip;q=high"}, gz, ""},
		{"a weight above 1 is ignored", []string{"gzip;q=2"}, gz, ""},
		{"a weight with four decimals is ignored", []string{"gzip;q=0.1234"}, gz, ""},
		{"other parameters do not matter", []string{"gzip;level=9"}, gz, "gzip"},
		{"an unknown coding is not offered", []string{"zstd"}, br, ""},
		{"no offers give identity", []string{"gzip, br"}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.header {
				h.Add("Accept-Encoding", v)
			}
			if got := Coding(h, c.offers...); got != c.want {
				t.Errorf("Accept-Encoding %q, offers %q: got %q, want %q", c.header, c.offers, got, c.want)
			}
		})
	}
}

func TestParseWeight(t *testing.T) {
	for s, want := range map[string]float64{"0": 0, "0.": 0, "0.5": 0.5, "0.125": 0.125, "1": 1, "1.": 1, "1.000": 1} {
		if q, ok := parseWeight(s); !ok || q != want {
			t.Errorf("parseWeight(%q) = %v, %v; want %v", s, q, ok, want)
		}
	}
	for _, s := range []string{"", "1.001", "2", ".5", "0.5000", "-0", "0,5", "1e0", "0x1"} {
		if q, ok := parseWeight(s); ok {
			t.Errorf("parseWeight(%q) = %v, accepted", s, q)
		}
	}
}
