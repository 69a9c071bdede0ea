// Package supportcase is the support case aggregate: a customer, partner or
// support agent opens a case asking for something only the vendor may do
// (a company rename, an account merge, a license split or transfer); staff
// ask for missing information, which the requester has 24 hours to provide,
// and approve or reject the case.
//
// Decide and Evolve are pure: time, case numbers and the acting party arrive
// in the command. In particular the 24-hour window is measured against the
// command's At and the deadline recorded in the event that opened it, never
// against a clock, so a timer that closes unanswered cases, a replay and a
// test all reach the same decision from the same inputs. Every event carries
// the instant it records (opened_at, requested_at, ...), so State holds what
// a resolution target of 5 business days is computed from.
package supportcase
