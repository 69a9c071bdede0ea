package timer

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the timer tables. It is safe to call from several
// processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Up(ctx, pool, migrations, "goose_timer")
}

// KindCloseUnanswered is the kind of the timer that closes a case whose
// request for information went unanswered.
const KindCloseUnanswered = "close_unanswered"

// States of a timer.
const (
	StatePending   = "pending"
	StateFired     = "fired"
	StateCancelled = "cancelled"
)

// Defaults of Config.
const (
	DefaultInterval  = 5 * time.Second
	DefaultBatchSize = 16
	DefaultFeedBatch = 5000
	DefaultLease     = time.Minute
)

// Store is what the feed reads of the event store; *eventstore.Store
// implements it.
type Store interface {
	// Horizon returns the position below which the committed events are
	// final.
	Horizon(ctx context.Context) (eventstore.Position, error)
	// ReadRange returns up to limit events with after < position < before
	// in position order.
	ReadRange(ctx context.Context, after, before eventstore.Position, limit int) ([]eventstore.Event, error)
}

// Closer closes an unanswered case; *command.Service implements it. It
// must append at most once per idempotency key of m.
type Closer interface {
	CloseUnanswered(ctx context.Context, m command.Meta, number string) (command.Result, error)
}

// Config configures a Scheduler. The zero value takes every default.
type Config struct {
	// Now is the clock a timer is due by; time.Now if nil. The command
	// service decides with its own clock, which must agree (a case the
	// service finds not yet overdue stays pending).
	Now func() time.Time
	// Interval is how often Run feeds and fires. Default DefaultInterval.
	Interval time.Duration
	// BatchSize is the most timers one claim takes. Default
	// DefaultBatchSize.
	BatchSize int
	// Lease is how long a claimed timer stays the claiming instance's
	// before another may claim it: the time an instance may take to fire
	// a claim's timers, after which it is taken for dead. Default
	// DefaultLease. A lease that runs out early only makes two instances
	// send the same command, which the command log answers once.
	Lease time.Duration
	// FeedBatch is the most events the feed reads at once. Default
	// DefaultFeedBatch.
	FeedBatch int
	// Logger receives Run's errors. Default slog.Default().
	Logger *slog.Logger
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("timer interval %s: must not be negative", c.Interval))
	}
	if c.BatchSize < 0 || c.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("timer batch size %d: want 1 to 10000, or 0 for the default", c.BatchSize))
	}
	if c.Lease < 0 {
		errs = append(errs, fmt.Errorf("timer lease %s: must not be negative", c.Lease))
	}
	if c.FeedBatch < 0 || c.FeedBatch > 100000 {
		errs = append(errs, fmt.Errorf("timer feed batch %d: want 1 to 100000, or 0 for the default", c.FeedBatch))
	}
	return errors.Join(errs...)
}

// Scheduler feeds the timer table from the event store and fires the
// timers that are due. Several Schedulers, in one process or many, may run
// on one database at once: each timer fires once. Its methods are safe for
// concurrent use.
type Scheduler struct {
	pool   *pgxpool.Pool
	store  Store
	closer Closer
	cfg    Config
	// id names this Scheduler in the leases it holds.
	id string
}

