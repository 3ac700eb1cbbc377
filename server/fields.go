package server

import (
	"net/http"

	"tudi/httpx"
	"tudi/land"
)

// fieldTitle is a field as the page labels it (webmap/src/app/fields.json).
type fieldTitle struct {
	Name string `json:"name"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
	Unit string `json:"unit,omitempty"`
	Type string `json:"type"`
}

// kindTitles is a kind as the page labels it: its titles and its fields.
type kindTitles struct {
	Title   string       `json:"title"`
	TitleEN string       `json:"title_en"`
	Fields  []fieldTitle `json:"fields"`
}

// fieldTitles serves /app/fields.json from the served catalogue, in the
// shape of the page's own file: per kind, its titles and its fields in
// order, so that identify labels a catalogue's kind with its titles.
func (s *Server) fieldTitles(w http.ResponseWriter, r *http.Request) error {
	out := map[land.Kind]kindTitles{}
	for _, k := range s.cfg.Kinds.Kinds() {
		sp := s.cfg.Kinds.Spec(k)
		kt := kindTitles{Title: sp.Title, TitleEN: sp.TitleEN, Fields: []fieldTitle{}}
		for _, f := range sp.Fields {
			kt.Fields = append(kt.Fields, fieldTitle{Name: f.Name, ZH: f.Title, EN: f.TitleEN, Unit: f.Unit, Type: string(f.Type)})
		}
		out[k] = kt
	}
	w.Header().Set("Cache-Control", "no-cache")
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, out)
}
