package command_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

var accountAgg = command.Aggregate[account.State]{Evolve: account.Evolve}

// TestRunAppendsSeveralStreamsAtomicallyAndRetriesOnAnyConflict tags two
// accounts in one command; on the first attempt another writer moves the
// second account in between, so the whole command is decided again and
// both streams get exactly one tag event.
func TestRunAppendsSeveralStreamsAtomicallyAndRetriesOnAnyConflict(t *testing.T) {
	t.Parallel()
	store, ids, a := setup(t)
	ctx := context.Background()
	admin := auth.Staff("ada", domain.RoleAdmin)
	svc := command.New(store, ids, command.Config{})
	b, err := svc.RegisterAccount(ctx, command.Meta{Principal: admin}, command.RegisterAccountInput{
		Name: "Beta GmbH", PrimaryDomain: "acme.example", Address: account.Address{Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
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
		if err := tag(u, b.ID); err != nil {
			return err
		}
		if attempts == 1 {
			// Another writer renames B after this attempt read it.
			if _, err := svc.RenameCompany(ctx, command.Meta{Principal: admin}, b.ID, rename("Beta GmbH", "Beta Tools GmbH")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || attempts != 2 || len(res.Events) != 2 || res.Version != 2 {
		t.Fatalf("run: %+v, %v after %d attempts", res, err, attempts)
	}
	for _, id := range []string{a, b.ID} {
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
		if err := tag(u, b.ID); err != nil {
			return err
		}
		return tag(u, a) // already tagged: refused
	})
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("want a rule violation, got %v", err)
	}
	evs, _ := store.Load(ctx, account.StreamID(b.ID))
	if len(evs) != 3 {
		t.Fatalf("B has %d events after a refused command, want 3", len(evs))
	}
}
