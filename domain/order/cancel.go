package order

import "github.com/channeldesk/channeldesk/domain"

func cancel(s State, c CancelOrder) ([]domain.Event, error) {
	// Who may ask, as far as it does not depend on the order: staff, or a
	// partner contact that may act for its partner.
	switch {
	case isStaff(c.By):
	case c.By.Kind == domain.KindPartner:
		if err := c.By.PartnerMayAct(); err != nil {
			return nil, err
		}
	default:
		return nil, domain.Forbidden("only the submitting partner, or admin or support staff, cancels an order")
	}

	var p domain.Problems
	if !ValidNumber(c.OrderNumber) {
		p.Add("order_number", "must be ORD- and seven digits, e.g. ORD-0000042")
	}
	reason := checkLongText(&p, "reason", c.Reason, MaxReasonLen, true)
	if err := p.Err(); err != nil {
		return nil, err
	}

	// A state folded from another order's stream must not be cancelled in
	// this command's name.
	if !s.Exists() || s.Number != c.OrderNumber {
		return nil, domain.ErrNotFound
	}
	if c.By.Kind == domain.KindPartner && c.By.PartnerID != s.PartnerID {
		// The distributor on the order may see it (DOMAIN.md, order
		// search) and is told why it may not cancel; any other partner is
		// not associated with the order and may not learn it exists.
		if s.DistributorID != "" && c.By.PartnerID == s.DistributorID {
			return nil, domain.Forbidden("only the submitting partner %s, or staff, cancels order %s", s.PartnerID, s.Number)
		}
		return nil, domain.ErrNotFound
	}
	if err := notOpen(s, "cancelled"); err != nil {
		return nil, err
	}
	return []domain.Event{Cancelled{OrderNumber: s.Number, Reason: reason}}, nil
}
