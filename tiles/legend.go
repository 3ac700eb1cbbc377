package tiles

import (
	"net/http"
	"slices"

	"tudi/httpx"
	"tudi/land"
)

// LegendClass is one entry of a legend: a value of the class field, its
// names and its colour.
type LegendClass struct {
	Value  string `json:"value"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Color  string `json:"color"`
	Level  int    `json:"level,omitempty"` // land use: 1 for a first-level class, 2 for a second-level code
}

// KindLegend is the legend of a kind: which field colours it and how.
type KindLegend struct {
	Kind    land.Kind     `json:"kind"`
	Name    string        `json:"name"`
	NameEN  string        `json:"name_en"`
	Field   string        `json:"field,omitempty"`
	Match   string        `json:"match,omitempty"` // "prefix2": a code takes its own colour, else its first-level class's (first two digits)
	Classes []LegendClass `json:"classes,omitempty"`
	Fill    string        `json:"fill,omitempty"`    // fill colour when not by class
	Outline string        `json:"outline,omitempty"` // outline colour
	Other   string        `json:"other"`             // colour of values not listed
	Note    string        `json:"note,omitempty"`
}

// Legends returns the legend of every kind of the embedded catalogue, in
// drawing order.
func Legends() []KindLegend {
	out := make([]KindLegend, 0, len(kindOrder))
	for _, k := range kindOrder {
		out = append(out, kindLegend(k))
	}
	return out
}

// kinds returns the catalogue of the service.
func (s *Service) kinds() *land.Catalog {
	if s.cfg.Kinds != nil {
		return s.cfg.Kinds
	}
	return land.DefaultCatalog()
}

// legendOf returns the legend of kind k in the service's catalogue
// (generic's for a kind it does not know).
func (s *Service) legendOf(k land.Kind) KindLegend {
	c := s.kinds()
	sp := c.Kind(k)
	if sp == nil {
		sp = c.Kind(land.Generic)
	}
	return specLegend(k, sp)
}

// legends returns the legend of every kind of the service's catalogue: the
// canonical ones in drawing order, then the kinds it adds.
func (s *Service) legends() []KindLegend {
	var out []KindLegend
	for _, k := range kindOrder {
		out = append(out, s.legendOf(k))
	}
	for _, k := range s.kinds().Kinds() {
		if !slices.Contains(kindOrder, k) {
			out = append(out, s.legendOf(k))
		}
	}
	return out
}

// kindLegend builds the legend of k from the catalogue's declaration: its
// default style, and the values (with their colours) of the field that
// colours it. The catalogue is the one source of the colours: the styles,
// the QGIS style and the web page all draw from this legend.
func kindLegend(k land.Kind) KindLegend {
	return specLegend(k, k.Spec())
}

func specLegend(k land.Kind, s *land.KindSpec) KindLegend {
	st := s.Style
	l := KindLegend{Kind: k, Name: s.Title, NameEN: s.TitleEN, Field: st.Field, Match: st.Match,
		Fill: st.Fill, Outline: st.Outline, Other: st.Other, Note: st.Note}
	if f, ok := s.Field(st.Field); ok {
		for _, v := range f.Values {
			l.Classes = append(l.Classes, LegendClass{Value: v.Value, Name: v.Title, NameEN: v.TitleEN, Color: v.Color, Level: v.Level})
		}
	}
	return l
}

func (s *Service) legend(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteJSONIndent(w, http.StatusOK, httpx.MediaJSON, struct {
		Kinds []KindLegend `json:"kinds"`
	}{s.legends()})
}
