package licenses_test

import (
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/projections/licenses"
)

// eachBuild runs check after a rebuild in one batch and after one applying
// an event at a time, as a live projector may: the answers must not depend
// on how the history was split.
func (e *env) eachBuild(check func()) {
	e.T.Helper()
	for _, batch := range []int{100000, 1} {
		e.build(batch)
		check()
	}
}

// byAccount is a filter on one account.
func byAccount(id string) licenses.LicenseFilter {
	return licenses.LicenseFilter{AccountID: id, Limit: 2}
}

// TestLicensesAllVersusAssignedViewRights: DOMAIN.md — a partner sees all of
// a customer's licenses with view rights "all", only the listed ones with
// "assigned", none otherwise; ordering for the customer gives no view
// rights. Staff with any role see everything, staff without a role and
// anonymous principals nothing; a customer contact its own account's
// licenses only, whichever account it names.
func TestLicensesAllVersusAssignedViewRights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b := "600001HQ", "600002HQ"
	l1 := e.issue(a, 10, "2026-01-31")
	l2 := e.issue(a, 20, "2026-02-28")
	l3 := e.issue(a, 30, "2026-03-31")
	l4 := e.issue(b, 40, "2026-04-30")
	e.grant(a, "700001PT")     // all
	e.grant(a, "700002PT", l2) // assigned
	e.grant(b, "700002PT", l4) // assigned, another customer
	// 700003PT ordered for a: a relationship, but no view rights.
	e.append(on(acct(a), account.OrderAttached{AccountID: a, OrderNumber: "ORD-0000001", PartnerID: "700003PT"}))
	// Assigned rights naming a license of another customer show nothing.
	e.grant(b, "700004PT", l1)
	e.append(on(lic(l2), license.Allocated{HostIDType: license.HostName, HostID: "srv.a.example", Quantity: 5}))

	e.eachBuild(func() {
		all := licenses.LicenseFilter{Limit: 2}
		want(t, "staff", e.licensesOf(staff, all), l1, l2, l3, l4)
		want(t, "auditor", e.licensesOf(auditor, all), l1, l2, l3, l4)
		want(t, "auditor on a", e.licensesOf(auditor, byAccount(a)), l1, l2, l3)
		want(t, "staff without roles", e.licensesOf(noRoles, all))
		want(t, "staff without roles on a", e.licensesOf(noRoles, byAccount(a)))
		want(t, "anonymous", e.licensesOf(stranger, all))
		want(t, "customer a", e.licensesOf(customerOf(a), all), l1, l2, l3)
		want(t, "customer a on a", e.licensesOf(customerOf(a), byAccount(a)), l1, l2, l3)
		want(t, "customer a on b", e.licensesOf(customerOf(a), byAccount(b)))
		want(t, "customer b", e.licensesOf(customerOf(b), all), l4)
		want(t, "partner all", e.licensesOf(partner("700001PT"), all), l1, l2, l3)
		want(t, "partner all on a", e.licensesOf(partner("700001PT"), byAccount(a)), l1, l2, l3)
		want(t, "partner all on b", e.licensesOf(partner("700001PT"), byAccount(b)))
		want(t, "partner assigned", e.licensesOf(partner("700002PT"), all), l2, l4)
		want(t, "partner assigned on a", e.licensesOf(partner("700002PT"), byAccount(a)), l2)
		want(t, "ordering partner", e.licensesOf(partner("700003PT"), all))
		want(t, "ordering partner on a", e.licensesOf(partner("700003PT"), byAccount(a)))
		want(t, "assigned a license of another customer", e.licensesOf(partner("700004PT"), all))
		want(t, "unrelated partner", e.licensesOf(partner("799999PT"), all))

		// What a partner is shown: the licenses, not the customer's
		// license servers, which the customer sees.
		for _, l := range e.allLicenses(partner("700002PT"), byAccount(a)) {
			if l.Allocations != nil || l.Allocated != 5 || l.AccountID != a || l.Quantity != 20 || l.MaintenanceEnd != "2026-02-28" || l.Status != "active" {
				t.Fatalf("partner's view of %s: %+v", l2, l)
			}
		}
		if got := e.allLicenses(customerOf(a), byAccount(a)); len(got[1].Allocations) != 1 || got[1].Allocations[0].HostID != "srv.a.example" {
			t.Fatalf("customer's view of %s: %+v", l2, got[1])
		}
	})
}

