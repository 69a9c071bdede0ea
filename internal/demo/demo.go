package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// ErrAlreadyLoaded is returned by Load when the database already holds a
// demo load: nothing was appended, and no token issued.
var ErrAlreadyLoaded = errors.New("demo: demo data already loaded in this database")

// Defaults of Config.
const (
	DefaultAccounts    = 200
	DefaultSeed        = 1
	DefaultConcurrency = 8
	// MinAccounts is the smallest data set that has every story: the
	// merge, the split and the rename need two customers of their own.
	MinAccounts = 10
)

// markerKey is the idempotency key of a load's first command; the command
// log keeps it, so a second load finds it.
const (
	markerKey  = "channeldesk-demo"
	markerHash = "channeldesk-demo"
)

// Config configures a load. The zero value loads DefaultAccounts customers
// from DefaultSeed with DefaultConcurrency workers.
type Config struct {
	// Accounts is the number of customer accounts (at least MinAccounts);
	// partners, contacts, contracts and orders scale with it.
	Accounts int
	// Seed of the generated data: the same seed gives the same data set.
	Seed uint64
	// Concurrency is the number of commands in flight at once.
	Concurrency int
	// TokenTTL is the lifetime of the printed tokens (auth.DefaultTTL).
	TokenTTL time.Duration
	// Progress, if not nil, receives a line every ProgressEvery.
	Progress      io.Writer
	ProgressEvery time.Duration
	// Now is the clock that PO dates and contract terms are drawn back
	// from (time.Now if nil).
	Now func() time.Time
}

// Validate reports every problem of the configuration as given, all at
// once. Load fills in the defaults of zero fields before it validates.
func (c Config) Validate() error {
	var errs []error
	if c.Accounts < MinAccounts {
		errs = append(errs, fmt.Errorf("accounts: %d, want at least %d", c.Accounts, MinAccounts))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency: %d, want at least 1", c.Concurrency))
	}
	return errors.Join(errs...)
}

