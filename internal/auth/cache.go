package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/channeldesk/channeldesk/domain"
)

// notifyChannel is the PostgreSQL channel on which every change to a token
// row is announced (migration 00002), with the token's ID.
const notifyChannel = "channeldesk_tokens"

// cacheSize bounds how many tokens one instance keeps.
const cacheSize = 10000

// tokenCache keeps the tokens this instance authenticated, so that a
// request needs no read of the token table. It is used only while Watch
// listens for token changes: every change to a row (revocation, deletion)
// is announced by a trigger when it commits, and the listener drops the
// token at once. While the listener is not connected the cache is off and
// every check reads the database; when it connects again the cache starts
// empty, since notices sent meanwhile were lost.
//
// gen guards against a read racing a revocation: a check that read a row
// keeps it only if no notice or flush came between its read and its keep.
type tokenCache struct {
	mu      sync.Mutex
	on      bool
	gen     uint64
	entries *lru.Cache[string, cachedToken]
}

type cachedToken struct {
	hash    [32]byte
	p       domain.Principal
	expires time.Time
}

func newTokenCache() *tokenCache {
	c, err := lru.New[string, cachedToken](cacheSize)
	if err != nil {
		panic(err) // only for a size < 1
	}
	return &tokenCache{entries: c}
}

// get returns the cached token id while the cache is on.
func (c *tokenCache) get(id string) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return cachedToken{}, false
	}
	return c.entries.Get(id)
}

// generation is read before a check reads the database.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// keep caches a token read at generation gen, unless the cache is off or a
// notice or flush came since.
func (c *tokenCache) keep(id string, t cachedToken, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on && c.gen == gen {
		c.entries.Add(id, t)
	}
}

// changed drops token id after a notice.
func (c *tokenCache) changed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.Remove(id)
}

// set empties the cache and turns it on or off.
func (c *tokenCache) set(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.on = on
	c.entries.Purge()
}

// Watch listens for token changes on a connection of its own and keeps the
// token cache while it does, until ctx ends (it then returns nil). A lost
// connection turns the cache off until it listens again, after a second.
// Without Watch running, every check reads the database.
func (r *Registry) Watch(ctx context.Context) error {
	for {
		err := r.listen(ctx)
		r.cache.set(false)
		if ctx.Err() != nil {
			return nil
		}
		r.log.Warn("token change listener lost; tokens are checked in the database until it is back", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (r *Registry) listen(ctx context.Context) error {
	pc, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is the listener's alone and never goes back to the
	// pool (a pooled connection that listens would pile up notices).
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen for token changes: %w", err)
	}
	// Listening from here on: a row read from now on is announced when it
	// changes.
	r.cache.set(true)
	defer r.cache.set(false)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == notifyChannel {
			r.cache.changed(n.Payload)
		}
	}
}
