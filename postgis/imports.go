package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// ImportFilter selects records of the import history.
type ImportFilter struct {
	Layer  string // when set, only imports into this layer
	Limit  int    // at most this many (default 50, at most 1000), newest first
	Offset int
}

// CreateImport writes an import record through q (the import's transaction
// for a successful import, the pool for a failed one) and sets imp.ID.
func CreateImport(ctx context.Context, q Querier, imp *land.Import) error {
	files, err := json.Marshal(imp.Files)
	if err != nil {
		return fmt.Errorf("CreateImport: %w", err)
	}
	if imp.Files == nil {
		files = []byte("[]")
	}
	summary, err := json.Marshal(struct {
		land.ImportSummary
		Extra map[string]any `json:"extra,omitempty"`
	}{imp.Summary, imp.Extra})
	if err != nil {
		return fmt.Errorf("CreateImport: %w", err)
	}
	err = q.QueryRow(ctx, `INSERT INTO tudi.imports
		(layer, kind, mode, status, files, summary, username, error, started_at, finished_at, duration_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		imp.Layer, string(imp.Kind), imp.Mode, imp.Status, files, summary, imp.User, imp.Error,
		imp.StartedAt, imp.FinishedAt, imp.DurationMS).Scan(&imp.ID)
	if err != nil {
		return fmt.Errorf("CreateImport(%q): %w", imp.Layer, Err(err))
	}
	return nil
}

const importColumns = `id, layer, kind, mode, status, files, summary, username, error, started_at, finished_at, duration_ms`

func scanImport(row pgx.Row) (*land.Import, error) {
	var (
		imp            land.Import
		kind           string
		files, summary []byte
	)
	if err := row.Scan(&imp.ID, &imp.Layer, &kind, &imp.Mode, &imp.Status, &files, &summary, &imp.User, &imp.Error,
		&imp.StartedAt, &imp.FinishedAt, &imp.DurationMS); err != nil {
		return nil, err
	}
	imp.Kind = land.Kind(kind)
	if err := json.Unmarshal(files, &imp.Files); err != nil {
		return nil, fmt.Errorf("import %d: files: %w", imp.ID, err)
	}
	var s struct {
		land.ImportSummary
		Extra map[string]any `json:"extra"`
	}
	if err := json.Unmarshal(summary, &s); err != nil {
		return nil, fmt.Errorf("import %d: summary: %w", imp.ID, err)
	}
	imp.Summary, imp.Extra = s.ImportSummary, s.Extra
	return &imp, nil
}

// FindImport returns one record of the import history. Returns NotFound
// when there is none with that id.
func (db *DB) FindImport(ctx context.Context, id int64) (*land.Import, error) {
	imp, err := scanImport(db.Pool.QueryRow(ctx, `SELECT `+importColumns+` FROM tudi.imports WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, land.Errorf(land.NotFound, "import %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("FindImport(%d): %w", id, Err(err))
	}
	return imp, nil
}

// FindImports returns records of the import history, newest first.
func (db *DB) FindImports(ctx context.Context, f ImportFilter) ([]*land.Import, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1000)
	rows, err := db.Pool.Query(ctx, `SELECT `+importColumns+` FROM tudi.imports
		WHERE ($1 = '' OR layer = $1) ORDER BY id DESC LIMIT $2 OFFSET $3`, f.Layer, f.Limit, max(f.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("FindImports: %w", Err(err))
	}
	defer rows.Close()
	out := []*land.Import{}
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("FindImports: %w", err)
		}
		out = append(out, imp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("FindImports: %w", Err(err))
	}
	return out, nil
}

// SetLayerSource records in tx what a layer's features were loaded from:
// the source CRS and the source attribute names and types (kept in props).
func SetLayerSource(ctx context.Context, tx pgx.Tx, name string, srid int, fields []land.SourceField) error {
	b, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("SetLayerSource(%q): %w", name, err)
	}
	if fields == nil {
		b = []byte("[]")
	}
	if _, err := tx.Exec(ctx, `UPDATE tudi.layers SET source_srid = NULLIF($2, 0), source_fields = $3 WHERE name = $1`,
		name, srid, b); err != nil {
		return fmt.Errorf("SetLayerSource(%q): %w", name, Err(err))
	}
	return nil
}
