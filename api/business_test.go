package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// appendEvents appends events to stream at its current version, as test
// setup for facts whose own endpoints are not under test here.
func (e *env) appendEvents(stream string, evs ...domain.Event) {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.app.Store.Load(ctx, stream)
	if err != nil {
		e.t.Fatal(err)
	}
	sa := eventstore.StreamAppend{StreamID: stream, ExpectedVersion: int64(len(cur))}
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		sa.Events = append(sa.Events, eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), SchemaVersion: ev.SchemaVersion(), Data: data, OccurredAt: time.Now()})
	}
	if _, err := e.app.Store.Append(ctx, []eventstore.StreamAppend{sa}, eventstore.Metadata{Actor: "staff:setup"}); err != nil {
		e.t.Fatal(err)
	}
}

// partnerOrg registers partner id with program status and kinds and an
// unrestricted org admin contact, and returns that contact's token.
func (e *env) partnerOrg(id, status string, kinds ...string) string {
	e.t.Helper()
	if len(kinds) == 0 {
		kinds = []string{partner.KindResellerIndirect}
	}
	e.appendEvents(partner.StreamID(id),
		partner.PartnerRegistered{PartnerID: id, Name: "Partner " + id, Kinds: kinds, Address: partner.Address{Country: "DE"}, Region: "EMEA", Status: status},
		partner.PartnerContactAdded{PartnerID: id, ContactID: "C-900001", Name: "Pat Partner", Email: "pat@partner.example",
			Roles: []string{domain.ContactOrgAdmin}, Access: domain.AccessUnrestricted})
	return e.token(auth.PartnerContact(id, "C-900001"))
}

// customerContact adds a contact with access to account id and returns its
// token.
func (e *env) customerContact(id, contactID, access string) string {
	e.t.Helper()
	e.appendEvents(account.StreamID(id), account.ContactAdded{AccountID: id, ContactID: contactID, Name: "Cus Tomer " + contactID,
		Email: strings.ToLower(contactID) + "@acme.example", Roles: []string{domain.ContactOrgAdmin, domain.ContactTechnical}, Access: access})
	return e.token(auth.CustomerContact(id, contactID))
}

func orderLine(sku string, quantity int) map[string]any {
	return map[string]any{"sku": sku, "product": "Workspace", "edition": "Enterprise", "quantity": quantity, "unit_price_minor": 1999, "currency": "EUR"}
}

func orderBody(customer, po string, lines ...map[string]any) map[string]any {
	if len(lines) == 0 {
		lines = []map[string]any{orderLine("WS-ENT", 10)}
	}
	return map[string]any{"po_number": po, "po_date": "2024-06-01", "order_type": "new", "catalog": "software",
		"lines": lines, "customer_account_id": customer}
}

// wantAnswer checks a command's answer: status, ID, stream, version and
// the types of the events recorded, in order.
func wantAnswer(t *testing.T, r resp, status int, id, stream string, version int, types ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want %d, got %d %s", status, r.status, r.raw)
	}
	if r.body["id"] != id || r.body["stream"] != stream || r.body["version"] != float64(version) {
		t.Fatalf("want %s on %s at version %d, got %s", id, stream, version, r.raw)
	}
	evs, _ := r.body["events"].([]any)
	got := make([]string, len(evs))
	var last float64
	for i, ev := range evs {
		m := ev.(map[string]any)
		got[i], _ = m["type"].(string)
		if pos, _ := m["position"].(float64); pos <= last || m["id"] == "" {
			t.Fatalf("event %d lacks an ID or an increasing position: %s", i, r.raw)
		} else {
			last = pos
		}
	}
	if strings.Join(got, " ") != strings.Join(types, " ") {
		t.Fatalf("events:\n got %v\nwant %v", got, types)
	}
	if r.body["position"] != last {
		t.Fatalf("position %v is not the last event's %v", r.body["position"], last)
	}
}

// refused checks a refusal and that it appended nothing.
func (e *env) refused(r resp, before, status int, code string) {
	e.t.Helper()
	wantProblem(e.t, r, status, code)
	if n := e.events(); n != before {
		e.t.Fatalf("a refused command appended %d events: %s", n-before, r.raw)
	}
}

