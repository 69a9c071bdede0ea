package domain

// Event is a domain event: a plain struct with explicit JSON tags whose type
// name and schema version are fixed strings, never derived from the Go type.
// Names are only ever added; a change of shape is a new schema version with
// an upcaster.
type Event interface {
	// EventType is the stable name, "<category>.<what_happened>", e.g.
	// "account.renamed".
	EventType() string
	// SchemaVersion is the version of the event's JSON shape, from 1.
	SchemaVersion() int
}
