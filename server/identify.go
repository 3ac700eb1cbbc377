package server

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"tudi/geo"
	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// Fixed bounds of identify and query parameters.
const (
	identifyDefaultToleranceM = 5   // metres around a click for points and lines
	identifyMaxToleranceM     = 500 // metres
	queryMaxDistanceM         = 50000
	queryDefaultLimit         = 1000 // features listed per layer
)

// Limits bound what one identify or query request may cost: the layers it
// names, the features, vertices and bytes it returns, the query shape it
// posts, the time its SQL may run and how many expensive requests a client
// may have running at once. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// MaxLayers is the number of distinct layers one request may name
	// (repeated names count once).
	MaxLayers int
	// IdentifyMaxFeatures is the number of features identify returns per layer.
	IdentifyMaxFeatures int
	// QueryMaxFeatures is the largest limit (features listed per layer) a
	// query may ask for.
	QueryMaxFeatures int
	// MaxFeatureVertices is the number of vertices of one returned geometry:
	// past it the geometry is simplified, and omitted when even the
	// simplified one is larger.
	MaxFeatureVertices int
	// MaxResponseVertices is the number of vertices of all geometries of one
	// answer: past it further geometries are omitted.
	MaxResponseVertices int
	// MaxResponseBytes is the size of the features of one answer: past it
	// geometries are omitted, then features are left out.
	MaxResponseBytes int
	// MaxQueryBytes is the size of a query's body.
	MaxQueryBytes int64
	// MaxQueryVertices is the number of vertices of a posted query geometry.
	MaxQueryVertices int
	// MaxQueryAreaKm2 is the area of a query shape (after its distance), in km².
	MaxQueryAreaKm2 float64
	// StatementTimeout bounds each SQL statement of identify and query (it is
	// also cut to the request's own deadline).
	StatementTimeout time.Duration
	// MaxConcurrentPerClient is the number of expensive requests (identify,
	// query, reports, filtered OGC items) one client address may have
	// running at once; more get 429.
	MaxConcurrentPerClient int
	// MaxConcurrent is the number of expensive requests of all clients
	// running at once; more get 429.
	MaxConcurrent int
}

// DefaultLimits returns the limits a zero Limits field stands for.
func DefaultLimits() Limits {
	return Limits{
		MaxLayers:              32,
		IdentifyMaxFeatures:    50,
		QueryMaxFeatures:       10000,
		MaxFeatureVertices:     20000,
		MaxResponseVertices:    500000,
		MaxResponseBytes:       32 << 20,
		MaxQueryBytes:          4 << 20,
		MaxQueryVertices:       50000,
		MaxQueryAreaKm2:        5000,
		StatementTimeout:       30 * time.Second,
		MaxConcurrentPerClient: 4,
		MaxConcurrent:          8,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxLayers, d.MaxLayers)
	set(&l.IdentifyMaxFeatures, d.IdentifyMaxFeatures)
	set(&l.QueryMaxFeatures, d.QueryMaxFeatures)
	set(&l.MaxFeatureVertices, d.MaxFeatureVertices)
	set(&l.MaxResponseVertices, d.MaxResponseVertices)
	set(&l.MaxResponseBytes, d.MaxResponseBytes)
	set(&l.MaxQueryVertices, d.MaxQueryVertices)
	set(&l.MaxConcurrentPerClient, d.MaxConcurrentPerClient)
	set(&l.MaxConcurrent, d.MaxConcurrent)
	if l.MaxQueryBytes <= 0 {
		l.MaxQueryBytes = d.MaxQueryBytes
	}
	if l.MaxQueryAreaKm2 <= 0 {
		l.MaxQueryAreaKm2 = d.MaxQueryAreaKm2
	}
	if l.StatementTimeout <= 0 {
		l.StatementTimeout = d.StatementTimeout
	}
	return l
}

// parseSRID reads the crs of identify and query: EPSG:N, N, an OGC CRS URI
// or CRS84; coordinates are always x/y (lon/lat, easting/northing).
func parseSRID(param, s string) (int, error) {
	v := strings.TrimSpace(s)
	switch strings.ToUpper(v) {
	case "", "CRS84", "OGC:CRS84", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84":
		return geo.CGCS2000, nil
	}
	code := v
	if i := strings.LastIndexAny(v, ":/"); i >= 0 {
		code = v[i+1:]
	}
	n, err := strconv.Atoi(code)
	if err != nil || !geo.IsSupportedSRID(n) {
		return 0, land.Errorf(land.Invalid, "%s: unsupported CRS %q (use EPSG:4490, EPSG:4326, EPSG:3857 or a CGCS2000 Gauss-Krüger zone EPSG:4491–4554)", param, s)
	}
	if n == geo.WGS84 {
		n = geo.CGCS2000 // the same to a few centimetres; no datum shift exists in PROJ
	}
	return n, nil
}

