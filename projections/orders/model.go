package orders

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
)

// orderRow is one order row.
type orderRow struct {
	number, poNumber, poNorm  string
	poDate                    time.Time
	orderType, catalog        string
	lines                     []byte // the lines as a JSON array
	currency                  string
	totalMinor                int64
	customer, partner         string
	formerCustomers           []string // the accounts it answered under before, in order
	distributor               string
	distributorPO, distPONorm string
	status                    string
	invoiceNumber             string
	licenseIDs                []string
	submittedAt, updatedAt    time.Time
	position                  int64
}

// invoiceRow is one invoice row. Besides the invoice's own fields it keeps
// what visibility needs of its order: the account the order answers under
// now (customer, which a merge moves; account is the account billed, which
// stays), its partner and distributor, and the distributor's PO number.
type invoiceRow struct {
	number, orderNumber  string
	account, customer    string
	partner, distributor string
	poNumber, poNorm     string
	distPONorm           string
	amountMinor          int64
	currency             string
	issuedOn, dueDate    time.Time
	deliveryMode         string
	issuedAt             time.Time
	position             int64
}

// builder applies events to order and invoice rows in memory. Apply loads
// the rows a batch touches into one, applies the batch and writes back
// what changed; a rebuild folds the whole history into one (NewFold).
// What it does depends only on the events, in order, so both end with the
// same rows.
type builder struct {
	orders   map[string]*orderRow
	invoices map[string]*invoiceRow
	// The orders and invoices created through this builder, in event order
	// (a fold writes its rows in this order).
	orderSeq, invoiceSeq []string
	// What changed; nil in a fold, which writes everything.
	dirtyOrders, dirtyInvoices map[string]bool
}

func newBuilder(tracked bool) *builder {
	b := &builder{orders: map[string]*orderRow{}, invoices: map[string]*invoiceRow{}}
	if tracked {
		b.dirtyOrders, b.dirtyInvoices = map[string]bool{}, map[string]bool{}
	}
	return b
}

func mark(dirty map[string]bool, key string) {
	if dirty != nil {
		dirty[key] = true
	}
}

func (b *builder) touchOrder(o *orderRow, e *eventstore.Event) {
	o.updatedAt, o.position = e.RecordedAt, int64(e.Position)
	mark(b.dirtyOrders, o.number)
}

// Status values of an order row (order.Status*).
const (
	statusSubmitted = order.StatusSubmitted
	statusCancelled = order.StatusCancelled
	statusFulfilled = order.StatusFulfilled
)

// add applies one event decoded by Projection.decode. It fails only on a
// payload the domain would never have recorded (a date that is no date):
// skipping it would silently lose an order.
func (b *builder) add(e *eventstore.Event, ev domain.Event) error {
	switch ev := ev.(type) {
	case order.Submitted:
		if b.orders[ev.OrderNumber] != nil {
			return nil // numbers are never reused: the first submission stands
		}
		poDate, err := date(e, "po_date", ev.PODate)
		if err != nil {
			return err
		}
		lines, err := json.Marshal(ev.Lines)
		if err != nil {
			return fmt.Errorf("event %d: lines: %w", e.Position, err)
		}
		if ev.Lines == nil {
			lines = []byte("[]")
		}
		o := &orderRow{
			number: ev.OrderNumber, poNumber: ev.PONumber, poNorm: order.NormalisePO(ev.PONumber), poDate: poDate,
			orderType: ev.OrderType, catalog: ev.Catalog, lines: lines, currency: ev.Currency, totalMinor: ev.TotalMinor,
			customer: ev.CustomerAccountID, partner: ev.PartnerID, distributor: ev.DistributorID,
			distributorPO: ev.DistributorPONumber, distPONorm: order.NormalisePO(ev.DistributorPONumber),
			status: statusSubmitted, licenseIDs: []string{}, formerCustomers: []string{}, submittedAt: e.RecordedAt,
		}
		b.orders[o.number] = o
		b.orderSeq = append(b.orderSeq, o.number)
		b.touchOrder(o, e)
	case order.Cancelled:
		if o := b.orders[ev.OrderNumber]; o != nil {
			o.status = statusCancelled
			b.touchOrder(o, e)
		}
	case order.Fulfilled:
		if o := b.orders[ev.OrderNumber]; o != nil {
			o.status, o.invoiceNumber = statusFulfilled, ev.InvoiceNumber
			o.licenseIDs = slices.Clone(ev.LicenseIDs)
			if o.licenseIDs == nil {
				o.licenseIDs = []string{}
			}
			b.touchOrder(o, e)
		}
	case order.CustomerChanged:
		if o := b.orders[ev.OrderNumber]; o != nil && o.customer != ev.ToAccountID {
			if !slices.Contains(o.formerCustomers, o.customer) {
				o.formerCustomers = append(slices.Clip(o.formerCustomers), o.customer)
			}
			o.customer = ev.ToAccountID
			b.touchOrder(o, e)
			// The invoice stays billed to the account it was issued to, but
			// answers under the order's account, as the order does.
			if inv := b.invoices[o.invoiceNumber]; inv != nil && o.invoiceNumber != "" {
				inv.customer, inv.position = ev.ToAccountID, int64(e.Position)
				mark(b.dirtyInvoices, inv.number)
			}
		}
	case invoice.Issued:
		if b.invoices[ev.InvoiceNumber] != nil {
			return nil
		}
		issuedOn, err := date(e, "issued_on", ev.IssuedOn)
		if err != nil {
			return err
		}
		due, err := date(e, "due_date", ev.DueDate)
		if err != nil {
			return err
		}
		inv := &invoiceRow{
			number: ev.InvoiceNumber, orderNumber: ev.OrderNumber, account: ev.AccountID, customer: ev.AccountID,
			poNumber: ev.PONumber, poNorm: order.NormalisePO(ev.PONumber), amountMinor: ev.AmountMinor,
			currency: ev.Currency, issuedOn: issuedOn, dueDate: due, deliveryMode: ev.Delivery.Mode,
			issuedAt: e.RecordedAt, position: int64(e.Position),
		}
		if o := b.orders[ev.OrderNumber]; o != nil {
			inv.customer, inv.partner, inv.distributor, inv.distPONorm = o.customer, o.partner, o.distributor, o.distPONorm
		}
		b.invoices[inv.number] = inv
		b.invoiceSeq = append(b.invoiceSeq, inv.number)
		mark(b.dirtyInvoices, inv.number)
	}
	return nil
}

// date parses a YYYY-MM-DD field of e's payload.
func date(e *eventstore.Event, field, v string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("event %d (%s): %s %q is not a YYYY-MM-DD date", e.Position, e.Type, field, v)
	}
	return t, nil
}
