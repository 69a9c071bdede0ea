package customers

import (
	"slices"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/eventstore"
)

// RelManageRights is the relationship of a partner holding manage rights
// under one of the customer's license agreements. The other relationship
// kinds are the account's (account.RelOrderingPartner, …).
const RelManageRights = "manage_rights"

// partyPartner is the kind of every related party today.
const partyPartner = "partner"

// row is one customer row.
type row struct {
	accountID, name, nameFold                   string
	formerNames, formerFolds                    []string
	domain, country, state, city, region, vatNo string
	tags                                        []string
	status, mergedInto                          string
	registeredAt, updatedAt                     time.Time
	position                                    int64
}

// rel is one relationship row: a party related to an account in one way.
// sources are the license agreements a manage-rights relationship comes
// from (it ends when the last one does); nil for the other kinds.
type rel struct {
	partyID, relationship string
	since                 int64
	sources               []string
}

func relKey(partyID, relationship string) string { return partyID + "/" + relationship }

// agreement is what the projection keeps of a license agreement: whose it
// is and which partners manage it.
type agreement struct {
	number, accountID string
	managers          []string
}

// builder applies events to customer rows, their relationships and the
// agreements in memory. Apply loads what a batch touches into one, applies
// the batch and writes back what changed; a rebuild folds the whole
// history into one (see NewFold). Everything it does depends only on the
// events, in order, so both end with the same rows.
type builder struct {
	rows map[string]*row
	// order holds the accounts registered through this builder, in event
	// order (a fold writes its rows in this order).
	order     []string
	rels      map[string]map[string]*rel // by account, then relKey
	contracts map[string]*agreement
	// What changed: rows and contracts to write, accounts whose
	// relationships to write. Nil in a fold, which writes everything.
	dirtyRows, dirtyRels, dirtyContracts map[string]bool
	// renamed are the accounts whose former names changed.
	renamed map[string]bool
}

