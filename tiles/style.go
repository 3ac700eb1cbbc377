package tiles

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"tudi/land"
)

// Style is a MapLibre (Mapbox GL v8) style document.
type Style struct {
	Version  int               `json:"version"`
	Name     string            `json:"name"`
	Metadata map[string]any    `json:"metadata"`
	Center   []float64         `json:"center,omitempty"`
	Zoom     float64           `json:"zoom"`
	Sources  map[string]Source `json:"sources"`
	Layers   []map[string]any  `json:"layers"`
}

// Source is a vector source of a style. Tiles and bounds are given inline,
// so clients need no TileJSON request, and bounds keep MapLibre from asking
// for tiles outside the data.
type Source struct {
	Type        string    `json:"type"`
	Tiles       []string  `json:"tiles"`
	MinZoom     int       `json:"minzoom"`
	MaxZoom     int       `json:"maxzoom"`
	Bounds      []float64 `json:"bounds"`
	Attribution string    `json:"attribution,omitempty"`
}

// SourceID is the id of the one vector source of every tudi style: all its
// layers come in one composite tile per z/x/y.
const SourceID = "tudi"

func (s *Service) style(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Style(r.Context(), chi.URLParam(r, "name"), land.BaseURL(r, s.cfg.PublicURL))
	if err != nil {
		return err
	}
	return writeJSON(w, st)
}

// Style returns the MapLibre style called name: "default" (every layer, in
// drawing order), one layer, or a comma-separated list of layers (in the
// given order, bottom first). It references nothing outside base: no
// glyphs, hence no text labels, and no sprites. Returns NotFound for an
// unknown layer.
func (s *Service) Style(ctx context.Context, name, base string) (*Style, error) {
	var layers []*land.Layer
	var err error
	if name == "default" {
		if layers, err = s.db.FindLayers(ctx, land.LayerFilter{}); err != nil {
			return nil, err
		}
		order := orderLayers(layers)
		if layers, err = s.db.FindLayers(ctx, land.LayerFilter{Names: order}); err != nil {
			return nil, err
		}
	} else {
		names, err := ParseLayers(name)
		if err != nil {
			return nil, err
		}
		if layers, err = s.db.FindLayers(ctx, land.LayerFilter{Names: names}); err != nil {
			return nil, err
		}
	}
	st := &Style{Version: 8, Name: "tudi " + name,
		Metadata: map[string]any{"tudi:legend": base + "/styles/legend.json"},
		Sources:  map[string]Source{},
		Layers:   []map[string]any{{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f3ee"}}},
	}
	if len(layers) == 0 {
		return st, nil
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	tj, err := s.TileJSON(ctx, names, base)
	if err != nil {
		return nil, err
	}
	st.Metadata["tudi:tilejson"] = base + "/tiles/" + strings.Join(names, ",") + ".json"
	st.Metadata["tudi:layers"] = names
	st.Metadata["tudi:note"] = tj.Description
	st.Center, st.Zoom = tj.Center[:2], tj.Center[2]
	st.Sources[SourceID] = Source{Type: "vector", Tiles: tj.Tiles, MinZoom: tj.MinZoom, MaxZoom: tj.MaxZoom,
		Bounds: tj.Bounds, Attribution: tj.Attribution}
	// Points go on top of every area and line, whatever their layer's order.
	var circles []map[string]any
	for _, l := range layers {
		for _, sl := range styleLayers(l) {
			if sl["type"] == "circle" {
				circles = append(circles, sl)
			} else {
				st.Layers = append(st.Layers, sl)
			}
		}
	}
	st.Layers = append(st.Layers, circles...)
	return st, nil
}

// styleLayers returns the style layers drawing one tudi layer: polygons
// filled (by class where the kind has one) and outlined, lines as lines,
// points as circles.
func styleLayers(l *land.Layer) []map[string]any {
	lg := kindLegend(l.Kind)
	id := l.Name
	layer := func(suffix, typ string, filter any, paint map[string]any) map[string]any {
		m := map[string]any{"id": id + "-" + suffix, "type": typ, "source": SourceID, "source-layer": l.Name,
			"paint": paint, "metadata": map[string]any{"tudi:layer": l.Name, "tudi:kind": l.Kind}}
		if filter != nil {
			m["filter"] = filter
		}
		return m
	}
	polygon := []any{"==", "$type", "Polygon"}
	line := []any{"==", "$type", "LineString"}
	point := []any{"==", "$type", "Point"}
	fill := colorExpr(lg)
	var out []map[string]any
	switch l.Kind {
	case land.Parcels:
		out = append(out,
			layer("fill", "fill", polygon, map[string]any{"fill-color": fill, "fill-opacity": 0.85}),
			withMinZoom(layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 13, 0.3, 18, 1.2}}), GeneralisedMaxZoom+2))
	case land.Farmland:
		out = append(out,
			layer("fill", "fill", polygon, map[string]any{"fill-color": lg.Fill, "fill-opacity": 0.12}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.8, 14, 2, 18, 3}}))
	case land.RenewalUnits, land.IdleLand:
		out = append(out,
			layer("fill", "fill", polygon, map[string]any{"fill-color": fill, "fill-opacity": 0.55}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline, "line-width": 1.2}))
	case land.Boundaries:
		out = append(out,
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 1, 14, 2.5}, "line-dasharray": []any{4, 2}}))
	default:
		out = append(out,
			layer("fill", "fill", polygon, map[string]any{"fill-color": fill, "fill-opacity": 0.5}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline, "line-width": 1}))
	}
	lineColor := lg.Outline
	out = append(out,
		layer("line", "line", line, map[string]any{"line-color": lineColor, "line-width": 1.5}),
		layer("circle", "circle", point, map[string]any{"circle-color": fill, "circle-radius": 4,
			"circle-stroke-color": lineColor, "circle-stroke-width": 1}))
	return out
}

func withMinZoom(m map[string]any, z int) map[string]any {
	m["minzoom"] = z
	return m
}

// colorExpr returns the MapLibre expression colouring a kind by its class
// field: for land use, a second-level code's own colour, else its
// first-level class's (the code's first two characters), else Other.
func colorExpr(lg KindLegend) any {
	if lg.Field == "" || len(lg.Classes) == 0 {
		if lg.Fill == "" {
			return lg.Other // e.g. boundaries, which have no fill: their points still need a colour
		}
		return lg.Fill
	}
	value := []any{"to-string", []any{"coalesce", []any{"get", lg.Field}, ""}}
	if lg.Match != "prefix2" {
		e := []any{"match", value}
		for _, c := range lg.Classes {
			e = append(e, c.Value, c.Color)
		}
		return append(e, lg.Other)
	}
	first := []any{"match", []any{"slice", value, 0, 2}}
	second := []any{"match", value}
	for _, c := range lg.Classes {
		if c.Level == 1 {
			first = append(first, c.Value, c.Color)
		} else {
			second = append(second, c.Value, c.Color)
		}
	}
	first = append(first, lg.Other)
	return append(second, first)
}
