package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/leader"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

var publishers = []string{PublisherJetStream, PublisherWatermill}

// TestRelayPublishesEveryEventExactlyOnce appends from many writers at once
// while the relay runs: every event reaches JetStream once, in position
// order, with the subject, headers and body of broker.Topology.Message.
func TestRelayPublishesEveryEventExactlyOnce(t *testing.T) {
	for _, pub := range publishers {
		t.Run(pub, func(t *testing.T) {
			store, pool := newStore(t, pgtest.Pool(t, 8))
			srv := natstest.Start(t)
			top := randomTopology()
			r := newRelay(t, pool, store, connect(t, srv.URL()), testConfig(t, top, pub))
			var calls atomic.Int64
			wrap(r, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
				calls.Add(1)
				checkBatchStart(t, r, msgs)
				return inner.Publish(ctx, msgs)
			})
			run(t, r)

			appendEvents(t, store, 8, 25, closed(), r.Nudge)

			events := allEvents(t, store)
			waitCheckpoint(t, r, events[len(events)-1].Position)
			verifyStream(t, connect(t, srv.URL()), top, events, true)
			if calls.Load() < 2 {
				t.Errorf("%d events published in %d batches; want several batches", len(events), calls.Load())
			}
			var published int64
			if err := pool.QueryRow(context.Background(), `SELECT published FROM relay_checkpoint WHERE name = $1`, top.Stream).Scan(&published); err != nil {
				t.Fatal(err)
			}
			if published != int64(len(events)) {
				t.Errorf("checkpoint counts %d published events, want %d", published, len(events))
			}
		})
	}
}

// TestRelayRestartMidBatch stops a relay in the middle of a batch, with
// events stored in JetStream but not covered by its checkpoint, and starts
// a new one: the new relay resumes from the checkpoint and every event ends
// up in the stream exactly once.
func TestRelayRestartMidBatch(t *testing.T) {
	const batch = 40
	cases := []struct {
		name string
		// stop publishes the batch in which the first relay stops and
		// cancels its context; it returns what the relay is told.
		stop func(ctx context.Context, cancel context.CancelFunc, msgs []*nats.Msg, inner publisher) (int, error)
		// wantAcked is how many events of the stopping batch the checkpoint
		// must cover, or -1 when that depends on timing.
		wantAcked int
	}{
		{
			name: "stored but half acknowledged",
			stop: func(ctx context.Context, cancel context.CancelFunc, msgs []*nats.Msg, inner publisher) (int, error) {
				n, err := inner.Publish(ctx, msgs)
				cancel()
				if err != nil {
					return 0, err
				}
				return min(n, batch/2), context.Canceled
			},
			wantAcked: batch / 2,
		},
		{
			name: "cancelled between publishes",
			stop: func(ctx context.Context, cancel context.CancelFunc, msgs []*nats.Msg, inner publisher) (int, error) {
				n, err := inner.Publish(ctx, msgs[:batch/4])
				cancel()
				if err != nil {
					return n, err
				}
				m, err := inner.Publish(ctx, msgs[batch/4:])
				return n + m, err
			},
			wantAcked: batch / 4,
		},
		{
			name: "cancelled while publishing",
			stop: func(ctx context.Context, cancel context.CancelFunc, msgs []*nats.Msg, inner publisher) (int, error) {
				time.AfterFunc(200*time.Microsecond, cancel)
				return inner.Publish(ctx, msgs)
			},
			wantAcked: -1,
		},
	}
	for _, pub := range publishers {
		for _, tc := range cases {
			t.Run(pub+"/"+tc.name, func(t *testing.T) {
				store, pool := newStore(t, pgtest.Pool(t, 4))
				srv := natstest.Start(t)
				top := randomTopology()
				cfg := testConfig(t, top, pub)
				cfg.BatchSize = batch
				cfg.MaxPending = 8
				appendEvents(t, store, 4, 40, closed(), func() {})
				events := allEvents(t, store)
				if len(events) < 4*batch {
					t.Fatalf("only %d events", len(events))
				}
				// With every event below the horizon, every batch is full
				// and the third one is events[2*batch:3*batch].
				waitFor(t, "the horizon to pass the last event", func() bool {
					evs, err := store.ReadAll(context.Background(), events[len(events)-2].Position, 10)
					return err == nil && len(evs) == 1
				})

				first := newRelay(t, pool, store, connect(t, srv.URL()), cfg)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var calls int
				wrap(first, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
					checkBatchStart(t, first, msgs)
					if calls++; calls < 3 {
						return inner.Publish(ctx, msgs)
					}
					return tc.stop(ctx, cancel, msgs, inner)
				})
				if err := first.Run(ctx); !errors.Is(err, context.Canceled) {
					t.Fatalf("first relay: Run = %v, want context.Canceled", err)
				}
				cp, err := first.Checkpoint(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantAcked >= 0 {
					if want := events[2*batch+tc.wantAcked-1].Position; cp != want {
						t.Fatalf("checkpoint after stop = %d, want %d (event %d)", cp, want, 2*batch+tc.wantAcked)
					}
				} else if cp < events[2*batch-1].Position || cp > events[3*batch-1].Position {
					t.Fatalf("checkpoint after stop = %d, not inside the third batch", cp)
				}

				second := newRelay(t, pool, store, connect(t, srv.URL()), cfg)
				wrap(second, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
					checkBatchStart(t, second, msgs)
					return inner.Publish(ctx, msgs)
				})
				run(t, second)
				waitCheckpoint(t, second, events[len(events)-1].Position)
				verifyStream(t, connect(t, srv.URL()), top, events, true)
			})
		}
	}
}

