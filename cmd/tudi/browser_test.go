package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// browserSummary is the JSON line webmap/e2e/check.mjs prints last.
type browserSummary struct {
	FirstIdleMs float64 `json:"firstIdleMs"`
	FirstView   struct {
		HTMLMs             *float64 `json:"htmlMs"`
		MapLibreMs         *float64 `json:"maplibreMs"`
		DOMContentLoadedMs *float64 `json:"domContentLoadedMs"`
		StyleMs            *float64 `json:"styleMs"`
		MapCreatedMs       *float64 `json:"mapCreatedMs"`
		Tiles              int      `json:"tiles"`
		TilesRequestedMs   *float64 `json:"tilesRequestedMs"`
		TilesReceivedMs    *float64 `json:"tilesReceivedMs"`
		MapLoadMs          *float64 `json:"mapLoadMs"`
	} `json:"firstView"`
	Requests         int      `json:"requests"`
	OffMachine       []string `json:"offMachine"`
	ConsoleErrors    []string `json:"consoleErrors"`
	RenderedFeatures int      `json:"renderedFeatures"`
	Canvas           struct {
		Colors        int     `json:"colors"`
		DrawnFraction float64 `json:"drawnFraction"`
	} `json:"canvas"`
	Parcel struct {
		Code string `json:"code"`
	} `json:"parcel"`
	Report struct {
		Name  string `json:"name"`
		Shown string `json:"shown"`
	} `json:"report"`
	Failures []string `json:"failures"`
}

// The web map in a real browser: headless Chromium opens the page served by
// `tudi serve` on the sample district, waits for the map, checks that it drew
// tiles with no request leaving the machine and no console error, clicks a
// parcel and finds its code in the identify panel, runs a report for the
// whole district and for one sub-district, and switches the language. The
// checks themselves live in webmap/e2e/check.mjs (playwright-core); this test
// runs it, reports the first-view time with where it went (not asserted:
// it depends on the machine) and keeps the screenshots under testout/browser
// (and in docs/img with UPDATE_SCREENSHOTS=1).
func TestWebMapInChromium(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the browser test needs Chromium at %s: install it with `sudo apt-get install -y chromium fonts-noto-cjk` (or `make test-deps`), or set CHROMIUM", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the browser test needs Node.js 20 or later: install it with `sudo apt-get install -y nodejs npm`")
	}
	for _, need := range []string{"webmap/node_modules/playwright-core/package.json", "webmap/dist/vendor/maplibre-gl.mjs"} {
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			t.Fatalf("%s is missing: build the web map first with `make webmap` (npm ci and the vendor copy), then rebuild", need)
		}
	}
	base := sharedServer(t)
	out := filepath.Join(root, "testout", "browser")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "webmap", "e2e", "check.mjs"), base, out)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Logf("check.mjs:\n%s", stderr.String())
	var sum browserSummary
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("check.mjs: %v; no summary line in its output:\n%s\n%s", runErr, stdout.String(), stderr.String())
	}
	t.Logf("first view of the sample district idle after %.0f ms (from navigation start; headless Chromium on SwiftShader)", sum.FirstIdleMs)
	fv := sum.FirstView
	t.Logf("first view, ms from navigation start: page %s, MapLibre module %s, DOMContentLoaded %s, style and catalog %s, map created %s, %d tiles asked for at %s and in by %s, map loaded %s, idle %.0f",
		msOf(fv.HTMLMs), msOf(fv.MapLibreMs), msOf(fv.DOMContentLoadedMs), msOf(fv.StyleMs), msOf(fv.MapCreatedMs),
		fv.Tiles, msOf(fv.TilesRequestedMs), msOf(fv.TilesReceivedMs), msOf(fv.MapLoadMs), sum.FirstIdleMs)
	t.Logf("%d requests, all to the test server; %d features rendered; canvas %d colours, %.0f%% drawn; parcel %s identified; report %s shows %s",
		sum.Requests, sum.RenderedFeatures, sum.Canvas.Colors, 100*sum.Canvas.DrawnFraction, sum.Parcel.Code, sum.Report.Name, sum.Report.Shown)
	for _, f := range sum.Failures {
		t.Errorf("browser: %s", f)
	}
	if runErr != nil && len(sum.Failures) == 0 {
		t.Errorf("check.mjs failed: %v", runErr)
	}
	if t.Failed() {
		t.Logf("screenshots (and failure.png, if any) are in %s", out)
		return
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		for _, name := range []string{"map", "identify", "report"} {
			b, err := os.ReadFile(filepath.Join(out, name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(root, "docs", "img", "webmap-"+name+".png")
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", dst)
		}
	}
}

// msOf formats a step's time of the first view's breakdown, "?" when the
// page did not report it.
func msOf(v *float64) string {
	if v == nil {
		return "?"
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}
