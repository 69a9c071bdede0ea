package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/leader"
)

// Names of the publishers Config.Publisher chooses from.
const (
	// PublisherJetStream publishes with nats.go's jetstream API, many
	// messages in flight at once (PublishMsgAsync), then waits for every
	// acknowledgement of the batch. The default.
	PublisherJetStream = "jetstream"
	// PublisherWatermill publishes through watermill-nats' publisher with
	// JetStream enabled: one synchronous publish per event.
	PublisherWatermill = "watermill"
)

const (
	defaultBatchSize      = 1000
	maxBatchSize          = 100_000
	defaultPollInterval   = 10 * time.Millisecond
	defaultMaxPending     = 4000 // nats.go's own default
	defaultPublishTimeout = 5 * time.Second
	defaultMaxBackoff     = 2 * time.Second
	minBackoff            = 20 * time.Millisecond
	// saveTimeout bounds the checkpoint write after a batch, which runs even
	// when the relay is stopping so that acknowledged events are recorded.
	saveTimeout = 5 * time.Second
)

// Config configures a Relay. The zero value of every field means its
// default.
type Config struct {
	// Topology names the stream and the subject prefix. Default
	// broker.Default().
	Topology broker.Topology
	// Replicas is the stream's replica count when the relay creates it.
	// Default 1.
	Replicas int
	// BatchSize is how many events are read and published at a time. After
	// a full batch the relay reads again at once. Default 1000.
	BatchSize int
	// PollInterval is how long the relay waits for new events after a batch
	// that was not full, unless Nudge is called. Default 10ms.
	PollInterval time.Duration
	// Publisher is PublisherJetStream (default) or PublisherWatermill.
	Publisher string
	// MaxPending bounds the publishes awaiting JetStream's acknowledgement
	// at once (PublisherJetStream only). Default 4000.
	MaxPending int
	// PublishTimeout is how long JetStream may take to acknowledge one
	// message before its publish counts as failed. Default 5s.
	PublishTimeout time.Duration
	// MaxBackoff caps the pause between retries after a failure. Default 2s.
	MaxBackoff time.Duration
	// Logger is told about failures the relay retries. Default
	// slog.Default().
	Logger *slog.Logger
}