// TestRevokedViewRightsHideEverythingAtOnce: RevokeViewRights removes all
// visibility at once, whether the rights were all or assigned; granting
// again replaces the earlier rights rather than adding to them.
func TestRevokedViewRightsHideEverythingAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a := "600001HQ"
	l1 := e.issue(a, 10, "2026-01-31")
	l2 := e.issue(a, 20, "2026-02-28")
	e.grant(a, "700001PT")
	e.grant(a, "700002PT", l1, l2)
	e.grant(a, "700003PT")
	e.eachBuild(func() {
		want(t, "all before", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}), l1, l2)
		want(t, "assigned before", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}), l1, l2)
	})
	e.revoke(a, "700001PT")
	e.revoke(a, "700002PT")
	e.grant(a, "700003PT", l2) // all replaced by assigned
	e.eachBuild(func() {
		want(t, "all revoked", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}))
		want(t, "all revoked, on a", e.licensesOf(partner("700001PT"), byAccount(a)))
		want(t, "assigned revoked", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}))
		want(t, "all replaced by assigned", e.licensesOf(partner("700003PT"), licenses.LicenseFilter{}), l2)
		want(t, "the customer still", e.licensesOf(customerOf(a), licenses.LicenseFilter{}), l1, l2)
	})
}

// TestSplitLicenseVisibility: a split rescinds the original and issues the
// parts under the same owner. A partner with all rights sees the parts and
// no longer the rescinded original; a partner assigned the original loses
// it (its right lapses) and is not given the parts; the customer and staff
// see all three, the parts naming their parent.
func TestSplitLicenseVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a := "600001HQ"
	l1 := e.issue(a, 100, "2026-01-31")
	l2 := e.issue(a, 5, "2026-01-31")
	e.grant(a, "700001PT")
	e.grant(a, "700002PT", l1)
	e.grant(a, "700003PT", l1, l2)
	parts := e.split(l1, 60, 40)
	e.eachBuild(func() {
		want(t, "staff", e.licensesOf(staff, byAccount(a)), l1, l2, parts[0], parts[1])
		want(t, "customer", e.licensesOf(customerOf(a), licenses.LicenseFilter{}), l1, l2, parts[0], parts[1])
		want(t, "partner all", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}), l2, parts[0], parts[1])
		want(t, "partner assigned the original", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}))
		want(t, "partner assigned the original and another", e.licensesOf(partner("700003PT"), licenses.LicenseFilter{}), l2)
		got := e.allLicenses(staff, byAccount(a))
		if got[0].Status != "rescinded" || len(got[0].ReplacedBy) != 2 || got[2].ParentLicenseID != l1 || got[2].Quantity != 60 || got[2].Status != "active" {
			t.Fatalf("split rows: %+v", got)
		}
	})
}

