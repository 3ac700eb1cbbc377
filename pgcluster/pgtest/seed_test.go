package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// What ended test processes left is removed: seeds of ended runs, and
// clusters, data dirs and seed builds of ended test binaries. What running
// processes use, other users' files and names pgtest does not make are
// kept.
func TestRemoveEnded(t *testing.T) {
	root := t.TempDir()
	prefix := "tudi-pgtest-1000-"
	// A pid that is surely not running: above the kernel's limit.
	const gone = 1 << 30
	alive := os.Getpid()
	dirs := map[string]bool{ // name: kept
		fmt.Sprintf("%sseed-%d-abc", prefix, alive):       true,
		fmt.Sprintf("%sseed-%d-abc", prefix, gone):        false,
		fmt.Sprintf("%sseedbuild-%d-1", prefix, gone):     false,
		fmt.Sprintf("%srun-%d-1", prefix, alive):          true,
		fmt.Sprintf("%srun-%d-2", prefix, gone):           false,
		fmt.Sprintf("%stest-%d-3", prefix, gone):          false,
		fmt.Sprintf("%sother-%d-3", prefix, gone):         true,
		fmt.Sprintf("tudi-pgtest-1001-seed-%d-abc", gone): true, // another user's
		"tudi-e2e-123": true,
	}
	for name := range dirs {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeEnded(root, prefix)
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
