package contracts_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// history appends a varied history in rounds: registrations (some with an
// agreement in the same append), renames (twice in one append, back to an
// earlier name, later), address and VAT changes, every contract event,
// merges moving agreements, a second registration of an ID, and events of
// types the projection ignores. It publishes after each round when
// publish is set.
func (e *env) history(rounds int, publish bool) {
	e.T.Helper()
	seq := 0
	next := func() string { seq++; return fmt.Sprintf("%06dHQ", 500000+seq) }
	countries := []string{"DE", "US", "JP", "FR", "BR", "AU"}
	var ids, agreements []string
	for round := 0; round < rounds; round++ {
		var streams []eventstore.StreamAppend
		for i := 0; i < 1+round%4*3; i++ {
			id := next()
			ids = append(ids, id)
			c := countries[(round+i)%len(countries)]
			name := fmt.Sprintf("Round %d Société %d GmbH", round, i)
			evs := []eventstore.NewEvent{projtest.NewEvent(account.AccountRegistered{AccountID: id, Name: name,
				PrimaryDomain: strings.ToLower(id) + ".example", Address: account.Address{Country: c, City: "City " + c}, Region: "EMEA"})}
			if i%3 == 1 {
				evs = append(evs,
					projtest.NewEvent(account.CompanyRenamed{AccountID: id, OldName: name, NewName: "Early " + id}),
					projtest.NewEvent(account.CompanyRenamed{AccountID: id, OldName: "Early " + id, NewName: name + " (again)"}))
			}
			streams = append(streams, eventstore.StreamAppend{StreamID: "account-" + id, Events: evs})
			if i%2 == 0 {
				n := fmt.Sprintf("ELA-%06d", seq)
				agreements = append(agreements, n)
				streams = append(streams, eventstore.StreamAppend{StreamID: "contract-" + n, Events: []eventstore.NewEvent{
					projtest.NewEvent(contract.Registered{ContractNumber: n, Program: contract.ProgramEnterprise, AccountID: id,
						PrimaryAdmin: "C-000001", DiscountLevel: 1 + i%6, TermStart: "2024-01-01", TermEnd: "2025-12-31"})}})
			}
		}
		streams = append(streams, eventstore.StreamAppend{StreamID: "order-" + next(),
			Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "order.submitted", SchemaVersion: 1,
				Data: json.RawMessage(`{"po":"x"}`), OccurredAt: time.Now()}}})
		e.Append(streams...)

		switch round % 5 {
		case 1:
			id := ids[len(ids)/2]
			e.on("account-"+id,
				account.AddressChanged{AccountID: id, To: account.Location{Address: account.Address{Country: "GB", State: "Greater London", City: "Lóndon"}, Region: "EMEA"}},
				account.VATNumberSet{AccountID: id, VATNumber: "GB" + id[:6]},
				account.CompanyRenamed{AccountID: id, OldName: "whatever it was", NewName: "Renamed " + id})
		case 2:
			e.on("contract-"+agreements[len(agreements)-1],
				contract.AdministratorsChanged{PrimaryAdmin: "C-000009"},
				contract.DiscountLevelSet{DiscountLevel: 6},
				contract.ManageRightsGranted{PartnerID: "900001HQ"}, contract.ManageRightsGranted{PartnerID: "900002HQ"},
				contract.ManageRightsRevoked{PartnerID: "900001HQ"})
			if round == 7 {
				e.on("contract-"+agreements[len(agreements)-1],
					contract.ManageRightsRevoked{PartnerID: "900002HQ"},
					contract.Terminated{Reason: "notice", Evidence: []string{"doc:notice.pdf"}, TerminatedOn: "2025-03-14"})
			}
		case 3:
			// The first account with an agreement merges into the newest one.
			src, dst := ids[0], ids[len(ids)-1]
			if v, _ := e.Store.StreamVersion(e.Ctx, "account-"+src); v > 0 && src != dst {
				var moved []string
				if round == 3 {
					moved = []string{"ELA-000001"} // 500001HQ's
				}
				e.merge(src, dst, moved...)
				ids = ids[1:]
			}
		case 4:
			// A second registration of an ID stands for nothing.
			e.Append(eventstore.StreamAppend{StreamID: "account-" + ids[0] + "dup", Events: []eventstore.NewEvent{
				projtest.NewEvent(account.AccountRegistered{AccountID: ids[0], Name: "Impostor", Address: account.Address{Country: "US"}, Region: "AMER"})}})
		}
		if publish {
			e.PublishAll()
		}
	}
}

