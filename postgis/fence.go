package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// A fence makes a layer change safe for processes that keep the layer
// registry in memory (tile servers): the writer announces the change before
// it commits and waits until every listening process has acknowledged; a
// process that has acknowledged checks the registry in the database for
// those layers until the fence is lifted after the commit (or rollback). So
// no process answers from an outdated registry once the change is
// committed, while without a fence no request needs the database to know
// the layers' versions.
//
// Listening processes are the holders of a shared advisory lock taken by
// their listener connection (see Listen), so pg_locks lists exactly whom a
// fence waits for, and a listener that dies stops being waited for.
const (
	// FencesChannel carries fence announcements and lifts.
	FencesChannel = "tudi_fences"
	// fenceAcksChannel carries acknowledgements: the payload is the fence
	// token and the sender is the listener's backend.
	fenceAcksChannel = "tudi_fence_acks"
	// listenerLockClass and listenerLockObj are the two int4 keys of the
	// listeners' advisory lock ("tudi" in ASCII, 2).
	listenerLockClass = 0x74756469
	listenerLockObj   = 2
)

// DefaultFenceTimeout bounds how long a fence waits for acknowledgements
// when DB.FenceTimeout is zero. A listener that has not acknowledged by then
// (a hung process) has its listener connection terminated: it then checks
// every request in the database until it has reconnected and read the
// registry again.
const DefaultFenceTimeout = 5 * time.Second

// fenceTimeout returns db.FenceTimeout, or DefaultFenceTimeout when unset.
func (db *DB) fenceTimeout() time.Duration {
	if db.FenceTimeout > 0 {
		return db.FenceTimeout
	}
	return DefaultFenceTimeout
}

type fenceMsg struct {
	Token  string   `json:"token"`
	Layers []string `json:"layers,omitempty"`
	Lifted bool     `json:"lifted,omitempty"`
	// LSN (of a lift) is the writer's WAL insert position after its
	// transaction ended: a replica that has replayed it has the change.
	LSN int64 `json:"lsn,omitempty"`
}

// Fence announces on conn, the connection that will commit the change,
// that layers are about to change, and returns once every listening process
// has acknowledged. conn must not be in a transaction; begin the one that
// changes the layers after Fence and call lift once it has ended, committed
// or not. A fence stands until lifted or until conn's backend is gone (so a
// writer that dies leaves no fence behind, and a change it committed is seen
// by listeners that then read the registry); lift closes conn when it cannot
// lift the fence.
func (db *DB) Fence(ctx context.Context, conn *pgx.Conn, layers ...string) (lift func(), err error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("fence: %w", err)
	}
	token := hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "LISTEN "+Ident(fenceAcksChannel)); err != nil {
		return nil, fmt.Errorf("fence %v: %w", layers, Err(err))
	}
	msg, err := json.Marshal(fenceMsg{Token: token, Layers: layers})
	if err != nil {
		return nil, fmt.Errorf("fence %v: %w", layers, err)
	}
	// One statement, so the row and the announcement commit together; stale
	// fences of writers that went away are cleared on the way.
	if _, err := conn.Exec(ctx, `WITH gone AS (
			DELETE FROM tudi.fences f WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = f.pid)),
		ins AS (INSERT INTO tudi.fences (token, layers, pid) VALUES ($1, $2, pg_backend_pid()) RETURNING token)
		SELECT pg_notify($3, $4) FROM ins`, token, layers, FencesChannel, string(msg)); err != nil {
		return nil, fmt.Errorf("fence %v: %w", layers, Err(err))
	}
	lift = func() {
		db.liftFence(ctx, conn, token)
		if _, err := conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+Ident(fenceAcksChannel)); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}
	if err := db.awaitAcks(ctx, conn, token); err != nil {
		lift()
		return nil, fmt.Errorf("fence %v: %w", layers, err)
	}
	return lift, nil
}

func (db *DB) liftFence(ctx context.Context, conn *pgx.Conn, token string) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// The message carries the WAL position after the writer's commit (its
	// transaction has ended when the fence is lifted), for read replicas.
	if _, err := conn.Exec(lctx, `WITH d AS (DELETE FROM tudi.fences WHERE token = $1 RETURNING token)
		SELECT pg_notify($2, json_build_object('token', $1::text, 'lifted', true,
			'lsn', (pg_current_wal_insert_lsn() - '0/0')::int8)::text)`, token, FencesChannel); err != nil {
		// Listeners find the fence stale once this connection is gone.
		db.Log.Warn("cannot lift a change fence; listeners will drop it when its connection closes", "error", err)
		_ = conn.Close(lctx)
	}
}

// awaitAcks waits until every listener (holder of the listeners' lock) has
// acknowledged token, terminating the connections of those that have not
// within the fence timeout (see DefaultFenceTimeout).
func (db *DB) awaitAcks(ctx context.Context, conn *pgx.Conn, token string) error {
	deadline := time.Now().Add(db.fenceTimeout())
	acked := map[uint32]bool{}
	for {
		var holders []uint32
		rows, err := conn.Query(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2`, listenerLockClass, listenerLockObj)
		if err == nil {
			holders, err = pgx.CollectRows(rows, pgx.RowTo[uint32])
		}
		if err != nil {
			return fmt.Errorf("list listeners: %w", Err(err))
		}
		holders = slices.DeleteFunc(holders, func(pid uint32) bool { return acked[pid] })
		if len(holders) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range holders {
				db.Log.Warn("a change listener did not acknowledge a fence in time; terminating its connection", "pid", pid, "timeout", db.fenceTimeout())
				if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend($1, 2000)`, pid); err != nil {
					return fmt.Errorf("terminate unresponsive listener %d: %w", pid, Err(err))
				}
			}
			deadline = time.Now().Add(db.fenceTimeout())
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Channel == fenceAcksChannel && n.Payload == token {
				acked[n.PID] = true
			}
		case ctx.Err() != nil:
			return Err(ctx.Err())
		case wctx.Err() == nil: // not the wait's own timeout
			return fmt.Errorf("wait for acknowledgements: %w", Err(err))
		}
	}
}

// LiveFences returns the standing fences (token → layers) whose writers are
// still connected.
func (db *DB) LiveFences(ctx context.Context) (map[string][]string, error) {
	return liveFences(ctx, db.Pool)
}

func liveFences(ctx context.Context, q Querier) (map[string][]string, error) {
	rows, err := q.Query(ctx, `SELECT token, layers FROM tudi.fences f
		WHERE EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = f.pid)`)
	if err != nil {
		return nil, fmt.Errorf("read fences: %w", Err(err))
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var token string
		var layers []string
		if err := rows.Scan(&token, &layers); err != nil {
			return nil, fmt.Errorf("read fences: %w", err)
		}
		out[token] = layers
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read fences: %w", Err(err))
	}
	return out, nil
}

// InFencedTx runs fn in a transaction that changes layers, under a fence
// (see Fence) so that processes holding the registry in memory never serve
// the layers' old versions after it commits.
func (db *DB) InFencedTx(ctx context.Context, layers []string, fn func(pgx.Tx) error) error {
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		return Err(err)
	}
	defer pc.Release()
	lift, err := db.Fence(ctx, pc.Conn(), layers...)
	if err != nil {
		return err
	}
	defer lift()
	return Err(pgx.BeginFunc(ctx, pc.Conn(), fn))
}
