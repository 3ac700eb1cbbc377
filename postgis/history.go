package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// HistorySchema holds one table per layer that keeps history (see
// migrations/0004_history.sql).
const HistorySchema = "history"

// DateLayout is the form of effective dates and as-of dates.
const DateLayout = "2006-01-02"

// HistoryTable returns the quoted, schema-qualified history table of a
// layer. The name must come from the registry or have passed
// land.ValidateLayerName.
func HistoryTable(layer string) string {
	return pgx.Identifier{HistorySchema, layer}.Sanitize()
}

// HasCode reports whether layers of kind k have a code field, which
// history needs to follow a feature from one import to the next.
func HasCode(k *land.KindSpec) bool {
	_, ok := k.Field("code")
	return ok && k.Kind != land.Generic
}

// HistoryDDL returns the statement that creates the history table of a
// layer of the given kind: the feature's id in the current table, the
// interval [valid_from, valid_to) of effective dates in which the row was the
// feature's state (valid_to NULL: current), the kind's canonical columns,
// props, geom and the area (copied from the current table, which computes
// it). Indexes: HistoryIndexDDL.
func HistoryDDL(layer string, kind *land.KindSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n\tid bigint NOT NULL,\n\tvalid_from date NOT NULL,\n\tvalid_to date", HistoryTable(layer))
	for _, f := range kind.Fields {
		fmt.Fprintf(&b, ",\n\t%s %s", Ident(f.Name), f.Type.SQLType())
	}
	b.WriteString(`,
	props jsonb NOT NULL DEFAULT '{}',
	geom geometry(Geometry, 4490),
	area_m2 double precision,
	CHECK (valid_to IS NULL OR valid_to > valid_from)
)`)
	return b.String()
}

// HistoryIndexDDL returns the index statements of a history table: by
// feature and date (closing a feature's current row, reading one feature's
// past), by code, and spatial (as-of identify and bbox queries).
func HistoryIndexDDL(layer string) []string {
	t := HistoryTable(layer)
	return []string{
		fmt.Sprintf("CREATE INDEX %s ON %s (id, valid_from)", Ident(layer+"_id_idx"), t),
		fmt.Sprintf("CREATE INDEX %s ON %s (code)", Ident(layer+"_code_idx"), t),
		fmt.Sprintf("CREATE INDEX %s ON %s USING gist (geom)", Ident(layer+"_geom_idx"), t),
	}
}

// LayerHistory is what the registry of histories says about one layer.
type LayerHistory struct {
	Layer string    `json:"layer"`
	First time.Time `json:"first_date"` // effective date of the first history import
	Last  time.Time `json:"last_date"`  // of the latest one
}

// FindLayerHistory returns the history entry of a layer through q, or nil
// when the layer keeps no history.
func FindLayerHistory(ctx context.Context, q Querier, name string) (*LayerHistory, error) {
	h := LayerHistory{Layer: name}
	err := q.QueryRow(ctx, `SELECT first_date, last_date FROM tudi.layer_history WHERE layer = $1`, name).Scan(&h.First, &h.Last)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history of layer %q: %w", name, Err(err))
	}
	return &h, nil
}

// LayerHistories returns the history entries of every layer that keeps one,
// by layer name.
func (db *DB) LayerHistories(ctx context.Context) (map[string]LayerHistory, error) {
	rows, err := db.Pool.Query(ctx, `SELECT layer, first_date, last_date FROM tudi.layer_history`)
	if err != nil {
		return nil, fmt.Errorf("LayerHistories: %w", Err(err))
	}
	defer rows.Close()
	out := map[string]LayerHistory{}
	for rows.Next() {
		var h LayerHistory
		if err := rows.Scan(&h.Layer, &h.First, &h.Last); err != nil {
			return nil, fmt.Errorf("LayerHistories: %w", err)
		}
		out[h.Layer] = h
	}
	return out, Err(rows.Err())
}

// dateLiteral returns d as a SQL date literal. It is built from a
// time.Time, never from input text, so it can be spliced into a view
// (which cannot take bind parameters).
func dateLiteral(d time.Time) string {
	return "'" + d.Format(DateLayout) + "'::date"
}

