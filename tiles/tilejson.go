package tiles

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"tudi/httpx"
	"tudi/land"
)

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       []float64     `json:"bounds"`
	Center       []float64     `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one MVT layer of a TileJSON document.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
	// FeaturesMinZoom is the zoom from which every feature is in the tiles,
	// with its id and attributes (below it the layer is generalised to its
	// classes). Not a TileJSON 3.0.0 key; clients ignore it.
	FeaturesMinZoom int `json:"features_minzoom"`
}

// mvtFieldType names a field type the way TileJSON does.
func mvtFieldType(t land.FieldType) string {
	switch t {
	case land.Int, land.Float:
		return "Number"
	case land.Bool:
		return "Boolean"
	}
	return "String" // text, and dates as ISO text
}

func (s *Service) tileJSON(w http.ResponseWriter, r *http.Request) error {
	names, err := ParseLayers(chi.URLParam(r, "layers"))
	if err != nil {
		return err
	}
	tj, err := s.TileJSON(r.Context(), names, httpx.BaseURL(r, s.cfg.PublicURL))
	if err != nil {
		return err
	}
	return httpx.WriteJSONIndent(w, http.StatusOK, httpx.MediaJSON, tj)
}

// TileJSON returns the TileJSON of the named layers, with tile URLs under
// base. Returns NotFound for an unknown layer.
func (s *Service) TileJSON(ctx context.Context, names []string, base string) (*TileJSON, error) {
	layers, err := s.db.FindLayers(ctx, land.LayerFilter{Names: names})
	if err != nil {
		return nil, err
	}
	tj := &TileJSON{
		TileJSON: "3.0.0", Name: strings.Join(names, ","), Version: "1.0.0", Scheme: "xyz",
		Attribution: "tudi",
		Tiles:       []string{base + "/tiles/" + strings.Join(names, ",") + "/{z}/{x}/{y}.mvt"},
		MinZoom:     0, MaxZoom: DefaultMaxZoom,
		VectorLayers: []VectorLayer{},
	}
	var desc []string
	var bound *[4]float64
	for _, l := range layers {
		spec := s.db.Spec(l.Kind)
		zh, en := spec.Title, spec.TitleEN
		title := l.Title
		if title == "" {
			title = zh
		}
		vl := VectorLayer{ID: l.Name, MinZoom: 0, MaxZoom: DefaultMaxZoom, Fields: map[string]string{"id": "Number"},
			Description: fmt.Sprintf("%s (%s, %s): %d features", title, en, l.Kind, l.FeatureCount)}
		for _, f := range spec.Fields {
			vl.Fields[f.Name] = mvtFieldType(f.Type)
		}
		if s.generalised(l.FeatureCount, l.GeomType) {
			cf := classField(l.Kind)
			note := fmt.Sprintf("zooms 0–%d generalised per class (%s only, no id), per-feature attributes from zoom %d",
				GeneralisedMaxZoom, cf, GeneralisedMaxZoom+1)
			if cf == "" {
				note = fmt.Sprintf("zooms 0–%d generalised (shapes only, no attributes), per-feature attributes from zoom %d",
					GeneralisedMaxZoom, GeneralisedMaxZoom+1)
			}
			vl.Description += "; " + note
			vl.FeaturesMinZoom = GeneralisedMaxZoom + 1
			desc = append(desc, fmt.Sprintf("layer %s: %s", l.Name, note))
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		if e := l.BBox(); e != nil {
			if bound == nil {
				bound = &[4]float64{e[0], e[1], e[2], e[3]}
			} else {
				bound[0], bound[1] = math.Min(bound[0], e[0]), math.Min(bound[1], e[1])
				bound[2], bound[3] = math.Max(bound[2], e[2]), math.Max(bound[3], e[3])
			}
		}
	}
	tj.Description = "tudi vector tiles of " + strings.Join(names, ", ") +
		"; attributes: canonical fields and id (?props=all adds every source attribute)"
	if s.cfg.TileBytes > 0 {
		desc = append(desc, fmt.Sprintf("a polygon layer's tile whose features would exceed %d bytes shows its classes instead", s.cfg.TileBytes))
	}
	if len(desc) > 0 {
		tj.Description += "; " + strings.Join(desc, "; ")
	}
	if bound == nil {
		tj.Bounds = []float64{-180, -85.051129, 180, 85.051129}
		tj.Center = []float64{0, 0, 0}
	} else {
		tj.Bounds = bound[:]
		tj.Center = []float64{(bound[0] + bound[2]) / 2, (bound[1] + bound[3]) / 2, float64(fitZoom(*bound))}
	}
	return tj, nil
}

// fitZoom returns the zoom at which a lon/lat extent fits about 1000 screen
// pixels (a 256-pixel world at zoom 0), clamped to 0–16.
func fitZoom(b [4]float64) int {
	w := math.Max(b[2]-b[0], (b[3]-b[1])*1.2)
	if w <= 0 {
		return 16
	}
	z := int(math.Floor(math.Log2(360 / w * 1000 / 256)))
	return min(max(z, 0), 16)
}

// kindOrder is the drawing order of kinds in a style, bottom first.
var kindOrder = []land.Kind{land.Parcels, land.Generic, land.Farmland, land.IdleLand, land.RenewalUnits, land.Boundaries}

// orderLayers returns the layer names in drawing order: land use at the
// bottom, overlays above, boundaries on top; by name within a kind.
func orderLayers(layers []*land.Layer) []string {
	ls := slices.Clone(layers)
	slices.SortStableFunc(ls, func(a, b *land.Layer) int {
		ra, rb := slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)
		if ra == -1 {
			ra = 1
		}
		if rb == -1 {
			rb = 1
		}
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}
