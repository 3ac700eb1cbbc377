package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tudi/httpx"
	"tudi/importers"
	"tudi/land"
	"tudi/ogc"
	"tudi/postgis"
	"tudi/reports"
	"tudi/tiles"
	"tudi/webmap"
)

// Config configures the server.
type Config struct {
	PublicURL      string        // absolute URL clients use, when behind a proxy; else from the request
	Token          string        // bearer token required for every write
	RequestTimeout time.Duration // deadline of a request's context (default 60 s)
	MaxUploadBytes int64         // limit of an import upload (default 2 GiB)
	TileCacheDir   string        // also keep rendered tiles as files here (optional)
	TileCacheBytes int64         // memory for rendered tiles (0: tiles.DefaultCacheBytes, negative: none)
	TileDiskBytes  int64         // limit of TileCacheDir (0: tiles.DefaultDiskBytes, negative: none)
	TileNoRebuild  bool          // serve tiles without building generalised low zooms (another process builds them)
	Auth           AuthMode      // which requests need a token (default AuthWrite: writes only)
	TokenCacheTTL  time.Duration // how long a looked-up token is trusted (0: DefaultTokenCacheTTL, negative: not at all)

	// Connection limits and proxies (see deadlines and forwarded in
	// middleware.go, and SECURITY.md).
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-* headers are believed (default none)
	ReadTimeout    time.Duration  // a request body must arrive within it (default 30 s)
	UploadTimeout  time.Duration  // an upload's body must arrive within it (default 1 h)
	WriteTimeout   time.Duration  // a response, uploads' excepted, must be written within it (default RequestTimeout + 30 s)
	IdleTimeout    time.Duration  // an idle keep-alive connection is closed after it (default 2 min)

	Limits Limits // cost limits of identify, query and other expensive requests

	// The catalogue (--catalog): kinds for styles and legends, and the
	// reports (nil: the embedded ones).
	Kinds   *land.Catalog
	Reports *reports.Catalog
}

// Server is the HTTP side of tudi.
type Server struct {
	cfg      Config
	db       *postgis.DB
	log      *slog.Logger
	reg      *prometheus.Registry
	tiles    *tiles.Service
	ogc      *ogc.Service
	reports  *reports.Service
	importer *importers.Importer
	tokens   *tokenCache
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	router   chi.Router
	limiter  *limiter
	health   healthConn
}

// healthConn is a database connection of /healthz's own, outside the pool,
// opened on first use and again after a failure: busy pool connections
// (heavy queries) cannot delay the answer, and no new backend is started
// for each check. One check uses it at a time (sem).
type healthConn struct {
	sem  chan struct{}
	conn *pgx.Conn
}

// New builds the server and its services on db.
func New(cfg Config, db *postgis.DB, log *slog.Logger) (*Server, error) {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 2 << 30
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.UploadTimeout == 0 {
		cfg.UploadTimeout = time.Hour
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = cfg.RequestTimeout + 30*time.Second
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	if cfg.TokenCacheTTL == 0 {
		cfg.TokenCacheTTL = DefaultTokenCacheTTL
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthWrite
	}
	cfg.Limits = cfg.Limits.withDefaults()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{cfg: cfg, db: db, log: log, reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tudi_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tudi_http_request_duration_seconds", Help: "HTTP request durations by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	reg.MustRegister(s.requests, s.duration)
	s.limiter = newLimiter(cfg.Limits.MaxConcurrentPerClient, cfg.Limits.MaxConcurrent)
	if cfg.Kinds != nil {
		// The layers' kinds (columns, titles, presets) are resolved in the
		// served catalogue by the store, OGC, identify and the importer.
		db.Kinds = cfg.Kinds
	}
	s.health.sem = make(chan struct{}, 1)
	var err error
	if s.tiles, err = tiles.New(db, tiles.Config{PublicURL: cfg.PublicURL, CacheDir: cfg.TileCacheDir, CacheBytes: cfg.TileCacheBytes, DiskBytes: cfg.TileDiskBytes, NoRebuild: cfg.TileNoRebuild, Kinds: cfg.Kinds}, reg, log); err != nil {
		return nil, err
	}
	s.ogc = ogc.New(db, ogc.Config{PublicURL: cfg.PublicURL}, log)
	if cfg.Reports != nil {
		s.reports = reports.NewWithCatalog(db, log, cfg.Reports)
	} else {
		s.reports = reports.New(db, log)
	}
	s.importer = importers.New(db, log)
	s.tokens = newTokenCache(db, cfg.Token, cfg.TokenCacheTTL)
	s.router = s.routes()
	return s, nil
}

// Tiles returns the tile service (for its change listener and tests).
func (s *Server) Tiles() *tiles.Service { return s.tiles }

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Run starts background work (the tile cache's change listener, and the
// columns and field indexes the catalogue asks for that existing layers
// lack) until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	go func() {
		// Columns first: an index on a column not yet added is skipped.
		if n, err := s.db.EnsureLayerColumns(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("adding the catalogue's fields to layers", "error", err.Error(), "altered", n)
		}
		if n, err := s.db.EnsureLayerIndexes(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("indexing layer fields", "error", err.Error(), "built", n)
		}
	}()
	return s.tiles.Run(ctx)
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// No ReadTimeout or WriteTimeout: they would cut uploads and long
	// imports; the deadlines middleware sets them per request instead.
	hs := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.cfg.IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	s.closeHealthConn(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.deadlines, s.forwarded)
	r.Use(middleware.RequestID, s.accessLog, s.recoverer, cors, s.timeout)
	r.Use(skipTiles(httpx.NewCompressor("application/json", "application/geo+json", "text/html", "text/css",
		"text/javascript", "application/javascript", "text/csv", "application/schema+json", "application/vnd.oai.openapi+json").Handler))
	r.Use(s.authenticate, s.limitExpensive)
	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	if s.cfg.Kinds != nil && s.cfg.Kinds != land.DefaultCatalog() {
		// The page's field titles, from the served catalogue (the page's
		// own file holds the embedded kinds only).
		r.Get("/app/fields.json", s.handle(s.fieldTitles))
	}
	r.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.tiles.Mount(r, s.handle)
	s.ogc.Mount(r, s.handle)
	s.reports.Mount(r, s.handle)
	r.Get("/api/identify", s.handle(s.identify))
	r.Post("/api/query", s.handle(s.query))
	r.Get("/api/layers/{name}/history", s.handle(s.layerHistory))
	r.Get("/api/layers/{name}/diff", s.handle(s.layerDiff))
	r.Route("/api/imports", func(r chi.Router) {
		r.Get("/", s.handle(s.listImports))
		r.Get("/{id}", s.handle(s.getImport))
		r.With(s.requireRole(postgis.Editor)).Post("/", s.handle(s.postImport))
	})
	r.Route("/api/layers/{name}", func(r chi.Router) {
		r.Use(s.requireRole(postgis.Admin))
		r.Delete("/", s.handle(s.deleteLayer))
		r.Post("/rename", s.handle(s.renameLayer))
	})
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/ogc") ||
			strings.HasPrefix(r.URL.Path, "/tiles") || strings.HasPrefix(r.URL.Path, "/styles") {
			return land.Errorf(land.NotFound, "no such resource %q", r.URL.Path)
		}
		webmap.Handler().ServeHTTP(w, r)
		return nil
	}))
	return r
}

