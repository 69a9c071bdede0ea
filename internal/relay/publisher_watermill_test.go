package relay

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
)

// TestWatermillRoundTrip checks that a message carried through watermill
// (toWatermill, then headerMarshaler as watermill-nats' publisher calls it)
// reaches NATS with the subject, headers and body broker.Topology.Message
// gave it, and nothing more.
func TestWatermillRoundTrip(t *testing.T) {
	top := broker.Default()
	e := eventstore.Event{
		ID: uuid.Must(uuid.NewV7()), StreamID: "account-000001HQ", StreamVersion: 3, Position: 42 << 20,
		Category: "account", Type: "account.registered", SchemaVersion: 1, Data: json.RawMessage(`{}`),
		OccurredAt: time.Now().UTC(), RecordedAt: time.Now().UTC(),
		Metadata: eventstore.Metadata{Actor: "staff:test", CorrelationID: "corr-1"},
	}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := top.Message(e, 41<<20, body)
	wm, err := toWatermill(want)
	if err != nil {
		t.Fatal(err)
	}
	if wm.UUID != e.ID.String() {
		t.Errorf("watermill UUID %s, want the event ID %s", wm.UUID, e.ID)
	}
	got, err := headerMarshaler{}.Marshal(want.Subject, wm)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != want.Subject || string(got.Data) != string(want.Data) || !reflect.DeepEqual(got.Header, want.Header) {
		t.Errorf("round trip\n got %s %v %s\nwant %s %v %s", got.Subject, got.Header, got.Data, want.Subject, want.Header, want.Data)
	}

	multi := nats.NewMsg("a")
	multi.Header.Add("X", "1")
	multi.Header.Add("X", "2")
	if _, err := toWatermill(multi); err == nil {
		t.Error("toWatermill accepted a header with two values")
	}
	delete(wm.Metadata, nats.MsgIdHdr)
	if _, err := (headerMarshaler{}).Marshal("a", wm); err == nil {
		t.Error("headerMarshaler accepted a message without Nats-Msg-Id")
	}
}
