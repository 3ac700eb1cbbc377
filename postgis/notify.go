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

// Listener receives what a change listener hears; every func may be nil.
// They are called one at a time, from the listening goroutine.
type Listener struct {
	// Synced is called after each (re)connection, once listening, with the
	// fences standing then (token → layers): changes may have been missed
	// while disconnected, so a cache should drop what it cannot verify. q is
	// the listener's connection, for reads that must not wait for the pool.
	Synced func(q Querier, fences map[string][]string)
	// Lost is called when the connection is lost, before reconnecting.
	Lost func(err error)
	// Fenced is called for each fence announced (see Fence); the fence is
	// acknowledged once it returns.
	Fenced func(token string, layers []string)
	// Lifted is called when a fence is lifted; q is the listener's
	// connection.
	Lifted func(q Querier, token string)
	// Changed is called for each committed change.
	Changed func(Change)
}

// Listen hears layer changes and fences until ctx is done, reconnecting
// after connection failures. While connected it holds the listeners'
// advisory lock, so writers' fences wait for its acknowledgements.
func (db *DB) Listen(ctx context.Context, l Listener) error {
	for {
		err := db.listenOnce(ctx, l)
		if l.Lost != nil {
			l.Lost(err)
		}
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

func (db *DB) listenOnce(ctx context.Context, l Listener) error {
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is left in LISTEN state holding a session lock: never
	// return it to the pool.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{
		fmt.Sprintf("SELECT pg_advisory_lock_shared(%d, %d)", listenerLockClass, listenerLockObj),
		"LISTEN " + Ident(ChangesChannel),
		"LISTEN " + Ident(FencesChannel),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	// Fences announced from now on arrive as notifications; those announced
	// before are in the table.
	fences, err := liveFences(ctx, conn)
	if err != nil {
		return err
	}
	if db.Readers != nil {
		// After the fences: a change committed without a fence seen here
		// ended before this position.
		floor, err := insertLSN(ctx, conn)
		if err != nil {
			return err
		}
		db.Readers.listenSynced(fences, floor)
		defer db.Readers.listenLost()
	}
	db.listening.Store(true)
	defer db.listening.Store(false)
	if l.Synced != nil {
		l.Synced(conn, fences)
	}
	for token := range fences {
		if err := ack(ctx, conn, token); err != nil {
			return err
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case ChangesChannel:
			var c Change
			if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
				db.Log.Warn("bad change notification", "payload", n.Payload, "error", err)
				continue
			}
			if l.Changed != nil {
				l.Changed(c)
			}
		case FencesChannel:
			var f fenceMsg
			if err := json.Unmarshal([]byte(n.Payload), &f); err != nil || f.Token == "" {
				db.Log.Warn("bad fence notification", "payload", n.Payload, "error", err)
				continue
			}
			if f.Lifted {
				if db.Readers != nil {
					lsn := f.LSN
					if lsn == 0 { // a writer of an older version: now is after its commit
						if lsn, err = insertLSN(ctx, conn); err != nil {
							return err
						}
					}
					db.Readers.lifted(f.Token, lsn)
				}
				if l.Lifted != nil {
					l.Lifted(conn, f.Token)
				}
				continue
			}
			if db.Readers != nil {
				db.Readers.fence(f.Token, f.Layers)
			}
			if l.Fenced != nil {
				l.Fenced(f.Token, f.Layers)
			}
			if err := ack(ctx, conn, f.Token); err != nil {
				return err
			}
		}
	}
}

func ack(ctx context.Context, conn *pgx.Conn, token string) error {
	if _, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, fenceAcksChannel, token); err != nil {
		return fmt.Errorf("acknowledge fence: %w", Err(err))
	}
	return nil
}

// Listening reports whether Listen is connected and has synced: the
// process hears every change and fence.
func (db *DB) Listening() bool { return db.listening.Load() }
