package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/land"
)

// Readers routes reads to streaming replicas of the primary (tudi serve
// --read-db). Writes, LISTEN, fences and the layer registry stay on the
// primary; tiles, features, identify and query read from a replica when one
// is fit for the layers read, else from the primary:
//
//   - a replica is fit when its last health check succeeded, it lags the
//     primary by at most MaxLag, and it has replayed every change of the
//     layers read that this process knows of;
//   - a change's LSN is known from its fence (see Fence): while a layer is
//     fenced (a writer is about to commit) its reads go to the primary, and
//     when the fence is lifted the writer's WAL position after its commit
//     is what a replica must have replayed before it serves the layer again;
//   - at each (re)connection of the change listener every replica must
//     first reach the primary's WAL position of that moment (changes may
//     have been missed while disconnected), and while the listener is
//     disconnected every read goes to the primary.
//
// Fit replicas take reads in turn (round robin). A read that fails on a
// replica because it is unreachable, shutting down or cancelled by a
// recovery conflict is run again on the primary, and a replica whose
// connection failed is left out until a health check passes again.
type Readers struct {
	primary  *pgxpool.Pool
	replicas []*replica
	maxLag   time.Duration
	interval time.Duration
	log      *slog.Logger
	next     atomic.Uint64
	kick     chan struct{}

	primaryReads atomic.Int64

	mu      sync.Mutex
	synced  bool                // the listener is connected and has synced
	floor   int64               // every replica must have replayed this (listener sync)
	need    map[string]int64    // layer → WAL position after its last known change
	needAll int64               // the largest of need
	fences  Fences              // the standing fences
	done    map[string][]string // fences lifted lately (token → layers), for a lift heard twice
	samples []lsnSample         // the primary's WAL position over the last MaxLag or so
}

type lsnSample struct {
	at  time.Time
	lsn int64
}

// replica is one --read-db server and what the last health check found.
type replica struct {
	name string // the URL without its password
	pool *pgxpool.Pool
	// reads counts the reads routed here (including those that then fell
	// back to the primary).
	reads atomic.Int64

	mu      sync.Mutex
	up      bool
	replay  int64         // pg_last_wal_replay_lsn at the last check
	lag     time.Duration // how old the oldest primary WAL it lacks is
	checked time.Time
	err     error
}

// ReadersOptions configure OpenReaders.
type ReadersOptions struct {
	// MaxLag is how far behind the primary a replica may be and still
	// serve reads (default 5 s).
	MaxLag time.Duration
	// Interval is the time between health checks (default 500 ms).
	Interval time.Duration
	// Pool configures the replicas' pools as Open does the primary's.
	Pool Options
}

// DefaultMaxLag is the default of ReadersOptions.MaxLag.
const DefaultMaxLag = 5 * time.Second

// OpenReaders connects to the replicas at urls (which need not be up yet:
// a replica that is down is left out until it answers) and attaches the
// router to db: from then on db.Reader chooses between them and the
// primary. Run must be running for replicas to be used, and db.Listen for
// changes to be followed.
func OpenReaders(ctx context.Context, db *DB, urls []string, opt ReadersOptions) (*Readers, error) {
	if opt.MaxLag <= 0 {
		opt.MaxLag = DefaultMaxLag
	}
	if opt.Interval <= 0 {
		opt.Interval = 500 * time.Millisecond
	}
	cfgs := make([]*pgxpool.Config, len(urls))
	for i, u := range urls {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "--read-db %q: %w", Redact(u), err)
		}
		cfgs[i] = cfg
	}
	r := &Readers{primary: db.Pool, maxLag: opt.MaxLag, interval: opt.Interval, log: db.Log,
		kick: make(chan struct{}, 1), need: map[string]int64{}}
	for i, u := range urls {
		cfg := cfgs[i]
		if opt.Pool.StatementTimeout > 0 {
			cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.Pool.StatementTimeout.Milliseconds())
		}
		if opt.Pool.AppName != "" {
			cfg.ConnConfig.RuntimeParams["application_name"] = opt.Pool.AppName
		}
		if opt.Pool.MaxConns > 0 {
			cfg.MaxConns = opt.Pool.MaxConns
		}
		// A replica that is down must not hold a read up for long: the
		// read falls back to the primary.
		if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
			cfg.ConnConfig.ConnectTimeout = 2 * time.Second
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			r.Close()
			return nil, land.Errorf(land.Invalid, "--read-db %s: %w", Redact(u), err)
		}
		r.replicas = append(r.replicas, &replica{name: Redact(u), pool: pool})
	}
	db.Readers = r
	return r, nil
}

