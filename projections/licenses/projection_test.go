package licenses_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections/licenses"
)

// history appends, per round, a varied history of two customers and their
// licenses: issuance, allocations, a split, a transfer, renewals, view
// rights granted, replaced, lapsing and revoked, every other round a merge
// of the second customer into the first, support cases through each of
// their ends, and events of types the projection ignores. It publishes
// after each append when publish is set.
func (e *env) history(rounds int, publish bool) {
	e.T.Helper()
	pub := func() {
		if publish {
			e.PublishAll()
		}
	}
	cases := 0
	nextCase := func() string { cases++; return fmt.Sprintf("CASE-%06d", cases) }
	for r := 0; r < rounds; r++ {
		a, b := fmt.Sprintf("%06dHQ", 600000+2*r), fmt.Sprintf("%06dHQ", 600001+2*r)
		p1, p2, p3 := "700001PT", "700002PT", fmt.Sprintf("%06dPT", 710000+r)
		l1 := e.issue(a, 100, "2026-01-31")
		l2 := e.issue(a, 40, "2026-02-28")
		l3 := e.issue(a, 10, "2026-03-31")
		l4 := e.issue(b, 25, "2026-04-30")
		pub()
		e.grant(a, p1)
		e.grant(a, p2, l1, l2)
		e.grant(b, p3, l4)
		e.grant(b, p2, l4)
		e.append(on(lic(l1), license.Allocated{HostIDType: license.HostName, HostID: "srv1.example", Quantity: 30},
			license.Allocated{HostIDType: license.HostMAC, HostID: "0019b9f1c2d3", Quantity: 5},
			license.Allocated{HostIDType: license.HostName, HostID: "srv1.example", Quantity: 10}))
		pub()
		e.append(on(lic(l1), license.Reallocated{FromHostID: "srv1.example", ToHostIDType: license.HostIP, ToHostID: "10.0.0.5", Quantity: 40}))
		e.append(on(lic(l1), license.AllocationReturned{HostID: "0019b9f1c2d3"}))
		parts := e.split(l2, 25, 15) // p2's list lapses to l1
		e.transfer(l3, b)
		e.append(on(lic(parts[0]), license.MaintenanceRenewed{From: "2026-02-28", To: "2027-02-28"}))
		pub()
		if r%2 == 1 {
			e.grant(b, p1, l3)
			e.merge(b, a) // p1 all wins, p2's lists unite, p3's comes along
		}
		if r%3 == 2 {
			e.revoke(a, p2)
		}
		pub()

		c1, c2, c3, c4 := nextCase(), nextCase(), nextCase(), nextCase()
		at := base.Add(time.Duration(r) * 7 * time.Hour)
		e.openCase(c1, b, "partner:"+p1+"/C-900001", at)
		e.openCase(c2, a, "customer:"+a+"/C-000001", at.Add(time.Minute))
		e.openCase(c3, a, "staff:sam", at.Add(time.Minute))
		e.openCase(c4, b, "customer:"+b+"/C-000002", at.Add(2*time.Minute))
		e.caseEvents(c1,
			supportcase.InformationRequested{CaseNumber: c1, What: "Proof", RequestedAt: at.Add(time.Hour), Due: at.Add(25 * time.Hour), Status: supportcase.StatusWaitingForInformation},
			supportcase.InformationProvided{CaseNumber: c1, Information: "Here", ProvidedAt: at.Add(5 * time.Hour), Status: supportcase.StatusOpen})
		pub()
		e.caseEvents(c1, supportcase.CaseApproved{CaseNumber: c1, ApprovedAt: at.Add(6 * time.Hour), Status: supportcase.StatusApproved})
		e.execute(c1, a, "staff:sam", "customer:"+a+"/C-000001", at.Add(6*time.Hour))
		e.caseEvents(c2, supportcase.CaseRejected{CaseNumber: c2, Reason: "No", RejectedAt: at.Add(7 * time.Hour), Status: supportcase.StatusRejected})
		e.caseEvents(c3,
			supportcase.InformationRequested{CaseNumber: c3, What: "Proof", RequestedAt: at.Add(time.Hour), Due: at.Add(25 * time.Hour), Status: supportcase.StatusWaitingForInformation},
			supportcase.CaseClosedUnanswered{CaseNumber: c3, Due: at.Add(25 * time.Hour), ClosedAt: at.Add(26 * time.Hour), Status: supportcase.StatusClosed})
		// Events of types the projection does not use.
		e.Append(eventstore.StreamAppend{StreamID: "order-ORD-" + fmt.Sprint(9000000+r), Events: []eventstore.NewEvent{{
			ID: uuid.Must(uuid.NewV7()), Type: "order.submitted", SchemaVersion: 1, Data: json.RawMessage(`{"po":"x"}`), OccurredAt: time.Now()}}})
		e.append(on(acct(a), account.AccountTagged{AccountID: a, Tag: "edu"}))
		pub()
	}
}

