package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/internal/app"
)

// Sizes sets how long and how large each figure runs.
type Sizes struct {
	// Warmup runs before each measured round of figures 1, 2 and 6; Round
	// is how long the round is measured.
	Warmup, Round time.Duration
	// Blocks is how many times figures 1, 2 and 6 repeat their block of
	// rounds (ours, raw, raw, ours): the disk's commit latency drifts by
	// the second on a shared machine, and short alternating rounds expose
	// both sides to it alike.
	Blocks int
	// Concurrency lists the connection counts of figure 1.
	Concurrency []int
	// BatchConcurrency is the connection count of figure 2, BatchEvents
	// the events per append.
	BatchConcurrency, BatchEvents int
	// RelayEvents is how many events figure 3 relays.
	RelayEvents int
	// VisibleRate is the command rate of figure 4 (commands/s), VisibleFor
	// how long it is sustained.
	VisibleRate int
	VisibleFor  time.Duration
	// RebuildEvents is how many events figure 5 rebuilds from.
	RebuildEvents int
	// OrderConcurrency is how many HTTP clients figure 6 runs (and how
	// many appenders its baseline); its rounds are those of figures 1
	// and 2.
	OrderConcurrency int
	// ReadAccounts is the demo data set of figure 7, in customer accounts.
	ReadAccounts int
	// BillingAccounts is the demo load of figure 8, in customer accounts.
	BillingAccounts int
}

// FullSizes are the sizes the figures are specified with.
func FullSizes() Sizes {
	return Sizes{
		Warmup: 250 * time.Millisecond, Round: time.Second, Blocks: 4,
		Concurrency:      []int{1, 8, 32},
		BatchConcurrency: 4, BatchEvents: 100,
		RelayEvents: 200_000,
		VisibleRate: 500, VisibleFor: 10 * time.Second,
		RebuildEvents:    1_000_000,
		OrderConcurrency: 8,
		ReadAccounts:     1_000_000,
		BillingAccounts:  5_000,
	}
}

// QuickSizes are small sizes for a smoke run of a minute or two.
func QuickSizes() Sizes {
	s := FullSizes()
	s.Warmup, s.Round, s.Blocks = 100*time.Millisecond, 500*time.Millisecond, 1
	s.RelayEvents = 20_000
	s.VisibleFor = 3 * time.Second
	s.RebuildEvents = 50_000
	s.ReadAccounts = 2_000
	s.BillingAccounts = 100
	return s
}

// Config configures Run.
type Config struct {
	// DatabaseURL names a database kept for benchmarks: Run creates it if
	// missing and drops every schema in it before each figure.
	DatabaseURL string
	Sizes       Sizes
	// Only selects figures by name or number (see Figures); empty runs all.
	Only []string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// Logger receives the logs of the components under test; nil discards
	// all but errors.
	Logger *slog.Logger
}

// Figure names a figure Run can measure.
type Figure struct {
	Number int
	Name   string
	Title  string
	run    func(ctx context.Context, e *env) ([]Row, error)
}

// Figures lists every figure in the order Run measures them.
func Figures() []Figure {
	return []Figure{
		{1, "append", "single-event appends with version check", singleAppends},
		{2, "batch", "batched appends, 100 events per append", batchAppends},
		{3, "relay", "relay store → JetStream", relayFigure},
		{4, "visible", "command commit → visible in the customer list", visibleFigure},
		{5, "rebuild", "rebuild of the customer list", rebuildFigure},
		{6, "orders", "SubmitOrder→FulfilOrder through HTTP against their appends", ordersFigure},
		{7, "reads", "the read side on a demo data set", readsFigure},
		{8, "billing", "billing feed JetStream → ledger against a plain consumer", billingFigure},
	}
}

// Select returns the figures named (by name or number) in only, in
// measuring order; all of them when only is empty.
func Select(only []string) ([]Figure, error) {
	all := Figures()
	if len(only) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, o := range only {
		if o = strings.TrimSpace(o); o != "" {
			want[o] = true
		}
	}
	var out []Figure
	for _, f := range all {
		if want[f.Name] || want[strconv.Itoa(f.Number)] {
			out = append(out, f)
			delete(want, f.Name)
			delete(want, strconv.Itoa(f.Number))
		}
	}
	if len(want) > 0 {
		var names []string
		for _, f := range all {
			names = append(names, f.Name)
		}
		unknown := make([]string, 0, len(want))
		for w := range want {
			unknown = append(unknown, w)
		}
		slices.Sort(unknown)
		return nil, fmt.Errorf("unknown figure %s (choose from %s, or 1 to %d)", strings.Join(unknown, ", "), strings.Join(names, ", "), len(all))
	}
	return out, nil
}

// Run measures the figures cfg selects and returns their rows. A figure
// that fails gives a row with Err set and the rest still run; Run returns
// an error only for a bad Config or when ctx ends.
func Run(ctx context.Context, cfg Config) ([]Row, error) {
	figs, err := Select(cfg.Only)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("bench: no database URL")
	}
	if cfg.Sizes.Round <= 0 || cfg.Sizes.Blocks <= 0 {
		return nil, errors.New("bench: no sizes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &env{cfg: cfg, sizes: cfg.Sizes}
	var rows []Row
	for _, f := range figs {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		e.progress("figure %d (%s): %s", f.Number, f.Name, f.Title)
		start := time.Now()
		got, err := f.run(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return rows, ctx.Err()
			}
			e.progress("figure %d failed: %v", f.Number, err)
			rows = append(rows, Row{Figure: fmt.Sprintf("%d. %s", f.Number, f.Title), Err: err})
			continue
		}
		e.progress("figure %d done in %s", f.Number, time.Since(start).Round(time.Millisecond))
		rows = append(rows, got...)
	}
	return rows, nil
}

