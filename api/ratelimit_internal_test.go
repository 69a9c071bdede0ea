package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// knownTokens authenticates the tokens it holds and counts the lookups.
type knownTokens struct {
	valid   map[string]bool
	lookups int
}

func (k *knownTokens) Authenticate(_ context.Context, token string) (domain.Principal, error) {
	k.lookups++
	if k.valid[token] {
		return auth.Staff("ada", domain.RoleAdmin), nil
	}
	return domain.Principal{}, auth.ErrUnauthenticated
}

func TestRateLimitDefaults(t *testing.T) {
	l := newRateLimiter(RateLimit{}, nil, time.Now)
	if l == nil || l.limit != DefaultRatePerSecond || l.burst != DefaultRateBurst || l.buckets.Len() != 0 {
		t.Fatalf("the zero RateLimit is not the defaults: %+v", l)
	}
	if off := newRateLimiter(RateLimit{PerSecond: -1}, nil, time.Now); off != nil {
		t.Fatal("a negative rate did not turn rate limiting off")
	}
}

// TestRateLimiterBucket: a caller may send its burst at once, is then
// refused with the wait until the next request, and gets one request per
// 1/rate after that.
func TestRateLimiterBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(RateLimit{PerSecond: 2, Burst: 3}, nil, clock.now)
	for i := range 3 {
		if caller, wait := l.charge(context.Background(), "", "192.0.2.1"); wait != 0 || caller != "ip" {
			t.Fatalf("request %d of the burst refused: %s %v", i+1, caller, wait)
		}
	}
	caller, wait := l.charge(context.Background(), "", "192.0.2.1")
	if caller != "ip" || wait != 500*time.Millisecond {
		t.Fatalf("past the burst: %s, wait %v; want ip, 500ms", caller, wait)
	}
	if got := (&rateLimitedError{wait: wait}).retryAfter(); got != 1 {
		t.Fatalf("Retry-After %d for a wait of %v; want 1 (whole seconds, at least 1)", got, wait)
	}
	if got := (&rateLimitedError{wait: 2100 * time.Millisecond}).retryAfter(); got != 3 {
		t.Fatalf("Retry-After %d for 2.1 s; want 3 (rounded up)", got)
	}
	if _, wait := l.charge(context.Background(), "", "192.0.2.2"); wait != 0 {
		t.Fatal("another address shares the first one's bucket")
	}
	clock.advance(500 * time.Millisecond)
	if _, wait := l.charge(context.Background(), "", "192.0.2.1"); wait != 0 {
		t.Fatal("refused after the wait it was given")
	}
	if _, wait := l.charge(context.Background(), "", "192.0.2.1"); wait == 0 {
		t.Fatal("a second request within the same half second passed")
	}
}

// TestRateLimiterTokens: a token that authenticates gets a bucket of its
// own; made-up tokens do not, and share their address's; a token that
// stops authenticating loses its bucket.
func TestRateLimiterTokens(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	good := "cdk_aaaaaaaaaaaaaaaa_" + fmt.Sprintf("%043d", 1)
	tokens := &knownTokens{valid: map[string]bool{good: true}}
	l := newRateLimiter(RateLimit{PerSecond: 1, Burst: 5}, tokens, clock.now)
	ctx := context.Background()

	// The first request of a token is charged to its address, and admits
	// the token; the next ones are the token's.
	if caller, wait := l.charge(ctx, good, "192.0.2.1"); caller != "ip" || wait != 0 {
		t.Fatalf("first request of a good token: %s %v", caller, wait)
	}
	for i := range 5 {
		if caller, wait := l.charge(ctx, good, "192.0.2.1"); caller != "token" || wait != 0 {
			t.Fatalf("request %d of the token's burst: %s %v", i+1, caller, wait)
		}
	}
	if caller, wait := l.charge(ctx, good, "192.0.2.1"); caller != "token" || wait == 0 {
		t.Fatalf("past the token's burst: %s %v", caller, wait)
	}
	if tokens.lookups != 1 {
		t.Fatalf("the limiter authenticated the token %d times; want once", tokens.lookups)
	}

	// Forged tokens, each different, drain the address's bucket (4 left of
	// 5) and then are refused without being looked up.
	lookups := tokens.lookups
	refused := 0
	for i := range 10 {
		forged := fmt.Sprintf("cdk_bbbbbbbbbbbbbbbb_%043d", i)
		if caller, wait := l.charge(ctx, forged, "192.0.2.1"); wait > 0 {
			if caller != "ip" {
				t.Fatalf("a forged token was refused as %s", caller)
			}
			refused++
		}
	}
	if refused != 6 || tokens.lookups != lookups+4 {
		t.Fatalf("forged tokens: %d refused (want 6), %d looked up (want 4)", refused, tokens.lookups-lookups)
	}
	if l.size() != 2 {
		t.Fatalf("%d buckets; want 2 (the address and the good token): forged tokens must not get one", l.size())
	}

	// The good token keeps its own bucket while its address is empty.
	clock.advance(time.Second)
	if caller, wait := l.charge(ctx, good, "192.0.2.1"); caller != "token" || wait != 0 {
		t.Fatalf("good token after a second: %s %v", caller, wait)
	}
	l.forget(tokenKey(good))
	if caller, _ := l.charge(ctx, good, "192.0.2.1"); caller != "ip" {
		t.Fatalf("a forgotten token is still charged as %s", caller)
	}
}

// TestRateLimiterMemory: idle buckets are dropped (one untouched for
// burst/rate is full, the same as a new one), and never more than
// MaxCallers are kept.
func TestRateLimiterMemory(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(RateLimit{PerSecond: 10, Burst: 20, MaxCallers: 1000}, nil, clock.now)
	for i := range 5000 {
		l.charge(context.Background(), "", fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if n := l.size(); n != 1000 {
		t.Fatalf("%d buckets after 5000 callers; want the bound, 1000", n)
	}
	// Drain one address, then let every bucket go idle for 2 s (burst/rate).
	for range 25 {
		l.charge(context.Background(), "", "10.0.19.135")
	}
	clock.advance(2*time.Second + time.Millisecond)
	if _, wait := l.charge(context.Background(), "", "10.0.19.135"); wait != 0 {
		t.Fatal("a bucket idle for burst/rate is not full again")
	}
	if n := l.size(); n != 1 {
		t.Fatalf("%d buckets after every caller but one went idle; want 1", n)
	}
}

func TestIPKey(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"192.0.2.7", "ip:192.0.2.7"},
		{"::ffff:192.0.2.7", "ip:192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "ip:2001:db8:1:2::/64"},
		{"not an address", "ip:not an address"},
	} {
		if got := ipKey(c.host); got != c.want {
			t.Errorf("ipKey(%q) = %q; want %q", c.host, got, c.want)
		}
	}
}

// BenchmarkRateLimiterCharge is the limiter's cost on a request of an
// admitted token (the common case), spread over parallel callers.
func BenchmarkRateLimiterCharge(b *testing.B) {
	good := "cdk_aaaaaaaaaaaaaaaa_" + fmt.Sprintf("%043d", 1)
	l := newRateLimiter(RateLimit{PerSecond: 1e9, Burst: 1 << 30}, &knownTokens{valid: map[string]bool{good: true}}, time.Now)
	l.charge(context.Background(), good, "192.0.2.1")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, wait := l.charge(context.Background(), good, "192.0.2.1"); wait != 0 {
				b.Fatal("refused")
			}
		}
	})
}