// AsOfSelect returns a SELECT of a layer's state on date d, read from its
// history table, with the columns of the layer's current table (id, the
// kind's canonical columns, props, geom, geom_3857, area_m2) so that SQL
// written for the current table runs on it unchanged. geom_3857 is computed
// only when a query uses it. Before the layer's first effective date it has
// no rows.
func AsOfSelect(layer string, kind *land.KindSpec, d time.Time) string {
	var b strings.Builder
	b.WriteString("SELECT h.id")
	for _, f := range kind.Fields {
		b.WriteString(", h." + Ident(f.Name))
	}
	lit := dateLiteral(d)
	fmt.Fprintf(&b, ", h.props, h.geom, ST_Transform(h.geom, 3857) AS geom_3857, h.area_m2 FROM %s h WHERE h.valid_from <= %s AND (h.valid_to IS NULL OR h.valid_to > %s)",
		HistoryTable(layer), lit, lit)
	return b.String()
}

// AsOfTable returns AsOfSelect in parentheses, to stand where a query names
// the layer's table (FROM … t).
func AsOfTable(layer string, kind *land.KindSpec, d time.Time) string {
	return "(" + AsOfSelect(layer, kind, d) + ")"
}

// ShadowAsOf makes, inside tx, the given layers read as their state on date
// d: for each a temporary view named like the layer (pg_temp."<name>").
// Roll tx back when done, as report transactions are: the views vanish with
// it (a commit would leave them on the pooled connection). pg_temp comes first in every
// search path, so SQL that reads a layer by its plain name under
// `SET search_path = layers, public` runs unchanged as of d; SQL that names
// layers."<name>" is not affected. Returns NotFound for an unknown layer and
// Invalid for one that keeps no history. The layers' kinds are resolved in
// kinds (nil: the embedded catalogue).
func ShadowAsOf(ctx context.Context, tx pgx.Tx, kinds *land.Catalog, d time.Time, layers ...string) error {
	for _, name := range layers {
		var kind string
		err := tx.QueryRow(ctx, `SELECT l.kind FROM tudi.layers l JOIN tudi.layer_history h ON h.layer = l.name WHERE l.name = $1`, name).Scan(&kind)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tudi.layers WHERE name = $1)`, name).Scan(&exists); err != nil {
				return fmt.Errorf("as of %s: layer %q: %w", d.Format(DateLayout), name, Err(err))
			}
			if !exists {
				return land.Errorf(land.NotFound, "layer %q not found", name)
			}
			return NoHistoryError(name)
		}
		if err != nil {
			return fmt.Errorf("as of %s: layer %q: %w", d.Format(DateLayout), name, Err(err))
		}
		if _, err := tx.Exec(ctx, "CREATE TEMP VIEW "+Ident(name)+" AS "+AsOfSelect(name, kinds.Spec(land.Kind(kind)), d)); err != nil {
			return fmt.Errorf("as of %s: layer %q: %w", d.Format(DateLayout), name, Err(err))
		}
	}
	return nil
}

// NoHistoryError is the Invalid error for a past state asked of a layer
// that keeps no history.
func NoHistoryError(layer string) error {
	return land.Errorf(land.Invalid, "as_of: layer %q keeps no history (it was imported in replace or append mode), so its past states are unknown", layer)
}

// HistoryEntry is one history import of a layer: its effective date and
// what it changed.
type HistoryEntry struct {
	ImportID   int64              `json:"import_id"`
	Mode       string             `json:"mode"` // history, or append (an upsert by code)
	FinishedAt time.Time          `json:"finished_at"`
	User       string             `json:"user"`
	Files      []string           `json:"files"`
	Changes    land.ImportChanges `json:"changes"`
}

// FindLayerChanges returns the successful history imports of a layer
// (appends into it included), in the order they were made. Returns NotFound for an unknown layer.
func (db *DB) FindLayerChanges(ctx context.Context, name string) ([]HistoryEntry, error) {
	if _, err := db.FindLayer(ctx, name); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT id, mode, finished_at, username,
			coalesce((SELECT array_agg(f->>'name') FROM jsonb_array_elements(files) f), '{}'),
			summary->'changes'
		FROM tudi.imports WHERE layer = $1 AND status = 'ok' AND summary ? 'changes'
		ORDER BY id`, name)
	if err != nil {
		return nil, fmt.Errorf("FindLayerChanges(%q): %w", name, Err(err))
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var (
			e       HistoryEntry
			changes []byte
		)
		if err := rows.Scan(&e.ImportID, &e.Mode, &e.FinishedAt, &e.User, &e.Files, &changes); err != nil {
			return nil, fmt.Errorf("FindLayerChanges(%q): %w", name, err)
		}
		if err := json.Unmarshal(changes, &e.Changes); err != nil {
			return nil, fmt.Errorf("FindLayerChanges(%q): import %d: %w", name, e.ImportID, err)
		}
		out = append(out, e)
	}
	return out, Err(rows.Err())
}

