package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestBaseURL(t *testing.T) {
	r := httptest.NewRequest("GET", "http://internal:8080/ogc", nil)
	if got := BaseURL(r, ""); got != "http://internal:8080" {
		t.Errorf("plain: %q", got)
	}
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "gis.example.org, proxy2")
	r.Header.Set("X-Forwarded-Prefix", "/tudi/")
	if got := BaseURL(r, ""); got != "https://gis.example.org/tudi" {
		t.Errorf("behind a proxy: %q", got)
	}
	if got := BaseURL(r, "https://maps.example.org/"); got != "https://maps.example.org" {
		t.Errorf("configured: %q", got)
	}
	r.Header.Set("X-Forwarded-Proto", "gopher")
	if got := BaseURL(r, ""); got != "http://gis.example.org/tudi" {
		t.Errorf("an unknown scheme: %q", got)
	}
}

func TestETagMatches(t *testing.T) {
	for _, c := range []struct {
		inm, etag string
		want      bool
	}{
		{"", `"a"`, false},
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true},
		{`"a"`, `W/"a"`, true},
		{`"b", "a"`, `"a"`, true},
		{`"b"`, `"a"`, false},
		{`"a-gz"`, `"a"`, false},
		{"*", `"a"`, true},
		{"*", "", false},
	} {
		if got := ETagMatches(c.inm, c.etag); got != c.want {
			t.Errorf("ETagMatches(%q, %q) = %v", c.inm, c.etag, got)
		}
	}
}

func TestAddVary(t *testing.T) {
	h := http.Header{}
	AddVary(h, "Accept-Encoding")
	AddVary(h, "accept-encoding")
	AddVary(h, "Origin")
	if v := h.Values("Vary"); len(v) != 2 || v[0] != "Accept-Encoding" || v[1] != "Origin" {
		t.Errorf("Vary %q", v)
	}
	h = http.Header{"Vary": {"Origin, Accept-Encoding"}}
	AddVary(h, "Accept-Encoding")
	if v := h.Values("Vary"); len(v) != 1 {
		t.Errorf("Vary %q", v)
	}
	h = http.Header{"Vary": {"*"}}
	AddVary(h, "Accept-Encoding")
	if v := h.Values("Vary"); len(v) != 1 {
		t.Errorf("Vary %q", v)
	}
}
