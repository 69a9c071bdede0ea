package licenses_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/projections/licenses"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// TestLicensePagingAndExpiring: pages of any size give every row once in
// order; the expiring window keeps the active licenses whose maintenance
// ends from today to today plus N days, both included, soonest first, for
// every kind of viewer.
func TestLicensePagingAndExpiring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b := "600001HQ", "600002HQ"
	today := time.Date(2025, 6, 10, 15, 30, 0, 0, time.UTC)
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	var ids []string
	for i := range 23 {
		ids = append(ids, e.issue(a, 10, day(i*5-10))) // from 10 days ago to 100 days ahead
	}
	other := e.issue(b, 10, day(3))
	parts := e.split(ids[4], 5, 5) // ends in 10 days: rescinded, the parts active
	e.grant(a, "700001PT")
	e.grant(a, "700002PT", ids[2], ids[5], ids[20])
	e.build(0)

	everything := append(slices.Clone(ids), other)
	everything = append(everything, parts...)
	slices.Sort(everything)
	for _, limit := range []int{1, 2, 7, 26, 500} {
		want(t, fmt.Sprintf("staff in pages of %d", limit), e.licensesOf(staff, licenses.LicenseFilter{Limit: limit}), everything...)
	}

	// Ends 10 days ago, 5 ago, today (ids[2]), 5, 10 (split: ids[4] rescinded,
	// its parts), 15, …, 30 (ids[8]), 35 (ids[9]).
	f := licenses.LicenseFilter{ExpiringWithinDays: 30, Today: today, Limit: 2}
	want(t, "expiring within 30 days", e.licensesOf(staff, f), ids[2], other, ids[3], parts[0], parts[1], ids[5], ids[6], ids[7], ids[8])
	f.ExpiringWithinDays = 1
	want(t, "expiring within a day", e.licensesOf(staff, f), ids[2])
	f.ExpiringWithinDays, f.AccountID = 30, a
	want(t, "expiring on a", e.licensesOf(staff, f), ids[2], ids[3], parts[0], parts[1], ids[5], ids[6], ids[7], ids[8])
	f.AccountID = ""
	want(t, "expiring, customer b", e.licensesOf(customerOf(b), f), other)
	want(t, "expiring, partner all", e.licensesOf(partner("700001PT"), f), ids[2], ids[3], parts[0], parts[1], ids[5], ids[6], ids[7], ids[8])
	want(t, "expiring, partner assigned", e.licensesOf(partner("700002PT"), f), ids[2], ids[5])
	want(t, "expiring, no roles", e.licensesOf(noRoles, f))
	f.ExpiringWithinDays = 365
	got := e.allLicenses(staff, f)
	for i := 1; i < len(got); i++ {
		if got[i-1].MaintenanceEnd > got[i].MaintenanceEnd {
			t.Fatalf("not soonest first: %s after %s", got[i].MaintenanceEnd, got[i-1].MaintenanceEnd)
		}
	}
	if len(got) != 23-2-1+2+1 {
		t.Fatalf("within a year: %d licenses", len(got))
	}

	for _, bad := range []int{-1, 366} {
		if _, _, err := licenses.ListLicenses(e.Ctx, e.Pool, staff, licenses.LicenseFilter{ExpiringWithinDays: bad}); !errors.Is(err, licenses.ErrBadFilter) {
			t.Fatalf("expiring within %d days: %v", bad, err)
		}
	}
}

// TestCursorsAreBoundToTheirQuery: a cursor is refused (ErrBadCursor) when
// it is not one the read model issued, or was issued for another query or
// another viewer; limits outside 1 to 500 are refused.
func TestCursorsAreBoundToTheirQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a := "600001HQ"
	for range 5 {
		e.issue(a, 10, "2026-01-31")
	}
	for i := range 5 {
		e.openCase(fmt.Sprintf("CASE-%06d", i+1), a, "staff:sam", base.Add(time.Duration(i)*time.Minute))
	}
	e.build(0)

	_, next, err := licenses.ListLicenses(e.Ctx, e.Pool, staff, licenses.LicenseFilter{Limit: 2})
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	_, caseNext, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Limit: 2})
	if err != nil || caseNext == "" {
		t.Fatalf("first page of cases: %q %v", caseNext, err)
	}
	forged := readmodel.EncodeCursor(map[string]string{"l": "LIC-0000002", "q": "0000000000000000"})
	for name, f := range map[string]licenses.LicenseFilter{
		"garbage":                {Cursor: "not a cursor"},
		"forged":                 {Cursor: forged},
		"another query":          {Cursor: next, AccountID: a},
		"expiring with id order": {Cursor: next, ExpiringWithinDays: 30},
		"a case cursor":          {Cursor: caseNext},
		"edited":                 {Cursor: next[:len(next)-2]},
	} {
		if _, _, err := licenses.ListLicenses(e.Ctx, e.Pool, staff, f); !errors.Is(err, readmodel.ErrBadCursor) {
			t.Fatalf("%s cursor: %v", name, err)
		}
	}
	if _, _, err := licenses.ListLicenses(e.Ctx, e.Pool, auditor, licenses.LicenseFilter{Cursor: next}); !errors.Is(err, readmodel.ErrBadCursor) {
		t.Fatalf("another viewer's cursor: %v", err)
	}
	if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Cursor: caseNext, Status: "open"}); !errors.Is(err, readmodel.ErrBadCursor) {
		t.Fatalf("a case cursor of another query: %v", err)
	}
	if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Cursor: next}); !errors.Is(err, readmodel.ErrBadCursor) {
		t.Fatalf("a license cursor for cases: %v", err)
	}
	for _, limit := range []int{-1, 501} {
		if _, _, err := licenses.ListLicenses(e.Ctx, e.Pool, staff, licenses.LicenseFilter{Limit: limit}); !errors.Is(err, readmodel.ErrBadLimit) {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Limit: limit}); !errors.Is(err, readmodel.ErrBadLimit) {
			t.Fatalf("case limit %d: %v", limit, err)
		}
	}
	if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Status: "pending"}); !errors.Is(err, licenses.ErrBadFilter) {
		t.Fatalf("unknown status: %v", err)
	}
}

