package command

import (
	"context"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var contracts = Aggregate[contract.State]{Evolve: contract.Evolve}

// RegisterContractInput is the body of RegisterContract.
type RegisterContractInput struct {
	Program        string `json:"program"`
	AccountID      string `json:"account_id"`
	PrimaryAdmin   string `json:"primary_admin"`
	SecondaryAdmin string `json:"secondary_admin,omitempty"`
	DiscountLevel  int    `json:"discount_level"`
	TermStart      string `json:"term_start"`
	TermEnd        string `json:"term_end"`
}

// RegisterContract registers a license agreement under a number drawn from
// its program's sequence (ELA- or EASY-) and attaches it to the customer's
// account in the same atomic append. The account's agreements per program
// come from the account's own state, so a concurrent registration for the
// same account conflicts and is decided again.
func (s *Service) RegisterContract(ctx context.Context, m Meta, in RegisterContractInput) (Result, error) {
	kind, prefix := numbering.ContractELA, "ELA-"
	if in.Program == contract.ProgramEasy {
		kind, prefix = numbering.ContractEasy, "EASY-"
	}
	at := s.cfg.Now()
	return s.create(ctx, m, kind, prefix, contract.StreamID, func(u *Unit, number string) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		cmd := contract.RegisterContract{
			Number: number, Program: in.Program, AccountID: in.AccountID, PrimaryAdmin: in.PrimaryAdmin, SecondaryAdmin: in.SecondaryAdmin,
			DiscountLevel: in.DiscountLevel, TermStart: in.TermStart, TermEnd: in.TermEnd, By: by, At: at,
		}
		var acct account.State
		if ids.Org(in.AccountID) {
			if acct, cmd.Account, err = u.Account(in.AccountID); err != nil {
				return err
			}
			// Every agreement the account lists is active: no command ends
			// one yet (contract.StatusEnded).
			cmd.ActiveContracts = map[string]string{}
			for number, program := range acct.Contracts {
				cmd.ActiveContracts[program] = number
			}
		}
		evs, err := contract.Decide(contract.State{}, cmd)
		if err != nil {
			return err
		}
		u.Emit(contract.StreamID(number), evs...)
		link, err := account.Decide(acct, account.AttachContract{AccountID: in.AccountID, Number: number, Program: in.Program, By: by, At: at})
		if err != nil {
			return err
		}
		u.Emit(account.StreamID(in.AccountID), link...)
		return nil
	})
}

// onContract runs a command on the existing agreement number, decided by
// decide with the acting party resolved.
func (s *Service) onContract(ctx context.Context, m Meta, number string, decide func(u *Unit, by domain.Actor, st contract.State) ([]domain.Event, error)) (Result, error) {
	if _, ok := ids.Contract(number); !ok {
		return Result{}, domain.ErrNotFound
	}
	return s.Run(ctx, m, number, contract.StreamID(number), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, contracts, contract.StreamID(number))
		if err != nil {
			return err
		}
		evs, err := decide(u, by, st)
		if err != nil {
			return err
		}
		u.Emit(contract.StreamID(number), evs...)
		return nil
	})
}

// ChangeContractAdministratorsInput is the body of
// ChangeContractAdministrators; an empty secondary_admin removes the
// secondary administrator.
type ChangeContractAdministratorsInput struct {
	PrimaryAdmin   string `json:"primary_admin"`
	SecondaryAdmin string `json:"secondary_admin,omitempty"`
}

// ChangeContractAdministrators names an agreement's contract
// administrators.
func (s *Service) ChangeContractAdministrators(ctx context.Context, m Meta, number string, in ChangeContractAdministratorsInput) (Result, error) {
	at := s.cfg.Now()
	return s.onContract(ctx, m, number, func(_ *Unit, by domain.Actor, st contract.State) ([]domain.Event, error) {
		return contract.Decide(st, contract.ChangeContractAdministrators{Number: number, Primary: in.PrimaryAdmin, Secondary: in.SecondaryAdmin, By: by, At: at})
	})
}

// SetDiscountLevelInput is the body of SetDiscountLevel.
type SetDiscountLevelInput struct {
	DiscountLevel int `json:"discount_level"`
}

// SetDiscountLevel sets an agreement's discount level (1 to 6).
func (s *Service) SetDiscountLevel(ctx context.Context, m Meta, number string, in SetDiscountLevelInput) (Result, error) {
	at := s.cfg.Now()
	return s.onContract(ctx, m, number, func(_ *Unit, by domain.Actor, st contract.State) ([]domain.Event, error) {
		return contract.Decide(st, contract.SetDiscountLevel{Number: number, Level: in.DiscountLevel, By: by, At: at})
	})
}

// GrantManageRightsInput is the body of GrantManageRights.
type GrantManageRightsInput struct {
	PartnerID string `json:"partner_id"`
}

// GrantManageRights lets a partner manage an agreement. The partner is
// loaded as a fact in the same attempt.
func (s *Service) GrantManageRights(ctx context.Context, m Meta, number string, in GrantManageRightsInput) (Result, error) {
	at := s.cfg.Now()
	return s.onContract(ctx, m, number, func(u *Unit, by domain.Actor, st contract.State) ([]domain.Event, error) {
		cmd := contract.GrantManageRights{Number: number, PartnerID: in.PartnerID, By: by, At: at}
		if ids.Org(in.PartnerID) {
			var err error
			if _, cmd.Partner, err = u.Partner(in.PartnerID); err != nil {
				return nil, err
			}
		}
		return contract.Decide(st, cmd)
	})
}

// RevokeManageRights withdraws a partner's manage rights on an agreement.
// A malformed partner ID is answered as an unknown resource.
func (s *Service) RevokeManageRights(ctx context.Context, m Meta, number, partnerID string) (Result, error) {
	if !ids.Org(partnerID) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	return s.onContract(ctx, m, number, func(_ *Unit, by domain.Actor, st contract.State) ([]domain.Event, error) {
		return contract.Decide(st, contract.RevokeManageRights{Number: number, PartnerID: partnerID, By: by, At: at})
	})
}
