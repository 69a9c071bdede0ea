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
// which the system allocated. Admin or support staff.
type RegisterAccount struct {
	AccountID     string
	Name          string
	PrimaryDomain string
	Address       Address
	VATNumber     string
	By            domain.Actor
	At            time.Time
}

// RenameCompany changes the company name, backed by evidence. Admin or
// support staff, or an unrestricted org admin of the account.
type RenameCompany struct {
	AccountID string
	NewName   string
	Evidence  RenameEvidence
	By        domain.Actor
	At        time.Time
}

// ChangeAddress moves the organisation; the region follows the country.
// Admin or support staff, or an unrestricted contact of the account (so
// are SetVATNumber, TagAccount, UntagAccount, SetInvoiceDelivery,
// AssignSolutionAdvisor, GrantViewRights, RevokeViewRights,
// DesignateRenewalPartner and RemoveRenewalPartner).
type ChangeAddress struct {
	AccountID string
	Address   Address
	By        domain.Actor
	At        time.Time
}

// SetVATNumber sets or changes the VAT number; an empty one removes it.
type SetVATNumber struct {
	AccountID string
	VATNumber string
	By        domain.Actor
	At        time.Time
}

// TagAccount puts Tag (1 to 40 of a-z, 0-9, '-' and '_') on the account.
type TagAccount struct {
	AccountID string
	Tag       string
	By        domain.Actor
	At        time.Time
}

// UntagAccount takes Tag off the account.
type UntagAccount struct {
	AccountID string
	Tag       string
	By        domain.Actor
	At        time.Time
}

// AddContact adds a person as contact ContactID (allocated by the system,
// e.g. C-000001). Admin or support staff, or an unrestricted org admin of
// the account (so is SetContactAccess): company administrators decide who
// has access.
type AddContact struct {
	AccountID string
	ContactID string
	Name      string
	Email     string
	// Phone is optional.
	Phone string
	// Roles: one or more of org_admin, business_executive, billing,
	// technical.
	Roles []string
	// Access: restricted or unrestricted.
	Access string
	By     domain.Actor
	At     time.Time
}

// SetContactAccess makes a contact restricted or unrestricted.
type SetContactAccess struct {
	AccountID string
	ContactID string
	Access    string
	By        domain.Actor
	At        time.Time
}

// ForgetContact forgets contact ContactID at the person's request: its
// personal data becomes unreadable for good (crypto-shredding). Admin or
// support staff, or an unrestricted org admin of the account other than
// the contact itself.
type ForgetContact struct {
	AccountID string
	ContactID string
	By        domain.Actor
	At        time.Time
}

// SetInvoiceDelivery chooses paper or paperless invoices. Paperless needs
// at least one recipient email, the first being the primary; the others
// may be anyone, e.g. accounts payable. Partners and distributors cannot
// choose it for a customer.
type SetInvoiceDelivery struct {
	AccountID  string
	Mode       string
	Recipients []string
	By         domain.Actor
	At         time.Time
}

// AssignSolutionAdvisor makes contact ContactID of partner PartnerID the
// customer's solution advisor. The facts come from the partner aggregate.
type AssignSolutionAdvisor struct {
	AccountID string
	PartnerID string
	ContactID string
	// Advisor is the partner organisation as the command service found it.
	Advisor domain.OrgRef
	// IsAdvisor is true when the partner is a solution advisor.
	IsAdvisor bool
	// ContactKnown is true when ContactID is a contact of the partner.
	ContactKnown bool
	By           domain.Actor
	At           time.Time
}

// GrantViewRights lets partner PartnerID see all of the customer's
// licenses (Scope all) or the listed ones (Scope assigned; each must be
// one of the account's licenses). It replaces the partner's earlier
// rights.
type GrantViewRights struct {
	AccountID  string
	PartnerID  string
	Scope      string
	LicenseIDs []string
	// Partner is the partner organisation as the command service found
	// it.
	Partner domain.OrgRef
	By      domain.Actor
	At      time.Time
}

// RevokeViewRights removes all of partner PartnerID's visibility at once.
type RevokeViewRights struct {
	AccountID string
	PartnerID string
	By        domain.Actor
	At        time.Time
}

// DesignateRenewalPartner makes partner PartnerID the customer's renewal
// partner, replacing any before.
type DesignateRenewalPartner struct {
	AccountID string
	PartnerID string
	// Partner is the partner organisation as the command service found
	// it.
	Partner domain.OrgRef
	By      domain.Actor
	At      time.Time
}

// RemoveRenewalPartner leaves the customer without a renewal partner.
type RemoveRenewalPartner struct {
	AccountID string
	By        domain.Actor
	At        time.Time
}

// AttachLicense records that license LicenseID now answers under the
// account. Like the other links (DetachLicense, AttachContract,
// AttachOrder) it is no request of anyone's: the command service issues it
// in the same append as the decision on the other aggregate that caused it
// (issuing, transferring or splitting a license), with that decision's By,
// who was authorised there. Decide does not check who asks.
type AttachLicense struct {
	AccountID string
	LicenseID string
	By        domain.Actor
	At        time.Time
}

