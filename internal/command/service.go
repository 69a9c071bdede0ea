package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

// ErrIdempotencyMismatch is returned when an idempotency key already
// recorded is sent with a different request.
var ErrIdempotencyMismatch = errors.New("command: idempotency key reused with a different request")

// Store is what the service needs of the event store.
type Store interface {
	Load(ctx context.Context, streamID string) ([]eventstore.Event, error)
	LoadMany(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error)
	Append(ctx context.Context, streams []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error)
	LookupCommand(ctx context.Context, scope, key string) (*eventstore.RecordedCommand, error)
}

// IDs allocates human-readable identifiers: organisation IDs (123456HQ),
// and n numbers of a kind (contacts, orders, contracts, licenses,
// invoices, cases); numbering.Allocator is the implementation.
type IDs interface {
	NextOrgID(ctx context.Context) (string, error)
	Next(ctx context.Context, k numbering.Kind, n int) ([]string, error)
}

// Config configures a Service.
type Config struct {
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// NewID draws event and command IDs; UUIDv7 if nil.
	NewID func() uuid.UUID
	// Committed is called after every successful append (e.g. to wake the
	// relay in this process). Optional; must not block.
	Committed func()
	// MaxAttempts bounds how often a command is decided again after a
	// conflict. Default 5.
	MaxAttempts int
	// Screener checks the names that commands bring (companies, contacts)
	// against the restricted-party list; a match is accepted with an
	// embargo hold appended. Nil screens nothing.
	Screener Screener
	// Shredder destroys the key of a forgotten person (ForgetContact;
	// pii.Keys). Nil refuses ForgetContact: it cannot keep its promise.
	Shredder Shredder
	// StateCache is how many streams' states the service keeps between
	// commands (see stateCache): DefaultStateCache when 0, none when
	// negative.
	StateCache int
	// CacheCheck says when a state taken from the cache is checked
	// against the store (see CacheCheck).
	CacheCheck CacheCheck
}

// CacheCheck says when a command that takes a state from the state cache
// reads the stream again and fails if the two differ at one version: a
// check that what the cache carries forward is what a read gives.
type CacheCheck int

const (
	// CheckInTests checks in test binaries (testing.Testing) only.
	CheckInTests CacheCheck = iota
	// CheckAlways checks every time.
	CheckAlways
	// CheckNever never checks, as in production; for tests that count
	// reads.
	CheckNever
)

func (c CacheCheck) on() bool {
	return c == CheckAlways || c == CheckInTests && testing.Testing()
}

// Service executes commands. It is safe for concurrent use.
type Service struct {
	store   Store
	ids     IDs
	catalog *catalog.Catalog
	cfg     Config
	cache   *stateCache
}

// New returns a Service.
func New(store Store, ids IDs, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	return &Service{store: store, ids: ids, catalog: catalog.New(), cfg: cfg,
		cache: newStateCache(cfg.StateCache, cfg.CacheCheck.on())}
}

// Meta is what the request says about a command besides its body.
type Meta struct {
	Principal     domain.Principal
	OnBehalfOf    string
	CorrelationID string
	CausationID   string
	ClientIP      string
	// IdempotencyKey, when set, makes the command idempotent per principal;
	// RequestHash identifies the request it was first used with.
	IdempotencyKey string
	RequestHash    string
	// Operation is the command's name (SubmitOrder) and UserAgent the
	// client's, recorded with its events.
	Operation string
	UserAgent string
}

// ResultEvent is one recorded event in a command's answer.
type ResultEvent struct {
	ID       uuid.UUID           `json:"id"`
	Type     string              `json:"type"`
	Position eventstore.Position `json:"position"`
}

// Result is a command's answer: the aggregate it addressed, its stream and
// new version, the position of the last event (for read-your-writes) and the
// events recorded.
type Result struct {
	ID       string              `json:"id"`
	Stream   string              `json:"stream"`
	Version  int64               `json:"version"`
	Position eventstore.Position `json:"position"`
	Events   []ResultEvent       `json:"events"`
	// Replayed is true when the answer came from the command log.
	Replayed bool `json:"-"`
}

// replay answers a command already in the command log.
func (s *Service) replay(ctx context.Context, m Meta) (*Result, error) {
	if m.IdempotencyKey == "" {
		return nil, nil
	}
	rc, err := s.store.LookupCommand(ctx, m.Principal.ID, m.IdempotencyKey)
	if err != nil || rc == nil {
		return nil, err
	}
	if rc.RequestHash != m.RequestHash {
		return nil, ErrIdempotencyMismatch
	}
	var r Result
	if err := json.Unmarshal(rc.Result, &r); err != nil {
		return nil, fmt.Errorf("decode recorded result: %w", err)
	}
	r.Replayed = true
	return &r, nil
}

// load folds a stream into state, returning its version.
func load[S any](ctx context.Context, s *Service, agg Aggregate[S], streamID string) (S, int64, error) {
	evs, err := s.store.Load(ctx, streamID)
	if err != nil {
		var st S
		return st, 0, err
	}
	return fold(s, agg, streamID, evs)
}

// fold folds a stream's events into state, returning its version.
func fold[S any](s *Service, agg Aggregate[S], streamID string, evs []eventstore.Event) (S, int64, error) {
	var st S
	for _, e := range evs {
		de, err := s.catalog.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return st, 0, fmt.Errorf("load %s: %w", streamID, err)
		}
		st = agg.Evolve(st, de)
	}
	return st, int64(len(evs)), nil
}

// execute runs a command on one aggregate: load, decide, append.
func execute[S any](ctx context.Context, s *Service, m Meta, agg Aggregate[S], id, streamID string, decide func(S) ([]domain.Event, error)) (Result, error) {
	return s.Run(ctx, m, id, streamID, func(u *Unit) error {
		st, err := Load(u, agg, streamID)
		if err != nil {
			return err
		}
		evs, err := decide(st)
		if err != nil {
			return err
		}
		u.Emit(streamID, evs...)
		return nil
	})
}
