package ogc

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"tudi/postgis"
)

// Config configures the OGC API service.
type Config struct {
	PublicURL string // absolute base URL for links, when behind a proxy
}

// Service serves /ogc.
type Service struct {
	db  *postgis.DB
	cfg Config
	log *slog.Logger
}

// New returns the OGC API Features service.
func New(db *postgis.DB, cfg Config, log *slog.Logger) *Service {
	return &Service{db: db, cfg: cfg, log: log}
}

// Mount registers the /ogc routes on r; wrap adapts error-returning handlers.
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
}
