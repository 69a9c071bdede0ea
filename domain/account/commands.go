package account

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one account.
type Command interface {
	// Target is the account the command addresses.
	Target() string
	isCommand()
}

// RegisterAccount registers a new customer organisation under AccountID,
// which the system allocated.
type RegisterAccount struct {
	AccountID     string
	Name          string
	PrimaryDomain string
	Address       Address
	VATNumber     string
	By            domain.Principal
	At            time.Time
}

// RenameCompany changes the company name, backed by evidence.
type RenameCompany struct {
	AccountID string
	NewName   string
	Evidence  RenameEvidence
	By        domain.Principal
	At        time.Time
}

// Target implements Command.
func (c RegisterAccount) Target() string { return c.AccountID }

// Target implements Command.
func (c RenameCompany) Target() string { return c.AccountID }

func (RegisterAccount) isCommand() {}
func (RenameCompany) isCommand()   {}

// StreamID is the event stream of an account.
func StreamID(accountID string) string { return "account-" + accountID }
