package reports

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// boundaryCells maps boundary_cells, which the SQL of a report reading
// boundaries joins features to (see sql/boundary-cells.sql): the cells of
// the boundaries view, computed once per run, when grouping or filtering
// by street, and no rows otherwise, since the report then never looks at
// them (inlined, so the query stays open to parallel workers). When
// filtering by street, the cells cover only the chosen sub-districts (the
// setting tudi.report_streets, for this transaction): the report looks at
// no feature elsewhere.
func (*Service) boundaryCells(ctx context.Context, tx pgx.Tx, v *layerViews, sp *spec, byStreet bool, streets []string) error {
	if !slices.ContainsFunc(sp.Layers, func(l land.ReportLayer) bool { return l.Kind == string(land.Boundaries) }) {
		return nil
	}
	if !byStreet {
		v.add("boundary_cells", `SELECT NULL::bigint AS cell, NULL::text AS name WHERE false`, false)
		return nil
	}
	q, err := cellsQuery()
	if err != nil {
		return fmt.Errorf("report %q: sub-district cells: %w", sp.Name, err)
	}
	if len(streets) > 0 {
		if _, err := tx.Exec(ctx, `SELECT set_config('tudi.report_streets', $1::text[]::text, true)`, streets); err != nil {
			return fmt.Errorf("report %q: sub-district cells: %w", sp.Name, postgis.Err(err))
		}
	}
	v.add("boundary_cells", q, true)
	return nil
}
