package contract_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/domaintest"
)

type scenario = domaintest.Scenario[contract.State, contract.Command]

var aggregate = domaintest.Aggregate[contract.State, contract.Command]{Evolve: contract.Evolve, Decide: contract.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

const (
	ela       = "ELA-000001"
	easy      = "EASY-000001"
	acmeID    = "123456HQ"
	otherID   = "654321AB"
	targetID  = "222222TG"
	partnerID = "777777PA"
	rivalID   = "888888PB"
)

var (
	at          = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")

	ann        = customer(acmeID, "C-000001", domain.AccessUnrestricted) // unrestricted contact of ACME
	rita       = customer(acmeID, "C-000003", domain.AccessRestricted)   // restricted contact of ACME
	stranger   = customer(otherID, "C-000009", domain.AccessUnrestricted)
	managing   = partner(partnerID) // holds manage rights in managed()
	unrelated  = partner(rivalID)
	unresolved = domain.Actor{Principal: domain.Principal{ID: "customer:" + acmeID + "/C-000001", Kind: domain.KindCustomer, AccountID: acmeID, ContactID: "C-000001"}}
)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

// customer is a known contact of account accountID with access.
func customer(accountID, id, access string) domain.Actor {
	return domain.Actor{
		Principal:    domain.Principal{ID: "customer:" + accountID + "/" + id, Kind: domain.KindCustomer, AccountID: accountID, ContactID: id},
		ContactKnown: true, ContactAccess: access, ContactRoles: []string{domain.ContactOrgAdmin},
	}
}

// partner is an unrestricted org admin of an active partner.
func partner(id string) domain.Actor {
	return domain.Actor{
		Principal:    domain.Principal{ID: "partner:" + id + "/C-000100", Kind: domain.KindPartner, PartnerID: id, ContactID: "C-000100"},
		ContactKnown: true, ContactAccess: domain.AccessUnrestricted, ContactRoles: []string{domain.ContactOrgAdmin}, PartnerStatus: domain.PartnerActive,
	}
}

func acmeRef() domain.OrgRef { return domain.OrgRef{ID: acmeID, Exists: true} }

// registration is a valid RegisterContract of ACME's ELA, edited by edit.
func registration(edit func(*contract.RegisterContract)) contract.RegisterContract {
	c := contract.RegisterContract{
		Number: ela, Program: contract.ProgramEnterprise, AccountID: acmeID,
		PrimaryAdmin: "C-000001", SecondaryAdmin: "C-000002", DiscountLevel: 3,
		TermStart: "2025-01-01", TermEnd: "2027-12-31",
		Account: acmeRef(), ActiveContracts: map[string]string{},
		By: admin, At: at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// registered is the event of registration(nil).
func registered() contract.Registered {
	return contract.Registered{
		ContractNumber: ela, Program: contract.ProgramEnterprise, AccountID: acmeID,
		PrimaryAdmin: "C-000001", SecondaryAdmin: "C-000002", DiscountLevel: 3,
		TermStart: "2025-01-01", TermEnd: "2027-12-31",
	}
}

// agreement is the history of ACME's freshly registered ELA.
func agreement() []domain.Event { return []domain.Event{registered()} }

// managed is agreement() with manage rights granted to partnerID.
func managed() []domain.Event {
	return append(agreement(), contract.ManageRightsGranted{PartnerID: partnerID})
}

// termination is the contract.terminated event of terminating(nil).
func termination() contract.Terminated {
	return contract.Terminated{Reason: "customer gave notice", Evidence: []string{"DOC-NOTICE-1"}, TerminatedOn: "2025-03-14"}
}

// terminated is the history of ACME's ELA, managed by partnerID, then
// terminated: the partner's rights revoked first.
func terminated() []domain.Event {
	return append(managed(), contract.ManageRightsRevoked{PartnerID: partnerID}, termination())
}

func TestRegisterContract(t *testing.T) {
	by := func(a domain.Actor) func(*contract.RegisterContract) {
		return func(c *contract.RegisterContract) { c.By = a }
	}
	bad := func(name string, edit func(*contract.RegisterContract), fields ...string) scenario {
		return scenario{Name: "RegisterContract/" + name, When: registration(edit), Then: invalid(fields...)}
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "RegisterContract/who: " + name, When: registration(by(a)), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{Name: "RegisterContract/happy path: admin staff registers an ELA", When: registration(nil), Then: events(registered())},
		{Name: "RegisterContract/who: support staff may register", When: registration(by(support)), Then: events(registered())},
		{
			Name: "RegisterContract/an Easy License Agreement is numbered EASY-",
			When: registration(func(c *contract.RegisterContract) { c.Number, c.Program = easy, contract.ProgramEasy }),
			Then: events(func() contract.Registered {
				e := registered()
				e.ContractNumber, e.Program = easy, contract.ProgramEasy
				return e
			}()),
		},
		{
			Name: "RegisterContract/the secondary administrator is optional",
			When: registration(func(c *contract.RegisterContract) { c.SecondaryAdmin = "" }),
			Then: events(func() contract.Registered { e := registered(); e.SecondaryAdmin = ""; return e }()),
		},
		{
			Name: "RegisterContract/discount levels 1 and 6 are the bounds",
			When: registration(func(c *contract.RegisterContract) { c.DiscountLevel = 6 }),
			Then: events(func() contract.Registered { e := registered(); e.DiscountLevel = 6; return e }()),
		},
		{
			Name: "RegisterContract/a number past the padding is accepted (ELA-1000000)",
			When: registration(func(c *contract.RegisterContract) { c.Number = "ELA-1000000" }),
			Then: events(func() contract.Registered { e := registered(); e.ContractNumber = "ELA-1000000"; return e }()),
		},
		{
			Name: "RegisterContract/one active agreement per program: an active agreement of the other program does not count",
			When: registration(func(c *contract.RegisterContract) { c.ActiveContracts = map[string]string{contract.ProgramEasy: easy} }),
			Then: events(registered()),
		},
		{
			Name: "RegisterContract/one active agreement per program: no facts means no agreements",
			When: registration(func(c *contract.RegisterContract) { c.ActiveContracts = nil }),
			Then: events(registered()),
		},

		refused("an auditor may not register", auditor),
		refused("compliance may not register", compliance),
		refused("an integration may not register", integration),
		refused("staff without roles may not register", noRoles),
		refused("a customer's unrestricted contact may not register", ann),
		refused("a partner may not register", managing),
		refused("the zero actor may not register", domain.Actor{}),
		{
			Name: "RegisterContract/who: checked before validation, so the refused learn nothing",
			When: registration(func(c *contract.RegisterContract) { c.By, c.Number = ann, "x" }),
			Then: fails(domain.ErrForbidden),
		},

		bad("program: required", func(c *contract.RegisterContract) { c.Program = "" }, "program"),
		bad("program: enterprise or easy only", func(c *contract.RegisterContract) { c.Program = "ELA" }, "program"),
		bad("number: the prefix matches the program (ELA number for an easy agreement)",
			func(c *contract.RegisterContract) { c.Program = contract.ProgramEasy }, "number"),
		bad("number: the prefix matches the program (EASY number for an enterprise agreement)",
			func(c *contract.RegisterContract) { c.Number = easy }, "number"),
		bad("number: required", func(c *contract.RegisterContract) { c.Number = "" }, "number"),
		bad("number: six digits", func(c *contract.RegisterContract) { c.Number = "ELA-12345" }, "number"),
		bad("number: no extra leading zero", func(c *contract.RegisterContract) { c.Number = "ELA-0000001" }, "number"),
		bad("number: upper-case prefix", func(c *contract.RegisterContract) { c.Number = "ela-000001" }, "number"),
		bad("account ID: required", func(c *contract.RegisterContract) { c.AccountID = "" }, "account_id"),
		bad("account ID: six digits and two capitals", func(c *contract.RegisterContract) { c.AccountID = "123456hq" }, "account_id"),
		bad("administrators: a primary administrator is required", func(c *contract.RegisterContract) { c.PrimaryAdmin = "" }, "primary_admin"),
		bad("administrators: the primary is a contact ID", func(c *contract.RegisterContract) { c.PrimaryAdmin = "ann@acme.example" }, "primary_admin"),
		bad("administrators: the secondary is a contact ID", func(c *contract.RegisterContract) { c.SecondaryAdmin = "C-1" }, "secondary_admin"),
		bad("administrators: the secondary differs from the primary",
			func(c *contract.RegisterContract) { c.SecondaryAdmin = c.PrimaryAdmin }, "secondary_admin"),
		bad("discount level: at least 1", func(c *contract.RegisterContract) { c.DiscountLevel = 0 }, "discount_level"),
		bad("discount level: at most 6", func(c *contract.RegisterContract) { c.DiscountLevel = 7 }, "discount_level"),
		bad("term: start required", func(c *contract.RegisterContract) { c.TermStart = "" }, "term_start"),
		bad("term: end required", func(c *contract.RegisterContract) { c.TermEnd = "" }, "term_end"),
		bad("term: dates are YYYY-MM-DD", func(c *contract.RegisterContract) { c.TermStart = "01/01/2025" }, "term_start"),
		bad("term: dates exist (no 30 February)", func(c *contract.RegisterContract) { c.TermEnd = "2027-02-30" }, "term_end"),
		bad("term: dates without time", func(c *contract.RegisterContract) { c.TermEnd = "2027-12-31T00:00:00Z" }, "term_end"),
		bad("term: the end is after the start", func(c *contract.RegisterContract) { c.TermEnd = "2024-12-31" }, "term_end"),
		bad("term: a term of no days is refused", func(c *contract.RegisterContract) { c.TermEnd = c.TermStart }, "term_end"),
		{
			Name: "RegisterContract/validation: every problem is reported at once",
			When: contract.RegisterContract{Number: "x", Program: "easy", AccountID: "x", PrimaryAdmin: "x", SecondaryAdmin: "y", TermStart: "x", TermEnd: "y", By: admin, At: at},
			Then: invalid("number", "account_id", "primary_admin", "secondary_admin", "discount_level", "term_start", "term_end"),
		},

		{Name: "RegisterContract/duplicate: an existing number is refused", Given: agreement(), When: registration(nil), Then: fails(domain.ErrDuplicate)},
		{
			Name: "RegisterContract/account: the account must exist",
			When: registration(func(c *contract.RegisterContract) { c.Account = domain.OrgRef{ID: acmeID} }),
			Then: rule("contract.account_unknown"),
		},
		{
			Name: "RegisterContract/account: a fact about another account does not count",
			When: registration(func(c *contract.RegisterContract) { c.Account = domain.OrgRef{ID: otherID, Exists: true} }),
			Then: rule("contract.account_unknown"),
		},
		{
			Name: "RegisterContract/account: a merged account accepts no further commands",
			When: registration(func(c *contract.RegisterContract) { c.Account.MergedInto = targetID }),
			Then: rule("contract.account_merged"),
		},
		{
			Name: "RegisterContract/only one active agreement per program per account",
			When: registration(func(c *contract.RegisterContract) {
				c.Number = "ELA-000002"
				c.ActiveContracts = map[string]string{contract.ProgramEnterprise: ela}
			}),
			Then: rule("contract.one_active_per_program"),
		},
		{
			Name: "RegisterContract/only one active agreement per program per account: Easy too",
			When: registration(func(c *contract.RegisterContract) {
				c.Number, c.Program = "EASY-000002", contract.ProgramEasy
				c.ActiveContracts = map[string]string{contract.ProgramEasy: easy}
			}),
			Then: rule("contract.one_active_per_program"),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestChangeContractAdministrators(t *testing.T) {
	change := func(primary, secondary string, by domain.Actor) contract.ChangeContractAdministrators {
		return contract.ChangeContractAdministrators{Number: ela, Primary: primary, Secondary: secondary, By: by, At: at}
	}
	cases := []scenario{
		{
			Name: "ChangeContractAdministrators/happy path: support staff names new administrators", Given: agreement(),
			When: change("C-000004", "C-000005", support), Then: events(contract.AdministratorsChanged{PrimaryAdmin: "C-000004", SecondaryAdmin: "C-000005"}),
		},
		{
			Name: "ChangeContractAdministrators/who: admin staff may", Given: agreement(),
			When: change("C-000004", "", admin), Then: events(contract.AdministratorsChanged{PrimaryAdmin: "C-000004"}),
		},
		{
			Name: "ChangeContractAdministrators/who: an unrestricted contact of the customer may", Given: agreement(),
			When: change("C-000002", "C-000001", ann), Then: events(contract.AdministratorsChanged{PrimaryAdmin: "C-000002", SecondaryAdmin: "C-000001"}),
		},
		{
			Name: "ChangeContractAdministrators/the secondary administrator may be removed", Given: agreement(),
			When: change("C-000001", "", ann), Then: events(contract.AdministratorsChanged{PrimaryAdmin: "C-000001"}),
		},
		{
			Name:  "ChangeContractAdministrators/after a merge the new owner's contacts may change them",
			Given: append(agreement(), contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge}),
			When:  change("C-000007", "", customer(targetID, "C-000007", domain.AccessUnrestricted)),
			Then:  events(contract.AdministratorsChanged{PrimaryAdmin: "C-000007"}),
		},
		{Name: "ChangeContractAdministrators/who: a restricted contact of the customer may not", Given: agreement(), When: change("C-000004", "", rita), Then: fails(domain.ErrForbidden)},
		{Name: "ChangeContractAdministrators/who: a contact the account does not know may not", Given: agreement(), When: change("C-000004", "", unresolved), Then: fails(domain.ErrForbidden)},
		{Name: "ChangeContractAdministrators/who: an auditor may not", Given: agreement(), When: change("C-000004", "", auditor), Then: fails(domain.ErrForbidden)},
		{Name: "ChangeContractAdministrators/who: the zero actor may not", Given: agreement(), When: change("C-000004", "", domain.Actor{}), Then: fails(domain.ErrForbidden)},
		{
			Name: "ChangeContractAdministrators/who: a partner with manage rights may see the agreement but not change its administrators", Given: managed(),
			When: change("C-000004", "", managing), Then: fails(domain.ErrForbidden),
		},
		{
			Name: "ChangeContractAdministrators/who: a partner without manage rights is told the agreement does not exist", Given: managed(),
			When: change("C-000004", "", unrelated), Then: fails(domain.ErrNotFound),
		},
		{
			Name: "ChangeContractAdministrators/who: a contact of another customer is told the agreement does not exist", Given: agreement(),
			When: change("C-000004", "", stranger), Then: fails(domain.ErrNotFound),
		},
		{
			Name:  "ChangeContractAdministrators/after a merge the old owner's contacts are strangers",
			Given: append(agreement(), contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge}),
			When:  change("C-000004", "", ann), Then: fails(domain.ErrNotFound),
		},
		{Name: "ChangeContractAdministrators/an unknown agreement is not found", When: change("C-000004", "", admin), Then: fails(domain.ErrNotFound)},
		{
			Name: "ChangeContractAdministrators/another agreement's history does not make this one exist", Given: agreement(),
			When: contract.ChangeContractAdministrators{Number: "ELA-000002", Primary: "C-000004", By: admin, At: at}, Then: fails(domain.ErrNotFound),
		},
		{Name: "ChangeContractAdministrators/a primary administrator is required", Given: agreement(), When: change("", "C-000004", admin), Then: invalid("primary_admin")},
		{Name: "ChangeContractAdministrators/administrators are contact IDs", Given: agreement(), When: change("ann", "bob", admin), Then: invalid("primary_admin", "secondary_admin")},
		{Name: "ChangeContractAdministrators/primary and secondary are two contacts", Given: agreement(), When: change("C-000004", "C-000004", admin), Then: invalid("secondary_admin")},
		{Name: "ChangeContractAdministrators/naming the current administrators is refused", Given: agreement(), When: change("C-000001", "C-000002", admin), Then: rule("contract.administrators_unchanged")},
		{Name: "ChangeContractAdministrators/a terminated agreement is not changed", Given: terminated(), When: change("C-000004", "", admin), Then: rule("contract.terminated")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestSetDiscountLevel(t *testing.T) {
	set := func(level int, by domain.Actor) contract.SetDiscountLevel {
		return contract.SetDiscountLevel{Number: ela, Level: level, By: by, At: at}
	}
	cases := []scenario{
		{Name: "SetDiscountLevel/happy path: admin staff sets level 5", Given: agreement(), When: set(5, admin), Then: events(contract.DiscountLevelSet{DiscountLevel: 5})},
		{Name: "SetDiscountLevel/who: support staff may", Given: agreement(), When: set(1, support), Then: events(contract.DiscountLevelSet{DiscountLevel: 1})},
		{Name: "SetDiscountLevel/who: an unrestricted contact of the customer may not", Given: agreement(), When: set(6, ann), Then: fails(domain.ErrForbidden)},
		{Name: "SetDiscountLevel/who: a partner with manage rights may not", Given: managed(), When: set(6, managing), Then: fails(domain.ErrForbidden)},
		{Name: "SetDiscountLevel/who: a partner without manage rights is told the agreement does not exist", Given: managed(), When: set(6, unrelated), Then: fails(domain.ErrNotFound)},
		{Name: "SetDiscountLevel/who: a contact of another customer is told the agreement does not exist", Given: agreement(), When: set(6, stranger), Then: fails(domain.ErrNotFound)},
		{Name: "SetDiscountLevel/who: an auditor may not", Given: agreement(), When: set(6, auditor), Then: fails(domain.ErrForbidden)},
		{Name: "SetDiscountLevel/who: an integration may not", Given: agreement(), When: set(6, integration), Then: fails(domain.ErrForbidden)},
		{Name: "SetDiscountLevel/discount level: at least 1", Given: agreement(), When: set(0, admin), Then: invalid("discount_level")},
		{Name: "SetDiscountLevel/discount level: at most 6", Given: agreement(), When: set(7, admin), Then: invalid("discount_level")},
		{Name: "SetDiscountLevel/an unknown agreement is not found", When: set(5, admin), Then: fails(domain.ErrNotFound)},
		{Name: "SetDiscountLevel/the current level is refused", Given: agreement(), When: set(3, admin), Then: rule("contract.discount_level_unchanged")},
		{Name: "SetDiscountLevel/a terminated agreement is not changed", Given: terminated(), When: set(5, admin), Then: rule("contract.terminated")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestManageRights(t *testing.T) {
	grant := func(id string, by domain.Actor) contract.GrantManageRights {
		return contract.GrantManageRights{Number: ela, PartnerID: id, Partner: domain.OrgRef{ID: id, Exists: true}, By: by, At: at}
	}
	revoke := func(id string, by domain.Actor) contract.RevokeManageRights {
		return contract.RevokeManageRights{Number: ela, PartnerID: id, By: by, At: at}
	}
	cases := []scenario{
		{Name: "GrantManageRights/happy path: the customer's unrestricted contact grants a partner manage rights", Given: agreement(), When: grant(partnerID, ann), Then: events(contract.ManageRightsGranted{PartnerID: partnerID})},
		{Name: "GrantManageRights/who: support staff may", Given: agreement(), When: grant(partnerID, support), Then: events(contract.ManageRightsGranted{PartnerID: partnerID})},
		{Name: "GrantManageRights/several partners may manage one agreement", Given: managed(), When: grant(rivalID, admin), Then: events(contract.ManageRightsGranted{PartnerID: rivalID})},
		{Name: "GrantManageRights/who: a restricted contact of the customer may not", Given: agreement(), When: grant(partnerID, rita), Then: fails(domain.ErrForbidden)},
		{Name: "GrantManageRights/who: a partner with manage rights may not grant them on", Given: managed(), When: grant(rivalID, managing), Then: fails(domain.ErrForbidden)},
		{Name: "GrantManageRights/who: a partner may not grant itself manage rights, and is told the agreement does not exist", Given: agreement(), When: grant(rivalID, unrelated), Then: fails(domain.ErrNotFound)},
		{Name: "GrantManageRights/who: a contact of another customer is told the agreement does not exist", Given: agreement(), When: grant(partnerID, stranger), Then: fails(domain.ErrNotFound)},
		{Name: "GrantManageRights/who: compliance may not", Given: agreement(), When: grant(partnerID, compliance), Then: fails(domain.ErrForbidden)},
		{Name: "GrantManageRights/partner ID: six digits and two capitals", Given: agreement(), When: grant("777777", admin), Then: invalid("partner_id")},
		{Name: "GrantManageRights/an unknown agreement is not found", When: grant(partnerID, admin), Then: fails(domain.ErrNotFound)},
		{
			Name: "GrantManageRights/the partner must exist", Given: agreement(),
			When: func() contract.GrantManageRights { c := grant(partnerID, admin); c.Partner.Exists = false; return c }(),
			Then: rule("contract.partner_unknown"),
		},
		{
			Name: "GrantManageRights/a fact about another partner does not count", Given: agreement(),
			When: func() contract.GrantManageRights { c := grant(partnerID, admin); c.Partner.ID = rivalID; return c }(),
			Then: rule("contract.partner_unknown"),
		},
		{
			Name: "GrantManageRights/a merged partner accepts no further rights", Given: agreement(),
			When: func() contract.GrantManageRights {
				c := grant(partnerID, admin)
				c.Partner.MergedInto = rivalID
				return c
			}(),
			Then: rule("contract.partner_merged"),
		},
		{Name: "GrantManageRights/granting twice is refused", Given: managed(), When: grant(partnerID, admin), Then: rule("contract.manage_rights_already_granted")},
		{Name: "GrantManageRights/a terminated agreement grants no rights", Given: terminated(), When: grant(partnerID, admin), Then: rule("contract.terminated")},

		{Name: "RevokeManageRights/happy path: the customer's unrestricted contact revokes a partner's manage rights", Given: managed(), When: revoke(partnerID, ann), Then: events(contract.ManageRightsRevoked{PartnerID: partnerID})},
		{Name: "RevokeManageRights/who: admin staff may", Given: managed(), When: revoke(partnerID, admin), Then: events(contract.ManageRightsRevoked{PartnerID: partnerID})},
		{Name: "RevokeManageRights/rights can be granted again after a revocation", Given: append(managed(), contract.ManageRightsRevoked{PartnerID: partnerID}), When: grant(partnerID, ann), Then: events(contract.ManageRightsGranted{PartnerID: partnerID})},
		{Name: "RevokeManageRights/a terminated agreement has no rights left to revoke", Given: terminated(), When: revoke(partnerID, admin), Then: rule("contract.manage_rights_not_granted")},
		{Name: "RevokeManageRights/who: the managing partner may not revoke its own rights", Given: managed(), When: revoke(partnerID, managing), Then: fails(domain.ErrForbidden)},
		{Name: "RevokeManageRights/who: a restricted contact of the customer may not", Given: managed(), When: revoke(partnerID, rita), Then: fails(domain.ErrForbidden)},
		{Name: "RevokeManageRights/who: a contact of another customer is told the agreement does not exist", Given: managed(), When: revoke(partnerID, stranger), Then: fails(domain.ErrNotFound)},
		{Name: "RevokeManageRights/partner ID: six digits and two capitals", Given: managed(), When: revoke("", admin), Then: invalid("partner_id")},
		{Name: "RevokeManageRights/revoking what is not granted is refused", Given: managed(), When: revoke(rivalID, admin), Then: rule("contract.manage_rights_not_granted")},
		{Name: "RevokeManageRights/revoking twice is refused", Given: append(managed(), contract.ManageRightsRevoked{PartnerID: partnerID}), When: revoke(partnerID, admin), Then: rule("contract.manage_rights_not_granted")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestTerminateContract(t *testing.T) {
	terminating := func(edit func(*contract.TerminateContract)) contract.TerminateContract {
		c := contract.TerminateContract{Number: ela, Reason: "customer gave notice", Evidence: []string{"DOC-NOTICE-1"}, By: support, At: at}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	by := func(a domain.Actor) func(*contract.TerminateContract) {
		return func(c *contract.TerminateContract) { c.By = a }
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "TerminateContract/who: " + name, Given: managed(), When: terminating(by(a)), Then: fails(domain.ErrForbidden)}
	}
	bad := func(name string, edit func(*contract.TerminateContract), fields ...string) scenario {
		return scenario{Name: "TerminateContract/" + name, Given: agreement(), When: terminating(edit), Then: invalid(fields...)}
	}
	cases := []scenario{
		{
			Name: "TerminateContract/happy path: support terminates an agreement without managing partners", Given: agreement(),
			When: terminating(nil), Then: events(termination()),
		},
		{
			Name:  "TerminateContract/every partner holding manage rights loses them first, in the order granted, then the agreement is terminated",
			Given: append(managed(), contract.ManageRightsGranted{PartnerID: rivalID}),
			When:  terminating(nil),
			Then:  events(contract.ManageRightsRevoked{PartnerID: partnerID}, contract.ManageRightsRevoked{PartnerID: rivalID}, termination()),
		},
		{
			Name:  "TerminateContract/a partner whose rights were revoked before is not revoked again",
			Given: append(managed(), contract.ManageRightsGranted{PartnerID: rivalID}, contract.ManageRightsRevoked{PartnerID: partnerID}),
			When:  terminating(nil),
			Then:  events(contract.ManageRightsRevoked{PartnerID: rivalID}, termination()),
		},
		{
			Name: "TerminateContract/who: admin staff may", Given: agreement(),
			When: terminating(by(admin)), Then: events(termination()),
		},
		{
			Name:  "TerminateContract/the date is At's UTC day; the reason is trimmed",
			Given: agreement(),
			When: terminating(func(c *contract.TerminateContract) {
				c.At = time.Date(2025, 3, 14, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
				c.Reason = "  customer gave notice\n"
			}),
			Then: events(contract.Terminated{Reason: "customer gave notice", Evidence: []string{"DOC-NOTICE-1"}, TerminatedOn: "2025-03-15"}),
		},
		{
			Name: "TerminateContract/a reason may span lines", Given: agreement(),
			When: terminating(func(c *contract.TerminateContract) { c.Reason = "notice given\n\tby letter" }),
			Then: events(contract.Terminated{Reason: "notice given\n\tby letter", Evidence: []string{"DOC-NOTICE-1"}, TerminatedOn: "2025-03-14"}),
		},
		{
			Name:  "TerminateContract/after a merge the agreement is terminated under its new owner",
			Given: append(agreement(), contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge}),
			When:  terminating(nil), Then: events(termination()),
		},

		refused("an unrestricted contact of the customer may not: a support case decides", ann),
		refused("the managing partner may not", managing),
		refused("a contact of another customer may not", stranger),
		refused("an auditor may not", auditor),
		refused("compliance may not", compliance),
		refused("an integration may not", integration),
		refused("staff without roles may not", noRoles),
		refused("the zero actor may not", domain.Actor{}),
		{
			Name: "TerminateContract/who: checked before validation and existence, so the refused learn nothing",
			When: terminating(func(c *contract.TerminateContract) { c.By, c.Reason, c.Number = ann, "", "ELA-000009" }),
			Then: fails(domain.ErrForbidden),
		},

		bad("reason: required", func(c *contract.TerminateContract) { c.Reason = "" }, "reason"),
		bad("reason: white space alone is no reason", func(c *contract.TerminateContract) { c.Reason = " \n\t " }, "reason"),
		bad("reason: no control characters", func(c *contract.TerminateContract) { c.Reason = "notice\x00" }, "reason"),
		bad("reason: no invisible format characters", func(c *contract.TerminateContract) { c.Reason = "notice\u202egiven" }, "reason"),
		bad("reason: valid UTF-8", func(c *contract.TerminateContract) { c.Reason = "notice \xff" }, "reason"),
		bad("reason: bounded", func(c *contract.TerminateContract) { c.Reason = strings.Repeat("r", contract.MaxReasonLen+1) }, "reason"),
		bad("evidence: at least one reference", func(c *contract.TerminateContract) { c.Evidence = nil }, "evidence"),
		bad("evidence: an empty list is none", func(c *contract.TerminateContract) { c.Evidence = []string{} }, "evidence"),
		bad("evidence: a blank reference", func(c *contract.TerminateContract) { c.Evidence = []string{"DOC-1", " "} }, "evidence[1]"),
		bad("evidence: a reference on one line", func(c *contract.TerminateContract) { c.Evidence = []string{"DOC-1\nDOC-2"} }, "evidence[0]"),
		bad("evidence: a reference is bounded", func(c *contract.TerminateContract) {
			c.Evidence = []string{strings.Repeat("d", contract.MaxReferenceLen+1)}
		}, "evidence[0]"),
		bad("evidence: at most MaxEvidence references", func(c *contract.TerminateContract) {
			c.Evidence = make([]string, contract.MaxEvidence+1)
			for i := range c.Evidence {
				c.Evidence[i] = "DOC-1"
			}
		}, "evidence"),
		bad("the instant is required", func(c *contract.TerminateContract) { c.At = time.Time{} }, "at"),
		{
			Name: "TerminateContract/validation: every problem is reported at once", Given: agreement(),
			When: contract.TerminateContract{Number: ela, By: admin}, Then: invalid("reason", "evidence", "at"),
		},

		{Name: "TerminateContract/an unknown agreement is not found", When: terminating(nil), Then: fails(domain.ErrNotFound)},
		{
			Name: "TerminateContract/another agreement's history does not make this one exist", Given: agreement(),
			When: terminating(func(c *contract.TerminateContract) { c.Number = "ELA-000002" }), Then: fails(domain.ErrNotFound),
		},
		{Name: "TerminateContract/terminating twice is refused", Given: terminated(), When: terminating(nil), Then: rule("contract.terminated")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ contract.SetDiscountLevel }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: agreement(), When: nil, Then: rule("contract.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: agreement(), When: wrapped{}, Then: rule("contract.unknown_command")},
	})
}

// moving is a command that stands for Move, so that the merge runs through
// the same Given/When/Then checks as Decide.
type moving struct {
	To string
	By domain.Actor
}

func TestMove(t *testing.T) {
	mover := domaintest.Aggregate[contract.State, moving]{
		Evolve: contract.Evolve,
		Decide: func(s contract.State, m moving) ([]domain.Event, error) { return contract.Move(s, m.To, m.By, at) },
	}
	domaintest.RunAll(t, mover, []domaintest.Scenario[contract.State, moving]{
		{
			Name: "MergeAccounts/the agreement answers under the target account", Given: managed(),
			When: moving{To: targetID, By: support},
			Then: events(contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge}),
		},
		{
			Name: "MergeAccounts/a terminated agreement moves too: it is the account's history", Given: terminated(),
			When: moving{To: targetID, By: admin},
			Then: events(contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge}),
		},
		{Name: "MergeAccounts/only admin or support staff merge", Given: agreement(), When: moving{To: targetID, By: ann}, Then: fails(domain.ErrForbidden)},
		{Name: "MergeAccounts/an auditor does not merge", Given: agreement(), When: moving{To: targetID, By: auditor}, Then: fails(domain.ErrForbidden)},
		{Name: "MergeAccounts/the target is an account ID", Given: agreement(), When: moving{To: "target", By: admin}, Then: invalid("to_account_id")},
		{Name: "MergeAccounts/an unknown agreement is not found", When: moving{To: targetID, By: admin}, Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/merging into oneself is refused", Given: agreement(), When: moving{To: acmeID, By: admin}, Then: rule("contract.owner_unchanged")},
	})
}

func TestEvolve(t *testing.T) {
	t.Run("registration sets up an active agreement managed by no partner", func(t *testing.T) {
		got := contract.Evolve(contract.State{}, registered())
		want := contract.State{
			Number: ela, Program: contract.ProgramEnterprise, AccountID: acmeID,
			PrimaryAdmin: "C-000001", SecondaryAdmin: "C-000002", DiscountLevel: 3,
			TermStart: "2025-01-01", TermEnd: "2027-12-31", Status: contract.StatusActive,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (contract.State{}).Exists() {
			t.Error("Exists: a registered agreement exists and the zero state does not")
		}
	})

	t.Run("every event folds into the state", func(t *testing.T) {
		s := domaintest.Fold(aggregate, []domain.Event{
			registered(),
			contract.AdministratorsChanged{PrimaryAdmin: "C-000004"},
			contract.DiscountLevelSet{DiscountLevel: 6},
			contract.ManageRightsGranted{PartnerID: partnerID},
			contract.ManageRightsGranted{PartnerID: rivalID},
			contract.ManageRightsRevoked{PartnerID: partnerID},
			contract.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: contract.ReasonMerge},
		}, nil)
		if s.PrimaryAdmin != "C-000004" || s.SecondaryAdmin != "" || s.DiscountLevel != 6 || s.AccountID != targetID ||
			!reflect.DeepEqual(s.ManagedBy, []string{rivalID}) || !s.ManagedByPartner(rivalID) || s.ManagedByPartner(partnerID) {
			t.Errorf("state %#v", s)
		}
		s = contract.Evolve(s, contract.ManageRightsRevoked{PartnerID: rivalID})
		if s.ManagedBy != nil {
			t.Errorf("no partner left: ManagedBy %#v, want nil", s.ManagedBy)
		}
		s = contract.Evolve(s, termination())
		if s.Status != contract.StatusTerminated || s.TerminatedOn != "2025-03-14" {
			t.Errorf("after termination: status %q, terminated on %q", s.Status, s.TerminatedOn)
		}
	})

	t.Run("a terminated agreement refuses changes naming the date of its termination", func(t *testing.T) {
		s := domaintest.Fold(aggregate, terminated(), nil)
		_, err := contract.Decide(s, contract.SetDiscountLevel{Number: ela, Level: 5, By: admin, At: at})
		if err == nil || !strings.Contains(err.Error(), "terminated on 2025-03-14") {
			t.Errorf("error %v, want one naming the termination date", err)
		}
	})

	t.Run("states from a shared history do not share ManagedBy", func(t *testing.T) {
		base := domaintest.Fold(aggregate, managed(), nil)
		base.ManagedBy = append(make([]string, 0, 8), base.ManagedBy...) // room to append in place
		one := contract.Evolve(base, contract.ManageRightsGranted{PartnerID: rivalID})
		two := contract.Evolve(base, contract.ManageRightsGranted{PartnerID: "999999PC"})
		three := contract.Evolve(base, contract.ManageRightsRevoked{PartnerID: partnerID})
		if !reflect.DeepEqual(one.ManagedBy, []string{partnerID, rivalID}) || !reflect.DeepEqual(two.ManagedBy, []string{partnerID, "999999PC"}) ||
			!reflect.DeepEqual(base.ManagedBy, []string{partnerID}) || three.ManagedBy != nil {
			t.Fatalf("aliasing: base %q, one %q, two %q, three %q", base.ManagedBy, one.ManagedBy, two.ManagedBy, three.ManagedBy)
		}
	})

	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := domaintest.Fold(aggregate, managed(), nil)
		if got := contract.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v, want %#v", got, s)
		}
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "license.split" }
func (foreign) SchemaVersion() int { return 1 }

func TestStreamID(t *testing.T) {
	if got := contract.StreamID(ela); got != "contract-ELA-000001" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidNumber(t *testing.T) {
	cases := []struct {
		program, number string
		want            bool
	}{
		{contract.ProgramEnterprise, "ELA-000001", true},
		{contract.ProgramEnterprise, "ELA-999999", true},
		{contract.ProgramEnterprise, "ELA-1000000", true},
		{contract.ProgramEasy, "EASY-000042", true},
		{contract.ProgramEasy, "ELA-000042", false},
		{contract.ProgramEnterprise, "EASY-000042", false},
		{contract.ProgramEnterprise, "ELA-00001", false},
		{contract.ProgramEnterprise, "ELA-0000001", false},
		{contract.ProgramEnterprise, "ELA-000001 ", false},
		{contract.ProgramEnterprise, "ELA000001", false},
		{"", "ELA-000001", false},
	}
	for _, tc := range cases {
		if got := contract.ValidNumber(tc.program, tc.number); got != tc.want {
			t.Errorf("ValidNumber(%q, %q) = %v, want %v", tc.program, tc.number, got, tc.want)
		}
	}
}
