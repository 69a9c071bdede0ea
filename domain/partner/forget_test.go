package partner_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/partner"
)

func forgetting(id string, a domain.Actor) partner.ForgetContact {
	return partner.ForgetContact{PartnerID: resellerID, ContactID: id, By: a, At: at}
}

func forgot(id string) partner.ContactForgotten {
	return partner.ContactForgotten{PartnerID: resellerID, ContactID: id}
}

func TestForgetPartnerContact(t *testing.T) {
	cases := []scenario{
		{Name: "ForgetContact/admin staff forget a contact", Given: active(), When: forgetting(salesID, admin), Then: events(forgot(salesID))},
		{Name: "ForgetContact/support staff forget a contact of an expired partner", Given: history(domain.PartnerExpired), When: forgetting(salesID, support), Then: events(forgot(salesID))},
		{Name: "ForgetContact/the active partner's org admin forgets a sales agent", Given: active(),
			When: forgetting(salesID, resellerContact(domain.PartnerActive, orgAdminID)), Then: events(forgot(salesID))},
		{Name: "ForgetContact/a contact may not forget itself", Given: active(),
			When: forgetting(orgAdminID, resellerContact(domain.PartnerActive, orgAdminID)), Then: rule("partner.contact_forget_self")},
		{Name: "ForgetContact/a sales agent may not", Given: active(),
			When: forgetting(agentID, resellerContact(domain.PartnerActive, salesID)), Then: fails(domain.ErrForbidden)},
		{Name: "ForgetContact/an expired partner's org admin may not", Given: history(domain.PartnerExpired),
			When: forgetting(salesID, resellerContact(domain.PartnerExpired, orgAdminID)), Then: fails(domain.ErrForbidden)},
		{Name: "ForgetContact/another partner is told the partner does not exist", Given: active(),
			When: forgetting(salesID, otherAdmin()), Then: fails(domain.ErrNotFound)},
		{Name: "ForgetContact/auditors may not", Given: active(), When: forgetting(salesID, auditor), Then: fails(domain.ErrForbidden)},
		{Name: "ForgetContact/customers may not", Given: active(), When: forgetting(salesID, customer), Then: fails(domain.ErrForbidden)},
		{Name: "ForgetContact/unknown contact", Given: active(), When: forgetting(strangerID, admin), Then: fails(domain.ErrNotFound)},
		{Name: "ForgetContact/unknown partner", Given: nil, When: forgetting(salesID, admin), Then: fails(domain.ErrNotFound)},
		{Name: "ForgetContact/contact ID form", Given: active(), When: forgetting("x", admin), Then: invalid("contact_id")},
		{Name: "ForgetContact/not twice", Given: append(active(), forgot(salesID)), When: forgetting(salesID, admin), Then: rule("partner.contact_forgotten")},
		{Name: "ForgetContact/a forgotten org admin acts no more", Given: append(active(), forgot(orgAdminID)),
			When: forgetting(salesID, actorIn(append(active(), forgot(orgAdminID)), resellerID, orgAdminID)), Then: fails(domain.ErrForbidden)},
		{Name: "SetContactAccess/a forgotten contact's access is not changed", Given: append(active(), forgot(salesID)),
			When: setting(salesID, domain.AccessRestricted, admin), Then: rule("partner.contact_forgotten")},
	}
	domaintest.RunAll(t, aggregate, cases)

	s := domaintest.Fold(aggregate, append(active(), forgot(salesID)), nil)
	ct := s.Contacts[salesID]
	if !ct.Forgotten || ct.Name != domain.Erased || ct.Email != domain.Erased || ct.Phone != "" {
		t.Fatalf("forgotten contact: %+v", ct)
	}
}
