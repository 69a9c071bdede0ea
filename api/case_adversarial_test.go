package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// Adversarial HTTP tests of the support-case changes: consolidation,
// termination, transfers and splits naming their approval case, and the
// refusals recorded on a case.

// advOpenCase opens a case with body as token and returns its number.
func (e *env) advOpenCase(t *testing.T, token string, body map[string]any) string {
	t.Helper()
	r := e.do("POST", "/v1/cases", token, body)
	if r.status != 201 {
		t.Fatalf("open case: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

// advApprovedCase opens a case on subject for account (no proposal) as
// token and approves it, returning its number.
func (e *env) advApprovedCase(t *testing.T, token, account, subject string) string {
	t.Helper()
	number := e.advOpenCase(t, token, caseBody(subject, account, "", "", nil))
	if r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`); r.status != 200 {
		t.Fatalf("approve %s: %d %s", number, r.status, r.raw)
	}
	return number
}

// advCaseStatus is the case's status as support reads it.
func (e *env) advCaseStatus(t *testing.T, number string) string {
	t.Helper()
	s, _ := e.get(t, "/v1/cases/"+number, e.support)["status"].(string)
	return s
}

// advCount counts the events of type typ on stream.
func (e *env) advCount(t *testing.T, stream, typ string) int {
	t.Helper()
	var n int
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2`, stream, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// advLicenseOwners folds, from the store, every license's current owner.
func (e *env) advLicenseOwners(t *testing.T) map[string]string {
	t.Helper()
	rows, err := e.app.Pool.Query(context.Background(), `SELECT stream_id, COALESCE(data->>'to_account_id', data->>'owner_account_id', '') FROM events
		WHERE event_type IN ('license.issued', 'license.owner_changed', 'license.transferred') ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var stream, owner string
		if err := rows.Scan(&stream, &owner); err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(stream, "license-")] = owner
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// advNotMerged fails when account id was merged.
func (e *env) advNotMerged(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if n := e.advCount(t, "account-"+id, "account.merged"); n != 0 {
			t.Fatalf("account %s was merged (%d account.merged)", id, n)
		}
		if a := e.get(t, "/v1/accounts/"+id, e.admin); a["account_id"] != id || a["status"] != "active" {
			t.Fatalf("account %s answers as %v", id, a)
		}
	}
}

func consolidation(sources ...string) map[string]any {
	return map[string]any{"sources": sources, "reason": "merger", "evidence": []string{"doc:board-resolution.pdf"}}
}

func termination() map[string]any {
	return map[string]any{"reason": "The customer gave notice.", "evidence": []string{"doc:notice.pdf"}}
}

// TestAdversarialConsolidationActiveAgreements: a source and the survivor
// both hold an active enterprise agreement: the approval is refused (the
// case records the undisclosing refusal and stays open), nothing is
// merged, and the requester reads neither the source's agreement number
// nor the source's state on the case or in its activity log. Once the
// source's agreement is terminated (on its own case), approving again
// consolidates: terminated agreements do not count.
func TestAdversarialConsolidationActiveAgreements(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Survivor AG")
	src1, _ := e.register("Adv Source One GmbH")
	src2, _ := e.register("Adv Source Two GmbH")
	own, _ := e.cqContract("enterprise", dst)
	theirs, _ := e.cqContract("enterprise", src1)
	requester := e.customerContact(dst, "C-000701", domain.AccessUnrestricted)
	number := e.advOpenCase(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(src1, src2)))

	before := e.events()
	r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "supportcase.account_not_mergeable") || strings.Contains(d, theirs) {
		t.Fatalf("the refusal is not the undisclosing one: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused consolidation appended %d events, want its record only", n-before)
	}
	if s := e.advCaseStatus(t, number); s != "open" {
		t.Fatalf("case %s after the refusal", s)
	}
	e.advNotMerged(t, src1, src2)
	if n := e.advCount(t, "contract-"+theirs, "contract.owner_changed"); n != 0 {
		t.Fatalf("the source's agreement moved %d times", n)
	}
	for path, token := range map[string]string{"/v1/cases/" + number: requester, "/v1/activity?customer=" + dst: requester} {
		body := string(mustJSON(t, e.get(t, path, token)))
		if strings.Contains(body, theirs) || strings.Contains(body, "merge_active_agreements") {
			t.Fatalf("%s as the requester reveals the source's agreement: %s", path, body)
		}
	}
	if body := string(mustJSON(t, e.get(t, "/v1/cases/"+number, requester))); !strings.Contains(body, "account_not_mergeable") {
		t.Fatalf("the requester does not read the refusal: %s", body)
	}

	// The source's agreement terminated on its own case: approving the
	// consolidation again executes it.
	srcContact := e.customerContact(src1, "C-000702", domain.AccessUnrestricted)
	term := e.advOpenCase(t, srcContact, caseBody("termination", src1, "TerminateContract", theirs, termination()))
	if r := e.do("POST", "/v1/cases/"+term+"/approve", e.support, `{}`); r.status != 200 {
		t.Fatalf("termination: %d %s", r.status, r.raw)
	}
	r = e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
	if r.status != 200 {
		t.Fatalf("the consolidation after the termination: %d %s", r.status, r.raw)
	}
	for _, src := range []string{src1, src2} {
		if n := e.advCount(t, "account-"+src, "account.merged"); n != 1 {
			t.Fatalf("%s merged %d times", src, n)
		}
	}
	if n := e.advCount(t, "contract-"+theirs, "contract.owner_changed"); n != 1 {
		t.Fatalf("the terminated agreement moved %d times", n)
	}
	if n := e.advCount(t, "contract-"+own, "contract.owner_changed"); n != 0 {
		t.Fatalf("the survivor's agreement moved %d times", n)
	}
	if s := e.advCaseStatus(t, number); s != "completed" {
		t.Fatalf("case %s", s)
	}
}

// TestAdversarialConsolidationTwoSourcesActiveAgreements: the survivor
// holds no agreement but two sources hold an active enterprise agreement
// each: merged one after the other, the survivor would hold two, so the
// consolidation is refused as a whole.
func TestAdversarialConsolidationTwoSourcesActiveAgreements(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Bare Survivor AG")
	src1, _ := e.register("Adv ELA One GmbH")
	src2, _ := e.register("Adv ELA Two GmbH")
	ela1, _ := e.cqContract("enterprise", src1)
	ela2, _ := e.cqContract("enterprise", src2)
	requester := e.customerContact(dst, "C-000711", domain.AccessUnrestricted)
	number := e.advOpenCase(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(src1, src2)))
	before := e.events()
	r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "supportcase.account_not_mergeable") {
		t.Fatalf("refusal: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused consolidation appended %d events, want its record only", n-before)
	}
	e.advNotMerged(t, src1, src2)
	body := string(mustJSON(t, e.get(t, "/v1/cases/"+number, requester)))
	if strings.Contains(body, ela1) || strings.Contains(body, ela2) {
		t.Fatalf("the requester reads the sources' agreements: %s", body)
	}
}

// TestAdversarialConsolidationRacesLicenseIssue: a license is issued to a
// source between the case's opening and its approval, and an order of
// another source is fulfilled (a license issued to it) while the
// consolidation is approved. Whichever wins, every license ends with the survivor, each
// moved at most once, every source merged exactly once, and the approval
// succeeds.
func TestAdversarialConsolidationRacesLicenseIssue(t *testing.T) {
	t.Parallel()
	e := start(t)
	for round := range 3 {
		dst, _ := e.register(fmt.Sprintf("Adv Race Survivor %d AG", round))
		src1, _ := e.register(fmt.Sprintf("Adv Race Source A%d GmbH", round))
		src2, _ := e.register(fmt.Sprintf("Adv Race Source B%d GmbH", round))
		e.fulfilled(src1, 10)
		requester := e.customerContact(dst, "C-000721", domain.AccessUnrestricted)
		number := e.advOpenCase(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(src1, src2)))
		// A license issued to the first source after the case was opened.
		e.fulfilled(src1, 5)
		// An order of the second source, submitted after the case was
		// opened, fulfilled as the case is approved.
		body := orderBody(src2, fmt.Sprintf("PO-RACE-%d", round), orderLine("WS-RACE", 7))
		body["partner_id"] = "700001HQ"
		o := e.do("POST", "/v1/orders", e.admin, body)
		if o.status != 201 {
			t.Fatalf("submit: %d %s", o.status, o.raw)
		}
		order := o.body["id"].(string)

		var wg sync.WaitGroup
		var approval, fulfil resp
		wg.Add(2)
		go func() { defer wg.Done(); approval = e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`) }()
		go func() { defer wg.Done(); fulfil = e.do("POST", "/v1/orders/"+order+"/fulfil", e.admin, `{}`) }()
		wg.Wait()
		t.Logf("round %d: approval %d, fulfil %d", round, approval.status, fulfil.status)
		if approval.status != 200 {
			t.Fatalf("round %d: approval %d %s", round, approval.status, approval.raw)
		}
		if fulfil.status != 200 {
			// Only a clean refusal is acceptable.
			if fulfil.status >= 500 || fulfil.status == 409 {
				t.Fatalf("round %d: fulfil %d %s", round, fulfil.status, fulfil.raw)
			}
		}
		for _, src := range []string{src1, src2} {
			if n := e.advCount(t, "account-"+src, "account.merged"); n != 1 {
				t.Fatalf("round %d: %s merged %d times", round, src, n)
			}
			for lic, owner := range e.advLicenseOwners(t) {
				if owner == src {
					t.Fatalf("round %d: license %s still belongs to the merged %s (fulfil %d)", round, lic, src, fulfil.status)
				}
			}
		}
		var moved int
		if err := e.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT stream_id FROM events
			WHERE event_type IN ('license.owner_changed', 'order.customer_changed') GROUP BY stream_id HAVING count(*) > 1) x`).Scan(&moved); err != nil {
			t.Fatal(err)
		}
		if moved != 0 {
			t.Fatalf("round %d: %d licenses or orders moved more than once", round, moved)
		}
		if fulfil.status == 200 {
			if n := e.advCount(t, "order-"+order, "order.fulfilled"); n != 1 {
				t.Fatalf("round %d: order fulfilled %d times", round, n)
			}
		}
		if s := e.advCaseStatus(t, number); s != "completed" {
			t.Fatalf("round %d: case %s", round, s)
		}
	}
}

// TestAdversarialTransferApprovalCase: a transfer names its approval case;
// every case that does not approve this transfer is refused, nothing is
// appended, and the refusal names no other account.
func TestAdversarialTransferApprovalCase(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Seller GmbH")
	buyer, _ := e.register("Adv Buyer GmbH")
	other, _ := e.register("Adv Other GmbH")
	e.fulfilled(cust, 10, 20, 30) // LIC-0000001..3
	owner := e.customerContact(cust, "C-000731", domain.AccessUnrestricted)
	buyerContact := e.customerContact(buyer, "C-000732", domain.AccessUnrestricted)
	otherContact := e.customerContact(other, "C-000733", domain.AccessUnrestricted)
	unrelated := e.partnerOrg("700731HQ", domain.PartnerActive)
	const lic = "/v1/licenses/LIC-0000001/transfer"
	with := func(number string) map[string]any {
		return map[string]any{"to_account_id": buyer, "approval_case": number}
	}

	otherCase := e.advApprovedCase(t, otherContact, other, "transfer")
	buyerCase := e.advApprovedCase(t, buyerContact, buyer, "transfer")
	rejected := e.advOpenCase(t, owner, caseBody("transfer", cust, "", "", nil))
	wantAnswer(t, e.do("POST", "/v1/cases/"+rejected+"/reject", e.support, map[string]any{"reason": "No."}), 200, rejected, "supportcase-"+rejected, 2, "supportcase.rejected")
	splitCase := e.advApprovedCase(t, owner, cust, "split")
	waiting := e.advOpenCase(t, owner, caseBody("transfer", cust, "", "", nil))
	wantAnswer(t, e.do("POST", "/v1/cases/"+waiting+"/request-info", e.support, map[string]any{"what": "The contract."}), 200, waiting, "supportcase-"+waiting, 2, "supportcase.information_requested")
	// A case proposing the transfer of LIC-0000003, executed by its approval.
	proposing := e.advOpenCase(t, owner, caseBody("transfer", cust, "TransferLicense", "LIC-0000003", map[string]any{"to_account_id": buyer}))
	if r := e.do("POST", "/v1/cases/"+proposing+"/approve", e.support, `{}`); r.status != 200 {
		t.Fatalf("approve the proposing case: %d %s", r.status, r.raw)
	}
	// A case proposing a transfer, not yet approved.
	proposingOpen := e.advOpenCase(t, owner, caseBody("transfer", cust, "TransferLicense", "LIC-0000002", map[string]any{"to_account_id": buyer}))

	before := e.events()
	for _, tc := range []struct {
		name, number string
	}{
		{"another account's approved case", otherCase},
		{"the buyer's approved case", buyerCase},
		{"a rejected case", rejected},
		{"an approved split case", splitCase},
		{"a case waiting for information", waiting},
		{"a case whose proposal was executed", proposing},
		{"a case proposing a transfer, not approved", proposingOpen},
		{"a case that does not exist", "CASE-000099"},
	} {
		r := e.do("POST", lic, e.support, with(tc.number))
		e.refused(r, before, 422, "rule_violation")
		d, _ := r.body["detail"].(string)
		if tc.number == otherCase && (strings.Contains(d, other) || strings.Contains(d, "Adv Other")) {
			t.Errorf("%s: the refusal names the other case's account: %s", tc.name, r.raw)
		}
	}
	for _, n := range []string{"case-000001", "CASE-0000001", "CASE-00001", "CASE-00000A", " CASE-000001", "CASE-000001\n", "CASE-000001'--"} {
		e.refused(e.do("POST", lic, e.support, with(n)), before, 422, "validation_failed")
	}
	e.refused(e.do("POST", lic, e.support, map[string]any{"to_account_id": buyer, "approval_case": 1}), before, 400, "invalid_request")
	e.refused(e.do("POST", lic, e.support, map[string]any{"to_account_id": buyer, "approval_case": []string{otherCase}}), before, 400, "invalid_request")
	// The cases are as they were.
	for number, want := range map[string]string{otherCase: "approved", buyerCase: "approved", splitCase: "approved", rejected: "rejected", proposing: "completed"} {
		if s := e.advCaseStatus(t, number); s != want {
			t.Fatalf("case %s is %s, want %s", number, s, want)
		}
	}

	// One of the seller's own approved transfer cases: callers who may not
	// see the license are not told it exists; the owner may not transfer.
	good := e.advApprovedCase(t, owner, cust, "transfer")
	before = e.events()
	e.refused(e.do("POST", lic, buyerContact, with(good)), before, 404, "not_found")
	e.refused(e.do("POST", lic, otherContact, with(good)), before, 404, "not_found")
	e.refused(e.do("POST", lic, unrelated, with(good)), before, 404, "not_found")
	e.refused(e.do("POST", lic, owner, with(good)), before, 403, "forbidden")
	e.refused(e.do("POST", lic, e.auditor, with(good)), before, 403, "forbidden")
	// Executed once; the second transfer on the same case is refused.
	wantAnswer(t, e.do("POST", lic, e.support, with(good)), 200, "LIC-0000001", "license-LIC-0000001", 2,
		"license.transferred", "account.license_detached", "account.license_attached", "supportcase.executed")
	before = e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/transfer", e.support, with(good)), before, 422, "rule_violation")
	if s := e.advCaseStatus(t, good); s != "completed" {
		t.Fatalf("case %s", s)
	}
	// The new owner's case cannot move it back on the seller's used case,
	// and the seller's case no longer authorises anything for the buyer.
	e.refused(e.do("POST", lic, e.support, map[string]any{"to_account_id": cust, "approval_case": good}), before, 422, "rule_violation")
	if owners := e.advLicenseOwners(t); owners["LIC-0000001"] != buyer || owners["LIC-0000002"] != cust || owners["LIC-0000003"] != buyer {
		t.Fatalf("license owners %v", owners)
	}
}

// TestAdversarialSplitApprovalCase: a customer's own small split may name
// an approved split case of its account, which it completes; a case of
// another account, of another subject, or used already is refused.
func TestAdversarialSplitApprovalCase(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Split GmbH")
	other, _ := e.register("Adv Split Other GmbH")
	e.fulfilled(cust, 100, 100) // LIC-0000001, LIC-0000002
	owner := e.customerContact(cust, "C-000741", domain.AccessUnrestricted)
	otherContact := e.customerContact(other, "C-000742", domain.AccessUnrestricted)
	split := func(number string) map[string]any {
		return map[string]any{"parts": []map[string]any{{"quantity": 60}, {"quantity": 40}},
			"email_authorisation": map[string]any{"from": "it@acme.example", "reference": "MSG-7"}, "approval_case": number}
	}
	otherCase := e.advApprovedCase(t, otherContact, other, "split")
	transferCase := e.advApprovedCase(t, owner, cust, "transfer")
	openCase := e.advOpenCase(t, owner, caseBody("split", cust, "", "", nil))
	before := e.events()
	for _, n := range []string{otherCase, transferCase, openCase, "CASE-000099"} {
		r := e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split(n))
		e.refused(r, before, 422, "rule_violation")
		if strings.Contains(string(r.raw), other) {
			t.Fatalf("the refusal names the other account: %s", r.raw)
		}
	}
	// The other account's contact does not see the license.
	own := e.advApprovedCase(t, owner, cust, "split")
	before = e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000001/split", otherContact, split(otherCase)), before, 404, "not_found")
	r := e.do("POST", "/v1/licenses/LIC-0000001/split", owner, split(own))
	if r.status != 200 {
		t.Fatalf("split on its own case: %d %s", r.status, r.raw)
	}
	evs, _ := r.body["events"].([]any)
	if last := evs[len(evs)-1].(map[string]any); last["type"] != "supportcase.executed" {
		t.Fatalf("the split did not complete its case: %s", r.raw)
	}
	before = e.events()
	e.refused(e.do("POST", "/v1/licenses/LIC-0000002/split", owner, split(own)), before, 422, "rule_violation")
	if s := e.advCaseStatus(t, own); s != "completed" {
		t.Fatalf("case %s", s)
	}
	if s := e.advCaseStatus(t, otherCase); s != "approved" {
		t.Fatalf("the other account's case %s", s)
	}
}

// TestAdversarialTermination: a termination case approved twice, a second
// termination case of the same agreement, and every change of the
// terminated agreement are refused without appending anything but the
// refusal's record; the partner that managed it no longer sees it.
func TestAdversarialTermination(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Termination GmbH")
	ela, _ := e.cqContract("enterprise", cust)
	const managerID = "700741HQ"
	manager := e.partnerOrg(managerID, domain.PartnerActive)
	e.partnerOrg("700742HQ", domain.PartnerActive)
	e.cqCommand("POST", "/v1/contracts/"+ela+"/manage-rights", map[string]any{"partner_id": managerID})
	requester := e.customerContact(cust, "C-000751", domain.AccessUnrestricted)

	first := e.advOpenCase(t, requester, caseBody("termination", cust, "TerminateContract", ela, termination()))
	second := e.advOpenCase(t, requester, caseBody("termination", cust, "TerminateContract", ela, termination()))
	wantAnswer(t, e.do("POST", "/v1/cases/"+first+"/approve", e.support, `{}`), 200, first, "supportcase-"+first, 3,
		"supportcase.approved", "supportcase.executed", "contract.manage_rights_revoked", "contract.terminated")
	before := e.events()
	e.refused(e.do("POST", "/v1/cases/"+first+"/approve", e.support, `{}`), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/cases/"+first+"/approve", e.admin, map[string]any{"note": "again"}), before, 422, "rule_violation")
	e.refused(e.do("POST", "/v1/cases/"+first+"/reject", e.support, map[string]any{"reason": "too late"}), before, 422, "rule_violation")

	// The second case: refused at execution, recorded, left open.
	r := e.do("POST", "/v1/cases/"+second+"/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if d, _ := r.body["detail"].(string); !strings.Contains(d, "contract.terminated") || !strings.Contains(d, "supportcase.execution_refused") {
		t.Fatalf("refusal: %s", r.raw)
	}
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused termination appended %d events, want its record only", n-before)
	}
	if n := e.advCount(t, "contract-"+ela, "contract.terminated"); n != 1 {
		t.Fatalf("terminated %d times", n)
	}
	if s := e.advCaseStatus(t, second); s != "open" {
		t.Fatalf("second case %s", s)
	}

	// No change to the terminated agreement.
	before = e.events()
	c := "/v1/contracts/" + ela
	e.refused(e.do("POST", c+"/manage-rights", e.admin, map[string]any{"partner_id": "700742HQ"}), before, 422, "rule_violation")
	e.refused(e.do("POST", c+"/manage-rights", e.admin, map[string]any{"partner_id": managerID}), before, 422, "rule_violation")
	e.refused(e.do("POST", c+"/discount-level", e.admin, map[string]any{"discount_level": 5}), before, 422, "rule_violation")
	e.refused(e.do("POST", c+"/administrators", e.admin, map[string]any{"primary_admin": "C-000201", "secondary_admin": "C-000202"}), before, 422, "rule_violation")
	e.refused(e.do("DELETE", c+"/manage-rights/"+managerID, e.admin, nil), before, 422, "rule_violation")

	// The former manager sees neither the agreement nor the customer, and
	// may not act on it.
	wantProblem(t, e.do("GET", "/v1/contracts?company_id="+cust+"&min_position="+e.lastPosition(), manager, nil), 404, "not_found")
	if rel, ok := e.customersOf(t, manager)[cust]; ok {
		t.Fatalf("the former manager still lists the customer (%s)", rel)
	}
	e.refused(e.do("POST", c+"/discount-level", manager, map[string]any{"discount_level": 5}), before, 404, "not_found")
	e.refused(e.do("POST", "/v1/cases", manager, caseBody("termination", cust, "TerminateContract", ela, termination())), before, 404, "not_found")
}

// TestAdversarialTransferProposalRefusalDiscloses: a transfer case's
// buyer is merged elsewhere before the approval: the execution is
// refused and recorded on the case, which the seller's contact reads; the
// record must not tell the seller into which account the buyer was
// merged (another account's state).
func TestAdversarialTransferProposalRefusalDiscloses(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Discloser GmbH")
	buyer, _ := e.register("Adv Merged Buyer GmbH")
	elsewhere, _ := e.register("Adv Secret Acquirer GmbH")
	e.fulfilled(cust, 10)
	requester := e.customerContact(cust, "C-000761", domain.AccessUnrestricted)
	related := e.partnerOrg("700761HQ", domain.PartnerActive)
	e.appendEvents(account.StreamID(cust), account.ViewRightsGranted{AccountID: cust, PartnerID: "700761HQ", Scope: account.ScopeAll})
	number := e.advOpenCase(t, requester, caseBody("transfer", cust, "TransferLicense", "LIC-0000001", map[string]any{"to_account_id": buyer}))
	if r := e.do("POST", "/v1/accounts/"+buyer+"/merge", e.support, map[string]any{"into": elsewhere, "reason": "acquisition", "evidence": []string{"doc:spa"}}); r.status != 200 {
		t.Fatalf("merge: %d %s", r.status, r.raw)
	}
	before := e.events()
	r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
	wantProblem(t, r, 422, "rule_violation")
	if n := e.events(); n != before+1 {
		t.Fatalf("a refused transfer appended %d events, want its record only", n-before)
	}
	if owners := e.advLicenseOwners(t); owners["LIC-0000001"] != cust {
		t.Fatalf("the license moved: %v", owners)
	}
	// The refusal recorded on the case is the undisclosing one
	// (supportcase.transfer_target_unavailable): the seller's contact, and
	// a partner related to the seller, do not learn what became of the
	// buyer's account.
	for _, q := range []struct{ who, path, token string }{
		{"the seller's contact", "/v1/cases/" + number, requester},
		{"the seller's contact", "/v1/activity?customer=" + cust, requester},
		{"a partner with view rights on the seller", "/v1/cases/" + number, related},
		{"a partner with view rights on the seller", "/v1/activity?customer=" + cust, related},
	} {
		sep := "?"
		if strings.Contains(q.path, "?") {
			sep = "&"
		}
		r := e.do("GET", q.path+sep+"min_position="+e.lastPosition(), q.token, nil)
		t.Logf("%s as %s: %d", q.path, q.who, r.status)
		if r.status == 200 && strings.Contains(string(r.raw), elsewhere) {
			t.Errorf("%s as %s names the account the buyer was merged into (%s): %s", q.path, q.who, elsewhere, r.raw)
		} else if r.status != 200 && r.status != 404 {
			t.Errorf("%s as %s: %d %s", q.path, q.who, r.status, r.raw)
		}
	}
}

// TestAdversarialProposalShapes: proposals of the wrong JSON shape, with
// huge strings or control characters, are refused with a 4xx (422 inside
// the proposal), never a 5xx, and append nothing (no case number drawn).
func TestAdversarialProposalShapes(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Shapes AG")
	src1, _ := e.register("Adv Shapes One GmbH")
	src2, _ := e.register("Adv Shapes Two GmbH")
	requester := e.customerContact(dst, "C-000771", domain.AccessUnrestricted)
	raw := func(subject, proposed string) string {
		return fmt.Sprintf(`{"request_type":"general","subject":%q,"account_id":%q,"description":"adversarial","evidence":["mail:MSG-1"],"proposed":%s}`,
			subject, dst, proposed)
	}
	cons := func(input string) string {
		return raw("consolidation", fmt.Sprintf(`{"operation":"ConsolidateAccounts","target":%q,"input":%s}`, dst, input))
	}
	term := func(input string) string {
		return raw("termination", `{"operation":"TerminateContract","target":"ELA-000001","input":`+input+`}`)
	}
	huge := strings.Repeat("x", 200_000)
	srcs := fmt.Sprintf(`[%q,%q]`, src1, src2)
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	before, opened := e.events(), 0
	for _, tc := range []struct {
		name, body string
		status     int // 0: any 4xx
	}{
		{"proposed an array", raw("consolidation", `[1,2]`), 0},
		{"proposed a string", raw("consolidation", `"ConsolidateAccounts"`), 0},
		{"operation an object", raw("consolidation", `{"operation":{"x":1},"target":"`+dst+`","input":{}}`), 0},
		{"target a number", raw("consolidation", `{"operation":"ConsolidateAccounts","target":123456,"input":{}}`), 0},
		{"target an array", raw("consolidation", `{"operation":"ConsolidateAccounts","target":["`+dst+`"],"input":{}}`), 0},
		{"input an array", cons(`[` + srcs + `]`), 422},
		{"input a string", cons(`"sources"`), 422},
		{"input null", cons(`null`), 422},
		{"input a number", cons(`42`), 422},
		{"sources numbers", cons(`{"sources":[1,2],"reason":"merger","evidence":["doc:x"]}`), 422},
		{"sources objects", cons(`{"sources":[{"id":"` + src1 + `"},{"id":"` + src2 + `"}],"reason":"merger","evidence":["doc:x"]}`), 422},
		{"sources nulls", cons(`{"sources":[null,null],"reason":"merger","evidence":["doc:x"]}`), 422},
		{"sources an object", cons(`{"sources":{"a":"` + src1 + `"},"reason":"merger","evidence":["doc:x"]}`), 422},
		{"evidence nested arrays", cons(`{"sources":` + srcs + `,"reason":"merger","evidence":[["doc:x"]]}`), 422},
		{"reason a list", cons(`{"sources":` + srcs + `,"reason":["merger"],"evidence":["doc:x"]}`), 422},
		{"reason unknown", cons(`{"sources":` + srcs + `,"reason":"merger\u0000","evidence":["doc:x"]}`), 422},
		{"source with a NUL", cons(`{"sources":["` + src1 + `\u0000","` + src2 + `"],"reason":"merger","evidence":["doc:x"]}`), 422},
		{"huge reason", cons(`{"sources":` + srcs + `,"reason":"` + huge + `","evidence":["doc:x"]}`), 422},
		{"huge evidence", cons(`{"sources":` + srcs + `,"reason":"merger","evidence":["` + huge + `"]}`), 422},
		{"deep input", cons(deep), 0},
		{"consolidation evidence control", cons(`{"sources":` + srcs + `,"reason":"merger","evidence":["doc:\u0007bell"]}`), 422},
		{"consolidation evidence NUL", cons(`{"sources":` + srcs + `,"reason":"merger","evidence":["doc:\u0000"]}`), 422},
		{"termination input an array", term(`["The customer gave notice."]`), 422},
		{"termination reason a number", term(`{"reason":7,"evidence":["doc:x"]}`), 422},
		{"termination reason huge", term(`{"reason":"` + huge + `","evidence":["doc:x"]}`), 422},
		{"termination reason NUL", term(`{"reason":"notice\u0000given","evidence":["doc:x"]}`), 422},
		{"termination reason escape", term(`{"reason":"notice \u001b[31mgiven","evidence":["doc:x"]}`), 422},
		{"termination evidence NUL", term(`{"reason":"notice","evidence":["doc:\u0000"]}`), 422},
		{"termination evidence control", term(`{"reason":"notice","evidence":["doc:\u0007bell"]}`), 422},
		{"termination evidence huge", term(`{"reason":"notice","evidence":["` + huge + `"]}`), 422},
		{"termination evidence many", term(`{"reason":"notice","evidence":[` + strings.TrimSuffix(strings.Repeat(`"doc:x",`, 5000), ",") + `]}`), 422},
		{"body over the limit", cons(`{"sources":` + srcs + `,"reason":"` + strings.Repeat("y", 1<<20) + `","evidence":["doc:x"]}`), 0},
	} {
		r := e.do("POST", "/v1/cases", requester, tc.body)
		switch {
		case r.status >= 500:
			t.Errorf("%s: %d %s", tc.name, r.status, trim(r.raw))
		case tc.status != 0 && r.status != tc.status:
			t.Errorf("%s: want %d, got %d %s", tc.name, tc.status, r.status, trim(r.raw))
		case r.status < 400:
			t.Errorf("%s: accepted: %d %s", tc.name, r.status, trim(r.raw))
		}
		if n := e.events(); n != before {
			t.Errorf("%s: appended %d events (%d %s)", tc.name, n-before, r.status, trim(r.raw))
			before, opened = n, opened+1
		}
	}
	// The refusals drew no case number.
	want := fmt.Sprintf("CASE-%06d", opened+1)
	wantAnswer(t, e.do("POST", "/v1/cases", requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(src1, src2))),
		201, want, "supportcase-"+want, 1, "supportcase.opened")
}

// TestAdversarialControlCharactersInProposals: a termination reason or a
// consolidation's evidence with control characters, which the agreement
// and the account refuse, must be refused when the case is opened (a
// proposal is checked then; the case's own description is). Whichever
// step refuses it, the answer is a 4xx, never a 5xx, and nothing of the
// change is recorded.
func TestAdversarialControlCharactersInProposals(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Control GmbH")
	src1, _ := e.register("Adv Control One GmbH")
	src2, _ := e.register("Adv Control Two GmbH")
	ela, _ := e.cqContract("enterprise", cust)
	requester := e.customerContact(cust, "C-000781", domain.AccessUnrestricted)
	for i, body := range []map[string]any{
		caseBody("termination", cust, "TerminateContract", ela, map[string]any{"reason": "notice\u0000given", "evidence": []string{"doc:notice.pdf"}}),
		caseBody("termination", cust, "TerminateContract", ela, map[string]any{"reason": "notice \u001b[2Jgiven", "evidence": []string{"doc:notice.pdf"}}),
		caseBody("termination", cust, "TerminateContract", ela, map[string]any{"reason": "notice", "evidence": []string{"doc:\u0007bell"}}),
		caseBody("consolidation", cust, "ConsolidateAccounts", cust, map[string]any{"sources": []string{src1, src2}, "reason": "merger", "evidence": []string{"doc:\u001b[31m"}}),
	} {
		before := e.events()
		r := e.do("POST", "/v1/cases", requester, body)
		if r.status >= 500 {
			t.Errorf("proposal %d: open %d %s", i, r.status, r.raw)
			continue
		}
		if r.status != 201 {
			e.refused(r, before, 422, "validation_failed")
			continue
		}
		t.Errorf("proposal %d: opened a case whose change the domain refuses: %s", i, r.raw)
		number := r.body["id"].(string)
		before = e.events()
		r = e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
		if r.status >= 500 {
			t.Fatalf("proposal %d: approve %d %s", i, r.status, r.raw)
		}
		wantProblem(t, r, 422, "rule_violation")
		if n := e.events(); n != before+1 {
			t.Fatalf("proposal %d: a refused execution appended %d events", i, n-before)
		}
	}
	if n := e.advCount(t, "contract-"+ela, "contract.terminated"); n != 0 {
		t.Fatalf("terminated")
	}
	e.advNotMerged(t, src1, src2)
}

// TestAdversarialCaseNULCharacters: a NUL character (which PostgreSQL's
// jsonb cannot store) anywhere a client writes text into a case, in the
// proposal's input or in the workflow's own fields, is refused with a 4xx,
// never a 5xx, and appends nothing.
func TestAdversarialCaseNULCharacters(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv NUL GmbH")
	other, _ := e.register("Adv NUL Other GmbH")
	e.fulfilled(cust, 10)
	requester := e.customerContact(cust, "C-000791", domain.AccessUnrestricted)
	const nul = `\u0000`
	proposal := func(subject, operation, target, input string) string {
		return fmt.Sprintf(`{"request_type":"general","subject":%q,"account_id":%q,"description":"nul","evidence":["mail:MSG-1"],`+
			`"proposed":{"operation":%q,"target":%q,"input":%s}}`, subject, cust, operation, target, input)
	}
	rename := `{"new_name":"New` + nul + ` AG","evidence":{"email_confirmation":{"from":"legal@acme.example","reference":"MSG-1"},` +
		`"document":{"kind":"press_release","reference":"https://acme.example/p","old_name":"Adv NUL GmbH","new_name":"New AG"}}}`
	before := e.events()
	for name, body := range map[string]string{
		"rename new_name":        proposal("rename", "RenameCompany", cust, rename),
		"merge evidence":         proposal("merge", "MergeAccounts", other, `{"into":"`+cust+`","reason":"duplicate","evidence":["doc:`+nul+`"]}`),
		"split email reference":  proposal("split", "SplitLicense", "LIC-0000001", `{"parts":[{"quantity":5},{"quantity":5}],"email_authorisation":{"from":"it@acme.example","reference":"MSG`+nul+`"}}`),
		"transfer input key":     proposal("transfer", "TransferLicense", "LIC-0000001", `{"to_account_id":"`+other+`","`+nul+`":1}`),
		"termination reason":     proposal("termination", "TerminateContract", "ELA-000001", `{"reason":"`+nul+`","evidence":["doc:x"]}`),
		"consolidation evidence": proposal("consolidation", "ConsolidateAccounts", cust, `{"sources":["`+other+`","100099HQ"],"reason":"merger","evidence":["`+nul+`"]}`),
		"description":            fmt.Sprintf(`{"request_type":"general","subject":"other","account_id":%q,"description":"a`+nul+`b"}`, cust),
		"evidence":               fmt.Sprintf(`{"request_type":"general","subject":"other","account_id":%q,"description":"ab","evidence":["doc:`+nul+`"]}`, cust),
		"requester":              fmt.Sprintf(`{"request_type":"general","subject":"other","account_id":%q,"description":"ab","requester":"customer:`+nul+`"}`, cust),
	} {
		r := e.do("POST", "/v1/cases", requester, body)
		if r.status >= 500 || r.status < 400 {
			t.Errorf("%s: %d %s", name, r.status, trim(r.raw))
		}
		if n := e.events(); n != before {
			t.Errorf("%s: appended %d events", name, n-before)
			before = n
		}
	}
	number := e.advOpenCase(t, requester, caseBody("other", cust, "", "", nil))
	before = e.events()
	for name, step := range map[string][3]string{
		"request-info what":     {"request-info", e.support, `{"what":"x` + nul + `"}`},
		"reject reason":         {"reject", e.support, `{"reason":"x` + nul + `"}`},
		"approve note":          {"approve", e.support, `{"note":"x` + nul + `"}`},
		"provide-info too soon": {"provide-info", requester, `{"information":"x` + nul + `"}`},
	} {
		r := e.do("POST", "/v1/cases/"+number+"/"+step[0], step[1], step[2])
		if r.status >= 500 || r.status < 400 {
			t.Errorf("%s: %d %s", name, r.status, trim(r.raw))
		}
		if n := e.events(); n != before {
			t.Errorf("%s: appended %d events", name, n-before)
			before = n
		}
	}
}

// TestAdversarialApprovalRetryAfterRefusal: an approval refused at
// execution, retried with the same Idempotency-Key once the obstacle is
// gone, executes (the refusal's record was not stored under the key); a
// further repeat with that key replays the execution and appends nothing.
func TestAdversarialApprovalRetryAfterRefusal(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Retry GmbH")
	buyer, _ := e.register("Adv Retry Buyer GmbH")
	e.fulfilled(cust, 10)
	owner := e.customerContact(cust, "C-000801", domain.AccessUnrestricted)
	wantAnswer(t, e.do("POST", "/v1/licenses/LIC-0000001/allocations", owner, map[string]any{"host_id_type": "hostname", "host_id": "h1.acme.example", "quantity": 1}),
		200, "LIC-0000001", "license-LIC-0000001", 2, "license.allocated")
	number := e.advOpenCase(t, owner, caseBody("transfer", cust, "TransferLicense", "LIC-0000001", map[string]any{"to_account_id": buyer}))
	before := e.events()
	r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{"note":"ok"}`, "Idempotency-Key", "approve-1")
	wantProblem(t, r, 422, "rule_violation")
	if n := e.events(); n != before+1 {
		t.Fatalf("the refusal appended %d events", n-before)
	}
	wantAnswer(t, e.do("DELETE", "/v1/licenses/LIC-0000001/allocations/h1.acme.example", owner, nil), 200, "LIC-0000001", "license-LIC-0000001", 3, "license.allocation_returned")
	r = e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{"note":"ok"}`, "Idempotency-Key", "approve-1")
	wantAnswer(t, r, 200, number, "supportcase-"+number, 4, "supportcase.approved", "supportcase.executed",
		"license.transferred", "account.license_detached", "account.license_attached")
	before = e.events()
	again := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{"note":"ok"}`, "Idempotency-Key", "approve-1")
	if again.status != 200 || string(again.raw) != string(r.raw) || e.events() != before {
		t.Fatalf("repeat: %d %s (%d events)", again.status, again.raw, e.events()-before)
	}
	e.refused(e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{"note":"other"}`, "Idempotency-Key", "approve-1"), before, 422, "invalid_request")
	if owners := e.advLicenseOwners(t); owners["LIC-0000001"] != buyer {
		t.Fatalf("owners %v", owners)
	}
}

// TestAdversarialConcurrentApprovals: the same consolidation case approved
// by several staff members at once executes exactly once: one approval
// answers 200, the others a clean refusal, and every source is merged once.
func TestAdversarialConcurrentApprovals(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Concurrent AG")
	src1, _ := e.register("Adv Concurrent One GmbH")
	src2, _ := e.register("Adv Concurrent Two GmbH")
	e.fulfilled(src1, 10, 20)
	requester := e.customerContact(dst, "C-000811", domain.AccessUnrestricted)
	number := e.advOpenCase(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(src1, src2)))
	const n = 4
	answers := make([]resp, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := e.support
			if i%2 == 1 {
				token = e.admin
			}
			answers[i] = e.do("POST", "/v1/cases/"+number+"/approve", token, `{}`)
		}()
	}
	wg.Wait()
	ok := 0
	for i, r := range answers {
		switch {
		case r.status == 200:
			ok++
		case r.status == 422 && r.body["code"] == "rule_violation", r.status == 409 && r.body["code"] == "conflict":
		default:
			t.Fatalf("approval %d: %d %s", i, r.status, r.raw)
		}
	}
	if ok != 1 {
		t.Fatalf("%d approvals executed", ok)
	}
	for _, src := range []string{src1, src2} {
		if c := e.advCount(t, "account-"+src, "account.merged"); c != 1 {
			t.Fatalf("%s merged %d times", src, c)
		}
	}
	for _, s := range []string{"supportcase.approved", "supportcase.executed"} {
		if c := e.advCount(t, "supportcase-"+number, s); c != 1 {
			t.Fatalf("%d %s", c, s)
		}
	}
	if c := e.advCount(t, "supportcase-"+number, "supportcase.execution_refused"); c != 0 {
		t.Fatalf("a losing approval recorded %d execution refusals on the executed case", c)
	}
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestAdversarialProposalCaseFoldedKeys: a proposal's input naming a field
// twice in different letter case ("sources" and "Sources") is ambiguous:
// the case shows both, while Go's decoder, which matches names without
// regard to case, executes the last. The top-level body refuses such a
// name as "given more than once"; the proposal must be refused as well,
// and above all the approval must not execute what the reader of the
// proposal's first spelling did not approve.
func TestAdversarialProposalCaseFoldedKeys(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Folded AG")
	shown1, _ := e.register("Adv Folded Shown One GmbH")
	shown2, _ := e.register("Adv Folded Shown Two GmbH")
	hidden1, _ := e.register("Adv Folded Hidden One GmbH")
	hidden2, _ := e.register("Adv Folded Hidden Two GmbH")
	requester := e.customerContact(dst, "C-000821", domain.AccessUnrestricted)
	body := fmt.Sprintf(`{"request_type":"general","subject":"consolidation","account_id":%q,"description":"consolidate","evidence":["mail:MSG-1"],`+
		`"proposed":{"operation":"ConsolidateAccounts","target":%q,"input":{"sources":[%q,%q],"Sources":[%q,%q],"reason":"merger","evidence":["doc:x"]}}}`,
		dst, dst, shown1, shown2, hidden1, hidden2)
	before := e.events()
	r := e.do("POST", "/v1/cases", requester, body)
	e.refused(r, before, 422, "validation_failed")
	if !strings.Contains(string(r.raw), "twice") {
		t.Errorf("the problem does not say a member is named twice: %s", r.raw)
	}
}

// TestAdversarialTransferCaseFoldedKeys: the same for a transfer: the
// license must not go to the account named under a second spelling of
// to_account_id.
func TestAdversarialTransferCaseFoldedKeys(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Folded Seller GmbH")
	buyer, _ := e.register("Adv Folded Buyer GmbH")
	hidden, _ := e.register("Adv Folded Hidden GmbH")
	e.fulfilled(cust, 10)
	requester := e.customerContact(cust, "C-000831", domain.AccessUnrestricted)
	body := fmt.Sprintf(`{"request_type":"licensing","subject":"transfer","account_id":%q,"description":"transfer","evidence":["mail:MSG-1"],`+
		`"proposed":{"operation":"TransferLicense","target":"LIC-0000001","input":{"to_account_id":%q,"TO_ACCOUNT_ID":%q}}}`, cust, buyer, hidden)
	before := e.events()
	r := e.do("POST", "/v1/cases", requester, body)
	e.refused(r, before, 422, "validation_failed")
	if !strings.Contains(string(r.raw), "twice") {
		t.Errorf("the problem does not say a member is named twice: %s", r.raw)
	}
}

// TestAdversarialProposalSmuggledOperation: the proposal itself
// ({"operation","target","input"}) spelled twice in different letter
// case. The check at open decodes the request as sent (the last spelling
// wins: a merge of the requester's own account), while the case records
// the proposal as jsonb, which orders keys (upper case before lower case),
// so the approval decodes the other spelling: a rename of an account the
// requester has nothing to do with. Such a proposal must be refused when
// the case is opened, and an approval must never execute an operation
// other than the one of the case's subject, on a target the check at open
// did not see.
func TestAdversarialProposalSmuggledOperation(t *testing.T) {
	t.Parallel()
	e := start(t)
	attacker, _ := e.register("Adv Smuggler GmbH")
	partnerAcct, _ := e.register("Adv Smuggler Partner GmbH")
	victim, _ := e.register("Adv Victim GmbH")
	requester := e.customerContact(attacker, "C-000841", domain.AccessUnrestricted)
	rename := string(mustJSON(t, renameBody("Adv Victim GmbH", "Adv Pwned AG")))
	merge := fmt.Sprintf(`{"into":%q,"reason":"duplicate","evidence":["doc:x"]}`, partnerAcct)
	body := fmt.Sprintf(`{"request_type":"general","subject":"merge","account_id":%q,"description":"merge us","evidence":["mail:MSG-1"],`+
		`"proposed":{"operation":"RenameCompany","target":%q,"input":%s,"Operation":"MergeAccounts","Target":%q,"Input":%s}}`,
		attacker, victim, rename, attacker, merge)
	before := e.events()
	r := e.do("POST", "/v1/cases", requester, body)
	e.refused(r, before, 422, "validation_failed")
	if !strings.Contains(string(r.raw), "twice") {
		t.Errorf("the problem does not say a member is named twice: %s", r.raw)
	}
	if n := e.advCount(t, "account-"+victim, "account.renamed"); n != 0 {
		t.Errorf("account %s, which the requester has nothing to do with, was renamed", victim)
	}
}

// TestAdversarialConsolidationOfTwenty: the most accounts a consolidation
// takes, each holding a license and an order, are merged in the approval's
// one append; a twenty-first is refused when the case is opened.
func TestAdversarialConsolidationOfTwenty(t *testing.T) {
	t.Parallel()
	e := start(t)
	dst, _ := e.register("Adv Twenty Holding AG")
	requester := e.customerContact(dst, "C-000851", domain.AccessUnrestricted)
	sources := make([]string, 21)
	for i := range sources {
		sources[i], _ = e.register(fmt.Sprintf("Adv Twenty Source %02d GmbH", i))
	}
	for _, src := range sources[:20] {
		e.fulfilled(src, 5)
	}
	before := e.events()
	e.refused(e.do("POST", "/v1/cases", requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(sources...))), before, 422, "validation_failed")
	number := e.advOpenCase(t, requester, caseBody("consolidation", dst, "ConsolidateAccounts", dst, consolidation(sources[:20]...)))
	r := e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`)
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, trim(r.raw))
	}
	// approved, executed, and per source: merged, merge_received, the
	// license's and the order's move.
	if evs := r.body["events"].([]any); len(evs) != 2+20*4 {
		t.Fatalf("%d events in the approval's append", len(evs))
	}
	var commands int
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT count(DISTINCT command_id) FROM events WHERE position >= $1 AND position <= $2`,
		r.body["events"].([]any)[0].(map[string]any)["position"], r.body["position"]).Scan(&commands); err != nil {
		t.Fatal(err)
	}
	if commands != 1 {
		t.Fatalf("the approval's events span %d commands", commands)
	}
	owners := e.advLicenseOwners(t)
	for _, src := range sources[:20] {
		if n := e.advCount(t, "account-"+src, "account.merged"); n != 1 {
			t.Fatalf("%s merged %d times", src, n)
		}
	}
	for lic, owner := range owners {
		if owner != dst {
			t.Fatalf("license %s belongs to %s", lic, owner)
		}
	}
	if len(owners) != 20 || len(e.licensesOf(t, dst)) != 20 {
		t.Fatalf("%d licenses, %d under the survivor", len(owners), len(e.licensesOf(t, dst)))
	}
	e.advNotMerged(t, sources[20])
}

// advRace runs the requests at once and returns their answers.
func (e *env) advRace(reqs ...func() resp) []resp {
	out := make([]resp, len(reqs))
	var wg sync.WaitGroup
	for i, f := range reqs {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = f() }()
	}
	wg.Wait()
	return out
}

// TestAdversarialOneCaseTwoTransfersAtOnce: two licenses transferred at
// once on the same approved case: one case approves one transfer, so
// exactly one succeeds, the other is refused, and the case is executed
// once.
func TestAdversarialOneCaseTwoTransfersAtOnce(t *testing.T) {
	t.Parallel()
	e := start(t)
	cust, _ := e.register("Adv Double Seller GmbH")
	buyer, _ := e.register("Adv Double Buyer GmbH")
	owner := e.customerContact(cust, "C-000861", domain.AccessUnrestricted)
	for round := range 3 {
		e.fulfilled(cust, 10, 20)
		lics := []string{fmt.Sprintf("LIC-%07d", 2*round+1), fmt.Sprintf("LIC-%07d", 2*round+2)}
		number := e.advApprovedCase(t, owner, cust, "transfer")
		body := map[string]any{"to_account_id": buyer, "approval_case": number}
		answers := e.advRace(
			func() resp { return e.do("POST", "/v1/licenses/"+lics[0]+"/transfer", e.support, body) },
			func() resp { return e.do("POST", "/v1/licenses/"+lics[1]+"/transfer", e.admin, body) },
		)
		ok := 0
		for i, r := range answers {
			switch {
			case r.status == 200:
				ok++
			case r.status == 422 && r.body["code"] == "rule_violation", r.status == 409 && r.body["code"] == "conflict":
			default:
				t.Fatalf("round %d: transfer %d: %d %s", round, i, r.status, r.raw)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d transfers on one case", round, ok)
		}
		if n := e.advCount(t, "supportcase-"+number, "supportcase.executed"); n != 1 {
			t.Fatalf("round %d: case executed %d times", round, n)
		}
		owners := e.advLicenseOwners(t)
		if btoi(owners[lics[0]] == buyer)+btoi(owners[lics[1]] == buyer) != 1 {
			t.Fatalf("round %d: owners %v", round, owners)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAdversarialTerminationRacesManageRights: manage rights granted to a
// partner while the agreement's termination is approved. Whichever goes
// first, no partner manages the terminated agreement afterwards, and the
// partner does not see the customer through it.
func TestAdversarialTerminationRacesManageRights(t *testing.T) {
	t.Parallel()
	e := start(t)
	for round := range 3 {
		cust, _ := e.register(fmt.Sprintf("Adv Term Race %d GmbH", round))
		ela, _ := e.cqContract("enterprise", cust)
		pid := fmt.Sprintf("70090%dHQ", round)
		partnerToken := e.partnerOrg(pid, domain.PartnerActive)
		requester := e.customerContact(cust, "C-000901", domain.AccessUnrestricted)
		number := e.advOpenCase(t, requester, caseBody("termination", cust, "TerminateContract", ela, termination()))
		answers := e.advRace(
			func() resp { return e.do("POST", "/v1/cases/"+number+"/approve", e.support, `{}`) },
			func() resp {
				return e.do("POST", "/v1/contracts/"+ela+"/manage-rights", e.admin, map[string]any{"partner_id": pid})
			},
		)
		if answers[0].status != 200 {
			t.Fatalf("round %d: approval %d %s", round, answers[0].status, answers[0].raw)
		}
		granted := answers[1].status == 200
		if !granted && !(answers[1].status == 422 && answers[1].body["code"] == "rule_violation") {
			t.Fatalf("round %d: grant %d %s", round, answers[1].status, answers[1].raw)
		}
		revoked := e.advCount(t, "contract-"+ela, "contract.manage_rights_revoked")
		if granted != (revoked == 1) || revoked > 1 {
			t.Fatalf("round %d: granted %v, revoked %d times", round, granted, revoked)
		}
		wantProblem(t, e.do("GET", "/v1/contracts?company_id="+cust+"&min_position="+e.lastPosition(), partnerToken, nil), 404, "not_found")
		if rel, ok := e.customersOf(t, partnerToken)[cust]; ok {
			t.Fatalf("round %d: the partner lists the customer (%s)", round, rel)
		}
	}
}

// TestAdversarialConsolidationsShareASource: two consolidation cases into
// two survivors name the same source and are approved at once: the
// source is merged once, into one of them; the other approval is refused
// (undisclosed) and merges nothing of its own sources either.
func TestAdversarialConsolidationsShareASource(t *testing.T) {
	t.Parallel()
	e := start(t)
	a, _ := e.register("Adv Share Survivor A AG")
	b, _ := e.register("Adv Share Survivor B AG")
	shared, _ := e.register("Adv Share Shared GmbH")
	onlyA, _ := e.register("Adv Share Only A GmbH")
	onlyB, _ := e.register("Adv Share Only B GmbH")
	e.fulfilled(shared, 10)
	ca := e.advOpenCase(t, e.customerContact(a, "C-000911", domain.AccessUnrestricted), caseBody("consolidation", a, "ConsolidateAccounts", a, consolidation(onlyA, shared)))
	cb := e.advOpenCase(t, e.customerContact(b, "C-000912", domain.AccessUnrestricted), caseBody("consolidation", b, "ConsolidateAccounts", b, consolidation(shared, onlyB)))
	answers := e.advRace(
		func() resp { return e.do("POST", "/v1/cases/"+ca+"/approve", e.support, `{}`) },
		func() resp { return e.do("POST", "/v1/cases/"+cb+"/approve", e.admin, `{}`) },
	)
	winner, loserCase, loserOnly, winnerOnly := a, cb, onlyB, onlyA
	switch {
	case answers[0].status == 200 && answers[1].status == 422:
	case answers[1].status == 200 && answers[0].status == 422:
		winner, loserCase, loserOnly, winnerOnly = b, ca, onlyA, onlyB
	default:
		t.Fatalf("approvals: %d %s / %d %s", answers[0].status, answers[0].raw, answers[1].status, answers[1].raw)
	}
	for _, r := range answers {
		if r.status == 422 {
			wantProblem(t, r, 422, "rule_violation")
			if d, _ := r.body["detail"].(string); !strings.Contains(d, "supportcase.account_not_mergeable") || strings.Contains(d, winner) {
				t.Fatalf("the losing refusal: %s", r.raw)
			}
		}
	}
	if n := e.advCount(t, "account-"+shared, "account.merged"); n != 1 {
		t.Fatalf("the shared source merged %d times", n)
	}
	if n := e.advCount(t, "account-"+winnerOnly, "account.merged"); n != 1 {
		t.Fatalf("the winner's other source merged %d times", n)
	}
	e.advNotMerged(t, loserOnly)
	if owner := e.advLicenseOwners(t)["LIC-0000001"]; owner != winner {
		t.Fatalf("the shared source's license belongs to %s, want %s", owner, winner)
	}
	if s := e.advCaseStatus(t, loserCase); s != "open" {
		t.Fatalf("the losing case is %s", s)
	}
}
