// Package ids checks the shape of the identifiers DOMAIN.md fixes:
// organisation IDs (123456HQ) and the numbers internal/numbering allocates
// (C-000001, ORD-0000001, ELA-000001, EASY-000001, INV-0000001,
// LIC-0000001, CASE-000001). Every aggregate checks identifiers here, so
// that one rule holds everywhere.
package ids
