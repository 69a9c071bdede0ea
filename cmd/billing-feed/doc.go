// Command billing-feed keeps the billing ledger: it consumes order, license
// and invoice events from channeldesk's JetStream stream through a durable
// consumer and writes one ledger row per invoice line into the billing
// schema of a PostgreSQL database, exactly once (see package
// internal/billing for the guarantees).
//
// Usage:
//
//	billing-feed run    [flags]   consume until SIGINT or SIGTERM
//	billing-feed export [flags]   write the ledger as CSV to standard output
//
// Run with -h after a command for its flags. The environment variable
// BILLING_FEED_TEST_PAUSE (before-commit:N or before-ack:N) makes run stop
// forever at batch N at that point, after printing a line to standard
// error; it exists for the crash test and is not for production.
package main
