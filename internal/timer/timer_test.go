package timer_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/internal/timer"
)

// clock is a clock the test moves by hand. Safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var staff = command.Meta{Principal: auth.Staff("ada", domain.RoleSupport)}

// instance is one running service: its own pool, store, command service
// and scheduler, as a separate process would have, all on one database.
type instance struct {
	pool  *pgxpool.Pool
	store *eventstore.Store
	svc   *command.Service
	sched *timer.Scheduler
}

func newInstance(t *testing.T, url string, clk *clock) *instance {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, ids := eventstore.New(pool), numbering.New(pool)
	for _, m := range []func(context.Context) error{store.Migrate, ids.Migrate, func(ctx context.Context) error { return timer.Migrate(ctx, pool) }} {
		if err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}
	svc := command.New(store, ids, command.Config{Now: clk.Now})
	sched, err := timer.New(pool, store, svc, timer.Config{Now: clk.Now, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{pool: pool, store: store, svc: svc, sched: sched}
}

// casesWaiting opens n cases on a new account and asks for information on
// each, returning their numbers.
func casesWaiting(t *testing.T, in *instance, n int) []string {
	t.Helper()
	ctx := context.Background()
	acct, err := in.svc.RegisterAccount(ctx, staff, command.RegisterAccountInput{
		Name: "Acme Widgets GmbH", PrimaryDomain: "acme.example", Address: account.Address{Country: "DE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for i := range n {
		res, err := in.svc.OpenCase(ctx, staff, command.OpenCaseInput{
			RequestType: supportcase.RequestGeneral, Subject: supportcase.SubjectOther, AccountID: acct.ID,
			Description: fmt.Sprintf("case %d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.svc.RequestInformation(ctx, staff, res.ID, command.RequestInformationInput{What: "the PO"}); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, res.ID)
	}
	return numbers
}

// closings counts the supportcase.closed_unanswered events of a case in
// the store.
func closings(t *testing.T, store *eventstore.Store, number string) int {
	t.Helper()
	evs, err := store.Load(context.Background(), supportcase.StreamID(number))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == (supportcase.CaseClosedUnanswered{}).EventType() {
			n++
		}
	}
	return n
}

// caughtUp feeds until the feed has read every event in the store. The
// store's horizon is cluster-wide: a transaction of a test running
// alongside on another database holds it back, so one Feed may not yet
// see the last events.
func caughtUp(t *testing.T, in *instance) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, func() bool {
		if err := in.sched.Feed(ctx); err != nil {
			t.Fatal(err)
		}
		var behind bool
		if err := in.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE position > (SELECT position FROM due_timers_feed))`).Scan(&behind); err != nil {
			t.Fatal(err)
		}
		return !behind
	})
}

// settled reports whether the feed has read every event and no timer is
// pending.
func settled(t *testing.T, in *instance) bool {
	var behind bool
	if err := in.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM events WHERE position > (SELECT position FROM due_timers_feed))
		OR EXISTS (SELECT 1 FROM due_timers WHERE state = 'pending')`).Scan(&behind); err != nil {
		t.Error(err)
		return true
	}
	return !behind
}

func pending(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM due_timers WHERE state = 'pending'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	in := newInstance(t, pgtest.URL(t), clk)
	number := casesWaiting(t, in, 1)[0]

	// Given a request for information nobody answers, when the clock stands
	// a second before the deadline, nothing fires.
	clk.Add(supportcase.InformationWindow - time.Second)
	caughtUp(t, in)
	if n, err := in.sched.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("before the deadline: fired %d, %v; want 0", n, err)
	}
	if got := pending(t, in.pool); got != 1 {
		t.Fatalf("pending timers = %d, want 1", got)
	}

	// When the clock reaches 24 hours after the request and the scheduler
	// ticks, the case is closed.
	clk.Add(time.Second)
	caughtUp(t, in)
	if n, err := in.sched.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("at the deadline: fired %d, %v; want 1", n, err)
	}
	if got := closings(t, in.store, number); got != 1 {
		t.Fatalf("closed_unanswered events = %d, want 1", got)
	}
	evs, err := in.store.Load(ctx, supportcase.StreamID(number))
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != (supportcase.CaseClosedUnanswered{}).EventType() || last.Actor != supportcase.SystemPrincipalID || last.CausationID == "" {
		t.Fatalf("last event %s by %q, causation %q: want closed_unanswered by the system, caused by the timer", last.Type, last.Actor, last.CausationID)
	}

	// Then a late answer is refused: the case is closed and must be
	// resubmitted.
	requester := command.Meta{Principal: auth.Staff("ada", domain.RoleSupport)}
	_, err = in.svc.ProvideInformation(ctx, requester, number, command.ProvideInformationInput{Information: "PO 4711"})
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "supportcase.closed" {
		t.Fatalf("late answer: got %v, want rule supportcase.closed", err)
	}
	// And ticking again fires nothing more.
	clk.Add(time.Hour)
	caughtUp(t, in)
	if n, err := in.sched.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("after firing: fired %d, %v; want 0", n, err)
	}
	if got := closings(t, in.store, number); got != 1 {
		t.Fatalf("closed_unanswered events = %d, want 1", got)
	}
}

func TestLateAnswerBeforeTheTimerFiresIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	in := newInstance(t, pgtest.URL(t), clk)
	number := casesWaiting(t, in, 1)[0]
	clk.Add(supportcase.InformationWindow)
	_, err := in.svc.ProvideInformation(ctx, staff, number, command.ProvideInformationInput{Information: "PO 4711"})
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "supportcase.information_overdue" {
		t.Fatalf("answer at the deadline: got %v, want rule supportcase.information_overdue", err)
	}
	caughtUp(t, in)
	if n, err := in.sched.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("fired %d, %v; want 1", n, err)
	}
}

