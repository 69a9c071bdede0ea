package contract

// Programs of a license agreement.
const (
	ProgramEnterprise = "enterprise" // Enterprise License Agreement, numbered ELA-000001
	ProgramEasy       = "easy"       // Easy License Agreement, numbered EASY-000001
)

// ReasonMerge is the reason of an OwnerChanged recorded because the owning
// account was merged into another.
const ReasonMerge = "merge"

// Registered: a license agreement was registered for a customer account.
// Dates are YYYY-MM-DD; the term runs from TermStart to TermEnd inclusive.
type Registered struct {
	ContractNumber string `json:"contract_number"`
	Program        string `json:"program"`
	AccountID      string `json:"account_id"`
	PrimaryAdmin   string `json:"primary_admin"`
	SecondaryAdmin string `json:"secondary_admin,omitempty"`
	DiscountLevel  int    `json:"discount_level"`
	TermStart      string `json:"term_start"`
	TermEnd        string `json:"term_end"`
}

// EventType implements domain.Event.
func (Registered) EventType() string { return "contract.registered" }

// SchemaVersion implements domain.Event.
func (Registered) SchemaVersion() int { return 1 }

// AdministratorsChanged: the agreement's contract administrators are now
// these contacts of the customer. An empty SecondaryAdmin means there is no
// secondary administrator any more.
type AdministratorsChanged struct {
	PrimaryAdmin   string `json:"primary_admin"`
	SecondaryAdmin string `json:"secondary_admin,omitempty"`
}

// EventType implements domain.Event.
func (AdministratorsChanged) EventType() string { return "contract.administrators_changed" }

// SchemaVersion implements domain.Event.
func (AdministratorsChanged) SchemaVersion() int { return 1 }

// DiscountLevelSet: the agreement's discount level (1 to 6) changed.
type DiscountLevelSet struct {
	DiscountLevel int `json:"discount_level"`
}

// EventType implements domain.Event.
func (DiscountLevelSet) EventType() string { return "contract.discount_level_set" }

// SchemaVersion implements domain.Event.
func (DiscountLevelSet) SchemaVersion() int { return 1 }

// ManageRightsGranted: the partner may now manage the agreement (and so see
// the customer's account number, contracts and orders).
type ManageRightsGranted struct {
	PartnerID string `json:"partner_id"`
}

// EventType implements domain.Event.
func (ManageRightsGranted) EventType() string { return "contract.manage_rights_granted" }

// SchemaVersion implements domain.Event.
func (ManageRightsGranted) SchemaVersion() int { return 1 }

// ManageRightsRevoked: the partner no longer manages the agreement.
type ManageRightsRevoked struct {
	PartnerID string `json:"partner_id"`
}

// EventType implements domain.Event.
func (ManageRightsRevoked) EventType() string { return "contract.manage_rights_revoked" }

// SchemaVersion implements domain.Event.
func (ManageRightsRevoked) SchemaVersion() int { return 1 }

// OwnerChanged: the agreement now belongs to another account, for Reason
// (ReasonMerge: its account was merged into ToAccountID).
type OwnerChanged struct {
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
	Reason        string `json:"reason"`
}

// EventType implements domain.Event.
func (OwnerChanged) EventType() string { return "contract.owner_changed" }

// SchemaVersion implements domain.Event.
func (OwnerChanged) SchemaVersion() int { return 1 }

// Terminated: the agreement was terminated on TerminatedOn (YYYY-MM-DD, UTC)
// for Reason, on the Evidence references. It no longer counts as the
// account's active agreement under its program and accepts no further
// change; the partners that held manage rights lost them just before, in
// contract.manage_rights_revoked events of the same decision.
type Terminated struct {
	Reason       string   `json:"reason"`
	Evidence     []string `json:"evidence"`
	TerminatedOn string   `json:"terminated_on"`
}

// EventType implements domain.Event.
func (Terminated) EventType() string { return "contract.terminated" }

// SchemaVersion implements domain.Event.
func (Terminated) SchemaVersion() int { return 1 }
