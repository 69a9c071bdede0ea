// Package domain holds what every aggregate shares: the Event contract, the
// acting Principal, and the errors by which a decision refuses a command.
//
// The domain is pure: it imports only the standard library and
// github.com/google/uuid. It never reads a clock, draws a random number or
// touches I/O; time, IDs and the acting principal arrive in the command. This
// keeps every decision reproducible from its inputs, so an aggregate is
// tested as Given events / When command / Then events or error, and replaying
// the event store always rebuilds the same state.
package domain
