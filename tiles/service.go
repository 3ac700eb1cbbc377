package tiles

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"tudi/land"
	"tudi/postgis"
)

// Config configures the tile service.
type Config struct {
	PublicURL string // absolute base URL for TileJSON, when behind a proxy
}

// Service serves tiles, TileJSON, styles and the catalog.
type Service struct {
	db  *postgis.DB
	cfg Config
	log *slog.Logger
}

// New returns the tile service.
func New(db *postgis.DB, cfg Config, reg prometheus.Registerer, log *slog.Logger) (*Service, error) {
	return &Service{db: db, cfg: cfg, log: log}, nil
}

// Mount registers the tile routes on r; wrap adapts error-returning handlers.
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
	r.Get("/tiles", wrap(s.catalog))
}

// Run listens for layer changes until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// CatalogEntry is one layer in the /tiles catalog.
type CatalogEntry struct {
	Name         string    `json:"name"`
	Kind         land.Kind `json:"kind"`
	Title        string    `json:"title"`
	GeomType     string    `json:"geom_type"`
	FeatureCount int64     `json:"feature_count"`
	Bounds       []float64 `json:"bounds,omitempty"`
	TileJSON     string    `json:"tilejson"`
	Tiles        string    `json:"tiles"`
}

func (s *Service) catalog(w http.ResponseWriter, r *http.Request) error {
	layers, err := s.db.FindLayers(r.Context(), land.LayerFilter{})
	if err != nil {
		return err
	}
	base := land.BaseURL(r, s.cfg.PublicURL)
	out := struct {
		Layers []CatalogEntry `json:"layers"`
	}{Layers: []CatalogEntry{}}
	for _, l := range layers {
		out.Layers = append(out.Layers, CatalogEntry{
			Name: l.Name, Kind: l.Kind, Title: l.Title, GeomType: l.GeomType, FeatureCount: l.FeatureCount,
			Bounds:   l.BBox(),
			TileJSON: base + "/tiles/" + l.Name + ".json",
			Tiles:    base + "/tiles/" + l.Name + "/{z}/{x}/{y}.mvt",
		})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
