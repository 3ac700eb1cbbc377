package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure Open.
type Options struct {
	// DataDir is tudi's data directory; the cluster lives in DataDir/pg.
	DataDir string
	// Database is created when missing (default "tudi").
	Database string
	// BinDir holds initdb and postgres; found with pg_config or the Debian
	// paths when empty.
	BinDir string
	// Settings are written into the cluster's tudi.conf, over the defaults.
	// listen_addresses, unix_socket_directories, unix_socket_permissions and
	// port are tudi's own: the cluster never listens on TCP.
	Settings map[string]string
	// Log receives progress messages (may be nil).
	Log *slog.Logger
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	pgDir   string
	sockDir string
	port    int
	db      string
	cmd     *exec.Cmd     // nil when attached to another process's server
	exited  chan struct{} // closed when cmd has exited
	logFile *os.File
	log     *slog.Logger
}

// Defaults are the server settings of the embedded cluster, sized for the
// 2-core, many-GiB machines tudi runs on; Options.Settings override them.
var defaultSettings = map[string]string{
	"listen_addresses":                "",
	"max_connections":                 "100",
	"shared_buffers":                  "512MB",
	"work_mem":                        "32MB",
	"maintenance_work_mem":            "512MB",
	"max_wal_size":                    "4GB",
	"checkpoint_timeout":              "15min",
	"max_parallel_workers_per_gather": "2",
	"jit":                             "off", // JIT costs more than it saves on tile and OGC queries
	"log_min_messages":                "warning",
	"log_line_prefix":                 "%m [%p] ",
}

// Open creates (first use), starts or attaches to the cluster in
// opt.DataDir/pg and makes sure opt.Database exists. Call Stop when done.
func Open(ctx context.Context, opt Options) (*Cluster, error) {
	if opt.DataDir == "" {
		return nil, errors.New("pgcluster: no data directory given")
	}
	if opt.Database == "" {
		opt.Database = "tudi"
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, bin, cred, err := locate(opt)
	if err != nil {
		return nil, err
	}
	c := &Cluster{pgDir: filepath.Join(abs, "pg"), db: opt.Database, log: log, port: 5432}
	c.sockDir = c.pgDir
	if len(filepath.Join(c.sockDir, ".s.PGSQL.5432")) > 100 {
		return nil, fmt.Errorf("data dir %q: path too long for a unix socket (over 100 bytes); choose a shorter --data-dir", abs)
	}
	if err := prepareDirs(abs, c.pgDir, cred); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.pgDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, bin, c.pgDir, cred, log); err != nil {
			return nil, err
		}
	}
	settings := maps.Clone(defaultSettings)
	maps.Copy(settings, opt.Settings)
	maps.Copy(settings, c.privateSettings())
	changed, err := writePrivateConfig(c.pgDir, cred, settings)
	if err != nil {
		return nil, fmt.Errorf("postgres in %q: %w", c.pgDir, err)
	}

	if err := c.attachOrStart(ctx, bin, abs, cred); err != nil {
		return nil, err
	}
	if !c.Owned() {
		if err := c.checkAttached(ctx, changed); err != nil {
			return nil, err
		}
	}
	if err := c.ensureDatabase(ctx); err != nil {
		_ = c.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return c, nil
}

// privateSettings are the settings that keep the server off the network
// (see private.go); they override Options.Settings.
func (c *Cluster) privateSettings() map[string]string {
	return map[string]string{
		"listen_addresses":        "",
		"unix_socket_directories": c.sockDir,
		"unix_socket_permissions": "0700",
		"port":                    strconv.Itoa(c.port),
	}
}

// checkAttached reloads a server this process attached to when its files
// changed (a cluster of an older tudi loses its trust lines at once),
// refuses one whose pg_hba.conf did not load, and warns when it listens on
// TCP, which only a restart closes (pg_hba.conf already refuses every TCP
// connection).
func (c *Cluster) checkAttached(ctx context.Context, changed bool) error {
	conn, err := pgx.Connect(ctx, c.DatabaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres in %q: %w", c.pgDir, err)
	}
	defer conn.Close(ctx)
	if changed {
		c.log.Info("postgres configuration rewritten: reloading", "dir", c.pgDir)
		if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			return fmt.Errorf("reload postgres in %q: %w", c.pgDir, err)
		}
	}
	var bad int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL").Scan(&bad); err != nil {
		return fmt.Errorf("check pg_hba.conf of %q: %w", c.pgDir, err)
	}
	if bad > 0 {
		return fmt.Errorf("postgres in %q: pg_hba.conf has %d bad lines and was not loaded", c.pgDir, bad)
	}
	var listen string
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil {
		return fmt.Errorf("check listen_addresses of %q: %w", c.pgDir, err)
	}
	if listen != "" {
		c.log.Warn("the running postgres listens on TCP (pg_hba.conf refuses every TCP connection); restart it to close the port",
			"dir", c.pgDir, "listen_addresses", listen)
	}
	return nil
}