func TestAnswerCancelsTheTimer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	in := newInstance(t, pgtest.URL(t), clk)
	numbers := casesWaiting(t, in, 2)
	clk.Add(time.Hour)
	if _, err := in.svc.ProvideInformation(ctx, staff, numbers[0], command.ProvideInformationInput{Information: "PO 4711"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(supportcase.InformationWindow)
	caughtUp(t, in)
	if n, err := in.sched.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("fired %d, %v; want 1 (the unanswered case only)", n, err)
	}
	if a, b := closings(t, in.store, numbers[0]), closings(t, in.store, numbers[1]); a != 0 || b != 1 {
		t.Fatalf("closings: answered %d, unanswered %d; want 0 and 1", a, b)
	}
	var state string
	if err := in.pool.QueryRow(ctx, `SELECT state FROM due_timers WHERE case_number = $1`, numbers[0]).Scan(&state); err != nil || state != timer.StateCancelled {
		t.Fatalf("answered case's timer: %q, %v; want cancelled", state, err)
	}
}

// TestAnswerTheFeedHasNotSeen: the case was answered after the last feed;
// the claimed timer's command is refused by the domain and the timer is
// cancelled, not fired.
func TestAnswerTheFeedHasNotSeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	in := newInstance(t, pgtest.URL(t), clk)
	number := casesWaiting(t, in, 1)[0]
	caughtUp(t, in)
	clk.Add(time.Hour)
	if _, err := in.svc.ProvideInformation(ctx, staff, number, command.ProvideInformationInput{Information: "PO 4711"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(supportcase.InformationWindow)
	// Another scheduler whose feed is blocked would claim the timer before
	// seeing the answer; a scheduler with a store that shows no new event
	// plays it.
	blind, err := timer.New(in.pool, frozenStore{}, in.svc, timer.Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := blind.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("fired %d, %v; want 0", n, err)
	}
	if got := closings(t, in.store, number); got != 0 {
		t.Fatalf("closed_unanswered events = %d, want 0", got)
	}
	var state, outcome string
	if err := in.pool.QueryRow(ctx, `SELECT state, outcome FROM due_timers WHERE case_number = $1`, number).Scan(&state, &outcome); err != nil || state != timer.StateCancelled {
		t.Fatalf("timer: %q (%s), %v; want cancelled", state, outcome, err)
	}
}

// frozenStore is an event store in which nothing new ever commits.
type frozenStore struct{}

func (frozenStore) Horizon(context.Context) (eventstore.Position, error) { return 0, nil }
func (frozenStore) ReadRange(context.Context, eventstore.Position, eventstore.Position, int) ([]eventstore.Event, error) {
	return nil, nil
}

// TestExactlyOnceWithThreeSchedulers runs three schedulers, each with its
// own pool and command service as three processes would, concurrently on
// one database over many due timers: each case closes exactly once, and
// the three together fire each timer once.
func TestExactlyOnceWithThreeSchedulers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const cases = 60
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	url := pgtest.URL(t)
	ins := []*instance{newInstance(t, url, clk), newInstance(t, url, clk), newInstance(t, url, clk)}
	numbers := casesWaiting(t, ins[0], cases)
	clk.Add(supportcase.InformationWindow + time.Minute)

	var wg sync.WaitGroup
	fired := make([]int, len(ins))
	errs := make([]error, len(ins))
	start := make(chan struct{})
	for i, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Each ticks until every timer has ended, so that the
			// instances overlap in feeding and in claiming.
			for !settled(t, in) {
				n, err := in.sched.Tick(ctx)
				fired[i] += n
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	total := fired[0] + fired[1] + fired[2]
	if total != cases {
		t.Fatalf("fired %v = %d in all, want %d", fired, total, cases)
	}
	for _, n := range numbers {
		if got := closings(t, ins[1].store, n); got != 1 {
			t.Errorf("case %s: %d closed_unanswered events, want 1", n, got)
		}
	}
	if got := pending(t, ins[2].pool); got != 0 {
		t.Fatalf("pending timers = %d, want 0", got)
	}
}

// crashingCloser appends through the real service, then fails as a
// process that dies before its claim commits would.
type crashingCloser struct{ svc *command.Service }

func (c crashingCloser) CloseUnanswered(ctx context.Context, m command.Meta, number string) (command.Result, error) {
	if _, err := c.svc.CloseUnanswered(ctx, m, number); err != nil {
		return command.Result{}, err
	}
	return command.Result{}, errors.New("crashed before the claim committed")
}

// TestCrashBetweenAppendAndMark: the command appended, the claim rolled
// back; the next scheduler fires the same timer again and the command log
// answers it, so the case still closes once.
func TestCrashBetweenAppendAndMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	url := pgtest.URL(t)
	in := newInstance(t, url, clk)
	number := casesWaiting(t, in, 1)[0]
	clk.Add(supportcase.InformationWindow)
	crashing, err := timer.New(in.pool, frozenStore{}, crashingCloser{in.svc}, timer.Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp(t, in)
	if _, err := crashing.Tick(ctx); err == nil {
		t.Fatal("the crashing scheduler reported no error")
	}
	if got := pending(t, in.pool); got != 1 {
		t.Fatalf("pending timers after the crash = %d, want 1", got)
	}
	// A scheduler of another instance, whose feed has not yet seen the
	// closing either, claims the timer again.
	other := newInstance(t, url, clk)
	blind, err := timer.New(other.pool, frozenStore{}, other.svc, timer.Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := blind.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("retry: fired %d, %v; want 1 (answered from the command log)", n, err)
	}
	if got := closings(t, in.store, number); got != 1 {
		t.Fatalf("closed_unanswered events = %d, want 1", got)
	}
}

// dyingCloser appends through the real service, then its goroutine ends
// (runtime.Goexit) as the process would die: the lease is never released
// and the timer never marked.
type dyingCloser struct{ svc *command.Service }

func (c dyingCloser) CloseUnanswered(ctx context.Context, m command.Meta, number string) (command.Result, error) {
	if _, err := c.svc.CloseUnanswered(ctx, m, number); err != nil {
		return command.Result{}, err
	}
	runtime.Goexit()
	return command.Result{}, nil
}

// TestDeadInstancesLeaseRunsOut: an instance dies after the command's
// append, holding the timer's lease; no other instance fires it while the
// lease holds, and the first claim after it ran out fires it, answered
// from the command log, so the case closes once.
func TestDeadInstancesLeaseRunsOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	url := pgtest.URL(t)
	in := newInstance(t, url, clk)
	number := casesWaiting(t, in, 1)[0]
	clk.Add(supportcase.InformationWindow)
	caughtUp(t, in)
	const lease = 10 * time.Minute
	dying, err := timer.New(in.pool, frozenStore{}, dyingCloser{in.svc}, timer.Config{Now: clk.Now, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	died := make(chan struct{})
	go func() {
		defer close(died)
		_, _ = dying.Tick(ctx)
	}()
	<-died
	if got := closings(t, in.store, number); got != 1 {
		t.Fatalf("closed_unanswered events after the death = %d, want 1", got)
	}
	if got := pending(t, in.pool); got != 1 {
		t.Fatalf("pending timers after the death = %d, want 1 (leased)", got)
	}
	other := newInstance(t, url, clk)
	blind, err := timer.New(other.pool, frozenStore{}, other.svc, timer.Config{Now: clk.Now, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(lease - time.Second)
	if n, err := blind.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("while the lease holds: fired %d, %v; want 0", n, err)
	}
	clk.Add(time.Second)
	if n, err := blind.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("after the lease: fired %d, %v; want 1 (answered from the command log)", n, err)
	}
	if got, left := closings(t, in.store, number), pending(t, in.pool); got != 1 || left != 0 {
		t.Fatalf("closed_unanswered events = %d, pending timers = %d; want 1 and 0", got, left)
	}
}

// TestTimerSurvivesRestart: a timer created while one scheduler ran fires
// from a new scheduler (new pool, new service) after the first stopped.
func TestTimerSurvivesRestart(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	url := pgtest.URL(t)
	first := newInstance(t, url, clk)
	number := casesWaiting(t, first, 1)[0]
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	running, err := timer.New(first.pool, first.store, first.svc, timer.Config{Now: clk.Now, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- running.Run(ctx) }()
	// Run ticks at once and then every 20 ms; a tick feeds the timer in.
	waitFor(t, func() bool { return pending(t, first.pool) == 1 })
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	first.pool.Close()

	clk.Add(supportcase.InformationWindow)
	second := newInstance(t, url, clk)
	if n, err := second.sched.Tick(context.Background()); err != nil || n != 1 {
		t.Fatalf("after restart: fired %d, %v; want 1", n, err)
	}
	if got := closings(t, second.store, number); got != 1 {
		t.Fatalf("closed_unanswered events = %d, want 1", got)
	}
}

// waitFor polls cond until it holds (a condition on the database, not on
// time: the deadline only stops a test that would otherwise hang).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  timer.Config
		ok   bool
	}{
		{"zero", timer.Config{}, true},
		{"negative interval", timer.Config{Interval: -time.Second}, false},
		{"huge batch", timer.Config{BatchSize: 10001}, false},
		{"negative feed batch", timer.Config{FeedBatch: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
