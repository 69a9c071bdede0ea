package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestEventsRepublish runs `events republish` in process against a real
// database and NATS server: the first run stores every event (the stream
// is created), the second finds them all inside JetStream's duplicate
// window; a bad command line is a usage error (exit status 2).
func TestEventsRepublish(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ns := natstest.Start(t)
	ctx := context.Background()
	if err := run([]string{"migrate", "--database-url=" + url}, &strings.Builder{}, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := eventstore.New(pool)
	var first, last eventstore.Position
	for i := range 5 {
		recs, err := store.Append(ctx, []eventstore.StreamAppend{{StreamID: fmt.Sprintf("account-77000%dHQ", i), Events: []eventstore.NewEvent{{
			ID: uuid.Must(uuid.NewV7()), Type: "account.tagged", SchemaVersion: 1, Data: json.RawMessage(`{"tag":"x"}`), OccurredAt: time.Now()}}}},
			eventstore.Metadata{Actor: "staff:test"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			first = recs[0].Position
		}
		last = recs[0].Position
	}
	// Republish reads below the store's horizon, which is server-wide: a
	// long transaction of a test running alongside holds it back.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		h, err := store.Horizon(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h > last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store's horizon %d did not pass %d in 60 s", h, last)
		}
	}
	args := []string{"events", "republish", "--database-url=" + url, "--nats-url=" + ns.URL(), "--from", fmt.Sprint(first)}
	for _, want := range []string{
		"republished 3 events (0 dropped by JetStream as duplicates, 3 stored again)",
		"republished 3 events (3 dropped by JetStream as duplicates, 0 stored again)",
	} {
		var out, errOut strings.Builder
		if err := run(args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Fatalf("printed %q, want %q…", out.String(), want)
		}
	}
	for _, bad := range [][]string{
		{"events"},
		{"events", "replay"},
		{"events", "republish", "--database-url=" + url},
		{"events", "republish", "--from", "5", "--to", "4", "--database-url=" + url},
		{"events", "republish", "--from", "x"},
	} {
		err := run(bad, &strings.Builder{}, &strings.Builder{})
		if exitCode(err) != 2 {
			t.Fatalf("%v: %v (exit %d), want a usage error", bad, err, exitCode(err))
		}
	}
}
