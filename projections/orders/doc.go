// Package orders is the orders and invoices read model: one row per order
// (its PO as given and normalised, PO date, type, catalog, lines, total,
// the customer account it answers under, the submitting partner, the
// distributor, status, and the invoice and licenses once fulfilled) and
// one row per invoice, kept in the schema proj_orders by the projection
// runtime (package projections).
//
// It answers GET /v1/orders (by PO number, by PO date range, with the
// advanced filters type, order number and customer name), GET
// /v1/orders/{number}, GET /v1/distributor-orders and GET /v1/invoices,
// scoped to what the viewing principal may see (DOMAIN.md, "Who may see
// what"):
//
//   - staff with a role see every order and invoice;
//   - a customer contact sees the orders that answer under its account and
//     the invoices billed to it or issued for those orders; after a merge,
//     its account stands for the account it was merged into (as for GET
//     /v1/accounts/{id}), and the survivor's contacts see the orders that
//     moved to it (order.customer_changed);
//   - a partner contact sees the orders its partner submitted or is the
//     distributor on, and the invoices of those orders;
//   - anyone else sees nothing.
//
// An order search needs a PO number or a PO date range: without either it
// answers nothing (never everything), and the API says why.
package orders
