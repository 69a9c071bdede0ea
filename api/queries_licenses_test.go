package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// licListAll pages through a list endpoint (path with its query) with the
// token and returns every item, checking that no page is over limit and
// that the last page carries no cursor.
func (e *env) licListAll(path, token string, limit int) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		u, err := url.Parse(path)
		if err != nil {
			e.t.Fatal(err)
		}
		q := u.Query()
		q.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		u.RawQuery = q.Encode()
		r := e.do("GET", u.String(), token, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", u, r.status, r.raw)
		}
		items, ok := r.body["items"].([]any)
		if !ok {
			e.t.Fatalf("GET %s: no items array: %s", u, r.raw)
		}
		if len(items) > limit {
			e.t.Fatalf("GET %s: %d items, limit %d", u, len(items), limit)
		}
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 1000 {
			e.t.Fatalf("GET %s: page %d of %d items with a next cursor", u, pages, len(items))
		}
		cursor = next
	}
}

// field returns one field of every item, as strings.
func licField(items []map[string]any, name string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it[name])
	}
	return out
}

func licWantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// licFulfilledOn submits and fulfils, as staff for partner 700001HQ, an order
// for customer with a PO date such that maintenance ends on end (a year
// after the PO date), one license per quantity.
func (e *env) licFulfilledOn(customer string, end time.Time, quantities ...int) {
	e.t.Helper()
	var lines []map[string]any
	for i, q := range quantities {
		lines = append(lines, orderLine(fmt.Sprintf("WS-%d", i), q))
	}
	body := orderBody(customer, "PO-"+uuid.NewString()[:8], lines...)
	body["po_date"] = end.AddDate(-1, 0, 0).Format(time.DateOnly)
	body["partner_id"] = "700001HQ"
	r := e.do("POST", "/v1/orders", e.admin, body)
	if r.status != 201 {
		e.t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	if r = e.do("POST", "/v1/orders/"+r.body["id"].(string)+"/fulfil", e.admin, `{}`); r.status != 200 {
		e.t.Fatalf("fulfil: %d %s", r.status, r.raw)
	}
}

func licPosition(t *testing.T, r resp) string {
	t.Helper()
	if r.status != 200 && r.status != 201 {
		t.Fatalf("command: %d %s", r.status, r.raw)
	}
	return fmt.Sprint(int64(r.body["position"].(float64)))
}

// Staff without a role get no token (auth refuses to issue one), so the
// "staff without roles sees nothing" rule is tested on the read model
// (projections/licenses).

// TestLicenseQueries: GET /v1/licenses end to end — who sees which
// license (staff, auditor, the customer, another
// customer, partners with all and assigned view rights, the ordering
// partner without view rights), paging with cursors, the expiring filter,
// a merge through the command API, revocation read back with
// min_position, and bad parameters.
func TestLicenseQueries(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Licensed Customer GmbH")
	other, _ := e.register("Other Customer GmbH")
	e.fulfilled(cust, 10, 20, 30) // LIC-0000001..3, maintenance ended 2025-06-01
	soon := time.Now().UTC().AddDate(0, 0, 10)
	e.licFulfilledOn(cust, soon, 40, 50) // LIC-0000004..5
	e.fulfilled(other, 7)                // LIC-0000006
	custToken := e.customerContact(cust, "C-000501", domain.AccessUnrestricted)
	otherToken := e.customerContact(other, "C-000502", domain.AccessUnrestricted)
	allPartner := e.partnerOrg("700011HQ", domain.PartnerActive)
	assignedPartner := e.partnerOrg("700012HQ", domain.PartnerActive)
	ordering := e.token(auth.PartnerContact("700001HQ", "C-900001")) // placed every order, holds no view rights
	licPosition(t, e.do("POST", "/v1/accounts/"+cust+"/view-rights", e.admin, map[string]any{"partner_id": "700011HQ", "scope": "all"}))
	pos := licPosition(t, e.do("POST", "/v1/accounts/"+cust+"/view-rights", e.admin,
		map[string]any{"partner_id": "700012HQ", "scope": "assigned", "license_ids": []string{"LIC-0000002"}}))

	lics := func(token, query string, limit int) []string {
		t.Helper()
		return licField(e.licListAll("/v1/licenses?min_position="+pos+query, token, limit), "license_id")
	}
	every := []string{"LIC-0000001", "LIC-0000002", "LIC-0000003", "LIC-0000004", "LIC-0000005", "LIC-0000006"}
	for _, limit := range []int{1, 4, 500} {
		licWantList(t, fmt.Sprintf("admin, pages of %d", limit), lics(e.admin, "", limit), every...)
	}
	licWantList(t, "auditor", lics(e.auditor, "", 50), every...)
	licWantList(t, "customer", lics(custToken, "", 2), every[:5]...)
	licWantList(t, "customer on another account", lics(custToken, "&account="+other, 2))
	licWantList(t, "other customer", lics(otherToken, "", 2), "LIC-0000006")
	licWantList(t, "partner with all", lics(allPartner, "", 2), every[:5]...)
	licWantList(t, "partner with all, on the customer", lics(allPartner, "&account="+cust, 2), every[:5]...)
	licWantList(t, "partner with all, on another customer", lics(allPartner, "&account="+other, 2))
	licWantList(t, "partner with assigned", lics(assignedPartner, "", 2), "LIC-0000002")
	licWantList(t, "ordering partner", lics(ordering, "", 2))

	// Expiring maintenance, for renewals.
	licWantList(t, "expiring within 30 days", lics(e.admin, "&expiring_within_days=30", 1), "LIC-0000004", "LIC-0000005")
	licWantList(t, "expiring within 30 days, partner", lics(allPartner, "&expiring_within_days=30", 1), "LIC-0000004", "LIC-0000005")
	licWantList(t, "expiring within 30 days, assigned", lics(assignedPartner, "&expiring_within_days=30", 1))
	licWantList(t, "expiring within 5 days", lics(e.admin, "&expiring_within_days=5", 1))
	licWantList(t, "expiring on another account", lics(e.admin, "&expiring_within_days=365&account="+other, 1))
	r := e.do("GET", "/v1/licenses?account="+cust+"&expiring_within_days=30", custToken, nil)
	items := r.body["items"].([]any)
	first := items[0].(map[string]any)
	end := soon.AddDate(-1, 0, 0).AddDate(1, 0, 0) // the PO date plus a year
	if r.status != 200 || len(items) != 2 || first["maintenance_end"] != end.Format(time.DateOnly) || first["account_id"] != cust ||
		first["status"] != "active" || first["quantity"] != float64(40) || first["product"] != "Workspace" || first["issued_at"] == nil {
		t.Fatalf("expiring licenses: %d %s", r.status, r.raw)
	}

	// A merge: the merged account's licenses and ID lead to the survivor.
	pos = licPosition(t, e.do("POST", "/v1/accounts/"+other+"/merge", e.support,
		map[string]any{"into": cust, "reason": "duplicate", "evidence": []string{"CASE-000001"}}))
	licWantList(t, "staff by the merged ID", lics(e.admin, "&account="+other, 2), every...)
	licWantList(t, "the merged account's contact", lics(otherToken, "", 2), every...)
	licWantList(t, "partner with all after the merge", lics(allPartner, "", 2), every...)

	// Revoking view rights hides everything at once.
	pos = licPosition(t, e.do("DELETE", "/v1/accounts/"+cust+"/view-rights/700011HQ", e.admin, nil))
	licWantList(t, "partner after revocation", lics(allPartner, "", 2))
	licWantList(t, "partner after revocation, on the customer", lics(allPartner, "&account="+cust, 2))

	// Bad parameters, forged and misplaced cursors.
	r = e.do("GET", "/v1/licenses?limit=2", e.admin, nil)
	next, _ := r.body["next_cursor"].(string)
	if r.status != 200 || next == "" {
		t.Fatalf("first page: %d %s", r.status, r.raw)
	}
	for _, q := range []string{
		"expiring_within_days=0", "expiring_within_days=366", "expiring_within_days=x", "expiring_within_days=-1",
		"expiring_within_days=1.5", "expiring_within_days=", "expiring_within_days=+30", "expiring_within_days=99999999999999999999",
		"account=bogus", "account=", "account=" + cust + "&account=" + other,
		"limit=0", "limit=501", "limit=x", "owner=" + cust, "min_position=x",
		"cursor=forged", "cursor=" + url.QueryEscape(next) + "&account=" + cust, "cursor=" + url.QueryEscape(next) + "&expiring_within_days=30",
		"cursor=eyJsIjoiTElDLTAwMDAwMDIiLCJxIjoiMDAwMDAwMDAwMDAwMDAwMCJ9",
	} {
		wantProblem(t, e.do("GET", "/v1/licenses?"+q, e.admin, nil), 400, "invalid_request")
	}
	// Another viewer's cursor.
	wantProblem(t, e.do("GET", "/v1/licenses?limit=2&cursor="+url.QueryEscape(next), e.auditor, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/licenses", "", nil), 401, "unauthenticated")
}

// TestCaseQueries: GET /v1/cases end to end — the queue oldest first over
// pages, the status and account filters, who sees which case (staff,
// auditor, the customer, another customer, the
// partner that opened one, another partner), and bad parameters.
func TestCaseQueries(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Queue Customer GmbH")
	other, _ := e.register("Case Queue Other GmbH")
	custToken := e.customerContact(cust, "C-000601", domain.AccessRestricted)
	otherToken := e.customerContact(other, "C-000602", domain.AccessUnrestricted)
	p1 := e.partnerOrg("700021HQ", domain.PartnerActive)
	p2 := e.partnerOrg("700022HQ", domain.PartnerActive)
	e.appendEvents(account.StreamID(cust), account.ViewRightsGranted{AccountID: cust, PartnerID: "700021HQ", Scope: account.ScopeAll})
	e.appendEvents(account.StreamID(cust), account.ViewRightsGranted{AccountID: cust, PartnerID: "700022HQ", Scope: account.ScopeAll})
	open := func(token, accountID string) string {
		t.Helper()
		return licPosition(t, e.do("POST", "/v1/cases", token, map[string]any{"request_type": "general", "subject": "other",
			"account_id": accountID, "description": "Please help"}))
	}
	open(custToken, cust)   // CASE-000001
	open(p1, cust)          // CASE-000002
	open(e.support, cust)   // CASE-000003
	open(otherToken, other) // CASE-000004
	open(custToken, cust)   // CASE-000005
	pos := licPosition(t, e.do("POST", "/v1/cases/CASE-000005/approve", e.support, `{}`))

	cases := func(token, query string, limit int) []string {
		t.Helper()
		return licField(e.licListAll("/v1/cases?min_position="+pos+query, token, limit), "case_number")
	}
	every := []string{"CASE-000001", "CASE-000002", "CASE-000003", "CASE-000004", "CASE-000005"}
	for _, limit := range []int{1, 2, 500} {
		licWantList(t, fmt.Sprintf("admin, pages of %d", limit), cases(e.admin, "", limit), every...)
	}
	licWantList(t, "auditor", cases(e.auditor, "", 3), every...)
	licWantList(t, "customer", cases(custToken, "", 2), "CASE-000001", "CASE-000002", "CASE-000003", "CASE-000005")
	licWantList(t, "customer on another account", cases(custToken, "&account="+other, 2))
	licWantList(t, "other customer", cases(otherToken, "", 2), "CASE-000004")
	licWantList(t, "partner that opened one", cases(p1, "", 2), "CASE-000002")
	licWantList(t, "partner with view rights that opened none", cases(p2, "", 2))
	licWantList(t, "open", cases(e.admin, "&status=open", 2), every[:4]...)
	licWantList(t, "approved on the customer", cases(e.admin, "&status=approved&account="+cust, 2), "CASE-000005")
	licWantList(t, "open on the other customer", cases(e.support, "&status=open&account="+other, 2), "CASE-000004")

	r := e.do("GET", "/v1/cases?status=approved", custToken, nil)
	items := r.body["items"].([]any)
	c := items[0].(map[string]any)
	if r.status != 200 || len(items) != 1 || c["account_id"] != cust || c["requester"] != "customer:"+cust+"/C-000601" ||
		c["status"] != "approved" || c["decided_at"] == nil || c["opened_at"] == nil || c["resolution_due"] == nil || c["at_risk"] != false ||
		c["request_type"] != "general" || c["subject"] != "other" {
		t.Fatalf("approved case: %d %s", r.status, r.raw)
	}

	r = e.do("GET", "/v1/cases?limit=2", e.admin, nil)
	next, _ := r.body["next_cursor"].(string)
	if r.status != 200 || next == "" {
		t.Fatalf("first page: %d %s", r.status, r.raw)
	}
	for _, q := range []string{
		"status=pending", "status=", "status=open&status=closed", "account=bogus", "limit=0", "limit=501",
		"number=CASE-000001", "min_position=-1", "cursor=forged", "cursor=" + url.QueryEscape(next) + "&status=open",
	} {
		wantProblem(t, e.do("GET", "/v1/cases?"+q, e.admin, nil), 400, "invalid_request")
	}
	wantProblem(t, e.do("GET", "/v1/cases?limit=2&cursor="+url.QueryEscape(next), e.support, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/cases", "", nil), 401, "unauthenticated")
}
