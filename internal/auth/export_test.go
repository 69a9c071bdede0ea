package auth

import (
	"context"
	"time"
)

// PgtestCount counts token rows whose stored columns contain the token text.
func PgtestCount(ctx context.Context, r *Registry, token string, n *int) error {
	return r.pool.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE position($1 in (hash::text || principal::text || label)) > 0`, token).Scan(n)
}

// Cached reports whether the token with ID id is in r's cache, and whether
// the cache is on.
func Cached(r *Registry, id string) (cached, on bool) {
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	return r.cache.entries.Contains(id), r.cache.on
}

// SetListenerTimes sets how often r's listener checks its connection and
// how long the cache trusts it after a notice or check.
func SetListenerTimes(r *Registry, checkEvery, lease time.Duration) {
	r.checkEvery = checkEvery
	r.cache.mu.Lock()
	r.cache.lease = lease
	r.cache.mu.Unlock()
}

// Trusted reports whether r's cache may be used now.
func Trusted(r *Registry) bool {
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	return r.cache.trusted()
}
