package projections_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/projections"
)

// TestRedeliveryAndReplayChangeNothing: a projection applies every event
// once; duplicates that get past JetStream's deduplication, a restart, and a
// replay of the whole stream through a new consumer are acknowledged and
// change neither rows nor checkpoint (the tally's primary key would refuse
// a second apply).
func TestRedeliveryAndReplayChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	events := e.appendEvents(120)
	e.PublishAll()
	r := e.Runner(e.Config(16), &tally{})
	stop := e.Start(r)
	e.assertComplete()
	e.WaitConsumed("tally")
	before := e.Checkpoint("tally")
	if before.State != projections.StateLive {
		t.Fatalf("state %q, want live", before.State)
	}

	// Duplicates with fresh message IDs, so JetStream stores them again.
	for i, ev := range events {
		var prev eventstore.Position
		if i > 0 {
			prev = events[i-1].Position
		}
		e.Publish(ev, prev, uuid.NewString())
	}
	e.WaitConsumed("tally")
	stop()

	// A replay from stream sequence 1 through a new consumer.
	if err := e.JS.DeleteConsumer(e.Ctx, e.Topology.Stream, projections.ConsumerName("tally")); err != nil {
		t.Fatal(err)
	}
	e.Start(e.Runner(e.Config(7), &tally{}))
	e.WaitConsumed("tally")
	e.assertComplete()
	if after := e.Checkpoint("tally"); after != before {
		t.Fatalf("checkpoint moved on redelivery: %+v, was %+v", after, before)
	}
}

// TestGapsAreFilledFromTheStore: JetStream delivers events out of order and
// loses some; the projector reads what is missing from the store and ends
// equal to it.
func TestGapsAreFilledFromTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	ev := e.appendEvents(12)
	prev := func(i int) eventstore.Position {
		if i == 0 {
			return 0
		}
		return ev[i-1].Position
	}
	// 0, 2 (before 1), 1, 4 (3 never published), 5, 8 (6 and 7 lost),
	// 7 late, then 11 (9 and 10 lost).
	for _, i := range []int{0, 2, 1, 4, 5, 8, 7, 11} {
		e.Publish(ev[i], prev(i), "")
	}
	e.Start(e.Runner(e.Config(3), &tally{}))
	e.assertComplete()
	e.WaitConsumed("tally")
}

// TestMalformedMessagesAreTerminated: a message without position headers is
// terminated and never applied; one with a broken body is applied from the
// store.
func TestMalformedMessagesAreTerminated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	ev := e.appendEvents(3)
	e.Publish(ev[0], 0, "")
	if _, err := e.JS.Publish(e.Ctx, e.Topology.Prefix+".license.issued.license-X", []byte(`{"id":"nope"}`)); err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(e.Topology.Subject(ev[1]))
	m.Data = []byte(`not json`)
	m.Header.Set(broker.HeaderPosition, "12abc")
	if _, err := e.JS.PublishMsg(e.Ctx, m); err != nil {
		t.Fatal(err)
	}
	broken := e.Topology.Message(ev[1], ev[0].Position, []byte(`{"position": "garbage"`))
	if _, err := e.JS.PublishMsg(e.Ctx, broken); err != nil {
		t.Fatal(err)
	}
	e.Publish(ev[2], ev[1].Position, "")
	e.Start(e.Runner(e.Config(10), &tally{}))
	e.assertComplete()
	e.WaitConsumed("tally")
}

// TestIdleCheckReadsEventsNeverPublished: when JetStream delivers nothing,
// the projector still catches up with the store after Config.IdleCheck.
func TestIdleCheckReadsEventsNeverPublished(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.appendEvents(25)
	cfg := e.Config(10)
	cfg.IdleCheck = 20 * time.Millisecond
	cfg.RebuildBatchSize = 7 // several transactions
	e.Start(e.Runner(cfg, &tally{}))
	e.assertComplete()
}

// TestStopAndRestartLoseNothing: a projector stopped repeatedly while
// events arrive never half-applies a batch and resumes where it stopped.
func TestStopAndRestartLoseNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	for round := 0; round < 4; round++ {
		stop := e.Start(e.Runner(e.Config(5), &tally{}))
		e.appendEvents(40)
		e.PublishAll()
		time.Sleep(time.Duration(round) * 5 * time.Millisecond)
		stop()
	}
	e.Start(e.Runner(e.Config(5), &tally{}))
	e.assertComplete()
}

// TestSingleActive: two Runners for the same projection (two processes)
// share the work without applying anything twice; when the active one
// stops, the other takes over.
func TestSingleActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.appendEvents(30)
	e.PublishAll()
	stopA := e.Start(e.Runner(e.Config(4), &tally{}))
	e.Start(e.Runner(e.Config(4), &tally{}))
	e.assertComplete()
	stopA()
	e.appendEvents(30)
	e.PublishAll()
	e.assertComplete()
}

