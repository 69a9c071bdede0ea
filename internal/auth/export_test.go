package auth

import "context"

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
