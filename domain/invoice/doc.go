// Package invoice is the invoice aggregate of DOMAIN.md: an invoice is
// issued once, when its order is fulfilled, and records the amount, the
// currency, the dates and the delivery setting (paper or paperless, with
// recipients) that the customer's account had at that moment.
//
// The only command, IssueInvoice, is built by the command service from the
// order.InvoiceDraft that order.Fulfil returns: the order package leads the
// fulfilment but may not import this one, and this package owns the
// invoice's validation and its event. Choosing the delivery setting is the
// account's business (SetInvoiceDelivery); the invoice only records it.
//
// Purity. Decide and Evolve are pure: no clock, no random numbers, no I/O.
// The invoice number, the time of issue and the acting party arrive in the
// command, so a decision is reproducible from its inputs, tested as Given
// events / When command / Then events or error, and safely decided again
// after a version conflict.
package invoice
