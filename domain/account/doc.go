// Package account is the customer organisation aggregate: registration,
// company name (with the evidence a rename needs), address and region.
//
// Decide and Evolve are pure. Decide checks who acts (staff, or an
// unrestricted org admin of the account itself), validates the command and
// enforces the business rules of DOMAIN.md; Evolve folds events into State.
package account
