package order_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/order"
)

type scenario = domaintest.Scenario[order.State, order.Command]

var aggregate = domaintest.Aggregate[order.State, order.Command]{Evolve: order.Evolve, Decide: order.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

const (
	orderNo        = "ORD-0000042"
	otherOrderNo   = "ORD-0000043"
	customerID     = "123456HQ"
	partnerID      = "777777PA"
	otherPartnerID = "888888PB"
	distributorID  = "555555DI"
	targetID       = "654321AB"
	poNumber       = "PO-2025/0042"
	poDate         = "2025-03-10"
)

var at = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

var (
	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")
	customer    = domain.Actor{
		Principal:    domain.Principal{ID: "customer:" + customerID + "/C-000009", Kind: domain.KindCustomer, AccountID: customerID, ContactID: "C-000009"},
		ContactKnown: true, ContactRoles: []string{domain.ContactOrgAdmin}, ContactAccess: domain.AccessUnrestricted,
	}
)

// partnerActor is an unrestricted org admin of an active partner org,
// edited by edit.
func partnerActor(org string, edit func(*domain.Actor)) domain.Actor {
	a := domain.Actor{
		Principal:     domain.Principal{ID: "partner:" + org + "/C-000001", Kind: domain.KindPartner, PartnerID: org, ContactID: "C-000001"},
		ContactKnown:  true,
		ContactRoles:  []string{domain.ContactOrgAdmin},
		ContactAccess: domain.AccessUnrestricted,
		PartnerStatus: domain.PartnerActive,
	}
	if edit != nil {
		edit(&a)
	}
	return a
}

var (
	reseller    = partnerActor(partnerID, nil)
	distributor = partnerActor(distributorID, nil)
	stranger    = partnerActor(otherPartnerID, nil)
)

func lines() []order.Line {
	return []order.Line{
		{SKU: "CTX-VAD-ADV-U", Product: "Citrix Virtual Apps and Desktops", Edition: "Advanced", Quantity: 250, UnitPriceMinor: 1999, Currency: "EUR"},
		{SKU: "CTX-ADC-VPX-1000", Product: "Citrix ADC VPX 1000", Edition: "Premium", Quantity: 2, UnitPriceMinor: 450000, Currency: "EUR"},
	}
}

// submission is a valid SubmitOrder by the reseller for the customer,
// through the distributor, edited by edit.
func submission(edit func(*order.SubmitOrder)) order.SubmitOrder {
	c := order.SubmitOrder{
		OrderNumber:         orderNo,
		PONumber:            poNumber,
		PODate:              poDate,
		OrderType:           order.TypeNew,
		Catalog:             order.CatalogSoftware,
		Lines:               lines(),
		CustomerAccountID:   customerID,
		PartnerID:           partnerID,
		DistributorID:       distributorID,
		DistributorPONumber: "DIST-PO-9001",
		Comments:            "Deliver before the fiscal year ends.\nCall Ann for questions.",
		PODocumentRef:       "doc:po/PO-2025-0042.pdf",
		Customer:            domain.OrgRef{ID: customerID, Exists: true},
		Partner:             domain.OrgRef{ID: partnerID, Exists: true},
		PartnerActive:       true,
		Distributor:         &domain.OrgRef{ID: distributorID, Exists: true},
		By:                  reseller,
		At:                  at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// submitted is the event of submission(nil).
func submitted() order.Submitted {
	return order.Submitted{
		OrderNumber:         orderNo,
		PONumber:            poNumber,
		PODate:              poDate,
		OrderType:           order.TypeNew,
		Catalog:             order.CatalogSoftware,
		Lines:               lines(),
		Currency:            "EUR",
		TotalMinor:          250*1999 + 2*450000,
		CustomerAccountID:   customerID,
		PartnerID:           partnerID,
		DistributorID:       distributorID,
		DistributorPONumber: "DIST-PO-9001",
		Comments:            "Deliver before the fiscal year ends.\nCall Ann for questions.",
		PODocumentRef:       "doc:po/PO-2025-0042.pdf",
	}
}

// submittedWith is submitted() edited by edit.
func submittedWith(edit func(*order.Submitted)) order.Submitted {
	e := submitted()
	edit(&e)
	return e
}

// placed is the history of a freshly submitted order.
func placed() []domain.Event { return []domain.Event{submitted()} }

func by(a domain.Actor) func(*order.SubmitOrder) {
	return func(c *order.SubmitOrder) { c.By = a }
}

func TestSubmitOrder(t *testing.T) {
	accepted := func(name string, edit func(*order.SubmitOrder), want func(*order.Submitted)) scenario {
		e := submitted()
		if want != nil {
			want(&e)
		}
		return scenario{Name: "SubmitOrder/" + name, When: submission(edit), Then: events(e)}
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "SubmitOrder/who: " + name, When: submission(by(a)), Then: fails(domain.ErrForbidden)}
	}
	bad := func(name string, edit func(*order.SubmitOrder), fields ...string) scenario {
		return scenario{Name: "SubmitOrder/" + name, When: submission(edit), Then: invalid(fields...)}
	}
	ruled := func(name, r string, edit func(*order.SubmitOrder)) scenario {
		return scenario{Name: "SubmitOrder/" + name, When: submission(edit), Then: rule(r)}
	}
	line := func(i int, edit func(*order.Line)) func(*order.SubmitOrder) {
		return func(c *order.SubmitOrder) { edit(&c.Lines[i]) }
	}
	noDistributor := func(c *order.SubmitOrder) { c.DistributorID, c.DistributorPONumber, c.Distributor = "", "", nil }
	withoutDistributor := func(e *order.Submitted) { e.DistributorID, e.DistributorPONumber = "", "" }

	cases := []scenario{
		accepted("happy path: a partner's org admin submits an order through a distributor with every field; the total is the sum of quantity × unit price", nil, nil),
		accepted("who: a business executive of the partner may submit",
			by(partnerActor(partnerID, func(a *domain.Actor) { a.ContactRoles = []string{domain.ContactBusinessExecutive} })), nil),
		accepted("who: admin staff may submit on the partner's behalf", by(admin), nil),
		accepted("who: support staff may submit on the partner's behalf", by(support), nil),
		accepted("distributor is optional: a direct order has no distributor and no distributor PO", noDistributor, withoutDistributor),
		accepted("distributor is optional: a distributor fact without a distributor ID is ignored",
			func(c *order.SubmitOrder) { noDistributor(c); c.Distributor = &domain.OrgRef{ID: distributorID} }, withoutDistributor),
		accepted("comments and PO document are optional",
			func(c *order.SubmitOrder) { c.Comments, c.PODocumentRef = "", "" },
			func(e *order.Submitted) { e.Comments, e.PODocumentRef = "", "" }),
		accepted("texts are recorded without surrounding white space",
			func(c *order.SubmitOrder) {
				c.PONumber, c.DistributorPONumber = "  "+poNumber+"\t", " DIST-PO-9001 "
				c.Lines[0].Product, c.Lines[0].Edition = " Citrix Virtual Apps and Desktops ", "Advanced  "
				c.Comments, c.PODocumentRef = "\n Deliver before the fiscal year ends.\nCall Ann for questions. \n", " doc:po/PO-2025-0042.pdf "
			}, nil),
		accepted("lines: a free line (unit price 0) counts nothing towards the total",
			line(1, func(l *order.Line) { l.UnitPriceMinor = 0 }),
			func(e *order.Submitted) { e.Lines[1].UnitPriceMinor, e.TotalMinor = 0, 250*1999 }),
		accepted("lines: a currency without minor units (JPY) is accepted",
			func(c *order.SubmitOrder) { c.Lines[0].Currency, c.Lines[1].Currency = "JPY", "JPY" },
			func(e *order.Submitted) {
				e.Lines[0].Currency, e.Lines[1].Currency, e.Currency = "JPY", "JPY", "JPY"
			}),
		accepted("lines: the same SKU may appear on two lines",
			line(1, func(l *order.Line) { *l = lines()[0] }),
			func(e *order.Submitted) { e.Lines[1], e.TotalMinor = lines()[0], 2*250*1999 }),
		accepted("lines: quantity up to the maximum",
			func(c *order.SubmitOrder) { c.Lines = c.Lines[:1]; c.Lines[0].Quantity = order.MaxQuantity },
			func(e *order.Submitted) {
				e.Lines = e.Lines[:1]
				e.Lines[0].Quantity, e.TotalMinor = order.MaxQuantity, order.MaxQuantity*1999
			}),
		accepted("lines: a total up to the largest int64 is accepted",
			func(c *order.SubmitOrder) {
				c.Lines = c.Lines[:1]
				c.Lines[0].Quantity, c.Lines[0].UnitPriceMinor = 1, math.MaxInt64
			},
			func(e *order.Submitted) {
				e.Lines = e.Lines[:1]
				e.Lines[0].Quantity, e.Lines[0].UnitPriceMinor, e.TotalMinor = 1, math.MaxInt64, math.MaxInt64
			}),
		accepted("PO date: today is not in the future", func(c *order.SubmitOrder) { c.PODate = "2025-03-14" },
			func(e *order.Submitted) { e.PODate = "2025-03-14" }),
		accepted("PO date: the date already reached east of UTC (up to UTC+14) is not in the future",
			func(c *order.SubmitOrder) {
				c.PODate, c.At = "2025-03-15", time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
			},
			func(e *order.Submitted) { e.PODate = "2025-03-15" }),
		accepted("PO date: At in another time zone is read as the same instant",
			func(c *order.SubmitOrder) {
				c.PODate, c.At = "2025-03-15", time.Date(2025, 3, 14, 20, 0, 0, 0, time.FixedZone("UTC+10", 10*3600))
			},
			func(e *order.Submitted) { e.PODate = "2025-03-15" }),
		accepted("PO number: 50 printable characters, not bytes, non-ASCII included",
			func(c *order.SubmitOrder) { c.PONumber = strings.Repeat("ä", order.MaxPOLen) },
			func(e *order.Submitted) { e.PONumber = strings.Repeat("ä", order.MaxPOLen) }),
		accepted("order number: more than seven digits once seven are used up",
			func(c *order.SubmitOrder) { c.OrderNumber = "ORD-10000000" },
			func(e *order.Submitted) { e.OrderNumber = "ORD-10000000" }),
		accepted("comments: 2000 characters with line breaks and tabs",
			func(c *order.SubmitOrder) { c.Comments = strings.Repeat("ü\n\t", order.MaxCommentsLen/3) + "ü." },
			func(e *order.Submitted) { e.Comments = strings.Repeat("ü\n\t", order.MaxCommentsLen/3) + "ü." }),
		accepted("maintenance renewal: a SKU merely containing MR- is not one",
			line(0, func(l *order.Line) { l.SKU = "CTX-MR-ADDON" }),
			func(e *order.Submitted) { e.Lines[0].SKU = "CTX-MR-ADDON" }),
	}
	for _, ot := range []string{order.TypeNew, order.TypeAddOn, order.TypeUpgrade, order.TypeSubscriptionRenewal} {
		cases = append(cases, accepted("order type: "+ot+" is accepted",
			func(c *order.SubmitOrder) { c.OrderType = ot }, func(e *order.Submitted) { e.OrderType = ot }))
	}
	for _, cat := range []string{order.CatalogSoftware, order.CatalogOnlineServices, order.CatalogMarketplace, order.CatalogCloud} {
		cases = append(cases, accepted("catalog: "+cat+" is accepted",
			func(c *order.SubmitOrder) { c.Catalog = cat }, func(e *order.Submitted) { e.Catalog = cat }))
	}

	// Who: the partner itself through a contact that may act, or admin or
	// support staff on its behalf.
	cases = append(cases,
		refused("a partner may not submit as another partner", stranger),
		refused("the distributor on the order may not submit it as the reseller", distributor),
		refused("an expired partner may not submit", partnerActor(partnerID, func(a *domain.Actor) { a.PartnerStatus = domain.PartnerExpired })),
		refused("a prospect partner may not submit", partnerActor(partnerID, func(a *domain.Actor) { a.PartnerStatus = domain.PartnerProspect })),
		refused("a partner of unknown status may not submit", partnerActor(partnerID, func(a *domain.Actor) { a.PartnerStatus = "" })),
		refused("a restricted partner contact may not submit", partnerActor(partnerID, func(a *domain.Actor) { a.ContactAccess = domain.AccessRestricted })),
		refused("a partner contact the partner does not know may not submit", partnerActor(partnerID, func(a *domain.Actor) { a.ContactKnown = false })),
		refused("a partner's sales agent may not submit", partnerActor(partnerID, func(a *domain.Actor) {
			a.ContactRoles = []string{domain.ContactSalesAgent, domain.ContactAdminAgent}
		})),
		refused("a customer contact may not submit", customer),
		refused("an auditor may not submit", auditor),
		refused("compliance may not submit", compliance),
		refused("an integration may not submit", integration),
		refused("staff without roles may not submit", noRoles),
		refused("the zero actor may not submit", domain.Actor{}),
		refused("staff roles on a partner principal count for nothing", partnerActor(otherPartnerID, func(a *domain.Actor) {
			a.Roles = []domain.Role{domain.RoleAdmin}
		})),
		scenario{
			Name: "SubmitOrder/who: a distributor's or advisor's own contact may not submit: only a reseller does",
			When: submission(func(c *order.SubmitOrder) { c.Partner.Exists, c.PartnerNotReseller = false, true }),
			Then: fails(domain.ErrForbidden),
		},
		scenario{
			Name: "SubmitOrder/who: checked before validation, so the refused learn nothing",
			When: submission(func(c *order.SubmitOrder) { c.By, c.PONumber, c.Lines = stranger, "", nil }),
			Then: fails(domain.ErrForbidden),
		},
	)

	// Validation.
	cases = append(cases,
		bad("order number form: required", func(c *order.SubmitOrder) { c.OrderNumber = "" }, "order_number"),
		bad("order number form: seven digits", func(c *order.SubmitOrder) { c.OrderNumber = "ORD-42" }, "order_number"),
		bad("order number form: upper-case prefix", func(c *order.SubmitOrder) { c.OrderNumber = "ord-0000042" }, "order_number"),
		bad("order number form: no superfluous leading zero", func(c *order.SubmitOrder) { c.OrderNumber = "ORD-00000042" }, "order_number"),
		bad("order number form: no trailing newline", func(c *order.SubmitOrder) { c.OrderNumber = orderNo + "\n" }, "order_number"),

		bad("PO number: required", func(c *order.SubmitOrder) { c.PONumber = "" }, "po_number"),
		bad("PO number: white space only", func(c *order.SubmitOrder) { c.PONumber = " \t " }, "po_number"),
		bad("PO number: at most 50 characters", func(c *order.SubmitOrder) { c.PONumber = strings.Repeat("1", order.MaxPOLen+1) }, "po_number"),
		bad("PO number: printable (no line break)", func(c *order.SubmitOrder) { c.PONumber = "PO\n42" }, "po_number"),
		bad("PO number: printable (no tab)", func(c *order.SubmitOrder) { c.PONumber = "PO\t42" }, "po_number"),
		bad("PO number: printable (no zero-width space)", func(c *order.SubmitOrder) { c.PONumber = "PO\u200b42" }, "po_number"),
		bad("PO number: valid UTF-8", func(c *order.SubmitOrder) { c.PONumber = "PO\xff42" }, "po_number"),

		bad("PO date: required", func(c *order.SubmitOrder) { c.PODate = "" }, "po_date"),
		bad("PO date: YYYY-MM-DD, not day/month/year", func(c *order.SubmitOrder) { c.PODate = "10/03/2025" }, "po_date"),
		bad("PO date: two-digit month and day", func(c *order.SubmitOrder) { c.PODate = "2025-3-10" }, "po_date"),
		bad("PO date: a real date", func(c *order.SubmitOrder) { c.PODate = "2025-02-29" }, "po_date"),
		bad("PO date: a date, not a time", func(c *order.SubmitOrder) { c.PODate = "2025-03-10T00:00:00Z" }, "po_date"),
		bad("PO date: not in the future", func(c *order.SubmitOrder) { c.PODate = "2025-03-16" }, "po_date"),
		bad("PO date: not past the date anywhere on Earth (UTC+14)",
			func(c *order.SubmitOrder) {
				c.PODate, c.At = "2025-03-15", time.Date(2025, 3, 14, 9, 59, 59, 0, time.UTC)
			}, "po_date"),

		bad("order type: closed list", func(c *order.SubmitOrder) { c.OrderType = "renewal" }, "order_type"),
		bad("order type: required", func(c *order.SubmitOrder) { c.OrderType = "" }, "order_type"),
		bad("order type: exact spelling", func(c *order.SubmitOrder) { c.OrderType = "New" }, "order_type"),
		bad("catalog: software, online services, marketplace or cloud", func(c *order.SubmitOrder) { c.Catalog = "azure" }, "catalog"),
		bad("catalog: required", func(c *order.SubmitOrder) { c.Catalog = "" }, "catalog"),
		bad("catalog: exact spelling", func(c *order.SubmitOrder) { c.Catalog = "online services" }, "catalog"),

		bad("lines: at least one", func(c *order.SubmitOrder) { c.Lines = nil }, "lines"),
		bad("lines: at most 100", func(c *order.SubmitOrder) {
			c.Lines = make([]order.Line, order.MaxLines+1)
			for i := range c.Lines {
				c.Lines[i] = lines()[0]
			}
		}, "lines"),
		bad("lines: SKU required", line(0, func(l *order.Line) { l.SKU = "" }), "lines[0].sku"),
		bad("lines: SKU upper case", line(0, func(l *order.Line) { l.SKU = "ctx-vad" }), "lines[0].sku"),
		bad("lines: SKU without spaces", line(1, func(l *order.Line) { l.SKU = "CTX ADC" }), "lines[1].sku"),
		bad("lines: SKU starts with a letter or digit", line(0, func(l *order.Line) { l.SKU = "-CTX" }), "lines[0].sku"),
		bad("lines: SKU at most 40 characters", line(0, func(l *order.Line) { l.SKU = strings.Repeat("A", order.MaxSKULen+1) }), "lines[0].sku"),
		bad("lines: product required", line(0, func(l *order.Line) { l.Product = " " }), "lines[0].product"),
		bad("lines: product without control characters", line(0, func(l *order.Line) { l.Product = "Citrix\x00" }), "lines[0].product"),
		bad("lines: product at most 100 characters, as a license", line(0, func(l *order.Line) { l.Product = strings.Repeat("p", order.MaxProductLen+1) }), "lines[0].product"),
		bad("lines: product must contain letters or digits", line(0, func(l *order.Line) { l.Product = "---" }), "lines[0].product"),
		bad("lines: edition required", line(1, func(l *order.Line) { l.Edition = "" }), "lines[1].edition"),
		bad("lines: edition at most 100 characters, as a license", line(1, func(l *order.Line) { l.Edition = strings.Repeat("e", order.MaxEditionLen+1) }), "lines[1].edition"),
		bad("lines: quantity > 0 (zero)", line(0, func(l *order.Line) { l.Quantity = 0 }), "lines[0].quantity"),
		bad("lines: quantity > 0 (negative)", line(1, func(l *order.Line) { l.Quantity = -5 }), "lines[1].quantity"),
		bad("lines: quantity at most the maximum", line(0, func(l *order.Line) { l.Quantity = order.MaxQuantity + 1 }), "lines[0].quantity"),
		bad("lines: unit price ≥ 0", line(0, func(l *order.Line) { l.UnitPriceMinor = -1 }), "lines[0].unit_price_minor"),
		bad("lines: currency required", line(0, func(l *order.Line) { l.Currency = "" }), "lines[0].currency"),
		bad("lines: currency is an ISO 4217 code", line(0, func(l *order.Line) { l.Currency = "EURO" }), "lines[0].currency"),
		bad("lines: currency upper case", line(0, func(l *order.Line) { l.Currency = "eur" }), "lines[0].currency"),
		bad("lines: currency assigned", line(0, func(l *order.Line) { l.Currency = "XXX" }), "lines[0].currency"),
		bad("lines: all lines in one currency", line(1, func(l *order.Line) { l.Currency = "USD" }), "lines[1].currency"),
		bad("lines: one currency, compared with the first valid one",
			func(c *order.SubmitOrder) {
				c.Lines = append(c.Lines, lines()[0])
				c.Lines[0].Currency, c.Lines[1].Currency, c.Lines[2].Currency = "??", "USD", "EUR"
			}, "lines[0].currency", "lines[2].currency"),
		bad("lines: a line total beyond int64 is refused, not wrapped",
			line(1, func(l *order.Line) { l.UnitPriceMinor = math.MaxInt64/2 + 1 }), "lines"),
		bad("lines: an order total beyond int64 is refused, not wrapped",
			func(c *order.SubmitOrder) {
				c.Lines[0].Quantity, c.Lines[0].UnitPriceMinor = 1, math.MaxInt64
				c.Lines[1].Quantity, c.Lines[1].UnitPriceMinor = 1, 1
			}, "lines"),

		bad("customer account ID: required", func(c *order.SubmitOrder) { c.CustomerAccountID = "" }, "customer_account_id"),
		bad("customer account ID: six digits and two capitals", func(c *order.SubmitOrder) { c.CustomerAccountID = "123456hq" }, "customer_account_id"),
		bad("partner ID: required (staff on behalf)", func(c *order.SubmitOrder) { c.By, c.PartnerID = admin, "" }, "partner_id"),
		bad("partner ID: six digits and two capitals (staff on behalf)", func(c *order.SubmitOrder) { c.By, c.PartnerID = admin, "P-1" }, "partner_id"),
		bad("distributor ID: six digits and two capitals", func(c *order.SubmitOrder) { c.DistributorID = "DIST" }, "distributor_id"),
		bad("distributor ID: not the submitting partner", func(c *order.SubmitOrder) { c.DistributorID = partnerID }, "distributor_id"),
		bad("distributor PO number: required iff there is a distributor", func(c *order.SubmitOrder) { c.DistributorPONumber = "" }, "distributor_po_number"),
		bad("distributor PO number: only with a distributor",
			func(c *order.SubmitOrder) { c.DistributorID, c.Distributor = "", nil }, "distributor_po_number"),
		bad("distributor PO number: at most 50 printable characters",
			func(c *order.SubmitOrder) { c.DistributorPONumber = strings.Repeat("d", order.MaxPOLen) + "\x07" }, "distributor_po_number"),
		bad("comments: at most 2000 characters", func(c *order.SubmitOrder) { c.Comments = strings.Repeat("c", order.MaxCommentsLen+1) }, "comments"),
		bad("comments: no control characters but tabs and line breaks", func(c *order.SubmitOrder) { c.Comments = "see \x1b[31mred" }, "comments"),
		bad("comments: no bidirectional overrides", func(c *order.SubmitOrder) { c.Comments = "total \u202e0001" }, "comments"),
		bad("PO document reference: at most 500 characters",
			func(c *order.SubmitOrder) { c.PODocumentRef = strings.Repeat("r", order.MaxReferenceLen+1) }, "po_document_ref"),
		bad("PO document reference: one line", func(c *order.SubmitOrder) { c.PODocumentRef = "doc:a\ndoc:b" }, "po_document_ref"),
		scenario{
			Name: "SubmitOrder/validation: every problem is reported at once",
			When: order.SubmitOrder{
				OrderNumber: "42", PODate: "tomorrow", OrderType: "x", Catalog: "y",
				Lines:             []order.Line{{SKU: "MR-x", Quantity: 0, UnitPriceMinor: -1, Currency: "eur"}},
				CustomerAccountID: "c", PartnerID: partnerID, DistributorID: "d", Comments: "\x00", PODocumentRef: "\x00",
				By: reseller, At: at,
			},
			Then: invalid("order_number", "po_number", "po_date", "order_type", "catalog",
				"lines[0].sku", "lines[0].product", "lines[0].edition", "lines[0].quantity", "lines[0].unit_price_minor", "lines[0].currency",
				"customer_account_id", "distributor_id", "distributor_po_number", "comments", "po_document_ref"),
		},
	)

	// State and business rules.
	cases = append(cases,
		scenario{Name: "SubmitOrder/order number: an order number in use is refused as a duplicate",
			Given: placed(), When: submission(func(c *order.SubmitOrder) { c.PONumber = "PO-OTHER" }), Then: fails(domain.ErrDuplicate)},
		scenario{Name: "SubmitOrder/order number: a cancelled order's number is still in use",
			Given: append(placed(), order.Cancelled{OrderNumber: orderNo, Reason: "typo"}), When: submission(nil), Then: fails(domain.ErrDuplicate)},

		ruled("maintenance renewals go through RenewMaintenance: a line with an MR- SKU is refused", "order.maintenance_renewal",
			line(1, func(l *order.Line) { l.SKU = "MR-CTX-VAD-ADV-1Y" })),
		ruled("maintenance renewals go through RenewMaintenance: an order of type maintenance_renewal is refused", "order.maintenance_renewal",
			func(c *order.SubmitOrder) { c.OrderType = order.TypeMaintenanceRenewal }),
		ruled("maintenance renewals go through RenewMaintenance: whatever the catalog", "order.maintenance_renewal",
			func(c *order.SubmitOrder) { c.Catalog = order.CatalogCloud; c.Lines[0].SKU = "MR-CLOUD-1Y" }),
		ruled("maintenance renewals go through RenewMaintenance: staff on the partner's behalf too", "order.maintenance_renewal",
			func(c *order.SubmitOrder) { c.By = admin; c.Lines[0].SKU = "MR-1" }),
		bad("maintenance renewals: a malformed order is reported as such first",
			func(c *order.SubmitOrder) { c.Lines[0].SKU, c.Lines[1].Quantity = "MR-1", 0 }, "lines[1].quantity"),

		ruled("customer must exist", "order.customer_unknown",
			func(c *order.SubmitOrder) { c.Customer = domain.OrgRef{ID: customerID} }),
		ruled("customer must exist: a fact about another account does not count", "order.customer_unknown",
			func(c *order.SubmitOrder) { c.Customer = domain.OrgRef{ID: targetID, Exists: true} }),
		ruled("customer must exist: no fact at all", "order.customer_unknown",
			func(c *order.SubmitOrder) { c.Customer = domain.OrgRef{} }),
		ruled("customer must not be merged: a merged account accepts no further commands", "order.customer_merged",
			func(c *order.SubmitOrder) { c.Customer.MergedInto = targetID }),
		ruled("a partner may act only while its status is active: staff may not submit for an expired or prospect partner either", "order.partner_inactive",
			func(c *order.SubmitOrder) { c.By, c.PartnerActive = admin, false }),
		ruled("the submitting partner must exist and be a reseller: staff may not submit for an unknown partner", "order.partner_unknown",
			func(c *order.SubmitOrder) { c.By, c.Partner = support, domain.OrgRef{ID: partnerID} }),
		ruled("the submitting partner must exist and be a reseller: a fact about another partner does not count", "order.partner_unknown",
			func(c *order.SubmitOrder) { c.By, c.Partner = admin, domain.OrgRef{ID: distributorID, Exists: true} }),
		ruled("the submitting partner must be a reseller: staff naming a distributor break the rule", "order.partner_unknown",
			func(c *order.SubmitOrder) { c.By, c.Partner.Exists, c.PartnerNotReseller = admin, false, true }),
		ruled("the submitting partner must not be merged", "order.partner_merged",
			func(c *order.SubmitOrder) { c.By, c.Partner.MergedInto = admin, distributorID }),
		ruled("distributor must exist", "order.distributor_unknown",
			func(c *order.SubmitOrder) { c.Distributor = &domain.OrgRef{ID: distributorID} }),
		ruled("distributor must exist: no fact at all", "order.distributor_unknown",
			func(c *order.SubmitOrder) { c.Distributor = nil }),
		ruled("distributor must exist: a fact about another organisation does not count", "order.distributor_unknown",
			func(c *order.SubmitOrder) { c.Distributor = &domain.OrgRef{ID: otherPartnerID, Exists: true} }),
		ruled("distributor must not be merged", "order.distributor_merged",
			func(c *order.SubmitOrder) { c.Distributor.MergedInto = otherPartnerID }),

		scenario{Name: "SubmitOrder/the same PO number twice by the same partner is refused as a duplicate",
			When: submission(func(c *order.SubmitOrder) { c.POAlreadyUsed = true }), Then: fails(domain.ErrDuplicate)},
		scenario{Name: "SubmitOrder/the same PO number twice by the same partner: the error is ErrPOUsed",
			When: submission(func(c *order.SubmitOrder) { c.POAlreadyUsed = true }), Then: fails(order.ErrPOUsed)},
		scenario{Name: "SubmitOrder/the same PO number twice: staff on the partner's behalf are refused too",
			When: submission(func(c *order.SubmitOrder) { c.By, c.POAlreadyUsed = support, true }), Then: fails(order.ErrPOUsed)},
	)
	domaintest.RunAll(t, aggregate, cases)
}

func TestSubmitOrderRuleDetails(t *testing.T) {
	_, err := order.Decide(order.State{}, submission(func(c *order.SubmitOrder) { c.Customer.MergedInto = targetID }))
	var re *domain.RuleError
	if !errors.As(err, &re) || !strings.Contains(re.Detail, targetID) {
		t.Errorf("customer merged: %v, want a rule naming the target %s", err, targetID)
	}
	_, err = order.Decide(order.State{}, submission(withSKU(1, "MR-CTX-1Y")))
	if !errors.As(err, &re) || !strings.Contains(re.Detail, "RenewMaintenance") || !strings.Contains(re.Detail, "lines[1]") {
		t.Errorf("maintenance renewal: %v, want a rule naming lines[1] and RenewMaintenance", err)
	}
	_, err = order.Decide(order.State{}, submission(func(c *order.SubmitOrder) { c.POAlreadyUsed = true }))
	if err == nil || !strings.Contains(err.Error(), poNumber) {
		t.Errorf("PO used: %v, want the PO number named", err)
	}
}

// withSKU sets the SKU of line i.
func withSKU(i int, sku string) func(*order.SubmitOrder) {
	return func(c *order.SubmitOrder) { c.Lines[i].SKU = sku }
}

func TestSubmit(t *testing.T) {
	t.Run("records the order and reserves the PO, in that order", func(t *testing.T) {
		got, err := order.Submit(order.State{}, submission(nil))
		if err != nil {
			t.Fatal(err)
		}
		want := []domain.StreamEvents{
			{StreamID: "order-" + orderNo, Events: []domain.Event{submitted()}},
			{StreamID: order.POReservationStream(partnerID, poNumber), Events: []domain.Event{
				order.POReserved{PartnerID: partnerID, PONumber: poNumber, OrderNumber: orderNo},
			}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
	})
	t.Run("reserves the PO as recorded, without surrounding white space", func(t *testing.T) {
		got, err := order.Submit(order.State{}, submission(func(c *order.SubmitOrder) { c.PONumber = " " + poNumber + " " }))
		if err != nil {
			t.Fatal(err)
		}
		if r := got[1].Events[0].(order.POReserved); r.PONumber != poNumber {
			t.Errorf("reserved %q", r.PONumber)
		}
	})
	t.Run("a refusal writes nothing anywhere", func(t *testing.T) {
		got, err := order.Submit(order.State{}, submission(func(c *order.SubmitOrder) { c.POAlreadyUsed = true }))
		if !errors.Is(err, order.ErrPOUsed) || got != nil {
			t.Errorf("got %#v, %v", got, err)
		}
	})
}

func TestPOReservationStream(t *testing.T) {
	// sha256("PO-2025/0042 A") starts fe15fa874a4695b5: the layout of the
	// store, which must never change.
	if got := order.POReservationStream(partnerID, "PO-2025/0042 A"); got != "orderpo-777777PA_fe15fa874a4695b5" {
		t.Errorf("POReservationStream = %q", got)
	}
	same := []string{"PO-2025/0042 A", " po-2025/0042   a ", "Po-2025/0042\ta"}
	for _, po := range same {
		if got, want := order.POReservationStream(partnerID, po), order.POReservationStream(partnerID, same[0]); got != want {
			t.Errorf("%q: %s, want the stream of %q, %s", po, got, same[0], want)
		}
	}
	differ := []string{"PO-2025/0042A", "PO-2025-0042 A", "PO-2025/0042 B", ""}
	for _, po := range differ {
		if order.POReservationStream(partnerID, po) == order.POReservationStream(partnerID, same[0]) {
			t.Errorf("%q shares the stream of %q", po, same[0])
		}
	}
	if order.POReservationStream(otherPartnerID, poNumber) == order.POReservationStream(partnerID, poNumber) {
		t.Error("two partners share a PO reservation: the rule is per partner")
	}
}

func TestNormalisePO(t *testing.T) {
	for in, want := range map[string]string{
		"po-42":           "PO-42",
		"  PO 42  ":       "PO 42",
		"PO \t 42":        "PO 42",
		"Bestellung ä/42": "BESTELLUNG Ä/42",
		"":                "",
	} {
		if got := order.NormalisePO(in); got != want {
			t.Errorf("NormalisePO(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvolvePOReservation(t *testing.T) {
	var r order.POReservation
	if r.Exists() {
		t.Fatal("the zero reservation exists")
	}
	first := order.POReserved{PartnerID: partnerID, PONumber: poNumber, OrderNumber: orderNo}
	r = order.EvolvePOReservation(r, first)
	want := order.POReservation{PartnerID: partnerID, PONumber: poNumber, OrderNumber: orderNo}
	if !r.Exists() || r != want {
		t.Fatalf("after reservation: %#v", r)
	}
	if got := order.EvolvePOReservation(r, order.POReserved{PartnerID: partnerID, PONumber: poNumber, OrderNumber: otherOrderNo}); got != want {
		t.Errorf("a second reservation moved the first: %#v", got)
	}
	if got := order.EvolvePOReservation(r, submitted()); got != want {
		t.Errorf("an order event changed the reservation: %#v", got)
	}
}

// cancelling is a valid CancelOrder by the reseller, edited by edit.
func cancelling(edit func(*order.CancelOrder)) order.CancelOrder {
	c := order.CancelOrder{OrderNumber: orderNo, Reason: "The customer withdrew its purchase order.", By: reseller, At: at}
	if edit != nil {
		edit(&c)
	}
	return c
}

func TestCancelOrder(t *testing.T) {
	cancelled := events(order.Cancelled{OrderNumber: orderNo, Reason: "The customer withdrew its purchase order."})
	as := func(a domain.Actor) func(*order.CancelOrder) { return func(c *order.CancelOrder) { c.By = a } }
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "CancelOrder/who: " + name, Given: placed(), When: cancelling(as(a)), Then: fails(domain.ErrForbidden)}
	}
	fulfilled := append(placed(), order.Fulfilled{
		OrderNumber: orderNo, LicenseIDs: []string{"LIC-0000001", "LIC-0000002"}, InvoiceNumber: "INV-0000001", OwnerAccountID: customerID,
	})
	cases := []scenario{
		{Name: "CancelOrder/happy path: the submitting partner cancels before fulfilment", Given: placed(), When: cancelling(nil), Then: cancelled},
		{Name: "CancelOrder/who: admin staff may cancel", Given: placed(), When: cancelling(as(admin)), Then: cancelled},
		{Name: "CancelOrder/who: support staff may cancel", Given: placed(), When: cancelling(as(support)), Then: cancelled},
		{Name: "CancelOrder/who: another contact of the submitting partner who may act may cancel", Given: placed(),
			When: cancelling(as(partnerActor(partnerID, func(a *domain.Actor) {
				a.ID, a.ContactID, a.ContactRoles = "partner:"+partnerID+"/C-000002", "C-000002", []string{domain.ContactBusinessExecutive}
			}))), Then: cancelled},
		{Name: "CancelOrder/reason: recorded without surrounding white space, line breaks allowed", Given: placed(),
			When: cancelling(func(c *order.CancelOrder) { c.Reason = "\n Withdrawn.\nSee mail of 2025-03-13. " }),
			Then: events(order.Cancelled{OrderNumber: orderNo, Reason: "Withdrawn.\nSee mail of 2025-03-13."})},

		refused("the distributor on the order may see it but not cancel it", distributor),
		refused("an expired submitting partner may not cancel", partnerActor(partnerID, func(a *domain.Actor) { a.PartnerStatus = domain.PartnerExpired })),
		refused("a restricted contact of the submitting partner may not cancel", partnerActor(partnerID, func(a *domain.Actor) { a.ContactAccess = domain.AccessRestricted })),
		refused("a sales agent of the submitting partner may not cancel", partnerActor(partnerID, func(a *domain.Actor) { a.ContactRoles = []string{domain.ContactSalesAgent} })),
		refused("the customer may not cancel", customer),
		refused("an auditor may not cancel", auditor),
		refused("compliance may not cancel", compliance),
		refused("an integration may not cancel", integration),
		refused("staff without roles may not cancel", noRoles),
		refused("the zero actor may not cancel", domain.Actor{}),
		{Name: "CancelOrder/who: a partner not associated with the order is told it does not exist", Given: placed(),
			When: cancelling(as(stranger)), Then: fails(domain.ErrNotFound)},
		{Name: "CancelOrder/who: an unassociated partner learns nothing: same answer as for an order that does not exist",
			When: cancelling(as(stranger)), Then: fails(domain.ErrNotFound)},
		{Name: "CancelOrder/who: a partner that may not act is refused before the order is looked at",
			When: cancelling(as(partnerActor(otherPartnerID, func(a *domain.Actor) { a.PartnerStatus = domain.PartnerProspect }))),
			Then: fails(domain.ErrForbidden)},

		{Name: "CancelOrder/order number form", Given: placed(), When: cancelling(func(c *order.CancelOrder) { c.OrderNumber = "42" }), Then: invalid("order_number")},
		{Name: "CancelOrder/reason: required", Given: placed(), When: cancelling(func(c *order.CancelOrder) { c.Reason = "  " }), Then: invalid("reason")},
		{Name: "CancelOrder/reason: at most 500 characters", Given: placed(),
			When: cancelling(func(c *order.CancelOrder) { c.Reason = strings.Repeat("r", order.MaxReasonLen+1) }), Then: invalid("reason")},
		{Name: "CancelOrder/reason: no control characters", Given: placed(),
			When: cancelling(func(c *order.CancelOrder) { c.Reason = "no\x00" }), Then: invalid("reason")},

		{Name: "CancelOrder/order: an unknown order is not found", When: cancelling(as(admin)), Then: fails(domain.ErrNotFound)},
		{Name: "CancelOrder/order: another order's history does not make this one exist", Given: placed(),
			When: cancelling(func(c *order.CancelOrder) { c.OrderNumber, c.By = otherOrderNo, admin }), Then: fails(domain.ErrNotFound)},
		{Name: "CancelOrder/only before fulfilment: a fulfilled order cannot be cancelled", Given: fulfilled,
			When: cancelling(nil), Then: rule("order.fulfilled")},
		{Name: "CancelOrder/only before fulfilment: staff cannot cancel a fulfilled order either", Given: fulfilled,
			When: cancelling(as(admin)), Then: rule("order.fulfilled")},
		{Name: "CancelOrder/a cancelled order cannot be cancelled again",
			Given: append(placed(), order.Cancelled{OrderNumber: orderNo, Reason: "x"}), When: cancelling(nil), Then: rule("order.cancelled")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func delivery() order.InvoiceDelivery {
	return order.InvoiceDelivery{Mode: "paperless", Recipients: []string{"ap@acme.example", "cfo@acme.example"}}
}

// fulfilling is a valid FulfilOrder of the placed order by admin staff,
// edited by edit.
func fulfilling(edit func(*order.FulfilOrder)) order.FulfilOrder {
	c := order.FulfilOrder{
		OrderNumber:     orderNo,
		LicenseIDs:      []string{"LIC-0000101", "LIC-0000102"},
		InvoiceNumber:   "INV-0000007",
		InvoiceDelivery: delivery(),
		DueDate:         "2025-04-13",
		Owner:           domain.OrgRef{ID: customerID, Exists: true},
		By:              admin,
		At:              at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

func fulfilledEvent() order.Fulfilled {
	return order.Fulfilled{OrderNumber: orderNo, LicenseIDs: []string{"LIC-0000101", "LIC-0000102"}, InvoiceNumber: "INV-0000007", OwnerAccountID: customerID}
}

func TestFulfilOrder(t *testing.T) {
	as := func(a domain.Actor) func(*order.FulfilOrder) { return func(c *order.FulfilOrder) { c.By = a } }
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "FulfilOrder/who: " + name, Given: placed(), When: fulfilling(as(a)), Then: fails(domain.ErrForbidden)}
	}
	bad := func(name string, edit func(*order.FulfilOrder), fields ...string) scenario {
		return scenario{Name: "FulfilOrder/" + name, Given: placed(), When: fulfilling(edit), Then: invalid(fields...)}
	}
	cases := []scenario{
		{Name: "FulfilOrder/happy path: admin staff fulfil a submitted order", Given: placed(), When: fulfilling(nil), Then: events(fulfilledEvent())},
		{Name: "FulfilOrder/who: support staff may fulfil", Given: placed(), When: fulfilling(as(support)), Then: events(fulfilledEvent())},
		{Name: "FulfilOrder/owner: a customer merged since the order goes to the account it was merged into", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.Owner = domain.OrgRef{ID: targetID, Exists: true} }),
			Then: events(func() order.Fulfilled { e := fulfilledEvent(); e.OwnerAccountID = targetID; return e }())},
		{Name: "FulfilOrder/the invoice's delivery and due date are the invoice package's to check", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.InvoiceDelivery, c.DueDate = order.InvoiceDelivery{}, "" }),
			Then: events(fulfilledEvent())},

		refused("the submitting partner may not fulfil", reseller),
		refused("the distributor may not fulfil", distributor),
		refused("the customer may not fulfil", customer),
		refused("an auditor may not fulfil", auditor),
		refused("compliance may not fulfil", compliance),
		refused("an integration may not fulfil", integration),
		refused("staff without roles may not fulfil", noRoles),
		refused("the zero actor may not fulfil", domain.Actor{}),
		{Name: "FulfilOrder/who: checked before the order is looked at", When: fulfilling(as(stranger)), Then: fails(domain.ErrForbidden)},

		bad("order number form", func(c *order.FulfilOrder) { c.OrderNumber = "ORD-1" }, "order_number"),
		bad("invoice number form: required", func(c *order.FulfilOrder) { c.InvoiceNumber = "" }, "invoice_number"),
		bad("invoice number form: INV- and seven digits", func(c *order.FulfilOrder) { c.InvoiceNumber = "INV-42" }, "invoice_number"),
		bad("license ID form: LIC- and seven digits", func(c *order.FulfilOrder) { c.LicenseIDs[1] = "LIC-1" }, "license_ids[1]"),
		bad("license ID form: not empty", func(c *order.FulfilOrder) { c.LicenseIDs[0] = "" }, "license_ids[0]"),
		bad("license IDs: one per line, never shared", func(c *order.FulfilOrder) { c.LicenseIDs[1] = c.LicenseIDs[0] }, "license_ids[1]"),
		bad("license IDs: one per line, not fewer", func(c *order.FulfilOrder) { c.LicenseIDs = c.LicenseIDs[:1] }, "license_ids"),
		bad("license IDs: one per line, not more", func(c *order.FulfilOrder) { c.LicenseIDs = append(c.LicenseIDs, "LIC-0000103") }, "license_ids"),
		bad("license IDs: none", func(c *order.FulfilOrder) { c.LicenseIDs = nil }, "license_ids"),
		bad("validation: every problem of the command at once",
			func(c *order.FulfilOrder) { c.OrderNumber, c.InvoiceNumber, c.LicenseIDs[0] = "", "", "x" },
			"order_number", "invoice_number", "license_ids[0]"),

		{Name: "FulfilOrder/order: an unknown order is not found", When: fulfilling(nil), Then: fails(domain.ErrNotFound)},
		{Name: "FulfilOrder/order: another order's history does not make this one exist", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.OrderNumber = otherOrderNo }), Then: fails(domain.ErrNotFound)},
		{Name: "FulfilOrder/only a submitted order: a cancelled order is not fulfilled",
			Given: append(placed(), order.Cancelled{OrderNumber: orderNo, Reason: "x"}), When: fulfilling(nil), Then: rule("order.cancelled")},
		{Name: "FulfilOrder/only a submitted order: an order is fulfilled once",
			Given: append(placed(), fulfilledEvent()), When: fulfilling(nil), Then: rule("order.fulfilled")},
		{Name: "FulfilOrder/only a submitted order: refused before the license count is checked",
			Given: append(placed(), fulfilledEvent()), When: fulfilling(func(c *order.FulfilOrder) { c.LicenseIDs = c.LicenseIDs[:1] }), Then: rule("order.fulfilled")},
		{Name: "FulfilOrder/owner: must exist", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.Owner.Exists = false }), Then: rule("order.owner_unknown")},
		{Name: "FulfilOrder/owner: must be an account ID", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.Owner = domain.OrgRef{Exists: true} }), Then: rule("order.owner_unknown")},
		{Name: "FulfilOrder/owner: a merged account accepts no licenses: the merge chain must be followed", Given: placed(),
			When: fulfilling(func(c *order.FulfilOrder) { c.Owner.MergedInto = targetID }), Then: rule("order.owner_merged")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestFulfil(t *testing.T) {
	t.Run("order stream, one license per line, the invoice of the order's total", func(t *testing.T) {
		c := fulfilling(nil)
		got, err := order.Fulfil(domaintest.Fold(aggregate, placed(), nil), c)
		if err != nil {
			t.Fatal(err)
		}
		want := order.Fulfilment{
			Order: domain.StreamEvents{StreamID: "order-" + orderNo, Events: []domain.Event{fulfilledEvent()}},
			Licenses: []order.LicenseGrant{
				{LicenseID: "LIC-0000101", Product: "Citrix Virtual Apps and Desktops", Edition: "Advanced", Quantity: 250,
					OwnerAccountID: customerID, SourceOrder: orderNo, MaintenanceEnd: "2026-03-10"},
				{LicenseID: "LIC-0000102", Product: "Citrix ADC VPX 1000", Edition: "Premium", Quantity: 2,
					OwnerAccountID: customerID, SourceOrder: orderNo, MaintenanceEnd: "2026-03-10"},
			},
			Invoice: order.InvoiceDraft{
				InvoiceNumber: "INV-0000007", OrderNumber: orderNo, AccountID: customerID, PONumber: poNumber,
				AmountMinor: 250*1999 + 2*450000, Currency: "EUR", DueDate: "2025-04-13", Delivery: delivery(),
			},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		c.InvoiceDelivery.Recipients[0] = "changed@acme.example"
		if got.Invoice.Delivery.Recipients[0] != "ap@acme.example" {
			t.Error("the draft shares its recipients with the command")
		}
	})
	t.Run("licenses and invoice go to the account a merged customer now answers under", func(t *testing.T) {
		got, err := order.Fulfil(domaintest.Fold(aggregate, placed(), nil),
			fulfilling(func(c *order.FulfilOrder) { c.Owner = domain.OrgRef{ID: targetID, Exists: true} }))
		if err != nil {
			t.Fatal(err)
		}
		if got.Invoice.AccountID != targetID || got.Licenses[0].OwnerAccountID != targetID || got.Licenses[1].OwnerAccountID != targetID {
			t.Errorf("owner not followed: %#v", got)
		}
	})
	t.Run("maintenance ends one year after the PO date; 29 February + 1 year is 1 March", func(t *testing.T) {
		for poDate, want := range map[string]string{"2024-02-29": "2025-03-01", "2024-12-31": "2025-12-31", "2025-01-01": "2026-01-01"} {
			given := []domain.Event{submittedWith(func(e *order.Submitted) { e.PODate = poDate })}
			got, err := order.Fulfil(domaintest.Fold(aggregate, given, nil), fulfilling(nil))
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range got.Licenses {
				if g.MaintenanceEnd != want {
					t.Errorf("PO date %s: maintenance end %s, want %s", poDate, g.MaintenanceEnd, want)
				}
			}
		}
	})
	t.Run("a refusal issues nothing", func(t *testing.T) {
		got, err := order.Fulfil(domaintest.Fold(aggregate, placed(), nil), fulfilling(func(c *order.FulfilOrder) { c.By = reseller }))
		if !errors.Is(err, domain.ErrForbidden) || !reflect.DeepEqual(got, order.Fulfilment{}) {
			t.Errorf("got %#v, %v", got, err)
		}
	})
	t.Run("a damaged stored PO date is an error, not a guess", func(t *testing.T) {
		given := []domain.Event{submittedWith(func(e *order.Submitted) { e.PODate = "10/03/2025" })}
		got, err := order.Fulfil(domaintest.Fold(aggregate, given, nil), fulfilling(nil))
		if err == nil || !reflect.DeepEqual(got, order.Fulfilment{}) {
			t.Errorf("got %#v, %v", got, err)
		}
	})
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ order.CancelOrder }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: placed(), When: nil, Then: rule("order.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: placed(), When: wrapped{cancelling(nil)}, Then: rule("order.unknown_command")},
	})
}

