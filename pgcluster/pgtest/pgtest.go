// Package pgtest gives tests a real PostGIS database: Main starts one private
// cluster per test binary (the same pgcluster code as the embedded default,
// from a copy of the run's migrated seed cluster: see seed.go), and NewDB
// clones its template database for each test, so tests run in parallel
// without truncating anything.
//
// Missing PostgreSQL or PostGIS fails the tests with an install hint; they
// are never skipped.
package pgtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/pgcluster"
)

const template = "tudi_template"

// The cluster of this test binary. A package variable is the one way to hand
// state from TestMain to tests; it is set once before any test runs.
var (
	cluster *pgcluster.Cluster
	// admin creates and drops the test databases: a backend costs some
	// 30 ms of CPU to start on a virtual machine, and a connection of its
	// own for each create and drop made two per test.
	admin   *pgxpool.Pool
	counter atomic.Int64
)

// Main starts the cluster (a copy of the run's seed, whose template database
// is migrated), runs the tests and stops the cluster. Call it from TestMain: `func TestMain(m *testing.M) { pgtest.Main(m) }`.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	dir, err := MkdirTemp("run")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := seedDataDir(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := pgcluster.Open(ctx, pgcluster.Options{
		DataDir:  dir,
		Database: template,
		Settings: testSettings,
		Log:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: cannot start PostgreSQL: %v\n", err)
		return 1
	}
	defer func() { _ = c.Stop(ctx) }()
	cluster = c
	// The template is migrated: the seed was, in this run, with these
	// migrations (their hash names the seed).
	if admin, err = pgxpool.New(ctx, c.DatabaseURL("postgres")+"&pool_max_conns=4"); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer admin.Close()
	code := m.Run()
	if code != 0 {
		serverTrouble(os.Stderr, dir)
	}
	return code
}

// serverTrouble prints the lines of the cluster's log that tell of a
// crashed or restarted server, so that a failed run shows why its
// connections broke (the temp dir is removed afterwards).
func serverTrouble(w io.Writer, dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.Contains(l, "terminated by signal") || strings.Contains(l, "PANIC") || strings.Contains(l, "was terminated") {
			from := max(0, i-3)
			fmt.Fprintln(w, "pgtest: the test cluster's log:")
			for _, x := range lines[from:min(len(lines), i+2)] {
				fmt.Fprintln(w, "  ", x)
			}
		}
	}
}

// DB is a fresh, migrated database for one test.
type DB struct {
	Pool *pgxpool.Pool
	URL  string
	Name string
}

// NewDB clones the migrated template into a new database, dropped when the
// test ends.
func NewDB(tb testing.TB) *DB {
	tb.Helper()
	if cluster == nil {
		tb.Fatal("pgtest: no cluster: call pgtest.Main(m) from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%s_%d_%d", sanitize(tb.Name()), os.Getpid(), counter.Add(1))
	if len(name) > 60 {
		name = name[len(name)-60:]
		name = "t" + name[1:]
	}
	// CREATE DATABASE … TEMPLATE fails while another session is connected to
	// the template; nobody is after Main, but retry briefly anyway. The
	// template (15 MB, most of it PostGIS's spatial_ref_sys) is copied as
	// files, not written block by block to the WAL as PostgreSQL 15 does by
	// default: 0.16 s instead of 0.26 s a database, and the suite makes
	// hundreds. (The checkpoint that FILE_COPY takes is cheap with fsync off.)
	var err error
	for i := 0; ; i++ {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize()+" STRATEGY FILE_COPY")
		if err == nil || i > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	url := cluster.DatabaseURL(name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		tb.Fatalf("pgtest: pool: %v", err)
	}
	tb.Cleanup(func() {
		pool.Close()
		// DROP DATABASE … WITH (FORCE) terminates the database's sessions.
		// A session still running a query may be inside GEOS: an import
		// abandons an over-budget repair by closing its connection and the
		// backend finishes its computation alone, and a termination reaching
		// GEOS 3.11 inside an overlay can crash the server process — and with
		// it every session of the cluster, every test running in parallel. So
		// queries still running are waited for (bounded) before the drop.
		for i := 0; i < 600; i++ {
			var running int
			if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active'`, name).Scan(&running); err != nil || running == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return &DB{Pool: pool, URL: url, Name: name}
}

// ClusterURL returns the connection string of database db on the test cluster.
func ClusterURL(db string) string { return cluster.DatabaseURL(db) }

func sanitize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return filepath.Base(b.String())
}

// OwnCluster starts a private cluster apart from the package's shared one
// (database "tudi", from a copy of the seed in <dir>/data, with the given
// settings), for a test that also needs a standby of it, which it may put
// in <dir>/r. The cluster is
// stopped and dir removed when the test ends.
func OwnCluster(tb testing.TB, settings map[string]string) (c *pgcluster.Cluster, dir string) {
	tb.Helper()
	ctx := context.Background()
	p := DataDir(tb)
	dir = filepath.Dir(p)
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: p, Database: "tudi", Settings: settings, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("pgtest: own cluster: %v", err)
	}
	tb.Cleanup(func() { _ = c.Stop(ctx) })
	return c, dir
}
