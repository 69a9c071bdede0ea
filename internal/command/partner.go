package command

import (
	"context"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/partner"
)

// onPartner runs a command on one partner organisation: within one attempt
// it resolves the acting party (for a contact of this very partner, from
// the same stream), loads the partner and lets decide choose the events,
// appended at the version the partner was read at. A partner ID of the
// wrong form is answered as unknown, before any I/O.
func (s *Service) onPartner(ctx context.Context, m Meta, partnerID string, decide func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error)) (Result, error) {
	if !partner.ValidID(partnerID) {
		return Result{}, domain.ErrNotFound
	}
	stream := partner.StreamID(partnerID)
	return s.Run(ctx, m, partnerID, stream, func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, _, err := u.Partner(partnerID)
		if err != nil {
			return err
		}
		evs, err := decide(st, by, s.cfg.Now())
		if err != nil {
			return err
		}
		u.Emit(stream, evs...)
		return nil
	})
}

// RegisterPartnerInput is the body of RegisterPartner.
type RegisterPartnerInput struct {
	Name string `json:"name"`
	// Kinds: one or more of reseller_direct, reseller_indirect,
	// distributor, advisor.
	Kinds   []string        `json:"kinds"`
	Address partner.Address `json:"address"`
	// Status is the initial program status (prospect, active, expired);
	// empty means prospect.
	Status string `json:"status,omitempty"`
}

// RegisterPartner registers a partner organisation under a newly
// allocated organisation ID (the same sequence as customer accounts). A
// name on the restricted-party list is accepted with an embargo hold on
// the partner, in the same append.
func (s *Service) RegisterPartner(ctx context.Context, m Meta, in RegisterPartnerInput) (Result, error) {
	if r, err := s.replay(ctx, m); err != nil || r != nil {
		if r != nil {
			return *r, nil
		}
		return Result{}, err
	}
	// Decide once with a stand-in ID before drawing a number, so that a
	// refused request uses up none; staff need no resolving, and anyone
	// else is refused whatever their organisation says.
	probe := partner.RegisterPartner{PartnerID: "100000HQ", Name: in.Name, Kinds: in.Kinds, Address: in.Address, Status: in.Status, By: domain.Actor{Principal: m.Principal}, At: s.cfg.Now()}
	if _, err := partner.Decide(partner.State{}, probe); err != nil {
		return Result{}, err
	}
	id, err := s.ids.NextOrgID(ctx)
	if err != nil {
		return Result{}, err
	}
	entry, _ := s.screenCompany(in.Name)
	return s.onPartner(ctx, m, id, func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		cmd := probe
		cmd.PartnerID, cmd.By, cmd.At = id, by, at
		evs, err := partner.Decide(st, cmd)
		if err != nil {
			return nil, err
		}
		return partnerHold(st, evs, id, partner.HoldPartner, entry, by, at)
	})
}

// ChangePartnerStatusInput is the body of ChangePartnerStatus.
type ChangePartnerStatusInput struct {
	// Status: prospect, active or expired.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// ChangePartnerStatus moves a partner to another program status. Only an
// active partner may act.
func (s *Service) ChangePartnerStatus(ctx context.Context, m Meta, partnerID string, in ChangePartnerStatusInput) (Result, error) {
	return s.onPartner(ctx, m, partnerID, func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return partner.Decide(st, partner.ChangePartnerStatus{PartnerID: partnerID, Status: in.Status, Reason: in.Reason, By: by, At: at})
	})
}

// AddPartnerContact adds a contact to a partner under a newly allocated
// contact ID; the answer's id is that contact ID, its stream the
// partner's. Like AddContact it is first decided with a stand-in ID, so
// that a refused request uses up no number. A name on the restricted-party
// list is accepted with an embargo hold on the new contact, in the same
// append.
func (s *Service) AddPartnerContact(ctx context.Context, m Meta, partnerID string, in AddContactInput) (Result, error) {
	if !partner.ValidID(partnerID) {
		return Result{}, domain.ErrNotFound
	}
	entry, _ := s.screenPerson(in.Name)
	return s.addContact(ctx, m, partner.StreamID(partnerID), func(u *Unit, contactID string, by domain.Actor, at time.Time) ([]domain.Event, error) {
		st, _, err := u.Partner(partnerID)
		if err != nil {
			return nil, err
		}
		evs, err := partner.Decide(st, partner.AddPartnerContact{PartnerID: partnerID, ContactID: contactID, Name: in.Name, Email: in.Email, Phone: in.Phone,
			Roles: in.Roles, Access: in.Access, By: by, At: at})
		if err != nil {
			return nil, err
		}
		return partnerHold(st, evs, partnerID, contactID, entry, by, at)
	})
}

// SetPartnerContactAccess makes a partner contact restricted or
// unrestricted. A contact ID of the wrong form is answered as unknown.
func (s *Service) SetPartnerContactAccess(ctx context.Context, m Meta, partnerID, contactID string, in SetContactAccessInput) (Result, error) {
	if !partner.ValidContactID(contactID) {
		return Result{}, domain.ErrNotFound
	}
	return s.onPartner(ctx, m, partnerID, func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return partner.Decide(st, partner.SetContactAccess{PartnerID: partnerID, ContactID: contactID, Access: in.Access, By: by, At: at})
	})
}

// ClearPartnerEmbargoHold lifts an embargo hold on a partner or one of its
// contacts once compliance verified the match. Compliance staff only. As
// for accounts, it ends the wait of the principals the hold denied.
func (s *Service) ClearPartnerEmbargoHold(ctx context.Context, m Meta, partnerID string, in ClearEmbargoHoldInput) (Result, error) {
	return s.onPartner(ctx, m, partnerID, func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
		return partner.Decide(st, partner.ClearEmbargoHold{PartnerID: partnerID, Party: in.Party, Note: in.Note, By: by, At: at})
	})
}
