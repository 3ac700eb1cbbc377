package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// GeometrySimplified says that the geometry returned had more vertices
	// than Output.MaxFeatureVertices and was simplified for display.
	GeometrySimplified bool `json:"geometry_simplified,omitempty"`
	// GeometryOmitted says that the geometry was left out: too many vertices
	// even simplified, or the answer's vertex or byte budget was spent.
	GeometryOmitted bool `json:"geometry_omitted,omitempty"`
}

// hitColumns returns the columns every hit reads from a layer table t: id,
// the kind's canonical fields as one JSON object in their canonical order
// (built field by field: to_jsonb(t) would also turn both geometry columns
// into GeoJSON only to drop them), props, and the area of polygons.
func hitColumns(k *land.KindSpec) string {
	var b strings.Builder
	b.WriteString("t.id, json_build_object(")
	for i, f := range k.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		// Field names are the kind's constants (lower_snake ASCII), never input.
		fmt.Fprintf(&b, "'%s', t.%s", f.Name, Ident(f.Name))
	}
	b.WriteString(")::text, t.props::text, CASE WHEN ST_Dimension(t.geom) = 2 THEN t.area_m2 END")
	return b.String()
}

// Output bounds the geometries and bytes of one answer of Identify or Query.
// Each returned geometry over MaxFeatureVertices is simplified (Douglas-
// Peucker, to a tolerance of 1/(MaxFeatureVertices/4) of its extent) and
// omitted when still over; once the answer holds MaxVertices vertices or
// MaxBytes bytes, further geometries are omitted, and once the features
// alone reach MaxBytes, further features are left out (Truncated).
type Output struct {
	MaxFeatureVertices int
	MaxVertices        int
	MaxBytes           int

	vertices, bytes int
	// Simplified, Omitted and Truncated count what the limits did.
	Simplified, Omitted, Truncated int
}

// take accounts for a hit whose geometry has n vertices; it drops the
// geometry, or reports false when the hit itself does not fit.
func (o *Output) take(h *SpatialHit, n int) bool {
	if o == nil {
		return true
	}
	size := len(h.Fields) + len(h.Props) + 200
	if o.MaxBytes > 0 && o.bytes+size > o.MaxBytes {
		o.Truncated++
		return false
	}
	g := len(h.Geometry) + len(h.IntersectionGeometry)
	if g > 0 && ((o.MaxVertices > 0 && o.vertices+n > o.MaxVertices) || (o.MaxBytes > 0 && o.bytes+size+g > o.MaxBytes)) {
		h.Geometry, h.IntersectionGeometry, h.GeometrySimplified, h.GeometryOmitted = nil, nil, false, true
		g, n = 0, 0
	}
	o.vertices += n
	o.bytes += size + g
	if h.GeometrySimplified {
		o.Simplified++
	}
	if h.GeometryOmitted {
		o.Omitted++
	}
	return true
}

// verticesLeft is what remains of the answer's vertex budget.
func (o *Output) verticesLeft() int64 {
	if o == nil || o.MaxVertices <= 0 {
		return 1 << 62
	}
	return int64(max(o.MaxVertices-o.vertices, 0))
}

func (o *Output) featureVertices() int {
	if o == nil || o.MaxFeatureVertices <= 0 {
		return 1 << 30
	}
	return o.MaxFeatureVertices
}

// geomOut returns the SQL of three columns for the geometry expression expr
// (which must be a plain column or an alias): its GeoJSON with exterior rings
// counter-clockwise (RFC 7946) and 9 decimals, its state (0 as is, 1
// simplified, 2 omitted) and the vertices returned. capArg is the $n of the
// vertex cap. The lateral subquery it belongs to is "FROM (…) go".
func geomOut(expr, capArg string, digits int) string {
	// OFFSET 0 keeps each subquery from being inlined: the simplified
	// geometry and the extent are computed once, not once per reference.
	return fmt.Sprintf(`LEFT JOIN LATERAL (
		SELECT ST_AsGeoJSON(ST_ForcePolygonCCW(x.g), %[3]d, 0) AS json, x.state, coalesce(ST_NPoints(x.g), 0) AS nv
		FROM (SELECT CASE WHEN y.state < 2 THEN y.g END AS g, y.state
		      FROM (SELECT CASE WHEN n.n <= %[2]s THEN n.g ELSE sg.s END AS g,
		                   CASE WHEN n.g IS NULL OR n.n <= %[2]s THEN 0 WHEN sg.sn <= %[2]s THEN 1 ELSE 2 END AS state
		            FROM (SELECT %[1]s AS g, ST_NPoints(%[1]s) AS n OFFSET 0) n
		            CROSS JOIN LATERAL (SELECT s.s, ST_NPoints(s.s) AS sn FROM (
		                SELECT CASE WHEN n.n > %[2]s THEN ST_Simplify(n.g, (SELECT greatest(ST_XMax(b) - ST_XMin(b), ST_YMax(b) - ST_YMin(b))
		                    FROM (SELECT box2d(n.g) AS b OFFSET 0) b) * 4.0 / %[2]s, true) END AS s OFFSET 0) s OFFSET 0) sg
		            OFFSET 0) y) x
	) go ON true`, expr, capArg, digits)
}

