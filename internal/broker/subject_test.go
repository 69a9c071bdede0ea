package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/eventstore"
)

func TestSubjectAndHeaders(t *testing.T) {
	id := uuid.MustParse("01a20257-2b51-7eda-922e-0c12c0f9a57e")
	e := eventstore.Event{ID: id, StreamID: "account-123456HQ", StreamVersion: 3, Position: 4096, Category: "account",
		Type: "account.contact.added", SchemaVersion: 2, RecordedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
		Metadata: eventstore.Metadata{CorrelationID: "corr-1"}}
	top := Default()
	if got, want := top.Subject(e), "channeldesk.events.account.contact_added.account-123456HQ"; got != want {
		t.Fatalf("subject %q, want %q", got, want)
	}
	m := top.Message(e, 2048, []byte(`{}`))
	want := map[string]string{
		"Nats-Msg-Id": id.String(), HeaderEventType: "account.contact.added", HeaderSchemaVersion: "2",
		HeaderPosition: "4096", HeaderPrevPosition: "2048", HeaderStreamID: "account-123456HQ",
		HeaderStreamVersion: "3", HeaderCorrelationID: "corr-1", HeaderRecordedAt: "2026-11-22T08:00:00Z",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	pos, prev, err := Positions(m.Header)
	if err != nil || pos != 4096 || prev != 2048 {
		t.Fatalf("Positions = %d %d %v", pos, prev, err)
	}
	m.Header.Del(HeaderPrevPosition)
	if _, _, err := Positions(m.Header); err == nil {
		t.Fatal("missing prev position accepted")
	}
}

func TestTopologyValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Topology{
		{Stream: "", Prefix: "a"}, {Stream: "A.B", Prefix: "a"}, {Stream: "A", Prefix: ""},
		{Stream: "A", Prefix: "a.*"}, {Stream: "A", Prefix: "a..b"}, {Stream: "A", Prefix: "a >"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func BenchmarkMessage(b *testing.B) {
	at := time.Now().UTC()
	e := eventstore.Event{ID: uuid.Must(uuid.NewV7()), StreamID: "account-123456HQ", StreamVersion: 3,
		Position: 9528612487169, Category: "account", Type: "account.renamed", SchemaVersion: 1, RecordedAt: at,
		Metadata: eventstore.Metadata{Actor: "staff:bench", CorrelationID: uuid.Must(uuid.NewV7()).String()}}
	top := Default()
	body := []byte(`{}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = top.Message(e, 9528612487168, body)
	}
}
