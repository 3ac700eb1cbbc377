package server_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// testServer is a server run by Serve itself (not httptest), so that its
// http.Server settings are the ones under test.
type testServer struct {
	URL  string
	Addr string
}

func newTestServer(t *testing.T, cfg server.Config) testServer {
	t.Helper()
	tdb := pgtest.NewDB(t)
	srv, err := server.New(cfg, postgis.New(tdb.Pool, nil), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return testServer{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String()}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	ts := newTestServer(t, server.Config{Token: "secret"})
	for _, tc := range []struct {
		header string
		ok     bool
	}{
		{"Bearer secret", true},
		{"bearer secret", true},
		{"BEARER secret", true},
		{"bEaReR   secret ", true},
		{"Bearer wrong", false},
		{"Basic secret", false},
		{"Bearersecret", false},
		{"secret", false},
		{"Bearer ", false},
	} {
		t.Run(tc.header, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/imports", strings.NewReader("not multipart"))
			req.Header.Set("Authorization", tc.header)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			// Past the token check, the body is refused as not multipart.
			if got := res.StatusCode != http.StatusUnauthorized; got != tc.ok {
				t.Fatalf("Authorization %q: status %d", tc.header, res.StatusCode)
			}
		})
	}
}

// landingLinks fetches /ogc with the given forwarded headers and returns its
// body, whose links are built from the base URL.
func landingLinks(t *testing.T, url string, headers map[string]string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/ogc", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET /ogc: %d %s", res.StatusCode, b)
	}
	return string(b)
}

func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	spoof := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/phish"}
	t.Run("by default no client is believed", func(t *testing.T) {
		ts := newTestServer(t, server.Config{})
		body := landingLinks(t, ts.URL, spoof)
		if strings.Contains(body, "evil.example") || strings.Contains(body, "/phish") {
			t.Fatalf("links follow a client's X-Forwarded-* headers: %.300s", body)
		}
		if !strings.Contains(body, ts.URL+"/ogc") {
			t.Fatalf("links do not use the Host header: %.300s", body)
		}
	})
	t.Run("a trusted proxy is believed", func(t *testing.T) {
		ts := newTestServer(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		body := landingLinks(t, ts.URL, spoof)
		if !strings.Contains(body, "https://evil.example/phish/ogc") {
			t.Fatalf("links ignore the trusted proxy's headers: %.300s", body)
		}
	})
	t.Run("a proxy elsewhere is not", func(t *testing.T) {
		ts := newTestServer(t, server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		if body := landingLinks(t, ts.URL, spoof); strings.Contains(body, "evil.example") {
			t.Fatalf("links follow an untrusted peer's headers: %.300s", body)
		}
	})
}

// A client that sends headers promising a body and then trickles or stalls
// is cut off after ReadTimeout, not held for minutes.
func TestSlowBodyIsCutOff(t *testing.T) {
	ts := newTestServer(t, server.Config{ReadTimeout: time.Second})
	conn, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "POST /api/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"geometry\":")
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Logf("answered %d", res.StatusCode)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the stalled body held the connection for %s (err %v)", d, err)
	}
	// The connection is closed, not kept for another request.
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stays open")
	}
}

// A body that arrives in time is read whole, and the request's work then
// is not cut by the read deadline.
func TestBodyInTimeIsServed(t *testing.T) {
	ts := newTestServer(t, server.Config{ReadTimeout: time.Second})
	res, err := http.Post(ts.URL+"/api/query", "application/json",
		strings.NewReader(`{"geometry":{"type":"Point","coordinates":[113.9,22.5]},"layers":["nope"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode >= 500 {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	ts := newTestServer(t, server.Config{IdleTimeout: time.Second})
	conn, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("read a byte from an idle connection")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("idle connection kept for %s", d)
	}
}
