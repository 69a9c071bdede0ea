package licenses_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections/licenses"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestCaseQueueOrdersAndSLA: with a holiday on Friday 2025-03-07, the
// resolution targets skip it; the queue sorts by age and by due date both
// ways with correct cursors at every page size; the SLA filters select the
// cases overdue, due within one business day, on track, met and missed at
// an instant; a cursor serves only its own order and filters.
func TestCaseQueueOrdersAndSLA(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.cal = calendar.New(day("2025-03-07 00:00"))
	a := "600001HQ"
	req := "customer:" + a + "/C-000001"
	// c7 opened and due two weeks before, rejected late: missed.
	e.openCase("CASE-000007", a, req, day("2025-02-17 09:00"))
	e.caseEvents("CASE-000007", supportcase.CaseRejected{CaseNumber: "CASE-000007", Reason: "no", RejectedAt: day("2025-02-26 09:00"), Status: supportcase.StatusRejected})
	// c6 due Monday 2025-03-03 09:00, still open: overdue.
	e.openCase("CASE-000006", a, req, day("2025-02-24 09:00"))
	// c3 opened on a Saturday: counted from Monday 00:00, over the
	// holiday, due Tuesday 2025-03-11 00:00: at risk on Monday noon.
	e.openCase("CASE-000003", a, req, day("2025-03-01 10:00"))
	// c4 decided within its target: met.
	e.openCase("CASE-000004", a, req, day("2025-03-03 08:00"))
	e.caseEvents("CASE-000004", supportcase.CaseApproved{CaseNumber: "CASE-000004", ApprovedAt: day("2025-03-03 10:00"), Status: supportcase.StatusApproved})
	// c1 waited 30 business hours for an answer: its target moves from
	// Tuesday 09:00 to Wednesday 15:00.
	e.openCase("CASE-000001", a, req, day("2025-03-03 09:00"))
	e.caseEvents("CASE-000001",
		supportcase.InformationRequested{CaseNumber: "CASE-000001", What: "x", RequestedAt: day("2025-03-03 10:00"), Due: day("2025-03-04 10:00"), Status: supportcase.StatusWaitingForInformation},
		supportcase.InformationProvided{CaseNumber: "CASE-000001", Information: "y", ProvidedAt: day("2025-03-04 16:00"), Status: supportcase.StatusOpen})
	e.openCase("CASE-000002", a, req, day("2025-03-04 09:00"))
	e.openCase("CASE-000005", a, req, day("2025-03-06 09:00"))
	now := day("2025-03-10 12:00")

	e.eachBuild(func() {
		due := map[string]time.Time{}
		sla := map[string]string{}
		for _, c := range e.allCases(staff, licenses.CaseFilter{Now: now, Calendar: e.cal}) {
			due[c.CaseNumber], sla[c.CaseNumber] = c.ResolutionDue, c.SLA
		}
		for n, w := range map[string]string{
			"CASE-000007": "2025-02-24 09:00", "CASE-000006": "2025-03-03 09:00", "CASE-000003": "2025-03-11 00:00",
			"CASE-000004": "2025-03-11 08:00", "CASE-000001": "2025-03-12 15:00", "CASE-000002": "2025-03-12 09:00",
			"CASE-000005": "2025-03-14 09:00",
		} {
			if !due[n].Equal(day(w)) {
				t.Errorf("%s due %s, want %s", n, due[n].Format(time.RFC3339), w)
			}
		}
		for n, w := range map[string]string{
			"CASE-000007": licenses.SLAMissed, "CASE-000006": licenses.SLAOverdue, "CASE-000003": licenses.SLAAtRisk,
			"CASE-000004": licenses.SLAMet, "CASE-000001": licenses.SLAOnTrack, "CASE-000002": licenses.SLAOnTrack,
			"CASE-000005": licenses.SLAOnTrack,
		} {
			if sla[n] != w {
				t.Errorf("%s: sla %q, want %q", n, sla[n], w)
			}
		}

		byAge := []string{"CASE-000007", "CASE-000006", "CASE-000003", "CASE-000004", "CASE-000001", "CASE-000002", "CASE-000005"}
		byDue := []string{"CASE-000007", "CASE-000006", "CASE-000003", "CASE-000004", "CASE-000002", "CASE-000001", "CASE-000005"}
		for _, limit := range []int{1, 2, 3, 50} {
			for _, tc := range []struct {
				sort string
				want []string
			}{
				{"", byAge},
				{licenses.SortAge, byAge},
				{licenses.SortAgeDesc, reversed(byAge)},
				{licenses.SortDue, byDue},
				{licenses.SortDueDesc, reversed(byDue)},
			} {
				want(t, fmt.Sprintf("sort %q, pages of %d", tc.sort, limit),
					e.casesOf(staff, licenses.CaseFilter{Sort: tc.sort, Limit: limit, Now: now, Calendar: e.cal}), tc.want...)
			}
		}
		for _, tc := range []struct {
			sla, sort string
			want      []string
		}{
			{licenses.SLAOverdue, "", []string{"CASE-000006"}},
			{licenses.SLAAtRisk, "", []string{"CASE-000003"}},
			{licenses.SLAOnTrack, licenses.SortDue, []string{"CASE-000002", "CASE-000001", "CASE-000005"}},
			{licenses.SLAOnTrack, licenses.SortDueDesc, []string{"CASE-000005", "CASE-000001", "CASE-000002"}},
			{licenses.SLAMet, "", []string{"CASE-000004"}},
			{licenses.SLAMissed, "", []string{"CASE-000007"}},
		} {
			want(t, "sla "+tc.sla+" "+tc.sort, e.casesOf(staff, licenses.CaseFilter{SLA: tc.sla, Sort: tc.sort, Limit: 1, Now: now, Calendar: e.cal}), tc.want...)
		}
		// The same instant a day later: c3 and c1… move on.
		want(t, "overdue a day later", e.casesOf(staff, licenses.CaseFilter{SLA: licenses.SLAOverdue, Now: now.Add(24 * time.Hour), Calendar: e.cal}),
			"CASE-000006", "CASE-000003")
		want(t, "status and sla", e.casesOf(staff, licenses.CaseFilter{Status: supportcase.StatusOpen, SLA: licenses.SLAOverdue, Now: now}), "CASE-000006")
	})

	_, next, err := licenses.ListCases(e.Ctx, e.Pool, staff, licenses.CaseFilter{Sort: licenses.SortDue, Limit: 1, Now: now})
	if err != nil || next == "" {
		t.Fatalf("first page by due: %q, %v", next, err)
	}
	for _, f := range []licenses.CaseFilter{
		{Cursor: next, Limit: 1, Now: now},
		{Cursor: next, Sort: licenses.SortDueDesc, Limit: 1, Now: now},
		{Cursor: next, Sort: licenses.SortDue, SLA: licenses.SLAOnTrack, Limit: 1, Now: now},
	} {
		if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, f); !errors.Is(err, readmodel.ErrBadCursor) {
			t.Errorf("cursor of sort=due used with %+v: %v, want ErrBadCursor", f, err)
		}
	}
	for _, f := range []licenses.CaseFilter{{SLA: "late"}, {Sort: "opened_at"}, {Sort: "-"}, {Status: "pending"}} {
		if _, _, err := licenses.ListCases(e.Ctx, e.Pool, staff, f); !errors.Is(err, readmodel.ErrBadFilter) {
			t.Errorf("%+v: %v, want ErrBadFilter", f, err)
		}
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// TestCaseTimeline: every step of a case in order, with who took it, on
// whose behalf, its detail and position; a case event type the projection
// does not decode (supportcase.executed) is a step too and moves the
// status; the events its command appended on other streams are the
// change events; the case is not found for whoever may not see it in the
// list.
func TestCaseTimeline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	a, b := "600001HQ", "600002HQ"
	n := "CASE-000001"
	e.openCase(n, a, "partner:700001PT/C-900001", base)
	e.caseEvents(n, supportcase.InformationRequested{CaseNumber: n, What: "the PO", RequestedAt: base.Add(time.Hour), Due: base.Add(25 * time.Hour), Status: supportcase.StatusWaitingForInformation})
	e.caseEvents(n, supportcase.InformationProvided{CaseNumber: n, Information: "PO 4711", ProvidedAt: base.Add(2 * time.Hour), Status: supportcase.StatusOpen})
	e.caseEvents(n, supportcase.CaseApproved{CaseNumber: n, Note: "fine", ApprovedAt: base.Add(3 * time.Hour), Status: supportcase.StatusApproved})
	change := e.execute(n, a, "staff:sam", "customer:"+a+"/C-000001", base.Add(3*time.Hour))
	e.openCase("CASE-000002", b, "customer:"+b+"/C-000002", base)
	e.caseEvents("CASE-000002",
		supportcase.InformationRequested{CaseNumber: "CASE-000002", What: "x", RequestedAt: base, Due: base.Add(24 * time.Hour), Status: supportcase.StatusWaitingForInformation},
		supportcase.CaseClosedUnanswered{CaseNumber: "CASE-000002", Due: base.Add(24 * time.Hour), ClosedAt: base.Add(24 * time.Hour), Status: supportcase.StatusClosed})
	var caseEvents []int64
	for _, ev := range e.All() {
		if ev.StreamID == supportcase.StreamID(n) {
			caseEvents = append(caseEvents, int64(ev.Position))
		}
	}

	e.eachBuild(func() {
		d, err := licenses.CaseTimeline(e.Ctx, e.Pool, staff, n, base, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.CaseNumber != n || d.Status != licenses.StatusCompleted {
			t.Fatalf("case %s status %q, want %s completed", d.CaseNumber, d.Status, n)
		}
		var steps []string
		for i, s := range d.Timeline {
			steps = append(steps, s.Step)
			if i >= len(caseEvents) || int64(s.Position) != caseEvents[i] {
				t.Fatalf("step %d (%s) at position %d, want the case's events %v", i, s.Step, s.Position, caseEvents)
			}
		}
		want(t, "steps", steps, "opened", "information_requested", "information_provided", "approved", "executed")
		exec := d.Timeline[4]
		if exec.Actor != "staff:sam" || exec.OnBehalfOf != "customer:"+a+"/C-000001" || exec.EventType != "supportcase.executed" || !exec.At.Equal(base.Add(3*time.Hour)) {
			t.Fatalf("executed step: %+v", exec)
		}
		if d.Timeline[0].Actor != "staff:test" || d.Timeline[0].OnBehalfOf != "" {
			t.Fatalf("opened step: %+v", d.Timeline[0])
		}
		var asked struct {
			What   string    `json:"what"`
			Due    time.Time `json:"due"`
			Status *string   `json:"status"`
			Number *string   `json:"case_number"`
		}
		if err := json.Unmarshal(d.Timeline[1].Detail, &asked); err != nil || asked.What != "the PO" || !asked.Due.Equal(base.Add(25*time.Hour)) || asked.Status != nil || asked.Number != nil {
			t.Fatalf("information_requested detail %s (%v)", d.Timeline[1].Detail, err)
		}
		if len(d.ChangeEvents) != 1 || d.ChangeEvents[0] != (licenses.ChangeEvent{ID: change.ID.String(), Type: change.Type, Stream: change.StreamID, Position: change.Position}) {
			t.Fatalf("change events %+v, want the tag %s at %d", d.ChangeEvents, change.Type, change.Position)
		}

		closed, err := licenses.CaseTimeline(e.Ctx, e.Pool, customerOf(b), "CASE-000002", base, nil)
		if err != nil {
			t.Fatal(err)
		}
		steps = nil
		for _, s := range closed.Timeline {
			steps = append(steps, s.Step)
		}
		want(t, "closed case's steps", steps, "opened", "information_requested", "closed_unanswered")
		if closed.Status != supportcase.StatusClosed || len(closed.ChangeEvents) != 0 || closed.ChangeEvents == nil {
			t.Fatalf("closed case: %+v", closed)
		}

		for _, tc := range []struct {
			name   string
			viewer domain.Principal
			number string
			found  bool
		}{
			{"customer of the account", customerOf(a), n, true},
			{"the requesting partner", partner("700001PT"), n, true},
			{"auditor", auditor, n, true},
			{"customer of another account", customerOf(b), n, false},
			{"another partner", partner("700002PT"), n, false},
			{"staff without roles", noRoles, n, false},
			{"anonymous", stranger, n, false},
			{"no such case", staff, "CASE-000099", false},
			{"malformed number", staff, "CASE-1' OR '1'='1", false},
		} {
			d, err := licenses.CaseTimeline(e.Ctx, e.Pool, tc.viewer, tc.number, base, nil)
			switch {
			case tc.found && (err != nil || d.CaseNumber != n):
				t.Errorf("%s: %v, want the case", tc.name, err)
			case !tc.found && !errors.Is(err, readmodel.ErrNotFound):
				t.Errorf("%s: %v, want ErrNotFound", tc.name, err)
			}
		}
	})
}
