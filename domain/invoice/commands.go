package invoice

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one invoice.
type Command interface {
	// Target is the invoice number the command addresses.
	Target() string
	isCommand()
}

// IssueInvoice issues the invoice InvoiceNumber (allocated by the system)
// for a fulfilled order. The command service fills it from the
// order.InvoiceDraft of order.Fulfil, with the same By and At; the invoice
// is issued on At's date (UTC). Delivery is the owning account's invoice
// delivery setting at that moment, with an explicit mode: paper for an
// account that never chose.
type IssueInvoice struct {
	InvoiceNumber string
	OrderNumber   string
	AccountID     string
	PONumber      string
	AmountMinor   int64
	Currency      string
	DueDate       string // YYYY-MM-DD
	Delivery      Delivery
	By            domain.Actor
	At            time.Time
}

// Target implements Command.
func (c IssueInvoice) Target() string { return c.InvoiceNumber }

func (IssueInvoice) isCommand() {}

// StreamID is the event stream of an invoice.
func StreamID(invoiceNumber string) string { return "invoice-" + invoiceNumber }
