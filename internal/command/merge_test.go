package command_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var mergeAdmin = auth.Staff("ada", domain.RoleAdmin)

// mergeFixture is a source account holding two licenses, an agreement and
// an order, and a target account, on a fresh store.
type mergeFixture struct {
	pool             *pgxpool.Pool
	store            *eventstore.Store
	ids              *numbering.Allocator
	svc              *command.Service
	source, target   string
	licenses         []string
	contract, order  string
	partner          string
	sourceV, targetV int64
}

func newMergeFixture(t *testing.T) mergeFixture {
	t.Helper()
	ctx := context.Background()
	pool, store, ids, source := businessSetup(t)
	svc := command.New(store, ids, command.Config{})
	res, err := svc.RegisterAccount(ctx, command.Meta{Principal: mergeAdmin}, command.RegisterAccountInput{
		Name: "Survivor AG", PrimaryDomain: "survivor.example", Address: account.Address{Country: "CH"}})
	if err != nil {
		t.Fatal(err)
	}
	f := mergeFixture{pool: pool, store: store, ids: ids, svc: svc, source: source, target: res.ID,
		licenses: []string{"LIC-0000001", "LIC-0000002"}, contract: "ELA-000001", order: "ORD-0000001", partner: "700001HQ"}
	// What SubmitOrder, fulfilment and RegisterContract record: the other
	// aggregates' streams and the links on the account, in one append.
	_, err = svc.Run(ctx, command.Meta{Principal: mergeAdmin}, source, account.StreamID(source), func(u *command.Unit) error {
		if _, err := command.Load(u, accountAgg, account.StreamID(source)); err != nil {
			return err
		}
		for _, id := range f.licenses {
			u.Emit(license.StreamID(id), license.Issued{LicenseID: id, Product: "XenApp", Edition: "Platinum", Quantity: 100,
				OwnerAccountID: source, SourceOrder: f.order, MaintenanceEnd: "2026-12-31"})
			u.Emit(account.StreamID(source), account.LicenseAttached{AccountID: source, LicenseID: id})
		}
		u.Emit(contract.StreamID(f.contract), contract.Registered{ContractNumber: f.contract, Program: contract.ProgramEnterprise,
			AccountID: source, PrimaryAdmin: "C-000001", DiscountLevel: 3, TermStart: "2025-01-01", TermEnd: "2027-12-31"})
		u.Emit(order.StreamID(f.order), order.Submitted{OrderNumber: f.order, PONumber: "PO-7", PODate: "2025-01-15",
			OrderType: order.TypeNew, Catalog: order.CatalogSoftware, Currency: "EUR", TotalMinor: 200000,
			Lines:             []order.Line{{SKU: "XA-PLAT", Product: "XenApp", Edition: "Platinum", Quantity: 200, UnitPriceMinor: 1000, Currency: "EUR"}},
			CustomerAccountID: source, PartnerID: f.partner})
		u.Emit(account.StreamID(source),
			account.ContractAttached{AccountID: source, Number: f.contract, Program: account.ProgramEnterprise},
			account.OrderAttached{AccountID: source, OrderNumber: f.order, PartnerID: f.partner})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sourceV, f.targetV = 5, 1
	return f
}

func (f mergeFixture) input() command.MergeAccountsInput {
	return command.MergeAccountsInput{Into: f.target, Reason: account.MergeAcquisition, Evidence: []string{"CASE-000007"}}
}

func (f mergeFixture) load(t *testing.T, stream string) []eventstore.Event {
	t.Helper()
	evs, err := f.store.Load(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestMergeMovesLicensesAgreementsAndOrdersInOneAppend: the merge records
// the two account events, an owner change on every license and agreement
// and a customer change on every order the source held, all under one
// command, and the moved aggregates now name the target.
func TestMergeMovesLicensesAgreementsAndOrdersInOneAppend(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	res, err := f.svc.MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"account.merged", "account.merge_received", "license.owner_changed", "license.owner_changed", "contract.owner_changed", "order.customer_changed"}
	if len(res.Events) != len(want) || res.ID != f.source || res.Stream != account.StreamID(f.source) || res.Version != f.sourceV+1 {
		t.Fatalf("merge answer %+v", res)
	}
	for i, w := range want {
		if res.Events[i].Type != w {
			t.Fatalf("event %d is %s, want %s", i, res.Events[i].Type, w)
		}
	}
	var commandID string
	for _, stream := range f.streams() {
		evs := f.load(t, stream)
		last := evs[len(evs)-1]
		if commandID == "" {
			commandID = last.CommandID
		}
		if last.CommandID != commandID || last.Actor != mergeAdmin.ID {
			t.Fatalf("%s: last event %s of command %s by %s, not of the merge %s", stream, last.Type, last.CommandID, last.Actor, commandID)
		}
	}
	cat := catalog.New()
	fold := func(stream string, evolve func(domain.Event)) {
		for _, e := range f.load(t, stream) {
			de, err := cat.Decode(e.Type, e.SchemaVersion, e.Data)
			if err != nil {
				t.Fatal(err)
			}
			evolve(de)
		}
	}
	for _, id := range f.licenses {
		var st license.State
		fold(license.StreamID(id), func(e domain.Event) { st = license.Evolve(st, e) })
		if st.Owner != f.target {
			t.Fatalf("license %s belongs to %q, want %s", id, st.Owner, f.target)
		}
	}
	var ct contract.State
	fold(contract.StreamID(f.contract), func(e domain.Event) { ct = contract.Evolve(ct, e) })
	if ct.AccountID != f.target {
		t.Fatalf("agreement belongs to %q, want %s", ct.AccountID, f.target)
	}
	var tgt account.State
	fold(account.StreamID(f.target), func(e domain.Event) { tgt = account.Evolve(tgt, e) })
	if !tgt.Licenses[f.licenses[0]] || !tgt.Licenses[f.licenses[1]] || tgt.Contracts[f.contract] == "" || tgt.Orders[f.order].PartnerID != f.partner {
		t.Fatalf("the target does not hold what moved: %+v", tgt)
	}
	var ord order.State
	fold(order.StreamID(f.order), func(e domain.Event) { ord = order.Evolve(ord, e) })
	if ord.CustomerAccountID != f.target || ord.PartnerID != f.partner {
		t.Fatalf("order answers under %q (partner %q), want %s (partner %s)", ord.CustomerAccountID, ord.PartnerID, f.target, f.partner)
	}
	// The merged source accepts no further commands.
	_, err = f.svc.TagAccount(ctx, command.Meta{Principal: mergeAdmin}, f.source, command.TagAccountInput{Tag: "late"})
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "account.merged" {
		t.Fatalf("tag a merged account: %v", err)
	}
}

// streams are the streams the fixture's merge writes to.
func (f mergeFixture) streams() []string {
	return []string{account.StreamID(f.source), account.StreamID(f.target), license.StreamID(f.licenses[0]),
		license.StreamID(f.licenses[1]), contract.StreamID(f.contract), order.StreamID(f.order)}
}

// head is the number of events in the store and the position of the last.
func (f mergeFixture) head(t *testing.T) (int, eventstore.Position) {
	t.Helper()
	var n int
	var last eventstore.Position
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*), coalesce(max(position), 0) FROM events`).Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	return n, last
}

// since returns the streams and types of the events recorded after
// position after, in order.
func (f mergeFixture) since(t *testing.T, after eventstore.Position) []string {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT stream_id || ' ' || event_type FROM events WHERE position > $1 ORDER BY position`, after)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// races are what another writer records on each kind of stream a merge
// moves, between the merge's reads and its append, by the stream and type
// of the event.
func (f mergeFixture) races() map[string]func(ctx context.Context, n int32) error {
	return map[string]func(ctx context.Context, n int32) error{
		license.StreamID(f.licenses[1]) + " license.allocated": func(ctx context.Context, _ int32) error {
			return appendDirect(ctx, f.store, license.StreamID(f.licenses[1]), license.Allocated{HostIDType: license.HostMAC, HostID: "00:11:22:33:44:55", Quantity: 10})
		},
		contract.StreamID(f.contract) + " contract.discount_level_set": func(ctx context.Context, n int32) error {
			return appendDirect(ctx, f.store, contract.StreamID(f.contract), contract.DiscountLevelSet{DiscountLevel: 3 + int(n)})
		},
		order.StreamID(f.order) + " order.cancelled": func(ctx context.Context, _ int32) error {
			return appendDirect(ctx, f.store, order.StreamID(f.order), order.Cancelled{OrderNumber: f.order, Reason: "withdrawn"})
		},
	}
}

// TestMergeConflictOnOneStreamLeavesNoEventAnywhere: a write to one of the
// moved streams (a license, the agreement, the order) between the merge's
// reads and its append fails the whole append: with no retry left, the
// store holds the other writer's event and not one event of the merge, on
// any stream; with retries, the merge is decided again on the fresh state
// and recorded once everywhere.
func TestMergeConflictOnOneStreamLeavesNoEventAnywhere(t *testing.T) {
	t.Parallel()
	for name := range newMergeFixture(t).races() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newMergeFixture(t)
			race := f.races()[name]
			ctx := context.Background()
			n, head := f.head(t)

			r := &racer{Store: f.store, races: 1, race: race}
			_, err := command.New(r, f.ids, command.Config{MaxAttempts: 1}).MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
			var ce *eventstore.ConflictError
			if !errors.As(err, &ce) || !strings.HasPrefix(name, ce.StreamID+" ") {
				t.Fatalf("want a conflict on the raced stream, got %v", err)
			}
			if got := f.since(t, head); len(got) != 1 || got[0] != name {
				t.Fatalf("after a failed merge the store gained %q, want only the other writer's %q", got, name)
			}
			if after, _ := f.head(t); after != n+1 {
				t.Fatalf("%d events after a failed merge, want %d", after, n+1)
			}

			_, head = f.head(t)
			r = &racer{Store: f.store, races: 1, race: race}
			res, err := command.New(r, f.ids, command.Config{}).MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
			if err != nil || r.appended.Load() != 2 || len(res.Events) != 6 {
				t.Fatalf("merge after a conflict: %+v %v (%d appends)", res, err, r.appended.Load())
			}
			got := f.since(t, head)
			if len(got) != 7 || got[0] != name {
				t.Fatalf("recorded %q, want the other writer's %s, then the merge's six events", got, name)
			}
			for _, stream := range f.streams() {
				evs := f.load(t, stream)
				if last := evs[len(evs)-1]; !slices.ContainsFunc(res.Events, func(e command.ResultEvent) bool { return e.ID == last.ID }) {
					t.Fatalf("%s: last event %s is not the merge's", stream, last.Type)
				}
			}
		})
	}
}

