// Package api is channeldesk's HTTP interface, exactly as API.md specifies:
// bearer-token authentication, JSON bodies decoded strictly, commands that
// answer with their events and positions, queries with read-your-writes
// (min_position) and cursor paging, and every error as
// application/problem+json with a stable code, mapped from typed errors in
// one place (problem.go).
package api
