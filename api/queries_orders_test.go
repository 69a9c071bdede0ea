package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/app"
)

// submitOrder submits an order through the API and returns its number
// and the position of its last event.
func (e *env) submitOrder(token string, body map[string]any) (string, int64) {
	e.t.Helper()
	r := e.do("POST", "/v1/orders", token, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string), int64(r.body["position"].(float64))
}

// command runs a command that answers 200 and returns its position.
func (e *env) command(path, token string, body any) int64 {
	e.t.Helper()
	r := e.do("POST", path, token, body)
	if r.status != http.StatusOK {
		e.t.Fatalf("%s: %d %s", path, r.status, r.raw)
	}
	return int64(r.body["position"].(float64))
}

// numbers returns a field of every item of a list answer, failing unless
// the answer is a 200 list.
func numbers(t testing.TB, r resp, field string) []string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("want 200, got %d %s", r.status, r.raw)
	}
	items, ok := r.body["items"].([]any)
	if !ok {
		t.Fatalf("no items: %s", r.raw)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)[field].(string))
	}
	return out
}

// pages follows next_cursor from path and returns the field of every item
// and the number of pages.
func (e *env) pages(path, token, field string) ([]string, int) {
	e.t.Helper()
	var out []string
	cursor := ""
	for n := 1; ; n++ {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do("GET", p, token, nil)
		out = append(out, numbers(e.t, r, field)...)
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return out, n
		}
		if n > 100 {
			e.t.Fatalf("%s: more than 100 pages", path)
		}
		cursor = next
	}
}

func wantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// TestOrderAndInvoiceQueries: orders, one order, distributor orders and
// invoices through the API, for every kind of caller, set up through the
// command API; a merge moves an order to the surviving account;
// min_position makes a just-submitted order visible at once.
func TestOrderAndInvoiceQueries(t *testing.T) {
	t.Parallel()
	e := start(t)
	custA, _ := e.register("Alpha Orders GmbH")
	custB, _ := e.register("Beta Orders GmbH")
	custC, _ := e.register("Gamma Orders GmbH")
	// 700001HQ resells and distributes: some orders it submits, on others
	// it is the distributor.
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive, partner.KindResellerIndirect, partner.KindDistributor)
	distributor := e.partnerOrg("700002HQ", domain.PartnerActive, partner.KindDistributor)
	reseller2 := e.partnerOrg("700003HQ", domain.PartnerActive)
	unrelated := e.partnerOrg("700004HQ", domain.PartnerActive)
	contactA := e.customerContact(custA, "C-000001", domain.AccessUnrestricted)
	contactB := e.customerContact(custB, "C-000002", domain.AccessUnrestricted)
	contactC := e.customerContact(custC, "C-000003", domain.AccessRestricted)

	body := func(customer, po, date string) map[string]any {
		b := orderBody(customer, po)
		b["po_date"] = date
		return b
	}
	b1 := body(custA, "PO-A1", "2024-03-01")
	b1["distributor_id"], b1["distributor_po_number"] = "700002HQ", "D-1"
	o1, _ := e.submitOrder(reseller, b1)
	o2, _ := e.submitOrder(reseller2, body(custB, "PO-B1", "2024-03-02"))
	o3, _ := e.submitOrder(reseller, body(custC, "po c1", "2024-04-01"))
	pos := e.command("/v1/orders/"+o3+"/fulfil", e.admin, `{}`)
	const year = "from=2024-01-01&to=2024-12-31"
	q := func(path string, p int64) string { return fmt.Sprintf("%s&min_position=%d", path, p) }

	// Staff with a role see every order, with every field.
	r := e.do("GET", q("/v1/orders?"+year, pos), e.auditor, nil)
	wantList(t, "auditor", numbers(t, r, "order_number"), o1, o2, o3)
	if _, ok := r.body["message"]; ok {
		t.Fatalf("a message on a real search: %s", r.raw)
	}
	first := r.body["items"].([]any)[0].(map[string]any)
	for _, k := range []string{"order_number", "po_number", "po_date", "order_type", "catalog", "lines", "total_minor", "currency",
		"customer_account_id", "partner_id", "distributor_id", "distributor_po_number", "status", "license_ids", "submitted_at", "updated_at"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("order lacks %s: %v", k, first)
		}
	}
	if first["po_date"] != "2024-03-01" || first["status"] != "submitted" || first["total_minor"] != float64(10*1999) ||
		!strings.HasSuffix(first["submitted_at"].(string), "Z") || len(first["lines"].([]any)) != 1 {
		t.Fatalf("order: %v", first)
	}

	// No PO and no dates: nothing, and a message saying what is missing.
	for _, path := range []string{"/v1/orders", "/v1/orders?type=new", "/v1/orders?order_number=" + o1, "/v1/orders?customer_name=alpha"} {
		r := e.do("GET", path, e.admin, nil)
		wantList(t, path, numbers(t, r, "order_number"))
		if msg, _ := r.body["message"].(string); !strings.Contains(msg, "PO") {
			t.Fatalf("%s: no message: %s", path, r.raw)
		}
	}

	// By PO number: only orders the caller is associated with.
	wantList(t, "reseller by PO", numbers(t, e.do("GET", "/v1/orders?po=po-a1", reseller, nil), "order_number"), o1)
	wantList(t, "distributor by PO", numbers(t, e.do("GET", "/v1/orders?po=PO-A1", distributor, nil), "order_number"), o1)
	wantList(t, "distributor by its PO", numbers(t, e.do("GET", "/v1/orders?po=d-1", distributor, nil), "order_number"), o1)
	wantList(t, "unrelated by PO", numbers(t, e.do("GET", "/v1/orders?po=PO-A1", unrelated, nil), "order_number"))
	wantList(t, "other reseller by PO", numbers(t, e.do("GET", "/v1/orders?po=PO-A1", reseller2, nil), "order_number"))
	wantList(t, "customer by PO", numbers(t, e.do("GET", "/v1/orders?po="+url.QueryEscape(" PO  C1"), contactC, nil), "order_number"), o3)
	wantList(t, "other customer by PO", numbers(t, e.do("GET", "/v1/orders?po=PO-C1", contactB, nil), "order_number"))
	// By date range: all the caller's orders in it.
	wantList(t, "reseller", numbers(t, e.do("GET", "/v1/orders?"+year, reseller, nil), "order_number"), o1, o3)
	wantList(t, "distributor", numbers(t, e.do("GET", "/v1/orders?"+year, distributor, nil), "order_number"), o1)
	wantList(t, "unrelated", numbers(t, e.do("GET", "/v1/orders?"+year, unrelated, nil), "order_number"))
	wantList(t, "customer A", numbers(t, e.do("GET", "/v1/orders?"+year, contactA, nil), "order_number"), o1)
	wantList(t, "customer B", numbers(t, e.do("GET", "/v1/orders?"+year, contactB, nil), "order_number"), o2)
	wantList(t, "advanced", numbers(t, e.do("GET", "/v1/orders?"+year+"&type=new&customer_name="+url.QueryEscape("GAMMA orders"), e.support, nil), "order_number"), o3)
	wantList(t, "by number", numbers(t, e.do("GET", "/v1/orders?"+year+"&order_number="+o2, e.support, nil), "order_number"), o2)
	wantList(t, "narrow range", numbers(t, e.do("GET", "/v1/orders?from=2024-03-02&to=2024-03-31", e.support, nil), "order_number"), o2)

	// One order: 404 unless the caller may see it.
	for _, c := range []struct {
		who, token string
		ok         bool
	}{
		{"admin", e.admin, true}, {"auditor", e.auditor, true}, {"reseller", reseller, true}, {"distributor", distributor, true},
		{"customer", contactA, true}, {"other reseller", reseller2, false}, {"unrelated", unrelated, false},
		{"other customer", contactB, false},
	} {
		r := e.do("GET", "/v1/orders/"+o1, c.token, nil)
		if c.ok && (r.status != 200 || r.body["order_number"] != o1 || r.body["distributor_po_number"] != "D-1") {
			t.Fatalf("%s: %d %s", c.who, r.status, r.raw)
		}
		if !c.ok {
			wantProblem(t, r, 404, "not_found")
		}
	}
	wantProblem(t, e.do("GET", "/v1/orders/ORD-9999999", e.admin, nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/v1/orders/"+o1+"?min_position=x", e.admin, nil), 400, "invalid_request")
	r = e.do("GET", "/v1/orders/"+o3, e.admin, nil)
	if r.body["status"] != "fulfilled" || r.body["invoice_number"] != "INV-0000001" || len(r.body["license_ids"].([]any)) != 1 {
		t.Fatalf("fulfilled order: %s", r.raw)
	}

	// Distributor orders: the distributor's; staff see all with one.
	wantList(t, "distributor orders", numbers(t, e.do("GET", "/v1/distributor-orders?"+year, distributor, nil), "order_number"), o1)
	wantList(t, "reseller's distributor orders", numbers(t, e.do("GET", "/v1/distributor-orders?"+year, reseller, nil), "order_number"))
	wantList(t, "customer's distributor orders", numbers(t, e.do("GET", "/v1/distributor-orders?"+year, contactA, nil), "order_number"))
	wantList(t, "staff distributor orders", numbers(t, e.do("GET", "/v1/distributor-orders?"+year, e.support, nil), "order_number"), o1)

	// Invoices.
	inv := "INV-0000001"
	for _, path := range []string{"/v1/invoices", "/v1/invoices?number=" + inv, "/v1/invoices?order=" + o3, "/v1/invoices?po=PO+C1",
		"/v1/invoices?from=" + time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)} {
		wantList(t, "admin "+path, numbers(t, e.do("GET", path, e.admin, nil), "invoice_number"), inv)
	}
	wantList(t, "before", numbers(t, e.do("GET", "/v1/invoices?to=2020-01-01", e.admin, nil), "invoice_number"))
	wantList(t, "reseller invoices", numbers(t, e.do("GET", "/v1/invoices", reseller, nil), "invoice_number"), inv)
	wantList(t, "customer C invoices", numbers(t, e.do("GET", "/v1/invoices", contactC, nil), "invoice_number"), inv)
	for who, tok := range map[string]string{"reseller2": reseller2, "distributor": distributor, "unrelated": unrelated, "A": contactA, "B": contactB} {
		wantList(t, who+" invoices", numbers(t, e.do("GET", "/v1/invoices?number="+inv, tok, nil), "invoice_number"))
	}
	r = e.do("GET", "/v1/invoices?number="+inv, e.admin, nil)
	invItem := r.body["items"].([]any)[0].(map[string]any)
	if invItem["order_number"] != o3 || invItem["account_id"] != custC || invItem["po_number"] != "po c1" || invItem["amount_minor"] != float64(10*1999) ||
		invItem["currency"] != "EUR" || invItem["delivery_mode"] != "paper" || invItem["due_date"] == nil || invItem["issued_on"] == nil || invItem["issued_at"] == nil {
		t.Fatalf("invoice: %s", r.raw)
	}

	// A merge moves C's order to A: A's contacts see it and its invoice;
	// B still sees neither.
	wantProblem(t, e.do("GET", "/v1/orders/"+o3, contactA, nil), 404, "not_found")
	pos = e.command("/v1/accounts/"+custC+"/merge", e.support, map[string]any{"into": custA, "reason": "acquisition", "evidence": []string{"CASE-000042"}})
	r = e.do("GET", q("/v1/orders?"+year, pos), contactA, nil)
	wantList(t, "A after the merge", numbers(t, r, "order_number"), o1, o3)
	r = e.do("GET", "/v1/orders/"+o3, contactA, nil)
	if r.status != 200 || r.body["customer_account_id"] != custA {
		t.Fatalf("moved order: %d %s", r.status, r.raw)
	}
	wantList(t, "A invoices after the merge", numbers(t, e.do("GET", "/v1/invoices", contactA, nil), "invoice_number"), inv)
	wantList(t, "B after the merge", numbers(t, e.do("GET", "/v1/orders?"+year, contactB, nil), "order_number"), o2)
	wantList(t, "B invoices after the merge", numbers(t, e.do("GET", "/v1/invoices", contactB, nil), "invoice_number"))
	wantProblem(t, e.do("GET", "/v1/orders/"+o3, contactB, nil), 404, "not_found")
	// The merged company's name still finds the order.
	wantList(t, "by the merged name", numbers(t, e.do("GET", "/v1/orders?"+year+"&customer_name=gamma", e.admin, nil), "order_number"), o3)

	// Paging: every order once over several pages, for staff and for the
	// reseller (its orders and, apart, those it distributes).
	all := []string{o1, o2, o3}
	for i := range 11 {
		b := body(custB, fmt.Sprintf("PAGE-%02d", i), fmt.Sprintf("2024-05-%02d", 1+i%3))
		tok := reseller
		if i%2 == 1 {
			tok = reseller2
			b["distributor_id"], b["distributor_po_number"] = "700001HQ", fmt.Sprintf("DP-%d", i)
			b["partner_id"] = "700003HQ"
		}
		n, p := e.submitOrder(tok, b)
		pos = p
		all = append(all, n)
		if i < 5 {
			e.command("/v1/orders/"+n+"/fulfil", e.admin, `{}`)
		}
	}
	// min_position: the last order is there at once.
	r = e.do("GET", q("/v1/orders?po=PAGE-10", pos), reseller, nil)
	wantList(t, "read your writes", numbers(t, r, "order_number"), all[len(all)-1])
	// In PO date order, then by number: o1 to o3 in March and April, the
	// pages' orders in May by day.
	inOrder := slices.Clone(all[:3])
	for day := range 3 {
		for i, n := range all[3:] {
			if i%3 == day {
				inOrder = append(inOrder, n)
			}
		}
	}
	got, pages := e.pages("/v1/orders?"+year+"&limit=4", e.admin, "order_number")
	if pages < 3 || !slices.Equal(got, inOrder) {
		t.Fatalf("staff pages: %d pages, %v, want %v", pages, got, inOrder)
	}
	// The reseller submitted o1, o3 and the even pages' orders, and
	// distributes the odd ones: everything but o2.
	mine := slices.DeleteFunc(slices.Clone(inOrder), func(n string) bool { return n == o2 })
	got, pages = e.pages("/v1/orders?"+year+"&limit=2", reseller, "order_number")
	if pages < 3 || !slices.Equal(got, mine) {
		t.Fatalf("reseller pages: %d pages, %v, want %v", pages, got, mine)
	}
	got, pages = e.pages("/v1/distributor-orders?"+year+"&limit=2", reseller, "order_number")
	if pages < 2 || len(got) != 5 {
		t.Fatalf("distributor pages: %d pages, %v", pages, got)
	}
	got, pages = e.pages("/v1/invoices?limit=2", e.admin, "invoice_number")
	if pages != 3 || len(got) != 6 || !sameSet(got, []string{"INV-0000001", "INV-0000002", "INV-0000003", "INV-0000004", "INV-0000005", "INV-0000006"}) {
		t.Fatalf("invoice pages: %d pages, %v", pages, got)
	}
	// A cursor belongs to its query and caller.
	r = e.do("GET", "/v1/orders?"+year+"&limit=2", e.admin, nil)
	next := r.body["next_cursor"].(string)
	wantProblem(t, e.do("GET", "/v1/orders?"+year+"&limit=2&cursor="+next, e.support, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/orders?from=2024-01-02&to=2024-12-31&limit=2&cursor="+next, e.admin, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/invoices?limit=2&cursor="+next, e.admin, nil), 400, "invalid_request")
	if r := e.do("GET", "/v1/orders?"+year+"&limit=2&cursor="+next, e.admin, nil); r.status != 200 {
		t.Fatalf("own cursor: %d %s", r.status, r.raw)
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) && len(a) == len(b)
}

