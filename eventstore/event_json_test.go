package eventstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/eventstore"
)

// checkAppendJSON fails unless AppendJSON and json.Marshal agree on e: the
// same bytes, or both an error.
func checkAppendJSON(t *testing.T, name string, e eventstore.Event) {
	t.Helper()
	want, werr := json.Marshal(e)
	got, gerr := e.AppendJSON([]byte("prefix"))
	if (werr != nil) != (gerr != nil) {
		t.Errorf("%s: json.Marshal error %v, AppendJSON error %v", name, werr, gerr)
		return
	}
	if werr != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Errorf("%s: AppendJSON did not append: %s", name, got)
		return
	}
	if got = got[len("prefix"):]; !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func TestAppendJSONEqualsMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 9, 14, 3, 123456000, time.UTC)
	base := eventstore.Event{
		ID: uuid.MustParse("0195c1a2-7b3c-7def-8a9b-0123456789ab"), StreamID: "account-123456HQ",
		StreamVersion: 3, Position: 9528612487169, Category: "account", Type: "account.renamed",
		SchemaVersion: 1, Data: json.RawMessage(`{"n": 1}`), OccurredAt: at, RecordedAt: at.Add(time.Millisecond),
		Metadata: eventstore.Metadata{Actor: "staff:bench", OnBehalfOf: "customer:42", CorrelationID: "corr",
			CausationID: "cause", CommandID: "cmd", ClientIP: "10.20.30.40", Operation: "RenameCompany", Resource: "account/123456HQ", UserAgent: "curl/8.5"},
	}
	with := func(f func(e *eventstore.Event)) eventstore.Event {
		e := base
		f(&e)
		return e
	}
	cases := []struct {
		name string
		e    eventstore.Event
	}{
		{"full envelope", base},
		{"zero event", eventstore.Event{}},
		{"empty optional metadata", with(func(e *eventstore.Event) { e.Metadata = eventstore.Metadata{Actor: "staff:x"} })},
		{"some optional metadata", with(func(e *eventstore.Event) { e.OnBehalfOf, e.CommandID = "", "" })},
		{"empty actor", with(func(e *eventstore.Event) { e.Actor = "" })},
		{"nil data", with(func(e *eventstore.Event) { e.Data = nil })},
		{"empty data", with(func(e *eventstore.Event) { e.Data = json.RawMessage{} })},
		{"negative and large numbers", with(func(e *eventstore.Event) {
			e.StreamVersion, e.Position, e.SchemaVersion = -1, 1<<62+12345, -7
		})},
		{"unicode", with(func(e *eventstore.Event) {
			e.Actor, e.OnBehalfOf, e.ClientIP = "staff:Müller Søndergaard", "customer:日本語", "😀 ok"
		})},
		{"escapes", with(func(e *eventstore.Event) {
			e.Actor = "q\"b\\s/\b\f\n\r\t\x00\x01\x1f\x7f end"
			e.CorrelationID = "<script>&amp;</script>"
			e.CausationID = "line\u2028para\u2029"
		})},
		{"invalid UTF-8", with(func(e *eventstore.Event) { e.CommandID, e.ClientIP = "a\xffb\xc3", "\xe2\x80" })},
		{"data as PostgreSQL prints jsonb", with(func(e *eventstore.Event) {
			e.Data = json.RawMessage(`{"a": [1, 2.50, -3e+21, true, false, null], "b": {"c": "x y", "d": {}}, "e": []}`)
		})},
		{"data with escapes", with(func(e *eventstore.Event) {
			e.Data = json.RawMessage(`{"s": "q\" \\ \/ \b\f\n\r\t \u0000 \u001f \"}{ ", "k\"ey": "v"}`)
		})},
		{"data with HTML and separators", with(func(e *eventstore.Event) {
			e.Data = json.RawMessage("{\"ref\": \"<a@b.example> & co\", \"sep\": \"x\u2028y\u2029z\", \"u\": \"Müller 日本 😀\"}")
		})},
		{"data with white space everywhere", with(func(e *eventstore.Event) {
			e.Data = json.RawMessage(" \t\n{ \"a\" :\r\n[ 1 ,\t2 ] , \"b\" : \" keep  this \" }\n ")
		})},
		{"data scalar", with(func(e *eventstore.Event) { e.Data = json.RawMessage(`"just a string"`) })},
		{"data null", with(func(e *eventstore.Event) { e.Data = json.RawMessage(`null`) })},
		{"time without fraction", with(func(e *eventstore.Event) { e.OccurredAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })},
		{"time with nanoseconds", with(func(e *eventstore.Event) { e.OccurredAt = at.Add(789) })},
		{"time with an offset", with(func(e *eventstore.Event) {
			e.RecordedAt = at.In(time.FixedZone("CET", 3600))
		})},
		{"zero times", with(func(e *eventstore.Event) { e.OccurredAt, e.RecordedAt = time.Time{}, time.Time{} })},
		{"year 10000", with(func(e *eventstore.Event) { e.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"negative year", with(func(e *eventstore.Event) { e.RecordedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) })},
	}
	for _, c := range cases {
		checkAppendJSON(t, c.name, c.e)
	}
}

