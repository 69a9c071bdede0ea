package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestTruncateReachesTheTokenCache: emptying the token table by hand
// (TRUNCATE, which fires no row trigger) revokes every token; a token that
// an instance cached before must not keep working there.
func TestTruncateReachesTheTokenCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 4)
	r := auth.NewRegistry(pool, nil)
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	watching(t, r)
	tok, info, err := r.Create(ctx, auth.Staff("erin", domain.RoleAdmin), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if cached, _ := auth.Cached(r, info.ID); !cached {
		t.Fatal("the token checked was not cached")
	}
	if _, err := pool.Exec(ctx, `TRUNCATE tokens`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := r.Authenticate(ctx, tok)
		if errors.Is(err, auth.ErrUnauthenticated) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token deleted by TRUNCATE is still accepted from the cache: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
