package partner_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/partner"
)

// TestPartnerMayActFromOwnRecord covers DOMAIN.md "A partner may act only
// while its status is active (not expired, not prospect), through an org
// admin or business executive with unrestricted access" as DOMAIN-DESIGN.md
// has the partner aggregate decide it: from its own record of its status
// and contacts (State.Actor), never from contact facts a command carries.
func TestPartnerMayActFromOwnRecord(t *testing.T) {
	// claims is contact id of the reseller as a stale or forged command
	// would describe it: active, unrestricted, org admin.
	claims := func(id string) domain.Actor {
		return domain.Actor{
			Principal:     principal(resellerID, id),
			ContactKnown:  true,
			ContactRoles:  []string{domain.ContactOrgAdmin},
			ContactAccess: domain.AccessUnrestricted,
			PartnerStatus: domain.PartnerActive,
		}
	}
	adds := func(a domain.Actor) partner.AddPartnerContact {
		return adding(func(c *partner.AddPartnerContact) { c.By = a })
	}
	domaintest.RunAll(t, aggregate, []scenario{
		{
			Name:  "AddPartnerContact/a partner may act only while its status is active, through an unrestricted org admin or business executive: an expired partner claiming to be active in the command may not add",
			Given: history(domain.PartnerExpired), When: adds(claims(orgAdminID)), Then: fails(domain.ErrForbidden),
		},
		{
			Name:  "AddPartnerContact/a partner may act only while its status is active, through an unrestricted org admin or business executive: a sales agent claiming to be an org admin in the command may not add",
			Given: active(), When: adds(claims(salesID)), Then: fails(domain.ErrForbidden),
		},
		{
			Name:  "SetContactAccess/a partner may act only while its status is active, through an unrestricted org admin or business executive: a restricted org admin claiming unrestricted access in the command may not set access",
			Given: active(), When: setting(salesID, domain.AccessRestricted, claims(restrictedID)), Then: fails(domain.ErrForbidden),
		},
		{
			Name:  "SetContactAccess/a partner may act only while its status is active, through an unrestricted org admin or business executive: a contact the partner does not know, claiming to be its org admin, may not set access",
			Given: active(), When: setting(salesID, domain.AccessRestricted, claims(strangerID)), Then: fails(domain.ErrForbidden),
		},
		{
			Name:  "AddPartnerContact/a partner may act only while its status is active, through an unrestricted org admin or business executive: the partner's own record of an active unrestricted org admin suffices",
			Given: active(), When: adds(resellerContact(domain.PartnerActive, orgAdminID)), Then: events(added(nil)),
		},
	})
}
