package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/relay"
)

// Figure 3: the relay, from a store full of events and an empty JetStream
// stream until its checkpoint covers the last event, against publishing
// the same messages with nats.go's async publish. The NATS server runs in
// this process, so the process CPU reported in the progress lines covers
// client and server.

// relayMaxPending is the relay's default bound on publishes in flight
// (relay.Config.MaxPending), used by the baseline too.
const relayMaxPending = 4000

// Each run publishes into a fresh stream of its own; subjects of the same
// length keep message sizes equal.
var (
	rawTopologies = []broker.Topology{
		{Stream: "BENCH_RAW_A", Prefix: "benchra.events"},
		{Stream: "BENCH_RAW_B", Prefix: "benchrb.events"},
	}
	relayTopologies = map[string]broker.Topology{
		relay.PublisherJetStream: {Stream: "BENCH_RELAY_JS", Prefix: "benchjs.events"},
		relay.PublisherWatermill: {Stream: "BENCH_RELAY_WM", Prefix: "benchwm.events"},
	}
)

func relayFigure(ctx context.Context, e *env) ([]Row, error) {
	db, err := e.freshDB(ctx, 8)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	n := e.sizes.RelayEvents
	if err := preload(ctx, db.Pool, db.Store, n, e.progress); err != nil {
		return nil, err
	}
	last, err := lastPosition(ctx, db.Store, n)
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "channeldesk-bench-nats-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ns, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: dir, Port: -1})
	if err != nil {
		return nil, err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := broker.Connect(ns.ClientURL(), "channeldesk-bench")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(relayMaxPending),
		jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}

	// Raw before and after the relays; the mean of the two. The messages
	// are built (not measured) just before each raw run and dropped after
	// it: a heap holding every event would make each garbage collection
	// during the relay runs slower.
	var raw side
	rawRun := func(t broker.Topology) error {
		msgs, err := messages(ctx, db.Store, t)
		if err != nil {
			return err
		}
		runtime.GC()
		cpu := processCPU()
		d, err := rawPublish(ctx, js, t, msgs)
		if err != nil {
			return fmt.Errorf("raw publish: %w", err)
		}
		e.progress("  raw async publish: %.0f events/s, process CPU %.1f µs/event", raw.add(int64(n), d), perEvent(processCPU()-cpu, n))
		return nil
	}
	if err := rawRun(rawTopologies[0]); err != nil {
		return nil, err
	}
	ours := map[string]time.Duration{}
	for _, pub := range []string{relay.PublisherJetStream, relay.PublisherWatermill} {
		runtime.GC()
		cpu := processCPU()
		d, err := relayRun(ctx, e, db, nc, js, pub, last, n)
		if err != nil {
			return nil, fmt.Errorf("relay with %s publisher: %w", pub, err)
		}
		ours[pub] = d
		e.progress("  relay, %s publisher: %.0f events/s, process CPU %.1f µs/event", pub, float64(n)/d.Seconds(), perEvent(processCPU()-cpu, n))
	}
	if err := rawRun(rawTopologies[1]); err != nil {
		return nil, err
	}
	var rows []Row
	for _, pub := range []string{relay.PublisherJetStream, relay.PublisherWatermill} {
		rows = append(rows, Row{
			Figure: fmt.Sprintf("3. relay store → JetStream, %s publisher, %d events", pub, n),
			Ours:   float64(n) / ours[pub].Seconds(), Raw: raw.rate(), Unit: "events/s",
			Target: Target{MinRatio: 0.7},
		})
	}
	return rows, nil
}

// perEvent is d per event in microseconds.
func perEvent(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Microsecond) / float64(n)
}

// messages builds the messages the relay would publish for every event of
// the store under t.
func messages(ctx context.Context, store *eventstore.Store, t broker.Topology) ([]*nats.Msg, error) {
	evs, err := readEvents(ctx, store)
	if err != nil {
		return nil, err
	}
	msgs := make([]*nats.Msg, len(evs))
	var prev eventstore.Position
	for i, ev := range evs {
		body, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		msgs[i] = t.Message(ev, prev, body)
		prev = ev.Position
	}
	return msgs, nil
}

