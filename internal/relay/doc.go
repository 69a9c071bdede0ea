// Package relay publishes every event of the event store to NATS JetStream.
//
// A Relay tails the store with eventstore.Store.ReadAll, which delivers
// committed events in position order and never passes over an event that
// commits later, and publishes each one on the subject and with the headers
// of broker.Topology.Message: the body is the event's full envelope as JSON,
// Nats-Msg-Id is the event ID. After JetStream has acknowledged every event
// up to a position, the relay records that position as its checkpoint in
// PostgreSQL (table relay_checkpoint, one row per stream), and on start it
// resumes after the checkpoint.
//
// # Delivery
//
// Delivery is at least once: an event acknowledged by JetStream but not yet
// covered by the checkpoint when the relay stops or fails is published
// again. Because the message ID is the event ID, JetStream drops such a
// repeat inside the stream's duplicate window (two minutes, see
// broker.Topology.StreamConfig), so in practice each event is stored once. A
// repeat later than the window (NATS unreachable for longer, or a checkpoint
// written long after the publish) is stored twice; consumers apply events
// idempotently by position.
//
// A failed or timed-out publish never moves the checkpoint past the last
// event before the first failure. The relay retries from there with
// exponential backoff, forever, and re-creates the stream if it is missing;
// no event is skipped. NATS restarts are survived as long as the connection
// reconnects (broker.Connect reconnects forever).
//
// # Ordering
//
// JetStream order equals position order, except when a publish fails and is
// retried after later events of the same batch were already stored (the
// JetStream publisher has many publishes in flight): the retried event is
// then stored after them, possibly after a later event of its own stream.
// Every message therefore carries the position of the event before it in the
// global order (header broker.HeaderPrevPosition), which is the same in
// every copy of a message. A consumer whose checkpoint differs from a
// message's previous position reads the missing events from the event
// store; projectors do so. Per stream, the stream version header orders
// events.
//
// # Single active
//
// Run holds a PostgreSQL advisory lock (package leader) while it works, so
// of all relays for the same stream on one database only one publishes; the
// others wait and take over when it stops or its database connection dies.
package relay
