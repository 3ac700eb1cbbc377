package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ReadTx runs fn in a read-only transaction where reads of layers go (see
// DB.Reader: a fit replica, else the primary) and then rolls it back, for
// reads of several statements that must run on one connection (the
// reports). fn may only read: a replica refuses anything else. When the
// replica fails the transaction for a reason of its own — unreachable,
// shutting down, a recovery conflict — fn runs again from the start on the
// primary, so it must be safe to run twice; any other error is returned as
// it is.
func (db *DB) ReadTx(ctx context.Context, layers []string, fn func(tx pgx.Tx) error) error {
	pool, failed := db.Readers.pool(layers)
	if pool == nil {
		return readTx(ctx, db.Pool, fn)
	}
	err := readTx(ctx, pool, fn)
	if err != nil && failed(ctx, err) {
		return readTx(ctx, db.Pool, fn)
	}
	return err
}

func readTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(tx)
}
