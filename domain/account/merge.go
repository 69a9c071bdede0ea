package account

import (
	"fmt"
	"maps"
	"slices"

	"github.com/channeldesk/channeldesk/domain"
)

// MergePlan is a decided merge: the events of the two account streams
// (the merged account's first), and the licenses, contracts and orders that
// move, whose own streams must record their new owner in the same atomic
// append. Those owner changes are decided by the license, contract and
// order packages; the command service appends everything together, each
// stream at the version it was decided on.
type MergePlan struct {
	Streams   []domain.StreamEvents
	Licenses  []string
	Contracts []string
	Orders    []string
}

// Merge decides MergeAccounts on the states of the account merged (source)
// and the one surviving (target). Admin or support staff only: merges are
// decided on a support case. It refuses an account missing
// (domain.ErrNotFound), merging into oneself (account.merge_into_itself),
// from a merged account (account.merged), into a merged account
// (account.merge_target_merged, or account.merge_cycle when the target
// was merged into the source), and from an account with an embargo hold
// (account.merge_embargo_hold: compliance clears it first, so no hold is
// lost or silently moved).
//
// Only the target's own MergedInto is visible here, and that suffices to
// keep merges free of cycles: a merged account accepts nothing, so a merge
// only ever joins an active source to an active target, and an active
// account has no MergedInto. The chain from any account therefore ends at
// an active one, and no merge can add an edge from it back into the chain.
func Merge(source, target State, c MergeAccounts) (MergePlan, error) {
	switch {
	case c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
	case c.By.Kind == domain.KindCustomer && c.By.AccountID != c.SourceID:
		return MergePlan{}, domain.ErrNotFound
	default:
		return MergePlan{}, domain.Forbidden("merges are decided by support or admin staff, on a support case")
	}
	var p domain.Problems
	checkOrgID(&p, "source_id", c.SourceID)
	checkOrgID(&p, "into", c.TargetID)
	switch c.Reason {
	case MergeDuplicate, MergeAcquisition, MergeMerger, MergeDownsizing:
	default:
		p.Add("reason", "must be duplicate, acquisition, merger or downsizing")
	}
	switch {
	case len(c.Evidence) == 0:
		p.Add("evidence", "at least one reference is required")
	case len(c.Evidence) > MaxEvidence:
		p.Add("evidence", "at most %d references", MaxEvidence)
	}
	for i, ref := range c.Evidence {
		checkReference(&p, fmt.Sprintf("evidence[%d]", i), ref)
	}
	if err := p.Err(); err != nil {
		return MergePlan{}, err
	}
	if !source.Exists() || source.ID != c.SourceID {
		return MergePlan{}, fmt.Errorf("merge source %s: %w", c.SourceID, domain.ErrNotFound)
	}
	if !target.Exists() || target.ID != c.TargetID {
		return MergePlan{}, fmt.Errorf("merge target %s: %w", c.TargetID, domain.ErrNotFound)
	}
	switch {
	case source.ID == target.ID:
		return MergePlan{}, domain.Rule("account.merge_into_itself", "account %s cannot be merged into itself", source.ID)
	case source.Status == StatusMerged:
		return MergePlan{}, domain.Rule("account.merged", "account %s was merged into %s and accepts no further commands", source.ID, source.MergedInto)
	case target.MergedInto == source.ID:
		return MergePlan{}, domain.Rule("account.merge_cycle", "account %s was merged into %s: merging back would make a cycle", target.ID, source.ID)
	case target.Status == StatusMerged:
		return MergePlan{}, domain.Rule("account.merge_target_merged", "account %s was merged into %s: merge into that one instead", target.ID, target.MergedInto)
	case len(source.Holds) > 0:
		return MergePlan{}, domain.Rule("account.merge_embargo_hold", "account %s has an embargo hold: compliance must clear it before the merge", source.ID)
	}
	if err := oneActivePerProgram(source, target, c.Terminated); err != nil {
		return MergePlan{}, err
	}

	moved := movedFrom(source)
	evidence := slices.Clone(c.Evidence)
	plan := MergePlan{
		Streams: []domain.StreamEvents{
			{StreamID: StreamID(source.ID), Events: []domain.Event{AccountMerged{
				AccountID: source.ID, Into: target.ID, Reason: c.Reason, Evidence: evidence, Moved: moved,
			}}},
			{StreamID: StreamID(target.ID), Events: []domain.Event{MergeReceived{
				AccountID: target.ID, From: source.ID, Reason: c.Reason, Evidence: evidence, Moved: moved,
			}}},
		},
		Licenses: moved.Licenses,
	}
	for _, ct := range moved.Contracts {
		plan.Contracts = append(plan.Contracts, ct.Number)
	}
	for _, o := range moved.Orders {
		plan.Orders = append(plan.Orders, o.OrderNumber)
	}
	return plan, nil
}

// movedFrom lists, sorted by ID, what of s a merge moves.
func movedFrom(s State) Moved {
	var m Moved
	m.Licenses = slices.Sorted(maps.Keys(s.Licenses))
	for _, n := range slices.Sorted(maps.Keys(s.Contracts)) {
		m.Contracts = append(m.Contracts, ContractLink{Number: n, Program: s.Contracts[n]})
	}
	for _, n := range slices.Sorted(maps.Keys(s.Orders)) {
		m.Orders = append(m.Orders, s.Orders[n])
	}
	for _, id := range slices.Sorted(maps.Keys(s.Contacts)) {
		ct := s.Contacts[id]
		ct.Roles = slices.Clone(ct.Roles)
		m.Contacts = append(m.Contacts, ct)
	}
	for _, id := range slices.Sorted(maps.Keys(s.ViewRights)) {
		vr := s.ViewRights[id]
		vr.LicenseIDs = slices.Clone(vr.LicenseIDs)
		m.Relationships.ViewRights = append(m.Relationships.ViewRights, vr)
	}
	m.Relationships.RenewalPartner = s.RenewalPartner
	if s.SolutionAdvisor != (Advisor{}) {
		adv := s.SolutionAdvisor
		m.Relationships.SolutionAdvisor = &adv
	}
	return m
}

// oneActivePerProgram refuses a merge after which the survivor would hold
// two active agreements under one program: an account has one active
// agreement per program (DOMAIN.md, "Contract"), so one of the two is
// terminated first (a termination case). terminated lists the agreements
// of either account that are terminated; the account states list every
// agreement, terminated or not.
func oneActivePerProgram(source, target State, terminated map[string]bool) error {
	active := func(s State, program string) string {
		for _, n := range slices.Sorted(maps.Keys(s.Contracts)) {
			if s.Contracts[n] == program && !terminated[n] {
				return n
			}
		}
		return ""
	}
	for _, program := range []string{ProgramEnterprise, ProgramEasy} {
		if a, b := active(source, program), active(target, program); a != "" && b != "" {
			return domain.Rule("account.merge_active_agreements",
				"accounts %s and %s both hold an active %s agreement (%s, %s): one account has one per program, so one of them is terminated first",
				source.ID, target.ID, program, a, b)
		}
	}
	return nil
}
