package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// missingColumns returns the fields of kind that the table (a quoted,
// schema-qualified name) has no column for, in the kind's order; none when
// the table does not exist.
func missingColumns(ctx context.Context, q Querier, table string, kind *land.KindSpec) ([]land.Field, error) {
	rows, err := q.Query(ctx, `SELECT attname FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, table)
	if err != nil {
		return nil, Err(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, Err(err)
	}
	if len(cols) == 0 {
		return nil, nil
	}
	have := make(map[string]bool, len(cols))
	for _, c := range cols {
		have[c] = true
	}
	var out []land.Field
	for _, f := range kind.Fields {
		if !have[f.Name] {
			out = append(out, f)
		}
	}
	return out, nil
}

// EnsureLayerColumns adds to each layer's table (and its history table, if
// it keeps history) the canonical columns that its kind has in the
// catalogue in use and the table lacks — tables made by an older tudi, or
// before the catalogue gave the kind a field. Without them reads that name
// the kind's columns (OGC items, live tiles) fail. The columns are added
// nullable, with the field's type, and hold NULL for existing features.
// Columns are only ever added: one the catalogue no longer names, or whose
// type differs, is left as it is, so no data is ever lost silently.
//
// Each layer is altered in its own transaction under a fence, with tile
// rebuilds held off (as every layer change). Its version is bumped and the
// change announced: OGC features list every canonical property, null ones
// too, so the layer's features now read differently, and nothing cached
// under the old version (features, pages, temporal extents, tiles) may be
// served as current. Generalised low zooms (geometry and style class only)
// and pre-rendered tiles of the old version are moved to the new one rather
// than rebuilt at every upgraded start: ST_AsMVT encodes no NULL value, so
// their features and attributes are those the new version renders (a fresh
// render only also lists the new column in its keys table).
//
// tudi serve runs it at start for every layer, with the catalogue it
// serves (the catalogue is read only at start, so that is also when a
// changed one takes effect); tudi import for the layer it imports into.
// With names, only those layers are looked at. A layer whose kind the
// catalogue does not know has no canonical fields (see land.Catalog.Spec)
// and is left as it is. Returns the number of layers altered and the
// errors of those that could not be (a layer busy past the lock timeout;
// the others are altered all the same). A second run does nothing.
func (db *DB) EnsureLayerColumns(ctx context.Context, names ...string) (int, error) {
	layers, err := sortedLayerStates(ctx, db.Pool, names...)
	if err != nil {
		return 0, fmt.Errorf("EnsureLayerColumns: %w", err)
	}
	altered := 0
	var errs []error
	for _, l := range layers {
		spec := db.Spec(l.Kind)
		// A cheap check first: most starts have nothing to do, and a fence
		// makes every tile server wait.
		n := 0
		for _, table := range []string{Table(l.Name), HistoryTable(l.Name)} {
			missing, err := missingColumns(ctx, db.Pool, table, spec)
			if err != nil {
				return altered, fmt.Errorf("EnsureLayerColumns: layer %q: %w", l.Name, err)
			}
			n += len(missing)
		}
		if n == 0 {
			continue
		}
		var added []string // "column" of the layer table, "history.column" of its history
		var version int64
		err := db.InFencedTx(ctx, []string{l.Name}, func(tx pgx.Tx) error {
			added, version = nil, 0
			if err := lockRebuilds(ctx, tx, l.Name); err != nil {
				return err
			}
			v, err := lockedVersion(ctx, tx, l.Name)
			if err != nil {
				return err
			}
			// ADD COLUMN waits for an exclusive lock, and every read of the
			// table queues behind it: give up rather than stall the layer.
			if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
				return Err(err)
			}
			for _, table := range []string{Table(l.Name), HistoryTable(l.Name)} {
				// Read again under the lock: another process may have done it.
				missing, err := missingColumns(ctx, tx, table, spec)
				if err != nil {
					return err
				}
				for _, f := range missing {
					if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", table, Ident(f.Name), f.Type.SQLType())); err != nil {
						return fmt.Errorf("add column %q: %w", f.Name, Err(err))
					}
					if table == Table(l.Name) {
						added = append(added, f.Name)
					} else {
						added = append(added, HistorySchema+"."+f.Name)
					}
				}
			}
			if len(added) == 0 {
				return nil
			}
			version = v + 1
			for _, q := range []string{
				`UPDATE tudi.layers SET version = $2, updated_at = now() WHERE name = $1`,
				`UPDATE tiles.generalised SET version = $2 WHERE layer = $1 AND version = $2 - 1`,
				`UPDATE tiles.prerendered SET version = $2 WHERE layer = $1 AND version = $2 - 1`,
			} {
				if _, err := tx.Exec(ctx, q, l.Name, version); err != nil {
					return Err(err)
				}
			}
			return NotifyChange(ctx, tx, Change{Layer: l.Name, Version: version})
		})
		if land.KindOf(err) == land.NotFound {
			continue // the layer went away meanwhile
		}
		if err != nil {
			if ctx.Err() != nil {
				return altered, fmt.Errorf("EnsureLayerColumns: %w", Err(ctx.Err()))
			}
			errs = append(errs, fmt.Errorf("EnsureLayerColumns: layer %q: %w", l.Name, err))
			continue
		}
		if len(added) > 0 {
			altered++
			db.Log.Info("added the catalogue's new fields to a layer", "layer", l.Name, "kind", l.Kind, "columns", added, "version", version)
		}
	}
	return altered, errors.Join(errs...)
}
