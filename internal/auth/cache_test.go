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

// watching starts r's listener for the test and waits until its cache is on.
func watching(t *testing.T, r *auth.Registry) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	waitFor(t, "the token cache to be on", func() bool { _, on := auth.Cached(r, ""); return on })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRevocationReachesEveryCachingInstance: two instances share the token
// table and each caches the tokens it checked. A token cached by instance
// B stops working on B when instance A revokes it, and when an operator
// revokes one by hand in SQL: the trigger's notice drops it from B's
// cache. Nothing is cached once revoked.
func TestRevocationReachesEveryCachingInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 6)
	a, b := auth.NewRegistry(pool, nil), auth.NewRegistry(pool, nil)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	watching(t, a)
	watching(t, b)

	for _, revoke := range []struct {
		name string
		do   func(id string) error
	}{
		{"Revoke on instance A", func(id string) error { return a.Revoke(ctx, id) }},
		{"an UPDATE by hand", func(id string) error {
			_, err := pool.Exec(ctx, `UPDATE tokens SET revoked_at = now() WHERE id = $1`, id)
			return err
		}},
		{"a DELETE by hand", func(id string) error {
			_, err := pool.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
			return err
		}},
	} {
		tok, info, err := a.Create(ctx, auth.Staff("alice", domain.RoleSupport), time.Hour, revoke.name)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := b.Authenticate(ctx, tok); err != nil || p.ID != "staff:alice" {
			t.Fatalf("%s: authenticate: %+v %v", revoke.name, p, err)
		}
		if cached, _ := auth.Cached(b, info.ID); !cached {
			t.Fatalf("%s: instance B did not cache the token it checked", revoke.name)
		}
		if err := revoke.do(info.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, revoke.name+" to reach instance B", func() bool {
			_, err := b.Authenticate(ctx, tok)
			return errors.Is(err, auth.ErrUnauthenticated)
		})
		if cached, _ := auth.Cached(b, info.ID); cached {
			t.Fatalf("%s: instance B cached a revoked token", revoke.name)
		}
		if _, err := a.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("%s: instance A still accepts the token: %v", revoke.name, err)
		}
	}
}

// TestTokenCacheIsOffWithoutItsListener: when the listening connection is
// lost (here terminated by the server), the cache empties and turns off,
// so a revocation made meanwhile, whose notice nobody heard, counts at
// once; the listener comes back and caches again.
func TestTokenCacheIsOffWithoutItsListener(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 4)
	r := auth.NewRegistry(pool, nil)
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	watching(t, r)
	tok, info, err := r.Create(ctx, auth.Staff("bob", domain.RoleAuditor), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if cached, _ := auth.Cached(r, info.ID); !cached {
		t.Fatal("the token checked was not cached")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners: %v", n, err)
	}
	waitFor(t, "the cache to turn off", func() bool { _, on := auth.Cached(r, ""); return !on })
	if cached, _ := auth.Cached(r, info.ID); cached {
		t.Fatal("the cache kept its tokens when it turned off")
	}
	// Revoked while nobody listens: no notice reaches the instance, and
	// the check reads the database.
	if _, err := pool.Exec(ctx, `ALTER TABLE tokens DISABLE TRIGGER tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE tokens ENABLE TRIGGER tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a token revoked while the listener was down: %v", err)
	}
	waitFor(t, "the listener to come back", func() bool { _, on := auth.Cached(r, ""); return on })
	other, oinfo, err := r.Create(ctx, auth.Staff("carol", domain.RoleAdmin), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, other); err != nil {
		t.Fatal(err)
	}
	if cached, _ := auth.Cached(r, oinfo.ID); !cached {
		t.Fatal("the cache does not cache again once the listener is back")
	}
}

// TestCachedTokenStillExpiresAndRefusesWrongSecrets: a token answered from
// the cache expires on time and is compared with the presented token as a
// read one would be.
func TestCachedTokenStillExpiresAndRefusesWrongSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	r := auth.NewRegistry(pgtest.Pool(t, 3), func() time.Time { return now })
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	watching(t, r)
	tok, info, err := r.Create(ctx, auth.Staff("dan", domain.RoleSupport), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if cached, _ := auth.Cached(r, info.ID); !cached {
		t.Fatal("not cached")
	}
	forged := tok[:len(tok)-1] + otherChar(tok[len(tok)-1])
	if _, err := r.Authenticate(ctx, forged); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a wrong secret for a cached token ID: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := r.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a cached token past its expiry: %v", err)
	}
}

// TestListenerLease: a quiet listener checks its connection and keeps the
// cache trusted (nothing is dropped, revocations still arrive); a cache
// whose listener has not vouched for it within the lease (a connection
// that died without a word) is not used, so a revocation that no notice
// announced counts at once.
func TestListenerLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 4)
	quiet, silent := auth.NewRegistry(pool, nil), auth.NewRegistry(pool, nil)
	if err := quiet.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	auth.SetListenerTimes(quiet, 20*time.Millisecond, 2*time.Second)
	// silent's listener waits long between checks and its lease is short:
	// it stands for a listener whose connection went quiet for good.
	auth.SetListenerTimes(silent, time.Hour, 150*time.Millisecond)
	watching(t, quiet)
	watching(t, silent)
	tok, info, err := quiet.Create(ctx, auth.Staff("erin", domain.RoleSupport), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*auth.Registry{quiet, silent} {
		if _, err := r.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(400 * time.Millisecond) // many quiet checks for one, past the lease for the other
	if cached, on := auth.Cached(quiet, info.ID); !cached || !on || !auth.Trusted(quiet) {
		t.Fatalf("the quiet listener's cache: cached %v, on %v, trusted %v", cached, on, auth.Trusted(quiet))
	}
	if auth.Trusted(silent) {
		t.Fatal("a cache whose listener did not vouch for it within the lease is trusted")
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE tokens DISABLE TRIGGER tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if err := quiet.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE tokens ENABLE TRIGGER tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := silent.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("past the lease, a token revoked without a notice: %v", err)
	}
}
