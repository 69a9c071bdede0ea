package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
)

// DefaultStateCache is how many streams' states a Service keeps by default.
const DefaultStateCache = 4096

// stateCache keeps the latest state this process knows of the streams its
// commands read and wrote, so that a command on a stream touched a moment
// ago (the order just submitted, its customer, the acting partner) decides
// without reading it again.
//
// A cached state may be stale: another instance may have appended to the
// stream since. That is safe because of how commands commit and refuse:
//   - a decision is committed only by an append that checks the version of
//     every stream it read (written streams by their expected version,
//     the others as assertions), so a decision on a stale state conflicts
//     and the command is decided again from the store;
//   - a refusal appends nothing, so a command refused on any cached state
//     is decided again from the store before the refusal is answered.
//
// Entries are shared, never copied: a cached state is handed to every
// command that loads the stream, and an append's events are folded onto
// the cached state it expected. That is sound because states are values
// that nothing writes in place: Evolve copies a map or slice before it
// changes it (each aggregate's State says so, and
// TestEvolveNeverWritesItsInput checks it for every event type), and a
// decision only reads. In test binaries every state taken from the cache
// is compared with the store's (Config.CacheCheck), so a write in place
// anywhere that a test reaches fails that test.
type stateCache struct {
	mu  sync.Mutex // makes "replace only by a newer version" atomic
	lru *lru.Cache[string, loadedState]
	// verify checks every hit against the store (Config.CacheCheck).
	verify bool
}

func newStateCache(size int, verify bool) *stateCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = DefaultStateCache
	}
	c, err := lru.New[string, loadedState](size)
	if err != nil {
		panic(err) // only for a size < 1, ruled out above
	}
	return &stateCache{lru: c, verify: verify}
}

// get returns the cached state of stream, if it is an S.
func cachedState[S any](c *stateCache, stream string) (S, int64, bool) {
	var zero S
	if c == nil {
		return zero, 0, false
	}
	l, ok := c.lru.Get(stream)
	if !ok {
		return zero, 0, false
	}
	st, ok := l.state.(S)
	if !ok {
		return zero, 0, false
	}
	return st, l.version, true
}

// has reports whether stream is cached.
func (c *stateCache) has(stream string) bool {
	return c != nil && c.lru.Contains(stream)
}

// put caches state (which the cache then owns) at version, unless a newer
// version is cached already. A stream that does not exist is not cached.
func (c *stateCache) put(stream string, state any, version int64) {
	if c == nil || version < 1 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.lru.Peek(stream); ok && l.version >= version {
		return
	}
	c.lru.Add(stream, loadedState{state: state, version: version})
}

func (c *stateCache) forget(stream string) {
	if c != nil {
		c.lru.Remove(stream)
	}
}

// erased is an aggregate with its state type erased, for the cache to
// carry a state forward by the events an append recorded.
type erased struct {
	zero   func() any
	evolve func(any, domain.Event) (any, bool)
}

func (a Aggregate[S]) erase() erased {
	return erased{
		zero: func() any { var s S; return s },
		evolve: func(st any, e domain.Event) (any, bool) {
			s, ok := st.(S)
			if !ok {
				return nil, false
			}
			return a.Evolve(s, e), true
		},
	}
}

// cachedAggregates are the aggregates whose states are cached, by stream
// category. Invoices are written once and never read by a command.
var cachedAggregates = map[string]erased{
	"account":     accounts.erase(),
	"partner":     partners.erase(),
	"order":       orders.erase(),
	"orderpo":     poReservations.erase(),
	"license":     licenses.erase(),
	"contract":    contracts.erase(),
	"supportcase": cases.erase(),
}

// committed carries the cached states of the streams an append wrote
// forward by its events: the state at the version the append expected,
// evolved by the events as the store will give them back (decoded
// from their JSON). A stream whose expected state is no longer cached is
// dropped instead.
func (s *Service) committed(appends []eventstore.StreamAppend) {
	c := s.cache
	if c == nil {
		return
	}
	for _, sa := range appends {
		if len(sa.Events) == 0 {
			continue
		}
		agg, ok := cachedAggregates[eventstore.Category(sa.StreamID)]
		if !ok {
			continue
		}
		st := agg.zero()
		if sa.ExpectedVersion > 0 {
			l, ok := c.lru.Peek(sa.StreamID)
			if !ok || l.version != sa.ExpectedVersion {
				c.forget(sa.StreamID)
				continue
			}
			st = l.state
		}
		ok = true
		for _, e := range sa.Events {
			de, err := s.catalog.Decode(e.Type, e.SchemaVersion, e.Data)
			if err != nil {
				ok = false // the next read decides (and reports) it
				break
			}
			if st, ok = agg.evolve(st, de); !ok {
				break
			}
		}
		if !ok {
			c.forget(sa.StreamID)
			continue
		}
		c.put(sa.StreamID, st, sa.ExpectedVersion+int64(len(sa.Events)))
	}
}

// remember caches a state just folded from the store, if streams of its
// category are cached and S is their state type.
func remember[S any](c *stateCache, stream string, st S, v int64) {
	if c == nil || v < 1 {
		return
	}
	agg, ok := cachedAggregates[eventstore.Category(stream)]
	if !ok {
		return
	}
	if _, ok := agg.zero().(S); ok {
		c.put(stream, st, v)
	}
}

// sameState reports whether two states are equal, or equal as JSON: a
// json.RawMessage in a state (a support case's proposed command) holds the
// bytes the event's JSON held, which PostgreSQL's jsonb gives back
// re-rendered ("<" for "\u003c"), the same value in other bytes.
func sameState(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// verifyCached checks a state taken from the cache against the store: when
// the stream is still at the cached version, the state folded from the
// store must be the same. Used in tests (Config.CacheCheck) to prove
// that what the cache carries forward is what a read would give.
func verifyCached[S any](u *Unit, agg Aggregate[S], stream string, st S, v int64) error {
	fresh, fv, err := load(u.ctx, u.s, agg, stream)
	if err != nil {
		return err
	}
	if fv == v && !sameState(fresh, st) {
		return fmt.Errorf("command: the cached state of %s at version %d differs from the store's:\ncached %+v\nstore  %+v", stream, v, st, fresh)
	}
	return nil
}
