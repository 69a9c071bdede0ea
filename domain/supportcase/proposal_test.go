package supportcase_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/supportcase"
)

// proposing is opening(nil) for subject, proposing raw.
func proposing(subject, raw string) supportcase.OpenCase {
	return opening(func(c *supportcase.OpenCase) { c.Subject, c.Proposed = subject, json.RawMessage(raw) })
}

// proposed is the event of proposing(subject, raw).
func proposed(subject, raw string) supportcase.CaseOpened {
	return opened(func(e *supportcase.CaseOpened) { e.Subject, e.Proposed = subject, supportcase.Proposal(raw) })
}

const (
	mergeProposal       = `{"operation":"MergeAccounts","target":"654321AB","input":{"into":"123456HQ","reason":"acquisition","evidence":["doc:spa.pdf"]}}`
	consolidateProposal = `{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA","222222BB"],"reason":"merger","evidence":["doc:board-minutes.pdf"]}}`
	splitProposal       = `{"operation":"SplitLicense","target":"LIC-0000042","input":{"parts":[{"quantity":1000},{"quantity":500}],"email_authorisation":{"from":"it@acme.example","reference":"MSG-7"}}}`
	transferProposal    = `{"operation":"TransferLicense","target":"LIC-0000042","input":{"to_account_id":"654321AB"}}`
	terminationProposal = `{"operation":"TerminateContract","target":"ELA-000042","input":{"reason":"customer gave notice","evidence":["doc:notice.pdf"]}}`
)

