// Package natstest starts an isolated embedded NATS server with JetStream
// for a test (random port, temporary storage), or connects to the machine's
// NATS server. Unreachable services skip the test, or fail it when the CI
// environment variable is set.
package natstest
