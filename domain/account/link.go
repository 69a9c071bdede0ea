package account

import (
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
)

// The links record what answers under the account (DOMAIN-DESIGN.md, "What
// an account knows of the rest"). Each is appended together with the other
// aggregate's events, so that a merge deciding on the account's version
// conflicts with a concurrent issuance instead of leaving it behind; and a
// merged account refuses them (account.merged), which fails the whole
// append.

func attachLicense(s State, c AttachLicense) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkLicenseID(p, "license_id", c.LicenseID) }
	return run(s, system, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if s.Licenses[c.LicenseID] {
			return nil, domain.Rule("account.license_already_attached", "license %s already answers under account %s", c.LicenseID, s.ID)
		}
		return []domain.Event{LicenseAttached{AccountID: s.ID, LicenseID: c.LicenseID}}, nil
	})
}

func detachLicense(s State, c DetachLicense) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkLicenseID(p, "license_id", c.LicenseID) }
	return run(s, system, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if !s.Licenses[c.LicenseID] {
			return nil, domain.Rule("account.license_not_attached", "license %s does not answer under account %s", c.LicenseID, s.ID)
		}
		return []domain.Event{LicenseDetached{AccountID: s.ID, LicenseID: c.LicenseID}}, nil
	})
}

func attachContract(s State, c AttachContract) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		program, ok := ids.Contract(c.Number)
		switch {
		case c.Program != ProgramEnterprise && c.Program != ProgramEasy:
			p.Add("program", "must be enterprise or easy")
		case !ok:
			p.Add("number", "must be a contract number such as ELA-000001 or EASY-000001")
		case program != c.Program:
			p.Add("number", "a %s agreement is not numbered %s", c.Program, c.Number)
		}
	}
	return run(s, system, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.Contracts[c.Number]; ok {
			return nil, domain.Rule("account.contract_already_attached", "contract %s already answers under account %s", c.Number, s.ID)
		}
		return []domain.Event{ContractAttached{AccountID: s.ID, Number: c.Number, Program: c.Program}}, nil
	})
}

func attachOrder(s State, c AttachOrder) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		if !ids.Order(c.OrderNumber) {
			p.Add("order_number", "must be an order number such as ORD-0000001")
		}
		checkOrgID(p, "partner_id", c.PartnerID)
		if c.DistributorID != "" {
			checkOrgID(p, "distributor_id", c.DistributorID)
		}
	}
	return run(s, system, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.Orders[c.OrderNumber]; ok {
			return nil, domain.Rule("account.order_already_attached", "order %s already answers under account %s", c.OrderNumber, s.ID)
		}
		return []domain.Event{OrderAttached{AccountID: s.ID, OrderNumber: c.OrderNumber, PartnerID: c.PartnerID, DistributorID: c.DistributorID}}, nil
	})
}
