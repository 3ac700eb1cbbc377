package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without --addr, serve listens on this machine only: with 127.0.0.1:8080
// taken, it must fail naming that address (it would name :8080 if it bound
// every interface).
func TestServeListensOnLoopbackByDefault(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		defer ln.Close()
	}
	var out syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := RunEnv(ctx, []string{"serve", "--data-dir", t.TempDir()}, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
	if code != 8 || !strings.Contains(out.String(), "cannot listen on 127.0.0.1:8080") {
		t.Fatalf("exit %d, output:\n%s", code, out.String())
	}
}

// With --db and no --token, the generated write token goes to a 0600 file
// whose name is logged; the token itself never is.
func TestServeNeverLogsTheToken(t *testing.T) {
	sharedServer(t)
	url := "postgres://postgres@/tudi?host=" + filepath.Join(shared.dataDir, "pg") + "&port=5432&sslmode=disable"
	dataDir := filepath.Join(t.TempDir(), "state")
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(string) string { return "" }, Ready: func(a string) { ready <- a }}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", url, "--data-dir", dataDir}, env)
	}()
	select {
	case <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, logs.String())
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("serve not ready:\n%s", logs.String())
	}
	cancel()
	<-done
	path := filepath.Join(dataDir, "token")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("token file: %v\n%s", err, logs.String())
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 32 {
		t.Fatalf("token %q too short", tok)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %o", st.Mode().Perm())
	}
	out := logs.String()
	if strings.Contains(out, tok) {
		t.Fatalf("the log shows the token:\n%s", out)
	}
	if !strings.Contains(out, path) {
		t.Errorf("the log does not say where the token is:\n%s", out)
	}
	if !strings.Contains(out, "this machine only") {
		t.Errorf("the log does not say the server listens on loopback only:\n%s", out)
	}
}
