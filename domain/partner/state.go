package partner

import (
	"maps"

	"github.com/channeldesk/channeldesk/domain"
)

// Partner kinds. A partner may hold several; one holding both reseller kinds
// is a dual-role partner.
const (
	KindResellerDirect   = "reseller_direct"
	KindResellerIndirect = "reseller_indirect"
	KindDistributor      = "distributor"
	KindAdvisor          = "advisor"
)

// Kinds lists every partner kind in the order events record them.
func Kinds() []string {
	return []string{KindResellerDirect, KindResellerIndirect, KindDistributor, KindAdvisor}
}

// Contact is a person of the partner organisation.
type Contact struct {
	ID     string
	Name   string
	Email  string
	Phone  string
	Roles  []string
	Access string
	// Forgotten is true once the person asked to be forgotten: Name, Email
	// and Phone are then domain.Erased and the contact may not act.
	Forgotten bool
}

// State is a partner as its events made it. The zero State is a partner
// that does not exist. Partners never merge: there is no merged status.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	ID       string
	Name     string
	Kinds    []string
	Address  Address
	Region   string
	Status   string
	Contacts map[string]Contact
	// Holds are the embargo holds by party: HoldPartner or a contact ID.
	Holds map[string]Hold
}

// Exists reports whether the partner was registered.
func (s State) Exists() bool { return s.ID != "" }

// Is reports whether the partner holds kind.
func (s State) Is(kind string) bool { return contains(s.Kinds, kind) }

// DualRole reports whether the partner is both a direct-bill and an
// indirect reseller: it then sees a customer once per relationship.
func (s State) DualRole() bool { return s.Is(KindResellerDirect) && s.Is(KindResellerIndirect) }

// Actor resolves principal p into the acting party the domain decides
// with. For a contact of this partner it fills in the partner's program
// status and, when the partner knows the contact, its roles and access; any
// other principal comes back with nothing resolved, so PartnerMayAct
// refuses it. The returned Actor shares no memory with s.
func (s State) Actor(p domain.Principal) domain.Actor {
	a := domain.Actor{Principal: p}
	if p.Kind != domain.KindPartner || !s.Exists() || p.PartnerID != s.ID {
		return a
	}
	a.PartnerStatus = s.Status
	if ct, ok := s.Contacts[p.ContactID]; ok && p.ContactID != "" && !ct.Forgotten {
		a.ContactKnown = true
		a.ContactRoles = append([]string(nil), ct.Roles...)
		a.ContactAccess = ct.Access
	}
	return a
}

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. It never modifies the maps or slices of s: states folded
// from a shared history stay independent.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case PartnerRegistered:
		s = State{
			ID:       e.PartnerID,
			Name:     e.Name,
			Kinds:    append([]string(nil), e.Kinds...),
			Address:  e.Address,
			Region:   e.Region,
			Status:   e.Status,
			Contacts: map[string]Contact{},
		}
	case PartnerStatusChanged:
		s.Status = e.Status
	case PartnerContactAdded:
		s.Contacts = maps.Clone(s.Contacts)
		if s.Contacts == nil {
			s.Contacts = map[string]Contact{}
		}
		s.Contacts[e.ContactID] = Contact{
			ID:     e.ContactID,
			Name:   e.Name,
			Email:  e.Email,
			Phone:  e.Phone,
			Roles:  append([]string(nil), e.Roles...),
			Access: e.Access,
		}
	case ContactAccessSet:
		ct, ok := s.Contacts[e.ContactID]
		if !ok {
			break
		}
		s.Contacts = maps.Clone(s.Contacts)
		ct.Access = e.Access
		s.Contacts[e.ContactID] = ct
	case ContactForgotten:
		if ct, ok := s.Contacts[e.ContactID]; ok {
			s.Contacts = maps.Clone(s.Contacts)
			s.Contacts[e.ContactID] = forgotten(ct)
		}
	case EmbargoHoldPlaced:
		s.Holds = maps.Clone(s.Holds)
		if s.Holds == nil {
			s.Holds = map[string]Hold{}
		}
		s.Holds[e.Party] = Hold{Party: e.Party, MatchedEntry: e.MatchedEntry}
	case EmbargoHoldCleared:
		if _, ok := s.Holds[e.Party]; ok {
			s.Holds = maps.Clone(s.Holds)
			delete(s.Holds, e.Party)
		}
	}
	return s
}

func contains(list []string, v string) bool {
	for _, have := range list {
		if have == v {
			return true
		}
	}
	return false
}
