package ogc_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// qgisPython finds a Python with QGIS's bindings. CI does not install them
// (python3-qgis and qgis-providers are ~200 MB to download, ~900 MB
// installed), so they alone are a reason to skip.
func qgisPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import qgis.core").Run() == nil {
			return path
		}
	}
	t.Skip("QGIS's Python bindings are missing (Debian: apt-get install python3-qgis qgis-providers); the QGIS check did not run")
	return ""
}

// runQGISCheck runs scripts/qgis_check.py: QGIS's OAPIF provider, headless,
// reads every feature of each layer and a bbox, and the script checks them
// against tudi's own answers.
func runQGISCheck(t *testing.T, python string, args ...string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "qgis_check.py")
	cmd := exec.Command(python, append([]string{script}, args...)...)
	runDir := t.TempDir()
	if err := os.Chmod(runDir, 0o700); err != nil { // as Qt wants it
		t.Fatal(err)
	}
	cmd.Env = append(cmd.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+runDir, "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qgis_check.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestQGISReadsEveryFeature(t *testing.T) {
	python := qgisPython(t)
	ts, _ := newServer(t)
	rows := "--rows=parcels=" + strconv.Itoa(fixtureParcels) + ",farmland=3"

	t.Run("as QGIS opens a layer", func(t *testing.T) {
		out := runQGISCheck(t, python, "--url", ts.URL+"/ogc", rows)
		for _, want := range []string{
			"featureCount 250 (numberMatched 250, rows 250)",
			"read every feature: 250 features", "matched with tudi's features: 250 of 250 ids, each once: yes",
			"featureCount 3 (numberMatched 3, rows 3)", "3 features in", "1 without geometry, 0 invalid, 0 outside the extent",
			"same ids: yes", "OK: 2 layers",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the QGIS check lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("restricted to the request's bbox, QGIS sends it to tudi", func(t *testing.T) {
		out := runQGISCheck(t, python, "--url", ts.URL+"/ogc", rows, "--layers", "parcels", "--skip-full", "parcels",
			"--uri-extra", "restrictToRequestBBOX='1'")
		// The middle quarter of the 25 × 10 grid: columns 6–18, rows 2–7.
		for _, want := range []string{"QGIS 78 features", "tudi's own bbox query 78 in 1 pages; same ids: yes",
			"1 bbox pages, 0 of them without numberMatched", "OK: 1 layers"} {
			if !strings.Contains(out, want) {
				t.Errorf("the QGIS check lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("without numberMatched", func(t *testing.T) {
		// As tudi answers while a large count runs: QGIS must still read
		// every feature through the next links.
		proxy, stripped := stripNumberMatched(t, ts.URL)
		out := runQGISCheck(t, python, "--url", proxy+"/ogc", rows, "--layers", "parcels")
		for _, want := range []string{"numberMatched absent, rows 250", "read every feature: 250 features",
			"matched with tudi's features: 250 of 250 ids, each once: yes", "same ids: yes", "OK: 1 layers"} {
			if !strings.Contains(out, want) {
				t.Errorf("the QGIS check lacks %q:\n%s", want, out)
			}
		}
		if stripped.Load() < 3 {
			t.Fatalf("the proxy removed numberMatched from %d pages only", stripped.Load())
		}
	})
}
