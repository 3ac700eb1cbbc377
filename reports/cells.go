package reports

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// boundaryCells creates boundary_cells, which the SQL of a report reading
// boundaries joins features to (see sql/boundary-cells.sql): a temporary
// table of the cells of the boundaries view when grouping or filtering by
// street, an empty view otherwise, since the report then never looks at it.
// The view keeps the report open to parallel workers, which a temporary
// table in the query would rule out. When filtering by street, the cells
// cover only the chosen sub-districts (the setting tudi.report_streets, for
// this transaction): the report looks at no feature elsewhere.
func (*Service) boundaryCells(ctx context.Context, tx pgx.Tx, sp *spec, byStreet bool, streets []string) error {
	if !slices.ContainsFunc(sp.Layers, func(l land.ReportLayer) bool { return l.Kind == string(land.Boundaries) }) {
		return nil
	}
	q := `CREATE TEMP VIEW boundary_cells AS SELECT NULL::bigint AS cell, NULL::text AS name WHERE false`
	if byStreet {
		b, err := sqlFiles.ReadFile("sql/boundary-cells.sql")
		if err != nil {
			return fmt.Errorf("report %q: sub-district cells: %w", sp.Name, err)
		}
		q = string(b) // several statements: Exec without arguments sends them as one simple query
	}
	if len(streets) > 0 {
		if _, err := tx.Exec(ctx, `SELECT set_config('tudi.report_streets', $1::text[]::text, true)`, streets); err != nil {
			return fmt.Errorf("report %q: sub-district cells: %w", sp.Name, postgis.Err(err))
		}
	}
	if _, err := tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("report %q: sub-district cells: %w", sp.Name, postgis.Err(err))
	}
	return nil
}
