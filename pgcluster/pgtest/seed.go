package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/migrations"
	"tudi/pgcluster"
)

// Where test clusters live, and the seed they start from.
//
// A test cluster creates and drops a database of some 350 files for nearly
// every test; on ext4 that file churn alone took a quarter of the suite's
// CPU, so clusters go to a tmpfs (/dev/shm) when it has room. And initdb
// plus the migration of the template database (CREATE EXTENSION postgis)
// cost some 2.5 s of CPU per cluster, repeated by every test package and by
// every test that needs a data dir of its own: the first test binary of a
// `go test` run builds one stopped, migrated cluster (the seed), and every
// other cluster of the run starts from a copy of it. pgcluster.Open finds
// PG_VERSION in the copy and skips initdb; the rest of Open (the private
// configuration, the start, the database) runs as it does for a user.
// Tests of initdb itself (pgcluster's own, the shared server of cmd/tudi)
// do not use a seed.

// seedVersion changes when what a seed holds changes other than by the
// migrations (which are hashed into the seed's name).
const seedVersion = "1"

// testSettings are the server settings of the test clusters: durability is
// pointless for a throwaway cluster.
var testSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"shared_buffers":     "128MB",
}

// Root returns the directory that test clusters are made in:
// $TUDI_TEST_TMPDIR when set, else /dev/shm when it is a tmpfs with at least
// 4 GiB free (the whole suite's clusters take under 1 GiB at once), else
// os.TempDir().
func Root() string {
	if d := os.Getenv("TUDI_TEST_TMPDIR"); d != "" {
		return d
	}
	if roomyTmpfs("/dev/shm", 4<<30) {
		return "/dev/shm"
	}
	return os.TempDir()
}

// TempDir creates a directory under Root that the postgres user can enter
// (the clusters run as postgres when the tests run as root), removed when
// the test ends.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := MkdirTemp("test")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// DataDir returns <TempDir>/data holding a copy of this run's seed cluster
// (stopped, with the migrated database tudi_template), so that
// pgcluster.Open on it starts the cluster instead of running initdb.
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(TempDir(tb), "data")
	if err := seedDataDir(context.Background(), dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// userPrefix begins the names of everything pgtest makes under Root: it is
// the user's own (a machine's root and its other users may run tests at
// once, in the same /dev/shm).
func userPrefix() string { return fmt.Sprintf("tudi-pgtest-%d-", os.Geteuid()) }

// MkdirTemp creates <Root>/<userPrefix><kind>-<pid>-<random>, which the
// postgres user can enter; the caller removes it. The pid lets the next
// run remove what a test binary that panicked or was killed left
// (removeEnded).
func MkdirTemp(kind string) (string, error) {
	dir, err := os.MkdirTemp(Root(), fmt.Sprintf("%s%s-%d-", userPrefix(), kind, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return dir, nil
}

// seedDataDir puts a copy of this run's seed cluster into dataDir/pg.
func seedDataDir(ctx context.Context, dataDir string) error {
	seed, err := seedCluster(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	// Open makes the copy the postgres user's and its top directory 0700.
	if err := os.CopyFS(filepath.Join(dataDir, "pg"), os.DirFS(filepath.Join(seed, "pg"))); err != nil {
		return fmt.Errorf("pgtest: copy the seed cluster %s: %w", seed, err)
	}
	return nil
}

// seedCluster returns the data dir of this run's seed, building it when
// missing. A run is the parent process (`go test`, which starts the test
// binaries of all packages) together with the migrations; test binaries of
// one run build the seed once, under a file lock, and the first builder of
// a run removes the seeds of runs that have ended.
func seedCluster(ctx context.Context) (string, error) {
	ms, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(seedVersion))
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s", m.Version, m.Name, len(m.SQL), m.SQL)
	}
	root := Root()
	parent := os.Getppid()
	prefix := userPrefix()
	final := filepath.Join(root, fmt.Sprintf("%sseed-%d-%s", prefix, parent, hex.EncodeToString(h.Sum(nil))[:12]))
	if _, err := os.Stat(filepath.Join(final, "pg", "PG_VERSION")); err == nil {
		return final, nil
	}
	lock, err := os.OpenFile(filepath.Join(root, prefix+"seed.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return "", fmt.Errorf("pgtest: seed lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("pgtest: seed lock: %w", err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if _, err := os.Stat(filepath.Join(final, "pg", "PG_VERSION")); err == nil {
		return final, nil // built by another package while this one waited
	}
	removeEnded(root, prefix)
	build, err := MkdirTemp("seedbuild")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(build) // gone after the rename; left by a failure
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: build, Database: template, Settings: testSettings, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", fmt.Errorf("pgtest: cannot start PostgreSQL: %w", err)
	}
	pool, err := pgxpool.New(ctx, c.URL())
	if err == nil {
		_, err = migrations.Up(ctx, pool, nil)
		pool.Close()
	}
	if stopErr := c.Stop(ctx); err == nil {
		err = stopErr
	}
	if err != nil {
		return "", fmt.Errorf("pgtest: build the seed cluster: %w", err)
	}
	if err := os.Rename(build, final); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return final, nil
}

// removeEnded removes what the user's ended test processes left under
// root: the seeds of runs whose parent (`go test`) is gone, and the
// clusters, data dirs and seed builds of test binaries that are gone
// (a panic in a test ends its binary without its deferred clean-up).
func removeEnded(root, prefix string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		parts := strings.SplitN(rest, "-", 3)
		if len(parts) < 3 || !slices.Contains([]string{"seed", "seedbuild", "run", "test"}, parts[0]) {
			continue
		}
		if pid, err := strconv.Atoi(parts[1]); err == nil && processGone(pid) {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
