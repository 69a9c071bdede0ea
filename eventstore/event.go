package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Position is an event's place in the global order. See the package
// documentation for how positions are assigned.
type Position int64

// positionShift is how many low bits of a position number the events of one
// append; one append holds at most 1<<positionShift events.
const positionShift = 20

// MaxAppendEvents is the largest number of events one append may carry.
const MaxAppendEvents = 1<<positionShift - 1

// Metadata is the part of the envelope that describes who caused an event and
// why. The command service fills it from the request.
type Metadata struct {
	Actor         string `json:"actor"`
	OnBehalfOf    string `json:"on_behalf_of,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	CommandID     string `json:"command_id,omitempty"`
	ClientIP      string `json:"client_ip,omitempty"`
	// Operation is the command that recorded the event (SubmitOrder),
	// Resource what it addressed ("order/ORD-0000001"), UserAgent the
	// client's; empty when not recorded by a request.
	Operation string `json:"operation,omitempty"`
	Resource  string `json:"resource,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// NewEvent is an event to append: its identity, type and payload. Stream
// and version come from the StreamAppend it belongs to.
type NewEvent struct {
	ID            uuid.UUID
	Type          string
	SchemaVersion int
	Data          json.RawMessage
	OccurredAt    time.Time
}

// StreamAppend is the events to append to one stream, which must be at
// ExpectedVersion (0 for a stream that does not exist yet). Without events
// it only asserts that the stream is at ExpectedVersion (see Store.Append).
type StreamAppend struct {
	StreamID        string
	ExpectedVersion int64
	Events          []NewEvent
}

// Event is a recorded event with its full envelope.
type Event struct {
	ID            uuid.UUID       `json:"id"`
	StreamID      string          `json:"stream_id"`
	StreamVersion int64           `json:"stream_version"`
	Position      Position        `json:"position"`
	Category      string          `json:"category"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Data          json.RawMessage `json:"data"`
	OccurredAt    time.Time       `json:"occurred_at"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Metadata
}

// Category returns the category of a stream ID: the part before the first
// hyphen ("account" for "account-123456HQ").
func Category(streamID string) string {
	c, _, _ := strings.Cut(streamID, "-")
	return c
}

// ErrConflict is matched (errors.Is) by every error reporting that a stream
// was not at the expected version. The append wrote nothing; the caller may
// reload and retry.
var ErrConflict = errors.New("eventstore: stream version conflict")

// ConflictError tells which stream moved. It matches ErrConflict.
type ConflictError struct {
	StreamID string
	Expected int64
	Actual   int64 // -1 when unknown
}

func (e *ConflictError) Error() string {
	if e.Actual < 0 {
		return fmt.Sprintf("eventstore: stream %s moved past expected version %d", e.StreamID, e.Expected)
	}
	return fmt.Sprintf("eventstore: stream %s is at version %d, expected %d", e.StreamID, e.Actual, e.Expected)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrInvalidAppend is matched by errors for appends that can never succeed
// (empty, malformed stream IDs, duplicate streams, too many events).
var ErrInvalidAppend = errors.New("eventstore: invalid append")

// ErrCommandMismatch is returned when an idempotency key is reused for a
// different request.
var ErrCommandMismatch = errors.New("eventstore: idempotency key reused with a different request")
