package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/projections"
)

// env is a test's database, event store and (optionally) NATS.
type env struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	store *eventstore.Store
	nc    *nats.Conn
	js    jetstream.JetStream
	topo  broker.Topology
	prev  eventstore.Position // last position published by publishAll
}

func newEnv(t *testing.T, withNATS bool) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, pool: pgtest.Pool(t, 8), topo: broker.Topology{Stream: "TEST_EVENTS", Prefix: "test.events"}}
	e.store = eventstore.New(e.pool)
	if err := e.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := projections.Migrate(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if withNATS {
		ns := natstest.Start(t)
		nc, err := nats.Connect(ns.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		e.nc = nc
		if e.js, err = jetstream.New(nc); err != nil {
			t.Fatal(err)
		}
		if _, err := e.topo.EnsureStream(ctx, e.js, 1); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) config(batch int) projections.Config {
	return projections.Config{
		Topology:    e.topo,
		BatchSize:   batch,
		IdleCheck:   -1,
		LeaderRetry: 50 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(testLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (e *env) runner(cfg projections.Config, ps ...projections.Projection) *projections.Runner {
	e.t.Helper()
	r, err := projections.NewRunner(e.pool, e.store, e.nc, cfg, ps...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// start runs r until the returned stop is called (or the test ends).
func (e *env) start(r *projections.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return stop
}

var md = eventstore.Metadata{Actor: "staff:test"}

// appendEvents appends n events of alternating types to fresh streams, a
// few per append, and returns them as recorded.
func (e *env) appendEvents(n int) []eventstore.Event {
	e.t.Helper()
	var out []eventstore.Event
	for len(out) < n {
		k := min(1+len(out)%3, n-len(out))
		var streams []eventstore.StreamAppend
		for i := 0; i < k; i++ {
			typ := []string{"license.issued", "account.tagged", "order.submitted"}[(len(out)+i)%3]
			streams = append(streams, eventstore.StreamAppend{
				StreamID: fmt.Sprintf("%s-%s", strings.Split(typ, ".")[0], uuid.NewString()[:8]),
				Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1,
					Data: json.RawMessage(`{"n":1}`), OccurredAt: time.Now()}},
			})
		}
		rec, err := e.store.Append(e.ctx, streams, md)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rec...)
	}
	return out
}

// all returns every committed event of the store.
func (e *env) all() []eventstore.Event {
	e.t.Helper()
	var out []eventstore.Event
	var after eventstore.Position
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := e.store.ReadAll(e.ctx, after, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(evs) == 0 {
			var n int
			if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
				e.t.Fatal(err)
			}
			if n == len(out) {
				return out
			}
			if time.Now().After(deadline) {
				e.t.Fatalf("store holds %d events, ReadAll gives %d", n, len(out))
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Position
	}
}

// publish publishes one stored event as the relay would, with prev as the
// previous position; msgID overrides the message ID when not empty (to
// get a duplicate past JetStream's deduplication).
func (e *env) publish(ev eventstore.Event, prev eventstore.Position, msgID string) {
	e.t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	m := e.topo.Message(ev, prev, body)
	if msgID != "" {
		m.Header.Set(broker.HeaderMsgID, msgID)
	}
	if _, err := e.js.PublishMsg(e.ctx, m); err != nil {
		e.t.Fatal(err)
	}
}

// publishAll publishes every committed event not published by it yet, in
// order, with a correct previous-position chain. (It waits for ReadAll to
// pass events held back by transactions still running anywhere on the
// server.)
func (e *env) publishAll() eventstore.Position {
	e.t.Helper()
	for _, ev := range e.all() {
		if ev.Position <= e.prev {
			continue
		}
		e.publish(ev, e.prev, "")
		e.prev = ev.Position
	}
	return e.prev
}

type checkpointRow struct {
	Position eventstore.Position
	State    string
	Updated  time.Time
}

func (e *env) checkpoint(name string) checkpointRow {
	e.t.Helper()
	var c checkpointRow
	err := e.pool.QueryRow(e.ctx, `SELECT position, state, updated_at FROM projection_checkpoints WHERE name = $1`, name).
		Scan(&c.Position, &c.State, &c.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return c
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// waitCheckpoint waits until name's checkpoint is at least pos.
func (e *env) waitCheckpoint(name string, pos eventstore.Position) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.checkpoint(name).Position < pos {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s stuck at %d, want %d", name, e.checkpoint(name).Position, pos)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitConsumed waits until the projection's consumer has nothing pending
// and nothing unacknowledged: every message was handled.
func (e *env) waitConsumed(name string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := e.js.Consumer(e.ctx, e.topo.Stream, projections.ConsumerName(name))
		if err == nil {
			info, err := c.Info(e.ctx)
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0 {
				st, _ := e.js.Stream(e.ctx, e.topo.Stream)
				si, _ := st.Info(e.ctx)
				if si != nil && info.AckFloor.Stream >= si.State.LastSeq {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("consumer of %s did not drain: %v", name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) schemas() []string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'proj\_%' ORDER BY 1`)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// tally is a test projection that records every event it is given. Its
// primary key makes applying an event twice fail loudly. gate, when set,
// blocks Apply on the rebuild schema until it is closed.
type tally struct {
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (*tally) Name() string { return "tally" }

func (*tally) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgx.Identifier{schema, "seen"}.Sanitize()+
		` (position bigint PRIMARY KEY, event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, type text NOT NULL)`)
	return err
}

func (t *tally) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	if t.gate != nil && strings.HasSuffix(schema, "_rebuild") {
		t.once.Do(func() { close(t.entered) })
		select {
		case <-t.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pos := make([]int64, len(events))
	ids := make([]uuid.UUID, len(events))
	streams := make([]string, len(events))
	types := make([]string, len(events))
	for i, e := range events {
		if i > 0 && e.Position <= events[i-1].Position {
			return fmt.Errorf("events out of order: %d after %d", e.Position, events[i-1].Position)
		}
		pos[i], ids[i], streams[i], types[i] = int64(e.Position), e.ID, e.StreamID, e.Type
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "seen"}.Sanitize()+
		` SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[])`, pos, ids, streams, types)
	return err
}

// seen returns the positions the tally projection holds in its live schema.
func (e *env) seen() []eventstore.Position {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT position FROM proj_tally.seen ORDER BY position`)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[eventstore.Position])
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// assertComplete checks that the tally holds exactly the store's events
// and its checkpoint is the last of them.
func (e *env) assertComplete() {
	e.t.Helper()
	var want []eventstore.Position
	for _, ev := range e.all() {
		want = append(want, ev.Position)
	}
	e.waitCheckpoint("tally", want[len(want)-1])
	if got := e.seen(); !slices.Equal(got, want) {
		e.t.Fatalf("projection holds %d events, store %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	if cp := e.checkpoint("tally").Position; cp != want[len(want)-1] {
		e.t.Fatalf("checkpoint %d, want %d", cp, want[len(want)-1])
	}
}

var testLog io.Writer = io.Discard
