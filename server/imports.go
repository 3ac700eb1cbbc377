package server

import (
	"net/http"

	"tudi/land"
)

func (s *Server) listImports(w http.ResponseWriter, r *http.Request) error {
	return land.Errorf(land.Unavailable, "imports are not available yet")
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	return land.Errorf(land.Unavailable, "imports are not available yet")
}

func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	return land.Errorf(land.Unavailable, "imports are not available yet")
}
