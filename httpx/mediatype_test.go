package httpx

import (
	"net/http"
	"testing"
)

func TestMediaType(t *testing.T) {
	ogc := []string{"application/json", "application/geo+json", "text/html"}
	cases := []struct {
		name   string
		accept []string // nil: no header
		offers []string // nil: ogc's
		want   string
	}{
		// RFC 9110 section 12.5.1, its examples.
		{"the spec's audio example: audio/basic over the rest of audio/*", []string{"audio/*; q=0.2, audio/basic"}, []string{"audio/x-mpeg", "audio/basic"}, "audio/basic"},
		{"the spec's audio example: the rest of audio/* at 0.2", []string{"audio/*; q=0.2, audio/basic"}, []string{"audio/x-mpeg"}, "audio/x-mpeg"},
		{"the spec's text example gets text/html", []string{"text/plain; q=0.5, text/html, text/x-dvi; q=0.8, text/x-c"}, nil, "text/html"},
		{"the spec's text example prefers text/x-c to text/x-dvi", []string{"text/plain; q=0.5, text/html, text/x-dvi; q=0.8, text/x-c"}, []string{"text/x-dvi", "text/x-c"}, "text/x-c"},
		{"the spec's precedence example: text/plain;format=flowed is text/plain", []string{"text/*, text/plain, text/plain;format=flowed, */*"}, nil, "application/json"},
		{"the spec's weights example: text/html;level=1 counts as text/html", []string{"text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5"}, nil, "application/json"},

		{"no header gets the first offer", nil, nil, "application/json"},
		{"a browser gets HTML", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, nil, "text/html"},
		{"curl's */* gets the first offer", []string{"*/*"}, nil, "application/json"},
		{"GDAL's geo+json, json gets JSON", []string{"application/geo+json, application/json"}, nil, "application/json"},
		{"geo+json alone gets geo+json", []string{"application/geo+json"}, nil, "application/geo+json"},
		{"text/html;q=0 refuses HTML", []string{"text/html;q=0, */*;q=0.1"}, nil, "application/json"},
		{"HTML above JSON by weight gets HTML", []string{"application/json;q=0.9, text/html"}, nil, "text/html"},
		{"JSON above HTML by weight gets JSON, whatever the order", []string{"text/html;q=0.1, application/json"}, nil, "application/json"},
		{"equal weights go by the server's order", []string{"text/html, application/json"}, nil, "application/json"},
		{"text/* matches text/html", []string{"text/*"}, nil, "text/html"},
		{"application/* with JSON refused gets geo+json", []string{"application/*, application/json;q=0"}, nil, "application/geo+json"},
		{"nothing acceptable gets nothing", []string{"image/png"}, nil, ""},
		{"*/*;q=0 refuses all", []string{"*/*;q=0"}, nil, ""},
		{"names are case-insensitive", []string{"TEXT/HTML"}, nil, "text/html"},
		{"a malformed weight is ignored", []string{"text/html;q=x, application/json;q=0.5"}, nil, "application/json"},
		{"a malformed range is ignored", []string{"html, */html, text/html;q=0.5"}, nil, "text/html"},
		{"parameters after q do not matter", []string{"text/html;q=1;ext=2"}, nil, "text/html"},
		{"several lines are one list", []string{"application/json;q=0.5", "text/html"}, nil, "text/html"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.accept {
				h.Add("Accept", v)
			}
			offers := c.offers
			if offers == nil {
				offers = ogc
			}
			if got := MediaType(h, offers...); got != c.want {
				t.Errorf("Accept %q: got %q, want %q", c.accept, got, c.want)
			}
		})
	}
}
