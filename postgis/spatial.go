package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tudi/geo"
	"tudi/land"
)

// SpatialHit is one feature found by Identify or Query.
type SpatialHit struct {
	Layer        string          `json:"layer"`
	Kind         land.Kind       `json:"kind"`
	ID           int64           `json:"id"`
	Fields       json.RawMessage `json:"fields"` // the kind's canonical fields, null when empty
	Props        json.RawMessage `json:"props"`  // every source attribute
	Area         *geo.Areas      `json:"area"`   // of the whole feature, on the ellipsoid; nil for points and lines
	Intersection *geo.Areas      `json:"intersection,omitempty"`
	Geometry     json.RawMessage `json:"geometry,omitempty"` // GeoJSON, lon/lat
	// IntersectionGeometry is the part inside the query shape (GeoJSON).
	IntersectionGeometry json.RawMessage `json:"intersection_geometry,omitempty"`
}

// hitColumns returns the columns every hit reads from a layer table t: id,
// the kind's canonical fields as one JSON object in their canonical order
// (built field by field: to_jsonb(t) would also turn both geometry columns
// into GeoJSON only to drop them), props, and the area of polygons.
func hitColumns(k land.Kind) string {
	var b strings.Builder
	b.WriteString("t.id, json_build_object(")
	for i, f := range k.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		// Field names are the kind's constants (lower_snake ASCII), never input.
		fmt.Fprintf(&b, "'%s', t.%s", f.Name, Ident(f.Name))
	}
	b.WriteString(")::text, t.props::text, CASE WHEN ST_Dimension(t.geom) = 2 THEN t.area_m2 END")
	return b.String()
}

// IdentifyOptions configure Identify.
type IdentifyOptions struct {
	Lon, Lat   float64 // the point, in EPSG:4490 lon/lat
	ToleranceM float64 // for points and lines, in metres
	Limit      int     // per layer
	Geometry   bool    // return each feature's geometry
	// AsOf, when set, asks the layers' state on that date, from their
	// history (every layer must keep one: see HistoryLayers).
	AsOf *time.Time
}

// Identify returns the features of layers at a point: polygons that contain
// it, and points and lines within ToleranceM metres of it (measured on the
// ellipsoid). Within a layer the smallest feature comes first, as the most
// specific answer to a click. All layers are asked in one statement.
func (db *DB) Identify(ctx context.Context, layers []*land.Layer, o IdentifyOptions) ([]SpatialHit, error) {
	if len(layers) == 0 {
		return nil, nil
	}
	args := []any{o.Lon, o.Lat, o.ToleranceM, o.Limit}
	geomCol := "NULL::text"
	if o.Geometry {
		geomCol = "ST_AsGeoJSON(t.geom, 9, 0)"
	}
	// The planar ST_DWithin in degrees lets the GiST index on geom prune:
	// tolerance / 55 660 m per degree over-covers every latitude up to 60°N.
	// The exact test follows: containment for areas, the geodesic distance
	// for points and lines.
	var parts []string
	for _, l := range layers {
		src := Table(l.Name)
		if o.AsOf != nil {
			src = AsOfTable(l.Name, l.Kind, *o.AsOf)
		}
		args = append(args, l.Name)
		parts = append(parts, fmt.Sprintf(`(SELECT $%d::text, %s, %s
	FROM %s t, p
	WHERE ST_DWithin(t.geom, p.g, $3::double precision / 55660.0)
	  AND CASE WHEN ST_Dimension(t.geom) = 2 THEN ST_Intersects(t.geom, p.g)
	           ELSE ST_DWithin(t.geom::geography, p.g::geography, $3::double precision) END
	ORDER BY t.area_m2 NULLS LAST, t.id LIMIT $4)`, len(args), hitColumns(l.Kind), geomCol, src))
	}
	q := `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::double precision, $2::double precision), 4490) AS g) ` +
		strings.Join(parts, "\nUNION ALL\n")
	return db.hits(ctx, q, args, layers, false)
}

func (db *DB) hits(ctx context.Context, q string, args []any, layers []*land.Layer, withIntersection bool) ([]SpatialHit, error) {
	kinds := map[string]land.Kind{}
	for _, l := range layers {
		kinds[l.Name] = l.Kind
	}
	rows, err := db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, Err(err)
	}
	defer rows.Close()
	out := []SpatialHit{}
	for rows.Next() {
		var (
			h                   SpatialHit
			fields, props, geom *string
			area, inter         *float64
			igeom               *string
		)
		dst := []any{&h.Layer, &h.ID, &fields, &props, &area, &geom}
		if withIntersection {
			dst = append(dst, &inter, &igeom)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		h.Kind = kinds[h.Layer]
		h.Fields = raw(fields)
		h.Props = raw(props)
		if geom != nil {
			h.Geometry = json.RawMessage(*geom)
		}
		if area != nil {
			a := geo.AreasOf(*area)
			h.Area = &a
		}
		if inter != nil {
			a := geo.AreasOf(*inter)
			h.Intersection = &a
		}
		if igeom != nil {
			h.IntersectionGeometry = json.RawMessage(*igeom)
		}
		out = append(out, h)
	}
	rows.Close()
	return out, Err(rows.Err())
}

func raw(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}

// QueryShape is the shape of a spatial query: a geometry (WKB in SRID) or
// a feature of a layer, grown by Distance metres.
type QueryShape struct {
	WKB       []byte
	SRID      int // of WKB: 4490 (lon/lat), 3857 or a GK zone (x = easting)
	Layer     string
	ID        int64
	DistanceM float64
}

