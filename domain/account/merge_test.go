package account_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/domaintest"
)

// Merge decides on two accounts. Its scenarios run on the pair of states,
// each given event marked with the account it belongs to, and each decided
// event with its stream, so that the shared runner checks purity and
// errors as for Decide.
type pair struct{ source, target account.State }

// on is an event of one account: "source" or "target" in a history, the
// stream ID in a decision.
type on struct {
	stream string
	domain.Event
}

var merging = domaintest.Aggregate[pair, account.MergeAccounts]{
	Evolve: func(p pair, e domain.Event) pair {
		o := e.(on)
		if o.stream == "source" {
			p.source = account.Evolve(p.source, o.Event)
		} else {
			p.target = account.Evolve(p.target, o.Event)
		}
		return p
	},
	Decide: func(p pair, c account.MergeAccounts) ([]domain.Event, error) {
		plan, err := account.Merge(p.source, p.target, c)
		if err != nil {
			return nil, err
		}
		var out []domain.Event
		for _, se := range plan.Streams {
			for _, e := range se.Events {
				out = append(out, on{se.StreamID, e})
			}
		}
		return out, nil
	},
}

type mergeScenario = domaintest.Scenario[pair, account.MergeAccounts]

const (
	globexID     = otherID
	advisorCt    = "C-000500"
	elaNumber    = "ELA-000123"
	orderNumber  = "ORD-0000042"
	globexAdmin  = "C-000042"
	thirdID      = "111111ZZ"
	mergeCaseRef = "case:CASE-000017"
)

// both marks a source and a target history.
func both(source, target []domain.Event) []domain.Event {
	var out []domain.Event
	for _, e := range source {
		out = append(out, on{"source", e})
	}
	for _, e := range target {
		out = append(out, on{"target", e})
	}
	return out
}

// full is ACME with something of everything a merge moves, then more.
func full(more ...domain.Event) []domain.Event {
	return licensed(append([]domain.Event{
		account.ContractAttached{AccountID: acmeID, Number: elaNumber, Program: account.ProgramEnterprise},
		orderAttached(orderNumber, partnerID, distributorID),
		granted(account.ScopeAssigned, lic1),
		designated(partnerID),
		account.SolutionAdvisorAssigned{AccountID: acmeID, PartnerID: advisorID, ContactID: advisorCt},
	}, more...)...)
}

// globex is the surviving account, with its own org admin, then more.
func globex(more ...domain.Event) []domain.Event {
	return append([]domain.Event{
		account.AccountRegistered{AccountID: globexID, Name: "Globex Ltd", PrimaryDomain: "globex.example",
			Address: account.Address{Country: "US", State: "CA"}, Region: "AMER"},
		account.ContactAdded{AccountID: globexID, ContactID: globexAdmin, Name: "Gil Grant", Email: "gil@globex.example",
			Roles: []string{account.RoleOrgAdmin}, Access: account.AccessUnrestricted},
	}, more...)
}

// fullMoved is what a merge moves from full().
func fullMoved() account.Moved {
	var contacts []account.Contact
	for _, e := range people() {
		c := e.(account.ContactAdded)
		contacts = append(contacts, account.Contact{ID: c.ContactID, Name: c.Name, Email: c.Email, Roles: c.Roles, Access: c.Access})
	}
	return account.Moved{
		Licenses:  []string{lic1, lic2, lic3},
		Contracts: []account.ContractLink{{Number: elaNumber, Program: account.ProgramEnterprise}},
		Orders:    []account.OrderLink{{OrderNumber: orderNumber, PartnerID: partnerID, DistributorID: distributorID}},
		Contacts:  contacts,
		Relationships: account.Relationships{
			ViewRights:      []account.ViewRight{{PartnerID: partnerID, Scope: account.ScopeAssigned, LicenseIDs: []string{lic1}}},
			RenewalPartner:  partnerID,
			SolutionAdvisor: &account.Advisor{PartnerID: advisorID, ContactID: advisorCt},
		},
	}
}

