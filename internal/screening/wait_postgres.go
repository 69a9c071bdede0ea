package screening

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Wait is how long a principal denied access for an embargo hold may not
// retry (DOMAIN.md [seed]: "a mandatory 6 hour waiting period").
const Wait = 6 * time.Hour

// Waits keeps the wait of every denied principal in PostgreSQL, so that it
// survives restarts and is the same on every instance. It is safe for
// concurrent use, across processes too.
//
// A principal's wait starts at its first denial for a hold; further
// denials within it answer the same instant. One after the wait ran out,
// with the hold still in place, is a new denial and starts a new wait.
// Clearing the hold ends the wait at once: the API asks only while a hold
// stands, and a hold placed later is another hold with a wait of its own.
type Waits struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewWaits returns the Waits kept in pool; now is the clock (time.Now if
// nil).
func NewWaits(pool *pgxpool.Pool, now func() time.Time) *Waits {
	if now == nil {
		now = time.Now
	}
	return &Waits{pool: pool, now: now}
}

// Migrate creates or updates the table of denials.
func (w *Waits) Migrate(ctx context.Context) error {
	return pgmigrate.Up(ctx, w.pool, migrations, "goose_screening")
}

// Deny records that principalID was denied access because of hold (an
// identifier of the hold, the same on every request while it stands) and
// returns when it may try again: Wait after its first denial for that
// hold, or after now if that wait ran out.
func (w *Waits) Deny(ctx context.Context, principalID, hold string) (time.Time, error) {
	now := w.now().UTC()
	// The row changes only when its wait no longer applies; otherwise the
	// upsert returns nothing and the standing denial is read, in a second
	// statement that sees a row another instance has just written.
	var at time.Time
	err := w.pool.QueryRow(ctx, `
		INSERT INTO embargo_denials (principal_id, hold, denied_at) VALUES ($1, $2, $3)
		ON CONFLICT (principal_id) DO UPDATE SET hold = excluded.hold, denied_at = excluded.denied_at
		WHERE embargo_denials.hold <> excluded.hold OR embargo_denials.denied_at <= $4
		RETURNING denied_at`, principalID, hold, now, now.Add(-Wait)).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		err = w.pool.QueryRow(ctx, `SELECT denied_at FROM embargo_denials WHERE principal_id = $1`, principalID).Scan(&at)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("record embargo denial of %s: %w", principalID, err)
	}
	return at.UTC().Add(Wait), nil
}