func TestOrders(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Order Customer GmbH")
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive)
	e.partnerOrg("700002HQ", domain.PartnerActive, partner.KindDistributor)
	expired := e.partnerOrg("700003HQ", domain.PartnerExpired)
	other := e.partnerOrg("700004HQ", domain.PartnerActive)
	stranger := e.customerContact(cust, "C-000077", domain.AccessUnrestricted)

	// Submit: the order, the PO reservation and the customer's link in one
	// append.
	body := orderBody(cust, "PO-1001", orderLine("WS-ENT", 10), orderLine("WS-STD", 25))
	body["distributor_id"], body["distributor_po_number"] = "700002HQ", "DPO-77"
	r := e.do("POST", "/v1/orders", reseller, body, "Idempotency-Key", "order-1")
	wantAnswer(t, r, 201, "ORD-0000001", "order-ORD-0000001", 1, "order.submitted", "orderpo.reserved", "account.order_attached")
	// An idempotent repeat answers the same, not "duplicate PO".
	if again := e.do("POST", "/v1/orders", reseller, body, "Idempotency-Key", "order-1"); again.status != 201 || string(again.raw) != string(r.raw) {
		t.Fatalf("repeat: %d %s", again.status, again.raw)
	}

	before := e.events()
	// The same PO twice by the same partner, however it is spaced or cased.
	e.refused(e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-1001")), before, 409, "duplicate")
	e.refused(e.do("POST", "/v1/orders", reseller, orderBody(cust, "  po-1001 ")), before, 409, "duplicate")
	// Maintenance renewals go through RenewMaintenance.
	e.refused(e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-2", orderLine("MR-WS-ENT", 10))), before, 422, "rule_violation")
	mr := orderBody(cust, "PO-3")
	mr["order_type"] = "maintenance_renewal"
	e.refused(e.do("POST", "/v1/orders", reseller, mr), before, 422, "rule_violation")
	// An expired partner may not act.
	e.refused(e.do("POST", "/v1/orders", expired, orderBody(cust, "PO-4")), before, 403, "forbidden")
	// A partner never submits as another; a customer never submits.
	asOther := orderBody(cust, "PO-5")
	asOther["partner_id"] = "700004HQ"
	e.refused(e.do("POST", "/v1/orders", reseller, asOther), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/orders", stranger, orderBody(cust, "PO-5")), before, 403, "forbidden")
	// Unknown customer, a distributor that is no distributor, bad fields.
	e.refused(e.do("POST", "/v1/orders", reseller, orderBody("999999ZZ", "PO-6")), before, 422, "rule_violation")
	notDist := orderBody(cust, "PO-7")
	notDist["distributor_id"], notDist["distributor_po_number"] = "700004HQ", "D-1"
	e.refused(e.do("POST", "/v1/orders", reseller, notDist), before, 422, "rule_violation")
	bad := orderBody(cust, "PO-8", orderLine("ws ent", 0))
	bad["po_date"] = "2024-13-01"
	r = e.do("POST", "/v1/orders", reseller, bad)
	e.refused(r, before, 422, "validation_failed")
	if len(r.body["errors"].([]any)) != 3 {
		t.Fatalf("want every problem at once: %s", r.raw)
	}
	e.refused(e.do("POST", "/v1/orders", reseller, `{"po_number":"PO-9","admin":true}`), before, 400, "invalid_request")

	// The same PO by another partner is another PO; refusals drew no number.
	r = e.do("POST", "/v1/orders", other, orderBody(cust, "PO-1001"))
	wantAnswer(t, r, 201, "ORD-0000002", "order-ORD-0000002", 1, "order.submitted", "orderpo.reserved", "account.order_attached")

	// Fulfil: staff only; the order, a license per line, the invoice and a
	// link per license, in one append.
	before = e.events()
	e.refused(e.do("POST", "/v1/orders/ORD-0000001/fulfil", reseller, `{}`), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/orders/ORD-0000001/fulfil", e.auditor, `{}`), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/orders/ORD-0000099/fulfil", e.support, `{}`), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/orders/ORD-1/fulfil", e.support, `{}`), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/orders/%27%3B--/fulfil", e.support, `{}`), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/orders/ORD-0000001/fulfil", e.support, map[string]any{"due_date": "2001-01-01"}), before, 422, "validation_failed")
	r = e.do("POST", "/v1/orders/ORD-0000001/fulfil", e.support, `{}`)
	wantAnswer(t, r, 200, "ORD-0000001", "order-ORD-0000001", 2,
		"order.fulfilled", "license.issued", "license.issued", "invoice.issued", "account.license_attached", "account.license_attached")
	// The refused fulfilments drew no license ID and no invoice number; the
	// customer never chose a delivery, so the invoice goes on paper.
	for _, s := range []string{"license-LIC-0000001", "license-LIC-0000002"} {
		if evs, _ := e.app.Store.Load(context.Background(), s); len(evs) != 1 {
			t.Fatalf("%s holds %d events", s, len(evs))
		}
	}
	evs, _ := e.app.Store.Load(context.Background(), "invoice-INV-0000001")
	var inv invoice.Issued
	if len(evs) != 1 || json.Unmarshal(evs[0].Data, &inv) != nil || inv.Delivery.Mode != "paper" || inv.AccountID != cust || inv.AmountMinor != 35*1999 {
		t.Fatalf("invoice: %+v", inv)
	}
	before = e.events()
	e.refused(e.do("POST", "/v1/orders/ORD-0000001/fulfil", e.support, `{}`), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/orders/ORD-0000001/cancel", reseller, map[string]any{"reason": "too late"}), before, 422, "rule_violation")

	// A paperless customer gets a paperless invoice.
	e.appendEvents(account.StreamID(cust), account.InvoiceDeliverySet{AccountID: cust, Mode: "paperless", Recipients: []string{"ap@acme.example"}})
	r = e.do("POST", "/v1/orders/ORD-0000002/fulfil", e.admin, map[string]any{"due_date": "2099-12-31"})
	wantAnswer(t, r, 200, "ORD-0000002", "order-ORD-0000002", 2, "order.fulfilled", "license.issued", "invoice.issued", "account.license_attached")
	evs, _ = e.app.Store.Load(context.Background(), "invoice-INV-0000002")
	if len(evs) != 1 || json.Unmarshal(evs[0].Data, &inv) != nil || inv.Delivery.Mode != "paperless" || inv.DueDate != "2099-12-31" {
		t.Fatalf("invoice: %+v", inv)
	}

	// Cancel: the submitting partner or staff; another partner is not told
	// the order exists.
	wantAnswer(t, e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-10")), 201, "ORD-0000003", "order-ORD-0000003", 1,
		"order.submitted", "orderpo.reserved", "account.order_attached")
	before = e.events()
	e.refused(e.do("POST", "/v1/orders/ORD-0000003/cancel", other, map[string]any{"reason": "mine now"}), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/orders/ORD-0000003/cancel", reseller, map[string]any{"reason": ""}), before, 422, "validation_failed")
	e.refused(e.do("POST", "/v1/orders/ORD-0000003/cancel", reseller, `{}`), before, 422, "validation_failed")
	r = e.do("POST", "/v1/orders/ORD-0000003/cancel", reseller, map[string]any{"reason": "customer withdrew"})
	wantAnswer(t, r, 200, "ORD-0000003", "order-ORD-0000003", 2, "order.cancelled")
	// A cancelled order's PO stays used.
	before = e.events()
	e.refused(e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-10")), before, 409, "duplicate")
}

func TestContracts(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Contract Customer GmbH")
	otherCust, _ := e.register("Other Customer GmbH")
	e.partnerOrg("700001HQ", domain.PartnerActive)
	contact := e.customerContact(cust, "C-000101", domain.AccessUnrestricted)
	stranger := e.customerContact(otherCust, "C-000102", domain.AccessUnrestricted)
	body := func(program, account string) map[string]any {
		return map[string]any{"program": program, "account_id": account, "primary_admin": "C-000101", "secondary_admin": "C-000103",
			"discount_level": 3, "term_start": "2024-01-01", "term_end": "2026-12-31"}
	}
	r := e.do("POST", "/v1/contracts", e.admin, body("enterprise", cust))
	wantAnswer(t, r, 201, "ELA-000001", "contract-ELA-000001", 1, "contract.registered", "account.contract_attached")

	before := e.events()
	e.refused(e.do("POST", "/v1/contracts", e.admin, body("enterprise", cust)), before, 422, "rule_violation") // one active per program
	e.refused(e.do("POST", "/v1/contracts", e.admin, body("enterprise", "999999ZZ")), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/contracts", e.admin, body("platinum", cust)), before, 422, "validation_failed")
	e.refused(e.do("POST", "/v1/contracts", contact, body("easy", cust)), before, 403, "forbidden")
	bad := body("easy", cust)
	bad["discount_level"], bad["term_end"] = 7, "2023-01-01"
	e.refused(e.do("POST", "/v1/contracts", e.admin, bad), before, 422, "validation_failed")
	// The refused registrations drew no number from either sequence.
	wantAnswer(t, e.do("POST", "/v1/contracts", e.support, body("easy", cust)), 201, "EASY-000001", "contract-EASY-000001", 1,
		"contract.registered", "account.contract_attached")
	wantAnswer(t, e.do("POST", "/v1/contracts", e.support, body("enterprise", otherCust)), 201, "ELA-000002", "contract-ELA-000002", 1,
		"contract.registered", "account.contract_attached")

	// Administrators: staff or an unrestricted contact of the customer.
	r = e.do("POST", "/v1/contracts/ELA-000001/administrators", contact, map[string]any{"primary_admin": "C-000103"})
	wantAnswer(t, r, 200, "ELA-000001", "contract-ELA-000001", 2, "contract.administrators_changed")
	before = e.events()
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/administrators", stranger, map[string]any{"primary_admin": "C-000101"}), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/administrators", contact, map[string]any{"primary_admin": "C-000103"}), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/administrators", contact, map[string]any{"primary_admin": "nobody"}), before, 422, "validation_failed")

	// Discount level: staff only.
	r = e.do("POST", "/v1/contracts/ELA-000001/discount-level", e.admin, map[string]any{"discount_level": 5})
	wantAnswer(t, r, 200, "ELA-000001", "contract-ELA-000001", 3, "contract.discount_level_set")
	before = e.events()
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/discount-level", contact, map[string]any{"discount_level": 6}), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/discount-level", e.admin, map[string]any{"discount_level": 0}), before, 422, "validation_failed")
	e.refused(e.do("POST", "/v1/contracts/ELA-000009/discount-level", e.admin, map[string]any{"discount_level": 2}), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/contracts/XYZ-1/discount-level", e.admin, map[string]any{"discount_level": 2}), before, 404, "not_found")

	// Manage rights: granted, refused twice, revoked (DELETE).
	r = e.do("POST", "/v1/contracts/ELA-000001/manage-rights", contact, map[string]any{"partner_id": "700001HQ"})
	wantAnswer(t, r, 200, "ELA-000001", "contract-ELA-000001", 4, "contract.manage_rights_granted")
	before = e.events()
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/manage-rights", e.admin, map[string]any{"partner_id": "700001HQ"}), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/contracts/ELA-000001/manage-rights", e.admin, map[string]any{"partner_id": "799999HQ"}), before, 422, "rule_violation")
	e.refused(e.do("DELETE", "/v1/contracts/ELA-000001/manage-rights/not-an-id", e.admin, nil), before, 404, "not_found")
	e.refused(e.do("DELETE", "/v1/contracts/ELA-000001/manage-rights/700001HQ", stranger, nil), before, 404, "not_found")
	r = e.do("DELETE", "/v1/contracts/ELA-000001/manage-rights/700001HQ", e.admin, nil)
	wantAnswer(t, r, 200, "ELA-000001", "contract-ELA-000001", 5, "contract.manage_rights_revoked")
	before = e.events()
	e.refused(e.do("DELETE", "/v1/contracts/ELA-000001/manage-rights/700001HQ", e.admin, nil), before, 422, "rule_violation")
}

// fulfilled submits (as staff, for partner 700001HQ) and fulfils an order
// of one line per quantity for customer.
func (e *env) fulfilled(customer string, quantities ...int) {
	e.t.Helper()
	var lines []map[string]any
	for i, q := range quantities {
		lines = append(lines, orderLine(fmt.Sprintf("WS-%d", i), q))
	}
	body := orderBody(customer, "PO-"+uuid.NewString()[:8], lines...)
	if v, err := e.app.Store.StreamVersion(context.Background(), partner.StreamID("700001HQ")); err != nil {
		e.t.Fatal(err)
	} else if v == 0 {
		e.partnerOrg("700001HQ", domain.PartnerActive)
	}
	body["partner_id"] = "700001HQ"
	r := e.do("POST", "/v1/orders", e.admin, body)
	if r.status != 201 {
		e.t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	if r = e.do("POST", "/v1/orders/"+r.body["id"].(string)+"/fulfil", e.admin, `{}`); r.status != 200 {
		e.t.Fatalf("fulfil: %d %s", r.status, r.raw)
	}
}

func TestLicenses(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("License Customer GmbH")
	newOwner, _ := e.register("License Buyer GmbH")
	e.fulfilled(cust, 100) // LIC-0000001
	owner := e.customerContact(cust, "C-000201", domain.AccessUnrestricted)
	restricted := e.customerContact(cust, "C-000202", domain.AccessRestricted)
	stranger := e.customerContact(newOwner, "C-000203", domain.AccessUnrestricted)
	renewal := e.partnerOrg("700005HQ", domain.PartnerActive)
	unrelated := e.partnerOrg("700006HQ", domain.PartnerActive)
	const lic = "/v1/licenses/LIC-0000001"

	r := e.do("POST", lic+"/allocations", owner, map[string]any{"host_id_type": "hostname", "host_id": "lic1.acme.example", "quantity": 60})
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 2, "license.allocated")
	before := e.events()
	alloc := map[string]any{"host_id_type": "mac", "host_id": "0019b9f1c2d3", "quantity": 41}
	e.refused(e.do("POST", lic+"/allocations", owner, alloc), before, 422, "rule_violation") // 60 + 41 > 100
	alloc["quantity"] = 40
	e.refused(e.do("POST", lic+"/allocations", stranger, alloc), before, 404, "not_found")
	e.refused(e.do("POST", lic+"/allocations", unrelated, alloc), before, 404, "not_found")
	e.refused(e.do("POST", lic+"/allocations", restricted, alloc), before, 403, "forbidden")
	e.refused(e.do("POST", lic+"/allocations", e.auditor, alloc), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/licenses/LIC-0000099/allocations", e.admin, alloc), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/licenses/LIC-1/allocations", e.admin, alloc), before, 404, "not_found")
	e.refused(e.do("POST", lic+"/allocations", owner, map[string]any{"host_id_type": "serial", "host_id": "x y", "quantity": 0}), before, 422, "validation_failed")

	r = e.do("POST", lic+"/reallocate", owner, map[string]any{"from_host_id": "lic1.acme.example", "to_host_id_type": "ip", "to_host_id": "10.0.0.5"})
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 3, "license.reallocated")
	before = e.events()
	e.refused(e.do("POST", lic+"/reallocate", owner, map[string]any{"from_host_id": "lic1.acme.example", "to_host_id_type": "ip", "to_host_id": "10.0.0.6"}), before, 422, "rule_violation")

	// Transfer: staff only, and not while allocated.
	e.refused(e.do("POST", lic+"/transfer", e.support, map[string]any{"to_account_id": newOwner}), before, 422, "rule_violation")
	e.refused(e.do("POST", lic+"/transfer", owner, map[string]any{"to_account_id": newOwner}), before, 403, "forbidden")
	e.refused(e.do("DELETE", lic+"/allocations/not%20a%20host", owner, nil), before, 404, "not_found")
	e.refused(e.do("DELETE", lic+"/allocations/10.0.0.9", owner, nil), before, 422, "rule_violation")
	r = e.do("DELETE", lic+"/allocations/10.0.0.5", owner, nil)
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 4, "license.allocation_returned")
	// Only on an approved transfer case of the owner, which it completes:
	// one case, one transfer.
	before = e.events()
	e.refused(e.do("POST", lic+"/transfer", e.support, map[string]any{"to_account_id": newOwner}), before, 422, "rule_violation") // no case
	r = e.do("POST", "/v1/cases", owner, map[string]any{"request_type": "licensing", "subject": "transfer", "account_id": cust, "description": "Transfer to the buyer"})
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	before = e.events()
	withCase := func(to string) map[string]any {
		return map[string]any{"to_account_id": to, "approval_case": "CASE-000001"}
	}
	e.refused(e.do("POST", lic+"/transfer", e.support, withCase(newOwner)), before, 422, "rule_violation") // not approved yet
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`), 200, "CASE-000001", "supportcase-CASE-000001", 2, "supportcase.approved")
	before = e.events()
	e.refused(e.do("POST", lic+"/transfer", e.support, withCase("999999ZZ")), before, 422, "rule_violation")
	e.refused(e.do("POST", lic+"/transfer", e.support, withCase(cust)), before, 422, "rule_violation")
	e.refused(e.do("POST", lic+"/transfer", e.support, withCase("bogus")), before, 422, "validation_failed")
	e.refused(e.do("POST", lic+"/transfer", e.support, map[string]any{"to_account_id": newOwner, "approval_case": "CASE-1"}), before, 422, "validation_failed")
	r = e.do("POST", lic+"/transfer", e.support, withCase(newOwner))
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 5, "license.transferred", "account.license_detached", "account.license_attached", "supportcase.executed")
	before = e.events()
	e.refused(e.do("POST", lic+"/transfer", e.support, map[string]any{"to_account_id": cust, "approval_case": "CASE-000001"}), before, 422, "rule_violation") // used
	if c := e.get(t, "/v1/cases/CASE-000001", e.support); c["status"] != "completed" || len(c["change_events"].([]any)) != 3 {
		t.Fatalf("the transfer did not complete its case: %v", c)
	}
	// The old owner's contact no longer reaches it; the new owner's does.
	before = e.events()
	e.refused(e.do("POST", lic+"/allocations", owner, alloc), before, 404, "not_found")

	// Renew: the customer itself, or its renewal partner with view rights
	// on the license; staff renew for nobody; others are not told the
	// license exists.
	e.refused(e.do("POST", lic+"/renew", owner, nil), before, 404, "not_found")
	e.refused(e.do("POST", lic+"/renew", unrelated, nil), before, 404, "not_found")
	e.refused(e.do("POST", lic+"/renew", e.admin, nil), before, 403, "forbidden")
	e.refused(e.do("POST", lic+"/renew", stranger, `{"years":2}`), before, 400, "invalid_request")
	r = e.do("POST", lic+"/renew", stranger, nil)
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 6, "license.maintenance_renewed")
	e.appendEvents(account.StreamID(newOwner), account.RenewalPartnerDesignated{AccountID: newOwner, PartnerID: "700005HQ"})
	before = e.events()
	e.refused(e.do("POST", lic+"/renew", renewal, nil), before, 403, "forbidden") // no view rights yet
	e.appendEvents(account.StreamID(newOwner), account.ViewRightsGranted{AccountID: newOwner, PartnerID: "700005HQ", Scope: account.ScopeAssigned, LicenseIDs: []string{"LIC-0000001"}})
	r = e.do("POST", lic+"/renew", renewal, `{}`)
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 7, "license.maintenance_renewed")
	evs, _ := e.app.Store.Load(context.Background(), "license-LIC-0000001")
	var renewed license.MaintenanceRenewed
	if err := json.Unmarshal(evs[len(evs)-1].Data, &renewed); err != nil || renewed.From != "2026-06-01" || renewed.To != "2027-06-01" {
		t.Fatalf("second renewal: %s", evs[len(evs)-1].Data)
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Split Customer GmbH")
	e.fulfilled(cust, 100, 1500) // LIC-0000001, LIC-0000002
	owner := e.customerContact(cust, "C-000301", domain.AccessUnrestricted)
	split := func(approvalCase string, quantities ...int) map[string]any {
		parts := make([]map[string]any, len(quantities))
		for i, q := range quantities {
			parts[i] = map[string]any{"quantity": q}
		}
		b := map[string]any{"parts": parts, "email_authorisation": map[string]any{"from": "it@acme.example", "reference": "MSG-42"}}
		if approvalCase != "" {
			b["approval_case"] = approvalCase
		}
		return b
	}

	before := e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split("", 60, 30)), before, 422, "rule_violation") // parts do not sum
	wrongDomain := split("", 60, 40)
	wrongDomain["email_authorisation"] = map[string]any{"from": "someone@gmail.com", "reference": "MSG-1"}
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, wrongDomain), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split("", 100)), before, 422, "validation_failed")
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, `{"parts":[{"quantity":50,"license_id":"LIC-0000777"}]}`), before, 400, "invalid_request")
	r := e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split("", 60, 40))
	wantAnswer(t, r, 200, "LIC-0000001", "license-LIC-0000001", 3,
		"license.split", "license.rescinded", "license.issued", "license.issued",
		"account.license_detached", "account.license_attached", "account.license_attached")
	// Refused splits drew no license ID: the parts are the next two.
	for _, s := range []string{"license-LIC-0000003", "license-LIC-0000004"} {
		evs, _ := e.app.Store.Load(context.Background(), s)
		var issued license.Issued
		if len(evs) != 1 || json.Unmarshal(evs[0].Data, &issued) != nil || issued.ParentLicenseID != "LIC-0000001" || issued.OwnerAccountID != cust {
			t.Fatalf("%s: %d events, %+v", s, len(evs), issued)
		}
	}
	before = e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split("", 60, 40)), before, 422, "rule_violation") // rescinded

	// Over 1000 users: only staff, from an approved split case.
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/split", e.support, split("", 1000, 500)), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/split", owner, split("CASE-000001", 1000, 500)), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/split", e.support, split("CASE-000001", 1000, 500)), before, 422, "rule_violation") // no such case
	r = e.do("POST", "/v1/cases", owner, map[string]any{"request_type": "licensing", "subject": "split", "account_id": cust,
		"description": "Split LIC-0000002 into 1000 and 500 users", "evidence": []string{"mail:MSG-42"}}) // no proposal: approved only
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	before = e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/split", e.support, split("CASE-000001", 1000, 500)), before, 422, "rule_violation") // not approved
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`), 200, "CASE-000001", "supportcase-CASE-000001", 2, "supportcase.approved")
	r = e.do("POST", "/v1/licenses/LIC-0000002/split", e.support, split("CASE-000001", 1000, 500))
	wantAnswer(t, r, 200, "LIC-0000002", "license-LIC-0000002", 3,
		"license.split", "license.rescinded", "license.issued", "license.issued",
		"account.license_detached", "account.license_attached", "account.license_attached", "supportcase.executed")
	if evs, _ := e.app.Store.Load(context.Background(), "license-LIC-0000006"); len(evs) != 1 {
		t.Fatalf("the second split's parts are not LIC-0000005 and LIC-0000006")
	}
}

