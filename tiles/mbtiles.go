package tiles

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// mbtilesWriter writes an MBTiles 1.3 file: a SQLite database with a
// metadata table and a tiles table in the TMS scheme (rows counted from the
// south), tile_data gzip-compressed MVT as the spec asks for format pbf.
type mbtilesWriter struct {
	ctx context.Context
	db  *sql.DB
	tx  *sql.Tx
	ins *sql.Stmt
}

func newMBTiles(ctx context.Context, path string) (*mbtilesWriter, error) {
	_ = os.Remove(path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		`PRAGMA journal_mode = OFF`,
		`PRAGMA synchronous = OFF`,
		`CREATE TABLE metadata (name text, value text)`,
		`CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`)
	if err != nil {
		_ = tx.Rollback()
		db.Close()
		return nil, err
	}
	return &mbtilesWriter{ctx: ctx, db: db, tx: tx, ins: ins}, nil
}

func (m *mbtilesWriter) put(t Tile, gz []byte) error {
	tmsY := (1 << t.Z) - 1 - t.Y
	_, err := m.ins.ExecContext(m.ctx, t.Z, t.X, tmsY, gz)
	return err
}

func (m *mbtilesWriter) finish(meta exportMeta) error {
	defer m.db.Close()
	js, err := metadataJSON(meta)
	if err != nil {
		return err
	}
	rows := [][2]string{
		{"name", meta.Name},
		{"description", meta.Description},
		{"format", "pbf"},
		{"type", "overlay"},
		{"version", "1"},
		{"scheme", "tms"},
		{"minzoom", fmt.Sprint(meta.MinZoom)},
		{"maxzoom", fmt.Sprint(meta.MaxZoom)},
		{"bounds", fmt.Sprintf("%g,%g,%g,%g", meta.Bounds[0], meta.Bounds[1], meta.Bounds[2], meta.Bounds[3])},
		{"center", fmt.Sprintf("%g,%g,%g", meta.Center[0], meta.Center[1], meta.Center[2])},
		{"attribution", "tudi"},
		{"json", string(js)},
	}
	for _, r := range rows {
		if _, err := m.tx.ExecContext(m.ctx, `INSERT INTO metadata (name, value) VALUES (?, ?)`, r[0], r[1]); err != nil {
			return err
		}
	}
	if _, err := m.tx.ExecContext(m.ctx, `CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)`); err != nil {
		return err
	}
	if err := m.tx.Commit(); err != nil {
		return err
	}
	return nil
}

func (m *mbtilesWriter) abort() {
	_ = m.tx.Rollback()
	m.db.Close()
}
