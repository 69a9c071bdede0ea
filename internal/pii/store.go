package pii

import (
	"context"

	"github.com/channeldesk/channeldesk/eventstore"
)

// EventStore is the part of the event store the command service uses
// (internal/command.Store).
type EventStore interface {
	Load(ctx context.Context, streamID string) ([]eventstore.Event, error)
	LoadMany(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error)
	Append(ctx context.Context, streams []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error)
	LookupCommand(ctx context.Context, scope, key string) (*eventstore.RecordedCommand, error)
}

// Store is an EventStore that seals personal data on the way in and opens
// it on the way out, so that the command service and the domain see
// plaintext (or Erased) and the store never holds any. It is safe for
// concurrent use if the store it wraps is.
type Store struct {
	EventStore
	codec *Codec
}

// Store returns s sealing and opening with c.
func (c *Codec) Store(s EventStore) *Store { return &Store{EventStore: s, codec: c} }

// Load implements EventStore, opening what it reads.
func (s *Store) Load(ctx context.Context, streamID string) ([]eventstore.Event, error) {
	evs, err := s.EventStore.Load(ctx, streamID)
	if err != nil {
		return nil, err
	}
	return s.codec.Open(ctx, evs)
}

// LoadMany implements EventStore, opening what it reads.
func (s *Store) LoadMany(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error) {
	got, err := s.EventStore.LoadMany(ctx, streamIDs)
	if err != nil {
		return nil, err
	}
	for id, evs := range got {
		if got[id], err = s.codec.Open(ctx, evs); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// Append implements EventStore, sealing what it writes. streams is not
// modified: the caller keeps its plaintext events (the command service's
// state cache evolves by them).
func (s *Store) Append(ctx context.Context, streams []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	sealed := make([]eventstore.StreamAppend, len(streams))
	for i, sa := range streams {
		sealed[i] = sa
		if len(sa.Events) == 0 {
			continue
		}
		evs, err := s.codec.Seal(ctx, sa.Events)
		if err != nil {
			return nil, err
		}
		sealed[i].Events = evs
	}
	return s.EventStore.Append(ctx, sealed, md, opts...)
}
