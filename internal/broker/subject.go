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
	return string(t.appendSubject(make([]byte, 0, t.subjectLen(&e)), &e))
}

func (t Topology) subjectLen(e *eventstore.Event) int {
	return len(t.Prefix) + len(e.Category) + len(e.Type) + len(e.StreamID) + 3
}

func (t Topology) appendSubject(b []byte, e *eventstore.Event) []byte {
	typ := strings.TrimPrefix(e.Type, e.Category+".")
	b = append(b, t.Prefix...)
	b = append(b, '.')
	b = append(b, e.Category...)
	b = append(b, '.')
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; c == '.' {
			b = append(b, '_')
		} else {
			b = append(b, c)
		}
	}
	b = append(b, '.')
	return append(b, e.StreamID...)
}

// messageHeaders is how many headers Message sets at most.
const messageHeaders = 9

// Message builds the NATS message for a recorded event: the body is the
// event's full envelope as JSON, the headers carry its identity and order.
// The relay builds one per event, so the subject and the header values it
// formats share one allocation, and the header map is sized up front.
func (t Topology) Message(e eventstore.Event, prev eventstore.Position, body []byte) *nats.Msg {
	// The subject and every formatted value are written into one buffer,
	// then cut out of one string.
	var ends [7]int
	var buf [256]byte
	b := t.appendSubject(buf[:0], &e)
	ends[0] = len(b)
	b = appendUUID(b, e.ID)
	ends[1] = len(b)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	ends[2] = len(b)
	b = strconv.AppendInt(b, int64(e.Position), 10)
	ends[3] = len(b)
	b = strconv.AppendInt(b, int64(prev), 10)
	ends[4] = len(b)
	b = strconv.AppendInt(b, e.StreamVersion, 10)
	ends[5] = len(b)
	b = e.RecordedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	ends[6] = len(b)
	all := string(b)
	part := func(i int) string {
		if i == 0 {
			return all[:ends[0]]
		}
		return all[ends[i-1]:ends[i]]
	}

	h := make(nats.Header, messageHeaders)
	vals := make([]string, 0, messageHeaders)
	set := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	// The names are in canonical form already, as Header.Set would keep them.
	set(HeaderMsgID, part(1))
	set(HeaderEventType, e.Type)
	set(HeaderSchemaVersion, part(2))
	set(HeaderPosition, part(3))
	set(HeaderPrevPosition, part(4))
	set(HeaderStreamID, e.StreamID)
	set(HeaderStreamVersion, part(5))
	if e.CorrelationID != "" {
		set(HeaderCorrelationID, e.CorrelationID)
	}
	set(HeaderRecordedAt, part(6))
	return &nats.Msg{Subject: part(0), Header: h, Data: body}
}

// appendUUID appends id in its canonical form, as id.String() gives it.
func appendUUID(b []byte, id [16]byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0xF])
	}
	return b
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