func TestOpenCaseProposal(t *testing.T) {
	ok := func(name, subject, raw string) scenario {
		return scenario{Name: "OpenCase/proposal: " + name, When: proposing(subject, raw), Then: events(proposed(subject, raw))}
	}
	bad := func(name, subject, raw string, fields ...string) scenario {
		return scenario{Name: "OpenCase/proposal: " + name, When: proposing(subject, raw), Then: invalid(fields...)}
	}
	domaintest.RunAll(t, aggregate, []scenario{
		ok("a rename carries the email confirmation and one document", supportcase.SubjectRename, proposal),
		ok("a merge names both accounts, a reason and evidence; the case may be the survivor's", supportcase.SubjectMerge, mergeProposal),
		ok("a merge case may be the merged account's",
			supportcase.SubjectMerge, `{"operation":"MergeAccounts","target":"123456HQ","input":{"into":"654321AB","reason":"duplicate","evidence":["x"]}}`),
		ok("a split carries its parts and the email authorisation", supportcase.SubjectSplit, splitProposal),
		ok("a split may name this case as its approval", supportcase.SubjectSplit,
			`{"operation":"SplitLicense","target":"LIC-0000042","input":{"parts":[{"quantity":1},{"quantity":1}],"email_authorisation":{"from":"a@b.c","reference":"r"},"approval_case":"CASE-000042"}}`),
		ok("a transfer names another organisation", supportcase.SubjectTransfer, transferProposal),
		ok("a termination names the agreement, a reason and evidence", supportcase.SubjectTermination, terminationProposal),
		ok("a termination of an Easy License Agreement", supportcase.SubjectTermination,
			`{"operation":"TerminateContract","target":"EASY-000007","input":{"reason":"r","evidence":["a","b"]}}`),

		bad("subject other carries no proposal", supportcase.SubjectOther, proposal, "proposed"),
		bad("the operation is the subject's", supportcase.SubjectMerge, proposal, "proposed.operation"),
		bad("the operation is required", supportcase.SubjectRename, `{"target":"123456HQ","input":{}}`, "proposed.operation"),
		bad("an unknown operation", supportcase.SubjectRename, `{"operation":"DeleteEverything","target":"123456HQ","input":{}}`, "proposed.operation"),
		bad("only operation, target and input", supportcase.SubjectRename, `{"operation":"RenameCompany","target":"123456HQ","input":{},"extra":1}`, "proposed"),
		bad("the input is a JSON object", supportcase.SubjectTransfer, `{"operation":"TransferLicense","target":"LIC-0000042","input":[1]}`, "proposed.input"),
		bad("the input is required", supportcase.SubjectTransfer, `{"operation":"TransferLicense","target":"LIC-0000042"}`, "proposed.input"),
		bad("the input's fields have their types", supportcase.SubjectTransfer, `{"operation":"TransferLicense","target":"LIC-0000042","input":{"to_account_id":7}}`, "proposed.input"),
		bad("a rename targets the case's account", supportcase.SubjectRename,
			`{"operation":"RenameCompany","target":"654321AB","input":{"new_name":"N","evidence":{"email_confirmation":{"from":"a@b.c","reference":"r"},"document":{"kind":"legal_document","reference":"d"}}}}`,
			"proposed.target"),
		bad("a rename needs the email confirmation and one document", supportcase.SubjectRename,
			`{"operation":"RenameCompany","target":"123456HQ","input":{"new_name":"Globex Ltd"}}`,
			"proposed.input.evidence.email_confirmation.from", "proposed.input.evidence.email_confirmation.reference",
			"proposed.input.evidence.document.kind", "proposed.input.evidence.document.reference"),
		bad("a merge needs both account IDs, a reason and evidence", supportcase.SubjectMerge,
			`{"operation":"MergeAccounts","target":"nope","input":{}}`, "proposed.target", "proposed.input.into", "proposed.input.reason", "proposed.input.evidence"),
		bad("a merge into itself", supportcase.SubjectMerge,
			`{"operation":"MergeAccounts","target":"123456HQ","input":{"into":"123456HQ","reason":"duplicate","evidence":["x"]}}`, "proposed.input.into"),
		bad("a merge concerns the case's account", supportcase.SubjectMerge,
			`{"operation":"MergeAccounts","target":"654321AB","input":{"into":"111111AA","reason":"duplicate","evidence":["x"]}}`, "proposed.target"),
		bad("a split needs two parts and the email authorisation", supportcase.SubjectSplit,
			`{"operation":"SplitLicense","target":"LIC-1","input":{"parts":[{"quantity":2}]}}`,
			"proposed.target", "proposed.input.parts", "proposed.input.email_authorisation.from", "proposed.input.email_authorisation.reference"),
		bad("a split approved by another case", supportcase.SubjectSplit,
			`{"operation":"SplitLicense","target":"LIC-0000042","input":{"parts":[{"quantity":1},{"quantity":1}],"email_authorisation":{"from":"a@b.c","reference":"r"},"approval_case":"CASE-000001"}}`,
			"proposed.input.approval_case"),
		bad("a transfer goes across organisations, not to the owner itself", supportcase.SubjectTransfer,
			`{"operation":"TransferLicense","target":"LIC-0000042","input":{"to_account_id":"123456HQ"}}`, "proposed.input.to_account_id"),
		bad("a transfer names the account", supportcase.SubjectTransfer,
			`{"operation":"TransferLicense","target":"LIC-0000042","input":{}}`, "proposed.input.to_account_id"),
		ok("a consolidation joins two or more accounts into the case's, with a reason and evidence", supportcase.SubjectConsolidation, consolidateProposal),
		bad("a consolidation proposes ConsolidateAccounts, not a merge", supportcase.SubjectConsolidation, mergeProposal, "proposed.operation"),
		bad("a consolidation keeps the case's account", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"654321AB","input":{"sources":["111111AA","222222BB"],"reason":"merger","evidence":["doc:x"]}}`, "proposed.target"),
		bad("a consolidation joins at least two accounts, with a reason and evidence", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA"]}}`,
			"proposed.input.sources", "proposed.input.reason", "proposed.input.evidence"),
		bad("a consolidation names each account once, never the survivor", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA","123456HQ","111111AA","x"],"reason":"merger","evidence":["doc:x"]}}`,
			"proposed.input.sources[1]", "proposed.input.sources[2]", "proposed.input.sources[3]"),
		bad("a member named twice, in another letter case: what is checked must be what runs", supportcase.SubjectMerge,
			`{"operation":"MergeAccounts","Operation":"RenameCompany","target":"654321AB","input":{"into":"123456HQ","reason":"acquisition","evidence":["doc:spa.pdf"]}}`, "proposed"),
		bad("a nested member named twice", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA","222222BB"],"SOURCES":["333333CC","444444DD"],"reason":"merger","evidence":["doc:x"]}}`, "proposed"),
		bad("a NUL in a string of the input", supportcase.SubjectTermination,
			`{"operation":"TerminateContract","target":"ELA-000042","input":{"reason":"r\u0000","evidence":["doc:x"]}}`, "proposed"),
		bad("a control character in a string of the input", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA","222222BB"],"reason":"merger","evidence":["doc:\u0007x"]}}`, "proposed"),
		bad("a consolidation's reason is one of a merge's", supportcase.SubjectConsolidation,
			`{"operation":"ConsolidateAccounts","target":"123456HQ","input":{"sources":["111111AA","222222BB"],"reason":"tidy-up","evidence":["doc:x"]}}`, "proposed.input.reason"),
		bad("a termination's evidence: references, not blanks", supportcase.SubjectTermination,
			`{"operation":"TerminateContract","target":"ELA-000042","input":{"reason":"r","evidence":["doc:x"," "]}}`, "proposed.input.evidence[1]"),
		bad("a transfer approved by another case", supportcase.SubjectTransfer,
			`{"operation":"TransferLicense","target":"LIC-0000042","input":{"to_account_id":"654321AB","approval_case":"CASE-000001"}}`, "proposed.input.approval_case"),
		bad("a termination names an agreement, a reason and evidence", supportcase.SubjectTermination,
			`{"operation":"TerminateContract","target":"123456HQ","input":{"reason":"  ","evidence":[]}}`,
			"proposed.target", "proposed.input.reason", "proposed.input.evidence"),
		bad("a termination's operation is TerminateContract", supportcase.SubjectTermination, transferProposal, "proposed.operation"),
		bad("a termination's input has only reason and evidence", supportcase.SubjectTermination,
			`{"operation":"TerminateContract","target":"ELA-000042","input":{"reason":"r","evidence":"doc"}}`, "proposed.input"),
	})
}

func TestApproveCaseExecutes(t *testing.T) {
	approving := supportcase.ApproveCase{CaseNumber: caseNo, By: support, At: decidedAt}
	approvedEv := supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved}
	executed := func(op, target string) supportcase.CaseExecuted {
		return supportcase.CaseExecuted{CaseNumber: caseNo, Operation: op, Target: target, ExecutedAt: decidedAt, Status: supportcase.StatusCompleted}
	}
	refusing := func(by domain.Actor, code, reason string) supportcase.RecordExecutionRefused {
		return supportcase.RecordExecutionRefused{CaseNumber: caseNo, Code: code, Reason: reason, By: by, At: decidedAt}
	}
	refusedEv := supportcase.CaseExecutionRefused{CaseNumber: caseNo, Operation: supportcase.OperationRenameCompany, Target: acmeID,
		Code: "rename.email_from_company_domain", Reason: "not from acme.example", RefusedAt: decidedAt, Status: supportcase.StatusOpen}
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "ApproveCase/a merge case: approved and executed (MergeAccounts on the merged account)",
			Given: []domain.Event{proposed(supportcase.SubjectMerge, mergeProposal)}, When: approving,
			Then: events(approvedEv, executed(supportcase.OperationMergeAccounts, otherID))},
		{Name: "ApproveCase/a split case: approved and executed",
			Given: []domain.Event{proposed(supportcase.SubjectSplit, splitProposal)}, When: approving,
			Then: events(approvedEv, executed(supportcase.OperationSplitLicense, "LIC-0000042"))},
		{Name: "ApproveCase/a transfer case: approved and executed",
			Given: []domain.Event{proposed(supportcase.SubjectTransfer, transferProposal)}, When: approving,
			Then: events(approvedEv, executed(supportcase.OperationTransferLicense, "LIC-0000042"))},
		{Name: "ApproveCase/a termination case: approved and executed (TerminateContract on the agreement)",
			Given: []domain.Event{proposed(supportcase.SubjectTermination, terminationProposal)}, When: approving,
			Then: events(approvedEv, executed(supportcase.OperationTerminateContract, "ELA-000042"))},
		{Name: "ApproveCase/a case whose execution was refused may be approved again",
			Given: append(open(), refusedEv), When: approving,
			Then: events(approvedEv, executed(supportcase.OperationRenameCompany, acmeID))},

		{Name: "RecordExecutionRefused/happy path: the case stays open with the refusal",
			Given: open(), When: refusing(support, " rename.email_from_company_domain ", "not from acme.example\n"), Then: events(refusedEv)},
		{Name: "RecordExecutionRefused/after an answer", Given: answered(),
			When: refusing(admin, "rename.email_from_company_domain", "not from acme.example"), Then: events(refusedEv)},
		{Name: "RecordExecutionRefused/who: only admin or support staff, who approve", Given: open(),
			When: refusing(auditor, "x", "y"), Then: fails(domain.ErrForbidden)},
		{Name: "RecordExecutionRefused/who: not the requester", Given: open(),
			When: refusing(ann, "x", "y"), Then: fails(domain.ErrForbidden)},
		{Name: "RecordExecutionRefused/a case without a proposal has nothing to refuse",
			Given: []domain.Event{opened(func(e *supportcase.CaseOpened) { e.Proposed = nil })}, When: refusing(support, "x", "y"),
			Then: rule("supportcase.no_proposal")},
		{Name: "RecordExecutionRefused/not a decided case", Given: approved(), When: refusing(support, "x", "y"), Then: rule("supportcase.decided")},
		{Name: "RecordExecutionRefused/not while waiting for information", Given: waiting(), When: refusing(support, "x", "y"),
			Then: rule("supportcase.waiting_for_information")},
		{Name: "RecordExecutionRefused/an unknown case is not found", When: refusing(support, "x", "y"), Then: fails(domain.ErrNotFound)},
		{Name: "RecordExecutionRefused/validation: code, reason and at are required",
			Given: open(), When: supportcase.RecordExecutionRefused{CaseNumber: caseNo, By: support}, Then: invalid("code", "reason", "at")},
	})
}

