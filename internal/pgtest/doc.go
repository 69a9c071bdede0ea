// Package pgtest gives each test its own PostgreSQL database, created empty
// and dropped when the test ends, so tests run in parallel and twice in a
// row. When PostgreSQL is unreachable the test is skipped, unless the CI
// environment variable is set: then it fails.
package pgtest
