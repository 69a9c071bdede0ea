package order

import (
	"fmt"
	"slices"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
)

// LicenseGrant is one license that fulfilling an order issues. Its fields
// are those of a license.IssueLicense (with FulfilOrder.Owner as its Owner
// fact), which records license.issued on the stream of LicenseID; the
// command service also records account.license_attached on the owner
// account's stream. MaintenanceEnd (YYYY-MM-DD) is the order's PO date plus
// one year, as time.AddDate counts it (29 February + 1 year is 1 March).
type LicenseGrant struct {
	LicenseID      string
	Product        string
	Edition        string
	Quantity       int
	OwnerAccountID string
	SourceOrder    string
	MaintenanceEnd string
}

// InvoiceDraft is the invoice that fulfilling an order issues: the command
// service passes it, field for field, to invoice.Decide as an
// invoice.IssueInvoice with the same By and At, which validates it (the
// delivery setting and due date in particular) and records invoice.issued.
type InvoiceDraft struct {
	InvoiceNumber string
	OrderNumber   string
	AccountID     string
	PONumber      string
	AmountMinor   int64
	Currency      string
	DueDate       string
	Delivery      InvoiceDelivery
}

// Fulfilment is the outcome of fulfilling an order on every stream it
// touches.
type Fulfilment struct {
	// Order holds order.fulfilled on the order's stream.
	Order domain.StreamEvents
	// Licenses holds one grant per order line, in line order.
	Licenses []LicenseGrant
	// Invoice is the order's invoice: the lines' total in their currency.
	Invoice InvoiceDraft
}

// Fulfil decides a FulfilOrder: who may ask (admin or support staff), that
// the order was submitted and neither cancelled nor fulfilled, one license
// ID per line, and that Owner is an active account. It returns the order's
// event and, as plain values, the licenses and the invoice to issue.
//
// Fulfil is multi-aggregate but imports neither the license nor the
// invoice package: an aggregate package never imports another (DOMAIN-
// DESIGN.md), and the event types license.issued and invoice.issued belong
// to the packages of their categories. So the command service decides each
// LicenseGrant with license.Decide (IssueLicense, giving license.Issued)
// and adds account.license_attached, decides the InvoiceDraft with
// invoice.Decide (IssueInvoice), and appends all of it with the order's
// event in one atomic append. If any of those decisions refuses, nothing is
// appended. Errors are those of Decide, or a plain error when the stored PO
// date is damaged.
func Fulfil(s State, c FulfilOrder) (Fulfilment, error) {
	evs, err := fulfil(s, c)
	if err != nil {
		return Fulfilment{}, err
	}
	poDate, ok := parseDate(s.PODate)
	if !ok {
		// Submit validated it: the stored event is damaged.
		return Fulfilment{}, fmt.Errorf("order %s: stored po_date %q is not a YYYY-MM-DD date", s.Number, s.PODate)
	}
	maintenanceEnd := poDate.AddDate(1, 0, 0).Format(time.DateOnly)
	grants := make([]LicenseGrant, len(s.Lines))
	for i, l := range s.Lines {
		grants[i] = LicenseGrant{
			LicenseID:      c.LicenseIDs[i],
			Product:        l.Product,
			Edition:        l.Edition,
			Quantity:       l.Quantity,
			OwnerAccountID: c.Owner.ID,
			SourceOrder:    s.Number,
			MaintenanceEnd: maintenanceEnd,
		}
	}
	return Fulfilment{
		Order:    domain.StreamEvents{StreamID: StreamID(s.Number), Events: evs},
		Licenses: grants,
		Invoice: InvoiceDraft{
			InvoiceNumber: c.InvoiceNumber,
			OrderNumber:   s.Number,
			AccountID:     c.Owner.ID,
			PONumber:      s.PONumber,
			AmountMinor:   s.TotalMinor,
			Currency:      s.Currency,
			DueDate:       c.DueDate,
			Delivery: InvoiceDelivery{
				Mode:       c.InvoiceDelivery.Mode,
				Recipients: slices.Clone(c.InvoiceDelivery.Recipients),
			},
		},
	}, nil
}

func fulfil(s State, c FulfilOrder) ([]domain.Event, error) {
	if !isStaff(c.By) {
		return nil, domain.Forbidden("only admin or support staff fulfil orders")
	}

	var p domain.Problems
	if !ValidNumber(c.OrderNumber) {
		p.Add("order_number", "must be ORD- and seven digits, e.g. ORD-0000042")
	}
	if !ids.Invoice(c.InvoiceNumber) {
		p.Add("invoice_number", "must be INV- and seven digits, e.g. INV-0000042")
	}
	seen := map[string]bool{}
	for i, id := range c.LicenseIDs {
		f := fmt.Sprintf("license_ids[%d]", i)
		switch {
		case !ids.License(id):
			p.Add(f, "must be LIC- and seven digits, e.g. LIC-0000042")
		case seen[id]:
			p.Add(f, "repeats license ID %s: every line gets its own license", id)
		}
		seen[id] = true
	}
	if err := p.Err(); err != nil {
		return nil, err
	}

	if !s.Exists() || s.Number != c.OrderNumber {
		return nil, domain.ErrNotFound
	}
	if err := notOpen(s, "fulfilled"); err != nil {
		return nil, err
	}
	if len(c.LicenseIDs) != len(s.Lines) {
		p.Add("license_ids", "must hold one license ID per order line: %d, not %d", len(s.Lines), len(c.LicenseIDs))
		return nil, p.Err()
	}
	if o := c.Owner; !o.Exists || !ids.Org(o.ID) {
		return nil, domain.Rule("order.owner_unknown", "there is no account %q to own the licenses of order %s", o.ID, s.Number)
	} else if o.MergedInto != "" {
		return nil, domain.Rule("order.owner_merged",
			"account %s was merged into %s: the licenses and the invoice go to the account the merge chain ends at", o.ID, o.MergedInto)
	}

	return []domain.Event{Fulfilled{
		OrderNumber:    s.Number,
		LicenseIDs:     slices.Clone(c.LicenseIDs),
		InvoiceNumber:  c.InvoiceNumber,
		OwnerAccountID: c.Owner.ID,
	}}, nil
}