// DiffFeature is one feature that differs between two dates.
type DiffFeature struct {
	Code    string          `json:"code"`
	Change  string          `json:"change"`            // added, removed or changed
	Changed []string        `json:"changed,omitempty"` // changed: canonical fields, props.KEY, geom
	ID      int64           `json:"id"`                // in the current table (the later state's, or the removed one's)
	Before  json.RawMessage `json:"before,omitempty"`  // canonical fields on the earlier date (changed, removed)
	After   json.RawMessage `json:"after,omitempty"`   // canonical fields on the later date (added, changed)
	// Geometry is GeoJSON (lon/lat): the later state's, or the removed
	// feature's last one.
	Geometry json.RawMessage `json:"geometry"`
}

// DiffCounts counts what a diff found.
type DiffCounts struct {
	Added   int64 `json:"added"`
	Removed int64 `json:"removed"`
	Changed int64 `json:"changed"`
}

// DiffLayer compares a layer's states on dates from and to (from before
// to), by code, and calls fn for each feature added, removed or changed,
// in the order of their codes. Only features with a history row starting or
// ending in (from, to] are compared, so the cost follows the changes, not
// the layer. Returns NotFound for an unknown layer, Invalid for one without
// history or dates out of order.
func (db *DB) DiffLayer(ctx context.Context, name string, from, to time.Time, fn func(DiffFeature) error) (DiffCounts, error) {
	var counts DiffCounts
	l, err := db.FindLayer(ctx, name)
	if err != nil {
		return counts, err
	}
	if h, err := FindLayerHistory(ctx, db.Pool, name); err != nil {
		return counts, err
	} else if h == nil {
		return counts, NoHistoryError(name)
	}
	if to.Before(from) {
		return counts, land.Errorf(land.Invalid, "from: %s is after to: %s", from.Format(DateLayout), to.Format(DateLayout))
	}
	fields := db.Spec(l.Kind).Fields
	var changed, distinct []string
	for _, f := range fields {
		if f.Name == "code" {
			continue
		}
		c := Ident(f.Name)
		changed = append(changed, fmt.Sprintf("CASE WHEN a.%s IS DISTINCT FROM b.%s THEN '%s' END", c, c, f.Name))
		distinct = append(distinct, "a."+c+" IS DISTINCT FROM b."+c)
	}
	// Keys of props that differ, as props.KEY; then the geometry.
	changed = append(changed, `CASE WHEN a.geom IS DISTINCT FROM b.geom THEN 'geom' END`)
	distinct = append(distinct, "a.props IS DISTINCT FROM b.props", "a.geom IS DISTINCT FROM b.geom")
	obj := func(alias string) string {
		var b strings.Builder
		b.WriteString("CASE WHEN " + alias + ".code IS NOT NULL THEN json_build_object(")
		for i, f := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "'%s', %s.%s", f.Name, alias, Ident(f.Name))
		}
		b.WriteString(")::text END")
		return b.String()
	}
	t := HistoryTable(name)
	q := `WITH touched AS (
		SELECT DISTINCT code FROM ` + t + `
		WHERE (valid_from > $1 AND valid_from <= $2) OR (valid_to > $1 AND valid_to <= $2)),
	a AS (SELECT h.* FROM ` + t + ` h JOIN touched USING (code) WHERE h.valid_from <= $1 AND (h.valid_to IS NULL OR h.valid_to > $1)),
	b AS (SELECT h.* FROM ` + t + ` h JOIN touched USING (code) WHERE h.valid_from <= $2 AND (h.valid_to IS NULL OR h.valid_to > $2))
	SELECT coalesce(b.code, a.code),
		CASE WHEN a.code IS NULL THEN 'added' WHEN b.code IS NULL THEN 'removed' ELSE 'changed' END,
		CASE WHEN a.code IS NOT NULL AND b.code IS NOT NULL THEN
			array_remove(ARRAY[` + strings.Join(changed[:len(changed)-1], ", ") + `], NULL) ||
			coalesce((SELECT array_agg('props.' || k ORDER BY k) FROM
				(SELECT jsonb_object_keys(a.props) UNION SELECT jsonb_object_keys(b.props)) ks(k)
				WHERE a.props -> k IS DISTINCT FROM b.props -> k), '{}') ||
			array_remove(ARRAY[` + changed[len(changed)-1] + `], NULL)
		END,
		coalesce(b.id, a.id), ` + obj("a") + `, ` + obj("b") + `,
		ST_AsGeoJSON(coalesce(b.geom, a.geom), 9, 0)
	FROM a FULL JOIN b ON a.code = b.code
	WHERE a.code IS NULL OR b.code IS NULL OR ` + strings.Join(distinct, " OR ") + `
	ORDER BY 1`
	rows, err := db.Pool.Query(ctx, q, from, to)
	if err != nil {
		return counts, fmt.Errorf("diff of layer %q: %w", name, Err(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return counts, Err(err)
		}
		var (
			f             DiffFeature
			before, after *string
			geom          *string
		)
		if err := rows.Scan(&f.Code, &f.Change, &f.Changed, &f.ID, &before, &after, &geom); err != nil {
			return counts, fmt.Errorf("diff of layer %q: %w", name, err)
		}
		if before != nil {
			f.Before = json.RawMessage(*before)
		}
		if after != nil {
			f.After = json.RawMessage(*after)
		}
		f.Geometry = raw(geom)
		switch f.Change {
		case "added":
			counts.Added++
		case "removed":
			counts.Removed++
		default:
			counts.Changed++
		}
		if err := fn(f); err != nil {
			return counts, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return counts, fmt.Errorf("diff of layer %q: %w", name, Err(err))
	}
	return counts, nil
}

// HistoryLayers returns the layers of ls that keep history, for a question
// about a past date. With strict (the layers were named by the user), a
// layer without history is an Invalid error naming it instead.
func (db *DB) HistoryLayers(ctx context.Context, ls []*land.Layer, strict bool) ([]*land.Layer, error) {
	hs, err := db.LayerHistories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*land.Layer, 0, len(ls))
	for _, l := range ls {
		if _, ok := hs[l.Name]; ok {
			out = append(out, l)
		} else if strict {
			return nil, NoHistoryError(l.Name)
		}
	}
	return out, nil
}

