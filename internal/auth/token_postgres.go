package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultTTL is how long a token lives unless told otherwise.
const DefaultTTL = 90 * 24 * time.Hour

// ErrUnauthenticated is returned for a missing, malformed, unknown,
// expired or revoked token. Callers answer 401 and do not say which.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// ErrNoToken is returned by Revoke for an unknown token ID.
var ErrNoToken = errors.New("auth: no such token")

// Registry stores tokens in PostgreSQL. It is safe for concurrent use.
type Registry struct {
	pool  *pgxpool.Pool
	now   func() time.Time
	cache *tokenCache
	log   *slog.Logger
	// checkEvery is how long the listener waits for a notice before it
	// checks its connection.
	checkEvery time.Duration
}

// NewRegistry returns a Registry on pool; now is the clock (time.Now if nil).
func NewRegistry(pool *pgxpool.Pool, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{pool: pool, now: now, cache: newTokenCache(), log: slog.Default(), checkEvery: defaultCheckEvery}
}

// Migrate creates or updates the token table.
func (r *Registry) Migrate(ctx context.Context) error {
	return pgmigrate.Up(ctx, r.pool, migrations, "goose_auth")
}

// Info describes a token without its secret.
type Info struct {
	ID        string           `json:"id"`
	Principal domain.Principal `json:"principal"`
	Label     string           `json:"label,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	ExpiresAt time.Time        `json:"expires_at"`
	RevokedAt *time.Time       `json:"revoked_at,omitempty"`
}

// Create issues a token for p, valid for ttl (DefaultTTL if zero). The
// returned token string is shown once and never stored.
func (r *Registry) Create(ctx context.Context, p domain.Principal, ttl time.Duration, label string) (string, Info, error) {
	if err := ValidPrincipal(p); err != nil {
		return "", Info{}, err
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	idb := make([]byte, 10)
	secret := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return "", Info{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", Info{}, err
	}
	id := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(idb))
	token := "cdk_" + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	pj, err := json.Marshal(p)
	if err != nil {
		return "", Info{}, err
	}
	now := r.now().UTC().Truncate(time.Microsecond)
	info := Info{ID: id, Principal: p, Label: label, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	_, err = r.pool.Exec(ctx, `INSERT INTO tokens (id, hash, principal, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, sum[:], pj, label, info.CreatedAt, info.ExpiresAt)
	if err != nil {
		return "", Info{}, fmt.Errorf("store token: %w", err)
	}
	return token, info, nil
}

// Authenticate returns the principal of a valid token, or an error matching
// ErrUnauthenticated.
func (r *Registry) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	id, ok := tokenID(token)
	if !ok {
		return domain.Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(token))
	if t, ok := r.cache.get(id); ok {
		if subtle.ConstantTimeCompare(sum[:], t.hash[:]) != 1 || !r.now().Before(t.expires) {
			return domain.Principal{}, ErrUnauthenticated
		}
		return t.p, nil
	}
	gen := r.cache.generation()
	var hash, pj []byte
	var expires time.Time
	var revoked *time.Time
	err := r.pool.QueryRow(ctx, `SELECT hash, principal, expires_at, revoked_at FROM tokens WHERE id = $1`, id).
		Scan(&hash, &pj, &expires, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return domain.Principal{}, fmt.Errorf("look up token: %w", err)
	}
	if subtle.ConstantTimeCompare(sum[:], hash) != 1 || revoked != nil || !r.now().Before(expires) {
		return domain.Principal{}, ErrUnauthenticated
	}
	var p domain.Principal
	if err := json.Unmarshal(pj, &p); err != nil {
		return domain.Principal{}, fmt.Errorf("decode principal of token %s: %w", id, err)
	}
	r.cache.keep(id, cachedToken{hash: sum, p: p, expires: expires}, gen)
	return p, nil
}

// tokenID extracts the ID of a well-formed token.
func tokenID(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, "cdk_")
	if !ok || len(token) > 200 {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return "", false
	}
	return id, true
}

// Revoke revokes the token with the given ID at once.
func (r *Registry) Revoke(ctx context.Context, id string) error {
	tag, err := r.pool.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, r.now().UTC())
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNoToken
	}
	return nil
}

// List returns every token, newest first, without secrets.
func (r *Registry) List(ctx context.Context) ([]Info, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, principal, label, created_at, expires_at, revoked_at FROM tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Info, error) {
		var in Info
		var pj []byte
		if err := row.Scan(&in.ID, &pj, &in.Label, &in.CreatedAt, &in.ExpiresAt, &in.RevokedAt); err != nil {
			return in, err
		}
		return in, json.Unmarshal(pj, &in.Principal)
	})
}
