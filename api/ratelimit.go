package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Rate limiting defaults: generous for a person or a portal, and for a
// script that pages through a list, yet enough to keep one caller from
// taking the database away from the others.
const (
	DefaultRatePerSecond = 50
	DefaultRateBurst     = 100
	DefaultRateCallers   = 100_000
)

// RateLimit configures the token bucket each caller gets: a token of its
// own (per token, not per principal), and otherwise its client IP. The
// buckets are per instance: N instances behind a load balancer let a caller
// N times the rate. The zero value is the defaults.
type RateLimit struct {
	// PerSecond is the sustained rate of requests per caller (default
	// DefaultRatePerSecond); negative turns rate limiting off, for a
	// deployment whose gateway limits already.
	PerSecond float64
	// Burst is how many requests a caller may send at once after a pause
	// (default DefaultRateBurst).
	Burst int
	// MaxCallers bounds the buckets kept (default DefaultRateCallers): when
	// full, the least recently seen caller's bucket is dropped first.
	MaxCallers int
}

func (c RateLimit) withDefaults() RateLimit {
	if c.PerSecond == 0 {
		c.PerSecond = DefaultRatePerSecond
	}
	if c.Burst <= 0 {
		c.Burst = DefaultRateBurst
	}
	if c.MaxCallers <= 0 {
		c.MaxCallers = DefaultRateCallers
	}
	return c
}

// rateLimitedError is a request refused because its caller's bucket is
// empty: 429 rate_limited with Retry-After.
type rateLimitedError struct {
	// wait is the time until the bucket holds a request again.
	wait time.Duration
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("too many requests from this caller; retry in %d s", e.retryAfter())
}

// retryAfter is the wait in whole seconds, at least 1 (Retry-After has no
// fractions, and 0 would invite an immediate retry).
func (e *rateLimitedError) retryAfter() int {
	return max(1, int(math.Ceil(e.wait.Seconds())))
}

// rateLimiter keeps a token bucket per caller. It is safe for concurrent
// use.
//
// Who is a caller: a request that bears a token is charged to that token's
// bucket once the token has authenticated; until then, and for requests
// without a token, to the client IP's bucket (an IPv6 client by its /64,
// which one machine usually holds whole). So made-up tokens cannot each
// claim a fresh bucket: they share their sender's address's, and the
// bucket of a token that stops authenticating (revoked, expired) is
// dropped. X-Forwarded-For is not trusted: behind a proxy, configure the
// limit there.
//
// Memory is bounded: a bucket left unused for long enough to be full again
// (burst/rate) is dropped, since a new one would be the same, and at most
// MaxCallers are kept.
type rateLimiter struct {
	limit rate.Limit
	burst int
	// idle is how long an unused bucket takes to refill: past it a bucket
	// is the same as a new one.
	idle    time.Duration
	auth    Authenticator
	now     func() time.Time
	limited *prometheus.CounterVec

	mu      sync.Mutex
	buckets *simplelru.LRU[string, *bucket]
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time // guarded by rateLimiter.mu
}

// newRateLimiter returns nil when cfg turns limiting off.
func newRateLimiter(cfg RateLimit, auth Authenticator, now func() time.Time) *rateLimiter {
	cfg = cfg.withDefaults()
	if cfg.PerSecond < 0 {
		return nil
	}
	buckets, err := simplelru.NewLRU[string, *bucket](cfg.MaxCallers, nil)
	if err != nil {
		panic(fmt.Sprintf("api: rate limiter: %v", err)) // only for a size < 1, excluded above
	}
	return &rateLimiter{
		limit:   rate.Limit(cfg.PerSecond),
		burst:   cfg.Burst,
		idle:    max(time.Second, time.Duration(float64(cfg.Burst)/cfg.PerSecond*float64(time.Second))),
		auth:    auth,
		now:     now,
		buckets: buckets,
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channeldesk_http_rate_limited_total",
			Help: "Requests refused with 429 rate_limited, by the kind of caller whose bucket was empty (token or ip).",
		}, []string{"caller"}),
	}
}

