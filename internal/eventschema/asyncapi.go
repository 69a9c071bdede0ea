package eventschema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
)

// AsyncAPIVersion is the version of the AsyncAPI specification the
// document follows.
const AsyncAPIVersion = "3.0.0"

// StreamIDParameter is the channel parameter standing for the stream ID,
// the last token of every subject.
const StreamIDParameter = "stream_id"

// Header is one NATS header of a published event, as documented.
type Header struct {
	Name        string
	Description string
	// Schema of the value (a header value is always a string).
	Schema *Schema
	// Always is false for a header only set when it has a value.
	Always bool
}

// Headers lists the headers broker.Topology.Message sets, by the constants
// it uses, in the order it sets them.
func Headers() []Header {
	digits := func(desc string) *Schema {
		return &Schema{Type: "string", Pattern: "^[0-9]+$", Description: desc}
	}
	return []Header{
		{broker.HeaderMsgID, "The event ID; JetStream drops a repeat inside its duplicate window.",
			&Schema{Type: "string", Format: "uuid"}, true},
		{broker.HeaderEventType, "The event type, e.g. account.renamed.", &Schema{Type: "string"}, true},
		{broker.HeaderSchemaVersion, "The schema version the event was written at (its data has that version's schema; " +
			"messages carry the version as stored, never upcast).", &Schema{Type: "string", Pattern: "^[1-9][0-9]*$"}, true},
		{broker.HeaderPosition, "", digits("The event's position in the global order."), true},
		{broker.HeaderPrevPosition, "", digits("The position of the event published just before it in the global order, " +
			"0 for the first: a consumer whose checkpoint differs missed events and reads them from the event store."), true},
		{broker.HeaderStreamID, "The stream the event belongs to, e.g. account-123456HQ.", &Schema{Type: "string"}, true},
		{broker.HeaderStreamVersion, "", digits("The event's version in its stream, from 1: orders the events of a stream."), true},
		{broker.HeaderCorrelationID, "The correlation ID of the request that recorded the event; absent when it had none.",
			&Schema{Type: "string"}, false},
		{broker.HeaderRecordedAt, "When the store recorded the event, RFC 3339 in UTC.", &Schema{Type: "string", Format: "date-time"}, true},
	}
}

// headersSchema is the schema of the headers of one message: every header,
// with the event type and version fixed to the message's.
func headersSchema(e catalog.Entry) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}}
	for _, h := range Headers() {
		hs := *h.Schema
		if hs.Description == "" {
			hs.Description = h.Description
		}
		switch h.Name {
		case broker.HeaderEventType:
			hs.Const = e.Type
		case broker.HeaderSchemaVersion:
			hs.Const, hs.Pattern = fmt.Sprint(e.Version), ""
		}
		s.Properties[h.Name] = &hs
		if h.Always {
			s.Required = append(s.Required, h.Name)
		}
	}
	return s
}

// envelopeSchema is the schema of a message body: the event's envelope
// (eventstore.Event as JSON), its type and version fixed, its data the
// payload schema of the version, by reference.
func envelopeSchema(e catalog.Entry) *Schema {
	s := FromShape(catalog.ShapeOfType(reflect.TypeFor[eventstore.Event]()))
	s.Description = fmt.Sprintf("The envelope of a recorded %s event at schema version %d.", e.Type, e.Version)
	s.Properties["type"] = &Schema{Type: "string", Const: e.Type}
	s.Properties["schema_version"] = &Schema{Type: "integer", Const: e.Version}
	s.Properties["category"] = &Schema{Type: "string", Const: e.Category}
	s.Properties["data"] = &Schema{Ref: SchemaRef(e)}
	return s
}

// SchemaRef is the reference to the payload schema of entry e inside the
// AsyncAPI document.
func SchemaRef(e catalog.Entry) string { return "#/components/schemas/" + Name(e.Type, e.Version) }

// ChannelID is the AsyncAPI channel of event type t: "account.renamed".
func ChannelID(t string) string { return t }