// TestAppendJSONCoversEveryField fills every field of Event by reflection,
// so that a field added to the envelope and not to AppendJSON fails here.
func TestAppendJSONCoversEveryField(t *testing.T) {
	t.Parallel()
	var e eventstore.Event
	var fill func(v reflect.Value, path string)
	fill = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			switch v.Addr().Interface().(type) {
			case *time.Time:
				v.Set(reflect.ValueOf(time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)))
				return
			}
			for i := 0; i < v.NumField(); i++ {
				fill(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.String:
			v.SetString("value of " + path)
		case reflect.Int, reflect.Int64:
			v.SetInt(int64(len(path)))
		case reflect.Array: // uuid.UUID
			for i := 0; i < v.Len(); i++ {
				v.Index(i).SetUint(uint64(i + len(path)))
			}
		case reflect.Slice: // json.RawMessage
			v.SetBytes([]byte(`{"field": "` + path + `"}`))
		default:
			t.Fatalf("field %s of kind %s: teach this test (and AppendJSON) about it", path, v.Kind())
		}
	}
	fill(reflect.ValueOf(&e).Elem(), "Event")
	checkAppendJSON(t, "every field set", e)
}

// TestAppendJSONOfStoredEvents appends events with awkward payloads and
// checks the encoding of what the store returns, whose data is PostgreSQL's
// jsonb output.
func TestAppendJSONOfStoredEvents(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 2)
	ctx := context.Background()
	payloads := []string{
		`{}`, `[]`, `"s"`, `12.50`, `null`,
		`{"b":2,"a":1,"nested":{"list":[1,"two",{"three":3.0}],"empty":{}}}`,
		"{\"html\":\"<a@b.example> & co\",\"sep\":\"x\u2028y\u2029z\",\"u\":\"Müller 日本 😀\"}",
		`{"esc":"q\" \\ \/ \b\f\n\r\t \u0001 \u001f \u00e9","k\"ey":"v"}`,
		`{"big":12345678901234567890123,"exp":1e-7,"neg":-0.0}`,
	}
	var streams []eventstore.StreamAppend
	for i, p := range payloads {
		streams = append(streams, eventstore.StreamAppend{StreamID: "account-J" + string(rune('A'+i)), Events: []eventstore.NewEvent{{
			ID: uuid.Must(uuid.NewV7()), Type: "account.tagged", SchemaVersion: 1, Data: json.RawMessage(p), OccurredAt: time.Now()}}})
	}
	if _, err := s.Append(ctx, streams, eventstore.Metadata{Actor: "staff:<json>", CorrelationID: "c&d"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ReadRange(ctx, 0, math.MaxInt64, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(payloads) {
		t.Fatalf("read %d events, want %d", len(evs), len(payloads))
	}
	for _, e := range evs {
		checkAppendJSON(t, string(e.Data), e)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("account-1", "staff:x", "", `{"a": 1}`, int64(1))
	f.Add("a\"<b>", "\u2028\xff", "日本", `{"s": "<&>\u2028", "l": [1, 2]}`, int64(-5))
	f.Add("", "", "\x00\x1f", `"\u0000"`, int64(0))
	f.Fuzz(func(t *testing.T, stream, actor, corr, data string, n int64) {
		if !json.Valid([]byte(data)) {
			t.Skip()
		}
		e := eventstore.Event{StreamID: stream, Position: eventstore.Position(n), Data: json.RawMessage(data),
			OccurredAt: time.Unix(n%1e10, n%1e9).UTC(), Metadata: eventstore.Metadata{Actor: actor, CorrelationID: corr}}
		checkAppendJSON(t, "fuzz", e)
	})
}

// BenchmarkEnvelopeJSON compares AppendJSON with json.Marshal on an event
// of the size the relay publishes (a 500-byte payload as PostgreSQL
// returns it, full metadata).
func BenchmarkEnvelopeJSON(b *testing.B) {
	// PostgreSQL prints jsonb with a space after ':' and ','.
	pg := bytes.ReplaceAll(bytes.ReplaceAll(renamePayload(1), []byte(`":"`), []byte(`": "`)), []byte(`","`), []byte(`", "`))
	at := time.Now().UTC()
	e := eventstore.Event{ID: uuid.Must(uuid.NewV7()), StreamID: "account-000001HQ", StreamVersion: 2,
		Position: 9528612487169, Category: "account", Type: "account.renamed", SchemaVersion: 1,
		Data: pg, OccurredAt: at, RecordedAt: at, Metadata: benchMetadata()}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.AppendJSON(make([]byte, 0, 1024)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