// take charges one request to key's bucket, making the bucket if need be
// (when create is set). It reports whether key had a bucket and, when the
// request is refused, the wait until the bucket holds one again.
func (l *rateLimiter) take(key string, create bool) (found bool, wait time.Duration) {
	now := l.now()
	l.mu.Lock()
	l.sweep(now)
	b, found := l.buckets.Get(key)
	if !found {
		if !create {
			l.mu.Unlock()
			return false, 0
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets.Add(key, b)
	}
	b.seen = now
	l.mu.Unlock()
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return true, time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// sweep drops the buckets unused for longer than idle, oldest first (the
// LRU order is the order of last use). l.mu is held.
func (l *rateLimiter) sweep(now time.Time) {
	for {
		_, b, ok := l.buckets.GetOldest()
		if !ok || now.Sub(b.seen) <= l.idle {
			return
		}
		l.buckets.RemoveOldest()
	}
}

// admit adds a full bucket for key unless it has one already.
func (l *rateLimiter) admit(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.buckets.Get(key); !ok {
		l.buckets.Add(key, &bucket{lim: rate.NewLimiter(l.limit, l.burst), seen: now})
	}
}

// forget drops key's bucket.
func (l *rateLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets.Remove(key)
}

// size is the number of buckets kept.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.Len()
}

// tokenKey names a token's bucket by a digest: the limiter keeps no
// secret in memory longer than the request.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:16])
}

// ipKey names a client address's bucket: an IPv4 address, or the /64 of
// an IPv6 one.
func ipKey(host string) string {
	ip := net.ParseIP(host)
	if ip == nil {
		return "ip:" + host
	}
	if v4 := ip.To4(); v4 != nil {
		return "ip:" + v4.String()
	}
	return "ip:" + ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// rateExempt are the probes and the scraper: limiting them would make an
// overloaded instance look dead.
func rateExempt(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// bearerToken is the token of the Authorization header, as authedFor reads
// it ("" when there is none).
func bearerToken(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(token)
}

// rateLimit refuses a request whose caller has used up its bucket with 429
// rate_limited and Retry-After, before anything else is done for it. mux
// names the route of a refused request in the metrics.
func (s *Server) rateLimit(mux *http.ServeMux, next http.Handler) http.Handler {
	l := s.limiter
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rateExempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		token := bearerToken(r)
		caller, wait := l.charge(r.Context(), token, clientIP(r))
		if wait > 0 {
			l.limited.WithLabelValues(caller).Inc()
			// The metrics record the route as if the mux had matched it.
			if _, pattern := mux.Handler(r); pattern != "/" {
				r.Pattern = pattern
			}
			s.writeProblem(w, r, &rateLimitedError{wait: wait})
			return
		}
		next.ServeHTTP(w, r)
		// A token refused now (revoked, expired since) loses its bucket:
		// its next requests are charged to their address again.
		if sw, ok := w.(*statusWriter); ok && caller == "token" && sw.status == http.StatusUnauthorized {
			l.forget(tokenKey(token))
		}
	})
}

// charge charges one request to its caller's bucket. It returns the kind
// of caller charged ("token" or "ip") and, when the bucket was empty, the
// wait until it holds a request again. A token not yet known is checked
// here (once: it gets its bucket when it authenticates); the request that
// checks it is charged to its address.
func (l *rateLimiter) charge(ctx context.Context, token, host string) (caller string, wait time.Duration) {
	if token != "" {
		if found, wait := l.take(tokenKey(token), false); found {
			return "token", wait
		}
	}
	if _, wait := l.take(ipKey(host), true); wait > 0 {
		return "ip", wait
	}
	if token != "" && l.auth != nil {
		if _, err := l.auth.Authenticate(ctx, token); err == nil {
			l.admit(tokenKey(token))
		}
	}
	return "ip", 0
}
