package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	return &DB{Pool: pool, Log: log}, nil
}

// New wraps an existing pool.
func New(pool *pgxpool.Pool, log *slog.Logger) *DB {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{Pool: pool, Log: log}
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

// Redact removes the password from a connection URL for logs and messages.
func Redact(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil || cfg.Password == "" {
		return url
	}
	return strings.ReplaceAll(url, cfg.Password, "xxxxx")
}
