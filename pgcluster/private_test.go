package pgcluster_test

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/pgcluster"
	"tudi/pgcluster/pgtest"
)

// serverCred is the user the server runs as: postgres under root, else nil
// (the test's own user).
func serverCred(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// pgCtl runs pg_ctl as the server's user, the way an operator restarts the
// cluster by hand after a crash.
func pgCtl(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		t.Fatalf("pg_config: %v", err)
	}
	cmd := exec.Command(filepath.Join(strings.TrimSpace(string(out)), "pg_ctl"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: serverCred(t)}
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, b)
	}
}

// configLines returns the lines of a config file that are not comments or
// blank.
func configLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

// mustBePrivate checks the files that keep the cluster private.
func mustBePrivate(t *testing.T, dir string) {
	t.Helper()
	pg := filepath.Join(dir, "pg")
	hba := configLines(t, filepath.Join(pg, "pg_hba.conf"))
	if len(hba) == 0 {
		t.Fatal("pg_hba.conf has no rules")
	}
	for _, l := range hba {
		f := strings.Fields(l)
		if f[0] != "local" {
			t.Errorf("pg_hba.conf has a %q line: %q", f[0], l)
		}
		if strings.Contains(l, "trust") {
			t.Errorf("pg_hba.conf trusts: %q", l)
		}
	}
	for path, want := range map[string]os.FileMode{
		dir:                                  0o700,
		pg:                                   0o700,
		filepath.Join(dir, "postgres.log"):   0o600,
		filepath.Join(pg, "pg_hba.conf"):     0o600,
		filepath.Join(pg, "pg_ident.conf"):   0o600,
		filepath.Join(pg, "tudi.conf"):       0o600,
		filepath.Join(pg, "postgresql.conf"): 0o600,
	} {
		if os.Geteuid() == 0 && path == dir {
			want = 0o710 // the postgres user's group passes through
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", path, st.Mode().Perm(), want)
		}
	}
}

// mustListenOnSocketOnly connects through the cluster's socket and checks
// the server has no TCP listener.
func mustListenOnSocketOnly(t *testing.T, ctx context.Context, url, pg string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect through the socket: %v", err)
	}
	defer conn.Close(ctx)
	var listen string
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil {
		t.Fatal(err)
	}
	if listen != "" {
		t.Errorf("listen_addresses = %q, want none", listen)
	}
	// postmaster.pid's sixth line is the TCP address the server listens on.
	b, err := os.ReadFile(filepath.Join(pg, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(string(b), "\n"); len(lines) < 6 || strings.TrimSpace(lines[5]) != "" {
		t.Errorf("postmaster.pid says the server listens on %q", lines[5])
	}
	if _, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("connected as postgres over TCP on 127.0.0.1:5432")
	}
}

func TestClusterStaysPrivateWhenStartedByHand(t *testing.T) {
	ctx := context.Background()
	dir := pgtest.DataDir(t) // an existing, stopped cluster (a copy of the seed)
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := c.DatabaseURL("postgres")
	mustListenOnSocketOnly(t, ctx, url, filepath.Join(dir, "pg"))
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	mustBePrivate(t, dir)

	// An operator restarts the stopped cluster by hand, with no options.
	pg := filepath.Join(dir, "pg")
	pgCtl(t, "start", "-w", "-D", pg, "-l", filepath.Join(pg, "by-hand.log"))
	defer pgCtl(t, "stop", "-m", "fast", "-D", pg)
	mustListenOnSocketOnly(t, ctx, url, pg)
}

// An older tudi left initdb's trust lines, no tudi.conf and a 0644 log; the
// next Open upgrades them in place, for a stopped cluster and for a running
// one it attaches to.
func TestClusterOfOlderVersionIsUpgraded(t *testing.T) {
	ctx := context.Background()
	dir := tempDataDir(t)
	c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := c.DatabaseURL("postgres")
	// A login role that no system user is mapped to: trust lets it in,
	// peer does not.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE ROLE probe LOGIN"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	pg := filepath.Join(dir, "pg")
	makeOld := func() {
		t.Helper()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.WriteFile(filepath.Join(pg, "pg_hba.conf"), []byte(
			"local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal replication all trust\n"), 0o600))
		conf, err := os.ReadFile(filepath.Join(pg, "postgresql.conf"))
		must(err)
		must(os.WriteFile(filepath.Join(pg, "postgresql.conf"), []byte(strings.ReplaceAll(string(conf), "include 'tudi.conf'", "")), 0o600))
		must(os.Remove(filepath.Join(pg, "tudi.conf")))
		must(os.Chmod(filepath.Join(dir, "postgres.log"), 0o644))
		must(os.Chmod(dir, 0o755))
		if cred := serverCred(t); cred != nil {
			for _, f := range []string{"pg_hba.conf", "postgresql.conf"} {
				must(os.Chown(filepath.Join(pg, f), int(cred.Uid), int(cred.Gid)))
			}
		}
	}

	t.Run("a stopped cluster is rewritten before it starts", func(t *testing.T) {
		makeOld()
		c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop(ctx)
		mustBePrivate(t, dir)
		mustRefuseUnmapped(t, ctx, c.DatabaseURL("postgres"))
	})

	t.Run("a running cluster is rewritten and reloaded", func(t *testing.T) {
		makeOld()
		// Started by hand as the older version would have been by tudi:
		// socket in the cluster dir, no TCP.
		pgCtl(t, "start", "-w", "-D", pg, "-l", filepath.Join(pg, "by-hand.log"),
			"-o", "-c listen_addresses= -c unix_socket_directories="+pg)
		defer pgCtl(t, "stop", "-m", "fast", "-D", pg)
		// The old server lets the unmapped role in.
		probe := strings.Replace(url, "postgres@", "probe@", 1)
		if conn, err := pgx.Connect(ctx, probe); err != nil {
			t.Fatalf("the trusting server should let probe in: %v", err)
		} else {
			conn.Close(ctx)
		}
		c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if c.Owned() {
			t.Fatal("Open should attach to the running server")
		}
		mustBePrivate(t, dir)
		mustRefuseUnmapped(t, ctx, url)
	})
}

// mustRefuseUnmapped checks that the server's loaded rules let the test's
// user in as postgres and refuse it as another role.
func mustRefuseUnmapped(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect as postgres: %v", err)
	}
	conn.Close(ctx)
	probe := strings.Replace(url, "postgres@", "probe@", 1)
	if conn, err := pgx.Connect(ctx, probe); err == nil {
		conn.Close(ctx)
		t.Fatal("connected as probe: the server still trusts")
	} else {
		t.Log(err)
	}
}
