package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections/orders"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// history appends a varied history: orders alone and with a distributor,
// cancelled, fulfilled later and fulfilled in the very append that
// submitted them, merges that move open and fulfilled orders (after their
// invoice), and events of other types the projection ignores. It
// publishes after each round when publish is set.
func (e *env) history(rounds int, publish bool) {
	e.T.Helper()
	acct := func(round, i int) string { return fmt.Sprintf("%06dHQ", 100000+round*10+i) }
	var open []string
	for round := 0; round < rounds; round++ {
		for i := range 3 {
			e.account(acct(round, i), fmt.Sprintf("Round %d Company %d GmbH", round, i))
		}
		var made []string
		for i := range 1 + round%4 {
			s := spec{po: fmt.Sprintf("po %d-%d", round, i), date: fmt.Sprintf("2024-%02d-%02d", 1+round%12, 1+i), customer: acct(round, i%3),
				partner: fmt.Sprintf("70000%dHQ", 1+i%3)}
			if i%2 == 1 {
				s.distributor, s.distPO = "710001HQ", fmt.Sprintf("D-%d-%d", round, i)
			}
			made = append(made, e.submit(s))
		}
		switch round % 3 {
		case 0:
			e.cancel(made[0])
		case 1:
			e.fulfil(made[0], acct(round, 0), fmt.Sprintf("po %d-0", round), fmt.Sprintf("2024-07-%02d", 1+round%28))
		case 2:
			// Submitted and fulfilled in one append.
			e.orderSeq++
			n := fmt.Sprintf("ORD-%07d", e.orderSeq)
			e.invoiceSeq++
			inv := fmt.Sprintf("INV-%07d", e.invoiceSeq)
			e.Append(
				e.streamAppend(order.StreamID(n), submitted(n, spec{po: "PO-ONE-" + n, date: "2024-02-02", typ: order.TypeAddOn, customer: acct(round, 1), partner: "700002HQ"}),
					order.Fulfilled{OrderNumber: n, LicenseIDs: []string{"LIC-X" + n}, InvoiceNumber: inv, OwnerAccountID: acct(round, 1)}),
				e.streamAppend(invoice.StreamID(inv), invoice.Issued{InvoiceNumber: inv, OrderNumber: n, AccountID: acct(round, 1),
					PONumber: "PO-ONE-" + n, AmountMinor: 1, Currency: "EUR", IssuedOn: "2024-02-03", DueDate: "2024-03-03",
					Delivery: invoice.Delivery{Mode: invoice.DeliveryPaperless, Recipients: []string{"ap@x.example"}}}),
				e.streamAppend(account.StreamID(acct(round, 1)), account.AccountTagged{AccountID: acct(round, 1), Tag: "vip"}),
			)
			made = append(made, n)
			// Merge account 1 of this round into account 2: every order of
			// account 1 moves, the fulfilled one after its invoice.
			var moved []string
			for _, n := range made {
				var c string
				if err := e.Pool.QueryRow(e.Ctx, `SELECT data->>'customer_account_id' FROM events WHERE stream_id = $1 AND event_type = 'order.submitted'`,
					order.StreamID(n)).Scan(&c); err != nil {
					e.T.Fatal(err)
				}
				if c == acct(round, 1) {
					moved = append(moved, n)
				}
			}
			e.merge(acct(round, 1), acct(round, 2), moved...)
		}
		open = append(open, made[len(made)-1])
		if round%4 == 3 {
			// Orders of earlier rounds fulfilled later.
			for _, n := range open[:len(open)-1] {
				var st string
				if err := e.Pool.QueryRow(e.Ctx, `SELECT string_agg(event_type, ' ') FROM events WHERE stream_id = $1`, order.StreamID(n)).Scan(&st); err != nil {
					e.T.Fatal(err)
				}
				if st == "order.submitted" {
					e.fulfil(n, "100000HQ", "later", "2024-08-01")
				}
			}
			open = nil
		}
		if publish {
			e.PublishAll()
		}
	}
}

