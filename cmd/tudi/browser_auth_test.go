package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The web map against `tudi serve --auth read` in headless Chromium: it asks
// for a token, says when one is refused, and with a viewer token draws the
// map, sending the token with every tile request (webmap/e2e/auth.mjs). The
// server is a second one on the shared embedded cluster.
func TestWebMapAsksForAToken(t *testing.T) {
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
	sharedServer(t) // the embedded cluster with the sample district
	noEnv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := RunEnv(context.Background(), []string{"token", "create", "--data-dir", shared.dataDir, "--role", "viewer", "--name", "browser"},
		Env{Stdout: &out, Stderr: &errb, Getenv: noEnv}); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", shared.dataDir, "--auth", "read", "--sample=false"},
			Env{Stdout: logs, Stderr: logs, Getenv: noEnv, Ready: func(addr string) { ready <- addr }})
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case code := <-done:
		t.Fatalf("serve --auth read exited with %d:\n%s", code, logs.String())
	}
	defer func() { cancel(); <-done }()

	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "webmap", "e2e", "auth.mjs"), base, token)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Logf("auth.mjs:\n%s", stderr.String())
	var sum struct {
		Layers, Tiles, TilesWithToken int
		Failures                      []string
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("auth.mjs: %v; no summary line in its output:\n%s\n%s", runErr, stdout.String(), stderr.String())
	}
	for _, f := range sum.Failures {
		t.Errorf("browser: %s", f)
	}
	if runErr != nil && len(sum.Failures) == 0 {
		t.Errorf("auth.mjs failed: %v", runErr)
	}
	t.Logf("with a viewer token: %d layers, %d tiles, %d of them with the token", sum.Layers, sum.Tiles, sum.TilesWithToken)
}
