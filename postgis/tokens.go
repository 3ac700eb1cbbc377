package postgis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// Role is what a token allows. Each role includes the ones before it.
type Role string

// The roles, from least to most.
const (
	Viewer Role = "viewer" // reads (tiles, OGC, identify, query, reports, import history)
	Editor Role = "editor" // imports into its layers (every layer when it names none)
	Admin  Role = "admin"  // everything: deletes and renames layers, manages tokens
)

// roleRank orders the roles.
var roleRank = map[Role]int{Viewer: 1, Editor: 2, Admin: 3}

// ParseRole returns the role named s. Returns Invalid for an unknown role.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if roleRank[r] == 0 {
		return "", land.Errorf(land.Invalid, "unknown role %q (want viewer, editor or admin)", s)
	}
	return r, nil
}

// Includes reports whether r grants everything other grants.
func (r Role) Includes(other Role) bool { return roleRank[r] >= roleRank[other] && roleRank[r] > 0 }

// Token is a stored API token, without its secret (only the hash of which is
// stored).
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Layers     []string   `json:"layers"` // an editor's layers; empty: every layer
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// MayWrite reports whether the token may import into layer: an editor or
// admin whose layer list is empty or names the layer.
func (t *Token) MayWrite(layer string) bool {
	return t.Role.Includes(Editor) && (len(t.Layers) == 0 || slices.Contains(t.Layers, layer))
}

// TokenPrefix starts every generated token, so a leaked one is recognisable
// (by secret scanners, in logs).
const TokenPrefix = "tudi_"

// NewTokenSecret returns a new random token: TokenPrefix and 32 random bytes
// in URL-safe base64 (256 bits of entropy).
func NewTokenSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken returns the SHA-256 of a token, the form in which tokens are
// stored and looked up. A plain hash is enough here, unlike for passwords:
// a token has 256 bits of entropy, so neither a dictionary nor brute force
// can find a token from its hash, and a slow hash (bcrypt, scrypt) would
// only cost time on every request.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenCreate is what CreateToken needs.
type TokenCreate struct {
	Name    string
	Role    Role
	Layers  []string      // editor only; empty: every layer
	Expires time.Duration // 0: never
}

// CreateToken stores a new token and returns it with its secret, which is
// not kept and cannot be shown again. Returns Invalid for a bad role, layer
// name or expiry.
func (db *DB) CreateToken(ctx context.Context, c TokenCreate) (*Token, string, error) {
	if roleRank[c.Role] == 0 {
		return nil, "", land.Errorf(land.Invalid, "unknown role %q (want viewer, editor or admin)", c.Role)
	}
	if len(c.Layers) > 0 && c.Role != Editor {
		return nil, "", land.Errorf(land.Invalid, "layers limit what an editor may import into; a %s token takes none", c.Role)
	}
	for _, l := range c.Layers {
		if err := land.ValidateLayerName(l); err != nil {
			return nil, "", err
		}
	}
	if c.Expires < 0 {
		return nil, "", land.Errorf(land.Invalid, "the expiry %s is in the past", c.Expires)
	}
	secret, err := NewTokenSecret()
	if err != nil {
		return nil, "", err
	}
	layers := c.Layers
	if layers == nil {
		layers = []string{}
	}
	var expires *time.Time
	if c.Expires > 0 {
		e := time.Now().Add(c.Expires)
		expires = &e
	}
	t, err := scanToken(db.Pool.QueryRow(ctx, `INSERT INTO tudi.tokens (hash, name, role, layers, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, HashToken(secret), c.Name, string(c.Role), layers, expires))
	if err != nil {
		return nil, "", fmt.Errorf("CreateToken: %w", Err(err))
	}
	return t, secret, nil
}

const tokenColumns = `id, name, role, layers, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (*Token, error) {
	var t Token
	var role string
	if err := row.Scan(&t.ID, &t.Name, &role, &t.Layers, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
		return nil, err
	}
	t.Role = Role(role)
	return &t, nil
}

// FindTokens returns every token, revoked ones too, oldest first.
func (db *DB) FindTokens(ctx context.Context) ([]*Token, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+tokenColumns+` FROM tudi.tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("FindTokens: %w", Err(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("FindTokens: %w", Err(err))
	}
	return out, nil
}

// RevokeToken revokes a token at once. Returns NotFound for an unknown id
// and Conflict for a token already revoked.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	var revoked bool
	err := db.Pool.QueryRow(ctx, `WITH t AS (SELECT id, revoked_at IS NOT NULL AS was FROM tudi.tokens WHERE id = $1 FOR UPDATE),
		u AS (UPDATE tudi.tokens SET revoked_at = now() WHERE id IN (SELECT id FROM t WHERE NOT was))
		SELECT was FROM t`, id).Scan(&revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return land.Errorf(land.NotFound, "token %d not found", id)
	}
	if err != nil {
		return fmt.Errorf("RevokeToken(%d): %w", id, Err(err))
	}
	if revoked {
		return land.Errorf(land.Conflict, "token %d is already revoked", id)
	}
	return nil
}

// lastUsedEvery is how often a token's last use is written: once a minute
// is enough for `tudi token list`, and reads stay reads.
const lastUsedEvery = time.Minute

// Authenticate returns the token whose secret is given. Returns
// Unauthorized when there is none, or when it is revoked or expired. It
// notes the token's use (at most once a minute).
func (db *DB) Authenticate(ctx context.Context, secret string) (*Token, error) {
	t, err := scanToken(db.Pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tudi.tokens WHERE hash = $1`, HashToken(secret)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, land.Errorf(land.Unauthorized, "the token is not valid")
	}
	if err != nil {
		return nil, fmt.Errorf("Authenticate: %w", Err(err))
	}
	now := time.Now()
	switch {
	case t.RevokedAt != nil:
		return nil, land.Errorf(land.Unauthorized, "the token was revoked")
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, land.Errorf(land.Unauthorized, "the token expired at %s", t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedEvery {
		if _, err := db.Pool.Exec(ctx, `UPDATE tudi.tokens SET last_used_at = now() WHERE id = $1`, t.ID); err != nil {
			return nil, fmt.Errorf("Authenticate: %w", Err(err))
		}
	}
	return t, nil
}
