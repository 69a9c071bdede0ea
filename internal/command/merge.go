package command

import (
	"context"
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/license"
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
// (account.merge_received), and every license and agreement the merged
// account held (license.owner_changed, contract.owner_changed). So either
// all of it is recorded or none of it; a concurrent change to any of those
// streams (a license issued to the source, an agreement changed) makes the
// whole merge be decided again on fresh state.
//
// Orders are not written: the order aggregate has no owner change, and an
// order stays the history of the customer it was placed for. The orders
// answer under the survivor through account.merge_received, and a
// fulfilment racing the merge conflicts on the source account's stream, to
// which it appends account.license_attached.
func (s *Service) MergeAccounts(ctx context.Context, m Meta, sourceID string, in MergeAccountsInput) (Result, error) {
	if !account.ValidID(sourceID) {
		return Result{}, domain.ErrNotFound
	}
	return s.Run(ctx, m, sourceID, account.StreamID(sourceID), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
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
		at := s.cfg.Now()
		plan, err := account.Merge(source, target, account.MergeAccounts{
			SourceID: sourceID, TargetID: in.Into, Reason: in.Reason, Evidence: in.Evidence, By: by, At: at,
		})
		if err != nil {
			return err
		}
		u.EmitAll(plan.Streams)
		for _, id := range plan.Licenses {
			stream := license.StreamID(id)
			st, err := Load(u, Aggregate[license.State]{Evolve: license.Evolve}, stream)
			if err != nil {
				return err
			}
			if !st.Exists() {
				// The account lists a license the store does not have:
				// our data is broken, not the request.
				return fmt.Errorf("merge %s: license %s answers under it but has no stream", sourceID, id)
			}
			evs, err := license.Move(st, target.ID, by, at)
			if err != nil {
				return fmt.Errorf("merge %s: move license %s: %w", sourceID, id, err)
			}
			u.Emit(stream, evs...)
		}
		for _, number := range plan.Contracts {
			stream := contract.StreamID(number)
			st, err := Load(u, Aggregate[contract.State]{Evolve: contract.Evolve}, stream)
			if err != nil {
				return err
			}
			if !st.Exists() {
				return fmt.Errorf("merge %s: agreement %s answers under it but has no stream", sourceID, number)
			}
			evs, err := contract.Move(st, target.ID, by, at)
			if err != nil {
				return fmt.Errorf("merge %s: move agreement %s: %w", sourceID, number, err)
			}
			u.Emit(stream, evs...)
		}
		return nil
	})
}