// GeoJSON returns f as a GeoJSON feature: the later state's fields (the
// removed feature's last ones), the change, the changed fields (comma-
// separated, for desktop GIS) and, for a changed feature, the earlier
// state's fields as "before".
func (f DiffFeature) GeoJSON() map[string]any {
	props := map[string]any{}
	state := f.After
	if f.Change == "removed" {
		state = f.Before
	}
	_ = json.Unmarshal(state, &props)
	props["change"] = f.Change
	props["changed_fields"] = strings.Join(f.Changed, ",")
	if f.Change == "changed" && len(f.Before) > 0 {
		props["before"] = f.Before
	}
	return map[string]any{"type": "Feature", "id": f.ID, "geometry": f.Geometry, "properties": props}
}

// LayerSource returns what a query names to read a layer: its table, or,
// with asOf, its state on that date from its history (AsOfTable), after
// checking through q that it keeps one (NoHistoryError otherwise). Report
// SQL that maps a kind's name onto a layer can use it as
// `CREATE TEMP VIEW <kind> AS SELECT * FROM <source>`.
func LayerSource(ctx context.Context, q Querier, name string, kind *land.KindSpec, asOf *time.Time) (string, error) {
	if asOf == nil {
		return Table(name), nil
	}
	h, err := FindLayerHistory(ctx, q, name)
	if err != nil {
		return "", err
	}
	if h == nil {
		return "", NoHistoryError(name)
	}
	return AsOfTable(name, kind, *asOf), nil
}
