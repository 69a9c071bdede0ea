package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/partner"
)

// The adversarial visibility test: a small world of two customers and
// their partners, built through the command API, and every query endpoint
// asked by every caller for the other party's data — by ID in the path, by
// filters naming the other party's identifiers, by a merged ID, with
// cursors of other callers and other queries (and forged ones), with
// limit=500, with wildcard and SQL metacharacters, invalid UTF-8 and
// over-long values. Every answer must be 200 without any identifier the
// caller may not see anywhere in its raw body, 404 (a single resource) or
// 400 (bad input); never 5xx.
//
// Two kinds of leak are told apart: "cross-party" (data of a customer the
// caller has no relationship with) and "narrower-rule" (data of a customer
// it is related to that a narrower rule of DOMAIN.md hides from it:
// another partner's orders and POs, the customer's contracts for a partner
// with view rights only, the cases it did not open). As written, the
// activity log shows a partner every record about every customer it has
// any relationship with, and so fails the narrower-rule checks of the
// distributor D, the view-rights-only partner V and P (a case A's contact
// opened).

// advWorld is the world of the test.
type advWorld struct {
	// A and B are the two customers; C was merged into B; E ("Birch
	// Biotech Nordic", a prefix of B's name) and F ("Alder Analytix", a
	// close spelling of A's) are customers nobody but staff is related to.
	A, B, C, E, F string
	// Partners: P ordered for A (twice, once through the distributor D),
	// Q for B and C (Q held manage rights under A's agreement, revoked);
	// V has view rights on A and nothing else; Z nothing at all.
	P, Q, D, V, Z string
	// Orders: 1 (P for A, through D), 2 (P for A), 3 (Q for B), 4 (Q for
	// C, moved to B by the merge), 5 (P for A) and 6 (Q for B), both with
	// the PO number PO-SHARED-9.
	ord                    [7]string
	lic                    map[string][]string // order number → its licenses
	inv                    map[string]string   // order number → its invoice
	ctA, ctB, ctC          string              // contracts of A, B, C (the last now B's)
	caseA, casePA          string              // cases of A: opened by A's contact, by P
	caseB, caseQB, caseC   string              // cases of B: by B's contact, by Q; of C (now B's)
	partyA, partyB, others []string            // identifiers of each party
}

// advCaller is one caller and what it may never see.
type advCaller struct {
	name  string
	token string
	// cross are identifiers of parties the caller has no relationship
	// with at all; narrow are identifiers of a party it is related to that
	// a narrower rule still hides from it (another partner's orders, the
	// customer's own cases...); only narrow on the endpoints named.
	cross  []string
	narrow []string
	// narrowOn maps an endpoint path to identifiers hidden there only.
	narrowOn map[string][]string
}

func (e *env) advRegister(name, domainName, country, city, vat string) string {
	e.t.Helper()
	body := registerBody(name)
	body["primary_domain"] = domainName
	body["address"] = map[string]any{"country": country, "city": city}
	body["vat_number"] = vat
	r := e.do("POST", "/v1/accounts", e.admin, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", name, r.status, r.raw)
	}
	return r.body["id"].(string)
}

