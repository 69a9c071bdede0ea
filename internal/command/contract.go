package command

import (
	"context"
	"maps"
	"slices"
	"time"

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
// same account conflicts and is decided again; whether each is still
// active (not terminated) comes from its own stream, read in the same
// attempt, so a concurrent termination conflicts too.
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
			if cmd.ActiveContracts, err = u.activeContracts(acct); err != nil {
				return err
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

// activeContracts maps each program to the account's active agreement
// under it: every agreement acct lists is loaded within u (its stream is
// asserted at the version read), and a terminated one does not count.
func (u *Unit) activeContracts(acct account.State) (map[string]string, error) {
	terminated, err := u.terminatedAgreements(acct)
	if err != nil {
		return nil, err
	}
	active := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(acct.Contracts)) {
		if !terminated[n] {
			active[acct.Contracts[n]] = n
		}
	}
	return active, nil
}

// terminatedAgreements loads, within u, every agreement the accounts list
// (terminated agreements stay listed: they are the account's history) and
// returns the numbers of those terminated. Each is asserted at its
// version, so a concurrent termination makes the command be decided again.
func (u *Unit) terminatedAgreements(accts ...account.State) (map[string]bool, error) {
	var numbers []string
	for _, a := range accts {
		numbers = append(numbers, slices.Sorted(maps.Keys(a.Contracts))...)
	}
	streams := make([]string, len(numbers))
	for i, n := range numbers {
		streams[i] = contract.StreamID(n)
	}
	if err := u.Prefetch(streams...); err != nil {
		return nil, err
	}
	terminated := map[string]bool{}
	for i, n := range numbers {
		st, err := Load(u, contracts, streams[i])
		if err != nil {
			return nil, err
		}
		if st.Status == contract.StatusTerminated {
			terminated[n] = true
		}
	}
	return terminated, nil
}

// TerminateContractInput is the input of a termination case's proposal
// (operation TerminateContract): there is no direct route, a termination
// is executed only by approving its case.
type TerminateContractInput struct {
	Reason string `json:"reason"`
	// Evidence: one or more references (the customer's notice, the case's
	// documents).
	Evidence []string `json:"evidence"`
}

// terminateContract decides, within u, that agreement number is terminated
// by by at at (executing a termination case), and emits the revocations of
// every partner's manage rights and contract.terminated on its stream.
func (u *Unit) terminateContract(number string, in TerminateContractInput, by domain.Actor, at time.Time) error {
	stream := contract.StreamID(number)
	st, err := Load(u, contracts, stream)
	if err != nil {
		return err
	}
	evs, err := contract.Decide(st, contract.TerminateContract{Number: number, Reason: in.Reason, Evidence: in.Evidence, By: by, At: at})
	if err != nil {
		return err
	}
	u.Emit(stream, evs...)
	return nil
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