// IdentifyOptions configure Identify.
type IdentifyOptions struct {
	Lon, Lat   float64       // the point, in EPSG:4490 lon/lat
	ToleranceM float64       // for points and lines, in metres
	Limit      int           // per layer
	Geometry   bool          // return each feature's geometry
	Timeout    time.Duration // of each statement (cut to ctx's deadline); 0: the connection's
	Output     *Output       // bounds of the answer; nil: none
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
	geomCols, geomJoin, over := "NULL::text, 0, 0", "", "false"
	if o.Geometry {
		args = append(args, o.Output.featureVertices(), o.Output.verticesLeft()) // $5, $6
		// Each layer spends the answer's vertex budget in SQL already (the
		// layers together are held to it as rows arrive).
		geomCols, geomJoin = "go.json, CASE WHEN t.over THEN 2 ELSE go.state END, go.nv", geomOut("CASE WHEN NOT t.over THEN t.geom END", "$5::integer", 9)
		over = "sum(least(ST_NPoints(t.geom), $5::integer)) OVER (ORDER BY t.area_m2 NULLS LAST, t.id) > $6::bigint"
	}
	// The planar ST_DWithin in degrees lets the GiST index on geom prune:
	// tolerance / 55 660 m per degree over-covers every latitude up to 60°N.
	// The exact test follows: containment for areas, the geodesic distance
	// for points and lines. The geometry is turned into GeoJSON only for the
	// rows kept by the limit.
	var parts []string
	for _, l := range layers {
		src := Table(l.Name)
		if o.AsOf != nil {
			src = AsOfTable(l.Name, db.Spec(l.Kind), *o.AsOf)
		}
		args = append(args, l.Name)
		parts = append(parts, fmt.Sprintf(`(SELECT $%d::text, %s, %s
	FROM (SELECT t.*, %s AS over FROM (SELECT t.* FROM %s t, p
	      WHERE ST_DWithin(t.geom, p.g, $3::double precision / 55660.0)
	        AND CASE WHEN ST_Dimension(t.geom) = 2 THEN ST_Intersects(t.geom, p.g)
	                 ELSE ST_DWithin(t.geom::geography, p.g::geography, $3::double precision) END
	      ORDER BY t.area_m2 NULLS LAST, t.id LIMIT $4) t OFFSET 0) t %s
	ORDER BY t.area_m2 NULLS LAST, t.id)`, len(args), hitColumns(db.Spec(l.Kind)), geomCols, over, src, geomJoin))
	}
	q := `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::double precision, $2::double precision), 4490) AS g) ` +
		strings.Join(parts, "\nUNION ALL\n")
	var out []SpatialHit
	// One statement: no transaction is needed unless the statement timeout
	// must be cut below the connection's (see read).
	err := db.read(ctx, layerNames(layers), o.Timeout, false, func(q2 Querier) error {
		var err error
		out, err = hits(ctx, q2, q, args, layers, false, o.Output)
		return err
	})
	return out, err
}

// readTx runs fn in a read-only transaction whose statements stop after
// timeout (cut to ctx's deadline; 0 keeps the connection's), and makes the
// end of ctx reach PostgreSQL: pgx's default reaction to a cancelled
// context is to drop the connection, which leaves the backend computing
// until it next writes to the socket, so a cancel request is sent as well.
func (db *DB) readTx(ctx context.Context, layers []string, timeout time.Duration, fn func(pgx.Tx) error) error {
	return db.read(ctx, layers, timeout, true, func(q Querier) error { return fn(q.(pgx.Tx)) })
}

func layerNames(layers []*land.Layer) []string {
	out := make([]string, len(layers))
	for i, l := range layers {
		out[i] = l.Name
	}
	return out
}

