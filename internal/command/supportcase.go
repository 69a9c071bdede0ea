package command

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var cases = Aggregate[supportcase.State]{Evolve: supportcase.Evolve}

// OpenCaseInput is the body of OpenCase. Requester is the principal the
// case is for: the caller when left out; staff may name someone else.
// Proposed is the command the case asks to execute, as a JSON object.
type OpenCaseInput struct {
	RequestType string          `json:"request_type"`
	Subject     string          `json:"subject"`
	AccountID   string          `json:"account_id"`
	Requester   string          `json:"requester,omitempty"`
	Description string          `json:"description"`
	Evidence    []string        `json:"evidence,omitempty"`
	Proposed    json.RawMessage `json:"proposed,omitempty"`
}

// OpenCase opens a support case under a newly drawn case number. A
// proposal is checked twice before anything is drawn or appended: its
// input decodes strictly as the body of the operation it names (unknown
// fields are refused, as the direct route refuses them), and the domain
// checks its form and the approval rules (supportcase.Decide).
func (s *Service) OpenCase(ctx context.Context, m Meta, in OpenCaseInput) (Result, error) {
	at := s.cfg.Now()
	requester := in.Requester
	if requester == "" {
		requester = m.Principal.ID
	}
	if err := checkProposalInput(in.Proposed); err != nil {
		return Result{}, err
	}
	return s.create(ctx, m, numbering.Case, "CASE-", supportcase.StreamID, func(u *Unit, number string) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		cmd := supportcase.OpenCase{
			CaseNumber: number, RequestType: in.RequestType, Subject: in.Subject, AccountID: in.AccountID, Requester: requester,
			Description: in.Description, Evidence: in.Evidence, Proposed: in.Proposed, By: by, At: at,
		}
		if ids.Org(in.AccountID) {
			acct, ref, err := u.Account(in.AccountID)
			if err != nil {
				return err
			}
			cmd.Account = ref
			if by.Kind == domain.KindPartner && acct.Exists() {
				if cmd.PartnerRelated, err = u.partnerRelated(acct, by.PartnerID); err != nil {
					return err
				}
			}
		}
		evs, err := supportcase.Decide(supportcase.State{}, cmd)
		if err != nil {
			return err
		}
		u.Emit(supportcase.StreamID(number), evs...)
		return nil
	})
}

// onCase runs a command on the existing case number, decided by cmd with
// the acting party resolved.
func (s *Service) onCase(ctx context.Context, m Meta, number string, cmd func(by domain.Actor) supportcase.Command) (Result, error) {
	if !ids.Case(number) {
		return Result{}, domain.ErrNotFound
	}
	return s.Run(ctx, m, number, supportcase.StreamID(number), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, cases, supportcase.StreamID(number))
		if err != nil {
			return err
		}
		evs, err := supportcase.Decide(st, cmd(by))
		if err != nil {
			return err
		}
		u.Emit(supportcase.StreamID(number), evs...)
		return nil
	})
}

// RequestInformationInput is the body of RequestInformation.
type RequestInformationInput struct {
	What string `json:"what"`
}

// RequestInformation sends a case back to its requester, who has 24 hours
// to answer.
func (s *Service) RequestInformation(ctx context.Context, m Meta, number string, in RequestInformationInput) (Result, error) {
	at := s.cfg.Now()
	return s.onCase(ctx, m, number, func(by domain.Actor) supportcase.Command {
		return supportcase.RequestInformation{CaseNumber: number, What: in.What, By: by, At: at}
	})
}

// ProvideInformationInput is the body of ProvideInformation.
type ProvideInformationInput struct {
	Information string   `json:"information,omitempty"`
	Evidence    []string `json:"evidence,omitempty"`
}

// ProvideInformation answers a case's request for information.
func (s *Service) ProvideInformation(ctx context.Context, m Meta, number string, in ProvideInformationInput) (Result, error) {
	at := s.cfg.Now()
	return s.onCase(ctx, m, number, func(by domain.Actor) supportcase.Command {
		return supportcase.ProvideInformation{CaseNumber: number, Information: in.Information, Evidence: in.Evidence, By: by, At: at}
	})
}

// ApproveCaseInput is the body of ApproveCase.
type ApproveCaseInput struct {
	Note string `json:"note,omitempty"`
}

// RejectCaseInput is the body of RejectCase.
type RejectCaseInput struct {
	Reason string `json:"reason"`
}

// RejectCase rejects a case, saying why.
func (s *Service) RejectCase(ctx context.Context, m Meta, number string, in RejectCaseInput) (Result, error) {
	at := s.cfg.Now()
	return s.onCase(ctx, m, number, func(by domain.Actor) supportcase.Command {
		return supportcase.RejectCase{CaseNumber: number, Reason: in.Reason, By: by, At: at}
	})
}

// partnerRelated reports whether partner partnerID is related to the
// customer acct: through its orders, view rights, renewal or advice (the
// account knows those), or manage rights under one of its agreements
// (each agreement knows its own; they are loaded within u, so a right
// granted or revoked meanwhile conflicts).
func (u *Unit) partnerRelated(acct account.State, partnerID string) (bool, error) {
	if len(acct.Relationships()[partnerID]) > 0 {
		return true, nil
	}
	for _, number := range slices.Sorted(maps.Keys(acct.Contracts)) {
		c, err := Load(u, contracts, contract.StreamID(number))
		if err != nil {
			return false, err
		}
		if c.ManagedByPartner(partnerID) {
			return true, nil
		}
	}
	return false, nil
}

// checkProposalInput decodes the input of a proposal that names a known
// operation as that operation's body, strictly. A proposal of another
// form is left to the domain, which names what is wrong with it.
func checkProposalInput(raw json.RawMessage) error {
	var p supportcase.Proposal
	if len(raw) == 0 || p.UnmarshalJSON(raw) != nil {
		return nil
	}
	pr, ok := p.Decode()
	if !ok {
		return nil
	}
	var in any
	switch pr.Operation {
	case supportcase.OperationRenameCompany:
		in = &RenameCompanyInput{}
	case supportcase.OperationMergeAccounts:
		in = &MergeAccountsInput{}
	case supportcase.OperationSplitLicense:
		in = &SplitLicenseInput{}
	case supportcase.OperationTransferLicense:
		in = &TransferLicenseInput{}
	case supportcase.OperationConsolidateAccounts:
		in = &ConsolidateAccountsInput{}
	case supportcase.OperationTerminateContract:
		in = &TerminateContractInput{}
	default:
		return nil
	}
	if t := bytes.TrimSpace(pr.Input); len(t) == 0 || t[0] != '{' {
		return nil // the domain names it
	}
	return decodeProposalInput(pr, in)
}
