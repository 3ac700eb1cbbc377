package importers

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// An import unpacks zips and spools uploads to disk, up to the unzip limit.
// A process killed meanwhile (kill -9, OOM, power) cannot remove them, so
// they go under one directory per user, <temp>/tudi-<uid>, each named
// <purpose>-<pid>-<random>: the next tudi process of that user removes the
// ones whose process is gone (RemoveStaleTemp, called by New).

// tempRoot returns <temp>/tudi-<uid>, creating it 0700. A path there that is
// not a directory of this user (a symlink, or made by someone else in a
// shared /tmp) is refused rather than used.
func tempRoot() (string, error) {
	root := filepath.Join(os.TempDir(), "tudi-"+strconv.Itoa(os.Geteuid()))
	if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create temp dir %q: %w", root, err)
	}
	st, err := os.Lstat(root)
	if err != nil {
		return "", fmt.Errorf("temp dir %q: %w", root, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Geteuid() {
		return "", fmt.Errorf("temp dir %q is not a directory of this user: remove it or set TMPDIR", root)
	}
	if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(root, 0o700); err != nil {
			return "", fmt.Errorf("chmod temp dir %q: %w", root, err)
		}
	}
	return root, nil
}

// TempDir creates a directory for one import's or upload's files, to be
// removed by the caller (os.RemoveAll) when done. When <temp>/tudi-<uid> is
// unusable (another user took the name in a shared /tmp), it falls back to a
// fresh private directory directly in <temp>, which RemoveStaleTemp cannot
// find: imports keep working, only their cleanup after a kill is lost.
func TempDir(purpose string) (string, error) {
	root, err := tempRoot()
	if err != nil {
		return os.MkdirTemp("", "tudi-"+purpose+"-")
	}
	return os.MkdirTemp(root, purpose+"-"+strconv.Itoa(os.Getpid())+"-")
}

// RemoveStaleTemp removes the temp dirs of this user's tudi processes that
// no longer run. A dir whose pid now belongs to another live process stays
// until that one ends too.
func RemoveStaleTemp(log *slog.Logger) {
	root, err := tempRoot()
	if err != nil {
		log.Warn("cannot clean up temp files of earlier imports", "error", err.Error())
		return
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		log.Warn("cannot clean up temp files of earlier imports", "error", err.Error())
		return
	}
	for _, e := range entries {
		parts := strings.SplitN(e.Name(), "-", 3)
		if len(parts) != 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // alive
		}
		p := filepath.Join(root, e.Name())
		if err := os.RemoveAll(p); err != nil {
			log.Warn("cannot remove temp files of an earlier import", "dir", p, "error", err.Error())
			continue
		}
		log.Info("removed temp files of an import that did not finish", "dir", p)
	}
}