// read is readTx, but with inTx false it runs fn outside a transaction
// when the connection's own statement_timeout (Options.StatementTimeout)
// is already within timeout: a single statement then costs one round
// trip instead of four (BEGIN, set_config, the statement, COMMIT).
// It reads from a replica when Readers has one fit for layers, and runs fn
// again on the primary when the replica fails it (fn must not keep state
// between runs).
func (db *DB) read(ctx context.Context, layers []string, timeout time.Duration, inTx bool, fn func(Querier) error) error {
	if pool, failed := db.Readers.pool(layers); pool != nil && pool != db.Pool {
		err := db.readOn(ctx, pool, timeout, inTx, fn)
		if !failed(ctx, err) {
			return err
		}
	}
	return db.readOn(ctx, db.Pool, timeout, inTx, fn)
}

func (db *DB) readOn(ctx context.Context, pool *pgxpool.Pool, timeout time.Duration, inTx bool, fn func(Querier) error) error {
	if dl, ok := ctx.Deadline(); ok {
		if rem := time.Until(dl); timeout == 0 || rem < timeout {
			timeout = rem
		}
	}
	if err := ctx.Err(); err != nil {
		return Err(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Err(err)
	}
	defer conn.Release()
	pgc := conn.Conn().PgConn()
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := pgc.CancelRequest(cctx); err != nil {
			db.Log.Warn("cancel request failed", "error", err)
		}
	})
	defer func() {
		// The connection goes back to the pool only once no cancel request
		// can reach it any more.
		if !stop() {
			<-cancelled
		}
	}()
	if !inTx && (timeout <= 0 || timeout >= db.connTimeout) {
		return Err(fn(conn))
	}
	return Err(pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if timeout > 0 {
			ms := max(timeout.Milliseconds(), 1)
			if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', $1, true)`, strconv.FormatInt(ms, 10)); err != nil {
				return fmt.Errorf("set statement_timeout: %w", err)
			}
		}
		return fn(tx)
	}))
}