// TestMergeConflictRetriesAreBounded: a merge whose moved streams change
// under every attempt (a license, then the agreement, then the order)
// answers a conflict after MaxAttempts and records nothing of its own.
func TestMergeConflictRetriesAreBounded(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	races := f.races()
	moves := []func(context.Context, int32) error{
		races[license.StreamID(f.licenses[1])+" license.allocated"],
		races[contract.StreamID(f.contract)+" contract.discount_level_set"],
		races[order.StreamID(f.order)+" order.cancelled"],
	}
	n, head := f.head(t)
	r := &racer{Store: f.store, races: 3, race: func(ctx context.Context, n int32) error { return moves[n-1](ctx, n) }}
	_, err := command.New(r, f.ids, command.Config{MaxAttempts: 3}).MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
	if !errors.Is(err, eventstore.ErrConflict) || r.appended.Load() != 3 {
		t.Fatalf("want a conflict after 3 attempts, got %v after %d appends", err, r.appended.Load())
	}
	got := f.since(t, head)
	want := []string{license.StreamID(f.licenses[1]) + " license.allocated", contract.StreamID(f.contract) + " contract.discount_level_set", order.StreamID(f.order) + " order.cancelled"}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded %q, want only the other writers' %q", got, want)
	}
	if after, _ := f.head(t); after != n+3 {
		t.Fatalf("%d events, want %d", after, n+3)
	}
}

