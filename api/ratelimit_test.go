package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// generousLimit is a rate limit that tests which send thousands of
// requests from a few tokens never reach: the limiter still runs.
func generousLimit(c *app.Config) { c.RateLimit = api.RateLimit{PerSecond: 1e6, Burst: 1e6} }

// slowLimit is a rate limit under which a bucket does not refill during a
// test: one request per 1000 s, burst of 5.
func slowLimit(c *app.Config) { c.RateLimit = api.RateLimit{PerSecond: 0.001, Burst: 5} }

// wantRateLimited checks a 429 answer: rate_limited problem, Retry-After a
// whole number of seconds of at least 1 (here about 1000 s: one request
// per 1000 s).
func wantRateLimited(t *testing.T, r resp) {
	t.Helper()
	wantProblem(t, r, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 1000 {
		t.Fatalf("Retry-After %q: want whole seconds from 1 to 1000", r.header.Get("Retry-After"))
	}
}

// TestRateLimitPerToken: through the running server, a token that has
// used its burst is refused with 429 rate_limited and Retry-After, while
// another token, the probes and the scraper still pass; the refusals are
// counted in the metrics, by route. (env.do checks every answer, the 429s
// too, against the OpenAPI document.)
func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	e := start(t, slowLimit)
	// The admin's first request is charged to the address, the next five
	// to the token.
	passed := 0
	var r resp
	for range 20 {
		if r = e.do("GET", "/v1/customers", e.admin, nil); r.status != http.StatusOK {
			break
		}
		passed++
	}
	if passed != 6 {
		t.Fatalf("the admin passed %d times before %d %s; want 6 (1 charged to the address, the burst of 5)", passed, r.status, r.raw)
	}
	wantRateLimited(t, r)
	// A command is refused the same way, and appends nothing.
	before := e.events()
	wantRateLimited(t, e.do("POST", "/v1/accounts", e.admin, registerBody("Throttled GmbH")))
	if e.events() != before {
		t.Fatal("a rate-limited command appended events")
	}
	if r := e.do("GET", "/v1/customers", e.support, nil); r.status != http.StatusOK {
		t.Fatalf("another token was throttled with the admin's: %d %s", r.status, r.raw)
	}
	for range 10 {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			if r := e.do("GET", p, "", nil); r.status != http.StatusOK {
				t.Fatalf("%s is rate limited: %d %s", p, r.status, r.raw)
			}
		}
	}
	metrics := string(e.do("GET", "/metrics", "", nil).raw)
	for _, want := range []string{
		`channeldesk_http_rate_limited_total{caller="token"} 2`,
		`channeldesk_http_requests_total{code="429",method="GET",route="GET /v1/customers"} 1`,
		`channeldesk_http_requests_total{code="429",method="POST",route="POST /v1/accounts"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRateLimitUnauthenticated: requests without a token, and with tokens
// that do not authenticate (made up, each different, or revoked), share
// their client IP's bucket: made-up tokens win no bucket of their own. A
// token that authenticated before keeps its own.
func TestRateLimitUnauthenticated(t *testing.T) {
	t.Parallel()
	e := start(t, slowLimit)
	// The admin's token is admitted (its first request is the address's).
	if r := e.do("GET", "/v1/customers", e.admin, nil); r.status != http.StatusOK {
		t.Fatalf("admin: %d %s", r.status, r.raw)
	}
	revoked, info, err := e.app.Tokens.Create(context.Background(), auth.Staff("rex", domain.RoleAdmin), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Tokens.Revoke(context.Background(), info.ID); err != nil {
		t.Fatal(err)
	}
	// OpenAPI's validator may have fetched /openapi.json from this server
	// (once per test binary): one more request of the address.
	unauthenticated := 0
	var r resp
	for i := range 20 {
		tokens := []string{"", fmt.Sprintf("cdk_%016d_%043d", i, i), revoked, "not-a-token"}
		if r = e.do("GET", "/v1/customers", tokens[i%len(tokens)], nil); r.status != http.StatusUnauthorized {
			break
		}
		unauthenticated++
	}
	if unauthenticated < 3 || unauthenticated > 4 {
		t.Fatalf("%d unauthenticated requests passed to a 401 before %d %s; want the rest of the address's burst (3 or 4)", unauthenticated, r.status, r.raw)
	}
	wantRateLimited(t, r)
	if r := e.do("GET", "/v1/customers", e.admin, nil); r.status != http.StatusOK {
		t.Fatalf("an admitted token was throttled with its address: %d %s", r.status, r.raw)
	}
	if !strings.Contains(string(e.do("GET", "/metrics", "", nil).raw), `channeldesk_http_rate_limited_total{caller="ip"} 1`) {
		t.Error(`metrics lack channeldesk_http_rate_limited_total{caller="ip"} 1`)
	}
}
