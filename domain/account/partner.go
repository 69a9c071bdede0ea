package account

import (
	"fmt"
	"slices"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
)

// checkPartner refuses a partner the command service did not find (or
// found under another ID), and one merged into another organisation: it
// accepts no new relationships.
func checkPartner(ref domain.OrgRef, id string) error {
	if !ref.Exists || ref.ID != id {
		return domain.Rule("account.partner_unknown", "there is no partner %s", id)
	}
	if ref.MergedInto != "" {
		return domain.Rule("account.partner_merged", "partner %s was merged into %s", id, ref.MergedInto)
	}
	return nil
}

func assignSolutionAdvisor(s State, c AssignSolutionAdvisor) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkOrgID(p, "partner_id", c.PartnerID)
		checkContactID(p, "contact_id", c.ContactID)
	}
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if err := checkPartner(c.Advisor, c.PartnerID); err != nil {
			return nil, err
		}
		if !c.IsAdvisor {
			return nil, domain.Rule("account.not_solution_advisor", "partner %s is not a solution advisor", c.PartnerID)
		}
		if !c.ContactKnown {
			return nil, domain.Rule("account.advisor_contact_unknown", "partner %s has no contact %s", c.PartnerID, c.ContactID)
		}
		adv := Advisor{PartnerID: c.PartnerID, ContactID: c.ContactID}
		if s.SolutionAdvisor == adv {
			return nil, domain.Rule("account.solution_advisor_unchanged", "contact %s of partner %s is already the solution advisor", c.ContactID, c.PartnerID)
		}
		return []domain.Event{SolutionAdvisorAssigned{AccountID: s.ID, PartnerID: c.PartnerID, ContactID: c.ContactID}}, nil
	})
}

func grantViewRights(s State, c GrantViewRights) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkOrgID(p, "partner_id", c.PartnerID)
		switch c.Scope {
		case ScopeAll:
			if len(c.LicenseIDs) > 0 {
				p.Add("license_ids", "must be empty when the scope is all")
			}
		case ScopeAssigned:
			if len(c.LicenseIDs) == 0 {
				p.Add("license_ids", "at least one license is required when the scope is assigned")
			}
			for i, id := range c.LicenseIDs {
				field := fmt.Sprintf("license_ids[%d]", i)
				checkLicenseID(p, field, id)
				if slices.Contains(c.LicenseIDs[:i], id) {
					p.Add(field, "%s is listed twice", id)
				}
			}
		default:
			p.Add("scope", "must be all or assigned")
		}
	}
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if err := checkPartner(c.Partner, c.PartnerID); err != nil {
			return nil, err
		}
		var foreign []string
		for _, id := range c.LicenseIDs {
			if !s.Licenses[id] {
				foreign = append(foreign, id)
			}
		}
		if len(foreign) > 0 {
			return nil, domain.Rule("account.license_not_attached", "not licenses of account %s: %s", s.ID, strings.Join(foreign, ", "))
		}
		ids := slices.Clone(c.LicenseIDs)
		slices.Sort(ids)
		if have, ok := s.ViewRights[c.PartnerID]; ok && have.Scope == c.Scope && slices.Equal(have.LicenseIDs, ids) {
			return nil, domain.Rule("account.view_rights_unchanged", "partner %s already has these view rights", c.PartnerID)
		}
		return []domain.Event{ViewRightsGranted{AccountID: s.ID, PartnerID: c.PartnerID, Scope: c.Scope, LicenseIDs: ids}}, nil
	})
}

func revokeViewRights(s State, c RevokeViewRights) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkOrgID(p, "partner_id", c.PartnerID) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.ViewRights[c.PartnerID]; !ok {
			return nil, domain.Rule("account.no_view_rights", "partner %s has no view rights on account %s", c.PartnerID, s.ID)
		}
		return []domain.Event{ViewRightsRevoked{AccountID: s.ID, PartnerID: c.PartnerID}}, nil
	})
}

func designateRenewalPartner(s State, c DesignateRenewalPartner) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkOrgID(p, "partner_id", c.PartnerID) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if err := checkPartner(c.Partner, c.PartnerID); err != nil {
			return nil, err
		}
		if s.RenewalPartner == c.PartnerID {
			return nil, domain.Rule("account.renewal_partner_unchanged", "partner %s is already the renewal partner", c.PartnerID)
		}
		return []domain.Event{RenewalPartnerDesignated{AccountID: s.ID, PartnerID: c.PartnerID}}, nil
	})
}

func removeRenewalPartner(s State, c RemoveRenewalPartner) ([]domain.Event, error) {
	return run(s, staffOrContact, c.AccountID, c.By, nil, func() ([]domain.Event, error) {
		if s.RenewalPartner == "" {
			return nil, domain.Rule("account.no_renewal_partner", "account %s has no renewal partner", s.ID)
		}
		return []domain.Event{RenewalPartnerRemoved{AccountID: s.ID, PartnerID: s.RenewalPartner}}, nil
	})
}
