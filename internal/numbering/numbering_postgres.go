package numbering

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Allocator draws identifiers. It is safe for concurrent use.
type Allocator struct {
	pool *pgxpool.Pool
}

// New returns an Allocator on pool.
func New(pool *pgxpool.Pool) *Allocator { return &Allocator{pool: pool} }

// Migrate creates the sequences.
func (a *Allocator) Migrate(ctx context.Context) error {
	return pgmigrate.Up(ctx, a.pool, migrations, "goose_numbering")
}

// NextOrgID returns a new organisation ID (customer, partner or
// distributor): six digits and a two-letter suffix.
func (a *Allocator) NextOrgID(ctx context.Context) (string, error) {
	nums, err := a.nextOrgNumbers(ctx, 1)
	if err != nil {
		return "", err
	}
	return OrgID(nums[0])
}

// nextOrgNumbers draws n organisation numbers in one round trip.
func (a *Allocator) nextOrgNumbers(ctx context.Context, n int) ([]int64, error) {
	rows, err := a.pool.Query(ctx, `SELECT nextval('org_number_seq') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("allocate organisation ID: %w", err)
	}
	nums, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate organisation ID: %w", err)
	}
	return nums, nil
}

// orgsPerSuffix is how many IDs one suffix holds: 100000 to 999999.
const orgsPerSuffix = 900000

// OrgID maps the n-th organisation (from 0) to its ID: 100000HQ, 100001HQ,
// … 999999HQ, then 100000HA and on through the other suffixes. It fails
// once all 676 suffixes are used up.
func OrgID(n int64) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("organisation number %d out of range", n)
	}
	k := n / orgsPerSuffix
	if k >= 26*26 {
		return "", fmt.Errorf("organisation IDs exhausted at %d", n)
	}
	// "HQ" first, as organisations are known by; then every other pair.
	s := (int64('H'-'A')*26 + int64('Q'-'A') + k) % (26 * 26)
	return fmt.Sprintf("%06d%c%c", 100000+n%orgsPerSuffix, 'A'+s/26, 'A'+s%26), nil
}
