package server

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClientAddressBehindTrustedProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nonsense"); err == nil {
		t.Fatal("want an error for a bad entry")
	}
	s := &Server{cfg: Config{TrustedProxies: proxies}}
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"a direct client keeps its address and loses the header", "192.0.2.7:5555", "203.0.113.9", "192.0.2.7:5555"},
		{"a trusted proxy hands over the client", "127.0.0.1:4000", "203.0.113.9", "203.0.113.9:0"},
		{"a chain of trusted proxies is walked from the right", "127.0.0.1:4000", "198.51.100.1, 203.0.113.9, 10.1.2.3", "203.0.113.9:0"},
		{"what the client wrote left of it is not believed", "127.0.0.1:4000", "6.6.6.6, 203.0.113.9", "203.0.113.9:0"},
		{"a trusted proxy without the header stays", "127.0.0.1:4000", "", "127.0.0.1:4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var hdr string
			h := s.forwarded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, hdr = r.RemoteAddr, r.Header.Get("X-Forwarded-For")
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Fatalf("RemoteAddr %q, want %q", got, tc.want)
			}
			trusted := s.trusted(tc.remote)
			if !trusted && hdr != "" {
				t.Fatalf("X-Forwarded-For %q kept from an untrusted peer", hdr)
			}
		})
	}
}

// A client that stops reading cannot hold a handler blocked in Write past
// WriteTimeout.
func TestWriteToAStalledClientIsCutOff(t *testing.T) {
	s := &Server{cfg: Config{WriteTimeout: time.Second, ReadTimeout: time.Second}}
	result := make(chan time.Duration, 1)
	h := s.deadlines(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		chunk := make([]byte, 1<<20)
		for {
			if _, err := w.Write(chunk); err != nil {
				result <- time.Since(start)
				return
			}
		}
	}))
	ts := httptest.NewServer(h)
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	// Never read.
	select {
	case d := <-result:
		t.Logf("write failed after %s", d)
	case <-time.After(15 * time.Second):
		t.Fatal("the handler is still writing to a client that reads nothing")
	}
}

// A browser on another origin may send every write the API has (import,
// rename, delete) after its preflight.
func TestCORSPreflightAllowsEveryWrite(t *testing.T) {
	h := cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a preflight reached the handler")
	}))
	for _, m := range []string{http.MethodPost, http.MethodDelete} {
		r := httptest.NewRequest(http.MethodOptions, "/api/layers/x", nil)
		r.Header.Set("Origin", "https://maps.example")
		r.Header.Set("Access-Control-Request-Method", m)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s preflight: %d", m, w.Code)
		}
		allowed := false
		for _, a := range strings.Split(w.Header().Get("Access-Control-Allow-Methods"), ",") {
			allowed = allowed || strings.TrimSpace(a) == m
		}
		if !allowed {
			t.Fatalf("%s preflight allows %q", m, w.Header().Get("Access-Control-Allow-Methods"))
		}
	}
}