func (c *Config) defaults() {
	if c.Accounts == 0 {
		c.Accounts = DefaultAccounts
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = auth.DefaultTTL
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Streams is what the loader reads back from the event store: the license
// IDs a fulfilment drew, from the order's stream.
type Streams interface {
	Load(ctx context.Context, streamID string) ([]eventstore.Event, error)
}

// Tokens issues bearer tokens; auth.Registry does.
type Tokens interface {
	Create(ctx context.Context, p domain.Principal, ttl time.Duration, label string) (string, auth.Info, error)
}

// The staff of the vendor who act in the data set. The auditor only reads.
var (
	staffAdmin    = auth.Staff("maria.keller", domain.RoleAdmin)
	staffSupport  = []domain.Principal{auth.Staff("sam.okafor", domain.RoleSupport), auth.Staff("yuki.tanaka", domain.RoleSupport), auth.Staff("lena.fischer", domain.RoleSupport)}
	staffAuditor  = auth.Staff("li.wei", domain.RoleAuditor)
	staffOrderDsk = auth.Staff("order.desk", domain.RoleSupport)
)

// loader is one load in progress.
type loader struct {
	cmds    *command.Service
	streams Streams
	cfg     Config
	today   time.Time
	tally   tally

	partners     []*partnerPlan
	resellers    map[string][]*partnerPlan // by region: active resellers that order
	stable       map[string][]*partnerPlan // by region: resellers that stay active
	distributors map[string][]*partnerPlan // by region
	advisors     []*partnerPlan
	// used are the domains handed out so far.
	used domains

	showcase [2]*accountRun
	story    Stories
	accounts atomic.Int64
}

// Load generates the data set of cfg and records it through cmds, the
// command service, then issues a token for each kind of principal. It is
// not atomic: a load that fails half way leaves what it recorded, and the
// database counts as loaded. A second Load on the same database returns
// ErrAlreadyLoaded and records nothing.
func Load(ctx context.Context, cmds *command.Service, streams Streams, tokens Tokens, cfg Config) (*Report, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	l := &loader{cmds: cmds, streams: streams, cfg: cfg, today: cfg.Now().UTC().Truncate(24 * time.Hour), used: domains{}}
	l.planPartners()
	stop := l.progress(start)
	err := l.run(ctx)
	stop()
	if err != nil {
		return nil, err
	}
	rep := l.report(time.Since(start))
	if err := rep.issueTokens(ctx, tokens, cfg.TokenTTL); err != nil {
		return nil, err
	}
	return rep, nil
}

func (l *loader) run(ctx context.Context) error {
	// The first command carries the marker: a second load is refused here,
	// before anything else is recorded.
	if err := l.registerPartner(ctx, l.partners[0], true); err != nil {
		return err
	}
	if err := l.each(ctx, len(l.partners)-1, func(ctx context.Context, i int) error {
		return l.registerPartner(ctx, l.partners[i+1], false)
	}); err != nil {
		return err
	}
	l.groupPartners()
	orgs := make([]org, l.cfg.Accounts)
	for i := range orgs {
		orgs[i] = newCompany(l.rng(streamCompany, i), l.used)
	}
	if err := l.each(ctx, len(orgs), func(ctx context.Context, i int) error {
		if err := l.account(ctx, i, orgs[i]); err != nil {
			return fmt.Errorf("account %d of %d: %w", i+1, len(orgs), err)
		}
		l.accounts.Add(1)
		return nil
	}); err != nil {
		return err
	}
	if err := l.each(ctx, len(l.partners), func(ctx context.Context, i int) error {
		return l.expire(ctx, l.partners[i])
	}); err != nil {
		return err
	}
	return l.stories(ctx)
}

// Random streams: each generated thing draws from its own source, seeded by
// the load's seed, its kind and its index, so that what it gets does not
// depend on the order the workers run in.
const (
	streamCompany = iota + 1
	streamAccount
	streamPartner
)

func (l *loader) rng(stream, i int) *rand.Rand {
	return rand.New(rand.NewPCG(l.cfg.Seed, uint64(stream)<<48|uint64(i)))
}

// each runs job for 0..n-1 on cfg.Concurrency workers and returns the first
// error, after which no new job starts.
func (l *loader) each(ctx context.Context, n int, job func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.cfg.Concurrency)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return job(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// progress reports how far the accounts got, until the returned stop is
// called.
func (l *loader) progress(start time.Time) (stop func()) {
	if l.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(l.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n, secs := l.accounts.Load(), time.Since(start).Seconds()
				fmt.Fprintf(l.cfg.Progress, "demo: %d/%d accounts, %d commands (%.0f commands/s)\n",
					n, l.cfg.Accounts, l.tally.commands.Load(), float64(l.tally.commands.Load())/secs)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// meta is the request metadata of a command by p: a correlation ID shared
// by the commands of one piece of work, and the client address p's kind
// works from (staff from the office network, partners and customers from
// the documentation address blocks).
func meta(p domain.Principal, correlation string) command.Meta {
	h := fnv.New32a()
	h.Write([]byte(p.ID))
	n := h.Sum32()
	var ip string
	switch p.Kind {
	case domain.KindStaff:
		ip = fmt.Sprintf("10.20.%d.%d", n>>8%250, n%250+2)
	case domain.KindPartner:
		ip = fmt.Sprintf("198.51.100.%d", n%250+2)
	default:
		ip = fmt.Sprintf("203.0.113.%d", n%250+2)
	}
	return command.Meta{Principal: p, CorrelationID: correlation, ClientIP: ip}
}

// onBehalf is the metadata of staff acting for a customer or partner.
func onBehalf(staff, of domain.Principal, correlation string) command.Meta {
	m := meta(staff, correlation)
	m.OnBehalfOf = of.ID
	return m
}

func correlation() string { return uuid.Must(uuid.NewV7()).String() }

// do runs one command and tallies what it recorded.
func (l *loader) do(what string, run func() (command.Result, error)) (command.Result, error) {
	res, err := run()
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	l.tally.record(res)
	return res, nil
}

// tally counts commands, events by type and facts of the data set.
type tally struct {
	commands atomic.Int64
	mu       sync.Mutex
	events   map[string]int64
	facts    map[string]int64
}

func (t *tally) record(res command.Result) {
	t.commands.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.events == nil {
		t.events = map[string]int64{}
	}
	for _, e := range res.Events {
		t.events[e.Type]++
	}
}

func (t *tally) count(fact string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.facts == nil {
		t.facts = map[string]int64{}
	}
	t.facts[fact] += int64(n)
}