// newBuilder returns a builder; tracked tells it to note what changes.
func newBuilder(tracked bool) *builder {
	b := &builder{rows: map[string]*row{}, rels: map[string]map[string]*rel{}, contracts: map[string]*agreement{}}
	if tracked {
		b.dirtyRows, b.dirtyRels, b.dirtyContracts, b.renamed = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	return b
}

// mark notes that key changed in dirty, when changes are tracked.
func mark(dirty map[string]bool, key string) {
	if dirty != nil {
		dirty[key] = true
	}
}

// touch marks a row changed by e.
func (b *builder) touch(r *row, e *eventstore.Event) {
	r.updatedAt, r.position = e.RecordedAt, int64(e.Position)
	mark(b.dirtyRows, r.accountID)
}

// relate adds a relationship unless the account already has it; source,
// when given, is added to its sources.
func (b *builder) relate(accountID, partyID, relationship, source string, e *eventstore.Event) {
	if accountID == "" || partyID == "" || b.rows[accountID] == nil {
		return
	}
	rs := b.rels[accountID]
	if rs == nil {
		rs = map[string]*rel{}
		b.rels[accountID] = rs
	}
	k := relKey(partyID, relationship)
	r := rs[k]
	if r == nil {
		r = &rel{partyID: partyID, relationship: relationship, since: int64(e.Position)}
		rs[k] = r
		mark(b.dirtyRels, accountID)
	}
	if source != "" && !slices.Contains(r.sources, source) {
		r.sources = append(r.sources, source)
		slices.Sort(r.sources)
		mark(b.dirtyRels, accountID)
	}
}

// unrelate removes a relationship; with a source, only that source, and
// the relationship once none is left.
func (b *builder) unrelate(accountID, partyID, relationship, source string) {
	rs := b.rels[accountID]
	k := relKey(partyID, relationship)
	r := rs[k]
	if r == nil {
		return
	}
	if source != "" {
		i := slices.Index(r.sources, source)
		if i < 0 {
			return
		}
		r.sources = slices.Delete(r.sources, i, i+1)
		mark(b.dirtyRels, accountID)
		if len(r.sources) > 0 {
			return
		}
	}
	delete(rs, k)
	mark(b.dirtyRels, accountID)
}

// unrelateAll removes every relationship of one kind (the renewal partner
// and the solution advisor are one at a time).
func (b *builder) unrelateAll(accountID, relationship string) {
	for _, r := range b.rels[accountID] {
		if r.relationship == relationship {
			b.unrelate(accountID, r.partyID, relationship, "")
		}
	}
}

// has reports whether the account has a relationship of this kind.
func (b *builder) has(accountID, relationship string) bool {
	for _, r := range b.rels[accountID] {
		if r.relationship == relationship {
			return true
		}
	}
	return false
}

// add applies one event decoded by Projection.decode.
func (b *builder) add(e *eventstore.Event, ev domain.Event) {
	switch ev := ev.(type) {
	case account.AccountRegistered:
		if b.rows[ev.AccountID] != nil {
			return // IDs are never reused: the first registration stands
		}
		r := &row{
			accountID: ev.AccountID, name: ev.Name, nameFold: names.FoldCompany(ev.Name),
			formerNames: []string{}, formerFolds: []string{}, tags: []string{}, status: statusActive,
			domain: ev.PrimaryDomain, country: ev.Address.Country, state: ev.Address.State,
			city: ev.Address.City, region: ev.Region, vatNo: ev.VATNumber, registeredAt: e.RecordedAt,
		}
		b.rows[ev.AccountID] = r
		b.order = append(b.order, ev.AccountID)
		b.touch(r, e)
	case account.CompanyRenamed:
		if r := b.rows[ev.AccountID]; r != nil {
			oldFold := r.nameFold // the old name is the current one, as a rule
			if ev.OldName != r.name {
				oldFold = names.FoldCompany(ev.OldName)
			}
			r.formerNames = append(slices.Clip(r.formerNames), ev.OldName)
			r.formerFolds = append(slices.Clip(r.formerFolds), oldFold)
			r.name, r.nameFold = ev.NewName, names.FoldCompany(ev.NewName)
			mark(b.renamed, r.accountID)
			if len(b.rels[r.accountID]) > 0 {
				mark(b.dirtyRels, r.accountID) // they carry the name
			}
			b.touch(r, e)
		}
	case account.AddressChanged:
		if r := b.rows[ev.AccountID]; r != nil {
			r.country, r.state, r.city, r.region = ev.To.Address.Country, ev.To.Address.State, ev.To.Address.City, ev.To.Region
			b.touch(r, e)
		}
	case account.VATNumberSet:
		if r := b.rows[ev.AccountID]; r != nil {
			r.vatNo = ev.VATNumber
			b.touch(r, e)
		}
	case account.AccountTagged:
		if r := b.rows[ev.AccountID]; r != nil && !slices.Contains(r.tags, ev.Tag) {
			r.tags = append(slices.Clip(r.tags), ev.Tag)
			slices.Sort(r.tags)
			b.touch(r, e)
		}
	case account.AccountUntagged:
		if r := b.rows[ev.AccountID]; r != nil && slices.Contains(r.tags, ev.Tag) {
			r.tags = slices.DeleteFunc(slices.Clone(r.tags), func(t string) bool { return t == ev.Tag })
			b.touch(r, e)
		}
	case account.OrderAttached:
		b.relate(ev.AccountID, ev.PartnerID, account.RelOrderingPartner, "", e)
		b.relate(ev.AccountID, ev.DistributorID, account.RelDistributor, "", e)
	case account.ViewRightsGranted:
		b.relate(ev.AccountID, ev.PartnerID, account.RelViewRights, "", e)
	case account.ViewRightsRevoked:
		b.unrelate(ev.AccountID, ev.PartnerID, account.RelViewRights, "")
	case account.RenewalPartnerDesignated:
		b.unrelateAll(ev.AccountID, account.RelRenewalPartner)
		b.relate(ev.AccountID, ev.PartnerID, account.RelRenewalPartner, "", e)
	case account.RenewalPartnerRemoved:
		b.unrelate(ev.AccountID, ev.PartnerID, account.RelRenewalPartner, "")
	case account.SolutionAdvisorAssigned:
		b.unrelateAll(ev.AccountID, account.RelSolutionAdvisor)
		b.relate(ev.AccountID, ev.PartnerID, account.RelSolutionAdvisor, "", e)
	case account.AccountMerged:
		if r := b.rows[ev.AccountID]; r != nil {
			r.status, r.mergedInto = statusMerged, ev.Into
			b.touch(r, e)
		}
		// Its relationships now answer under the survivor, which
		// account.merge_received brings; manage rights move with the
		// agreements (contract.owner_changed).
		for k, r := range b.rels[ev.AccountID] {
			if r.relationship != RelManageRights {
				delete(b.rels[ev.AccountID], k)
				mark(b.dirtyRels, ev.AccountID)
			}
		}
	case account.MergeReceived:
		// As the survivor's state takes them (account.Evolve): orders'
		// partners and view rights join; the renewal partner and the
		// solution advisor only where the survivor has none.
		to, m := ev.AccountID, ev.Moved
		for _, o := range m.Orders {
			b.relate(to, o.PartnerID, account.RelOrderingPartner, "", e)
			b.relate(to, o.DistributorID, account.RelDistributor, "", e)
		}
		for _, vr := range m.Relationships.ViewRights {
			b.relate(to, vr.PartnerID, account.RelViewRights, "", e)
		}
		if m.Relationships.RenewalPartner != "" && !b.has(to, account.RelRenewalPartner) {
			b.relate(to, m.Relationships.RenewalPartner, account.RelRenewalPartner, "", e)
		}
		if a := m.Relationships.SolutionAdvisor; a != nil && !b.has(to, account.RelSolutionAdvisor) {
			b.relate(to, a.PartnerID, account.RelSolutionAdvisor, "", e)
		}
	case contract.Registered:
		if b.contracts[ev.ContractNumber] == nil {
			b.contracts[ev.ContractNumber] = &agreement{number: ev.ContractNumber, accountID: ev.AccountID, managers: []string{}}
			mark(b.dirtyContracts, ev.ContractNumber)
		}
	case contract.ManageRightsGranted:
		if c := b.contracts[contractNumber(e)]; c != nil {
			if !slices.Contains(c.managers, ev.PartnerID) {
				c.managers = append(slices.Clip(c.managers), ev.PartnerID)
				slices.Sort(c.managers)
				mark(b.dirtyContracts, c.number)
			}
			b.relate(c.accountID, ev.PartnerID, RelManageRights, c.number, e)
		}
	case contract.ManageRightsRevoked:
		if c := b.contracts[contractNumber(e)]; c != nil {
			if i := slices.Index(c.managers, ev.PartnerID); i >= 0 {
				c.managers = slices.Delete(slices.Clone(c.managers), i, i+1)
				mark(b.dirtyContracts, c.number)
			}
			b.unrelate(c.accountID, ev.PartnerID, RelManageRights, c.number)
		}
	case contract.OwnerChanged:
		if c := b.contracts[contractNumber(e)]; c != nil && c.accountID != ev.ToAccountID {
			for _, p := range c.managers {
				b.unrelate(c.accountID, p, RelManageRights, c.number)
				b.relate(ev.ToAccountID, p, RelManageRights, c.number, e)
			}
			c.accountID = ev.ToAccountID
			mark(b.dirtyContracts, c.number)
		}
	}
}

// contractNumber is the number of the agreement whose stream e is on.
func contractNumber(e *eventstore.Event) string { return strings.TrimPrefix(e.StreamID, "contract-") }

// Status values of a customer row.
const (
	statusActive = "active"
	statusMerged = "merged"
)