func TestEvolve(t *testing.T) {
	t.Run("submission sets up a submitted order", func(t *testing.T) {
		got := order.Evolve(order.State{}, submitted())
		want := order.State{
			Number: orderNo, Status: order.StatusSubmitted, PONumber: poNumber, PODate: poDate,
			OrderType: order.TypeNew, Catalog: order.CatalogSoftware, Lines: lines(), Currency: "EUR", TotalMinor: 250*1999 + 2*450000,
			CustomerAccountID: customerID, PartnerID: partnerID, DistributorID: distributorID, DistributorPONumber: "DIST-PO-9001",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (order.State{}).Exists() {
			t.Error("Exists: a submitted order exists and the zero state does not")
		}
	})
	t.Run("cancellation and fulfilment set the status; fulfilment records licenses, invoice and owner", func(t *testing.T) {
		s := order.Evolve(order.Evolve(order.State{}, submitted()), fulfilledEvent())
		if s.Status != order.StatusFulfilled || !reflect.DeepEqual(s.LicenseIDs, fulfilledEvent().LicenseIDs) ||
			s.InvoiceNumber != "INV-0000007" || s.OwnerAccountID != customerID {
			t.Errorf("fulfilled: %#v", s)
		}
		if s := order.Evolve(order.Evolve(order.State{}, submitted()), order.Cancelled{OrderNumber: orderNo}); s.Status != order.StatusCancelled {
			t.Errorf("cancelled: %#v", s)
		}
	})
	t.Run("the state shares no slice with the events", func(t *testing.T) {
		e, f := submitted(), fulfilledEvent()
		s := order.Evolve(order.Evolve(order.State{}, e), f)
		e.Lines[0].Quantity, f.LicenseIDs[0] = 1, "LIC-9999999"
		if s.Lines[0].Quantity != 250 || s.LicenseIDs[0] != "LIC-0000101" {
			t.Errorf("aliasing: %#v", s)
		}
	})
	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := order.Evolve(order.State{}, submitted())
		for _, e := range []domain.Event{foreign{}, order.POReserved{PartnerID: partnerID, PONumber: "X", OrderNumber: otherOrderNo}} {
			if got := order.Evolve(s, e); !reflect.DeepEqual(got, s) {
				t.Errorf("%T: got %#v, want %#v", e, got, s)
			}
		}
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "license.split" }
func (foreign) SchemaVersion() int { return 1 }

func TestStreamID(t *testing.T) {
	if got := order.StreamID(orderNo); got != "order-ORD-0000042" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidNumber(t *testing.T) {
	for n, want := range map[string]bool{
		"ORD-0000001": true, "ORD-9999999": true, "ORD-10000000": true,
		"": false, "ORD-000001": false, "ORD-00000001": false, "ord-0000001": false, "ORD0000001": false, "ORD-000000A": false, " ORD-0000001": false,
	} {
		if got := order.ValidNumber(n); got != want {
			t.Errorf("ValidNumber(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestTarget(t *testing.T) {
	for _, c := range []order.Command{submission(nil), cancelling(nil), fulfilling(nil)} {
		if got := c.Target(); got != orderNo {
			t.Errorf("%T.Target() = %q", c, got)
		}
	}
}
