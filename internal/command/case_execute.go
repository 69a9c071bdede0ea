package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
)

// RuleExecutionRefused is the rule of the answer to an approval whose
// proposed change the domain refused: the case stays open, with the
// refusal recorded (supportcase.execution_refused), and nothing of the
// change or the approval is appended. The detail names the refusing rule
// and its reason.
const RuleExecutionRefused = "supportcase.execution_refused"

// ApproveCase approves a case. A case whose proposal names an operation
// (see supportcase.Proposed) is executed by the approval: within one
// attempt the case's supportcase.approved and supportcase.executed and
// every event of the change (account.renamed, account.merged and what
// moves with it — once per account for a consolidation —, license.split
// ..., license.transferred ..., contract.manage_rights_revoked ...
// contract.terminated) are decided,
// and appended in ONE atomic append, each stream at the version it was
// read at. They share the append's metadata: its command_id, the request's
// correlation_id, and causation_id — the approval command's own ID (equal
// to command_id) unless the caller named another cause. A concurrent
// change to any stream read makes the whole approval be decided again; one
// still conflicting after the service's attempts is an ErrConflict and
// nothing is appended.
//
// The change is executed as the approving staff member, with the
// proposal's input as the body of the direct command: a split is approved
// by this very case (its approval_case). When the domain refuses the change
// (a rule, a malformed input, a target that does not exist or no longer
// belongs to the case's account), nothing of that attempt is appended;
// instead supportcase.execution_refused is recorded on the case alone, in
// an append of its own (without the request's idempotency key, so a retry
// with that key tries again), and the answer is a rule violation
// RuleExecutionRefused whose detail names the refusing rule. The case stays
// open: staff may ask for information or reject it.
//
// A case without a proposal is only approved, as before: executing what
// it asks for is a command of its own (a split names the approved case).
func (s *Service) ApproveCase(ctx context.Context, m Meta, number string, in ApproveCaseInput) (Result, error) {
	if !ids.Case(number) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	stream := supportcase.StreamID(number)
	var partIDs []string // a split's drawn license IDs, kept across attempts
	res, err := s.Run(ctx, m, number, stream, func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, cases, stream)
		if err != nil {
			return err
		}
		evs, err := supportcase.Decide(st, supportcase.ApproveCase{CaseNumber: number, Note: in.Note, By: by, At: at})
		if err != nil {
			return err
		}
		u.Emit(stream, evs...)
		for _, e := range evs {
			if _, ok := e.(supportcase.CaseExecuted); ok {
				pr, _ := st.Proposed.Decode()
				if err := u.executeProposal(st, pr, by, at, &partIDs); err != nil {
					return refusal(pr, err)
				}
			}
		}
		return nil
	})
	var r *executionRefusal
	if !errors.As(err, &r) {
		return res, err
	}
	// The refusal is recorded as its own command: without the idempotency
	// key, whose answer would otherwise be this record rather than the
	// approval.
	rm := m
	rm.IdempotencyKey, rm.RequestHash = "", ""
	if _, rerr := s.onCase(ctx, rm, number, func(by domain.Actor) supportcase.Command {
		return supportcase.RecordExecutionRefused{CaseNumber: number, Code: r.code, Reason: r.reason, By: by, At: at}
	}); rerr != nil {
		return Result{}, rerr
	}
	return Result{}, domain.Rule(RuleExecutionRefused, "case %s was not executed and stays open: %s %s was refused: %s (rule %s)",
		number, r.operation, r.target, r.reason, r.code)
}

// executionRefusal is the domain's refusal of a case's proposed change,
// in the attempt that was to execute it.
type executionRefusal struct {
	operation, target string
	code, reason      string
	err               error
}

func (e *executionRefusal) Error() string {
	return fmt.Sprintf("%s %s refused: %s: %s", e.operation, e.target, e.code, e.reason)
}

// Unwrap lets the run loop see the domain error underneath (a refusal on a
// cached state is decided again from the store).
func (e *executionRefusal) Unwrap() error { return e.err }

// refusal wraps err, from executing proposal pr, as an executionRefusal
// when the domain refused the change; anything else (a conflict, the
// store) is returned as it is.
//
// The refusal is recorded on the case, which its requester and the
// parties related to its account read (GET /v1/cases/{number}, the
// activity log), so it must tell them nothing about other parties: a
// license or agreement that does not exist is refused as one that is not
// the case's account's (RuleTargetNotOfAccount), and a merge or
// consolidation refused for the state of an account other than the case's
// (merged already, on an embargo hold, missing) as RuleAccountNotMergeable,
// and a transfer refused for the receiving account's as
// RuleTransferTargetUnavailable, without saying which state. Staff read
// the account itself.
func refusal(pr supportcase.Proposed, err error) error {
	r := &executionRefusal{operation: pr.Operation, target: pr.Target, err: err}
	var (
		ru *domain.RuleError
		va *domain.ValidationError
		fo *domain.ForbiddenError
	)
	merging := pr.Operation == supportcase.OperationMergeAccounts || pr.Operation == supportcase.OperationConsolidateAccounts
	switch {
	case merging && (errors.Is(err, domain.ErrNotFound) || errors.As(err, &ru) && undisclosedMergeRules[ru.Rule]):
		r.code, r.reason = RuleAccountNotMergeable, "an account the proposal names, other than the case's, cannot be merged as it stands"
	case pr.Operation == supportcase.OperationTransferLicense && errors.As(err, &ru) && undisclosedTransferRules[ru.Rule]:
		r.code, r.reason = RuleTransferTargetUnavailable, "the account the proposal transfers the license to cannot receive it as it stands"
	case errors.Is(err, domain.ErrNotFound):
		r.code, r.reason = supportcase.RuleTargetNotOfAccount, fmt.Sprintf("%s %s is not one of the case's account's", targetKind(pr.Operation), pr.Target)
	case errors.As(err, &ru):
		r.code, r.reason = ru.Rule, ru.Detail
	case errors.As(err, &va):
		msgs := make([]string, len(va.Problems))
		for i, p := range va.Problems {
			msgs[i] = p.Field + " " + p.Message
		}
		r.code, r.reason = "validation_failed", "the proposal's input is invalid: "+strings.Join(msgs, "; ")
	case errors.As(err, &fo):
		r.code, r.reason = "forbidden", fo.Reason
	case errors.Is(err, domain.ErrDuplicate):
		r.code, r.reason = "duplicate", err.Error()
	default:
		return err
	}
	return r
}

