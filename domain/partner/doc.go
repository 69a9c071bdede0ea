// Package partner is the partner organisation aggregate: resellers (direct,
// indirect, or both: "dual role"), distributors and solution advisors, their
// program status, their contacts and the embargo holds on them.
//
// Decide and Evolve are pure: time, IDs and the acting party arrive in the
// command, so a decision depends on nothing but its inputs, is tested as
// Given events / When command / Then events or error, and replaying the
// stream always rebuilds the same State. Decide checks who acts (admin or
// support staff, or for its contacts the partner itself while DOMAIN.md lets
// it act), validates the command and enforces the business rules; Evolve
// folds events into State; State.Actor resolves a partner contact into the
// domain.Actor every other aggregate decides with.
package partner
