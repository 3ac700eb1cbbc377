package ogc

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// Config configures the OGC API service.
type Config struct {
	PublicURL string // absolute base URL for links, when behind a proxy
	// MaxListedIDs is how many ids of a query's matches are kept to page
	// by (0: 20 000); a query matching more is paged by key set.
	MaxListedIDs int
}

// Limits of the items resource. The OpenAPI document declares exactly
// these, and QGIS sizes its pages from them.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Media types.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaHTML    = "text/html"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaSchema  = "application/schema+json"
)

// Service serves /ogc.
type Service struct {
	db  *postgis.DB
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	temporal map[string]temporalExtent // by layer name, valid for one registry version

	matches *matchCache // counts and ids of items queries, per layer version
	kinds   *sync.Map   // layer name → land.Kind, as last read (items/{id} without a registry read)

	writeBufs sync.Pool // *writeBuf
	compress  *httpx.Compressor
}

// writeBuf is an items page's output buffers, reused across requests.
type writeBuf struct {
	w *bufio.Writer
	b []byte
}

// temporalExtent caches a layer's date range: computing it scans the table,
// so it is kept until the layer's registry version changes.
type temporalExtent struct {
	version    int64
	start, end *string // ISO dates; nil: open or unknown
	ok         bool    // the layer has dates at all
}

// New returns the OGC API Features service.
func New(db *postgis.DB, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, cfg: cfg, log: log, temporal: map[string]temporalExtent{}, matches: newMatchCache(cfg.MaxListedIDs), kinds: &sync.Map{}}
	// Every answer of /ogc goes out br or gzip compressed to clients that
	// take either, as it is written (items pages stream through it). Its
	// gzip level and brotli quality are chosen for streaming pages of
	// features; see package httpx.
	s.compress = httpx.NewCompressor(mediaJSON, mediaGeoJSON, mediaHTML, mediaSchema, "application/vnd.oai.openapi+json")
	s.writeBufs.New = func() any {
		return &writeBuf{w: bufio.NewWriterSize(io.Discard, 64<<10), b: make([]byte, 0, 64<<10)}
	}
	return s
}

// Mount registers the /ogc routes on r; wrap adapts error-returning handlers.
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
	r.Route("/ogc", func(r chi.Router) {
		r.Use(middleware.GetHead) // HEAD answers like GET, without the body
		r.Use(s.compress.Handler)
		r.Use(func(next http.Handler) http.Handler {
			return wrap(func(w http.ResponseWriter, r *http.Request) error {
				if err := checkParamText(r); err != nil {
					return err
				}
				next.ServeHTTP(w, r)
				return nil
			})
		})
		r.Get("/", wrap(s.landing))
		r.Get("/conformance", wrap(s.conformance))
		r.Get("/api", wrap(s.api))
		r.Get("/collections", wrap(s.collections))
		r.Get("/collections/{layer}", wrap(s.collection))
		r.Get("/collections/{layer}/queryables", wrap(s.queryables))
		r.Get("/collections/{layer}/items", wrap(s.items))
		r.Get("/collections/{layer}/items/{id}", wrap(s.item))
	})
}

// link is an OGC API link.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// wantsHTML decides the representation: f=html|json|geojson, else the
// Accept header, weighed as RFC 9110 says: HTML only when the client ranks
// it above every JSON type (a browser's "text/html,…,*/*;q=0.8"), JSON on
// a tie, without Accept, or when neither is acceptable.
// Returns an Invalid error for an unknown f.
func wantsHTML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "html":
		return true, nil
	case "json", "geojson", "jsonschema", "openapi":
		return false, nil
	case "":
	default:
		return false, land.Errorf(land.Invalid, "f: unknown format %q (use json or html)", f)
	}
	return httpx.MediaType(r.Header, mediaJSON, mediaGeoJSON, mediaSchema, "application/vnd.oai.openapi+json", mediaHTML) == mediaHTML, nil
}

// formatOnly is the prologue of the resources that take no parameter but
// f: it refuses any other parameter and says whether HTML is wanted.
// props is allowed too (and checked): a client may add it to every request
// (GDAL appends the query of its OAPIF:URL to each one).
func formatOnly(r *http.Request) (bool, error) {
	if err := checkParams(r, "f", "props"); err != nil {
		return false, err
	}
	if _, err := propsAll(r); err != nil {
		return false, err
	}
	return wantsHTML(r)
}

// propsAll reads the props parameter: "all" asks for the source attributes
// of each feature (the props property) besides the canonical fields.
func propsAll(r *http.Request) (bool, error) {
	v, ok := r.URL.Query()["props"]
	if !ok {
		return false, nil
	}
	if len(v) != 1 || v[0] != "all" {
		return false, land.Errorf(land.Invalid, "props: %q is not a choice (props=all adds the source attributes)", strings.Join(v, ","))
	}
	return true, nil
}

// checkParamText refuses query parameters whose names or values are not
// UTF-8 text or hold a NUL: PostgreSQL text cannot carry either, and the
// database's refusal would be a 500.
func checkParamText(r *http.Request) error {
	q, _ := url.ParseQuery(r.URL.RawQuery) // what r.URL.Query() sees
	for k, vs := range q {
		for _, s := range append([]string{k}, vs...) {
			switch {
			case !utf8.ValidString(s):
				return land.Errorf(land.Invalid, "parameter %q: not valid UTF-8", strings.ToValidUTF8(k, "\uFFFD"))
			case strings.IndexByte(s, 0) >= 0:
				return land.Errorf(land.Invalid, "parameter %q: contains a NUL character", strings.ToValidUTF8(k, "\uFFFD"))
			}
		}
	}
	return nil
}

// checkParams refuses query parameters that the API definition does not
// declare (OGC API Features Part 1, /req/core/query-param-unknown).
func checkParams(r *http.Request, allowed ...string) error {
	for k := range r.URL.Query() {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return land.Errorf(land.Invalid, "unknown query parameter %q (allowed here: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// base returns the absolute URL of /ogc as the client reached it.
func (s *Service) base(r *http.Request) string {
	return httpx.BaseURL(r, s.cfg.PublicURL) + "/ogc"
}

// selfLinks returns self and alternate links of the requested resource.
func (s *Service) selfLinks(r *http.Request, isHTML bool, jsonType string) []link {
	u := httpx.BaseURL(r, s.cfg.PublicURL) + r.URL.Path
	q := r.URL.Query()
	with := func(f string) string {
		q.Set("f", f)
		return u + "?" + q.Encode()
	}
	self := link{Href: with("json"), Rel: "self", Type: jsonType}
	alt := link{Href: with("html"), Rel: "alternate", Type: mediaHTML, Title: "this document as HTML"}
	if isHTML {
		self, alt = link{Href: alt.Href, Rel: "self", Type: mediaHTML}, link{Href: self.Href, Rel: "alternate", Type: jsonType, Title: "this document as JSON"}
	}
	return []link{self, alt}
}

// layer finds the {layer} of the route.
func (s *Service) layer(ctx context.Context, r *http.Request) (*land.Layer, error) {
	name := chi.URLParam(r, "layer")
	if err := land.ValidateLayerName(name); err != nil {
		return nil, land.Errorf(land.NotFound, "collection %q not found", name)
	}
	l, err := s.db.FindLayer(ctx, name)
	if land.KindOf(err) == land.NotFound {
		return nil, land.Errorf(land.NotFound, "collection %q not found", name)
	}
	return l, err
}

func pathEscape(s string) string { return url.PathEscape(s) }