// lastPosition returns the position of the last of the n events in the
// store.
func lastPosition(ctx context.Context, store *eventstore.Store, n int) (eventstore.Position, error) {
	evs, err := readEvents(ctx, store)
	if err != nil {
		return 0, err
	}
	if len(evs) != n {
		return 0, fmt.Errorf("store holds %d events, wrote %d", len(evs), n)
	}
	return evs[len(evs)-1].Position, nil
}

// rawPublish publishes msgs into a fresh stream with PublishMsgAsync and
// waits for every acknowledgement; it returns how long that took.
func rawPublish(ctx context.Context, js jetstream.JetStream, t broker.Topology, msgs []*nats.Msg) (time.Duration, error) {
	st, err := t.EnsureStream(ctx, js, 1)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		// A full window waits for acknowledgements (as the relay does)
		// instead of failing after the default 200 ms stall.
		if futures[i], err = js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
			return 0, fmt.Errorf("message %d: %w", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(5 * time.Minute):
		return 0, errors.New("acknowledgements still pending after 5 minutes")
	}
	d := time.Since(start)
	for i, f := range futures {
		select {
		case err := <-f.Err():
			return 0, fmt.Errorf("message %d: %w", i, err)
		default:
		}
	}
	return d, dropStream(ctx, js, st, len(msgs))
}

// relayRun runs a relay with publisher pub from an empty stream until its
// checkpoint reaches last, and returns how long that took.
func relayRun(ctx context.Context, e *env, db *app.DB, nc *nats.Conn, js jetstream.JetStream, pub string, last eventstore.Position, n int) (time.Duration, error) {
	t := relayTopologies[pub]
	st, err := t.EnsureStream(ctx, js, 1) // as the raw side, start with an empty stream
	if err != nil {
		return 0, err
	}
	r, err := relay.New(db.Pool, db.Store, nc, relay.Config{Topology: t, Publisher: pub, MaxPending: relayMaxPending, Logger: e.cfg.Logger})
	if err != nil {
		return 0, err
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- r.Run(rctx) }()
	d, err := waitCheckpoint(ctx, r, last, start, done)
	stop()
	if rerr := <-done; err == nil && rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	return d, dropStream(ctx, js, st, n)
}

// checkpointPoll is how often waitCheckpoint reads the checkpoint: often
// enough to add well under 1 % to runs of seconds, rarely enough not to
// load the database the relay reads from.
const checkpointPoll = 10 * time.Millisecond

// waitCheckpoint polls the relay's checkpoint until it reaches last.
func waitCheckpoint(ctx context.Context, r *relay.Relay, last eventstore.Position, start time.Time, done <-chan error) (time.Duration, error) {
	tick := time.NewTicker(checkpointPoll)
	defer tick.Stop()
	deadline := time.After(10 * time.Minute)
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case err := <-done:
			return 0, fmt.Errorf("relay stopped: %v", err)
		case <-deadline:
			return 0, errors.New("checkpoint did not reach the last event in 10 minutes")
		case <-tick.C:
		}
		cp, err := r.Checkpoint(ctx)
		if err != nil {
			return 0, err
		}
		if cp >= last {
			return time.Since(start), nil
		}
	}
}

// dropStream checks that st stored exactly n messages and deletes it, so
// that the next run neither shares the server with a full stream nor
// competes with the write-back of its files.
func dropStream(ctx context.Context, js jetstream.JetStream, st jetstream.Stream, n int) error {
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.Msgs != uint64(n) {
		return fmt.Errorf("stream %s holds %d messages, want %d", info.Config.Name, info.State.Msgs, n)
	}
	return js.DeleteStream(ctx, info.Config.Name)
}
