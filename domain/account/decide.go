package account

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Limits on field lengths, in characters.
const (
	MaxNameLen      = 200
	MaxPlaceLen     = 100
	MaxReferenceLen = 500
	MaxVATLen       = 30
)

var (
	idPattern  = regexp.MustCompile(`^[0-9]{6}[A-Z]{2}$`)
	vatPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 .\-]{1,29}$`)
)

// ValidID reports whether id has the form of an organisation ID: six digits
// and a two-letter suffix, e.g. 123456HQ.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Decide decides cmd against the account's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case RegisterAccount:
		return register(s, c)
	case RenameCompany:
		return rename(s, c)
	}
	return nil, domain.Rule("account.unknown_command", "unknown account command %T", cmd)
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
	region, ok := geo.RegionOf(c.Address.Country)
	if !ok {
		p.Add("address.country", "must be an ISO 3166-1 alpha-2 code such as US, DE or JP")
	}
	checkPlace(&p, "address.state", c.Address.State)
	checkPlace(&p, "address.city", c.Address.City)
	if c.VATNumber != "" && !vatPattern.MatchString(c.VATNumber) {
		p.Add("vat_number", "must be 2 to 30 capital letters, digits, spaces, dots or hyphens")
	}
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
		Address:       Address{Country: c.Address.Country, State: strings.TrimSpace(c.Address.State), City: strings.TrimSpace(c.Address.City)},
		Region:        string(region),
		VATNumber:     c.VATNumber,
	}}, nil
}

func rename(s State, c RenameCompany) ([]domain.Event, error) {
	// Who may ask is settled first, before anything that depends on the
	// account existing, so that a refusal never reveals whether it does.
	if err := mayAsk(c.AccountID, c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkName(&p, "new_name", c.NewName)
	ev := c.Evidence
	if _, ok := names.EmailDomain(ev.EmailConfirmation.From); !ok {
		p.Add("evidence.email_confirmation.from", "must be the email address the confirmation came from")
	}
	checkReference(&p, "evidence.email_confirmation.reference", ev.EmailConfirmation.Reference)
	switch ev.Document.Kind {
	case DocPressRelease, DocLegalDocument, DocLetterheadRequest:
	default:
		p.Add("evidence.document.kind", "must be press_release, legal_document or letterhead_request")
	}
	checkReference(&p, "evidence.document.reference", ev.Document.Reference)
	checkName(&p, "evidence.document.old_name", ev.Document.OldName)
	checkName(&p, "evidence.document.new_name", ev.Document.NewName)
	if err := p.Err(); err != nil {
		return nil, err
	}
	// A state folded from another account's stream must not be renamed in
	// this command's name: the event would carry the other account's ID.
	if !s.Exists() || s.ID != c.AccountID {
		return nil, domain.ErrNotFound
	}
	if err := mayChange(s, c.By); err != nil {
		return nil, err
	}
	if s.Status == StatusMerged {
		return nil, domain.Rule("account.merged", "account %s was merged into %s and accepts no further commands", s.ID, s.MergedInto)
	}
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
}

// mayAsk is the part of mayChange that does not depend on the account's
// state: staff who may change accounts, or a contact of this very account.
// A contact of another customer is answered as if the account did not
// exist: it may not know that it does.
func mayAsk(accountID string, by domain.Principal) error {
	switch {
	case by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
		return nil
	case by.Kind == domain.KindCustomer && by.AccountID == accountID:
		return nil
	case by.Kind == domain.KindCustomer:
		return domain.ErrNotFound
	}
	return domain.Forbidden("only staff or the customer's unrestricted org admin may change the account")
}

// mayChange enforces who may change an account: admin or support staff, or
// an unrestricted org admin of the account itself.
func mayChange(s State, by domain.Principal) error {
	if by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil
	}
	if by.Kind == domain.KindCustomer && by.AccountID == s.ID {
		ct, ok := s.Contacts[by.ContactID]
		if ok && ct.Access == AccessUnrestricted && hasRole(ct.Roles, RoleOrgAdmin) {
			return nil
		}
		return domain.Forbidden("only an unrestricted org admin of the account may change it")
	}
	return domain.Forbidden("only staff or the customer's unrestricted org admin may change the account")
}

func hasRole(roles []string, r string) bool {
	for _, have := range roles {
		if have == r {
			return true
		}
	}
	return false
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