// TestRelayRetriesFailedPublish fails publishes in the middle of batches:
// the checkpoint never passes the last event before the first failure, the
// relay retries from there, and every event is stored once.
func TestRelayRetriesFailedPublish(t *testing.T) {
	for _, pub := range publishers {
		t.Run(pub, func(t *testing.T) {
			store, pool := newStore(t, pgtest.Pool(t, 4))
			srv := natstest.Start(t)
			top := randomTopology()
			cfg := testConfig(t, top, pub)
			cfg.BatchSize = 30
			r := newRelay(t, pool, store, connect(t, srv.URL()), cfg)
			errInjected := errors.New("injected publish failure")
			var calls, failures atomic.Int64
			wrap(r, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
				checkBatchStart(t, r, msgs)
				if calls.Add(1)%3 != 1 {
					return inner.Publish(ctx, msgs)
				}
				// Publish everything, as if the acknowledgement of one
				// message in the middle was lost while later ones arrived.
				failures.Add(1)
				n, err := inner.Publish(ctx, msgs)
				return min(n, len(msgs)/3), errors.Join(errInjected, err)
			})
			appendEvents(t, store, 4, 30, closed(), func() {})
			run(t, r)
			events := allEvents(t, store)
			waitCheckpoint(t, r, events[len(events)-1].Position)
			verifyStream(t, connect(t, srv.URL()), top, events, true)
			if failures.Load() < 2 {
				t.Errorf("only %d injected failures", failures.Load())
			}
		})
	}
}

// TestRelaySurvivesNATSRestart restarts the NATS server while writers keep
// appending: the relay reconnects, retries and every event is stored
// exactly once. A failed publish may be stored after later events, so only
// the set of messages and their headers are checked, not their order.
func TestRelaySurvivesNATSRestart(t *testing.T) {
	for _, pub := range publishers {
		t.Run(pub, func(t *testing.T) {
			store, pool := newStore(t, pgtest.Pool(t, 8))
			srv := natstest.Start(t)
			top := randomTopology()
			cfg := testConfig(t, top, pub)
			cfg.BatchSize = 20
			cfg.MaxPending = 8
			r := newRelay(t, pool, store, connect(t, srv.URL()), cfg)
			wrap(r, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
				checkBatchStart(t, r, msgs)
				return inner.Publish(ctx, msgs)
			})
			run(t, r)
			watch := connect(t, srv.URL())

			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				appendEvents(t, store, 4, 50, stop, r.Nudge)
			}()
			stopAppending := sync.OnceFunc(func() {
				close(stop)
				<-done
			})
			defer stopAppending()
			waitFor(t, "events in JetStream before the restart", func() bool { return streamCount(watch, top) >= 60 })
			srv.Restart(t)
			before := streamCount(watch, top)
			waitFor(t, "events in JetStream after the restart", func() bool { return streamCount(watch, top) >= before+60 })
			stopAppending()

			events := allEvents(t, store)
			waitCheckpoint(t, r, events[len(events)-1].Position)
			verifyStream(t, watch, top, events, false)
		})
	}
}