// TestOrderQueryBadParameters: malformed or unknown parameters are 400
// invalid_request naming the parameter; an unreachable min_position is
// 503 stale.
func TestOrderQueryBadParameters(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.StaleAfter = 300 * time.Millisecond })
	long := strings.Repeat("a", 501)
	const year = "from=2024-01-01&to=2024-12-31"
	cases := []struct {
		path   string
		status int
		field  string
	}{
		{"/v1/orders?from=2024-13-01&to=2024-12-31", 400, "from"},
		{"/v1/orders?from=2024-01-01&to=31.12.2024", 400, "to"},
		{"/v1/orders?from=2024-12-31&to=2024-01-01", 400, "from"},
		{"/v1/orders?from=2024-01-01", 400, "to"},
		{"/v1/orders?to=2024-01-01", 400, "from"},
		{"/v1/orders?" + year + "&type=maintenance", 400, "type"},
		{"/v1/orders?" + year + "&type=maintenance_renewal", 400, "type"},
		{"/v1/orders?" + year + "&customer_name=.,-", 400, "customer_name"},
		{"/v1/orders?" + year + "&customer_name=" + long, 400, "customer_name"},
		{"/v1/orders?po=" + long, 400, "po"},
		{"/v1/orders?" + year + "&order_number=" + long, 400, "order_number"},
		{"/v1/orders?" + year + "&limit=0", 400, "limit"},
		{"/v1/orders?" + year + "&limit=501", 400, "limit"},
		{"/v1/orders?" + year + "&limit=x", 400, "limit"},
		{"/v1/orders?" + year + "&cursor=forged", 400, "cursor"},
		{"/v1/orders?" + year + "&cursor=eyJkIjoiMjAyNC0wMS0wMSIsIm4iOiJPUkQtMDAwMDAwMSIsInEiOiJ4In0", 400, "cursor"},
		{"/v1/orders?po=a&po=b", 400, "po"},
		{"/v1/orders?" + year + "&status=open", 400, "status"},
		{"/v1/orders?" + year + "&min_position=-1", 400, "min_position"},
		{"/v1/orders?" + year + "&min_position=9000000000000000000", 503, ""},
		{"/v1/orders/ORD-0000001?po=x", 400, "po"},
		{"/v1/orders/ORD-0000001?min_position=9000000000000000000", 503, ""},
		{"/v1/distributor-orders", 400, "from"},
		{"/v1/distributor-orders?from=2024-01-01", 400, "to"},
		{"/v1/distributor-orders?from=2024-01-01&to=2023-01-01", 400, "from"},
		{"/v1/distributor-orders?" + year + "&po=x", 400, "po"},
		{"/v1/distributor-orders?" + year + "&cursor=zzz", 400, "cursor"},
		{"/v1/distributor-orders?" + year + "&min_position=9000000000000000000", 503, ""},
		{"/v1/invoices?from=yesterday", 400, "from"},
		{"/v1/invoices?from=2024-02-01&to=2024-01-01", 400, "from"},
		{"/v1/invoices?number=" + long, 400, "number"},
		{"/v1/invoices?order=a&order=b", 400, "order"},
		{"/v1/invoices?limit=1000", 400, "limit"},
		{"/v1/invoices?cursor=AAAA", 400, "cursor"},
		{"/v1/invoices?account=123456HQ", 400, "account"},
		{"/v1/invoices?min_position=9000000000000000000", 503, ""},
	}
	for _, c := range cases {
		r := e.do("GET", c.path, e.admin, nil)
		if c.status == 503 {
			if r.status != 503 || r.body["code"] != "stale" || r.header.Get("Retry-After") == "" {
				t.Errorf("%s: got %d %s", c.path, r.status, r.raw)
			}
			continue
		}
		if r.status != c.status || r.body["code"] != "invalid_request" {
			t.Errorf("%s: got %d %s", c.path, r.status, r.raw)
			continue
		}
		errs, _ := r.body["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: want a problem with %s: %s", c.path, c.field, r.raw)
		}
	}
	// No token: 401 on every query.
	for _, path := range []string{"/v1/orders?" + year, "/v1/orders/ORD-0000001", "/v1/distributor-orders?" + year, "/v1/invoices"} {
		wantProblem(t, e.do("GET", path, "", nil), 401, "unauthenticated")
	}
}
