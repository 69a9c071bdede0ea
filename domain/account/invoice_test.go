package account_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

func delivery(mode string, recipients ...string) account.SetInvoiceDelivery {
	return account.SetInvoiceDelivery{AccountID: acmeID, Mode: mode, Recipients: recipients, By: as(admin), At: at}
}

func deliverySet(mode string, recipients ...string) account.InvoiceDeliverySet {
	return account.InvoiceDeliverySet{AccountID: acmeID, Mode: mode, Recipients: recipients}
}

func TestSetInvoiceDelivery(t *testing.T) {
	paperless := deliverySet(account.DeliveryPaperless, "ann@acme.example")
	bad := func(name string, c account.SetInvoiceDelivery, fields ...string) scenario {
		return scenario{Name: "SetInvoiceDelivery/" + name, Given: history(), When: c, Then: invalid(fields...)}
	}
	partnerAs := func(p domain.Principal) account.SetInvoiceDelivery {
		c := delivery(account.DeliveryPaperless, "ann@acme.example")
		c.By = as(p)
		return c
	}
	tooMany := make([]string, account.MaxRecipients+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("ap%d@acme.example", i)
	}
	cases := []scenario{
		{Name: "SetInvoiceDelivery/happy path: paperless to one recipient", Given: history(),
			When: delivery(account.DeliveryPaperless, "ann@acme.example"), Then: events(paperless)},
		{Name: "SetInvoiceDelivery/paperless may add extra recipients such as accounts payable, the first being the primary", Given: history(),
			When: delivery(account.DeliveryPaperless, "ann@acme.example", "ap@acme.example", "invoices@outsourced-ap.example"),
			Then: events(deliverySet(account.DeliveryPaperless, "ann@acme.example", "ap@acme.example", "invoices@outsourced-ap.example"))},
		{Name: "SetInvoiceDelivery/paperless: recipients need not be contacts or in the company's domain", Given: history(),
			When: delivery(account.DeliveryPaperless, "billing@bookkeeper.example"), Then: events(deliverySet(account.DeliveryPaperless, "billing@bookkeeper.example"))},
		{Name: "SetInvoiceDelivery/paperless: exactly the maximum number of recipients is accepted", Given: history(),
			When: delivery(account.DeliveryPaperless, tooMany[:account.MaxRecipients]...), Then: events(deliverySet(account.DeliveryPaperless, tooMany[:account.MaxRecipients]...))},
		{Name: "SetInvoiceDelivery/paper: back from paperless to paper", Given: history(paperless),
			When: delivery(account.DeliveryPaper), Then: events(deliverySet(account.DeliveryPaper))},
		{Name: "SetInvoiceDelivery/paper: an explicit choice of paper is recorded though paper is the default", Given: history(),
			When: delivery(account.DeliveryPaper), Then: events(deliverySet(account.DeliveryPaper))},
		{Name: "SetInvoiceDelivery/unchanged: the same mode and recipients are refused", Given: history(paperless),
			When: delivery(account.DeliveryPaperless, "ann@acme.example"), Then: rule("account.invoice_delivery_unchanged")},
		{Name: "SetInvoiceDelivery/unchanged: paper twice is refused", Given: history(deliverySet(account.DeliveryPaper)),
			When: delivery(account.DeliveryPaper), Then: rule("account.invoice_delivery_unchanged")},
		{Name: "SetInvoiceDelivery/an added recipient is a change", Given: history(paperless),
			When: delivery(account.DeliveryPaperless, "ann@acme.example", "ap@acme.example"),
			Then: events(deliverySet(account.DeliveryPaperless, "ann@acme.example", "ap@acme.example"))},
		{Name: "SetInvoiceDelivery/another primary recipient is a change", Given: history(deliverySet(account.DeliveryPaperless, "ann@acme.example", "ap@acme.example")),
			When: delivery(account.DeliveryPaperless, "ap@acme.example", "ann@acme.example"),
			Then: events(deliverySet(account.DeliveryPaperless, "ap@acme.example", "ann@acme.example"))},

		bad("mode: required", delivery(""), "mode"),
		bad("mode: paper or paperless", delivery("email", "ann@acme.example"), "mode"),
		bad("mode: exact spelling", delivery("Paperless", "ann@acme.example"), "mode"),
		bad("paperless needs at least one recipient email", delivery(account.DeliveryPaperless), "recipients"),
		bad("paperless: every recipient is an email address", delivery(account.DeliveryPaperless, "ann@acme.example", "accounts payable"), "recipients[1]"),
		bad("paperless: a bare address, no display name", delivery(account.DeliveryPaperless, "Ann <ann@acme.example>"), "recipients[0]"),
		bad("paperless: each recipient once, without regard to case", delivery(account.DeliveryPaperless, "ap@acme.example", "AP@acme.example"), "recipients[1]"),
		bad("paperless: at most 10 recipients", delivery(account.DeliveryPaperless, tooMany...), "recipients"),
		bad("paper: no recipients", delivery(account.DeliveryPaper, "ann@acme.example"), "recipients"),

		// Partners and distributors cannot choose it for a customer [seed].
		{Name: "SetInvoiceDelivery/who: a partner cannot choose it for a customer", Given: history(), When: partnerAs(partner), Then: fails(domain.ErrForbidden)},
		{Name: "SetInvoiceDelivery/who: a distributor cannot choose it for a customer", Given: history(),
			When: partnerAs(domain.Principal{ID: "partner:" + distributorID + "/C-000777", Kind: domain.KindPartner, PartnerID: distributorID, ContactID: "C-000777"}),
			Then: fails(domain.ErrForbidden)},
		{Name: "SetInvoiceDelivery/who: a partner cannot, even naming the customer's account and contact", Given: history(),
			When: partnerAs(domain.Principal{ID: "partner:" + partnerID + "/" + annID, Kind: domain.KindPartner, PartnerID: partnerID, AccountID: acmeID, ContactID: annID}),
			Then: fails(domain.ErrForbidden)},
		{Name: "SetInvoiceDelivery/who: a partner is refused before validation", Given: history(),
			When: func() account.SetInvoiceDelivery { c := delivery("fax"); c.By = as(partner); return c }(), Then: fails(domain.ErrForbidden)},
		{Name: "SetInvoiceDelivery/who: a billing contact with unrestricted access chooses for the company", Given: history(),
			When: func() account.SetInvoiceDelivery {
				c := delivery(account.DeliveryPaperless, "ann@acme.example")
				c.By = as(annP)
				return c
			}(), Then: events(paperless)},
	}
	cases = append(cases, whoCase{
		name: "SetInvoiceDelivery", policy: staffOrContact, given: history(),
		mk: func(by domain.Actor) account.Command {
			c := delivery(account.DeliveryPaperless, "ann@acme.example")
			c.By = by
			return c
		},
		bad:       func(by domain.Actor) account.Command { c := delivery(account.DeliveryPaperless); c.By = by; return c },
		badFields: []string{"recipients"},
		want:      events(paperless),
	}.scenarios()...)
	runAll(t, cases)
}

// TestSetInvoiceDeliveryPartnerReason pins that a partner is told why, in
// the words of the rule, not with the general refusal.
func TestSetInvoiceDeliveryPartnerReason(t *testing.T) {
	c := delivery(account.DeliveryPaperless, "ann@acme.example")
	c.By = as(partner)
	_, err := account.Decide(fold(history(), nil), c)
	var fe *domain.ForbiddenError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "partners and distributors cannot choose invoice delivery") {
		t.Errorf("got %v, want a refusal saying partners and distributors cannot choose invoice delivery", err)
	}
}