// Handler is the shape of every tudi handler: it returns an error instead of
// writing one, and handle turns errors into JSON responses.
type Handler = func(http.ResponseWriter, *http.Request) error

// handle adapts a Handler: the one place where error kinds become statuses.
func (s *Server) handle(h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// Status returns the HTTP status of an error's kind.
func Status(err error) int {
	switch land.KindOf(err) {
	case land.Invalid:
		return http.StatusBadRequest
	case land.NotFound:
		return http.StatusNotFound
	case land.Conflict:
		return http.StatusConflict
	case land.Unauthorized:
		return http.StatusUnauthorized
	case land.Forbidden:
		return http.StatusForbidden
	case land.TooLarge:
		return http.StatusRequestEntityTooLarge
	case land.Timeout:
		return http.StatusGatewayTimeout
	case land.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	err = postgis.Err(err)
	status := Status(err)
	attrs := []any{"request_id", middleware.GetReqID(r.Context()), "status", status, "path", r.URL.Path, "error", err.Error()}
	if status >= 500 {
		s.log.Error("request failed", attrs...)
	} else {
		s.log.Info("request refused", attrs...)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tudi"`)
	}
	if httpx.WriteJSON(w, status, httpx.MediaJSON, map[string]any{"error": land.MessageOf(err), "detail": land.DetailOf(err)}) != nil {
		// The detail cannot be encoded as JSON; the message alone can.
		_ = httpx.WriteJSON(w, status, httpx.MediaJSON, map[string]any{"error": land.MessageOf(err), "detail": nil})
	}
}

// healthz checks the database. It must answer while expensive requests
// hold the pool's connections: when none is free within a quarter of a second it
// checks on a connection of its own.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.pingHealthConn(ctx); err != nil {
		return land.Wrap(land.Unavailable, err, "database unavailable")
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, map[string]string{"status": "ok"})
}

// pingHealthConn checks the database on /healthz's own connection,
// (re)opening it when needed; a connection that failed is closed.
func (s *Server) pingHealthConn(ctx context.Context) error {
	var v string
	return s.healthQuery(ctx, `SELECT postgis_lib_version()`, &v)
}

// healthQuery runs q, a one-row query, on /healthz's own connection into
// dst, (re)opening the connection when needed; a connection that failed is
// closed, to be opened again by the next check.
func (s *Server) healthQuery(ctx context.Context, q string, dst ...any) error {
	select {
	case s.health.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.health.sem }()
	if s.health.conn == nil || s.health.conn.IsClosed() {
		conn, err := pgx.ConnectConfig(ctx, s.db.Pool.Config().ConnConfig.Copy())
		if err != nil {
			return postgis.Err(err)
		}
		s.health.conn = conn
	}
	if err := s.health.conn.QueryRow(ctx, q).Scan(dst...); err != nil {
		_ = s.health.conn.Close(context.WithoutCancel(ctx))
		s.health.conn = nil
		return postgis.Err(err)
	}
	return nil
}

// closeHealthConn closes /healthz's connection when the server stops.
func (s *Server) closeHealthConn(ctx context.Context) {
	select {
	case s.health.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.health.sem }()
	if s.health.conn != nil {
		_ = s.health.conn.Close(ctx)
		s.health.conn = nil
	}
}
