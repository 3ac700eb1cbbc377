package pgcluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/pgcluster"
	"tudi/pgcluster/pgtest"
)

// tempDataDir returns an empty data dir that the postgres user can reach:
// Open runs initdb in it.
func tempDataDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(pgtest.TempDir(t), "data")
}

func TestClusterStartsAttachesAndRestarts(t *testing.T) {
	ctx := context.Background()
	dir := tempDataDir(t)
	c1, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir, Database: "tudi"})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !c1.Owned() {
		t.Fatal("first Open should start the server")
	}
	// A second Open on the same data dir attaches instead of starting a
	// second postmaster.
	c2, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir, Database: "other"})
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	if c2.Owned() {
		t.Fatal("second Open should attach, not start")
	}
	conn, err := pgx.Connect(ctx, c2.URL())
	if err != nil {
		t.Fatalf("connect through attached cluster: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query: %v %d", err, one)
	}
	conn.Close(ctx)
	if err := c1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid still there after Stop: %v", err)
	}
	// Restart on the existing cluster: no initdb, same databases.
	c3, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir, Database: "other"})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer c3.Stop(ctx)
	if !c3.Owned() {
		t.Fatal("reopen after stop should start the server")
	}
}

func TestClusterStalePidFile(t *testing.T) {
	ctx := context.Background()
	dir := pgtest.DataDir(t) // an existing, stopped cluster (a copy of the seed)
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A crash leaves a pid file naming a live process that is not postgres
	// (here: this test binary).
	pidFile := filepath.Join(dir, "pg", "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(itoa(os.Getpid())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open over stale pid file: %v", err)
	}
	defer c.Stop(ctx)
	if !c.Owned() {
		t.Fatal("should have started a new server")
	}
}

func TestClusterUnwritableDataDir(t *testing.T) {
	_, err := pgcluster.Open(context.Background(), pgcluster.Options{DataDir: "/proc/tudi-cannot-be-here"})
	if err == nil {
		t.Fatal("want an error for an unwritable data dir")
	}
	t.Log(err)
}

func itoa(i int) string { return strconv.Itoa(i) }
