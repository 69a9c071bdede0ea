// Package projections runs channeldesk's read models.
//
// A Projection keeps one read model in its own PostgreSQL schema,
// proj_<name>. The Runner feeds it every event of the store in position
// order, through a durable JetStream pull consumer per projection, and
// applies each batch and advances the projection's checkpoint (table
// projection_checkpoints) in the same transaction. Hence:
//
//   - A redelivered or replayed event changes nothing: events at or below
//     the checkpoint are acknowledged and skipped.
//   - No event is skipped: every message carries the position of the event
//     published before it. When that is not the checkpoint, the events in
//     between are read straight from the event store and applied first, in
//     the same transaction. When no message arrives for a while the
//     projector also reads the store past its checkpoint, so an event lost
//     at the tail of the stream is applied too.
//   - A stop at any moment loses nothing and half-applies nothing: a batch
//     is acknowledged only after its transaction committed.
//   - The checkpoint passes every event, including those a projection
//     ignores, so it compares directly with the position a command answered
//     with (WaitFor).
//
// Each projection is single-active across processes (a PostgreSQL advisory
// lock via internal/leader); the others wait and take over.
//
// Rebuild builds a projection again from position 0 into a fresh schema,
// reading the store in large batches while the live projection keeps
// serving, then swaps the schemas in one short transaction that holds the
// live checkpoint, so the rebuilt model goes live without a gap, whether or
// not a Runner is running in this or another process. A projection that is
// a Folder folds the history in memory and has its final rows written with
// COPY, its secondary indexes built after them; what was committed
// meanwhile is applied with Apply before the swap.
//
// Transactions stay short on purpose: the event store's gap-free tail only
// advances past transactions that have finished, so a long write
// transaction in the same database would hold back every reader of the
// store.
package projections
