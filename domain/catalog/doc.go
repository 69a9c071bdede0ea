// Package catalog lists every event type of the domain with its stable name,
// schema version, stream category and the commands that emit it, and decodes
// stored event payloads back into domain events.
//
// The list is written out by hand in Entries: no reflection, no init-time
// registration. A name, once published, is never changed.
package catalog
