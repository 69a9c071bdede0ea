package numbering

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Kind is a kind of human-readable number.
type Kind string

// The numbered kinds of DOMAIN.md.
const (
	Contact      Kind = "contact"
	Order        Kind = "order"
	ContractELA  Kind = "contract_ela"
	ContractEasy Kind = "contract_easy"
	Invoice      Kind = "invoice"
	License      Kind = "license"
	Case         Kind = "case"
)

// format returns the sequence, prefix and digits of kind k.
func (k Kind) format() (seq, prefix string, digits int, ok bool) {
	switch k {
	case Contact:
		return "contact_number_seq", "C-", 6, true
	case Order:
		return "order_number_seq", "ORD-", 7, true
	case ContractELA:
		return "contract_ela_number_seq", "ELA-", 6, true
	case ContractEasy:
		return "contract_easy_number_seq", "EASY-", 6, true
	case Invoice:
		return "invoice_number_seq", "INV-", 7, true
	case License:
		return "license_number_seq", "LIC-", 7, true
	case Case:
		return "case_number_seq", "CASE-", 6, true
	}
	return "", "", 0, false
}

// Next allocates n numbers of kind k in one round trip, e.g. ORD-0000042.
// Numbers are unique across processes and never reused: a number drawn by
// a command that is then refused is skipped, not handed out again.
func (a *Allocator) Next(ctx context.Context, k Kind, n int) ([]string, error) {
	seq, prefix, digits, ok := k.format()
	if !ok {
		return nil, fmt.Errorf("allocate numbers: unknown kind %q", k)
	}
	if n < 1 || n > 100000 {
		return nil, fmt.Errorf("allocate %d numbers: want 1 to 100000", n)
	}
	rows, err := a.pool.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
	if err != nil {
		return nil, fmt.Errorf("allocate %s numbers: %w", prefix, err)
	}
	nums, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate %s numbers: %w", prefix, err)
	}
	out := make([]string, len(nums))
	for i, v := range nums {
		out[i] = fmt.Sprintf("%s%0*d", prefix, digits, v)
	}
	return out, nil
}
