package relay

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestRepublish: republishing what JetStream still holds inside its
// duplicate window stores nothing twice (every event reported as a
// duplicate); after the stream lost its messages, a republished range comes
// back once, with the relay's subjects and headers, and republishing the
// whole log then stores the rest once and drops the range as duplicates.
func TestRepublish(t *testing.T) {
	t.Parallel()
	store, pool := newStore(t, pgtest.Pool(t, 8))
	srv := natstest.Start(t)
	top := randomTopology()
	nc := connect(t, srv.URL())
	r := newRelay(t, pool, store, nc, testConfig(t, top, PublisherJetStream))
	stop := run(t, r)
	appendEvents(t, store, 4, 10, closed(), r.Nudge)
	events := allEvents(t, store)
	last := events[len(events)-1].Position
	waitCheckpoint(t, r, last)
	stop()
	ctx := context.Background()

	res, err := r.Republish(ctx, 0, 0)
	if err != nil || res.Sent != len(events) || res.Duplicates != len(events) || res.Last != last {
		t.Fatalf("inside the window: %+v %v; want %d sent, all duplicates, last %d", res, err, len(events), last)
	}
	verifyStream(t, nc, top, events, true)
	if cp, err := r.Checkpoint(ctx); err != nil || cp != last {
		t.Fatalf("republish moved the checkpoint: %d %v", cp, err)
	}

	// The stream lost its messages (deleted: Republish creates it again).
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, top.Stream); err != nil {
		t.Fatal(err)
	}
	lo, hi := events[10].Position, events[39].Position
	res, err = r.Republish(ctx, lo, hi)
	if err != nil || res.Sent != 30 || res.Duplicates != 0 || res.Last != hi {
		t.Fatalf("range [%d, %d]: %+v %v; want 30 sent, none duplicate", lo, hi, res, err)
	}
	if n := streamCount(nc, top); n != 30 {
		t.Fatalf("the stream holds %d messages after the range, want 30", n)
	}
	res, err = r.Republish(ctx, 0, 0)
	if err != nil || res.Sent != len(events) || res.Duplicates != 30 {
		t.Fatalf("the whole log after the range: %+v %v; want %d sent, 30 duplicates", res, err, len(events))
	}
	// Each event once, with the relay's subject, headers (the previous
	// position the store's, also for the range's first) and body.
	verifyStream(t, nc, top, events, false)

	if _, err := r.Republish(ctx, hi, lo); !errors.Is(err, ErrBadRange) {
		t.Fatalf("from after to: %v", err)
	}
	if res, err := r.Republish(ctx, last+1, 0); err != nil || res.Sent != 0 {
		t.Fatalf("past the end: %+v %v", res, err)
	}
}
