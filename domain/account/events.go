package account

import "github.com/channeldesk/channeldesk/domain/ids"

// Address is where an organisation is.
type Address struct {
	Country string `json:"country"`
	State   string `json:"state,omitempty"`
	City    string `json:"city,omitempty"`
}

// AccountRegistered: a customer organisation was registered.
type AccountRegistered struct {
	AccountID     string  `json:"account_id"`
	Name          string  `json:"name"`
	PrimaryDomain string  `json:"primary_domain"`
	Address       Address `json:"address"`
	Region        string  `json:"region"`
	VATNumber     string  `json:"vat_number,omitempty"`
}

// EventType implements domain.Event.
func (AccountRegistered) EventType() string { return "account.registered" }

// SchemaVersion implements domain.Event.
func (AccountRegistered) SchemaVersion() int { return 1 }

// EmailConfirmation is an email from the company's own domain confirming a
// change.
type EmailConfirmation struct {
	From      string `json:"from"`
	Reference string `json:"reference"`
}

// Document kinds accepted as rename evidence.
const (
	DocPressRelease      = "press_release"
	DocLegalDocument     = "legal_document"
	DocLetterheadRequest = "letterhead_request"
)

// Document is a press release, legal document or letterhead request naming
// the old and the new company name.
type Document struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
	OldName   string `json:"old_name"`
	NewName   string `json:"new_name"`
}

// RenameEvidence is what a rename must be backed by: an email confirmation
// from the company's domain AND a document naming both names.
type RenameEvidence struct {
	EmailConfirmation EmailConfirmation `json:"email_confirmation"`
	Document          Document          `json:"document"`
}

// CompanyRenamed: the company's name changed; the old name stays searchable.
type CompanyRenamed struct {
	AccountID string         `json:"account_id"`
	OldName   string         `json:"old_name"`
	NewName   string         `json:"new_name"`
	Evidence  RenameEvidence `json:"evidence"`
}

// EventType implements domain.Event.
func (CompanyRenamed) EventType() string { return "account.renamed" }

// SchemaVersion implements domain.Event.
func (CompanyRenamed) SchemaVersion() int { return 1 }

// Location is where an organisation is: its address and the sales region
// that follows from the address's country.
type Location struct {
	Address Address `json:"address"`
	Region  string  `json:"region"`
}

// AddressChanged: the organisation moved From one location To another; the
// region follows the country.
//
// Version 2 records both sides of the move as a Location, the same shape on
// each side. Version 1 (AddressChangedV1) wrote the new address and region
// at the top level and the old ones as old_address and old_region; it is
// read as version 2 through UpcastAddressChangedV1.
type AddressChanged struct {
	AccountID string   `json:"account_id"`
	From      Location `json:"from"`
	To        Location `json:"to"`
}

// EventType implements domain.Event.
func (AddressChanged) EventType() string { return "account.address_changed" }

// SchemaVersion implements domain.Event.
func (AddressChanged) SchemaVersion() int { return 2 }

// AddressChangedV1 is account.address_changed as written at schema version
// 1, before From and To. Nothing emits it any more and the domain never
// sees it: stored version 1 payloads are upcast to AddressChanged when they
// are read. It stays for the published contract (its schema and golden
// file).
type AddressChangedV1 struct {
	AccountID  string  `json:"account_id"`
	Address    Address `json:"address"`
	Region     string  `json:"region"`
	OldAddress Address `json:"old_address"`
	OldRegion  string  `json:"old_region"`
}

// EventType implements domain.Event.
func (AddressChangedV1) EventType() string { return "account.address_changed" }

// SchemaVersion implements domain.Event.
func (AddressChangedV1) SchemaVersion() int { return 1 }

// VATNumberSet: the VAT number was set, changed, or (when empty) removed.
type VATNumberSet struct {
	AccountID    string `json:"account_id"`
	VATNumber    string `json:"vat_number,omitempty"`
	OldVATNumber string `json:"old_vat_number,omitempty"`
}

// EventType implements domain.Event.
func (VATNumberSet) EventType() string { return "account.vat_number_set" }

// SchemaVersion implements domain.Event.
func (VATNumberSet) SchemaVersion() int { return 1 }

// AccountTagged: a tag was put on the account.
type AccountTagged struct {
	AccountID string `json:"account_id"`
	Tag       string `json:"tag"`
}

// EventType implements domain.Event.
func (AccountTagged) EventType() string { return "account.tagged" }

// SchemaVersion implements domain.Event.
func (AccountTagged) SchemaVersion() int { return 1 }

// AccountUntagged: a tag was taken off the account.
type AccountUntagged struct {
	AccountID string `json:"account_id"`
	Tag       string `json:"tag"`
}

// EventType implements domain.Event.
func (AccountUntagged) EventType() string { return "account.untagged" }

// SchemaVersion implements domain.Event.
func (AccountUntagged) SchemaVersion() int { return 1 }

