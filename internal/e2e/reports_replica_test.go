package e2e_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/importers"
	"tudi/land"
	"tudi/migrations"
	"tudi/pgcluster"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/sampledata/sampletest"
)

// Reports only read, so they run on a hot standby; through --read-db they
// read from a replica that has replayed their layers' last import, else
// from the primary.
func TestReportsOnReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two clusters")
	}
	ctx := context.Background()
	settings := map[string]string{"fsync": "off", "shared_buffers": "64MB", "max_wal_size": "512MB"}
	quiet := slog.New(slog.DiscardHandler)
	primary, dir := pgtest.OwnCluster(t, settings)

	// The sample district, imported on the primary as a user would.
	pdb, err := postgis.Open(ctx, primary.URL(), postgis.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pdb.Close)
	if _, err := migrations.Up(ctx, pdb.Pool, nil); err != nil {
		t.Fatal(err)
	}
	sampletest.Import(t, pdb, 1, "test")
	standby, err := primary.Standby(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "r"), Database: "tudi", Settings: settings, Log: quiet})
	if err != nil {
		t.Fatalf("standby: %v", err)
	}
	t.Cleanup(func() { _ = standby.Stop(ctx) })
	spool, err := pgxpool.New(ctx, standby.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(spool.Close)

	// Three services: on the primary alone, on the standby alone (no
	// fallback: whatever a standby refuses fails), and through a router
	// over the standby.
	onPrimary := reports.New(postgis.New(pdb.Pool, nil), nil)
	onStandby := reports.New(postgis.New(spool, nil), nil)
	rctx, cancel := context.WithCancel(ctx)
	rdb, err := postgis.Open(rctx, primary.URL(), postgis.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := postgis.OpenReaders(rctx, rdb, []string{standby.URL()}, postgis.ReadersOptions{MaxLag: time.Hour, Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(rctx) })
	wg.Go(func() { _ = rdb.Listen(rctx, postgis.Listener{}) })
	t.Cleanup(func() { cancel(); wg.Wait(); r.Close(); rdb.Close() })
	routed := reports.New(rdb, nil)

	run := func(t *testing.T, svc *reports.Service, name string, opt reports.Options) string {
		t.Helper()
		res, err := svc.Run(ctx, name, opt)
		if err != nil {
			t.Fatalf("report %s %+v: %v", name, opt, err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	caughtUp := func() bool {
		var replay, insert string
		if err := spool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&replay); err != nil {
			t.Fatal(err)
		}
		if err := pdb.Pool.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&insert); err != nil {
			t.Fatal(err)
		}
		var ok bool
		if err := pdb.Pool.QueryRow(ctx, `SELECT $1::pg_lsn >= $2::pg_lsn`, replay, insert).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	waitUntil := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("not within 60 s: %s", what)
	}
	waitUntil(t, "the standby replays the imports", caughtUp)

	t.Run("every report gives on the standby what it gives on the primary", func(t *testing.T) {
		streets, err := onPrimary.Streets(ctx, "boundaries")
		if err != nil || len(streets) == 0 {
			t.Fatalf("sub-districts %v: %v", streets, err)
		}
		for _, rep := range onPrimary.Reports() {
			if rep.Name == reports.LayerSummary {
				continue // computed with temporary functions: on the primary (docs/scaling.md)
			}
			// The default grouping (no sub-districts), grouped by street
			// (every feature placed), and filtered to one sub-district.
			for _, opt := range []reports.Options{{}, {Group: []string{"street"}}, {Street: streets[:1], Year: 2024}} {
				p, s := run(t, onPrimary, rep.Name, opt), run(t, onStandby, rep.Name, opt)
				if p != s {
					t.Errorf("report %s %+v:\nprimary %s\nstandby %s", rep.Name, opt, p, s)
				}
			}
		}
	})

	standbyConn, err := pgx.Connect(ctx, standby.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer standbyConn.Close(ctx)
	pause := func(t *testing.T) {
		t.Helper()
		if _, err := standbyConn.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
			t.Fatal(err)
		}
	}
	resume := func(t *testing.T) {
		t.Helper()
		if _, err := standbyConn.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
			t.Fatal(err)
		}
	}
	supply := reports.Options{Group: []string{"method"}}

	t.Run("the router sends a report to the replica", func(t *testing.T) {
		waitUntil(t, "the router's first health checks", func() bool {
			st := r.State()
			return st.Synced && st.Replicas[0].Up
		})
		// A change the router cannot know of (no fence: not an import),
		// with replay paused: a report read on the replica misses it.
		pause(t)
		defer resume(t)
		if _, err := pdb.Pool.Exec(ctx, `UPDATE layers.parcels SET price_wan = price_wan + 1 WHERE price_wan IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		before := r.State()
		got := run(t, routed, "land-supply", supply)
		if got != run(t, onStandby, "land-supply", supply) || got == run(t, onPrimary, "land-supply", supply) {
			t.Fatalf("the routed report does not give the replica's figures:\n%s", got)
		}
		after := r.State()
		if after.PrimaryReads != before.PrimaryReads || after.Replicas[0].Reads != before.Replicas[0].Reads+1 {
			t.Fatalf("reads before %+v, after %+v: want one more on the replica", before, after)
		}
		resume(t)
		waitUntil(t, "the standby catches up", caughtUp)
		if got, want := run(t, routed, "land-supply", supply), run(t, onPrimary, "land-supply", supply); got != want {
			t.Fatalf("after replay the routed report gives\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("a report right after an import never reads the replica's old data", func(t *testing.T) {
		old := run(t, onPrimary, "land-supply", supply)
		pause(t)
		defer resume(t)
		file := filepath.Join(t.TempDir(), "parcels.geojson")
		if err := os.WriteFile(file, []byte(`{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"N1","landuse_code":"0701","supply_method":"招拍挂","supply_date":"2024-03-01","price_wan":100},
			 "geometry":{"type":"Polygon","coordinates":[[[114.0,22.6],[114.001,22.6],[114.001,22.601],[114.0,22.601],[114.0,22.6]]]}}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := importers.New(pdb, nil).Import(ctx, importers.Request{Layer: "parcels", Kind: land.Parcels, Files: []string{file}, User: "test"}); err != nil {
			t.Fatal(err)
		}
		before := r.State()
		got, want := run(t, routed, "land-supply", supply), run(t, onPrimary, "land-supply", supply)
		if got != want {
			t.Fatalf("right after the import the routed report gives\n%s\nwant the new data\n%s", got, want)
		}
		if stale := run(t, onStandby, "land-supply", supply); stale != old || stale == want {
			t.Fatalf("the paused standby should still hold the old data (the test has no teeth otherwise):\n%s", stale)
		}
		if after := r.State(); after.PrimaryReads != before.PrimaryReads+1 {
			t.Fatalf("reads before %+v, after %+v: want the report on the primary", before, after)
		}
		resume(t)
		waitUntil(t, "the report back on the replica once it replayed the import", func() bool {
			b := r.State()
			got := run(t, routed, "land-supply", supply)
			a := r.State()
			if got != want {
				t.Fatalf("after the import the routed report gives\n%s\nwant\n%s", got, want)
			}
			return a.Replicas[0].Reads == b.Replicas[0].Reads+1 && a.PrimaryReads == b.PrimaryReads
		})
	})
}
