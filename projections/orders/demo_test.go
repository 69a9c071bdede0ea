package orders_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/projections/orders"
)

// TestDemoLoadRebuildsToTheLiveRows: after a demo load recorded through
// the command service (orders through distributors, fulfilments,
// cancellations, merges), applied live in small batches while it ran, a
// rebuild from zero gives exactly the live rows, folded or applied; every
// order and invoice of the store has its row.
func TestDemoLoadRebuildsToTheLiveRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	ctx := context.Background()
	tokens, ids := auth.NewRegistry(e.Pool, nil), numbering.New(e.Pool)
	for _, m := range []func(context.Context) error{tokens.Migrate, ids.Migrate} {
		if err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}
	live := e.runner(4, 0)
	e.Start(live)
	loaded := make(chan error, 1)
	go func() {
		_, err := demo.Load(ctx, command.New(e.Store, ids, command.Config{}), e.Store, tokens, demo.Config{Accounts: 40, Seed: 11, Concurrency: 4})
		loaded <- err
	}()
	for done := false; !done; {
		select {
		case err := <-loaded:
			if err != nil {
				t.Fatal(err)
			}
			done = true
		case <-time.After(20 * time.Millisecond):
			e.PublishAll()
		}
	}
	if err := live.WaitFor(ctx, e.PublishAll(), orders.Name); err != nil {
		t.Fatal(err)
	}
	want := e.dump()
	var submitted, issued, moved int
	if err := e.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE event_type = 'order.submitted'),
		count(*) FILTER (WHERE event_type = 'invoice.issued'), count(*) FILTER (WHERE event_type = 'order.customer_changed') FROM events`).
		Scan(&submitted, &issued, &moved); err != nil {
		t.Fatal(err)
	}
	if submitted == 0 || issued == 0 || len(want) != submitted+issued {
		t.Fatalf("%d rows for %d orders and %d invoices", len(want), submitted, issued)
	}
	t.Logf("%d orders, %d invoices, %d moved by a merge", submitted, issued, moved)
	for _, foldRows := range []int{0, -1} {
		cfg := e.Config(0)
		cfg.RebuildFoldRows = foldRows
		if err := e.Runner(cfg, orders.New()).Rebuild(ctx, orders.Name); err != nil {
			t.Fatal(err)
		}
		if got := e.dump(); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("rebuild (fold rows %d) differs at row %d:\n got %s\nwant %s", foldRows, i, got[i], want[i])
				}
			}
			t.Fatalf("rebuild (fold rows %d): %d rows, live %d", foldRows, len(got), len(want))
		}
	}
}
