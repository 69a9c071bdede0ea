// Package timer keeps the durable timers of the support-case workflow and
// fires them: a case waiting for information closes by itself once its
// deadline (supportcase.InformationRequested.Due, 24 hours after the
// request) passes unanswered.
//
// # The table
//
// Timers live in the table due_timers of the event-store database. The
// feed (Scheduler.Feed) reads the event store in commit order from its own
// checkpoint, below the store's horizon so that no event is passed over,
// and in one transaction per batch inserts a pending timer for every
// supportcase.information_requested (its ID is the event's ID), cancels a
// case's pending timer when the wait ends (information_provided, approved,
// rejected) and records one fired when the case closed unanswered, then
// moves the checkpoint. A batch read twice changes nothing.
//
// Scheduler.Tick claims the pending timers due at its clock that nobody
// holds, with SELECT … FOR UPDATE SKIP LOCKED inside one UPDATE that
// records a lease (claimed_by, claimed_until = now + Config.Lease) and
// commits at once; it then sends CloseUnanswered for each through the
// command service as the system principal, outside any transaction, and
// marks each fired (or cancelled, when the case is no longer waiting), or
// releases it to be tried again. Several instances may tick at once: a row
// locked or leased by one is skipped by the others, so each fires only
// what it claimed, and no transaction stays open while commands run (one
// would hold back the event store's horizon, and so the relay and every
// projector). The command carries an idempotency key derived from the
// timer: an instance that dies after the command's append but before its
// mark leaves the timer pending under its lease, and once the lease runs
// out the next claim's command is answered from the command log without
// appending again. Exactly once therefore rests on the command log and on
// the domain (a case no longer waiting refuses to close), not on the table
// alone; the table decides only when and by whom.
//
// # Why a table, not JetStream scheduling
//
// PostgreSQL is the source of truth and NATS carries copies
// (ARCHITECTURE.md): a timer scheduled as a delayed JetStream message
// would live only in the stream, so losing or recreating the stream would
// lose the deadlines, and the relay could not republish them, since they
// are not events. A table is derived from the events and rebuilt from
// them by the feed; it can be queried (what is due, what fired, which
// command closed the case), cancelled with an UPDATE rather than a purge
// by subject, and claimed under a transaction with the row locks
// PostgreSQL already gives. Its clock is injectable (Config.Now), so tests
// move time instead of sleeping, which a server-side schedule cannot
// offer. The price is polling: a timer fires up to one poll interval
// (Config.Interval) late, which a 24-hour deadline does not notice.
package timer
