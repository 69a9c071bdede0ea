package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/billing"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/relay"
)

// Figure 8: the billing feed (package billing), a JetStream consumer that
// writes a PostgreSQL ledger, against a plain pull consumer of the same
// stream and subjects that acknowledges each message without work.
//
// Live: a demo load is recorded through the command service while the
// relay publishes it and both consumers run; each event's lag is from its
// recorded_at in the store to the feed's commit of its batch (ours) or to
// its receipt by the plain consumer (raw). Catch-up: once the load is over
// and every event is in the stream, a fresh ledger and a new durable
// consumer read the whole stream from the start, and so does a new plain
// consumer, before and after the feed; the rate is events per second from
// start until the last event is committed (ours) or acknowledged (raw).
// NATS runs in this process, so the plain consumer's rate includes the
// server's work, as the feed's does.

const billingSeed = 31

func billingFigure(ctx context.Context, e *env) ([]Row, error) {
	db, err := e.freshDB(ctx, 16)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := billing.Migrate(ctx, db.Pool); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "channeldesk-bench-billing-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ns, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: dir, Port: -1})
	if err != nil {
		return nil, err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := broker.Connect(ns.ClientURL(), "channeldesk-bench-billing")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	top := broker.Default()
	if _, err := top.EnsureStream(ctx, js, 1); err != nil {
		return nil, err
	}
	r, err := relay.New(db.Pool, db.Store, nc, relay.Config{Topology: top, Logger: e.cfg.Logger})
	if err != nil {
		return nil, err
	}
	rctx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan error, 1)
	go func() { relayDone <- r.Run(rctx) }()
	defer func() { stopRelay(); <-relayDone }()

	// Live: both consumers run while the load is recorded.
	var lags lagLog
	feed, err := billing.New(db.Pool, nc, billing.Config{Topology: top, Consumer: "bench-billing-live", Logger: e.cfg.Logger,
		OnCommit: func(c billing.Commit) {
			for _, at := range c.RecordedAt {
				lags.addOurs(c.At.Sub(at))
			}
		}})
	if err != nil {
		return nil, err
	}
	fctx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan error, 1)
	go func() { feedDone <- feed.Run(fctx) }()
	stopLive := func() error {
		stopFeed()
		if err := <-feedDone; !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	rawLive, err := plainConsume(ctx, js, top, "bench-raw-live", func(m jetstream.Msg) {
		if at, err := time.Parse(time.RFC3339Nano, m.Headers().Get(broker.HeaderRecordedAt)); err == nil {
			lags.addRaw(time.Since(at))
		}
	})
	if err != nil {
		_ = stopLive()
		return nil, err
	}
	loadStart := time.Now()
	_, lerr := demo.Load(ctx, command.New(db.Store, db.IDs, command.Config{}), db.Store, db.Tokens,
		demo.Config{Accounts: e.sizes.BillingAccounts, Seed: billingSeed, Concurrency: 8})
	loadTime := time.Since(loadStart)
	if lerr != nil {
		rawLive.Stop()
		_ = stopLive()
		return nil, fmt.Errorf("demo load: %w", lerr)
	}
	n, err := billingEvents(ctx, db)
	if err != nil {
		rawLive.Stop()
		_ = stopLive()
		return nil, err
	}
	werr := waitFeed(ctx, feed, n)
	rawLive.Stop()
	if err := stopLive(); err != nil {
		return nil, err
	}
	if werr != nil {
		return nil, werr
	}
	ours, raw := lags.p99()
	e.progress("  live: %d order, license and invoice events in a %s demo load (%.0f events/s); lag p99 feed %.1f ms, plain consumer %.1f ms",
		n, loadTime.Round(time.Millisecond), float64(n)/loadTime.Seconds(), ms(ours), ms(raw))

	// Catch-up: the whole stream, from the start, on a fresh ledger.
	var rawRate side
	rawRun := func(name string) error {
		d, err := plainCatchUp(ctx, js, top, name, n)
		if err != nil {
			return fmt.Errorf("plain consumer: %w", err)
		}
		e.progress("  catch-up, plain consumer: %.0f events/s", rawRate.add(int64(n), d))
		return nil
	}
	if err := rawRun("bench-raw-a"); err != nil {
		return nil, err
	}
	if _, err := db.Pool.Exec(ctx, `DROP SCHEMA billing CASCADE; DROP TABLE `+billing.MigrationTable); err != nil {
		return nil, err
	}
	if err := billing.Migrate(ctx, db.Pool); err != nil {
		return nil, err
	}
	catchUp, err := billing.New(db.Pool, nc, billing.Config{Topology: top, Consumer: "bench-billing-catchup", Logger: e.cfg.Logger})
	if err != nil {
		return nil, err
	}
	cctx, stopCatchUp := context.WithCancel(ctx)
	catchDone := make(chan error, 1)
	start := time.Now()
	go func() { catchDone <- catchUp.Run(cctx) }()
	werr = waitFeed(ctx, catchUp, n)
	d := time.Since(start)
	stopCatchUp()
	if err := <-catchDone; !errors.Is(err, context.Canceled) {
		return nil, err
	}
	if werr != nil {
		return nil, werr
	}
	oursRate := float64(n) / d.Seconds()
	e.progress("  catch-up, billing feed: %.0f events/s", oursRate)
	if err := rawRun("bench-raw-b"); err != nil {
		return nil, err
	}
	fig := fmt.Sprintf("8. billing feed, %d order/license/invoice events of a %d-account demo load", n, e.sizes.BillingAccounts)
	return []Row{
		{Figure: fig + ": catch-up throughput", Ours: oursRate, Raw: rawRate.rate(), Unit: "events/s"},
		{Figure: fig + ": live lag p99 (recorded → ledger commit)", Ours: ms(ours), Raw: ms(raw), Unit: "ms"},
	}, nil
}