// TestAddContactDrawsNoNumberWhenRefused: a refused AddContact uses up no
// contact number, and the answer names the contact it created.
func TestAddContactDrawsNoNumberWhenRefused(t *testing.T) {
	t.Parallel()
	store, ids, id := setup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	m := command.Meta{Principal: mergeAdmin}
	in := command.AddContactInput{Name: "Ann", Email: "ann@acme.example", Roles: []string{"org_admin"}, Access: "unrestricted"}
	res, err := svc.AddContact(ctx, m, id, in)
	if err != nil || res.ID != "C-000001" || res.Stream != account.StreamID(id) || res.Version != 2 {
		t.Fatalf("first contact: %+v %v", res, err)
	}
	if _, err := svc.AddContact(ctx, m, id, in); !errors.Is(err, domain.ErrRuleViolation) {
		t.Fatalf("same email again: %v", err)
	}
	if _, err := svc.AddContact(ctx, command.Meta{Principal: auth.Staff("al", domain.RoleAuditor)}, id, command.AddContactInput{Name: "Bo", Email: "bo@acme.example", Roles: []string{"billing"}, Access: "restricted"}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("auditor: %v", err)
	}
	in.Email = "ann.other@acme.example"
	if res, err = svc.AddContact(ctx, m, id, in); err != nil || res.ID != "C-000002" {
		t.Fatalf("second contact got %q (%v): a refused command used up a number", res.ID, err)
	}
}