// layersParam returns the named layers (comma-separated), each once and in
// the order first named, or all of them. More distinct names than
// Limits.MaxLayers are refused.
func (s *Server) layersParam(r *http.Request, names []string) ([]*land.Layer, error) {
	f := land.LayerFilter{}
	seen := map[string]bool{}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && !seen[n] {
			if err := land.ValidateLayerName(n); err != nil {
				return nil, land.Errorf(land.Invalid, "layers: %v", err)
			}
			seen[n] = true
			if len(seen) > s.cfg.Limits.MaxLayers {
				return nil, land.Errorf(land.Invalid, "layers: more than %d distinct layers in one request", s.cfg.Limits.MaxLayers)
			}
			f.Names = append(f.Names, n)
		}
	}
	ls, err := s.db.FindLayers(r.Context(), f)
	if land.KindOf(err) == land.NotFound {
		return nil, land.Errorf(land.Invalid, "layers: %s", land.MessageOf(err))
	}
	return ls, err
}

func floatParam(r *http.Request, name string, required bool) (float64, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, false, land.Errorf(land.Invalid, "%s: required", name)
		}
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, land.Errorf(land.Invalid, "%s: %q is not a number", name, v)
	}
	return f, true, nil
}

// identify answers a planner's click: GET /api/identify?lon=&lat=
// [&layers=a,b][&crs=][&tolerance=metres | &zoom=z][&geometry=false].
// Polygons must contain the point; points and lines count within the
// tolerance: 5 m by default, or 5 screen pixels at the map zoom given.
// as_of=YYYY-MM-DD answers from the layers' history for that date.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "lon", "lat", "layers", "crs", "tolerance", "zoom", "geometry", "as_of":
		default:
			return land.Errorf(land.Invalid, "unknown query parameter %q (allowed: lon, lat, layers, crs, tolerance, zoom, geometry, as_of)", k)
		}
	}
	x, _, err := floatParam(r, "lon", true)
	if err != nil {
		return err
	}
	y, _, err := floatParam(r, "lat", true)
	if err != nil {
		return err
	}
	srid, err := parseSRID("crs", q.Get("crs"))
	if err != nil {
		return err
	}
	lon, lat := x, y
	if srid != geo.CGCS2000 {
		if math.Abs(x) > maxProjected || math.Abs(y) > maxProjected {
			return land.Errorf(land.Invalid, "lon/lat: (%g, %g) is outside the range of EPSG:%d", x, y, srid)
		}
		if lon, lat, err = s.toLonLat(r, srid, x, y); err != nil {
			return err
		}
	}
	if !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) { // also refuses NaN
		return land.Errorf(land.Invalid, "lon/lat: (%g, %g) is not a point on Earth", lon, lat)
	}
	tol := float64(identifyDefaultToleranceM)
	if t, ok, err := floatParam(r, "tolerance", false); err != nil {
		return err
	} else if ok {
		if t < 0 || t > identifyMaxToleranceM {
			return land.Errorf(land.Invalid, "tolerance: %g m is outside 0..%d m", t, identifyMaxToleranceM)
		}
		tol = t
	} else if z, ok, err := floatParam(r, "zoom", false); err != nil {
		return err
	} else if ok {
		if z < 0 || z > 24 {
			return land.Errorf(land.Invalid, "zoom: %g is outside 0..24", z)
		}
		// 5 pixels of a 256-pixel Web Mercator tile at that zoom and latitude.
		tol = math.Min(identifyMaxToleranceM, math.Max(0.5, 5*156543.03392*math.Cos(lat*math.Pi/180)/math.Pow(2, z)))
	}
	var names []string
	if v := q.Get("layers"); v != "" {
		names = strings.Split(v, ",")
	}
	layers, err := s.layersParam(r, names)
	if err != nil {
		return err
	}
	var asOf *time.Time
	if v, ok := q["as_of"]; ok {
		d, err := land.ParseDate("as_of", v[0])
		if err != nil {
			return err
		}
		// Named layers must keep history; of all layers, those that do.
		if layers, err = s.db.HistoryLayers(r.Context(), layers, len(names) > 0); err != nil {
			return err
		}
		asOf = &d
	}
	withGeom := true
	switch v := q.Get("geometry"); v {
	case "", "true":
	case "false":
		withGeom = false
	default:
		return land.Errorf(land.Invalid, "geometry: %q is neither true nor false", v)
	}
	out := s.output()
	hits, err := s.db.Identify(r.Context(), layers, postgis.IdentifyOptions{Lon: lon, Lat: lat, ToleranceM: tol,
		Limit: s.cfg.Limits.IdentifyMaxFeatures, Geometry: withGeom, Timeout: s.cfg.Limits.StatementTimeout, Output: out, AsOf: asOf})
	if err != nil {
		return fmt.Errorf("identify at %g,%g: %w", lon, lat, err)
	}
	// Grouped by layer, in the order of the layers asked for.
	type group struct {
		Layer    string               `json:"layer"`
		Kind     land.Kind            `json:"kind"`
		Title    string               `json:"title"`
		Features []postgis.SpatialHit `json:"features"`
	}
	groups := []group{}
	for _, l := range layers {
		g := group{Layer: l.Name, Kind: l.Kind, Title: l.Title, Features: []postgis.SpatialHit{}}
		for _, h := range hits {
			if h.Layer == l.Name {
				g.Features = append(g.Features, h)
			}
		}
		if len(g.Features) > 0 {
			groups = append(groups, g)
		}
	}
	answer := map[string]any{"lon": lon, "lat": lat, "tolerance_m": tol, "layers": groups}
	s.addNotes(answer, out, false)
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, answer)
}

