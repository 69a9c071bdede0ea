package projtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/projections"
)

// Deadlines of the polling methods: long enough for a loaded CI machine,
// short enough that a stuck projector fails the test rather than the run.
// The horizon is the whole server's: one statement of another test (a bulk
// insert of TestQueriesUseIndexes takes seconds under -race and a full
// parallel run) holds it back for as long as it runs.
const (
	horizonWait    = 60 * time.Second
	checkpointWait = 20 * time.Second
)

// Env is one test's database, event store and, when New was asked for it,
// NATS server. Its fields are set by New and must not be reassigned, except
// Log.
type Env struct {
	// T is the test the Env belongs to; every failure ends it.
	T testing.TB
	// Ctx is the context of every call the Env makes. It is never
	// cancelled: the test's cleanups end what the Env started.
	Ctx context.Context
	// Pool is a pool on the test's own database, which holds the event
	// store and the projection checkpoints.
	Pool *pgxpool.Pool
	// Store is the event store on Pool.
	Store *eventstore.Store
	// NC is a connection to the test's NATS server; nil without NATS.
	NC *nats.Conn
	// JS is JetStream on NC, with the stream of Topology created; nil
	// without NATS.
	JS jetstream.JetStream
	// Topology names the test stream and its subjects. It differs from
	// broker.Default, so a test never reads production subjects.
	Topology broker.Topology
	// Log receives the logs of the Runners built from Config, at debug
	// level. New sets io.Discard; point it at os.Stderr to debug a test.
	Log io.Writer

	mu        sync.Mutex
	published eventstore.Position // last position published by PublishAll
}

// New creates a database for t with the event store and projection
// migrations applied and, when withNATS is set, starts an embedded NATS
// server with the stream of Env.Topology. Everything is closed, stopped and
// dropped when t ends. Like pgtest and natstest, New skips t when
// PostgreSQL or NATS is unreachable, and fails it under CI.
func New(t testing.TB, withNATS bool) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{
		T:        t,
		Ctx:      ctx,
		Pool:     pgtest.Pool(t, 8),
		Topology: broker.Topology{Stream: "TEST_EVENTS", Prefix: "test.events"},
		Log:      io.Discard,
	}
	e.Store = eventstore.New(e.Pool)
	if err := e.Store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := projections.Migrate(ctx, e.Pool); err != nil {
		t.Fatal(err)
	}
	if !withNATS {
		return e
	}
	ns := natstest.Start(t)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e.NC = nc
	if e.JS, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Topology.EnsureStream(ctx, e.JS, 1); err != nil {
		t.Fatal(err)
	}
	return e
}

