package relay

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestRelayPublishesTheStoredVersion: an event stored at an older schema
// version (account.address_changed v1, which the domain reads as v2
// through an upcaster) is published as it was written, never upcast: the
// schema version header and the envelope say 1 and the data has version
// 1's members; the v2 event next to it says 2.
func TestRelayPublishesTheStoredVersion(t *testing.T) {
	store, pool := newStore(t, pgtest.Pool(t, 4))
	srv := natstest.Start(t)
	top := randomTopology()
	r := newRelay(t, pool, store, connect(t, srv.URL()), testConfig(t, top, PublisherJetStream))
	run(t, r)

	v1 := `{"account_id":"720001HQ","address":{"country":"AT"},"region":"EMEA","old_address":{"country":"DE"},"old_region":"EMEA"}`
	v2 := `{"account_id":"720001HQ","from":{"address":{"country":"AT"},"region":"EMEA"},"to":{"address":{"country":"JP"},"region":"APAC"}}`
	ev := func(version int, data string) eventstore.NewEvent {
		return eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "account.address_changed", SchemaVersion: version,
			Data: json.RawMessage(data), OccurredAt: time.Now()}
	}
	if _, err := store.Append(context.Background(), []eventstore.StreamAppend{{StreamID: "account-720001HQ",
		Events: []eventstore.NewEvent{ev(1, v1), ev(2, v2)}}}, eventstore.Metadata{Actor: "staff:test"}); err != nil {
		t.Fatal(err)
	}
	r.Nudge()
	events := allEvents(t, store)
	waitCheckpoint(t, r, events[len(events)-1].Position)
	verifyStream(t, connect(t, srv.URL()), top, events, true)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.New(connect(t, srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, top.Stream)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		version string
		member  string // a member only that version's data has
	}{{"1", "old_address"}, {"2", "from"}} {
		m, err := st.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(broker.HeaderSchemaVersion); got != want.version {
			t.Errorf("message %d: %s %q, want %q", i+1, broker.HeaderSchemaVersion, got, want.version)
		}
		var body struct {
			SchemaVersion json.Number                `json:"schema_version"`
			Data          map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(m.Data, &body); err != nil {
			t.Fatal(err)
		}
		if body.SchemaVersion.String() != want.version || body.Data[want.member] == nil {
			t.Errorf("message %d: body at v%s with data %v, want v%s with %s", i+1, body.SchemaVersion, body.Data, want.version, want.member)
		}
	}
}
