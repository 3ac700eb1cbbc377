package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"tudi/land"
	"tudi/postgis"
	"tudi/server"
	"tudi/tiles"
)

// ServeConfig configures tudi serve.
type ServeConfig struct {
	DB               DBConfig
	Addr             string
	PublicURL        string
	Token            string
	StatementTimeout time.Duration
	Sample           bool
	TileCache        string
	TileCacheMaxMB   int
	TileMemoryMB     int
	MaxConns         int32
	TrustedProxies   string
	Auth             server.AuthMode
	Limits           server.Limits
	Catalog          string
	Replicas         replicaConfig
}

func (c ServeConfig) logAttrs() []any {
	return []any{"addr", c.Addr, "db", postgis.Redact(c.DB.URL), "data_dir", c.DB.DataDir,
		"public_url", c.PublicURL, "tile_cache", c.TileCache, "tile_cache_max_mb", c.TileCacheMaxMB, "tile_memory_mb", c.TileMemoryMB, "statement_timeout", c.StatementTimeout.String(), "sample", c.Sample, "max_conns", c.MaxConns,
		"trusted_proxies", c.TrustedProxies, "catalog", c.Catalog}
}

func serveCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var (
		cfg      ServeConfig
		maxConns int
	)
	addDBFlags(fs, &cfg.DB, env)
	fs.StringVar(&cfg.Addr, "addr", envOr(env, "TUDI_ADDR", "127.0.0.1:8080"), "listen address (env TUDI_ADDR); the default is this machine only, :8080 opens it to the network")
	fs.StringVar(&cfg.PublicURL, "public-url", env.Getenv("TUDI_PUBLIC_URL"), "absolute URL clients reach tudi at, when behind a proxy (env TUDI_PUBLIC_URL)")
	fs.StringVar(&cfg.Token, "token", env.Getenv("TUDI_TOKEN"), "bearer token for writes (env TUDI_TOKEN); default: generated and stored in DATA_DIR/token")
	fs.DurationVar(&cfg.StatementTimeout, "statement-timeout", 30*time.Second, "limit of one SQL statement of a request")
	authMode := envOr(env, "TUDI_AUTH", string(server.AuthWrite))
	fs.StringVar(&authMode, "auth", authMode, "which requests need a token: write (reads open) or read (every data request; env TUDI_AUTH)")
	fs.IntVar(&maxConns, "max-conns", 24, "database connections of the server's pool (tiles of a composite request and concurrent clients each take one)")
	fs.BoolVar(&cfg.Sample, "sample", true, "load the sample district into an empty embedded database")
	fs.StringVar(&cfg.TileCache, "tile-cache", env.Getenv("TUDI_TILE_CACHE"), "directory to keep rendered tiles in, besides memory (env TUDI_TILE_CACHE); default DATA_DIR/tile-cache, \"off\" for none")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", env.Getenv("TUDI_TRUSTED_PROXIES"), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-* headers are believed (env TUDI_TRUSTED_PROXIES); default none")
	addCatalogFlag(fs, &cfg.Catalog, env)
	memMB := envOr(env, "TUDI_TILE_MEMORY", "auto")
	fs.StringVar(&memMB, "tile-memory", memMB, "megabytes of rendered tiles kept in memory, 0 for none (env TUDI_TILE_MEMORY); auto: an eighth of the machine's memory, 64–8192")
	diskMB := envOr(env, "TUDI_TILE_CACHE_MAX", "auto")
	fs.StringVar(&diskMB, "tile-cache-max", diskMB, "megabytes the tile cache directory may hold, 0 for no limit (env TUDI_TILE_CACHE_MAX); auto: a tenth of its file system, 256–32768")
	addLimitFlags(fs, &cfg.Limits)
	addReplicaFlags(fs, &cfg.Replicas, env)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	auth, err := server.ParseAuthMode(authMode)
	if err != nil {
		return err
	}
	cfg.Auth = auth
	cfg.Limits.StatementTimeout = cfg.StatementTimeout
	if cfg.TileMemoryMB, err = parseMB("--tile-memory", memMB, tiles.DefaultCacheBytes); err != nil {
		return err
	}
	tileBytes := int64(cfg.TileMemoryMB) << 20
	if tileBytes == 0 {
		tileBytes = -1 // none
	}
	switch cfg.TileCache {
	case "off":
		cfg.TileCache = ""
	case "":
		if cfg.TileCache, err = defaultTileCacheDir(cfg.DB); err != nil {
			return err
		}
	}
	var diskBytes int64
	if cfg.TileCache != "" {
		if cfg.TileCacheMaxMB, err = parseMB("--tile-cache-max", diskMB, func() int64 { return tiles.DefaultDiskBytes(cfg.TileCache) }); err != nil {
			return err
		}
		if diskBytes = int64(cfg.TileCacheMaxMB) << 20; diskBytes == 0 {
			diskBytes = -1 // no limit
		}
	}
	if maxConns < 2 || maxConns > 1000 {
		return land.Errorf(land.Invalid, "--max-conns must be between 2 and 1000, got %d", maxConns)
	}
	cfg.MaxConns = int32(maxConns)
	proxies, err := server.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return land.Errorf(land.Invalid, "serve takes no arguments, got %q", fs.Args())
	}
	cat, err := loadCatalog(cfg.Catalog)
	if err != nil {
		return err
	}
	// Listen first: a port already taken fails at once, before any database work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return land.Errorf(land.Unavailable, "cannot listen on %s (is another server using the port? choose one with --addr): %w", cfg.Addr, err)
	}
	defer ln.Close()
	log.Info("starting tudi serve", cfg.logAttrs()...)

	st, err := openStore(ctx, cfg.DB, postgis.Options{StatementTimeout: cfg.StatementTimeout, AppName: "tudi serve", MaxConns: cfg.MaxConns}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	readers, err := openReplicas(ctx, cfg.Replicas, st.DB, postgis.Options{StatementTimeout: cfg.StatementTimeout, AppName: "tudi serve", MaxConns: cfg.MaxConns}, log)
	if err != nil {
		return err
	}
	if err := cat.check(ctx, st.DB); err != nil {
		return err
	}
	if st.Embedded && cfg.Sample {
		if err := loadSampleIfEmpty(ctx, st.DB, cfg.DB.DataDir, log); err != nil {
			return err
		}
	}
	if cfg.Token == "" {
		if cfg.Token, err = ensureToken(cfg.DB.DataDir, true); err != nil {
			return err
		}
		// Never the token itself in the log: logs are shipped and kept.
		log.Info("write token stored (send it as Authorization: Bearer TOKEN)", "file", filepath.Join(cfg.DB.DataDir, "token"))
	}
	srv, err := server.New(server.Config{PublicURL: cfg.PublicURL, Token: cfg.Token, Auth: cfg.Auth, TileCacheDir: cfg.TileCache, TileCacheBytes: tileBytes, TileDiskBytes: diskBytes,
		TrustedProxies: proxies, Limits: cfg.Limits, Kinds: cat.Kinds, Reports: cat.Reports}, st.DB, log)
	if err != nil {
		return err
	}
	if cfg.Auth == server.AuthRead {
		log.Info("reads need a token (--auth read): give readers one with tudi token create --role viewer")
	}
	log.Info("serving", "url", "http://"+displayAddr(ln.Addr()))
	if isLoopback(ln.Addr()) {
		log.Info("listening on this machine only; to serve the network start with --addr :" + portOf(ln.Addr()) + " (or TUDI_ADDR), see SECURITY.md")
	} else {
		log.Info("listening on the network: whoever reaches this port reaches tudi; see SECURITY.md", "addr", ln.Addr().String())
	}
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error { return srv.Serve(gctx, ln) })
	if readers != nil {
		defer readers.Close()
		g.Go(func() error { return readers.Run(gctx) })
	}
	err = g.Wait()
	log.Info("stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") {
		return "localhost:" + strings.TrimPrefix(s, "[::]:")
	}
	if strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(s, "0.0.0.0:")
	}
	return s
}

