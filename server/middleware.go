package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// accessLog logs one line per request and feeds the request metrics.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		d := time.Since(start)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		s.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		s.duration.WithLabelValues(route).Observe(d.Seconds())
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			return
		}
		s.log.Debug("request", "request_id", middleware.GetReqID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "status", status, "bytes", ww.BytesWritten(), "duration_ms", float64(d.Microseconds())/1000)
	})
}

// recoverer turns a panic into a 500 and logs its stack.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", middleware.GetReqID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// timeout gives every request a context deadline (never http.TimeoutHandler,
// which buffers whole responses); statement_timeout bounds the SQL too.
// Uploads get no deadline here: they are bounded by their size limit.
func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/imports" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cors lets any origin read (GET/HEAD) and lets browsers send the token on
// writes after a preflight.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Crs, Link")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// skipTiles applies mw to everything but vector tiles, which are stored
// gzip-compressed and set their own Content-Encoding: the compressor's
// wrapping would only cost time on the busiest route.
func skipTiles(mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ".mvt") {
				next.ServeHTTP(w, r)
				return
			}
			wrapped.ServeHTTP(w, r)
		})
	}
}

// limiter counts the expensive requests running, per client address and in
// all, and refuses those over the limits with 429 and Retry-After, so a few
// clients cannot take every database connection and CPU.
type limiter struct {
	perClient, total int
	mu               sync.Mutex
	running          map[string]int
	all              int
}

func newLimiter(perClient, total int) *limiter {
	return &limiter{perClient: perClient, total: total, running: map[string]int{}}
}

// acquire takes a slot for client, or says which limit is reached.
func (l *limiter) acquire(client string) (release func(), msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[client] >= l.perClient {
		return nil, fmt.Sprintf("too many expensive requests from this client at once (at most %d): retry later", l.perClient)
	}
	if l.all >= l.total {
		return nil, fmt.Sprintf("too many expensive requests at once (at most %d): retry later", l.total)
	}
	l.running[client]++
	l.all++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.all--
		if l.running[client]--; l.running[client] <= 0 {
			delete(l.running, client)
		}
	}, ""
}

// expensive reports whether a request may cost much database work:
// identify, query, a report, and OGC items with a CQL2 filter.
func expensive(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/api/identify" || p == "/api/query":
		return true
	case strings.HasPrefix(p, "/api/reports/"):
		return true
	case strings.HasPrefix(p, "/ogc/collections/") && strings.HasSuffix(strings.TrimSuffix(p, "/"), "/items"):
		return r.URL.Query().Has("filter")
	}
	return false
}

// clientAddr is the address limits count by: the peer's IP (forwarded
// headers are not trusted here).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitExpensive applies the limiter to expensive requests.
func (s *Server) limitExpensive(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !expensive(r) {
			next.ServeHTTP(w, r)
			return
		}
		release, msg := s.limiter.acquire(clientAddr(r))
		if release == nil {
			w.Header().Set("Retry-After", "2")
			s.log.Info("request refused", "request_id", middleware.GetReqID(r.Context()), "status", http.StatusTooManyRequests,
				"path", r.URL.Path, "client", clientAddr(r))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": msg, "detail": nil})
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
