package order

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one order.
type Command interface {
	// Target is the order number the command addresses.
	Target() string
	isCommand()
}

// SubmitOrder submits a partner's order for an end customer under
// OrderNumber, which the system allocated. Use Submit, which also reserves
// the PO number.
//
// Customer, Partner, PartnerActive, PartnerNotReseller, Distributor and
// POAlreadyUsed are facts the command service loads from other streams in
// the same attempt (and checks in the same atomic append): the customer
// account (ID CustomerAccountID), the submitting partner organisation
// (Exists only if it is a reseller; PartnerActive if its program status is
// active; PartnerNotReseller if it exists but is not a reseller), the
// distributor organisation when DistributorID is set (nil otherwise), and
// whether the stream POReservationStream(PartnerID, PONumber) already holds
// a reservation.
type SubmitOrder struct {
	OrderNumber         string
	PONumber            string
	PODate              string // YYYY-MM-DD
	OrderType           string
	Catalog             string
	Lines               []Line
	CustomerAccountID   string
	PartnerID           string
	DistributorID       string
	DistributorPONumber string
	Comments            string
	PODocumentRef       string

	Customer      domain.OrgRef
	Partner       domain.OrgRef
	PartnerActive bool
	// PartnerNotReseller: the organisation exists and is of no reseller
	// kind (a distributor or advisor alone). Its own contacts may not
	// submit (ErrForbidden); staff naming it break a rule.
	PartnerNotReseller bool
	Distributor        *domain.OrgRef
	POAlreadyUsed      bool

	By domain.Actor
	At time.Time
}

// CancelOrder cancels an order that was not fulfilled yet.
type CancelOrder struct {
	OrderNumber string
	Reason      string
	By          domain.Actor
	At          time.Time
}

// InvoiceDelivery is an account's invoice delivery setting as the command
// service read it: Mode paper or paperless, and the recipients' email
// addresses. An account that never chose is delivered on paper (the zero
// account.InvoiceDelivery), so the command service passes Mode paper for
// it, never an empty Mode. The invoice package validates it
// (invoice.IssueInvoice).
type InvoiceDelivery struct {
	Mode       string
	Recipients []string
}

// FulfilOrder issues an order's licenses and invoice. Use Fulfil, which
// also returns what the license and invoice streams record.
//
// LicenseIDs (one per order line, in line order) and InvoiceNumber were
// allocated by the system. Owner is a fact: the account that now answers
// for the order's customer, which is the customer itself or, if it was
// merged since the order was submitted, the account at the end of its
// merge chain; the command service follows the chain and checks that
// account's version in the same atomic append. InvoiceDelivery is Owner's
// invoice delivery setting and DueDate (YYYY-MM-DD, normally At + 30 days)
// the invoice's due date; both pass unchanged to the InvoiceDraft.
type FulfilOrder struct {
	OrderNumber     string
	LicenseIDs      []string
	InvoiceNumber   string
	InvoiceDelivery InvoiceDelivery
	DueDate         string

	Owner domain.OrgRef

	By domain.Actor
	At time.Time
}

// Target implements Command.
func (c SubmitOrder) Target() string { return c.OrderNumber }

// Target implements Command.
func (c CancelOrder) Target() string { return c.OrderNumber }

// Target implements Command.
func (c FulfilOrder) Target() string { return c.OrderNumber }

func (SubmitOrder) isCommand() {}
func (CancelOrder) isCommand() {}
func (FulfilOrder) isCommand() {}

// StreamID is the event stream of an order.
func StreamID(orderNumber string) string { return "order-" + orderNumber }
