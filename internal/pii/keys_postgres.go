package pii

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Keys is the PostgreSQL key store: the table person_keys of the main
// database, outside the event log. It is safe for concurrent use.
type Keys struct{ pool *pgxpool.Pool }

// NewKeys returns the key store on pool.
func NewKeys(pool *pgxpool.Pool) *Keys { return &Keys{pool: pool} }

// Migrate creates the key table.
func (k *Keys) Migrate(ctx context.Context) error {
	return pgmigrate.Up(ctx, k.pool, migrations, "goose_pii")
}

// Ensure implements KeyStore: a key drawn from crypto/rand for each subject
// without one, kept by the first of concurrent callers.
func (k *Keys) Ensure(ctx context.Context, subjects []string) (map[string][]byte, error) {
	fresh := make([][]byte, len(subjects))
	for i := range fresh {
		fresh[i] = make([]byte, KeySize)
		if _, err := rand.Read(fresh[i]); err != nil {
			return nil, fmt.Errorf("draw key: %w", err)
		}
	}
	_, err := k.pool.Exec(ctx, `INSERT INTO person_keys (subject, key)
		SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (subject) DO NOTHING`, subjects, fresh)
	if err != nil {
		return nil, fmt.Errorf("create keys: %w", err)
	}
	keys, err := k.Keys(ctx, subjects)
	if err != nil {
		return nil, err
	}
	for _, s := range subjects {
		if keys[s] == nil {
			return nil, fmt.Errorf("%w: %s", ErrForgotten, s)
		}
	}
	return keys, nil
}

// Keys implements KeyStore.
func (k *Keys) Keys(ctx context.Context, subjects []string) (map[string][]byte, error) {
	return Lookup(ctx, k.pool, subjects)
}

// Destroy forgets subject for good: its key is overwritten with NULL and
// the time recorded; the row stays, so that its envelopes read as Erased
// and nothing new can be sealed for it. It is idempotent, and works for a
// subject that never had a key. Whatever holds a copy of the key (a backup
// of the database) must be rotated out for the erasure to be complete.
func (k *Keys) Destroy(ctx context.Context, subject string) error {
	_, err := k.pool.Exec(ctx, `INSERT INTO person_keys (subject, key, destroyed_at) VALUES ($1, NULL, now())
		ON CONFLICT (subject) DO UPDATE SET key = NULL, destroyed_at = COALESCE(person_keys.destroyed_at, now())`, subject)
	if err != nil {
		return fmt.Errorf("destroy key of %s: %w", subject, err)
	}
	return nil
}

// Querier runs a query; a pool, a connection and a transaction are.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Lookup reads the keys of subjects with q, as KeyStore.Keys gives them: a
// destroyed key as nil, a subject that never had one absent.
func Lookup(ctx context.Context, q Querier, subjects []string) (map[string][]byte, error) {
	keys := make(map[string][]byte, len(subjects))
	if len(subjects) == 0 {
		return keys, nil
	}
	rows, err := q.Query(ctx, `SELECT subject, key FROM person_keys WHERE subject = ANY($1)`, subjects)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var key []byte
		if err := rows.Scan(&s, &key); err != nil {
			return nil, fmt.Errorf("read keys: %w", err)
		}
		keys[s] = key
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return keys, nil
}