// lagLog collects the lags of both consumers.
type lagLog struct {
	mu        sync.Mutex
	ours, raw []time.Duration
}

func (l *lagLog) addOurs(d time.Duration) { l.mu.Lock(); l.ours = append(l.ours, d); l.mu.Unlock() }
func (l *lagLog) addRaw(d time.Duration)  { l.mu.Lock(); l.raw = append(l.raw, d); l.mu.Unlock() }

func (l *lagLog) p99() (ours, raw time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return percentile(l.ours, 0.99), percentile(l.raw, 0.99)
}

// billingEvents counts the events of the categories the feed consumes.
func billingEvents(ctx context.Context, db *app.DB) (int64, error) {
	var n int64
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE category IN ('order', 'license', 'invoice')`).Scan(&n)
	return n, err
}

// waitFeed waits until f has handled n events.
func waitFeed(ctx context.Context, f *billing.Feed, n int64) error {
	tick := time.NewTicker(checkpointPoll)
	defer tick.Stop()
	deadline := time.After(10 * time.Minute)
	for {
		_, handled, err := f.Checkpoint(ctx)
		if err != nil {
			return err
		}
		if handled >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("billing feed handled %d of %d events in 10 minutes", handled, n)
		case <-tick.C:
		}
	}
}

// plainConsume runs a durable pull consumer on the feed's subjects that
// calls each and acknowledges every message, with the feed's prefetch.
func plainConsume(ctx context.Context, js jetstream.JetStream, top broker.Topology, name string, each func(jetstream.Msg)) (jetstream.ConsumeContext, error) {
	c, err := js.CreateConsumer(ctx, top.Stream, jetstream.ConsumerConfig{
		Durable:        name,
		FilterSubjects: billing.Config{Topology: top}.Subjects(),
		AckPolicy:      jetstream.AckExplicitPolicy,
		MaxAckPending:  4 * 256,
	})
	if err != nil {
		return nil, err
	}
	return c.Consume(func(m jetstream.Msg) {
		each(m)
		_ = m.Ack()
	}, jetstream.PullMaxMessages(2*256))
}

// plainCatchUp consumes n messages from the start of the stream with a new
// plain consumer and returns how long that took, to the last
// acknowledgement sent.
func plainCatchUp(ctx context.Context, js jetstream.JetStream, top broker.Topology, name string, n int64) (time.Duration, error) {
	var got atomic.Int64
	done := make(chan struct{})
	start := time.Now()
	// Consume calls the handler from one goroutine, so done is closed once.
	cc, err := plainConsume(ctx, js, top, name, func(jetstream.Msg) {
		if got.Add(1) == n {
			close(done)
		}
	})
	if err != nil {
		return 0, err
	}
	defer cc.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("plain consumer received %d of %d messages in 10 minutes", got.Load(), n)
	}
	d := time.Since(start)
	cc.Stop()
	return d, js.DeleteConsumer(ctx, top.Stream, name)
}
