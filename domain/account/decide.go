package account

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Limits on field lengths, in characters, and on list lengths.
const (
	MaxNameLen      = 200
	MaxPlaceLen     = 100
	MaxReferenceLen = 500
	MaxVATLen       = 30
	MaxTagLen       = 40
	// MaxRecipients bounds the recipients of paperless invoices.
	MaxRecipients = 10
	// MaxEvidence bounds the evidence references of a merge.
	MaxEvidence = 20
)

var (
	vatPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 .\-]{1,29}$`)
	tagPattern = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)
)

// ValidID reports whether id has the form of an organisation ID: six digits
// and a two-letter suffix, e.g. 123456HQ.
func ValidID(id string) bool { return ids.Org(id) }

// Decide decides cmd against the account's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate. A merged account accepts no command (rule
// account.merged). MergeAccounts spans two accounts: Merge decides it.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case RegisterAccount:
		return register(s, c)
	case RenameCompany:
		return rename(s, c)
	case ChangeAddress:
		return changeAddress(s, c)
	case SetVATNumber:
		return setVATNumber(s, c)
	case TagAccount:
		return tag(s, c)
	case UntagAccount:
		return untag(s, c)
	case AddContact:
		return addContact(s, c)
	case SetContactAccess:
		return setContactAccess(s, c)
	case ForgetContact:
		return forgetContact(s, c)
	case SetInvoiceDelivery:
		return setInvoiceDelivery(s, c)
	case AssignSolutionAdvisor:
		return assignSolutionAdvisor(s, c)
	case GrantViewRights:
		return grantViewRights(s, c)
	case RevokeViewRights:
		return revokeViewRights(s, c)
	case DesignateRenewalPartner:
		return designateRenewalPartner(s, c)
	case RemoveRenewalPartner:
		return removeRenewalPartner(s, c)
	case AttachLicense:
		return attachLicense(s, c)
	case DetachLicense:
		return detachLicense(s, c)
	case AttachContract:
		return attachContract(s, c)
	case AttachOrder:
		return attachOrder(s, c)
	case PlaceEmbargoHold:
		return placeEmbargoHold(s, c)
	case ClearEmbargoHold:
		return clearEmbargoHold(s, c)
	}
	return nil, domain.Rule("account.unknown_command", "unknown account command %T", cmd)
}

// who says who may ask for a command on an existing account.
type who int

const (
	// staffOrContact: admin or support staff, or an unrestricted contact
	// of the account ("only unrestricted contacts may use licensing tools
	// or change anything on the account").
	staffOrContact who = iota
	// staffOrOrgAdmin: admin or support staff, or an unrestricted contact
	// of the account who is its org admin.
	staffOrOrgAdmin
	// compliance: compliance staff only.
	compliance
	// system: commands the command service issues alongside a decision on
	// another aggregate, with that decision's actor, who was authorised
	// there. Not checked again.
	system
)

// ask is the part of the permission check that does not depend on the
// account's state. It runs before validation, so that the refused learn
// nothing from the answer. A contact of another customer is answered as if
// the account did not exist: it may not know that it does.
func (w who) ask(accountID string, by domain.Actor) error {
	switch {
	case w == system:
		return nil
	case w == compliance && by.IsStaffWith(domain.RoleCompliance):
		return nil
	case w != compliance && by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
		return nil
	case by.Kind == domain.KindCustomer && by.AccountID != accountID:
		return domain.ErrNotFound
	case by.Kind == domain.KindCustomer && w != compliance:
		return nil // which contact it is, admit decides on the account's state
	}
	switch w {
	case staffOrOrgAdmin:
		return domain.Forbidden("only admin or support staff, or an unrestricted org admin of the account, may do this")
	case compliance:
		return domain.Forbidden("only compliance staff may do this")
	}
	return domain.Forbidden("only admin or support staff, or an unrestricted contact of the account, may change it")
}

// admit is the part of the permission check that depends on the account:
// that s is the account addressed, that a customer caller is an
// unrestricted contact of it (and its org admin where w asks for one) and
// under no embargo hold, and that the account was not merged.
func (w who) admit(s State, accountID string, by domain.Actor) error {
	// A state folded from another account's stream must not be changed in
	// this command's name: the event would carry the other account's ID.
	if !s.Exists() || s.ID != accountID {
		return domain.ErrNotFound
	}
	if w != system && by.Kind == domain.KindCustomer {
		// The account is the authority on its own contacts: the caller is
		// resolved from its state, whatever contact facts the command
		// carries, so that a stale or wrong fact cannot widen access.
		a := s.Actor(by.Principal)
		if err := a.CustomerMayChange(s.ID); err != nil {
			return err
		}
		if w == staffOrOrgAdmin && !a.HasContactRole(domain.ContactOrgAdmin) {
			return domain.Forbidden("only an unrestricted org admin of the account may do this")
		}
		if _, held := s.OnHold(a.ContactID); held {
			return domain.Rule("account.embargo_hold",
				"access is denied while compliance verifies a restricted-party match")
		}
	}
	if s.Status == StatusMerged {
		return domain.Rule("account.merged", "account %s was merged into %s and accepts no further commands", s.ID, s.MergedInto)
	}
	return nil
}

// run decides a command on an existing account in the order
// DOMAIN-DESIGN.md fixes: who may ask as far as it does not depend on the
// account (w.ask); validation, every problem at once (validate, if not
// nil); the account and who may ask on it (w.admit); then the business
// rules, which also build the events (rules).
func run(s State, w who, accountID string, by domain.Actor, validate func(*domain.Problems), rules func() ([]domain.Event, error)) ([]domain.Event, error) {
	if err := w.ask(accountID, by); err != nil {
		return nil, err
	}
	if validate != nil {
		var p domain.Problems
		validate(&p)
		if err := p.Err(); err != nil {
			return nil, err
		}
	}
	if err := w.admit(s, accountID, by); err != nil {
		return nil, err
	}
	return rules()
}

func register(s State, c RegisterAccount) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff register customer accounts")
	}
	var p domain.Problems
	if !ValidID(c.AccountID) {
		p.Add("account_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	checkName(&p, "name", c.Name)
	if !names.ValidDomain(c.PrimaryDomain) {
		p.Add("primary_domain", "must be a lower-case domain name such as acme.example")
	}
	region := checkAddress(&p, "address", c.Address)
	checkVAT(&p, "vat_number", c.VATNumber)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	return []domain.Event{AccountRegistered{
		AccountID:     c.AccountID,
		Name:          strings.TrimSpace(c.Name),
		PrimaryDomain: c.PrimaryDomain,
		Address:       trimAddress(c.Address),
		Region:        region,
		VATNumber:     c.VATNumber,
	}}, nil
}

func rename(s State, c RenameCompany) ([]domain.Event, error) {
	ev := c.Evidence
	validate := func(p *domain.Problems) {
		checkName(p, "new_name", c.NewName)
		if _, ok := names.EmailDomain(ev.EmailConfirmation.From); !ok {
			p.Add("evidence.email_confirmation.from", "must be the email address the confirmation came from")
		}
		checkReference(p, "evidence.email_confirmation.reference", ev.EmailConfirmation.Reference)
		switch ev.Document.Kind {
		case DocPressRelease, DocLegalDocument, DocLetterheadRequest:
		default:
			p.Add("evidence.document.kind", "must be press_release, legal_document or letterhead_request")
		}
		checkReference(p, "evidence.document.reference", ev.Document.Reference)
		checkName(p, "evidence.document.old_name", ev.Document.OldName)
		checkName(p, "evidence.document.new_name", ev.Document.NewName)
	}
	// DOMAIN.md: only staff or an unrestricted customer admin may ask.
	return run(s, staffOrOrgAdmin, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		newName := strings.TrimSpace(c.NewName)
		if names.Fold(newName) == names.Fold(s.Name) {
			return nil, domain.Rule("rename.same_name", "the new name %q is the current name", newName)
		}
		from, _ := names.EmailDomain(ev.EmailConfirmation.From)
		if !names.InDomain(from, s.PrimaryDomain) {
			return nil, domain.Rule("rename.email_from_company_domain",
				"the email confirmation must come from the company's own domain %s, not %s", s.PrimaryDomain, from)
		}
		if names.FoldCompany(ev.Document.OldName) != names.FoldCompany(s.Name) ||
			names.FoldCompany(ev.Document.NewName) != names.FoldCompany(newName) {
			return nil, domain.Rule("rename.document_names_both",
				"the %s must name the old name %q and the new name %q", ev.Document.Kind, s.Name, newName)
		}
		return []domain.Event{CompanyRenamed{
			AccountID: s.ID,
			OldName:   s.Name,
			NewName:   newName,
			Evidence:  ev,
		}}, nil
	})
}

func checkName(p *domain.Problems, field, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxNameLen:
		p.Add(field, "must be at most %d characters", MaxNameLen)
	case names.Fold(v) == "":
		p.Add(field, "must contain letters or digits")
	}
}

// checkAddress checks an address and returns the region of its country.
func checkAddress(p *domain.Problems, field string, a Address) string {
	region, ok := geo.RegionOf(a.Country)
	if !ok {
		p.Add(field+".country", "must be an ISO 3166-1 alpha-2 code such as US, DE or JP")
	}
	checkPlace(p, field+".state", a.State)
	checkPlace(p, field+".city", a.City)
	return string(region)
}

// trimAddress is a as recorded: state and city without surrounding white
// space.
func trimAddress(a Address) Address {
	return Address{Country: a.Country, State: strings.TrimSpace(a.State), City: strings.TrimSpace(a.City)}
}

// checkVAT checks an optional VAT number.
func checkVAT(p *domain.Problems, field, v string) {
	if v != "" && !vatPattern.MatchString(v) {
		p.Add(field, "must be 2 to 30 capital letters, digits, spaces, dots or hyphens")
	}
}

// checkOrgID checks the ID of an organisation (account, partner,
// distributor).
func checkOrgID(p *domain.Problems, field, id string) {
	if !ValidID(id) {
		p.Add(field, "must be six digits and two capital letters, e.g. 123456HQ")
	}
}

func checkContactID(p *domain.Problems, field, id string) {
	if !ids.Contact(id) {
		p.Add(field, "must be a contact ID such as C-000001")
	}
}

func checkLicenseID(p *domain.Problems, field, id string) {
	if !ids.License(id) {
		p.Add(field, "must be a license ID such as LIC-0000001")
	}
}

// checkEmail checks a bare email address (no display name).
func checkEmail(p *domain.Problems, field, v string) {
	if _, ok := names.EmailDomain(v); !ok {
		p.Add(field, "must be an email address such as ap@acme.example")
	}
}

func checkPlace(p *domain.Problems, field, v string) {
	if !names.Clean(v) {
		p.Add(field, "must be valid UTF-8 without control characters")
	} else if utf8.RuneCountInString(v) > MaxPlaceLen {
		p.Add(field, "must be at most %d characters", MaxPlaceLen)
	}
}

func checkReference(p *domain.Problems, field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxReferenceLen:
		p.Add(field, "must be at most %d characters", MaxReferenceLen)
	}
}