// maxProjected bounds the coordinates of a projected CRS, in metres: a
// Gauss-Krüger easting with its zone number stays under 1e8.
const maxProjected = 1e9

// toLonLat transforms a point from srid to EPSG:4490 in PostGIS (PROJ). A
// point PROJ cannot transform is the client's error.
func (s *Server) toLonLat(r *http.Request, srid int, x, y float64) (float64, float64, error) {
	var lon, lat float64
	err := s.db.Pool.QueryRow(r.Context(), `SELECT ST_X(p), ST_Y(p) FROM
		(SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1::double precision, $2::double precision), $3::integer), 4490) AS p) q`,
		x, y, srid).Scan(&lon, &lat)
	if err != nil && r.Context().Err() == nil && land.KindOf(postgis.Err(err)) == land.Internal {
		return 0, 0, land.Wrap(land.Invalid, err, fmt.Sprintf("lon/lat: (%g, %g) cannot be transformed from EPSG:%d", x, y, srid))
	}
	return lon, lat, postgis.Err(err)
}

// queryRequest is the body of POST /api/query.
type queryRequest struct {
	Geometry json.RawMessage `json:"geometry"`
	Feature  *struct {
		Layer string `json:"layer"`
		ID    int64  `json:"id"`
	} `json:"feature"`
	// Layer and ID: the feature, as the web map sends it.
	Layer    string   `json:"layer"`
	ID       *int64   `json:"id"`
	Layers   []string `json:"layers"`
	Distance float64  `json:"distance"` // metres
	CRS      string   `json:"crs"`
	Limit    int      `json:"limit"` // features listed per layer
}

