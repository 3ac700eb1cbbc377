package sampledata

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// cgcs2000OGCWKT is the EPSG definition of CGCS2000 as OGC WKT, the form that
// gpkg_spatial_ref_sys holds.
const cgcs2000OGCWKT = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]`

// gpkgChangeTime is written as last_change so that the file is the same
// bytes every run.
const gpkgChangeTime = "2024-12-31T00:00:00.000Z"

// gpkgColumn is one attribute column of the feature table.
type gpkgColumn struct {
	Name string
	Type string // TEXT, REAL, DATE
}

// gpkgWriter writes one polygon feature table in EPSG:4490 to a new
// GeoPackage (OGC 12-128r18, version 1.3) inside a single transaction.
type gpkgWriter struct {
	db    *sql.DB
	tx    *sql.Tx
	stmt  *sql.Stmt
	table string
	bbox  orb.Bound
	n     int
}

func newGPKGWriter(ctx context.Context, path, table, description string, cols []gpkgColumn) (*gpkgWriter, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("replace geopackage: %w", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, fmt.Errorf("open geopackage: %w", err)
	}
	db.SetMaxOpenConns(1)
	w := &gpkgWriter{db: db, table: table}
	colDefs, names, marks := "", "geom", "?"
	for _, c := range cols {
		colDefs += fmt.Sprintf(", %q %s", c.Name, c.Type)
		names += fmt.Sprintf(", %q", c.Name)
		marks += ", ?"
	}
	stmts := []string{
		"PRAGMA application_id = 1196444487", // "GPKG"
		"PRAGMA user_version = 10300",        // GeoPackage 1.3.0
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
			organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
			description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
			min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
			CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
			srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
			CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
			CONSTRAINT uk_gc_table_name UNIQUE (table_name),
			CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
			CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES
			('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
			('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
			('China Geodetic Coordinate System 2000', 4490, 'EPSG', 4490, '` + cgcs2000OGCWKT + `', 'CGCS2000 longitude/latitude')`,
		fmt.Sprintf(`CREATE TABLE %q (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POLYGON%s)`, table, colDefs),
		fmt.Sprintf(`INSERT INTO gpkg_geometry_columns VALUES (%s, 'geom', 'POLYGON', 4490, 0, 0)`, sqlString(table)),
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("create geopackage %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
		VALUES (?, 'features', ?, ?, ?, 4490)`, table, table, description, gpkgChangeTime); err != nil {
		db.Close()
		return nil, fmt.Errorf("create geopackage %s: %w", path, err)
	}
	if w.tx, err = db.BeginTx(ctx, nil); err == nil {
		w.stmt, err = w.tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %q (%s) VALUES (%s)`, table, names, marks))
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create geopackage %s: %w", path, err)
	}
	return w, nil
}

// Write inserts one lon/lat polygon with its attribute values, in column
// order (nil for NULL).
func (w *gpkgWriter) Write(ctx context.Context, poly orb.Polygon, attrs ...any) error {
	b := poly.Bound()
	if w.n == 0 {
		w.bbox = b
	} else {
		w.bbox = w.bbox.Union(b)
	}
	w.n++
	args := append([]any{gpkgGeometry(poly, 4490)}, attrs...)
	if _, err := w.stmt.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("geopackage %s feature %d: %w", w.table, w.n, err)
	}
	return nil
}

// gpkgGeometry returns the GeoPackage binary form: the "GP" header with an
// xy envelope (spec 2.1.3) followed by little-endian WKB.
func gpkgGeometry(g orb.Geometry, srid int32) []byte {
	b := []byte{'G', 'P', 0, 0x01 | 1<<1} // version 0; little endian, envelope [minx,maxx,miny,maxy]
	b = binary.LittleEndian.AppendUint32(b, uint32(srid))
	r := g.Bound()
	for _, v := range []float64{r.Min[0], r.Max[0], r.Min[1], r.Max[1]} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return append(b, wkb.MustMarshal(g, binary.LittleEndian)...)
}

// Close records the extent in gpkg_contents, commits and closes.
func (w *gpkgWriter) Close(ctx context.Context) error {
	err := w.stmt.Close()
	if err == nil {
		_, err = w.tx.ExecContext(ctx, `UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`,
			w.bbox.Min[0], w.bbox.Min[1], w.bbox.Max[0], w.bbox.Max[1], w.table)
	}
	if err == nil {
		err = w.tx.Commit()
	} else {
		w.tx.Rollback()
	}
	err = errors.Join(err, w.db.Close())
	if err != nil {
		return fmt.Errorf("finish geopackage %s: %w", w.table, err)
	}
	return nil
}

// abort rolls back and closes after an error elsewhere.
func (w *gpkgWriter) abort() {
	w.stmt.Close()
	w.tx.Rollback()
	w.db.Close()
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += "''"
		} else {
			out += string(r)
		}
	}
	return out + "'"
}
