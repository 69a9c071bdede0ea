package account_test

import (
	"reflect"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// TestEvolveDoesNotShare pins the Evolve contract: states folded from a
// shared history do not share what either changes afterwards.
func TestEvolveDoesNotShare(t *testing.T) {
	base := fold(licensed(account.AccountTagged{AccountID: acmeID, Tag: "a"}, granted(account.ScopeAssigned, lic1, lic2), hold(annID)), nil)
	snapshot := fold(licensed(account.AccountTagged{AccountID: acmeID, Tag: "a"}, granted(account.ScopeAssigned, lic1, lic2), hold(annID)), nil)
	base.Tags = append(make([]string, 0, 8), base.Tags...) // room to append in place

	one := base
	for _, e := range []domain.Event{
		account.AccountTagged{AccountID: acmeID, Tag: "b"},
		account.ContactAccessSet{AccountID: acmeID, ContactID: annID, Access: account.AccessRestricted},
		account.LicenseDetached{AccountID: acmeID, LicenseID: lic2},
		account.EmbargoHoldCleared{AccountID: acmeID, Party: annID},
		orderAttached(orderNumber, partnerID, ""),
		account.ContractAttached{AccountID: acmeID, Number: elaNumber, Program: account.ProgramEnterprise},
	} {
		one = account.Evolve(one, e)
	}
	two := account.Evolve(base, account.AccountTagged{AccountID: acmeID, Tag: "c"})

	if !reflect.DeepEqual(base, snapshot) {
		t.Errorf("the shared state changed:\n got %#v\nwant %#v", base, snapshot)
	}
	if !reflect.DeepEqual(one.Tags, []string{"a", "b"}) || !reflect.DeepEqual(two.Tags, []string{"a", "c"}) {
		t.Errorf("tags: one %q, two %q", one.Tags, two.Tags)
	}
	if two.Contacts[annID].Access != account.AccessUnrestricted || !two.Licenses[lic2] || len(two.Holds) != 1 || two.Orders != nil {
		t.Errorf("two sees what happened to one: %#v", two)
	}
}

func TestEvolveLinks(t *testing.T) {
	t.Run("a detached license leaves assigned view rights; all rights stay as they are", func(t *testing.T) {
		s := fold(licensed(
			granted(account.ScopeAssigned, lic1, lic2),
			account.ViewRightsGranted{AccountID: acmeID, PartnerID: "222222PA", Scope: account.ScopeAll},
			account.ViewRightsGranted{AccountID: acmeID, PartnerID: "333333PA", Scope: account.ScopeAssigned, LicenseIDs: []string{lic1}},
			account.LicenseDetached{AccountID: acmeID, LicenseID: lic1},
		), nil)
		want := map[string]account.ViewRight{
			partnerID:  {PartnerID: partnerID, Scope: account.ScopeAssigned, LicenseIDs: []string{lic2}},
			"222222PA": {PartnerID: "222222PA", Scope: account.ScopeAll},
		}
		if !reflect.DeepEqual(s.ViewRights, want) {
			t.Errorf("view rights %#v\nwant %#v", s.ViewRights, want)
		}
	})
	t.Run("a license detached and attached again is not shown through the rights it left", func(t *testing.T) {
		s := fold(licensed(granted(account.ScopeAssigned, lic1, lic2),
			account.LicenseDetached{AccountID: acmeID, LicenseID: lic1}, attached(lic1)), nil)
		if s.PartnerSeesLicense(partnerID, lic1) || !s.PartnerSeesLicense(partnerID, lic2) {
			t.Errorf("view rights %#v", s.ViewRights)
		}
	})
	t.Run("a contact's access set for a contact the account does not have changes nothing", func(t *testing.T) {
		s := fold(history(), nil)
		if got := account.Evolve(s, account.ContactAccessSet{AccountID: acmeID, ContactID: "C-000009", Access: account.AccessUnrestricted}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v", got.Contacts)
		}
	})
}

func TestPartnerSeesLicense(t *testing.T) {
	s := fold(licensed(
		granted(account.ScopeAssigned, lic1),
		account.ViewRightsGranted{AccountID: acmeID, PartnerID: "222222PA", Scope: account.ScopeAll},
	), nil)
	cases := []struct {
		name, partner, license string
		want                   bool
	}{
		{"assigned: a listed license", partnerID, lic1, true},
		{"assigned: a license not listed", partnerID, lic2, false},
		{"all: every license of the account", "222222PA", lic3, true},
		{"all: not a license of another account", "222222PA", "LIC-0000099", false},
		{"none: a partner without view rights", "333333PA", lic1, false},
		{"none: the renewal partner alone has no view rights", advisorID, lic1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.PartnerSeesLicense(tc.partner, tc.license); got != tc.want {
				t.Errorf("PartnerSeesLicense(%s, %s) = %v", tc.partner, tc.license, got)
			}
		})
	}
}

func TestRelationships(t *testing.T) {
	s := fold(history(
		orderAttached("ORD-0000001", partnerID, distributorID),
		// A dual-role partner: direct on one order, distributor on another.
		orderAttached("ORD-0000002", distributorID, ""),
		orderAttached("ORD-0000003", "222222PA", partnerID),
		designated(partnerID),
		account.SolutionAdvisorAssigned{AccountID: acmeID, PartnerID: advisorID, ContactID: "C-000500"},
		account.ViewRightsGranted{AccountID: acmeID, PartnerID: advisorID, Scope: account.ScopeAll},
	), nil)
	want := map[string][]string{
		partnerID:     {account.RelDistributor, account.RelOrderingPartner, account.RelRenewalPartner},
		distributorID: {account.RelDistributor, account.RelOrderingPartner},
		"222222PA":    {account.RelOrderingPartner},
		advisorID:     {account.RelSolutionAdvisor, account.RelViewRights},
	}
	if got := s.Relationships(); !reflect.DeepEqual(got, want) {
		t.Errorf("Relationships() = %v\nwant %v", got, want)
	}
	if got := fold(history(), nil).Relationships(); len(got) != 0 {
		t.Errorf("an account without orders or partners: %v", got)
	}
}
