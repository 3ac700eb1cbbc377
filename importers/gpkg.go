package importers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"tudi/geo"
	"tudi/land"
)

// gpkgSource reads one feature table of a GeoPackage (OGC 12-128r18) through
// the pure-Go SQLite driver, row by row.
type gpkgSource struct {
	name   string
	db     *sql.DB
	rows   *sql.Rows
	cols   []gpkgCol
	n      int64
	feat   feature
	keys   []string
	values []any
	scan   []any
}

type gpkgCol struct {
	name, typ string
}

func openGPKG(ctx context.Context, path string, req Request, info *sourceInfo) (*gpkgSource, error) {
	name := filepath.Base(path)
	info.Format, info.File = "gpkg", name
	info.Encoding, info.EncodingSource = "UTF-8", "gpkg"
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", name, err)
	}
	db.SetMaxOpenConns(1)
	s := &gpkgSource{name: name, db: db}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	type table struct {
		name, geomCol string
		srsID, z, m   int
		org, def      sql.NullString
		orgID         sql.NullInt64
		minx, miny    sql.NullFloat64
		maxx, maxy    sql.NullFloat64
	}
	rows, err := db.QueryContext(ctx, `SELECT c.table_name, g.column_name, g.srs_id, g.z, g.m,
			s.organization, s.organization_coordsys_id, s.definition, c.min_x, c.min_y, c.max_x, c.max_y
		FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
		WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: not a GeoPackage (no readable gpkg_contents / gpkg_geometry_columns): %v", name, err)
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.geomCol, &t.srsID, &t.z, &t.m, &t.org, &t.orgID, &t.def, &t.minx, &t.miny, &t.maxx, &t.maxy); err != nil {
			rows.Close()
			return nil, land.Errorf(land.Invalid, "%s: gpkg_contents: %v", name, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, land.Errorf(land.Invalid, "%s: gpkg_contents: %v", name, err)
	}
	var names []string
	for _, t := range tables {
		names = append(names, t.name)
	}
	var t table
	switch {
	case len(tables) == 0:
		return nil, land.Errorf(land.Invalid, "%s holds no feature table", name)
	case req.SourceLayer != "":
		i := slices.Index(names, req.SourceLayer)
		if i < 0 {
			return nil, land.Errorf(land.Invalid, "%s has no feature table %q (it has: %s)", name, req.SourceLayer, strings.Join(names, ", ")).WithDetail(map[string]any{"layers": names})
		}
		t = tables[i]
	case len(tables) > 1:
		return nil, land.Errorf(land.Invalid, "%s holds %d feature tables (%s): choose one with --source-layer", name, len(tables), strings.Join(names, ", ")).WithDetail(map[string]any{"layers": names})
	default:
		t = tables[0]
	}
	info.File = name + ":" + t.name
	if t.minx.Valid && t.miny.Valid && t.maxx.Valid && t.maxy.Valid {
		info.Bound = &orb.Bound{Min: orb.Point{t.minx.Float64, t.miny.Float64}, Max: orb.Point{t.maxx.Float64, t.maxy.Float64}}
	}
	switch {
	case req.SRID != 0:
		info.SRID, info.SRIDSource = req.SRID, "flag"
	case t.org.Valid && strings.EqualFold(t.org.String, "EPSG") && t.orgID.Valid && t.orgID.Int64 > 0:
		info.SRID, info.SRIDSource = int(t.orgID.Int64), "gpkg_spatial_ref_sys"
	case t.def.Valid && t.def.String != "" && t.def.String != "undefined":
		m, err := geo.RecognisePRJ(t.def.String)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "%s: srs_id %d: cannot recognise the coordinate system (%v); give it with --srid", name, t.srsID, err)
		}
		info.SRID, info.SRIDSource = m.SRID, "gpkg_spatial_ref_sys definition ("+m.By+")"
	}
	if t.z != 0 || t.m != 0 {
		info.Notes = append(info.Notes, fmt.Sprintf("%s: Z/M values are dropped (tudi stores 2D)", info.File))
	}

	// Attribute columns: every column but the geometry and the integer
	// primary key (the feature id).
	crow, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?)`, t.name)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: table %q: %v", name, t.name, err)
	}
	var pk string
	for crow.Next() {
		var c gpkgCol
		var isPK int
		if err := crow.Scan(&c.name, &c.typ, &isPK); err != nil {
			crow.Close()
			return nil, land.Errorf(land.Invalid, "%s: table %q: %v", name, t.name, err)
		}
		switch {
		case strings.EqualFold(c.name, t.geomCol):
		case isPK == 1 && strings.EqualFold(c.typ, "INTEGER"):
			pk = c.name
		default:
			s.cols = append(s.cols, c)
		}
	}
	crow.Close()
	quote := func(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }
	sel := []string{quote(t.geomCol)}
	for _, c := range s.cols {
		sel = append(sel, quote(c.name))
		s.keys = append(s.keys, c.name)
		info.Fields = append(info.Fields, land.SourceField{Name: c.name, Type: gpkgType(c.typ)})
	}
	order := "rowid"
	if pk != "" {
		order = quote(pk)
	}
	// The table name comes from gpkg_contents of the file; quote it as an
	// SQLite identifier.
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t.name)).Scan(&info.Total); err != nil {
		return nil, land.Errorf(land.Invalid, "%s: table %q: %v", name, t.name, err)
	}
	if s.rows, err = db.QueryContext(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM `+quote(t.name)+` ORDER BY `+order); err != nil {
		return nil, land.Errorf(land.Invalid, "%s: table %q: %v", name, t.name, err)
	}
	s.values = make([]any, len(s.cols))
	s.scan = make([]any, len(s.cols)+1)
	ok = true
	return s, nil
}

func gpkgType(t string) land.FieldType {
	switch t = strings.ToUpper(t); {
	case strings.HasPrefix(t, "INT") || t == "MEDIUMINT" || t == "SMALLINT" || t == "TINYINT":
		return land.Int
	case t == "REAL" || t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "NUMERIC"):
		return land.Float
	case t == "DATE" || t == "DATETIME":
		return land.Date
	case t == "BOOLEAN":
		return land.Bool
	}
	return land.Text
}

// Next reads the next row.
func (s *gpkgSource) Next() (*feature, error) {
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return nil, land.Errorf(land.Invalid, "%s: feature %d: %v", s.name, s.n+1, err)
		}
		return nil, io.EOF
	}
	s.n++
	var geom []byte
	s.scan[0] = &geom
	for i := range s.cols {
		s.scan[i+1] = &s.values[i]
	}
	if err := s.rows.Scan(s.scan...); err != nil {
		return nil, land.Errorf(land.Invalid, "%s: feature %d: %v", s.name, s.n, err)
	}
	f := &s.feat
	f.Num, f.Keys, f.Values, f.Geom, f.Problems = s.n, s.keys, s.values, nil, f.Problems[:0]
	for i, c := range s.cols {
		switch v := s.values[i].(type) {
		case []byte:
			if gpkgType(c.typ) == land.Text {
				s.values[i] = string(v)
			} else {
				s.values[i] = nil
			}
		case time.Time:
			s.values[i] = v
		case int64:
			if gpkgType(c.typ) == land.Bool {
				s.values[i] = v != 0
			}
		}
	}
	if geom != nil {
		g, err := gpkgGeometry(geom)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "%s: feature %d: bad geometry: %v", s.name, s.n, err)
		}
		f.Geom = g
	}
	return f, nil
}

// gpkgGeometry decodes the GeoPackage binary form: "GP", version, flags, the
// SRS id, an optional envelope, then WKB (spec 2.1.3).
func gpkgGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, errors.New("not a GeoPackage geometry (no GP header)")
	}
	flags := b[3]
	if flags&0x10 != 0 {
		return nil, nil // empty geometry
	}
	env := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags>>1)&0x07]
	off := 8 + env
	if off > len(b) {
		return nil, errors.New("GeoPackage geometry header truncated")
	}
	g, _, err := parseWKB(b[off:])
	return g, err
}

// Close closes the rows and the database.
func (s *gpkgSource) Close() error {
	if s.rows != nil {
		s.rows.Close()
	}
	return s.db.Close()
}
