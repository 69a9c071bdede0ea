package command

import (
	"context"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
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
// allocated account ID.
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
	return execute(ctx, s, m, accounts, id, account.StreamID(id), func(st account.State) ([]domain.Event, error) {
		return account.Decide(st, cmd)
	})
}

// RenameCompanyInput is the body of RenameCompany.
type RenameCompanyInput struct {
	NewName  string                 `json:"new_name"`
	Evidence account.RenameEvidence `json:"evidence"`
}

// RenameCompany renames a customer organisation.
func (s *Service) RenameCompany(ctx context.Context, m Meta, accountID string, in RenameCompanyInput) (Result, error) {
	if !account.ValidID(accountID) {
		return Result{}, domain.ErrNotFound
	}
	cmd := account.RenameCompany{AccountID: accountID, NewName: in.NewName, Evidence: in.Evidence, By: accountActor(m), At: s.cfg.Now()}
	return execute(ctx, s, m, accounts, accountID, account.StreamID(accountID), func(st account.State) ([]domain.Event, error) {
		return account.Decide(st, cmd)
	})
}
