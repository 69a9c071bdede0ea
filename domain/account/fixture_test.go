package account_test

import (
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/domaintest"
)

// The people of ACME in people(): Ann, an unrestricted billing contact;
// Bob, a restricted org admin; Carol, an unrestricted org admin.
const (
	annID   = "C-000001"
	bobID   = "C-000002"
	carolID = "C-000003"

	partnerID     = "777777PA"
	distributorID = "888888DI"
	advisorID     = "999999SA"
)

var (
	annP   = customer(acmeID, annID)
	bobP   = customer(acmeID, bobID)
	carolP = customer(acmeID, carolID)
	// outsider is an unrestricted org admin of another account.
	outsider = customer(otherID, "C-000042")
)

func contactAdded(id, name, email, access string, roles ...string) account.ContactAdded {
	return account.ContactAdded{AccountID: acmeID, ContactID: id, Name: name, Email: email, Roles: roles, Access: access}
}

// people are the contacts of ACME.
func people() []domain.Event {
	return []domain.Event{
		contactAdded(annID, "Ann Archer", "ann@acme.example", account.AccessUnrestricted, account.RoleBilling),
		contactAdded(bobID, "Bob Baker", "bob@acme.example", account.AccessRestricted, account.RoleOrgAdmin),
		contactAdded(carolID, "Carol Clark", "carol@acme.example", account.AccessUnrestricted, account.RoleOrgAdmin, account.RoleTechnical),
	}
}

// history is ACME with its people, then more.
func history(more ...domain.Event) []domain.Event {
	return append(append(acme(), people()...), more...)
}

func partnerRef(id string) domain.OrgRef { return domain.OrgRef{ID: id, Exists: true} }

// hold is an embargo hold on party of ACME.
func hold(party string) account.EmbargoHoldPlaced {
	return account.EmbargoHoldPlaced{AccountID: acmeID, Party: party, MatchedEntry: "SDN list: ACME TRADING LLC"}
}

// mergedAway is ACME merged into another account.
func mergedAway() account.AccountMerged {
	return account.AccountMerged{AccountID: acmeID, Into: otherID, Reason: account.MergeDuplicate, Evidence: []string{"case:CASE-000001"}}
}

// policy is who may ask for a command on an existing account.
type policy int

const (
	staffOrContact  policy = iota // admin or support staff, or an unrestricted contact
	staffOrOrgAdmin               // admin or support staff, or an unrestricted org admin
)

// whoCase describes a command for the scenarios every command on an
// existing account shares: who may ask, the embargo hold, and the account
// itself (unknown, another's, merged).
type whoCase struct {
	name   string // the command, e.g. "ChangeAddress"
	policy policy
	// given is a history (with people()) on which mk is accepted with want.
	given []domain.Event
	mk    func(by domain.Actor) account.Command
	// bad is a malformed command, wrong in badFields; nil for a command
	// with nothing to get wrong.
	bad       func(by domain.Actor) account.Command
	badFields []string
	want      domaintest.Then
}

