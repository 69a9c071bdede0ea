package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
)

// Unit is one attempt of a command that may read and write several
// aggregates. Every stream it loads is remembered with its version, and
// checked at that version in one atomic append: the streams it writes to
// with their events, the streams it only read (facts: the acting partner,
// a distributor, a support case) as assertions without events. If any of
// them moved in between, nothing is appended and the whole command is
// decided again from fresh state (see Service.Run). A Unit is used by one
// goroutine and for one attempt only.
type Unit struct {
	ctx      context.Context
	s        *Service
	versions map[string]int64
	loaded   []string // the keys of versions, in load order
	order    []string
	writes   map[string][]domain.Event

	// states holds what this attempt loaded, by stream, so that loading a
	// stream twice reads it once; reuse holds what an earlier look at the
	// same command loaded (see Service.create), used instead of reading
	// again: whatever moved since is caught by the append's version checks.
	states map[string]loadedState
	reuse  map[string]loadedState
	// fetched holds streams read ahead by Prefetch, not folded yet.
	fetched map[string][]eventstore.Event
	// cached tells whether this attempt may take states from the service's
	// state cache; fromCache whether it did (directly or through reuse).
	cached, fromCache bool
}

// loadedState is an aggregate state as a Unit loaded it; cached tells
// whether it came from the state cache.
type loadedState struct {
	state   any
	version int64
	cached  bool
}

func newUnit(ctx context.Context, s *Service, reuse map[string]loadedState, cached bool) *Unit {
	return &Unit{ctx: ctx, s: s, versions: map[string]int64{}, writes: map[string][]domain.Event{},
		states: map[string]loadedState{}, reuse: reuse, cached: cached && s.cache != nil}
}

// Load folds streamID into a state of the aggregate agg and remembers the
// version it was read at. A stream that does not exist gives the zero state
// at version 0. The state comes from the service's state cache when the
// attempt may use it and the stream is there; otherwise from the store,
// and is then cached.
func Load[S any](u *Unit, agg Aggregate[S], streamID string) (S, error) {
	if l, ok := u.states[streamID]; ok {
		if st, ok := l.state.(S); ok {
			return st, nil
		}
	}
	var st S
	var v int64
	var cached bool
	if l, ok := u.reuse[streamID]; ok {
		st, ok = l.state.(S)
		if !ok {
			return st, fmt.Errorf("command: stream %s loaded before as %T", streamID, l.state)
		}
		v, cached = l.version, l.cached
	} else if c, cv, ok := cachedState[S](u.s.cache, streamID); ok && u.cached {
		st, v, cached = c, cv, true
		if u.s.cache.verify {
			if err := verifyCached(u, agg, streamID, st, v); err != nil {
				return st, err
			}
		}
	} else if evs, ok := u.fetched[streamID]; ok {
		var err error
		if st, v, err = fold(u.s, agg, streamID, evs); err != nil {
			return st, err
		}
		remember(u.s.cache, streamID, st, v)
	} else {
		var err error
		if st, v, err = load(u.ctx, u.s, agg, streamID); err != nil {
			return st, err
		}
		remember(u.s.cache, streamID, st, v)
	}
	u.fromCache = u.fromCache || cached
	u.states[streamID] = loadedState{state: st, version: v, cached: cached}
	if old, ok := u.versions[streamID]; ok {
		if old != v {
			return st, &eventstore.ConflictError{StreamID: streamID, Expected: old, Actual: v}
		}
		return st, nil
	}
	u.versions[streamID] = v
	u.loaded = append(u.loaded, streamID)
	return st, nil
}

// LoadNew is Load for a stream the command creates when it is accepted (a
// reservation of a unique key, such as a partner's PO number): in an
// attempt that may use the state cache, the stream is taken to be new
// without reading it. The append proves it, since it writes the stream at
// version 0: if the stream exists after all, the append conflicts and the
// attempt after reads it from the store; if the command is refused, it is
// decided again from the store, as for any cached state. A stream in the
// cache is loaded from there as usual.
func LoadNew[S any](u *Unit, agg Aggregate[S], streamID string) (S, error) {
	_, known := u.states[streamID]
	_, reused := u.reuse[streamID]
	if known || reused || !u.cached || u.s.cache.has(streamID) {
		return Load(u, agg, streamID)
	}
	var zero S
	u.fromCache = true
	u.states[streamID] = loadedState{state: zero, cached: true}
	u.versions[streamID] = 0
	u.loaded = append(u.loaded, streamID)
	return zero, nil
}

