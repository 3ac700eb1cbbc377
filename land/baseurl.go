package land

import (
	"net/http"
	"strings"
)

// BaseURL returns the absolute URL under which the client reached the
// service, without a trailing slash: the configured public URL when set,
// else built from X-Forwarded-Proto/-Host (a reverse proxy's) or the Host
// header. Links that clients follow (OGC next links, TileJSON tile URLs) are
// built from it.
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

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}
