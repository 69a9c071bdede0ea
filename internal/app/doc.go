// Package app wires channeldesk together: PostgreSQL (created and migrated
// on start), NATS (embedded or external), the event store, the command
// service, the relay, the projectors and the HTTP API. cmd/channeldesk and
// the end-to-end tests both start the service through it.
package app
