package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// The helpers of this file start with ac, so that they do not meet the
// other test files of the package.

// acAccepted checks a command's answer: status, the aggregate and stream
// it is about, the stream's new version (0: not checked), and the types of
// the events recorded, each with an ID and a position up to the answer's.
func acAccepted(t *testing.T, r resp, status int, id, stream string, version int, types ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want %d, got %d %s", status, r.status, r.raw)
	}
	if id != "" && r.body["id"] != id {
		t.Fatalf("id: want %s, got %s", id, r.raw)
	}
	if r.body["stream"] != stream {
		t.Fatalf("stream: want %s, got %s", stream, r.raw)
	}
	if version > 0 && r.body["version"] != float64(version) {
		t.Fatalf("version: want %d, got %s", version, r.raw)
	}
	pos, _ := r.body["position"].(float64)
	evs, _ := r.body["events"].([]any)
	if pos <= 0 || len(evs) != len(types) {
		t.Fatalf("want events %v at a position, got %s", types, r.raw)
	}
	for i, want := range types {
		ev := evs[i].(map[string]any)
		p, _ := ev["position"].(float64)
		if ev["type"] != want || ev["id"] == nil || p <= 0 || p > pos {
			t.Fatalf("event %d: want %s, got %s", i, want, r.raw)
		}
	}
}

// acRefused sends a request that must be refused with status and code, and
// checks that it appended nothing.
func acRefused(t *testing.T, e *env, method, path, token string, body any, status int, code string) {
	t.Helper()
	before := e.events()
	r := e.do(method, path, token, body)
	if r.status != status || r.body["code"] != code {
		t.Fatalf("%s %s: want %d %s, got %d %s", method, path, status, code, r.status, r.raw)
	}
	wantProblem(t, r, status, code)
	if n := e.events(); n != before {
		t.Fatalf("%s %s: a refused command appended %d events", method, path, n-before)
	}
}

