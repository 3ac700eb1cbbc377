package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"tudi/land"
)

// Apply is how the staged rows of an import become the layer's.
type Apply int

const (
	// ApplySwap puts the working table in the place of the layer's table
	// (a new layer is created first).
	ApplySwap Apply = iota + 1
	// ApplySwapStartHistory is ApplySwap, and the layer starts keeping
	// history: every feature's state begins at Staged.Effective.
	ApplySwapStartHistory
	// ApplyAppend adds the rows of Staged.Rows to the layer's table.
	ApplyAppend
	// ApplyChanges applies Staged.Plan (see CompareHistory) to the layer's
	// table and its history at Staged.Effective.
	ApplyChanges
)

// Staged is an import read, mapped, validated and loaded into working
// tables, waiting for CommitImport to make it the layer's.
type Staged struct {
	Layer string
	Kind  land.Kind // a new layer's; an existing layer must still be of it
	Title string    // a new layer's title; "": the kind's title (the name for generic)
	Apply Apply
	// Work is the working table in LayerSchema: of the layer's shape and
	// indexed (WorkTableDDL, LayerIndexDDL under this name) for ApplySwap
	// and ApplySwapStartHistory, plain for ApplyChanges.
	Work string
	// Rows (ApplyAppend) are SELECT statements, each yielding the kind's
	// canonical columns, props and geom (EPSG:4490), in that order.
	Rows []string
	// Plan (ApplyChanges) is the comparison of Work with the layer.
	Plan *HistoryPlan
	// Effective is the effective date of a history import.
	Effective time.Time
	// SourceSRID and SourceFields describe the source for the registry;
	// an append adds its fields to the layer's.
	SourceSRID   int
	SourceFields []land.SourceField
}

// Committed is what CommitImport tells the import record before it is
// written.
type Committed struct {
	Layer        *land.Layer        // the registry entry after the change
	Appended     int64              // ApplyAppend: the rows added
	SourceFields []land.SourceField // as recorded in the registry
}