// TestTransferredLicenseVisibility: a transferred license answers under its
// new owner: the old owner's contacts and partners no longer see it, the
// new owner's do; an assigned right on it lapses and does not come back
// when the license does.
func TestTransferredLicenseVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b := "600001HQ", "600002HQ"
	l1 := e.issue(a, 10, "2026-01-31")
	l2 := e.issue(a, 20, "2026-01-31")
	e.grant(a, "700001PT")
	e.grant(a, "700002PT", l1, l2)
	e.grant(b, "700003PT")
	e.transfer(l1, b)
	e.eachBuild(func() {
		want(t, "old owner", e.licensesOf(customerOf(a), licenses.LicenseFilter{}), l2)
		want(t, "new owner", e.licensesOf(customerOf(b), licenses.LicenseFilter{}), l1)
		want(t, "staff on a", e.licensesOf(staff, byAccount(a)), l2)
		want(t, "staff on b", e.licensesOf(staff, byAccount(b)), l1)
		want(t, "old owner's partner, all", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}), l2)
		want(t, "old owner's partner, assigned", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}), l2)
		want(t, "new owner's partner", e.licensesOf(partner("700003PT"), licenses.LicenseFilter{}), l1)
	})
	e.transfer(l1, a)
	e.eachBuild(func() {
		want(t, "back with the old owner", e.licensesOf(customerOf(a), licenses.LicenseFilter{}), l1, l2)
		want(t, "the new owner lost it", e.licensesOf(customerOf(b), licenses.LicenseFilter{}))
		want(t, "all sees it again", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}), l1, l2)
		want(t, "the lapsed assignment does not come back", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}), l2)
		want(t, "the new owner's partner lost it", e.licensesOf(partner("700003PT"), licenses.LicenseFilter{}))
	})
}

