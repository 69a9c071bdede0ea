package api_test

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// activityOps returns "operation/status/resource_id" of every record a
// caller gets from GET /v1/activity with query (paging through).
func (e *env) activityOps(token, query string) []string {
	e.t.Helper()
	var out []string
	path := "/v1/activity?limit=2&min_position=" + e.lastPosition() + query
	for pages := 0; ; pages++ {
		r := e.do("GET", path, token, nil)
		if r.status != 200 {
			e.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		for _, it := range r.body["items"].([]any) {
			m := it.(map[string]any)
			out = append(out, fmt.Sprintf("%s/%s/%s", m["operation"], m["status"], m["resource_id"]))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" || pages > 100 {
			return out
		}
		path = "/v1/activity?limit=2&cursor=" + next + "&min_position=" + e.lastPosition() + query
	}
}

// TestActivityLog: every command is one record — accepted (from its
// events, with what it changed), refused, invalid or denied (recorded by
// the API) — newest first; an auditor sees all, a partner its own actions
// and the records of customers it is related to, a customer its own
// account's; filters and both exports select the same records.
func TestActivityLog(t *testing.T) {
	t.Parallel()
	e := start(t)
	auditor := e.token(auth.Staff("audrey", domain.RoleAuditor))
	acme, _ := e.register("Acme Activity GmbH")
	other, _ := e.register("Other Activity GmbH")
	reseller := e.partnerOrg("720001HQ", domain.PartnerActive)
	stranger := e.partnerOrg("720002HQ", domain.PartnerActive)
	cust := e.customerContact(acme, "C-000401", domain.AccessUnrestricted)

	// Accepted: a rename (old and new name), an order by the reseller.
	if r := e.do("POST", "/v1/accounts/"+acme+"/rename", e.admin, renameBody("Acme Activity GmbH", "Acme Activities GmbH"),
		"User-Agent", "support-desk/1.0"); r.status != 200 {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/orders", reseller, orderBody(acme, "PO-ACT-1", orderLine("WS-ENT", 5))); r.status != 201 {
		t.Fatalf("order: %d %s", r.status, r.raw)
	}
	// Refused (the same PO again), invalid (no lines), denied (a customer
	// may not tag).
	wantProblem(t, e.do("POST", "/v1/orders", reseller, orderBody(acme, "PO-ACT-1", orderLine("WS-ENT", 5))), 409, "duplicate")
	wantProblem(t, e.do("POST", "/v1/orders", reseller, orderBody(acme, "PO-ACT-2", orderLine("WS-ENT", 0))), 422, "validation_failed")
	if r := e.do("POST", "/v1/accounts/"+other+"/tags", cust, map[string]any{"tag": "x"}); r.status != 403 && r.status != 404 {
		t.Fatalf("a customer tagging another account: %d %s", r.status, r.raw)
	}

	all := e.activityOps(auditor, "")
	joined := strings.Join(all, " ")
	for _, w := range []string{"RenameCompany/accepted/" + acme, "SubmitOrder/accepted/ORD-0000001", "SubmitOrder/refused/",
		"SubmitOrder/invalid/", "RegisterAccount/accepted/" + acme, "RegisterAccount/accepted/" + other} {
		if !strings.Contains(joined, w) {
			t.Errorf("the auditor's log lacks %s: %v", w, all)
		}
	}
	if !strings.Contains(joined, "TagAccount/denied/"+other) && !strings.Contains(joined, "TagAccount/refused/"+other) {
		t.Errorf("the customer's attempt on another account is not in the log: %v", all)
	}

	// The rename's record: who, from where, what changed.
	r := e.do("GET", "/v1/activity?operation=RenameCompany&min_position="+e.lastPosition(), auditor, nil)
	items := r.body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("rename records: %s", r.raw)
	}
	rec := items[0].(map[string]any)
	ch := rec["changes"].([]any)[0].(map[string]any)
	if rec["actor"] != "staff:ada" || rec["customer_id"] != acme || rec["user_agent"] != "support-desk/1.0" || rec["client_ip"] != "127.0.0.1" ||
		ch["event"] != "account.renamed" || ch["old"].(map[string]any)["name"] != "Acme Activity GmbH" || ch["new"].(map[string]any)["name"] != "Acme Activities GmbH" {
		t.Fatalf("rename record: %s", r.raw)
	}

	// Who sees what.
	for _, c := range []struct {
		who, token string
		has, lacks []string
	}{
		{"the reseller", reseller, []string{"SubmitOrder/accepted/ORD-0000001", "SubmitOrder/refused/", "RenameCompany/accepted/" + acme},
			[]string{"RegisterAccount/accepted/" + other}},
		{"an unrelated partner", stranger, nil, []string{"SubmitOrder", "RenameCompany", "RegisterAccount"}},
		{"the customer", cust, []string{"RenameCompany/accepted/" + acme, "SubmitOrder/accepted/ORD-0000001"},
			[]string{"RegisterAccount/accepted/" + other}},
	} {
		got := strings.Join(e.activityOps(c.token, ""), " ")
		for _, h := range c.has {
			if !strings.Contains(got, h) {
				t.Errorf("%s does not see %s: %s", c.who, h, got)
			}
		}
		for _, l := range c.lacks {
			if strings.Contains(got, l) {
				t.Errorf("%s sees %s: %s", c.who, l, got)
			}
		}
	}

	// Filters.
	if got := e.activityOps(auditor, "&customer="+other+"&operation=RegisterAccount"); len(got) != 1 {
		t.Errorf("customer and operation filter: %v", got)
	}
	if got := e.activityOps(auditor, "&resource=order/ORD-0000001"); len(got) != 1 {
		t.Errorf("resource filter: %v", got)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if got := e.activityOps(auditor, "&from="+tomorrow+"&to="+tomorrow); len(got) != 0 {
		t.Errorf("from tomorrow: %v", got)
	}
	for _, bad := range []string{"from=2026-13-01", "from=2026-11-30&to=2026-11-01", "bogus=1", "cursor=abc", "limit=0"} {
		wantProblem(t, e.do("GET", "/v1/activity?"+bad, auditor, nil), 400, "invalid_request")
	}

	// Exports: the same records as the list, as CSV and as NDJSON.
	r = e.do("GET", "/v1/activity/export?min_position="+e.lastPosition(), auditor, nil)
	recs, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
	if r.status != 200 || err != nil || len(recs) != len(all)+1 || recs[0][0] != "at" {
		t.Fatalf("CSV export: %d %v, %d rows for %d records", r.status, err, len(recs), len(all))
	}
	r = e.do("GET", "/v1/activity/export?format=ndjson&min_position="+e.lastPosition(), reseller, nil)
	sc := bufio.NewScanner(strings.NewReader(string(r.raw)))
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["id"] == nil {
			t.Fatalf("NDJSON line %q: %v", sc.Text(), err)
		}
		n++
	}
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" || n != len(e.activityOps(reseller, "")) {
		t.Fatalf("NDJSON export: %d %s, %d lines", r.status, r.header.Get("Content-Type"), n)
	}
}
