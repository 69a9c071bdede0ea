package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
)

// caseBody is the body of POST /v1/cases for subject on account, proposing
// operation on target with input (no proposal when operation is "").
func caseBody(subject, account, operation, target string, input any) map[string]any {
	b := map[string]any{"request_type": "general", "subject": subject, "account_id": account,
		"description": "Please " + subject + " as proposed", "evidence": []string{"mail:MSG-100"}}
	if subject == "split" || subject == "transfer" {
		b["request_type"] = "licensing"
	}
	if operation != "" {
		b["proposed"] = map[string]any{"operation": operation, "target": target, "input": input}
	}
	return b
}

// caseToApproval walks a case through its workflow over HTTP: requester
// opens it with body, support asks for information, the requester provides
// it, support approves. It returns the case number and the approval's
// answer, checked to be the approval, the completion and then the change's
// events (types), all at once.
func (e *env) caseToApproval(t *testing.T, requester string, body map[string]any, types ...string) (string, resp) {
	t.Helper()
	r := e.do("POST", "/v1/cases", requester, body)
	if r.status != 201 {
		t.Fatalf("open: %d %s", r.status, r.raw)
	}
	number := r.body["id"].(string)
	stream := "supportcase-" + number
	wantAnswer(t, e.do("POST", "/v1/cases/"+number+"/request-info", e.support, map[string]any{"what": "The signed document, please."}),
		200, number, stream, 2, "supportcase.information_requested")
	wantAnswer(t, e.do("POST", "/v1/cases/"+number+"/provide-info", requester, map[string]any{"information": "Attached.", "evidence": []string{"doc:signed.pdf"}}),
		200, number, stream, 3, "supportcase.information_provided")
	r = e.do("POST", "/v1/cases/"+number+"/approve", e.support, map[string]any{"note": "Evidence checked."}, "X-Correlation-ID", "corr-"+number)
	wantAnswer(t, r, 200, number, stream, 5, append([]string{"supportcase.approved", "supportcase.executed"}, types...)...)

	// One append: every event under the approval's command ID, which is
	// also their cause, and the request's correlation ID.
	rows, err := e.app.Pool.Query(context.Background(), `SELECT event_type, correlation_id, causation_id = command_id FROM events
		WHERE command_id = (SELECT command_id FROM events WHERE stream_id = $1 AND event_type = 'supportcase.executed') ORDER BY position`, stream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var typ, corr string
		var caused bool
		if err := rows.Scan(&typ, &corr, &caused); err != nil {
			t.Fatal(err)
		}
		if corr != "corr-"+number || !caused {
			t.Fatalf("%s: correlation %q, caused by the approval %v", typ, corr, caused)
		}
		got = append(got, typ)
	}
	if err := rows.Err(); err != nil || len(got) != len(types)+2 {
		t.Fatalf("the approval's command recorded %v (%v)", got, err)
	}

	// The activity log has the approval as one accepted command, with
	// every change it made.
	a := e.do("GET", "/v1/activity?operation=ApproveCase&resource=supportcase/"+number+"&min_position="+e.lastPosition(), e.auditor, nil)
	if a.status != 200 {
		t.Fatalf("activity: %d %s", a.status, a.raw)
	}
	items, _ := a.body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("activity: %d records for the approval: %s", len(items), a.raw)
	}
	rec := items[0].(map[string]any)
	var changed []string
	for _, c := range rec["changes"].([]any) {
		changed = append(changed, c.(map[string]any)["event"].(string))
	}
	if rec["status"] != "accepted" || rec["actor"] != "staff:sam" || rec["correlation_id"] != "corr-"+number ||
		strings.Join(changed, " ") != strings.Join(got, " ") {
		t.Fatalf("activity record %v, changes %v, want %v", rec, changed, got)
	}
	return number, r
}