// RuleAccountNotMergeable is the code recorded for a merge or
// consolidation refused for the state of an account the case's parties may
// not know about (see refusal).
const RuleAccountNotMergeable = "supportcase.account_not_mergeable"

// RuleTransferTargetUnavailable is the code recorded for a transfer
// refused for the state of the receiving account (missing, merged into
// another), which the case's parties may not know about (see refusal).
const RuleTransferTargetUnavailable = "supportcase.transfer_target_unavailable"

// undisclosedTransferRules are the transfer refusals that describe the
// receiving account's state.
var undisclosedTransferRules = map[string]bool{"license.transfer_target_unknown": true, "license.transfer_target_merged": true}

// undisclosedMergeRules are the merge refusals that describe an account's
// state: merged (and into which), on an embargo hold, holding an active
// agreement (and which).
var undisclosedMergeRules = map[string]bool{
	"account.merged": true, "account.merge_target_merged": true, "account.merge_cycle": true, "account.merge_embargo_hold": true,
	"account.merge_active_agreements": true,
}

func targetKind(operation string) string {
	switch operation {
	case supportcase.OperationSplitLicense, supportcase.OperationTransferLicense:
		return "license"
	case supportcase.OperationTerminateContract:
		return "agreement"
	}
	return "account"
}

// executeProposal decides, within u, the change case c proposes (pr),
// executed by by at at, and emits its events.
func (u *Unit) executeProposal(c supportcase.State, pr supportcase.Proposed, by domain.Actor, at time.Time, partIDs *[]string) error {
	if err := supportcase.Executable(c, pr); err != nil {
		return err
	}
	switch pr.Operation {
	case supportcase.OperationRenameCompany:
		var in RenameCompanyInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if !ids.Org(pr.Target) {
			return domain.ErrNotFound
		}
		return u.renameCompany(pr.Target, in, by, at)
	case supportcase.OperationMergeAccounts:
		var in MergeAccountsInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if !ids.Org(pr.Target) {
			return domain.ErrNotFound
		}
		return u.mergeAccounts(pr.Target, in, by, at)
	case supportcase.OperationConsolidateAccounts:
		var in ConsolidateAccountsInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if !ids.Org(pr.Target) {
			return domain.ErrNotFound
		}
		return u.consolidateAccounts(pr.Target, in, by, at)
	case supportcase.OperationSplitLicense:
		var in SplitLicenseInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if !ids.License(pr.Target) {
			return domain.ErrNotFound
		}
		// This case is the split's approval: being approved in this very
		// append, it cannot be read as approved from the store.
		in.ApprovalCase = c.Number
		return u.splitLicense(pr.Target, in, by, at, partIDs, func(owner string) error {
			return supportcase.TargetOfAccount(c, pr, owner)
		})
	case supportcase.OperationTransferLicense:
		var in TransferLicenseInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if !ids.License(pr.Target) {
			return domain.ErrNotFound
		}
		lic, err := Load(u, licenses, license.StreamID(pr.Target))
		if err != nil {
			return err
		}
		if !lic.Exists() {
			return domain.ErrNotFound
		}
		if err := supportcase.TargetOfAccount(c, pr, lic.Owner); err != nil {
			return err
		}
		// This case is the transfer's approval, completed by this very
		// append (supportcase.executed).
		in.ApprovalCase = c.Number
		return u.transferLicense(pr.Target, in, by, at, func(string) error { return nil })
	case supportcase.OperationTerminateContract:
		var in TerminateContractInput
		if err := decodeProposalInput(pr, &in); err != nil {
			return err
		}
		if _, ok := ids.Contract(pr.Target); !ok {
			return domain.ErrNotFound
		}
		agr, err := Load(u, contracts, contract.StreamID(pr.Target))
		if err != nil {
			return err
		}
		if !agr.Exists() {
			return domain.ErrNotFound
		}
		if err := supportcase.TargetOfAccount(c, pr, agr.AccountID); err != nil {
			return err
		}
		return u.terminateContract(pr.Target, in, by, at)
	}
	return domain.Rule(supportcase.RuleNotExecutable, "operation %q is not executable through a case", pr.Operation)
}

// decodeProposalInput decodes a proposal's input as the body of the direct
// command, as strictly as the API decodes that body: unknown fields are a
// validation problem.
func decodeProposalInput(pr supportcase.Proposed, v any) error {
	d := json.NewDecoder(bytes.NewReader(pr.Input))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var p domain.Problems
		p.Add("proposed.input", "must be the body of %s: %s", pr.Operation, strings.TrimPrefix(err.Error(), "json: "))
		return p.Err()
	}
	return nil
}
