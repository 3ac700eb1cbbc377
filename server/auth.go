package server

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"tudi/land"
	"tudi/postgis"
)

// AuthMode says which requests need a token.
type AuthMode string

// The authentication modes of Config.Auth.
const (
	// AuthWrite leaves reads open and asks a token for every write (the
	// default).
	AuthWrite AuthMode = "write"
	// AuthRead asks a token for reads as well: tiles, styles, OGC API
	// Features, identify, query, reports and the import history need at
	// least a viewer's. The web page itself, /healthz and /metrics stay
	// open (the page asks for a token).
	AuthRead AuthMode = "read"
)

// ParseAuthMode returns the mode named s ("" is AuthWrite). Returns Invalid
// for anything else.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", AuthWrite:
		return AuthWrite, nil
	case AuthRead:
		return AuthRead, nil
	}
	return "", land.Errorf(land.Invalid, "--auth %q: want write (open reads) or read (reads need a token too)", s)
}

// DefaultTokenCacheTTL is how long a looked-up token is trusted without
// asking the database again: a revoked token stops working within it.
const DefaultTokenCacheTTL = 2 * time.Second

// writeTokenName names the single write token of Config.Token (an admin).
const writeTokenName = "write token (--token)"

type tokenKey struct{}

// tokenOf returns the authenticated token of a request, or nil.
func tokenOf(r *http.Request) *postgis.Token {
	t, _ := r.Context().Value(tokenKey{}).(*postgis.Token)
	return t
}

// protectedPath reports whether a path serves data (every route but the
// web page's files, /healthz and /metrics).
func protectedPath(p string) bool {
	for _, prefix := range []string{"/api/", "/ogc", "/tiles", "/styles"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// bearer returns the token of the Authorization header; ok is false when
// there is no header. The scheme is case-insensitive (RFC 7235 §2.1).
func bearer(r *http.Request) (secret string, ok bool, err error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	secret = strings.TrimSpace(rest)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", true, land.Errorf(land.Unauthorized, "the Authorization header must be \"Bearer TOKEN\"")
	}
	return secret, true, nil
}

// authenticate resolves the bearer token of a data request (401 for one
// that is unknown, revoked or expired) and puts it in the request's
// context; with AuthRead it refuses a data request without one.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !protectedPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		secret, present, err := bearer(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !present {
			if s.cfg.Auth == AuthRead {
				s.writeError(w, r, land.Errorf(land.Unauthorized, "a token is required (reads need a viewer token here): send Authorization: Bearer TOKEN"))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		tok, err := s.tokens.lookup(r.Context(), secret)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// requireRole refuses a request without a token (401) or whose token's
// role does not include role (403).
func (s *Server) requireRole(role postgis.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := authorize(r, role); err != nil {
				s.writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// authorize returns Unauthorized when r has no token and Forbidden when its
// token's role does not include role.
func authorize(r *http.Request, role postgis.Role) error {
	t := tokenOf(r)
	if t == nil {
		return land.Errorf(land.Unauthorized, "%s token is required: send Authorization: Bearer TOKEN", article(role))
	}
	if !t.Role.Includes(role) {
		return land.Errorf(land.Forbidden, "this needs %s token; token %q is %s token", article(role), t.Name, article(t.Role))
	}
	return nil
}

// mayImport returns Forbidden unless the request's token may write layer.
func mayImport(r *http.Request, layer string) error {
	if err := authorize(r, postgis.Editor); err != nil {
		return err
	}
	if t := tokenOf(r); !t.MayWrite(layer) {
		return land.Errorf(land.Forbidden, "token %q may import into layers %s only, not %q", t.Name, strings.Join(t.Layers, ", "), layer)
	}
	return nil
}

// article returns the role with its indefinite article.
func article(r postgis.Role) string {
	if r == postgis.Viewer {
		return "a " + string(r)
	}
	return "an " + string(r)
}

// tokenCache looks tokens up in the database, remembering each answer for
// ttl, and concurrent lookups of one token share a query, so that a page's
// burst of tile requests costs one query. Expiry is checked on every use; a
// revocation takes effect within ttl.
type tokenCache struct {
	db        *postgis.DB
	writeTok  *postgis.Token
	writeHash []byte
	ttl       time.Duration

	flight  singleflight.Group
	mu      sync.Mutex
	entries map[string]tokenEntry // by hex hash
}

type tokenEntry struct {
	tok   *postgis.Token
	err   error
	until time.Time
}

// maxCachedTokens bounds the cache; past it, the cache starts over (only a
// flood of made-up tokens gets there).
const maxCachedTokens = 4096

func newTokenCache(db *postgis.DB, writeToken string, ttl time.Duration) *tokenCache {
	c := &tokenCache{db: db, ttl: ttl, entries: map[string]tokenEntry{}}
	if writeToken != "" {
		c.writeHash = postgis.HashToken(writeToken)
		c.writeTok = &postgis.Token{Name: writeTokenName, Role: postgis.Admin}
	}
	return c
}

// lookup returns the token of secret: the write token of Config.Token
// (an admin), or a stored one. Returns Unauthorized for an unknown,
// revoked or expired token.
func (c *tokenCache) lookup(ctx context.Context, secret string) (*postgis.Token, error) {
	h := postgis.HashToken(secret)
	// Hashes compared in constant time: nothing about the write token leaks
	// through timing.
	if c.writeTok != nil && subtle.ConstantTimeCompare(h, c.writeHash) == 1 {
		return c.writeTok, nil
	}
	key := hex.EncodeToString(h)
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		v, err, _ := c.flight.Do(key, func() (any, error) {
			// Shared by the callers: not cancelled with the first one.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			tok, err := c.db.Authenticate(actx, secret)
			if err != nil && land.KindOf(err) != land.Unauthorized {
				return nil, err // the database failed: nothing to remember
			}
			e := tokenEntry{tok: tok, err: err, until: time.Now().Add(c.ttl)}
			if c.ttl > 0 {
				c.mu.Lock()
				if len(c.entries) >= maxCachedTokens {
					c.entries = map[string]tokenEntry{}
				}
				c.entries[key] = e
				c.mu.Unlock()
			}
			return e, nil
		})
		if err != nil {
			return nil, err
		}
		e = v.(tokenEntry)
	}
	if e.err != nil {
		return nil, e.err
	}
	if e.tok.ExpiresAt != nil && !now.Before(*e.tok.ExpiresAt) {
		return nil, land.Errorf(land.Unauthorized, "the token expired at %s", e.tok.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return e.tok, nil
}
