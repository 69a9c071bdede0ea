// Package catalog lists every event type of the domain with its stable name,
// schema version, stream category and the commands that emit it, and decodes
// stored event payloads back into domain events.
//
// The list is written out by hand in Entries: no reflection, no init-time
// registration. A name, once published, is never changed, and neither is
// the shape of a published version: a change of shape is a new version,
// and an upcaster (Upcasters) reads the stored payloads of the version
// before it, so that Decode gives the domain and the projections only
// current events. ShapeOf reads an event's JSON shape from its struct and
// json tags, for the published contract only: docs/events.md and the JSON
// Schemas in docs/schemas are generated from Entries and ShapeOf (go
// generate ./domain/catalog, see internal/eventschema), and tests fail when
// they are stale or a published schema changed incompatibly.
package catalog

//go:generate go run ../../internal/eventsdoc -o ../../docs/events.md -schemas ../../docs/schemas
