package main

import (
	"context"
	"flag"
	"io"
	"slices"
	"testing"
	"time"

	"tudi/land"
	"tudi/postgis"
)

func TestReplicaFlags(t *testing.T) {
	t.Parallel()
	parse := func(env map[string]string, args ...string) (replicaConfig, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var rc replicaConfig
		addReplicaFlags(fs, &rc, Env{Getenv: func(k string) string { return env[k] }})
		return rc, fs.Parse(args)
	}
	rc, err := parse(nil, "--read-db", "postgres://r1/tudi", "--read-db", "postgres://r2/tudi", "--max-lag", "2s")
	if err != nil || !slices.Equal(rc.URLs, []string{"postgres://r1/tudi", "postgres://r2/tudi"}) || rc.MaxLag != 2*time.Second {
		t.Fatalf("repeated --read-db: %+v %v", rc, err)
	}
	env := map[string]string{"TUDI_READ_DB": "postgres://e1/tudi  postgres://e2/tudi"}
	if rc, err = parse(env); err != nil || len(rc.URLs) != 2 || rc.MaxLag != 5*time.Second {
		t.Fatalf("TUDI_READ_DB: %+v %v", rc, err)
	}
	if rc, err = parse(env, "--read-db", "postgres://r1/tudi"); err != nil || !slices.Equal(rc.URLs, []string{"postgres://r1/tudi"}) {
		t.Fatalf("--read-db over TUDI_READ_DB: %+v %v", rc, err)
	}
	if _, err = parse(nil, "--read-db", " "); err == nil {
		t.Fatal("an empty --read-db was accepted")
	}
	rc, _ = parse(nil, "--read-db", "postgres://r1/tudi", "--max-lag", "0s")
	if _, err := openReplicas(context.Background(), rc, nil, postgis.Options{}, nil); land.KindOf(err) != land.Invalid {
		t.Fatalf("--max-lag 0: %v", err)
	}
	rc, _ = parse(nil, "--read-db", "postgres://r1/tudi?sslmode=nonsense")
	if _, err := openReplicas(context.Background(), rc, nil, postgis.Options{}, nil); land.KindOf(err) != land.Invalid {
		t.Fatalf("a bad --read-db URL: %v", err)
	}
}
