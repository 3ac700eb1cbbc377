package server

import (
	"net/http"

	"tudi/land"
)

func (s *Server) identify(w http.ResponseWriter, r *http.Request) error {
	return land.Errorf(land.Unavailable, "identify is not available yet")
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) error {
	return land.Errorf(land.Unavailable, "query is not available yet")
}
