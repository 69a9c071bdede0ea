package command

import (
	"context"
	"fmt"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
)

// MergeAccountsInput is the body of MergeAccounts.
type MergeAccountsInput struct {
	// Into is the surviving account.
	Into string `json:"into"`
	// Reason: duplicate, acquisition, merger or downsizing.
	Reason string `json:"reason"`
	// Evidence: one or more references (documents, the support case).
	Evidence []string `json:"evidence"`
}

// MergeAccounts merges account sourceID into in.Into. Everything the merge
// touches is appended in one atomic append, each stream at the version it
// was read at: the merged account (account.merged), the survivor
// (account.merge_received), and every license, agreement and order the
// merged account held (license.owner_changed, contract.owner_changed,
// order.customer_changed). So either all of it is recorded or none of it;
// a concurrent change to any of those streams (a license issued to the
// source, an agreement changed, an order fulfilled) makes the whole merge
// be decided again on fresh state. Contacts and relationships move with
// the account events themselves.
func (s *Service) MergeAccounts(ctx context.Context, m Meta, sourceID string, in MergeAccountsInput) (Result, error) {
	if !account.ValidID(sourceID) {
		return Result{}, domain.ErrNotFound
	}
	return s.Run(ctx, m, sourceID, account.StreamID(sourceID), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		return u.mergeAccounts(sourceID, in, by, u.s.cfg.Now())
	})
}

// mergeAccounts decides, within u, the merge of sourceID into in.Into by
// by at at, and emits the events of everything it touches (see
// MergeAccounts). A case's approval runs it in the approval's own attempt.
func (u *Unit) mergeAccounts(sourceID string, in MergeAccountsInput, by domain.Actor, at time.Time) error {
	source, _, err := u.Account(sourceID)
	if err != nil {
		return err
	}
	// A target of the wrong form is not looked up; Merge names the
	// field.
	var target account.State
	if account.ValidID(in.Into) {
		if target, _, err = u.Account(in.Into); err != nil {
			return err
		}
	}
	terminated, err := u.terminatedAgreements(source, target)
	if err != nil {
		return err
	}
	plan, err := account.Merge(source, target, account.MergeAccounts{
		SourceID: sourceID, TargetID: in.Into, Reason: in.Reason, Evidence: in.Evidence, Terminated: terminated, By: by, At: at,
	})
	if err != nil {
		return err
	}
	return u.emitMerge(plan, merging{u: u, source: sourceID, target: target.ID, by: by, at: at})
}

// emitMerge emits the account events of a decided merge, and decides and
// emits the move of every license, agreement and order it moves.
func (u *Unit) emitMerge(plan account.MergePlan, mv merging) error {
	u.EmitAll(plan.Streams)
	if err := moveAll(mv, licenses, "license", plan.Licenses, license.StreamID, license.Move); err != nil {
		return err
	}
	if err := moveAll(mv, contracts, "agreement", plan.Contracts, contract.StreamID, contract.Move); err != nil {
		return err
	}
	return moveAll(mv, orders, "order", plan.Orders, order.StreamID, order.Move)
}

// ConsolidateAccountsInput is the input of a consolidation case's
// proposal (operation ConsolidateAccounts; its target is the surviving
// account). There is no direct route: accounts are consolidated only by
// approving a support case.
type ConsolidateAccountsInput struct {
	// Sources are the accounts joined into the survivor.
	Sources []string `json:"sources"`
	// Reason: duplicate, acquisition, merger or downsizing, as for a merge.
	Reason string `json:"reason"`
	// Evidence: one or more references.
	Evidence []string `json:"evidence"`
}

// consolidateAccounts decides, within u, the consolidation of in.Sources
// into targetID by by at at: one merge per source, decided in turn on the
// survivor as the merges before it left it (account.Consolidate), and
// emits all of them and everything they move, for one atomic append.
func (u *Unit) consolidateAccounts(targetID string, in ConsolidateAccountsInput, by domain.Actor, at time.Time) error {
	var target account.State
	var err error
	if account.ValidID(targetID) {
		if target, _, err = u.Account(targetID); err != nil {
			return err
		}
	}
	// Sources of the wrong form, or named twice, are not looked up:
	// Consolidate names them.
	cmd := account.ConsolidateAccounts{TargetID: targetID, SourceIDs: in.Sources, Reason: in.Reason, Evidence: in.Evidence, By: by, At: at}
	sources := make([]account.State, len(in.Sources))
	if len(in.Sources) <= account.MaxConsolidated {
		if err := u.Prefetch(accountStreams(in.Sources)...); err != nil {
			return err
		}
	}
	for i, id := range in.Sources {
		if account.ValidID(id) && id != targetID && len(in.Sources) <= account.MaxConsolidated {
			if sources[i], _, err = u.Account(id); err != nil {
				return err
			}
		}
	}
	if cmd.Terminated, err = u.terminatedAgreements(append(sources, target)...); err != nil {
		return err
	}
	plans, err := account.Consolidate(sources, target, cmd)
	if err != nil {
		return err
	}
	for i, plan := range plans {
		if err := u.emitMerge(plan, merging{u: u, source: in.Sources[i], target: targetID, by: by, at: at}); err != nil {
			return err
		}
	}
	return nil
}

// accountStreams are the streams of the accounts ids that have the form of
// an account ID.
func accountStreams(ids []string) []string {
	var out []string
	for _, id := range ids {
		if account.ValidID(id) {
			out = append(out, account.StreamID(id))
		}
	}
	return out
}

// merging is one attempt of a merge, as the aggregates it moves see it.
type merging struct {
	u              *Unit
	source, target string
	by             domain.Actor
	at             time.Time
}

// moveAll loads, within the merge's attempt, the stream of every aggregate
// of a kind (what) that the merged account held, decides with move that it
// follows the account into the target, and emits the events.
func moveAll[S interface{ Exists() bool }](mv merging, agg Aggregate[S], what string, ids []string, stream func(id string) string,
	move func(s S, to string, by domain.Actor, at time.Time) ([]domain.Event, error)) error {
	for _, id := range ids {
		sid := stream(id)
		st, err := Load(mv.u, agg, sid)
		if err != nil {
			return err
		}
		if !st.Exists() {
			// The account lists an aggregate the store does not have: our
			// data is broken, not the request.
			return fmt.Errorf("merge %s: %s %s answers under it but has no stream", mv.source, what, id)
		}
		evs, err := move(st, mv.target, mv.by, mv.at)
		if err != nil {
			return fmt.Errorf("merge %s: move %s %s: %w", mv.source, what, id, err)
		}
		mv.u.Emit(sid, evs...)
	}
	return nil
}
