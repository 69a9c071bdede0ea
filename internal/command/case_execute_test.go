package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

var caseSupport = auth.Staff("sam", domain.RoleSupport)

// openProposing opens, as support on behalf of a contact of accountID, a
// case of subject proposing operation on target with input, and returns
// its number.
func openProposing(t *testing.T, svc *command.Service, accountID, subject, operation, target string, input any) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"operation": operation, "target": target, "input": input})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.OpenCase(context.Background(), command.Meta{Principal: caseSupport}, command.OpenCaseInput{
		RequestType: supportcase.RequestGeneral, Subject: subject, AccountID: accountID, Requester: "customer:" + accountID + "/C-000001",
		Description: "As the customer asked", Evidence: []string{"mail:MSG-1"}, Proposed: raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func caseState(t *testing.T, store *eventstore.Store, number string) supportcase.State {
	t.Helper()
	evs, err := store.Load(context.Background(), supportcase.StreamID(number))
	if err != nil {
		t.Fatal(err)
	}
	var st supportcase.State
	for _, e := range evs {
		switch e.Type {
		case "supportcase.opened":
			var ev supportcase.CaseOpened
			_ = json.Unmarshal(e.Data, &ev)
			st = supportcase.Evolve(st, ev)
		case "supportcase.approved":
			var ev supportcase.CaseApproved
			_ = json.Unmarshal(e.Data, &ev)
			st = supportcase.Evolve(st, ev)
		case "supportcase.executed":
			var ev supportcase.CaseExecuted
			_ = json.Unmarshal(e.Data, &ev)
			st = supportcase.Evolve(st, ev)
		case "supportcase.execution_refused":
			var ev supportcase.CaseExecutionRefused
			_ = json.Unmarshal(e.Data, &ev)
			st = supportcase.Evolve(st, ev)
		}
	}
	return st
}

// TestApproveCaseExecutesInOneAppend: approving a merge case records the
// approval, the completion and every event of the merge in one append,
// under one command ID and correlation ID, caused by the approval.
func TestApproveCaseExecutesInOneAppend(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	number := openProposing(t, f.svc, f.target, supportcase.SubjectMerge, supportcase.OperationMergeAccounts, f.source, f.input())
	before := countEvents(t, f.pool, "true")
	res, err := f.svc.ApproveCase(ctx, command.Meta{Principal: caseSupport, CorrelationID: "corr-approve-1"}, number, command.ApproveCaseInput{Note: "SPA checked"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range res.Events {
		types = append(types, e.Type)
	}
	want := "supportcase.approved supportcase.executed account.merged account.merge_received license.owner_changed license.owner_changed contract.owner_changed order.customer_changed"
	if strings.Join(types, " ") != want || res.ID != number || res.Stream != supportcase.StreamID(number) || res.Version != 3 {
		t.Fatalf("answer %+v\n types %s", res, strings.Join(types, " "))
	}
	if n := countEvents(t, f.pool, "true"); n != before+len(res.Events) {
		t.Fatalf("%d events appended, the answer lists %d", n-before, len(res.Events))
	}
	// One append: one command ID, the request's correlation ID, caused by
	// the approval command.
	var commandID string
	for _, e := range res.Events {
		var md struct{ CommandID, CorrelationID, CausationID, Operation string }
		if err := f.pool.QueryRow(ctx, `SELECT command_id, correlation_id, causation_id, operation FROM events WHERE event_id = $1`, e.ID).
			Scan(&md.CommandID, &md.CorrelationID, &md.CausationID, &md.Operation); err != nil {
			t.Fatal(err)
		}
		if commandID == "" {
			commandID = md.CommandID
		}
		if md.CommandID != commandID || md.CorrelationID != "corr-approve-1" || md.CausationID != commandID || md.Operation != "" && md.Operation != "ApproveCase" {
			t.Fatalf("%s metadata %+v, want command and causation %s, correlation corr-approve-1", e.Type, md, commandID)
		}
	}
	if c := caseState(t, f.store, number); c.Status != supportcase.StatusCompleted || c.ExecutedAt.IsZero() {
		t.Fatalf("case %+v", c)
	}
	var src account.State
	for _, e := range f.load(t, account.StreamID(f.source)) {
		if e.Type == "account.merged" {
			src.Status = account.StatusMerged
		}
	}
	if src.Status != account.StatusMerged {
		t.Fatal("the source was not merged")
	}
	// A completed case is decided: approving again appends nothing.
	before = countEvents(t, f.pool, "true")
	if _, err := f.svc.ApproveCase(ctx, command.Meta{Principal: caseSupport}, number, command.ApproveCaseInput{}); !errors.Is(err, domain.ErrRuleViolation) {
		t.Fatalf("approving a completed case: %v", err)
	}
	if n := countEvents(t, f.pool, "true"); n != before {
		t.Fatalf("a refused second approval appended %d events", n-before)
	}
}

// TestApproveCaseRefusedExecutionAppendsOnlyTheRefusal: a rename whose
// email confirmation is not from the company's domain is refused by the
// account at execution: the approval appends nothing of the rename and no
// approval, only the refusal record on the case, which stays open and may
// still be rejected.
func TestApproveCaseRefusedExecutionAppendsOnlyTheRefusal(t *testing.T) {
	t.Parallel()
	pool, store, ids, acct := businessSetup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	rename := command.RenameCompanyInput{NewName: "Globex Widgets GmbH", Evidence: account.RenameEvidence{
		EmailConfirmation: account.EmailConfirmation{From: "someone@gmail.com", Reference: "MSG-1"},
		Document:          account.Document{Kind: account.DocLegalDocument, Reference: "doc:hr-extract.pdf", OldName: "Acme Widgets GmbH", NewName: "Globex Widgets GmbH"},
	}}
	number := openProposing(t, svc, acct, supportcase.SubjectRename, supportcase.OperationRenameCompany, acct, rename)
	accountEvents := countEvents(t, pool, "category = 'account'")
	caseEvents := countEvents(t, pool, "category = 'supportcase'")

	_, err := svc.ApproveCase(ctx, command.Meta{Principal: caseSupport, IdempotencyKey: "approve-1", RequestHash: "h"}, number, command.ApproveCaseInput{})
	var ru *domain.RuleError
	if !errors.As(err, &ru) || ru.Rule != command.RuleExecutionRefused || !strings.Contains(ru.Detail, "rename.email_from_company_domain") {
		t.Fatalf("want %s naming the rename rule, got %v", command.RuleExecutionRefused, err)
	}
	if n := countEvents(t, pool, "category = 'account'"); n != accountEvents {
		t.Fatalf("a refused execution appended %d account events", n-accountEvents)
	}
	if n := countEvents(t, pool, "category = 'supportcase'"); n != caseEvents+1 {
		t.Fatalf("%d case events appended, want the refusal only", n-caseEvents)
	}
	if n := countEvents(t, pool, "event_type IN ('supportcase.approved', 'supportcase.executed')"); n != 0 {
		t.Fatalf("%d approval events for a refused execution", n)
	}
	c := caseState(t, store, number)
	if c.Status != supportcase.StatusOpen || len(c.Refusals) != 1 || c.Refusals[0].Code != "rename.email_from_company_domain" {
		t.Fatalf("case after the refusal: %+v", c)
	}
	// The idempotency key was not spent on the refusal: the same request
	// tries again, and is refused again.
	if _, err := svc.ApproveCase(ctx, command.Meta{Principal: caseSupport, IdempotencyKey: "approve-1", RequestHash: "h"}, number, command.ApproveCaseInput{}); !errors.As(err, &ru) || ru.Rule != command.RuleExecutionRefused {
		t.Fatalf("the retried approval: %v", err)
	}
	if _, err := svc.RejectCase(ctx, command.Meta{Principal: caseSupport}, number, command.RejectCaseInput{Reason: "the confirmation must come from acme.example"}); err != nil {
		t.Fatalf("rejecting the refused case: %v", err)
	}
	if n := countEvents(t, pool, "category = 'account'"); n != accountEvents {
		t.Fatalf("the rejection appended %d account events", n-accountEvents)
	}
}

// TestApproveCaseConflictAppendsNothing: a concurrent change to a stream
// the execution read (the merged account, tagged by another writer before
// every append) conflicts on every attempt: the answer is a conflict and
// neither the approval nor any of the merge is recorded. One race only is
// absorbed by a retry.
func TestApproveCaseConflictAppendsNothing(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	number := openProposing(t, f.svc, f.target, supportcase.SubjectMerge, supportcase.OperationMergeAccounts, f.source, f.input())
	notTags := "event_type <> 'account.tagged'"
	before := countEvents(t, f.pool, notTags)

	always := &racingAccountStore{Store: f.store, racer: f.source, races: 1 << 20}
	_, err := command.New(always, f.ids, command.Config{MaxAttempts: 2}).ApproveCase(ctx, command.Meta{Principal: caseSupport}, number, command.ApproveCaseInput{})
	if !errors.Is(err, eventstore.ErrConflict) || always.raced.Load() != 2 {
		t.Fatalf("want a conflict after 2 attempts, got %v after %d", err, always.raced.Load())
	}
	if n := countEvents(t, f.pool, notTags); n != before {
		t.Fatalf("a conflicting approval left %d events", n-before)
	}
	if c := caseState(t, f.store, number); c.Status != supportcase.StatusOpen || len(c.Refusals) != 0 {
		t.Fatalf("case after the conflict: %+v", c)
	}

	once := &racingAccountStore{Store: f.store, racer: f.source, races: 1}
	res, err := command.New(once, f.ids, command.Config{}).ApproveCase(ctx, command.Meta{Principal: caseSupport}, number, command.ApproveCaseInput{})
	if err != nil || len(res.Events) != 8 || once.appended.Load() != 2 {
		t.Fatalf("approve after one race: %+v %v (%d appends)", res, err, once.appended.Load())
	}
}
