package api_test

import (
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// exportRows fetches the customer export and returns its rows after the
// header, each as "id|name|domain|relationship|tags".
func (e *env) exportRows(token, query string) []string {
	e.t.Helper()
	r := e.do("GET", "/v1/customers/export"+query, token, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		e.t.Fatalf("export%s: %d %s %s", query, r.status, r.header.Get("Content-Type"), r.raw)
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
	if err != nil {
		e.t.Fatalf("export is not CSV: %v\n%s", err, r.raw)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "account_id,company_name,primary_domain,relationship,tags" {
		e.t.Fatalf("export header: %v", recs)
	}
	var out []string
	for _, rec := range recs[1:] {
		out = append(out, strings.Join(rec, "|"))
	}
	return out
}

// TestCustomerExport: the export is the caller's full list whatever search
// filter comes with it; a partner related to a customer in two ways (it
// ordered for it and distributes another order) gets it once per
// relationship; a customer contact gets its own account; an unrelated
// partner gets only the header; staff get every active customer and no
// merged one. A name that a spreadsheet would take for a formula is
// defused.
func TestCustomerExport(t *testing.T) {
	t.Parallel()
	e := start(t)
	alpha, _ := e.register("Alpha Export GmbH")
	beta, _ := e.register("Beta Export GmbH")
	gamma, _ := e.register("+Gamma Export GmbH")
	dual := e.partnerOrg("710001HQ", domain.PartnerActive, partner.KindResellerIndirect, partner.KindDistributor)
	e.partnerOrg("710002HQ", domain.PartnerActive)
	stranger := e.partnerOrg("710003HQ", domain.PartnerActive)
	e.appendEvents(account.StreamID(alpha),
		account.OrderAttached{AccountID: alpha, OrderNumber: "ORD-0000901", PartnerID: "710001HQ"},
		account.OrderAttached{AccountID: alpha, OrderNumber: "ORD-0000902", PartnerID: "710002HQ", DistributorID: "710001HQ"},
		account.AccountTagged{AccountID: alpha, Tag: "edu"})
	e.appendEvents(account.StreamID(beta), account.ViewRightsGranted{AccountID: beta, PartnerID: "710001HQ", Scope: account.ScopeAll})
	cust := e.customerContact(beta, "C-000301", domain.AccessUnrestricted)
	staff := e.token(auth.Staff("sam", domain.RoleSupport))
	wait := "?min_position=" + e.lastPosition()

	want := []string{
		alpha + "|Alpha Export GmbH|acme.example|distributor|edu",
		alpha + "|Alpha Export GmbH|acme.example|ordering_partner|edu",
		beta + "|Beta Export GmbH|acme.example|view_rights|",
	}
	for _, q := range []string{wait, wait + "&q=Beta", wait + "&relationship=distributor&tag=edu&limit=1"} {
		got := e.exportRows(dual, q)
		if !slices.Equal(got, want) {
			t.Fatalf("the dual-role partner's export%s:\n got %v\nwant %v", q, got, want)
		}
	}
	if got := e.exportRows(stranger, wait); len(got) != 0 {
		t.Fatalf("an unrelated partner's export: %v", got)
	}
	if got := e.exportRows(cust, wait); len(got) != 1 || !strings.HasPrefix(got[0], beta+"|") {
		t.Fatalf("a customer's export: %v", got)
	}
	all := e.exportRows(staff, wait+"&q=nothing-matches-this")
	if len(all) != 3 || !strings.HasPrefix(all[2], gamma+"|'+Gamma Export GmbH|") {
		t.Fatalf("staff export: %v", all)
	}
	wantProblem(t, e.do("GET", "/v1/customers/export?format=xlsx", staff, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/customers/export?bogus=1", staff, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/customers/export", "", nil), 401, "unauthenticated")
}

// lastPosition is the position of the newest event in the store, for
// min_position.
func (e *env) lastPosition() string {
	e.t.Helper()
	var p int64
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT coalesce(max(position), 0) FROM events`).Scan(&p); err != nil {
		e.t.Fatal(err)
	}
	return strconv.FormatInt(p, 10)
}