// TestRebuildWhileLive: a rebuild runs while the live projector applies a
// steady stream of new events; the rebuilt schema replaces the live one
// without a gap and without a duplicate, the checkpoint is kept, and the
// state reads "rebuilding" only while the rebuild runs.
func TestRebuildWhileLive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.appendEvents(300)
	e.PublishAll()
	tl := &tally{gate: make(chan struct{}), entered: make(chan struct{})}
	cfg := e.Config(8)
	cfg.RebuildBatchSize = 40
	r := e.Runner(cfg, tl)
	e.Start(r)
	e.assertComplete()

	var writing sync.WaitGroup
	var stopWriting atomic.Bool
	writing.Add(1)
	go func() {
		defer writing.Done()
		for !stopWriting.Load() {
			e.appendEvents(3)
			e.PublishAll()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	rebuilt := make(chan error, 1)
	go func() { rebuilt <- r.Rebuild(e.Ctx, "tally") }()
	<-tl.entered

	st, err := r.Status(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].State != projections.StateRebuilding {
		t.Fatalf("state during rebuild %q", st[0].State)
	}
	if err := r.Rebuild(e.Ctx, "tally"); !errors.Is(err, projections.ErrRebuildRunning) {
		t.Fatalf("second rebuild: %v", err)
	}
	// The live schema keeps moving while the rebuild is held.
	at := e.Checkpoint("tally").Position
	e.WaitCheckpoint("tally", at+1)
	close(tl.gate)
	if err := <-rebuilt; err != nil {
		t.Fatal(err)
	}
	if s := e.Schemas(); !slices.Equal(s, []string{"proj_tally"}) {
		t.Fatalf("schemas after rebuild: %v", s)
	}
	time.Sleep(30 * time.Millisecond) // live keeps applying on the new schema
	stopWriting.Store(true)
	writing.Wait()
	e.PublishAll()
	e.assertComplete()
	if c := e.Checkpoint("tally"); c.State != projections.StateLive {
		t.Fatalf("state after rebuild %q", c.State)
	}
}

// TestCancelledRebuildRestoresState: a rebuild stopped half way drops its
// schema, puts the state back, and leaves the live schema as it was.
func TestCancelledRebuildRestoresState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.appendEvents(30)
	e.All()
	r := e.Runner(e.Config(0), &tally{})
	if err := r.Rebuild(e.Ctx, "tally"); err != nil {
		t.Fatal(err)
	}
	tl := &tally{gate: make(chan struct{}), entered: make(chan struct{})}
	r = e.Runner(e.Config(0), tl)
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() { done <- r.Rebuild(ctx, "tally") }()
	<-tl.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rebuild: %v", err)
	}
	if s := e.Schemas(); !slices.Equal(s, []string{"proj_tally"}) {
		t.Fatalf("schemas after a cancelled rebuild: %v", s)
	}
	if c := e.Checkpoint("tally"); c.State != projections.StateLive {
		t.Fatalf("state after a cancelled rebuild: %q", c.State)
	}
	e.assertComplete()
}

// TestRebuildWithoutRunner: Rebuild builds a projection never set up, and
// rebuilds an existing one, with no projector running anywhere.
func TestRebuildWithoutRunner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.appendEvents(95)
	cfg := e.Config(0)
	cfg.RebuildBatchSize = 10
	r := e.Runner(cfg, &tally{})
	// A rebuild reads up to the store's horizon, which transactions of
	// other tests on the server may hold back: wait until it passed.
	e.All()
	if err := r.Rebuild(e.Ctx, "tally"); err != nil {
		t.Fatal(err)
	}
	e.assertComplete()
	e.appendEvents(7)
	e.All()
	if err := r.Rebuild(e.Ctx, "tally"); err != nil {
		t.Fatal(err)
	}
	e.assertComplete()
	if c := e.Checkpoint("tally"); c.State != projections.StateLive {
		t.Fatalf("state %q", c.State)
	}
	if err := r.Rebuild(e.Ctx, "nope"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Fatalf("unknown projection: %v", err)
	}
	if err := r.Run(e.Ctx); err == nil {
		t.Fatal("Run without NATS succeeded")
	}
}

