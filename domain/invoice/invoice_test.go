package invoice_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/invoice"
)

type scenario = domaintest.Scenario[invoice.State, invoice.Command]

var aggregate = domaintest.Aggregate[invoice.State, invoice.Command]{Evolve: invoice.Evolve, Decide: invoice.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

const (
	invoiceNo  = "INV-0000007"
	orderNo    = "ORD-0000042"
	customerID = "123456HQ"
	poNumber   = "PO-2025/0042"
)

// at is late on 14 March in UTC, already 15 March east of it: the invoice
// is dated in UTC.
var at = time.Date(2025, 3, 14, 23, 30, 0, 0, time.UTC)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

var (
	admin   = staff("alice", domain.RoleAdmin)
	support = staff("sam", domain.RoleSupport)
	partner = domain.Actor{
		Principal:    domain.Principal{ID: "partner:777777PA/C-000001", Kind: domain.KindPartner, PartnerID: "777777PA", ContactID: "C-000001"},
		ContactKnown: true, ContactRoles: []string{domain.ContactOrgAdmin}, ContactAccess: domain.AccessUnrestricted, PartnerStatus: domain.PartnerActive,
	}
	customer = domain.Actor{
		Principal:    domain.Principal{ID: "customer:" + customerID + "/C-000009", Kind: domain.KindCustomer, AccountID: customerID, ContactID: "C-000009"},
		ContactKnown: true, ContactRoles: []string{domain.ContactBilling}, ContactAccess: domain.AccessUnrestricted,
	}
)

func paperless() invoice.Delivery {
	return invoice.Delivery{Mode: invoice.DeliveryPaperless, Recipients: []string{"ap@acme.example", "cfo@acme.example"}}
}

// issuing is a valid IssueInvoice by admin staff, edited by edit.
func issuing(edit func(*invoice.IssueInvoice)) invoice.IssueInvoice {
	c := invoice.IssueInvoice{
		InvoiceNumber: invoiceNo,
		OrderNumber:   orderNo,
		AccountID:     customerID,
		PONumber:      poNumber,
		AmountMinor:   1399750,
		Currency:      "EUR",
		DueDate:       "2025-04-13",
		Delivery:      paperless(),
		By:            admin,
		At:            at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

func issued() invoice.Issued {
	return invoice.Issued{
		InvoiceNumber: invoiceNo,
		OrderNumber:   orderNo,
		AccountID:     customerID,
		PONumber:      poNumber,
		AmountMinor:   1399750,
		Currency:      "EUR",
		IssuedOn:      "2025-03-14",
		DueDate:       "2025-04-13",
		Delivery:      paperless(),
	}
}

func TestIssueInvoice(t *testing.T) {
	accepted := func(name string, edit func(*invoice.IssueInvoice), want func(*invoice.Issued)) scenario {
		e := issued()
		if want != nil {
			want(&e)
		}
		return scenario{Name: "IssueInvoice/" + name, When: issuing(edit), Then: events(e)}
	}
	as := func(a domain.Actor) func(*invoice.IssueInvoice) { return func(c *invoice.IssueInvoice) { c.By = a } }
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "IssueInvoice/who: " + name, When: issuing(as(a)), Then: fails(domain.ErrForbidden)}
	}
	bad := func(name string, edit func(*invoice.IssueInvoice), fields ...string) scenario {
		return scenario{Name: "IssueInvoice/" + name, When: issuing(edit), Then: invalid(fields...)}
	}
	recipients := func(rs ...string) func(*invoice.IssueInvoice) {
		return func(c *invoice.IssueInvoice) { c.Delivery.Recipients = rs }
	}

	cases := []scenario{
		accepted("happy path: admin staff issue a fulfilled order's invoice, delivered paperless; dated At's UTC date", nil, nil),
		accepted("who: support staff may issue", as(support), nil),
		accepted("delivery: paperless to one recipient",
			recipients("ap@acme.example"), func(e *invoice.Issued) { e.Delivery.Recipients = []string{"ap@acme.example"} }),
		accepted("delivery: paper, without recipients",
			func(c *invoice.IssueInvoice) { c.Delivery = invoice.Delivery{Mode: invoice.DeliveryPaper} },
			func(e *invoice.Issued) { e.Delivery = invoice.Delivery{Mode: invoice.DeliveryPaper} }),
		accepted("amount: a free order's invoice is for 0",
			func(c *invoice.IssueInvoice) { c.AmountMinor = 0 }, func(e *invoice.Issued) { e.AmountMinor = 0 }),
		accepted("currency: minor units are the currency's own (JPY has none)",
			func(c *invoice.IssueInvoice) { c.Currency, c.AmountMinor = "JPY", 2300000 },
			func(e *invoice.Issued) { e.Currency, e.AmountMinor = "JPY", 2300000 }),
		accepted("due date: may be the day of issue",
			func(c *invoice.IssueInvoice) { c.DueDate = "2025-03-14" }, func(e *invoice.Issued) { e.DueDate = "2025-03-14" }),
		accepted("issued on: the UTC date of At, whatever At's zone",
			func(c *invoice.IssueInvoice) { c.At = at.In(time.FixedZone("UTC+10", 10*3600)) }, nil),
		accepted("PO number: recorded without surrounding white space",
			func(c *invoice.IssueInvoice) { c.PONumber = " " + poNumber + " " }, nil),

		refused("a partner may not issue", partner),
		refused("a customer contact may not issue", customer),
		refused("an auditor may not issue", staff("audrey", domain.RoleAuditor)),
		refused("compliance may not issue", staff("colin", domain.RoleCompliance)),
		refused("an integration may not issue: invoices come only from fulfilment", staff("svc-erp", domain.RoleIntegration)),
		refused("staff without roles may not issue", staff("nobody")),
		refused("the zero actor may not issue", domain.Actor{}),
		{Name: "IssueInvoice/who: checked before validation", When: issuing(func(c *invoice.IssueInvoice) { c.By, c.InvoiceNumber = partner, "" }),
			Then: fails(domain.ErrForbidden)},

		bad("invoice number form: required", func(c *invoice.IssueInvoice) { c.InvoiceNumber = "" }, "invoice_number"),
		bad("invoice number form: INV- and seven digits", func(c *invoice.IssueInvoice) { c.InvoiceNumber = "INV-7" }, "invoice_number"),
		bad("order number form", func(c *invoice.IssueInvoice) { c.OrderNumber = "ORD-0000042 " }, "order_number"),
		bad("account ID form", func(c *invoice.IssueInvoice) { c.AccountID = "123456" }, "account_id"),
		bad("PO number: required", func(c *invoice.IssueInvoice) { c.PONumber = "" }, "po_number"),
		bad("PO number: printable", func(c *invoice.IssueInvoice) { c.PONumber = "PO\n42" }, "po_number"),
		bad("PO number: at most 50 characters", func(c *invoice.IssueInvoice) { c.PONumber = strings.Repeat("p", invoice.MaxPOLen+1) }, "po_number"),
		bad("amount: not negative", func(c *invoice.IssueInvoice) { c.AmountMinor = -1 }, "amount_minor"),
		bad("currency: an ISO 4217 code", func(c *invoice.IssueInvoice) { c.Currency = "eur" }, "currency"),
		bad("currency: required", func(c *invoice.IssueInvoice) { c.Currency = "" }, "currency"),
		bad("due date: required", func(c *invoice.IssueInvoice) { c.DueDate = "" }, "due_date"),
		bad("due date: YYYY-MM-DD", func(c *invoice.IssueInvoice) { c.DueDate = "13.04.2025" }, "due_date"),
		bad("due date: a real date", func(c *invoice.IssueInvoice) { c.DueDate = "2025-04-31" }, "due_date"),
		bad("due date: not before the day of issue", func(c *invoice.IssueInvoice) { c.DueDate = "2025-03-13" }, "due_date"),
		bad("delivery: mode paper or paperless", func(c *invoice.IssueInvoice) { c.Delivery.Mode = "email" }, "delivery.mode"),
		bad("delivery: mode required", func(c *invoice.IssueInvoice) { c.Delivery = invoice.Delivery{} }, "delivery.mode"),
		bad("delivery: paperless needs at least one recipient email", recipients(), "delivery.recipients"),
		bad("delivery: recipients are email addresses", recipients("ap@acme.example", "accounts payable"), "delivery.recipients[1]"),
		bad("delivery: recipients are bare addresses", recipients("AP <ap@acme.example>"), "delivery.recipients[0]"),
		bad("delivery: each recipient once, regardless of case", recipients("ap@acme.example", "AP@acme.example"), "delivery.recipients[1]"),
		bad("delivery: paper has no email recipients",
			func(c *invoice.IssueInvoice) { c.Delivery.Mode = invoice.DeliveryPaper }, "delivery.recipients"),
		{Name: "IssueInvoice/validation: every problem is reported at once",
			When: invoice.IssueInvoice{AmountMinor: -5, Delivery: invoice.Delivery{Mode: invoice.DeliveryPaperless, Recipients: []string{"x"}}, By: admin, At: at},
			Then: invalid("invoice_number", "order_number", "account_id", "po_number", "amount_minor", "currency", "due_date", "delivery.recipients[0]")},

		{Name: "IssueInvoice/no re-issue: an invoice number is issued once", Given: []domain.Event{issued()},
			When: issuing(nil), Then: fails(domain.ErrDuplicate)},
		{Name: "IssueInvoice/no re-issue: not even for another order", Given: []domain.Event{issued()},
			When: issuing(func(c *invoice.IssueInvoice) { c.OrderNumber = "ORD-0000043" }), Then: fails(domain.ErrDuplicate)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ invoice.IssueInvoice }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", When: nil, Then: rule("invoice.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", When: wrapped{issuing(nil)}, Then: rule("invoice.unknown_command")},
	})
}

