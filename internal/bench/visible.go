package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// Figure 4: the whole service in this process; commands at a fixed rate,
// each timed from its return (committed, with its position) until the
// customer list's checkpoint reaches that position.

// visibleWait bounds the wait for one command to show; a command still
// not visible then counts with this latency.
const visibleWait = 10 * time.Second

// maxInFlight bounds the commands running at once; when it is reached the
// schedule slips and the achieved rate shows it.
const maxInFlight = 256

// customer is an account registered during the figure.
type customer struct {
	id  string
	gen company // generates names, domain and evidence
	n   int     // renames so far
}

func visibleFigure(ctx context.Context, e *env) ([]Row, error) {
	a, closeApp, err := e.openApp(ctx, 24)
	if err != nil {
		return nil, err
	}
	defer closeApp()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(runCtx, func(string) { close(ready) }) }()
	defer func() { stop(); <-runErr }()
	select {
	case <-ready:
	case err := <-runErr:
		runErr <- err
		return nil, fmt.Errorf("service stopped: %v", err)
	}

	wctx, stopWatch := context.WithCancel(ctx)
	w := newWatcher(a.Pool)
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.run(wctx) }()
	defer func() { stopWatch(); <-watchErr }()
	l := &load{a: a, w: w, meta: command.Meta{Principal: auth.Staff("bench", domain.RoleAdmin), ClientIP: "10.20.30.40"}}
	l.free = make(chan customer, e.sizes.VisibleRate*int(e.sizes.VisibleFor/time.Second+1)+100)
	// Warm-up, unmeasured: the projector sets up and creates its consumer,
	// and renames have accounts to work on.
	for range 50 {
		if _, _, _, err := l.one(ctx, true); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}

	total := int(float64(e.sizes.VisibleRate) * e.sizes.VisibleFor.Seconds())
	interval := time.Second / time.Duration(e.sizes.VisibleRate)
	var mu sync.Mutex
	var visible, commands []time.Duration
	var lastCommit time.Time
	var firstErr error
	stale := 0
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			committed, cmd, vis, err := l.one(ctx, i%2 == 0)
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, errStale) {
				stale++ // counted as visibleWait: the percentiles do not forget it
				err = nil
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			commands, visible = append(commands, cmd), append(visible, vis)
			if committed.After(lastCommit) {
				lastCommit = committed
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	select {
	case err := <-watchErr:
		watchErr <- err
		if err != nil {
			return nil, err
		}
	default:
	}
	rate := float64(len(commands)) / lastCommit.Sub(start).Seconds()
	e.progress("  %d commands at %.0f/s; %d not visible within %s", len(commands), rate, stale, visibleWait)
	fig := fmt.Sprintf("4. command commit → visible in customer list, %d commands at %d/s", len(commands), e.sizes.VisibleRate)
	return []Row{
		{Figure: fig + ", p50", Ours: ms(percentile(visible, 0.50)), Unit: "ms"},
		{Figure: fig + ", p99", Ours: ms(percentile(visible, 0.99)), Unit: "ms", Target: Target{Max: 50}},
		{Figure: "4. command rate achieved", Ours: rate, Unit: "commands/s", Target: Target{Min: 0.95 * float64(e.sizes.VisibleRate)}},
		{Figure: "4. command round trip (to commit), p99 (context)", Ours: ms(percentile(commands, 0.99)), Unit: "ms"},
	}, nil
}

var errStale = errors.New("not visible in time")

// load issues the figure's commands.
type load struct {
	a    *app.App
	w    *watcher
	meta command.Meta
	mu   sync.Mutex
	next int // the next company to register
	free chan customer
}

// one runs one command, a registration or, when asked for and an account
// is free, a rename of an account no other command is renaming. It returns
// when the command returned, how long it took, and the time from its
// return until the customer list's checkpoint was seen at its position
// (visibleWait and errStale when that took too long).
func (l *load) one(ctx context.Context, register bool) (committed time.Time, cmd, visible time.Duration, err error) {
	var res command.Result
	var c customer
	renaming := false
	if !register {
		select {
		case c = <-l.free:
			renaming = true
		default:
		}
	}
	start := time.Now()
	if renaming {
		c.n++
		res, err = l.a.Commands.RenameCompany(ctx, l.meta, c.id, command.RenameCompanyInput{
			NewName: c.gen.Name(c.n), Evidence: c.gen.Evidence(c.n)})
	} else {
		l.mu.Lock()
		c.gen = company{n: l.next}
		l.next++
		l.mu.Unlock()
		reg := c.gen.Registration()
		res, err = l.a.Commands.RegisterAccount(ctx, l.meta, command.RegisterAccountInput{
			Name: reg.Name, PrimaryDomain: reg.PrimaryDomain, Address: reg.Address, VATNumber: reg.VATNumber})
		c.id = res.ID
	}
	committed = time.Now()
	if err != nil {
		return committed, 0, 0, fmt.Errorf("%s: %w", label(renaming, "rename", "register"), err)
	}
	l.free <- c
	seen, err := l.w.wait(ctx, res.Position)
	if errors.Is(err, errStale) {
		return committed, committed.Sub(start), visibleWait, err
	}
	if err != nil {
		return committed, 0, 0, err
	}
	return committed, committed.Sub(start), seen.Sub(committed), nil
}

// watcher tells when the customer list's checkpoint reaches positions.
// One goroutine polls the checkpoint row for all commands, every
// watchInterval while any is waiting, so that the measurement adds one
// cheap query per millisecond to the service, not one per waiting command
// (Runner.WaitFor polls every 5 ms per caller: hundreds of waiters would
// load the database the figure measures).
type watcher struct {
	pool    *pgxpool.Pool
	mu      sync.Mutex
	waiting map[*waiter]struct{}
	kick    chan struct{}
}

type waiter struct {
	pos  eventstore.Position
	seen chan time.Time
}

// watchInterval is the resolution of the measurement.
const watchInterval = time.Millisecond

func newWatcher(pool *pgxpool.Pool) *watcher {
	return &watcher{pool: pool, waiting: map[*waiter]struct{}{}, kick: make(chan struct{}, 1)}
}

// wait returns when the checkpoint was first seen at or past pos; errStale
// after visibleWait.
func (w *watcher) wait(ctx context.Context, pos eventstore.Position) (time.Time, error) {
	wt := &waiter{pos: pos, seen: make(chan time.Time, 1)}
	w.mu.Lock()
	w.waiting[wt] = struct{}{}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	t := time.NewTimer(visibleWait)
	defer t.Stop()
	select {
	case at := <-wt.seen:
		return at, nil
	case <-t.C:
	case <-ctx.Done():
	}
	w.mu.Lock()
	delete(w.waiting, wt)
	w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, errStale
}

// run polls until ctx ends.
func (w *watcher) run(ctx context.Context) error {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	for {
		w.mu.Lock()
		idle := len(w.waiting) == 0
		w.mu.Unlock()
		if idle {
			select {
			case <-ctx.Done():
				return nil
			case <-w.kick:
			}
		}
		var cp eventstore.Position
		err := conn.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1`, customers.Name).Scan(&cp)
		now := time.Now()
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read checkpoint: %w", err)
		}
		w.mu.Lock()
		for wt := range w.waiting {
			if wt.pos <= cp {
				wt.seen <- now
				delete(w.waiting, wt)
			}
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// percentile returns the nearest-rank p-quantile of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