// TestCrashedRebuildLeavesLiveUsable: a rebuild that died leaves its
// schema and its state behind; the live projection keeps serving and
// applying, Status reports it live, and the next rebuild cleans up.
func TestCrashedRebuildLeavesLiveUsable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.appendEvents(20)
	e.PublishAll()
	cfg := e.Config(5)
	r := e.Runner(cfg, &tally{})
	stop := e.Start(r)
	e.assertComplete()
	stop()
	for _, sql := range []string{
		`UPDATE projection_checkpoints SET state = 'rebuilding' WHERE name = 'tally'`,
		`CREATE SCHEMA proj_tally_rebuild`,
		`CREATE TABLE proj_tally_rebuild.junk (x int)`,
	} {
		if _, err := e.Pool.Exec(e.Ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	st, err := r.Status(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].State != projections.StateLive {
		t.Fatalf("status after crashed rebuild: %+v", st[0])
	}
	e.Start(r)
	e.appendEvents(10)
	e.PublishAll()
	e.assertComplete()
	if c := e.Checkpoint("tally"); c.State != projections.StateLive {
		t.Fatalf("projector left state %q", c.State)
	}
	if err := r.Rebuild(e.Ctx, "tally"); err != nil {
		t.Fatal(err)
	}
	e.assertComplete()
	if s := e.Schemas(); !slices.Equal(s, []string{"proj_tally"}) {
		t.Fatalf("schemas after rebuild: %v", s)
	}
}

// TestWaitForAndStatus: WaitFor returns once the projection reached the
// position and ErrStale when its context ends first; Status reports
// position, lag and state.
func TestWaitForAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	evs := e.appendEvents(40)
	last := evs[len(evs)-1].Position
	r := e.Runner(e.Config(10), &tally{})

	e.All() // the store's horizon may lag behind transactions of other tests
	st, err := r.Status(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Name != "tally" || st[0].Position != 0 || st[0].State != projections.StateStarting || st[0].LagEvents != 40 || st[0].LagSeconds <= 0 {
		t.Fatalf("status before start: %+v", st)
	}

	short, cancel := context.WithTimeout(e.Ctx, 50*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(short, last, "tally"); !errors.Is(err, projections.ErrStale) {
		t.Fatalf("WaitFor before start: %v", err)
	}
	if err := r.WaitFor(e.Ctx, last, "other"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Fatalf("WaitFor unknown: %v", err)
	}

	e.Start(r)
	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(e.Ctx, 5*time.Second)
		defer cancel()
		waited <- r.WaitFor(ctx, last)
	}()
	e.PublishAll()
	if err := <-waited; err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
	if cp := e.Checkpoint("tally").Position; cp < last {
		t.Fatalf("WaitFor returned at checkpoint %d < %d", cp, last)
	}
	st, err = r.Status(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Position != last || st[0].LagEvents != 0 || st[0].LagSeconds != 0 || st[0].State != projections.StateLive {
		t.Fatalf("status when caught up: %+v", st[0])
	}
	if err := r.WaitFor(e.Ctx, last-1); err != nil {
		t.Fatalf("WaitFor a position passed: %v", err)
	}
	short2, cancel2 := context.WithTimeout(e.Ctx, 30*time.Millisecond)
	defer cancel2()
	if err := r.WaitFor(short2, last+1<<20, "tally"); !errors.Is(err, projections.ErrStale) {
		t.Fatalf("WaitFor ahead of the store: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := projections.Config{Topology: broker.Default()}
	cases := []struct {
		name    string
		mutate  func(*projections.Config)
		wantErr []string
	}{
		{"defaults", func(*projections.Config) {}, nil},
		{"no topology", func(c *projections.Config) { c.Topology = broker.Topology{} }, []string{"stream", "prefix"}},
		{"negative batch", func(c *projections.Config) { c.BatchSize = -1 }, []string{"batch size"}},
		{"huge batch and rebuild batch", func(c *projections.Config) { c.BatchSize, c.RebuildBatchSize = 1e6, 1e7 }, []string{"batch size", "rebuild batch size"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.mutate(&cfg)
			err := cfg.Validate()
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// named is a projection that does nothing, for name checks.
type named string

func (n named) Name() string                                                  { return string(n) }
func (named) Setup(context.Context, pgx.Tx, string) error                     { return nil }
func (named) Apply(context.Context, pgx.Tx, string, []eventstore.Event) error { return nil }

func TestNewRunnerChecksNames(t *testing.T) {
	t.Parallel()
	cfg := projections.Config{Topology: broker.Default()}
	cases := []struct {
		name string
		ps   []projections.Projection
		want string
	}{
		{"upper case", []projections.Projection{named("Customers")}, "[a-z_]"},
		{"digit", []projections.Projection{named("v2")}, "[a-z_]"},
		{"empty", []projections.Projection{named("")}, "characters"},
		{"too long", []projections.Projection{named(strings.Repeat("x", 49))}, "characters"},
		{"twice", []projections.Projection{named("a"), named("a")}, "twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := projections.NewRunner(nil, nil, nil, cfg, c.ps...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error about %q", err, c.want)
			}
		})
	}
}

// TestFoldedRebuildWhileLive: a projection that is a Folder is rebuilt
// through its fold while the live projector applies a steady stream of new
// events, and goes live without a gap and without a duplicate (the tally's
// keys refuse a second apply); its indexes are those Setup makes. With a
// fold limit below the history, the rest is applied event by event, to the
// same end.
func TestFoldedRebuildWhileLive(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		foldRows int
	}{{"whole history folded", 0}, {"fold full after two batches", 50}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, true)
			e.appendEvents(300)
			e.PublishAll()
			tl := &foldingTally{tally: tally{gate: make(chan struct{}), entered: make(chan struct{})}}
			cfg := e.Config(8)
			cfg.RebuildBatchSize = 40
			cfg.RebuildFoldRows = c.foldRows
			r := e.Runner(cfg, tl)
			e.Start(r)
			e.assertComplete()
			indexes := e.indexes("tally")
			if len(indexes) != 3 {
				t.Fatalf("indexes before the rebuild: %v", indexes)
			}

			var writing sync.WaitGroup
			var stopWriting atomic.Bool
			writing.Add(1)
			go func() {
				defer writing.Done()
				for !stopWriting.Load() {
					e.appendEvents(3)
					e.PublishAll()
					time.Sleep(2 * time.Millisecond)
				}
			}()
			rebuilt := make(chan error, 1)
			go func() { rebuilt <- r.Rebuild(e.Ctx, "tally") }()
			<-tl.entered
			// The live schema keeps moving while the fold is held.
			e.WaitCheckpoint("tally", e.Checkpoint("tally").Position+1)
			close(tl.gate)
			if err := <-rebuilt; err != nil {
				t.Fatal(err)
			}
			if s := e.Schemas(); !slices.Equal(s, []string{"proj_tally"}) {
				t.Fatalf("schemas after rebuild: %v", s)
			}
			time.Sleep(30 * time.Millisecond) // live keeps applying on the new schema
			stopWriting.Store(true)
			writing.Wait()
			e.PublishAll()
			e.assertComplete()
			if got := e.indexes("tally"); !slices.Equal(got, indexes) {
				t.Fatalf("indexes after the rebuild:\n%v\nbefore:\n%v", got, indexes)
			}
			folded, applied := tl.folded.Load(), tl.rebuilt.Load()
			switch {
			case c.foldRows == 0 && folded < 300:
				t.Fatalf("folded %d events of at least 300", folded)
			case c.foldRows > 0 && (folded != 80 || applied < 220):
				t.Fatalf("folded %d events (want the first two batches, 80), applied %d (want the rest, at least 220)", folded, applied)
			}
		})
	}
}

// tallyV2 is tally with a new shape: one more column.
type tallyV2 struct{ tally }

func (*tallyV2) Version() int { return 2 }

func (t *tallyV2) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if err := t.tally.Setup(ctx, tx, schema); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{schema, "seen"}.Sanitize()+` ADD COLUMN IF NOT EXISTS v2 boolean NOT NULL DEFAULT true`)
	return err
}

