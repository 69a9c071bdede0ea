// Package pgmigrate applies a package's embedded, versioned SQL migrations to
// PostgreSQL with goose. Each owner of tables (the event store, the token
// registry, the projection runtime) keeps its own migration files next to its
// code and its own version table, so packages migrate independently.
package pgmigrate
