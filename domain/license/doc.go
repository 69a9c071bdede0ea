// Package license is the license aggregate: one entitlement line — a
// product and edition for a number of users, owned by a customer account,
// with its Subscription Advantage (maintenance) end date and its
// allocations to license server host IDs. Its events are recorded on the
// stream license-<id>.
//
// Decide, Evolve, Split and Move are pure: they read no clock, draw no
// number and do no I/O. License IDs (including those of split parts), the
// time and the acting party arrive in the command; what a license needs to
// know of other aggregates (does the target account exist, what is the
// owner's domain, who is its renewal partner and what may that partner see)
// arrives as facts the command service loaded in the same attempt. A decision
// is therefore reproducible from its inputs: it is tested as Given events /
// When command / Then events or error, and replaying the stream always
// rebuilds the same State. Split, which records on several streams at once,
// returns the events per stream for one atomic append.
//
// Decide checks, in this order: who may ask as far as that does not depend
// on the license (staff other than admin and support are refused at once);
// the command's fields (every problem at once); that the license exists — a
// contact of another organisation is told it does not, as it may not know
// that it does; who may act on this license; the business rules, each
// refusal naming a stable rule identifier such as "license.over_allocated".
package license
