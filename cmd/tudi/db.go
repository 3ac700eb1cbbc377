package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"tudi/land"
	"tudi/migrations"
	"tudi/pgcluster"
	"tudi/postgis"
)

// DBConfig says where the database is: a URL, or the embedded cluster.
type DBConfig struct {
	URL     string // --db / DATABASE_URL; empty: the embedded cluster
	DataDir string // --data-dir / TUDI_DATA_DIR
}

// addDBFlags registers --db and --data-dir with defaults from env.
func addDBFlags(fs *flag.FlagSet, cfg *DBConfig, env Env) {
	fs.StringVar(&cfg.URL, "db", env.Getenv("DATABASE_URL"), "PostgreSQL/PostGIS URL (env DATABASE_URL); empty: the embedded cluster in --data-dir")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr(env, "TUDI_DATA_DIR", "./tudi-data"), "data directory of the embedded cluster (env TUDI_DATA_DIR)")
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// Store is an open, migrated database and what to do when done with it.
type Store struct {
	DB       *postgis.DB
	Embedded bool
	cluster  *pgcluster.Cluster
}

// Close closes the pool and stops the embedded cluster if this process
// started it.
func (s *Store) Close(ctx context.Context) {
	s.DB.Close()
	if s.cluster != nil {
		_ = s.cluster.Stop(ctx)
	}
}

// openStore opens the database the way every command does: --db, else the
// embedded cluster (started, or attached to when a tudi serve runs on it),
// then migrates it.
func openStore(ctx context.Context, cfg DBConfig, opt postgis.Options, log *slog.Logger) (*Store, error) {
	st := &Store{}
	url := cfg.URL
	if url == "" {
		c, err := pgcluster.Open(ctx, pgcluster.Options{DataDir: cfg.DataDir, Log: log})
		if err != nil {
			return nil, land.Wrap(land.Unavailable, err, fmt.Sprintf("embedded database in %q: %v", cfg.DataDir, err))
		}
		st.cluster, st.Embedded, url = c, true, c.URL()
	}
	db, err := postgis.Open(ctx, url, opt, log)
	if err != nil {
		if st.cluster != nil {
			_ = st.cluster.Stop(ctx)
		}
		return nil, err
	}
	st.DB = db
	mctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := migrations.Up(mctx, db.Pool, log); err != nil {
		st.Close(context.WithoutCancel(ctx))
		return nil, land.Wrap(land.Unavailable, err, err.Error())
	}
	return st, nil
}

func migrateCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cfg DBConfig
	addDBFlags(fs, &cfg, env)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	st, err := openStore(ctx, cfg, postgis.Options{}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	fmt.Fprintln(env.Stdout, "database is up to date")
	return nil
}