// TestLiveAndRebuildGiveTheSameRows: the rows a live projector builds in
// small batches are exactly those of a rebuild through the fold, through
// Apply alone in large or small batches, and through a fold that fills up
// half way, timestamps and positions included.
func TestLiveAndRebuildGiveTheSameRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(3, 0, 0)
	stop := e.Start(live)
	e.history(25, true)
	if err := live.WaitFor(e.Ctx, e.PublishAll(), contracts.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	want := e.dump()
	if len(want) < 150 {
		t.Fatalf("only %d rows", len(want))
	}
	for _, rb := range []struct{ batch, foldRows int }{{100000, 0}, {7, 0}, {100000, -1}, {5, -1}, {40, 30}} {
		if err := e.runner(0, rb.batch, rb.foldRows).Rebuild(e.Ctx, contracts.Name); err != nil {
			t.Fatal(err)
		}
		if got := e.dump(); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("rebuild %+v differs at row %d:\n got %s\nwant %s", rb, i, got[i], want[i])
				}
			}
			t.Fatalf("rebuild %+v: %d rows, live %d", rb, len(got), len(want))
		}
	}

	// Spot checks: times come from the events, an agreement follows its
	// account's merge, a second registration changes nothing.
	var reg eventstore.Event
	for _, ev := range e.All() {
		if ev.Type == "contract.registered" && ev.StreamID == "contract-ELA-000001" {
			reg = ev
		}
	}
	var registeredAt time.Time
	var owner string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT registered_at, account_id FROM proj_contracts.contracts
		WHERE contract_number = 'ELA-000001'`).Scan(&registeredAt, &owner); err != nil {
		t.Fatal(err)
	}
	if !registeredAt.Equal(reg.RecordedAt) {
		t.Fatalf("registered_at %v, event recorded at %v", registeredAt, reg.RecordedAt)
	}
	var status, into string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT status, merged_into FROM proj_contracts.companies WHERE account_id = '500001HQ'`).
		Scan(&status, &into); err != nil || status != "merged" || into != owner {
		t.Fatalf("merged company: %s %s (%v); its agreement is with %s", status, into, err, owner)
	}
	var impostors int
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*) FROM proj_contracts.companies WHERE name = 'Impostor'`).Scan(&impostors); err != nil || impostors != 0 {
		t.Fatalf("%d impostors (%v)", impostors, err)
	}
}

// TestRowsFollowTheEvents checks the values each event leaves.
func TestRowsFollowTheEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(1, 0, 0)
	stop := e.Start(live)
	a, b := "700001HQ", "700002HQ"
	e.register(a, "Alpha Ltd", "DE", "Bayern", "München")
	e.register(b, "Beta Ltd", "FR", "", "Paris")
	e.agreement("ELA-000001", a)
	e.on("contract-ELA-000001",
		contract.AdministratorsChanged{PrimaryAdmin: "C-000005"},
		contract.DiscountLevelSet{DiscountLevel: 6},
		contract.ManageRightsGranted{PartnerID: "900002HQ"}, contract.ManageRightsGranted{PartnerID: "900001HQ"},
		contract.ManageRightsGranted{PartnerID: "900003HQ"}, contract.ManageRightsRevoked{PartnerID: "900002HQ"})
	e.agreement("EASY-000001", b)
	e.on("contract-EASY-000001", contract.ManageRightsGranted{PartnerID: "900004HQ"},
		contract.ManageRightsRevoked{PartnerID: "900004HQ"},
		contract.Terminated{Reason: "notice", Evidence: []string{"doc:notice.pdf"}, TerminatedOn: "2025-03-14"})
	e.on("account-"+a,
		account.CompanyRenamed{AccountID: a, OldName: "Alpha Ltd", NewName: "Alpha Two Ltd"},
		account.CompanyRenamed{AccountID: a, OldName: "Alpha Two Ltd", NewName: "ALPHA, Ltd."},
		account.VATNumberSet{AccountID: a, VATNumber: ""})
	e.merge(a, b, "ELA-000001")
	// Applied one event at a time, then rebuilt.
	if err := live.WaitFor(e.Ctx, e.PublishAll(), contracts.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	got := e.dump()
	if err := e.runner(0, 0, 0).Rebuild(e.Ctx, contracts.Name); err != nil {
		t.Fatal(err)
	}
	if want := e.dump(); !slices.Equal(got, want) {
		t.Fatalf("event by event:\n%s\nrebuilt:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var (
		owner, admin, secondary string
		level                   int
		managers                []string
		agreementStatus         string
	)
	if err := e.Pool.QueryRow(e.Ctx, `SELECT account_id, primary_admin, secondary_admin, discount_level, managers, status
		FROM proj_contracts.contracts WHERE contract_number = 'ELA-000001'`).Scan(&owner, &admin, &secondary, &level, &managers, &agreementStatus); err != nil {
		t.Fatal(err)
	}
	if owner != b || admin != "C-000005" || secondary != "" || level != 6 || !slices.Equal(managers, []string{"900001HQ", "900003HQ"}) || agreementStatus != "active" {
		t.Fatalf("agreement: %s %s %q %d %v %s", owner, admin, secondary, level, managers, agreementStatus)
	}
	if err := e.Pool.QueryRow(e.Ctx, `SELECT managers, status FROM proj_contracts.contracts WHERE contract_number = 'EASY-000001'`).
		Scan(&managers, &agreementStatus); err != nil || len(managers) != 0 || agreementStatus != contract.StatusTerminated {
		t.Fatalf("terminated agreement: managers %v, status %q (%v)", managers, agreementStatus, err)
	}
	var name, vat, stateFold, cityFold, status string
	var former []string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT name, former_names, vat_number, state_fold, city_fold, status
		FROM proj_contracts.companies WHERE account_id = $1`, a).Scan(&name, &former, &vat, &stateFold, &cityFold, &status); err != nil {
		t.Fatal(err)
	}
	if name != "ALPHA, Ltd." || !slices.Equal(former, []string{"Alpha Ltd", "Alpha Two Ltd"}) || vat != "" ||
		stateFold != "bayern" || cityFold != "munchen" || status != "merged" {
		t.Fatalf("company: %q %q %q %q %q %s", name, former, vat, stateFold, cityFold, status)
	}
	// "ALPHA, Ltd." folds as "Alpha Ltd" did: one name row for both.
	rows, err := e.Pool.Query(e.Ctx, `SELECT name_fold || '=' || name || CASE WHEN former THEN ' (former)' ELSE '' END
		FROM proj_contracts.company_names WHERE account_id = $1 ORDER BY 1`, a)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		ns = append(ns, s)
	}
	if want := []string{"alpha two=Alpha Two Ltd (former)", "alpha=ALPHA, Ltd."}; !slices.Equal(ns, want) {
		t.Fatalf("names %q, want %q", ns, want)
	}
}

