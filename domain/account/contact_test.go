package account_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

const daveID = "C-000004"

// adding is a valid AddContact of Dave by admin, edited by edit.
func adding(edit func(*account.AddContact)) account.AddContact {
	c := account.AddContact{
		AccountID: acmeID, ContactID: daveID, Name: "Dave Dunn", Email: "dave@acme.example",
		Roles: []string{account.RoleTechnical}, Access: account.AccessRestricted, By: as(admin), At: at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

func daveAdded() account.ContactAdded {
	return contactAdded(daveID, "Dave Dunn", "dave@acme.example", account.AccessRestricted, account.RoleTechnical)
}

func TestAddContact(t *testing.T) {
	ok := func(name string, edit func(*account.AddContact), want account.ContactAdded) scenario {
		return scenario{Name: "AddContact/" + name, Given: history(), When: adding(edit), Then: events(want)}
	}
	bad := func(name string, edit func(*account.AddContact), fields ...string) scenario {
		return scenario{Name: "AddContact/" + name, Given: history(), When: adding(edit), Then: invalid(fields...)}
	}
	cases := []scenario{
		ok("happy path: admin staff adds a restricted technical contact", nil, daveAdded()),
		ok("roles: every customer role at once", func(c *account.AddContact) {
			c.Roles = []string{account.RoleOrgAdmin, account.RoleBusinessExecutive, account.RoleBilling, account.RoleTechnical}
		}, contactAdded(daveID, "Dave Dunn", "dave@acme.example", account.AccessRestricted,
			account.RoleOrgAdmin, account.RoleBusinessExecutive, account.RoleBilling, account.RoleTechnical)),
		ok("access: a contact may be added unrestricted", func(c *account.AddContact) { c.Access = account.AccessUnrestricted },
			contactAdded(daveID, "Dave Dunn", "dave@acme.example", account.AccessUnrestricted, account.RoleTechnical)),
		ok("name is recorded without surrounding white space", func(c *account.AddContact) { c.Name = "  Dave Dunn " }, daveAdded()),
		ok("contact ID form: more than six digits once the numbers grow", func(c *account.AddContact) { c.ContactID = "C-1000000" },
			func() account.ContactAdded { e := daveAdded(); e.ContactID = "C-1000000"; return e }()),
		{Name: "AddContact/the first contact of a fresh account", Given: acme(), When: adding(nil), Then: events(daveAdded())},

		bad("contact ID form: required", func(c *account.AddContact) { c.ContactID = "" }, "contact_id"),
		bad("contact ID form: six digits", func(c *account.AddContact) { c.ContactID = "C-1" }, "contact_id"),
		bad("contact ID form: capital C", func(c *account.AddContact) { c.ContactID = "c-000004" }, "contact_id"),
		bad("contact ID form: digits only after the prefix", func(c *account.AddContact) { c.ContactID = "C-00000X" }, "contact_id"),
		bad("contact ID form: not a partner contact's form", func(c *account.AddContact) { c.ContactID = "P-2" }, "contact_id"),
		bad("Name: required", func(c *account.AddContact) { c.Name = " " }, "name"),
		bad("Name: at most 200 characters", func(c *account.AddContact) { c.Name = strings.Repeat("n", account.MaxNameLen+1) }, "name"),
		bad("Name: no control characters", func(c *account.AddContact) { c.Name = "Dave\x00" }, "name"),
		bad("Name: no invisible format characters", func(c *account.AddContact) { c.Name = "Da\u200bve" }, "name"),
		bad("email: required", func(c *account.AddContact) { c.Email = "" }, "email"),
		bad("email: an address", func(c *account.AddContact) { c.Email = "dave" }, "email"),
		bad("email: a bare address, no display name", func(c *account.AddContact) { c.Email = "Dave <dave@acme.example>" }, "email"),
		bad("email: a valid domain", func(c *account.AddContact) { c.Email = "dave@acme" }, "email"),
		bad("roles: at least one", func(c *account.AddContact) { c.Roles = nil }, "roles"),
		bad("roles: org admin, business executive, billing or technical only", func(c *account.AddContact) {
			c.Roles = []string{account.RoleTechnical, "superuser"}
		}, "roles[1]"),
		bad("roles: a partner's roles are not a customer's", func(c *account.AddContact) {
			c.Roles = []string{domain.ContactAdminAgent, domain.ContactSalesAgent}
		}, "roles[0]", "roles[1]"),
		bad("roles: each role once", func(c *account.AddContact) { c.Roles = []string{account.RoleBilling, account.RoleBilling} }, "roles[1]"),
		bad("access: required", func(c *account.AddContact) { c.Access = "" }, "access"),
		bad("access: restricted or unrestricted", func(c *account.AddContact) { c.Access = "admin" }, "access"),
		bad("validation: every problem is reported at once", func(c *account.AddContact) {
			*c = account.AddContact{AccountID: acmeID, ContactID: "x", By: as(admin), At: at}
		}, "contact_id", "name", "email", "roles", "access"),

		{Name: "AddContact/duplicate: a contact ID the account has is refused", Given: history(),
			When: adding(func(c *account.AddContact) { c.ContactID = annID }), Then: fails(domain.ErrDuplicate)},
		{Name: "AddContact/duplicate email within the account is refused", Given: history(),
			When: adding(func(c *account.AddContact) { c.Email = "ann@acme.example" }), Then: rule("account.contact_email_taken")},
		{Name: "AddContact/duplicate email is compared without regard to case", Given: history(),
			When: adding(func(c *account.AddContact) { c.Email = "Ann@ACME.example" }), Then: rule("account.contact_email_taken")},
		{Name: "AddContact/duplicate email: a restricted contact's email is taken too", Given: history(),
			When: adding(func(c *account.AddContact) { c.Email = "bob@acme.example" }), Then: rule("account.contact_email_taken")},
	}
	cases = append(cases, whoCase{
		name: "AddContact", policy: staffOrOrgAdmin, given: history(),
		mk: func(by domain.Actor) account.Command { return adding(func(c *account.AddContact) { c.By = by }) },
		bad: func(by domain.Actor) account.Command {
			return adding(func(c *account.AddContact) { c.By, c.Email = by, "nobody" })
		},
		badFields: []string{"email"},
		want:      events(daveAdded()),
	}.scenarios()...)
	runAll(t, cases)
}

func TestSetContactAccess(t *testing.T) {
	set := func(id, access string) account.SetContactAccess {
		return account.SetContactAccess{AccountID: acmeID, ContactID: id, Access: access, By: as(admin), At: at}
	}
	accessSet := func(id, access, old string) account.ContactAccessSet {
		return account.ContactAccessSet{AccountID: acmeID, ContactID: id, Access: access, OldAccess: old}
	}
	cases := []scenario{
		{Name: "SetContactAccess/happy path: an unrestricted contact is restricted", Given: history(), When: set(annID, account.AccessRestricted),
			Then: events(accessSet(annID, account.AccessRestricted, account.AccessUnrestricted))},
		{Name: "SetContactAccess/a restricted contact is made unrestricted", Given: history(), When: set(bobID, account.AccessUnrestricted),
			Then: events(accessSet(bobID, account.AccessUnrestricted, account.AccessRestricted))},
		{Name: "SetContactAccess/access unchanged: restricting a restricted contact is refused", Given: history(), When: set(bobID, account.AccessRestricted),
			Then: rule("account.contact_access_unchanged")},
		{Name: "SetContactAccess/access unchanged: after a change, the new access counts", Given: history(accessSet(annID, account.AccessRestricted, account.AccessUnrestricted)),
			When: set(annID, account.AccessRestricted), Then: rule("account.contact_access_unchanged")},
		{Name: "SetContactAccess/unknown contact: a contact the account does not have is refused", Given: history(), When: set("C-000009", account.AccessRestricted),
			Then: rule("account.contact_unknown")},
		{Name: "SetContactAccess/unknown contact: another account's contact is not this account's", Given: history(), When: set("C-000042", account.AccessRestricted),
			Then: rule("account.contact_unknown")},
		{Name: "SetContactAccess/contact ID form: required", Given: history(), When: set("", account.AccessRestricted), Then: invalid("contact_id")},
		{Name: "SetContactAccess/access: restricted or unrestricted", Given: history(), When: set(annID, "read-only"), Then: invalid("access")},
		{Name: "SetContactAccess/access: required", Given: history(), When: set(annID, ""), Then: invalid("access")},
		{Name: "SetContactAccess/validation: every problem is reported at once", Given: history(), When: set("C-1", "x"), Then: invalid("contact_id", "access")},
		{Name: "SetContactAccess/who: an org admin may restrict themself", Given: history(),
			When: func() account.SetContactAccess {
				c := set(carolID, account.AccessRestricted)
				c.By = as(carolP)
				return c
			}(),
			Then: events(accessSet(carolID, account.AccessRestricted, account.AccessUnrestricted))},
	}
	cases = append(cases, whoCase{
		name: "SetContactAccess", policy: staffOrOrgAdmin, given: history(),
		mk:        func(by domain.Actor) account.Command { c := set(annID, account.AccessRestricted); c.By = by; return c },
		bad:       func(by domain.Actor) account.Command { c := set(annID, "none"); c.By = by; return c },
		badFields: []string{"access"},
		want:      events(accessSet(annID, account.AccessRestricted, account.AccessUnrestricted)),
	}.scenarios()...)
	runAll(t, cases)
}

func TestStateActor(t *testing.T) {
	s := fold(history(), nil)
	cases := []struct {
		name string
		p    domain.Principal
		want domain.Actor
	}{
		{"a contact of the account is resolved with its roles and access", carolP, domain.Actor{
			Principal: carolP, ContactKnown: true, ContactAccess: account.AccessUnrestricted,
			ContactRoles: []string{account.RoleOrgAdmin, account.RoleTechnical},
		}},
		{"a restricted contact is resolved as restricted", bobP, domain.Actor{
			Principal: bobP, ContactKnown: true, ContactAccess: account.AccessRestricted, ContactRoles: []string{account.RoleOrgAdmin},
		}},
		{"a contact the account does not know is not known", customer(acmeID, "C-000009"), domain.Actor{Principal: customer(acmeID, "C-000009")}},
		{"a contact of another account is not resolved here", customer(otherID, annID), domain.Actor{Principal: customer(otherID, annID)}},
		{"staff are returned as they are", admin, domain.Staff(admin)},
		{"a partner contact is not resolved here", domain.Principal{Kind: domain.KindPartner, PartnerID: partnerID, AccountID: acmeID, ContactID: annID},
			domain.Actor{Principal: domain.Principal{Kind: domain.KindPartner, PartnerID: partnerID, AccountID: acmeID, ContactID: annID}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Actor(tc.p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Actor(%v) = %#v, want %#v", tc.p, got, tc.want)
			}
		})
	}
	t.Run("the unrestricted contact may change the account, the restricted one may not", func(t *testing.T) {
		if err := s.Actor(annP).CustomerMayChange(acmeID); err != nil {
			t.Errorf("Ann: %v", err)
		}
		if err := s.Actor(bobP).CustomerMayChange(acmeID); err == nil {
			t.Error("Bob, restricted, may change the account")
		}
	})
	t.Run("a contact of an account that does not exist is not known", func(t *testing.T) {
		if got := (account.State{}).Actor(annP); got.ContactKnown {
			t.Errorf("got %#v", got)
		}
	})
	t.Run("the roles are the actor's own copy", func(t *testing.T) {
		a := s.Actor(carolP)
		a.ContactRoles[0] = "tampered"
		if got := s.Contacts[carolID].Roles[0]; got != account.RoleOrgAdmin {
			t.Errorf("state's roles changed through the actor: %q", got)
		}
	})
}
