package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// accountRun is one customer of the data set as its commands went.
type accountRun struct {
	index int
	org   org
	id    string
	// admin is the unrestricted org admin; second, when there is one, a
	// billing (restricted) or technical (unrestricted) contact.
	admin, second contact
	home          *partnerPlan
	// fulfilled counts the customer's fulfilled orders.
	fulfilled int
	// licenses the fulfilled orders issued, where the load needs their IDs.
	licenses []issued
	// big is the 1500-user license of the first showcase customer, which
	// the split story splits.
	big string
}

// issued is a license as the load knows it.
type issued struct {
	id       string
	quantity int
	service  bool
}

// customer is the account's org admin as a principal.
func (a *accountRun) customer() domain.Principal { return auth.CustomerContact(a.id, a.admin.id) }

// bigLicenseUsers is the size of the license the split story splits: more
// than license.SplitApprovalThreshold, so the split needs an approved case.
const bigLicenseUsers = 1500

// account records customer i: its registration and contacts, its settings,
// agreements, orders and their fulfilment, and the rights it gives its
// partners. The first two customers are the showcase of the stories (see
// stories): they always buy, from partners that stay active.
func (l *loader) account(ctx context.Context, i int, o org) error {
	r := l.rng(streamAccount, i)
	a := &accountRun{index: i, org: o}
	region, _ := geo.RegionOf(o.country.code)
	switch i {
	case 0:
		a.home = l.featured()
	case 1:
		a.home = pick(r, l.stable[string(region)])
	default:
		a.home = pick(r, l.resellers[string(region)])
	}
	if err := l.onboard(ctx, r, a); err != nil {
		return err
	}
	if err := l.agreements(ctx, r, a); err != nil {
		return err
	}
	orders := []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 1, 0}[r.IntN(20)]
	if i < len(l.showcase) {
		orders = max(orders, 1)
	}
	// Which licenses the load must know by ID is decided first: reading
	// them back costs a read of each order's stream.
	wantAssigned, wantAllocation := chance(r, 15), chance(r, 10)
	needIDs := i < len(l.showcase) || wantAssigned || wantAllocation
	po := l.today.AddDate(0, 0, -60-r.IntN(700))
	for k := range orders {
		if err := l.order(ctx, r, a, k, po, needIDs); err != nil {
			return err
		}
		po = po.AddDate(0, 0, 30+r.IntN(170))
		if !po.Before(l.today) {
			po = l.today.AddDate(0, 0, -1)
		}
	}
	if i == 0 {
		if err := l.bigOrder(ctx, a); err != nil {
			return err
		}
	}
	if err := l.rights(ctx, r, a, wantAssigned, wantAllocation); err != nil {
		return err
	}
	if i < len(l.showcase) {
		l.showcase[i] = a
	}
	l.tally.count(factRegion+string(region), 1)
	return nil
}

