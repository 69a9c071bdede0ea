// Package broker connects channeldesk to NATS JetStream: it starts the
// embedded nats-server when no external server is configured, creates the
// event stream, and fixes the wire contract of published events (subjects
// and headers) shared by the relay, the projectors and downstream consumers.
package broker