// mergeCmd is a valid merge of ACME into Globex by support, edited by edit.
func mergeCmd(edit func(*account.MergeAccounts)) account.MergeAccounts {
	c := account.MergeAccounts{
		SourceID: acmeID, TargetID: globexID, Reason: account.MergeDuplicate,
		Evidence: []string{mergeCaseRef}, By: as(support), At: at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// mergedEvents are the events of merging ACME into Globex for reason,
// with evidence, moving moved.
func mergedEvents(reason string, evidence []string, moved account.Moved) domaintest.Then {
	return events(
		on{account.StreamID(acmeID), account.AccountMerged{AccountID: acmeID, Into: globexID, Reason: reason, Evidence: evidence, Moved: moved}},
		on{account.StreamID(globexID), account.MergeReceived{AccountID: globexID, From: acmeID, Reason: reason, Evidence: evidence, Moved: moved}},
	)
}

func TestMergeAccounts(t *testing.T) {
	given := both(full(), globex())
	accepted := mergedEvents(account.MergeDuplicate, []string{mergeCaseRef}, fullMoved())
	by := func(p domain.Principal) account.MergeAccounts {
		return mergeCmd(func(c *account.MergeAccounts) { c.By = as(p) })
	}
	refused := func(name string, p domain.Principal) mergeScenario {
		return mergeScenario{Name: "MergeAccounts/who: " + name, Given: given, When: by(p), Then: fails(domain.ErrForbidden)}
	}
	reason := func(r string) mergeScenario {
		return mergeScenario{Name: "MergeAccounts/reason: " + r + " is a reason", Given: given,
			When: mergeCmd(func(c *account.MergeAccounts) { c.Reason = r }), Then: mergedEvents(r, []string{mergeCaseRef}, fullMoved())}
	}
	bad := func(name string, edit func(*account.MergeAccounts), fields ...string) mergeScenario {
		return mergeScenario{Name: "MergeAccounts/" + name, Given: given, When: mergeCmd(edit), Then: invalid(fields...)}
	}
	ruled := func(name, r string, given []domain.Event, edit func(*account.MergeAccounts)) mergeScenario {
		return mergeScenario{Name: "MergeAccounts/" + name, Given: given, When: mergeCmd(edit), Then: rule(r)}
	}
	tooMany := make([]string, account.MaxEvidence+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("doc:%d", i)
	}
	cases := []mergeScenario{
		{Name: "MergeAccounts/happy path: support merges a duplicate; licenses, contracts, orders, contacts and relationships move to the target",
			Given: given, When: mergeCmd(nil), Then: accepted},
		{Name: "MergeAccounts/who: admin staff may merge", Given: given, When: by(admin), Then: accepted},
		reason(account.MergeAcquisition),
		reason(account.MergeMerger),
		reason(account.MergeDownsizing),
		{Name: "MergeAccounts/evidence: every reference is recorded, in order", Given: given,
			When: mergeCmd(func(c *account.MergeAccounts) { c.Evidence = []string{"doc:press-release.pdf", mergeCaseRef} }),
			Then: mergedEvents(account.MergeDuplicate, []string{"doc:press-release.pdf", mergeCaseRef}, fullMoved())},
		{Name: "MergeAccounts/an account with nothing attached merges with nothing to move", Given: both(acme(), globex()),
			When: mergeCmd(nil), Then: mergedEvents(account.MergeDuplicate, []string{mergeCaseRef}, account.Moved{})},
		{Name: "MergeAccounts/a license detached before does not move", Given: both(full(account.LicenseDetached{AccountID: acmeID, LicenseID: lic3}), globex()),
			When: mergeCmd(nil), Then: mergedEvents(account.MergeDuplicate, []string{mergeCaseRef}, func() account.Moved {
				m := fullMoved()
				m.Licenses = []string{lic1, lic2}
				return m
			}())},
		{Name: "MergeAccounts/a target on embargo hold may still receive a merge", Given: both(full(), globex(account.EmbargoHoldPlaced{
			AccountID: globexID, Party: account.HoldAccount, MatchedEntry: "SDN"})), When: mergeCmd(nil), Then: accepted},

		// Who: staff support/admin only (a support case decides merges).
		refused("an auditor may not merge", auditor),
		refused("compliance may not merge", compliance),
		refused("an integration may not merge", integration),
		refused("staff without roles may not merge", noRoles),
		refused("a partner may not merge", partner),
		refused("the zero principal may not merge", domain.Principal{}),
		refused("an unrestricted org admin of the source may not merge: a support case decides", carolP),
		{Name: "MergeAccounts/who: a contact of the target alone may not know of the source", Given: given,
			When: by(customer(globexID, globexAdmin)), Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/who: a contact of a third account is told the source does not exist", Given: given,
			When: by(customer(thirdID, "C-000077")), Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/who: checked before validation, so the refused learn nothing", Given: given,
			When: mergeCmd(func(c *account.MergeAccounts) { c.By, c.Reason = as(auditor), "" }), Then: fails(domain.ErrForbidden)},

		// Validation.
		bad("reason: required", func(c *account.MergeAccounts) { c.Reason = "" }, "reason"),
		bad("reason: duplicate, acquisition, merger or downsizing", func(c *account.MergeAccounts) { c.Reason = "reorganisation" }, "reason"),
		bad("evidence: at least one reference", func(c *account.MergeAccounts) { c.Evidence = nil }, "evidence"),
		bad("evidence: no empty reference", func(c *account.MergeAccounts) { c.Evidence = []string{mergeCaseRef, " "} }, "evidence[1]"),
		bad("evidence: a reference of at most 500 characters", func(c *account.MergeAccounts) {
			c.Evidence = []string{strings.Repeat("r", account.MaxReferenceLen+1)}
		}, "evidence[0]"),
		bad("evidence: at most 20 references", func(c *account.MergeAccounts) { c.Evidence = tooMany }, "evidence"),
		bad("source ID form", func(c *account.MergeAccounts) { c.SourceID = "123456" }, "source_id"),
		bad("target ID form", func(c *account.MergeAccounts) { c.TargetID = "" }, "into"),
		bad("validation: every problem is reported at once", func(c *account.MergeAccounts) {
			*c = account.MergeAccounts{By: as(support), At: at}
		}, "source_id", "into", "reason", "evidence"),

		// The accounts.
		{Name: "MergeAccounts/account: an unknown source is not found", Given: both(nil, globex()), When: mergeCmd(nil), Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/account: an unknown target is not found", Given: both(full(), nil), When: mergeCmd(nil), Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/account: the states must be of the accounts named", Given: given,
			When: mergeCmd(func(c *account.MergeAccounts) { c.TargetID = thirdID }), Then: fails(domain.ErrNotFound)},

		// Refused merges.
		ruled("merging into oneself is refused", "account.merge_into_itself", both(full(), full()),
			func(c *account.MergeAccounts) { c.TargetID = acmeID }),
		ruled("from a merged account: a merged account accepts no further commands", "account.merged",
			both(full(account.AccountMerged{AccountID: acmeID, Into: thirdID, Reason: account.MergeDuplicate, Evidence: []string{"x"}}), globex()), nil),
		ruled("into a merged account is refused", "account.merge_target_merged",
			both(full(), globex(account.AccountMerged{AccountID: globexID, Into: thirdID, Reason: account.MergeMerger, Evidence: []string{"x"}})), nil),
		ruled("in a cycle: into an account that was merged into the source is refused", "account.merge_cycle",
			both(full(account.MergeReceived{AccountID: acmeID, From: globexID, Reason: account.MergeDuplicate, Evidence: []string{"x"}}),
				globex(account.AccountMerged{AccountID: globexID, Into: acmeID, Reason: account.MergeDuplicate, Evidence: []string{"x"}})), nil),
		ruled("embargo: a source with a hold on the organisation is refused until compliance clears it", "account.merge_embargo_hold",
			both(full(hold(account.HoldAccount)), globex()), nil),
		ruled("embargo: a source with a hold on a contact is refused until compliance clears it", "account.merge_embargo_hold",
			both(full(hold(bobID)), globex()), nil),
		{Name: "MergeAccounts/embargo: a source whose hold was cleared may merge",
			Given: both(full(hold(bobID), account.EmbargoHoldCleared{AccountID: acmeID, Party: bobID, Note: "ok"}), globex()),
			When:  mergeCmd(nil), Then: accepted},
	}
	domaintest.RunAll(t, merging, cases)
}

func TestMergePlan(t *testing.T) {
	plan, err := account.Merge(fold(full(), nil), fold(globex(), nil), mergeCmd(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the streams are the source's, then the target's", func(t *testing.T) {
		if len(plan.Streams) != 2 || plan.Streams[0].StreamID != account.StreamID(acmeID) || plan.Streams[1].StreamID != account.StreamID(globexID) {
			t.Errorf("streams %#v", plan.Streams)
		}
	})
	t.Run("it lists the licenses, contracts and orders whose streams must record the new owner", func(t *testing.T) {
		if !reflect.DeepEqual(plan.Licenses, []string{lic1, lic2, lic3}) ||
			!reflect.DeepEqual(plan.Contracts, []string{elaNumber}) ||
			!reflect.DeepEqual(plan.Orders, []string{orderNumber}) {
			t.Errorf("licenses %q, contracts %q, orders %q", plan.Licenses, plan.Contracts, plan.Orders)
		}
	})
	t.Run("a refused merge plans nothing", func(t *testing.T) {
		p, err := account.Merge(fold(full(), nil), fold(full(), nil), mergeCmd(func(c *account.MergeAccounts) { c.TargetID = acmeID }))
		if err == nil || !reflect.DeepEqual(p, account.MergePlan{}) {
			t.Errorf("got %#v, %v", p, err)
		}
	})
}

// TestMergeEvolve follows a merge through Evolve on both sides: the source
// is merged and empty, the target answers for everything it had.
func TestMergeEvolve(t *testing.T) {
	source, target := fold(full(), nil), fold(globex(), nil)
	plan, err := account.Merge(source, target, mergeCmd(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range plan.Streams[0].Events {
		source = account.Evolve(source, e)
	}
	for _, e := range plan.Streams[1].Events {
		target = account.Evolve(target, e)
	}

	t.Run("the source is merged into the target and keeps nothing that moved", func(t *testing.T) {
		if source.Status != account.StatusMerged || source.MergedInto != globexID {
			t.Errorf("status %q, merged into %q", source.Status, source.MergedInto)
		}
		if len(source.Licenses)+len(source.Contracts)+len(source.Orders)+len(source.Contacts)+len(source.ViewRights) != 0 ||
			source.RenewalPartner != "" || source.SolutionAdvisor != (account.Advisor{}) {
			t.Errorf("source still holds %#v", source)
		}
		if len(source.Relationships()) != 0 {
			t.Errorf("source still has relationships %v", source.Relationships())
		}
	})
	t.Run("the target answers for the licenses, contracts and orders", func(t *testing.T) {
		for _, id := range []string{lic1, lic2, lic3} {
			if !target.Licenses[id] {
				t.Errorf("target lacks license %s", id)
			}
		}
		if target.Contracts[elaNumber] != account.ProgramEnterprise || target.Orders[orderNumber].DistributorID != distributorID {
			t.Errorf("contracts %v, orders %v", target.Contracts, target.Orders)
		}
		if !reflect.DeepEqual(target.MergedFrom, []string{acmeID}) {
			t.Errorf("merged from %q", target.MergedFrom)
		}
	})
	t.Run("the source's contacts are the target's, with their access, beside its own", func(t *testing.T) {
		if len(target.Contacts) != 4 {
			t.Fatalf("contacts %v", target.Contacts)
		}
		if got := target.Contacts[carolID]; got.Access != account.AccessUnrestricted || got.Email != "carol@acme.example" {
			t.Errorf("Carol is %#v", got)
		}
	})
	t.Run("the relationships now answer under the target", func(t *testing.T) {
		want := map[string][]string{
			partnerID:     {account.RelOrderingPartner, account.RelRenewalPartner, account.RelViewRights},
			distributorID: {account.RelDistributor},
			advisorID:     {account.RelSolutionAdvisor},
		}
		if got := target.Relationships(); !reflect.DeepEqual(got, want) {
			t.Errorf("relationships %v, want %v", got, want)
		}
		if !target.PartnerSeesLicense(partnerID, lic1) || target.PartnerSeesLicense(partnerID, lic2) {
			t.Error("the partner's assigned view rights did not move as they were")
		}
	})
	t.Run("the source, merged, accepts nothing more", func(t *testing.T) {
		var re *domain.RuleError
		_, err := account.Decide(source, account.TagAccount{AccountID: acmeID, Tag: "x", By: as(admin), At: at})
		if !errors.As(err, &re) || re.Rule != "account.merged" {
			t.Errorf("got %v, want rule account.merged", err)
		}
		_, err = account.Merge(source, fold(globex(), nil), mergeCmd(nil))
		if !errors.As(err, &re) || re.Rule != "account.merged" {
			t.Errorf("merging it again: got %v, want rule account.merged", err)
		}
	})
	t.Run("the target, active, may merge further", func(t *testing.T) {
		third := fold([]domain.Event{account.AccountRegistered{AccountID: thirdID, Name: "Initech", PrimaryDomain: "initech.example",
			Address: account.Address{Country: "DE"}, Region: "EMEA"}}, nil)
		if _, err := account.Merge(target, third, mergeCmd(func(c *account.MergeAccounts) { c.SourceID, c.TargetID = globexID, thirdID })); err != nil {
			t.Error(err)
		}
	})
}

// TestMergeReceivedJoins pins how the survivor takes relationships it
// already has: a partner's view rights join (all wins, assigned lists
// unite) and the survivor keeps its own renewal partner and advisor.
func TestMergeReceivedJoins(t *testing.T) {
	vr := func(pid, scope string, ids ...string) account.ViewRight {
		return account.ViewRight{PartnerID: pid, Scope: scope, LicenseIDs: ids}
	}
	target := fold(globex(
		account.LicenseAttached{AccountID: globexID, LicenseID: "LIC-0000009"},
		account.ViewRightsGranted{AccountID: globexID, PartnerID: partnerID, Scope: account.ScopeAssigned, LicenseIDs: []string{"LIC-0000009"}},
		account.ViewRightsGranted{AccountID: globexID, PartnerID: "222222PA", Scope: account.ScopeAll},
		account.ViewRightsGranted{AccountID: globexID, PartnerID: "333333PA", Scope: account.ScopeAssigned, LicenseIDs: []string{"LIC-0000009"}},
		account.RenewalPartnerDesignated{AccountID: globexID, PartnerID: "222222PA"},
	), nil)
	before := fold(globex(), nil)
	got := account.Evolve(target, account.MergeReceived{AccountID: globexID, From: acmeID, Reason: account.MergeAcquisition, Evidence: []string{"x"},
		Moved: account.Moved{
			Licenses: []string{lic1, lic2},
			Relationships: account.Relationships{
				ViewRights: []account.ViewRight{
					vr(partnerID, account.ScopeAssigned, lic1),
					vr("222222PA", account.ScopeAssigned, lic2),
					vr("333333PA", account.ScopeAll),
					vr("444444PA", account.ScopeAssigned, lic2),
				},
				RenewalPartner:  partnerID,
				SolutionAdvisor: &account.Advisor{PartnerID: advisorID, ContactID: advisorCt},
			},
		}})
	want := map[string]account.ViewRight{
		partnerID:  vr(partnerID, account.ScopeAssigned, "LIC-0000001", "LIC-0000009"),
		"222222PA": vr("222222PA", account.ScopeAll),
		"333333PA": vr("333333PA", account.ScopeAll),
		"444444PA": vr("444444PA", account.ScopeAssigned, lic2),
	}
	if !reflect.DeepEqual(got.ViewRights, want) {
		t.Errorf("view rights %#v\nwant %#v", got.ViewRights, want)
	}
	if got.RenewalPartner != "222222PA" {
		t.Errorf("renewal partner %q: the survivor keeps its own", got.RenewalPartner)
	}
	if got.SolutionAdvisor != (account.Advisor{PartnerID: advisorID, ContactID: advisorCt}) {
		t.Errorf("solution advisor %#v: the survivor had none and takes the source's", got.SolutionAdvisor)
	}
	if len(target.ViewRights) != 3 || len(target.Licenses) != 1 || before.Licenses != nil {
		t.Errorf("Evolve changed its input: %#v", target)
	}
}