// TestCaseQueue: oldest opened first, ties by number, every row once over
// pages; filtered by status; the resolution target skips weekends and
// moves on by the time the requester took to answer; a case is at risk a
// day before its target until it is decided.
func TestCaseQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a := "600001HQ"
	var numbers []string
	for i := range 12 {
		n := fmt.Sprintf("CASE-%06d", 12-i) // numbers descending, times ascending in pairs
		e.openCase(n, a, "customer:"+a+"/C-000001", base.Add(time.Duration(i/2)*time.Hour))
		numbers = append(numbers, n)
	}
	for i := 0; i < 12; i += 2 {
		numbers[i], numbers[i+1] = numbers[i+1], numbers[i]
	}
	// CASE-000012 (opened base, a Monday 09:00) waits 3 hours for an answer.
	e.caseEvents("CASE-000012",
		supportcase.InformationRequested{CaseNumber: "CASE-000012", What: "x", RequestedAt: base.Add(time.Hour), Due: base.Add(25 * time.Hour), Status: supportcase.StatusWaitingForInformation},
		supportcase.InformationProvided{CaseNumber: "CASE-000012", Information: "y", ProvidedAt: base.Add(4 * time.Hour), Status: supportcase.StatusOpen})
	e.caseEvents("CASE-000011", supportcase.InformationRequested{CaseNumber: "CASE-000011", What: "x", RequestedAt: base.Add(time.Hour), Due: base.Add(25 * time.Hour), Status: supportcase.StatusWaitingForInformation})
	e.caseEvents("CASE-000010", supportcase.CaseApproved{CaseNumber: "CASE-000010", ApprovedAt: base.Add(2 * time.Hour), Status: supportcase.StatusApproved})
	e.build(0)

	for _, limit := range []int{1, 5, 12, 50} {
		want(t, fmt.Sprintf("pages of %d", limit), e.casesOf(staff, licenses.CaseFilter{Limit: limit}), numbers...)
	}
	want(t, "waiting", e.casesOf(staff, licenses.CaseFilter{Status: "waiting_for_information"}), "CASE-000011")
	want(t, "approved", e.casesOf(customerOf(a), licenses.CaseFilter{Status: "approved", Limit: 1}), "CASE-000010")

	// The following Monday 09:00 plus 3 hours of waiting.
	target := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	now := target.Add(-23 * time.Hour)
	got := e.allCases(staff, licenses.CaseFilter{Now: now})
	byNumber := map[string]licenses.Case{}
	for _, c := range got {
		byNumber[c.CaseNumber] = c
	}
	c12, c11, c10 := byNumber["CASE-000012"], byNumber["CASE-000011"], byNumber["CASE-000010"]
	if !c12.ResolutionDue.Equal(target) || !c12.AtRisk || c12.InformationDue != nil {
		t.Fatalf("CASE-000012: %+v", c12)
	}
	if c11.Status != "waiting_for_information" || c11.InformationDue == nil || !c11.InformationDue.Equal(base.Add(25*time.Hour)) || !c11.AtRisk {
		t.Fatalf("CASE-000011: %+v", c11)
	}
	if c10.AtRisk || c10.DecidedAt == nil || !c10.DecidedAt.Equal(base.Add(2*time.Hour)) {
		t.Fatalf("CASE-000010: %+v", c10)
	}
	if c := byNumber["CASE-000001"]; c.AtRisk || !c.ResolutionDue.Equal(base.Add(5*time.Hour).AddDate(0, 0, 7)) {
		t.Fatalf("CASE-000001 (opened 5 hours after the others): %+v", c)
	}
}
