package account_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

const (
	lic1 = "LIC-0000001"
	lic2 = "LIC-0000002"
	lic3 = "LIC-0000003"
)

func attached(id string) account.LicenseAttached {
	return account.LicenseAttached{AccountID: acmeID, LicenseID: id}
}

// licensed is ACME with its people and three licenses.
func licensed(more ...domain.Event) []domain.Event {
	return history(append([]domain.Event{attached(lic1), attached(lic2), attached(lic3)}, more...)...)
}

func TestAssignSolutionAdvisor(t *testing.T) {
	const advisorContact = "C-000500"
	assign := func(edit func(*account.AssignSolutionAdvisor)) account.AssignSolutionAdvisor {
		c := account.AssignSolutionAdvisor{
			AccountID: acmeID, PartnerID: advisorID, ContactID: advisorContact,
			Advisor: partnerRef(advisorID), IsAdvisor: true, ContactKnown: true, By: as(admin), At: at,
		}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	assigned := func(pid, cid string) account.SolutionAdvisorAssigned {
		return account.SolutionAdvisorAssigned{AccountID: acmeID, PartnerID: pid, ContactID: cid}
	}
	want := assigned(advisorID, advisorContact)
	sc := func(name string, given []domain.Event, edit func(*account.AssignSolutionAdvisor), then any) scenario {
		s := scenario{Name: "AssignSolutionAdvisor/" + name, Given: given, When: assign(edit)}
		switch th := then.(type) {
		case account.SolutionAdvisorAssigned:
			s.Then = events(th)
		case string:
			s.Then = rule(th)
		}
		return s
	}
	cases := []scenario{
		sc("happy path: a partner's contact becomes the solution advisor", history(), nil, want),
		sc("another advisor replaces the one before", history(assigned("111111SA", "C-000600")), nil, want),
		sc("another contact of the same advisor replaces the one before", history(assigned(advisorID, "C-000501")), nil, want),
		sc("unchanged: the same contact of the same advisor is refused", history(want), nil, "account.solution_advisor_unchanged"),
		sc("partner unknown: a partner that does not exist is refused", history(), func(c *account.AssignSolutionAdvisor) {
			c.Advisor = domain.OrgRef{ID: advisorID}
		}, "account.partner_unknown"),
		sc("partner unknown: a fact about another partner does not count", history(), func(c *account.AssignSolutionAdvisor) {
			c.Advisor = partnerRef("111111SA")
		}, "account.partner_unknown"),
		sc("partner merged: a partner merged into another is refused", history(), func(c *account.AssignSolutionAdvisor) {
			c.Advisor.MergedInto = "111111SA"
		}, "account.partner_merged"),
		sc("not an advisor: a reseller that is no solution advisor is refused", history(), func(c *account.AssignSolutionAdvisor) {
			c.IsAdvisor = false
		}, "account.not_solution_advisor"),
		sc("contact of the partner: a contact the partner does not have is refused", history(), func(c *account.AssignSolutionAdvisor) {
			c.ContactKnown = false
		}, "account.advisor_contact_unknown"),
		{Name: "AssignSolutionAdvisor/partner ID form", Given: history(), When: assign(func(c *account.AssignSolutionAdvisor) { c.PartnerID = "SA-1" }),
			Then: invalid("partner_id")},
		{Name: "AssignSolutionAdvisor/contact ID form", Given: history(), When: assign(func(c *account.AssignSolutionAdvisor) { c.ContactID = "" }),
			Then: invalid("contact_id")},
		{Name: "AssignSolutionAdvisor/validation: every problem is reported at once", Given: history(),
			When: assign(func(c *account.AssignSolutionAdvisor) { c.PartnerID, c.ContactID = "", "x" }), Then: invalid("partner_id", "contact_id")},
	}
	cases = append(cases, whoCase{
		name: "AssignSolutionAdvisor", policy: staffOrContact, given: history(),
		mk: func(by domain.Actor) account.Command {
			return assign(func(c *account.AssignSolutionAdvisor) { c.By = by })
		},
		bad: func(by domain.Actor) account.Command {
			return assign(func(c *account.AssignSolutionAdvisor) { c.By, c.PartnerID = by, "" })
		},
		badFields: []string{"partner_id"},
		want:      events(want),
	}.scenarios()...)
	runAll(t, cases)
}

func granting(scope string, ids ...string) account.GrantViewRights {
	return account.GrantViewRights{
		AccountID: acmeID, PartnerID: partnerID, Scope: scope, LicenseIDs: ids,
		Partner: partnerRef(partnerID), By: as(admin), At: at,
	}
}

func granted(scope string, ids ...string) account.ViewRightsGranted {
	return account.ViewRightsGranted{AccountID: acmeID, PartnerID: partnerID, Scope: scope, LicenseIDs: ids}
}

func TestGrantViewRights(t *testing.T) {
	bad := func(name string, c account.GrantViewRights, fields ...string) scenario {
		return scenario{Name: "GrantViewRights/" + name, Given: licensed(), When: c, Then: invalid(fields...)}
	}
	cases := []scenario{
		{Name: "GrantViewRights/happy path: all, every license", Given: licensed(), When: granting(account.ScopeAll), Then: events(granted(account.ScopeAll))},
		{Name: "GrantViewRights/assigned: a listed set of the account's licenses", Given: licensed(), When: granting(account.ScopeAssigned, lic1, lic3),
			Then: events(granted(account.ScopeAssigned, lic1, lic3))},
		{Name: "GrantViewRights/assigned: the list is recorded in order of license ID", Given: licensed(), When: granting(account.ScopeAssigned, lic3, lic1),
			Then: events(granted(account.ScopeAssigned, lic1, lic3))},
		{Name: "GrantViewRights/all may be granted before the account has any license", Given: history(), When: granting(account.ScopeAll),
			Then: events(granted(account.ScopeAll))},
		{Name: "GrantViewRights/a new grant replaces the partner's rights: assigned to all", Given: licensed(granted(account.ScopeAssigned, lic1)),
			When: granting(account.ScopeAll), Then: events(granted(account.ScopeAll))},
		{Name: "GrantViewRights/a new grant replaces the partner's rights: all to assigned", Given: licensed(granted(account.ScopeAll)),
			When: granting(account.ScopeAssigned, lic2), Then: events(granted(account.ScopeAssigned, lic2))},
		{Name: "GrantViewRights/a new grant replaces the partner's rights: another set", Given: licensed(granted(account.ScopeAssigned, lic1)),
			When: granting(account.ScopeAssigned, lic1, lic2), Then: events(granted(account.ScopeAssigned, lic1, lic2))},
		{Name: "GrantViewRights/rights of another partner stay as they are", Given: licensed(account.ViewRightsGranted{AccountID: acmeID, PartnerID: "111111PA", Scope: account.ScopeAll}),
			When: granting(account.ScopeAssigned, lic1), Then: events(granted(account.ScopeAssigned, lic1))},
		{Name: "GrantViewRights/unchanged: all twice is refused", Given: licensed(granted(account.ScopeAll)), When: granting(account.ScopeAll),
			Then: rule("account.view_rights_unchanged")},
		{Name: "GrantViewRights/unchanged: the same set in another order is refused", Given: licensed(granted(account.ScopeAssigned, lic1, lic2)),
			When: granting(account.ScopeAssigned, lic2, lic1), Then: rule("account.view_rights_unchanged")},
		{Name: "GrantViewRights/assigned licenses must be the account's: another account's license is refused", Given: licensed(),
			When: granting(account.ScopeAssigned, lic1, "LIC-0000099"), Then: rule("account.license_not_attached")},
		{Name: "GrantViewRights/assigned licenses must be the account's: a license detached from it is refused",
			Given: licensed(account.LicenseDetached{AccountID: acmeID, LicenseID: lic2}),
			When:  granting(account.ScopeAssigned, lic2), Then: rule("account.license_not_attached")},
		{Name: "GrantViewRights/partner unknown: a partner that does not exist is refused", Given: licensed(),
			When: func() account.GrantViewRights {
				c := granting(account.ScopeAll)
				c.Partner = domain.OrgRef{ID: partnerID}
				return c
			}(),
			Then: rule("account.partner_unknown")},
		{Name: "GrantViewRights/partner unknown: a fact about another partner does not count", Given: licensed(),
			When: func() account.GrantViewRights {
				c := granting(account.ScopeAll)
				c.Partner = partnerRef("111111PA")
				return c
			}(),
			Then: rule("account.partner_unknown")},
		{Name: "GrantViewRights/partner merged: a partner merged into another is refused", Given: licensed(),
			When: func() account.GrantViewRights {
				c := granting(account.ScopeAll)
				c.Partner.MergedInto = "111111PA"
				return c
			}(),
			Then: rule("account.partner_merged")},
		bad("scope: all or assigned", granting("view"), "scope"),
		bad("scope: required", granting(""), "scope"),
		bad("license IDs: required iff assigned (none given)", granting(account.ScopeAssigned), "license_ids"),
		bad("license IDs: required iff assigned (given with all)", granting(account.ScopeAll, lic1), "license_ids"),
		bad("license IDs: form", granting(account.ScopeAssigned, lic1, "LIC-1", "lic-0000002"), "license_ids[1]", "license_ids[2]"),
		bad("license IDs: each once", granting(account.ScopeAssigned, lic1, lic1), "license_ids[1]"),
		bad("partner ID form", func() account.GrantViewRights { c := granting(account.ScopeAll); c.PartnerID = "777777pa"; return c }(), "partner_id"),
	}
	cases = append(cases, whoCase{
		name: "GrantViewRights", policy: staffOrContact, given: licensed(),
		mk:        func(by domain.Actor) account.Command { c := granting(account.ScopeAssigned, lic1); c.By = by; return c },
		bad:       func(by domain.Actor) account.Command { c := granting(account.ScopeAssigned); c.By = by; return c },
		badFields: []string{"license_ids"},
		want:      events(granted(account.ScopeAssigned, lic1)),
	}.scenarios()...)
	runAll(t, cases)
}

func TestRevokeViewRights(t *testing.T) {
	revoke := func(pid string) account.RevokeViewRights {
		return account.RevokeViewRights{AccountID: acmeID, PartnerID: pid, By: as(admin), At: at}
	}
	revoked := account.ViewRightsRevoked{AccountID: acmeID, PartnerID: partnerID}
	cases := []scenario{
		{Name: "RevokeViewRights/happy path: all visibility is removed at once (all)", Given: licensed(granted(account.ScopeAll)), When: revoke(partnerID),
			Then: events(revoked)},
		{Name: "RevokeViewRights/all visibility is removed at once (assigned, however many licenses)", Given: licensed(granted(account.ScopeAssigned, lic1, lic2, lic3)),
			When: revoke(partnerID), Then: events(revoked)},
		{Name: "RevokeViewRights/no rights: a partner without view rights is refused", Given: licensed(), When: revoke(partnerID), Then: rule("account.no_view_rights")},
		{Name: "RevokeViewRights/no rights: rights revoked before are gone", Given: licensed(granted(account.ScopeAll), revoked), When: revoke(partnerID),
			Then: rule("account.no_view_rights")},
		{Name: "RevokeViewRights/no rights: another partner's rights are not this one's", Given: licensed(granted(account.ScopeAll)), When: revoke("111111PA"),
			Then: rule("account.no_view_rights")},
		{Name: "RevokeViewRights/no rights: assigned rights lapse when their last license leaves the account",
			Given: licensed(granted(account.ScopeAssigned, lic1), account.LicenseDetached{AccountID: acmeID, LicenseID: lic1}),
			When:  revoke(partnerID), Then: rule("account.no_view_rights")},
		{Name: "RevokeViewRights/partner ID form", Given: licensed(), When: revoke(""), Then: invalid("partner_id")},
	}
	cases = append(cases, whoCase{
		name: "RevokeViewRights", policy: staffOrContact, given: licensed(granted(account.ScopeAll)),
		mk:        func(by domain.Actor) account.Command { c := revoke(partnerID); c.By = by; return c },
		bad:       func(by domain.Actor) account.Command { c := revoke("P"); c.By = by; return c },
		badFields: []string{"partner_id"},
		want:      events(revoked),
	}.scenarios()...)
	runAll(t, cases)
}

func designated(pid string) account.RenewalPartnerDesignated {
	return account.RenewalPartnerDesignated{AccountID: acmeID, PartnerID: pid}
}

func TestDesignateRenewalPartner(t *testing.T) {
	designate := func(edit func(*account.DesignateRenewalPartner)) account.DesignateRenewalPartner {
		c := account.DesignateRenewalPartner{AccountID: acmeID, PartnerID: partnerID, Partner: partnerRef(partnerID), By: as(admin), At: at}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	cases := []scenario{
		{Name: "DesignateRenewalPartner/happy path: a partner becomes the renewal partner", Given: history(), When: designate(nil), Then: events(designated(partnerID))},
		{Name: "DesignateRenewalPartner/another partner replaces the one before", Given: history(designated("111111PA")), When: designate(nil),
			Then: events(designated(partnerID))},
		{Name: "DesignateRenewalPartner/a partner removed before may be designated again",
			Given: history(designated(partnerID), account.RenewalPartnerRemoved{AccountID: acmeID, PartnerID: partnerID}),
			When:  designate(nil), Then: events(designated(partnerID))},
		{Name: "DesignateRenewalPartner/unchanged: the current renewal partner is refused", Given: history(designated(partnerID)), When: designate(nil),
			Then: rule("account.renewal_partner_unchanged")},
		{Name: "DesignateRenewalPartner/partner unknown: a partner that does not exist is refused", Given: history(),
			When: designate(func(c *account.DesignateRenewalPartner) { c.Partner.Exists = false }), Then: rule("account.partner_unknown")},
		{Name: "DesignateRenewalPartner/partner unknown: a fact about another partner does not count", Given: history(),
			When: designate(func(c *account.DesignateRenewalPartner) { c.Partner = partnerRef("111111PA") }), Then: rule("account.partner_unknown")},
		{Name: "DesignateRenewalPartner/partner merged: a partner merged into another is refused", Given: history(),
			When: designate(func(c *account.DesignateRenewalPartner) { c.Partner.MergedInto = "111111PA" }), Then: rule("account.partner_merged")},
		{Name: "DesignateRenewalPartner/partner ID form", Given: history(),
			When: designate(func(c *account.DesignateRenewalPartner) { c.PartnerID = "7777777PA" }), Then: invalid("partner_id")},
	}
	cases = append(cases, whoCase{
		name: "DesignateRenewalPartner", policy: staffOrContact, given: history(),
		mk: func(by domain.Actor) account.Command {
			return designate(func(c *account.DesignateRenewalPartner) { c.By = by })
		},
		bad: func(by domain.Actor) account.Command {
			return designate(func(c *account.DesignateRenewalPartner) { c.By, c.PartnerID = by, "" })
		},
		badFields: []string{"partner_id"},
		want:      events(designated(partnerID)),
	}.scenarios()...)
	runAll(t, cases)
}

func TestRemoveRenewalPartner(t *testing.T) {
	remove := account.RemoveRenewalPartner{AccountID: acmeID, By: as(admin), At: at}
	removed := account.RenewalPartnerRemoved{AccountID: acmeID, PartnerID: partnerID}
	cases := []scenario{
		{Name: "RemoveRenewalPartner/happy path: the renewal partner is removed, and the event names it", Given: history(designated(partnerID)),
			When: remove, Then: events(removed)},
		{Name: "RemoveRenewalPartner/the one designated last is removed", Given: history(designated("111111PA"), designated(partnerID)),
			When: remove, Then: events(removed)},
		{Name: "RemoveRenewalPartner/no renewal partner: an account without one is refused", Given: history(), When: remove,
			Then: rule("account.no_renewal_partner")},
		{Name: "RemoveRenewalPartner/no renewal partner: one removed before is gone", Given: history(designated(partnerID), removed), When: remove,
			Then: rule("account.no_renewal_partner")},
	}
	cases = append(cases, whoCase{
		name: "RemoveRenewalPartner", policy: staffOrContact, given: history(designated(partnerID)),
		mk:   func(by domain.Actor) account.Command { c := remove; c.By = by; return c },
		want: events(removed),
	}.scenarios()...)
	runAll(t, cases)
}
