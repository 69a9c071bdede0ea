// Package catalog lists every event type of the domain with its stable name,
// schema version, stream category and the commands that emit it, and decodes
// stored event payloads back into domain events.
//
// The list is written out by hand in Entries: no reflection, no init-time
// registration. A name, once published, is never changed. ShapeOf reads an
// event's JSON shape from its struct and json tags, for the documentation
// only: docs/events.md is generated from Entries and ShapeOf (go generate
// ./domain/catalog), and a test fails when it is stale.
package catalog

//go:generate go run ../../internal/eventsdoc -o ../../docs/events.md
