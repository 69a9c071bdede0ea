package account

import (
	"maps"
	"slices"
	"sort"

	"github.com/channeldesk/channeldesk/domain"
)

// Status of an account.
const (
	StatusActive = "active"
	StatusMerged = "merged"
)

// Access levels of a contact: the domain's, under the names this package
// has always used.
const (
	AccessRestricted   = domain.AccessRestricted
	AccessUnrestricted = domain.AccessUnrestricted
)

// Roles of a customer contact: the domain's contact roles a customer
// organisation uses (admin and sales agents are partner roles).
const (
	RoleOrgAdmin          = domain.ContactOrgAdmin
	RoleBusinessExecutive = domain.ContactBusinessExecutive
	RoleBilling           = domain.ContactBilling
	RoleTechnical         = domain.ContactTechnical
)

// Relationship kinds of a partner with a customer, as the account sees
// them (see State.Relationships).
const (
	RelOrderingPartner = "ordering_partner"
	RelDistributor     = "distributor"
	RelRenewalPartner  = "renewal_partner"
	RelSolutionAdvisor = "solution_advisor"
	RelViewRights      = "view_rights"
)

// HoldAccount is the Party of an embargo hold on the organisation itself;
// any other Party is a contact ID.
const HoldAccount = "account"

// Contact is a person of the organisation. It is part of the wire format
// of account.merged and account.merge_received, which carry the contacts
// that move: fields are only ever added.
type Contact struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Phone  string   `json:"phone,omitempty"`
	Roles  []string `json:"roles"`
	Access string   `json:"access"`
	// Forgotten is true once the person asked to be forgotten: Name, Email
	// and Phone are then domain.Erased and the contact may not act.
	Forgotten bool `json:"forgotten,omitempty"`
}

// InvoiceDelivery is how the account receives its invoices. The zero value
// (no choice made) is delivered on paper.
type InvoiceDelivery struct {
	Mode string `json:"mode"`
	// Recipients of paperless invoices; the first is the primary.
	Recipients []string `json:"recipients,omitempty"`
}

// Advisor is a solution advisor: a partner organisation and the one of its
// contacts who advises the customer.
type Advisor struct {
	PartnerID string `json:"partner_id"`
	ContactID string `json:"contact_id"`
}

// ViewRight is what a partner may see of the customer's licenses: all of
// them, or the listed ones.
type ViewRight struct {
	PartnerID  string   `json:"partner_id"`
	Scope      string   `json:"scope"`
	LicenseIDs []string `json:"license_ids,omitempty"`
}

// OrderLink is an order placed for the customer, with the partner that
// submitted it and the distributor on it, if any.
type OrderLink struct {
	OrderNumber   string `json:"order_number"`
	PartnerID     string `json:"partner_id"`
	DistributorID string `json:"distributor_id,omitempty"`
}

// ContractLink is a license agreement of the customer and its program.
type ContractLink struct {
	Number  string `json:"number"`
	Program string `json:"program"`
}

// Hold is an embargo hold on the organisation or one of its contacts,
// placed when screening matched an entry of the restricted-party list.
type Hold struct {
	Party        string
	MatchedEntry string
}

// State is an account as its events made it. The zero State is an account
// that does not exist.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	ID            string
	Name          string
	FormerNames   []string
	PrimaryDomain string
	Address       Address
	Region        string
	VATNumber     string
	Tags          []string
	Status        string
	// MergedInto is the surviving account once Status is merged;
	// MergedFrom lists the accounts merged into this one.
	MergedInto string
	MergedFrom []string
	Contacts   map[string]Contact
	// InvoiceDelivery is zero until the account chooses.
	InvoiceDelivery InvoiceDelivery
	// SolutionAdvisor is zero while none is assigned.
	SolutionAdvisor Advisor
	// ViewRights by partner ID.
	ViewRights     map[string]ViewRight
	RenewalPartner string
	// Licenses, Contracts (number → program) and Orders (by number) now
	// answering under this account: what a merge moves.
	Licenses  map[string]bool
	Contracts map[string]string
	Orders    map[string]OrderLink
	// Holds by party: HoldAccount or a contact ID.
	Holds map[string]Hold
}

// Exists reports whether the account was registered.
func (s State) Exists() bool { return s.ID != "" }

