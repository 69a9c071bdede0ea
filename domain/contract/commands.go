package contract

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one license agreement.
type Command interface {
	// Target is the contract number the command addresses.
	Target() string
	isCommand()
}

// RegisterContract registers a license agreement under Number, which the
// system allocated from the program's sequence (ELA-000001, EASY-000001).
// Dates are YYYY-MM-DD.
type RegisterContract struct {
	Number         string
	Program        string
	AccountID      string
	PrimaryAdmin   string // contact ID of the customer, e.g. C-000001
	SecondaryAdmin string // optional; a different contact
	DiscountLevel  int
	TermStart      string
	TermEnd        string

	// Account is the fact of the customer account AccountID.
	Account domain.OrgRef
	// ActiveContracts maps each program to the number of the account's
	// active agreement under it, as the account's state lists them.
	ActiveContracts map[string]string

	By domain.Actor
	At time.Time
}

// ChangeContractAdministrators names the agreement's primary and, optionally,
// secondary contract administrator; an empty Secondary removes the
// secondary one.
type ChangeContractAdministrators struct {
	Number    string
	Primary   string
	Secondary string
	By        domain.Actor
	At        time.Time
}

// SetDiscountLevel sets the agreement's discount level, 1 to 6.
type SetDiscountLevel struct {
	Number string
	Level  int
	By     domain.Actor
	At     time.Time
}

// GrantManageRights lets a partner manage the agreement.
type GrantManageRights struct {
	Number    string
	PartnerID string
	// Partner is the fact of the partner organisation PartnerID.
	Partner domain.OrgRef
	By      domain.Actor
	At      time.Time
}

// RevokeManageRights withdraws a partner's manage rights.
type RevokeManageRights struct {
	Number    string
	PartnerID string
	By        domain.Actor
	At        time.Time
}

// TerminateContract ends a license agreement for good, as support staff
// decide on a termination case: Reason says why, Evidence lists at least
// one reference to what the decision rests on (the customer's notice, a
// court order). Every partner that still holds manage rights loses them in
// the same decision.
type TerminateContract struct {
	Number   string
	Reason   string
	Evidence []string
	By       domain.Actor
	At       time.Time
}

// Target implements Command.
func (c RegisterContract) Target() string { return c.Number }

// Target implements Command.
func (c ChangeContractAdministrators) Target() string { return c.Number }

// Target implements Command.
func (c SetDiscountLevel) Target() string { return c.Number }

// Target implements Command.
func (c GrantManageRights) Target() string { return c.Number }

// Target implements Command.
func (c RevokeManageRights) Target() string { return c.Number }

// Target implements Command.
func (c TerminateContract) Target() string { return c.Number }

func (RegisterContract) isCommand()             {}
func (ChangeContractAdministrators) isCommand() {}
func (SetDiscountLevel) isCommand()             {}
func (GrantManageRights) isCommand()            {}
func (RevokeManageRights) isCommand()           {}
func (TerminateContract) isCommand()            {}

// StreamID is the event stream of a license agreement.
func StreamID(number string) string { return "contract-" + number }