// Close closes the replicas' pools.
func (r *Readers) Close() {
	for _, rep := range r.replicas {
		rep.pool.Close()
	}
}

// Run checks the primary's WAL position and every replica every Interval
// until ctx is done.
func (r *Readers) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		r.check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.kick:
		}
	}
}

// check samples the primary's WAL position, drops fences whose writers are
// gone, and checks each replica.
func (r *Readers) check(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	if lsn, err := insertLSN(cctx, r.primary); err == nil {
		r.mu.Lock()
		r.samples = append(r.samples, lsnSample{at: now, lsn: lsn})
		keep := r.maxLag + 4*r.interval
		i := 0
		for i < len(r.samples)-1 && now.Sub(r.samples[i].at) > keep {
			i++
		}
		r.samples = r.samples[i:]
		tokens := r.fences.Tokens()
		r.mu.Unlock()
		if len(tokens) > 0 {
			// A fence whose row is gone (its writer died, or its lift is on
			// the way): the writer's transaction ended before the row went,
			// so before a WAL position read after the rows.
			if live, err := liveFences(cctx, r.primary); err == nil {
				if after, err := insertLSN(cctx, r.primary); err == nil {
					for _, t := range tokens {
						if _, ok := live[t]; !ok {
							r.lifted(t, after)
						}
					}
				}
			}
		}
	}
	var wg sync.WaitGroup
	for _, rep := range r.replicas {
		wg.Go(func() { r.checkReplica(cctx, rep) })
	}
	wg.Wait()
}