// Actor resolves principal p as the account knows it: for a contact of
// this account, whether it is known and its roles and access. Any other
// principal (staff, a partner, a contact of another account) is returned
// as it is, with no contact facts. The command service uses it to fill the
// By of customer commands on other aggregates (licenses, orders).
func (s State) Actor(p domain.Principal) domain.Actor {
	a := domain.Actor{Principal: p}
	if !s.Exists() || p.Kind != domain.KindCustomer || p.AccountID != s.ID {
		return a
	}
	ct, ok := s.Contacts[p.ContactID]
	if !ok || ct.Forgotten {
		return a // a forgotten contact acts no more
	}
	a.ContactKnown = true
	a.ContactRoles = slices.Clone(ct.Roles)
	a.ContactAccess = ct.Access
	return a
}

// OnHold returns the embargo hold that denies contact contactID access: a
// hold on the account itself, else one on the contact. With contactID ""
// it reports only a hold on the account. The API denies access (and starts
// the 6-hour wait) while there is one.
func (s State) OnHold(contactID string) (Hold, bool) {
	if h, ok := s.Holds[HoldAccount]; ok {
		return h, true
	}
	if contactID == "" {
		return Hold{}, false
	}
	h, ok := s.Holds[contactID]
	return h, ok
}

// PartnerSeesLicense reports whether partner partnerID has view rights on
// license licenseID of this account: all of them, or this one assigned.
func (s State) PartnerSeesLicense(partnerID, licenseID string) bool {
	if !s.Licenses[licenseID] {
		return false
	}
	vr, ok := s.ViewRights[partnerID]
	return ok && (vr.Scope == ScopeAll || slices.Contains(vr.LicenseIDs, licenseID))
}

// Relationships returns every partner related to the customer with the
// kinds of its relationships (RelOrderingPartner, …), sorted. Manage
// rights under a license agreement are not here: the contract holds them.
func (s State) Relationships() map[string][]string {
	rel := map[string][]string{}
	add := func(partnerID, kind string) {
		if partnerID != "" && !slices.Contains(rel[partnerID], kind) {
			rel[partnerID] = append(rel[partnerID], kind)
		}
	}
	for _, o := range s.Orders {
		add(o.PartnerID, RelOrderingPartner)
		add(o.DistributorID, RelDistributor)
	}
	add(s.RenewalPartner, RelRenewalPartner)
	add(s.SolutionAdvisor.PartnerID, RelSolutionAdvisor)
	for id := range s.ViewRights {
		add(id, RelViewRights)
	}
	for _, kinds := range rel {
		sort.Strings(kinds)
	}
	return rel
}

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. It never writes to the maps and slices of s: it copies
// what it changes.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case AccountRegistered:
		s = State{
			ID:            e.AccountID,
			Name:          e.Name,
			PrimaryDomain: e.PrimaryDomain,
			Address:       e.Address,
			Region:        e.Region,
			VATNumber:     e.VATNumber,
			Status:        StatusActive,
			Contacts:      map[string]Contact{},
		}
	case CompanyRenamed:
		s.FormerNames = append(slices.Clip(s.FormerNames), e.OldName)
		s.Name = e.NewName
	case AddressChanged:
		s.Address, s.Region = e.To.Address, e.To.Region
	case VATNumberSet:
		s.VATNumber = e.VATNumber
	case AccountTagged:
		s.Tags = append(slices.Clip(s.Tags), e.Tag)
	case AccountUntagged:
		s.Tags = slices.DeleteFunc(slices.Clone(s.Tags), func(t string) bool { return t == e.Tag })
	case ContactAdded:
		s.Contacts = with(s.Contacts, e.ContactID, Contact{ID: e.ContactID, Name: e.Name, Email: e.Email, Phone: e.Phone, Roles: e.Roles, Access: e.Access})
	case ContactForgotten:
		if ct, ok := s.Contacts[e.ContactID]; ok {
			s.Contacts = with(s.Contacts, e.ContactID, forgotten(ct))
		}
	case ContactAccessSet:
		if ct, ok := s.Contacts[e.ContactID]; ok {
			ct.Access = e.Access
			s.Contacts = with(s.Contacts, e.ContactID, ct)
		}
	case InvoiceDeliverySet:
		s.InvoiceDelivery = InvoiceDelivery{Mode: e.Mode, Recipients: e.Recipients}
	case SolutionAdvisorAssigned:
		s.SolutionAdvisor = Advisor{PartnerID: e.PartnerID, ContactID: e.ContactID}
	case ViewRightsGranted:
		s.ViewRights = with(s.ViewRights, e.PartnerID, ViewRight{PartnerID: e.PartnerID, Scope: e.Scope, LicenseIDs: e.LicenseIDs})
	case ViewRightsRevoked:
		s.ViewRights = without(s.ViewRights, e.PartnerID)
	case RenewalPartnerDesignated:
		s.RenewalPartner = e.PartnerID
	case RenewalPartnerRemoved:
		s.RenewalPartner = ""
	case LicenseAttached:
		s.Licenses = with(s.Licenses, e.LicenseID, true)
	case LicenseDetached:
		s.Licenses = without(s.Licenses, e.LicenseID)
		s.ViewRights = lapse(s.ViewRights, e.LicenseID)
	case ContractAttached:
		s.Contracts = with(s.Contracts, e.Number, e.Program)
	case OrderAttached:
		s.Orders = with(s.Orders, e.OrderNumber, OrderLink{OrderNumber: e.OrderNumber, PartnerID: e.PartnerID, DistributorID: e.DistributorID})
	case EmbargoHoldPlaced:
		s.Holds = with(s.Holds, e.Party, Hold{Party: e.Party, MatchedEntry: e.MatchedEntry})
	case EmbargoHoldCleared:
		s.Holds = without(s.Holds, e.Party)
	case AccountMerged:
		s.Status, s.MergedInto = StatusMerged, e.Into
		s.Contacts = map[string]Contact{}
		s.Licenses, s.Contracts, s.Orders = nil, nil, nil
		s.ViewRights, s.RenewalPartner, s.SolutionAdvisor = nil, "", Advisor{}
	case MergeReceived:
		s = receive(s, e)
	}
	return s
}