func TestEvolveExecution(t *testing.T) {
	refused := supportcase.CaseExecutionRefused{CaseNumber: caseNo, Operation: supportcase.OperationRenameCompany, Target: acmeID,
		Code: "rename.same_name", Reason: "same", RefusedAt: decidedAt, Status: supportcase.StatusOpen}
	s := domaintest.Fold(aggregate, append(open(), refused), nil)
	want := []supportcase.Refusal{{Code: "rename.same_name", Reason: "same", At: decidedAt}}
	if s.Status != supportcase.StatusOpen || s.Decided() || !reflect.DeepEqual(s.Refusals, want) {
		t.Fatalf("refused: %#v", s)
	}
	before := s
	s = supportcase.Evolve(s, refused)
	if len(before.Refusals) != 1 || len(s.Refusals) != 2 {
		t.Fatalf("Evolve wrote the refusals in place: before %d, after %d", len(before.Refusals), len(s.Refusals))
	}
	s = domaintest.Fold(aggregate, append(open(),
		supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved},
		supportcase.CaseExecuted{CaseNumber: caseNo, Operation: supportcase.OperationRenameCompany, Target: acmeID, ExecutedAt: decidedAt, Status: supportcase.StatusCompleted}), nil)
	if s.Status != supportcase.StatusCompleted || !s.Decided() || !s.ExecutedAt.Equal(decidedAt) || !s.DecidedAt.Equal(decidedAt) {
		t.Fatalf("executed: %#v", s)
	}
}