// ContactAdded: a person of the organisation became a contact of the
// account. It carries personal data (name, email, phone), which the store
// keeps sealed under the person's key (internal/pii).
type ContactAdded struct {
	AccountID string   `json:"account_id"`
	ContactID string   `json:"contact_id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Phone     string   `json:"phone,omitempty"`
	Roles     []string `json:"roles"`
	Access    string   `json:"access"`
}

// EventType implements domain.Event.
func (ContactAdded) EventType() string { return "account.contact_added" }

// SchemaVersion implements domain.Event.
func (ContactAdded) SchemaVersion() int { return 1 }

// ContactAccessSet: a contact's access became restricted or unrestricted.
type ContactAccessSet struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
	Access    string `json:"access"`
	OldAccess string `json:"old_access"`
}

// EventType implements domain.Event.
func (ContactAccessSet) EventType() string { return "account.contact_access_set" }

// SchemaVersion implements domain.Event.
func (ContactAccessSet) SchemaVersion() int { return 1 }

// ContactForgotten: the person behind a contact asked to be forgotten. Its
// key was destroyed (crypto-shredding): every personal value recorded
// about it reads as domain.Erased from then on, in every event, read model
// and export, and a rebuild cannot bring them back. The contact stays,
// under its ID, erased and unable to act. It carries no personal data.
type ContactForgotten struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
}

// EventType implements domain.Event.
func (ContactForgotten) EventType() string { return "account.contact_forgotten" }

// SchemaVersion implements domain.Event.
func (ContactForgotten) SchemaVersion() int { return 1 }

// Invoice delivery modes.
const (
	DeliveryPaper     = "paper"
	DeliveryPaperless = "paperless"
)

// InvoiceDeliverySet: the account chose how its invoices are delivered.
// Invoices issued from then on follow it.
type InvoiceDeliverySet struct {
	AccountID string `json:"account_id"`
	Mode      string `json:"mode"`
	// Recipients of paperless invoices, the primary first; none for paper.
	Recipients []string `json:"recipients,omitempty"`
}

// EventType implements domain.Event.
func (InvoiceDeliverySet) EventType() string { return "account.invoice_delivery_set" }

// SchemaVersion implements domain.Event.
func (InvoiceDeliverySet) SchemaVersion() int { return 1 }

// SolutionAdvisorAssigned: a partner's contact became the customer's
// solution advisor, replacing any before.
type SolutionAdvisorAssigned struct {
	AccountID string `json:"account_id"`
	PartnerID string `json:"partner_id"`
	ContactID string `json:"contact_id"`
}

// EventType implements domain.Event.
func (SolutionAdvisorAssigned) EventType() string { return "account.solution_advisor_assigned" }

// SchemaVersion implements domain.Event.
func (SolutionAdvisorAssigned) SchemaVersion() int { return 1 }

// View rights scopes.
const (
	ScopeAll      = "all"
	ScopeAssigned = "assigned"
)

// ViewRightsGranted: a partner now sees all of the customer's licenses, or
// exactly the listed ones. It replaces the partner's earlier rights.
type ViewRightsGranted struct {
	AccountID  string   `json:"account_id"`
	PartnerID  string   `json:"partner_id"`
	Scope      string   `json:"scope"`
	LicenseIDs []string `json:"license_ids,omitempty"`
}

// EventType implements domain.Event.
func (ViewRightsGranted) EventType() string { return "account.view_rights_granted" }

// SchemaVersion implements domain.Event.
func (ViewRightsGranted) SchemaVersion() int { return 1 }

// ViewRightsRevoked: a partner no longer sees any of the customer's
// licenses.
type ViewRightsRevoked struct {
	AccountID string `json:"account_id"`
	PartnerID string `json:"partner_id"`
}

// EventType implements domain.Event.
func (ViewRightsRevoked) EventType() string { return "account.view_rights_revoked" }

// SchemaVersion implements domain.Event.
func (ViewRightsRevoked) SchemaVersion() int { return 1 }

// RenewalPartnerDesignated: a partner became the customer's renewal
// partner, replacing any before.
type RenewalPartnerDesignated struct {
	AccountID string `json:"account_id"`
	PartnerID string `json:"partner_id"`
}

// EventType implements domain.Event.
func (RenewalPartnerDesignated) EventType() string { return "account.renewal_partner_designated" }

// SchemaVersion implements domain.Event.
func (RenewalPartnerDesignated) SchemaVersion() int { return 1 }

// RenewalPartnerRemoved: the customer has no renewal partner any more.
type RenewalPartnerRemoved struct {
	AccountID string `json:"account_id"`
	PartnerID string `json:"partner_id"`
}

// EventType implements domain.Event.
func (RenewalPartnerRemoved) EventType() string { return "account.renewal_partner_removed" }

// SchemaVersion implements domain.Event.
func (RenewalPartnerRemoved) SchemaVersion() int { return 1 }

// LicenseAttached: a license now answers under the account. Recorded in
// the same append as the license's own event (issued, transferred, split).
type LicenseAttached struct {
	AccountID string `json:"account_id"`
	LicenseID string `json:"license_id"`
}

// EventType implements domain.Event.
func (LicenseAttached) EventType() string { return "account.license_attached" }

// SchemaVersion implements domain.Event.
func (LicenseAttached) SchemaVersion() int { return 1 }

// LicenseDetached: a license no longer answers under the account
// (transferred away, rescinded). Assigned view rights on it lapse.
type LicenseDetached struct {
	AccountID string `json:"account_id"`
	LicenseID string `json:"license_id"`
}

// EventType implements domain.Event.
func (LicenseDetached) EventType() string { return "account.license_detached" }

// SchemaVersion implements domain.Event.
func (LicenseDetached) SchemaVersion() int { return 1 }

// Programs of a license agreement: the domain's (package ids).
const (
	ProgramEnterprise = ids.ProgramEnterprise
	ProgramEasy       = ids.ProgramEasy
)

// ContractAttached: a license agreement of the customer was registered.
// Recorded in the same append as the contract's own event.
type ContractAttached struct {
	AccountID string `json:"account_id"`
	Number    string `json:"number"`
	Program   string `json:"program"`
}

// EventType implements domain.Event.
func (ContractAttached) EventType() string { return "account.contract_attached" }

// SchemaVersion implements domain.Event.
func (ContractAttached) SchemaVersion() int { return 1 }

// OrderAttached: an order was placed for the customer by PartnerID,
// through DistributorID if any. Recorded in the same append as the order's
// own event.
type OrderAttached struct {
	AccountID     string `json:"account_id"`
	OrderNumber   string `json:"order_number"`
	PartnerID     string `json:"partner_id"`
	DistributorID string `json:"distributor_id,omitempty"`
}

// EventType implements domain.Event.
func (OrderAttached) EventType() string { return "account.order_attached" }

// SchemaVersion implements domain.Event.
func (OrderAttached) SchemaVersion() int { return 1 }

// EmbargoHoldPlaced: screening matched the organisation (Party
// HoldAccount) or a contact (Party is its ID) against the restricted-party
// list; access is denied until compliance clears the hold.
type EmbargoHoldPlaced struct {
	AccountID    string `json:"account_id"`
	Party        string `json:"party"`
	MatchedEntry string `json:"matched_entry"`
}

// EventType implements domain.Event.
func (EmbargoHoldPlaced) EventType() string { return "account.embargo_hold_placed" }

// SchemaVersion implements domain.Event.
func (EmbargoHoldPlaced) SchemaVersion() int { return 1 }

// EmbargoHoldCleared: compliance verified the match and lifted the hold.
type EmbargoHoldCleared struct {
	AccountID string `json:"account_id"`
	Party     string `json:"party"`
	Note      string `json:"note"`
}

// EventType implements domain.Event.
func (EmbargoHoldCleared) EventType() string { return "account.embargo_hold_cleared" }

// SchemaVersion implements domain.Event.
func (EmbargoHoldCleared) SchemaVersion() int { return 1 }

// Reasons for a merge.
const (
	MergeDuplicate   = "duplicate"
	MergeAcquisition = "acquisition"
	MergeMerger      = "merger"
	MergeDownsizing  = "downsizing"
)

// Relationships are the partner relationships of a customer that a merge
// moves: view rights, the renewal partner and the solution advisor.
type Relationships struct {
	ViewRights      []ViewRight `json:"view_rights,omitempty"`
	RenewalPartner  string      `json:"renewal_partner,omitempty"`
	SolutionAdvisor *Advisor    `json:"solution_advisor,omitempty"`
}

// Moved is what a merge moves from the merged account to the survivor,
// each list sorted by ID. The contacts carry personal data.
type Moved struct {
	Licenses      []string       `json:"licenses,omitempty"`
	Contracts     []ContractLink `json:"contracts,omitempty"`
	Orders        []OrderLink    `json:"orders,omitempty"`
	Contacts      []Contact      `json:"contacts,omitempty"`
	Relationships Relationships  `json:"relationships"`
}

// AccountMerged: the account was merged into Into and accepts no further
// commands; what it had now answers under Into. Recorded on the merged
// account's stream, in the same append as MergeReceived on the survivor's.
type AccountMerged struct {
	AccountID string   `json:"account_id"`
	Into      string   `json:"into"`
	Reason    string   `json:"reason"`
	Evidence  []string `json:"evidence"`
	Moved     Moved    `json:"moved"`
}

// EventType implements domain.Event.
func (AccountMerged) EventType() string { return "account.merged" }

// SchemaVersion implements domain.Event.
func (AccountMerged) SchemaVersion() int { return 1 }

// MergeReceived: account From was merged into this one, which takes over
// what Moved lists. The survivor keeps its own renewal partner and
// solution advisor where it has one; view rights of the same partner join
// (all wins over assigned, assigned lists unite).
type MergeReceived struct {
	AccountID string   `json:"account_id"`
	From      string   `json:"from"`
	Reason    string   `json:"reason"`
	Evidence  []string `json:"evidence"`
	Moved     Moved    `json:"moved"`
}

// EventType implements domain.Event.
func (MergeReceived) EventType() string { return "account.merge_received" }

// SchemaVersion implements domain.Event.
func (MergeReceived) SchemaVersion() int { return 1 }
