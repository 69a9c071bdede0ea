package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
)

// fuzzEndpoints are the command endpoints FuzzCommands drives. A {name} in
// a path is a path parameter: the fuzzed ID replaces the last one when it
// is not empty; every other takes the ID of an existing resource.
var fuzzEndpoints = []struct{ method, path string }{
	{"POST", "/v1/accounts"},
	{"POST", "/v1/accounts/{account}/rename"},
	{"POST", "/v1/accounts/{account}/address"},
	{"POST", "/v1/accounts/{account}/vat-number"},
	{"POST", "/v1/accounts/{account}/tags"},
	{"DELETE", "/v1/accounts/{account}/tags/{tag}"},
	{"POST", "/v1/accounts/{account}/contacts"},
	{"POST", "/v1/accounts/{account}/contacts/{contact}/access"},
	{"POST", "/v1/accounts/{account}/invoice-delivery"},
	{"POST", "/v1/accounts/{account}/solution-advisor"},
	{"POST", "/v1/accounts/{account}/view-rights"},
	{"DELETE", "/v1/accounts/{account}/view-rights/{partner}"},
	{"POST", "/v1/accounts/{account}/renewal-partner"},
	{"DELETE", "/v1/accounts/{account}/renewal-partner"},
	{"POST", "/v1/accounts/{account}/merge"},
	{"POST", "/v1/accounts/{account}/embargo-hold/clear"},
	{"POST", "/v1/partners"},
	{"POST", "/v1/partners/{partner}/status"},
	{"POST", "/v1/partners/{partner}/contacts"},
	{"POST", "/v1/partners/{partner}/contacts/{partner_contact}/access"},
	{"POST", "/v1/orders"},
	{"POST", "/v1/orders/{order}/fulfil"},
	{"POST", "/v1/orders/{order}/cancel"},
	{"POST", "/v1/contracts"},
	{"POST", "/v1/contracts/{contract}/administrators"},
	{"POST", "/v1/contracts/{contract}/discount-level"},
	{"POST", "/v1/contracts/{contract}/manage-rights"},
	{"DELETE", "/v1/contracts/{contract}/manage-rights/{partner}"},
	{"POST", "/v1/licenses/{license}/allocations"},
	{"DELETE", "/v1/licenses/{license}/allocations/{host}"},
	{"POST", "/v1/licenses/{license}/reallocate"},
	{"POST", "/v1/licenses/{license}/split"},
	{"POST", "/v1/licenses/{license}/transfer"},
	{"POST", "/v1/licenses/{license}/renew"},
	{"POST", "/v1/cases"},
	{"POST", "/v1/cases/{case}/request-info"},
	{"POST", "/v1/cases/{case}/provide-info"},
	{"POST", "/v1/cases/{case}/approve"},
	{"POST", "/v1/cases/{case}/reject"},
	{"POST", "/v1/partners/{partner}/embargo-hold/clear"},
}

// problemCodes are the stable codes of API.md.
var problemCodes = map[string]bool{
	"invalid_request": true, "validation_failed": true, "rule_violation": true, "not_found": true, "conflict": true,
	"duplicate": true, "unauthenticated": true, "forbidden": true, "embargo_hold": true, "rate_limited": true,
}

// fuzzPath fills the parameters of path: the last with id, when given
// (escaped, so that any string is one path segment), the others with ids.
func fuzzPath(path, id string, ids map[string]string) string {
	segs := strings.Split(path, "/")
	last := -1
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i], last = url.PathEscape(ids[strings.Trim(s, "{}")]), i
		}
	}
	if last >= 0 && id != "" {
		segs[last] = url.PathEscape(id)
	}
	return strings.Join(segs, "/")
}

// FuzzCommands sends fuzzed bodies (and path IDs, and callers) to the
// command endpoints of one running channeldesk with a customer, partners,
// orders, a license, a contract and a case in it. Whatever arrives, the
// answer is never 5xx (a panic would be one: the server recovers into a
// 500), every 4xx is a problem+json with a stable code, and a refused
// command appends nothing. The seed corpus is testdata/fuzz/FuzzCommands.
func FuzzCommands(f *testing.F) {
	// Fuzzing sends thousands of requests a second from a few tokens.
	e := start(f, generousLimit)
	cust, _ := e.register("Fuzz Customer GmbH")
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive)
	customer := e.customerContact(cust, "C-000077", domain.AccessUnrestricted)
	e.fulfilled(cust, 100) // ORD-0000001, LIC-0000001
	for _, r := range []resp{
		e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-F2")),
		e.do("POST", "/v1/contracts", e.admin, map[string]any{"program": "enterprise", "account_id": cust, "primary_admin": "C-000077",
			"discount_level": 3, "term_start": "2024-01-01", "term_end": "2026-12-31"}),
		e.do("POST", "/v1/cases", e.support, map[string]any{"request_type": "general", "subject": "rename", "account_id": cust, "description": "d"}),
	} {
		if r.status != http.StatusCreated {
			f.Fatalf("setup: %d %s", r.status, r.raw)
		}
	}
	ids := map[string]string{
		"account": cust, "contact": "C-000077", "partner": "700001HQ", "partner_contact": "C-900001", "tag": "vip",
		"order": "ORD-0000002", "contract": "ELA-000001", "license": "LIC-0000001", "host": "lic1.example", "case": "CASE-000001",
	}
	tokens := []string{e.admin, e.support, reseller, customer, e.auditor, ""}

	f.Fuzz(func(t *testing.T, endpoint, caller uint8, id string, body []byte) {
		ep := fuzzEndpoints[int(endpoint)%len(fuzzEndpoints)]
		path := fuzzPath(ep.path, id, ids)
		req := httptest.NewRequest(ep.method, "http://channeldesk.test"+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok := tokens[int(caller)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		fe := *e
		fe.t = t
		before := fe.events()
		w := httptest.NewRecorder()
		e.app.API.ServeHTTP(w, req)
		res := w.Result()
		raw := w.Body.Bytes()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s %q: %d %s", ep.method, path, body, res.StatusCode, raw)
		}
		if res.StatusCode < 400 {
			if ct := res.Header.Get("Content-Type"); ct != "application/json" || !json.Valid(raw) {
				t.Fatalf("%s %s %q: %d answered %s %s", ep.method, path, body, res.StatusCode, ct, raw)
			}
			return
		}
		var p struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(raw, &p) != nil {
			t.Fatalf("%s %s %q: %d is not problem+json: %s %s", ep.method, path, body, res.StatusCode, ct, raw)
		}
		if !problemCodes[p.Code] || p.Status != res.StatusCode || p.Type != "urn:channeldesk:problem:"+p.Code || p.Title == "" {
			t.Fatalf("%s %s %q: bad problem for %d: %s", ep.method, path, body, res.StatusCode, raw)
		}
		if n := fe.events(); n != before {
			t.Fatalf("%s %s %q: refused with %d but appended %d events: %s", ep.method, path, body, res.StatusCode, n-before, raw)
		}
	})
}