func TestProposalDecode(t *testing.T) {
	pr, ok := supportcase.Proposal(transferProposal).Decode()
	if !ok || pr.Operation != supportcase.OperationTransferLicense || pr.Target != "LIC-0000042" || string(pr.Input) != `{"to_account_id":"654321AB"}` {
		t.Errorf("Decode = %+v, %v", pr, ok)
	}
	for _, raw := range []string{"", `{"type":"RenameCompany"}`, `{"operation":"Nope","target":"x","input":{}}`, `[`} {
		if _, ok := supportcase.Proposal(raw).Decode(); ok {
			t.Errorf("Decode(%s): ok, want not a typed proposal", raw)
		}
	}
}

func TestTargetOfAccount(t *testing.T) {
	s := domaintest.Fold(aggregate, open(), nil)
	pr, _ := supportcase.Proposal(transferProposal).Decode()
	if err := supportcase.TargetOfAccount(s, pr, acmeID); err != nil {
		t.Errorf("the case's own license: %v", err)
	}
	var ru *domain.RuleError
	if err := supportcase.TargetOfAccount(s, pr, otherID); !errors.As(err, &ru) || ru.Rule != supportcase.RuleTargetNotOfAccount {
		t.Errorf("another account's license: %v", err)
	}
	tc, ok := supportcase.Proposal(terminationProposal).Decode()
	if !ok {
		t.Fatal("a termination proposal does not decode")
	}
	if err := supportcase.TargetOfAccount(s, tc, acmeID); err != nil {
		t.Errorf("the case's own agreement: %v", err)
	}
	if err := supportcase.TargetOfAccount(s, tc, otherID); !errors.As(err, &ru) || ru.Rule != supportcase.RuleTargetNotOfAccount {
		t.Errorf("another account's agreement: %v", err)
	}
	rn, _ := supportcase.Proposal(proposal).Decode()
	if err := supportcase.TargetOfAccount(s, rn, ""); err != nil {
		t.Errorf("a rename's target was checked at opening: %v", err)
	}
}