// Validate reports every problem in c, joined with errors.Join; nil if
// there is none. Zero values are valid: they mean the defaults.
func (c Config) Validate() error {
	var errs []error
	if c.Topology != (broker.Topology{}) {
		if err := c.Topology.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("relay: topology: %w", err))
		}
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("relay: replicas %d not between 1 and 5", c.Replicas))
	}
	if c.BatchSize < 0 || c.BatchSize > maxBatchSize {
		errs = append(errs, fmt.Errorf("relay: batch size %d not between 1 and %d", c.BatchSize, maxBatchSize))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("relay: negative poll interval %s", c.PollInterval))
	}
	switch c.Publisher {
	case "", PublisherJetStream, PublisherWatermill:
	default:
		errs = append(errs, fmt.Errorf("relay: unknown publisher %q (want %q or %q)", c.Publisher, PublisherJetStream, PublisherWatermill))
	}
	if c.MaxPending < 0 {
		errs = append(errs, fmt.Errorf("relay: negative max pending %d", c.MaxPending))
	}
	if c.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("relay: negative publish timeout %s", c.PublishTimeout))
	}
	if c.MaxBackoff < 0 {
		errs = append(errs, fmt.Errorf("relay: negative max backoff %s", c.MaxBackoff))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Topology == (broker.Topology{}) {
		c.Topology = broker.Default()
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatchSize
	}
	if c.PollInterval == 0 {
		c.PollInterval = defaultPollInterval
	}
	if c.Publisher == "" {
		c.Publisher = PublisherJetStream
	}
	if c.MaxPending == 0 {
		c.MaxPending = defaultMaxPending
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = defaultPublishTimeout
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = defaultMaxBackoff
	}
	if c.MaxBackoff < minBackoff {
		c.MaxBackoff = minBackoff
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// validStreamName follows JetStream's rules: no whitespace, dots,
// wildcards or path separators.
// publisher publishes a batch of messages to JetStream.
type publisher interface {
	// Publish publishes msgs in order and returns how many of them, counted
	// from the first, JetStream acknowledged as stored (or as duplicates of
	// stored messages). A count below len(msgs) comes with the error of the
	// first message not acknowledged; messages after it may have been
	// stored too. When ctx ends Publish returns ctx's error without
	// publishing more (a synchronous publish in flight is finished first).
	// Publish must not modify msgs and must be safe for concurrent use: a
	// Run that lost its lock may still be finishing a batch when another
	// Run of the same Relay takes over.
	Publish(ctx context.Context, msgs []*nats.Msg) (acked int, err error)
}

// Relay publishes every event of the store to JetStream, in position order,
// recording its progress in PostgreSQL. Its methods are safe for concurrent
// use.
type Relay struct {
	pool   *pgxpool.Pool
	store  *eventstore.Store
	js     jetstream.JetStream
	cfg    Config
	pub    publisher
	cp     checkpoints
	leader leader.Config
	nudge  chan struct{}
}

// New returns a Relay that reads from store, records its checkpoint and
// holds its lock in pool's database, and publishes over nc. cfg is
// validated and completed with defaults. New does no I/O; call Migrate
// before Run.
func New(pool *pgxpool.Pool, store *eventstore.Store, nc *nats.Conn, cfg Config) (*Relay, error) {
	var errs []error
	if pool == nil {
		errs = append(errs, errors.New("relay: nil pool"))
	}
	if store == nil {
		errs = append(errs, errors.New("relay: nil store"))
	}
	if nc == nil {
		errs = append(errs, errors.New("relay: nil NATS connection"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.setDefaults()
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.MaxPending),
		jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	r := &Relay{
		pool:  pool,
		store: store,
		js:    js,
		cfg:   cfg,
		cp:    checkpoints{pool: pool, name: cfg.Topology.Stream},
		nudge: make(chan struct{}, 1),
	}
	r.leader = leader.Config{OnError: func(err error) {
		cfg.Logger.Warn("relay: leadership", "stream", cfg.Topology.Stream, "err", err)
	}}
	switch cfg.Publisher {
	case PublisherWatermill:
		r.pub, err = newWatermillPublisher(nc, cfg.PublishTimeout, cfg.Logger)
	default:
		r.pub = newJetStreamPublisher(js, cfg.Topology.Stream, cfg.MaxPending)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Run publishes events until ctx ends, then returns ctx's error. It works
// only while this process holds the advisory lock "relay:<stream>" (see
// package leader); otherwise it waits for it. It creates the stream if it is
// missing. Failures (PostgreSQL, NATS, publishes) are logged and retried
// with backoff; Run never gives up on an event and never skips one.
//
// When ctx ends during a batch, Run records the checkpoint for the events
// JetStream already acknowledged, abandons the rest of the batch (the next
// run publishes it again; JetStream drops the duplicates) and returns. With
// the watermill publisher a synchronous publish in flight is waited for, at
// most Config.PublishTimeout.
func (r *Relay) Run(ctx context.Context) error {
	return leader.Run(ctx, r.pool, "relay:"+r.cfg.Topology.Stream, r.leader, r.lead)
}

// Nudge tells a running relay that new events may have been committed, so
// that it reads at once instead of at the end of its poll interval. It
// never blocks, coalesces with other nudges not yet seen, and is safe from
// any goroutine. A nudge while the relay is not running is kept for its
// next wait.
func (r *Relay) Nudge() {
	select {
	case r.nudge <- struct{}{}:
	default:
	}
}

// Checkpoint returns the recorded checkpoint: every event up to it has been
// acknowledged by JetStream. It is 0 before the first batch.
func (r *Relay) Checkpoint(ctx context.Context) (eventstore.Position, error) {
	return r.cp.load(ctx)
}

// tail is the relay's progress while it holds the lock.
type tail struct {
	pos     eventstore.Position // last event acknowledged by JetStream
	loaded  bool                // pos was read from the checkpoint
	unsaved int                 // events acknowledged but not yet counted in the checkpoint
	ensured bool                // the stream is known to exist
	ahead   *batch              // the batch after the one being published, being read
}

// batch is a batch of events read from the store and its messages.
type batch struct {
	after eventstore.Position // the position the batch was read after
	evs   []eventstore.Event
	msgs  []*nats.Msg
	err   error

	done   chan struct{} // closed when the fields above are set
	cancel context.CancelFunc
}

// drop abandons the batch read ahead, if any, and waits until its reader
// has stopped.
func (t *tail) drop() {
	if t.ahead != nil {
		t.ahead.cancel()
		<-t.ahead.done
		t.ahead = nil
	}
}

// lead is the relay's work while it holds the lock.
func (r *Relay) lead(ctx context.Context) error {
	log := r.cfg.Logger.With("stream", r.cfg.Topology.Stream)
	var t tail
	defer t.drop()
	bo := backoff{max: r.cfg.MaxBackoff}
	timer := time.NewTimer(r.cfg.PollInterval)
	defer timer.Stop()
	for {
		full, err := r.step(ctx, &t)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			t.ensured = false // a failed publish may be a missing stream
			d := bo.next()
			log.Warn("relay: will retry", "err", err, "checkpoint", int64(t.pos), "retry_in", d)
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
			continue
		}
		bo.reset()
		if full {
			continue
		}
		timer.Reset(r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.nudge:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// step publishes one batch and reports whether it was full.
//
// While a full batch is published and acknowledged, the next one is read
// and encoded (read ahead): reading and encoding cost about as much as
// publishing, and done one after the other they halved the relay's rate.
// The batch read ahead is used only if the current batch was acknowledged
// in full, so that it starts right after the tail; otherwise it is dropped
// and the relay reads again from the last acknowledged event. The
// checkpoint is still written after each batch's acknowledgements and
// before the next batch is published.
func (r *Relay) step(ctx context.Context, t *tail) (full bool, err error) {
	if !t.loaded {
		pos, err := r.cp.load(ctx)
		if err != nil {
			return false, err
		}
		t.pos, t.loaded = pos, true
	}
	if !t.ensured {
		ectx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
		_, err := r.cfg.Topology.EnsureStream(ectx, r.js, r.cfg.Replicas)
		cancel()
		if err != nil {
			return false, err
		}
		t.ensured = true
	}
	b := t.ahead
	t.ahead = nil
	if b != nil && b.after != t.pos {
		b.cancel()
		<-b.done
		b = nil
	}
	if b == nil {
		b = &batch{after: t.pos}
		r.read(ctx, b)
	} else {
		<-b.done
		b.cancel()
	}
	if b.err != nil {
		return false, b.err
	}
	if len(b.evs) == 0 {
		return false, nil
	}
	full = len(b.evs) == r.cfg.BatchSize
	if full {
		t.ahead = r.readAhead(ctx, b.evs[len(b.evs)-1].Position)
	}
	acked, perr := r.pub.Publish(ctx, b.msgs)
	if acked > 0 {
		// The acknowledged events are in JetStream whether or not the
		// checkpoint is written; the tail moves on either way and a later
		// save covers them.
		t.pos = b.evs[acked-1].Position
		t.unsaved += acked
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		serr := r.cp.save(sctx, t.pos, t.unsaved)
		cancel()
		if serr != nil {
			return false, errors.Join(perr, serr)
		}
		t.unsaved = 0
	}
	if perr != nil {
		return false, perr
	}
	return full, nil
}

// readAhead starts reading the batch after position after.
func (r *Relay) readAhead(ctx context.Context, after eventstore.Position) *batch {
	b := &batch{after: after, done: make(chan struct{})}
	ctx, b.cancel = context.WithCancel(ctx)
	go func() {
		defer close(b.done)
		r.read(ctx, b)
	}()
	return b
}

// read reads the events after b.after and builds their messages.
func (r *Relay) read(ctx context.Context, b *batch) {
	b.evs, b.err = r.store.ReadAll(ctx, b.after, r.cfg.BatchSize)
	if b.err == nil && len(b.evs) > 0 {
		b.msgs, b.err = r.messages(b.evs, b.after)
	}
}

// messages builds the NATS messages of evs; prev is the position of the
// event before the first. The bodies share one buffer, which the messages
// keep until the batch is done.
func (r *Relay) messages(evs []eventstore.Event, prev eventstore.Position) ([]*nats.Msg, error) {
	size := 0
	for i := range evs {
		size += len(evs[i].Data) + envelopeSize
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(evs))
	for i := range evs {
		var err error
		if buf, err = evs[i].AppendJSON(buf); err != nil {
			return nil, fmt.Errorf("encode event %s: %w", evs[i].ID, err)
		}
		ends[i] = len(buf)
	}
	msgs := make([]*nats.Msg, len(evs))
	start := 0
	for i := range evs {
		msgs[i] = r.cfg.Topology.Message(evs[i], prev, buf[start:ends[i]:ends[i]])
		prev, start = evs[i].Position, ends[i]
	}
	return msgs, nil
}

// envelopeSize is room for an event's JSON envelope without its data and
// with metadata of usual length.
const envelopeSize = 512

// backoff doubles the pause after each consecutive failure, with jitter,
// from minBackoff up to max.
type backoff struct {
	max  time.Duration
	last time.Duration
}

func (b *backoff) next() time.Duration {
	b.last = min(max(2*b.last, minBackoff), b.max)
	return b.last/2 + rand.N(b.last/2+1)
}

func (b *backoff) reset() { b.last = 0 }
