package broker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Topology names the JetStream stream and the subject prefix events are
// published under. Production uses Default(); tests sharing one NATS server
// use their own names.
type Topology struct {
	Stream string
	Prefix string
}

// Default is the topology of a channeldesk deployment: stream
// CHANNELDESK_EVENTS on subjects channeldesk.events.>.
func Default() Topology {
	return Topology{Stream: "CHANNELDESK_EVENTS", Prefix: "channeldesk.events"}
}

// Validate reports whether the stream name and subject prefix are usable:
// a stream name of letters, digits, '-' and '_', and a prefix of one or more
// dot-separated tokens without wildcards or white space.
func (t Topology) Validate() error {
	var errs []error
	if t.Stream == "" || len(t.Stream) > 64 || strings.IndexFunc(t.Stream, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		errs = append(errs, fmt.Errorf("stream name %q: want 1-64 letters, digits, - or _", t.Stream))
	}
	for _, tok := range strings.Split(t.Prefix, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			errs = append(errs, fmt.Errorf("subject prefix %q: want dot-separated tokens without wildcards or spaces", t.Prefix))
			break
		}
	}
	return errors.Join(errs...)
}

// AllSubjects matches every published event.
func (t Topology) AllSubjects() string { return t.Prefix + ".>" }

// Header names carried by every published event. Nats-Msg-Id (the event ID)
// lets JetStream drop duplicates inside its duplicate window.
const (
	HeaderMsgID         = nats.MsgIdHdr
	HeaderEventType     = "Channeldesk-Event-Type"
	HeaderSchemaVersion = "Channeldesk-Schema-Version"
	HeaderPosition      = "Channeldesk-Position"
	// HeaderPrevPosition is the position of the event published just before
	// this one in the global order (0 for the first). A consumer whose
	// checkpoint differs from it knows it missed events and can read them
	// from the event store.
	HeaderPrevPosition  = "Channeldesk-Prev-Position"
	HeaderStreamID      = "Channeldesk-Stream-Id"
	HeaderStreamVersion = "Channeldesk-Stream-Version"
	HeaderCorrelationID = "Channeldesk-Correlation-Id"
	HeaderRecordedAt    = "Channeldesk-Recorded-At"
)

// Subject returns the subject an event is published on:
// <prefix>.<category>.<event_type>.<stream_id>, where event_type is the type
// name without its category prefix and with dots turned into underscores
// ("account.renamed" in category account → "renamed"), so that every part is
// a single subject token.
func (t Topology) Subject(e eventstore.Event) string {
	typ := strings.TrimPrefix(e.Type, e.Category+".")
	typ = strings.ReplaceAll(typ, ".", "_")
	return t.Prefix + "." + e.Category + "." + typ + "." + e.StreamID
}

// Message builds the NATS message for a recorded event: the body is the
// event's full envelope as JSON, the headers carry its identity and order.
func (t Topology) Message(e eventstore.Event, prev eventstore.Position, body []byte) *nats.Msg {
	m := nats.NewMsg(t.Subject(e))
	m.Data = body
	m.Header.Set(HeaderMsgID, e.ID.String())
	m.Header.Set(HeaderEventType, e.Type)
	m.Header.Set(HeaderSchemaVersion, strconv.Itoa(e.SchemaVersion))
	m.Header.Set(HeaderPosition, strconv.FormatInt(int64(e.Position), 10))
	m.Header.Set(HeaderPrevPosition, strconv.FormatInt(int64(prev), 10))
	m.Header.Set(HeaderStreamID, e.StreamID)
	m.Header.Set(HeaderStreamVersion, strconv.FormatInt(e.StreamVersion, 10))
	if e.CorrelationID != "" {
		m.Header.Set(HeaderCorrelationID, e.CorrelationID)
	}
	m.Header.Set(HeaderRecordedAt, e.RecordedAt.UTC().Format(time.RFC3339Nano))
	return m
}

// Positions reads the position and previous position headers of a message.
func Positions(h nats.Header) (pos, prev eventstore.Position, err error) {
	p, err := strconv.ParseInt(h.Get(HeaderPosition), 10, 64)
	if err != nil {
		return 0, 0, err
	}
	q, err := strconv.ParseInt(h.Get(HeaderPrevPosition), 10, 64)
	if err != nil {
		return 0, 0, err
	}
	return eventstore.Position(p), eventstore.Position(q), nil
}