// CommitImport makes a staged import the layer's in one transaction on
// conn (not in a transaction; it may hold the caller's session locks): it
// locks the layer's registry entry, swaps the working table in, appends the
// rows or applies the history changes, refreshes the registry entry (its
// version, count, extent) unless nothing changed, records the source,
// writes the import record that record returns (called in the transaction
// once the layer has changed) and announces the change — the union of the
// old and new extents, or the extent of what changed — before it commits.
// The change runs under a fence (see Fence), so no tile server answers
// from the old registry once it has committed. On any error the layer is
// exactly as it was. It returns the layer's new registry entry.
func (db *DB) CommitImport(ctx context.Context, conn *pgx.Conn, st *Staged, record func(Committed) *land.Import) (*land.Layer, error) {
	lift, err := db.Fence(ctx, conn, st.Layer)
	if err != nil {
		return nil, err
	}
	defer lift()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, Err(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	old, err := lockLayer(ctx, tx, st.Layer)
	if err != nil {
		return nil, err
	}
	spec := db.Spec(st.Kind)
	var c Committed
	switch st.Apply {
	case ApplyAppend:
		if old == nil || old.Kind != st.Kind {
			return nil, land.Errorf(land.Conflict, "layer %q changed during the import", st.Layer)
		}
		if c.Appended, err = appendRows(ctx, tx, st.Layer, spec, st.Rows); err != nil {
			return nil, err
		}
	case ApplyChanges:
		if old == nil || old.Kind != st.Kind {
			return nil, land.Errorf(land.Conflict, "layer %q changed during the import", st.Layer)
		}
		if err := applyHistory(ctx, tx, st.Layer, spec, Table(st.Work), st.Plan, st.Effective); err != nil {
			return nil, err
		}
	case ApplySwap, ApplySwapStartHistory:
		// Once committed, the working table has the layer's name, and the
		// caller's DROP of the working name finds nothing.
		if err := swap(ctx, tx, st, spec, old); err != nil {
			return nil, err
		}
		if st.Apply == ApplySwapStartHistory {
			if err := startHistory(ctx, tx, st.Layer, spec, st.Effective); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("commit import into %q: unknown way to apply (%d)", st.Layer, st.Apply)
	}
	// Nothing changed: same version, no notification, every cached tile stays.
	unchanged := st.Apply == ApplyChanges && st.Plan.Changes.Added+st.Plan.Changes.Changed+st.Plan.Changes.Removed == 0
	if unchanged {
		c.Layer, err = FindLayerIn(ctx, tx, st.Layer)
	} else {
		c.Layer, err = RefreshLayer(ctx, tx, st.Layer)
	}
	if err != nil {
		return nil, err
	}
	c.SourceFields = st.SourceFields
	if st.Apply == ApplyAppend {
		c.SourceFields = mergeFields(old.SourceFields, st.SourceFields)
	}
	if err := SetLayerSource(ctx, tx, st.Layer, st.SourceSRID, c.SourceFields); err != nil {
		return nil, err
	}
	c.Layer.SourceSRID, c.Layer.SourceFields = st.SourceSRID, c.SourceFields
	if err := CreateImport(ctx, tx, record(c)); err != nil {
		return nil, err
	}
	if !unchanged {
		var oldExtent *orb.Bound
		if old != nil {
			oldExtent = old.Extent
		}
		bbox := unionBBox(oldExtent, c.Layer.Extent)
		if st.Apply == ApplyChanges {
			bbox = st.Plan.BBox // only the tiles around what changed
		}
		if err := NotifyChange(ctx, tx, Change{Layer: st.Layer, Version: c.Layer.Version, BBox: bbox}); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit import into %q: %w", st.Layer, Err(err))
	}
	return c.Layer, nil
}

// WorkTableDDL returns the statement that creates the working table of an
// import into a layer of kind: the layer's table without its indexes
// (LayerIndexDDL builds them once it is loaded), or, plain, for the
// comparison of an incremental history import, an unlogged table of the
// layer's columns without the generated ones and without indexes but the
// primary key (its rows are compared and copied, never served).
func WorkTableDDL(work string, kind *land.KindSpec, plain bool) string {
	if !plain {
		return LayerDDL(work, kind)[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE UNLOGGED TABLE %s (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", Table(work))
	for _, f := range kind.Fields {
		fmt.Fprintf(&b, ", %s %s", Ident(f.Name), f.Type.SQLType())
	}
	b.WriteString(", props jsonb NOT NULL DEFAULT '{}', geom geometry(Geometry, 4490))")
	return b.String()
}

// swap puts the working table in the layer's place in tx: the old table is
// dropped and the working one takes its name, its index names and its
// sequence name, so that it looks exactly as LayerDDL makes it. A new
// layer is first created with CreateLayerSpec (registry entry and table),
// whose empty table is swapped out the same way. From the DROP to the
// commit the layer is locked, for the time of a few catalog updates.
func swap(ctx context.Context, tx pgx.Tx, st *Staged, spec *land.KindSpec, old *land.Layer) error {
	name, work := st.Layer, st.Work
	if old == nil {
		title := st.Title
		if title == "" {
			title = spec.Title
			if st.Kind == land.Generic {
				title = name
			}
		}
		if err := CreateLayerSpec(ctx, tx, &land.Layer{Name: name, Kind: st.Kind, Title: title}, spec); err != nil {
			return err
		}
	} else if old.Kind != st.Kind {
		return land.Errorf(land.Conflict, "layer %q changed kind during the import", name)
	}
	stmts := []string{
		"DROP TABLE " + Table(name),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", Table(work), Ident(name)),
		fmt.Sprintf("ALTER SEQUENCE %s RENAME TO %s", pgx.Identifier{LayerSchema, work + "_id_seq"}.Sanitize(), Ident(name+"_id_seq")),
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("swap layer %q: %w", name, Err(err))
		}
	}
	rows, err := tx.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`, LayerSchema, name)
	if err != nil {
		return fmt.Errorf("swap layer %q: %w", name, Err(err))
	}
	idx, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("swap layer %q: %w", name, Err(err))
	}
	for _, i := range idx {
		suffix, ok := strings.CutPrefix(i, work)
		if !ok {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER INDEX %s RENAME TO %s",
			pgx.Identifier{LayerSchema, i}.Sanitize(), Ident(name+suffix))); err != nil {
			return fmt.Errorf("swap layer %q: %w", name, Err(err))
		}
	}
	return nil
}

// appendRows inserts the rows of each SELECT into the layer's table in tx.
func appendRows(ctx context.Context, tx pgx.Tx, layer string, spec *land.KindSpec, selects []string) (int64, error) {
	var cols []string
	for _, f := range spec.Fields {
		cols = append(cols, Ident(f.Name))
	}
	cols = append(cols, "props", "geom")
	insert := "INSERT INTO " + Table(layer) + " (" + strings.Join(cols, ", ") + ") "
	var total int64
	for _, s := range selects {
		tag, err := tx.Exec(ctx, insert+s)
		if err != nil {
			return 0, fmt.Errorf("append to layer %q: %w", layer, Err(err))
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

func mergeFields(a, b []land.SourceField) []land.SourceField {
	out := append([]land.SourceField(nil), a...)
	for _, f := range b {
		found := false
		for _, g := range out {
			if g.Name == f.Name {
				found = true
				break
			}
		}
		if !found {
			out = append(out, f)
		}
	}
	return out
}

func unionBBox(a, b *orb.Bound) []float64 {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		a = b
	case b != nil:
		u := a.Union(*b)
		a = &u
	}
	return []float64{a.Min[0], a.Min[1], a.Max[0], a.Max[1]}
}
