package partner_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/partner"
)

type scenario = domaintest.Scenario[partner.State, partner.Command]

var aggregate = domaintest.Aggregate[partner.State, partner.Command]{Evolve: partner.Evolve, Decide: partner.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

const (
	resellerID   = "777777PA"
	resellerName = "Channel Partners GmbH"
	otherID      = "888888PB"
	customerID   = "123456HQ"
)

var (
	at          = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")
	customer    = domain.Actor{
		Principal:     domain.Principal{ID: "customer:" + customerID + "/C-000009", Kind: domain.KindCustomer, AccountID: customerID, ContactID: "C-000009"},
		ContactKnown:  true,
		ContactRoles:  []string{domain.ContactOrgAdmin},
		ContactAccess: domain.AccessUnrestricted,
	}
)

// principal is partner contact id of organisation partnerID.
func principal(partnerID, id string) domain.Principal {
	return domain.Principal{ID: "partner:" + partnerID + "/" + id, Kind: domain.KindPartner, PartnerID: partnerID, ContactID: id}
}

// registered is the event of a valid registration of the reseller, still a
// prospect.
func registered() partner.PartnerRegistered {
	return partner.PartnerRegistered{
		PartnerID: resellerID,
		Name:      resellerName,
		Kinds:     []string{partner.KindResellerDirect},
		Address:   partner.Address{Country: "DE", State: "Bayern", City: "München"},
		Region:    "EMEA",
		Status:    domain.PartnerProspect,
	}
}

// contact is the event adding contact id to the reseller.
func contact(id, email, access string, roles ...string) partner.PartnerContactAdded {
	return partner.PartnerContactAdded{PartnerID: resellerID, ContactID: id, Name: "Contact " + id, Email: email, Roles: roles, Access: access}
}

// Contacts of the reseller in every history below.
const (
	orgAdminID   = "C-000001" // unrestricted org admin
	execID       = "C-000002" // unrestricted business executive
	salesID      = "C-000003" // unrestricted sales agent
	agentID      = "C-000004" // unrestricted admin agent
	restrictedID = "C-000005" // restricted org admin
	strangerID   = "C-000099" // not a contact of the reseller
)

// history is the reseller registered, moved to status, with its five
// contacts.
func history(status string) []domain.Event {
	h := []domain.Event{
		registered(),
		contact(orgAdminID, "ada@partners.example", domain.AccessUnrestricted, domain.ContactOrgAdmin),
		contact(execID, "ben@partners.example", domain.AccessUnrestricted, domain.ContactBusinessExecutive),
		contact(salesID, "sal@partners.example", domain.AccessUnrestricted, domain.ContactSalesAgent),
		contact(agentID, "agn@partners.example", domain.AccessUnrestricted, domain.ContactAdminAgent),
		contact(restrictedID, "rob@partners.example", domain.AccessRestricted, domain.ContactOrgAdmin),
	}
	if status != domain.PartnerProspect {
		h = append(h, partner.PartnerStatusChanged{PartnerID: resellerID, Status: status, PreviousStatus: domain.PartnerProspect})
	}
	return h
}

// active is the history of the reseller in the program with its contacts.
func active() []domain.Event { return history(domain.PartnerActive) }

// other is the history of another active partner with an unrestricted org
// admin C-000050.
func other() []domain.Event {
	return []domain.Event{
		partner.PartnerRegistered{PartnerID: otherID, Name: "Other Reseller", Kinds: []string{partner.KindResellerIndirect},
			Address: partner.Address{Country: "US"}, Region: "AMER", Status: domain.PartnerActive},
		partner.PartnerContactAdded{PartnerID: otherID, ContactID: "C-000050", Name: "Olga", Email: "olga@other.example",
			Roles: []string{domain.ContactOrgAdmin}, Access: domain.AccessUnrestricted},
	}
}

// actorIn resolves contact id of the partner whose history is h, as the
// command service does.
func actorIn(h []domain.Event, partnerID, id string) domain.Actor {
	return domaintest.Fold(aggregate, h, nil).Actor(principal(partnerID, id))
}

// resellerContact is contact id of the reseller resolved in the history of
// the reseller at status.
func resellerContact(status, id string) domain.Actor {
	return actorIn(history(status), resellerID, id)
}

// otherAdmin is the other partner's unrestricted org admin, resolved in its
// own history: it may act, but not on the reseller.
func otherAdmin() domain.Actor { return actorIn(other(), otherID, "C-000050") }

// registration is a valid RegisterPartner for the reseller, edited by edit.
func registration(edit func(*partner.RegisterPartner)) partner.RegisterPartner {
	c := partner.RegisterPartner{
		PartnerID: resellerID,
		Name:      resellerName,
		Kinds:     []string{partner.KindResellerDirect},
		Address:   partner.Address{Country: "DE", State: "Bayern", City: "München"},
		By:        admin,
		At:        at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

func withRegistered(edit func(*partner.PartnerRegistered)) partner.PartnerRegistered {
	e := registered()
	edit(&e)
	return e
}

func TestRegisterPartner(t *testing.T) {
	by := func(a domain.Actor) func(*partner.RegisterPartner) {
		return func(c *partner.RegisterPartner) { c.By = a }
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "RegisterPartner/who: " + name, When: registration(by(a)), Then: fails(domain.ErrForbidden)}
	}
	badField := func(name string, edit func(*partner.RegisterPartner), fields ...string) scenario {
		return scenario{Name: "RegisterPartner/" + name, When: registration(edit), Then: invalid(fields...)}
	}
	regionCase := func(country, region string) scenario {
		return scenario{
			Name: "RegisterPartner/region: " + country + " is " + region,
			When: registration(func(c *partner.RegisterPartner) { c.Address = partner.Address{Country: country} }),
			Then: events(withRegistered(func(e *partner.PartnerRegistered) {
				e.Address, e.Region = partner.Address{Country: country}, region
			})),
		}
	}
	kindsCase := func(name string, kinds, recorded []string) scenario {
		return scenario{
			Name: "RegisterPartner/" + name,
			When: registration(func(c *partner.RegisterPartner) { c.Kinds = kinds }),
			Then: events(withRegistered(func(e *partner.PartnerRegistered) { e.Kinds = recorded })),
		}
	}
	statusCase := func(status string) scenario {
		return scenario{
			Name: "RegisterPartner/initial status: " + status + " is accepted",
			When: registration(func(c *partner.RegisterPartner) { c.Status = status }),
			Then: events(withRegistered(func(e *partner.PartnerRegistered) { e.Status = status })),
		}
	}
	cases := []scenario{
		{Name: "RegisterPartner/happy path: an admin registers a partner, a prospect by default", When: registration(nil), Then: events(registered())},
		{Name: "RegisterPartner/who: support staff may register", When: registration(by(support)), Then: events(registered())},
		{
			Name: "RegisterPartner/who: staff holding admin among other roles may register",
			When: registration(by(staff("ann", domain.RoleAuditor, domain.RoleAdmin))),
			Then: events(registered()),
		},
		statusCase(domain.PartnerProspect),
		statusCase(domain.PartnerActive),
		statusCase(domain.PartnerExpired),
		kindsCase("kinds: a distributor", []string{partner.KindDistributor}, []string{partner.KindDistributor}),
		kindsCase("kinds: a solution advisor", []string{partner.KindAdvisor}, []string{partner.KindAdvisor}),
		kindsCase("kinds: an indirect reseller", []string{partner.KindResellerIndirect}, []string{partner.KindResellerIndirect}),
		kindsCase("kinds: dual role, a direct-bill and indirect reseller at once",
			[]string{partner.KindResellerDirect, partner.KindResellerIndirect},
			[]string{partner.KindResellerDirect, partner.KindResellerIndirect}),
		kindsCase("kinds: recorded in a fixed order whatever the order given",
			[]string{partner.KindAdvisor, partner.KindResellerIndirect, partner.KindDistributor, partner.KindResellerDirect},
			partner.Kinds()),
		regionCase("US", "AMER"),
		regionCase("BR", "AMER"),
		regionCase("GB", "EMEA"),
		regionCase("ZA", "EMEA"),
		regionCase("JP", "APAC"),
		regionCase("AU", "APAC"),
		{
			Name: "RegisterPartner/name, state and city are recorded without surrounding white space",
			When: registration(func(c *partner.RegisterPartner) {
				c.Name, c.Address.State, c.Address.City = "  "+resellerName+" ", " Bayern", "München\u00a0"
			}),
			Then: events(registered()),
		},
		{
			Name: "RegisterPartner/name length: exactly 200 characters (not bytes) is accepted",
			When: registration(func(c *partner.RegisterPartner) { c.Name = strings.Repeat("é", partner.MaxNameLen) }),
			Then: events(withRegistered(func(e *partner.PartnerRegistered) { e.Name = strings.Repeat("é", partner.MaxNameLen) })),
		},

		// Who may register: admin or support staff only.
		refused("an auditor may not register", auditor),
		refused("compliance may not register", compliance),
		refused("an integration may not register", integration),
		refused("staff without roles may not register", noRoles),
		refused("a partner may not register, even an active unrestricted org admin", resellerContact(domain.PartnerActive, orgAdminID)),
		refused("a customer contact may not register", customer),
		refused("staff roles on a partner principal count for nothing", domain.Actor{Principal: domain.Principal{
			ID: "partner:x", Kind: domain.KindPartner, Roles: []domain.Role{domain.RoleAdmin}}}),
		refused("the zero actor may not register", domain.Actor{}),
		{
			Name: "RegisterPartner/who: checked before validation, so the refused learn nothing",
			When: registration(func(c *partner.RegisterPartner) { c.By, c.PartnerID = auditor, "bad" }),
			Then: fails(domain.ErrForbidden),
		},

		// Partner ID: the organisation form.
		badField("partner ID form: required", func(c *partner.RegisterPartner) { c.PartnerID = "" }, "partner_id"),
		badField("partner ID form: five digits", func(c *partner.RegisterPartner) { c.PartnerID = "77777PA" }, "partner_id"),
		badField("partner ID form: lower-case suffix", func(c *partner.RegisterPartner) { c.PartnerID = "777777pa" }, "partner_id"),
		badField("partner ID form: trailing newline", func(c *partner.RegisterPartner) { c.PartnerID = "777777PA\n" }, "partner_id"),
		badField("partner ID form: letters first", func(c *partner.RegisterPartner) { c.PartnerID = "PA777777" }, "partner_id"),

		// Name.
		badField("Name: required", func(c *partner.RegisterPartner) { c.Name = "" }, "name"),
		badField("Name: white space only", func(c *partner.RegisterPartner) { c.Name = " \t " }, "name"),
		badField("Name: at most 200 characters", func(c *partner.RegisterPartner) { c.Name = strings.Repeat("a", partner.MaxNameLen+1) }, "name"),
		badField("Name: no control characters", func(c *partner.RegisterPartner) { c.Name = "Channel\x00Partners" }, "name"),
		badField("Name: no invisible format characters", func(c *partner.RegisterPartner) { c.Name = "Channel\u202ePartners" }, "name"),
		badField("Name: valid UTF-8", func(c *partner.RegisterPartner) { c.Name = "Channel \xff" }, "name"),
		badField("Name: must contain letters or digits", func(c *partner.RegisterPartner) { c.Name = "--- ..." }, "name"),

		// Kinds.
		badField("kinds: at least one", func(c *partner.RegisterPartner) { c.Kinds = nil }, "kinds"),
		badField("kinds: an empty list is none", func(c *partner.RegisterPartner) { c.Kinds = []string{} }, "kinds"),
		badField("kinds: plain reseller is not a kind (direct or indirect)", func(c *partner.RegisterPartner) { c.Kinds = []string{"reseller"} }, "kinds[0]"),
		badField("kinds: exact spelling", func(c *partner.RegisterPartner) {
			c.Kinds = []string{partner.KindDistributor, "Advisor"}
		}, "kinds[1]"),
		badField("kinds: each at most once", func(c *partner.RegisterPartner) {
			c.Kinds = []string{partner.KindAdvisor, partner.KindDistributor, partner.KindAdvisor}
		}, "kinds[2]"),

		// Address.
		badField("country code: required", func(c *partner.RegisterPartner) { c.Address.Country = "" }, "address.country"),
		badField("country code: upper case", func(c *partner.RegisterPartner) { c.Address.Country = "de" }, "address.country"),
		badField("country code: alpha-2, not alpha-3", func(c *partner.RegisterPartner) { c.Address.Country = "DEU" }, "address.country"),
		badField("country code: assigned", func(c *partner.RegisterPartner) { c.Address.Country = "XX" }, "address.country"),
		badField("state: at most 100 characters", func(c *partner.RegisterPartner) {
			c.Address.State = strings.Repeat("s", partner.MaxPlaceLen+1)
		}, "address.state"),
		badField("state: no control characters", func(c *partner.RegisterPartner) { c.Address.State = "Bay\x1bern" }, "address.state"),
		badField("city: at most 100 characters", func(c *partner.RegisterPartner) {
			c.Address.City = strings.Repeat("c", partner.MaxPlaceLen+1)
		}, "address.city"),
		badField("city: valid UTF-8", func(c *partner.RegisterPartner) { c.Address.City = "M\xfcnchen" }, "address.city"),

		// Status.
		badField("initial status: prospect, active or expired", func(c *partner.RegisterPartner) { c.Status = "current" }, "status"),
		badField("initial status: exact spelling", func(c *partner.RegisterPartner) { c.Status = "Active" }, "status"),

		{
			Name: "RegisterPartner/validation: every problem is reported at once",
			When: partner.RegisterPartner{
				PartnerID: "x", Name: "", Kinds: []string{"reseller", partner.KindAdvisor, partner.KindAdvisor},
				Address: partner.Address{Country: "ZZ", State: "\x00", City: strings.Repeat("c", 101)},
				Status:  "gold", By: admin, At: at,
			},
			Then: invalid("partner_id", "name", "kinds[0]", "kinds[2]", "address.country", "address.state", "address.city", "status"),
		},

		// Existing IDs.
		{
			Name:  "RegisterPartner/duplicate: an existing partner ID is refused",
			Given: []domain.Event{registered()},
			When:  registration(func(c *partner.RegisterPartner) { c.Name = "Someone Else" }),
			Then:  fails(domain.ErrDuplicate),
		},
		{
			Name:  "RegisterPartner/duplicate: an expired partner's ID is still taken",
			Given: history(domain.PartnerExpired),
			When:  registration(nil),
			Then:  fails(domain.ErrDuplicate),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestChangePartnerStatus(t *testing.T) {
	change := func(status, reason string, by domain.Actor) partner.ChangePartnerStatus {
		return partner.ChangePartnerStatus{PartnerID: resellerID, Status: status, Reason: reason, By: by, At: at}
	}
	changed := func(to, from, reason string) partner.PartnerStatusChanged {
		return partner.PartnerStatusChanged{PartnerID: resellerID, Status: to, PreviousStatus: from, Reason: reason}
	}
	refused := func(name string, by domain.Actor) scenario {
		return scenario{Name: "ChangePartnerStatus/who: " + name, Given: active(), When: change(domain.PartnerExpired, "", by), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{
			Name:  "ChangePartnerStatus/happy path: a prospect joins the program",
			Given: history(domain.PartnerProspect),
			When:  change(domain.PartnerActive, "signed the partner agreement", admin),
			Then:  events(changed(domain.PartnerActive, domain.PartnerProspect, "signed the partner agreement")),
		},
		{
			Name:  "ChangePartnerStatus/an active partner expires (and may then no longer act)",
			Given: active(),
			When:  change(domain.PartnerExpired, "membership not renewed", support),
			Then:  events(changed(domain.PartnerExpired, domain.PartnerActive, "membership not renewed")),
		},
		{
			Name:  "ChangePartnerStatus/an expired partner renews and is active again",
			Given: history(domain.PartnerExpired),
			When:  change(domain.PartnerActive, "", admin),
			Then:  events(changed(domain.PartnerActive, domain.PartnerExpired, "")),
		},
		{
			Name:  "ChangePartnerStatus/the reason is optional and recorded without surrounding white space",
			Given: active(),
			When:  change(domain.PartnerExpired, "  lapsed ", admin),
			Then:  events(changed(domain.PartnerExpired, domain.PartnerActive, "lapsed")),
		},
		{
			Name:  "ChangePartnerStatus/no-op: moving to the current status is refused",
			Given: active(),
			When:  change(domain.PartnerActive, "", admin),
			Then:  rule("partner.status_unchanged"),
		},
		{
			Name:  "ChangePartnerStatus/no-op: a prospect registered by default is already a prospect",
			Given: []domain.Event{registered()},
			When:  change(domain.PartnerProspect, "", admin),
			Then:  rule("partner.status_unchanged"),
		},

		// Who: admin or support staff only; the partner itself may not.
		refused("the partner's own active unrestricted org admin may not", resellerContact(domain.PartnerActive, orgAdminID)),
		refused("another partner may not", otherAdmin()),
		refused("an auditor may not", auditor),
		refused("compliance may not", compliance),
		refused("staff without roles may not", noRoles),
		refused("a customer contact may not", customer),
		refused("the zero actor may not", domain.Actor{}),

		// Validation.
		{Name: "ChangePartnerStatus/status: required", Given: active(), When: change("", "", admin), Then: invalid("status")},
		{Name: "ChangePartnerStatus/status: prospect, active or expired", Given: active(), When: change("suspended", "", admin), Then: invalid("status")},
		{Name: "ChangePartnerStatus/status: exact spelling", Given: active(), When: change("EXPIRED", "", admin), Then: invalid("status")},
		{
			Name: "ChangePartnerStatus/reason: at most 1000 characters", Given: active(),
			When: change(domain.PartnerExpired, strings.Repeat("r", partner.MaxReasonLen+1), admin), Then: invalid("reason"),
		},
		{Name: "ChangePartnerStatus/reason: no control characters", Given: active(), When: change(domain.PartnerExpired, "a\nb", admin), Then: invalid("reason")},
		{
			Name: "ChangePartnerStatus/validation: before existence, every problem at once",
			When: change("x", "\x00", admin), Then: invalid("status", "reason"),
		},

		// The partner.
		{Name: "ChangePartnerStatus/partner: an unknown partner is not found", When: change(domain.PartnerActive, "", admin), Then: fails(domain.ErrNotFound)},
		{
			Name:  "ChangePartnerStatus/partner: another partner's history does not make this one exist",
			Given: other(),
			When:  change(domain.PartnerExpired, "", admin),
			Then:  fails(domain.ErrNotFound),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

// adding is a valid AddPartnerContact of C-000010 to the reseller by
// admin, edited by edit.
func adding(edit func(*partner.AddPartnerContact)) partner.AddPartnerContact {
	c := partner.AddPartnerContact{
		PartnerID: resellerID,
		ContactID: "C-000010",
		Name:      "Zoë Weiß",
		Email:     "zoe@partners.example",
		Roles:     []string{domain.ContactSalesAgent},
		Access:    domain.AccessRestricted,
		By:        admin,
		At:        at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// added is the event of adding(nil).
func added(edit func(*partner.PartnerContactAdded)) partner.PartnerContactAdded {
	e := partner.PartnerContactAdded{
		PartnerID: resellerID, ContactID: "C-000010", Name: "Zoë Weiß", Email: "zoe@partners.example",
		Roles: []string{domain.ContactSalesAgent}, Access: domain.AccessRestricted,
	}
	if edit != nil {
		edit(&e)
	}
	return e
}

func TestAddPartnerContact(t *testing.T) {
	by := func(a domain.Actor) func(*partner.AddPartnerContact) {
		return func(c *partner.AddPartnerContact) { c.By = a }
	}
	const partnerRule = "AddPartnerContact/a partner may act only while its status is active (not expired, not prospect), through an org admin or business executive with unrestricted access: "
	accepted := func(name string, a domain.Actor) scenario {
		return scenario{Name: partnerRule + name, Given: active(), When: adding(by(a)), Then: events(added(nil))}
	}
	refusedAs := func(name string, given []domain.Event, a domain.Actor) scenario {
		return scenario{Name: partnerRule + name, Given: given, When: adding(by(a)), Then: fails(domain.ErrForbidden)}
	}
	badField := func(name string, edit func(*partner.AddPartnerContact), fields ...string) scenario {
		return scenario{Name: "AddPartnerContact/" + name, Given: active(), When: adding(edit), Then: invalid(fields...)}
	}
	cases := []scenario{
		{Name: "AddPartnerContact/happy path: admin staff adds a restricted sales agent", Given: active(), When: adding(nil), Then: events(added(nil))},
		{Name: "AddPartnerContact/who: support staff may add", Given: active(), When: adding(by(support)), Then: events(added(nil))},
		{
			Name: "AddPartnerContact/who: staff may add to a partner that may not act itself (a prospect)", Given: history(domain.PartnerProspect),
			When: adding(nil), Then: events(added(nil)),
		},
		{
			Name:  "AddPartnerContact/a first contact: staff adds an unrestricted org admin and business executive",
			Given: []domain.Event{registered()},
			When: adding(func(c *partner.AddPartnerContact) {
				c.Roles, c.Access = []string{domain.ContactBusinessExecutive, domain.ContactOrgAdmin}, domain.AccessUnrestricted
			}),
			Then: events(added(func(e *partner.PartnerContactAdded) {
				e.Roles, e.Access = []string{domain.ContactOrgAdmin, domain.ContactBusinessExecutive}, domain.AccessUnrestricted
			})),
		},
		{
			Name: "AddPartnerContact/roles: all four roles, recorded in a fixed order", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) {
				c.Roles = []string{domain.ContactSalesAgent, domain.ContactAdminAgent, domain.ContactBusinessExecutive, domain.ContactOrgAdmin}
			}),
			Then: events(added(func(e *partner.PartnerContactAdded) {
				e.Roles = []string{domain.ContactOrgAdmin, domain.ContactBusinessExecutive, domain.ContactAdminAgent, domain.ContactSalesAgent}
			})),
		},
		{
			Name: "AddPartnerContact/name is recorded without surrounding white space; the email as given", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) { c.Name, c.Email = " Zoë Weiß\t", "Zoe.Weiss+cd@Partners.Example" }),
			Then: events(added(func(e *partner.PartnerContactAdded) { e.Email = "Zoe.Weiss+cd@Partners.Example" })),
		},
		{
			Name: "AddPartnerContact/contact ID: numbers past C-999999 have more digits", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) { c.ContactID = "C-1000000" }),
			Then: events(added(func(e *partner.PartnerContactAdded) { e.ContactID = "C-1000000" })),
		},

		// The partner itself, through PartnerMayAct, each way in.
		accepted("an active partner's unrestricted org admin may add", resellerContact(domain.PartnerActive, orgAdminID)),
		accepted("an active partner's unrestricted business executive may add", resellerContact(domain.PartnerActive, execID)),
		refusedAs("an expired partner's org admin may not add", history(domain.PartnerExpired), resellerContact(domain.PartnerExpired, orgAdminID)),
		refusedAs("a prospect's org admin may not add", history(domain.PartnerProspect), resellerContact(domain.PartnerProspect, orgAdminID)),
		refusedAs("a restricted org admin may not add", active(), resellerContact(domain.PartnerActive, restrictedID)),
		refusedAs("a sales agent may not add", active(), resellerContact(domain.PartnerActive, salesID)),
		refusedAs("an admin agent may not add", active(), resellerContact(domain.PartnerActive, agentID)),
		refusedAs("a contact the partner does not know may not add", active(), resellerContact(domain.PartnerActive, strangerID)),
		refusedAs("a principal resolved with nothing (no status, roles or access) may not add", active(),
			domain.Actor{Principal: principal(resellerID, orgAdminID)}),
		{
			Name:  partnerRule + "another partner's contact is told the partner does not exist, not refused with a hint",
			Given: active(), When: adding(by(otherAdmin())), Then: fails(domain.ErrNotFound),
		},
		{
			Name:  partnerRule + "another partner's contact learns nothing from an invalid command either",
			Given: active(),
			When:  adding(func(c *partner.AddPartnerContact) { c.By, c.ContactID, c.Email = otherAdmin(), "x", "" }),
			Then:  fails(domain.ErrNotFound),
		},
		{
			Name:  partnerRule + "a partner principal naming no organisation is not found",
			Given: active(), When: adding(by(domain.Actor{Principal: domain.Principal{ID: "partner:?", Kind: domain.KindPartner}})),
			Then: fails(domain.ErrNotFound),
		},
		{
			Name:  partnerRule + "checked before validation, so a refused contact learns nothing",
			Given: history(domain.PartnerExpired),
			When: adding(func(c *partner.AddPartnerContact) {
				c.By, c.Email = resellerContact(domain.PartnerExpired, orgAdminID), "bad"
			}),
			Then: fails(domain.ErrForbidden),
		},
		{Name: "AddPartnerContact/who: an auditor may not add", Given: active(), When: adding(by(auditor)), Then: fails(domain.ErrForbidden)},
		{Name: "AddPartnerContact/who: compliance may not add", Given: active(), When: adding(by(compliance)), Then: fails(domain.ErrForbidden)},
		{Name: "AddPartnerContact/who: staff without roles may not add", Given: active(), When: adding(by(noRoles)), Then: fails(domain.ErrForbidden)},
		{Name: "AddPartnerContact/who: a customer contact may not add", Given: active(), When: adding(by(customer)), Then: fails(domain.ErrForbidden)},
		{Name: "AddPartnerContact/who: the zero actor may not add", Given: active(), When: adding(by(domain.Actor{})), Then: fails(domain.ErrForbidden)},

		// Validation.
		badField("contact ID form: required", func(c *partner.AddPartnerContact) { c.ContactID = "" }, "contact_id"),
		badField("contact ID form: six digits", func(c *partner.AddPartnerContact) { c.ContactID = "C-00001" }, "contact_id"),
		badField("contact ID form: capital C", func(c *partner.AddPartnerContact) { c.ContactID = "c-000010" }, "contact_id"),
		badField("contact ID form: no padding beyond six digits", func(c *partner.AddPartnerContact) { c.ContactID = "C-0000010" }, "contact_id"),
		badField("contact ID form: not the principal form P-1", func(c *partner.AddPartnerContact) { c.ContactID = "P-1" }, "contact_id"),
		badField("Name: required", func(c *partner.AddPartnerContact) { c.Name = "  " }, "name"),
		badField("Name: at most 200 characters", func(c *partner.AddPartnerContact) { c.Name = strings.Repeat("z", partner.MaxNameLen+1) }, "name"),
		badField("Name: no control characters", func(c *partner.AddPartnerContact) { c.Name = "Zoë\u0007" }, "name"),
		badField("email: required", func(c *partner.AddPartnerContact) { c.Email = "" }, "email"),
		badField("email: an address, not a domain", func(c *partner.AddPartnerContact) { c.Email = "partners.example" }, "email"),
		badField("email: a bare address", func(c *partner.AddPartnerContact) { c.Email = "Zoë <zoe@partners.example>" }, "email"),
		badField("email: no surrounding space", func(c *partner.AddPartnerContact) { c.Email = "zoe@partners.example " }, "email"),
		badField("email: a domain with two labels", func(c *partner.AddPartnerContact) { c.Email = "zoe@localhost" }, "email"),
		badField("roles: at least one", func(c *partner.AddPartnerContact) { c.Roles = nil }, "roles"),
		badField("roles: a customer role is not a partner role", func(c *partner.AddPartnerContact) {
			c.Roles = []string{domain.ContactOrgAdmin, domain.ContactBilling}
		}, "roles[1]"),
		badField("roles: staff roles are not contact roles", func(c *partner.AddPartnerContact) { c.Roles = []string{"admin"} }, "roles[0]"),
		badField("roles: each at most once", func(c *partner.AddPartnerContact) {
			c.Roles = []string{domain.ContactSalesAgent, domain.ContactSalesAgent}
		}, "roles[1]"),
		badField("access: required", func(c *partner.AddPartnerContact) { c.Access = "" }, "access"),
		badField("access: restricted or unrestricted", func(c *partner.AddPartnerContact) { c.Access = "full" }, "access"),
		{
			Name: "AddPartnerContact/validation: every problem is reported at once, before existence",
			When: partner.AddPartnerContact{PartnerID: resellerID, ContactID: "1", Name: "", Email: "@", Roles: []string{"boss"}, Access: "all", By: admin, At: at},
			Then: invalid("contact_id", "name", "email", "roles[0]", "access"),
		},

		// The partner and its contacts.
		{Name: "AddPartnerContact/partner: an unknown partner is not found", When: adding(nil), Then: fails(domain.ErrNotFound)},
		{Name: "AddPartnerContact/partner: another partner's history does not make this one exist", Given: other(), When: adding(nil), Then: fails(domain.ErrNotFound)},
		{
			Name: "AddPartnerContact/duplicate: an existing contact ID is refused", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) { c.ContactID = salesID }), Then: fails(domain.ErrDuplicate),
		},
		{
			Name: "AddPartnerContact/duplicate email within the partner is refused", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) { c.Email = "ada@partners.example" }), Then: rule("partner.contact_email_duplicate"),
		},
		{
			Name: "AddPartnerContact/duplicate email: compared without regard to case", Given: active(),
			When: adding(func(c *partner.AddPartnerContact) { c.Email = "ADA@Partners.Example" }), Then: rule("partner.contact_email_duplicate"),
		},
		{
			Name:  "AddPartnerContact/duplicate email: another partner's contact with the same email does not count",
			Given: active(),
			When:  adding(func(c *partner.AddPartnerContact) { c.Email = "olga@other.example" }),
			Then:  events(added(func(e *partner.PartnerContactAdded) { e.Email = "olga@other.example" })),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

// setting is SetContactAccess of contact id to access by a.
func setting(id, access string, a domain.Actor) partner.SetContactAccess {
	return partner.SetContactAccess{PartnerID: resellerID, ContactID: id, Access: access, By: a, At: at}
}

func accessSet(id, access, previous string) partner.ContactAccessSet {
	return partner.ContactAccessSet{PartnerID: resellerID, ContactID: id, Access: access, PreviousAccess: previous}
}

func TestSetContactAccess(t *testing.T) {
	const partnerRule = "SetContactAccess/a partner may act only while its status is active (not expired, not prospect), through an org admin or business executive with unrestricted access: "
	refusedAs := func(name string, given []domain.Event, a domain.Actor) scenario {
		return scenario{Name: partnerRule + name, Given: given, When: setting(salesID, domain.AccessRestricted, a), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{
			Name: "SetContactAccess/happy path: admin staff restricts a contact", Given: active(),
			When: setting(salesID, domain.AccessRestricted, admin),
			Then: events(accessSet(salesID, domain.AccessRestricted, domain.AccessUnrestricted)),
		},
		{
			Name: "SetContactAccess/support staff lifts a restriction", Given: active(),
			When: setting(restrictedID, domain.AccessUnrestricted, support),
			Then: events(accessSet(restrictedID, domain.AccessUnrestricted, domain.AccessRestricted)),
		},
		{
			Name: "SetContactAccess/staff may set access at a partner that may not act itself (expired)", Given: history(domain.PartnerExpired),
			When: setting(orgAdminID, domain.AccessRestricted, admin),
			Then: events(accessSet(orgAdminID, domain.AccessRestricted, domain.AccessUnrestricted)),
		},
		{
			Name: partnerRule + "an active partner's unrestricted org admin may restrict a sales agent", Given: active(),
			When: setting(salesID, domain.AccessRestricted, resellerContact(domain.PartnerActive, orgAdminID)),
			Then: events(accessSet(salesID, domain.AccessRestricted, domain.AccessUnrestricted)),
		},
		{
			Name: partnerRule + "an active partner's unrestricted business executive may restrict its org admin", Given: active(),
			When: setting(orgAdminID, domain.AccessRestricted, resellerContact(domain.PartnerActive, execID)),
			Then: events(accessSet(orgAdminID, domain.AccessRestricted, domain.AccessUnrestricted)),
		},
		refusedAs("an expired partner's org admin may not", history(domain.PartnerExpired), resellerContact(domain.PartnerExpired, orgAdminID)),
		refusedAs("a prospect's org admin may not", history(domain.PartnerProspect), resellerContact(domain.PartnerProspect, orgAdminID)),
		refusedAs("a restricted org admin may not, not even lift restrictions", active(), resellerContact(domain.PartnerActive, restrictedID)),
		refusedAs("a sales agent may not", active(), resellerContact(domain.PartnerActive, salesID)),
		refusedAs("an admin agent may not", active(), resellerContact(domain.PartnerActive, agentID)),
		refusedAs("a contact the partner does not know may not", active(), resellerContact(domain.PartnerActive, strangerID)),
		{
			Name: partnerRule + "another partner's contact is told the partner does not exist", Given: active(),
			When: setting(salesID, domain.AccessRestricted, otherAdmin()), Then: fails(domain.ErrNotFound),
		},
		{
			Name: partnerRule + "another partner's contact asking about an unknown contact gets the same answer", Given: active(),
			When: setting(strangerID, domain.AccessRestricted, otherAdmin()), Then: fails(domain.ErrNotFound),
		},
		{
			Name: "SetContactAccess/a partner may not change its own access", Given: active(),
			When: setting(orgAdminID, domain.AccessRestricted, resellerContact(domain.PartnerActive, orgAdminID)),
			Then: rule("partner.own_access"),
		},
		{
			Name: "SetContactAccess/a partner may not change its own access, even to what it already is", Given: active(),
			When: setting(execID, domain.AccessUnrestricted, resellerContact(domain.PartnerActive, execID)),
			Then: rule("partner.own_access"),
		},
		{
			Name: "SetContactAccess/no-op: setting the current access is refused", Given: active(),
			When: setting(salesID, domain.AccessUnrestricted, admin), Then: rule("partner.contact_access_unchanged"),
		},
		{
			Name: "SetContactAccess/contact: an unknown contact is not found", Given: active(),
			When: setting(strangerID, domain.AccessRestricted, admin), Then: fails(domain.ErrNotFound),
		},
		{
			Name: "SetContactAccess/contact: another partner's contact is not found here", Given: append(active(), other()...),
			When: setting("C-000050", domain.AccessRestricted, admin), Then: fails(domain.ErrNotFound),
		},
		{Name: "SetContactAccess/who: an auditor may not", Given: active(), When: setting(salesID, domain.AccessRestricted, auditor), Then: fails(domain.ErrForbidden)},
		{Name: "SetContactAccess/who: a customer contact may not", Given: active(), When: setting(salesID, domain.AccessRestricted, customer), Then: fails(domain.ErrForbidden)},
		{Name: "SetContactAccess/who: the zero actor may not", Given: active(), When: setting(salesID, domain.AccessRestricted, domain.Actor{}), Then: fails(domain.ErrForbidden)},
		{Name: "SetContactAccess/contact ID form: required", Given: active(), When: setting("", domain.AccessRestricted, admin), Then: invalid("contact_id")},
		{Name: "SetContactAccess/access: required", Given: active(), When: setting(salesID, "", admin), Then: invalid("access")},
		{Name: "SetContactAccess/access: restricted or unrestricted", Given: active(), When: setting(salesID, "Restricted", admin), Then: invalid("access")},
		{Name: "SetContactAccess/validation: every problem at once, before existence", When: setting("C-1", "none", admin), Then: invalid("contact_id", "access")},
		{Name: "SetContactAccess/partner: an unknown partner is not found", When: setting(salesID, domain.AccessRestricted, admin), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ partner.SetContactAccess }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: active(), When: nil, Then: rule("partner.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: active(), When: wrapped{setting(salesID, domain.AccessRestricted, admin)}, Then: rule("partner.unknown_command")},
	})
}

func TestActor(t *testing.T) {
	s := domaintest.Fold(aggregate, active(), nil)
	cases := []struct {
		name string
		s    partner.State
		p    domain.Principal
		want domain.Actor
	}{
		{
			name: "a contact of this partner: status, roles and access",
			s:    s, p: principal(resellerID, execID),
			want: domain.Actor{Principal: principal(resellerID, execID), ContactKnown: true,
				ContactRoles: []string{domain.ContactBusinessExecutive}, ContactAccess: domain.AccessUnrestricted, PartnerStatus: domain.PartnerActive},
		},
		{
			name: "a restricted contact",
			s:    s, p: principal(resellerID, restrictedID),
			want: domain.Actor{Principal: principal(resellerID, restrictedID), ContactKnown: true,
				ContactRoles: []string{domain.ContactOrgAdmin}, ContactAccess: domain.AccessRestricted, PartnerStatus: domain.PartnerActive},
		},
		{
			name: "a contact this partner does not know: the status only",
			s:    s, p: principal(resellerID, strangerID),
			want: domain.Actor{Principal: principal(resellerID, strangerID), PartnerStatus: domain.PartnerActive},
		},
		{
			name: "a principal of this partner without a contact ID is no contact",
			s:    s, p: principal(resellerID, ""),
			want: domain.Actor{Principal: principal(resellerID, ""), PartnerStatus: domain.PartnerActive},
		},
		{name: "a contact of another partner: nothing", s: s, p: principal(otherID, orgAdminID), want: domain.Actor{Principal: principal(otherID, orgAdminID)}},
		{
			name: "a customer contact naming this partner: nothing",
			s:    s, p: domain.Principal{ID: "customer:x", Kind: domain.KindCustomer, PartnerID: resellerID, ContactID: orgAdminID},
			want: domain.Actor{Principal: domain.Principal{ID: "customer:x", Kind: domain.KindCustomer, PartnerID: resellerID, ContactID: orgAdminID}},
		},
		{name: "staff: nothing", s: s, p: admin.Principal, want: admin},
		{name: "a partner that does not exist: nothing", s: partner.State{}, p: principal("", ""), want: domain.Actor{Principal: principal("", "")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Actor(tc.p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}

	t.Run("the actor's roles are its own: changing them leaves the state alone", func(t *testing.T) {
		a := s.Actor(principal(resellerID, orgAdminID))
		a.ContactRoles[0] = domain.ContactSalesAgent
		if got := s.Contacts[orgAdminID].Roles; !reflect.DeepEqual(got, []string{domain.ContactOrgAdmin}) {
			t.Errorf("state roles became %q", got)
		}
	})

	t.Run("resolved actors follow DOMAIN.md: only an active partner's unrestricted org admin or business executive may act", func(t *testing.T) {
		for _, tc := range []struct {
			status, id string
			may        bool
		}{
			{domain.PartnerActive, orgAdminID, true},
			{domain.PartnerActive, execID, true},
			{domain.PartnerActive, salesID, false},
			{domain.PartnerActive, agentID, false},
			{domain.PartnerActive, restrictedID, false},
			{domain.PartnerActive, strangerID, false},
			{domain.PartnerExpired, orgAdminID, false},
			{domain.PartnerProspect, execID, false},
		} {
			err := resellerContact(tc.status, tc.id).PartnerMayAct()
			if (err == nil) != tc.may {
				t.Errorf("%s contact %s: PartnerMayAct = %v, want may act %v", tc.status, tc.id, err, tc.may)
			}
		}
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "account.registered" }
func (foreign) SchemaVersion() int { return 1 }

func TestEvolve(t *testing.T) {
	t.Run("registration sets up a partner with no contacts", func(t *testing.T) {
		got := partner.Evolve(partner.State{}, registered())
		want := partner.State{
			ID: resellerID, Name: resellerName, Kinds: []string{partner.KindResellerDirect},
			Address: partner.Address{Country: "DE", State: "Bayern", City: "München"}, Region: "EMEA",
			Status: domain.PartnerProspect, Contacts: map[string]partner.Contact{},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (partner.State{}).Exists() {
			t.Error("Exists: a registered partner exists and the zero state does not")
		}
	})

	t.Run("dual role: both reseller kinds", func(t *testing.T) {
		for _, tc := range []struct {
			kinds []string
			dual  bool
		}{
			{[]string{partner.KindResellerDirect, partner.KindResellerIndirect}, true},
			{partner.Kinds(), true},
			{[]string{partner.KindResellerDirect}, false},
			{[]string{partner.KindResellerIndirect, partner.KindDistributor}, false},
			{[]string{partner.KindAdvisor}, false},
		} {
			s := partner.Evolve(partner.State{}, withRegistered(func(e *partner.PartnerRegistered) { e.Kinds = tc.kinds }))
			if s.DualRole() != tc.dual {
				t.Errorf("kinds %q: DualRole = %v", tc.kinds, s.DualRole())
			}
			if !s.Is(tc.kinds[0]) || (len(tc.kinds) < 4 && s.Is(partner.KindAdvisor) != contains(tc.kinds, partner.KindAdvisor)) {
				t.Errorf("kinds %q: Is is wrong", tc.kinds)
			}
		}
	})

	t.Run("status changes, contacts and access follow the events", func(t *testing.T) {
		s := domaintest.Fold(aggregate, active(), nil)
		if s.Status != domain.PartnerActive || len(s.Contacts) != 5 {
			t.Fatalf("status %q, %d contacts", s.Status, len(s.Contacts))
		}
		s = partner.Evolve(s, accessSet(salesID, domain.AccessRestricted, domain.AccessUnrestricted))
		want := partner.Contact{ID: salesID, Name: "Contact " + salesID, Email: "sal@partners.example",
			Roles: []string{domain.ContactSalesAgent}, Access: domain.AccessRestricted}
		if got := s.Contacts[salesID]; !reflect.DeepEqual(got, want) {
			t.Errorf("contact: got %#v, want %#v", got, want)
		}
	})

	t.Run("access set for a contact the state does not know changes nothing", func(t *testing.T) {
		s := domaintest.Fold(aggregate, active(), nil)
		if got := partner.Evolve(s, accessSet(strangerID, domain.AccessRestricted, "")); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v", got)
		}
	})

	t.Run("states from a shared history do not share contacts", func(t *testing.T) {
		base := domaintest.Fold(aggregate, active(), nil)
		one := partner.Evolve(base, contact("C-000020", "one@partners.example", domain.AccessRestricted, domain.ContactSalesAgent))
		two := partner.Evolve(base, accessSet(salesID, domain.AccessRestricted, domain.AccessUnrestricted))
		if len(base.Contacts) != 5 || len(one.Contacts) != 6 || len(two.Contacts) != 5 {
			t.Fatalf("contacts: base %d, one %d, two %d", len(base.Contacts), len(one.Contacts), len(two.Contacts))
		}
		if base.Contacts[salesID].Access != domain.AccessUnrestricted || one.Contacts[salesID].Access != domain.AccessUnrestricted {
			t.Errorf("setting access in one state changed another")
		}
	})

	t.Run("the state does not share the event's slices", func(t *testing.T) {
		e := withRegistered(func(e *partner.PartnerRegistered) { e.Kinds = []string{partner.KindAdvisor} })
		s := partner.Evolve(partner.State{}, e)
		e.Kinds[0] = partner.KindDistributor
		c := contact("C-000020", "one@partners.example", domain.AccessRestricted, domain.ContactSalesAgent)
		s = partner.Evolve(s, c)
		c.Roles[0] = domain.ContactOrgAdmin
		if s.Kinds[0] != partner.KindAdvisor || s.Contacts["C-000020"].Roles[0] != domain.ContactSalesAgent {
			t.Errorf("state aliases its events: %#v", s)
		}
	})

	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := domaintest.Fold(aggregate, active(), nil)
		if got := partner.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v, want %#v", got, s)
		}
	})
}

func contains(list []string, v string) bool {
	for _, have := range list {
		if have == v {
			return true
		}
	}
	return false
}

func TestStreamID(t *testing.T) {
	if got := partner.StreamID(resellerID); got != "partner-777777PA" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidIDs(t *testing.T) {
	for id, want := range map[string]bool{
		"123456HQ": true, "000000AA": true, "": false, "123456hq": false, "12345HQ": false, " 123456HQ": false,
	} {
		if got := partner.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
	for id, want := range map[string]bool{
		"C-000001": true, "C-999999": true, "C-1000000": true, "C-123456789012345678": true,
		"": false, "C-": false, "C-00001": false, "C-0000001": false, "c-000001": false, "C000001": false,
		"C-000001 ": false, "P-1": false, "C-1234567890123456789": true, "C-12345678901234567890": false, // at most 19 digits, as every sequence number (domain/ids)
	} {
		if got := partner.ValidContactID(id); got != want {
			t.Errorf("ValidContactID(%q) = %v, want %v", id, got, want)
		}
	}
}
