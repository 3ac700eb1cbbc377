package tiles

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// Defaults of Config.
const (
	DefaultGeneraliseMin = 50000
	// DefaultMaxZoom is the maxzoom announced in TileJSON: beyond it clients
	// overzoom, which for parcels looks the same and saves requests. Tiles
	// are served up to geo.MaxZoom.
	DefaultMaxZoom = 18
	// GeneralisedMaxZoom is the deepest zoom served from generalised
	// geometry for large polygon layers; every feature, with its
	// attributes, is there from the next zoom up. Through z12: there a
	// dense district's parcel is about one screen pixel wide, and a tile of
	// them all weighs 0.7–1.5 MB, three times the tile budget.
	GeneralisedMaxZoom = 12
	// PrerenderMaxZoom is the deepest zoom pre-rendered after each import of
	// a large layer.
	PrerenderMaxZoom = 13
)

// MVTContentType is the media type of Mapbox Vector Tiles.
const MVTContentType = "application/vnd.mapbox-vector-tile"

// Config configures the tile service.
type Config struct {
	PublicURL string // absolute base URL for TileJSON, when behind a proxy
	// CacheBytes bounds the in-memory tile cache (0: DefaultCacheBytes(),
	// derived from the machine's memory; negative: no memory cache).
	CacheBytes int64
	// CacheDir, when set, also keeps rendered tiles as files there.
	CacheDir string
	// TileBytes is the byte budget of one MVT layer of a tile, uncompressed
	// (0: DefaultTileBytes, negative: none); see renderFeatures.
	TileBytes int64
	// DiskBytes bounds the files in CacheDir (0: DefaultDiskBytes(CacheDir),
	// derived from the file system's size; negative: no limit).
	DiskBytes int64
	// GeneraliseMin is the feature count from which a polygon layer's low
	// zooms come from generalised geometry (0: DefaultGeneraliseMin);
	// smaller layers are always rendered live.
	GeneraliseMin int64
	// NoRebuild, when set, makes Run only listen for changes without
	// building generalised geometry (for processes that only serve).
	NoRebuild bool
	// Kinds is the catalogue whose styles and values colour the layers
	// (nil: land.DefaultCatalog()).
	Kinds *land.Catalog
}

// Service serves tiles, TileJSON, styles and the catalog.
type Service struct {
	db      *postgis.DB
	cfg     Config
	log     *slog.Logger
	cache   *memCache
	disk    *diskCache
	changes *changeLog
	flight  singleflight.Group
	reader  *versionReader
	reg     *registry
	metrics metrics

	sweeping atomic.Bool // a disk cache clean is running

	rebuildMu sync.Mutex
	rebuilds  map[string][]postgis.Change // layers waiting for a rebuild, with the changes heard (nil: none known)
	wake      chan struct{}
}

type metrics struct {
	hits, diskHits, misses, revalidated, prerendered, stale, heard, checks, diskRemoved, budgeted prometheus.Counter
	overBudget                                                                                    *prometheus.CounterVec
	render                                                                                        *prometheus.HistogramVec
	rebuild                                                                                       *prometheus.HistogramVec
}