// TestRelaySingleActive runs two relays on one database and stream: only
// one holds the lock and publishes; when it stops, the other takes over
// from its checkpoint, and every event is stored exactly once.
func TestRelaySingleActive(t *testing.T) {
	url := pgtest.URL(t)
	store, pool1 := newStore(t, poolOn(t, url, 6))
	pool2 := poolOn(t, url, 4)
	srv := natstest.Start(t)
	top := randomTopology()
	cfg := testConfig(t, top, PublisherJetStream)
	cfg.BatchSize = 25

	relays := []*Relay{
		newRelay(t, pool1, store, connect(t, srv.URL()), cfg),
		newRelay(t, pool2, eventstore.New(pool2), connect(t, srv.URL()), cfg),
	}
	published := make([]atomic.Int64, len(relays))
	stops := make([]func(), len(relays))
	for i, r := range relays {
		r.leader.Retry = 50 * time.Millisecond
		wrap(r, func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error) {
			checkBatchStart(t, r, msgs)
			published[i].Add(int64(len(msgs)))
			return inner.Publish(ctx, msgs)
		})
		stops[i] = run(t, r)
	}

	appendEvents(t, store, 6, 20, closed(), func() { relays[0].Nudge(); relays[1].Nudge() })
	events := allEvents(t, store)
	waitCheckpoint(t, relays[0], events[len(events)-1].Position)
	if n := lockHolders(t, pool1, "relay:"+top.Stream); n != 1 {
		t.Errorf("%d sessions hold the relay lock, want 1", n)
	}
	active := 0
	if published[0].Load() == 0 {
		active = 1
	}
	if published[1-active].Load() != 0 {
		t.Fatalf("both relays published (%d and %d messages)", published[0].Load(), published[1].Load())
	}

	stops[active]()
	before := published[1-active].Load()
	appendEvents(t, store, 3, 10, closed(), func() {})
	events = allEvents(t, store)
	waitCheckpoint(t, relays[1-active], events[len(events)-1].Position)
	if published[1-active].Load() == before {
		t.Error("the standby relay did not take over")
	}
	if n := lockHolders(t, pool1, "relay:"+top.Stream); n != 1 {
		t.Errorf("%d sessions hold the relay lock after fail-over, want 1", n)
	}
	verifyStream(t, connect(t, srv.URL()), top, events, true)
}

// TestRelayNudge shows that Nudge makes a waiting relay read at once: the
// poll interval is far longer than the test. The test nudges while it
// waits, because a nudge right after a commit may come before the store's
// horizon passes the new event (a transaction elsewhere on the server may
// still be running); the relay then reads nothing and waits again.
func TestRelayNudge(t *testing.T) {
	store, pool := newStore(t, pgtest.Pool(t, 4))
	srv := natstest.Start(t)
	top := randomTopology()
	cfg := testConfig(t, top, PublisherJetStream)
	cfg.PollInterval = time.Hour
	r := newRelay(t, pool, store, connect(t, srv.URL()), cfg)
	run(t, r)
	for i := range 3 {
		appendEvents(t, store, 1, 1, closed(), func() {})
		events := allEvents(t, store)
		if len(events) != i+1 {
			t.Fatalf("%d events, want %d", len(events), i+1)
		}
		waitFor(t, fmt.Sprintf("checkpoint %d", events[i].Position), func() bool {
			// Nudges coalesce and never block, from any goroutine.
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(r.Nudge)
			}
			wg.Wait()
			cp, err := r.Checkpoint(context.Background())
			return err == nil && cp == events[i].Position
		})
	}
	verifyStream(t, connect(t, srv.URL()), top, allEvents(t, store), true)
}