// query answers "what does this shape touch": POST /api/query with a GeoJSON
// geometry (or a feature of a layer), layers and an optional distance in
// metres; per layer the intersecting features with the intersection area.
func (s *Server) query(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.Limits.MaxQueryBytes+1))
	if err != nil {
		return land.Errorf(land.Invalid, "reading the request body: %w", err)
	}
	if int64(len(body)) > s.cfg.Limits.MaxQueryBytes {
		return land.Errorf(land.TooLarge, "the query body is larger than the %d bytes allowed", s.cfg.Limits.MaxQueryBytes)
	}
	var req queryRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return land.Errorf(land.Invalid, "the body is not a query (JSON with geometry or feature, layers, distance, crs): %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return land.Errorf(land.Invalid, "the body has more after the JSON query object")
	}
	if req.Layer != "" && req.ID != nil && req.Feature == nil {
		req.Feature = &struct {
			Layer string `json:"layer"`
			ID    int64  `json:"id"`
		}{req.Layer, *req.ID}
	}
	var shape postgis.QueryShape
	switch {
	case len(req.Geometry) > 0 && req.Feature != nil:
		return land.Errorf(land.Invalid, "geometry and feature: give one, not both")
	case req.Feature != nil:
		l, err := s.db.FindLayer(r.Context(), req.Feature.Layer)
		if err != nil {
			return land.Errorf(land.Invalid, "feature: %s", land.MessageOf(err))
		}
		shape.Layer, shape.ID = l.Name, req.Feature.ID
	case len(req.Geometry) > 0:
		g, err := parseGeoJSONGeometry(req.Geometry, s.cfg.Limits.MaxQueryVertices)
		if err != nil {
			return err
		}
		if shape.SRID, err = parseSRID("crs", req.CRS); err != nil {
			return err
		}
		if err := checkCoordinates(g, shape.SRID); err != nil {
			return err
		}
		if shape.WKB, err = wkb.Marshal(g); err != nil {
			return land.Errorf(land.Invalid, "geometry: %v", err)
		}
	default:
		return land.Errorf(land.Invalid, "geometry: required (a GeoJSON geometry), or feature: {\"layer\", \"id\"}")
	}
	if req.Distance < 0 || req.Distance > queryMaxDistanceM || math.IsNaN(req.Distance) {
		return land.Errorf(land.Invalid, "distance: %g m is outside 0..%d m", req.Distance, queryMaxDistanceM)
	}
	shape.DistanceM = req.Distance
	limit := min(queryDefaultLimit, s.cfg.Limits.QueryMaxFeatures)
	if req.Limit != 0 {
		if req.Limit < 1 || req.Limit > s.cfg.Limits.QueryMaxFeatures {
			return land.Errorf(land.Invalid, "limit: %d is outside 1..%d", req.Limit, s.cfg.Limits.QueryMaxFeatures)
		}
		limit = req.Limit
	}
	layers, err := s.layersParam(r, req.Layers)
	if err != nil {
		return err
	}
	out := s.output()
	res, err := s.db.Query(r.Context(), layers, shape, postgis.QueryOptions{Limit: limit, MaxVertices: s.cfg.Limits.MaxQueryVertices,
		MaxAreaM2: s.cfg.Limits.MaxQueryAreaKm2 * 1e6, Timeout: s.cfg.Limits.StatementTimeout, Output: out})
	if err != nil {
		if land.KindOf(err) == land.NotFound {
			return land.Errorf(land.Invalid, "feature: %s", land.MessageOf(err))
		}
		return err
	}
	answer := map[string]any{"distance_m": shape.DistanceM, "area": res.Area,
		"query_geometry": res.Geometry, "layers": res.Layers}
	if res.GeometrySimplified {
		answer["query_geometry_simplified"] = true
	}
	if res.GeometryOmitted {
		answer["query_geometry_omitted"] = true
	}
	s.addNotes(answer, out, res.GeometrySimplified || res.GeometryOmitted)
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, answer)
}

// output returns the bounds of one answer from the limits.
func (s *Server) output() *postgis.Output {
	l := s.cfg.Limits
	return &postgis.Output{MaxFeatureVertices: l.MaxFeatureVertices, MaxVertices: l.MaxResponseVertices, MaxBytes: l.MaxResponseBytes}
}

// addNotes says in the answer what the limits left out or simplified.
func (s *Server) addNotes(answer map[string]any, out *postgis.Output, shape bool) {
	l := s.cfg.Limits
	var notes []string
	if out.Simplified > 0 {
		notes = append(notes, fmt.Sprintf("%d geometries had more than %d vertices and were simplified (geometry_simplified)", out.Simplified, l.MaxFeatureVertices))
	}
	if out.Omitted > 0 {
		notes = append(notes, fmt.Sprintf("%d geometries were omitted: over %d vertices even simplified, or past %d vertices or %d bytes in the answer (geometry_omitted)",
			out.Omitted, l.MaxFeatureVertices, l.MaxResponseVertices, l.MaxResponseBytes))
	}
	if out.Truncated > 0 {
		notes = append(notes, fmt.Sprintf("the answer reached %d bytes: further features were left out", l.MaxResponseBytes))
		answer["truncated"] = true
	}
	if shape {
		notes = append(notes, fmt.Sprintf("the query geometry returned had more than %d vertices and was simplified or omitted", l.MaxFeatureVertices))
	}
	if len(notes) > 0 {
		answer["notes"] = notes
	}
}

// parseGeoJSONGeometry reads a GeoJSON geometry (or a Feature's) and
// checks its size.
func parseGeoJSONGeometry(b json.RawMessage, maxVertices int) (orb.Geometry, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, land.Errorf(land.Invalid, "geometry: not GeoJSON: %v", err)
	}
	var g orb.Geometry
	if probe.Type == "Feature" {
		f, err := geojson.UnmarshalFeature(b)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "geometry: bad GeoJSON feature: %v", err)
		}
		g = f.Geometry
	} else {
		gj, err := geojson.UnmarshalGeometry(b)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "geometry: bad GeoJSON geometry: %v", err)
		}
		g = gj.Geometry()
	}
	if g == nil {
		return nil, land.Errorf(land.Invalid, "geometry: empty")
	}
	if err := checkShape(g, 0); err != nil {
		return nil, err
	}
	if n := vertices(g); n > maxVertices {
		return nil, land.Errorf(land.TooLarge, "geometry: %d vertices, more than the %d allowed", n, maxVertices)
	} else if n == 0 {
		return nil, land.Errorf(land.Invalid, "geometry: no coordinates")
	}
	return g, nil
}