// New returns the tile service; its metrics are registered on reg (when not
// nil).
func New(db *postgis.DB, cfg Config, reg prometheus.Registerer, log *slog.Logger) (*Service, error) {
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes()
	}
	if cfg.TileBytes == 0 {
		cfg.TileBytes = DefaultTileBytes
	}
	if cfg.CacheDir != "" && cfg.DiskBytes == 0 {
		cfg.DiskBytes = DefaultDiskBytes(cfg.CacheDir)
	}
	if cfg.GeneraliseMin == 0 {
		cfg.GeneraliseMin = DefaultGeneraliseMin
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, cfg: cfg, log: log, changes: newChangeLog(), reader: &versionReader{db: db}, reg: newRegistry(),
		rebuilds: map[string][]postgis.Change{}, wake: make(chan struct{}, 1)}
	if cfg.CacheBytes > 0 {
		s.cache = newMemCache(cfg.CacheBytes, false)
	}
	if cfg.CacheDir != "" {
		s.disk = &diskCache{dir: cfg.CacheDir, max: max(cfg.DiskBytes, 0)}
	}
	s.metrics = metrics{
		hits: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_cache_hits_total",
			Help: "Tile requests answered from the memory or disk cache."}),
		diskHits: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_cache_disk_hits_total",
			Help: "Tile requests answered from the disk cache (also counted in tudi_tile_cache_hits_total)."}),
		diskRemoved: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_cache_disk_removed_total",
			Help: "Files removed from the disk cache: of outdated layer versions, or least recently used beyond its size limit."}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_cache_misses_total",
			Help: "Tile requests that had to be rendered."}),
		revalidated: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_cache_revalidated_total",
			Help: "Cached tiles of an older layer version kept because every change since lies outside them."}),
		prerendered: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_prerendered_total",
			Help: "Tile layers read from the pre-rendered table."}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_generalised_stale_total",
			Help: "Low-zoom tile layers rendered live because their generalisation was not yet rebuilt."}),
		heard: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_changes_heard_total",
			Help: "Layer change notifications heard."}),
		checks: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_registry_checks_total",
			Help: "Tile requests that read the layer registry in the database (listener not in sync, layer under a change fence, or unknown)."}),
		budgeted: prometheus.NewCounter(prometheus.CounterOpts{Name: "tudi_tile_budget_generalised_total",
			Help: "Tile layers whose features exceeded the tile byte budget, rendered as a majority grid of their classes."}),
		overBudget: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tudi_tile_over_budget_total",
			Help: "Tile layers served over the tile byte budget (not polygons, or still over after generalising), by zoom."}, []string{"z"}),
		render: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tudi_tile_render_seconds",
			Help:    "Time to render a tile that was not cached, by zoom.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"z"}),
		rebuild: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tudi_tile_generalise_seconds",
			Help:    "Time to rebuild a layer's generalised low zooms and pre-rendered tiles.",
			Buckets: []float64{.1, .5, 1, 5, 10, 30, 60, 120, 300, 600}}, []string{"layer"}),
	}
	if reg != nil {
		cs := []prometheus.Collector{s.metrics.hits, s.metrics.diskHits, s.metrics.diskRemoved, s.metrics.budgeted, s.metrics.overBudget, s.metrics.misses, s.metrics.revalidated,
			s.metrics.prerendered, s.metrics.stale, s.metrics.heard, s.metrics.checks, s.metrics.render, s.metrics.rebuild,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tudi_tile_cache_bytes",
				Help: "Bytes held by the in-memory tile cache."}, func() float64 {
				if s.cache == nil {
					return 0
				}
				b, _ := s.cache.stats()
				return float64(b)
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tudi_tile_cache_entries",
				Help: "Tiles held by the in-memory tile cache."}, func() float64 {
				if s.cache == nil {
					return 0
				}
				_, n := s.cache.stats()
				return float64(n)
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tudi_tile_cache_disk_bytes",
				Help: "Bytes held by the disk tile cache (as of its last clean, plus what was written since)."}, func() float64 {
				if s.disk == nil {
					return 0
				}
				return float64(s.disk.used.Load())
			}),
		}
		for _, c := range cs {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Mount registers the tile routes on r; wrap adapts error-returning handlers.
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
	r.Get("/tiles", wrap(s.catalog))
	r.Get("/tiles/", wrap(s.catalog)) // as /ogc/ answers beside /ogc
	r.Get("/tiles/{layers}.json", wrap(s.tileJSON))
	tile := wrap(s.tile)
	r.Get("/tiles/{layers}/{z}/{x}/{y}.mvt", tile)
	r.Head("/tiles/{layers}/{z}/{x}/{y}.mvt", tile)
	r.Get("/styles/legend.json", wrap(s.legend))
	r.Get("/styles/{name}.json", wrap(s.style))
}

