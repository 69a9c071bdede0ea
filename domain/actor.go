package domain

// Contact roles within a partner or customer organisation.
const (
	ContactOrgAdmin          = "org_admin"
	ContactBusinessExecutive = "business_executive"
	ContactAdminAgent        = "admin_agent"
	ContactSalesAgent        = "sales_agent"
	ContactBilling           = "billing"
	ContactTechnical         = "technical"
)

// Contact access levels.
const (
	AccessRestricted   = "restricted"
	AccessUnrestricted = "unrestricted"
)

// Partner program statuses.
const (
	PartnerProspect = "prospect"
	PartnerActive   = "active"
	PartnerExpired  = "expired"
)

// Actor is the acting party of a command as the command service resolved
// it: the principal, and for a contact what its organisation records about
// it. Decisions read permissions from here, never from I/O.
type Actor struct {
	Principal
	// ContactKnown is true when the contact exists in its organisation.
	ContactKnown bool `json:"contact_known,omitempty"`
	// ContactRoles and ContactAccess of a partner or customer contact.
	ContactRoles  []string `json:"contact_roles,omitempty"`
	ContactAccess string   `json:"contact_access,omitempty"`
	// PartnerStatus is the program status of a partner contact's
	// organisation (prospect, active, expired).
	PartnerStatus string `json:"partner_status,omitempty"`
}

// Staff returns an Actor for a staff principal.
func Staff(p Principal) Actor { return Actor{Principal: p} }

// HasContactRole reports whether the contact holds role.
func (a Actor) HasContactRole(role string) bool {
	for _, r := range a.ContactRoles {
		if r == role {
			return true
		}
	}
	return false
}

// PartnerMayAct enforces DOMAIN.md: a partner acts only while its program
// status is active, through an org admin or business executive with
// unrestricted access.
func (a Actor) PartnerMayAct() error {
	switch {
	case a.Kind != KindPartner:
		return Forbidden("only a partner may do this")
	case a.PartnerStatus != PartnerActive:
		return Forbidden("partner %s is %s, not active: it may not act", a.PartnerID, orUnknown(a.PartnerStatus))
	case !a.ContactKnown || a.ContactAccess != AccessUnrestricted:
		return Forbidden("only a partner contact with unrestricted access may act")
	case !a.HasContactRole(ContactOrgAdmin) && !a.HasContactRole(ContactBusinessExecutive):
		return Forbidden("only a partner's org admin or business executive may act")
	}
	return nil
}

// CustomerMayChange enforces DOMAIN.md: only unrestricted contacts of the
// organisation itself use licensing tools or change anything on its
// account. A contact of another customer is told ErrNotFound: it may not
// learn that the account exists.
func (a Actor) CustomerMayChange(accountID string) error {
	switch {
	case a.Kind == KindCustomer && a.AccountID != accountID:
		return ErrNotFound
	case a.Kind != KindCustomer:
		return Forbidden("only a contact of account %s may do this", accountID)
	case !a.ContactKnown || a.ContactAccess != AccessUnrestricted:
		return Forbidden("only an unrestricted contact may use licensing tools or change the account")
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// OrgRef is what a decision needs to know of another organisation: that it
// exists, and whether it still accepts commands.
type OrgRef struct {
	ID         string `json:"id"`
	Exists     bool   `json:"exists"`
	MergedInto string `json:"merged_into,omitempty"`
}

// StreamEvents are the events a multi-aggregate decision records on one
// stream.
type StreamEvents struct {
	StreamID string
	Events   []Event
}
