package command

import (
	"context"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var accounts = Aggregate[account.State]{Evolve: account.Evolve}

// accountActor is the acting party of an account command. No contact
// facts are filled in: account.Decide resolves a customer contact from the
// account's own state (account.State.Actor). Commands on other aggregates
// by a customer contact will need them, from State.Actor of the contact's
// account loaded in the same attempt.
func accountActor(m Meta) domain.Actor { return domain.Actor{Principal: m.Principal} }

// RegisterAccountInput is the body of RegisterAccount.
type RegisterAccountInput struct {
	Name          string          `json:"name"`
	PrimaryDomain string          `json:"primary_domain"`
	Address       account.Address `json:"address"`
	VATNumber     string          `json:"vat_number,omitempty"`
}

// RegisterAccount registers a customer organisation under a newly
// allocated account ID. A name on the restricted-party list is accepted
// with an embargo hold on the account, in the same append.
func (s *Service) RegisterAccount(ctx context.Context, m Meta, in RegisterAccountInput) (Result, error) {
	if r, err := s.replay(ctx, m); err != nil || r != nil {
		if r != nil {
			return *r, nil
		}
		return Result{}, err
	}
	// Validate before drawing a number, so that bad requests do not use up
	// IDs; the real decision happens below with the allocated ID.
	probe := account.RegisterAccount{AccountID: "100000HQ", Name: in.Name, PrimaryDomain: in.PrimaryDomain, Address: in.Address, VATNumber: in.VATNumber, By: accountActor(m), At: s.cfg.Now()}
	if _, err := account.Decide(account.State{}, probe); err != nil {
		return Result{}, err
	}
	id, err := s.ids.NextOrgID(ctx)
	if err != nil {
		return Result{}, err
	}
	cmd := probe
	cmd.AccountID = id
	entry, _ := s.screenCompany(in.Name)
	return execute(ctx, s, m, accounts, id, account.StreamID(id), func(st account.State) ([]domain.Event, error) {
		evs, err := account.Decide(st, cmd)
		if err != nil {
			return nil, err
		}
		return accountHold(st, evs, id, account.HoldAccount, entry, cmd.By, cmd.At)
	})
}

// RenameCompanyInput is the body of RenameCompany.
type RenameCompanyInput struct {
	NewName  string                 `json:"new_name"`
	Evidence account.RenameEvidence `json:"evidence"`
}

// RenameCompany renames a customer organisation. A new name on the
// restricted-party list is accepted with an embargo hold on the account
// (unless it is on hold already), in the same append.
func (s *Service) RenameCompany(ctx context.Context, m Meta, accountID string, in RenameCompanyInput) (Result, error) {
	if !account.ValidID(accountID) {
		return Result{}, domain.ErrNotFound
	}
	by, at := accountActor(m), s.cfg.Now()
	return s.Run(ctx, m, accountID, account.StreamID(accountID), func(u *Unit) error {
		return u.renameCompany(accountID, in, by, at)
	})
}

// renameCompany decides, within u, the rename of accountID by by at at and
// emits its events: account.renamed, with an embargo hold when the new
// name is on the restricted-party list. A case's approval runs it in the
// approval's own attempt.
func (u *Unit) renameCompany(accountID string, in RenameCompanyInput, by domain.Actor, at time.Time) error {
	cmd := account.RenameCompany{AccountID: accountID, NewName: in.NewName, Evidence: in.Evidence, By: by, At: at}
	entry, _ := u.s.screenCompany(in.NewName)
	stream := account.StreamID(accountID)
	st, err := Load(u, accounts, stream)
	if err != nil {
		return err
	}
	evs, err := account.Decide(st, cmd)
	if err != nil {
		return err
	}
	if evs, err = accountHold(st, evs, accountID, account.HoldAccount, entry, cmd.By, cmd.At); err != nil {
		return err
	}
	u.Emit(stream, evs...)
	return nil
}

// onAccount runs a command on one existing account: within one attempt it
// resolves the acting party, loads the account and lets decide choose the
// events, which are appended at the version the account was read at. An
// account ID of the wrong form is answered as unknown, before any I/O.
func (s *Service) onAccount(ctx context.Context, m Meta, accountID string, decide func(u *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error)) (Result, error) {
	if !account.ValidID(accountID) {
		return Result{}, domain.ErrNotFound
	}
	stream := account.StreamID(accountID)
	return s.Run(ctx, m, accountID, stream, func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, _, err := u.Account(accountID)
		if err != nil {
			return err
		}
		evs, err := decide(u, st, by, s.cfg.Now())
		if err != nil {
			return err
		}
		u.Emit(stream, evs...)
		return nil
	})
}

// ChangeAddressInput is the body of ChangeAddress.
type ChangeAddressInput struct {
	Address account.Address `json:"address"`
}

