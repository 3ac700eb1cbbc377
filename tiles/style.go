package tiles

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"tudi/httpx"
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
	st, err := s.Style(r.Context(), chi.URLParam(r, "name"), httpx.BaseURL(r, s.cfg.PublicURL))
	if err != nil {
		return err
	}
	return httpx.WriteJSONIndent(w, http.StatusOK, httpx.MediaJSON, st)
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
		for _, sl := range styleLayers(l, s.legendOf(l.Kind)) {
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
func styleLayers(l *land.Layer, lg KindLegend) []map[string]any {
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
	// Layers coloured by a field also name it in their filter, in a test
	// that is always true: QGIS 3.22 decodes only the tile attributes its
	// filters use, so without it every feature would take the fallback.
	classed := func(filter []any) any {
		if lg.Field == "" || len(lg.Classes) == 0 {
			return filter
		}
		return []any{"all", filter, []any{"any", []any{"has", lg.Field}, []any{"!has", lg.Field}}}
	}
	var out []map[string]any
	switch l.Kind {
	case land.Parcels:
		out = append(out,
			layer("fill", "fill", classed(polygon), map[string]any{"fill-color": fill, "fill-opacity": 0.85}),
			withMinZoom(layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 13, 0.3, 18, 1.2}}), GeneralisedMaxZoom+1))
	case land.Farmland:
		out = append(out,
			layer("fill", "fill", polygon, map[string]any{"fill-color": lg.Fill, "fill-opacity": 0.12}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.8, 14, 2, 18, 3}}))
	case land.RenewalUnits, land.IdleLand:
		out = append(out,
			layer("fill", "fill", classed(polygon), map[string]any{"fill-color": fill, "fill-opacity": 0.55}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline, "line-width": 1.2}))
	case land.Boundaries:
		out = append(out,
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline,
				"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 1, 14, 2.5}, "line-dasharray": []any{4, 2}}))
	default:
		out = append(out,
			layer("fill", "fill", classed(polygon), map[string]any{"fill-color": fill, "fill-opacity": 0.5}),
			layer("outline", "line", polygon, map[string]any{"line-color": lg.Outline, "line-width": 1}))
	}
	lineColor := lg.Outline
	// Lines of a kind coloured by class (背街小巷 among 三改 projects) take
	// their class's colour, as the legend shows them; others the outline's.
	lines := layer("line", "line", line, map[string]any{"line-color": lineColor, "line-width": 1.5})
	if lg.Field != "" && len(lg.Classes) > 0 {
		lines = layer("line", "line", classed(line), map[string]any{"line-color": fill, "line-width": 2})
	}
	out = append(out,
		lines,
		layer("circle", "circle", classed(point), map[string]any{"circle-color": fill, "circle-radius": 4,
			"circle-stroke-color": lineColor, "circle-stroke-width": 1}))
	return out
}

func withMinZoom(m map[string]any, z int) map[string]any {
	m["minzoom"] = z
	return m
}

// colorExpr returns the MapLibre expression colouring a kind by its class
// field: a match on the field's value, with Other for values not listed.
//
// For land use a code takes its own colour, else its first-level class's:
// the match lists every code of GB/T 21010 and of the third national land
// survey (三调) explicitly rather than matching on the first two characters,
// because QGIS's style converter (Vector Tiles > Style URL) understands only
// a match on a field with a plain colour as fallback: so QGIS and MapLibre
// draw the same colours.
func colorExpr(lg KindLegend) any {
	if lg.Field == "" || len(lg.Classes) == 0 {
		if lg.Fill == "" {
			return lg.Other // e.g. boundaries, which have no fill: their points still need a colour
		}
		return lg.Fill
	}
	pairs := make([][2]string, 0, len(lg.Classes))
	if lg.Match == "prefix2" {
		pairs = landUseCodes(lg.Classes)
	} else {
		for _, c := range lg.Classes {
			pairs = append(pairs, [2]string{c.Value, c.Color})
		}
	}
	// Labels are arrays, one per colour: QGIS 3.22 reads nothing else. A
	// match on a null or non-string value takes the fallback.
	e := []any{"match", []any{"get", lg.Field}}
	index := map[string]int{} // colour → index of its label array in e
	for _, p := range pairs {
		if i, ok := index[p[1]]; ok {
			e[i] = append(e[i].([]any), p[0])
			continue
		}
		index[p[1]] = len(e)
		e = append(e, []any{p[0]}, p[1])
	}
	return append(e, lg.Other)
}

// sandiaoCodes are the 三调 codes that are not a GB/T 21010 code with a
// suffix: merged classes of the survey's working classification.
var sandiaoCodes = []string{"05H1", "08H1", "08H2", "08H2A"}

// landUseCodes lists (code, colour) for every land-use code a layer may
// hold: the first-level classes, the second-level codes XX01–XX10 (the
// standard's widest class, 0810 and 1110, ends at 10) with the 三调 suffixes
// K (可调整) and A, and the 三调 merged classes; a code without its own
// colour in classes takes its first-level class's.
func landUseCodes(classes []LegendClass) [][2]string {
	own := map[string]string{}
	for _, c := range classes {
		own[c.Value] = c.Color
	}
	var out [][2]string
	seen := map[string]bool{}
	add := func(code, color string) {
		if !seen[code] {
			seen[code] = true
			out = append(out, [2]string{code, color})
		}
	}
	for _, c := range classes {
		if c.Level != 1 {
			continue
		}
		add(c.Value, c.Color)
		codes := []string{}
		for i := 1; i <= 10; i++ {
			codes = append(codes, fmt.Sprintf("%s%02d", c.Value, i))
		}
		for _, sc := range sandiaoCodes {
			if strings.HasPrefix(sc, c.Value) {
				codes = append(codes, sc)
			}
		}
		for _, code := range codes {
			color, ok := own[code]
			if !ok {
				color = c.Color
			}
			for _, suffix := range []string{"", "K", "A"} {
				add(code+suffix, color)
			}
		}
	}
	return out
}