// DetachLicense records that license LicenseID no longer answers under the
// account.
type DetachLicense struct {
	AccountID string
	LicenseID string
	By        domain.Actor
	At        time.Time
}

// AttachContract records license agreement Number (program enterprise,
// ELA-…, or easy, EASY-…) of the customer.
type AttachContract struct {
	AccountID string
	Number    string
	Program   string
	By        domain.Actor
	At        time.Time
}

// AttachOrder records order OrderNumber placed for the customer by partner
// PartnerID, through distributor DistributorID if not empty.
type AttachOrder struct {
	AccountID     string
	OrderNumber   string
	PartnerID     string
	DistributorID string
	By            domain.Actor
	At            time.Time
}

// PlaceEmbargoHold puts a hold on the organisation (Party HoldAccount) or
// on a contact (Party is its ID) whose name matched MatchedEntry of the
// restricted-party list. Like the links, the command service issues it
// when its screening of a name matched, alongside the command that brought
// the name; Decide does not check who asks.
type PlaceEmbargoHold struct {
	AccountID    string
	Party        string
	MatchedEntry string
	By           domain.Actor
	At           time.Time
}

// ClearEmbargoHold lifts the hold on Party once verified. Compliance staff
// only; not even admin.
type ClearEmbargoHold struct {
	AccountID string
	Party     string
	Note      string
	By        domain.Actor
	At        time.Time
}

// MergeAccounts merges account SourceID into TargetID. It spans two
// accounts, so it is no Command: Merge decides it.
type MergeAccounts struct {
	SourceID string
	TargetID string
	// Reason: duplicate, acquisition, merger or downsizing.
	Reason string
	// Evidence: one or more references (documents, the support case).
	Evidence []string
	// Terminated is the fact of which agreements of either account are
	// terminated (contract.StatusTerminated): the others are active.
	Terminated map[string]bool
	By         domain.Actor
	At         time.Time
}

// Target implements Command.
func (c RegisterAccount) Target() string { return c.AccountID }

// Target implements Command.
func (c RenameCompany) Target() string { return c.AccountID }

// Target implements Command.
func (c ChangeAddress) Target() string { return c.AccountID }

// Target implements Command.
func (c SetVATNumber) Target() string { return c.AccountID }

// Target implements Command.
func (c TagAccount) Target() string { return c.AccountID }

// Target implements Command.
func (c UntagAccount) Target() string { return c.AccountID }

// Target implements Command.
func (c AddContact) Target() string { return c.AccountID }

// Target implements Command.
func (c SetContactAccess) Target() string { return c.AccountID }

// Target implements Command.
func (c ForgetContact) Target() string { return c.AccountID }

// Target implements Command.
func (c SetInvoiceDelivery) Target() string { return c.AccountID }

// Target implements Command.
func (c AssignSolutionAdvisor) Target() string { return c.AccountID }

// Target implements Command.
func (c GrantViewRights) Target() string { return c.AccountID }

// Target implements Command.
func (c RevokeViewRights) Target() string { return c.AccountID }

// Target implements Command.
func (c DesignateRenewalPartner) Target() string { return c.AccountID }

// Target implements Command.
func (c RemoveRenewalPartner) Target() string { return c.AccountID }

// Target implements Command.
func (c AttachLicense) Target() string { return c.AccountID }

// Target implements Command.
func (c DetachLicense) Target() string { return c.AccountID }

// Target implements Command.
func (c AttachContract) Target() string { return c.AccountID }

// Target implements Command.
func (c AttachOrder) Target() string { return c.AccountID }

// Target implements Command.
func (c PlaceEmbargoHold) Target() string { return c.AccountID }

// Target implements Command.
func (c ClearEmbargoHold) Target() string { return c.AccountID }

func (RegisterAccount) isCommand()         {}
func (RenameCompany) isCommand()           {}
func (ChangeAddress) isCommand()           {}
func (SetVATNumber) isCommand()            {}
func (TagAccount) isCommand()              {}
func (UntagAccount) isCommand()            {}
func (AddContact) isCommand()              {}
func (SetContactAccess) isCommand()        {}
func (ForgetContact) isCommand()           {}
func (SetInvoiceDelivery) isCommand()      {}
func (AssignSolutionAdvisor) isCommand()   {}
func (GrantViewRights) isCommand()         {}
func (RevokeViewRights) isCommand()        {}
func (DesignateRenewalPartner) isCommand() {}
func (RemoveRenewalPartner) isCommand()    {}
func (AttachLicense) isCommand()           {}
func (DetachLicense) isCommand()           {}
func (AttachContract) isCommand()          {}
func (AttachOrder) isCommand()             {}
func (PlaceEmbargoHold) isCommand()        {}
func (ClearEmbargoHold) isCommand()        {}

// StreamID is the event stream of an account.
func StreamID(accountID string) string { return "account-" + accountID }