func TestIssuedRecipientsAreCopied(t *testing.T) {
	c := issuing(nil)
	evs, err := invoice.Decide(invoice.State{}, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Delivery.Recipients[0] = "changed@acme.example"
	if got := evs[0].(invoice.Issued).Delivery.Recipients[0]; got != "ap@acme.example" {
		t.Errorf("the event shares its recipients with the command: %s", got)
	}
}

func TestEvolve(t *testing.T) {
	e := issued()
	s := invoice.Evolve(invoice.State{}, e)
	want := invoice.State{
		Number: invoiceNo, OrderNumber: orderNo, AccountID: customerID, PONumber: poNumber, AmountMinor: 1399750,
		Currency: "EUR", IssuedOn: "2025-03-14", DueDate: "2025-04-13", Delivery: paperless(),
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %#v\nwant %#v", s, want)
	}
	if !s.Exists() || (invoice.State{}).Exists() {
		t.Error("Exists: an issued invoice exists and the zero state does not")
	}
	e.Delivery.Recipients[0] = "changed@acme.example"
	if s.Delivery.Recipients[0] != "ap@acme.example" {
		t.Error("the state shares its recipients with the event")
	}
	if got := invoice.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
		t.Errorf("a foreign event changed the state: %#v", got)
	}
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "order.fulfilled" }
func (foreign) SchemaVersion() int { return 1 }

func TestStreamIDAndTarget(t *testing.T) {
	if got := invoice.StreamID(invoiceNo); got != "invoice-INV-0000007" {
		t.Errorf("StreamID = %q", got)
	}
	if got := issuing(nil).Target(); got != invoiceNo {
		t.Errorf("Target = %q", got)
	}
	for n, want := range map[string]bool{"INV-0000001": true, "INV-12345678": true, "INV-00000001": false, "INV-1": false, "inv-0000001": false, "": false} {
		if got := invoice.ValidNumber(n); got != want {
			t.Errorf("ValidNumber(%q) = %v, want %v", n, got, want)
		}
	}
}