// isLoopback reports whether a listens on a loopback address only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// ensureToken reads DATA_DIR/token, or creates it (and the data dir, 0700)
// with a random token; with persist false it only generates one.
func ensureToken(dataDir string, persist bool) (string, error) {
	path := filepath.Join(dataDir, "token")
	if persist {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", fmt.Errorf("create data dir for the token file: %w", err)
		}
	}
	if persist {
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	tok := hex.EncodeToString(buf)
	if persist {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write token file: %w", err)
		}
	}
	return tok, nil
}

// parseMB parses a number of megabytes of a flag, or "auto" for the
// megabytes of def().
func parseMB(flag, v string, def func() int64) (int, error) {
	if v == "auto" {
		return int(def() >> 20), nil
	}
	mb, err := strconv.Atoi(v)
	if err != nil || mb < 0 || mb > 1<<30 {
		return 0, land.Errorf(land.Invalid, "%s must be a number of megabytes between 0 and %d, or auto, got %q", flag, 1<<30, v)
	}
	return mb, nil
}

// defaultTileCacheDir is where the disk tile cache goes when --tile-cache
// is not given: beside the embedded cluster, in DATA_DIR/tile-cache; for a
// database given with --db, in the user's cache directory, in a directory
// of its own per database (host, port and name), so that servers of two
// databases on one machine never share tiles, while servers of the same one
// do. Never in the working directory, which --data-dir's default would be.
func defaultTileCacheDir(db DBConfig) (string, error) {
	if db.URL == "" {
		return filepath.Join(db.DataDir, "tile-cache"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", land.Errorf(land.Invalid, "--tile-cache: no user cache directory for the default tile cache (%v): give --tile-cache DIR or off", err)
	}
	cfg, err := pgx.ParseConfig(db.URL)
	if err != nil {
		return "", land.Errorf(land.Invalid, "--db: %v", err)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", cfg.Host, cfg.Port, cfg.Database))
	return filepath.Join(base, "tudi", "tile-cache", hex.EncodeToString(sum[:6])), nil
}