// get GETs path (with min_position of the newest event) as token and
// returns the body.
func (e *env) get(t *testing.T, path, token string) map[string]any {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	r := e.do("GET", path+sep+"min_position="+e.lastPosition(), token, nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	return r.body
}

// licensesOf returns license_id → the license of account's licenses.
func (e *env) licensesOf(t *testing.T, account string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range e.get(t, "/v1/licenses?limit=100&account="+account, e.admin)["items"].([]any) {
		l := it.(map[string]any)
		out[l["license_id"].(string)] = l
	}
	return out
}

// TestCaseRename: a customer admin asks for a rename with the domain-email
// confirmation and a document; approving the case renames the company.
func TestCaseRename(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Rename GmbH")
	requester := e.customerContact(cust, "C-000601", domain.AccessUnrestricted)
	e.caseToApproval(t, requester, caseBody("rename", cust, "RenameCompany", cust, renameBody("Case Rename GmbH", "Case Renamed AG")),
		"account.renamed")
	a := e.get(t, "/v1/accounts/"+cust, e.admin)
	if a["name"] != "Case Renamed AG" || !strings.Contains(string(mustJSON(t, a["former_names"])), "Case Rename GmbH") {
		t.Fatalf("account after the rename case: %v", a)
	}
}

// TestCaseMerge: the survivor's admin asks to merge an acquired account
// into its own, naming both, a reason and evidence; approving merges them.
func TestCaseMerge(t *testing.T) {
	t.Parallel()
	e := start(t)
	src, _ := e.register("Case Acquired GmbH")
	dst, _ := e.register("Case Acquirer GmbH")
	requester := e.customerContact(dst, "C-000602", domain.AccessUnrestricted)
	e.caseToApproval(t, requester, caseBody("merge", dst, "MergeAccounts", src,
		map[string]any{"into": dst, "reason": "acquisition", "evidence": []string{"doc:share-purchase-agreement.pdf"}}),
		"account.merged", "account.merge_received")
	a := e.get(t, "/v1/accounts/"+src, e.admin)
	if a["account_id"] != dst || !strings.Contains(string(mustJSON(t, a["merged_from"])), src) {
		t.Fatalf("the merged account answers as %v", a)
	}
}

// TestCaseSplit: a split of more than 1000 users needs a staff approval:
// the owner may not split it directly, but a case proposing it, once
// approved, splits it in the approval's append.
func TestCaseSplit(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Split GmbH")
	e.fulfilled(cust, 1500) // LIC-0000001
	owner := e.customerContact(cust, "C-000603", domain.AccessUnrestricted)
	split := map[string]any{"parts": []map[string]any{{"quantity": 1000}, {"quantity": 500}},
		"email_authorisation": map[string]any{"from": "it@acme.example", "reference": "MSG-SPLIT-1"}}
	before := e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split), before, 422, "rule_violation") // over 1000 users
	e.caseToApproval(t, owner, caseBody("split", cust, "SplitLicense", "LIC-0000001", split),
		"license.split", "license.rescinded", "license.issued", "license.issued",
		"account.license_detached", "account.license_attached", "account.license_attached")
	lics := e.licensesOf(t, cust)
	if lics["LIC-0000001"]["status"] != "rescinded" || lics["LIC-0000002"]["quantity"] != float64(1000) || lics["LIC-0000003"]["quantity"] != float64(500) {
		t.Fatalf("licenses after the split case: %v", lics)
	}
	evs, _ := e.app.Store.Load(context.Background(), "license-LIC-0000001")
	if !strings.Contains(strings.ReplaceAll(string(evs[len(evs)-2].Data), " ", ""), `"approval_case":"CASE-000001"`) {
		t.Fatalf("the split does not name its case: %s", evs[len(evs)-2].Data)
	}
}

