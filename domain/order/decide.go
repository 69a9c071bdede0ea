package order

import (
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
)

// ErrPOUsed reports that the submitting partner already used the PO number
// for another order [seed]. It matches domain.ErrDuplicate.
var ErrPOUsed = fmt.Errorf("order: PO number already used by this partner: %w", domain.ErrDuplicate)

// Decide decides cmd against the order's state s and returns the events of
// the order stream, or an error matching domain.ErrValidation,
// ErrRuleViolation, ErrForbidden, ErrNotFound or ErrDuplicate.
//
// For SubmitOrder and FulfilOrder the order stream is only part of the
// outcome: the command service calls Submit and Fulfil, which decide with
// Decide and add what the other streams record.
//
// Every decision checks, in this order: who may ask as far as that does not
// depend on the order (so a refusal tells nothing about it); the command's
// fields, every problem at once; that the order exists (or, for
// SubmitOrder, does not); who may ask of this order; the business rules.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case SubmitOrder:
		return submit(s, c)
	case CancelOrder:
		return cancel(s, c)
	case FulfilOrder:
		return fulfil(s, c)
	}
	return nil, domain.Rule("order.unknown_command", "unknown order command %T", cmd)
}

// isStaff reports whether by is staff who act on orders: admin or support.
func isStaff(by domain.Actor) bool {
	return by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport)
}

// notOpen refuses a command on an order that was cancelled or fulfilled:
// both end the order.
func notOpen(s State, what string) error {
	switch s.Status {
	case StatusCancelled:
		return domain.Rule("order.cancelled", "order %s was cancelled: it cannot be %s", s.Number, what)
	case StatusFulfilled:
		return domain.Rule("order.fulfilled", "order %s was fulfilled: it cannot be %s", s.Number, what)
	}
	return nil
}
