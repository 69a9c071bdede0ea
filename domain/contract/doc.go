// Package contract is the license agreement aggregate: an Enterprise (ELA)
// or Easy License Agreement of one customer account, with its contract
// administrators, discount level, term and the partners holding manage
// rights under it. Its events are recorded on the stream contract-<number>.
// An agreement is active from its registration until it is terminated
// (TerminateContract, executed through a support case): a terminated
// agreement keeps its history, moves with its account in a merge, and
// accepts no further change.
//
// Decide, Evolve and Move are pure: they read no clock, draw no number and
// do no I/O. The contract number, the time and the acting party arrive in the
// command, and what the agreement needs to know of other aggregates (does the
// account exist, which agreements does it already hold, does the partner
// exist) arrives as facts the command service loaded in the same attempt.
// A decision is therefore reproducible from its inputs: it is tested as Given
// events / When command / Then events or error, and replaying the stream
// always rebuilds the same State.
//
// Decide checks, in this order: who may ask as far as that does not depend
// on the agreement (staff other than admin and support are refused at
// once); the command's fields (every problem at once); that the agreement
// exists (a caller who may not know of it — a contact of another customer, a
// partner without manage rights — is told it does not exist); who may act on
// this agreement; the business rules, each refusal naming a stable rule
// identifier such as "contract.one_active_per_program".
package contract