func (r *Readers) checkReplica(ctx context.Context, rep *replica) {
	var (
		recovery bool
		replay   *int64
	)
	err := rep.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::int8`).Scan(&recovery, &replay)
	if err == nil && (!recovery || replay == nil) {
		err = errors.New("not a streaming replica (not in recovery): it cannot serve reads of the primary's data")
	}
	now := time.Now()
	var lag time.Duration
	if err == nil {
		r.mu.Lock()
		for _, s := range r.samples {
			if s.lsn > *replay {
				lag = now.Sub(s.at)
				break
			}
		}
		r.mu.Unlock()
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	was, wasErr := rep.up, rep.err
	rep.checked, rep.err = now, err
	if err != nil {
		rep.up = false
		if was || wasErr == nil || wasErr.Error() != err.Error() {
			r.log.Warn("read replica unavailable: its reads go to the primary", "replica", rep.name, "error", err)
		}
		return
	}
	rep.up, rep.replay, rep.lag = true, *replay, lag
	if !was {
		r.log.Info("read replica available", "replica", rep.name)
	}
}

// insertLSN returns the primary's current WAL insert position: every
// transaction committed before the call ends at or before it.
func insertLSN(ctx context.Context, q Querier) (int64, error) {
	var lsn int64
	if err := q.QueryRow(ctx, `SELECT (pg_current_wal_insert_lsn() - '0/0')::int8`).Scan(&lsn); err != nil {
		return 0, fmt.Errorf("read the primary's WAL position: %w", Err(err))
	}
	return lsn, nil
}

// The listener's hooks (see Listen).

// listenSynced: the listener is connected, sees every fence from now on
// and found fences standing; floor is the primary's WAL position read after
// the fences, so every change committed without a fence this process knows
// of ends before it.
func (r *Readers) listenSynced(fences map[string][]string, floor int64) {
	r.mu.Lock()
	r.synced, r.floor = true, floor
	r.fences.Reset(fences)
	r.mu.Unlock()
}

func (r *Readers) listenLost() {
	r.mu.Lock()
	r.synced = false
	r.mu.Unlock()
}

func (r *Readers) fence(token string, layers []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fences.Add(token, layers)
}

// lifted ends a fence whose writer's transaction ended before WAL position
// lsn: its layers are read from a replica again once it has replayed lsn.
// An unknown token (a fence announced while this process was not yet
// listening) raises the position for every layer.
func (r *Readers) lifted(token string, lsn int64) {
	r.mu.Lock()
	if layers, ok := r.done[token]; ok {
		// Lifted already (by check, then its notification, or the
		// reverse): the later position only raises its layers'.
		for _, l := range layers {
			r.need[l] = max(r.need[l], lsn)
		}
	} else if layers, ok := r.fences.Lift(token); ok {
		for _, l := range layers {
			r.need[l] = max(r.need[l], lsn)
		}
		if r.done == nil || len(r.done) >= 1024 {
			r.done = map[string][]string{}
		}
		r.done[token] = layers
	} else {
		r.floor = max(r.floor, lsn)
	}
	r.needAll = max(r.needAll, lsn)
	r.mu.Unlock()
	// Check the replicas now rather than at the next tick: reads of the
	// layers go back to them as soon as they have replayed the change.
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// choose returns the replica that reads of layers go to, or nil for the
// primary. No layers means any layer (the strictest choice).
func (r *Readers) choose(layers []string) *replica {
	if len(r.replicas) == 0 {
		return nil
	}
	r.mu.Lock()
	if !r.synced {
		r.mu.Unlock()
		return nil
	}
	need := r.floor
	if len(layers) == 0 {
		if r.fences.Len() > 0 {
			r.mu.Unlock()
			return nil
		}
		need = max(need, r.needAll)
	}
	for _, l := range layers {
		if r.fences.Fenced(l) {
			r.mu.Unlock()
			return nil
		}
		need = max(need, r.need[l])
	}
	r.mu.Unlock()
	n := uint64(len(r.replicas))
	start := r.next.Add(1)
	for i := range n {
		rep := r.replicas[(start+i)%n]
		if rep.fit(need, r.maxLag) {
			return rep
		}
	}
	return nil
}

func (rep *replica) fit(need int64, maxLag time.Duration) bool {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return rep.up && rep.lag <= maxLag && rep.replay >= need
}

func (rep *replica) down(err error) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.up, rep.err = false, err
}

// Reader is where a read goes: the primary's pool or a replica with a
// fallback to the primary. *pgxpool.Pool is one.
type Reader interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Reader returns where reads of layers go (see Readers); no layers means a
// read that may touch any layer. Without replicas it is the primary's pool.
// Use the result for the reads of one request that must agree with each
// other.
func (db *DB) Reader(layers ...string) Reader {
	if db.Readers == nil {
		return db.Pool
	}
	return db.Readers.Reader(layers...)
}

// Reader is DB.Reader.
func (r *Readers) Reader(layers ...string) Reader {
	rep := r.choose(layers)
	if rep == nil {
		r.primaryReads.Add(1)
		return r.primary
	}
	rep.reads.Add(1)
	return &replicaReader{r: r, rep: rep}
}

// pool returns the pool reads of layers go to, and the fallback to call
// with the error of a read there: it reports whether to run the read again
// on the primary (and leaves a replica whose connection failed out).
func (r *Readers) pool(layers []string) (*pgxpool.Pool, func(ctx context.Context, err error) bool) {
	if r == nil {
		return nil, nil
	}
	rep := r.choose(layers)
	if rep == nil {
		r.primaryReads.Add(1)
		return r.primary, func(context.Context, error) bool { return false }
	}
	rep.reads.Add(1)
	rr := &replicaReader{r: r, rep: rep}
	return rep.pool, rr.failed
}

// replicaReader reads from a replica and runs a read again on the primary
// when the replica fails it for a reason of its own.
type replicaReader struct {
	r   *Readers
	rep *replica
}

// failed reports whether err, from the replica, calls for the primary.
func (rr *replicaReader) failed(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	switch replicaFault(err) {
	case faultConn:
		rr.rep.down(err)
		rr.r.log.Warn("read replica failed a read; reading from the primary", "replica", rr.rep.name, "error", err)
		return true
	case faultConflict:
		return true
	}
	return false
}

type fault int

const (
	faultNone     fault = iota
	faultConn           // the replica is unreachable or going away
	faultConflict       // the read was cancelled by WAL replay, or wrote (read-only standby)
)

// replicaFault classifies an error of a read on a replica.
func replicaFault(err error) fault {
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return faultNone
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "25006":
			// A recovery conflict, or a read that needs to write (a
			// temporary object), which a hot standby refuses.
			return faultConflict
		case pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300" || len(pe.Code) == 5 && pe.Code[:2] == "08":
			return faultConn
		}
		return faultNone
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return faultConn
	}
	return faultNone
}

func (rr *replicaReader) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := rr.rep.pool.Exec(ctx, sql, args...)
	if rr.failed(ctx, err) {
		return rr.r.primary.Exec(ctx, sql, args...)
	}
	return tag, err
}

func (rr *replicaReader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return &fallbackRow{rr: rr, ctx: ctx, sql: sql, args: args}
}

func (rr *replicaReader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := rr.rep.pool.Query(ctx, sql, args...)
	if err != nil {
		if rr.failed(ctx, err) {
			return rr.r.primary.Query(ctx, sql, args...)
		}
		return rows, err
	}
	return &fallbackRows{Rows: rows, rr: rr, ctx: ctx, sql: sql, args: args}, nil
}

func (rr *replicaReader) Begin(ctx context.Context) (pgx.Tx, error) {
	return rr.BeginTx(ctx, pgx.TxOptions{})
}

// BeginTx begins on the replica, or on the primary when the replica cannot;
// a replica failing later in the transaction fails it.
func (rr *replicaReader) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := rr.rep.pool.BeginTx(ctx, opts)
	if rr.failed(ctx, err) {
		return rr.r.primary.BeginTx(ctx, opts)
	}
	return tx, err
}

// fallbackRow runs its query at Scan, on the primary again if the replica
// fails it.
type fallbackRow struct {
	rr   *replicaReader
	ctx  context.Context
	sql  string
	args []any
}

func (f *fallbackRow) Scan(dest ...any) error {
	err := f.rr.rep.pool.QueryRow(f.ctx, f.sql, f.args...).Scan(dest...)
	if f.rr.failed(f.ctx, err) {
		return f.rr.r.primary.QueryRow(f.ctx, f.sql, f.args...).Scan(dest...)
	}
	return err
}

// fallbackRows runs the query again on the primary when the replica fails
// it before its first row.
type fallbackRows struct {
	pgx.Rows
	rr      *replicaReader
	ctx     context.Context
	sql     string
	args    []any
	started bool
}

func (f *fallbackRows) Next() bool {
	if f.Rows.Next() {
		f.started = true
		return true
	}
	if f.started || !f.rr.failed(f.ctx, f.Rows.Err()) {
		return false
	}
	f.started = true
	f.Rows.Close()
	rows, err := f.rr.r.primary.Query(f.ctx, f.sql, f.args...)
	f.Rows = rows
	if err != nil {
		return false
	}
	return f.Rows.Next()
}

// ReplicaState is what /readyz tells of a replica.
type ReplicaState struct {
	Name    string  `json:"name"`
	Up      bool    `json:"up"`
	LagS    float64 `json:"lag_s"`
	Replay  string  `json:"replay_lsn,omitempty"`
	Reads   int64   `json:"reads"`
	Error   string  `json:"error,omitempty"`
	Checked string  `json:"checked,omitempty"`
}

// ReadersState is the router's state for /readyz.
type ReadersState struct {
	Synced       bool           `json:"synced"`
	MaxLagS      float64        `json:"max_lag_s"`
	PrimaryReads int64          `json:"primary_reads"`
	Replicas     []ReplicaState `json:"replicas"`
}

// State returns the router's state.
func (r *Readers) State() ReadersState {
	r.mu.Lock()
	st := ReadersState{Synced: r.synced, MaxLagS: r.maxLag.Seconds(), PrimaryReads: r.primaryReads.Load()}
	r.mu.Unlock()
	for _, rep := range r.replicas {
		rep.mu.Lock()
		s := ReplicaState{Name: rep.name, Up: rep.up, LagS: rep.lag.Seconds(), Reads: rep.reads.Load()}
		if rep.up {
			s.Replay = FormatLSN(rep.replay)
		}
		if rep.err != nil {
			s.Error = rep.err.Error()
		}
		if !rep.checked.IsZero() {
			s.Checked = rep.checked.UTC().Format(time.RFC3339Nano)
		}
		rep.mu.Unlock()
		st.Replicas = append(st.Replicas, s)
	}
	return st
}

// FormatLSN writes a WAL position as PostgreSQL does (X/Y).
func FormatLSN(lsn int64) string { return fmt.Sprintf("%X/%X", uint64(lsn)>>32, uint32(lsn)) }
