package partner

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one partner organisation.
type Command interface {
	// Target is the partner the command addresses.
	Target() string
	isCommand()
}

// RegisterPartner registers a partner organisation under PartnerID, which
// the system allocated (form 123456HQ). Status is the initial program
// status; empty means prospect.
type RegisterPartner struct {
	PartnerID string
	Name      string
	Kinds     []string
	Address   Address
	Status    string
	By        domain.Actor
	At        time.Time
}

// ChangePartnerStatus moves the partner to another program status, with an
// optional reason.
type ChangePartnerStatus struct {
	PartnerID string
	Status    string
	Reason    string
	By        domain.Actor
	At        time.Time
}

// AddPartnerContact adds a contact, under ContactID which the system
// allocated (form C-000001), to the partner.
type AddPartnerContact struct {
	PartnerID string
	ContactID string
	Name      string
	Email     string
	// Phone is optional.
	Phone  string
	Roles  []string
	Access string
	By     domain.Actor
	At     time.Time
}

// SetContactAccess sets a partner contact's access to restricted or
// unrestricted.
type SetContactAccess struct {
	PartnerID string
	ContactID string
	Access    string
	By        domain.Actor
	At        time.Time
}

// ForgetContact forgets partner contact ContactID at the person's request:
// its personal data becomes unreadable for good (crypto-shredding). Who may
// manage the partner's contacts may forget one, but not itself.
type ForgetContact struct {
	PartnerID string
	ContactID string
	By        domain.Actor
	At        time.Time
}

// PlaceEmbargoHold puts a hold on the partner organisation (Party
// HoldPartner) or on one of its contacts (Party is its ID) whose name
// matched MatchedEntry of the restricted-party list. The command service
// issues it when its screening of a name matched, alongside the command
// that brought the name; Decide does not check who asks.
type PlaceEmbargoHold struct {
	PartnerID    string
	Party        string
	MatchedEntry string
	By           domain.Actor
	At           time.Time
}

// ClearEmbargoHold lifts the hold on Party once compliance verified the
// match. Compliance staff only; not even admin.
type ClearEmbargoHold struct {
	PartnerID string
	Party     string
	Note      string
	By        domain.Actor
	At        time.Time
}

// Target implements Command.
func (c RegisterPartner) Target() string { return c.PartnerID }

// Target implements Command.
func (c ChangePartnerStatus) Target() string { return c.PartnerID }

// Target implements Command.
func (c AddPartnerContact) Target() string { return c.PartnerID }

// Target implements Command.
func (c SetContactAccess) Target() string { return c.PartnerID }

// Target implements Command.
func (c ForgetContact) Target() string { return c.PartnerID }

// Target implements Command.
func (c PlaceEmbargoHold) Target() string { return c.PartnerID }

// Target implements Command.
func (c ClearEmbargoHold) Target() string { return c.PartnerID }

func (RegisterPartner) isCommand()     {}
func (PlaceEmbargoHold) isCommand()    {}
func (ClearEmbargoHold) isCommand()    {}
func (ChangePartnerStatus) isCommand() {}
func (AddPartnerContact) isCommand()   {}
func (SetContactAccess) isCommand()    {}
func (ForgetContact) isCommand()       {}

// StreamID is the event stream of a partner.
func StreamID(partnerID string) string { return "partner-" + partnerID }