// TestLiveAndRebuildGiveTheSameRows: the rows a live projector builds in
// many small batches are exactly those a rebuild builds, folding in memory
// (one large batch or middling ones), applying batch after batch, or
// folding until the fold is full and applying the rest; timestamps
// included.
func TestLiveAndRebuildGiveTheSameRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(3, 0)
	stop := e.Start(live)
	e.history(24, true)
	last := e.PublishAll()
	if err := live.WaitFor(e.Ctx, last, orders.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	want := e.dump()
	if len(want) < 60 {
		t.Fatalf("only %d rows", len(want))
	}
	for _, c := range []struct {
		name            string
		batch, foldRows int
	}{
		{"fold, one batch", 100000, 0},
		{"fold, batches of 7", 7, 0},
		{"apply, batches of 5", 5, -1},
		{"fold until full, then apply", 7, 10},
	} {
		cfg := e.Config(0)
		cfg.RebuildBatchSize, cfg.RebuildFoldRows = c.batch, c.foldRows
		if err := e.Runner(cfg, orders.New()).Rebuild(e.Ctx, orders.Name); err != nil {
			t.Fatal(err)
		}
		if got := e.dump(); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("%s differs at row %d:\n got %s\nwant %s", c.name, i, got[i], want[i])
				}
			}
			t.Fatalf("%s: %d rows, live %d", c.name, len(got), len(want))
		}
	}

	// Spot checks: values come from the events, never from the clock; a
	// merge moves the order and its invoice's answering account, not the
	// account billed.
	var sub, ful eventstore.Event
	for _, ev := range e.All() {
		if ev.StreamID == order.StreamID("ORD-0000002") {
			switch ev.Type {
			case "order.submitted":
				sub = ev
			case "order.fulfilled":
				ful = ev
			}
		}
	}
	var submittedAt, updatedAt time.Time
	var status, inv, customer string
	var lines []byte
	var pos int64
	if err := e.Pool.QueryRow(e.Ctx, `SELECT submitted_at, updated_at, status, invoice_number, customer_account_id, lines, position
		FROM proj_orders.orders WHERE order_number = 'ORD-0000002'`).Scan(&submittedAt, &updatedAt, &status, &inv, &customer, &lines, &pos); err != nil {
		t.Fatal(err)
	}
	if ful.Position == 0 || !submittedAt.Equal(sub.RecordedAt) || updatedAt.Before(ful.RecordedAt) || pos < int64(ful.Position) {
		t.Fatalf("times %v %v (position %d), events recorded at %v and %v", submittedAt, updatedAt, pos, sub.RecordedAt, ful.RecordedAt)
	}
	var ls []order.Line
	if err := json.Unmarshal(lines, &ls); err != nil || len(ls) != 2 || ls[1].UnitPriceMinor != 999 {
		t.Fatalf("lines %s: %v", lines, err)
	}
	if status != "fulfilled" || inv == "" || customer != "100010HQ" {
		t.Fatalf("ORD-0000002: %s %q %s", status, inv, customer)
	}
	// Round 2 merged 100021HQ into 100022HQ: its order fulfilled in the
	// submitting append (ORD-0000007) moved, its invoice still bills
	// 100021HQ.
	var billed, answers string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT i.account_id, i.customer_account_id, o.customer_account_id FROM proj_orders.invoices i
		JOIN proj_orders.orders o ON o.invoice_number = i.invoice_number
		WHERE o.order_number = 'ORD-0000007'`).Scan(&billed, &answers, &customer); err != nil {
		t.Fatal(err)
	}
	if billed != "100021HQ" || answers != "100022HQ" || customer != "100022HQ" {
		t.Fatalf("after the merge: order under %s, invoice billed to %s answering under %s", customer, billed, answers)
	}
}

// TestApplyIsIdempotentPerOrder: a submission or an invoice seen again (a
// second stream carrying the same number) changes nothing; the first one
// stands, live and rebuilt alike.
func TestApplyIsIdempotentPerOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	n := e.submit(spec{po: "PO-1", customer: "100001HQ"})
	e.Append(eventstore.StreamAppend{StreamID: "order-dup", Events: []eventstore.NewEvent{
		projtest.NewEvent(submitted(n, spec{po: "PO-2", date: "2024-01-01", typ: order.TypeUpgrade, customer: "100002HQ", partner: "700009HQ"}))}})
	e.build()
	o, err := orders.Get(e.Ctx, e.Pool, staff, n)
	if err != nil || o.PONumber != "PO-1" || o.CustomerAccountID != "100001HQ" {
		t.Fatalf("%+v %v", o, err)
	}
}

// TestUnknownSchemaVersionFailsTheBatch: an event of a type the projection
// uses, at a version it does not know, fails Apply (and the fold) rather
// than being skipped; unused types are ignored at any version.
func TestUnknownSchemaVersionFailsTheBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	p := orders.New()
	ev := func(typ string, v int) eventstore.Event {
		return eventstore.Event{Position: 1, StreamID: "order-ORD-0000001", Type: typ, SchemaVersion: v,
			Data: json.RawMessage(`{"order_number":"ORD-0000001"}`), RecordedAt: time.Now()}
	}
	err := pgx.BeginFunc(e.Ctx, e.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(e.Ctx, `CREATE SCHEMA proj_orders_t`); err != nil {
			return err
		}
		if err := p.Setup(e.Ctx, tx, "proj_orders_t"); err != nil {
			return err
		}
		if err := p.Setup(e.Ctx, tx, "proj_orders_t"); err != nil { // idempotent
			return err
		}
		if err := p.Apply(e.Ctx, tx, "proj_orders_t", []eventstore.Event{ev("account.tagged", 7), ev("supportcase.opened", 1)}); err != nil {
			return fmt.Errorf("unused types: %w", err)
		}
		if err := p.Apply(e.Ctx, tx, "proj_orders_t", []eventstore.Event{ev("order.cancelled", 2)}); err == nil ||
			!strings.Contains(err.Error(), "order.cancelled v2") {
			return fmt.Errorf("unknown version applied: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.NewFold().Add([]eventstore.Event{ev("invoice.issued", 9)}); err == nil {
		t.Fatal("the fold took an unknown version")
	}
}

// TestSetupIsIdempotent: setting up the live schema again (every start
// does) keeps the rows.
func TestSetupIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.submit(spec{po: "PO-1", customer: "100001HQ"})
	e.build()
	before := e.dump()
	if err := pgx.BeginFunc(context.Background(), e.Pool, func(tx pgx.Tx) error {
		return orders.New().Setup(e.Ctx, tx, orders.Schema)
	}); err != nil {
		t.Fatal(err)
	}
	if after := e.dump(); !slices.Equal(before, after) || len(after) != 1 {
		t.Fatalf("before %v, after %v", before, after)
	}
}