// tile answers GET and HEAD /tiles/{layers}/{z}/{x}/{y}.mvt.
func (s *Service) tile(w http.ResponseWriter, r *http.Request) error {
	names, err := ParseLayers(chi.URLParam(r, "layers"))
	if err != nil {
		return err
	}
	t, err := ParseTile(chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"))
	if err != nil {
		return err
	}
	all := false
	switch p := r.URL.Query().Get("props"); p {
	case "":
	case "all":
		all = true
	default:
		return land.Errorf(land.Invalid, "parameter props=%q: the only value is \"all\"", p)
	}
	e, err := s.tileEntry(r.Context(), names, t, all)
	if err != nil {
		return err
	}
	return writeTile(w, r, e)
}

// TileData is a rendered tile: the MVT bytes of all requested layers
// (empty when no feature falls in the tile) and its ETag.
type TileData struct{ e *entry }

// Bytes returns the MVT bytes (decompressed from Gzip).
func (d TileData) Bytes() ([]byte, error) { return d.e.raw() }

// Gzip returns the gzip-compressed MVT bytes, exactly as served to clients
// that accept gzip; nil for an empty tile.
func (d TileData) Gzip() []byte { return d.e.gz }

// ETag returns the ETag sent with the gzip encoding ("" for an empty tile).
func (d TileData) ETag() string { return gzipETag(d.e.etag) }

// Tile returns tile t of the named layers (composite: one MVT layer per
// name, in order), from the cache when the cached tile is still current;
// all adds every source attribute. Returns NotFound for an unknown layer.
func (s *Service) Tile(ctx context.Context, names []string, t Tile, all bool) (TileData, error) {
	e, err := s.tileEntry(ctx, names, t, all)
	if err != nil {
		return TileData{}, err
	}
	return TileData{e}, nil
}

func (s *Service) tileEntry(ctx context.Context, names []string, t Tile, all bool) (*entry, error) {
	// The versions found here decide whether a cached tile may be served:
	// from memory while that is safe, else from the database (see registry).
	refs, ok := s.reg.lookup(names)
	if !ok {
		s.metrics.checks.Inc()
		var err error
		if refs, err = s.reader.read(ctx, names); err != nil {
			return nil, err
		}
	}
	key := strings.Join(names, ",") + "/" + t.String()
	if all {
		key += ".all"
	}
	versions := make([]int64, len(refs))
	for i, l := range refs {
		versions[i] = l.Version
	}
	if e := s.lookup(key, t, names, versions); e != nil {
		s.metrics.hits.Inc()
		return e, nil
	}
	if s.disk != nil {
		// A file that is not gzip (damaged) counts as missing and is rewritten.
		if b, ok := s.disk.get(key, versions); ok && (len(b) == 0 || isGzip(b)) {
			s.metrics.hits.Inc()
			s.metrics.diskHits.Inc()
			e := newGzipEntry(key, t, names, versions, b)
			s.store(e)
			return e, nil
		}
	}
	s.metrics.misses.Inc()
	// Concurrent requests for the same tile and versions render it once. The
	// render gets its own deadline so one client going away does not fail the
	// others waiting for the same tile.
	v, err, _ := s.flight.Do(key+versionSuffix(versions), func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		start := time.Now()
		b, cacheable, err := s.render(rctx, refs, t, all)
		if err != nil {
			return nil, err
		}
		s.metrics.render.WithLabelValues(strconv.Itoa(t.Z)).Observe(time.Since(start).Seconds())
		e := newEntry(key, t, names, versions, b)
		if !cacheable {
			return e, nil
		}
		s.store(e)
		if s.disk != nil {
			full, err := s.disk.put(key, versions, e.gz)
			if err != nil {
				s.log.Warn("tile disk cache write failed", "error", err, "dir", s.cfg.CacheDir)
			}
			if full {
				s.cleanDisk()
			}
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*entry), nil
}

func versionSuffix(vs []int64) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("@" + strconv.FormatInt(v, 10))
	}
	return b.String()
}

func (s *Service) store(e *entry) {
	if s.cache != nil {
		s.cache.put(e)
	}
}

// lookup returns the cached tile of key when it is current: rendered at the
// versions just read from the registry, or at older versions whose every
// later change is known (from notifications) to lie outside the tile.
func (s *Service) lookup(key string, t Tile, names []string, versions []int64) *entry {
	if s.cache == nil {
		return nil
	}
	e := s.cache.get(key)
	if e == nil {
		return nil
	}
	same := true
	for i, v := range versions {
		if e.versions[i] != v {
			same = false
			if !s.changes.untouched(names[i], e.versions[i], v, t.boundsWithBuffer()) {
				s.cache.remove(key, e)
				return nil
			}
		}
	}
	if same {
		return e
	}
	// Still valid at the new versions: store it under them (a new entry, as
	// entries are shared read-only between requests).
	ne := &entry{key: key, tile: t, layers: e.layers, versions: versions, gz: e.gz, rawLen: e.rawLen, etag: e.etag}
	s.cache.put(ne)
	s.metrics.revalidated.Inc()
	return ne
}