// New returns a Scheduler over pool (where Migrate created the tables),
// reading events from store and closing cases through closer.
func New(pool *pgxpool.Pool, store Store, closer Closer, cfg Config) (*Scheduler, error) {
	var errs []error
	if pool == nil {
		errs = append(errs, errors.New("no database pool"))
	}
	if store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if closer == nil {
		errs = append(errs, errors.New("no command service"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("timer scheduler: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.FeedBatch == 0 {
		cfg.FeedBatch = DefaultFeedBatch
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Scheduler{pool: pool, store: store, closer: closer, cfg: cfg, id: uuid.NewString()}, nil
}

// Run feeds and fires every Interval until ctx ends, and returns ctx's
// error. A failed tick is logged and tried again at the next one.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("timers", "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick feeds the table up to the store's horizon and then fires every
// timer due at the clock that no other instance holds. It returns how
// many timers this call fired.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	if err := s.Feed(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, ended, claimed, err := s.fire(ctx)
		total += n
		// Another claim only after a full one that ended every timer: a
		// timer left pending would be claimed again at once.
		if err != nil || claimed < s.cfg.BatchSize || ended < claimed {
			return total, err
		}
	}
}

// Feed applies the events committed since the feed's checkpoint, up to
// the store's horizon, to the timer table. When another instance is
// feeding it returns at once: that one brings the table forward.
func (s *Scheduler) Feed(ctx context.Context) error {
	h, err := s.store.Horizon(ctx)
	if err != nil {
		return err
	}
	for {
		more, err := s.feedBatch(ctx, h)
		if err != nil || !more {
			return err
		}
	}
}

// feedBatch applies one batch of events below h in one transaction with
// the checkpoint, and reports whether more may follow.
func (s *Scheduler) feedBatch(ctx context.Context, h eventstore.Position) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("feed timers: %w", err)
	}
	defer tx.Rollback(ctx)
	var pos eventstore.Position
	err = tx.QueryRow(ctx, `SELECT position FROM due_timers_feed WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("feed timers: read checkpoint: %w", err)
	}
	if pos >= h-1 {
		return false, nil
	}
	evs, err := s.store.ReadRange(ctx, pos, h, s.cfg.FeedBatch)
	if err != nil {
		return false, fmt.Errorf("feed timers: %w", err)
	}
	if len(evs) == 0 {
		return false, nil
	}
	for i := range evs {
		if err := apply(ctx, tx, &evs[i]); err != nil {
			return false, err
		}
	}
	last := evs[len(evs)-1].Position
	if _, err := tx.Exec(ctx, `UPDATE due_timers_feed SET position = $1 WHERE id = 1`, last); err != nil {
		return false, fmt.Errorf("feed timers: move checkpoint: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("feed timers: %w", err)
	}
	return len(evs) == s.cfg.FeedBatch, nil
}

// caseEvent is the part of a support-case event the feed reads: every
// case event names its case; a request for information has a due time.
type caseEvent struct {
	CaseNumber string    `json:"case_number"`
	Due        time.Time `json:"due"`
}

// apply applies one event to the timer table within tx. Each statement is
// idempotent, so a batch applied twice (never, given the checkpoint's
// lock, but cheaply so) changes nothing.
func apply(ctx context.Context, tx pgx.Tx, e *eventstore.Event) error {
	if e.Category != "supportcase" {
		return nil
	}
	var stmt string
	switch e.Type {
	case supportcase.InformationRequested{}.EventType():
		var ev caseEvent
		if err := json.Unmarshal(e.Data, &ev); err != nil || ev.CaseNumber == "" || ev.Due.IsZero() {
			return fmt.Errorf("feed timers: event %d (%s): want case_number and due: %v", e.Position, e.Type, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO due_timers (id, kind, case_number, due_at, position)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
			e.ID.String(), KindCloseUnanswered, ev.CaseNumber, ev.Due, int64(e.Position)); err != nil {
			return fmt.Errorf("feed timers: event %d: %w", e.Position, err)
		}
		return nil
	case supportcase.InformationProvided{}.EventType(), supportcase.CaseApproved{}.EventType(), supportcase.CaseRejected{}.EventType():
		// The wait ended before the deadline.
		stmt = `UPDATE due_timers SET state = 'cancelled', ended_at = $2, outcome = $3
			WHERE case_number = $1 AND state = 'pending'`
	case supportcase.CaseClosedUnanswered{}.EventType():
		// Fired by an instance that stopped before marking it.
		stmt = `UPDATE due_timers SET state = 'fired', ended_at = $2, outcome = $3, fired_position = $4
			WHERE case_number = $1 AND state = 'pending'`
	default:
		return nil
	}
	var ev caseEvent
	if err := json.Unmarshal(e.Data, &ev); err != nil || ev.CaseNumber == "" {
		return fmt.Errorf("feed timers: event %d (%s): want case_number: %v", e.Position, e.Type, err)
	}
	args := []any{ev.CaseNumber, e.RecordedAt, e.Type}
	if e.Type == (supportcase.CaseClosedUnanswered{}).EventType() {
		args = append(args, int64(e.Position))
	}
	if _, err := tx.Exec(ctx, stmt, args...); err != nil {
		return fmt.Errorf("feed timers: event %d: %w", e.Position, err)
	}
	return nil
}

// due is a claimed timer.
type due struct {
	id, caseNumber string
	at             time.Time
	position       int64
}

// fire claims up to BatchSize timers due now, fires them and marks them.
// It returns how many fired, how many ended (fired or cancelled) and how
// many it claimed.
//
// The claim is a lease, committed at once: the timers are this
// Scheduler's until now + Lease, and no transaction stays open while their
// commands run (an open transaction would hold back the event store's
// horizon, and with it the relay and every projector, for that long). Each
// timer is then marked fired or cancelled if it is still pending; one the
// service found not yet due, or whose command failed, is released for the
// next tick, here or elsewhere, to try again under the same idempotency
// key. A Scheduler that dies holding a lease leaves its timers to be
// claimed once the lease runs out.
func (s *Scheduler) fire(ctx context.Context) (fired, ended, claimed int, err error) {
	now := s.cfg.Now()
	rows, err := s.pool.Query(ctx, `UPDATE due_timers t SET claimed_by = $3, claimed_until = $4
		FROM (SELECT id FROM due_timers
			WHERE state = 'pending' AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) c
		WHERE t.id = c.id
		RETURNING t.id, t.case_number, t.due_at, t.position`, now, s.cfg.BatchSize, s.id, now.Add(s.cfg.Lease))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("claim timers: %w", err)
	}
	var d due
	timers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		err := r.Scan(&d.id, &d.caseNumber, &d.at, &d.position)
		return d, err
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("claim timers: %w", err)
	}
	if len(timers) == 0 {
		return 0, 0, 0, nil
	}
	slices.SortFunc(timers, func(a, b due) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id))
	})
	var errs []error
	b := &pgx.Batch{}
	for _, t := range timers {
		state, outcome, firedAt, err := s.close(ctx, t)
		if err != nil || state == StatePending {
			if err != nil {
				errs = append(errs, err)
			}
			b.Queue(`UPDATE due_timers SET claimed_by = '', claimed_until = NULL
				WHERE id = $1 AND state = 'pending' AND claimed_by = $2`, t.id, s.id)
			continue
		}
		ended++
		if state == StateFired {
			fired++
		}
		// Marked even if the lease ran out meanwhile: whoever fires it
		// too gets the same answer from the command log.
		b.Queue(`UPDATE due_timers SET state = $2, ended_at = $3, outcome = $4, fired_position = $5, claimed_until = NULL
			WHERE id = $1 AND state = 'pending'`, t.id, state, now, outcome, firedAt)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, 0, 0, fmt.Errorf("mark timers: %w", err)
	}
	return fired, ended, len(timers), errors.Join(errs...)
}

// SystemPrincipal is the principal the scheduler's commands run as.
var SystemPrincipal = auth.Staff("system", domain.RoleAdmin)

// close sends CloseUnanswered for t and says what became of the timer: fired
// (with the position of the event, the first answer's on a replay),
// cancelled when the case no longer waits (the feed has not seen the end
// of the wait yet), or still pending when the service's clock finds it
// not yet due; an error for anything to try again.
func (s *Scheduler) close(ctx context.Context, t due) (state, outcome string, position *int64, err error) {
	key := "timer:" + t.id
	res, err := s.closer.CloseUnanswered(ctx, command.Meta{
		Principal:      SystemPrincipal,
		CorrelationID:  key,
		CausationID:    t.id,
		IdempotencyKey: key,
		RequestHash:    key,
		Operation:      "CloseUnanswered",
	}, t.caseNumber)
	var re *domain.RuleError
	switch {
	case err == nil:
		p := int64(res.Position)
		return StateFired, supportcase.CaseClosedUnanswered{}.EventType(), &p, nil
	case errors.As(err, &re) && re.Rule == "supportcase.information_not_overdue":
		return StatePending, "", nil, nil
	case errors.As(err, &re), errors.Is(err, domain.ErrNotFound):
		return StateCancelled, err.Error(), nil, nil
	}
	return "", "", nil, fmt.Errorf("timer %s (case %s): %w", t.id, t.caseNumber, err)
}
