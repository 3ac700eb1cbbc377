package httpx

import (
	"net/http"
	"strings"
)

// AddVary adds field to the Vary header of h unless it is already named
// there (or Vary is "*"), so that handlers and the compressor can each say
// what the response varies by without repeating it.
func AddVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, field) {
				return
			}
		}
	}
	h.Add("Vary", field)
}

// ETagMatches reports whether an If-None-Match header value names etag,
// the ETag of the representation about to be sent, by the weak comparison
// RFC 9110 section 13.1.2 asks for ("*" matches any). Two encodings of a
// resource are two representations with two ETags: a client holding one
// must not get 304 for the other, or it would keep bytes in the wrong
// encoding.
func ETagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" || etag == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// BaseURL returns the absolute URL under which the client reached the
// service, without a trailing slash: the configured public URL when set,
// else built from X-Forwarded-Proto/-Host/-Prefix (a reverse proxy's; the
// server removes them from untrusted peers) or the Host header. Links that
// clients follow (OGC next links, TileJSON tile URLs) are built from it.
func BaseURL(r *http.Request, public string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	prefix := strings.TrimRight(firstValue(r.Header.Get("X-Forwarded-Prefix")), "/")
	return scheme + "://" + host + prefix
}

// firstValue returns the first entry of a comma-separated header value.
func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}