// onboard registers the customer with its contacts, and lets its admin
// choose invoice delivery and move; support tags some accounts.
func (l *loader) onboard(ctx context.Context, r *rand.Rand, a *accountRun) error {
	o := a.org
	corr := correlation()
	registrar := pick(r, staffSupport)
	if chance(r, 20) {
		registrar = staffAdmin
	}
	in := command.RegisterAccountInput{Name: o.name, PrimaryDomain: o.domain,
		Address: account.Address{Country: o.country.code, State: o.place.state, City: o.place.city}}
	if o.country.vat != nil && chance(r, 75) {
		in.VATNumber = o.country.vat(r)
	}
	res, err := l.do("register account", func() (command.Result, error) { return l.cmds.RegisterAccount(ctx, meta(registrar, corr), in) })
	if err != nil {
		return err
	}
	a.id = res.ID
	ppl := people(r, o.country, o.domain, 2)
	add := func(who person, access string, roles ...string) (contact, error) {
		res, err := l.do("add contact", func() (command.Result, error) {
			return l.cmds.AddContact(ctx, meta(registrar, corr), a.id, command.AddContactInput{Name: who.name, Email: who.email, Roles: roles, Access: access})
		})
		return contact{person: who, id: res.ID}, err
	}
	roles := []string{domain.ContactOrgAdmin}
	if chance(r, 30) {
		roles = append(roles, domain.ContactBusinessExecutive)
	}
	if a.admin, err = add(ppl[0], domain.AccessUnrestricted, roles...); err != nil {
		return err
	}
	if chance(r, 45) {
		role, access := domain.ContactBilling, domain.AccessRestricted
		if chance(r, 40) {
			role, access = domain.ContactTechnical, domain.AccessUnrestricted
		}
		if a.second, err = add(ppl[1], access, role); err != nil {
			return err
		}
	}
	cust := a.customer()
	if chance(r, 30) {
		to := []string{a.admin.email}
		if a.second.id != "" {
			to[0] = a.second.email
		}
		if chance(r, 40) {
			to = append(to, "accounts.payable@"+o.domain)
		}
		if _, err := l.do("set invoice delivery", func() (command.Result, error) {
			return l.cmds.SetInvoiceDelivery(ctx, meta(cust, correlation()), a.id, command.SetInvoiceDeliveryInput{Mode: account.DeliveryPaperless, Recipients: to})
		}); err != nil {
			return err
		}
	}
	if chance(r, 12) {
		first := pick(r, tags)
		tagged := []string{first}
		if second := pick(r, tags); chance(r, 40) && second != first {
			tagged = append(tagged, second)
		}
		for _, t := range tagged {
			if _, err := l.do("tag account", func() (command.Result, error) {
				return l.cmds.TagAccount(ctx, meta(registrar, corr), a.id, command.TagAccountInput{Tag: t})
			}); err != nil {
				return err
			}
		}
	}
	if to := pick(r, o.country.places); chance(r, 3) && to != o.place {
		if _, err := l.do("change address", func() (command.Result, error) {
			return l.cmds.ChangeAddress(ctx, meta(cust, correlation()), a.id, command.ChangeAddressInput{Address: account.Address{Country: o.country.code, State: to.state, City: to.city}})
		}); err != nil {
			return err
		}
	}
	return nil
}

