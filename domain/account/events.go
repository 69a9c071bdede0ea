package account

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