// acPartner registers a partner of kinds with a status, as admin staff.
func acPartner(t *testing.T, e *env, name, status string, kinds ...string) string {
	t.Helper()
	r := e.do("POST", "/v1/partners", e.admin, map[string]any{
		"name": name, "kinds": kinds, "address": map[string]any{"country": "GB", "city": "London"}, "status": status,
	})
	if r.status != http.StatusCreated {
		t.Fatalf("register partner: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

// acContactBody is the body of AddContact and AddPartnerContact.
func acContactBody(name, email, access string, roles ...string) map[string]any {
	return map[string]any{"name": name, "email": email, "roles": roles, "access": access}
}

// acContact adds a contact through org (/v1/accounts/ID or
// /v1/partners/ID) as token and returns its ID.
func acContact(t *testing.T, e *env, org, token string, body map[string]any) string {
	t.Helper()
	r := e.do("POST", org+"/contacts", token, body)
	if r.status != http.StatusCreated {
		t.Fatalf("add contact to %s: %d %s", org, r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	if !strings.HasPrefix(id, "C-") {
		t.Fatalf("contact ID %q", id)
	}
	return id
}

func acAddress(country, city string) map[string]any {
	return map[string]any{"address": map[string]any{"country": country, "city": city}}
}

func TestAccountProfileCommands(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Profile Widgets GmbH")
	stream := "account-" + id
	base := "/v1/accounts/" + id
	p := acPartner(t, e, "Profile Partner Ltd", "active", "reseller_direct")
	pc := acContact(t, e, "/v1/partners/"+p, e.admin, acContactBody("Pat Partner", "pat@partner.example", "unrestricted", "org_admin"))
	partner := e.token(auth.PartnerContact(p, pc))

	t.Run("ChangeAddress", func(t *testing.T) {
		r := e.do("POST", base+"/address", e.support, acAddress("JP", "Tokyo"))
		acAccepted(t, r, 200, id, stream, 0, "account.address_changed")
		acRefused(t, e, "POST", base+"/address", e.admin, acAddress("JP", "Tokyo"), 422, "rule_violation")
		acRefused(t, e, "POST", base+"/address", e.admin, acAddress("XX", "Nowhere"), 422, "validation_failed")
		acRefused(t, e, "POST", base+"/address", e.admin, `{"address":{"country":"FR"},"force":true}`, 400, "invalid_request")
		acRefused(t, e, "POST", base+"/address", e.auditor, acAddress("FR", "Paris"), 403, "forbidden")
		acRefused(t, e, "POST", base+"/address", partner, acAddress("FR", "Paris"), 403, "forbidden")
		acRefused(t, e, "POST", "/v1/accounts/999999ZZ/address", e.admin, acAddress("FR", "Paris"), 404, "not_found")
		acRefused(t, e, "POST", "/v1/accounts/not-an-id/address", e.admin, acAddress("FR", "Paris"), 404, "not_found")
	})
	t.Run("SetVATNumber", func(t *testing.T) {
		r := e.do("POST", base+"/vat-number", e.admin, map[string]any{"vat_number": "DE999999999"})
		acAccepted(t, r, 200, id, stream, 0, "account.vat_number_set")
		acRefused(t, e, "POST", base+"/vat-number", e.admin, map[string]any{"vat_number": "DE999999999"}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/vat-number", e.admin, map[string]any{"vat_number": "de<script>"}, 422, "validation_failed")
		acRefused(t, e, "POST", base+"/vat-number", e.auditor, map[string]any{"vat_number": "DE1"}, 403, "forbidden")
		acRefused(t, e, "POST", "/v1/accounts/123/vat-number", e.admin, map[string]any{"vat_number": "DE1"}, 404, "not_found")
	})
	t.Run("TagAndUntag", func(t *testing.T) {
		r := e.do("POST", base+"/tags", e.admin, map[string]any{"tag": "key-account"})
		acAccepted(t, r, 200, id, stream, 0, "account.tagged")
		v := int(r.body["version"].(float64))
		acRefused(t, e, "POST", base+"/tags", e.admin, map[string]any{"tag": "key-account"}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/tags", e.admin, map[string]any{"tag": "Key Account!"}, 422, "validation_failed")
		acRefused(t, e, "POST", base+"/tags", partner, map[string]any{"tag": "mine"}, 403, "forbidden")
		acRefused(t, e, "DELETE", base+"/tags/key-account", e.admin, `{"tag":"x"}`, 400, "invalid_request")
		r = e.do("DELETE", base+"/tags/key-account", e.support, nil)
		acAccepted(t, r, 200, id, stream, v+1, "account.untagged")
		acRefused(t, e, "DELETE", base+"/tags/key-account", e.admin, nil, 422, "rule_violation")
		acRefused(t, e, "DELETE", base+"/tags/NOT%20A%20TAG", e.admin, nil, 422, "validation_failed")
		acRefused(t, e, "DELETE", "/v1/accounts/%27%3B--/tags/key-account", e.admin, nil, 404, "not_found")
		acRefused(t, e, "DELETE", base+"/tags/key-account", e.auditor, nil, 403, "forbidden")
	})
}

func TestAccountContactsAndCustomerAccess(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Contact Widgets GmbH")
	other, _ := e.register("Other Widgets GmbH")
	base := "/v1/accounts/" + id
	stream := "account-" + id

	// Staff add the first contacts; the answer names the new contact.
	r := e.do("POST", base+"/contacts", e.support, acContactBody("Olga Owner", "olga@acme.example", "unrestricted", "org_admin"))
	acAccepted(t, r, 201, "", stream, 2, "account.contact_added")
	admin := r.body["id"].(string)
	restricted := acContact(t, e, base, e.admin, acContactBody("Rita Reader", "rita@acme.example", "restricted", "technical", "billing"))
	if admin == restricted {
		t.Fatalf("two contacts got %s", admin)
	}
	acRefused(t, e, "POST", base+"/contacts", e.admin, acContactBody("Olga Again", "OLGA@acme.example", "restricted", "billing"), 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts", e.admin, acContactBody("", "not-an-email", "sometimes", "janitor"), 422, "validation_failed")
	acRefused(t, e, "POST", base+"/contacts", e.auditor, acContactBody("Al Auditor", "al@acme.example", "restricted", "billing"), 403, "forbidden")
	acRefused(t, e, "POST", "/v1/accounts/999999ZZ/contacts", e.admin, acContactBody("Nobody", "no@acme.example", "restricted", "billing"), 404, "not_found")
	acRefused(t, e, "POST", "/v1/accounts/x/contacts", e.admin, acContactBody("Nobody", "no@acme.example", "restricted", "billing"), 404, "not_found")
	acRefused(t, e, "POST", base+"/contacts", e.admin, `{"name":"A","email":"a@acme.example","roles":["billing"],"access":"restricted","contact_id":"C-1"}`, 400, "invalid_request")

	owner := e.token(auth.CustomerContact(id, admin))
	reader := e.token(auth.CustomerContact(id, restricted))
	stranger := e.token(auth.CustomerContact(other, "C-424242"))

	// An unrestricted contact changes the account; a restricted one may
	// not; a contact of another customer does not learn it exists.
	r = e.do("POST", base+"/address", owner, acAddress("AT", "Vienna"))
	acAccepted(t, r, 200, id, stream, 0, "account.address_changed")
	acRefused(t, e, "POST", base+"/address", reader, acAddress("CH", "Zurich"), 403, "forbidden")
	acRefused(t, e, "POST", base+"/tags", reader, map[string]any{"tag": "vip"}, 403, "forbidden")
	acRefused(t, e, "POST", base+"/address", stranger, acAddress("CH", "Zurich"), 404, "not_found")
	acRefused(t, e, "POST", base+"/contacts", stranger, acContactBody("Eve", "eve@evil.example", "unrestricted", "org_admin"), 404, "not_found")

	// The unrestricted org admin manages contacts; the restricted one not.
	third := acContact(t, e, base, owner, acContactBody("Tom Tech", "tom@acme.example", "restricted", "technical"))
	acRefused(t, e, "POST", base+"/contacts", reader, acContactBody("Rex", "rex@acme.example", "unrestricted", "org_admin"), 403, "forbidden")
	acRefused(t, e, "POST", base+"/contacts/"+third+"/access", reader, map[string]any{"access": "unrestricted"}, 403, "forbidden")

	r = e.do("POST", base+"/contacts/"+restricted+"/access", owner, map[string]any{"access": "unrestricted"})
	acAccepted(t, r, 200, id, stream, 0, "account.contact_access_set")
	acRefused(t, e, "POST", base+"/contacts/"+restricted+"/access", e.admin, map[string]any{"access": "unrestricted"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts/"+restricted+"/access", e.admin, map[string]any{"access": "full"}, 422, "validation_failed")
	acRefused(t, e, "POST", base+"/contacts/C-999999/access", e.admin, map[string]any{"access": "restricted"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts/nobody/access", e.admin, map[string]any{"access": "restricted"}, 404, "not_found")
	acRefused(t, e, "POST", "/v1/accounts/999999ZZ/contacts/"+restricted+"/access", e.admin, map[string]any{"access": "restricted"}, 404, "not_found")
	// Now unrestricted, the former reader may change the account.
	r = e.do("POST", base+"/tags", reader, map[string]any{"tag": "vip"})
	acAccepted(t, r, 200, id, stream, 0, "account.tagged")

	// A repeated AddContact with the same Idempotency-Key answers the same
	// contact and appends once.
	before := e.events()
	body := acContactBody("Ida Idem", "ida@acme.example", "restricted", "billing")
	r1 := e.do("POST", base+"/contacts", e.admin, body, "Idempotency-Key", "contact-1")
	r2 := e.do("POST", base+"/contacts", e.admin, body, "Idempotency-Key", "contact-1")
	if r1.status != 201 || r2.status != 201 || string(r1.raw) != string(r2.raw) || e.events() != before+1 {
		t.Fatalf("idempotent AddContact:\n%d %s\n%d %s", r1.status, r1.raw, r2.status, r2.raw)
	}
}

func TestInvoiceDelivery(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Invoice Widgets GmbH")
	base := "/v1/accounts/" + id
	stream := "account-" + id
	p := acPartner(t, e, "Billing Partner Ltd", "active", "reseller_direct", "reseller_indirect")
	pc := acContact(t, e, "/v1/partners/"+p, e.admin, acContactBody("Pia Partner", "pia@partner.example", "unrestricted", "org_admin"))
	partner := e.token(auth.PartnerContact(p, pc))
	cc := acContact(t, e, base, e.admin, acContactBody("Bill Payer", "bill@acme.example", "unrestricted", "billing"))
	customer := e.token(auth.CustomerContact(id, cc))

	paperless := map[string]any{"mode": "paperless", "recipients": []string{"bill@acme.example", "ap@acme.example"}}
	r := e.do("POST", base+"/invoice-delivery", e.support, paperless)
	acAccepted(t, r, 200, id, stream, 0, "account.invoice_delivery_set")
	acRefused(t, e, "POST", base+"/invoice-delivery", e.admin, paperless, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/invoice-delivery", e.admin, map[string]any{"mode": "paperless"}, 422, "validation_failed")
	acRefused(t, e, "POST", base+"/invoice-delivery", e.admin, map[string]any{"mode": "pigeon"}, 422, "validation_failed")
	// Partners cannot choose invoice delivery for a customer, even active
	// ones through an unrestricted org admin.
	acRefused(t, e, "POST", base+"/invoice-delivery", partner, map[string]any{"mode": "paperless", "recipients": []string{"pia@partner.example"}}, 403, "forbidden")
	acRefused(t, e, "POST", "/v1/accounts/000000AA/invoice-delivery", e.admin, map[string]any{"mode": "paper"}, 404, "not_found")
	// The customer's own unrestricted contact may.
	r = e.do("POST", base+"/invoice-delivery", customer, map[string]any{"mode": "paper"})
	acAccepted(t, r, 200, id, stream, 0, "account.invoice_delivery_set")
}

func TestPartnerCommands(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.do("POST", "/v1/partners", e.support, map[string]any{
		"name": "Channel Partner Ltd", "kinds": []string{"reseller_indirect", "reseller_direct"},
		"address": map[string]any{"country": "GB"},
	})
	if r.status != 201 {
		t.Fatalf("register partner: %d %s", r.status, r.raw)
	}
	p := r.body["id"].(string)
	if !account.ValidID(p) {
		t.Fatalf("partner ID %q", p)
	}
	acAccepted(t, r, 201, p, "partner-"+p, 1, "partner.registered")
	base := "/v1/partners/" + p
	stream := "partner-" + p

	acRefused(t, e, "POST", "/v1/partners", e.admin, map[string]any{"name": "", "kinds": []string{"wholesaler"}, "address": map[string]any{"country": "XX"}}, 422, "validation_failed")
	acRefused(t, e, "POST", "/v1/partners", e.auditor, map[string]any{"name": "P", "kinds": []string{"advisor"}, "address": map[string]any{"country": "GB"}}, 403, "forbidden")
	acRefused(t, e, "POST", "/v1/partners", e.admin, `{"name":"P","kinds":["advisor"],"address":{"country":"GB"},"id":"100000HQ"}`, 400, "invalid_request")

	// Status: a prospect becomes active.
	r = e.do("POST", base+"/status", e.admin, map[string]any{"status": "active", "reason": "signed the program agreement"})
	acAccepted(t, r, 200, p, stream, 2, "partner.status_changed")
	acRefused(t, e, "POST", base+"/status", e.admin, map[string]any{"status": "active"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/status", e.admin, map[string]any{"status": "gold"}, 422, "validation_failed")
	acRefused(t, e, "POST", "/v1/partners/999999ZZ/status", e.admin, map[string]any{"status": "expired"}, 404, "not_found")
	acRefused(t, e, "POST", "/v1/partners/12345678/status", e.admin, map[string]any{"status": "expired"}, 404, "not_found")

	// Contacts, by staff.
	r = e.do("POST", base+"/contacts", e.admin, acContactBody("Ola Org", "ola@partner.example", "unrestricted", "org_admin"))
	acAccepted(t, r, 201, "", stream, 3, "partner.contact_added")
	orgAdmin := r.body["id"].(string)
	agent := acContact(t, e, base, e.admin, acContactBody("Sal Sales", "sal@partner.example", "restricted", "sales_agent"))
	acRefused(t, e, "POST", base+"/contacts", e.admin, acContactBody("Ola Twin", "OLA@partner.example", "restricted", "sales_agent"), 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts", e.admin, acContactBody("Bad", "bad", "restricted", "billing"), 422, "validation_failed")
	acRefused(t, e, "POST", "/v1/partners/999999ZZ/contacts", e.admin, acContactBody("N", "n@partner.example", "restricted", "sales_agent"), 404, "not_found")
	acRefused(t, e, "POST", "/v1/partners/bad/contacts", e.admin, acContactBody("N", "n@partner.example", "restricted", "sales_agent"), 404, "not_found")

	// The active partner's unrestricted org admin manages its contacts; a
	// restricted contact may not, nor may a contact of another partner.
	admin := e.token(auth.PartnerContact(p, orgAdmin))
	salesToken := e.token(auth.PartnerContact(p, agent))
	q := acPartner(t, e, "Other Partner Ltd", "active", "distributor")
	qc := acContact(t, e, "/v1/partners/"+q, e.admin, acContactBody("Quinn", "quinn@other.example", "unrestricted", "org_admin"))
	otherPartner := e.token(auth.PartnerContact(q, qc))

	fresh := acContact(t, e, base, admin, acContactBody("Fay Fresh", "fay@partner.example", "restricted", "admin_agent"))
	r = e.do("POST", base+"/contacts/"+agent+"/access", admin, map[string]any{"access": "unrestricted"})
	acAccepted(t, r, 200, p, stream, 0, "partner.contact_access_set")
	acRefused(t, e, "POST", base+"/contacts/"+agent+"/access", e.admin, map[string]any{"access": "unrestricted"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts/"+orgAdmin+"/access", admin, map[string]any{"access": "restricted"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/contacts/"+fresh+"/access", salesToken, map[string]any{"access": "unrestricted"}, 403, "forbidden")
	acRefused(t, e, "POST", base+"/contacts", salesToken, acContactBody("Sly", "sly@partner.example", "unrestricted", "org_admin"), 403, "forbidden")
	acRefused(t, e, "POST", base+"/contacts", otherPartner, acContactBody("Mole", "mole@other.example", "unrestricted", "org_admin"), 404, "not_found")
	acRefused(t, e, "POST", base+"/contacts/C-999999/access", e.admin, map[string]any{"access": "restricted"}, 404, "not_found")
	acRefused(t, e, "POST", base+"/contacts/C-1/access", e.admin, map[string]any{"access": "restricted"}, 404, "not_found")
	acRefused(t, e, "POST", base+"/status", admin, map[string]any{"status": "expired"}, 403, "forbidden")

	// Once the partner's program expired, the same org admin may not act.
	r = e.do("POST", base+"/status", e.support, map[string]any{"status": "expired"})
	acAccepted(t, r, 200, p, stream, 0, "partner.status_changed")
	acRefused(t, e, "POST", base+"/contacts", admin, acContactBody("Late", "late@partner.example", "restricted", "sales_agent"), 403, "forbidden")
	acRefused(t, e, "POST", base+"/contacts/"+fresh+"/access", admin, map[string]any{"access": "unrestricted"}, 403, "forbidden")
}

func TestPartnerRelationships(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Related Widgets GmbH")
	base := "/v1/accounts/" + id
	stream := "account-" + id
	adv := acPartner(t, e, "Advice Partners LLP", "active", "advisor")
	advContact := acContact(t, e, "/v1/partners/"+adv, e.admin, acContactBody("Ada Advisor", "ada@advice.example", "unrestricted", "business_executive"))
	res := acPartner(t, e, "Resale Partners Ltd", "active", "reseller_direct")
	resContact := acContact(t, e, "/v1/partners/"+res, e.admin, acContactBody("Rob Reseller", "rob@resale.example", "unrestricted", "org_admin"))
	partner := e.token(auth.PartnerContact(res, resContact))

	t.Run("AssignSolutionAdvisor", func(t *testing.T) {
		body := map[string]any{"partner_id": adv, "contact_id": advContact}
		r := e.do("POST", base+"/solution-advisor", e.support, body)
		acAccepted(t, r, 200, id, stream, 0, "account.solution_advisor_assigned")
		acRefused(t, e, "POST", base+"/solution-advisor", e.admin, body, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/solution-advisor", e.admin, map[string]any{"partner_id": res, "contact_id": resContact}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/solution-advisor", e.admin, map[string]any{"partner_id": adv, "contact_id": resContact}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/solution-advisor", e.admin, map[string]any{"partner_id": "999999ZZ", "contact_id": advContact}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/solution-advisor", e.admin, map[string]any{"partner_id": "adv", "contact_id": "x"}, 422, "validation_failed")
		acRefused(t, e, "POST", base+"/solution-advisor", partner, body, 403, "forbidden")
		acRefused(t, e, "POST", "/v1/accounts/nope/solution-advisor", e.admin, body, 404, "not_found")
	})
	t.Run("ViewRights", func(t *testing.T) {
		all := map[string]any{"partner_id": res, "scope": "all"}
		r := e.do("POST", base+"/view-rights", e.admin, all)
		acAccepted(t, r, 200, id, stream, 0, "account.view_rights_granted")
		acRefused(t, e, "POST", base+"/view-rights", e.admin, all, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/view-rights", e.admin, map[string]any{"partner_id": res, "scope": "assigned", "license_ids": []string{"LIC-0000001"}}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/view-rights", e.admin, map[string]any{"partner_id": res, "scope": "assigned"}, 422, "validation_failed")
		acRefused(t, e, "POST", base+"/view-rights", e.admin, map[string]any{"partner_id": "888888ZZ", "scope": "all"}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/view-rights", partner, map[string]any{"partner_id": res, "scope": "all"}, 403, "forbidden")
		acRefused(t, e, "DELETE", base+"/view-rights/"+res, e.auditor, nil, 403, "forbidden")
		r = e.do("DELETE", base+"/view-rights/"+res, e.support, nil)
		acAccepted(t, r, 200, id, stream, 0, "account.view_rights_revoked")
		acRefused(t, e, "DELETE", base+"/view-rights/"+res, e.admin, nil, 422, "rule_violation")
		acRefused(t, e, "DELETE", base+"/view-rights/not-a-partner", e.admin, nil, 404, "not_found")
		acRefused(t, e, "DELETE", "/v1/accounts/999999ZZ/view-rights/"+res, e.admin, nil, 404, "not_found")
	})
	t.Run("RenewalPartner", func(t *testing.T) {
		body := map[string]any{"partner_id": res}
		r := e.do("POST", base+"/renewal-partner", e.admin, body)
		acAccepted(t, r, 200, id, stream, 0, "account.renewal_partner_designated")
		acRefused(t, e, "POST", base+"/renewal-partner", e.admin, body, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/renewal-partner", e.admin, map[string]any{"partner_id": "777777ZZ"}, 422, "rule_violation")
		acRefused(t, e, "POST", base+"/renewal-partner", e.admin, map[string]any{"partner_id": ""}, 422, "validation_failed")
		acRefused(t, e, "POST", base+"/renewal-partner", partner, map[string]any{"partner_id": adv}, 403, "forbidden")
		acRefused(t, e, "DELETE", base+"/renewal-partner", partner, nil, 403, "forbidden")
		r = e.do("DELETE", base+"/renewal-partner", e.support, nil)
		acAccepted(t, r, 200, id, stream, 0, "account.renewal_partner_removed")
		acRefused(t, e, "DELETE", base+"/renewal-partner", e.admin, nil, 422, "rule_violation")
		acRefused(t, e, "DELETE", "/v1/accounts/0/renewal-partner", e.admin, nil, 404, "not_found")
	})
}

// acHold places an embargo hold on party of account id, as the screening
// that runs alongside a command would: there is no endpoint for it.
func acHold(t *testing.T, e *env, id, party string) {
	t.Helper()
	by := auth.Staff("screening", domain.RoleAdmin)
	_, err := e.app.Commands.Run(context.Background(), command.Meta{Principal: by}, id, account.StreamID(id), func(u *command.Unit) error {
		st, _, err := u.Account(id)
		if err != nil {
			return err
		}
		evs, err := account.Decide(st, account.PlaceEmbargoHold{AccountID: id, Party: party, MatchedEntry: "SDN list entry 4711", By: domain.Actor{Principal: by}, At: time.Now()})
		if err != nil {
			return err
		}
		u.Emit(account.StreamID(id), evs...)
		return nil
	})
	if err != nil {
		t.Fatalf("place hold: %v", err)
	}
}

func TestEmbargoHold(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Embargo Widgets GmbH")
	target, _ := e.register("Clean Widgets GmbH")
	base := "/v1/accounts/" + id
	contact := acContact(t, e, base, e.admin, acContactBody("Hal Held", "hal@acme.example", "unrestricted", "org_admin"))
	held := e.token(auth.CustomerContact(id, contact))
	compliance := e.token(auth.Staff("cora", domain.RoleCompliance))
	acHold(t, e, id, contact)

	// While the hold stands, the contact is denied with its own code, and
	// the account cannot be merged away from it.
	acRefused(t, e, "POST", base+"/address", held, acAddress("FR", "Lyon"), 403, "embargo_hold")
	acRefused(t, e, "POST", base+"/merge", e.admin, map[string]any{"into": target, "reason": "duplicate", "evidence": []string{"CASE-000001"}}, 422, "rule_violation")

	// Only compliance lifts it: not admin, not support.
	clear := map[string]any{"party": contact, "note": "false positive: different person, verified by passport"}
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.admin, clear, 403, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.support, clear, 403, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", held, clear, 403, "embargo_hold")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, map[string]any{"party": "someone", "note": ""}, 422, "validation_failed")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, map[string]any{"party": "account", "note": "nothing to clear"}, 422, "rule_violation")
	acRefused(t, e, "POST", "/v1/accounts/999999ZZ/embargo-hold/clear", compliance, clear, 404, "not_found")
	r := e.do("POST", base+"/embargo-hold/clear", compliance, clear)
	acAccepted(t, r, 200, id, "account-"+id, 0, "account.embargo_hold_cleared")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, clear, 422, "rule_violation")

	r = e.do("POST", base+"/address", held, acAddress("FR", "Lyon"))
	acAccepted(t, r, 200, id, "account-"+id, 0, "account.address_changed")
}

// acHoldings records a license and an agreement of account id, with their
// links on the account, in one append, as fulfilment and RegisterContract
// do (the setup does not depend on those endpoints).
func acHoldings(t *testing.T, e *env, id, licenseID, number string) {
	t.Helper()
	by := auth.Staff("setup", domain.RoleAdmin)
	_, err := e.app.Commands.Run(context.Background(), command.Meta{Principal: by}, id, account.StreamID(id), func(u *command.Unit) error {
		if _, _, err := u.Account(id); err != nil {
			return err
		}
		u.Emit(license.StreamID(licenseID), license.Issued{LicenseID: licenseID, Product: "Workspace", Edition: "Enterprise",
			Quantity: 50, OwnerAccountID: id, SourceOrder: "ORD-0000001", MaintenanceEnd: "2026-06-30"})
		u.Emit(contract.StreamID(number), contract.Registered{ContractNumber: number, Program: contract.ProgramEnterprise, AccountID: id,
			PrimaryAdmin: "C-000001", DiscountLevel: 2, TermStart: "2025-01-01", TermEnd: "2027-12-31"})
		u.Emit(account.StreamID(id), account.LicenseAttached{AccountID: id, LicenseID: licenseID},
			account.ContractAttached{AccountID: id, Number: number, Program: account.ProgramEnterprise})
		return nil
	})
	if err != nil {
		t.Fatalf("holdings: %v", err)
	}
}

func TestMergeAccounts(t *testing.T) {
	t.Parallel()
	e := start(t)
	src, _ := e.register("Merge Source GmbH")
	dst, _ := e.register("Merge Target GmbH")
	third, _ := e.register("Third Party GmbH")
	sbase, dbase := "/v1/accounts/"+src, "/v1/accounts/"+dst
	p := acPartner(t, e, "Visible Partner Ltd", "active", "reseller_direct")
	pc := acContact(t, e, "/v1/partners/"+p, e.admin, acContactBody("Vic", "vic@visible.example", "unrestricted", "org_admin"))
	partner := e.token(auth.PartnerContact(p, pc))

	// The source has contacts, view rights, a renewal partner and a tag.
	owner := acContact(t, e, sbase, e.admin, acContactBody("Sue Source", "sue@acme.example", "unrestricted", "org_admin"))
	acContact(t, e, sbase, e.admin, acContactBody("Sid Source", "sid@acme.example", "restricted", "technical"))
	for path, body := range map[string]any{
		sbase + "/view-rights":     map[string]any{"partner_id": p, "scope": "all"},
		sbase + "/renewal-partner": map[string]any{"partner_id": p},
		sbase + "/tags":            map[string]any{"tag": "legacy"},
		dbase + "/tags":            map[string]any{"tag": "survivor"},
	} {
		if r := e.do("POST", path, e.admin, body); r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
	}
	acHoldings(t, e, src, "LIC-0900001", "ELA-090001")
	customer := e.token(auth.CustomerContact(src, owner))
	merge := func(into string) map[string]any {
		return map[string]any{"into": into, "reason": "acquisition", "evidence": []string{"CASE-000042", "https://acme.example/press/acquired"}}
	}

	acRefused(t, e, "POST", sbase+"/merge", e.admin, merge(src), 422, "rule_violation")
	acRefused(t, e, "POST", sbase+"/merge", e.admin, map[string]any{"into": dst, "reason": "boredom", "evidence": []string{}}, 422, "validation_failed")
	acRefused(t, e, "POST", sbase+"/merge", e.admin, map[string]any{"into": "garbage", "reason": "duplicate", "evidence": []string{"x"}}, 422, "validation_failed")
	acRefused(t, e, "POST", sbase+"/merge", e.admin, merge("999999ZZ"), 404, "not_found")
	acRefused(t, e, "POST", "/v1/accounts/999999ZZ/merge", e.admin, merge(dst), 404, "not_found")
	acRefused(t, e, "POST", "/v1/accounts/src/merge", e.admin, merge(dst), 404, "not_found")
	acRefused(t, e, "POST", sbase+"/merge", e.auditor, merge(dst), 403, "forbidden")
	acRefused(t, e, "POST", sbase+"/merge", partner, merge(dst), 403, "forbidden")
	acRefused(t, e, "POST", sbase+"/merge", customer, merge(dst), 403, "forbidden")
	acRefused(t, e, "POST", sbase+"/merge", e.admin, `{"into":"`+dst+`","reason":"duplicate","evidence":["x"],"force":true}`, 400, "invalid_request")

	r := e.do("POST", sbase+"/merge", e.support, merge(dst))
	acAccepted(t, r, 200, src, "account-"+src, 0, "account.merged", "account.merge_received", "license.owner_changed", "contract.owner_changed")
	// One append: every event of the merge under one command ID, on the
	// four streams.
	var mergedStreams []string
	rows, err := e.app.Pool.Query(context.Background(), `SELECT stream_id FROM events WHERE command_id = (
		SELECT command_id FROM events WHERE event_type = 'account.merged') ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		mergedStreams = append(mergedStreams, s)
	}
	if err := rows.Err(); err != nil || strings.Join(mergedStreams, " ") != "account-"+src+" account-"+dst+" license-LIC-0900001 contract-ELA-090001" {
		t.Fatalf("merge events on %v (%v)", mergedStreams, err)
	}

	// The merged account accepts no further commands, nor merges from or
	// into it, nor back again.
	acRefused(t, e, "POST", sbase+"/tags", e.admin, map[string]any{"tag": "again"}, 422, "rule_violation")
	acRefused(t, e, "POST", sbase+"/address", e.admin, acAddress("FR", "Paris"), 422, "rule_violation")
	acRefused(t, e, "POST", sbase+"/merge", e.admin, merge(third), 422, "rule_violation")
	acRefused(t, e, "POST", "/v1/accounts/"+third+"/merge", e.admin, merge(src), 422, "rule_violation")
	acRefused(t, e, "POST", dbase+"/merge", e.admin, merge(src), 422, "rule_violation")

	// The contacts and relationships answer under the target: the source's
	// org admin acts on it, the partner's view rights and renewal role
	// are there to remove. Tags stay with the account they were put on.
	moved := e.token(auth.CustomerContact(dst, owner))
	r = e.do("POST", dbase+"/address", moved, acAddress("NL", "Amsterdam"))
	acAccepted(t, r, 200, dst, "account-"+dst, 0, "account.address_changed")
	r = e.do("DELETE", dbase+"/view-rights/"+p, e.admin, nil)
	acAccepted(t, r, 200, dst, "account-"+dst, 0, "account.view_rights_revoked")
	r = e.do("DELETE", dbase+"/renewal-partner", e.admin, nil)
	acAccepted(t, r, 200, dst, "account-"+dst, 0, "account.renewal_partner_removed")
	acRefused(t, e, "POST", dbase+"/tags", e.admin, map[string]any{"tag": "survivor"}, 422, "rule_violation")
	r = e.do("POST", dbase+"/tags", e.admin, map[string]any{"tag": "legacy"})
	acAccepted(t, r, 200, dst, "account-"+dst, 0, "account.tagged")
}
