package customers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/customers"
)

type env struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	store *eventstore.Store
	nc    *nats.Conn
	js    jetstream.JetStream
	topo  broker.Topology
	prev  eventstore.Position
	seq   int // last number used for a generated ID
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

func (e *env) runner(batch, rebuildBatch int) *projections.Runner {
	e.t.Helper()
	r, err := projections.NewRunner(e.pool, e.store, e.nc, projections.Config{
		Topology:         e.topo,
		BatchSize:        batch,
		RebuildBatchSize: rebuildBatch,
		IdleCheck:        -1,
		LeaderRetry:      50 * time.Millisecond,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, customers.New())
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// build waits until the store's tail passed every event and rebuilds the
// projection from it.
func (e *env) build() {
	e.t.Helper()
	e.all()
	if err := e.runner(0, 0).Rebuild(e.ctx, customers.Name); err != nil {
		e.t.Fatal(err)
	}
}

var md = eventstore.Metadata{Actor: "staff:test"}

func newEvent(ev domain.Event) eventstore.NewEvent {
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), SchemaVersion: ev.SchemaVersion(),
		Data: data, OccurredAt: time.Now()}
}

func registered(id, name string) account.AccountRegistered {
	return account.AccountRegistered{AccountID: id, Name: name, PrimaryDomain: strings.ToLower(id) + ".example",
		Address: account.Address{Country: "DE", State: "BE", City: "Berlin"}, Region: "EMEA", VATNumber: "DE" + id[:6]}
}

func renamedEvent(id, old, new string) account.CompanyRenamed {
	return account.CompanyRenamed{AccountID: id, OldName: old, NewName: new}
}

// register appends one registration per account, all in one append.
func (e *env) register(regs ...account.AccountRegistered) {
	e.t.Helper()
	for len(regs) > 0 {
		n := min(len(regs), 5000)
		streams := make([]eventstore.StreamAppend, n)
		for i, r := range regs[:n] {
			streams[i] = eventstore.StreamAppend{StreamID: "account-" + r.AccountID, Events: []eventstore.NewEvent{newEvent(r)}}
		}
		if _, err := e.store.Append(e.ctx, streams, md); err != nil {
			e.t.Fatal(err)
		}
		regs = regs[n:]
	}
}

// rename appends renames of one account in one append.
func (e *env) rename(id string, names ...string) {
	e.t.Helper()
	v, err := e.store.StreamVersion(e.ctx, "account-"+id)
	if err != nil {
		e.t.Fatal(err)
	}
	var evs []eventstore.NewEvent
	for i := 1; i < len(names); i++ {
		evs = append(evs, newEvent(renamedEvent(id, names[i-1], names[i])))
	}
	if _, err := e.store.Append(e.ctx, []eventstore.StreamAppend{{StreamID: "account-" + id, ExpectedVersion: v, Events: evs}}, md); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatal(err)
	}
}

// all returns every committed event, once the store's tail has passed all.
func (e *env) all() []eventstore.Event {
	e.t.Helper()
	var out []eventstore.Event
	var after eventstore.Position
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := e.store.ReadAll(e.ctx, after, 5000)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(evs) > 0 {
			out = append(out, evs...)
			after = evs[len(evs)-1].Position
			continue
		}
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
	}
}

func (e *env) publishAll() eventstore.Position {
	e.t.Helper()
	for _, ev := range e.all() {
		if ev.Position <= e.prev {
			continue
		}
		body, err := json.Marshal(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.js.PublishMsg(e.ctx, e.topo.Message(ev, e.prev, body)); err != nil {
			e.t.Fatal(err)
		}
		e.prev = ev.Position
	}
	return e.prev
}

// dump returns every row of the live tables as JSON, in key order.
func (e *env) dump() []string {
	e.t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT row_to_json(c)::text FROM proj_customers.customers c ORDER BY account_id`,
		`SELECT row_to_json(r)::text FROM proj_customers.relationships r ORDER BY account_id, party_id, relationship`,
	} {
		rows, err := e.pool.Query(e.ctx, q)
		if err != nil {
			e.t.Fatal(err)
		}
		s, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

var (
	staff    = domain.Principal{ID: "staff:alice", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleSupport}}
	auditor  = domain.Principal{ID: "staff:bob", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleAuditor}}
	noRoles  = domain.Principal{ID: "staff:eve", Kind: domain.KindStaff}
	stranger = domain.Principal{ID: "anon"}
)

func customerOf(id string) domain.Principal {
	return domain.Principal{ID: "customer:" + id + "/C-1", Kind: domain.KindCustomer, AccountID: id, ContactID: "C-1"}
}

func partner(id string) domain.Principal {
	return domain.Principal{ID: "partner:" + id + "/P-1", Kind: domain.KindPartner, PartnerID: id, ContactID: "P-1"}
}

// listAll pages through List and returns every item.
func (e *env) listAll(viewer domain.Principal, f customers.Filter) []customers.Customer {
	e.t.Helper()
	var out []customers.Customer
	for pages := 0; ; pages++ {
		items, next, err := customers.List(e.ctx, e.pool, viewer, f)
		if err != nil {
			e.t.Fatal(err)
		}
		if f.Limit > 0 && len(items) > f.Limit {
			e.t.Fatalf("page of %d items, limit %d", len(items), f.Limit)
		}
		out = append(out, items...)
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 10000 {
			e.t.Fatalf("page %d: %d items and a next cursor", pages, len(items))
		}
		f.Cursor = next
	}
}

func ids(cs []customers.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.AccountID
		if c.Relationship != "" {
			out[i] += "/" + c.Relationship
		}
	}
	return out
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
