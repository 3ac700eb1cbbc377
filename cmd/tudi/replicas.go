package main

import (
	"context"
	"flag"
	"log/slog"
	"strings"
	"time"

	"tudi/land"
	"tudi/postgis"
)

// replicaConfig holds tudi serve's read replica flags.
type replicaConfig struct {
	URLs   []string
	MaxLag time.Duration
}

// addReplicaFlags adds --read-db (repeatable; env TUDI_READ_DB, several
// separated by spaces) and --max-lag.
func addReplicaFlags(fs *flag.FlagSet, rc *replicaConfig, env Env) {
	rc.URLs = strings.Fields(env.Getenv("TUDI_READ_DB"))
	fromEnv := len(rc.URLs) > 0
	fs.Func("read-db", "connection URL of a streaming replica of --db to read tiles, features and identify from; repeat for several (env TUDI_READ_DB, space-separated)", func(s string) error {
		if fromEnv { // the command line replaces the environment
			rc.URLs, fromEnv = nil, false
		}
		if strings.TrimSpace(s) == "" {
			return land.Errorf(land.Invalid, "--read-db needs a connection URL")
		}
		rc.URLs = append(rc.URLs, s)
		return nil
	})
	fs.DurationVar(&rc.MaxLag, "max-lag", postgis.DefaultMaxLag, "a replica further behind the primary than this serves no reads until it catches up")
}

// openReplicas attaches a read router over the replicas to db; nil without
// --read-db.
func openReplicas(ctx context.Context, rc replicaConfig, db *postgis.DB, opt postgis.Options, log *slog.Logger) (*postgis.Readers, error) {
	if len(rc.URLs) == 0 {
		return nil, nil
	}
	if rc.MaxLag <= 0 {
		return nil, land.Errorf(land.Invalid, "--max-lag must be positive, got %s", rc.MaxLag)
	}
	r, err := postgis.OpenReaders(ctx, db, rc.URLs, postgis.ReadersOptions{MaxLag: rc.MaxLag, Pool: opt})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(rc.URLs))
	for i, u := range rc.URLs {
		names[i] = postgis.Redact(u)
	}
	log.Info("reading from replicas when they have every change read (writes, LISTEN and fences stay on the primary)", "replicas", names, "max_lag", rc.MaxLag.String())
	return r, nil
}
