package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tudi/pgcluster/pgtest"
)

// The end-to-end tests share one `tudi serve` on the embedded default (a
// private cluster in a temp data dir, loaded with the sample district), as a
// user's `make run` would start it. Starting it takes a while, so it is
// started once, on first use, and stopped by TestMain. The tests that use
// it run one after another (some import or create tokens, others count
// what it serves); the tests with their own data dir, or none, run in
// parallel, after them.
var shared struct {
	once    sync.Once
	base    string
	dataDir string
	err     error
	stop    context.CancelFunc
	done    chan int
	logs    *syncBuffer
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
		<-shared.done
	}
	if shared.dataDir != "" {
		os.RemoveAll(filepath.Dir(shared.dataDir))
	}
	os.Exit(code)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sharedServer returns the base URL (http://127.0.0.1:PORT) of the shared
// server, starting it on first use.
func sharedServer(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		// Made by initdb, as a user's first start; the other tests' data
		// dirs (pgtest.DataDir) are copies of the run's seed cluster.
		dir, err := pgtest.MkdirTemp("e2e")
		if err != nil {
			shared.err = err
			return
		}
		shared.dataDir = filepath.Join(dir, "data")
		shared.logs = &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		shared.stop = cancel
		shared.done = make(chan int, 1)
		ready := make(chan string, 1)
		env := Env{Stdout: shared.logs, Stderr: shared.logs, Getenv: func(k string) string {
			if k == "TUDI_TOKEN" {
				return testToken
			}
			return ""
		}, Ready: func(addr string) { ready <- addr }}
		go func() {
			shared.done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", shared.dataDir}, env)
		}()
		select {
		case addr := <-ready:
			shared.base = "http://" + addr
		case code := <-shared.done:
			shared.err = fmt.Errorf("serve exited with %d before listening:\n%s", code, shared.logs.String())
			shared.done <- code
		case <-time.After(10 * time.Minute):
			shared.err = fmt.Errorf("serve not ready after 10 minutes:\n%s", shared.logs.String())
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.base
}

// testToken is the write token of the shared server.
const testToken = "test-token-0123456789"

// getJSON fetches url and decodes a JSON body into v, failing the test on a
// status other than want.
func getJSON(t testing.TB, url string, want int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, want, b.String())
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: decode: %v", url, err)
		}
	}
}

func TestServeLoadsTheSampleDistrict(t *testing.T) {
	base := sharedServer(t)
	var health map[string]string
	getJSON(t, base+"/healthz", 200, &health)
	if health["status"] != "ok" {
		t.Fatalf("healthz: %v", health)
	}
	var cat struct {
		Layers []struct {
			Name         string    `json:"name"`
			Title        string    `json:"title"`
			FeatureCount int64     `json:"feature_count"`
			Bounds       []float64 `json:"bounds"`
		} `json:"layers"`
	}
	getJSON(t, base+"/tiles", 200, &cat)
	got := map[string]int64{}
	titles := map[string]string{}
	for _, l := range cat.Layers {
		got[l.Name] = l.FeatureCount
		titles[l.Name] = l.Title
		if l.Name == "inspection_problems" && len(l.Bounds) == 0 {
			continue // a ledger without geometry has no bounds
		}
		if len(l.Bounds) != 4 || l.Bounds[0] < 73 || l.Bounds[2] > 136 {
			t.Errorf("layer %q: bounds %v are not in China", l.Name, l.Bounds)
		}
	}
	for _, name := range []string{"parcels", "farmland", "renewal_units", "idle_land", "boundaries", "stations"} {
		if got[name] <= 0 {
			t.Errorf("catalog: layer %q has %d features, want > 0 (catalog: %v)", name, got[name], got)
		}
	}
	if titles["parcels"] != "地块" || titles["stations"] != "地铁站点" {
		t.Errorf("layer titles: %v, want 地块 for parcels (the kind's) and 地铁站点 for stations (given at import)", titles)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(b.String(), "tudi_http_requests_total") {
		t.Errorf("/metrics lacks tudi_http_requests_total")
	}
	var e map[string]any
	getJSON(t, base+"/api/nothing-here", 404, &e)
	if _, ok := e["error"].(string); !ok {
		t.Errorf("404 body is not a JSON error: %v", e)
	}
}

func TestServeRefusesBadSetups(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connections are refused
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantText string
	}{
		{"a port in use is refused at once", []string{"serve", "--addr", ln.Addr().String(), "--data-dir", t.TempDir()}, 8, "cannot listen"},
		{"an unwritable data dir says so", []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", "/proc/tudi-data"}, 8, "not writable"},
		{"a database URL that refuses says so", []string{"serve", "--addr", "127.0.0.1:0", "--db", "postgres://u@" + deadAddr + "/x?connect_timeout=2"}, 8, "cannot connect to database"},
		{"a malformed database URL is invalid", []string{"migrate", "--db", "postgres://%zz"}, 2, "database URL"},
		{"an unknown command is a usage error", []string{"frobnicate"}, 2, "unknown command"},
		{"an unknown flag is a usage error", []string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{"a tile memory that is not megabytes is invalid", []string{"serve", "--addr", "127.0.0.1:0", "--tile-memory", "256MB"}, 2, "--tile-memory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := RunEnv(ctx, c.args, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
			if code != c.wantCode || !strings.Contains(out.String(), c.wantText) {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant it to contain %q", code, c.wantCode, out.String(), c.wantText)
			}
		})
	}
}

// startServe runs `tudi serve` on dataDir until the returned stop is called,
// and returns its base URL.
func startServe(t *testing.T, dataDir string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(string) string { return "" }, Ready: func(a string) { ready <- a }}
	go func() { done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, env) }()
	select {
	case a := <-ready:
		return "http://" + a, func() int { cancel(); return <-done }
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, logs.String())
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("serve not ready:\n%s", logs.String())
	}
	return "", nil
}

func TestServeRestartReusesTheDataDir(t *testing.T) {
	t.Parallel()
	dataDir := pgtest.DataDir(t)
	type imports struct {
		Imports []struct {
			ID int64 `json:"id"`
		} `json:"imports"`
	}
	base, stop := startServe(t, dataDir)
	var first imports
	getJSON(t, base+"/api/imports", 200, &first)
	if len(first.Imports) == 0 {
		t.Fatal("first start loaded no sample layer")
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d after SIGINT-like cancel", code)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pg", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after serve stopped (postmaster.pid: %v)", err)
	}
	start := time.Now()
	base, stop = startServe(t, dataDir)
	t.Logf("second start ready after %s", time.Since(start))
	defer stop()
	var second imports
	getJSON(t, base+"/api/imports", 200, &second)
	if len(second.Imports) != len(first.Imports) {
		t.Fatalf("second start on the same data dir imported again: %d imports, want %d", len(second.Imports), len(first.Imports))
	}
}
