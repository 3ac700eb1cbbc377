package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The seeds of ended runs and builds left by killed test binaries are
// removed; the seeds of running runs, and other users' files, are kept.
func TestRemoveEndedSeeds(t *testing.T) {
	root := t.TempDir()
	prefix := "tudi-pgtest-1000-"
	// A pid that is surely not running: above the kernel's limit.
	const gone = 1 << 30
	dirs := map[string]bool{ // name: kept
		fmt.Sprintf("%sseed-%d-abc", prefix, os.Getpid()): true,
		fmt.Sprintf("%sseed-%d-abc", prefix, gone):        false,
		prefix + "seedbuild-123":                          false,
		fmt.Sprintf("tudi-pgtest-1001-seed-%d-abc", gone): true, // another user's
		"tudi-pgtest-2639484759":                          true, // a package's cluster
	}
	for name := range dirs {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeEndedSeeds(root, prefix)
	for name, kept := range dirs {
		_, err := os.Stat(filepath.Join(root, name))
		if got := err == nil; got != kept {
			t.Errorf("%s: kept %v, want %v", name, got, kept)
		}
	}
}

// Root follows TUDI_TEST_TMPDIR.
func TestRootOverride(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TUDI_TEST_TMPDIR", dir)
	if got := Root(); got != dir {
		t.Fatalf("Root() = %q, want %q", got, dir)
	}
}
