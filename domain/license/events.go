package license

// Reasons recorded by Rescinded and OwnerChanged.
const (
	// ReasonSplit: the license was rescinded because it was split into new
	// licenses.
	ReasonSplit = "split"
	// ReasonMerge: the owning account was merged into another.
	ReasonMerge = "merge"
)

// Issued: a license was issued to an account, from an order's fulfilment or
// as a part of a split license (ParentLicenseID). Quantity is the number of
// users; MaintenanceEnd is the last day of Subscription Advantage,
// YYYY-MM-DD.
type Issued struct {
	LicenseID       string `json:"license_id"`
	Product         string `json:"product"`
	Edition         string `json:"edition"`
	Quantity        int    `json:"quantity"`
	OwnerAccountID  string `json:"owner_account_id"`
	SourceOrder     string `json:"source_order"`
	MaintenanceEnd  string `json:"maintenance_end"`
	ParentLicenseID string `json:"parent_license_id,omitempty"`
}

// EventType implements domain.Event.
func (Issued) EventType() string { return "license.issued" }

// SchemaVersion implements domain.Event.
func (Issued) SchemaVersion() int { return 1 }

// Allocated: Quantity more users of the license were allocated to the
// license server HostID. Allocating to a host that already holds an
// allocation of this license adds to it.
type Allocated struct {
	HostIDType string `json:"host_id_type"`
	HostID     string `json:"host_id"`
	Quantity   int    `json:"quantity"`
}

// EventType implements domain.Event.
func (Allocated) EventType() string { return "license.allocated" }

// SchemaVersion implements domain.Event.
func (Allocated) SchemaVersion() int { return 1 }

// AllocationReturned: everything allocated to HostID was returned.
type AllocationReturned struct {
	HostID string `json:"host_id"`
}

// EventType implements domain.Event.
func (AllocationReturned) EventType() string { return "license.allocation_returned" }

// SchemaVersion implements domain.Event.
func (AllocationReturned) SchemaVersion() int { return 1 }

// Reallocated: the Quantity allocated to FromHostID moved to ToHostID.
type Reallocated struct {
	FromHostID   string `json:"from_host_id"`
	ToHostIDType string `json:"to_host_id_type"`
	ToHostID     string `json:"to_host_id"`
	Quantity     int    `json:"quantity"`
}

// EventType implements domain.Event.
func (Reallocated) EventType() string { return "license.reallocated" }

// SchemaVersion implements domain.Event.
func (Reallocated) SchemaVersion() int { return 1 }

// Part is one of the licenses a split license is replaced by. The parts
// keep the original's maintenance end: maintenance is split with them.
type Part struct {
	LicenseID      string `json:"license_id"`
	Quantity       int    `json:"quantity"`
	MaintenanceEnd string `json:"maintenance_end"`
}

// EmailAuthorisation is the email, from the company's own domain,
// authorising a change.
type EmailAuthorisation struct {
	From      string `json:"from"`
	Reference string `json:"reference"`
}

// LicenseSplit: the license was split into Parts, which the customer
// receives in exchange for giving up (rescinding) the licenses of the
// RescindList. ApprovalCase is the support case recording staff approval,
// which a split of more than 1000 users needs. (The Go name keeps its
// package prefix because Split is the function that decides a split.)
type LicenseSplit struct {
	Parts              []Part             `json:"parts"`
	RescindList        []string           `json:"rescind_list"`
	EmailAuthorisation EmailAuthorisation `json:"email_authorisation"`
	ApprovalCase       string             `json:"approval_case,omitempty"`
}

// EventType implements domain.Event.
func (LicenseSplit) EventType() string { return "license.split" }

// SchemaVersion implements domain.Event.
func (LicenseSplit) SchemaVersion() int { return 1 }

// Rescinded: the license was given up for Reason (ReasonSplit) and replaced
// by the licenses ReplacedBy. A rescinded license accepts no further
// commands but stays in its owner's history.
type Rescinded struct {
	Reason     string   `json:"reason"`
	ReplacedBy []string `json:"replaced_by"`
}

// EventType implements domain.Event.
func (Rescinded) EventType() string { return "license.rescinded" }

// SchemaVersion implements domain.Event.
func (Rescinded) SchemaVersion() int { return 1 }

// Transferred: the license was transferred to another account, on the
// authority of the support case ApprovalCase. Version 1
// (TransferredV1) had no case; it is read as version 2 with an empty
// ApprovalCase through UpcastTransferredV1.
type Transferred struct {
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
	// ApprovalCase is the support case that approved the transfer; empty
	// only in transfers recorded (as version 1) before every transfer
	// needed one.
	ApprovalCase string `json:"approval_case,omitempty"`
}

// EventType implements domain.Event.
func (Transferred) EventType() string { return "license.transferred" }

// SchemaVersion implements domain.Event.
func (Transferred) SchemaVersion() int { return 2 }

// TransferredV1 is license.transferred as written at schema version 1,
// before transfers named their approval case. Nothing emits it any more
// and the domain never sees it: stored version 1 payloads are upcast to
// Transferred when they are read. It stays for the published contract
// (its schema and golden file).
type TransferredV1 struct {
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
}

// EventType implements domain.Event.
func (TransferredV1) EventType() string { return "license.transferred" }

// SchemaVersion implements domain.Event.
func (TransferredV1) SchemaVersion() int { return 1 }

// MaintenanceRenewed: Subscription Advantage was renewed for one year, its
// end date moving From one date To another (YYYY-MM-DD).
type MaintenanceRenewed struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// EventType implements domain.Event.
func (MaintenanceRenewed) EventType() string { return "license.maintenance_renewed" }

// SchemaVersion implements domain.Event.
func (MaintenanceRenewed) SchemaVersion() int { return 1 }

// OwnerChanged: the license now belongs to another account, for Reason
// (ReasonMerge: its owner was merged into ToAccountID).
type OwnerChanged struct {
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
	Reason        string `json:"reason"`
}

// EventType implements domain.Event.
func (OwnerChanged) EventType() string { return "license.owner_changed" }

// SchemaVersion implements domain.Event.
func (OwnerChanged) SchemaVersion() int { return 1 }
