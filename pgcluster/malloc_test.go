package pgcluster_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/pgcluster"
	"tudi/pgcluster/pgtest"
)

// The private server runs with the malloc settings that keep a backend's
// memory between tile queries (see pgcluster.serverEnv).
func TestClusterServerMallocTunables(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc: the environment of another process cannot be read here")
	}
	ctx := context.Background()
	dir := pgtest.DataDir(t) // an existing, stopped cluster (a copy of the seed)
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer c.Stop(ctx)
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// A query that allocates and frees some 8 MB, as a dense tile does:
	// run again, it reuses the backend's memory instead of faulting it in
	// (with glibc's defaults: some 2 000 page faults each time).
	const q = "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 8000)"
	var n int
	for range 2 {
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	before := minorFaults(t, pid)
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if faults := minorFaults(t, pid) - before; faults > 500 {
		t.Fatalf("backend took %d page faults on a repeated 8 MB query, want few (malloc settings not in effect)", faults)
	}
}

// minorFaults returns the minor page faults of process pid so far.
func minorFaults(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatalf("read the backend's counters: %v", err)
	}
	// Fields after the command name (which may hold spaces): state is the
	// 3rd field of the line, minflt the 10th.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	n, err := strconv.ParseInt(strings.Fields(rest)[7], 10, 64)
	if err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	return n
}
