package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Standby makes opt.DataDir/pg a streaming replica of c (pg_basebackup -R
// over c's unix socket, on first use) and starts it like Open does, private
// in the same way. The replica follows c until it is stopped; it answers
// reads only. opt.Database must already exist on c (it is copied).
func (c *Cluster) Standby(ctx context.Context, opt Options) (*Cluster, error) {
	if opt.DataDir == "" {
		return nil, errors.New("pgcluster: no data directory given for the standby")
	}
	abs, bin, cred, err := locate(opt)
	if err != nil {
		return nil, err
	}
	pgDir := filepath.Join(abs, "pg")
	if _, err := os.Stat(filepath.Join(pgDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := prepareDirs(abs, pgDir, cred); err != nil {
			return nil, err
		}
		if err := basebackup(ctx, bin, c, pgDir, cred); err != nil {
			return nil, err
		}
	}
	if opt.Database == "" {
		opt.Database = c.db
	}
	return Open(ctx, opt)
}

func basebackup(ctx context.Context, bin string, primary *Cluster, pgDir string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_basebackup"),
		"-D", pgDir, "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-h", primary.sockDir, "-p", strconv.Itoa(primary.port), "-U", "postgres")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_basebackup into %q failed: %w: %s", pgDir, err, tail(out.String(), 400))
	}
	// The primary's socket lock files live in its data directory (see
	// privateSettings) and come along; the standby's server would take them
	// for a running postmaster's.
	locks, _ := filepath.Glob(filepath.Join(pgDir, ".s.PGSQL.*"))
	for _, l := range locks {
		if err := os.Remove(l); err != nil {
			return fmt.Errorf("standby %q: %w", pgDir, err)
		}
	}
	return nil
}
