package order

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// ReasonMerge is recorded by CustomerChanged when the order's customer was
// merged into another account.
const ReasonMerge = "merge"

// CustomerChanged: the order now answers under another customer account,
// for Reason (ReasonMerge: its customer was merged into ToAccountID).
type CustomerChanged struct {
	OrderNumber   string `json:"order_number"`
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
	Reason        string `json:"reason"`
}

// EventType implements domain.Event.
func (CustomerChanged) EventType() string { return "order.customer_changed" }

// SchemaVersion implements domain.Event.
func (CustomerChanged) SchemaVersion() int { return 1 }

// Move decides that order s follows its customer into account to, which the
// customer was merged into. It is pure, and called by the command service
// for every order the merged account holds, in the same atomic append as
// the merge itself; at is the merge's time, which the event envelope
// records. Only admin or support staff merge accounts. A cancelled or
// fulfilled order moves too: it is part of the account's history. The
// submitting partner, the distributor and, for a fulfilled order, the
// account its licenses and invoice were issued to stay as they were: the
// licenses move by their own events, the invoice stays with the account
// that was billed.
func Move(s State, to string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	if !isStaff(by) {
		return nil, domain.Forbidden("only admin or support staff merge accounts")
	}
	var p domain.Problems
	checkOrgID(&p, "to_account_id", to, true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !s.Exists() {
		return nil, domain.ErrNotFound
	}
	if to == s.CustomerAccountID {
		return nil, domain.Rule("order.customer_unchanged", "order %s already answers under account %s", s.Number, to)
	}
	return []domain.Event{CustomerChanged{OrderNumber: s.Number, FromAccountID: s.CustomerAccountID, ToAccountID: to, Reason: ReasonMerge}}, nil
}
