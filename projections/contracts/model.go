package contracts

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

// Status values of a company row.
const (
	statusActive = "active"
	statusMerged = "merged"
)

// company is one customer account as the searches need it.
type company struct {
	accountID, name, nameFold string
	formerNames, formerFolds  []string
	country, state, city      string
	stateFold, cityFold       string
	region, vatNo             string
	status, mergedInto        string
	registeredAt, updatedAt   time.Time
	position                  int64
}

// nameRow is one name a company is found by.
type nameRow struct {
	fold, name string
	former     bool
}

// names returns the names c is found by: its current name, then each
// former name whose fold differs from every name before it (the first
// spelling of a fold is the one kept), in the order they were used.
func (c *company) names() []nameRow {
	out := []nameRow{{fold: c.nameFold, name: c.name}}
	for i, n := range c.formerNames {
		f := c.formerFolds[i]
		if !slices.ContainsFunc(out, func(r nameRow) bool { return r.fold == f }) {
			out = append(out, nameRow{fold: f, name: n, former: true})
		}
	}
	return out
}

// agreement is one license agreement row.
type agreement struct {
	number, program, accountID   string
	primaryAdmin, secondaryAdmin string
	discountLevel                int
	termStart, termEnd, status   string
	managers                     []string
	registeredAt, updatedAt      time.Time
	position                     int64
}

// builder applies events to company and agreement rows in memory. Apply
// loads the rows a batch touches into one, applies the batch and writes
// back what changed; a rebuild folds the whole history into one (NewFold).
// What it does depends only on the events, in order, so both end with the
// same rows.
type builder struct {
	companies map[string]*company
	contracts map[string]*agreement
	// Rows created through this builder, in event order (a fold writes
	// them in this order).
	companyOrder, contractOrder []string
	// What changed: company rows, the names of companies, agreements. Nil
	// in a fold, which writes everything.
	dirtyCompanies, dirtyNames, dirtyContracts map[string]bool
}

func newBuilder(tracked bool) *builder {
	b := &builder{companies: map[string]*company{}, contracts: map[string]*agreement{}}
	if tracked {
		b.dirtyCompanies, b.dirtyNames, b.dirtyContracts = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	return b
}

func mark(dirty map[string]bool, key string) {
	if dirty != nil {
		dirty[key] = true
	}
}

func (b *builder) touchCompany(c *company, e *eventstore.Event) {
	c.updatedAt, c.position = e.RecordedAt, int64(e.Position)
	mark(b.dirtyCompanies, c.accountID)
}

func (b *builder) touchContract(a *agreement, e *eventstore.Event) {
	a.updatedAt, a.position = e.RecordedAt, int64(e.Position)
	mark(b.dirtyContracts, a.number)
}

// add applies one event decoded by Projection.decode.
func (b *builder) add(e *eventstore.Event, ev domain.Event) {
	switch ev := ev.(type) {
	case account.AccountRegistered:
		if b.companies[ev.AccountID] != nil {
			return // IDs are never reused: the first registration stands
		}
		c := &company{
			accountID: ev.AccountID, name: ev.Name, nameFold: names.FoldCompany(ev.Name), formerNames: []string{}, formerFolds: []string{},
			status: statusActive, region: ev.Region, vatNo: ev.VATNumber, registeredAt: e.RecordedAt,
		}
		c.setAddress(ev.Address)
		b.companies[ev.AccountID] = c
		b.companyOrder = append(b.companyOrder, ev.AccountID)
		b.touchCompany(c, e)
		mark(b.dirtyNames, c.accountID)
	case account.CompanyRenamed:
		if c := b.companies[ev.AccountID]; c != nil {
			c.formerNames = append(slices.Clip(c.formerNames), ev.OldName)
			c.formerFolds = append(slices.Clip(c.formerFolds), names.FoldCompany(ev.OldName))
			c.name, c.nameFold = ev.NewName, names.FoldCompany(ev.NewName)
			b.touchCompany(c, e)
			mark(b.dirtyNames, c.accountID)
		}
	case account.AddressChanged:
		if c := b.companies[ev.AccountID]; c != nil {
			c.setAddress(ev.To.Address)
			c.region = ev.To.Region
			b.touchCompany(c, e)
		}
	case account.VATNumberSet:
		if c := b.companies[ev.AccountID]; c != nil {
			c.vatNo = ev.VATNumber
			b.touchCompany(c, e)
		}
	case account.AccountMerged:
		// Its agreements follow in contract.owner_changed; the queries
		// lead its ID to the survivor.
		if c := b.companies[ev.AccountID]; c != nil {
			c.status, c.mergedInto = statusMerged, ev.Into
			b.touchCompany(c, e)
		}
	case contract.Registered:
		if b.contracts[ev.ContractNumber] != nil {
			return
		}
		a := &agreement{
			number: ev.ContractNumber, program: ev.Program, accountID: ev.AccountID,
			primaryAdmin: ev.PrimaryAdmin, secondaryAdmin: ev.SecondaryAdmin, discountLevel: ev.DiscountLevel,
			termStart: ev.TermStart, termEnd: ev.TermEnd, status: contract.StatusActive, managers: []string{},
			registeredAt: e.RecordedAt,
		}
		b.contracts[a.number] = a
		b.contractOrder = append(b.contractOrder, a.number)
		b.touchContract(a, e)
	case contract.AdministratorsChanged:
		if a := b.contracts[contractNumber(e)]; a != nil {
			a.primaryAdmin, a.secondaryAdmin = ev.PrimaryAdmin, ev.SecondaryAdmin
			b.touchContract(a, e)
		}
	case contract.DiscountLevelSet:
		if a := b.contracts[contractNumber(e)]; a != nil {
			a.discountLevel = ev.DiscountLevel
			b.touchContract(a, e)
		}
	case contract.ManageRightsGranted:
		if a := b.contracts[contractNumber(e)]; a != nil {
			if !slices.Contains(a.managers, ev.PartnerID) {
				a.managers = append(slices.Clip(a.managers), ev.PartnerID) // in the order granted, as the domain keeps them
			}
			b.touchContract(a, e)
		}
	case contract.ManageRightsRevoked:
		if a := b.contracts[contractNumber(e)]; a != nil {
			a.managers = slices.DeleteFunc(slices.Clone(a.managers), func(p string) bool { return p == ev.PartnerID })
			b.touchContract(a, e)
		}
	case contract.OwnerChanged:
		if a := b.contracts[contractNumber(e)]; a != nil {
			a.accountID = ev.ToAccountID
			b.touchContract(a, e)
		}
	case contract.Terminated:
		// The partners' manage rights went in the revocations just before.
		if a := b.contracts[contractNumber(e)]; a != nil {
			a.status = contract.StatusTerminated
			b.touchContract(a, e)
		}
	}
}

func (c *company) setAddress(a account.Address) {
	c.country, c.state, c.city = a.Country, a.State, a.City
	c.stateFold, c.cityFold = names.Fold(a.State), names.Fold(a.City)
}

// contractNumber is the number of the agreement whose stream e is on.
func contractNumber(e *eventstore.Event) string { return strings.TrimPrefix(e.StreamID, "contract-") }
