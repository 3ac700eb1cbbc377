package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"tudi/httpx"
	"tudi/land"
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
// writes (POST, DELETE) after a preflight.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Crs, Link")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS")
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
// wrapping would only cost time on the busiest route. (/ogc compresses its
// answers itself, and the compressor passes encoded answers through.)
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

// ParseTrustedProxies parses --trusted-proxies: a comma-separated list of
// CIDR prefixes or single addresses ("10.0.0.0/8,127.0.0.1"). Empty means
// none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "--trusted-proxies: %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// forwardedHeaders are the headers a reverse proxy sets about the client.
var forwardedHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Port", "X-Real-Ip"}

// trusted reports whether addr ("ip:port") is one of the trusted proxies.
func (s *Server) trusted(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
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

// forwarded believes X-Forwarded-* (and Forwarded, X-Real-IP) only from the
// trusted proxies (Config.TrustedProxies, default none): from anyone else
// they are removed, so that a client cannot make the links of a response
// (OGC, TileJSON, built by httpx.BaseURL) point elsewhere, nor pose as
// another client. From a trusted proxy, RemoteAddr becomes the client's
// address: the right-most X-Forwarded-For entry that is not itself a trusted
// proxy, so access logs and per-client limits see the client.
func (s *Server) forwarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.trusted(r.RemoteAddr) {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
			next.ServeHTTP(w, r)
			return
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			r.RemoteAddr = netip.AddrPortFrom(a.Unmap(), 0).String()
			if !s.trusted(r.RemoteAddr) {
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isUpload tells the one route whose body is large and whose work outlives
// the request timeout.
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/imports"
}

// deadlines bounds each request's I/O on its connection, in place of the
// http.Server's ReadTimeout and WriteTimeout, which would cut uploads and
// imports short (and a read deadline that fires after the body was read
// cancels the request's context):
//   - a body must arrive within ReadTimeout (an upload within UploadTimeout);
//     the deadline is lifted once the body is read, so the handler's work is
//     bounded by the request timeout alone;
//   - the response must be written within WriteTimeout (by default the
//     request timeout + 30 s), so a client that stops reading cannot hold a
//     handler blocked in Write; an upload's response has no write deadline,
//     as its import may take long.
//
// Headers are bounded by the http.Server's ReadHeaderTimeout and idle
// keep-alive connections by its IdleTimeout.
func (s *Server) deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		read, write := s.cfg.ReadTimeout, s.cfg.WriteTimeout
		if isUpload(r) {
			read, write = s.cfg.UploadTimeout, 0
		}
		if write > 0 {
			_ = rc.SetWriteDeadline(now.Add(write))
		} else {
			_ = rc.SetWriteDeadline(time.Time{}) // clear a previous request's
		}
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(now.Add(read))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline when the body has been read to its
// end. After any other error the deadline stays, so the server's draining of
// an unread body stays bounded too.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// clientAddr is the address limits count by: the peer's IP, which the
// forwarded middleware has already replaced by the client's behind a
// trusted proxy.
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
			_ = httpx.WriteJSON(w, http.StatusTooManyRequests, httpx.MediaJSON, map[string]any{"error": msg, "detail": nil})
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
