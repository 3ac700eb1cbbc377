package postgis

import (
	"context"
	"fmt"
	"time"

	"tudi/land"
)

// IndexedFields returns the fields of kind whose columns have a B-tree
// index: code and name (looked up by code and by name everywhere), and every
// field the catalogue marks `index: true` (those that filters, counts and
// reports select on).
func IndexedFields(kind *land.KindSpec) []land.Field {
	var out []land.Field
	for _, f := range kind.Fields {
		if f.Index || f.Name == "code" || f.Name == "name" {
			out = append(out, f)
		}
	}
	return out
}

// FieldIndexName is the name of the index of a field's column in a layer
// table (PostgreSQL cuts names at 63 bytes, at creation and lookup alike;
// an import's swap renames its work table's indexes by this pattern).
func FieldIndexName(table, field string) string { return table + "_" + field + "_idx" }

// EnsureLayerIndexes creates the field indexes that the catalogue asks for
// and a layer's table lacks — tables created before a field was marked
// `index: true`, or by an older tudi. Each is built with CREATE INDEX
// CONCURRENTLY, which neither blocks reads nor imports; an index left
// invalid by an interrupted build is dropped and built again. tudi serve
// runs it in the background at start. Returns the number of indexes built.
func (db *DB) EnsureLayerIndexes(ctx context.Context) (int, error) {
	layers, err := sortedLayerStates(ctx, db.Pool)
	if err != nil {
		return 0, fmt.Errorf("EnsureLayerIndexes: %w", err)
	}
	// One connection, without the pool's statement timeout: building an
	// index over a million rows may take longer, and harms nobody meanwhile.
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("EnsureLayerIndexes: %w", Err(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return 0, fmt.Errorf("EnsureLayerIndexes: %w", Err(err))
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET statement_timeout") }()
	built := 0
	for _, l := range layers {
		for _, f := range IndexedFields(db.Spec(l.Kind)) {
			idx := FieldIndexName(l.Name, f.Name)
			var exists, valid, hasColumn bool
			err := conn.QueryRow(ctx, `SELECT
					EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = to_regclass($1)),
					coalesce((SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)), false),
					EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass($2) AND a.attname = $3 AND NOT a.attisdropped)`,
				"layers."+Ident(idx), Table(l.Name), f.Name).Scan(&exists, &valid, &hasColumn)
			if err != nil {
				return built, fmt.Errorf("EnsureLayerIndexes: layer %q: %w", l.Name, Err(err))
			}
			if !hasColumn || (exists && valid) {
				continue // a table of another catalogue's kind, or done
			}
			start := time.Now()
			if exists {
				if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS layers."+Ident(idx)); err != nil {
					return built, fmt.Errorf("EnsureLayerIndexes: layer %q: drop invalid index %s: %w", l.Name, idx, Err(err))
				}
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s)", Ident(idx), Table(l.Name), Ident(f.Name))); err != nil {
				if land.KindOf(Err(err)) == land.NotFound {
					continue // the layer went away meanwhile
				}
				return built, fmt.Errorf("EnsureLayerIndexes: layer %q field %q: %w", l.Name, f.Name, Err(err))
			}
			built++
			db.Log.Info("indexed a layer field", "layer", l.Name, "field", f.Name, "index", idx, "ms", time.Since(start).Milliseconds())
		}
	}
	return built, nil
}
