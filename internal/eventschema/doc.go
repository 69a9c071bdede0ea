// Package eventschema generates the published contract of channeldesk's
// events from the code, so that the two cannot disagree:
//
//   - a JSON Schema (draft 2020-12) for every event type at every schema
//     version of domain/catalog (For), read from the event's Go type by
//     catalog.ShapeOf: a member is required when its field has neither
//     omitempty nor omitzero, a pointer may be null;
//   - the AsyncAPI 3.0 document of what the relay publishes on NATS
//     (AsyncAPI): the subjects and headers of broker.Topology.Message, and
//     one message per event type and version whose payload is the
//     envelope with that version's schema as its data.
//
// The schemas are committed under docs/schemas/<type>.v<version>.json and
// rewritten by go generate ./domain/catalog (internal/eventsdoc). Check
// compares a generated schema with its committed copy: a published version
// may only change compatibly (a new optional member, say); a
// removed member, a retyped member or a newly required member is a Break,
// which needs a new version with an upcaster (domain/catalog.Upcasters)
// instead. The generator refuses to write a breaking change, and a test
// fails on one.
package eventschema
