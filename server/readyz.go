package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"tudi/httpx"
	"tudi/migrations"
)

// readyzAnswer is the body of /readyz.
type readyzAnswer struct {
	Status string          `json:"status"` // "ready" or "not ready"
	Checks map[string]bool `json:"checks"`
	Error  string          `json:"error,omitempty"`
	// Replicas (with --read-db): their state, for the record; a replica
	// that is down does not make the server unready (its reads go to the
	// primary).
	Replicas *readyzReplicas `json:"replicas,omitempty"`
}

type readyzReplicas struct {
	Synced       bool           `json:"synced"`
	MaxLagS      float64        `json:"max_lag_s"`
	PrimaryReads int64          `json:"primary_reads"`
	Replicas     []readyReplica `json:"replicas"`
}

type readyReplica struct {
	Up     bool    `json:"up"`
	LagS   float64 `json:"lag_s"`
	Replay string  `json:"replay_lsn,omitempty"`
	Reads  int64   `json:"reads"`
}

// readyz tells a load balancer whether to send this server requests: 200
// once the database answers with every migration of this binary applied,
// the change listener is connected and the layer registry is held in
// memory (so tiles are never older than a committed import); else 503 with
// the checks that failed. /healthz only checks the database.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	ans := readyzAnswer{Checks: map[string]bool{}}
	err := s.checkMigrations(ctx)
	ans.Checks["database"] = err == nil
	if err != nil {
		ans.Error = err.Error()
	}
	ans.Checks["listener"] = s.db.Listening()
	ans.Checks["registry"] = s.tiles.Synced()
	if s.db.Readers != nil {
		st := s.db.Readers.State()
		rr := &readyzReplicas{Synced: st.Synced, MaxLagS: st.MaxLagS, PrimaryReads: st.PrimaryReads, Replicas: []readyReplica{}}
		for _, x := range st.Replicas {
			rr.Replicas = append(rr.Replicas, readyReplica{Up: x.Up, LagS: x.LagS, Replay: x.Replay, Reads: x.Reads})
		}
		ans.Replicas = rr
	}
	ready := true
	for _, ok := range ans.Checks {
		ready = ready && ok
	}
	w.Header().Set("Cache-Control", "no-store")
	if !ready {
		ans.Status = "not ready"
		return httpx.WriteJSON(w, http.StatusServiceUnavailable, httpx.MediaJSON, ans)
	}
	ans.Status = "ready"
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, ans)
}

// checkMigrations checks, on /healthz's own connection, that the database
// has every migration this binary knows.
func (s *Server) checkMigrations(ctx context.Context) error {
	ms, err := migrations.All()
	if err != nil {
		return err
	}
	want := ms[len(ms)-1].Version
	var have int
	if err := s.healthQuery(ctx, `SELECT coalesce(max(version), 0) FROM public.tudi_schema_migrations`, &have); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if have < want {
		return fmt.Errorf("database schema at migration %d, this server needs %d (run tudi migrate)", have, want)
	}
	return nil
}
