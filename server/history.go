package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// layerHistory answers GET /api/layers/{name}/history: the layer's history
// imports with their effective dates and counts.
func (s *Server) layerHistory(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	if err := land.ValidateLayerName(name); err != nil {
		return land.Errorf(land.NotFound, "layer %q not found", name)
	}
	for k := range r.URL.Query() {
		return land.Errorf(land.Invalid, "unknown query parameter %q (none allowed)", k)
	}
	hs, err := s.db.FindLayerChanges(r.Context(), name)
	if err != nil {
		return err
	}
	h, err := postgis.FindLayerHistory(r.Context(), s.db.Pool, name)
	if err != nil {
		return err
	}
	out := map[string]any{"layer": name, "history": h != nil, "imports": hs}
	if h != nil {
		out["first_date"], out["last_date"] = h.First.Format(postgis.DateLayout), h.Last.Format(postgis.DateLayout)
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, out)
}

// layerDiff answers GET /api/layers/{name}/diff?from=&to=[&f=json|geojson]:
// the features added, removed and changed between two dates, streamed.
func (s *Server) layerDiff(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	if err := land.ValidateLayerName(name); err != nil {
		return land.Errorf(land.NotFound, "layer %q not found", name)
	}
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "from", "to", "f":
		default:
			return land.Errorf(land.Invalid, "unknown query parameter %q (allowed: from, to, f)", k)
		}
	}
	if q.Get("from") == "" {
		return land.Errorf(land.Invalid, "from: required (YYYY-MM-DD)")
	}
	from, err := land.ParseDate("from", q.Get("from"))
	if err != nil {
		return err
	}
	now := time.Now()
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if v := q.Get("to"); v != "" {
		if to, err = land.ParseDate("to", v); err != nil {
			return err
		}
	}
	geo := false
	switch q.Get("f") {
	case "", "json":
	case "geojson":
		geo = true
	default:
		return land.Errorf(land.Invalid, "f: %q (use json or geojson)", q.Get("f"))
	}
	// The header goes out with the first feature, so that an error before
	// it (unknown layer, no history, dates) is still a proper JSON error.
	bw := bufio.NewWriterSize(w, 32<<10)
	n := 0
	start := func() {
		if geo {
			w.Header().Set("Content-Type", "application/geo+json")
		} else {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(http.StatusOK)
		if geo {
			fmt.Fprintf(bw, `{"type":"FeatureCollection","features":[`)
		} else {
			fmt.Fprintf(bw, `{"layer":%q,"from":%q,"to":%q,"features":[`, name, from.Format(postgis.DateLayout), to.Format(postgis.DateLayout))
		}
	}
	counts, err := s.db.DiffLayer(r.Context(), name, from, to, func(f postgis.DiffFeature) error {
		if n == 0 {
			start()
		} else {
			bw.WriteString(",\n")
		}
		n++
		var v any = f
		if geo {
			v = f.GeoJSON()
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		if n == 0 {
			return err
		}
		panic(http.ErrAbortHandler) // the body has begun: cut it rather than end it wrongly
	}
	if n == 0 {
		start()
	}
	if geo {
		bw.WriteString("]}\n")
	} else {
		b, _ := json.Marshal(counts)
		fmt.Fprintf(bw, "],\"counts\":%s}\n", b)
	}
	return bw.Flush()
}
