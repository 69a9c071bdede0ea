package auth

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/channeldesk/channeldesk/domain"
)

var (
	namePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)
	orgPattern     = regexp.MustCompile(`^[0-9]{6}[A-Z]{2}$`)
	contactPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// Staff returns the principal of a staff member.
func Staff(name string, roles ...domain.Role) domain.Principal {
	return domain.Principal{ID: "staff:" + name, Kind: domain.KindStaff, Roles: roles}
}

// CustomerContact returns the principal of a contact of a customer account.
func CustomerContact(accountID, contactID string) domain.Principal {
	return domain.Principal{ID: "customer:" + accountID + "/" + contactID, Kind: domain.KindCustomer, AccountID: accountID, ContactID: contactID}
}

// PartnerContact returns the principal of a contact of a partner
// organisation.
func PartnerContact(partnerID, contactID string) domain.Principal {
	return domain.Principal{ID: "partner:" + partnerID + "/" + contactID, Kind: domain.KindPartner, PartnerID: partnerID, ContactID: contactID}
}

// ValidPrincipal checks that p is well formed: a staff member with a name
// and at least one known role, or a contact of a well-formed organisation ID.
func ValidPrincipal(p domain.Principal) error {
	var errs []error
	switch p.Kind {
	case domain.KindStaff:
		name, ok := cutPrefix(p.ID, "staff:")
		if !ok || !namePattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("staff name must be 1-64 lower-case letters, digits or ._@-"))
		}
		if len(p.Roles) == 0 {
			errs = append(errs, errors.New("staff need at least one role"))
		}
		for _, r := range p.Roles {
			if !knownRole(r) {
				errs = append(errs, fmt.Errorf("unknown role %q (admin, support, compliance, auditor, integration)", r))
			}
		}
	case domain.KindCustomer:
		if !orgPattern.MatchString(p.AccountID) {
			errs = append(errs, fmt.Errorf("account ID %q is not of the form 123456HQ", p.AccountID))
		}
		if !contactPattern.MatchString(p.ContactID) {
			errs = append(errs, fmt.Errorf("contact ID %q must be letters, digits, - or _", p.ContactID))
		}
	case domain.KindPartner:
		if !orgPattern.MatchString(p.PartnerID) {
			errs = append(errs, fmt.Errorf("partner ID %q is not of the form 123456HQ", p.PartnerID))
		}
		if !contactPattern.MatchString(p.ContactID) {
			errs = append(errs, fmt.Errorf("contact ID %q must be letters, digits, - or _", p.ContactID))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown principal kind %q", p.Kind))
	}
	return errors.Join(errs...)
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) < len(p) || s[:len(p)] != p {
		return "", false
	}
	return s[len(p):], true
}

func knownRole(r domain.Role) bool {
	for _, k := range domain.StaffRoles() {
		if k == r {
			return true
		}
	}
	return false
}