// TestCaseTransfer: a license goes to another organisation only through a
// case: the owner may not transfer it; a case proposing it is refused at
// execution while users are allocated (nothing of the transfer recorded,
// the case open with the reason), and executed once they are returned.
func TestCaseTransfer(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Transfer GmbH")
	buyer, _ := e.register("Case Buyer GmbH")
	e.fulfilled(cust, 100) // LIC-0000001
	owner := e.customerContact(cust, "C-000604", domain.AccessUnrestricted)
	const lic = "/v1/licenses/LIC-0000001"
	before := e.events()
	e.refused(e.do("POST", lic+"/transfer", owner, map[string]any{"to_account_id": buyer}), before, 403, "forbidden")

	// Refused at execution: users are allocated.
	wantAnswer(t, e.do("POST", lic+"/allocations", owner, map[string]any{"host_id_type": "hostname", "host_id": "lic.acme.example", "quantity": 10}),
		200, "LIC-0000001", "license-LIC-0000001", 2, "license.allocated")
	body := caseBody("transfer", cust, "TransferLicense", "LIC-0000001", map[string]any{"to_account_id": buyer})
	r := e.do("POST", "/v1/cases", owner, body)
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	before = e.events()
	r = e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "license.transfer_allocated") || !strings.Contains(d, "supportcase.execution_refused") {
		t.Fatalf("the refusal does not name its rule: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused execution appended %d events, want its record only", n-before)
	}
	evs, _ := e.app.Store.Load(context.Background(), "supportcase-CASE-000001")
	if last := evs[len(evs)-1]; last.Type != "supportcase.execution_refused" || !strings.Contains(strings.ReplaceAll(string(last.Data), " ", ""), `"code":"license.transfer_allocated"`) {
		t.Fatalf("the case records %s %s", last.Type, last.Data)
	}
	if l := e.licensesOf(t, cust)["LIC-0000001"]; l == nil || l["account_id"] != cust {
		t.Fatalf("the license moved on a refused execution: %v", l)
	}
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/reject", e.support, map[string]any{"reason": "Return the allocations and ask again."}),
		200, "CASE-000001", "supportcase-CASE-000001", 3, "supportcase.rejected")

	// Returned and asked again: executed.
	wantAnswer(t, e.do("DELETE", lic+"/allocations/lic.acme.example", owner, nil), 200, "LIC-0000001", "license-LIC-0000001", 3, "license.allocation_returned")
	e.caseToApproval(t, owner, body, "license.transferred", "account.license_detached", "account.license_attached")
	if l := e.licensesOf(t, buyer)["LIC-0000001"]; l == nil || l["account_id"] != buyer {
		t.Fatalf("the license is not the buyer's: %v", e.licensesOf(t, buyer))
	}
	if l := e.licensesOf(t, cust)["LIC-0000001"]; l != nil {
		t.Fatalf("the license still answers under the seller: %v", l)
	}
}

// TestCaseConsolidation: the survivor's admin asks to join two other
// accounts of the organisation into its own; approving the case merges
// both, with what they hold, in the approval's one append. A
// consolidation one of whose merges is refused executes none of them.
func TestCaseConsolidation(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Case Consolidated Holding AG")
	src1, _ := e.register("Case Consolidated Sales GmbH")
	src2, _ := e.register("Case Consolidated Services GmbH")
	e.fulfilled(src1, 25) // ORD-0000001, LIC-0000001
	requester := e.customerContact(dst, "C-000606", domain.AccessUnrestricted)
	input := map[string]any{"sources": []string{src1, src2}, "reason": "merger", "evidence": []string{"doc:board-resolution.pdf"}}

	// Refused at execution: the second account was merged elsewhere in
	// the meantime; nothing of the first merge is recorded either.
	other, _ := e.register("Case Elsewhere GmbH")
	r := e.do("POST", "/v1/cases", requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, input))
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	wantAnswer(t, e.do("POST", "/v1/accounts/"+src2+"/merge", e.support, map[string]any{"into": other, "reason": "duplicate", "evidence": []string{"doc:dup"}}),
		200, src2, "account-"+src2, 2, "account.merged", "account.merge_received")
	before := e.events()
	r = e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "supportcase.account_not_mergeable") || strings.Contains(d, other) {
		t.Fatalf("the refusal is not the undisclosing one: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused consolidation appended %d events, want its record only", n-before)
	}
	// The requester reads the refusal on its case without learning what
	// became of the other account, nor from its activity log.
	if body := string(mustJSON(t, e.get(t, "/v1/cases/CASE-000001", requester))); !strings.Contains(body, "account_not_mergeable") || strings.Contains(body, other) {
		t.Fatalf("the case as the requester: %s", body)
	}
	if body := string(mustJSON(t, e.get(t, "/v1/activity?customer="+dst, requester))); strings.Contains(body, other) {
		t.Fatalf("the activity log as the requester: %s", body)
	}
	if a := e.get(t, "/v1/accounts/"+src1, e.admin); a["account_id"] != src1 || a["status"] != "active" {
		t.Fatalf("the first account was merged by a refused consolidation: %v", a)
	}
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/reject", e.support, map[string]any{"reason": "One of the accounts is merged elsewhere."}),
		200, "CASE-000001", "supportcase-CASE-000001", 3, "supportcase.rejected")

	// Executed: both join the survivor, with the license and order.
	src3, _ := e.register("Case Consolidated Support GmbH")
	input["sources"] = []string{src1, src3}
	number, _ := e.caseToApproval(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, input),
		"account.merged", "account.merge_received", "account.merge_received", "license.owner_changed", "order.customer_changed", "account.merged")
	for _, src := range []string{src1, src3} {
		if a := e.get(t, "/v1/accounts/"+src, e.admin); a["account_id"] != dst || !strings.Contains(string(mustJSON(t, a["merged_from"])), src) {
			t.Fatalf("%s answers as %v", src, a)
		}
	}
	if l := e.licensesOf(t, dst)["LIC-0000001"]; l == nil || l["account_id"] != dst {
		t.Fatalf("the license did not follow: %v", e.licensesOf(t, dst))
	}
	c := e.get(t, "/v1/cases/"+number, e.support)
	if c["status"] != "completed" || len(c["change_events"].([]any)) != 6 {
		t.Fatalf("case after the consolidation: %v", c)
	}
}

