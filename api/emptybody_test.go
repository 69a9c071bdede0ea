package api_test

import (
	"net/http"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
)

// TestEmptyBodyWhereNothingIsRequired: a command whose body has only
// optional fields (fulfil's due date, approve's note) runs with no body at
// all; where a field is required an empty body is still refused, and
// appends nothing.
func TestEmptyBodyWhereNothingIsRequired(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Empty Body GmbH")
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive)
	wantAnswer(t, e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-E1")), 201, "ORD-0000001", "order-ORD-0000001", 1,
		"order.submitted", "orderpo.reserved", "account.order_attached")
	wantAnswer(t, e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-E2")), 201, "ORD-0000002", "order-ORD-0000002", 1,
		"order.submitted", "orderpo.reserved", "account.order_attached")

	before := e.events()
	for _, c := range []struct {
		name, path, token, body string
		status                  int
		code                    string
	}{
		{"submit", "/v1/orders", reseller, "", 400, "invalid_request"},
		{"cancel needs a reason", "/v1/orders/ORD-0000002/cancel", reseller, "", 400, "invalid_request"},
		{"cancel, white space", "/v1/orders/ORD-0000002/cancel", reseller, " \n", 400, "invalid_request"},
		{"null is no body", "/v1/orders/ORD-0000001/fulfil", e.support, "null", 400, "invalid_request"},
		{"open a case", "/v1/cases", e.support, "", 400, "invalid_request"},
		// Empty where nothing is required: the command runs and refuses
		// as it would {}.
		{"fulfil, not permitted", "/v1/orders/ORD-0000001/fulfil", reseller, "", 403, "forbidden"},
		{"fulfil, unknown order", "/v1/orders/ORD-0000099/fulfil", e.support, "", 404, "not_found"},
	} {
		r := e.do("POST", c.path, c.token, c.body)
		if r.status != c.status || r.body["code"] != c.code {
			t.Errorf("%s: got %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
		if c.status == http.StatusBadRequest && c.body != "null" && r.body["detail"] != "a JSON object body is required" {
			t.Errorf("%s: detail %v, want that a body is required", c.name, r.body["detail"])
		}
	}
	if n := e.events(); n != before {
		t.Fatalf("refused requests appended %d events", n-before)
	}

	// No body at all (no Content-Type either), then white space.
	wantAnswer(t, e.do("POST", "/v1/orders/ORD-0000001/fulfil", e.support, nil), 200, "ORD-0000001", "order-ORD-0000001", 2,
		"order.fulfilled", "license.issued", "invoice.issued", "account.license_attached")
	wantAnswer(t, e.do("POST", "/v1/orders/ORD-0000002/fulfil", e.admin, "\r\n"), 200, "ORD-0000002", "order-ORD-0000002", 2,
		"order.fulfilled", "license.issued", "invoice.issued", "account.license_attached")

	wantAnswer(t, e.do("POST", "/v1/cases", e.support, map[string]any{"request_type": "general", "subject": "rename",
		"account_id": cust, "description": "Please rename us"}), 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/request-info", e.support, map[string]any{"what": "The register extract"}), 200,
		"CASE-000001", "supportcase-CASE-000001", 2, "supportcase.information_requested")
	// provide-info has only optional fields, but not both may be missing:
	// an empty body is then the same validation failure as {}.
	before = e.events()
	empty := e.do("POST", "/v1/cases/CASE-000001/provide-info", e.support, "")
	e.refused(empty, before, 422, "validation_failed")
	if braces := e.do("POST", "/v1/cases/CASE-000001/provide-info", e.support, "{}"); braces.status != empty.status || braces.body["detail"] != empty.body["detail"] {
		t.Fatalf("empty body and {} answered differently:\n%s\n%s", empty.raw, braces.raw)
	}
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/provide-info", e.support, map[string]any{"information": "attached"}), 200,
		"CASE-000001", "supportcase-CASE-000001", 3, "supportcase.information_provided")
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/approve", e.support, nil), 200, "CASE-000001", "supportcase-CASE-000001", 4, "supportcase.approved")
}