// advOK runs a command that must succeed and returns its id.
func (e *env) advOK(method, path, token string, body any) string {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != http.StatusOK && r.status != http.StatusCreated {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	return id
}

const advPODate = "2026-10-01" // maintenance ends within a year of the test's time of writing; past dates work too

func buildAdvWorld(e *env) (*advWorld, map[string]string) {
	t := e.t
	w := &advWorld{P: "700101HQ", Q: "700102HQ", D: "700103HQ", V: "700104HQ", Z: "700105HQ",
		lic: map[string][]string{}, inv: map[string]string{}}
	w.A = e.advRegister("Alder Analytics GmbH", "alder.example", "DE", "Munich", "DE811111111")
	w.B = e.advRegister("Birch Biotech AB", "birch.example", "SE", "Stockholm", "SE556677889901")
	w.C = e.advRegister("Cedar Cloud Ltd", "cedar.example", "GB", "London", "GB123456789")
	w.E = e.advRegister("Birch Biotech Nordic AB", "nordic.example", "SE", "Malmo", "SE998877665501")
	w.F = e.advRegister("Alder Analytix GmbH", "analytix.example", "DE", "Berlin", "DE822222222")

	tok := map[string]string{}
	tok["P"] = e.partnerOrg(w.P, domain.PartnerActive)
	tok["Q"] = e.partnerOrg(w.Q, domain.PartnerActive)
	tok["D"] = e.partnerOrg(w.D, domain.PartnerActive, partner.KindDistributor)
	tok["V"] = e.partnerOrg(w.V, domain.PartnerActive)
	tok["Z"] = e.partnerOrg(w.Z, domain.PartnerActive)
	tok["custA"] = e.customerContact(w.A, "C-000501", domain.AccessUnrestricted)
	tok["custArestricted"] = e.customerContact(w.A, "C-000502", domain.AccessRestricted)
	tok["custB"] = e.customerContact(w.B, "C-000503", domain.AccessUnrestricted)
	tok["custC"] = e.customerContact(w.C, "C-000504", domain.AccessUnrestricted) // of the account merged into B
	tok["custE"] = e.customerContact(w.E, "C-000505", domain.AccessUnrestricted)
	tok["admin"] = e.admin
	tok["auditor"] = e.auditor

	order := func(token, customer, po string, distributor bool) string {
		b := orderBody(customer, po)
		b["po_date"] = advPODate
		if distributor {
			b["distributor_id"], b["distributor_po_number"] = w.D, "DPO-DELTA-1"
		}
		n, _ := e.submitOrder(token, b)
		return n
	}
	w.ord[1] = order(tok["P"], w.A, "PO-ALPHA-1", true)
	w.ord[2] = order(tok["P"], w.A, "PO-ALPHA-2", false)
	w.ord[3] = order(tok["Q"], w.B, "PO-BRAVO-1", false)
	w.ord[4] = order(tok["Q"], w.C, "PO-CHARLIE-1", false)
	w.ord[5] = order(tok["P"], w.A, "PO-SHARED-9", false)
	w.ord[6] = order(tok["Q"], w.B, "PO-SHARED-9", false)
	for i := 1; i <= 4; i++ {
		e.advOK("POST", "/v1/orders/"+w.ord[i]+"/fulfil", e.admin, `{}`)
	}

	contract := func(program, account string) string {
		return e.advOK("POST", "/v1/contracts", e.admin, map[string]any{"program": program, "account_id": account,
			"primary_admin": "C-000501", "discount_level": 3, "term_start": "2025-01-01", "term_end": "2027-12-31"})
	}
	w.ctA, w.ctB, w.ctC = contract("enterprise", w.A), contract("enterprise", w.B), contract("easy", w.C)
	e.advOK("POST", "/v1/contracts/"+w.ctA+"/manage-rights", e.admin, map[string]any{"partner_id": w.Q})
	e.advOK("DELETE", "/v1/contracts/"+w.ctA+"/manage-rights/"+w.Q, e.admin, nil)

	// The licenses and invoices the fulfilments drew, as staff see them.
	last := e.lastPosition()
	for i := 1; i <= 4; i++ {
		r := e.do("GET", "/v1/orders/"+w.ord[i]+"?min_position="+last, e.admin, nil)
		if r.status != 200 {
			t.Fatalf("order %s: %d %s", w.ord[i], r.status, r.raw)
		}
		for _, l := range r.body["license_ids"].([]any) {
			w.lic[w.ord[i]] = append(w.lic[w.ord[i]], l.(string))
		}
		w.inv[w.ord[i]], _ = r.body["invoice_number"].(string)
		if len(w.lic[w.ord[i]]) == 0 || w.inv[w.ord[i]] == "" {
			t.Fatalf("order %s was not fulfilled: %s", w.ord[i], r.raw)
		}
	}

	// View rights of both kinds.
	e.advOK("POST", "/v1/accounts/"+w.A+"/view-rights", e.admin, map[string]any{"partner_id": w.P, "scope": "assigned",
		"license_ids": []string{w.lic[w.ord[1]][0]}})
	e.advOK("POST", "/v1/accounts/"+w.B+"/view-rights", e.admin, map[string]any{"partner_id": w.Q, "scope": "all"})
	e.advOK("POST", "/v1/accounts/"+w.A+"/view-rights", e.admin, map[string]any{"partner_id": w.V, "scope": "all"})

	openCase := func(token, account, requester string) string {
		b := map[string]any{"request_type": "general", "subject": "other", "account_id": account, "description": "Please help"}
		if requester != "" {
			b["requester"] = requester
		}
		return e.advOK("POST", "/v1/cases", token, b)
	}
	w.caseA = openCase(tok["custA"], w.A, "")
	w.casePA = openCase(tok["P"], w.A, "partner:"+w.P+"/C-900001")
	w.caseB = openCase(tok["custB"], w.B, "")
	w.caseQB = openCase(tok["Q"], w.B, "partner:"+w.Q+"/C-900001")
	w.caseC = openCase(tok["custC"], w.C, "")

	e.advOK("POST", "/v1/accounts/"+w.C+"/merge", e.support, map[string]any{"into": w.B, "reason": "acquisition",
		"evidence": []string{w.caseC}})

	licsOf := func(orders ...int) []string {
		var out []string
		for _, i := range orders {
			out = append(out, w.lic[w.ord[i]]...)
		}
		return out
	}
	w.partyA = append([]string{w.A, "Alder Analytics GmbH", "alder.example", "DE811111111",
		w.ord[1], w.ord[2], w.ord[5], "PO-ALPHA-1", "PO-ALPHA-2", "DPO-DELTA-1",
		w.inv[w.ord[1]], w.inv[w.ord[2]], w.ctA, w.caseA, w.casePA}, licsOf(1, 2)...)
	w.partyB = append([]string{w.B, "Birch Biotech AB", "birch.example", "SE556677889901",
		w.C, "Cedar Cloud Ltd", "cedar.example", "GB123456789",
		w.ord[3], w.ord[4], w.ord[6], "PO-BRAVO-1", "PO-CHARLIE-1",
		w.inv[w.ord[3]], w.inv[w.ord[4]], w.ctB, w.ctC, w.caseB, w.caseQB, w.caseC}, licsOf(3, 4)...)
	w.others = []string{w.E, "Birch Biotech Nordic AB", "nordic.example", "SE998877665501",
		w.F, "Alder Analytix GmbH", "analytix.example", "DE822222222"}
	return w, tok
}

// advCallers returns every caller and what it may not see.
func advCallers(w *advWorld, tok map[string]string) []advCaller {
	both := func(lists ...[]string) []string { return slices.Concat(lists...) }
	// P's orders that D is not on, and their licenses and invoice.
	pOnly := append([]string{w.ord[2], w.ord[5], "PO-ALPHA-2", w.inv[w.ord[2]]}, w.lic[w.ord[2]]...)
	// A's agreements, POs, invoices and cases: what view rights alone
	// do not open (DOMAIN.md: contracts and orders only through an order,
	// manage rights or the renewal role; PO search only the caller's own
	// orders; cases only those the partner opened).
	aBeyondViewRights := []string{"PO-ALPHA-1", "PO-ALPHA-2", "DPO-DELTA-1", w.inv[w.ord[1]], w.inv[w.ord[2]], w.ctA, w.caseA, w.casePA}
	return []advCaller{
		{name: "admin", token: tok["admin"]},
		{name: "auditor", token: tok["auditor"]},
		{name: "P", token: tok["P"], cross: both(w.partyB, w.others),
			narrow:   []string{w.caseA}, // a partner sees the cases it opened
			narrowOn: map[string][]string{"/v1/licenses": w.lic[w.ord[2]]}},
		{name: "Q", token: tok["Q"], cross: both(w.partyA, w.others)}, // manage rights revoked
		{name: "D", token: tok["D"], cross: both(w.partyB, w.others),
			narrow:   append(slices.Clone(pOnly), w.caseA, w.casePA),
			narrowOn: map[string][]string{"/v1/licenses": w.lic[w.ord[1]]}},
		{name: "V", token: tok["V"], cross: both(w.partyB, w.others), narrow: aBeyondViewRights},
		{name: "Z", token: tok["Z"], cross: both(w.partyA, w.partyB, w.others)},
		{name: "custA", token: tok["custA"], cross: both(w.partyB, w.others)},
		{name: "custArestricted", token: tok["custArestricted"], cross: both(w.partyB, w.others)},
		{name: "custB", token: tok["custB"], cross: both(w.partyA, w.others)},
		{name: "custC", token: tok["custC"], cross: both(w.partyA, w.others)},
		{name: "custE", token: tok["custE"], cross: both(w.partyA, w.partyB, slices.DeleteFunc(slices.Clone(w.others), func(s string) bool {
			return s == w.E || s == "Birch Biotech Nordic AB" || s == "nordic.example" || s == "SE998877665501"
		}))},
	}
}

// advMeta are hostile search values: wildcards, SQL metacharacters,
// invalid UTF-8, NUL, over-long.
var advMeta = []string{"%", "_", "'", `\`, "*", "%%", "_%", "' OR '1'='1", "'; SELECT 1; --", `\%`, "B%", "%Birch%", "B_rch",
	"A*", ".*", "\x00", "\xff", "\xc3\x28", "\xed\xa0\x80", "Birch\x00Biotech", "\xffBirch",
	strings.Repeat("x", 200), strings.Repeat("x", 201), strings.Repeat("x", 500), strings.Repeat("x", 501),
	strings.Repeat("é", 300), strings.Repeat("%", 5000)}

const advRange = "from=2000-01-01&to=2099-12-31"

// advFilterProbes are the list queries with one free value each: {v} is
// replaced by the (escaped) value.
var advFilterProbes = []string{
	"/v1/customers?q={v}&limit=500",
	"/v1/customers?domain={v}&limit=500",
	"/v1/customers?relationship={v}&limit=500",
	"/v1/customers?tag={v}&limit=500",
	"/v1/customers/export?q={v}&relationship={v}",
	"/v1/contracts?company={v}&limit=500",
	"/v1/contracts?company_id={v}&limit=500",
	"/v1/contracts?company=Birch+Biotech&city={v}&limit=500",
	"/v1/contracts?company=Alder&state={v}&country={v}&limit=500",
	"/v1/associated-customers?letter={v}&limit=500",
	"/v1/vat?company={v}&limit=500",
	"/v1/vat?company_id={v}",
	"/v1/orders?po={v}&limit=500",
	"/v1/orders?order_number={v}&" + advRange + "&limit=500",
	"/v1/orders?customer_name={v}&" + advRange + "&limit=500",
	"/v1/orders?po={v}&customer_name={v}&limit=500",
	"/v1/orders?type={v}&" + advRange,
	"/v1/invoices?number={v}&limit=500",
	"/v1/invoices?order={v}&limit=500",
	"/v1/invoices?po={v}&limit=500",
	"/v1/licenses?account={v}&limit=500",
	"/v1/licenses?account={v}&expiring_within_days=365&limit=500",
	"/v1/cases?account={v}&limit=500",
	"/v1/cases?status={v}",
	"/v1/activity?customer={v}&from=2000-01-01&limit=500",
	"/v1/activity?actor={v}&from=2000-01-01&limit=500",
	"/v1/activity?operation={v}&limit=500",
	"/v1/activity?resource={v}&from=2000-01-01&limit=500",
	"/v1/activity/export?customer={v}&from=2000-01-01",
	"/v1/activity/export?resource={v}&format=ndjson",
	"/v1/activity/export?actor={v}&format=csv",
	"/v1/accounts/{p}",
	"/v1/orders/{p}",
}

// advLists are the list queries without a filter (and the pages they are
// harvested from, with limit=1).
var advLists = []string{
	"/v1/customers?limit=500",
	"/v1/customers?q=birch&limit=500",
	"/v1/customers?relationship=ordering_partner&limit=500",
	"/v1/customers/export",
	"/v1/contracts?company=Birch+Biotech&limit=500",
	"/v1/contracts?company=Alder+Analytics&limit=500",
	"/v1/associated-customers?letter=A&limit=500",
	"/v1/associated-customers?letter=B&limit=500",
	"/v1/associated-customers?letter=C&limit=500",
	"/v1/associated-customers?letter=%23&limit=500",
	"/v1/vat?company=Birch&limit=500",
	"/v1/vat?company=Alder&limit=500",
	"/v1/orders?" + advRange + "&limit=500",
	"/v1/orders?po=PO-SHARED-9&limit=500",
	"/v1/orders?limit=500",
	"/v1/distributor-orders?" + advRange + "&limit=500",
	"/v1/invoices?limit=500",
	"/v1/invoices?" + advRange + "&limit=500",
	"/v1/licenses?limit=500",
	"/v1/licenses?expiring_within_days=365&limit=500",
	"/v1/cases?limit=500",
	"/v1/activity?from=2000-01-01&limit=500",
	"/v1/activity/export?from=2000-01-01",
	"/v1/activity/export?from=2000-01-01&format=ndjson",
}

// advPageable are the lists paged with cursors (limit=1 is appended).
func advPageable(w *advWorld) []string {
	return []string{
		"/v1/customers",
		"/v1/customers?relationship=ordering_partner",
		"/v1/contracts?company=Birch+Biotech",
		"/v1/contracts?company=Alder",
		"/v1/contracts?company_id=" + w.B,
		"/v1/contracts?company_id=" + w.C,
		"/v1/associated-customers?letter=A",
		"/v1/associated-customers?letter=B",
		"/v1/vat?company=Birch",
		"/v1/vat?company=Alder",
		"/v1/orders?" + advRange,
		"/v1/orders?po=PO-SHARED-9",
		"/v1/orders?customer_name=birch&" + advRange,
		"/v1/distributor-orders?" + advRange,
		"/v1/invoices",
		"/v1/licenses",
		"/v1/licenses?expiring_within_days=365",
		"/v1/cases",
		"/v1/activity?from=2000-01-01",
	}
}

// advRun sends requests and checks every answer.
type advRun struct {
	e        *env
	requests atomic.Int64
	mu       sync.Mutex
	reported map[string]bool
}

// check GETs path as c and checks the answer: 200 without identifiers c
// may not see, 404 or 400; it returns the answer.
func (a *advRun) check(t *testing.T, c advCaller, path string) resp {
	t.Helper()
	ce := *a.e
	ce.t = advTB{t}
	r, broken := func() (r resp, broken string) {
		defer func() {
			if v := recover(); v != nil {
				if f, ok := v.(advFatal); ok {
					broken = string(f)
					return
				}
				panic(v)
			}
		}()
		return ce.do("GET", path, c.token, nil), ""
	}()
	a.requests.Add(1)
	if broken != "" {
		a.report(t, "broken answer", c.name, path, broken)
		return r
	}
	switch {
	case r.status >= 500:
		a.report(t, "5xx", c.name, path, fmt.Sprintf("%d %.300s", r.status, r.raw))
		return r
	case r.status == http.StatusOK, r.status == http.StatusNotFound, r.status == http.StatusBadRequest:
	case r.status == http.StatusRequestURITooLong && len(path) > api.MaxURIBytes: // over-long input (api/limits.go)
	case r.status == http.StatusUnprocessableEntity && strings.HasPrefix(path, "/v1/vat?"):
	default:
		a.report(t, "status", c.name, path, fmt.Sprintf("unexpected %d %.300s", r.status, r.raw))
	}
	endpoint, _, _ := strings.Cut(path, "?")
	body := string(r.raw)
	for _, id := range c.cross {
		if strings.Contains(body, id) {
			a.report(t, "cross-party leak", c.name, endpoint+" "+id, fmt.Sprintf("e.g. GET %s: %d %.600s", path, r.status, r.raw))
		}
	}
	for _, id := range slices.Concat(c.narrow, c.narrowOn[endpoint]) {
		if strings.Contains(body, id) {
			a.report(t, "narrower-rule leak", c.name, endpoint+" "+id, fmt.Sprintf("e.g. GET %s: %d %.300s", path, r.status, r.raw))
		}
	}
	return r
}

// advFatal is a Fatal of env.do (the answer could not be read), turned
// into a panic that advRun.check recovers, so that one broken answer does
// not end the caller's probes.
type advFatal string

type advTB struct{ *testing.T }

func (advTB) Fatal(args ...any)                 { panic(advFatal(fmt.Sprint(args...))) }
func (advTB) Fatalf(format string, args ...any) { panic(advFatal(fmt.Sprintf(format, args...))) }

// report fails the test once per kind, caller and where (a path, or an
// endpoint and the identifier that leaked).
func (a *advRun) report(t *testing.T, kind, caller, where, what string) {
	t.Helper()
	key := kind + "|" + caller + "|" + where
	a.mu.Lock()
	seen := a.reported[key]
	a.reported[key] = true
	a.mu.Unlock()
	if !seen {
		t.Errorf("%s: caller %s, GET %s: %s", kind, caller, where, what)
	}
}

// advJoin adds query parameters to path.
func advJoin(path, params string) string {
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

func advFill(probe, v string) string {
	if strings.Contains(probe, "{p}") {
		return strings.ReplaceAll(probe, "{p}", url.PathEscape(v))
	}
	return strings.ReplaceAll(probe, "{v}", url.QueryEscape(v))
}

// advForge returns cursors made from c: each string field in turn
// replaced by a NUL, by nothing, by a malformed date, by a number and by
// each of ids; and c cut short, extended and prefixed.
func advForge(c string, ids []string) []string {
	out := []string{c[:len(c)/2], c + "A", "!" + c}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return out
	}
	values := []any{"\x00", "", "9999-99-99", float64(1)}
	for _, id := range ids {
		values = append(values, id)
	}
	for k, v := range m {
		if _, ok := v.(string); !ok {
			continue
		}
		for _, nv := range values {
			f := maps.Clone(m)
			f[k] = nv
			b, _ := json.Marshal(f)
			out = append(out, base64.RawURLEncoding.EncodeToString(b))
		}
	}
	return out
}

// TestAdversarialVisibility: see the comment at the top of the file.
func TestAdversarialVisibility(t *testing.T) {
	t.Parallel()
	e := start(t, generousLimit) // tens of thousands of requests from a few tokens
	w, tok := buildAdvWorld(e)
	callers := advCallers(w, tok)
	byName := map[string]advCaller{}
	for _, c := range callers {
		byName[c.name] = c
	}
	run := &advRun{e: e, reported: map[string]bool{}}

	// Every read model has the world (the queries below do not wait).
	last := e.lastPosition()
	for _, p := range []string{"/v1/customers?", "/v1/orders?po=x&", "/v1/contracts?company=x&", "/v1/licenses?", "/v1/activity?"} {
		if r := e.do("GET", p+"min_position="+last, e.admin, nil); r.status != 200 {
			t.Fatalf("wait for %s: %d %s", p, r.status, r.raw)
		}
	}

	// The world is what it should be: each caller sees its own (else the
	// checks below would pass for nothing).
	want := func(caller, path string, status int, contains ...string) {
		t.Helper()
		r := run.check(t, byName[caller], path)
		if r.status != status {
			t.Fatalf("world: %s GET %s: want %d, got %d %s", caller, path, status, r.status, r.raw)
		}
		for _, s := range contains {
			if !strings.Contains(string(r.raw), s) {
				t.Fatalf("world: %s GET %s lacks %s: %s", caller, path, s, r.raw)
			}
		}
	}
	want("P", "/v1/orders/"+w.ord[1], 200)
	want("P", "/v1/orders/"+w.ord[2], 200)
	want("P", "/v1/customers", 200, w.A)
	want("P", "/v1/licenses", 200, w.lic[w.ord[1]][0])
	want("P", "/v1/contracts?company_id="+w.A, 200, w.ctA)
	want("P", "/v1/cases", 200, w.casePA)
	want("Q", "/v1/orders/"+w.ord[4], 200, w.B)
	want("Q", "/v1/accounts/"+w.C, 200, w.B)
	want("Q", "/v1/licenses", 200, w.lic[w.ord[3]][0], w.lic[w.ord[4]][0])
	want("Q", "/v1/contracts?company_id="+w.A, 404)
	want("Q", "/v1/contracts?company_id="+w.B, 200, w.ctB, w.ctC)
	want("D", "/v1/distributor-orders?"+advRange, 200, w.ord[1])
	want("D", "/v1/orders/"+w.ord[1], 200)
	want("D", "/v1/orders/"+w.ord[2], 404)
	want("V", "/v1/licenses", 200, w.lic[w.ord[1]][0], w.lic[w.ord[2]][0])
	want("V", "/v1/contracts?company_id="+w.A, 404)
	want("custA", "/v1/accounts/"+w.A, 200)
	want("custA", "/v1/orders/"+w.ord[1], 200)
	want("custB", "/v1/accounts/"+w.C, 200, w.B)
	want("custB", "/v1/cases", 200, w.caseC)
	want("custC", "/v1/accounts/"+w.C, 200, w.B)
	want("custC", "/v1/orders/"+w.ord[3], 200)
	want("admin", "/v1/orders/"+w.ord[6], 200)

	// Probe values: every identifier of the world (and variants), and the
	// hostile ones.
	ids := slices.Concat(w.partyA, w.partyB, w.others, []string{w.P, w.Q, w.D, w.V, w.Z,
		"partner:" + w.Q + "/C-900001", "partner:" + w.P + "/C-900001", "customer:" + w.B + "/C-000503", "customer:" + w.A + "/C-000501",
		"order/" + w.ord[3], "order/" + w.ord[1], "account/" + w.B, "account/" + w.A, "contract/" + w.ctB, "license/" + w.lic[w.ord[3]][0],
		strings.ToLower(w.B), strings.ToLower(w.A), " " + w.B + " ", strings.ToLower(w.ord[3]), "po-bravo-1", " PO-BRAVO-1 ",
		"Birch", "birch biotech", "BIRCH, AB", "Birch Biotech A.B.", "Cedar", "Alder", "Brch Biotek", "A", "B", "C", "#",
		"order", "account", "staff:ada", "SubmitOrder", "RegisterContract", "GrantManageRights", "MergeAccounts", "OpenCase",
		"ordering_partner", "distributor", "view_rights", "manage_rights", "renewal_partner", "new", "open"})

	// Harvest cursors: the first two pages (limit=1) of every pageable
	// list, as every caller.
	type harvested struct{ from, query, cursor string }
	var cursors []harvested
	for _, c := range callers {
		for _, q := range advPageable(w) {
			cur := ""
			for page := 0; page < 2; page++ {
				p := advJoin(q, "limit=1")
				if cur != "" {
					p += "&cursor=" + url.QueryEscape(cur)
				}
				r := run.check(t, c, p)
				next, _ := r.body["next_cursor"].(string)
				if next == "" {
					break
				}
				cursors = append(cursors, harvested{c.name, q, next})
				cur = next
			}
		}
	}
	if len(cursors) < 20 {
		t.Fatalf("only %d cursors harvested", len(cursors))
	}

	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			values := ids
			if slices.Contains([]string{"admin", "P", "D", "custA", "custC", "Z"}, c.name) {
				values = slices.Concat(ids, advMeta)
			}
			for _, path := range advLists {
				run.check(t, c, path)
			}
			for _, probe := range advFilterProbes {
				for _, v := range values {
					run.check(t, c, advFill(probe, v))
				}
			}
			// Cursors of every caller and query: on the query they came
			// from, and on every other pageable list.
			for _, h := range cursors {
				run.check(t, c, advJoin(h.query, "limit=500&cursor="+url.QueryEscape(h.cursor)))
				if h.from != c.name && slices.Contains([]string{"P", "Q", "D", "custA", "custB", "Z"}, c.name) {
					for _, q := range advPageable(w) {
						if q != h.query {
							run.check(t, c, advJoin(q, "limit=500&cursor="+url.QueryEscape(h.cursor)))
						}
					}
				}
			}
			// Forged cursors: fields replaced by NUL, by B's identifiers,
			// by nothing; cut short; prefixed.
			if slices.Contains([]string{"admin", "P", "Q", "custA", "custC"}, c.name) {
				seen := map[string]bool{}
				for _, h := range cursors {
					if seen[h.query] {
						continue
					}
					seen[h.query] = true
					for _, f := range advForge(h.cursor, []string{w.B, w.ord[3], w.ctB, "zzzz"}) {
						run.check(t, c, advJoin(h.query, "limit=500&cursor="+url.QueryEscape(f)))
					}
				}
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("%d requests, %d cursors harvested", run.requests.Load(), len(cursors))
	})
}
