package license

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one license, decided by Decide. SplitLicense,
// which records on several streams, is decided by Split instead.
type Command interface {
	// Target is the license ID the command addresses.
	Target() string
	isCommand()
}

// IssueLicense issues a license under LicenseID, which the system
// allocated, to the account OwnerAccountID. Order fulfilment issues one per
// license line of the order SourceOrder. MaintenanceEnd is YYYY-MM-DD.
type IssueLicense struct {
	LicenseID      string
	Product        string
	Edition        string
	Quantity       int
	OwnerAccountID string
	SourceOrder    string
	MaintenanceEnd string

	// Owner is the fact of the account OwnerAccountID.
	Owner domain.OrgRef

	By domain.Actor
	At time.Time
}

// AllocateLicense allocates Quantity users of the license to the license
// server identified by HostIDType and HostID.
type AllocateLicense struct {
	LicenseID  string
	HostIDType string
	HostID     string
	Quantity   int
	By         domain.Actor
	At         time.Time
}

// ReturnAllocation returns everything allocated to HostID.
type ReturnAllocation struct {
	LicenseID string
	HostID    string
	By        domain.Actor
	At        time.Time
}

// ReallocateLicense moves what is allocated to FromHostID to a new license
// server.
type ReallocateLicense struct {
	LicenseID    string
	FromHostID   string
	ToHostIDType string
	ToHostID     string
	By           domain.Actor
	At           time.Time
}

// SplitPart is one new license a split creates: its ID, allocated by the
// system, and its number of users.
type SplitPart struct {
	LicenseID string
	Quantity  int
}

// SplitLicense splits the license into Parts that sum to its quantity. It
// is decided by Split, not Decide: it records on the license's stream and on
// each part's.
type SplitLicense struct {
	LicenseID string
	Parts     []SplitPart
	// EmailAuthorisation is the customer's authorisation, by email from
	// its own domain.
	EmailAuthorisation EmailAuthorisation
	// ApprovalCase is the support case (CASE-000001) on which staff
	// approved the split; required for more than 1000 users.
	ApprovalCase string

	// OwnerDomain is the fact of the owning account's primary domain.
	OwnerDomain string

	By domain.Actor
	At time.Time
}

// TransferLicense transfers the license to the account ToAccountID.
type TransferLicense struct {
	LicenseID   string
	ToAccountID string
	// ApprovalCase is the support case (CASE-000001) that approved the
	// transfer: a license goes to another organisation only through one
	// (license.transfer_needs_case). The command service checks that the
	// case is approved for it and completes the case in the same append.
	ApprovalCase string
	// To is the fact of the account ToAccountID.
	To domain.OrgRef
	By domain.Actor
	At time.Time
}

// RenewMaintenance extends the license's Subscription Advantage by one
// year.
type RenewMaintenance struct {
	LicenseID string
	// RenewalPartnerID is the fact of the owner's designated renewal
	// partner, "" if it has none.
	RenewalPartnerID string
	// HasViewRights is the fact that the acting partner may see this
	// license: the owner granted it view rights "all", or "assigned" with
	// this license listed. False for anyone but a partner.
	HasViewRights bool
	By            domain.Actor
	At            time.Time
}

// Target implements Command.
func (c IssueLicense) Target() string { return c.LicenseID }

// Target implements Command.
func (c AllocateLicense) Target() string { return c.LicenseID }

// Target implements Command.
func (c ReturnAllocation) Target() string { return c.LicenseID }

// Target implements Command.
func (c ReallocateLicense) Target() string { return c.LicenseID }

// Target is the license being split.
func (c SplitLicense) Target() string { return c.LicenseID }

// Target implements Command.
func (c TransferLicense) Target() string { return c.LicenseID }

// Target implements Command.
func (c RenewMaintenance) Target() string { return c.LicenseID }

func (IssueLicense) isCommand()      {}
func (AllocateLicense) isCommand()   {}
func (ReturnAllocation) isCommand()  {}
func (ReallocateLicense) isCommand() {}
func (TransferLicense) isCommand()   {}
func (RenewMaintenance) isCommand()  {}

// StreamID is the event stream of a license.
func StreamID(licenseID string) string { return "license-" + licenseID }