// Config returns a Runner configuration for tests: the Env's topology,
// live batches of batch events (0 for the default), no idle check (a test
// that wants one sets IdleCheck), quick takeover by a standby, and logs to
// Env.Log.
func (e *Env) Config(batch int) projections.Config {
	return projections.Config{
		Topology:    e.Topology,
		BatchSize:   batch,
		IdleCheck:   -1,
		LeaderRetry: 50 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(e.Log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// Runner returns a Runner of ps on the Env's database, store and NATS
// connection (nil without NATS, which leaves Rebuild, Status and WaitFor).
func (e *Env) Runner(cfg projections.Config, ps ...projections.Projection) *projections.Runner {
	e.T.Helper()
	r, err := projections.NewRunner(e.Pool, e.Store, e.NC, cfg, ps...)
	if err != nil {
		e.T.Fatal(err)
	}
	return r
}

// Start runs r in a goroutine until the returned stop is called or the
// test ends. stop returns once Run has returned, and may be called more
// than once.
func (e *Env) Start(r *projections.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.T.Cleanup(stop)
	return stop
}

// Append appends to the streams in one transaction, as actor "staff:test",
// and returns the events as recorded.
func (e *Env) Append(streams ...eventstore.StreamAppend) []eventstore.Event {
	e.T.Helper()
	rec, err := e.Store.Append(e.Ctx, streams, eventstore.Metadata{Actor: "staff:test"})
	if err != nil {
		e.T.Fatal(err)
	}
	return rec
}

// NewEvent returns ev as a new event to append: a fresh UUIDv7, ev's type
// and schema version, ev as JSON, and the current time. It panics when ev
// does not marshal, which no domain event may do.
func NewEvent(ev domain.Event) eventstore.NewEvent {
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), SchemaVersion: ev.SchemaVersion(),
		Data: data, OccurredAt: time.Now()}
}

// All returns every committed event of the store, in position order. It
// waits until the store's horizon has passed every event committed when it
// was called, so what it returns is also what Runner.Rebuild reads.
func (e *Env) All() []eventstore.Event {
	e.T.Helper()
	var out []eventstore.Event
	var after eventstore.Position
	deadline := time.Now().Add(horizonWait)
	for {
		evs, err := e.Store.ReadAll(e.Ctx, after, 5000)
		if err != nil {
			e.T.Fatal(err)
		}
		if len(evs) > 0 {
			out = append(out, evs...)
			after = evs[len(evs)-1].Position
			continue
		}
		var n int
		if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
			e.T.Fatal(err)
		}
		if n == len(out) {
			return out
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("store holds %d events, ReadAll gives %d", n, len(out))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Publish publishes one stored event to JetStream as the relay would, with
// prev as the position of the event published before it. msgID, when not
// empty, replaces the message ID (the event ID), so a duplicate gets past
// JetStream's deduplication. Publish does not move PublishAll's chain.
func (e *Env) Publish(ev eventstore.Event, prev eventstore.Position, msgID string) {
	e.T.Helper()
	e.needNATS("Publish")
	body, err := json.Marshal(ev)
	if err != nil {
		e.T.Fatal(err)
	}
	m := e.Topology.Message(ev, prev, body)
	if msgID != "" {
		m.Header.Set(broker.HeaderMsgID, msgID)
	}
	if _, err := e.JS.PublishMsg(e.Ctx, m); err != nil {
		e.T.Fatal(err)
	}
}

// PublishAll publishes every committed event it has not published yet, in
// position order, each with the position of the one it published before
// (0 for its first), and returns the last position it published. Like All
// it first waits for the horizon to pass every committed event. Calls from
// several goroutines take turns, so the chain stays unbroken.
func (e *Env) PublishAll() eventstore.Position {
	e.T.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.All() {
		if ev.Position <= e.published {
			continue
		}
		e.Publish(ev, e.published, "")
		e.published = ev.Position
	}
	return e.published
}

// Checkpoint is a projection's row in projection_checkpoints.
type Checkpoint struct {
	// Position is the last event the projection applied or passed.
	Position eventstore.Position
	// State is projections.StateStarting, StateLive or StateRebuilding.
	State string
	// Updated is when the row last changed.
	Updated time.Time
}

// Checkpoint returns name's checkpoint, or the zero Checkpoint when the
// projection has none yet.
func (e *Env) Checkpoint(name string) Checkpoint {
	e.T.Helper()
	var c Checkpoint
	err := e.Pool.QueryRow(e.Ctx, `SELECT position, state, updated_at FROM projection_checkpoints WHERE name = $1`, name).
		Scan(&c.Position, &c.State, &c.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkpoint{}
	}
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}

// WaitCheckpoint waits until name's checkpoint is at pos or past it.
func (e *Env) WaitCheckpoint(name string, pos eventstore.Position) {
	e.T.Helper()
	deadline := time.Now().Add(checkpointWait)
	for e.Checkpoint(name).Position < pos {
		if time.Now().After(deadline) {
			e.T.Fatalf("%s stuck at %d, want %d", name, e.Checkpoint(name).Position, pos)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitConsumed waits until the JetStream consumer of projection name has
// been delivered messages, has none pending and none unacknowledged, and
// has acknowledged up to the last message of the stream: every message
// published so far was handled.
func (e *Env) WaitConsumed(name string) {
	e.T.Helper()
	e.needNATS("WaitConsumed")
	deadline := time.Now().Add(checkpointWait)
	for {
		c, err := e.JS.Consumer(e.Ctx, e.Topology.Stream, projections.ConsumerName(name))
		if err == nil {
			info, err := c.Info(e.Ctx)
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0 {
				if st, err := e.JS.Stream(e.Ctx, e.Topology.Stream); err == nil {
					if si, err := st.Info(e.Ctx); err == nil && info.AckFloor.Stream >= si.State.LastSeq {
						return
					}
				}
			}
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("consumer of %s did not drain: %v", name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Schemas returns the names of the projection schemas (proj_*) in the
// database, sorted.
func (e *Env) Schemas() []string {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'proj\_%' ORDER BY 1`)
	if err != nil {
		e.T.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}

// Exec runs one SQL statement on the test's database.
func (e *Env) Exec(sql string, args ...any) {
	e.T.Helper()
	if _, err := e.Pool.Exec(e.Ctx, sql, args...); err != nil {
		e.T.Fatal(err)
	}
}

func (e *Env) needNATS(method string) {
	e.T.Helper()
	if e.JS == nil {
		e.T.Fatalf("projtest: %s needs an Env with NATS (New(t, true))", method)
	}
}

// Dump runs queries that each select one text column (a row as JSON, say)
// and returns their rows, in order: what a test compares between a live
// projector's tables and a rebuild's.
func (e *Env) Dump(queries ...string) []string {
	e.T.Helper()
	var out []string
	for _, q := range queries {
		rows, err := e.Pool.Query(e.Ctx, q)
		if err != nil {
			e.T.Fatal(err)
		}
		s, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			e.T.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

// The viewers of the read models' visibility tests.
var (
	// Staff is a support agent, Auditor an auditor: staff with a role see
	// everything.
	Staff   = domain.Principal{ID: "staff:alice", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleSupport}}
	Auditor = domain.Principal{ID: "staff:bob", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleAuditor}}
	// NoRoles is staff without a role, Stranger nobody: they see nothing.
	NoRoles  = domain.Principal{ID: "staff:eve", Kind: domain.KindStaff}
	Stranger = domain.Principal{ID: "anon"}
)

// CustomerOf is a contact of account id.
func CustomerOf(id string) domain.Principal {
	return domain.Principal{ID: "customer:" + id + "/C-1", Kind: domain.KindCustomer, AccountID: id, ContactID: "C-1"}
}

// Partner is a contact of partner id.
func Partner(id string) domain.Principal {
	return domain.Principal{ID: "partner:" + id + "/P-1", Kind: domain.KindPartner, PartnerID: id, ContactID: "P-1"}
}
