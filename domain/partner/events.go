package partner

// Address is where a partner organisation is.
type Address struct {
	Country string `json:"country"`
	State   string `json:"state,omitempty"`
	City    string `json:"city,omitempty"`
}

// PartnerRegistered: a partner organisation joined the channel with its
// kinds (a dual-role partner lists both reseller kinds), region and initial
// program status.
type PartnerRegistered struct {
	PartnerID string   `json:"partner_id"`
	Name      string   `json:"name"`
	Kinds     []string `json:"kinds"`
	Address   Address  `json:"address"`
	Region    string   `json:"region"`
	Status    string   `json:"status"`
}

// EventType implements domain.Event.
func (PartnerRegistered) EventType() string { return "partner.registered" }

// SchemaVersion implements domain.Event.
func (PartnerRegistered) SchemaVersion() int { return 1 }

// PartnerStatusChanged: the partner's program status changed from
// PreviousStatus to Status. Only an active partner may act.
type PartnerStatusChanged struct {
	PartnerID      string `json:"partner_id"`
	Status         string `json:"status"`
	PreviousStatus string `json:"previous_status"`
	Reason         string `json:"reason,omitempty"`
}

// EventType implements domain.Event.
func (PartnerStatusChanged) EventType() string { return "partner.status_changed" }

// SchemaVersion implements domain.Event.
func (PartnerStatusChanged) SchemaVersion() int { return 1 }

// PartnerContactAdded: a person of the partner became a contact with roles
// and an access level. It carries personal data (name, email, phone), which
// the store keeps sealed under the person's key (internal/pii).
type PartnerContactAdded struct {
	PartnerID string   `json:"partner_id"`
	ContactID string   `json:"contact_id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Phone     string   `json:"phone,omitempty"`
	Roles     []string `json:"roles"`
	Access    string   `json:"access"`
}

// EventType implements domain.Event.
func (PartnerContactAdded) EventType() string { return "partner.contact_added" }

// SchemaVersion implements domain.Event.
func (PartnerContactAdded) SchemaVersion() int { return 1 }

// ContactAccessSet: a partner contact's access changed from PreviousAccess
// to Access.
type ContactAccessSet struct {
	PartnerID      string `json:"partner_id"`
	ContactID      string `json:"contact_id"`
	Access         string `json:"access"`
	PreviousAccess string `json:"previous_access"`
}

// EventType implements domain.Event.
func (ContactAccessSet) EventType() string { return "partner.contact_access_set" }

// SchemaVersion implements domain.Event.
func (ContactAccessSet) SchemaVersion() int { return 1 }

// ContactForgotten: the person behind a partner contact asked to be
// forgotten. Its key was destroyed (crypto-shredding): every personal value
// recorded about it reads as domain.Erased from then on, and a rebuild
// cannot bring them back. The contact stays, erased and unable to act. It
// carries no personal data.
type ContactForgotten struct {
	PartnerID string `json:"partner_id"`
	ContactID string `json:"contact_id"`
}

// EventType implements domain.Event.
func (ContactForgotten) EventType() string { return "partner.contact_forgotten" }

// SchemaVersion implements domain.Event.
func (ContactForgotten) SchemaVersion() int { return 1 }

// EmbargoHoldPlaced: screening matched the partner organisation (Party
// HoldPartner) or one of its contacts (Party is its ID) against the
// restricted-party list; access is denied until compliance clears the
// hold.
type EmbargoHoldPlaced struct {
	PartnerID    string `json:"partner_id"`
	Party        string `json:"party"`
	MatchedEntry string `json:"matched_entry"`
}

// EventType implements domain.Event.
func (EmbargoHoldPlaced) EventType() string { return "partner.embargo_hold_placed" }

// SchemaVersion implements domain.Event.
func (EmbargoHoldPlaced) SchemaVersion() int { return 1 }

// EmbargoHoldCleared: compliance verified the match and lifted the hold on
// Party.
type EmbargoHoldCleared struct {
	PartnerID string `json:"partner_id"`
	Party     string `json:"party"`
	Note      string `json:"note"`
}

// EventType implements domain.Event.
func (EmbargoHoldCleared) EventType() string { return "partner.embargo_hold_cleared" }

// SchemaVersion implements domain.Event.
func (EmbargoHoldCleared) SchemaVersion() int { return 1 }
