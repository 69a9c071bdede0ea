// Package order is the order aggregate of DOMAIN.md: a partner (or staff on
// its behalf) submits an order against its purchase order, the order is
// cancelled before fulfilment or fulfilled by issuing its licenses and its
// invoice.
//
// Streams. An order lives on order-<number> (StreamID). Its PO number is
// reserved per partner on a tiny second aggregate, the PO reservation, on
// orderpo-<partner>_<hash> (POReservationStream): the command service folds
// that stream to learn whether the PO was already used, and appends the
// reservation with expected version 0 in the same atomic append as the
// order, so two concurrent submissions of one PO cannot both succeed.
//
// Entry points. Decide and Evolve are the order stream's pair. SubmitOrder
// and FulfilOrder touch more than the order stream, so the command service
// calls Submit and Fulfil, which decide with Decide and add what belongs on
// other streams: Submit the PO reservation; Fulfil plain LicenseGrant and
// InvoiceDraft values that the license and invoice packages turn into their
// own events (an aggregate package never imports another).
//
// Purity. Every function here is pure: no clock, no random numbers, no I/O.
// Time, the order, license and invoice numbers, the acting party and the
// facts about other aggregates (the customer, the distributor, whether the
// PO was used) arrive in the command. A decision is therefore reproducible
// from its inputs: it is tested as Given events / When command / Then events
// or error, retried after a version conflict without side effects, and
// replaying the store always rebuilds the same state.
package order