// Prefetch reads, in one round trip, the streams of this attempt that will
// be loaded and are not known yet; Load then folds them without reading.
// What it reads is checked at commit like any load. Empty IDs are skipped.
func (u *Unit) Prefetch(streamIDs ...string) error {
	var want []string
	for _, id := range streamIDs {
		_, loaded := u.states[id]
		_, reused := u.reuse[id]
		_, fetched := u.fetched[id]
		cached := u.cached && u.s.cache.has(id)
		if id != "" && !loaded && !reused && !fetched && !cached && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) < 2 {
		return nil // a single stream costs the same round trip when loaded
	}
	got, err := u.s.store.LoadMany(u.ctx, want)
	if err != nil {
		return err
	}
	if u.fetched == nil {
		u.fetched = make(map[string][]eventstore.Event, len(want))
	}
	for _, id := range want {
		u.fetched[id] = got[id]
	}
	return nil
}

// replayUnlessHeld answers a command already in the command log (see
// replay), unless its principal is now on hold: checked from the store,
// since nothing appended would check a cached state.
func (s *Service) replayUnlessHeld(ctx context.Context, m Meta) (*Result, error) {
	if m.IdempotencyKey == "" {
		return nil, nil
	}
	if err := newUnit(ctx, s, nil, false).checkHold(m.Principal); err != nil {
		return nil, err
	}
	return s.replay(ctx, m)
}

// resource names what a command addressed, as its events record it: the
// aggregate's category and ID ("order/ORD-0000001"), and the ID within it
// when the command addressed a part (a contact: "account/100001HQ/C-000001").
func resource(stream, id string) string {
	cat := eventstore.Category(stream)
	key := strings.TrimPrefix(stream, cat+"-")
	if id == "" || id == key {
		return cat + "/" + key
	}
	return cat + "/" + key + "/" + id
}

// forgetConflict drops the stream a conflict names from the state cache.
func (s *Service) forgetConflict(err error) {
	var c *eventstore.ConflictError
	if errors.As(err, &c) {
		s.cache.forget(c.StreamID)
	}
}

// Aggregate names the Evolve function of an aggregate with state S.
type Aggregate[S any] struct {
	Evolve func(S, domain.Event) S
}

// Emit records events to append to streamID, which must have been loaded
// in this attempt (so that its expected version is known), unless it is a
// new stream: then its expected version is 0.
func (u *Unit) Emit(streamID string, events ...domain.Event) {
	if len(events) == 0 {
		return
	}
	if _, ok := u.writes[streamID]; !ok {
		u.order = append(u.order, streamID)
	}
	u.writes[streamID] = append(u.writes[streamID], events...)
}

// EmitAll records the events of a multi-aggregate decision.
func (u *Unit) EmitAll(streams []domain.StreamEvents) {
	for _, se := range streams {
		u.Emit(se.StreamID, se.Events...)
	}
}

// Run executes a command: attempt loads what it needs through the Unit,
// decides with the pure domain, and emits the events; Run appends them in
// one atomic append, each stream at the version it was loaded at and every
// stream loaded but not written asserted at its version, and retries the
// whole attempt on a conflict, at most Config.MaxAttempts times. id and
// stream name the aggregate the answer is about (its version in the answer
// is that stream's new version). A command with an idempotency key that was
// seen before is answered from the command log.
func (s *Service) Run(ctx context.Context, m Meta, id, stream string, attempt func(u *Unit) error) (Result, error) {
	return s.run(ctx, m, id, stream, nil, attempt)
}

