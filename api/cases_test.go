package api_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// TestCaseTimelineAndQueueOrder: GET /v1/cases/{number} end to end — every
// step with who took it and its position, 404 (never 403) for a caller who
// may not see the case, bad parameters 400; GET /v1/cases sorted both ways
// and filtered by SLA state.
func TestCaseTimelineAndQueueOrder(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Timeline Customer GmbH")
	other, _ := e.register("Case Timeline Other GmbH")
	custToken := e.customerContact(cust, "C-000701", domain.AccessUnrestricted)
	otherToken := e.customerContact(other, "C-000702", domain.AccessUnrestricted)
	open := func(token, accountID string) string {
		t.Helper()
		return licPosition(t, e.do("POST", "/v1/cases", token, map[string]any{"request_type": "general", "subject": "other",
			"account_id": accountID, "description": "Please help"}))
	}
	open(custToken, cust)   // CASE-000001
	open(otherToken, other) // CASE-000002
	open(custToken, cust)   // CASE-000003
	positions := []string{}
	for _, step := range []struct {
		path, token string
		body        any
	}{
		{"/v1/cases/CASE-000001/request-info", e.support, map[string]any{"what": "the PO"}},
		{"/v1/cases/CASE-000001/provide-info", custToken, map[string]any{"information": "PO 4711"}},
		{"/v1/cases/CASE-000001/approve", e.support, map[string]any{"note": "fine"}},
	} {
		positions = append(positions, licPosition(t, e.do("POST", step.path, step.token, step.body)))
	}
	pos := positions[len(positions)-1]

	r := e.do("GET", "/v1/cases/CASE-000001?min_position="+pos, custToken, nil)
	if r.status != 200 || r.body["case_number"] != "CASE-000001" || r.body["status"] != "approved" || r.body["sla"] != "met" {
		t.Fatalf("case: %d %s", r.status, r.raw)
	}
	timeline, _ := r.body["timeline"].([]any)
	var steps, actors []string
	for _, s := range timeline {
		m := s.(map[string]any)
		steps = append(steps, fmt.Sprint(m["step"]))
		actors = append(actors, fmt.Sprint(m["actor"]))
	}
	licWantList(t, "steps", steps, "opened", "information_requested", "information_provided", "approved")
	licWantList(t, "actors", actors, "customer:"+cust+"/C-000701", "staff:sam", "customer:"+cust+"/C-000701", "staff:sam")
	if last := timeline[3].(map[string]any); strconv.FormatFloat(last["position"].(float64), 'f', -1, 64) != pos || last["detail"].(map[string]any)["note"] != "fine" {
		t.Fatalf("approved step %v, want position %s and the note", last, pos)
	}
	if ce, ok := r.body["change_events"].([]any); !ok || len(ce) != 0 {
		t.Fatalf("change_events %v, want an empty list (approval executes nothing here)", r.body["change_events"])
	}
	if r := e.do("GET", "/v1/cases/CASE-000001", e.auditor, nil); r.status != 200 {
		t.Fatalf("auditor: %d %s", r.status, r.raw)
	}
	wantProblem(t, e.do("GET", "/v1/cases/CASE-000001", otherToken, nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/v1/cases/CASE-000099", e.admin, nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/v1/cases/not-a-case", e.admin, nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/v1/cases/CASE-000001?status=open", e.admin, nil), 400, "invalid_request")
	wantProblem(t, e.do("GET", "/v1/cases/CASE-000001", "", nil), 401, "unauthenticated")

	cases := func(query string, limit int) []string {
		t.Helper()
		return licField(e.licListAll("/v1/cases?min_position="+pos+query, e.admin, limit), "case_number")
	}
	for _, limit := range []int{1, 2, 500} {
		licWantList(t, fmt.Sprintf("-age, pages of %d", limit), cases("&sort=-age", limit), "CASE-000003", "CASE-000002", "CASE-000001")
		// Earliest due first. CASE-000001's due date moved by the time
		// its requester took to answer, which may or may not put it after
		// CASE-000002's: the order is checked against the items' own dates.
		items := e.licListAll("/v1/cases?sort=due&min_position="+pos, e.admin, limit)
		var numbers []string
		for i, it := range items {
			numbers = append(numbers, fmt.Sprint(it["case_number"]))
			if i > 0 {
				prev, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(items[i-1]["resolution_due"]))
				cur, err := time.Parse(time.RFC3339Nano, fmt.Sprint(it["resolution_due"]))
				if err != nil || cur.Before(prev) {
					t.Fatalf("due, pages of %d: %v after %v (%v)", limit, it["resolution_due"], items[i-1]["resolution_due"], err)
				}
			}
		}
		slices.Sort(numbers)
		licWantList(t, fmt.Sprintf("due, pages of %d", limit), numbers, "CASE-000001", "CASE-000002", "CASE-000003")
	}
	licWantList(t, "met", cases("&sla=met", 2), "CASE-000001")
	licWantList(t, "on track, newest first", cases("&sla=on_track&sort=-due", 1), "CASE-000003", "CASE-000002")
	licWantList(t, "overdue", cases("&sla=overdue", 2))
	for _, q := range []string{"sla=late", "sort=opened_at", "sort=", "sla=met&sla=missed"} {
		wantProblem(t, e.do("GET", "/v1/cases?"+q, e.admin, nil), 400, "invalid_request")
	}
}
