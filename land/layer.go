package land

import (
	"time"

	"github.com/paulmach/orb"
)

// Layer is an entry of the layer registry: one table of features of a kind.
type Layer struct {
	Name         string        `json:"name"`
	Kind         Kind          `json:"kind"`
	Title        string        `json:"title"`
	SourceSRID   int           `json:"source_srid,omitempty"`
	GeomType     string        `json:"geom_type"` // Polygon, LineString, Point (multi forms included) or "" when empty
	FeatureCount int64         `json:"feature_count"`
	Extent       *orb.Bound    `json:"-"` // lon/lat (EPSG:4490) extent, nil when empty
	SourceFields []SourceField `json:"source_fields"`
	Version      int64         `json:"version"` // bumped by every change of the layer's features
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// SourceField is a field of the source file, kept in the props column.
type SourceField struct {
	Name string    `json:"name"`
	Type FieldType `json:"type"`
}

// BBox returns the layer extent as [minx, miny, maxx, maxy], or nil.
func (l *Layer) BBox() []float64 {
	if l.Extent == nil {
		return nil
	}
	return []float64{l.Extent.Min[0], l.Extent.Min[1], l.Extent.Max[0], l.Extent.Max[1]}
}

// LayerFilter selects layers of the registry.
type LayerFilter struct {
	Names []string // when not empty, only these (in this order)
	Kind  Kind     // when set, only this kind
}
