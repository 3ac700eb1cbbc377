package tiles

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

var (
	//go:embed tile.sql
	tileFile string
	//go:embed gen_tile.sql
	genTileFile string

	tileSQL    = parseSQL(tileFile)
	genTileSQL = parseSQL(genTileFile)
)

// layerRef is what rendering needs of a registry entry, read per request
// (postgis.FindLayerStates; tile requests go through versionReader).
type layerRef = postgis.LayerState

// attributeColumns returns the select list of a layer's attributes after
// id: the canonical fields (dates as ISO text, since MVT has no date type)
// and, with all, the props jsonb, which ST_AsMVT expands into one attribute
// per key. Identifiers come from the kind's canonical fields (as the
// catalogue declares them) and are quoted.
func attributeColumns(fields []land.Field, all bool) string {
	var b strings.Builder
	for _, f := range fields {
		col := "t." + postgis.Ident(f.Name)
		if f.Type == land.Date {
			fmt.Fprintf(&b, ", to_char(%s, 'YYYY-MM-DD') AS %s", col, postgis.Ident(f.Name))
		} else {
			b.WriteString(", " + col)
		}
	}
	if all {
		b.WriteString(", t.props")
	}
	return b.String()
}

// liveVars are the variables of tile.sql for a layer: its arguments are
// the zoom, x, y and the layer name.
func liveVars(layer string, fields []land.Field, all bool) sqlVars {
	return sqlVars{
		idents: []string{"layer", layer},
		frags:  []string{"columns", attributeColumns(fields, all)},
		params: []string{"z", "x", "y", "layer"},
	}
}

// liveSQL returns the tile query of a layer table.
func liveSQL(layer string, fields []land.Field, all bool) string {
	return tileSQL.expand(liveVars(layer, fields, all))
}

// genTable returns the quoted name of a layer's generalised table.
func genTable(layer string) string { return pgx.Identifier{tileSchema, layer + genSuffix}.Sanitize() }

// genVars are the variables of gen_tile.sql for table (in the tiles
// schema) of a layer of kind: its arguments are the zoom, x, y, the layer
// name and the band.
func genVars(table string, kind land.Kind) sqlVars {
	class, order := "", "q.geom"
	if f := classField(kind); f != "" {
		class = ", g.cls AS " + postgis.Ident(f)
		order += ", q." + postgis.Ident(f)
	}
	return sqlVars{
		idents: []string{"gen", table},
		frags:  []string{"class", class, "order", order},
		params: []string{"z", "x", "y", "layer", "band"},
	}
}

// genSQL returns the tile query of a generalised table (in the tiles schema).
func genSQL(table string, kind land.Kind) string {
	return genTileSQL.expand(genVars(table, kind))
}

// renderLive renders one MVT layer of a tile from the layer table.
// fields are the canonical fields of the layer's kind (postgis.DB.Spec).
func renderLive(ctx context.Context, q postgis.Querier, fields []land.Field, l layerRef, t Tile, all bool) ([]byte, error) {
	var b []byte
	err := q.QueryRow(ctx, liveSQL(l.Name, fields, all), t.Z, t.X, t.Y, l.Name).Scan(&b)
	if err != nil {
		return nil, fmt.Errorf("render layer %q tile %s: %w", l.Name, t, postgis.Err(err))
	}
	return b, nil
}

// renderGeneralised renders one MVT layer of a low-zoom tile from the
// generalised table of band (named within the tiles schema).
func renderGeneralised(ctx context.Context, q postgis.Querier, table string, l layerRef, t Tile, band int) ([]byte, error) {
	var b []byte
	err := q.QueryRow(ctx, genSQL(table, l.Kind), t.Z, t.X, t.Y, l.Name, band).Scan(&b)
	if err != nil {
		return nil, fmt.Errorf("render generalised layer %q tile %s: %w", l.Name, t, postgis.Err(err))
	}
	return b, nil
}

// renderLayer renders one MVT layer of tile t by the cheapest correct means:
// a pre-rendered tile of the layer's current version, else (low zooms of a
// large layer) its generalised geometry when it was built from the current
// version, else live from the layer table. Rows of an older version are
// never used, so a rebuild in progress costs speed, never freshness. It
// reports whether the result may be cached: not a live stand-in for a
// generalised tile, which the rebuild will replace at the same version.
func (s *Service) renderLayer(ctx context.Context, l layerRef, t Tile, all bool) ([]byte, bool, error) {
	// One reader for the layer's reads: a replica that has its current
	// version, or the primary (see postgis.Readers).
	q := s.db.Reader(l.Name)
	if !all {
		var (
			v int64
			b []byte
		)
		err := q.QueryRow(ctx, `SELECT version, mvt FROM tiles.prerendered
			WHERE layer = $1 AND z = $2 AND x = $3 AND y = $4`, l.Name, t.Z, t.X, t.Y).Scan(&v, &b)
		switch {
		case err == nil && (v == l.Version || t.Z > GeneralisedMaxZoom && s.changes.untouched(l.Name, v, l.Version, t.boundsWithBuffer())):
			// A per-feature tile of an older version is still exact when every
			// change since lies outside it (generalised tiles are not: which
			// cells are kept depends on the whole layer).
			s.metrics.prerendered.Inc()
			return b, true, nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return nil, false, fmt.Errorf("read pre-rendered tile %s of layer %q: %w", t, l.Name, postgis.Err(err))
		}
	}
	if band, ok := s.band(l, t.Z); ok {
		var v int64
		err := q.QueryRow(ctx, `SELECT version FROM tiles.generalised WHERE layer = $1`, l.Name).Scan(&v)
		switch {
		case err == nil && v == l.Version:
			b, err := renderGeneralised(ctx, q, l.Name+genSuffix, l, t, band)
			return b, true, err
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return nil, false, fmt.Errorf("read generalisation state of layer %q: %w", l.Name, postgis.Err(err))
		}
		s.metrics.stale.Inc()
		b, err := s.renderFeatures(ctx, q, l, t, all)
		return b, false, err
	}
	b, err := s.renderFeatures(ctx, q, l, t, all)
	return b, true, err
}
