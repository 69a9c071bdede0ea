package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/leader"
)

// Runner runs, rebuilds and reports on a fixed set of projections. Its
// methods are safe for concurrent use.
type Runner struct {
	pool   *pgxpool.Pool
	store  Store
	nc     *nats.Conn
	cfg    Config
	log    *slog.Logger
	ps     []Projection
	byName map[string]Projection

	mu      sync.Mutex
	changed chan struct{}                  // closed and replaced whenever a known checkpoint moves
	seen    map[string]eventstore.Position // the highest checkpoint known per projection
	waiters int                            // WaitFor calls waiting
	polling bool                           // a poller reads checkpoints for them
}

// NewRunner returns a Runner for ps reading events from store and from
// JetStream through nc. nc may be nil for a Runner that only rebuilds and
// reports (Rebuild, Status, WaitFor); Run then fails. The checkpoint table
// must exist (Migrate).
func NewRunner(pool *pgxpool.Pool, store Store, nc *nats.Conn, cfg Config, ps ...Projection) (*Runner, error) {
	var errs []error
	if pool == nil {
		errs = append(errs, errors.New("no database pool"))
	}
	if store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	byName := make(map[string]Projection, len(ps))
	for _, p := range ps {
		if p == nil {
			errs = append(errs, errors.New("nil projection"))
			continue
		}
		if err := validName(p.Name()); err != nil {
			errs = append(errs, err)
		}
		if _, dup := byName[p.Name()]; dup {
			errs = append(errs, fmt.Errorf("projection %s given twice", p.Name()))
		}
		byName[p.Name()] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("projection runner: %w", err)
	}
	cfg = cfg.withDefaults()
	return &Runner{
		pool:    pool,
		store:   store,
		nc:      nc,
		cfg:     cfg,
		log:     cfg.Logger,
		ps:      ps,
		byName:  byName,
		changed: make(chan struct{}),
		seen:    map[string]eventstore.Position{},
	}, nil
}

// Prepare creates each projection's live schema and tables where they are
// missing (as a projector does when it starts), so that queries find them
// before any projector of any instance has run. It is safe to call while
// projectors and rebuilds run: each projection's set-up holds its
// checkpoint row.
func (r *Runner) Prepare(ctx context.Context) error {
	for _, p := range r.ps {
		if err := ensureLive(ctx, r.pool, p); err != nil {
			return fmt.Errorf("prepare %s: %w", p.Name(), err)
		}
	}
	return nil
}

// Run runs every projection concurrently until ctx ends, each single-active
// across processes: where another process holds a projection, this one
// stands by and takes over when that process stops. Errors (database or
// NATS unavailable, a projection failing to apply) are logged and retried.
// A stop never half-applies a batch nor loses a checkpoint. Run returns
// ctx's error once every projector has stopped.
func (r *Runner) Run(ctx context.Context) error {
	if r.nc == nil {
		return errors.New("projection runner: no NATS connection")
	}
	var wg sync.WaitGroup
	for _, p := range r.ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := leader.Config{
				Retry: r.cfg.LeaderRetry,
				OnError: func(err error) {
					if errors.Is(err, jetstream.ErrStreamNotFound) {
						// At a first start the relay creates the stream a
						// moment after the projectors start.
						r.log.Info("projector waits for the event stream, which the relay creates", "projection", p.Name())
						return
					}
					r.log.Error("projector failed; retrying", "projection", p.Name(), "err", err)
				},
			}
			_ = leader.Run(ctx, r.pool, "projection:"+p.Name(), lc, func(ctx context.Context) error {
				return r.project(ctx, p)
			})
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// observe records that projection name has applied everything up to pos
// and wakes every WaitFor of this Runner.
func (r *Runner) observe(name string, pos eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pos <= r.seen[name] {
		return
	}
	r.seen[name] = pos
	close(r.changed)
	r.changed = make(chan struct{})
}

// snapshot returns the lowest known checkpoint among names (and which one it
// is) and the channel closed at the next change.
func (r *Runner) snapshot(names []string) (behind string, at eventstore.Position, changed <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at = -1
	for _, n := range names {
		if p := r.seen[n]; at < 0 || p < at {
			behind, at = n, p
		}
	}
	return behind, at, r.changed
}

func (r *Runner) names(names []string) ([]string, error) {
	if len(names) == 0 {
		for _, p := range r.ps {
			names = append(names, p.Name())
		}
		return names, nil
	}
	for _, n := range names {
		if _, ok := r.byName[n]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownProjection, n)
		}
	}
	return names, nil
}

// pollInterval is how often the Runner reads the checkpoints while some
// WaitFor is waiting: the projectors may run in another process, whose
// commits do not wake this one.
const pollInterval = 5 * time.Millisecond

// WaitFor returns nil once every named projection (every projection of the
// Runner if none are named) has applied all events up to pos. It returns an
// error matching ErrStale when ctx ends first, and ErrUnknownProjection for
// a name the Runner was not given. The projectors may run in any process.
//
// Any number of concurrent waiters cost one checkpoint query per
// pollInterval in all: one poller reads the checkpoints while anyone waits,
// and a commit by this Runner's own projectors wakes waiters at once.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position, names ...string) error {
	names, err := r.names(names)
	if err != nil {
		return err
	}
	if len(names) == 0 || pos <= 0 {
		return nil
	}
	if behind, at, _ := r.snapshot(names); at >= pos && behind != "" {
		return nil
	}
	r.mu.Lock()
	r.waiters++
	if !r.polling {
		r.polling = true
		go r.poll()
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.waiters--
		r.mu.Unlock()
	}()
	for {
		behind, at, changed := r.snapshot(names)
		if at >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s is at position %d, waited for %d", ErrStale, behind, at, pos)
		case <-changed:
		}
	}
}

// poll reads every checkpoint each pollInterval for as long as some
// WaitFor is waiting, then stops.
func (r *Runner) poll() {
	names, _ := r.names(nil)
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cps, err := checkpoints(ctx, r.pool, names)
		cancel()
		if err != nil {
			r.log.Warn("read checkpoints for waiting queries", "err", err)
		}
		for n, c := range cps {
			r.observe(n, c.pos)
		}
		<-t.C
		r.mu.Lock()
		if r.waiters == 0 {
			r.polling = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// Status reports the checkpoint, lag and state of every projection of the
// Runner, in the order they were given. A projection never started reports
// position 0 and StateStarting; one whose rebuild crashed reports
// StateLive, since its live schema kept serving.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	names, _ := r.names(nil)
	cps, err := checkpoints(ctx, r.pool, names)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(names))
	for _, n := range names {
		st := Status{Name: n, State: StateStarting}
		if c, ok := cps[n]; ok {
			st.Position, st.State = c.pos, c.state
			if c.state == StateRebuilding {
				running, err := rebuildRunning(ctx, r.pool, n)
				if err != nil {
					return nil, err
				}
				if !running {
					st.State = StateLive
				}
			}
		}
		events, age, err := r.store.Lag(ctx, st.Position)
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", n, err)
		}
		st.LagEvents, st.LagSeconds = events, age.Seconds()
		out = append(out, st)
	}
	return out, nil
}