// TestLiveAndRebuildGiveTheSameRows: the rows a live projector builds
// applying one event at a time equal those a rebuild builds in one large
// batch and in small ones, timestamps included.
func TestLiveAndRebuildGiveTheSameRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(1, 0)
	stop := e.Start(live)
	e.history(6, true)
	last := e.PublishAll()
	if err := live.WaitFor(e.Ctx, last, licenses.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	wantRows := e.dump()
	if len(wantRows) < 60 {
		t.Fatalf("only %d rows", len(wantRows))
	}
	for _, batch := range []int{100000, 7, 1} {
		e.build(batch)
		if got := e.dump(); !slices.Equal(got, wantRows) {
			for i := range min(len(got), len(wantRows)) {
				if got[i] != wantRows[i] {
					t.Fatalf("rebuild in batches of %d differs at row %d:\n got %s\nwant %s", batch, i, got[i], wantRows[i])
				}
			}
			t.Fatalf("rebuild in batches of %d: %d rows, live %d", batch, len(got), len(wantRows))
		}
	}

	// Spot checks of round 1 (merged) against what the events say.
	var l1 struct {
		Account   string `json:"account_id"`
		Allocated int
		Allocs    []licenses.Allocation `json:"allocations"`
		Status    string
	}
	var raw string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT json_build_object('account_id', account_id, 'allocated', allocated,
		'allocations', allocations, 'status', status)::text FROM proj_licenses.licenses WHERE license_id = 'LIC-0000007'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &l1); err != nil {
		t.Fatal(err)
	}
	if l1.Account != "600002HQ" || l1.Allocated != 40 || len(l1.Allocs) != 1 || l1.Allocs[0] != (licenses.Allocation{HostIDType: "ip", HostID: "10.0.0.5", Quantity: 40}) {
		t.Fatalf("allocations of LIC-0000007: %s", raw)
	}
	// The transferred license of round 1 followed its owner's merge.
	var owner string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT account_id FROM proj_licenses.licenses WHERE license_id = 'LIC-0000009'`).Scan(&owner); err != nil || owner != "600002HQ" {
		t.Fatalf("LIC-0000009 answers under %q (%v), want the survivor 600002HQ", owner, err)
	}
	// Times come from the events, never from the clock.
	var issued eventstore.Event
	for _, ev := range e.All() {
		if ev.Type == "license.issued" && ev.StreamID == "license-LIC-0000001" {
			issued = ev
		}
	}
	var issuedAt time.Time
	if err := e.Pool.QueryRow(e.Ctx, `SELECT issued_at FROM proj_licenses.licenses WHERE license_id = 'LIC-0000001'`).Scan(&issuedAt); err != nil {
		t.Fatal(err)
	}
	if !issuedAt.Equal(issued.RecordedAt) {
		t.Fatalf("issued_at %v, event recorded at %v", issuedAt, issued.RecordedAt)
	}
}

// TestSetupIsIdempotentAndUnknownVersionsFail: Setup runs twice on the same
// schema; an event of a used type at an unknown schema version fails the
// batch, and one of an unused type is ignored.
func TestSetupIsIdempotentAndUnknownVersionsFail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	p := licenses.New()
	err := pgx.BeginFunc(e.Ctx, e.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(e.Ctx, `CREATE SCHEMA proj_licenses_setup`); err != nil {
			return err
		}
		for range 2 {
			if err := p.Setup(e.Ctx, tx, "proj_licenses_setup"); err != nil {
				return err
			}
		}
		ignored := []eventstore.Event{{Position: 1, StreamID: "order-ORD-0000001", Type: "order.submitted", SchemaVersion: 9, Data: []byte(`{}`)}}
		if err := p.Apply(e.Ctx, tx, "proj_licenses_setup", ignored); err != nil {
			return fmt.Errorf("an unused type failed: %w", err)
		}
		unknown := []eventstore.Event{{Position: 2, StreamID: "license-LIC-0000001", Type: "license.issued", SchemaVersion: 99, Data: []byte(`{}`)}}
		if err := p.Apply(e.Ctx, tx, "proj_licenses_setup", unknown); err == nil {
			return fmt.Errorf("license.issued v99 was applied")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResolutionTargetSkipsWeekends: five business days from a Thursday
// end on the next Thursday; the requester's waiting time moves the
// target on in business time; the sum of two additions is one addition.
func TestResolutionTargetSkipsWeekends(t *testing.T) {
	thu := time.Date(2025, 3, 6, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"five days from thursday", thu, licenses.ResolutionTarget, time.Date(2025, 3, 13, 15, 0, 0, 0, time.UTC)},
		{"from saturday", time.Date(2025, 3, 8, 10, 0, 0, 0, time.UTC), 24 * time.Hour, time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"friday evening plus 10h", time.Date(2025, 3, 7, 20, 0, 0, 0, time.UTC), 10 * time.Hour, time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC)},
		{"zero", thu, 0, thu},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := licenses.AddBusinessTime(c.from, c.d); !got.Equal(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	for _, split := range []time.Duration{time.Hour, 9 * time.Hour, 33 * time.Hour, 100 * time.Hour} {
		whole := licenses.AddBusinessTime(thu, 120*time.Hour)
		parts := licenses.AddBusinessTime(licenses.AddBusinessTime(thu, split), 120*time.Hour-split)
		if !whole.Equal(parts) {
			t.Fatalf("split at %v: %v, whole %v", split, parts, whole)
		}
	}
}
