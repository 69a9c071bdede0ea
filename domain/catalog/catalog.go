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
		entry[account.AddressChangedV1]("account"),
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
		entry[account.AccountMerged]("account", "MergeAccounts", "ConsolidateAccounts"),
		entry[account.MergeReceived]("account", "MergeAccounts", "ConsolidateAccounts"),
		entry[contract.Registered]("contract", "RegisterContract"),
		entry[contract.AdministratorsChanged]("contract", "ChangeContractAdministrators"),
		entry[contract.DiscountLevelSet]("contract", "SetDiscountLevel"),
		entry[contract.ManageRightsGranted]("contract", "GrantManageRights"),
		entry[contract.ManageRightsRevoked]("contract", "RevokeManageRights", "TerminateContract"),
		entry[contract.OwnerChanged]("contract", "MergeAccounts", "ConsolidateAccounts"),
		entry[contract.Terminated]("contract", "TerminateContract"),
		entry[license.Issued]("license", "IssueLicense", "SplitLicense"),
		entry[license.Allocated]("license", "AllocateLicense"),
		entry[license.AllocationReturned]("license", "ReturnAllocation"),
		entry[license.Reallocated]("license", "ReallocateLicense"),
		entry[license.LicenseSplit]("license", "SplitLicense"),
		entry[license.Rescinded]("license", "SplitLicense"),
		entry[license.TransferredV1]("license"),
		entry[license.Transferred]("license", "TransferLicense"),
		entry[license.MaintenanceRenewed]("license", "RenewMaintenance"),
		entry[license.OwnerChanged]("license", "MergeAccounts", "ConsolidateAccounts"),
		entry[order.Submitted]("order", "SubmitOrder"),
		entry[order.Cancelled]("order", "CancelOrder"),
		entry[order.Fulfilled]("order", "FulfilOrder"),
		entry[order.CustomerChanged]("order", "MergeAccounts", "ConsolidateAccounts"),
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
		entry[supportcase.CaseExecuted]("supportcase", "ApproveCase", "SplitLicense", "TransferLicense"),
		entry[supportcase.CaseExecutionRefused]("supportcase", "ApproveCase"),
	}
}

// Catalog looks event types up by name and version and reads stored
// payloads of any version as the current one. It is safe for concurrent use
// once built.
type Catalog struct {
	byKey map[typeVersion]Entry
	// current is the newest version of each type.
	current map[string]int
	// upcasters by the version they read.
	upcasters map[typeVersion]Upcaster
}

// typeVersion is an event type at one schema version.
type typeVersion struct {
	typ     string
	version int
}

// New builds a Catalog of Entries and Upcasters.
func New() *Catalog {
	c := &Catalog{byKey: map[typeVersion]Entry{}, current: map[string]int{}, upcasters: map[typeVersion]Upcaster{}}
	for _, e := range Entries() {
		c.byKey[typeVersion{e.Type, e.Version}] = e
		c.current[e.Type] = max(c.current[e.Type], e.Version)
	}
	for _, u := range Upcasters() {
		c.upcasters[typeVersion{u.Type, u.From}] = u
	}
	return c
}

// Decode decodes a stored payload of type t at schema version v into the
// event at the current version of t: a payload of an older version is
// first upcast (see Upcast), so callers (the command service loading a
// stream, the projections) only ever see current events.
func (c *Catalog) Decode(t string, v int, data []byte) (domain.Event, error) {
	cur, data, err := c.Upcast(t, v, data)
	if err != nil {
		return nil, err
	}
	e := c.byKey[typeVersion{t, cur}]
	ev, err := e.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", t, v, err)
	}
	return ev, nil
}

// Upcast returns the payload data of type t at version v as the current
// version of t, and that version: data itself when v is current, else
// data passed through the upcasters from v, one version at a time. It
// fails with ErrUnknownEvent for a type or version that is not in the
// catalog (a version newer than the code knows, say).
func (c *Catalog) Upcast(t string, v int, data []byte) (int, []byte, error) {
	if _, ok := c.byKey[typeVersion{t, v}]; !ok {
		return 0, nil, fmt.Errorf("%w: %s v%d", ErrUnknownEvent, t, v)
	}
	for cur := c.current[t]; v < cur; v++ {
		u, ok := c.upcasters[typeVersion{t, v}]
		if !ok {
			return 0, nil, fmt.Errorf("%w: no upcaster from %s v%d", ErrUnknownEvent, t, v)
		}
		up, err := u.Up(data)
		if err != nil {
			return 0, nil, fmt.Errorf("upcast %s v%d: %w", t, v, err)
		}
		data = up
	}
	return v, data, nil
}

// Current returns the current (newest) version of type t, false for a type
// not in the catalog.
func (c *Catalog) Current(t string) (int, bool) {
	v, ok := c.current[t]
	return v, ok
}

// Lookup returns the entry for type t at version v.
func (c *Catalog) Lookup(t string, v int) (Entry, bool) {
	e, ok := c.byKey[typeVersion{t, v}]
	return e, ok
}
