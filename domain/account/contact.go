package account

import (
	"fmt"
	"slices"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
)

func checkAccess(p *domain.Problems, field, access string) {
	if access != AccessRestricted && access != AccessUnrestricted {
		p.Add(field, "must be restricted or unrestricted")
	}
}

func checkRoles(p *domain.Problems, roles []string) {
	if len(roles) == 0 {
		p.Add("roles", "at least one of org_admin, business_executive, billing, technical is required")
	}
	for i, r := range roles {
		field := fmt.Sprintf("roles[%d]", i)
		switch {
		case r != RoleOrgAdmin && r != RoleBusinessExecutive && r != RoleBilling && r != RoleTechnical:
			p.Add(field, "must be org_admin, business_executive, billing or technical")
		case slices.Contains(roles[:i], r):
			p.Add(field, "%s is listed twice", r)
		}
	}
}

// contactWithEmail returns the contact of s whose email is email, compared
// without regard to case.
func contactWithEmail(s State, email string) (Contact, bool) {
	for _, ct := range s.Contacts {
		if strings.EqualFold(ct.Email, email) {
			return ct, true
		}
	}
	return Contact{}, false
}

func addContact(s State, c AddContact) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkContactID(p, "contact_id", c.ContactID)
		checkName(p, "name", c.Name)
		checkEmail(p, "email", c.Email)
		checkPhone(p, "phone", c.Phone)
		checkRoles(p, c.Roles)
		checkAccess(p, "access", c.Access)
	}
	return run(s, staffOrOrgAdmin, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.Contacts[c.ContactID]; ok {
			return nil, fmt.Errorf("contact %s: %w", c.ContactID, domain.ErrDuplicate)
		}
		if other, ok := contactWithEmail(s, c.Email); ok {
			// The email is not repeated: a refusal is logged, and personal
			// data is kept only sealed (internal/pii).
			return nil, domain.Rule("account.contact_email_taken", "contact %s of the account already has this email", other.ID)
		}
		return []domain.Event{ContactAdded{
			AccountID: s.ID,
			ContactID: c.ContactID,
			Name:      strings.TrimSpace(c.Name),
			Email:     c.Email,
			Phone:     strings.TrimSpace(c.Phone),
			Roles:     slices.Clone(c.Roles),
			Access:    c.Access,
		}}, nil
	})
}

func setContactAccess(s State, c SetContactAccess) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkContactID(p, "contact_id", c.ContactID)
		checkAccess(p, "access", c.Access)
	}
	return run(s, staffOrOrgAdmin, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		ct, ok := s.Contacts[c.ContactID]
		if !ok {
			return nil, unknownContact(c.ContactID)
		}
		if ct.Forgotten {
			return nil, forgottenContact(ct.ID)
		}
		if ct.Access == c.Access {
			return nil, domain.Rule("account.contact_access_unchanged", "contact %s is already %s", ct.ID, ct.Access)
		}
		return []domain.Event{ContactAccessSet{AccountID: s.ID, ContactID: ct.ID, Access: c.Access, OldAccess: ct.Access}}, nil
	})
}

func unknownContact(id string) error {
	return domain.Rule("account.contact_unknown", "the account has no contact %s", id)
}

func checkPhone(p *domain.Problems, field, v string) {
	if !domain.ValidPhone(strings.TrimSpace(v)) {
		p.Add(field, "must be a phone number such as +49 89 1234567 (at most %d characters)", domain.MaxPhoneLen)
	}
}

// forgetContact forgets a person at its request (data protection): the
// command service destroys the key its personal data was sealed with, and
// the event records that it did. Whoever may add a contact may forget one;
// a contact may not forget itself (it would lock itself out mid-request:
// another org admin or staff does it).
func forgetContact(s State, c ForgetContact) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkContactID(p, "contact_id", c.ContactID) }
	return run(s, staffOrOrgAdmin, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		ct, ok := s.Contacts[c.ContactID]
		if !ok {
			return nil, unknownContact(c.ContactID)
		}
		if ct.Forgotten {
			return nil, forgottenContact(ct.ID)
		}
		if c.By.Kind == domain.KindCustomer && c.By.ContactID == ct.ID {
			return nil, domain.Rule("account.contact_forget_self", "a contact cannot forget itself: staff or another org admin of the account can")
		}
		return []domain.Event{ContactForgotten{AccountID: s.ID, ContactID: ct.ID}}, nil
	})
}

// forgotten is ct once its person was forgotten: its personal values read
// as domain.Erased, as they do in its sealed events once the key is gone.
func forgotten(ct Contact) Contact {
	ct.Name, ct.Email = domain.Erased, domain.Erased
	if ct.Phone != "" {
		ct.Phone = domain.Erased
	}
	ct.Forgotten = true
	return ct
}

func forgottenContact(id string) error {
	return domain.Rule("account.contact_forgotten", "contact %s was forgotten at its request", id)
}
