// Package eventstore is channeldesk's source of truth: an append-only log of
// events in PostgreSQL (pgx/v5).
//
// Every event belongs to a stream ("<category>-<id>", e.g. account-123456HQ)
// and carries a per-stream version and a global position. An append names the
// version each stream is expected to be at; if a stream moved, the whole
// append is refused with an error matching ErrConflict and nothing is written.
// One append may cover several streams atomically.
//
// Positions are gap-free in the sense that matters to readers: ReadAll never
// passes over an event that commits later. A position is the writing
// transaction's ID (xid8) shifted left by 20 bits plus the event's index in
// the append. ReadAll only returns events of transactions older than the
// oldest transaction still running (pg_snapshot_xmin), and every transaction
// that may still commit has an ID at or above that horizon, so its events
// sort after everything already read. Positions therefore increase in the
// order ReadAll delivers them, and a reader's checkpoint compares directly
// with the position a command answered with. Positions are unique and
// increasing but not dense.
//
// The horizon is server-wide: PostgreSQL's transaction IDs are shared by
// every database of a server, so a long write transaction anywhere on the
// server holds the tail back until it ends (it never makes it skip). Give
// the event store a server of its own in production, keep write
// transactions short, and watch the relay's lag. A restore into a new
// cluster by dump and reload restarts transaction IDs lower: advance the new
// cluster's transaction counter (pg_resetwal -x) past the old one first, or
// new events would sort before old ones. pg_upgrade keeps the counter.
//
// The command log records commands sent with an idempotency key in the same
// transaction as their events, so a repeated command is answered from the log
// and appends nothing.
package eventstore