// TestNewVersionStartsAfresh: a projection whose code declares a new
// version (its tables changed shape) is set up afresh when the service
// starts and projected again from the first event: every event once, in
// tables of the new shape; a restart at the same version keeps them.
func TestNewVersionStartsAfresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	stop := e.Start(e.Runner(e.Config(5), &tally{}))
	e.appendEvents(30)
	e.PublishAll()
	stop()
	var v2 bool
	if err := e.Pool.QueryRow(e.Ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = 'proj_tally' AND column_name = 'v2')`).Scan(&v2); err != nil || v2 {
		t.Fatalf("version 1 has the new column: %v %v", v2, err)
	}
	stop = e.Start(e.Runner(e.Config(5), &tallyV2{}))
	e.appendEvents(10)
	e.PublishAll()
	e.assertComplete()
	stop()
	var rows, marked int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*), count(*) FILTER (WHERE v2) FROM proj_tally.seen`).Scan(&rows, &marked); err != nil {
		t.Fatal(err)
	}
	var version int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT version FROM projection_checkpoints WHERE name = 'tally'`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if rows != 40 || marked != 40 || version != 2 {
		t.Fatalf("after the new version: %d rows, %d of the new shape, version %d", rows, marked, version)
	}
	// Restarted at version 2: nothing is projected again (tally's primary
	// key would fail on a second application).
	stop = e.Start(e.Runner(e.Config(5), &tallyV2{}))
	e.appendEvents(5)
	e.PublishAll()
	e.assertComplete()
	stop()
}