// receive folds what a merge brought into the surviving account. Lists
// join; of the relationships, a partner's view rights join (all wins over
// assigned, assigned lists unite), and the survivor keeps its own renewal
// partner and solution advisor, taking the merged account's only where it
// has none.
func receive(s State, e MergeReceived) State {
	s.MergedFrom = append(slices.Clip(s.MergedFrom), e.From)
	m := e.Moved
	for _, id := range m.Licenses {
		s.Licenses = with(s.Licenses, id, true)
	}
	for _, c := range m.Contracts {
		s.Contracts = with(s.Contracts, c.Number, c.Program)
	}
	for _, o := range m.Orders {
		s.Orders = with(s.Orders, o.OrderNumber, o)
	}
	for _, c := range m.Contacts {
		s.Contacts = with(s.Contacts, c.ID, c)
	}
	for _, vr := range m.Relationships.ViewRights {
		have, ok := s.ViewRights[vr.PartnerID]
		switch {
		case !ok:
		case have.Scope == ScopeAll || vr.Scope == ScopeAll:
			vr = ViewRight{PartnerID: vr.PartnerID, Scope: ScopeAll}
		default:
			ids := slices.Concat(have.LicenseIDs, vr.LicenseIDs)
			sort.Strings(ids)
			vr.LicenseIDs = slices.Compact(ids)
		}
		s.ViewRights = with(s.ViewRights, vr.PartnerID, vr)
	}
	if s.RenewalPartner == "" {
		s.RenewalPartner = m.Relationships.RenewalPartner
	}
	if s.SolutionAdvisor == (Advisor{}) && m.Relationships.SolutionAdvisor != nil {
		s.SolutionAdvisor = *m.Relationships.SolutionAdvisor
	}
	return s
}

// lapse drops license id from every assigned view right: a license that no
// longer answers under the account is no longer shown through it, even if
// it comes back. A right left with no license lapses altogether.
func lapse(rights map[string]ViewRight, id string) map[string]ViewRight {
	out := rights
	for pid, vr := range rights {
		if vr.Scope != ScopeAssigned || !slices.Contains(vr.LicenseIDs, id) {
			continue
		}
		vr.LicenseIDs = slices.DeleteFunc(slices.Clone(vr.LicenseIDs), func(l string) bool { return l == id })
		if len(vr.LicenseIDs) == 0 {
			out = without(out, pid)
		} else {
			out = with(out, pid, vr)
		}
	}
	return out
}

// with returns a copy of m with k set to v.
func with[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

// without returns a copy of m without k, or m itself when k is absent.
func without[V any](m map[string]V, k string) map[string]V {
	if _, ok := m[k]; !ok {
		return m
	}
	out := maps.Clone(m)
	delete(out, k)
	return out
}
