package activity_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// command appends the events of one command with its metadata.
func command(e *projtest.Env, op, resource string, streams ...eventstore.StreamAppend) {
	e.T.Helper()
	md := eventstore.Metadata{Actor: "staff:ada", CommandID: uuid.Must(uuid.NewV7()).String(), Operation: op,
		Resource: resource, ClientIP: "10.0.0.7", UserAgent: "desk/1", CorrelationID: "corr-" + op}
	if _, err := e.Store.Append(e.Ctx, streams, md); err != nil {
		e.T.Fatal(err)
	}
}

func on(stream string, v int64, evs ...domain.Event) eventstore.StreamAppend {
	sa := eventstore.StreamAppend{StreamID: stream, ExpectedVersion: v}
	for _, ev := range evs {
		sa.Events = append(sa.Events, projtest.NewEvent(ev))
	}
	return sa
}

func dump(e *projtest.Env) []string {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT row_to_json(a)::text FROM proj_activity.activity a ORDER BY id`)
	if err != nil {
		e.T.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}

// TestOneRecordPerCommand: the events of one command make one record, even
// when a live projector applying one event at a time sees them in
// separate batches; its changes hold every event's old and new values in
// order and its customer is the account concerned; an event appended
// without a command makes a record of its own. Rebuilds give the same rows.
func TestOneRecordPerCommand(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, true)
	live := e.Runner(e.Config(1), activity.New())
	stop := e.Start(live)
	a := "730001HQ"
	command(e, "RegisterAccount", "account/"+a, on("account-"+a, 0,
		account.AccountRegistered{AccountID: a, Name: "Alpha GmbH", PrimaryDomain: "alpha.example", Address: account.Address{Country: "DE"}, Region: "EMEA"}))
	command(e, "RenameCompany", "account/"+a, on("account-"+a, 1,
		account.CompanyRenamed{AccountID: a, OldName: "Alpha GmbH", NewName: "Alpha AG"}))
	command(e, "SubmitOrder", "order/ORD-0000001",
		on("order-ORD-0000001", 0, order.Submitted{OrderNumber: "ORD-0000001", PONumber: "PO-1", CustomerAccountID: a, PartnerID: "P1"}),
		on("account-"+a, 2, account.OrderAttached{AccountID: a, OrderNumber: "ORD-0000001", PartnerID: "P1"}))
	e.Append(on("account-730002HQ", 0, account.AccountRegistered{AccountID: "730002HQ", Name: "Direct Import"}))
	if err := live.WaitFor(e.Ctx, e.PublishAll(), activity.Name); err != nil {
		t.Fatal(err)
	}
	stop()

	var ops []string
	rows, err := e.Pool.Query(e.Ctx, `SELECT operation || ' ' || resource_type || '/' || resource_id || ' ' || customer_id || ' ' ||
		(SELECT string_agg(c->>'event', ',') FROM jsonb_array_elements(changes) c) FROM proj_activity.activity ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	if ops, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"RegisterAccount account/" + a + " " + a + " account.registered",
		"RenameCompany account/" + a + " " + a + " account.renamed",
		"SubmitOrder order/ORD-0000001 " + a + " order.submitted,account.order_attached",
		" account/730002HQ 730002HQ account.registered",
	}
	if !slices.Equal(ops, want) {
		t.Fatalf("records:\n got %s\nwant %s", strings.Join(ops, "\n     "), strings.Join(want, "\n     "))
	}
	var old, new string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT changes->0->'old'->>'name', changes->0->'new'->>'name' FROM proj_activity.activity
		WHERE operation = 'RenameCompany'`).Scan(&old, &new); err != nil || old != "Alpha GmbH" || new != "Alpha AG" {
		t.Fatalf("rename change: %q %q %v", old, new, err)
	}

	liveRows := dump(e)
	for _, batch := range []int{100000, 2} {
		cfg := e.Config(0)
		cfg.RebuildBatchSize = batch
		if err := e.Runner(cfg, activity.New()).Rebuild(e.Ctx, activity.Name); err != nil {
			t.Fatal(err)
		}
		if got := dump(e); !slices.Equal(got, liveRows) {
			t.Fatalf("rebuild in batches of %d:\n got %s\nwant %s", batch, strings.Join(got, "\n"), strings.Join(liveRows, "\n"))
		}
	}
}
