package reports

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"tudi/postgis"
)

// Service runs reports for the CLI and the HTTP API.
type Service struct {
	db  *postgis.DB
	log *slog.Logger
}

// New returns the report service.
func New(db *postgis.DB, log *slog.Logger) *Service {
	return &Service{db: db, log: log}
}

// Mount registers /api/reports routes on r; wrap adapts error-returning handlers.
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
}
