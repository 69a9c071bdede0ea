// Package numbering allocates the human-readable identifiers of DOMAIN.md
// (account IDs such as 123456HQ) from PostgreSQL sequences: unique under any
// concurrency, across processes, and never reused, even when the command
// that drew a number is later refused.
package numbering
