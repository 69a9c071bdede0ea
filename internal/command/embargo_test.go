package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/screening"
)

func screener(t *testing.T) *screening.List {
	t.Helper()
	l, err := screening.Parse(strings.NewReader("Zenith Trading GmbH,organisation,T-1\nIvan Petrov,person,T-2\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func types(r command.Result) []string {
	var ts []string
	for _, e := range r.Events {
		ts = append(ts, e.Type)
	}
	return ts
}

func TestScreeningPlacesHoldsInTheSameAppend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, ids, acme := setup(t)
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	svc := command.New(store, ids, command.Config{Screener: screener(t)})

	// Without a screener nothing is screened.
	plain := command.New(store, ids, command.Config{})
	in := command.RegisterAccountInput{Name: "Zenith Trading Ltd", PrimaryDomain: "zenith.example", Address: account.Address{Country: "DE"}}
	res, err := plain.RegisterAccount(ctx, admin, in)
	if err != nil || strings.Join(types(res), ",") != "account.registered" {
		t.Fatalf("unscreened: %v %v", types(res), err)
	}

	res, err = svc.RegisterAccount(ctx, admin, in)
	if err != nil || strings.Join(types(res), ",") != "account.registered,account.embargo_hold_placed" || res.Version != 2 {
		t.Fatalf("screened: %+v %v", res, err)
	}
	held := res.ID
	evs, err := store.Load(ctx, account.StreamID(held))
	if err != nil || len(evs) != 2 || evs[0].Position+1 != evs[1].Position || evs[0].CommandID != evs[1].CommandID {
		t.Fatalf("the hold is not in the registration's append: %+v %v", evs, err)
	}
	if !strings.Contains(string(evs[1].Data), `"matched_entry": "T-1: Zenith Trading GmbH"`) {
		t.Fatalf("hold: %s", evs[1].Data)
	}

	// HoldOn: the account's contacts are held, staff and others are not.
	for _, tc := range []struct {
		name string
		p    domain.Principal
		want string
	}{
		{"a contact of the held account", auth.CustomerContact(held, "C-000001"), account.StreamID(held) + "@2"},
		{"a contact of another account", auth.CustomerContact(acme, "C-000001"), ""},
		{"staff", auth.Staff("ada", domain.RoleAdmin), ""},
		{"a partner contact of a partner that does not exist", auth.PartnerContact("999999ZZ", "C-000001"), ""},
		{"a customer principal with a malformed account ID", domain.Principal{ID: "customer:x", Kind: domain.KindCustomer, AccountID: "x"}, ""},
	} {
		h, ok, err := svc.HoldOn(ctx, tc.p)
		if err != nil || ok != (tc.want != "") || h.ID != tc.want {
			t.Errorf("%s: HoldOn = %+v, %v, %v; want %q", tc.name, h, ok, err, tc.want)
		}
	}

	// A rename that conflicts with a concurrent one (which changes only the
	// legal form) is decided again, hold and all: one rename, one hold.
	rs := &racingStore{Store: store, races: 1, from: "Acme Widgets GmbH", to: "Acme Widgets AG"}
	racing := command.New(rs, ids, command.Config{Screener: screener(t)})
	res, err = racing.RenameCompany(ctx, admin, acme, rename("Acme Widgets GmbH", "Zenith Trading, GmbH"))
	if err != nil || strings.Join(types(res), ",") != "account.renamed,account.embargo_hold_placed" || res.Version != 4 || rs.appended.Load() != 2 {
		t.Fatalf("rename after a conflict: %+v %v", res, err)
	}
	h, ok, err := svc.HoldOn(ctx, auth.CustomerContact(acme, "C-000001"))
	if err != nil || !ok || h.Party != account.HoldAccount || h.MatchedEntry != "T-1: Zenith Trading GmbH" {
		t.Fatalf("HoldOn after the rename: %+v %v %v", h, ok, err)
	}
}

// TestHoldPlacedByAnotherInstanceStopsTheNextCommand: instance A admits a
// command from its state cache, which may not know of a hold that instance
// B placed a moment ago; the command itself still refuses the held
// contact (its append checks the account's version, conflicts, and the
// attempt after finds the hold in the store) and records nothing. Once
// compliance clears the hold on B, A accepts the contact again although
// its cache last saw the account held.
func TestHoldPlacedByAnotherInstanceStopsTheNextCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, ids, acme := setup(t)
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	a := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	b := command.New(store, ids, command.Config{Screener: screener(t)})
	c, err := b.AddContact(ctx, admin, acme, command.AddContactInput{Name: "Ada Admin", Email: "ada@acme.example",
		Roles: []string{domain.ContactOrgAdmin}, Access: domain.AccessUnrestricted})
	if err != nil {
		t.Fatal(err)
	}
	contact := command.Meta{Principal: auth.CustomerContact(acme, c.ID)}
	move := func(city string) (command.Result, error) {
		return a.ChangeAddress(ctx, contact, acme, command.ChangeAddressInput{Address: account.Address{Country: "DE", City: city}})
	}
	if _, err := move("Bonn"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RenameCompany(ctx, admin, acme, rename("Acme Widgets GmbH", "Zenith Trading GmbH")); err != nil {
		t.Fatal(err)
	}
	if _, held, err := a.AdmitCommand(ctx, contact.Principal); held || err != nil {
		t.Fatalf("A's cache knew of B's hold (held %v, %v): the case this test is about did not arise", held, err)
	}
	evs, _ := store.Load(ctx, account.StreamID(acme))
	var he *command.HoldError
	if _, err := move("Köln"); !errors.As(err, &he) || he.Hold.Party != account.HoldAccount {
		t.Fatalf("a held contact's command on A: %v, want a HoldError on the account", err)
	}
	if after, _ := store.Load(ctx, account.StreamID(acme)); len(after) != len(evs) {
		t.Fatalf("the refused command recorded %d events", len(after)-len(evs))
	}
	if _, err := b.ClearEmbargoHold(ctx, command.Meta{Principal: auth.Staff("cleo", domain.RoleCompliance)}, acme,
		command.ClearEmbargoHoldInput{Party: account.HoldAccount, Note: "not the listed party"}); err != nil {
		t.Fatal(err)
	}
	if _, err := move("Köln"); err != nil {
		t.Fatalf("after the hold was cleared on B: %v", err)
	}
}
