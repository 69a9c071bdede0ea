package customers_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// history appends a varied history: registrations alone and in appends of
// several streams, renames in the same append as the registration and in
// later ones, several renames of one account, and events of other types the
// projection ignores. It publishes after each round when publish is set.
func (e *env) history(rounds int, publish bool) {
	e.T.Helper()
	nextID := func() string { e.seq++; return fmt.Sprintf("%06dHQ", 600000+e.seq) }
	var renameLater []string
	for round := 0; round < rounds; round++ {
		var streams []eventstore.StreamAppend
		for i := 0; i < 1+round%5*4; i++ {
			id := nextID()
			evs := []eventstore.NewEvent{projtest.NewEvent(registered(id, fmt.Sprintf("Round %d Company %d Ltd", round, i)))}
			switch i % 4 {
			case 1: // renamed at once, twice
				evs = append(evs,
					projtest.NewEvent(renamedEvent(id, fmt.Sprintf("Round %d Company %d Ltd", round, i), "Early Name "+id)),
					projtest.NewEvent(renamedEvent(id, "Early Name "+id, "Final Name "+id)))
			case 2:
				renameLater = append(renameLater, id)
			}
			streams = append(streams, eventstore.StreamAppend{StreamID: "account-" + id, Events: evs})
		}
		streams = append(streams, eventstore.StreamAppend{StreamID: "order-" + nextID(),
			Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "order.submitted", SchemaVersion: 1,
				Data: json.RawMessage(`{"po":"x"}`), OccurredAt: time.Now()}}})
		e.Append(streams...)
		if round%3 == 2 {
			for _, id := range renameLater {
				e.rename(id, "whatever it was", "Later "+id, "Later Still "+id)
			}
			renameLater = nil
		}
		if publish {
			e.PublishAll()
		}
	}
}

// TestLiveAndRebuildGiveTheSameRows: the rows a live projector builds in
// many small batches are exactly those a rebuild builds in one large batch
// (COPY) or in middling ones, timestamps included.
func TestLiveAndRebuildGiveTheSameRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(3, 0)
	stop := e.Start(live)
	e.history(30, true)
	last := e.PublishAll()
	if err := live.WaitFor(e.Ctx, last, customers.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	want := e.dump()
	if len(want) < 150 {
		t.Fatalf("only %d rows", len(want))
	}
	for _, batch := range []int{100000, 7} {
		if err := e.runner(0, batch).Rebuild(e.Ctx, customers.Name); err != nil {
			t.Fatal(err)
		}
		if got := e.dump(); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("rebuild in batches of %d differs at row %d:\n got %s\nwant %s", batch, i, got[i], want[i])
				}
			}
			t.Fatalf("rebuild in batches of %d: %d rows, live %d", batch, len(got), len(want))
		}
	}

	// Spot check an account renamed twice in the append that registered it:
	// values come from the events, never from the clock.
	var reg eventstore.Event
	for _, ev := range e.All() {
		if ev.Type == "account.registered" && ev.StreamID == "account-600004HQ" {
			reg = ev
		}
	}
	var registeredAt, updatedAt time.Time
	var name string
	var former []string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT registered_at, updated_at, name, former_names
		FROM proj_customers.customers WHERE account_id = '600004HQ'`).Scan(&registeredAt, &updatedAt, &name, &former); err != nil {
		t.Fatal(err)
	}
	if !registeredAt.Equal(reg.RecordedAt) || !updatedAt.Equal(reg.RecordedAt) {
		t.Fatalf("times %v %v, event recorded at %v", registeredAt, updatedAt, reg.RecordedAt)
	}
	if name != "Final Name 600004HQ" || !slices.Equal(former, []string{"Round 1 Company 1 Ltd", "Early Name 600004HQ"}) {
		t.Fatalf("renamed in the registering append: %q %v", name, former)
	}
}

// TestRebuildWhileLiveKeepsTheSameRows: a rebuild swapped in while the
// live projector runs and events keep arriving goes on without a gap: the
// rows end equal to those of a rebuild from scratch.
func TestRebuildWhileLiveKeepsTheSameRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(4, 0)
	e.Start(live)
	e.history(10, true)
	rebuilt := make(chan error, 1)
	go func() { rebuilt <- e.runner(0, 25).Rebuild(e.Ctx, customers.Name) }()
	e.history(20, true) // keeps arriving during and after the rebuild
	if err := <-rebuilt; err != nil {
		t.Fatal(err)
	}
	e.history(5, true)
	if err := live.WaitFor(e.Ctx, e.PublishAll(), customers.Name); err != nil {
		t.Fatal(err)
	}
	got := e.dump()
	if err := e.runner(0, 0).Rebuild(e.Ctx, customers.Name); err != nil {
		t.Fatal(err)
	}
	if want := e.dump(); !slices.Equal(got, want) {
		t.Fatalf("live after a rebuild: %d rows; a fresh rebuild: %d rows", len(got), len(want))
	}
}

// TestDuplicateRegistrationIsIgnored: should an account ID ever be
// registered twice, the first registration stands, live and rebuilt alike.
func TestDuplicateRegistrationIsIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.register(registered("700001HQ", "First"))
	// A second stream carrying a registration of the same account ID.
	e.Append(eventstore.StreamAppend{StreamID: "account-700001HQdup",
		Events: []eventstore.NewEvent{projtest.NewEvent(registered("700001HQ", "Second"))}})
	e.register(registered("700002HQ", "Other"))
	e.build()
	c, _, err := customers.Get(e.Ctx, e.Pool, staff, "700001HQ")
	if err != nil || c.Name != "First" {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestRebuildThroughput rebuilds a store of registrations, renames and
// unrelated events and reports events per second. Set
// CUSTOMERS_REBUILD_EVENTS to size it (default 30 000).
func TestRebuildThroughput(t *testing.T) {
	t.Parallel()
	total := 30000
	if s := os.Getenv("CUSTOMERS_REBUILD_EVENTS"); s != "" {
		var err error
		if total, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, false)
	accounts := total * 7 / 10
	var regs []account.AccountRegistered
	for i := 0; i < accounts; i++ {
		regs = append(regs, registered(fmt.Sprintf("%06d%c%c", i%1000000, 'A'+i/1000000%26, 'Q'), fmt.Sprintf("Company %d GmbH", i)))
	}
	e.register(regs...)
	renames := total * 2 / 10
	for start := 0; start < renames; start += 5000 {
		var streams []eventstore.StreamAppend
		for i := start; i < min(start+5000, renames); i++ {
			r := regs[i*3%accounts]
			streams = append(streams, eventstore.StreamAppend{StreamID: "account-" + r.AccountID, ExpectedVersion: 1,
				Events: []eventstore.NewEvent{projtest.NewEvent(renamedEvent(r.AccountID, r.Name, "Renamed "+r.Name))}})
		}
		e.Append(streams...)
	}
	others := total - accounts - renames
	for start := 0; start < others; start += 5000 {
		var streams []eventstore.StreamAppend
		for i := start; i < min(start+5000, others); i++ {
			streams = append(streams, eventstore.StreamAppend{StreamID: fmt.Sprintf("license-L%d", i),
				Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "license.issued", SchemaVersion: 1,
					Data: json.RawMessage(`{"quantity":10}`), OccurredAt: time.Now()}}})
		}
		e.Append(streams...)
	}
	all := e.All()
	started := time.Now()
	if err := e.runner(0, 0).Rebuild(e.Ctx, customers.Name); err != nil {
		t.Fatal(err)
	}
	took := time.Since(started)
	var n, renamed int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*), count(*) FILTER (WHERE cardinality(former_names) > 0)
		FROM proj_customers.customers`).Scan(&n, &renamed); err != nil {
		t.Fatal(err)
	}
	if n != accounts || renamed != renames {
		t.Fatalf("%d customers (%d renamed), want %d (%d)", n, renamed, accounts, renames)
	}
	t.Logf("rebuilt %d events in %s: %.0f events/s", len(all), took.Round(time.Millisecond), float64(len(all))/took.Seconds())
}

