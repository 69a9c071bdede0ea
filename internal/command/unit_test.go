package command_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

var accountAgg = command.Aggregate[account.State]{Evolve: account.Evolve}

// twoAccounts is setup's store and account A with a second account B,
// Beta GmbH, on the same domain (so that rename's evidence fits it too).
func twoAccounts(t *testing.T) (store *eventstore.Store, svc *command.Service, a, b string) {
	t.Helper()
	store, ids, a := setup(t)
	svc = command.New(store, ids, command.Config{})
	res, err := svc.RegisterAccount(context.Background(), command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, command.RegisterAccountInput{
		Name: "Beta GmbH", PrimaryDomain: "acme.example", Address: account.Address{Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	return store, svc, a, res.ID
}

// TestRunAppendsSeveralStreamsAtomicallyAndRetriesOnAnyConflict tags two
// accounts in one command; on the first attempt another writer moves the
// second account in between, so the whole command is decided again and
// both streams get exactly one tag event.
func TestRunAppendsSeveralStreamsAtomicallyAndRetriesOnAnyConflict(t *testing.T) {
	t.Parallel()
	store, svc, a, b := twoAccounts(t)
	ctx := context.Background()
	admin := auth.Staff("ada", domain.RoleAdmin)
	attempts := 0
	tag := func(u *command.Unit, id string) error {
		st, err := command.Load(u, accountAgg, account.StreamID(id))
		if err != nil {
			return err
		}
		evs, err := account.Decide(st, account.TagAccount{AccountID: id, Tag: "key-account", By: domain.Actor{Principal: admin}, At: time.Now()})
		if err != nil {
			return err
		}
		u.Emit(account.StreamID(id), evs...)
		return nil
	}
	res, err := svc.Run(ctx, command.Meta{Principal: admin}, a, account.StreamID(a), func(u *command.Unit) error {
		attempts++
		if err := tag(u, a); err != nil {
			return err
		}
		if err := tag(u, b); err != nil {
			return err
		}
		if attempts == 1 {
			// Another writer renames B after this attempt read it.
			if _, err := svc.RenameCompany(ctx, command.Meta{Principal: admin}, b, rename("Beta GmbH", "Beta Tools GmbH")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || attempts != 2 || len(res.Events) != 2 || res.Version != 2 {
		t.Fatalf("run: %+v, %v after %d attempts", res, err, attempts)
	}
	for _, id := range []string{a, b} {
		evs, _ := store.Load(ctx, account.StreamID(id))
		tagged := 0
		for _, e := range evs {
			if e.Type == "account.tagged" {
				tagged++
			}
		}
		if tagged != 1 {
			t.Fatalf("%s tagged %d times", id, tagged)
		}
	}
	// A refusal on any stream appends nothing anywhere.
	_, err = svc.Run(ctx, command.Meta{Principal: admin}, a, account.StreamID(a), func(u *command.Unit) error {
		if err := tag(u, b); err != nil {
			return err
		}
		return tag(u, a) // already tagged: refused
	})
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("want a rule violation, got %v", err)
	}
	evs, _ := store.Load(ctx, account.StreamID(b))
	if len(evs) != 3 {
		t.Fatalf("B has %d events after a refused command, want 3", len(evs))
	}
}

// racer runs race, as another writer would, just before each of the first
// races appends: after the command read what it decides on, before its
// append commits.
type racer struct {
	*eventstore.Store
	races    int32
	race     func(ctx context.Context, n int32) error
	appended atomic.Int32
	// assertions counts the streams sent without events.
	assertions atomic.Int32
}

func (r *racer) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	n := r.appended.Add(1)
	for _, sa := range s {
		if len(sa.Events) == 0 {
			r.assertions.Add(1)
		}
	}
	if n <= r.races {
		if err := r.race(ctx, n); err != nil {
			return nil, err
		}
	}
	return r.Store.Append(ctx, s, md, opts...)
}

// TestReadOnlyFactThatMovedIsDecidedAgain: a command tags account A from
// what it read of account B, which it does not write. B is renamed after
// the first attempt read it; the append checks B's version all the same,
// so the first attempt conflicts and the tag is decided again on B's
// fresh name. B gets no event from the command.
func TestReadOnlyFactThatMovedIsDecidedAgain(t *testing.T) {
	t.Parallel()
	store, svc, a, b := twoAccounts(t)
	ctx := context.Background()
	admin := auth.Staff("ada", domain.RoleAdmin)
	var seen []string
	res, err := svc.Run(ctx, command.Meta{Principal: admin}, a, account.StreamID(a), func(u *command.Unit) error {
		fact, err := command.Load(u, accountAgg, account.StreamID(b))
		if err != nil {
			return err
		}
		st, err := command.Load(u, accountAgg, account.StreamID(a))
		if err != nil {
			return err
		}
		seen = append(seen, fact.Name)
		tag := "partner-of-beta"
		if fact.Name != "Beta GmbH" {
			tag = "partner-of-beta-tools"
		}
		evs, err := account.Decide(st, account.TagAccount{AccountID: a, Tag: tag, By: domain.Actor{Principal: admin}, At: time.Now()})
		if err != nil {
			return err
		}
		u.Emit(account.StreamID(a), evs...)
		if len(seen) == 1 {
			// Another writer renames B after this attempt read it.
			if _, err := svc.RenameCompany(ctx, command.Meta{Principal: admin}, b, rename("Beta GmbH", "Beta Tools GmbH")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(seen) != 2 || seen[1] != "Beta Tools GmbH" || len(res.Events) != 1 {
		t.Fatalf("run: %+v, %v; the attempts saw %q", res, err, seen)
	}
	var st account.State
	for _, e := range mustLoad(t, store, account.StreamID(a)) {
		de, err := catalog.New().Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		st = account.Evolve(st, de)
	}
	if len(st.Tags) != 1 || !slices.Contains(st.Tags, "partner-of-beta-tools") {
		t.Fatalf("A is tagged %v, want only the tag decided on B's fresh name", st.Tags)
	}
	if evs := mustLoad(t, store, account.StreamID(b)); len(evs) != 2 || evs[1].Type != "account.renamed" {
		t.Fatalf("B has %d events; the command wrote to a stream it only read", len(evs))
	}
}

// TestActingPartnerExpiredBeforeTheAppendIsRefused: a partner contact
// cancels an order; the command reads the partner (program status, the
// contact's access) but writes only the order. Staff expire the partner
// between that read and the append: the append conflicts on the partner's
// stream, and the command decided again on the expired partner is refused.
// The order is not cancelled.
func TestActingPartnerExpiredBeforeTheAppendIsRefused(t *testing.T) {
	t.Parallel()
	store, ids, customer := setup(t)
	ctx := context.Background()
	staff := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	svc := command.New(store, ids, command.Config{})
	p, err := svc.RegisterPartner(ctx, staff, command.RegisterPartnerInput{Name: "Reseller GmbH",
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.AddPartnerContact(ctx, staff, p.ID, command.AddContactInput{Name: "Rita", Email: "rita@reseller.example",
		Roles: []string{domain.ContactOrgAdmin}, Access: domain.AccessUnrestricted})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := svc.SubmitOrder(ctx, staff, command.SubmitOrderInput{PONumber: "PO-1", PODate: "2024-06-01", OrderType: order.TypeNew,
		Catalog: order.CatalogSoftware, CustomerAccountID: customer, PartnerID: p.ID,
		Lines: []order.Line{{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 5, UnitPriceMinor: 1000, Currency: "EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &racer{Store: store, races: 1, race: func(ctx context.Context, _ int32) error {
		_, err := command.New(store, ids, command.Config{}).ChangePartnerStatus(ctx, staff, p.ID,
			command.ChangePartnerStatusInput{Status: domain.PartnerExpired, Reason: "contract ended"})
		return err
	}}
	rita := command.Meta{Principal: auth.PartnerContact(p.ID, c.ID)}
	_, err = command.New(r, ids, command.Config{}).CancelOrder(ctx, rita, sub.ID, command.CancelOrderInput{Reason: "customer withdrew"})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("want the expired partner refused, got %v", err)
	}
	if r.appended.Load() != 1 || r.assertions.Load() != 1 {
		t.Fatalf("%d appends with %d assertions, want the one that conflicted on the partner", r.appended.Load(), r.assertions.Load())
	}
	if evs := mustLoad(t, store, order.StreamID(sub.ID)); len(evs) != 1 {
		t.Fatalf("the order has %d events, want order.submitted only", len(evs))
	}
}

func mustLoad(t *testing.T, store *eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	evs, err := store.Load(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
