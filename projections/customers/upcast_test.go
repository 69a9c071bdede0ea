package customers_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// TestRebuildReadsVersion1ThroughItsUpcaster: account.address_changed
// events stored at schema version 1 (written before version 2 and its
// upcaster existed) and at version 2 are both projected: a rebuild shows
// each account where its last move took it, whichever version recorded
// the move.
func TestRebuildReadsVersion1ThroughItsUpcaster(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	old, recent := "710001HQ", "710002HQ"
	e.register(registered(old, "Old Move GmbH"), registered(recent, "Recent Move GmbH"))
	e.on("account-"+old, account.AddressChangedV1{AccountID: old,
		Address: account.Address{Country: "JP", State: "Tokyo", City: "Shibuya"}, Region: "APAC",
		OldAddress: account.Address{Country: "DE", State: "BE", City: "Berlin"}, OldRegion: "EMEA"})
	e.on("account-"+recent, account.AddressChanged{AccountID: recent,
		From: account.Location{Address: account.Address{Country: "DE", State: "BE", City: "Berlin"}, Region: "EMEA"},
		To:   account.Location{Address: account.Address{Country: "US", State: "TX", City: "Austin"}, Region: "AMER"}})
	for _, ev := range e.All() {
		if ev.Type == "account.address_changed" && ev.StreamID == "account-"+old && ev.SchemaVersion != 1 {
			t.Fatalf("the old move is stored at v%d, want v1", ev.SchemaVersion)
		}
	}
	e.build()

	got := map[string][4]string{}
	for _, c := range e.listAll(staff, customers.Filter{}) {
		got[c.AccountID] = [4]string{c.Country, c.State, c.City, c.Region}
	}
	want := map[string][4]string{old: {"JP", "Tokyo", "Shibuya", "APAC"}, recent: {"US", "TX", "Austin", "AMER"}}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %v, want %v", id, got[id], w)
		}
	}
}
