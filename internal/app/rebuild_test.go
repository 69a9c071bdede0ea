package app_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/projections"
)

// dump returns every row of every table of the projection's live schema,
// as JSON, sorted: the read model's whole content. A column change_seq is
// left out: it numbers writes for in-process caches (the contract search's
// spellings), and a live projector writes in other batches than a rebuild.
func dump(t *testing.T, ctx context.Context, a *app.App, name string) map[string][]string {
	t.Helper()
	schema := projections.Schema(name)
	rows, err := a.Pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		rows, err := a.Pool.Query(ctx, `SELECT (to_jsonb(t) - 'change_seq')::text FROM `+pgx.Identifier{schema, tb}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		out[tb] = got
	}
	return out
}

// TestEveryReadModelRebuildsToItsLiveRows: after a demo load through the
// commands, with the relay and the projectors running as the service runs
// them, every read model rebuilt from the first event holds exactly the
// rows the live projector built.
func TestEveryReadModelRebuildsToItsLiveRows(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Open(ctx, app.Config{DatabaseURL: pgtest.URL(t), NATSURL: ns.URL(), HTTPAddr: "127.0.0.1:0", MaxConns: 12,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	if _, err := demo.Load(ctx, a.Commands, a.Store, a.Tokens, demo.Config{Accounts: 40, Seed: 11, Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	var last eventstore.Position
	if err := a.Pool.QueryRow(ctx, `SELECT max(position) FROM events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 2*time.Minute)
	defer stop()
	if err := a.Projections.WaitFor(wait, last); err != nil {
		t.Fatalf("read models did not catch up: %v", err)
	}
	for _, p := range app.Projections() {
		live := dump(t, ctx, a, p.Name())
		rowCount := 0
		for _, rows := range live {
			rowCount += len(rows)
		}
		if rowCount == 0 {
			t.Errorf("%s: no rows after the demo load", p.Name())
		}
		if err := a.Projections.Rebuild(ctx, p.Name()); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
		rebuilt := dump(t, ctx, a, p.Name())
		for tb, want := range live {
			if got := rebuilt[tb]; !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("%s.%s differs at row %d after the rebuild:\n got %s\nwant %s", p.Name(), tb, i, got[i], want[i])
					}
				}
				t.Fatalf("%s.%s: %d rows rebuilt, %d live", p.Name(), tb, len(got), len(want))
			}
		}
		if len(rebuilt) != len(live) {
			t.Fatalf("%s: tables %v rebuilt, %v live", p.Name(), len(rebuilt), len(live))
		}
		t.Logf("%s: %d rows in %d tables, the same after the rebuild", p.Name(), rowCount, len(live))
	}
}
