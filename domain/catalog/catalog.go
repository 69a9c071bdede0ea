package catalog

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/domain/supportcase"
)

// Entry describes one event type at one schema version.
type Entry struct {
	Type      string
	Version   int
	Category  string
	EmittedBy []string
	// Zero is the zero value of the event type.
	Zero domain.Event
	// Decode turns a stored payload into the event value.
	Decode func(data []byte) (domain.Event, error)
}

// ErrUnknownEvent is returned by Decode for a type or version that is not in
// the catalog.
var ErrUnknownEvent = errors.New("catalog: unknown event type or version")

func entry[E domain.Event](category string, emittedBy ...string) Entry {
	var zero E
	return Entry{
		Type:      zero.EventType(),
		Version:   zero.SchemaVersion(),
		Category:  category,
		EmittedBy: emittedBy,
		Zero:      zero,
		Decode: func(data []byte) (domain.Event, error) {
			var e E
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, err
			}
			return e, nil
		},
	}
}

// Entries returns every event type of the domain, in a fixed order.
func Entries() []Entry {
	return []Entry{
		entry[account.AccountRegistered]("account", "RegisterAccount"),
		entry[account.CompanyRenamed]("account", "RenameCompany"),
		entry[account.AddressChanged]("account", "ChangeAddress"),
		entry[account.VATNumberSet]("account", "SetVATNumber"),
		entry[account.AccountTagged]("account", "TagAccount"),
		entry[account.AccountUntagged]("account", "UntagAccount"),
		entry[account.ContactAdded]("account", "AddContact"),
		entry[account.ContactAccessSet]("account", "SetContactAccess"),
		entry[account.ContactForgotten]("account", "ForgetContact"),
		entry[account.InvoiceDeliverySet]("account", "SetInvoiceDelivery"),
		entry[account.SolutionAdvisorAssigned]("account", "AssignSolutionAdvisor"),
		entry[account.ViewRightsGranted]("account", "GrantViewRights"),
		entry[account.ViewRightsRevoked]("account", "RevokeViewRights"),
		entry[account.RenewalPartnerDesignated]("account", "DesignateRenewalPartner"),
		entry[account.RenewalPartnerRemoved]("account", "RemoveRenewalPartner"),
		entry[account.LicenseAttached]("account", "AttachLicense"),
		entry[account.LicenseDetached]("account", "DetachLicense"),
		entry[account.ContractAttached]("account", "AttachContract"),
		entry[account.OrderAttached]("account", "AttachOrder"),
		entry[account.EmbargoHoldPlaced]("account", "PlaceEmbargoHold"),
		entry[account.EmbargoHoldCleared]("account", "ClearEmbargoHold"),
		entry[account.AccountMerged]("account", "MergeAccounts"),
		entry[account.MergeReceived]("account", "MergeAccounts"),
		entry[contract.Registered]("contract", "RegisterContract"),
		entry[contract.AdministratorsChanged]("contract", "ChangeContractAdministrators"),
		entry[contract.DiscountLevelSet]("contract", "SetDiscountLevel"),
		entry[contract.ManageRightsGranted]("contract", "GrantManageRights"),
		entry[contract.ManageRightsRevoked]("contract", "RevokeManageRights"),
		entry[contract.OwnerChanged]("contract", "MergeAccounts"),
		entry[license.Issued]("license", "IssueLicense", "SplitLicense"),
		entry[license.Allocated]("license", "AllocateLicense"),
		entry[license.AllocationReturned]("license", "ReturnAllocation"),
		entry[license.Reallocated]("license", "ReallocateLicense"),
		entry[license.LicenseSplit]("license", "SplitLicense"),
		entry[license.Rescinded]("license", "SplitLicense"),
		entry[license.Transferred]("license", "TransferLicense"),
		entry[license.MaintenanceRenewed]("license", "RenewMaintenance"),
		entry[license.OwnerChanged]("license", "MergeAccounts"),
		entry[order.Submitted]("order", "SubmitOrder"),
		entry[order.Cancelled]("order", "CancelOrder"),
		entry[order.Fulfilled]("order", "FulfilOrder"),
		entry[order.CustomerChanged]("order", "MergeAccounts"),
		entry[order.POReserved]("orderpo", "SubmitOrder"),
		entry[invoice.Issued]("invoice", "IssueInvoice", "FulfilOrder"),
		entry[partner.PartnerRegistered]("partner", "RegisterPartner"),
		entry[partner.PartnerStatusChanged]("partner", "ChangePartnerStatus"),
		entry[partner.PartnerContactAdded]("partner", "AddPartnerContact"),
		entry[partner.ContactAccessSet]("partner", "SetContactAccess"),
		entry[partner.ContactForgotten]("partner", "ForgetContact"),
		entry[partner.EmbargoHoldPlaced]("partner", "PlaceEmbargoHold"),
		entry[partner.EmbargoHoldCleared]("partner", "ClearEmbargoHold"),
		entry[supportcase.CaseOpened]("supportcase", "OpenCase"),
		entry[supportcase.InformationRequested]("supportcase", "RequestInformation"),
		entry[supportcase.InformationProvided]("supportcase", "ProvideInformation"),
		entry[supportcase.CaseClosedUnanswered]("supportcase", "CloseUnanswered"),
		entry[supportcase.CaseApproved]("supportcase", "ApproveCase"),
		entry[supportcase.CaseRejected]("supportcase", "RejectCase"),
		entry[supportcase.CaseExecuted]("supportcase", "ApproveCase"),
		entry[supportcase.CaseExecutionRefused]("supportcase", "ApproveCase"),
	}
}

// Catalog looks event types up by name and version. It is safe for
// concurrent use once built.
type Catalog struct {
	byKey map[typeVersion]Entry
}

// typeVersion is an event type at one schema version.
type typeVersion struct {
	typ     string
	version int
}

// New builds a Catalog of Entries.
func New() *Catalog {
	c := &Catalog{byKey: map[typeVersion]Entry{}}
	for _, e := range Entries() {
		c.byKey[typeVersion{e.Type, e.Version}] = e
	}
	return c
}

// Decode decodes a stored payload of type t at schema version v.
func (c *Catalog) Decode(t string, v int, data []byte) (domain.Event, error) {
	e, ok := c.byKey[typeVersion{t, v}]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownEvent, t, v)
	}
	ev, err := e.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", t, v, err)
	}
	return ev, nil
}

// Lookup returns the entry for type t at version v.
func (c *Catalog) Lookup(t string, v int) (Entry, bool) {
	e, ok := c.byKey[typeVersion{t, v}]
	return e, ok
}