// ChangeAddress moves a customer organisation; its region follows the
// country.
func (s *Service) ChangeAddress(ctx context.Context, m Meta, accountID string, in ChangeAddressInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.ChangeAddress{AccountID: accountID, Address: in.Address, By: by, At: at})
	})
}

// SetVATNumberInput is the body of SetVATNumber.
type SetVATNumberInput struct {
	// VATNumber is the new number; empty removes it.
	VATNumber string `json:"vat_number"`
}

// SetVATNumber sets, changes or removes the VAT number of an account.
func (s *Service) SetVATNumber(ctx context.Context, m Meta, accountID string, in SetVATNumberInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.SetVATNumber{AccountID: accountID, VATNumber: in.VATNumber, By: by, At: at})
	})
}

// TagAccountInput is the body of TagAccount.
type TagAccountInput struct {
	Tag string `json:"tag"`
}

// TagAccount puts a tag on an account.
func (s *Service) TagAccount(ctx context.Context, m Meta, accountID string, in TagAccountInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.TagAccount{AccountID: accountID, Tag: in.Tag, By: by, At: at})
	})
}

// UntagAccount takes tag off an account.
func (s *Service) UntagAccount(ctx context.Context, m Meta, accountID, tag string) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.UntagAccount{AccountID: accountID, Tag: tag, By: by, At: at})
	})
}

// AddContactInput is the body of AddContact and AddPartnerContact.
type AddContactInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Phone is optional: an international or local phone number.
	Phone string `json:"phone,omitempty"`
	// Roles of a customer contact: org_admin, business_executive, billing,
	// technical; of a partner contact: org_admin, business_executive,
	// admin_agent, sales_agent.
	Roles []string `json:"roles"`
	// Access: restricted or unrestricted.
	Access string `json:"access"`
}

// AddContact adds a contact to a customer account under a newly allocated
// contact ID; the answer's id is that contact ID, its stream the account's.
// Like every command that creates under a drawn number (Service.create) it
// is first decided with a stand-in ID, so that a refused request uses up
// no number. A name on the restricted-party list is accepted with an
// embargo hold on the new contact, in the same append.
func (s *Service) AddContact(ctx context.Context, m Meta, accountID string, in AddContactInput) (Result, error) {
	if !account.ValidID(accountID) {
		return Result{}, domain.ErrNotFound
	}
	entry, _ := s.screenPerson(in.Name)
	return s.addContact(ctx, m, account.StreamID(accountID), func(u *Unit, contactID string, by domain.Actor, at time.Time) ([]domain.Event, error) {
		st, _, err := u.Account(accountID)
		if err != nil {
			return nil, err
		}
		evs, err := account.Decide(st, account.AddContact{AccountID: accountID, ContactID: contactID, Name: in.Name, Email: in.Email, Phone: in.Phone,
			Roles: in.Roles, Access: in.Access, By: by, At: at})
		if err != nil {
			return nil, err
		}
		return accountHold(st, evs, accountID, contactID, entry, by, at)
	})
}

// addContact runs a command adding a contact to the organisation of stream
// under a contact ID drawn once decide accepted it with a stand-in.
func (s *Service) addContact(ctx context.Context, m Meta, stream string, decide func(u *Unit, contactID string, by domain.Actor, at time.Time) ([]domain.Event, error)) (Result, error) {
	onOrg := func(string) string { return stream }
	return s.create(ctx, m, numbering.Contact, "C-", onOrg, func(u *Unit, contactID string) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		evs, err := decide(u, contactID, by, s.cfg.Now())
		if err != nil {
			return err
		}
		u.Emit(stream, evs...)
		return nil
	})
}

// SetContactAccessInput is the body of SetContactAccess, for customer and
// partner contacts alike.
type SetContactAccessInput struct {
	// Access: restricted or unrestricted.
	Access string `json:"access"`
}

// SetContactAccess makes a customer contact restricted or unrestricted. A
// contact ID of the wrong form is answered as unknown.
func (s *Service) SetContactAccess(ctx context.Context, m Meta, accountID, contactID string, in SetContactAccessInput) (Result, error) {
	if !ids.Contact(contactID) {
		return Result{}, domain.ErrNotFound
	}
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.SetContactAccess{AccountID: accountID, ContactID: contactID, Access: in.Access, By: by, At: at})
	})
}

// SetInvoiceDeliveryInput is the body of SetInvoiceDelivery.
type SetInvoiceDeliveryInput struct {
	// Mode: paper or paperless.
	Mode string `json:"mode"`
	// Recipients of paperless invoices, the first the primary.
	Recipients []string `json:"recipients,omitempty"`
}

