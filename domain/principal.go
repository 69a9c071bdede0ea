package domain

// PrincipalKind says what kind of party acts.
type PrincipalKind string

// The kinds of principal.
const (
	KindStaff    PrincipalKind = "staff"
	KindPartner  PrincipalKind = "partner"
	KindCustomer PrincipalKind = "customer"
)

// Role is a staff role.
type Role string

// Staff roles.
const (
	RoleAdmin       Role = "admin"
	RoleSupport     Role = "support"
	RoleCompliance  Role = "compliance"
	RoleAuditor     Role = "auditor"
	RoleIntegration Role = "integration"
)

// StaffRoles lists every staff role.
func StaffRoles() []Role {
	return []Role{RoleAdmin, RoleSupport, RoleCompliance, RoleAuditor, RoleIntegration}
}

// Principal is who acts: a staff member with roles, or a contact of a
// partner or customer organisation. It arrives in every command.
type Principal struct {
	// ID identifies the principal in the activity log and event envelopes,
	// e.g. "staff:alice", "customer:123456HQ/C-1", "partner:654321HQ/P-2".
	ID   string        `json:"id"`
	Kind PrincipalKind `json:"kind"`
	// Roles of a staff member.
	Roles []Role `json:"roles,omitempty"`
	// AccountID is the customer organisation of a customer contact.
	AccountID string `json:"account_id,omitempty"`
	// PartnerID is the organisation of a partner contact.
	PartnerID string `json:"partner_id,omitempty"`
	// ContactID is the contact within AccountID or PartnerID.
	ContactID string `json:"contact_id,omitempty"`
}

// HasRole reports whether p is staff with role r.
func (p Principal) HasRole(r Role) bool {
	if p.Kind != KindStaff {
		return false
	}
	for _, have := range p.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// IsStaffWith reports whether p is staff holding any of roles.
func (p Principal) IsStaffWith(roles ...Role) bool {
	for _, r := range roles {
		if p.HasRole(r) {
			return true
		}
	}
	return false
}