// TestExecutable: what runs at approval is the case subject's operation,
// on the case's account, whatever the recorded proposal says (a case
// recorded before proposals spelled twice were refused could hold a
// rename in a merge case, of another account).
func TestExecutable(t *testing.T) {
	s := domaintest.Fold(aggregate, open(), nil) // a rename case of ACME
	var ru *domain.RuleError
	for _, tc := range []struct {
		name, raw, rule string
	}{
		{"the case's own rename", proposal, ""},
		{"a rename of another account", `{"operation":"RenameCompany","target":"654321AB","input":{}}`, supportcase.RuleTargetNotOfAccount},
		{"another subject's operation", mergeProposal, supportcase.RuleNotExecutable},
	} {
		pr, ok := supportcase.Proposal(tc.raw).Decode()
		if !ok {
			t.Fatalf("%s: does not decode", tc.name)
		}
		err := supportcase.Executable(s, pr)
		switch {
		case tc.rule == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.rule != "" && (!errors.As(err, &ru) || ru.Rule != tc.rule):
			t.Errorf("%s: %v, want rule %s", tc.name, err, tc.rule)
		}
	}
	m := domaintest.Fold(aggregate, []domain.Event{opened(func(e *supportcase.CaseOpened) {
		e.Subject, e.Proposed = supportcase.SubjectMerge, supportcase.Proposal(mergeProposal)
	})}, nil)
	pr, _ := supportcase.Proposal(mergeProposal).Decode()
	if err := supportcase.Executable(m, pr); err != nil {
		t.Errorf("a merge into the case's account: %v", err)
	}
	pr.Input = json.RawMessage(`{"into":"111111AA","reason":"acquisition","evidence":["x"]}`)
	if err := supportcase.Executable(m, pr); !errors.As(err, &ru) || ru.Rule != supportcase.RuleTargetNotOfAccount {
		t.Errorf("a merge of two other accounts: %v", err)
	}
}