// run is Run whose first attempt uses the states in first instead of
// reading those streams again.
func (s *Service) run(ctx context.Context, m Meta, id, stream string, first map[string]loadedState, attempt func(u *Unit) error) (Result, error) {
	if r, err := s.replayUnlessHeld(ctx, m); err != nil || r != nil {
		if r != nil {
			return *r, nil
		}
		return Result{}, err
	}
	commandID := s.cfg.NewID().String()
	var lastErr error
	// fresh: read every stream from the store, none from the state cache.
	fresh := false
	for try := 0; try < s.cfg.MaxAttempts; try++ {
		var reuse map[string]loadedState
		if try == 0 && !fresh {
			reuse = first
		}
		u := newUnit(ctx, s, reuse, !fresh)
		err := u.checkHold(m.Principal)
		if err == nil {
			err = attempt(u)
		}
		if errors.Is(err, eventstore.ErrConflict) {
			lastErr, fresh = err, true
			s.forgetConflict(err)
			continue
		}
		if err != nil && u.fromCache {
			// Refused on a cached state, which may be stale: a refusal
			// appends nothing, so no version check would catch it.
			// Decide again from the store; this does not count as an
			// attempt.
			fresh = true
			try--
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if len(u.order) == 0 {
			return Result{}, fmt.Errorf("command on %s decided no events", stream)
		}
		res, err := s.appendUnit(ctx, m, commandID, id, stream, u)
		if errors.Is(err, eventstore.ErrConflict) {
			lastErr, fresh = err, true
			s.forgetConflict(err)
			// The append that moved the stream may be this very command,
			// sent again under its key while the first was deciding (a
			// retrying client, a timer whose lease ran out): its answer is
			// the command log's, not a decision on the state it left.
			if r, rerr := s.replay(ctx, m); rerr != nil || r != nil {
				if r != nil {
					return *r, nil
				}
				return Result{}, rerr
			}
			continue
		}
		if errors.Is(err, eventstore.ErrDuplicateCommand) {
			if r, rerr := s.replay(ctx, m); rerr != nil || r != nil {
				if r != nil {
					return *r, nil
				}
				return Result{}, rerr
			}
		}
		return res, err
	}
	return Result{}, fmt.Errorf("%s after %d attempts: %w", stream, s.cfg.MaxAttempts, lastErr)
}

func (s *Service) appendUnit(ctx context.Context, m Meta, commandID, id, stream string, u *Unit) (Result, error) {
	now := s.cfg.Now().UTC()
	appends := make([]eventstore.StreamAppend, 0, len(u.order)+len(u.loaded))
	for _, sid := range u.order {
		sa := eventstore.StreamAppend{StreamID: sid, ExpectedVersion: u.versions[sid]}
		for _, e := range u.writes[sid] {
			data, err := json.Marshal(e)
			if err != nil {
				return Result{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
			}
			sa.Events = append(sa.Events, eventstore.NewEvent{ID: s.cfg.NewID(), Type: e.EventType(), SchemaVersion: e.SchemaVersion(), Data: data, OccurredAt: now})
		}
		appends = append(appends, sa)
	}
	// The facts: read, not written, and checked in the same append, so a
	// decision taken on a stale fact conflicts and is taken again.
	for _, sid := range u.loaded {
		if _, written := u.writes[sid]; !written {
			appends = append(appends, eventstore.StreamAppend{StreamID: sid, ExpectedVersion: u.versions[sid]})
		}
	}
	causation := m.CausationID
	if causation == "" {
		causation = commandID
	}
	md := eventstore.Metadata{
		Actor: m.Principal.ID, OnBehalfOf: m.OnBehalfOf, CorrelationID: m.CorrelationID,
		CausationID: causation, CommandID: commandID, ClientIP: m.ClientIP,
		Operation: m.Operation, Resource: resource(stream, id), UserAgent: m.UserAgent,
	}
	render := func(rec []eventstore.Event) Result {
		r := Result{ID: id, Stream: stream, Position: rec[len(rec)-1].Position}
		for _, e := range rec {
			r.Events = append(r.Events, ResultEvent{ID: e.ID, Type: e.Type, Position: e.Position})
			if e.StreamID == stream && e.StreamVersion > r.Version {
				r.Version = e.StreamVersion
			}
		}
		return r
	}
	var opts []eventstore.AppendOption
	if m.IdempotencyKey != "" {
		opts = append(opts, eventstore.WithCommand(eventstore.Command{
			Scope: m.Principal.ID, Key: m.IdempotencyKey, RequestHash: m.RequestHash, CommandID: commandID,
			Result: func(rec []eventstore.Event) (json.RawMessage, error) { return json.Marshal(render(rec)) },
		}))
	}
	rec, err := s.store.Append(ctx, appends, md, opts...)
	if err != nil {
		return Result{}, err
	}
	s.committed(appends[:len(u.order)])
	if s.cfg.Committed != nil {
		s.cfg.Committed()
	}
	return render(rec), nil
}