func vertices(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += vertices(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, c := range g {
			n += vertices(c)
		}
		return n
	case orb.Bound:
		return 4
	}
	return 0
}

// maxCollectionDepth is how deep GeometryCollections may nest in a query.
const maxCollectionDepth = 4

// checkShape refuses what PostGIS would fail on: rings of fewer than 4
// points or not closed, lines of fewer than 2, collections nested deeper
// than maxCollectionDepth.
func checkShape(g orb.Geometry, depth int) error {
	ring := func(r orb.Ring) error {
		if len(r) < 4 {
			return land.Errorf(land.Invalid, "geometry: a polygon ring has %d positions; at least 4 are needed", len(r))
		}
		if r[0] != r[len(r)-1] {
			return land.Errorf(land.Invalid, "geometry: a polygon ring is not closed (its first and last positions differ)")
		}
		return nil
	}
	switch g := g.(type) {
	case orb.LineString:
		if len(g) < 2 {
			return land.Errorf(land.Invalid, "geometry: a line has %d positions; at least 2 are needed", len(g))
		}
	case orb.MultiLineString:
		for _, l := range g {
			if err := checkShape(l, depth); err != nil {
				return err
			}
		}
	case orb.Polygon:
		for _, r := range g {
			if err := ring(r); err != nil {
				return err
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if err := checkShape(p, depth); err != nil {
				return err
			}
		}
	case orb.Collection:
		if depth >= maxCollectionDepth {
			return land.Errorf(land.Invalid, "geometry: GeometryCollections nested deeper than %d", maxCollectionDepth)
		}
		for _, c := range g {
			if err := checkShape(c, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCoordinates refuses coordinates that are not finite or outside the
// CRS's range and, in lon/lat, edges between (nearly) antipodal points,
// which have no single shortest path on the ellipsoid.
func checkCoordinates(g orb.Geometry, srid int) error {
	var err error
	var prev *orb.Point
	visit := func(p orb.Point) {
		if err != nil {
			return
		}
		x, y := p[0], p[1]
		switch {
		case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0):
			err = land.Errorf(land.Invalid, "geometry: a coordinate is not a finite number")
		case srid == geo.CGCS2000 && !(x >= -180 && x <= 180 && y >= -90 && y <= 90):
			err = land.Errorf(land.Invalid, "geometry: (%g, %g) is not a lon/lat position on Earth", x, y)
		case srid != geo.CGCS2000 && (math.Abs(x) > maxProjected || math.Abs(y) > maxProjected):
			err = land.Errorf(land.Invalid, "geometry: (%g, %g) is outside the range of EPSG:%d", x, y, srid)
		case srid == geo.CGCS2000 && prev != nil && centralAngle(*prev, p) > 179:
			err = land.Errorf(land.Invalid, "geometry: the edge from (%g, %g) to (%g, %g) joins nearly antipodal points", prev[0], prev[1], x, y)
		}
	}
	var walk func(orb.Geometry)
	line := func(ps []orb.Point) {
		prev = nil
		for i := range ps {
			visit(ps[i])
			prev = &ps[i]
		}
		prev = nil
	}
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			visit(g)
		case orb.MultiPoint:
			for _, p := range g {
				visit(p)
			}
		case orb.LineString:
			line(g)
		case orb.MultiLineString:
			for _, l := range g {
				line(l)
			}
		case orb.Polygon:
			for _, r := range g {
				line(r)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				walk(p)
			}
		case orb.Collection:
			for _, c := range g {
				walk(c)
			}
		}
	}
	walk(g)
	return err
}

// centralAngle is the angle between two lon/lat positions seen from the
// centre of a sphere, in degrees.
func centralAngle(a, b orb.Point) float64 {
	rad := math.Pi / 180
	la1, la2 := a[1]*rad, b[1]*rad
	c := math.Sin(la1)*math.Sin(la2) + math.Cos(la1)*math.Cos(la2)*math.Cos((b[0]-a[0])*rad)
	return math.Acos(math.Max(-1, math.Min(1, c))) / rad
}