// fuzzQueries are the query endpoints FuzzQueries drives, as fuzzEndpoints
// for commands (new ones go at the end: the seeds name them by index).
var fuzzQueries = []string{
	"/v1/customers",
	"/v1/customers/export",
	"/v1/accounts/{account}",
	"/v1/contracts",
	"/v1/orders",
	"/v1/orders/{order}",
	"/v1/distributor-orders",
	"/v1/associated-customers",
	"/v1/vat",
	"/v1/licenses",
	"/v1/invoices",
	"/v1/cases",
	"/v1/activity",
	"/v1/activity/export",
	"/v1/projections",
	"/openapi.json",
}

// FuzzQueries sends fuzzed query strings (and path IDs, and callers) to
// every query endpoint of one running channeldesk with a customer, two
// partners, orders, a license, a contract and a case in it: the query
// parsers (limit, cursor, dates, filters, min_position, format) see any
// bytes. Whatever arrives, the answer is never 5xx but 503 stale (a
// min_position not reached in time), a 2xx is JSON, CSV or NDJSON, every
// 4xx is a problem+json with a stable code, and nothing is appended. The
// seed corpus is testdata/fuzz/FuzzQueries.
func FuzzQueries(f *testing.F) {
	e := start(f, func(c *app.Config) {
		c.StaleAfter = 50 * time.Millisecond // a fuzzed min_position must not hold every input for long
		generousLimit(c)
	})
	cust, _ := e.register("Fuzz Query Customer GmbH")
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive)
	customer := e.customerContact(cust, "C-000077", domain.AccessUnrestricted)
	e.fulfilled(cust, 100) // ORD-0000001, LIC-0000001
	other := e.partnerOrg("700002HQ", domain.PartnerActive)
	for _, r := range []resp{
		e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-Q2")),
		e.do("POST", "/v1/contracts", e.admin, map[string]any{"program": "enterprise", "account_id": cust, "primary_admin": "C-000077",
			"discount_level": 3, "term_start": "2024-01-01", "term_end": "2026-12-31"}),
		e.do("POST", "/v1/cases", e.support, map[string]any{"request_type": "general", "subject": "rename", "account_id": cust, "description": "d"}),
	} {
		if r.status != http.StatusCreated {
			f.Fatalf("setup: %d %s", r.status, r.raw)
		}
	}
	ids := map[string]string{"account": cust, "order": "ORD-0000002"}
	tokens := []string{e.admin, e.support, reseller, customer, e.auditor, other, ""}

	f.Fuzz(func(t *testing.T, endpoint, caller uint8, id, query string) {
		path := fuzzPath(fuzzQueries[int(endpoint)%len(fuzzQueries)], id, ids)
		req := httptest.NewRequest("GET", "http://channeldesk.test"+path, nil)
		req.URL.RawQuery = query
		req.RequestURI = req.URL.RequestURI()
		if tok := tokens[int(caller)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		fe := *e
		fe.t = t
		before := fe.events()
		w := httptest.NewRecorder()
		e.app.API.ServeHTTP(w, req)
		res := w.Result()
		raw := w.Body.Bytes()
		what := fmt.Sprintf("GET %s?%q", path, query)
		ct := res.Header.Get("Content-Type")
		switch {
		case res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable:
			t.Fatalf("%s: %d %s", what, res.StatusCode, raw)
		case res.StatusCode < 300:
			if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/csv") && ct != "application/x-ndjson" {
				t.Fatalf("%s: %d answered %s", what, res.StatusCode, ct)
			}
			if ct == "application/json" && !json.Valid(raw) {
				t.Fatalf("%s: %d with invalid JSON %.300s", what, res.StatusCode, raw)
			}
		default:
			var p struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
				Code   string `json:"code"`
			}
			if ct != "application/problem+json" || json.Unmarshal(raw, &p) != nil {
				t.Fatalf("%s: %d is not problem+json: %s %.300s", what, res.StatusCode, ct, raw)
			}
			known := problemCodes[p.Code] || (p.Code == "stale" && res.StatusCode == http.StatusServiceUnavailable)
			if !known || p.Status != res.StatusCode || p.Type != "urn:channeldesk:problem:"+p.Code {
				t.Fatalf("%s: bad problem for %d: %s", what, res.StatusCode, raw)
			}
		}
		if n := fe.events(); n != before {
			t.Fatalf("%s: a query appended %d events", what, n-before)
		}
	})
}
