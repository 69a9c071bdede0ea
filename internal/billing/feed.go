package billing

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationTable is the table in which goose records the billing schema's
// version.
const MigrationTable = "goose_billing"

// Migrate creates or updates the billing schema in pool's database. It is
// safe to call from several processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Up(ctx, pool, migrations, MigrationTable)
}

// DefaultConsumer is the durable consumer's name unless Config.Consumer
// says otherwise. Renaming it starts a new consumer, which resumes after the
// feed's own checkpoint (see Feed.Run).
const DefaultConsumer = "billing-feed"

// categories are the event categories the feed subscribes to.
func categories() []string { return []string{"order", "license", "invoice"} }

const (
	defaultBatchSize       = 256
	maxBatchSize           = 10_000
	defaultAckWait         = 30 * time.Second
	defaultGapRedeliveries = 20
	defaultGapDelay        = 250 * time.Millisecond
	maxBackoff             = 2 * time.Second
	// floorEvery is how often the feed reads its consumer's ack floor to
	// record it.
	floorEvery = time.Second
	// batchTimeout bounds the work on one batch, which is finished even
	// when the feed is stopping, so that a clean stop acknowledges what it
	// committed.
	batchTimeout = 30 * time.Second
)

// Config configures a Feed. The zero value of every field means its
// default.
type Config struct {
	// Topology names the JetStream stream and subject prefix. Default
	// broker.Default().
	Topology broker.Topology
	// Consumer is the durable consumer's name. Default DefaultConsumer.
	Consumer string
	// BatchSize is the most messages handled in one PostgreSQL
	// transaction. Default 256.
	BatchSize int
	// AckWait is how long JetStream waits for an acknowledgement before it
	// delivers a message again, used when the feed creates its consumer.
	// After a crash, unacknowledged messages come back after this long.
	// Default 30s.
	AckWait time.Duration
	// GapRedeliveries is how many times a message that arrives before an
	// earlier event of its stream is handed back (with GapDelay) before it
	// is parked. Default 20; GapDelay default 250ms.
	GapRedeliveries int
	GapDelay        time.Duration
	// StartPosition and StartTime start a new ledger part way: events at or
	// before StartPosition are skipped, and a new consumer delivers from
	// StartTime. They are recorded with the ledger on its first run and
	// ignored afterwards (the recorded ones hold).
	StartPosition int64
	StartTime     time.Time
	// Logger is told about failures the feed retries. Default
	// slog.Default().
	Logger *slog.Logger
	// OnCommit, if set, is called after each batch is committed and before
	// its messages are acknowledged. It must not block for long.
	OnCommit func(Commit)
	// BeforeCommit and BeforeAck, if set, are called with the batch number
	// (from 1 in this run) once the batch's rows are written but before its
	// transaction commits, and once it committed but before any of its
	// messages is acknowledged. They exist for crash tests.
	BeforeCommit, BeforeAck func(batch int)
}

// Commit describes one committed batch.
type Commit struct {
	// At is when the commit returned.
	At time.Time
	// Messages is how many messages the batch held; Applied how many of
	// them were handled for the first time (applied, ignored or parked; a
	// message parked as undecodable counts on each delivery, as it has no
	// event ID to recognise it by); Redelivered how many were events
	// handled before, or before the ledger's start; Waiting how many were
	// handed back because an earlier event of their stream had not arrived
	// yet.
	Messages, Applied, Redelivered, Waiting int
	// RecordedAt is, for each event handled for the first time, when the
	// event store recorded it.
	RecordedAt []time.Time
	// Pipelined tells whether the batch's statements went in one round
	// trip; false when one of its messages needed the step-by-step path
	// (one to park, an invoice before its order, an order invoices waited
	// for).
	Pipelined bool
}

// Validate reports every problem in c, joined with errors.Join; nil if
// there is none. Zero values are valid: they mean the defaults.
func (c Config) Validate() error {
	var errs []error
	if c.Topology != (broker.Topology{}) {
		if err := c.Topology.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("billing: topology: %w", err))
		}
	}
	if c.BatchSize < 0 || c.BatchSize > maxBatchSize {
		errs = append(errs, fmt.Errorf("billing: batch size %d not between 1 and %d", c.BatchSize, maxBatchSize))
	}
	if c.AckWait < 0 || c.GapDelay < 0 || c.GapRedeliveries < 0 {
		errs = append(errs, errors.New("billing: negative ack wait, gap delay or gap redeliveries"))
	}
	if c.StartPosition < 0 {
		errs = append(errs, fmt.Errorf("billing: negative start position %d", c.StartPosition))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Topology == (broker.Topology{}) {
		c.Topology = broker.Default()
	}
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatchSize
	}
	if c.AckWait == 0 {
		c.AckWait = defaultAckWait
	}
	if c.GapRedeliveries == 0 {
		c.GapRedeliveries = defaultGapRedeliveries
	}
	if c.GapDelay == 0 {
		c.GapDelay = defaultGapDelay
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Subjects are the subjects the consumer is filtered on.
func (c Config) Subjects() []string {
	t := c.Topology
	if t == (broker.Topology{}) {
		t = broker.Default()
	}
	cats := categories()
	out := make([]string, len(cats))
	for i, cat := range cats {
		out[i] = t.Prefix + "." + cat + ".>"
	}
	return out
}

// Feed consumes order, license and invoice events from JetStream and keeps
// the billing ledger. Its methods are safe for concurrent use. Run one
// process per consumer name: two would share the consumer's messages and
// stay correct (a batch that collides with the other's is rolled back and
// retried, an event ahead of its stream waits), but not be faster.
type Feed struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	cfg  Config
}

