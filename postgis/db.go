package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"tudi/land"
)

// Options configure Open.
type Options struct {
	// StatementTimeout bounds every statement of the pool's connections (0:
	// the server's default). Long jobs such as imports lift it with SET LOCAL.
	StatementTimeout time.Duration
	// MaxConns is the pool size (0: pgxpool's default).
	MaxConns int32
	// AppName is reported to the server as application_name.
	AppName string
}

// DB is the store.
type DB struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Kinds is the catalogue the layers' kinds are resolved in (their
	// columns, titles, milestones); nil: the embedded one.
	Kinds *land.Catalog
	// FenceTimeout bounds a change fence's wait for listeners'
	// acknowledgements; 0: DefaultFenceTimeout.
	FenceTimeout time.Duration

	connTimeout time.Duration // the pool's connections' statement_timeout (see connTimeoutOf)

	// Readers routes reads to replicas (see OpenReaders); nil: every read
	// goes to Pool.
	Readers *Readers
	// listening is set while Listen is connected and synced (see Listening).
	listening atomic.Bool
}

// Spec returns the catalogue's spec of kind k (Generic's for a kind the
// catalogue does not know; see land.Catalog.Spec).
func (db *DB) Spec(k land.Kind) *land.KindSpec {
	if db == nil {
		return (*land.Catalog)(nil).Spec(k)
	}
	return db.Kinds.Spec(k)
}

// Open connects to the database at url and checks that it answers.
// A server that refuses gives an Unavailable error naming the URL (without
// its password).
func Open(ctx context.Context, url string, opt Options, log *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "database URL %q: %w", Redact(url), err)
	}
	if opt.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
	}
	if opt.AppName != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = opt.AppName
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, land.Errorf(land.Unavailable, "database %s: %w", Redact(url), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, land.Errorf(land.Unavailable, "cannot connect to database %s (is the server running and the URL right?): %w", Redact(url), err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{Pool: pool, Log: log, connTimeout: connTimeoutOf(pool)}, nil
}

// New wraps an existing pool.
func New(pool *pgxpool.Pool, log *slog.Logger) *DB {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{Pool: pool, Log: log, connTimeout: connTimeoutOf(pool)}
}

// connTimeoutOf returns the statement_timeout every connection of pool
// starts with (Options.StatementTimeout), or a very long time when none is
// set.
func connTimeoutOf(pool *pgxpool.Pool) time.Duration {
	if ms, err := strconv.ParseInt(pool.Config().ConnConfig.RuntimeParams["statement_timeout"], 10, 64); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return time.Duration(1<<63 - 1)
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks that the database answers and has PostGIS.
func (db *DB) Ping(ctx context.Context) error {
	var v string
	if err := db.Pool.QueryRow(ctx, `SELECT postgis_lib_version()`).Scan(&v); err != nil {
		return Err(err)
	}
	return nil
}

// InTx runs fn in a transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return Err(pgx.BeginFunc(ctx, db.Pool, fn))
}

// Err maps database errors onto land error kinds: unique violations are
// Conflict, query cancellations and deadlines Timeout, bad text input Invalid,
// connection failures Unavailable. Other errors pass unchanged (Internal).
// A *land.Error already in the chain is kept.
func Err(err error) error {
	if err == nil {
		return nil
	}
	var le *land.Error
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return land.Wrap(land.Timeout, err, "the request took too long")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return land.Wrap(land.Conflict, err, "already exists: "+pe.Detail)
		case "57014":
			return land.Wrap(land.Timeout, err, "the query took too long and was cancelled (statement timeout)")
		case "22P02", "22007", "22008", "22023":
			return land.Wrap(land.Invalid, err, "invalid value: "+pe.Message)
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
			return land.Wrap(land.Unavailable, err, "the database is unavailable")
		}
		return err
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return land.Wrap(land.Unavailable, err, "the database is unavailable")
	}
	return err
}

// Redact replaces the password of a connection string with "xxxxx" for logs
// and messages, leaving every other byte as it was. It knows both forms that
// pgconn.ParseConfig takes: a URL (postgres:// or postgresql://, the password
// in the user info, percent-encoded or not, or in a password= query
// parameter) and key=value pairs (password=secret, password = 'a b\'c').
// A string it cannot take apart is cut at its password key rather than shown.
func Redact(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		return redactURL(conn)
	}
	return redactKeyValues(conn)
}

const redacted = "xxxxx"

// redactURL blanks the password of the user info and of a password query
// parameter. The user info is found as net/url finds it (the authority ends at
// the first '/', '?' or '#'; the user info is what precedes its last '@');
// an '@' further on, before the query, means a password holding an unescaped
// '/' or '#', which pgconn cannot parse but the string must not show either.
func redactURL(u string) string {
	scheme := strings.Index(u, "://") + len("://")
	rest := u[scheme:]
	query := len(rest)
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query = i
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		at = strings.LastIndexByte(rest[:query], '@')
	}
	if at >= 0 {
		if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
			rest = rest[:colon+1] + redacted + rest[at:]
		}
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return u[:scheme] + rest
	}
	params := strings.Split(rest[q+1:], "&")
	for i, p := range params {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); (err == nil && key == "password") || k == "password" {
			params[i] = k + "=" + redacted
		}
	}
	return u[:scheme] + rest[:q+1] + strings.Join(params, "&")
}

// redactKeyValues walks key=value pairs the way pgconn's parser does (spaces
// around '=', values bare or single-quoted with backslash escapes) and blanks
// the value of password.
func redactKeyValues(s string) string {
	var out strings.Builder
	i := 0
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	cut := func() string {
		if j := strings.Index(strings.ToLower(s), "password"); j >= 0 {
			return s[:j] + "password=" + redacted
		}
		return s
	}
	for i < len(s) {
		start := i
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		k := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[k:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if key == "" && i == len(s) {
			out.WriteString(s[start:])
			break
		}
		if i == len(s) || s[i] != '=' {
			return cut()
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		v := i
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(s) {
				return cut()
			}
			i++
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i = min(i, len(s))
		}
		out.WriteString(s[start:v])
		if key == "password" {
			if v < len(s) && s[v] == '\'' {
				out.WriteString("'" + redacted + "'")
			} else {
				out.WriteString(redacted)
			}
		} else {
			out.WriteString(s[v:i])
		}
	}
	return out.String()
}