// TestRelayExternalNATS runs the relay against the machine's NATS server,
// on a stream of its own that is deleted afterwards.
func TestRelayExternalNATS(t *testing.T) {
	for _, pub := range publishers {
		t.Run(pub, func(t *testing.T) {
			nc := natstest.External(t)
			store, pool := newStore(t, pgtest.Pool(t, 6))
			top := randomTopology()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := js.DeleteStream(ctx, top.Stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
					t.Errorf("delete stream %s: %v", top.Stream, err)
				}
			})
			r := newRelay(t, pool, store, nc, testConfig(t, top, pub))
			run(t, r)
			appendEvents(t, store, 4, 25, closed(), r.Nudge)
			events := allEvents(t, store)
			waitCheckpoint(t, r, events[len(events)-1].Position)
			verifyStream(t, nc, top, events, true)
		})
	}
}

// --- helpers ---

// hookPublisher lets a test see and alter every batch a relay publishes.
type hookPublisher struct {
	inner publisher
	hook  func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error)
}

func (h hookPublisher) Publish(ctx context.Context, msgs []*nats.Msg) (int, error) {
	return h.hook(ctx, msgs, h.inner)
}

func wrap(r *Relay, hook func(ctx context.Context, msgs []*nats.Msg, inner publisher) (int, error)) {
	r.pub = hookPublisher{inner: r.pub, hook: hook}
}

// checkBatchStart checks that a batch starts right after the recorded
// checkpoint: the checkpoint is only moved by acknowledged events, and the
// relay resumes exactly there.
func checkBatchStart(t *testing.T, r *Relay, msgs []*nats.Msg) {
	t.Helper()
	_, prev, err := broker.Positions(msgs[0].Header)
	if err != nil {
		t.Errorf("batch headers: %v", err)
		return
	}
	cp, err := r.Checkpoint(context.Background())
	if err != nil {
		t.Errorf("checkpoint: %v", err)
		return
	}
	if cp != prev {
		t.Errorf("batch starts after position %d, but the checkpoint is %d", prev, cp)
	}
}

func testConfig(t *testing.T, top broker.Topology, pub string) Config {
	return Config{
		Topology:       top,
		BatchSize:      50,
		PollInterval:   5 * time.Millisecond,
		Publisher:      pub,
		MaxPending:     16,
		PublishTimeout: 2 * time.Second,
		MaxBackoff:     100 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

func randomTopology() broker.Topology {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := hex.EncodeToString(b)
	return broker.Topology{Stream: "T_" + s, Prefix: "t" + s + ".events"}
}

func newStore(t *testing.T, pool *pgxpool.Pool) (*eventstore.Store, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	store := eventstore.New(pool)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return store, pool
}

func poolOn(t *testing.T, url string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := broker.Connect(url, "relay-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newRelay(t *testing.T, pool *pgxpool.Pool, store *eventstore.Store, nc *nats.Conn, cfg Config) *Relay {
	t.Helper()
	r, err := New(pool, store, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs r until the returned stop is called or the test ends, and
// checks that it stops cleanly.
func run(t *testing.T, r *Relay) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return 10s after its context ended")
		}
	})
	t.Cleanup(stop)
	return stop
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// appendEvents runs writers concurrently, each appending at least appends
// times and until stop is closed, calling after each append. Each writer
// owns a new account stream; every third append carries three events, every
// fourth also appends to the writer's license stream in the same
// transaction.
func appendEvents(t *testing.T, store *eventstore.Store, writers, appends int, stop <-chan struct{}, after func()) {
	ctx := context.Background()
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("%x%02dHQ", run, w)
			ids := [2]string{"account-" + id, "license-" + id}
			var vers [2]int64
			for i := 0; ; i++ {
				if i >= appends {
					select {
					case <-stop:
						return
					default:
					}
				}
				n := 1 + 2*btoi(i%3 == 2)
				sa := []eventstore.StreamAppend{{StreamID: ids[0], ExpectedVersion: vers[0], Events: newEvents("account.registered", n)}}
				if i%4 == 3 {
					sa = append(sa, eventstore.StreamAppend{StreamID: ids[1], ExpectedVersion: vers[1], Events: newEvents("license.split", 1)})
				}
				md := eventstore.Metadata{Actor: "staff:test", CorrelationID: fmt.Sprintf("corr-%d-%d", w, i)}
				if _, err := store.Append(ctx, sa, md); err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
				for j := range sa {
					vers[j] += int64(len(sa[j].Events))
				}
				after()
			}
		})
	}
	wg.Wait()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func newEvents(typ string, n int) []eventstore.NewEvent {
	evs := make([]eventstore.NewEvent, n)
	for i := range evs {
		evs[i] = eventstore.NewEvent{
			ID:            uuid.Must(uuid.NewV7()),
			Type:          typ,
			SchemaVersion: 1,
			Data:          json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
			OccurredAt:    time.Now(),
		}
	}
	return evs
}

