package account

import "github.com/channeldesk/channeldesk/domain"

// Status of an account.
const (
	StatusActive = "active"
	StatusMerged = "merged"
)

// Access levels of a contact.
const (
	AccessRestricted   = "restricted"
	AccessUnrestricted = "unrestricted"
)

// Contact roles.
const (
	RoleOrgAdmin          = "org_admin"
	RoleBusinessExecutive = "business_executive"
	RoleBilling           = "billing"
	RoleTechnical         = "technical"
)

// Contact is a person of the organisation.
type Contact struct {
	ID     string
	Roles  []string
	Access string
}

// State is an account as its events made it. The zero State is an account
// that does not exist.
type State struct {
	ID            string
	Name          string
	FormerNames   []string
	PrimaryDomain string
	Address       Address
	Region        string
	VATNumber     string
	Status        string
	MergedInto    string
	Contacts      map[string]Contact
}

// Exists reports whether the account was registered.
func (s State) Exists() bool { return s.ID != "" }

// Evolve returns the state after event e. Events of other types leave the
// state unchanged.
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
		s.FormerNames = append(append([]string(nil), s.FormerNames...), e.OldName)
		s.Name = e.NewName
	}
	return s
}