func TestCases(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Customer GmbH")
	otherCust, _ := e.register("Case Bystander GmbH")
	requester := e.customerContact(cust, "C-000401", domain.AccessRestricted) // asking is not changing
	colleague := e.customerContact(cust, "C-000402", domain.AccessUnrestricted)
	stranger := e.customerContact(otherCust, "C-000403", domain.AccessUnrestricted)
	expired := e.partnerOrg("700007HQ", domain.PartnerExpired)
	open := func(account, subject string) map[string]any {
		return map[string]any{"request_type": "general", "subject": subject, "account_id": account, "description": "Please rename us"}
	}

	r := e.do("POST", "/v1/cases", requester, open(cust, "rename"))
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	before := e.events()
	e.refused(e.do("POST", "/v1/cases", stranger, open(cust, "rename")), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/cases", expired, open(cust, "rename")), before, 403, "forbidden")
	// A partner sees a customer only through an order, a contract right or
	// view rights: to any other partner the account does not exist.
	unrelated := e.partnerOrg("700008HQ", domain.PartnerActive)
	before = e.events()
	e.refused(e.do("POST", "/v1/cases", unrelated, open(cust, "rename")), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/cases", unrelated, open("999999ZZ", "rename")), before, 404, "not_found")
	related := e.partnerOrg("700009HQ", domain.PartnerActive)
	e.appendEvents(account.StreamID(otherCust), account.ViewRightsGranted{AccountID: otherCust, PartnerID: "700009HQ", Scope: account.ScopeAll})
	byPartner := open(otherCust, "other")
	byPartner["requester"] = "partner:700009HQ/C-900001"
	wantAnswer(t, e.do("POST", "/v1/cases", related, byPartner), 201, "CASE-000002", "supportcase-CASE-000002", 1, "supportcase.opened")
	before = e.events()
	e.refused(e.do("POST", "/v1/cases", e.support, open("999999ZZ", "rename")), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/cases", e.support, open(cust, "world_peace")), before, 422, "validation_failed")
	onBehalf := open(cust, "other")
	onBehalf["requester"] = "customer:" + cust + "/C-000402"
	e.refused(e.do("POST", "/v1/cases", requester, onBehalf), before, 422, "rule_violation")
	// Staff open on someone's behalf; the refusals drew no case number.
	wantAnswer(t, e.do("POST", "/v1/cases", e.support, onBehalf), 201, "CASE-000003", "supportcase-CASE-000003", 1, "supportcase.opened")

	before = e.events()
	e.refused(e.do("POST", "/v1/cases/CASE-000001/request-info", requester, map[string]any{"what": "x"}), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/cases/CASE-000001/provide-info", requester, map[string]any{"information": "early"}), before, 422, "rule_violation")
	r = e.do("POST", "/v1/cases/CASE-000001/request-info", e.support, map[string]any{"what": "The legal document naming both names"})
	wantAnswer(t, r, 200, "CASE-000001", "supportcase-CASE-000001", 2, "supportcase.information_requested")
	before = e.events()
	e.refused(e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`), before, 422, "rule_violation") // waiting for information
	e.refused(e.do("POST", "/v1/cases/CASE-000001/provide-info", stranger, map[string]any{"information": "me"}), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/cases/CASE-000001/provide-info", colleague, map[string]any{"information": "me"}), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/cases/CASE-000001/provide-info", requester, `{}`), before, 422, "validation_failed")
	r = e.do("POST", "/v1/cases/CASE-000001/provide-info", requester, map[string]any{"evidence": []string{"doc:register-extract.pdf"}})
	wantAnswer(t, r, 200, "CASE-000001", "supportcase-CASE-000001", 3, "supportcase.information_provided")

	before = e.events()
	e.refused(e.do("POST", "/v1/cases/CASE-000001/approve", requester, `{}`), before, 403, "forbidden")
	e.refused(e.do("POST", "/v1/cases/CASE-000009/approve", e.support, `{}`), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/cases/CASE-1/approve", e.support, `{}`), before, 404, "not_found")
	r = e.do("POST", "/v1/cases/CASE-000001/approve", e.support, map[string]any{"note": "Register extract checked"})
	wantAnswer(t, r, 200, "CASE-000001", "supportcase-CASE-000001", 4, "supportcase.approved")
	before = e.events()
	e.refused(e.do("POST", "/v1/cases/CASE-000001/reject", e.support, map[string]any{"reason": "changed my mind"}), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/cases/CASE-000003/reject", e.support, map[string]any{"reason": " "}), before, 422, "validation_failed")
	r = e.do("POST", "/v1/cases/CASE-000003/reject", e.admin, map[string]any{"reason": "No evidence given"})
	wantAnswer(t, r, 200, "CASE-000003", "supportcase-CASE-000003", 2, "supportcase.rejected")
}
