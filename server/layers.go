package server

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"tudi/httpx"
	"tudi/land"
)

// deleteLayer serves DELETE /api/layers/{name} (admin): the layer and
// everything derived from it go in one transaction. Answers 204.
func (s *Server) deleteLayer(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	if err := s.db.DeleteLayer(r.Context(), name); err != nil {
		return err
	}
	s.log.Info("layer deleted", "layer", name, "token", tokenOf(r).Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// renameLayer serves POST /api/layers/{name}/rename (admin) with the JSON
// body {"name": NEW}. Answers 200 with the layer's registry entry under
// its new name.
func (s *Server) renameLayer(w http.ResponseWriter, r *http.Request) error {
	old := chi.URLParam(r, "name")
	var body struct {
		Name string `json:"name"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return land.Errorf(land.Invalid, "want a JSON body {\"name\": NEW}: %v", err)
	}
	if body.Name == "" {
		return land.Errorf(land.Invalid, "want a JSON body {\"name\": NEW}: \"name\" is missing")
	}
	l, err := s.db.RenameLayer(r.Context(), old, body.Name)
	if err != nil {
		return err
	}
	s.log.Info("layer renamed", "layer", old, "new_name", l.Name, "token", tokenOf(r).Name)
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, l)
}