// agreements registers the customer's license agreements: about one in
// five has an Easy agreement, a few an enterprise one (ELA), whose
// customers often let their partner manage it.
func (l *loader) agreements(ctx context.Context, r *rand.Rand, a *accountRun) error {
	var programs []string
	switch roll := r.IntN(100); {
	case a.index == 1:
		// The second showcase customer is merged into the first, which
		// holds an enterprise agreement: an account has one active
		// agreement per program, so this one has none to bring.
		if roll < 25 {
			programs = []string{contract.ProgramEasy}
		}
	case a.index == 0 || roll < 5:
		programs = []string{contract.ProgramEnterprise}
	case roll < 25:
		programs = []string{contract.ProgramEasy}
	case roll < 27:
		programs = []string{contract.ProgramEnterprise, contract.ProgramEasy}
	}
	support := pick(r, staffSupport)
	for _, program := range programs {
		start := l.today.AddDate(0, 0, -r.IntN(700))
		in := command.RegisterContractInput{Program: program, AccountID: a.id, PrimaryAdmin: a.admin.id,
			DiscountLevel: 1 + r.IntN(3), TermStart: date(start), TermEnd: date(start.AddDate(2, 0, 0))}
		if program == contract.ProgramEnterprise {
			in.DiscountLevel, in.TermEnd = 3+r.IntN(4), date(start.AddDate(3, 0, 0))
			if a.second.id != "" {
				in.SecondaryAdmin = a.second.id
			}
		}
		res, err := l.do("register contract", func() (command.Result, error) {
			return l.cmds.RegisterContract(ctx, onBehalf(support, a.customer(), correlation()), in)
		})
		if err != nil {
			return err
		}
		l.tally.count(factProgram+program, 1)
		if program == contract.ProgramEnterprise && (a.index == 0 || chance(r, 60)) {
			if _, err := l.do("grant manage rights", func() (command.Result, error) {
				return l.cmds.GrantManageRights(ctx, meta(a.customer(), correlation()), res.ID, command.GrantManageRightsInput{PartnerID: a.home.id})
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

// catalogs weighs the product catalogs of an order (of 100).
var catalogs = []catalogWeight{{order.CatalogSoftware, 70}, {order.CatalogCloud, 18}, {order.CatalogOnlineServices, 7}, {order.CatalogMarketplace, 5}}

type catalogWeight struct {
	name   string
	weight int
}

// userCounts are the usual sizes of a license, in users.
var userCounts = []int{10, 25, 25, 50, 50, 75, 100, 100, 150, 200, 250, 500}

var orderComments = []string{
	"Please co-term with the existing agreement.",
	"Customer needs the licenses before quarter end.",
	"Replaces quote Q-2291; pricing as agreed with the account manager.",
	"Deal registration approved, see DR reference on the PO.",
	"Ship license files to the technical contact.",
}

// order submits the customer's k-th order through its partner (through a
// distributor where the partner buys indirectly) with a PO dated po, and
// mostly has the order desk fulfil it; a few are cancelled, a few left
// pending.
func (l *loader) order(ctx context.Context, r *rand.Rand, a *accountRun, k int, po time.Time, needIDs bool) error {
	cat := weighted(r, catalogs, func(c catalogWeight) int { return c.weight }).name
	var offer []product
	for _, p := range priceList {
		if p.catalog == cat {
			offer = append(offer, p)
		}
	}
	r.Shuffle(len(offer), func(i, j int) { offer[i], offer[j] = offer[j], offer[i] })
	offer = offer[:1+r.IntN(min(3, len(offer)))]
	in := command.SubmitOrderInput{
		PONumber: fmt.Sprintf("45%08d", a.index*4+k), PODate: date(po), OrderType: order.TypeNew, Catalog: cat,
		CustomerAccountID: a.id, PODocumentRef: fmt.Sprintf("po-archive/%s/45%08d.pdf", a.home.id, a.index*4+k),
	}
	if k > 0 {
		in.OrderType = pick(r, []string{order.TypeAddOn, order.TypeAddOn, order.TypeUpgrade})
		if cat == order.CatalogCloud {
			in.OrderType = order.TypeSubscriptionRenewal
		}
	}
	if chance(r, 20) {
		in.Comments = pick(r, orderComments)
	}
	indirect := a.home.is(partner.KindResellerIndirect) && (!a.home.is(partner.KindResellerDirect) || chance(r, 50))
	if indirect {
		in.DistributorID = pick(r, l.distributors[a.home.region]).id
		in.DistributorPONumber = fmt.Sprintf("DPO-%09d", a.index*4+k)
	}
	for _, p := range offer {
		q := pick(r, userCounts)
		if p.service {
			q = 1 + r.IntN(3)
		}
		in.Lines = append(in.Lines, order.Line{SKU: p.sku, Product: p.name, Edition: p.edition, Quantity: q,
			UnitPriceMinor: a.org.country.price(p.listUSD), Currency: a.org.country.currency})
	}
	outcome := r.IntN(100)
	if a.index < len(l.showcase) {
		outcome = 0
	}
	_, err := l.submit(ctx, a, in, a.home.actor(r), outcome, needIDs)
	return err
}

// submit submits in as the partner contact by; outcome below 88 has the
// order desk fulfil it (and, with needIDs, the license IDs read back into
// a.licenses), below 92 cancel it, else it stays pending.
func (l *loader) submit(ctx context.Context, a *accountRun, in command.SubmitOrderInput, by domain.Principal, outcome int, needIDs bool) ([]string, error) {
	corr := correlation()
	res, err := l.do("submit order", func() (command.Result, error) { return l.cmds.SubmitOrder(ctx, meta(by, corr), in) })
	if err != nil {
		return nil, err
	}
	number := res.ID
	if in.DistributorID != "" {
		l.tally.count(factViaDistributor, 1)
	}
	switch {
	case outcome < 88:
		if _, err := l.do("fulfil order", func() (command.Result, error) {
			return l.cmds.FulfilOrder(ctx, meta(staffOrderDsk, corr), number, command.FulfilOrderInput{})
		}); err != nil {
			return nil, err
		}
		a.fulfilled++
	case outcome < 92:
		_, err := l.do("cancel order", func() (command.Result, error) {
			return l.cmds.CancelOrder(ctx, onBehalf(staffSupport[a.index%len(staffSupport)], by, corr), number,
				command.CancelOrderInput{Reason: "partner withdrew the order: customer postponed the project"})
		})
		return nil, err
	default:
		return nil, nil
	}
	if !needIDs {
		return nil, nil
	}
	ids, err := l.licenseIDs(ctx, number)
	if err != nil {
		return nil, err
	}
	for j, id := range ids {
		p := in.Lines[j]
		a.licenses = append(a.licenses, issued{id: id, quantity: p.Quantity, service: in.Catalog == order.CatalogOnlineServices})
	}
	return ids, nil
}

// licenseIDs reads the licenses a fulfilment issued from the order's
// stream, in line order.
func (l *loader) licenseIDs(ctx context.Context, number string) ([]string, error) {
	f, err := first[order.Fulfilled](ctx, l.streams, order.StreamID(number))
	return f.LicenseIDs, err
}

// bigOrder has the first showcase customer buy the license the split story
// splits.
func (l *loader) bigOrder(ctx context.Context, a *accountRun) error {
	p := priceList[4] // Virtual Desktops Premium
	in := command.SubmitOrderInput{
		PONumber: "45" + fmt.Sprintf("%08d", 99_999_999), PODate: date(l.today.AddDate(0, -4, 0)), OrderType: order.TypeUpgrade,
		Catalog: order.CatalogSoftware, CustomerAccountID: a.id, Comments: "Company-wide rollout after the acquisition.",
		Lines: []order.Line{{SKU: p.sku, Product: p.name, Edition: p.edition, Quantity: bigLicenseUsers,
			UnitPriceMinor: a.org.country.price(p.listUSD * 8 / 10), Currency: a.org.country.currency}},
	}
	ids, err := l.submit(ctx, a, in, a.home.principal(a.home.admin), 0, true)
	if err != nil {
		return err
	}
	a.big = ids[0]
	// The big license is kept whole, unallocated, for the split.
	a.licenses = a.licenses[:len(a.licenses)-1]
	return nil
}

// rights lets the customer's partners see and renew its licenses: view
// rights on all of them for the ordering partner, on a few assigned ones
// for an advisor or another reseller, the renewal partner, a solution
// advisor; and allocates a license to a license server.
func (l *loader) rights(ctx context.Context, r *rand.Rand, a *accountRun, wantAssigned, wantAllocation bool) error {
	cust := a.customer()
	grant := func(to *partnerPlan, scope string, ids []string) error {
		m := meta(cust, correlation())
		if chance(r, 20) {
			m = onBehalf(pick(r, staffSupport), cust, m.CorrelationID)
		}
		_, err := l.do("grant view rights", func() (command.Result, error) {
			return l.cmds.GrantViewRights(ctx, m, a.id, command.GrantViewRightsInput{PartnerID: to.id, Scope: scope, LicenseIDs: ids})
		})
		if err == nil {
			l.tally.count(factViewRights+scope, 1)
		}
		return err
	}
	if a.index == 0 || chance(r, 35) && a.fulfilled > 0 {
		if err := grant(a.home, account.ScopeAll, nil); err != nil {
			return err
		}
	}
	if (a.index == 0 || wantAssigned) && len(a.licenses) > 0 {
		to := l.advisors[r.IntN(len(l.advisors))]
		if a.index == 0 {
			to = l.advisors[0]
		}
		var ids []string
		for _, lic := range a.licenses[:min(1+r.IntN(2), len(a.licenses))] {
			ids = append(ids, lic.id)
		}
		if err := grant(to, account.ScopeAssigned, ids); err != nil {
			return err
		}
	}
	if a.index == 0 || chance(r, 25) {
		if _, err := l.do("designate renewal partner", func() (command.Result, error) {
			return l.cmds.DesignateRenewalPartner(ctx, meta(cust, correlation()), a.id, command.DesignateRenewalPartnerInput{PartnerID: a.home.id})
		}); err != nil {
			return err
		}
	}
	if a.index == 0 || chance(r, 6) {
		adv := pick(r, l.advisors)
		if _, err := l.do("assign solution advisor", func() (command.Result, error) {
			return l.cmds.AssignSolutionAdvisor(ctx, onBehalf(pick(r, staffSupport), cust, correlation()), a.id,
				command.AssignSolutionAdvisorInput{PartnerID: adv.id, ContactID: adv.admin.id})
		}); err != nil {
			return err
		}
	}
	if !wantAllocation && a.index != 0 {
		return nil
	}
	i := slices.IndexFunc(a.licenses, func(x issued) bool { return !x.service })
	if i < 0 {
		return nil
	}
	lic := a.licenses[i]
	_, err := l.do("allocate license", func() (command.Result, error) {
		return l.cmds.AllocateLicense(ctx, meta(cust, correlation()), lic.id, command.AllocateLicenseInput{
			HostIDType: license.HostName, HostID: "lic01." + a.org.domain, Quantity: max(1, lic.quantity*3/4)})
	})
	return err
}
