package account

import (
	"fmt"
	"slices"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/names"
)

func setInvoiceDelivery(s State, c SetInvoiceDelivery) ([]domain.Event, error) {
	// DOMAIN.md [seed]: partners and distributors cannot choose it for a
	// customer. Said plainly, rather than as the general refusal.
	if c.By.Kind == domain.KindPartner {
		return nil, domain.Forbidden("partners and distributors cannot choose invoice delivery for a customer")
	}
	validate := func(p *domain.Problems) {
		switch c.Mode {
		case DeliveryPaper:
			if len(c.Recipients) > 0 {
				p.Add("recipients", "must be empty for paper delivery")
			}
		case DeliveryPaperless:
			if len(c.Recipients) == 0 {
				p.Add("recipients", "paperless delivery needs at least one recipient email")
			}
			if len(c.Recipients) > MaxRecipients {
				p.Add("recipients", "at most %d recipients", MaxRecipients)
			}
			for i, r := range c.Recipients {
				field := fmt.Sprintf("recipients[%d]", i)
				if _, ok := names.EmailDomain(r); !ok {
					p.Add(field, "must be an email address such as ap@acme.example")
				} else if slices.ContainsFunc(c.Recipients[:i], func(o string) bool { return strings.EqualFold(o, r) }) {
					p.Add(field, "%s is listed twice", r)
				}
			}
		default:
			p.Add("mode", "must be paper or paperless")
		}
	}
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if s.InvoiceDelivery.Mode == c.Mode && slices.Equal(s.InvoiceDelivery.Recipients, c.Recipients) {
			return nil, domain.Rule("account.invoice_delivery_unchanged", "invoices are already delivered this way")
		}
		return []domain.Event{InvoiceDeliverySet{AccountID: s.ID, Mode: c.Mode, Recipients: slices.Clone(c.Recipients)}}, nil
	})
}