// eventByEvent hides the projection's fold, so that Rebuild applies the
// history with Apply, batch by batch.
type eventByEvent struct{ projections.Projection }

// TestFoldedRebuildMatchesEventByEvent: a rebuild through the fold (the
// whole history in memory, rows written with COPY), one through Apply
// alone, and one whose fold fills up half way and applies the rest with
// Apply give the same rows: registrations, renames in the registering
// append and later ones (several per account, some naming an old name that
// is not the current one), a second registration of an account, events of
// other types, names the payload scanner leaves to encoding/json, and keys
// in another case, which encoding/json matches.
func TestFoldedRebuildMatchesEventByEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.history(30, false)
	e.register(registered("800001HQ", `Quote "Q" & Back\slash GmbH`), registered("800002HQ", "Ünïcödé S.à r.l."))
	e.rename("800001HQ", `Quote "Q" & Back\slash GmbH`, "Tab\tName AG", "Plain AG")
	e.Append(eventstore.StreamAppend{StreamID: "account-800002HQdup",
		Events: []eventstore.NewEvent{projtest.NewEvent(registered("800002HQ", "Second"))}})
	e.Append(eventstore.StreamAppend{StreamID: "account-800003HQ", Events: []eventstore.NewEvent{{
		ID: uuid.Must(uuid.NewV7()), Type: "account.registered", SchemaVersion: 1, OccurredAt: time.Now(),
		Data: json.RawMessage(`{"ACCOUNT_ID": "800003HQ", "Name": "Shouting Ltd", "address": {"Country": "GB"}, "region": "EMEA"}`),
	}}})
	e.All()

	rebuild := func(p projections.Projection, foldRows int) []string {
		t.Helper()
		cfg := e.Config(0)
		cfg.RebuildBatchSize = 40
		cfg.RebuildFoldRows = foldRows
		if err := e.Runner(cfg, p).Rebuild(e.Ctx, customers.Name); err != nil {
			t.Fatal(err)
		}
		return e.dump()
	}
	folded := rebuild(customers.New(), 0)
	if len(folded) < 150 {
		t.Fatalf("only %d rows", len(folded))
	}
	for name, got := range map[string][]string{
		"event by event":            rebuild(eventByEvent{customers.New()}, 0),
		"fold full after 60 rows":   rebuild(customers.New(), 60),
		"fold full after the first": rebuild(customers.New(), 1),
	} {
		if !slices.Equal(got, folded) {
			for i := range min(len(got), len(folded)) {
				if got[i] != folded[i] {
					t.Fatalf("%s differs from the fold at row %d:\n got %s\nfold %s", name, i, got[i], folded[i])
				}
			}
			t.Fatalf("%s: %d rows, fold %d", name, len(got), len(folded))
		}
	}

	for id, want := range map[string]string{"800001HQ": "Plain AG", "800002HQ": "Ünïcödé S.à r.l.", "800003HQ": "Shouting Ltd"} {
		c, _, err := customers.Get(e.Ctx, e.Pool, staff, id)
		if err != nil || c.Name != want {
			t.Fatalf("%s: %+v %v, want name %q", id, c, err, want)
		}
	}
	var former []string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT former_names FROM proj_customers.customers WHERE account_id = '800001HQ'`).
		Scan(&former); err != nil || !slices.Equal(former, []string{`Quote "Q" & Back\slash GmbH`, "Tab\tName AG"}) {
		t.Fatalf("former names %q %v", former, err)
	}
}