// allEvents returns every event committed so far, in position order. Call
// it only when no append is in flight. It does not use ReadAll: the horizon
// may lag behind the last commit while a transaction elsewhere on the
// server (another test's database) is still running.
func allEvents(t *testing.T, store *eventstore.Store) []eventstore.Event {
	t.Helper()
	evs, err := store.ReadRange(context.Background(), 0, math.MaxInt64, math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	return evs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: CI runs the suite with -race on 2 cores
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitCheckpoint(t *testing.T, r *Relay, want eventstore.Position) {
	t.Helper()
	var got eventstore.Position
	waitFor(t, fmt.Sprintf("checkpoint %d", want), func() bool {
		var err error
		got, err = r.Checkpoint(context.Background())
		return err == nil && got >= want
	})
	if got != want {
		t.Fatalf("checkpoint %d, past the last event %d", got, want)
	}
}

// streamCount is the number of messages in the topology's stream, -1 when
// it cannot be read.
func streamCount(nc *nats.Conn, top broker.Topology) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		return -1
	}
	st, err := js.Stream(ctx, top.Stream)
	if err != nil {
		return -1
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// verifyStream checks that the stream holds exactly one message per event,
// each with the subject, headers and body broker.Topology.Message gives it
// (so the previous-position chain is the global order). With inOrder, the
// stream's order must also be position order.
func verifyStream(t *testing.T, nc *nats.Conn, top broker.Topology, events []eventstore.Event, inOrder bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, top.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(events)) {
		t.Errorf("stream holds %d messages, want %d (one per event)", info.State.Msgs, len(events))
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	for uint64(len(msgs)) < info.State.Msgs {
		batch, err := cons.Fetch(min(500, int(info.State.Msgs)-len(msgs)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := len(msgs)
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if len(msgs) == n {
			t.Fatalf("read %d of %d messages: %v", n, info.State.Msgs, batch.Error())
		}
	}

	index := make(map[string]int, len(events))
	for i, e := range events {
		index[e.ID.String()] = i
	}
	seen := make(map[string]bool, len(msgs))
	for i, m := range msgs {
		id := m.Headers().Get(nats.MsgIdHdr)
		k, ok := index[id]
		if !ok {
			t.Errorf("message %d: unknown event %q", i, id)
			continue
		}
		if seen[id] {
			t.Errorf("message %d: event %s stored twice", i, id)
			continue
		}
		seen[id] = true
		if inOrder && k != i {
			t.Errorf("message %d is event %d in position order", i, k)
		}
		e := events[k]
		var prev eventstore.Position
		if k > 0 {
			prev = events[k-1].Position
		}
		body, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		want := top.Message(e, prev, body)
		if m.Subject() != want.Subject {
			t.Errorf("event %s on subject %s, want %s", id, m.Subject(), want.Subject)
		}
		if !reflect.DeepEqual(m.Headers(), want.Header) {
			t.Errorf("event %s headers\n got %v\nwant %v", id, m.Headers(), want.Header)
		}
		if !bytes.Equal(m.Data(), body) {
			t.Errorf("event %s body\n got %s\nwant %s", id, m.Data(), body)
		}
	}
	if len(seen) != len(events) {
		t.Errorf("%d of %d events in the stream", len(seen), len(events))
	}
}

// lockHolders counts the sessions holding the advisory lock of a named
// component in the current database.
func lockHolders(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	key := uint64(leader.Key(name))
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