// env is what every figure gets.
type env struct {
	cfg   Config
	sizes Sizes
	mu    sync.Mutex
}

func (e *env) progress(format string, args ...any) {
	if e.cfg.Progress == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.cfg.Progress, "bench: "+format+"\n", args...)
}

// reset drops every schema of the bench database (creating the database
// if missing) and creates an empty public schema, so that each figure
// starts from nothing.
func (e *env) reset(ctx context.Context) error {
	pool, err := app.OpenPostgres(ctx, e.cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT nspname FROM pg_namespace
		WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'`)
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	for _, s := range schemas {
		if _, err := pool.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{s}.Sanitize()+` CASCADE`); err != nil {
			return fmt.Errorf("drop schema %s: %w", s, err)
		}
	}
	if _, err := pool.Exec(ctx, `CREATE SCHEMA public`); err != nil {
		return fmt.Errorf("create schema public: %w", err)
	}
	// Flush the last figure's writes now rather than in a checkpoint
	// during this one. Best effort: it needs superuser or pg_checkpoint.
	_, _ = pool.Exec(ctx, `CHECKPOINT`)
	return nil
}

// freshDB resets the database and opens it migrated, with a pool of at
// most maxConns connections.
func (e *env) freshDB(ctx context.Context, maxConns int32) (*app.DB, error) {
	if err := e.reset(ctx); err != nil {
		return nil, err
	}
	return app.OpenDB(ctx, app.Config{DatabaseURL: e.cfg.DatabaseURL, MaxConns: maxConns, Logger: e.cfg.Logger})
}

// openApp resets the database and opens the whole service on it, with an
// embedded NATS server on a free port and its data in a temporary
// directory, and a pool of at most maxConns connections (the service's
// default when 0). closeApp releases all of it.
func (e *env) openApp(ctx context.Context, maxConns int32) (a *app.App, closeApp func(), err error) {
	if err := e.reset(ctx); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "channeldesk-bench-app-")
	if err != nil {
		return nil, nil, err
	}
	// The rate limiter runs, with a limit the benchmark's few tokens never
	// reach (the default, 50 requests/s per token, would refuse most).
	a, err = app.Open(ctx, app.Config{DatabaseURL: e.cfg.DatabaseURL, DataDir: dir, EmbeddedNATSPort: -1,
		HTTPAddr: "127.0.0.1:0", MaxConns: maxConns, Logger: e.cfg.Logger,
		RateLimit: api.RateLimit{PerSecond: 1e9, Burst: 1 << 30}})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return a, func() { a.Close(); _ = os.RemoveAll(dir) }, nil
}

// round is the outcome of one measured round.
type round struct {
	ops  int64
	span time.Duration
	// cpu is the CPU time this process (the client: pgx, the store's Go
	// code, the benchmark) used during span.
	cpu time.Duration
}

// clientCPU is the client's CPU time per op, in microseconds.
func (r round) clientCPU() float64 {
	if r.ops == 0 {
		return 0
	}
	return float64(r.cpu) / float64(time.Microsecond) / float64(r.ops)
}

// throughput runs op on n workers: for warmup unmeasured, then for d. It
// returns how many ops completed in the measured span and its length.
// Workers stop between ops, never in the middle of one: a cancelled query
// would close its connection and the next round would pay for a new one.
func throughput(ctx context.Context, n int, warmup, d time.Duration, op func(ctx context.Context, worker int) error) (round, error) {
	var done atomic.Int64
	var stop atomic.Bool
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := op(ctx, w); err != nil {
					stop.Store(true)
					errs <- err
					return
				}
				done.Add(1)
			}
		}()
	}
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		case err := <-errs:
			errs <- err
			return false
		}
	}
	var c0, c1 int64
	var t0, t1 time.Time
	var cpu0, cpu1 time.Duration
	if wait(warmup) {
		c0, t0, cpu0 = done.Load(), time.Now(), processCPU()
		if wait(d) {
			c1, t1, cpu1 = done.Load(), time.Now(), processCPU()
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return round{}, err
	}
	if err := ctx.Err(); err != nil {
		return round{}, err
	}
	return round{ops: c1 - c0, span: t1.Sub(t0), cpu: cpu1 - cpu0}, nil
}

// side collects the rounds of one side of a comparison.
type side struct {
	rates []float64
}

// add records a round of ops over span and returns its rate.
func (s *side) add(ops int64, span time.Duration) float64 {
	r := float64(ops) / span.Seconds()
	s.rates = append(s.rates, r)
	return r
}

// rate is the median of the rounds' rates: one round next to a
// checkpoint or a neighbour's burst of fsyncs moves it little.
func (s side) rate() float64 {
	if len(s.rates) == 0 {
		return 0
	}
	r := slices.Clone(s.rates)
	slices.Sort(r)
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}

// rounds repeats block blocks times.
func rounds[T any](blocks int, block ...T) []T {
	var out []T
	for range blocks {
		out = append(out, block...)
	}
	return out
}
