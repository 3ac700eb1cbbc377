package postgis_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/migrations"
	"tudi/pgcluster"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// replicaPair is a private primary cluster and a streaming replica of it
// made with pg_basebackup -R.
type replicaPair struct {
	primary, standby *pgcluster.Cluster
	standbyDir       string
}

func newReplicaPair(t *testing.T) *replicaPair {
	t.Helper()
	ctx := context.Background()
	p, dir := pgtest.OwnCluster(t, map[string]string{"fsync": "off", "shared_buffers": "32MB", "max_wal_size": "256MB"})
	db, err := postgis.Open(ctx, p.URL(), postgis.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db.Pool, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE probe (layer text PRIMARY KEY, v int NOT NULL);
		INSERT INTO probe VALUES ('parcels', 1), ('farmland', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rp := &replicaPair{primary: p, standbyDir: filepath.Join(dir, "r")}
	rp.start(t)
	return rp
}

func (rp *replicaPair) start(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	s, err := rp.primary.Standby(ctx, pgcluster.Options{DataDir: rp.standbyDir, Database: "tudi",
		Settings: map[string]string{"fsync": "off", "shared_buffers": "32MB", "max_wal_size": "256MB"}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("standby: %v", err)
	}
	rp.standby = s
	t.Cleanup(func() { _ = s.Stop(ctx) })
}

// router opens the primary with a router over urls and runs its checks and
// a change listener until the test ends (or stopListen is called).
func router(t *testing.T, rp *replicaPair, urls []string, opt postgis.ReadersOptions) (db *postgis.DB, r *postgis.Readers, stopListen func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := postgis.Open(ctx, rp.primary.URL(), postgis.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Interval == 0 {
		opt.Interval = 50 * time.Millisecond
	}
	r, err = postgis.OpenReaders(ctx, db, urls, opt)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	lctx, lcancel := context.WithCancel(ctx)
	wg.Go(func() { _ = r.Run(ctx) })
	wg.Go(func() { _ = db.Listen(lctx, postgis.Listener{}) })
	t.Cleanup(func() { cancel(); wg.Wait(); r.Close(); db.Close() })
	return db, r, lcancel
}

// onReplica reports whether q is a replica (in recovery), failing the test
// when q cannot answer.
func onReplica(t *testing.T, q postgis.Querier) bool {
	t.Helper()
	var rec bool
	if err := q.QueryRow(context.Background(), `SELECT pg_is_in_recovery()`).Scan(&rec); err != nil {
		t.Fatalf("read: %v", err)
	}
	return rec
}

// waitFor polls cond every 20 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("not within 20 s: %s", what)
}

func probe(t *testing.T, q postgis.Querier, layer string) int {
	t.Helper()
	var v int
	if err := q.QueryRow(context.Background(), `SELECT v FROM probe WHERE layer = $1`, layer).Scan(&v); err != nil {
		t.Fatalf("read probe: %v", err)
	}
	return v
}

func TestReadReplicas(t *testing.T) {
	t.Parallel()
	rp := newReplicaPair(t)
	ctx := context.Background()
	url := rp.standby.URL()
	t.Run("a server that is not in recovery never takes reads", func(t *testing.T) {
		db, r, _ := router(t, rp, []string{rp.primary.URL()}, postgis.ReadersOptions{})
		waitFor(t, "the check of the non-replica", func() bool {
			st := r.State()
			return st.Synced && len(st.Replicas) == 1 && st.Replicas[0].Checked != ""
		})
		st := r.State().Replicas[0]
		if st.Up || !strings.Contains(st.Error, "not a streaming replica") {
			t.Fatalf("state of a primary given as replica: %+v", st)
		}
		if got := r.State().PrimaryReads; got != 0 {
			t.Fatalf("primary reads before any read: %d", got)
		}
		_ = db.Reader("parcels")
		if got := r.State().PrimaryReads; got != 1 {
			t.Fatalf("primary reads after one read: %d", got)
		}
	})

	t.Run("a replica lagging more than --max-lag is left out, for every layer", func(t *testing.T) {
		db, r, _ := router(t, rp, []string{url}, postgis.ReadersOptions{MaxLag: 500 * time.Millisecond})
		waitFor(t, "a read on the replica", func() bool { return onReplica(t, db.Reader("farmland")) })
		standby, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer standby.Close(ctx)
		if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = standby.Exec(ctx, `SELECT pg_wal_replay_resume()`) }()
		// WAL the replica does not replay, with no fence: only the lag
		// tells the router.
		if _, err := db.Pool.Exec(ctx, `UPDATE probe SET v = v + 10 WHERE layer = 'farmland'`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the lagging replica left out", func() bool { return !onReplica(t, db.Reader("farmland")) })
		if lag := r.State().Replicas[0].LagS; lag < 0.5 {
			t.Fatalf("replica left out with a lag of %g s", lag)
		}
		if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the replica back once it caught up", func() bool { return onReplica(t, db.Reader("farmland")) })
	})

	// The same replica under two names: round robin between them is visible
	// in their read counts.
	db, r, stopListen := router(t, rp, []string{url, url + "&application_name=second"}, postgis.ReadersOptions{MaxLag: time.Hour})

	t.Run("reads go to the replicas in turn once they are checked and the listener has synced", func(t *testing.T) {
		waitFor(t, "a read on the replica", func() bool { return onReplica(t, db.Reader("parcels")) })
		waitFor(t, "both replicas up", func() bool {
			st := r.State()
			return st.Replicas[0].Up && st.Replicas[1].Up
		})
		before := r.State()
		for range 10 {
			if !onReplica(t, db.Reader("parcels", "farmland")) {
				t.Fatal("a read went to the primary with both replicas fit")
			}
		}
		// Strict alternation is TestChoose's; here a health check that
		// times out on a loaded machine may leave one out for a moment.
		after := r.State()
		total := int64(0)
		for i := range after.Replicas {
			d := after.Replicas[i].Reads - before.Replicas[i].Reads
			if d == 0 {
				t.Errorf("replica %d took none of 10 reads (round robin)", i)
			}
			total += d
		}
		if total != 10 {
			t.Errorf("the replicas counted %d of 10 reads", total)
		}
	})

	t.Run("a read transaction runs where reads of its layers go, read-only", func(t *testing.T) {
		var rec bool
		if err := db.ReadTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec)
		}); err != nil || !rec {
			t.Fatalf("read transaction on a replica: in recovery %v, %v", rec, err)
		}
		primaryOnly := postgis.New(db.Pool, nil)
		err := primaryOnly.ReadTx(ctx, nil, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec); err != nil || rec {
				t.Errorf("read transaction without replicas: in recovery %v, %v", rec, err)
			}
			_, err := tx.Exec(ctx, `UPDATE probe SET v = v WHERE layer = 'parcels'`)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("a write in a read transaction: %v", err)
		}
	})

	t.Run("after a change a layer is read from a replica only once it has replayed the change", func(t *testing.T) {
		standby, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer standby.Close(ctx)
		if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
			t.Fatal(err)
		}
		// Readers of the layer from before the change to the end: none may
		// see the old value once the change has returned.
		var (
			committed atomic.Bool
			stale     atomic.Int64
			reads     atomic.Int64
			stop      = make(chan struct{})
			wg        sync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := committed.Load()
					var v int
					if err := db.Reader("parcels").QueryRow(ctx, `SELECT v FROM probe WHERE layer = 'parcels'`).Scan(&v); err != nil {
						t.Errorf("read: %v", err)
						return
					}
					reads.Add(1)
					if after && v != 2 {
						stale.Add(1)
					}
				}
			})
		}
		var once sync.Once
		halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
		defer halt()
		time.Sleep(100 * time.Millisecond)
		if err := db.InFencedTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE probe SET v = 2 WHERE layer = 'parcels'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		committed.Store(true)
		// Replay is paused: the changed layer is read from the primary, the
		// others still from the replica.
		time.Sleep(300 * time.Millisecond) // several health checks
		if onReplica(t, db.Reader("parcels")) {
			t.Fatal("the changed layer is read from a replica that has not replayed the change")
		}
		if got := probe(t, db.Reader("parcels"), "parcels"); got != 2 {
			t.Fatalf("changed layer read %d, want 2", got)
		}
		if !onReplica(t, db.Reader("farmland")) {
			t.Fatal("an unchanged layer left the replica")
		}
		if onReplica(t, db.Reader()) {
			t.Fatal("a read of any layer went to a replica that lacks a change")
		}
		if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the changed layer read from the replica again", func() bool { return onReplica(t, db.Reader("parcels")) })
		if got := probe(t, db.Reader("parcels"), "parcels"); got != 2 {
			t.Fatalf("the replica serves the changed layer with %d, want 2", got)
		}
		time.Sleep(100 * time.Millisecond)
		halt()
		if stale.Load() > 0 {
			t.Fatalf("%d of %d reads after the change saw the old value", stale.Load(), reads.Load())
		}
		t.Logf("%d reads, none stale", reads.Load())
	})

	t.Run("a replica that stops costs no failed read: the read runs on the primary and the replica is left out", func(t *testing.T) {
		waitFor(t, "a read on the replica", func() bool { return onReplica(t, db.Reader("parcels")) })
		q := db.Reader("parcels") // chosen while the replica is up
		if err := rp.standby.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if got := probe(t, q, "parcels"); got != 2 {
			t.Fatalf("read through the stopped replica's reader: %d, want 2", got)
		}
		rows, err := db.Reader("farmland").Query(ctx, `SELECT v FROM probe ORDER BY layer`)
		if err != nil {
			t.Fatalf("query with the replica down: %v", err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil || len(vs) != 2 {
			t.Fatalf("query with the replica down: %v %v", vs, err)
		}
		for _, rs := range r.State().Replicas {
			if rs.Up {
				t.Fatalf("a stopped replica is still up: %+v", rs)
			}
		}
		if onReplica(t, db.Reader("parcels")) {
			t.Fatal("a stopped replica answered")
		}
		rp.start(t)
		waitFor(t, "reads back on the restarted replica", func() bool { return onReplica(t, db.Reader("parcels")) })
	})

	t.Run("without the change listener every read goes to the primary", func(t *testing.T) {
		stopListen()
		// Reads may go to the primary for another moment's reason (the
		// replica restarted just before); what must hold is that once the
		// router knows the listener is gone, no read goes to a replica.
		waitFor(t, "the router to see the listener gone", func() bool { return !r.State().Synced })
		for range 20 {
			if onReplica(t, db.Reader("parcels")) {
				t.Fatal("a read went to a replica without a change listener")
			}
		}
	})
}