// URL returns the connection string of the cluster's database.
func (c *Cluster) URL() string { return c.DatabaseURL(c.db) }

// DatabaseURL returns the connection string of database db on the cluster.
func (c *Cluster) DatabaseURL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable", db, c.sockDir, c.port)
}

// Owned reports whether this process started the server (and Stop stops it).
func (c *Cluster) Owned() bool { return c.cmd != nil }

// Stop stops the server if this process started it: a fast shutdown
// (SIGINT), then an immediate one (SIGQUIT) if it does not stop within 30 s.
// It does nothing for a server attached to.
func (c *Cluster) Stop(ctx context.Context) error {
	if c.cmd == nil {
		return nil
	}
	defer func() {
		if c.logFile != nil {
			_ = c.logFile.Close()
		}
	}()
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		<-c.exited
	case <-ctx.Done():
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		<-c.exited
	}
	c.log.Info("postgres stopped", "dir", c.pgDir)
	c.cmd = nil
	return nil
}

func (c *Cluster) attachOrStart(ctx context.Context, bin, dataDir string, cred *syscall.Credential) error {
	for attempt := 0; attempt < 3; attempt++ {
		pid, running := runningPostmaster(c.pgDir)
		if running {
			c.log.Info("attaching to running postgres", "dir", c.pgDir, "pid", pid)
			return c.waitReady(ctx, 60*time.Second, nil)
		}
		err := c.start(ctx, bin, dataDir, cred)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errLostRace) {
			return err
		}
	}
	return fmt.Errorf("postgres in %q: could neither start nor attach; see %s", c.pgDir, filepath.Join(dataDir, "postgres.log"))
}

// errLostRace: another process started the postmaster between our check and
// our start.
var errLostRace = errors.New("another postmaster started")

func (c *Cluster) start(ctx context.Context, bin, dataDir string, cred *syscall.Credential) error {
	logPath := filepath.Join(dataDir, "postgres.log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", logPath, err)
	}
	// Everything else comes from tudi.conf; the private settings are also
	// given here because the command line beats postgresql.auto.conf, which
	// an ALTER SYSTEM may have written.
	args := []string{"-D", c.pgDir}
	private := c.privateSettings()
	for _, k := range slices.Sorted(maps.Keys(private)) {
		args = append(args, "-c", k+"="+private[k])
	}
	// Not exec.CommandContext: the server must outlive a cancelled ctx long
	// enough for a clean shutdown through Stop.
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = serverEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group: a terminal's Ctrl-C reaches tudi, which
		// then stops the server in order, not postgres directly.
		Setpgid: true,
		// If tudi dies without stopping it, the server shuts down fast.
		Pdeathsig: syscall.SIGINT,
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	c.log.Info("postgres starting", "dir", c.pgDir, "pid", cmd.Process.Pid)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.cmd, c.exited, c.logFile = cmd, exited, lf
	if err := c.waitReady(ctx, 120*time.Second, exited); err != nil {
		if isClosed(exited) {
			c.cmd = nil
			lf.Close()
			if _, running := runningPostmaster(c.pgDir); running {
				return errLostRace
			}
			return fmt.Errorf("postgres in %q exited at start: %s (full log: %s)", c.pgDir, lastLines(logPath, 3), logPath)
		}
		_ = c.Stop(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitReady polls until the server accepts connections.
func (c *Cluster) waitReady(ctx context.Context, limit time.Duration, exited chan struct{}) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, c.DatabaseURL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("postgres exited")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("postgres in %q not ready after %s: %w", c.pgDir, limit, last)
}

func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.DatabaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, c.db).Scan(&exists); err != nil {
		return fmt.Errorf("check database %q: %w", c.db, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.db}.Sanitize())
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) && pgErr.SQLState() == "42P04" { // created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", c.db, err)
	}
	return nil
}

// runningPostmaster reads postmaster.pid and reports whether the process it
// names is a live postgres. A pid file of a dead (or reused) pid is left to
// the postmaster, which replaces a stale one itself; one naming a live
// process that is not postgres is removed here, since the postmaster would
// refuse to start over it.
func runningPostmaster(pgDir string) (int, bool) {
	pidFile := filepath.Join(pgDir, "postmaster.pid")
	f, err := os.Open(pidFile)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return pid, false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err == nil && !strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
		_ = os.Remove(pidFile)
		return pid, false
	}
	return pid, true
}

