package command_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

var mergeAdmin = auth.Staff("ada", domain.RoleAdmin)

// mergeFixture is a source account holding two licenses, an agreement and
// an order, and a target account, on a fresh store.
type mergeFixture struct {
	store            *eventstore.Store
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
	store, ids, source := setup(t)
	svc := command.New(store, ids, command.Config{})
	res, err := svc.RegisterAccount(ctx, command.Meta{Principal: mergeAdmin}, command.RegisterAccountInput{
		Name: "Survivor AG", PrimaryDomain: "survivor.example", Address: account.Address{Country: "CH"}})
	if err != nil {
		t.Fatal(err)
	}
	f := mergeFixture{store: store, svc: svc, source: source, target: res.ID,
		licenses: []string{"LIC-0000001", "LIC-0000002"}, contract: "ELA-000001", order: "ORD-0000001", partner: "700001HQ"}
	// What fulfilment and RegisterContract would record (their endpoints
	// are another slice): the other aggregates' streams and the links on
	// the account, in one append.
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

// TestMergeMovesLicensesAndAgreementsInOneAppend: the merge records the
// two account events and an owner change on every license and agreement
// the source held, all under one command, and the moved aggregates now
// name the target as their owner.
func TestMergeMovesLicensesAndAgreementsInOneAppend(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	res, err := f.svc.MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"account.merged", "account.merge_received", "license.owner_changed", "license.owner_changed", "contract.owner_changed"}
	if len(res.Events) != len(want) || res.ID != f.source || res.Stream != account.StreamID(f.source) || res.Version != f.sourceV+1 {
		t.Fatalf("merge answer %+v", res)
	}
	for i, w := range want {
		if res.Events[i].Type != w {
			t.Fatalf("event %d is %s, want %s", i, res.Events[i].Type, w)
		}
	}
	var commandID string
	for _, stream := range []string{account.StreamID(f.source), account.StreamID(f.target), license.StreamID(f.licenses[0]), license.StreamID(f.licenses[1]), contract.StreamID(f.contract)} {
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
	// The order is not written (no owner change in the order aggregate):
	// it answers under the target through account.merge_received.
	if evs := f.load(t, "order-"+f.order); len(evs) != 0 {
		t.Fatalf("order stream written: %v", evs)
	}
	// The merged source accepts no further commands.
	_, err = f.svc.TagAccount(ctx, command.Meta{Principal: mergeAdmin}, f.source, command.TagAccountInput{Tag: "late"})
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "account.merged" {
		t.Fatalf("tag a merged account: %v", err)
	}
}

// mergeRacer lets another writer allocate a license just before the first
// races appends, between the merge's reads and its append.
type mergeRacer struct {
	*eventstore.Store
	races    int32
	license  string
	appended atomic.Int32
}

func (r *mergeRacer) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	if r.appended.Add(1) <= r.races {
		other := command.New(r.Store, nil, command.Config{})
		stream := license.StreamID(r.license)
		_, err := other.Run(ctx, command.Meta{Principal: auth.Staff("other", domain.RoleSupport)}, r.license, stream, func(u *command.Unit) error {
			if _, err := command.Load(u, command.Aggregate[license.State]{Evolve: license.Evolve}, stream); err != nil {
				return err
			}
			u.Emit(stream, license.Allocated{HostIDType: "mac", HostID: "00:11:22:33:44:55", Quantity: 10})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return r.Store.Append(ctx, s, md, opts...)
}

// TestMergeConflictOnOneStreamLeavesNoEventAnywhere: a write to one of the
// moved licenses between the merge's reads and its append fails the whole
// append: with no retry left, not one event of the merge is recorded on any
// of the five streams; with retries, the merge is decided again on the
// fresh license and recorded once everywhere.
func TestMergeConflictOnOneStreamLeavesNoEventAnywhere(t *testing.T) {
	t.Parallel()
	f := newMergeFixture(t)
	ctx := context.Background()
	streams := []string{account.StreamID(f.source), account.StreamID(f.target), license.StreamID(f.licenses[0]), license.StreamID(f.licenses[1]), contract.StreamID(f.contract)}
	count := func() map[string]int {
		n := map[string]int{}
		for _, s := range streams {
			n[s] = len(f.load(t, s))
		}
		return n
	}
	before := count()

	racer := &mergeRacer{Store: f.store, races: 1, license: f.licenses[1]}
	once := command.New(racer, nil, command.Config{MaxAttempts: 1})
	_, err := once.MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}
	after := count()
	for _, s := range streams {
		want := before[s]
		if s == license.StreamID(f.licenses[1]) {
			want++ // the racer's allocation, and nothing else
		}
		if after[s] != want {
			t.Fatalf("%s: %d events after a failed merge, want %d", s, after[s], want)
		}
	}

	racer2 := &mergeRacer{Store: f.store, races: 1, license: f.licenses[1]}
	retrying := command.New(racer2, nil, command.Config{})
	res, err := retrying.MergeAccounts(ctx, command.Meta{Principal: mergeAdmin}, f.source, f.input())
	if err != nil || racer2.appended.Load() != 2 || len(res.Events) != 5 {
		t.Fatalf("merge after a conflict: %+v %v (%d appends)", res, err, racer2.appended.Load())
	}
	final := count()
	for _, s := range streams {
		want := after[s] + 1
		if s == license.StreamID(f.licenses[1]) {
			want++ // the second racer's allocation
		}
		if final[s] != want {
			t.Fatalf("%s: %d events, want %d", s, final[s], want)
		}
	}
	evs := f.load(t, license.StreamID(f.licenses[1]))
	if last := evs[len(evs)-1]; last.Type != "license.owner_changed" || last.StreamVersion != 4 {
		t.Fatalf("license: last event %s at version %d", last.Type, last.StreamVersion)
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