// customersOf returns account_id → relationship of the customers token
// sees in its customer list.
func (e *env) customersOf(t *testing.T, token string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range e.get(t, "/v1/customers?limit=500", token)["items"].([]any) {
		c := it.(map[string]any)
		rel, _ := c["relationship"].(string)
		out[c["account_id"].(string)] = rel
	}
	return out
}

// TestCaseTermination: the customer asks for the termination of its
// agreement, which a partner manages; approving the case revokes the
// partner's manage rights and terminates the agreement in the approval's
// append. The contract search shows it terminated, the partner no longer
// sees the customer through it, the account may register a new agreement
// of the same program, and the case lists what it changed.
func TestCaseTermination(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Termination GmbH")
	ela, _ := e.cqContract("enterprise", cust)
	const managerID = "700061HQ"
	manager := e.partnerOrg(managerID, domain.PartnerActive)
	e.cqCommand("POST", "/v1/contracts/"+ela+"/manage-rights", map[string]any{"partner_id": managerID})
	if rel := e.customersOf(t, manager); rel[cust] != "manage_rights" {
		t.Fatalf("before: the managing partner's customers %v", rel)
	}
	seen, _ := e.cqItems("/v1/contracts?company_id="+cust+"&min_position="+e.lastPosition(), manager)
	if got := cqField(seen, "contract_number"); len(got) != 1 || got[0] != ela {
		t.Fatalf("before: the managing partner sees agreements %v", got)
	}
	before := e.events()
	e.refused(e.do("POST", "/v1/contracts", e.admin, contractBody("enterprise", cust)), before, 422, "rule_violation") // one active per program

	requester := e.customerContact(cust, "C-000606", domain.AccessUnrestricted)
	termination := map[string]any{"reason": "The customer gave notice of termination.", "evidence": []string{"doc:notice-2025-03.pdf"}}
	number, approval := e.caseToApproval(t, requester, caseBody("termination", cust, "TerminateContract", ela, termination),
		"contract.manage_rights_revoked", "contract.terminated")

	// The contract search shows the agreement terminated.
	var status string
	for _, it := range e.get(t, "/v1/contracts?company_id="+cust, e.admin)["items"].([]any) {
		if c := it.(map[string]any); c["contract_number"] == ela {
			status, _ = c["status"].(string)
		}
	}
	if status != "terminated" {
		t.Fatalf("the contract search shows %s as %q", ela, status)
	}
	// The partner lost its manage rights, and so the customer: neither in
	// its customer list nor in its contract search.
	if rel, ok := e.customersOf(t, manager)[cust]; ok {
		t.Fatalf("after: the partner still lists the customer (%s)", rel)
	}
	wantProblem(t, e.do("GET", "/v1/contracts?company_id="+cust+"&min_position="+e.lastPosition(), manager, nil), 404, "not_found")
	// The terminated agreement accepts no change; a new one of the same
	// program may be registered.
	before = e.events()
	e.refused(e.do("POST", "/v1/contracts/"+ela+"/discount-level", e.admin, map[string]any{"discount_level": 5}), before, 422, "rule_violation")
	wantAnswer(t, e.do("POST", "/v1/contracts", e.admin, contractBody("enterprise", cust)), 201, "ELA-000002", "contract-ELA-000002", 1,
		"contract.registered", "account.contract_attached")

	// The case lists the events its approval recorded on the agreement,
	// at the positions the approval answered with.
	answered := map[string]float64{}
	for _, ev := range approval.body["events"].([]any) {
		m := ev.(map[string]any)
		answered[m["type"].(string)] = m["position"].(float64)
	}
	d := e.get(t, "/v1/cases/"+number, e.support)
	if d["status"] != "completed" {
		t.Fatalf("case status %v", d["status"])
	}
	var changes []string
	for _, c := range d["change_events"].([]any) {
		m := c.(map[string]any)
		typ, _ := m["type"].(string)
		if m["stream"] != "contract-"+ela || m["position"] != answered[typ] || m["position"] == nil {
			t.Fatalf("change event %v, want on contract-%s at the approval's position %v", m, ela, answered[typ])
		}
		changes = append(changes, typ)
	}
	if strings.Join(changes, " ") != "contract.manage_rights_revoked contract.terminated" {
		t.Fatalf("change_events %v", changes)
	}
}

