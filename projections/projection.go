package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
)

// Projection is one read model. Implementations must be deterministic: the
// same events give the same rows, however they are split into batches (a
// live projector applies many small batches, a rebuild a few large ones).
// They must not keep state between calls: the Runner may call Setup and
// Apply from several goroutines for different schemas (live and rebuild).
type Projection interface {
	// Name is stable and matches [a-z_]+; the projection's tables live in
	// the schema "proj_"+Name. Renaming a projection starts it afresh.
	Name() string
	// Setup creates the projection's tables inside schema, which exists and
	// is empty. It must be idempotent.
	Setup(ctx context.Context, tx pgx.Tx, schema string) error
	// Apply applies events, in ascending positions and none applied to
	// schema before, to the tables in schema within tx. It must ignore event
	// types it does not use, and should write in bulk (COPY, multi-row
	// statements): a rebuild hands it thousands of events at once.
	Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error
}

// Versioned is implemented by a projection whose tables changed shape
// since it was first released: Version is the shape its Setup creates
// (1 for a projection that does not implement it). When the service
// starts with a version other than the one the live schema was set up
// with, the live schema is dropped, set up afresh and projected again from
// the first event, since rows of the old shape cannot be kept: the read
// model answers from what it has caught up meanwhile (min_position waits
// for it). Raise it with every change to Setup or to what Apply writes.
type Versioned interface {
	Version() int
}

// versionOf is p's Version, 1 when it is not Versioned.
func versionOf(p Projection) int {
	if v, ok := p.(Versioned); ok {
		return v.Version()
	}
	return 1
}

// Store is what the Runner reads from the event store; *eventstore.Store
// implements it.
type Store interface {
	// ReadRange returns up to limit events with after < position < before
	// in position order, for ranges known to be complete.
	ReadRange(ctx context.Context, after, before eventstore.Position, limit int) ([]eventstore.Event, error)
	// Horizon returns the position below which the committed events are
	// final.
	Horizon(ctx context.Context) (eventstore.Position, error)
	// Lag reports how many events lie above pos and the age of the oldest.
	Lag(ctx context.Context, pos eventstore.Position) (int64, time.Duration, error)
}

// Schema returns the PostgreSQL schema in which the projection named name
// keeps its tables and which queries read: "proj_"+name.
func Schema(name string) string { return "proj_" + name }

// rebuildSchema is where Rebuild builds a projection before the swap.
func rebuildSchema(name string) string { return Schema(name) + "_rebuild" }

// oldSchema holds the replaced tables for the instant of the swap.
func oldSchema(name string) string { return Schema(name) + "_old" }

// maxNameLen keeps "proj_<name>_rebuild" within PostgreSQL's 63-byte
// identifiers.
const maxNameLen = 48

func validName(n string) error {
	if n == "" || len(n) > maxNameLen {
		return fmt.Errorf("projection name %q: want 1 to %d characters", n, maxNameLen)
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return fmt.Errorf("projection name %q: want only [a-z_]", n)
		}
	}
	return nil
}

// Defaults of Config.
const (
	DefaultBatchSize        = 500
	DefaultRebuildBatchSize = 10000
	DefaultRebuildFoldRows  = 1_000_000
	DefaultIdleCheck        = 5 * time.Second
)

// Config configures a Runner. The zero value of every field but Topology
// takes its default.
type Config struct {
	// Topology names the JetStream stream and subjects the relay publishes
	// to.
	Topology broker.Topology
	// BatchSize is the most events a live projector applies in one
	// transaction. Default DefaultBatchSize.
	BatchSize int
	// RebuildBatchSize is how many events Rebuild reads and applies at once.
	// Default DefaultRebuildBatchSize.
	RebuildBatchSize int
	// RebuildFoldRows is the most rows the Fold of a projection that is a
	// Folder may hold in memory during a rebuild; past it, Rebuild writes
	// them and applies the rest of the history with Apply, as it does for
	// a projection without a Fold. A customer list row takes about 500
	// bytes, so the default DefaultRebuildFoldRows bounds its fold at about
	// 0.5 GB. Negative never folds.
	RebuildFoldRows int
	// IdleCheck is how long a projector waits for a message before it looks
	// in the store for events past its checkpoint (an event the relay
	// published last but JetStream lost would otherwise wait for the next
	// one). Default DefaultIdleCheck; negative disables it.
	IdleCheck time.Duration
	// LeaderRetry is how often a standby projector tries to take over.
	// Default 1s (see leader.Config).
	LeaderRetry time.Duration
	// Logger receives the projectors' errors and warnings. Default
	// slog.Default().
	Logger *slog.Logger
	// Opener opens the sealed personal data of events before a projection
	// that is not Sealed sees them (live, catch-up and rebuild alike).
	// Nil hands every projection the events as stored.
	Opener Opener
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Topology.Stream == "" {
		errs = append(errs, errors.New("topology: stream name required"))
	}
	if c.Topology.Prefix == "" {
		errs = append(errs, errors.New("topology: subject prefix required"))
	}
	if c.BatchSize < 0 || c.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("batch size %d: want 1 to 10000, or 0 for the default", c.BatchSize))
	}
	if c.RebuildBatchSize < 0 || c.RebuildBatchSize > 100000 {
		errs = append(errs, fmt.Errorf("rebuild batch size %d: want 1 to 100000, or 0 for the default", c.RebuildBatchSize))
	}
	if c.LeaderRetry < 0 {
		errs = append(errs, fmt.Errorf("leader retry %s: must not be negative", c.LeaderRetry))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.RebuildBatchSize == 0 {
		c.RebuildBatchSize = DefaultRebuildBatchSize
	}
	if c.RebuildFoldRows == 0 {
		c.RebuildFoldRows = DefaultRebuildFoldRows
	}
	if c.IdleCheck == 0 {
		c.IdleCheck = DefaultIdleCheck
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// States of a projection, as Status reports them.
const (
	// StateStarting: set up (or not yet), the projector has not committed
	// a batch yet.
	StateStarting = "starting"
	// StateLive: the projector applies events as they come.
	StateLive = "live"
	// StateRebuilding: a rebuild is running; the live schema keeps serving
	// and keeps being updated until the rebuilt one replaces it.
	StateRebuilding = "rebuilding"
)

// Status is how far one projection is.
type Status struct {
	Name string `json:"name"`
	// Position is the checkpoint: every event at or below it is applied.
	Position eventstore.Position `json:"position"`
	// LagEvents is how many committed events lie above Position.
	LagEvents int64 `json:"lag_events"`
	// LagSeconds is the age of the oldest of them, 0 when caught up.
	LagSeconds float64 `json:"lag_seconds"`
	// State is StateStarting, StateLive or StateRebuilding.
	State string `json:"state"`
}

// ErrStale is returned by WaitFor when its context ends before the
// projections reached the position: the read model is stale and the caller
// should answer "try again later".
var ErrStale = errors.New("projections: read model has not caught up")

// ErrUnknownProjection is returned for a projection name the Runner was not
// given.
var ErrUnknownProjection = errors.New("projections: unknown projection")

// ErrRebuildRunning is returned by Rebuild when another rebuild of the same
// projection is running, in this process or another.
var ErrRebuildRunning = errors.New("projections: a rebuild is already running")
