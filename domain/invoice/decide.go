package invoice

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// MaxPOLen is the longest PO number, in characters, as for orders.
const MaxPOLen = 50

// System-allocated numbers: a prefix and seven digits, more once seven are
// used up (internal/numbering), never with a superfluous leading zero.
var ()

// ValidNumber reports whether n has the form of an invoice number, e.g.
// INV-0000042.
func ValidNumber(n string) bool { return ids.Invoice(n) }

// Decide decides cmd against the invoice's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation,
// ErrForbidden or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case IssueInvoice:
		return issue(s, c)
	}
	return nil, domain.Rule("invoice.unknown_command", "unknown invoice command %T", cmd)
}

// issue records an invoice once. Only admin or support staff issue
// invoices, and only as part of fulfilling an order (order.Fulfil): there
// is no other way in.
func issue(s State, c IssueInvoice) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff issue invoices, by fulfilling an order")
	}

	var p domain.Problems
	if !ValidNumber(c.InvoiceNumber) {
		p.Add("invoice_number", "must be INV- and seven digits, e.g. INV-0000042")
	}
	if !ids.Order(c.OrderNumber) {
		p.Add("order_number", "must be ORD- and seven digits, e.g. ORD-0000042")
	}
	if !ids.Org(c.AccountID) {
		p.Add("account_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	po := strings.TrimSpace(c.PONumber)
	switch {
	case po == "":
		p.Add("po_number", "is required")
	case !printable(po):
		p.Add("po_number", "must be printable characters (no control, format or line-breaking characters)")
	case utf8.RuneCountInString(po) > MaxPOLen:
		p.Add("po_number", "must be at most %d characters", MaxPOLen)
	}
	if c.AmountMinor < 0 {
		p.Add("amount_minor", "must not be negative")
	}
	if _, ok := geo.Currency(c.Currency); !ok {
		p.Add("currency", "must be an ISO 4217 code such as EUR, USD or JPY")
	}
	y, m, d := c.At.UTC().Date()
	issued := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	issuedOn := issued.Format(time.DateOnly)
	if due, err := time.Parse(time.DateOnly, c.DueDate); err != nil || due.Format(time.DateOnly) != c.DueDate {
		p.Add("due_date", "must be a date written YYYY-MM-DD")
	} else if due.Before(issued) {
		p.Add("due_date", "must not be before the date of issue, %s", issuedOn)
	}
	checkDelivery(&p, c.Delivery)
	if err := p.Err(); err != nil {
		return nil, err
	}

	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	return []domain.Event{Issued{
		InvoiceNumber: c.InvoiceNumber,
		OrderNumber:   c.OrderNumber,
		AccountID:     c.AccountID,
		PONumber:      po,
		AmountMinor:   c.AmountMinor,
		Currency:      c.Currency,
		IssuedOn:      issuedOn,
		DueDate:       c.DueDate,
		Delivery:      Delivery{Mode: c.Delivery.Mode, Recipients: append([]string(nil), c.Delivery.Recipients...)},
	}}, nil
}

// checkDelivery enforces DOMAIN.md: paperless delivery needs at least one
// recipient email and may add more [seed][public]; paper delivery has no
// email recipients. Each address appears once, compared without regard to
// case.
func checkDelivery(p *domain.Problems, d Delivery) {
	switch d.Mode {
	case DeliveryPaperless:
		if len(d.Recipients) == 0 {
			p.Add("delivery.recipients", "paperless delivery needs at least one recipient email address")
		}
	case DeliveryPaper:
		if len(d.Recipients) > 0 {
			p.Add("delivery.recipients", "paper delivery has no email recipients")
		}
		return
	default:
		p.Add("delivery.mode", "must be paper or paperless")
		return
	}
	seen := map[string]bool{}
	for i, r := range d.Recipients {
		f := fmt.Sprintf("delivery.recipients[%d]", i)
		switch _, ok := names.EmailDomain(r); {
		case !ok:
			p.Add(f, "must be an email address such as ap@acme.example")
		case seen[strings.ToLower(r)]:
			p.Add(f, "repeats %s", r)
		}
		seen[strings.ToLower(r)] = true
	}
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
