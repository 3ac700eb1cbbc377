package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// The store's part of history imports (see docs/history.md and importers'
// history.go): the first history import of a layer swaps its table in like
// a replace and starts the history table from it (startHistory); later
// ones compare the file's rows with the current table (CompareHistory) and
// apply only the differences, set-based, in CommitImport's transaction
// (applyHistory): history rows of changed and removed features are closed
// at the effective date, their new states and the added features' are
// inserted, and the current table is updated in place (ids of unchanged
// and changed features kept), so tile caches lose only the tiles around
// what changed.

// HistoryPlan is what an incremental history import will apply.
type HistoryPlan struct {
	Diff    string // quoted working table of the differences
	Changes land.ImportChanges
	BBox    []float64 // lon/lat extent of the old and new geometries of what changes; nil: none
}

// CompareHistory compares the working table work (WorkTableDDL, plain)
// with the current table of layer by code into the new working table diff
// (quoted, in MetaSchema) and counts the differences: features added,
// changed and — full, a history import rather than an append — removed.
// Run it before CommitImport's transaction, while the caller's import lock
// keeps the current table as it is. loaded is the number of rows of work.
func CompareHistory(ctx context.Context, q Querier, layer, work, diff string, kind *land.KindSpec, full bool, d time.Time, loaded int64) (*HistoryPlan, error) {
	p := &HistoryPlan{Diff: diff, Changes: land.ImportChanges{EffectiveDate: d.Format(DateLayout)}}
	if _, err := q.Exec(ctx, diffSQL(diff, Table(work), Table(layer), kind, full)); err != nil {
		return nil, fmt.Errorf("compare with layer %q: %w", layer, Err(err))
	}
	if _, err := q.Exec(ctx, "ANALYZE "+diff); err != nil { // for the joins of applyHistory
		return nil, fmt.Errorf("compare with layer %q: %w", layer, Err(err))
	}
	var minx, miny, maxx, maxy *float64
	err := q.QueryRow(ctx, `WITH e AS (SELECT ST_Extent(b) AS e FROM (SELECT old_box FROM `+diff+` UNION ALL SELECT new_box FROM `+diff+`) q(b))
		SELECT count(*) FILTER (WHERE op = 'a'), count(*) FILTER (WHERE op = 'c'), count(*) FILTER (WHERE op = 'r'),
			ST_XMin((SELECT e FROM e)), ST_YMin((SELECT e FROM e)), ST_XMax((SELECT e FROM e)), ST_YMax((SELECT e FROM e))
		FROM `+diff).
		Scan(&p.Changes.Added, &p.Changes.Changed, &p.Changes.Removed, &minx, &miny, &maxx, &maxy)
	if err != nil {
		return nil, fmt.Errorf("compare with layer %q: %w", layer, Err(err))
	}
	// Every row of the working table is a feature of the file.
	p.Changes.Unchanged = loaded - p.Changes.Added - p.Changes.Changed
	if minx != nil && miny != nil && maxx != nil && maxy != nil {
		p.BBox = []float64{*minx, *miny, *maxx, *maxy}
	}
	return p, nil
}

// diffSQL returns the statement that compares a working table s with the
// current table c by code into the working table d: one row per feature
// added (a), changed (c) or removed (r) — removed only when full — with the
// ids on both sides and the extents of the old and new geometries. A
// feature is changed when any canonical column, props or the geometry
// differs (geometries compared exactly, vertex by vertex).
func diffSQL(d, s, c string, kind *land.KindSpec, full bool) string {
	var cols []string
	for _, f := range kind.Fields {
		if f.Name != "code" {
			cols = append(cols, Ident(f.Name))
		}
	}
	cols = append(cols, "props")
	sc, cc := make([]string, len(cols)), make([]string, len(cols))
	for i, col := range cols {
		sc[i], cc[i] = "s."+col, "c."+col
	}
	join, removed := "LEFT JOIN", ""
	if full {
		join, removed = "FULL JOIN", " WHEN s.id IS NULL THEN 'r'"
	}
	return fmt.Sprintf(`CREATE UNLOGGED TABLE %s AS
	SELECT CASE WHEN c.id IS NULL THEN 'a'%s ELSE 'c' END AS op, s.id AS sid, c.id AS cid,
		ST_Envelope(c.geom) AS old_box, ST_Envelope(s.geom) AS new_box
	FROM %s s %s %s c ON s.code = c.code
	WHERE s.id IS NULL OR c.id IS NULL OR (%s) IS DISTINCT FROM (%s) OR s.geom IS DISTINCT FROM c.geom`,
		d, removed, s, join, c, strings.Join(sc, ", "), strings.Join(cc, ", "))
}

