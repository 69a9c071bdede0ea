// Package projtest is the test harness shared by the projection packages
// (package projections and each read model below it). It is imported only
// by tests.
//
// An Env gives one test its own PostgreSQL database with the event store and
// projection migrations applied and, when asked, an embedded NATS server
// whose event stream is set up on a test topology. Its methods append events
// to the store, publish them to JetStream as the relay would (with the
// previous-position chain a projector relies on), build and run Runners, and
// read back what a projection did: its checkpoint, its schemas, and whether
// its consumer drained.
//
// The event store's horizon is server-wide: transactions of other tests on
// the same PostgreSQL server can hold it back for a moment. Every method that
// reads the store through it (All, PublishAll) therefore polls until the
// horizon passed every committed event, and fails the test after a deadline.
//
// Every method reports failure through the Env's testing.TB and ends the
// test; none returns an error. The only state an Env changes is PublishAll's
// chain, which a mutex guards, so its methods may also run in goroutines the
// test starts (and waits for); a failure there fails the test but ends only
// that goroutine, as testing.T.FailNow does.
package projtest
