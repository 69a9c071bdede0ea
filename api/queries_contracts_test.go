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
	"github.com/channeldesk/channeldesk/internal/app"
)

// cqRegister registers a customer in country (with state, city and VAT
// number as given) and returns its ID and the command's position.
func (e *env) cqRegister(name, country, state, city, vat string) (string, int64) {
	e.t.Helper()
	body := registerBody(name)
	body["address"] = map[string]any{"country": country, "state": state, "city": city}
	body["vat_number"] = vat
	r := e.do("POST", "/v1/accounts", e.admin, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", name, r.status, r.raw)
	}
	return r.body["id"].(string), int64(r.body["position"].(float64))
}

// cqCommand runs a command as admin and returns its position.
func (e *env) cqCommand(method, path string, body any) int64 {
	e.t.Helper()
	r := e.do(method, path, e.admin, body)
	if r.status != http.StatusOK && r.status != http.StatusCreated {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	return int64(r.body["position"].(float64))
}

// cqContract registers a license agreement for account and returns its
// number and the command's position.
func (e *env) cqContract(program, account string) (string, int64) {
	e.t.Helper()
	r := e.do("POST", "/v1/contracts", e.admin, map[string]any{"program": program, "account_id": account,
		"primary_admin": "C-000101", "secondary_admin": "C-000102", "discount_level": 4, "term_start": "2024-01-01", "term_end": "2026-12-31"})
	if r.status != http.StatusCreated {
		e.t.Fatalf("register contract: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string), int64(r.body["position"].(float64))
}

// cqItems GETs path as token, wants 200 and returns the items and the
// next cursor.
func (e *env) cqItems(path, token string) ([]map[string]any, string) {
	e.t.Helper()
	r := e.do("GET", path, token, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	raw, ok := r.body["items"].([]any)
	if !ok {
		e.t.Fatalf("GET %s: no items array: %s", path, r.raw)
	}
	items := make([]map[string]any, len(raw))
	for i, it := range raw {
		items[i] = it.(map[string]any)
	}
	next, _ := r.body["next_cursor"].(string)
	return items, next
}

// cqField returns field of every item.
func cqField(items []map[string]any, field string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it[field].(string)
	}
	return out
}

// cqAll pages through path (which has a query) with limit, checking that
// no page is larger and no row comes twice, and returns field of every
// item and the number of pages.
func (e *env) cqAll(path, token, field string, limit int) ([]string, int) {
	e.t.Helper()
	var out []string
	seen := map[string]bool{}
	cursor := ""
	for pages := 1; ; pages++ {
		p := fmt.Sprintf("%s&limit=%d", path, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		items, next := e.cqItems(p, token)
		if len(items) > limit {
			e.t.Fatalf("%s: a page of %d items", p, len(items))
		}
		for _, v := range cqField(items, field) {
			if seen[v] {
				e.t.Fatalf("%s: %s on two pages", path, v)
			}
			seen[v] = true
			out = append(out, v)
		}
		if next == "" {
			return out, pages
		}
		if pages > 100 {
			e.t.Fatalf("%s: more than 100 pages", path)
		}
		cursor = next
	}
}

// TestContractQueries: GET /v1/contracts, /v1/associated-customers and
// /v1/vat through the whole service: read your writes (min_position),
// search by name (current and former) and by ID (a merged ID leads to the
// survivor), what each kind of caller sees and does not, the VAT region
// rule, and paging with cursors.
func TestContractQueries(t *testing.T) {
	t.Parallel()
	e := start(t)
	acme, _ := e.cqRegister("Acme Robotics GmbH", "DE", "Bavaria", "München", "DE123456789")
	other, _ := e.cqRegister("Other Customer GmbH", "FR", "", "Paris", "FR12345678901")
	umbrella, _ := e.cqRegister("Umbrella Inc", "US", "CA", "San Jose", "US98765")
	mergeco, _ := e.cqRegister("Mergeco AG", "DE", "", "Berlin", "DE999999999")
	pOrder := e.partnerOrg("700001HQ", domain.PartnerActive)
	pView := e.partnerOrg("700002HQ", domain.PartnerActive)
	pManage := e.partnerOrg("700003HQ", domain.PartnerActive)
	pNone := e.partnerOrg("700004HQ", domain.PartnerActive)
	acmeContact := e.customerContact(acme, "C-000101", domain.AccessUnrestricted)

	// Mergeco's agreement is an Easy one: merged into Acme, which holds
	// an ELA, it keeps one active agreement per program.
	acmeELA, _ := e.cqContract("enterprise", acme)
	mergecoEasy, _ := e.cqContract("easy", mergeco)
	otherELA, _ := e.cqContract("enterprise", other)
	e.cqContract("enterprise", umbrella)
	order := orderBody(acme, "PO-CQ-1")
	order["partner_id"] = "700001HQ"
	e.cqCommand("POST", "/v1/orders", order)
	order = orderBody(umbrella, "PO-CQ-2")
	order["partner_id"] = "700001HQ"
	e.cqCommand("POST", "/v1/orders", order)
	e.cqCommand("POST", "/v1/accounts/"+acme+"/view-rights", map[string]any{"partner_id": "700002HQ", "scope": "all"})
	e.cqCommand("POST", "/v1/contracts/"+otherELA+"/manage-rights", map[string]any{"partner_id": "700003HQ"})
	pos := e.cqCommand("POST", "/v1/accounts/"+mergeco+"/merge", map[string]any{"into": acme, "reason": "duplicate", "evidence": []string{"CASE-000001"}})
	acmes := []string{mergecoEasy, acmeELA}
	slices.Sort(acmes)

	// Read your writes: the merge's position, waited for.
	items, next := e.cqItems(fmt.Sprintf("/v1/contracts?company=%s&min_position=%d", url.QueryEscape("ACME robotics, GmbH"), pos), e.support)
	if got := cqField(items, "contract_number"); !slices.Equal(got, acmes) || next != "" {
		t.Fatalf("acme's contracts: %v %q, want %v", got, next, acmes)
	}
	first := items[0]
	for k, want := range map[string]any{"account_id": acme, "company_name": "Acme Robotics GmbH", "primary_admin": "C-000101",
		"secondary_admin": "C-000102", "discount_level": float64(4), "term_start": "2024-01-01", "term_end": "2026-12-31",
		"status": "active", "country": "DE", "state": "Bavaria", "city": "München", "renamed": false} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v (%v)", k, first[k], want, first)
		}
	}
	if p := first["program"]; p != "easy" && p != "enterprise" {
		t.Errorf("program %v", p)
	}

	for _, c := range []struct {
		who, token, path string
		want             []string // nil: 404 for an ID, an empty list for a name
	}{
		{"staff, by the merged ID", e.auditor, "/v1/contracts?company_id=" + mergeco, acmes},
		{"the ordering partner", pOrder, "/v1/contracts?company_id=" + acme, acmes},
		{"the ordering partner, by the merged ID", pOrder, "/v1/contracts?company_id=" + mergeco, acmes},
		{"the ordering partner, by name", pOrder, "/v1/contracts?company=acme", acmes},
		{"the ordering partner, another customer", pOrder, "/v1/contracts?company_id=" + other, nil},
		{"the ordering partner, another customer by name", pOrder, "/v1/contracts?company=other", nil},
		{"a partner with view rights only", pView, "/v1/contracts?company_id=" + acme, nil},
		{"a partner with view rights only, by name", pView, "/v1/contracts?company=acme", nil},
		{"the managing partner", pManage, "/v1/contracts?company_id=" + other, []string{otherELA}},
		{"the managing partner, another customer", pManage, "/v1/contracts?company_id=" + acme, nil},
		{"an unrelated partner", pNone, "/v1/contracts?company_id=" + acme, nil},
		{"the customer", acmeContact, "/v1/contracts?company_id=" + acme, acmes},
		{"the customer, by a close spelling", acmeContact, "/v1/contracts?company=robotics", acmes},
		{"the customer, another customer", acmeContact, "/v1/contracts?company_id=" + other, nil},
		{"an unknown ID", e.admin, "/v1/contracts?company_id=999999ZZ", nil},
	} {
		r := e.do("GET", c.path, c.token, nil)
		if c.want == nil && strings.Contains(c.path, "company_id=") {
			wantProblem(t, r, http.StatusNotFound, "not_found")
			continue
		}
		if r.status != http.StatusOK {
			t.Fatalf("%s: %s: %d %s", c.who, c.path, r.status, r.raw)
		}
		items, _ := e.cqItems(c.path, c.token)
		if got := cqField(items, "contract_number"); !slices.Equal(got, c.want) && !(len(got) == 0 && c.want == nil) {
			t.Errorf("%s: %s: %v, want %v", c.who, c.path, got, c.want)
		}
	}

	// Associated customers: any relationship counts; a merged account is
	// not listed.
	for _, c := range []struct {
		who, token, letter string
		want               []string
	}{
		{"staff", e.support, "a", []string{acme}},
		{"staff, M", e.support, "M", nil},
		{"the ordering partner", pOrder, "A", []string{acme}},
		{"the ordering partner, U", pOrder, "U", []string{umbrella}},
		{"a partner with view rights", pView, "A", []string{acme}},
		{"an unrelated partner", pNone, "A", nil},
		{"the customer", acmeContact, "A", []string{acme}},
		{"the customer, O", acmeContact, "O", nil},
	} {
		items, _ := e.cqItems("/v1/associated-customers?letter="+c.letter, c.token)
		if got := cqField(items, "account_id"); !slices.Equal(got, c.want) && !(len(got) == 0 && c.want == nil) {
			t.Errorf("associated, %s: %v, want %v", c.who, got, c.want)
		}
		for _, it := range items {
			if len(it) != 2 || it["name"] == "" {
				t.Errorf("associated, %s: item %v, want account_id and name", c.who, it)
			}
		}
	}

	// VAT: EMEA and APAC only; an AMER customer's number never shows.
	items, _ = e.cqItems("/v1/vat?company_id="+mergeco, pView)
	if len(items) != 1 || items[0]["vat_number"] != "DE123456789" || items[0]["account_id"] != acme || items[0]["region"] != "EMEA" {
		t.Fatalf("vat by the merged ID: %v", items)
	}
	items, _ = e.cqItems("/v1/vat?company="+url.QueryEscape("other customer"), e.support)
	if len(items) != 1 || items[0]["vat_number"] != "FR12345678901" {
		t.Fatalf("vat by name: %v", items)
	}
	for _, token := range []string{e.admin, pOrder} {
		r := e.do("GET", "/v1/vat?company_id="+umbrella, token, nil)
		wantProblem(t, r, http.StatusUnprocessableEntity, "rule_violation")
		if !strings.Contains(r.body["detail"].(string), "EMEA and APAC") || strings.Contains(string(r.raw), "US98765") {
			t.Fatalf("vat of an AMER customer: %s", r.raw)
		}
		items, _ := e.cqItems("/v1/vat?company=umbrella", token)
		if len(items) != 0 {
			t.Fatalf("vat search lists an AMER customer: %v", items)
		}
	}
	wantProblem(t, e.do("GET", "/v1/vat?company_id="+umbrella, pNone, nil), http.StatusNotFound, "not_found")
	wantProblem(t, e.do("GET", "/v1/vat?company_id="+acme, pNone, nil), http.StatusNotFound, "not_found")
	wantProblem(t, e.do("GET", "/v1/vat?company_id="+other, acmeContact, nil), http.StatusNotFound, "not_found")

	// A rename: the old name still finds the company, marked as renamed;
	// read your writes once more.
	pos = e.cqCommand("POST", "/v1/accounts/"+acme+"/rename", renameBody("Acme Robotics GmbH", "Zenith Robotics GmbH"))
	items, _ = e.cqItems(fmt.Sprintf("/v1/contracts?company=acme&min_position=%d", pos), pOrder)
	if len(items) != len(acmes) || items[0]["company_name"] != "Zenith Robotics GmbH" || items[0]["renamed"] != true ||
		items[0]["matched_former_name"] != "Acme Robotics GmbH" {
		t.Fatalf("by the former name: %v", items)
	}
	items, _ = e.cqItems(fmt.Sprintf("/v1/associated-customers?letter=Z&min_position=%d", pos), e.support)
	if got := cqField(items, "name"); !slices.Equal(got, []string{"Zenith Robotics GmbH"}) {
		t.Fatalf("associated after the rename: %v", got)
	}
	items, _ = e.cqItems(fmt.Sprintf("/v1/vat?company=zenit&min_position=%d", pos), e.support)
	if len(items) != 1 || items[0]["name"] != "Zenith Robotics GmbH" {
		t.Fatalf("vat after the rename: %v", items)
	}

	// Paging: seven companies and their agreements, over pages of three.
	var last int64
	var pagingNumbers []string
	for i := 0; i < 7; i++ {
		id, _ := e.cqRegister(fmt.Sprintf("Paging Co %02d", i), "GB", "", "London", fmt.Sprintf("GB%09d", i))
		var n string
		n, last = e.cqContract("enterprise", id)
		pagingNumbers = append(pagingNumbers, n)
	}
	got, pages := e.cqAll(fmt.Sprintf("/v1/contracts?company=paging&min_position=%d", last), e.support, "contract_number", 3)
	if !slices.Equal(got, pagingNumbers) || pages != 3 {
		t.Fatalf("contracts over %d pages: %v, want %v", pages, got, pagingNumbers)
	}
	if got, pages := e.cqAll("/v1/associated-customers?letter=p", e.support, "name", 3); len(got) != 7 || pages != 3 || got[0] != "Paging Co 00" {
		t.Fatalf("associated over %d pages: %v", pages, got)
	}
	if got, pages := e.cqAll("/v1/vat?company=paging", e.support, "vat_number", 3); len(got) != 7 || pages != 3 {
		t.Fatalf("vat over %d pages: %v", pages, got)
	}
	// A cursor is good only for the query it came from.
	_, cur := e.cqItems("/v1/contracts?company=paging&limit=2", e.support)
	_, letterCur := e.cqItems("/v1/associated-customers?letter=P&limit=2", e.support)
	for _, path := range []string{
		"/v1/contracts?company=acme&cursor=" + cur,
		"/v1/contracts?company_id=" + acme + "&cursor=" + cur,
		"/v1/vat?company=paging&cursor=" + cur,
		"/v1/associated-customers?letter=Q&cursor=" + letterCur,
		"/v1/contracts?company=paging&cursor=" + letterCur,
		"/v1/contracts?company=paging&cursor=" + cur + "x",
	} {
		wantProblem(t, e.do("GET", path, e.support, nil), http.StatusBadRequest, "invalid_request")
	}
	// The same cursor is refused to another kind of caller.
	wantProblem(t, e.do("GET", "/v1/contracts?company=paging&cursor="+cur, pOrder, nil), http.StatusBadRequest, "invalid_request")
}

// TestContractQueriesBadParameters: every malformed request is a 400
// invalid_request naming the parameter; a position the read models have
// not reached is a 503 after the bounded wait; no token is a 401.
func TestContractQueriesBadParameters(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.StaleAfter = 300 * time.Millisecond })
	long := strings.Repeat("a", 501)
	for _, c := range []struct {
		path, field string
	}{
		{"/v1/contracts", "company"},
		{"/v1/contracts?company=acme&company_id=123456HQ", "company_id"},
		{"/v1/contracts?company=", "company"},
		{"/v1/contracts?company=%2C.%21", "company"},
		{"/v1/contracts?company=" + long, "company"},
		{"/v1/contracts?company=acme&company=beta", "company"},
		{"/v1/contracts?company_id=12345", "company_id"},
		{"/v1/contracts?company_id=123456hq", "company_id"},
		{"/v1/contracts?company_id=123456HQ&country=DE", "country"},
		{"/v1/contracts?company=acme&country=XX", "country"},
		{"/v1/contracts?company=acme&country=Germany", "country"},
		{"/v1/contracts?company=acme&state=%2D%2D", "state"},
		{"/v1/contracts?company=acme&city=" + long, "city"},
		{"/v1/contracts?company=acme&limit=0", "limit"},
		{"/v1/contracts?company=acme&limit=501", "limit"},
		{"/v1/contracts?company=acme&limit=ten", "limit"},
		{"/v1/contracts?company=acme&cursor=not-a-cursor", "cursor"},
		{"/v1/contracts?company=acme&cursor=eyJ4IjoxfQ", "cursor"},
		{"/v1/contracts?company=acme&min_position=-1", "min_position"},
		{"/v1/contracts?company=acme&min_position=abc", "min_position"},
		{"/v1/contracts?name=acme", "name"},
		{"/v1/associated-customers", "letter"},
		{"/v1/associated-customers?letter=", "letter"},
		{"/v1/associated-customers?letter=AB", "letter"},
		{"/v1/associated-customers?letter=1", "letter"},
		{"/v1/associated-customers?letter=%C3%89", "letter"},
		{"/v1/associated-customers?letter=#", "letter"}, // an unescaped # starts the fragment
		{"/v1/associated-customers?letter=A&limit=501", "limit"},
		{"/v1/associated-customers?letter=A&cursor=eyJiIjoieCJ9", "cursor"},
		{"/v1/associated-customers?letter=A&q=x", "q"},
		{"/v1/vat", "company"},
		{"/v1/vat?company_id=123456HQ&company=acme", "company_id"},
		{"/v1/vat?company_id=ABCDEFGH", "company_id"},
		{"/v1/vat?company=%20", "company"},
		{"/v1/vat?company=acme&country=DE", "country"},
		{"/v1/vat?company=acme&limit=-3", "limit"},
		{"/v1/vat?company_id=123456HQ&cursor=eyJiIjoieCJ9", "cursor"},
	} {
		r := e.do("GET", c.path, e.admin, nil)
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		if errs, _ := r.body["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: errors %v, want field %s", c.path, r.body["errors"], c.field)
		}
	}
	for _, path := range []string{
		"/v1/contracts?company=acme&min_position=9000000000000000000",
		"/v1/associated-customers?letter=A&min_position=9000000000000000000",
		"/v1/vat?company=acme&min_position=9000000000000000000",
	} {
		r := e.do("GET", path, e.admin, nil)
		wantProblem(t, r, http.StatusServiceUnavailable, "stale")
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: stale without Retry-After", path)
		}
		wantProblem(t, e.do("GET", path, "", nil), http.StatusUnauthorized, "unauthenticated")
	}
	// '#' sent escaped is the letter of every other name; a search that
	// finds nothing is an empty list, never null.
	for _, path := range []string{"/v1/associated-customers?letter=%23", "/v1/contracts?company=nothing", "/v1/vat?company=nothing"} {
		r := e.do("GET", path, e.admin, nil)
		if r.status != http.StatusOK || !strings.Contains(string(r.raw), `"items":[]`) || strings.Contains(string(r.raw), "next_cursor") {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
}
