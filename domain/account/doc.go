// Package account is the customer organisation aggregate: registration,
// company name (with the evidence a rename needs), address and region, VAT
// number, tags, contacts and their access, invoice delivery, partner
// relationships (solution advisor, view rights, renewal partner), the
// licenses, contracts and orders answering under the account, embargo
// holds, and merges.
//
// Decide and Evolve are pure; so is Merge, which decides a merge on two
// accounts' states and returns the events of both streams. Decide checks
// who acts (staff, or an unrestricted contact of the account itself,
// resolved from the account's own state), validates the command and
// enforces the business rules of DOMAIN.md; Evolve folds events into
// State. Refusals are domain errors; a business rule is named by a stable
// identifier such as "account.merged".
package account