// scenarios returns the shared scenarios of w.
func (w whoCase) scenarios() []scenario {
	permitted, permittedID := annP, annID
	if w.policy == staffOrOrgAdmin {
		permitted, permittedID = carolP, carolID
	}
	name := func(s string) string { return w.name + "/" + s }
	sc := func(n string, by domain.Actor, then domaintest.Then, more ...domain.Event) scenario {
		return scenario{Name: name(n), Given: append(append([]domain.Event(nil), w.given...), more...), When: w.mk(by), Then: then}
	}
	forbidden := fails(domain.ErrForbidden)
	out := []scenario{
		sc("who: admin staff may ask", as(admin), w.want),
		sc("who: support staff may ask", as(support), w.want),
		sc("who: a restricted contact may not ask (only unrestricted contacts change anything on the account)", as(bobP), forbidden),
		sc("who: a contact the account does not know may not ask", as(customer(acmeID, "C-000009")), forbidden),
		sc("who: contact facts in the command do not widen access, the account's own record decides", domain.Actor{
			Principal: bobP, ContactKnown: true, ContactAccess: account.AccessUnrestricted,
			ContactRoles: []string{account.RoleOrgAdmin},
		}, forbidden),
		sc("who: a contact of another account is told the account does not exist", as(outsider), fails(domain.ErrNotFound)),
		sc("who: a partner may not ask", as(partner), forbidden),
		sc("who: an auditor may not ask", as(auditor), forbidden),
		sc("who: compliance may not ask", as(compliance), forbidden),
		sc("who: an integration may not ask", as(integration), forbidden),
		sc("who: staff without roles may not ask", as(noRoles), forbidden),
		sc("who: the zero principal may not ask", as(domain.Principal{}), forbidden),
		sc("who: staff roles on a customer principal count for nothing", as(domain.Principal{
			ID: "customer:" + acmeID + "/C-000009", Kind: domain.KindCustomer, AccountID: acmeID, ContactID: "C-000009",
			Roles: []domain.Role{domain.RoleAdmin},
		}), forbidden),

		// Embargo screening: all access is denied while compliance verifies.
		sc("embargo: a contact is denied while the account is on hold", as(permitted), rule("account.embargo_hold"), hold(account.HoldAccount)),
		sc("embargo: a contact on hold is denied", as(permitted), rule("account.embargo_hold"), hold(permittedID)),
		sc("embargo: a hold on another contact does not deny this one", as(permitted), w.want, hold(bobID)),
		sc("embargo: a contact whose hold compliance cleared acts again", as(permitted), w.want,
			hold(permittedID), account.EmbargoHoldCleared{AccountID: acmeID, Party: permittedID, Note: "false positive"}),
		sc("embargo: staff still act on an account on hold", as(admin), w.want, hold(account.HoldAccount)),

		// The account.
		{Name: name("account: an unknown account is not found"), When: w.mk(as(admin)), Then: fails(domain.ErrNotFound)},
		{
			Name:  name("account: another account's history does not make this one exist"),
			Given: []domain.Event{func() account.AccountRegistered { e := registered(); e.AccountID = otherID; return e }()},
			When:  w.mk(as(admin)),
			Then:  fails(domain.ErrNotFound),
		},
		sc("account: a merged account accepts no further commands", as(admin), rule("account.merged"), mergedAway()),
	}
	if w.bad != nil {
		out = append(out,
			scenario{Name: name("who: checked before validation, so the refused learn nothing"), Given: w.given, When: w.bad(as(auditor)), Then: forbidden},
			scenario{Name: name("who: a contact of another account learns nothing even from a malformed command"), Given: w.given, When: w.bad(as(outsider)), Then: fails(domain.ErrNotFound)},
			scenario{Name: name("validation: admin staff sending a malformed command is told what is wrong"), Given: w.given, When: w.bad(as(admin)), Then: invalid(w.badFields...)},
		)
	}
	if w.policy == staffOrContact {
		out = append(out,
			sc("who: an unrestricted contact of the account may ask", as(annP), w.want),
			sc("who: an unrestricted org admin of the account may ask", as(carolP), w.want),
			sc("who: a restricted contact made unrestricted may ask", as(bobP), w.want,
				account.ContactAccessSet{AccountID: acmeID, ContactID: bobID, Access: account.AccessUnrestricted, OldAccess: account.AccessRestricted}),
			sc("who: an unrestricted contact made restricted may no longer ask", as(annP), forbidden,
				account.ContactAccessSet{AccountID: acmeID, ContactID: annID, Access: account.AccessRestricted, OldAccess: account.AccessUnrestricted}),
		)
	} else {
		out = append(out,
			sc("who: an unrestricted org admin of the account may ask", as(carolP), w.want),
			sc("who: an unrestricted contact who is not an org admin may not ask", as(annP), forbidden),
		)
	}
	return out
}
