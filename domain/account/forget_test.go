package account_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

func forgetting(id string, by domain.Actor) account.ForgetContact {
	return account.ForgetContact{AccountID: acmeID, ContactID: id, By: by, At: at}
}

func forgot(id string) account.ContactForgotten {
	return account.ContactForgotten{AccountID: acmeID, ContactID: id}
}

func TestForgetContact(t *testing.T) {
	cases := []scenario{
		{Name: "ForgetContact/happy path: admin staff forget a contact", Given: history(), When: forgetting(annID, as(admin)), Then: events(forgot(annID))},
		{Name: "ForgetContact/an org admin may forget another contact of the account", Given: history(), When: forgetting(annID, as(carolP)), Then: events(forgot(annID))},
		{Name: "ForgetContact/a contact may not forget itself", Given: history(), When: forgetting(carolID, as(carolP)), Then: rule("account.contact_forget_self")},
		{Name: "ForgetContact/a forgotten contact is not forgotten twice", Given: history(forgot(annID)), When: forgetting(annID, as(admin)), Then: rule("account.contact_forgotten")},
		{Name: "ForgetContact/unknown contact is refused", Given: history(), When: forgetting("C-000009", as(admin)), Then: rule("account.contact_unknown")},
		{Name: "ForgetContact/contact ID form", Given: history(), When: forgetting("x", as(admin)), Then: invalid("contact_id")},
		{Name: "ForgetContact/a forgotten org admin acts no more", Given: history(forgot(carolID)), When: forgetting(annID, as(carolP)), Then: fails(domain.ErrForbidden)},
		{Name: "SetContactAccess/a forgotten contact's access is not changed", Given: history(forgot(bobID)),
			When: account.SetContactAccess{AccountID: acmeID, ContactID: bobID, Access: account.AccessUnrestricted, By: as(admin), At: at}, Then: rule("account.contact_forgotten")},
	}
	cases = append(cases, whoCase{
		name: "ForgetContact", policy: staffOrOrgAdmin, given: history(),
		mk:        func(by domain.Actor) account.Command { return forgetting(annID, by) },
		bad:       func(by domain.Actor) account.Command { return forgetting("nobody", by) },
		badFields: []string{"contact_id"},
		want:      events(forgot(annID)),
	}.scenarios()...)
	runAll(t, cases)
}

// TestForgottenContactState: the state keeps a forgotten contact under its
// ID with every personal value erased, as its sealed events read once its
// key is gone, and the contact acts no more.
func TestForgottenContactState(t *testing.T) {
	added := contactAdded("C-000007", "Fay Forget", "fay@acme.example", account.AccessUnrestricted, account.RoleOrgAdmin)
	added.Phone = "+1 555 0100"
	s := fold(history(added, forgot("C-000007")), nil)
	ct := s.Contacts["C-000007"]
	if !ct.Forgotten || ct.Name != domain.Erased || ct.Email != domain.Erased || ct.Phone != domain.Erased || ct.Access != account.AccessUnrestricted {
		t.Fatalf("forgotten contact: %+v", ct)
	}
	if s.Contacts[annID].Name != "Ann Archer" {
		t.Fatal("another contact was erased")
	}
	if a := s.Actor(customer(acmeID, "C-000007")); a.ContactKnown {
		t.Fatalf("a forgotten contact is still known as an actor: %+v", a)
	}
}
