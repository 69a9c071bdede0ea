// Package billing is the billing feed: a reference consumer of the events
// channeldesk publishes to JetStream. It reads order, license and invoice
// events through a durable pull consumer and keeps a billing ledger in its
// own PostgreSQL schema, billing: one row per invoice line (the lines of the
// invoiced order at its prices), which WriteCSV exports for the billing
// team.
//
// It reads nothing but JetStream and its own schema, and decodes the wire
// contract (the envelope, the headers of package broker, the event data of
// docs/events.md) itself, as a consumer outside this repository would.
//
// # Exactly once
//
// Delivery is at least once: JetStream delivers a message again when its
// acknowledgement does not arrive within AckWait (a crash, a lost ack), and
// the relay may publish an event twice. The feed makes the ledger exactly
// once by applying idempotently: a batch of messages is handled in one
// PostgreSQL transaction that writes the ledger rows (keyed by event ID and
// line, ON CONFLICT DO NOTHING), records every event ID in
// billing.processed and moves the per-stream checkpoint; messages are
// acknowledged only after the commit. A message redelivered after its
// batch committed finds its event ID in billing.processed and changes
// nothing; one whose batch did not commit is applied as if new. So a kill
// at any instant (SIGKILL included) loses nothing and doubles nothing.
//
// # Ordering
//
// JetStream delivers one stream's messages in the order they were stored,
// which is the order of positions except after a relay publish retry (see
// package relay). Per event stream (order-…, invoice-…) the feed handles
// events in version order: billing.stream_checkpoint holds the version of
// the last one handled, and an event whose version is more than one past it
// is handed back to JetStream (NakWithDelay, GapDelay) to wait for the
// missing ones. After GapRedeliveries deliveries it is parked, the
// checkpoint moves past it, and an earlier event that still arrives later is
// applied late rather than dropped.
//
// Across streams an invoice may arrive before its order's lines: it waits in
// billing.pending_invoices and its ledger lines are written, in the same
// transaction, when order.submitted arrives.
//
// # Poison messages
//
// A message that cannot be applied as it is (not an event envelope, headers
// contradicting the body, data of the wrong shape, failing validation, an
// unknown schema version of an event type the feed applies, an invoice
// whose amount or currency disagrees with its order's lines, a value
// PostgreSQL refuses) is written to billing.parked with its subject,
// headers, raw data and the reason, and acknowledged: never retried
// forever, never dropped. Failures that are not the message's fault
// (PostgreSQL or NATS unreachable) roll the batch back, hand its messages
// back to JetStream and are retried with backoff.
//
// A parked event counts as handled (billing.processed, outcome parked) and
// its stream's checkpoint moves past it. To apply it after a fix, delete
// its row from billing.processed and deliver it again (publish it anew, or
// re-create the consumer before it): an event at or below its stream's
// checkpoint that was never handled is applied.
//
// # Restart and checkpoints
//
// On restart the feed resumes from the durable consumer, whose ack floor
// is never ahead of the feed's own commits (acks follow commits), so every
// message after it is either committed (then a no-op) or applied. The feed
// records its own progress in billing.feed: the last JetStream stream
// sequence it committed, and the consumer's ack floor, read about once a
// second. If the durable consumer is deleted, the feed re-creates it
// starting after the recorded ack floor (not after the last sequence
// committed: a message before it may still be waiting for an earlier event
// of its stream); what is delivered again is recognised.
//
// A new ledger may start part way (Config.StartPosition,
// Config.StartTime); the start is recorded with the ledger and holds for
// every later run. Such a ledger takes the first event it sees of each
// stream as the stream's start, and an invoice of an order submitted
// before the start waits in billing.pending_invoices for good: its lines
// are not in the ledger's reach.
package billing
