package eventschema_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

// asyncDoc generates the document for top and parses it.
func asyncDoc(t *testing.T, top broker.Topology) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(eventschema.AsyncAPI(top, catalog.Entries()), &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return doc
}

// resolve follows a local $ref ("#/a/b") in doc.
func resolve(t *testing.T, doc map[string]any, ref string) any {
	t.Helper()
	if !strings.HasPrefix(ref, "#/") {
		t.Fatalf("$ref %q is not local", ref)
	}
	var at any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := at.(map[string]any)
		if !ok || m[part] == nil {
			t.Fatalf("$ref %q does not resolve (at %q)", ref, part)
		}
		at = m[part]
	}
	return at
}

// refs collects every $ref in v.
func refs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				*out = append(*out, s)
			}
			refs(x, out)
		}
	case []any:
		for _, x := range v {
			refs(x, out)
		}
	}
}

// jsonOf is v as generic JSON.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAsyncAPIStructure: the document is AsyncAPI 3.0.0 with the required
// members; every $ref resolves; every catalog type has a channel whose
// address is the relay's subject, and a receive operation; every type and
// version has a message in its channel and operation whose payload's data
// is that version's schema, the schema committed in docs/schemas, and
// whose headers pin the type and version.
func TestAsyncAPIStructure(t *testing.T) {
	top := broker.Topology{Stream: "TEST_STREAM", Prefix: "test.events"}
	doc := asyncDoc(t, top)
	if doc["asyncapi"] != "3.0.0" {
		t.Fatalf("asyncapi = %v", doc["asyncapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version: %v", info)
	}
	var all []string
	refs(doc, &all)
	for _, r := range all {
		resolve(t, doc, r)
	}
	channels := doc["channels"].(map[string]any)
	operations := doc["operations"].(map[string]any)
	messages := doc["components"].(map[string]any)["messages"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	entries := catalog.Entries()
	types := map[string]bool{}
	for _, e := range entries {
		types[e.Type] = true
		name := eventschema.Name(e.Type, e.Version)
		ch, ok := channels[eventschema.ChannelID(e.Type)].(map[string]any)
		if !ok {
			t.Errorf("%s: no channel", e.Type)
			continue
		}
		subject := top.Subject(eventstore.Event{Category: e.Category, Type: e.Type, StreamID: "{stream_id}"})
		if ch["address"] != subject {
			t.Errorf("%s: address %v, want the relay's subject %s", e.Type, ch["address"], subject)
		}
		if _, ok := ch["parameters"].(map[string]any)["stream_id"]; !ok {
			t.Errorf("%s: no stream_id parameter", e.Type)
		}
		if ref := ch["messages"].(map[string]any)[name].(map[string]any)["$ref"]; ref != "#/components/messages/"+name {
			t.Errorf("%s: channel message %v", name, ref)
		}
		op, ok := operations["receive."+e.Type].(map[string]any)
		if !ok || op["action"] != "receive" || op["channel"].(map[string]any)["$ref"] != "#/channels/"+eventschema.ChannelID(e.Type) {
			t.Errorf("%s: operation %v", e.Type, op)
		} else {
			var opRefs []string
			refs(op["messages"], &opRefs)
			if !slices.Contains(opRefs, "#/channels/"+eventschema.ChannelID(e.Type)+"/messages/"+name) {
				t.Errorf("%s: the operation does not receive %s", e.Type, name)
			}
		}
		msg, ok := messages[name].(map[string]any)
		if !ok {
			t.Errorf("%s: no message", name)
			continue
		}
		payload := msg["payload"].(map[string]any)
		props := payload["properties"].(map[string]any)
		dataRef, _ := props["data"].(map[string]any)["$ref"].(string)
		if dataRef != "#/components/schemas/"+name {
			t.Errorf("%s: payload data is %v, want its schema", name, props["data"])
		}
		want := eventschema.For(e)
		want.Dialect = ""
		if !reflect.DeepEqual(schemas[name], jsonOf(t, want)) {
			t.Errorf("%s: the document's schema is not the generated one", name)
		}
		if props["type"].(map[string]any)["const"] != e.Type || props["schema_version"].(map[string]any)["const"] != float64(e.Version) {
			t.Errorf("%s: envelope type/version %v %v", name, props["type"], props["schema_version"])
		}
		hp := msg["headers"].(map[string]any)["properties"].(map[string]any)
		if hp[broker.HeaderEventType].(map[string]any)["const"] != e.Type ||
			hp[broker.HeaderSchemaVersion].(map[string]any)["const"] != strconv.Itoa(e.Version) {
			t.Errorf("%s: headers do not pin the type and version: %v", name, hp)
		}
	}
	if len(channels) != len(types) || len(operations) != len(types) || len(messages) != len(entries) || len(schemas) != len(entries) {
		t.Errorf("%d channels, %d operations for %d types; %d messages, %d schemas for %d versions",
			len(channels), len(operations), len(types), len(messages), len(schemas), len(entries))
	}
}

// TestAsyncAPIDescribesTheRelaysMessages: the message the relay builds
// for a recorded event (broker.Topology.Message) has exactly the documented
// headers, the always-set ones whatever the event, and its body has
// exactly the envelope's documented members: the document describes what
// goes on the wire, not what someone wrote down.
func TestAsyncAPIDescribesTheRelaysMessages(t *testing.T) {
	top := broker.Default()
	doc := asyncDoc(t, top)
	e := catalog.Entries()[0]
	msg := doc["components"].(map[string]any)["messages"].(map[string]any)[eventschema.Name(e.Type, e.Version)].(map[string]any)
	headers := msg["headers"].(map[string]any)
	envelope := msg["payload"].(map[string]any)

	full := eventstore.Event{ID: uuid.Must(uuid.NewV7()), StreamID: "account-123456HQ", StreamVersion: 3, Position: 42,
		Category: e.Category, Type: e.Type, SchemaVersion: e.Version, Data: json.RawMessage(`{}`),
		OccurredAt: time.Now(), RecordedAt: time.Now(),
		Metadata: eventstore.Metadata{Actor: "staff:ada", OnBehalfOf: "x", CorrelationID: "c", CausationID: "c", CommandID: "k",
			ClientIP: "127.0.0.1", Operation: "RegisterAccount", Resource: "account/123456HQ", UserAgent: "ua"}}
	minimal := full
	minimal.Metadata = eventstore.Metadata{Actor: "system"}

	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	strs := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name string
		ev   eventstore.Event
		// which: the documented members the message must carry.
		headers, members []string
	}{
		{"every member", full, keys(headers["properties"].(map[string]any)), keys(envelope["properties"].(map[string]any))},
		{"only what is always there", minimal, strs(headers["required"]), strs(envelope["required"])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := tc.ev.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			m := top.Message(tc.ev, 41, body)
			var got []string
			for k := range m.Header {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.headers) {
				t.Errorf("headers %v, documented %v", got, tc.headers)
			}
			if want := top.Subject(tc.ev); m.Subject != want {
				t.Errorf("subject %s, want %s", m.Subject, want)
			}
			var members map[string]any
			if err := json.Unmarshal(m.Data, &members); err != nil {
				t.Fatal(err)
			}
			if got := keys(members); !slices.Equal(got, tc.members) {
				t.Errorf("body members %v, documented %v", got, tc.members)
			}
		})
	}
}
