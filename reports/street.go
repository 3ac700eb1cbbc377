package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// Unassigned is the sub-district of a feature whose point on surface lies in
// no boundaries polygon: a row of the street grouping, and a value the street
// filter takes.
const Unassigned = "未划分"

// ParseStreets splits a comma-separated list of sub-districts such as
// "东街道,西街道"; "" is none (every sub-district).
func ParseStreets(s string) []string { return splitList(s) }

// subDistrictsSQL lists the sub-districts of a boundaries layer: every name
// but the empty one, sorted as the reports sort their street rows (by the
// database's collation). FROM is completed with the table.
const subDistrictsSQL = `SELECT coalesce(array_agg(DISTINCT name ORDER BY name), '{}') FROM `

// checkStreets returns an Invalid error naming the parameter and listing
// the sub-districts unless every name in streets is one of the boundaries
// mapped in v (the layer named layer) or Unassigned. A name that is not there would
// select nothing, which reads like a sub-district without land.
func checkStreets(ctx context.Context, tx pgx.Tx, v *layerViews, sp *spec, layer string, streets []string) error {
	var names []string
	if err := tx.QueryRow(ctx, v.with(subDistrictsSQL+`boundaries WHERE name <> ''`)).Scan(&names); err != nil {
		return fmt.Errorf("report %q: sub-districts: %w", sp.Name, postgis.Err(err))
	}
	if !slices.Contains(names, Unassigned) {
		names = append(names, Unassigned)
	}
	for _, st := range streets {
		if !slices.Contains(names, st) {
			return land.Errorf(land.Invalid, "unknown street %q: not a sub-district of layer %q (allowed: %s, comma-separated)",
				st, layer, strings.Join(names, ", ")).WithDetail(map[string]any{"allowed": names})
		}
	}
	return nil
}

// Streets returns the sub-districts of the boundaries layer named layer, in
// the order the reports sort them, without Unassigned: the names the street
// filter takes. A layer that does not exist or is not a boundaries layer has
// none.
func (s *Service) Streets(ctx context.Context, layer string) ([]string, error) {
	q := s.db.Reader(layer) // a fit replica, else the primary
	kind, exists, err := postgis.LayerKind(ctx, q, layer)
	if err != nil {
		return nil, fmt.Errorf("sub-districts: %w", err)
	}
	if !exists || kind != land.Boundaries {
		return []string{}, nil
	}
	var names []string
	if err := q.QueryRow(ctx, subDistrictsSQL+postgis.Table(layer)+` WHERE name <> ''`).Scan(&names); err != nil {
		return nil, fmt.Errorf("sub-districts of layer %q: %w", layer, postgis.Err(err))
	}
	return names, nil
}
