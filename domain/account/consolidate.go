package account

import (
	"fmt"
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Limits of a consolidation.
const (
	// MinConsolidated is the fewest accounts a consolidation joins into
	// its survivor: one is a merge.
	MinConsolidated = 2
	// MaxConsolidated bounds what one atomic append carries.
	MaxConsolidated = 20
)

// ConsolidateAccounts joins several accounts of one organisation into the
// surviving account TargetID, each as a merge with the same reason and
// evidence: the account consolidation a support case asks for (DOMAIN.md,
// "Support case", subject consolidation).
type ConsolidateAccounts struct {
	TargetID  string
	SourceIDs []string
	Reason    string
	Evidence  []string
	// Terminated is the fact of which agreements of the accounts are
	// terminated (see MergeAccounts).
	Terminated map[string]bool
	By         domain.Actor
	At         time.Time
}

// Consolidate decides ConsolidateAccounts on the states of the accounts
// consolidated (sources, in the order c names them) and of the survivor
// (target): one MergePlan per source, in that order, each decided by Merge
// on the survivor as the merges before it left it, so that the plans
// appended together in one atomic append are exactly the merges one after
// the other. Either every merge is accepted or the consolidation is
// refused as a whole, naming the account refused.
//
// Besides Merge's rules, the sources must be MinConsolidated to
// MaxConsolidated accounts, each named once and none the survivor
// (validation problems under source_ids).
func Consolidate(sources []State, target State, c ConsolidateAccounts) ([]MergePlan, error) {
	var p domain.Problems
	switch {
	case len(c.SourceIDs) < MinConsolidated:
		p.Add("source_ids", "must list at least %d accounts to join into %s (for one, ask for a merge)", MinConsolidated, c.TargetID)
	case len(c.SourceIDs) > MaxConsolidated:
		p.Add("source_ids", "must list at most %d accounts", MaxConsolidated)
	}
	seen := make(map[string]bool, len(c.SourceIDs))
	for i, id := range c.SourceIDs {
		field := fmt.Sprintf("source_ids[%d]", i)
		switch {
		case !ValidID(id):
			p.Add(field, "must be six digits and two capital letters, e.g. 123456HQ")
		case id == c.TargetID:
			p.Add(field, "is the surviving account %s itself", c.TargetID)
		case seen[id]:
			p.Add(field, "names %s a second time", id)
		}
		seen[id] = true
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if len(sources) != len(c.SourceIDs) {
		return nil, fmt.Errorf("consolidate into %s: %d source states for %d accounts", c.TargetID, len(sources), len(c.SourceIDs))
	}
	plans := make([]MergePlan, 0, len(sources))
	for i, src := range sources {
		plan, err := Merge(src, target, MergeAccounts{
			SourceID: c.SourceIDs[i], TargetID: c.TargetID, Reason: c.Reason, Evidence: c.Evidence, Terminated: c.Terminated, By: c.By, At: c.At,
		})
		if err != nil {
			return nil, fmt.Errorf("consolidate %s into %s: %w", c.SourceIDs[i], c.TargetID, err)
		}
		for _, se := range plan.Streams {
			if se.StreamID == StreamID(target.ID) {
				for _, e := range se.Events {
					target = Evolve(target, e)
				}
			}
		}
		plans = append(plans, plan)
	}
	return plans, nil
}