// Address is the subject pattern of the channel of event type t in
// category: the relay's subject with {stream_id} for the stream ID.
func Address(top broker.Topology, category, t string) string {
	return top.Subject(eventstore.Event{Category: category, Type: t, StreamID: "{" + StreamIDParameter + "}"})
}

// AsyncAPI returns the AsyncAPI 3.0 document of the events the relay
// publishes under topology top, generated from entries: a channel per
// event type (its subject pattern, every version's message), a receive
// operation per channel, and per type and version a message with its
// headers and its envelope, whose data is the version's payload schema
// (components/schemas, the same schema as docs/schemas). It is a JSON
// document with its members in a fixed order.
func AsyncAPI(top broker.Topology, entries []catalog.Entry) []byte {
	channels := map[string]any{}
	operations := map[string]any{}
	messages := map[string]any{}
	schemas := map[string]any{}
	var order []string
	byType := map[string][]catalog.Entry{}
	for _, e := range entries {
		if _, seen := byType[e.Type]; !seen {
			order = append(order, e.Type)
		}
		byType[e.Type] = append(byType[e.Type], e)
	}
	for _, t := range order {
		versions := byType[t]
		cid := ChannelID(t)
		chMsgs := map[string]any{}
		var opMsgs []any
		for _, e := range versions {
			name := Name(e.Type, e.Version)
			s := For(e)
			s.Dialect = "" // the document's schema format says it
			schemas[name] = s
			emitted := "no longer written: stored events of this version are still published as they were written"
			if len(e.EmittedBy) > 0 {
				emitted = "written by " + strings.Join(e.EmittedBy, ", ")
			}
			messages[name] = map[string]any{
				"name":        name,
				"title":       fmt.Sprintf("%s v%d", e.Type, e.Version),
				"summary":     fmt.Sprintf("%s at schema version %d (%s).", e.Type, e.Version, emitted),
				"contentType": "application/json",
				"headers":     headersSchema(e),
				"payload":     envelopeSchema(e),
			}
			chMsgs[name] = map[string]any{"$ref": "#/components/messages/" + name}
			opMsgs = append(opMsgs, map[string]any{"$ref": "#/channels/" + cid + "/messages/" + name})
		}
		channels[cid] = map[string]any{
			"address": Address(top, versions[0].Category, t),
			"title":   t,
			"description": fmt.Sprintf("Every %s event, on the subject of its stream. Stream category %s: subscribe to %s.%s.> for all its events, %s for every event.",
				t, versions[0].Category, top.Prefix, versions[0].Category, top.AllSubjects()),
			"parameters": map[string]any{
				StreamIDParameter: map[string]any{"description": "The event's stream ID, e.g. " + versions[0].Category + "-…"},
			},
			"messages": chMsgs,
		}
		operations["receive."+t] = map[string]any{
			"action":   "receive",
			"title":    "Receive " + t,
			"channel":  map[string]any{"$ref": "#/channels/" + cid},
			"messages": opMsgs,
		}
	}
	doc := struct {
		AsyncAPI           string         `json:"asyncapi"`
		Info               map[string]any `json:"info"`
		DefaultContentType string         `json:"defaultContentType"`
		Channels           map[string]any `json:"channels"`
		Operations         map[string]any `json:"operations"`
		Components         map[string]any `json:"components"`
	}{
		AsyncAPI: AsyncAPIVersion,
		Info: map[string]any{
			"title":   "channeldesk events",
			"version": "1.0.0",
			"description": "Every event channeldesk records, published on NATS JetStream (stream " + top.Stream + ") by the relay, " +
				"at least once and in position order per stream. The body is the event's envelope as JSON; its data is the event " +
				"payload at the schema version written, named in the " + broker.HeaderSchemaVersion + " header. Generated from the code " +
				"(domain/catalog, internal/broker); the payload schemas are also in docs/schemas.",
		},
		DefaultContentType: "application/json",
		Channels:           channels,
		Operations:         operations,
		Components:         map[string]any{"messages": messages, "schemas": schemas},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // the document is made of marshallable values only
	}
	return append(b, '\n')
}