// TestMergeMovesLicensesAndViewRights: after a merge the merged account's
// licenses (a rescinded one too) answer under the survivor, its ID leads to
// the survivor, its contacts see the survivor's licenses, and its view
// rights join the survivor's as the domain joins them: all wins over
// assigned, assigned lists unite, a partner with rights on the merged
// account only now holds them on the survivor.
func TestMergeMovesLicensesAndViewRights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b, c := "600001HQ", "600002HQ", "600003HQ"
	l1 := e.issue(a, 10, "2026-01-31")
	l2 := e.issue(b, 20, "2026-02-28")
	l3 := e.issue(b, 30, "2026-03-31")
	parts := e.split(l3, 15, 15)
	l6 := e.issue(c, 5, "2026-05-31")
	e.grant(a, "700001PT")     // all on the survivor
	e.grant(b, "700001PT", l2) // assigned on the merged: all wins
	e.grant(a, "700002PT", l1) // assigned on both: lists unite
	e.grant(b, "700002PT", l2) //
	e.grant(b, "700003PT")     // all on the merged only: now all on the survivor
	e.grant(a, "700004PT", l1) // on the survivor only: unchanged
	e.grant(b, "700005PT", parts[0])
	e.grant(c, "700006PT")
	e.eachBuild(func() {
		want(t, "before: partner on b only", e.licensesOf(partner("700003PT"), licenses.LicenseFilter{}), l2, parts[0], parts[1])
	})
	e.merge(b, a)
	e.eachBuild(func() {
		want(t, "staff on the survivor", e.licensesOf(staff, byAccount(a)), l1, l2, l3, parts[0], parts[1])
		want(t, "staff by the merged ID", e.licensesOf(staff, byAccount(b)), l1, l2, l3, parts[0], parts[1])
		want(t, "survivor's contact", e.licensesOf(customerOf(a), licenses.LicenseFilter{}), l1, l2, l3, parts[0], parts[1])
		want(t, "merged account's contact", e.licensesOf(customerOf(b), licenses.LicenseFilter{}), l1, l2, l3, parts[0], parts[1])
		want(t, "merged account's contact by its old ID", e.licensesOf(customerOf(b), byAccount(b)), l1, l2, l3, parts[0], parts[1])
		want(t, "another customer on the merged ID", e.licensesOf(customerOf(c), byAccount(b)))
		want(t, "all wins over assigned", e.licensesOf(partner("700001PT"), licenses.LicenseFilter{}), l1, l2, parts[0], parts[1])
		want(t, "assigned lists unite", e.licensesOf(partner("700002PT"), licenses.LicenseFilter{}), l1, l2)
		want(t, "rights of the merged account move", e.licensesOf(partner("700003PT"), byAccount(b)), l1, l2, parts[0], parts[1])
		want(t, "survivor-only rights unchanged", e.licensesOf(partner("700004PT"), licenses.LicenseFilter{}), l1)
		want(t, "assigned a part", e.licensesOf(partner("700005PT"), byAccount(a)), parts[0])
		want(t, "another customer's partner", e.licensesOf(partner("700006PT"), byAccount(b)))
		want(t, "another customer's partner, its own", e.licensesOf(partner("700006PT"), licenses.LicenseFilter{}), l6)
		var n int
		if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM proj_licenses.view_rights WHERE account_id = $1`, b).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the merged account keeps %d view rights (%v)", n, err)
		}
	})
}

// TestCaseVisibility: staff with a role see every case, staff without one
// and anonymous principals none; a customer contact the cases of its own
// account, whoever opened them; a partner contact the cases its partner
// opened, not those others opened for the same customer, whatever view
// rights it holds. After a merge the merged account's cases answer under
// the survivor.
func TestCaseVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b := "600001HQ", "600002HQ"
	e.grant(a, "700001PT")
	e.openCase("CASE-000001", a, "customer:"+a+"/C-000001", base)
	e.openCase("CASE-000002", a, "partner:700001PT/C-900001", base.Add(time.Minute))
	e.openCase("CASE-000003", b, "partner:700002PT/C-900002", base.Add(2*time.Minute))
	e.openCase("CASE-000004", b, "staff:sam", base.Add(3*time.Minute))
	e.openCase("CASE-000005", a, "partner:7000011PT/C-1", base.Add(4*time.Minute)) // not 700001PT's
	e.eachBuild(func() {
		all := licenses.CaseFilter{Limit: 2}
		want(t, "staff", e.casesOf(staff, all), "CASE-000001", "CASE-000002", "CASE-000003", "CASE-000004", "CASE-000005")
		want(t, "auditor on b", e.casesOf(auditor, licenses.CaseFilter{AccountID: b}), "CASE-000003", "CASE-000004")
		want(t, "staff without roles", e.casesOf(noRoles, all))
		want(t, "anonymous", e.casesOf(stranger, all))
		want(t, "customer a", e.casesOf(customerOf(a), all), "CASE-000001", "CASE-000002", "CASE-000005")
		want(t, "customer a on b", e.casesOf(customerOf(a), licenses.CaseFilter{AccountID: b}))
		want(t, "customer b", e.casesOf(customerOf(b), all), "CASE-000003", "CASE-000004")
		want(t, "partner with view rights", e.casesOf(partner("700001PT"), all), "CASE-000002")
		want(t, "partner on b", e.casesOf(partner("700001PT"), licenses.CaseFilter{AccountID: b}))
		want(t, "other partner", e.casesOf(partner("700002PT"), all), "CASE-000003")
		want(t, "unrelated partner", e.casesOf(partner("799999PT"), all))
	})
	e.caseEvents("CASE-000003", supportcase.CaseApproved{CaseNumber: "CASE-000003", ApprovedAt: base.Add(time.Hour), Status: supportcase.StatusApproved})
	e.merge(b, a)
	e.eachBuild(func() {
		want(t, "survivor's contact", e.casesOf(customerOf(a), licenses.CaseFilter{}), "CASE-000001", "CASE-000002", "CASE-000003", "CASE-000004", "CASE-000005")
		want(t, "merged account's contact", e.casesOf(customerOf(b), licenses.CaseFilter{}), "CASE-000001", "CASE-000002", "CASE-000003", "CASE-000004", "CASE-000005")
		want(t, "staff by the merged ID, approved", e.casesOf(staff, licenses.CaseFilter{AccountID: b, Status: "approved"}), "CASE-000003")
		want(t, "partner still its own", e.casesOf(partner("700002PT"), licenses.CaseFilter{AccountID: a}), "CASE-000003")
		got := e.allCases(staff, licenses.CaseFilter{Status: "approved"})
		if len(got) != 1 || got[0].AccountID != a || got[0].OpenedForAccountID != b || got[0].DecidedAt == nil {
			t.Fatalf("merged case: %+v", got)
		}
	})
}
