// Package demo loads a realistic data set into channeldesk through the
// command service, the same one the HTTP API uses, so that every event
// carries a believable actor: staff register accounts and partners and
// fulfil orders, partner contacts submit orders, customer admins grant view
// rights and rename their company, support agents execute merges and splits
// from approved support cases.
//
// The data is generated from word lists by a seeded random source: the same
// seed gives the same companies, people, partners, orders and stories
// (identifiers are drawn from the database's sequences, so they are the
// same too when the load runs on a fresh database with one worker). The
// loader only appends to the event store; the read models are projected by
// the relay and the projectors when `channeldesk serve` runs.
//
// A database takes one demo load: the first command of a load carries a
// fixed idempotency key, and a second load finds it in the command log and
// stops with ErrAlreadyLoaded before appending anything.
package demo