// TestUnknownVersionFailsTheBatch: an event of a type the projection uses,
// at a schema version it does not know, fails the batch rather than being
// skipped; one of a type it does not use is ignored.
func TestUnknownVersionFailsTheBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	p := contracts.New()
	tx, err := e.Pool.Begin(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(e.Ctx)
	const schema = "proj_contracts_test"
	if _, err := tx.Exec(e.Ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	if err := p.Setup(e.Ctx, tx, schema); err != nil {
		t.Fatal(err)
	}
	if err := p.Setup(e.Ctx, tx, schema); err != nil {
		t.Fatalf("setup twice: %v", err)
	}
	ignored := eventstore.Event{Position: 1, StreamID: "order-1", Type: "order.submitted", SchemaVersion: 9, Data: json.RawMessage(`{}`)}
	if err := p.Apply(e.Ctx, tx, schema, []eventstore.Event{ignored}); err != nil {
		t.Fatalf("ignored type: %v", err)
	}
	future := eventstore.Event{Position: 2, StreamID: "contract-ELA-000001", Type: "contract.discount_level_set", SchemaVersion: 2,
		Data: json.RawMessage(`{"discount_level": 2}`)}
	if err := p.Apply(e.Ctx, tx, schema, []eventstore.Event{future}); err == nil {
		t.Fatal("an unknown version of a used type was applied")
	}
}

var _ projections.Folder = contracts.New()
