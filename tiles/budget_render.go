package tiles

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"

	"tudi/geo"
	"tudi/postgis"
)

var (
	//go:embed budget_tile.sql
	budgetTileFile string
	budgetTileSQL  = parseSQL(budgetTileFile)
)

// DefaultTileBytes is the default byte budget of one MVT layer of a tile
// (uncompressed): a tile a client can fetch and draw at once, at every zoom.
const DefaultTileBytes = 500_000

// budgetVars are the variables of budget_tile.sql for a layer: its
// arguments are the zoom, x, y, the layer name, the cell and one unit.
func budgetVars(l layerRef) sqlVars {
	cls, class, order := "NULL::text", "", "q.geom"
	if f := classField(l.Kind); f != "" {
		cls = "t." + postgis.Ident(f)
		class = ", u.cls AS " + postgis.Ident(f)
		order += ", q." + postgis.Ident(f)
	}
	return sqlVars{
		idents: []string{"layer", l.Name},
		frags:  []string{"cls", cls, "class", class, "order", order},
		params: []string{"z", "x", "y", "layer", "cell", "unit"},
	}
}

// budgetSQL returns the majority-grid query of budget_tile.sql for a layer
// of kind's class field.
func budgetSQL(l layerRef) string { return budgetTileSQL.expand(budgetVars(l)) }

// renderFeatures renders one MVT layer of tile t from the layer table, every
// feature with its attributes, unless that comes out over the tile byte
// budget (a dense or small-featured layer at a low zoom, below the
// generalisation threshold or past its zooms): then polygons are rendered
// as a majority grid of their classes over this tile (budget_tile.sql),
// which keeps each class's area within a few percent. Anything still over
// the budget (points, lines) is served as it is and counted.
func (s *Service) renderFeatures(ctx context.Context, q postgis.Querier, l layerRef, t Tile, all bool) ([]byte, error) {
	b, err := renderLive(ctx, q, s.db.Spec(l.Kind).Fields, l, t, all)
	if err != nil || s.cfg.TileBytes <= 0 || int64(len(b)) <= s.cfg.TileBytes {
		return b, err
	}
	if isPolygonal(l.GeomType) {
		over := len(b)
		unit := 2 * geo.WebMercatorHalf / float64(int(1)<<t.Z) / 4096
		if err := q.QueryRow(ctx, budgetSQL(l), t.Z, t.X, t.Y, l.Name, 25*unit, unit).Scan(&b); err != nil {
			return nil, fmt.Errorf("render layer %q tile %s within the byte budget: %w", l.Name, t, postgis.Err(err))
		}
		s.metrics.budgeted.Inc()
		s.log.Debug("tile over the byte budget rendered as classes", "layer", l.Name, "tile", t.String(),
			"features_bytes", over, "bytes", len(b))
	}
	if int64(len(b)) > s.cfg.TileBytes {
		s.metrics.overBudget.WithLabelValues(strconv.Itoa(t.Z)).Inc()
		s.log.Warn("tile over the byte budget", "layer", l.Name, "tile", t.String(), "bytes", len(b), "budget", s.cfg.TileBytes)
	}
	return b, nil
}