// TestCaseTerminationOfAnotherAccountsAgreement: a termination case names
// an agreement of another account: approving it is refused at execution
// (supportcase.target_not_of_account), nothing is terminated and the case
// stays open.
func TestCaseTerminationOfAnotherAccountsAgreement(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Termination Asker GmbH")
	other, _ := e.register("Case Termination Holder GmbH")
	ela, _ := e.cqContract("enterprise", other)
	requester := e.customerContact(cust, "C-000607", domain.AccessUnrestricted)
	r := e.do("POST", "/v1/cases", requester, caseBody("termination", cust, "TerminateContract", ela,
		map[string]any{"reason": "Not ours to end.", "evidence": []string{"doc:letter.pdf"}}))
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	before := e.events()
	r = e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "supportcase.target_not_of_account") || !strings.Contains(d, "supportcase.execution_refused") {
		t.Fatalf("the refusal does not name its rule: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused execution appended %d events, want its record only", n-before)
	}
	if evs, _ := e.app.Store.Load(context.Background(), "contract-"+ela); len(evs) != 1 {
		t.Fatalf("the other account's agreement has %d events, want its registration only", len(evs))
	}
	if d := e.get(t, "/v1/cases/CASE-000001", e.support); d["status"] != "open" {
		t.Fatalf("case status %v after the refusal", d["status"])
	}
	for _, it := range e.get(t, "/v1/contracts?company_id="+other, e.admin)["items"].([]any) {
		if c := it.(map[string]any); c["contract_number"] == ela && c["status"] != "active" {
			t.Fatalf("the other account's agreement is %v", c["status"])
		}
	}
}

// contractBody is the body of POST /v1/contracts for program on account.
func contractBody(program, account string) map[string]any {
	return map[string]any{"program": program, "account_id": account, "primary_admin": "C-000101",
		"discount_level": 3, "term_start": "2025-01-01", "term_end": "2027-12-31"}
}

