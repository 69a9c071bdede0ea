// Package contracts is the contract search read model (DOMAIN.md "Read
// models": contract search, associated customers, VAT search), kept in the
// schema proj_contracts by the projection runtime (package projections).
//
// Its tables: contracts, one row per license agreement (number, program,
// the account that holds it now — contract.owner_changed moves it to the
// survivor of a merge —, administrators, discount level, term, status,
// managing partners); companies, one row per customer account (current
// name, former names, address, region, VAT number, merge status); and
// company_names, one row per name a company is found by (its current name
// and every former one), folded with names.FoldCompany, with a btree for
// prefixes and pg_trgm GIN indexes for close spellings (of every name, and
// of the names of companies that hold an agreement: held); former_names,
// the former ones again, for a partner's search; and spellings, one row per
// distinct folded name with how many names, names of companies holding an
// agreement and former names bear it (kept by a statement trigger on
// company_names), with trigram indexes. Close spellings are looked up among
// the distinct spellings (close_spellings), which many companies share,
// then followed to the names that bear them; the function close_names reads
// a name table's trigram index at the threshold of a search (setupSQL).
// The service keeps the spellings in memory too (Spellings, refreshed by
// change number): a search's close spellings are then scored in Go, exactly
// as pg_trgm scores them, and the statement scores in SQL only the
// spellings changed since the index read them, so that an index lagging
// behind never changes an answer.
//
// Queries answer GET /v1/contracts, /v1/associated-customers and /v1/vat,
// scoped to what the viewer may see. Who may see a customer is read from
// the customer list's relationships (proj_customers.relationships), which
// the queries join read-only:
//   - staff with a role see every customer;
//   - a customer contact sees its own account (the account its own was
//     merged into, after a merge);
//   - a partner sees a customer's contracts only if it placed or
//     distributed an order for it, is its renewal partner, or holds manage
//     rights under one of its agreements; view rights or solution advice
//     alone do not open them. For associated
//     customers and VAT numbers any relationship counts, as for the
//     customer list.
//
// Manage rights open every agreement of the customer, not only the one they
// were granted under: DOMAIN.md lets a partner that "holds manage rights
// under its agreement" see the customer's account number, contracts and
// orders, which are the customer's, not the agreement's.
package contracts