// QueryLayer is what a spatial query found in one layer.
type QueryLayer struct {
	Layer     string       `json:"layer"`
	Kind      land.Kind    `json:"kind"`
	Count     int64        `json:"count"`     // all intersecting features
	Truncated bool         `json:"truncated"` // features lists only the first Limit
	Total     geo.Areas    `json:"total"`     // sum of the intersection areas
	Union     geo.Areas    `json:"union"`     // area of their union: overlaps counted once
	Area      geo.Areas    `json:"area"`      // the area touched: the union
	Features  []SpatialHit `json:"features"`
}

// QueryResult is the answer of Query.
type QueryResult struct {
	Area     geo.Areas       `json:"area"`           // of the query shape, after the distance
	Geometry json.RawMessage `json:"query_geometry"` // the query shape (GeoJSON, lon/lat)
	Layers   []QueryLayer    `json:"layers"`
}

// shapeSQL returns the SQL of the query shape in EPSG:4490 and its args.
// A distance grows it on the ellipsoid (geography buffer), so 500 m means
// 500 m anywhere.
func shapeSQL(s QueryShape, args []any) (string, []any, error) {
	var g string
	switch {
	case s.Layer != "":
		args = append(args, s.ID)
		g = fmt.Sprintf("(SELECT geom FROM %s WHERE id = $%d)", Table(s.Layer), len(args))
	default:
		args = append(args, s.WKB)
		g = fmt.Sprintf("ST_MakeValid(ST_GeomFromWKB($%d, %d))", len(args), s.SRID)
		if s.SRID != geo.CGCS2000 {
			g = fmt.Sprintf("ST_Transform(%s, 4490)", g)
		}
	}
	if s.DistanceM > 0 {
		args = append(args, s.DistanceM)
		// ST_Buffer on geography answers in SRID 4326: set 4490 back (the
		// two agree to centimetres).
		g = fmt.Sprintf("ST_SetSRID(ST_Buffer(%s::geography, $%d::double precision)::geometry, 4490)", g, len(args))
	}
	return g, args, nil
}

// Query returns, per layer, the features that intersect the shape, each
// with the area of its intersection on the ellipsoid, the total and the
// union of those areas. At most limit features are listed per layer; the
// count and the areas always cover all of them.
func (db *DB) Query(ctx context.Context, layers []*land.Layer, s QueryShape, limit int) (*QueryResult, error) {
	g, args, err := shapeSQL(s, nil)
	if err != nil {
		return nil, err
	}
	res := &QueryResult{Layers: []QueryLayer{}}
	var area *float64
	var empty bool
	var shape *string
	if err := db.Pool.QueryRow(ctx, `SELECT ST_Area(g::geography), g IS NULL, ST_AsGeoJSON(g, 7, 0) FROM (SELECT `+g+` AS g) q`,
		args...).Scan(&area, &empty, &shape); err != nil {
		return nil, fmt.Errorf("query shape: %w", Err(err))
	}
	if empty {
		return nil, land.Errorf(land.NotFound, "feature %d not found in layer %q", s.ID, s.Layer)
	}
	if area != nil {
		res.Area = geo.AreasOf(*area)
	}
	res.Geometry = raw(shape)
	for _, l := range layers {
		ql, err := db.queryLayer(ctx, l, g, args, limit)
		if err != nil {
			return nil, err
		}
		res.Layers = append(res.Layers, *ql)
	}
	return res, nil
}

func (db *DB) queryLayer(ctx context.Context, l *land.Layer, g string, args []any, limit int) (*QueryLayer, error) {
	ql := &QueryLayer{Layer: l.Name, Kind: l.Kind, Features: []SpatialHit{}}
	// Intersections are computed once (MATERIALIZED) and feed both the
	// totals and the listed features. ST_Union of the pieces gives the area
	// covered, so overlapping features of one layer are not counted twice.
	with := `WITH q AS MATERIALIZED (SELECT ` + g + ` AS g),
	hits AS MATERIALIZED (
		SELECT t.*, ST_Intersection(t.geom, q.g) AS ig
		FROM ` + Table(l.Name) + ` t, q
		WHERE ST_Intersects(t.geom, q.g))`
	var total, union float64
	if err := db.Pool.QueryRow(ctx, with+`
		SELECT count(*), coalesce(sum(ST_Area(ig::geography)), 0), coalesce(ST_Area(ST_Union(ig)::geography), 0) FROM hits`,
		args...).Scan(&ql.Count, &total, &union); err != nil {
		return nil, fmt.Errorf("query of layer %q: %w", l.Name, Err(err))
	}
	ql.Total, ql.Union, ql.Area = geo.AreasOf(total), geo.AreasOf(union), geo.AreasOf(union)
	a := append(append([]any{}, args...), l.Name, limit)
	n := len(a)
	hs, err := db.hits(ctx, with+`
		SELECT $`+strconv.Itoa(n-1)+`::text, `+hitColumns(l.Kind)+`, NULL::text, ST_Area(t.ig::geography), ST_AsGeoJSON(t.ig, 7, 0)
		FROM hits t ORDER BY t.id LIMIT $`+strconv.Itoa(n),
		a, []*land.Layer{l}, true)
	if err != nil {
		return nil, fmt.Errorf("query of layer %q: %w", l.Name, err)
	}
	ql.Features = hs
	ql.Truncated = ql.Count > int64(len(hs))
	return ql, nil
}