// render renders every layer of a composite tile concurrently and joins
// them. An MVT tile is a protobuf message whose layers are a repeated
// field, so the concatenation of single-layer tiles is the composite tile.
// It reports whether every layer's part may be cached.
func (s *Service) render(ctx context.Context, refs []layerRef, t Tile, all bool) ([]byte, bool, error) {
	parts := make([][]byte, len(refs))
	cacheable := make([]bool, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	for i, l := range refs {
		g.Go(func() error {
			var err error
			parts[i], cacheable[i], err = s.renderLayer(gctx, l, t, all)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, false, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, !slices.Contains(cacheable, false), nil
}

// writeTile writes a tile response: 204 when empty; else the bytes, gzip
// compressed only when the client accepts gzip and then always with
// Content-Encoding (QGIS draws nothing from gzip bytes without it), an ETag
// per encoding, 304 on a matching If-None-Match, and Content-Length also on
// HEAD (GDAL's /vsicurl/ needs it).
func writeTile(w http.ResponseWriter, r *http.Request, e *entry) error {
	h := w.Header()
	h.Set("Cache-Control", "public, no-cache")
	httpx.AddVary(h, "Accept-Encoding")
	if e.empty() {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	etag, n := e.etag, e.rawLen
	gz := httpx.Coding(r.Header, "gzip") == "gzip"
	if gz {
		etag, n = gzipETag(e.etag), len(e.gz)
	}
	h.Set("ETag", etag)
	if httpx.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := e.gz
	if !gz && r.Method != http.MethodHead {
		// The cache keeps gzip only: decompress for this rare client.
		var err error
		if body, err = e.raw(); err != nil {
			return err
		}
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", MVTContentType)
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// gzipETag returns the ETag of the gzip encoding of a tile whose identity
// ETag is etag.
func gzipETag(etag string) string {
	if etag == "" {
		return ""
	}
	return strings.TrimSuffix(etag, `"`) + `-gz"`
}

// isGzip reports whether b starts like a gzip stream and is long enough
// for its header and trailer.
func isGzip(b []byte) bool { return len(b) >= 18 && b[0] == 0x1f && b[1] == 0x8b }

// CatalogEntry is one layer in the /tiles catalog.
type CatalogEntry struct {
	Name         string    `json:"name"`
	Kind         land.Kind `json:"kind"`
	Title        string    `json:"title"`
	GeomType     string    `json:"geom_type"`
	FeatureCount int64     `json:"feature_count"`
	Version      int64     `json:"version"`
	Bounds       []float64 `json:"bounds,omitempty"`
	TileJSON     string    `json:"tilejson"`
	Tiles        string    `json:"tiles"`
	Style        string    `json:"style"`
	// Generalised is true when the layer's zooms up to GeneralisedMaxZoom
	// come from generalised geometry (per-class shapes, no per-feature
	// attributes).
	Generalised bool `json:"generalised"`
}

func (s *Service) catalog(w http.ResponseWriter, r *http.Request) error {
	layers, err := s.db.FindLayers(r.Context(), land.LayerFilter{})
	if err != nil {
		return err
	}
	base := httpx.BaseURL(r, s.cfg.PublicURL)
	out := struct {
		Layers   []CatalogEntry `json:"layers"`
		TileJSON string         `json:"tilejson"`
		Style    string         `json:"style"`
		Legend   string         `json:"legend"`
	}{Layers: []CatalogEntry{}, Style: base + "/styles/default.json", Legend: base + "/styles/legend.json"}
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
		out.Layers = append(out.Layers, CatalogEntry{
			Name: l.Name, Kind: l.Kind, Title: l.Title, GeomType: l.GeomType, FeatureCount: l.FeatureCount,
			Version:     l.Version,
			Bounds:      l.BBox(),
			TileJSON:    base + "/tiles/" + l.Name + ".json",
			Tiles:       base + "/tiles/" + l.Name + "/{z}/{x}/{y}.mvt",
			Style:       base + "/styles/" + l.Name + ".json",
			Generalised: s.generalised(l.FeatureCount, l.GeomType),
		})
	}
	if len(names) > 0 {
		out.TileJSON = base + "/tiles/" + strings.Join(orderLayers(layers), ",") + ".json"
	}
	return httpx.WriteJSONIndent(w, http.StatusOK, httpx.MediaJSON, out)
}

// generalised reports whether a layer of n features of the given geometry
// type has generalised low zooms.
func (s *Service) generalised(n int64, geomType string) bool {
	return n >= s.cfg.GeneraliseMin && isPolygonal(geomType)
}

// band returns the generalisation band of zoom z for layer l, if its low
// zooms are generalised: z itself for z6–z11, 6 below (the whole district
// fits a few z6 tiles).
func (s *Service) band(l layerRef, z int) (int, bool) {
	if !s.generalised(l.Features, l.GeomType) || z > GeneralisedMaxZoom {
		return 0, false
	}
	return max(z, minBand), true
}
