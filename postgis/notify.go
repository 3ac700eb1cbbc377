package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangesChannel is the LISTEN/NOTIFY channel on which every change of a
// layer's features is announced. NOTIFY is transactional: listeners hear of
// a change only once the transaction that made it has committed.
const ChangesChannel = "tudi_changes"

// Change announces that a layer's features changed.
type Change struct {
	Layer   string    `json:"layer"`
	Version int64     `json:"version"` // the layer's registry version after the change
	BBox    []float64 `json:"bbox"`    // lon/lat extent touched (union of old and new), nil: everything
}

// NotifyChange announces c in tx; listeners receive it when tx commits.
func NotifyChange(ctx context.Context, tx pgx.Tx, c Change) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("NotifyChange: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChangesChannel, string(b)); err != nil {
		return fmt.Errorf("NotifyChange: %w", Err(err))
	}
	return nil
}

// ListenChanges calls fn for every Change announced until ctx is done,
// reconnecting after connection failures. onConnect, if not nil, is called
// after each (re)connection, before listening: a reconnect may have missed
// notifications, so a cache should drop what it cannot verify.
func (db *DB) ListenChanges(ctx context.Context, fn func(Change), onConnect func()) error {
	for {
		err := db.listenOnce(ctx, fn, onConnect)
		if ctx.Err() != nil {
			return nil
		}
		db.Log.Warn("change listener lost its connection; reconnecting", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, fn func(Change), onConnect func()) error {
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is left in LISTEN state: never return it to the pool.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Ident(ChangesChannel)); err != nil {
		return err
	}
	if onConnect != nil {
		onConnect()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var c Change
		if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
			db.Log.Warn("bad change notification", "payload", n.Payload, "error", err)
			continue
		}
		fn(c)
	}
}