func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// findBinDir locates initdb and postgres: the given dir, `pg_config
// --bindir`, then the Debian layout /usr/lib/postgresql/<newest>/bin.
// locate resolves what starting a cluster needs: the absolute data
// directory, PostgreSQL's bin directory and the credentials to run it with.
func locate(opt Options) (abs, bin string, cred *syscall.Credential, err error) {
	if abs, err = filepath.Abs(opt.DataDir); err != nil {
		return "", "", nil, fmt.Errorf("data dir %q: %w", opt.DataDir, err)
	}
	if bin, err = findBinDir(opt.BinDir); err != nil {
		return "", "", nil, err
	}
	if cred, err = credentials(); err != nil {
		return "", "", nil, err
	}
	return abs, bin, cred, nil
}

func findBinDir(dir string) (string, error) {
	ok := func(d string) bool {
		_, e1 := os.Stat(filepath.Join(d, "initdb"))
		_, e2 := os.Stat(filepath.Join(d, "postgres"))
		return e1 == nil && e2 == nil
	}
	if dir != "" {
		if ok(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("no initdb and postgres in %q", dir)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); ok(d) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if ok(d) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install them (Debian: apt-get install postgresql-15 postgresql-15-postgis-3), or pass --db to use an existing server")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// credentials returns the postgres system user's credentials when running as
// root (PostgreSQL refuses to run as root), else nil.
func credentials() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres system user, which does not exist (install the postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// prepareDirs creates the data dir and the cluster dir, owned by the user the
// server runs as, and checks that this user can reach them.
//
// The data dir holds the write token, the server log and the cluster. One
// that tudi creates, or one that already holds a cluster (older versions made
// it 0755), is made 0700 — or, when tudi runs as root, 0710 with the postgres
// user's group, which lets the server (and nobody else) pass through to the
// cluster dir. Any other existing directory given as --data-dir (a home
// directory, say) keeps its mode, except that under root the postgres user is
// let through. The cluster dir itself is always 0700 and the server's.
func prepareDirs(dataDir, pgDir string, cred *syscall.Credential) error {
	_, statErr := os.Stat(dataDir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %q is not writable (choose another --data-dir): %w", dataDir, err)
	}
	probe := filepath.Join(dataDir, ".write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return fmt.Errorf("data dir %q is not writable (choose another --data-dir): %w", dataDir, err)
	}
	_ = os.Remove(probe)
	_, pgErr := os.Stat(filepath.Join(pgDir, "PG_VERSION"))
	if created || pgErr == nil {
		mode := os.FileMode(0o700)
		if cred != nil {
			mode = 0o710
			if err := os.Lchown(dataDir, -1, int(cred.Gid)); err != nil {
				return fmt.Errorf("chgrp %q: %w", dataDir, err)
			}
		}
		if err := os.Chmod(dataDir, mode); err != nil {
			return fmt.Errorf("chmod %q: %w", dataDir, err)
		}
	}
	// Older versions made the server log 0644; it names databases, users and
	// failing statements.
	if err := os.Chmod(filepath.Join(dataDir, "postgres.log"), 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("chmod %q: %w", filepath.Join(dataDir, "postgres.log"), err)
	}
	if err := os.MkdirAll(pgDir, 0o700); err != nil {
		return fmt.Errorf("create %q: %w", pgDir, err)
	}
	if err := os.Chmod(pgDir, 0o700); err != nil {
		return fmt.Errorf("chmod %q: %w", pgDir, err)
	}
	if cred == nil {
		return nil
	}
	// The postgres user must be able to traverse every ancestor.
	for d := dataDir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("stat %q: %w", d, err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		inGroup := sys.Gid == cred.Gid && st.Mode().Perm()&0o010 != 0
		if st.Mode().Perm()&0o001 == 0 && sys.Uid != cred.Uid && !inGroup {
			if d == dataDir {
				if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
					return fmt.Errorf("chmod %q: %w", d, err)
				}
			} else {
				return fmt.Errorf("PostgreSQL runs as the postgres user, which cannot enter %q: choose a --data-dir outside it or run chmod o+x %q", d, d)
			}
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	return filepath.Walk(pgDir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
}

func initdb(ctx context.Context, bin, pgDir string, cred *syscall.Credential, log *slog.Logger) error {
	log.Info("creating PostgreSQL cluster", "dir", pgDir)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", pgDir, "-U", "postgres", "-E", "UTF8", "--no-locale",
		// Never trust: Open replaces pg_hba.conf right after, but a cluster
		// left by a crash in between must not be open either.
		"--auth-local=peer", "--auth-host=reject", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %q failed: %w: %s", pgDir, err, tail(out.String(), 400))
	}
	return nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