// TestCaseProposalsRefused: a proposal is checked when the case is opened;
// a malformed one opens nothing.
func TestCaseProposalsRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Case Proposal GmbH")
	other, _ := e.register("Case Other GmbH")
	requester := e.customerContact(cust, "C-000605", domain.AccessUnrestricted)
	rename := renameBody("Case Proposal GmbH", "Case Proposals AG")
	before := e.events()
	for _, tc := range []struct {
		name         string
		body         map[string]any
		status       int
		code, detail string
	}{
		{"unknown operation", caseBody("rename", cust, "DeleteAccount", cust, rename), 422, "validation_failed", "proposed.operation"},
		{"subject and operation differ", caseBody("merge", cust, "RenameCompany", cust, rename), 422, "validation_failed", "proposed.operation"},
		{"subject other proposes nothing", caseBody("other", cust, "RenameCompany", cust, rename), 422, "validation_failed", "proposed"},
		{"an input field the route does not take", caseBody("rename", cust, "RenameCompany", cust, map[string]any{"new_name": "X", "force": true}), 422, "validation_failed", "proposed.input"},
		{"a rename without its evidence", caseBody("rename", cust, "RenameCompany", cust, map[string]any{"new_name": "X"}), 422, "validation_failed", "proposed.input.evidence"},
		{"a rename of another account", caseBody("rename", cust, "RenameCompany", other, rename), 422, "validation_failed", "proposed.target"},
		{"a merge without reason or evidence", caseBody("merge", cust, "MergeAccounts", other, map[string]any{"into": cust}), 422, "validation_failed", "proposed.input.reason"},
		{"a transfer to the owner itself", caseBody("transfer", cust, "TransferLicense", "LIC-0000001", map[string]any{"to_account_id": cust}), 422, "validation_failed", "proposed.input.to_account_id"},
		{"a consolidation is not a merge", caseBody("consolidation", cust, "MergeAccounts", other, map[string]any{}), 422, "validation_failed", "proposed.operation"},
		{"a consolidation of one account", caseBody("consolidation", cust, "ConsolidateAccounts", cust,
			map[string]any{"sources": []string{other}, "reason": "merger", "evidence": []string{"doc:x"}}), 422, "validation_failed", "proposed.input.sources"},
		{"a consolidation whose sources are not a list", caseBody("consolidation", cust, "ConsolidateAccounts", cust,
			map[string]any{"sources": other, "reason": "merger", "evidence": []string{"doc:x"}}), 422, "validation_failed", "proposed.input"},
		{"a consolidation of more than twenty accounts", caseBody("consolidation", cust, "ConsolidateAccounts", cust,
			map[string]any{"sources": strings.Split(strings.Repeat(other+",", 21)[:21*9-1], ","), "reason": "merger", "evidence": []string{"doc:x"}}), 422, "validation_failed", "proposed.input.sources"},
		{"a consolidation without input", caseBody("consolidation", cust, "ConsolidateAccounts", cust, nil), 422, "validation_failed", "proposed.input"},
		{"a termination whose evidence is not a list", caseBody("termination", cust, "TerminateContract", "ELA-000001",
			map[string]any{"reason": "r", "evidence": 7}), 422, "validation_failed", "proposed.input"},
		{"a termination without reason or evidence", caseBody("termination", cust, "TerminateContract", "ELA-000001", map[string]any{}), 422, "validation_failed", "proposed.input.reason"},
		{"a termination input field the proposal does not take", caseBody("termination", cust, "TerminateContract", "ELA-000001",
			map[string]any{"reason": "r", "evidence": []string{"e"}, "effective": "2025-01-01"}), 422, "validation_failed", "proposed.input"},
		{"a termination of an account", caseBody("termination", cust, "TerminateContract", cust, map[string]any{"reason": "r", "evidence": []string{"e"}}), 422, "validation_failed", "proposed.target"},
	} {
		r := e.do("POST", "/v1/cases", requester, tc.body)
		e.refused(r, before, tc.status, tc.code)
		if !strings.Contains(string(r.raw), tc.detail) {
			t.Errorf("%s: the problem does not name %s: %s", tc.name, tc.detail, r.raw)
		}
	}
	// A case opened without a proposal (a termination here) records the
	// decision only when approved.
	r := e.do("POST", "/v1/cases", requester, caseBody("termination", cust, "", "", nil))
	wantAnswer(t, r, 201, "CASE-000001", "supportcase-CASE-000001", 1, "supportcase.opened")
	wantAnswer(t, e.do("POST", "/v1/cases/CASE-000001/approve", e.support, `{}`), 200, "CASE-000001", "supportcase-CASE-000001", 2, "supportcase.approved")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