// hits scans rows of hits: layer, hitColumns, geometry (GeoJSON), its
// state and vertices, and with withIntersection the intersection area.
func hits(ctx context.Context, tx Querier, q string, args []any, layers []*land.Layer, withIntersection bool, o *Output) ([]SpatialHit, error) {
	kinds := map[string]land.Kind{}
	for _, l := range layers {
		kinds[l.Name] = l.Kind
	}
	rows, err := tx.Query(ctx, q, args...)
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
			state, nv           int
		)
		dst := []any{&h.Layer, &h.ID, &fields, &props, &area, &geom, &state, &nv}
		if withIntersection {
			dst = append(dst, &inter)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		h.Kind = kinds[h.Layer]
		h.Fields = raw(fields)
		h.Props = raw(props)
		if geom != nil {
			if withIntersection {
				h.IntersectionGeometry = json.RawMessage(*geom)
			} else {
				h.Geometry = json.RawMessage(*geom)
			}
		}
		h.GeometrySimplified, h.GeometryOmitted = state == 1, state == 2
		if area != nil {
			a := geo.AreasOf(*area)
			h.Area = &a
		}
		if inter != nil {
			a := geo.AreasOf(*inter)
			h.Intersection = &a
		}
		if !o.take(&h, nv) {
			break
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

// QueryOptions configure Query.
type QueryOptions struct {
	Limit       int           // features listed per layer
	MaxVertices int           // of the shape (a feature's too); 0: none
	MaxAreaM2   float64       // of the shape after the distance; 0: none
	Timeout     time.Duration // of each statement (cut to ctx's deadline); 0: the connection's
	Output      *Output       // bounds of the answer; nil: none
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
	// GeometrySimplified and GeometryOmitted say what the vertex cap did to
	// the query shape returned.
	GeometrySimplified bool         `json:"query_geometry_simplified,omitempty"`
	GeometryOmitted    bool         `json:"query_geometry_omitted,omitempty"`
	Layers             []QueryLayer `json:"layers"`
}

// shapeSQL returns the SQL of the query shape in EPSG:4490 and its args.
// A distance grows it on the ellipsoid (geography buffer), so 500 m means
// 500 m anywhere.
func shapeSQL(s QueryShape, args []any) (string, []any) {
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
	return g, args
}

// piecesSQL cuts the query shape $1 (WKB, EPSG:4490) into pieces that
// partition it, each of at most 256 vertices (ST_Subdivide) and at most one
// cell of a square grid sized to make about 256 cells of the shape: so every
// GEOS call of a query works on a small piece, stays short and lets a
// statement timeout or cancel through between calls, and the union of the
// features in one piece never grows with the size of the query. Areas are
// summed piece by piece, which is exact because the pieces only share edges.
const piecesSQL = `WITH q AS MATERIALIZED (SELECT ST_GeomFromWKB($1, 4490) AS g),
	qs AS MATERIALIZED (SELECT ST_Subdivide(q.g, 256) AS g,
		greatest(sqrt(ST_Area(q.g) / 256), 0.005) AS cell FROM q)
	SELECT ST_AsBinary(qs.g) FROM qs WHERE ST_Dimension(qs.g) < 2
	UNION ALL
	SELECT ST_AsBinary(p) FROM (
		SELECT ST_CollectionExtract(ST_Intersection(qs.g, c.geom), 3) AS p
		FROM qs CROSS JOIN LATERAL ST_SquareGrid(qs.cell, qs.g) c
		WHERE ST_Dimension(qs.g) = 2 AND ST_Intersects(qs.g, c.geom)) x
	WHERE NOT ST_IsEmpty(p)`

// Query returns, per layer, the features that intersect the shape, each
// with the area of its intersection on the ellipsoid, the total and the
// union of those areas. At most o.Limit features are listed per layer; the
// count and the areas always cover all of them. A shape over o.MaxVertices
// or o.MaxAreaM2 is refused (TooLarge), a feature that does not exist is
// NotFound.
func (db *DB) Query(ctx context.Context, layers []*land.Layer, s QueryShape, o QueryOptions) (*QueryResult, error) {
	g, args := shapeSQL(s, nil)
	maxV := o.MaxVertices
	if maxV <= 0 {
		maxV = 1 << 30
	}
	args = append(args, maxV)
	res := &QueryResult{Layers: []QueryLayer{}}
	err := db.readTx(ctx, layerNames(layers), o.Timeout, func(tx pgx.Tx) error {
		*res = QueryResult{Layers: []QueryLayer{}} // a fresh start when run again on the primary
		// The shape, refused before any costly step when it is too large.
		var (
			n     int
			area  *float64
			empty bool
			wkb   []byte
		)
		err := tx.QueryRow(ctx, `SELECT g IS NULL, coalesce(ST_NPoints(g), 0), a, CASE WHEN a IS NOT NULL THEN ST_AsBinary(g) END
			FROM (SELECT g, CASE WHEN ST_NPoints(g) <= $`+strconv.Itoa(len(args))+`::integer THEN ST_Area(g::geography) END AS a
			      FROM (SELECT `+g+` AS g) s) q`, args...).Scan(&empty, &n, &area, &wkb)
		if err != nil {
			// What fails here is the client's shape (PostGIS reports those
			// as internal errors), unless it is a timeout or an outage.
			if err := Err(err); land.KindOf(err) != land.Internal || ctx.Err() != nil {
				return fmt.Errorf("query shape: %w", err)
			}
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return land.Wrap(land.Invalid, err, "geometry: PostGIS cannot use it: "+pe.Message)
			}
			return fmt.Errorf("query shape: %w", err)
		}
		switch {
		case empty:
			return land.Errorf(land.NotFound, "feature %d not found in layer %q", s.ID, s.Layer)
		case area == nil:
			return land.Errorf(land.TooLarge, "geometry: the query shape has %d vertices, more than the %d allowed", n, maxV)
		case o.MaxAreaM2 > 0 && *area > o.MaxAreaM2:
			return land.Errorf(land.TooLarge, "geometry: the query shape covers %.1f km², more than the %g km² allowed", *area/1e6, o.MaxAreaM2/1e6)
		}
		res.Area = geo.AreasOf(*area)
		var (
			shape *string
			state int
		)
		if err := tx.QueryRow(ctx, `SELECT go.json, go.state FROM (SELECT ST_GeomFromWKB($1, 4490) AS g) q `+
			geomOut("q.g", "$2::integer", 7), wkb, o.Output.featureVertices()).Scan(&shape, &state); err != nil {
			return fmt.Errorf("query shape: %w", Err(err))
		}
		res.Geometry = raw(shape)
		res.GeometrySimplified, res.GeometryOmitted = state == 1, state == 2
		rows, err := tx.Query(ctx, piecesSQL, wkb)
		if err != nil {
			return fmt.Errorf("query shape: %w", Err(err))
		}
		pieces, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return fmt.Errorf("query shape: %w", Err(err))
		}
		for _, l := range layers {
			ql, err := queryLayer(ctx, tx, l, db.Spec(l.Kind), wkb, pieces, o)
			if err != nil {
				return err
			}
			res.Layers = append(res.Layers, *ql)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func queryLayer(ctx context.Context, tx pgx.Tx, l *land.Layer, spec *land.KindSpec, shape []byte, pieces [][]byte, o QueryOptions) (*QueryLayer, error) {
	ql := &QueryLayer{Layer: l.Name, Kind: l.Kind, Features: []SpatialHit{}}
	t := Table(l.Name)
	// The count uses the whole shape (one prepared geometry, tested row by
	// row); the areas go piece by piece: per piece the union of the
	// features' parts in it (overlaps counted once) and the sum of the parts.
	var total, union float64
	if err := tx.QueryRow(ctx, `WITH q AS MATERIALIZED (SELECT ST_GeomFromWKB($1, 4490) AS g),
		qp AS MATERIALIZED (SELECT ST_GeomFromWKB(b, 4490) AS g FROM unnest($2::bytea[]) b)
		SELECT (SELECT count(*) FROM `+t+` t, q WHERE ST_Intersects(t.geom, q.g)),
		       coalesce(sum(x.u), 0), coalesce(sum(x.s), 0)
		FROM qp CROSS JOIN LATERAL (
		    SELECT ST_Area(ST_Union(p.ig)::geography) AS u,
		           sum(CASE WHEN p.covered THEN coalesce(p.area_m2, 0) ELSE ST_Area(p.ig::geography) END) AS s
		    FROM (SELECT c.covered, c.area_m2, CASE WHEN c.covered THEN c.geom ELSE ST_Intersection(c.geom, qp.g) END AS ig
		          FROM (SELECT t.geom, t.area_m2, ST_CoveredBy(t.geom, qp.g) AS covered FROM `+t+` t
		                WHERE ST_Intersects(t.geom, qp.g)) c) p) x`,
		shape, pieces).Scan(&ql.Count, &union, &total); err != nil {
		return nil, fmt.Errorf("query of layer %q: %w", l.Name, Err(err))
	}
	ql.Total, ql.Union, ql.Area = geo.AreasOf(total), geo.AreasOf(union), geo.AreasOf(union)
	// The listed features: the first Limit by id, each with its parts
	// gathered from the pieces (merged back into one geometry when small).
	// The vertices left in the answer's budget are spent in id order in
	// SQL already, so geometries past it are never turned into GeoJSON.
	hs, err := hits(ctx, tx, `WITH q AS MATERIALIZED (SELECT ST_GeomFromWKB($1, 4490) AS g),
		qp AS MATERIALIZED (SELECT ST_GeomFromWKB(b, 4490) AS g FROM unnest($2::bytea[]) b)
		SELECT $3::text, `+hitColumns(spec)+`, go.json, CASE WHEN t.over THEN 2 ELSE go.state END, go.nv, t.a
		FROM (SELECT t.*, x.a, x.ig,
		             sum(least(ST_NPoints(x.ig), $5::integer)) OVER (ORDER BY t.id) > $6::bigint AS over
		      FROM (SELECT t.* FROM `+t+` t, q WHERE ST_Intersects(t.geom, q.g) ORDER BY t.id LIMIT $4) t
		      CROSS JOIN LATERAL (
			SELECT coalesce(sum(CASE WHEN p.covered THEN coalesce(t.area_m2, 0) ELSE ST_Area(p.ig::geography) END), 0) AS a,
			       CASE WHEN count(*) = 1 THEN (array_agg(p.ig))[1] WHEN sum(ST_NPoints(p.ig)) <= 4 * $5::integer THEN ST_UnaryUnion(ST_Collect(p.ig))
			            ELSE ST_Collect(p.ig) END AS ig
			FROM (SELECT c.covered, CASE WHEN c.covered THEN t.geom ELSE ST_Intersection(t.geom, c.g) END AS ig
			      FROM (SELECT qp.g, ST_CoveredBy(t.geom, qp.g) AS covered FROM qp WHERE ST_Intersects(t.geom, qp.g)) c) p) x
		      OFFSET 0) t
		`+geomOut("CASE WHEN NOT t.over THEN t.ig END", "$5::integer", 7)+`
		ORDER BY t.id`,
		[]any{shape, pieces, l.Name, o.Limit, o.Output.featureVertices(), o.Output.verticesLeft()}, []*land.Layer{l}, true, o.Output)
	if err != nil {
		return nil, fmt.Errorf("query of layer %q: %w", l.Name, err)
	}
	ql.Features = hs
	ql.Truncated = ql.Count > int64(len(hs))
	return ql, nil
}
