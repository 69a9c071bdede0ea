package command_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

var contractAdmin = command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}

// registerELA registers an enterprise agreement for accountID and returns
// its number, or the error.
func registerELA(svc *command.Service, accountID string) (string, error) {
	res, err := svc.RegisterContract(context.Background(), contractAdmin, command.RegisterContractInput{
		Program: contract.ProgramEnterprise, AccountID: accountID, PrimaryAdmin: "C-000001", DiscountLevel: 3,
		TermStart: "2025-01-01", TermEnd: "2027-12-31",
	})
	return res.ID, err
}

func mustRegisterELA(t *testing.T, svc *command.Service, accountID string) string {
	t.Helper()
	number, err := registerELA(svc, accountID)
	if err != nil {
		t.Fatal(err)
	}
	return number
}

// managingPartner registers an active reseller and grants it manage rights
// on agreement number.
func managingPartner(t *testing.T, svc *command.Service, number string) string {
	t.Helper()
	ctx := context.Background()
	p, err := svc.RegisterPartner(ctx, contractAdmin, command.RegisterPartnerInput{Name: "Reseller " + uuid.NewString()[:8],
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantManageRights(ctx, contractAdmin, number, command.GrantManageRightsInput{PartnerID: p.ID}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func terminationInput() command.TerminateContractInput {
	return command.TerminateContractInput{Reason: "The customer gave notice", Evidence: []string{"doc:notice.pdf"}}
}

func isRule(err error, rule string) bool {
	var ru *domain.RuleError
	return errors.As(err, &ru) && ru.Rule == rule
}

// TestTerminationCaseFreesTheProgram: approving a termination case revokes
// the managing partner's rights and terminates the agreement in the same
// append as the case's approval and completion; the account may then
// register a new agreement under the same program, and only one.
func TestTerminationCaseFreesTheProgram(t *testing.T) {
	t.Parallel()
	pool, store, ids, acct := businessSetup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	ela := mustRegisterELA(t, svc, acct)
	partnerID := managingPartner(t, svc, ela)
	if _, err := registerELA(svc, acct); !isRule(err, "contract.one_active_per_program") {
		t.Fatalf("a second ELA while the first is active: %v", err)
	}

	number := openProposing(t, svc, acct, supportcase.SubjectTermination, supportcase.OperationTerminateContract, ela, terminationInput())
	before := countEvents(t, pool, "true")
	res, err := svc.ApproveCase(ctx, command.Meta{Principal: caseSupport, CorrelationID: "corr-terminate"}, number, command.ApproveCaseInput{Note: "notice checked"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range res.Events {
		types = append(types, e.Type)
	}
	want := []string{"supportcase.approved", "supportcase.executed", "contract.manage_rights_revoked", "contract.terminated"}
	if strings.Join(types, " ") != strings.Join(want, " ") || res.ID != number {
		t.Fatalf("answer %+v, want events %q", res, want)
	}
	if n := countEvents(t, pool, "true"); n != before+len(want) {
		t.Fatalf("%d events appended, want %d", n-before, len(want))
	}
	var commands, onContract int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT command_id), count(*) FILTER (WHERE stream_id = $1) FROM events WHERE correlation_id = 'corr-terminate'`,
		contract.StreamID(ela)).Scan(&commands, &onContract); err != nil || commands != 1 || onContract != 2 {
		t.Fatalf("the approval and the termination were %d appends with %d events on %s (%v), want one append with two", commands, onContract, ela, err)
	}
	var revoked string
	if err := pool.QueryRow(ctx, `SELECT data->>'partner_id' FROM events WHERE stream_id = $1 AND event_type = 'contract.manage_rights_revoked'`,
		contract.StreamID(ela)).Scan(&revoked); err != nil || revoked != partnerID {
		t.Fatalf("revoked %q (%v), want the managing partner %s", revoked, err, partnerID)
	}
	if c := caseState(t, store, number); c.Status != supportcase.StatusCompleted {
		t.Fatalf("case %+v", c)
	}

	// The terminated agreement accepts no further change.
	if _, err := svc.SetDiscountLevel(ctx, contractAdmin, ela, command.SetDiscountLevelInput{DiscountLevel: 5}); !isRule(err, "contract.terminated") {
		t.Fatalf("changing a terminated agreement: %v", err)
	}
	// It no longer counts as the account's active ELA: a new one may be
	// registered, and then that one is the active one.
	next, err := registerELA(svc, acct)
	if err != nil {
		t.Fatalf("registering an ELA after the termination: %v", err)
	}
	if next == ela {
		t.Fatalf("the new agreement has the terminated one's number %s", ela)
	}
	if _, err := registerELA(svc, acct); !isRule(err, "contract.one_active_per_program") {
		t.Fatalf("a third ELA while the second is active: %v", err)
	}
}

// TestTerminationCaseRefusals: a termination of another account's
// agreement, or of one that does not exist, is refused at execution:
// nothing is appended on the agreement, only the refusal on the case,
// which stays open.
func TestTerminationCaseRefusals(t *testing.T) {
	t.Parallel()
	pool, store, ids, acct := businessSetup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	other, err := svc.RegisterAccount(ctx, contractAdmin, command.RegisterAccountInput{Name: "Other Widgets AG", PrimaryDomain: "other.example", Address: account.Address{Country: "AT"}})
	if err != nil {
		t.Fatal(err)
	}
	foreign := mustRegisterELA(t, svc, other.ID)
	managingPartner(t, svc, foreign)

	cases := []struct {
		name, target, code string
	}{
		{"another account's agreement", foreign, supportcase.RuleTargetNotOfAccount},
		// Refused as another account's: the case's parties, who read the
		// refusal, learn nothing of which agreement numbers exist.
		{"an agreement that does not exist", "ELA-999999", supportcase.RuleTargetNotOfAccount},
	}
	for _, tc := range cases {
		number := openProposing(t, svc, acct, supportcase.SubjectTermination, supportcase.OperationTerminateContract, tc.target, terminationInput())
		contractEvents := countEvents(t, pool, "category = 'contract'")
		_, err := svc.ApproveCase(ctx, command.Meta{Principal: caseSupport}, number, command.ApproveCaseInput{})
		var ru *domain.RuleError
		if !errors.As(err, &ru) || ru.Rule != command.RuleExecutionRefused || !strings.Contains(ru.Detail, tc.code) {
			t.Fatalf("%s: want %s naming %s, got %v", tc.name, command.RuleExecutionRefused, tc.code, err)
		}
		if n := countEvents(t, pool, "category = 'contract'"); n != contractEvents {
			t.Fatalf("%s: a refused termination appended %d contract events", tc.name, n-contractEvents)
		}
		if c := caseState(t, store, number); c.Status != supportcase.StatusOpen || len(c.Refusals) != 1 || c.Refusals[0].Code != tc.code {
			t.Fatalf("%s: case after the refusal: %+v", tc.name, c)
		}
	}
	if n := countEvents(t, pool, "event_type = 'contract.terminated'"); n != 0 {
		t.Fatalf("%d agreements terminated", n)
	}
}

// racingContractStore lets another writer append to agreement `racer`
// just before each of the first `races` appends that register an
// agreement, as a concurrent command on that agreement (its termination)
// would.
type racingContractStore struct {
	*eventstore.Store
	racer    string
	races    int32
	raced    atomic.Int32
	appended atomic.Int32
}

func (r *racingContractStore) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	r.appended.Add(1)
	registers := false
	for _, sa := range s {
		registers = registers || strings.HasPrefix(sa.StreamID, "contract-") && sa.ExpectedVersion == 0 && len(sa.Events) > 0
	}
	if registers && r.raced.Add(1) <= r.races {
		if err := appendDirect(ctx, r.Store, contract.StreamID(r.racer), contract.DiscountLevelSet{DiscountLevel: 4}); err != nil {
			return nil, err
		}
	}
	return r.Store.Append(ctx, s, md, opts...)
}

// TestRegisterContractAssertsListedAgreements: a registration reads every
// agreement the account lists and asserts it at its version: one that
// changes in between (it could be a termination, or a change undoing one's
// premise) makes the registration be decided again.
func TestRegisterContractAssertsListedAgreements(t *testing.T) {
	t.Parallel()
	_, store, ids, acct := businessSetup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	easy, err := svc.RegisterContract(ctx, contractAdmin, command.RegisterContractInput{
		Program: contract.ProgramEasy, AccountID: acct, PrimaryAdmin: "C-000001", DiscountLevel: 2, TermStart: "2025-01-01", TermEnd: "2026-12-31",
	})
	if err != nil {
		t.Fatal(err)
	}
	always := &racingContractStore{Store: store, racer: easy.ID, races: 1 << 20}
	if _, err := registerELA(command.New(always, ids, command.Config{MaxAttempts: 2}), acct); !errors.Is(err, eventstore.ErrConflict) || always.raced.Load() != 2 {
		t.Fatalf("want a conflict after 2 attempts, got %v after %d", err, always.raced.Load())
	}
	once := &racingContractStore{Store: store, racer: easy.ID, races: 1}
	if _, err := registerELA(command.New(once, ids, command.Config{}), acct); err != nil || once.appended.Load() != 2 {
		t.Fatalf("register after one race: %v (%d appends)", err, once.appended.Load())
	}
}
