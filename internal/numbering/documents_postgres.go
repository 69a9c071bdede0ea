package numbering

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Kind is a kind of human-readable number.
type Kind struct {
	seq    string
	prefix string
	digits int
}

// The numbered kinds of DOMAIN.md.
var (
	Contact      = Kind{"contact_number_seq", "C-", 6}
	Order        = Kind{"order_number_seq", "ORD-", 7}
	ContractELA  = Kind{"contract_ela_number_seq", "ELA-", 6}
	ContractEasy = Kind{"contract_easy_number_seq", "EASY-", 6}
	Invoice      = Kind{"invoice_number_seq", "INV-", 7}
	License      = Kind{"license_number_seq", "LIC-", 7}
	Case         = Kind{"case_number_seq", "CASE-", 6}
)

// Next allocates n numbers of kind k in one round trip, e.g. ORD-0000042.
// Numbers are unique across processes and never reused: a number drawn by
// a command that is then refused is skipped, not handed out again.
func (a *Allocator) Next(ctx context.Context, k Kind, n int) ([]string, error) {
	if n < 1 || n > 100000 {
		return nil, fmt.Errorf("allocate %d numbers: want 1 to 100000", n)
	}
	rows, err := a.pool.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, k.seq, n)
	if err != nil {
		return nil, fmt.Errorf("allocate %s numbers: %w", k.prefix, err)
	}
	nums, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate %s numbers: %w", k.prefix, err)
	}
	out := make([]string, len(nums))
	for i, v := range nums {
		out[i] = fmt.Sprintf("%s%0*d", k.prefix, k.digits, v)
	}
	return out, nil
}
