package account_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// third is a third account of the organisation, with one contract of its
// own.
func third() []domain.Event {
	return []domain.Event{
		account.AccountRegistered{AccountID: thirdID, Name: "ACME Services Ltd", PrimaryDomain: "services.acme.example",
			Address: account.Address{Country: "GB", State: "England", City: "Leeds"}, Region: "EMEA"},
		account.ContractAttached{AccountID: thirdID, Number: "EASY-000007", Program: account.ProgramEasy},
	}
}

func consolidateCmd(edit func(*account.ConsolidateAccounts)) account.ConsolidateAccounts {
	c := account.ConsolidateAccounts{
		TargetID: globexID, SourceIDs: []string{acmeID, thirdID}, Reason: account.MergeAcquisition,
		Evidence: []string{mergeCaseRef}, By: as(support), At: at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// TestConsolidate: a consolidation is the merges of its sources into the
// survivor one after the other, decided all at once: every merge accepted,
// or none.
func TestConsolidate(t *testing.T) {
	sources := func() []account.State { return []account.State{fold(full(), nil), fold(third(), nil)} }
	target := fold(globex(), nil)

	t.Run("one plan per source, in order, each the merge on the survivor as the ones before left it", func(t *testing.T) {
		plans, err := account.Consolidate(sources(), target, consolidateCmd(nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 2 {
			t.Fatalf("%d plans", len(plans))
		}
		first, _ := account.Merge(fold(full(), nil), target, mergeCmd(func(c *account.MergeAccounts) { c.Reason = account.MergeAcquisition }))
		if !reflect.DeepEqual(plans[0], first) {
			t.Errorf("the first plan is not ACME's merge:\n%#v\n%#v", plans[0], first)
		}
		if plans[1].Streams[0].StreamID != account.StreamID(thirdID) || plans[1].Streams[1].StreamID != account.StreamID(globexID) ||
			!reflect.DeepEqual(plans[1].Contracts, []string{"EASY-000007"}) {
			t.Errorf("the second plan: %#v", plans[1])
		}
		// Folding every plan's survivor events gives the survivor both
		// accounts' licenses and contracts.
		st := target
		for _, p := range plans {
			for _, e := range p.Streams[1].Events {
				st = account.Evolve(st, e)
			}
		}
		if len(st.Licenses) != 3 || st.Contracts["ELA-000123"] == "" || st.Contracts["EASY-000007"] == "" ||
			!reflect.DeepEqual(st.MergedFrom, []string{acmeID, thirdID}) {
			t.Errorf("survivor after the consolidation: licenses %v contracts %v merged from %v", st.Licenses, st.Contracts, st.MergedFrom)
		}
	})

	for _, tc := range []struct {
		name  string
		edit  func(*account.ConsolidateAccounts)
		field string
	}{
		{"one account is a merge", func(c *account.ConsolidateAccounts) { c.SourceIDs = []string{acmeID} }, "source_ids"},
		{"an account named twice", func(c *account.ConsolidateAccounts) { c.SourceIDs = []string{acmeID, thirdID, acmeID} }, "source_ids[2]"},
		{"the survivor among the sources", func(c *account.ConsolidateAccounts) { c.SourceIDs = []string{acmeID, globexID} }, "source_ids[1]"},
		{"not an account ID", func(c *account.ConsolidateAccounts) { c.SourceIDs = []string{acmeID, "acme"} }, "source_ids[1]"},
		{"more than the limit", func(c *account.ConsolidateAccounts) {
			c.SourceIDs = make([]string, account.MaxConsolidated+1)
		}, "source_ids"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			c := consolidateCmd(tc.edit)
			plans, err := account.Consolidate(make([]account.State, len(c.SourceIDs)), target, c)
			var v *domain.ValidationError
			if !errors.As(err, &v) || plans != nil {
				t.Fatalf("got %v, %v", plans, err)
			}
			found := false
			for _, p := range v.Problems {
				found = found || p.Field == tc.field
			}
			if !found {
				t.Errorf("problems %v do not name %s", v.Problems, tc.field)
			}
		})
	}

	t.Run("refused as a whole when one merge is: a merged source", func(t *testing.T) {
		merged := fold(append(third(), account.AccountMerged{AccountID: thirdID, Into: acmeID, Reason: account.MergeDuplicate, Evidence: []string{"x"}}), nil)
		plans, err := account.Consolidate([]account.State{fold(full(), nil), merged}, target, consolidateCmd(nil))
		var r *domain.RuleError
		if !errors.As(err, &r) || r.Rule != "account.merged" || plans != nil || !strings.Contains(err.Error(), thirdID) {
			t.Fatalf("got %v, %v", plans, err)
		}
	})
	t.Run("refused: staff only", func(t *testing.T) {
		_, err := account.Consolidate(sources(), target, consolidateCmd(func(c *account.ConsolidateAccounts) { c.By = as(annP) }))
		if !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("a customer contact consolidated: %v", err)
		}
	})
	t.Run("a missing source is not found", func(t *testing.T) {
		_, err := account.Consolidate([]account.State{fold(full(), nil), {}}, target, consolidateCmd(nil))
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestMergeKeepsOneActiveAgreementPerProgram: a merge or consolidation
// after which the survivor would hold two active agreements under one
// program is refused; a terminated one does not count.
func TestMergeKeepsOneActiveAgreementPerProgram(t *testing.T) {
	withELA := func(id, number string) []domain.Event {
		return []domain.Event{account.ContractAttached{AccountID: id, Number: number, Program: account.ProgramEnterprise}}
	}
	source := fold(full(), nil) // holds ELA-000123
	target := fold(globex(withELA(globexID, "ELA-000900")...), nil)
	_, err := account.Merge(source, target, mergeCmd(nil))
	var r *domain.RuleError
	if !errors.As(err, &r) || r.Rule != "account.merge_active_agreements" || !strings.Contains(r.Detail, "ELA-000900") {
		t.Fatalf("merging two active enterprise agreements: %v", err)
	}
	if _, err := account.Merge(source, target, mergeCmd(func(c *account.MergeAccounts) { c.Terminated = map[string]bool{"ELA-000900": true} })); err != nil {
		t.Fatalf("with the survivor's terminated: %v", err)
	}
	// Two sources with one each, into a survivor with none: the second
	// merge, decided on the survivor the first left, is refused.
	second := fold(append(third(), withELA(thirdID, "ELA-000901")...), nil)
	_, err = account.Consolidate([]account.State{source, second}, fold(globex(), nil), consolidateCmd(nil))
	if !errors.As(err, &r) || r.Rule != "account.merge_active_agreements" || !strings.Contains(err.Error(), thirdID) {
		t.Fatalf("consolidating two active enterprise agreements: %v", err)
	}
}