// New returns a Feed that keeps its ledger in pool's database and consumes
// over nc. cfg is validated and completed with defaults. New does no I/O;
// call Migrate before Run.
func New(pool *pgxpool.Pool, nc *nats.Conn, cfg Config) (*Feed, error) {
	var errs []error
	if pool == nil {
		errs = append(errs, errors.New("billing: nil pool"))
	}
	if nc == nil {
		errs = append(errs, errors.New("billing: nil NATS connection"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.setDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	return &Feed{pool: pool, js: js, cfg: cfg}, nil
}

// start is the feed's recorded origin and progress (table billing.feed).
type start struct {
	position int64
	time     *time.Time
	ackFloor uint64
}

func (s start) midway() bool { return s.position > 0 || s.time != nil }

// loadStart records the configured start on the first run and returns the
// recorded one.
func (f *Feed) loadStart(ctx context.Context) (start, error) {
	var at *time.Time
	if !f.cfg.StartTime.IsZero() {
		t := f.cfg.StartTime
		at = &t
	}
	var s start
	var last int64
	err := f.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO billing.feed (consumer, start_position, start_time) VALUES ($1, $2, $3)
			ON CONFLICT (consumer) DO NOTHING
			RETURNING start_position, start_time, ack_floor)
		SELECT * FROM ins
		UNION ALL SELECT start_position, start_time, ack_floor FROM billing.feed WHERE consumer = $1
		LIMIT 1`, f.cfg.Consumer, f.cfg.StartPosition, at).Scan(&s.position, &s.time, &last)
	if err != nil {
		return s, fmt.Errorf("load feed %s: %w", f.cfg.Consumer, err)
	}
	s.ackFloor = uint64(last)
	if s.position != f.cfg.StartPosition || (s.time == nil) != (at == nil) || (at != nil && !s.time.Equal(*at)) {
		if f.cfg.StartPosition != 0 || at != nil {
			f.cfg.Logger.Warn("billing: the ledger exists; its recorded start holds, not the one given",
				"consumer", f.cfg.Consumer, "start_position", s.position, "start_time", s.time)
		}
	}
	return s, nil
}

// consumer returns the durable consumer, creating it if it is missing: a
// new ledger starts where Config says; an existing ledger whose consumer
// was deleted resumes after the consumer's ack floor as last recorded.
// Not after the last sequence committed: a message before it may still be
// waiting for an earlier event of its stream.
func (f *Feed) consumer(ctx context.Context, s start) (jetstream.Consumer, error) {
	// The stream is the relay's to create, with its replicas; the feed
	// waits for it.
	st, err := f.js.Stream(ctx, f.cfg.Topology.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s does not exist yet (the relay creates it): %w", f.cfg.Topology.Stream, err)
	}
	if err != nil {
		return nil, fmt.Errorf("look up stream %s: %w", f.cfg.Topology.Stream, err)
	}
	c, err := st.Consumer(ctx, f.cfg.Consumer)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("look up consumer %s: %w", f.cfg.Consumer, err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:        f.cfg.Consumer,
		Description:    "channeldesk billing feed: order, license and invoice events into the billing ledger",
		FilterSubjects: f.cfg.Subjects(),
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        f.cfg.AckWait,
		MaxDeliver:     -1, // the feed parks what it cannot apply; JetStream must not drop it
		MaxAckPending:  4 * f.cfg.BatchSize,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	switch {
	case s.ackFloor > 0:
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, s.ackFloor+1
	case s.time != nil:
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, s.time
	}
	c, err = st.CreateConsumer(ctx, cc)
	if errors.Is(err, jetstream.ErrConsumerExists) {
		return st.Consumer(ctx, f.cfg.Consumer)
	}
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", f.cfg.Consumer, err)
	}
	return c, nil
}

// Run consumes until ctx ends, then returns ctx's error. Failures of
// PostgreSQL or NATS are logged and retried with backoff; a batch that
// fails is rolled back and its messages handed back to JetStream, so that
// nothing is acknowledged that is not committed.
//
// When ctx ends Run finishes the batch in hand (commit, then acknowledge),
// hands the messages it has received but not begun back to JetStream, and
// returns.
func (f *Feed) Run(ctx context.Context) error {
	log := f.cfg.Logger.With("consumer", f.cfg.Consumer)
	backoff := 20 * time.Millisecond
	for {
		err := f.consume(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("billing: will retry", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// consume runs one session of the consumer until ctx ends or a batch
// fails.
func (f *Feed) consume(ctx context.Context) error {
	s, err := f.loadStart(ctx)
	if err != nil {
		return err
	}
	cons, err := f.consumer(ctx, s)
	if err != nil {
		return err
	}
	in := make(chan jetstream.Msg, f.cfg.BatchSize)
	stop := make(chan struct{})
	// lost receives the error that ends the subscription for good (the
	// consumer deleted): the session ends and the next one re-creates it
	// after the feed's own checkpoint.
	lost := make(chan error, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case in <- m:
		case <-stop:
			_ = m.Nak()
		}
	}, jetstream.PullMaxMessages(2*f.cfg.BatchSize), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			select {
			case lost <- err:
			default:
			}
		}
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", f.cfg.Consumer, err)
	}
	defer func() {
		close(stop)
		cc.Stop()
		// Hand back what was received and not begun: it is delivered again
		// at once instead of after AckWait.
		for {
			select {
			case m := <-in:
				_ = m.Nak()
			default:
				return
			}
		}
	}()
	batch := make([]jetstream.Msg, 0, f.cfg.BatchSize)
	var floor uint64
	var floorRead time.Time
	for n := 1; ; n++ {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-lost:
			return fmt.Errorf("consumer %s: %w", f.cfg.Consumer, err)
		case m := <-in:
			batch = append(batch, m)
		}
	fill:
		for len(batch) < f.cfg.BatchSize {
			select {
			case m := <-in:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
		if time.Since(floorRead) >= floorEvery {
			// Best effort: a floor read late only means more redeliveries
			// if the consumer is ever re-created.
			if info, err := cons.Info(bctx); err == nil {
				floor, floorRead = info.AckFloor.Stream, time.Now()
			}
		}
		err := f.handleBatch(bctx, s, batch, n, floor)
		cancel()
		if err != nil {
			for _, m := range batch {
				_ = m.Nak()
			}
			return err
		}
	}
}

// action is what becomes of a message once its batch committed.
type action int

const (
	ack        action = iota // handled now or before: acknowledge
	waitForGap               // an earlier event of its stream is missing: hand back with a delay
)

// handleBatch handles msgs in one transaction, then acknowledges them (or
// hands back those waiting for an earlier event of their stream).
func (f *Feed) handleBatch(ctx context.Context, s start, msgs []jetstream.Msg, n int, floor uint64) error {
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback(ctx)
	ds := make([]decoded, len(msgs))
	evs := make([]envelope, len(msgs))
	for i, m := range msgs {
		if ds[i], err = decode(m); err != nil {
			return err
		}
		evs[i] = ds[i].e
	}
	st, err := loadBatchState(ctx, tx, s, evs)
	if err != nil {
		return err
	}
	c := Commit{Messages: len(msgs)}
	rs, ok, err := f.pipelined(ctx, tx, st, ds)
	if err != nil {
		return err
	}
	c.Pipelined = ok
	if !ok {
		// Step by step, on the state as the database has it.
		if st, err = loadBatchState(ctx, tx, s, evs); err != nil {
			return err
		}
		rs = make([]result, len(ds))
		for i := range ds {
			if rs[i], err = f.handle(ctx, tx, st, &ds[i]); err != nil {
				return err
			}
		}
	}
	acts := make([]action, len(msgs))
	var lastSeq uint64
	for i, r := range rs {
		acts[i] = r.action
		switch {
		case r.action == waitForGap:
			c.Waiting++
		case r.duplicate:
			c.Redelivered++
		default:
			c.Applied++
			if !r.recordedAt.IsZero() {
				c.RecordedAt = append(c.RecordedAt, r.recordedAt)
			}
		}
		if r.action == ack {
			lastSeq = max(lastSeq, r.seq)
		}
	}
	if err := st.save(ctx, tx, f.cfg.Consumer, lastSeq, floor, c.Applied); err != nil {
		return err
	}
	if f.cfg.BeforeCommit != nil {
		f.cfg.BeforeCommit(n)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	c.At = time.Now()
	if f.cfg.BeforeAck != nil {
		f.cfg.BeforeAck(n)
	}
	if f.cfg.OnCommit != nil {
		f.cfg.OnCommit(c)
	}
	for i, m := range msgs {
		// A lost acknowledgement only means a redelivery, which the
		// processed table turns into a no-op.
		if acts[i] == waitForGap {
			_ = m.NakWithDelay(f.cfg.GapDelay)
		} else {
			_ = m.Ack()
		}
	}
	return nil
}

// Checkpoint returns the JetStream stream sequence of the last message whose
// effects are committed (0 before the first), and how many events the feed
// has handled.
func (f *Feed) Checkpoint(ctx context.Context) (seq uint64, handled int64, err error) {
	var s int64
	err = f.pool.QueryRow(ctx, `SELECT last_stream_seq, handled FROM billing.feed WHERE consumer = $1`, f.cfg.Consumer).Scan(&s, &handled)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("load feed %s: %w", f.cfg.Consumer, err)
	}
	return uint64(s), handled, nil
}
