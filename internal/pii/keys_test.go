package pii_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/internal/pii"
)

// TestKeysPostgres: a key is created once per subject and kept; destroying
// it keeps the row with no key, so that it reads as destroyed (nil), not
// as never created (absent), and nothing can be sealed for it any more;
// destruction is idempotent and works for a subject never seen.
func TestKeysPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	k := pii.NewKeys(pool)
	if err := k.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := k.Ensure(ctx, []string{"C-000001", "C-000002"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := k.Ensure(ctx, []string{"C-000001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(first["C-000001"]) != pii.KeySize || !bytes.Equal(first["C-000001"], again["C-000001"]) || bytes.Equal(first["C-000001"], first["C-000002"]) {
		t.Fatalf("keys: want one distinct 32-byte key per subject, kept: %x %x %x", first["C-000001"], again["C-000001"], first["C-000002"])
	}
	for range 2 {
		if err := k.Destroy(ctx, "C-000001"); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Destroy(ctx, "C-000009"); err != nil {
		t.Fatal(err)
	}
	got, err := k.Keys(ctx, []string{"C-000001", "C-000002", "C-000009", "C-000404"})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got["C-000001"]; !ok || v != nil {
		t.Fatalf("destroyed key: want present and nil, got %x %v", v, ok)
	}
	if v, ok := got["C-000009"]; !ok || v != nil {
		t.Fatalf("key destroyed before it existed: want present and nil, got %x %v", v, ok)
	}
	if !bytes.Equal(got["C-000002"], first["C-000002"]) {
		t.Fatal("another person's key changed")
	}
	if _, ok := got["C-000404"]; ok {
		t.Fatal("a subject never seen has a key row")
	}
	for _, s := range []string{"C-000001", "C-000009"} {
		if _, err := k.Ensure(ctx, []string{s}); !errors.Is(err, pii.ErrForgotten) {
			t.Fatalf("Ensure %s after destroy: want ErrForgotten, got %v", s, err)
		}
	}
	var destroyed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM person_keys WHERE key IS NULL AND destroyed_at IS NOT NULL`).Scan(&destroyed); err != nil || destroyed != 2 {
		t.Fatalf("destroyed rows: %d %v", destroyed, err)
	}
}
