package auth

import (
	"context"
	"errors"
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
	// until is when the listener's lease ends: it is renewed by every
	// notice and every successful check of the connection, and past it
	// the cache is not used (a connection that died without a word, or a
	// listener that stopped, is then distrusted within a bound).
	until time.Time
	lease time.Duration
}

type cachedToken struct {
	hash    [32]byte
	p       domain.Principal
	expires time.Time
}

// Defaults of the listener: how long it waits for a notice before it
// checks its connection, and for how long a check or notice vouches for
// the cache.
const (
	defaultCheckEvery = 5 * time.Second
	defaultLease      = 3 * defaultCheckEvery
)

func newTokenCache() *tokenCache {
	c, err := lru.New[string, cachedToken](cacheSize)
	if err != nil {
		panic(err) // only for a size < 1
	}
	return &tokenCache{entries: c, lease: defaultLease}
}

// trusted reports whether the cache may be used; c.mu is held.
func (c *tokenCache) trusted() bool { return c.on && time.Now().Before(c.until) }

// alive renews the listener's lease.
func (c *tokenCache) alive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until = time.Now().Add(c.lease)
}

// get returns the cached token id while the cache is on.
func (c *tokenCache) get(id string) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.trusted() {
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
	if c.trusted() && c.gen == gen {
		c.entries.Add(id, t)
	}
}

// changed drops token id after a notice; every token for an empty id
// (a TRUNCATE, migration 00003).
func (c *tokenCache) changed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == "" {
		c.entries.Purge()
		return
	}
	c.entries.Remove(id)
}

// set empties the cache and turns it on or off.
func (c *tokenCache) set(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.on = on
	c.until = time.Now().Add(c.lease)
	c.entries.Purge()
}

// minPingWait is the least time the listener's connection check waits for
// an answer: a busy server answers a ping slower than a short check period
// (tests check often), and a check that gives up too soon drops a healthy
// listener and its cache. A slow answer still renews the lease only once
// it arrives.
const minPingWait = time.Second

// Watch listens for token changes on a connection of its own and keeps the
// token cache while it does, until ctx ends (it then returns nil). A lost
// connection turns the cache off until it listens again, after a second.
// When no notice comes for a while, it checks that the connection answers;
// the cache is used only while a notice or a check in the last 15 seconds
// vouches for the listener. Without Watch running, every check reads the
// database.
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
		wait, cancel := context.WithTimeout(ctx, r.checkEvery)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// Quiet: check that the connection still answers, so that
			// one that died without a word is noticed within the lease.
			ping, cancel := context.WithTimeout(ctx, max(r.checkEvery, minPingWait))
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("token change listener: connection check: %w", err)
			}
			r.cache.alive()
			continue
		}
		if err != nil {
			return err
		}
		r.cache.alive()
		if n.Channel == notifyChannel {
			// An empty payload announces a TRUNCATE: every token changed.
			r.cache.changed(n.Payload)
		}
	}
}
