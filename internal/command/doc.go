// Package command is the command service: it turns a request into a
// domain command (stamping time, IDs and the acting principal), loads the
// aggregate from the event store, lets the pure domain decide, and appends
// the resulting events with the loaded version as the expected version.
//
// A conflict (another writer moved the stream) reloads and decides again,
// a bounded number of times. A command sent with an idempotency key is
// answered from the command log when it was seen before, and appends
// nothing; the key and the events are recorded in one transaction.
package command
