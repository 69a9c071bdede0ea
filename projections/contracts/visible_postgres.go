package contracts

import (
	"context"
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
)

// Visible reports whether viewer may see the license agreement number in
// the contract search (Search by the company holding it). The command API
// asks it when the domain refuses a caller as if the agreement did not
// exist: one the caller sees is answered 403, not 404 (API.md).
func Visible(ctx context.Context, q Querier, viewer domain.Principal, number string) (bool, error) {
	v, err := viewOf(ctx, q, viewer)
	if err != nil {
		return false, err
	}
	a := &args{}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+Schema+`.contracts c
		WHERE c.contract_number = `+a.add(number)+` AND `+v.cond(a, "c.account_id", contractRels)+`)`, a.list...).Scan(&ok); err != nil {
		return false, fmt.Errorf("agreement %s: %w", number, err)
	}
	return ok, nil
}
