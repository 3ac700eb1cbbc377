package importers

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTempFilesOfKilledImportsAreRemoved(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir, err := TempDir("import")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(dir)
	if want := filepath.Join(os.TempDir(), "tudi-"+strconv.Itoa(os.Geteuid())); root != want {
		t.Fatalf("temp dir %q is not under %q", dir, want)
	}
	if !strings.HasPrefix(filepath.Base(dir), "import-"+strconv.Itoa(os.Getpid())+"-") {
		t.Fatalf("temp dir %q does not name its process", dir)
	}
	if st, err := os.Stat(root); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("temp root %q: %v %v, want mode 700", root, st.Mode(), err)
	}
	// A process that is gone: the import it ran was killed.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(root, "upload-"+strconv.Itoa(cmd.Process.Pid)+"-123")
	live := filepath.Join(root, "import-"+strconv.Itoa(os.Getppid())+"-456")
	other := filepath.Join(root, "notes")
	for _, d := range []string{dead, live, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sub", "parcels.shp"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	New(nil, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's temp dir is still there: %v", err)
	}
	for _, d := range []string{dir, live, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

func TestTempRootPlantedBySomeoneElseIsNotFollowed(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	root := filepath.Join(os.TempDir(), "tudi-"+strconv.Itoa(os.Geteuid()))
	target := t.TempDir()
	if err := os.Symlink(target, root); err != nil {
		t.Fatal(err)
	}
	dir, err := TempDir("import")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if strings.HasPrefix(dir, root) || strings.HasPrefix(dir, target) {
		t.Fatalf("TempDir followed a symlinked root to %q", dir)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("fallback dir %q: %v %v", dir, st.Mode(), err)
	}
}
