package demo

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// contact is a person recorded as a contact, with the ID it got.
type contact struct {
	person
	id string
}

// partnerPlan is one partner organisation of the data set.
type partnerPlan struct {
	index  int
	org    org
	region string
	kinds  []string
	// status at registration: active or prospect.
	status string
	// expire: the partner's program expires once its orders are placed.
	expire bool

	id string
	// admin is its unrestricted org admin, exec an unrestricted business
	// executive (some partners have none), agent a restricted sales agent.
	admin, exec, agent contact
}

func (p *partnerPlan) is(kind string) bool {
	for _, k := range p.kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func (p *partnerPlan) dual() bool {
	return p.is(partner.KindResellerDirect) && p.is(partner.KindResellerIndirect)
}

// principal is the partner's contact c as a principal.
func (p *partnerPlan) principal(c contact) domain.Principal { return auth.PartnerContact(p.id, c.id) }

// actor is the contact who acts for the partner: the business executive
// where there is one, for one order in two.
func (p *partnerPlan) actor(r *rand.Rand) domain.Principal {
	if p.exec.id != "" && chance(r, 50) {
		return p.principal(p.exec)
	}
	return p.principal(p.admin)
}

var regions = []geo.Region{geo.AMER, geo.EMEA, geo.APAC}

// countryIn draws a country of region.
func countryIn(r *rand.Rand, region geo.Region) country {
	var in []country
	for _, c := range countries {
		if rg, _ := geo.RegionOf(c.code); rg == region {
			in = append(in, c)
		}
	}
	return pick(r, in)
}

// planPartners draws the partner organisations: distributors and advisors
// (a few, at least one distributor per region), and resellers, about one
// for every forty customers. One reseller in ten is dual-role (direct and
// indirect), one in twenty stays a prospect and one in twenty expires after
// placing its orders. The first three resellers and distributors cover the
// three regions and stay active.
func (l *loader) planPartners() {
	n := l.cfg.Accounts
	add := func(kinds []string, words []string, forced bool, j int) *partnerPlan {
		r := l.rng(streamPartner, len(l.partners))
		region := regions[j%len(regions)]
		if !forced {
			region = pick(r, regions)
		}
		p := &partnerPlan{index: len(l.partners), kinds: kinds, status: domain.PartnerActive, region: string(region)}
		p.org = newPartnerOrg(r, countryIn(r, region), words, l.used)
		l.partners = append(l.partners, p)
		return p
	}
	for j := range 3 + n/3000 {
		add([]string{partner.KindDistributor}, distributorWords, j < 3, j)
	}
	for j := range 2 + n/1000 {
		add([]string{partner.KindAdvisor}, advisorWords, false, j)
	}
	for j := range max(8, n/40) {
		var kinds []string
		switch {
		case j%10 == 3:
			kinds = []string{partner.KindResellerDirect, partner.KindResellerIndirect}
		case j%2 == 0:
			kinds = []string{partner.KindResellerDirect}
		default:
			kinds = []string{partner.KindResellerIndirect}
		}
		p := add(kinds, partnerWords, j < 3, j)
		switch {
		case j < 3:
		case j%20 == 7:
			p.expire = true
		case j%20 == 5:
			p.status = domain.PartnerProspect
		}
	}
}

// groupPartners sorts the registered partners by role and region.
func (l *loader) groupPartners() {
	l.resellers, l.stable, l.distributors = map[string][]*partnerPlan{}, map[string][]*partnerPlan{}, map[string][]*partnerPlan{}
	for _, p := range l.partners {
		switch {
		case p.is(partner.KindDistributor):
			l.distributors[p.region] = append(l.distributors[p.region], p)
		case p.is(partner.KindAdvisor):
			l.advisors = append(l.advisors, p)
		case p.status == domain.PartnerActive:
			l.resellers[p.region] = append(l.resellers[p.region], p)
			if !p.expire {
				l.stable[p.region] = append(l.stable[p.region], p)
			}
		}
	}
}

// featured is the partner whose contacts get tokens: the first dual-role
// reseller that stays active.
func (l *loader) featured() *partnerPlan {
	for _, p := range l.partners {
		if p.dual() && p.status == domain.PartnerActive && !p.expire {
			return p
		}
	}
	panic("demo: the plan has no active dual-role reseller") // planPartners always makes reseller 3 one
}

// registerPartner registers p and its contacts: the org admin by support
// staff, the others by the org admin itself while the partner may act. The
// first registration of a load carries the marker that refuses a second
// load.
func (l *loader) registerPartner(ctx context.Context, p *partnerPlan, marker bool) error {
	r := l.rng(streamPartner, p.index)
	staff := pick(r, staffSupport)
	corr := correlation()
	m := meta(staff, corr)
	if marker {
		// The key is scoped to its principal: always the same one.
		m = meta(staffAdmin, corr)
		m.IdempotencyKey, m.RequestHash = markerKey, markerHash
	}
	in := command.RegisterPartnerInput{Name: p.org.name, Kinds: p.kinds, Status: p.status,
		Address: partner.Address{Country: p.org.country.code, State: p.org.place.state, City: p.org.place.city}}
	res, err := l.cmds.RegisterPartner(ctx, m, in)
	switch {
	case marker && (errors.Is(err, command.ErrIdempotencyMismatch) || err == nil && res.Replayed):
		return ErrAlreadyLoaded
	case err != nil:
		return err
	}
	l.tally.record(res)
	p.id = res.ID

	staffPeople := people(r, p.org.country, p.org.domain, 3)
	addContact := func(by domain.Principal, who person, role, access string) (contact, error) {
		res, err := l.do("add partner contact", func() (command.Result, error) {
			return l.cmds.AddPartnerContact(ctx, meta(by, corr), p.id, command.AddContactInput{Name: who.name, Email: who.email, Roles: []string{role}, Access: access})
		})
		return contact{person: who, id: res.ID}, err
	}
	if p.admin, err = addContact(staff, staffPeople[0], domain.ContactOrgAdmin, domain.AccessUnrestricted); err != nil {
		return err
	}
	// A prospect may not act yet: staff set up its people.
	by := p.principal(p.admin)
	if p.status != domain.PartnerActive {
		by = staff
	}
	if p.index%3 == 0 {
		if p.exec, err = addContact(by, staffPeople[1], domain.ContactBusinessExecutive, domain.AccessUnrestricted); err != nil {
			return err
		}
	}
	p.agent, err = addContact(by, staffPeople[2], domain.ContactSalesAgent, domain.AccessRestricted)
	return err
}

// expire ends the program of a partner planned to expire, now that it has
// placed its orders.
func (l *loader) expire(ctx context.Context, p *partnerPlan) error {
	if !p.expire {
		return nil
	}
	_, err := l.do("expire partner "+p.id, func() (command.Result, error) {
		return l.cmds.ChangePartnerStatus(ctx, meta(staffAdmin, correlation()), p.id,
			command.ChangePartnerStatusInput{Status: domain.PartnerExpired, Reason: "program membership not renewed"})
	})
	return err
}