// SetInvoiceDelivery chooses paper or paperless invoices for an account.
func (s *Service) SetInvoiceDelivery(ctx context.Context, m Meta, accountID string, in SetInvoiceDeliveryInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.SetInvoiceDelivery{AccountID: accountID, Mode: in.Mode, Recipients: in.Recipients, By: by, At: at})
	})
}

// partnerFact loads partner id within u for a decision on an account that
// names it. An ID of the wrong form is not looked up: the zero fact lets
// the account's validation name the field.
func partnerFact(u *Unit, id string) (partner.State, domain.OrgRef, error) {
	if !partner.ValidID(id) {
		return partner.State{}, domain.OrgRef{}, nil
	}
	return u.Partner(id)
}

// AssignSolutionAdvisorInput is the body of AssignSolutionAdvisor.
type AssignSolutionAdvisorInput struct {
	PartnerID string `json:"partner_id"`
	ContactID string `json:"contact_id"`
}

// AssignSolutionAdvisor makes a contact of an advisor partner the
// customer's solution advisor; the facts about the partner come from the
// partner's own stream, read in the same attempt.
func (s *Service) AssignSolutionAdvisor(ctx context.Context, m Meta, accountID string, in AssignSolutionAdvisorInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(u *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		ps, ref, err := partnerFact(u, in.PartnerID)
		if err != nil {
			return nil, err
		}
		_, known := ps.Contacts[in.ContactID]
		return account.Decide(st, account.AssignSolutionAdvisor{
			AccountID: accountID, PartnerID: in.PartnerID, ContactID: in.ContactID,
			Advisor: ref, IsAdvisor: ps.Is(partner.KindAdvisor), ContactKnown: known,
			By: by, At: at,
		})
	})
}

// GrantViewRightsInput is the body of GrantViewRights.
type GrantViewRightsInput struct {
	PartnerID string `json:"partner_id"`
	// Scope: all or assigned.
	Scope string `json:"scope"`
	// LicenseIDs the partner may see when Scope is assigned.
	LicenseIDs []string `json:"license_ids,omitempty"`
}

// GrantViewRights lets a partner see all or some of the customer's
// licenses, replacing its earlier rights.
func (s *Service) GrantViewRights(ctx context.Context, m Meta, accountID string, in GrantViewRightsInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(u *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		_, ref, err := partnerFact(u, in.PartnerID)
		if err != nil {
			return nil, err
		}
		return account.Decide(st, account.GrantViewRights{
			AccountID: accountID, PartnerID: in.PartnerID, Scope: in.Scope, LicenseIDs: in.LicenseIDs,
			Partner: ref, By: by, At: at,
		})
	})
}

// RevokeViewRights removes all of a partner's visibility of the customer's
// licenses. A partner ID of the wrong form is answered as unknown.
func (s *Service) RevokeViewRights(ctx context.Context, m Meta, accountID, partnerID string) (Result, error) {
	if !partner.ValidID(partnerID) {
		return Result{}, domain.ErrNotFound
	}
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.RevokeViewRights{AccountID: accountID, PartnerID: partnerID, By: by, At: at})
	})
}

// DesignateRenewalPartnerInput is the body of DesignateRenewalPartner.
type DesignateRenewalPartnerInput struct {
	PartnerID string `json:"partner_id"`
}

// DesignateRenewalPartner makes a partner the customer's renewal partner.
func (s *Service) DesignateRenewalPartner(ctx context.Context, m Meta, accountID string, in DesignateRenewalPartnerInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(u *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		_, ref, err := partnerFact(u, in.PartnerID)
		if err != nil {
			return nil, err
		}
		return account.Decide(st, account.DesignateRenewalPartner{AccountID: accountID, PartnerID: in.PartnerID, Partner: ref, By: by, At: at})
	})
}

// RemoveRenewalPartner leaves the customer without a renewal partner.
func (s *Service) RemoveRenewalPartner(ctx context.Context, m Meta, accountID string) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.RemoveRenewalPartner{AccountID: accountID, By: by, At: at})
	})
}

// ClearEmbargoHoldInput is the body of ClearEmbargoHold, on accounts and
// partners alike.
type ClearEmbargoHoldInput struct {
	// Party is "account" (on a partner: "partner") for a hold on the
	// organisation, else the ID of the contact on hold.
	Party string `json:"party"`
	// Note records what compliance verified.
	Note string `json:"note"`
}

// ClearEmbargoHold lifts an embargo hold once compliance verified the
// match. Compliance staff only. It also ends the 6-hour wait of the
// principals the hold denied: access is checked against the holds that
// stand (HoldOn), and a hold placed later is another hold.
func (s *Service) ClearEmbargoHold(ctx context.Context, m Meta, accountID string, in ClearEmbargoHoldInput) (Result, error) {
	return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return account.Decide(st, account.ClearEmbargoHold{AccountID: accountID, Party: in.Party, Note: in.Note, By: by, At: at})
	})
}