// applyHistory applies a plan in tx, set-based: history rows of changed and
// removed features end at d (a row that began on d itself is replaced: the
// same day's later import wins), the current table loses the removed
// features, has the changed ones updated in place and gains the added ones,
// and the new states of changed and added features begin at d in history.
func applyHistory(ctx context.Context, tx pgx.Tx, layer string, kind *land.KindSpec, fresh string, p *HistoryPlan, d time.Time) error {
	cur, hist := Table(layer), HistoryTable(layer)
	var cols, set, sCols []string
	for _, f := range kind.Fields {
		c := Ident(f.Name)
		cols = append(cols, c)
		set = append(set, c+" = s."+c)
		sCols = append(sCols, "s."+c)
	}
	cols = append(cols, "props", "geom")
	set = append(set, "props = s.props", "geom = s.geom")
	sCols = append(sCols, "s.props", "s.geom")
	list, sList := strings.Join(cols, ", "), strings.Join(sCols, ", ")
	stmts := []string{
		`DELETE FROM ` + hist + ` h USING ` + p.Diff + ` d
			WHERE d.op <> 'a' AND h.id = d.cid AND h.valid_to IS NULL AND h.valid_from = $1`,
		`UPDATE ` + hist + ` h SET valid_to = $1 FROM ` + p.Diff + ` d
			WHERE d.op <> 'a' AND h.id = d.cid AND h.valid_to IS NULL`,
		`DELETE FROM ` + cur + ` c USING ` + p.Diff + ` d WHERE d.op = 'r' AND c.id = d.cid`,
		`WITH u AS (UPDATE ` + cur + ` c SET ` + strings.Join(set, ", ") + `
			FROM ` + p.Diff + ` d JOIN ` + fresh + ` s ON s.id = d.sid
			WHERE d.op = 'c' AND c.id = d.cid
			RETURNING c.id, ` + prefixedList("c.", cols) + `, c.area_m2)
		INSERT INTO ` + hist + ` (id, valid_from, ` + list + `, area_m2) SELECT id, $1, ` + list + `, area_m2 FROM u`,
		`WITH i AS (INSERT INTO ` + cur + ` (` + list + `)
			SELECT ` + sList + ` FROM ` + p.Diff + ` d JOIN ` + fresh + ` s ON s.id = d.sid WHERE d.op = 'a' ORDER BY s.id
			RETURNING id, ` + list + `, area_m2)
		INSERT INTO ` + hist + ` (id, valid_from, ` + list + `, area_m2) SELECT id, $1, ` + list + `, area_m2 FROM i`,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s, withDate(s, d)...); err != nil {
			return fmt.Errorf("apply the changes to layer %q: %w", layer, Err(err))
		}
	}
	return setHistoryDates(ctx, tx, layer, d)
}

// startHistory creates the history table of a layer in tx from its current
// table (just swapped in by the first history import): every feature's
// state begins at d.
func startHistory(ctx context.Context, tx pgx.Tx, layer string, kind *land.KindSpec, d time.Time) error {
	var cols []string
	for _, f := range kind.Fields {
		cols = append(cols, Ident(f.Name))
	}
	cols = append(cols, "props", "geom", "area_m2")
	list := strings.Join(cols, ", ")
	stmts := []string{
		"DROP TABLE IF EXISTS " + HistoryTable(layer),
		HistoryDDL(layer, kind),
		`INSERT INTO ` + HistoryTable(layer) + ` (id, valid_from, ` + list + `) SELECT id, $1::date, ` + list + ` FROM ` + Table(layer) + ` ORDER BY id`,
	}
	stmts = append(stmts, HistoryIndexDDL(layer)...)
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s, withDate(s, d)...); err != nil {
			return fmt.Errorf("start the history of layer %q: %w", layer, Err(err))
		}
	}
	return setHistoryDates(ctx, tx, layer, d)
}

func setHistoryDates(ctx context.Context, tx pgx.Tx, layer string, d time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO tudi.layer_history (layer, first_date, last_date) VALUES ($1, $2, $2)
		ON CONFLICT (layer) DO UPDATE SET last_date = greatest(tudi.layer_history.last_date, $2)`, layer, d); err != nil {
		return fmt.Errorf("history of layer %q: %w", layer, Err(err))
	}
	return nil
}

// withDate returns the arguments of a statement that may use the
// effective date as $1.
func withDate(stmt string, d time.Time) []any {
	if strings.Contains(stmt, "$1") {
		return []any{d}
	}
	return nil
}

func prefixedList(prefix string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + c
	}
	return strings.Join(out, ", ")
}
