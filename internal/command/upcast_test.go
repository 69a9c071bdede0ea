package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// movedV1 is an account.address_changed payload as written at schema
// version 1, before version 2 and its upcaster existed: the account moved
// from Germany to Vienna.
const movedV1 = `{"account_id":%q,"address":{"country":"AT","state":"Wien","city":"Wien"},"region":"EMEA",` +
	`"old_address":{"country":"DE"},"old_region":"EMEA"}`

// appendV1Move appends movedV1 to the account's stream raw, at schema
// version 1, as an old release wrote it.
func appendV1Move(t *testing.T, store *eventstore.Store, id string) {
	t.Helper()
	ctx := context.Background()
	stream := "account-" + id
	cur, err := store.Load(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	data := json.RawMessage(fmt.Sprintf(movedV1, id)) // an account ID needs no escaping
	_, err = store.Append(ctx, []eventstore.StreamAppend{{StreamID: stream, ExpectedVersion: int64(len(cur)),
		Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "account.address_changed", SchemaVersion: 1, Data: data, OccurredAt: time.Now()}}}},
		eventstore.Metadata{Actor: "staff:old-release"})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVersion1EventIsDecidedOnAsVersion2: an account.address_changed
// event stored at version 1 is read through its upcaster when the command
// service loads the stream: the account is where the old event moved it
// (moving there again is refused as unchanged), and the next move is
// written at version 2 from there.
func TestVersion1EventIsDecidedOnAsVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, ids, id := setup(t)
	appendV1Move(t, store, id)
	// A fresh service: nothing cached from before the raw append.
	svc := command.New(store, ids, command.Config{})
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}

	_, err := svc.ChangeAddress(ctx, admin, id, command.ChangeAddressInput{Address: account.Address{Country: "AT", State: "Wien", City: "Wien"}})
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Rule != "account.address_unchanged" {
		t.Fatalf("moving to where the v1 event moved the account: %v, want account.address_unchanged", err)
	}

	if _, err := svc.ChangeAddress(ctx, admin, id, command.ChangeAddressInput{Address: account.Address{Country: "US", City: "Austin"}}); err != nil {
		t.Fatal(err)
	}
	evs, err := store.Load(ctx, "account-"+id)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != "account.address_changed" || last.SchemaVersion != 2 {
		t.Fatalf("the new move is %s v%d, want account.address_changed v2", last.Type, last.SchemaVersion)
	}
	var got account.AddressChanged
	if err := json.Unmarshal(last.Data, &got); err != nil {
		t.Fatal(err)
	}
	want := account.AddressChanged{AccountID: id,
		From: account.Location{Address: account.Address{Country: "AT", State: "Wien", City: "Wien"}, Region: "EMEA"},
		To:   account.Location{Address: account.Address{Country: "US", City: "Austin"}, Region: "AMER"}}
	if got != want {
		t.Errorf("the v2 event is %+v\nwant %+v", got, want)
	}
	// The old event is still stored as it was written.
	if v1 := evs[len(evs)-2]; v1.SchemaVersion != 1 {
		t.Errorf("the old event is now stored at v%d", v1.SchemaVersion)
	}
}
