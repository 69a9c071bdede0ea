// Package customers is the customer list read model: one row per customer
// account (name, former names, domain, address, tags, status) and one row
// per relationship between an account and a partner, kept in the schema
// proj_customers by the projection runtime (package projections).
//
// It answers GET /v1/customers (name prefix, domain, relationship and tag
// filters, keyset paging) and GET /v1/accounts/{id}, scoped to what the
// viewing principal may see: staff see every account, a customer contact
// its own account, a partner contact the accounts it has a relationship
// with, once per relationship.
//
// Names are compared folded (names.FoldCompany): case, accents,
// punctuation and legal suffixes do not matter, so "ABC, Ltd." finds
// "abc ltd". A renamed company is also found by any former name.
package customers
