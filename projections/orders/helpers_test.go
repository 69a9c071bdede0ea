package orders_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/orders"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// env is the shared harness plus the counters the helpers draw numbers
// from.
type env struct {
	*projtest.Env
	orderSeq, invoiceSeq, licenseSeq int
}

func newEnv(t *testing.T, withNATS bool) *env { return &env{Env: projtest.New(t, withNATS)} }

// runner returns a runner of both the orders and the customer list
// projections (the queries read the customer list too).
func (e *env) runner(batch, rebuildBatch int) *projections.Runner {
	e.T.Helper()
	cfg := e.Config(batch)
	cfg.RebuildBatchSize = rebuildBatch
	return e.Runner(cfg, orders.New(), customers.New())
}

// build waits until the store's tail passed every event and rebuilds both
// projections from it.
func (e *env) build() {
	e.T.Helper()
	e.All()
	r := e.runner(0, 0)
	for _, name := range []string{orders.Name, customers.Name} {
		if err := r.Rebuild(e.Ctx, name); err != nil {
			e.T.Fatal(err)
		}
	}
}

// on appends events to one stream at its current version.
func (e *env) on(stream string, evs ...domain.Event) {
	e.T.Helper()
	e.Append(e.streamAppend(stream, evs...))
}

func (e *env) streamAppend(stream string, evs ...domain.Event) eventstore.StreamAppend {
	e.T.Helper()
	v, err := e.Store.StreamVersion(e.Ctx, stream)
	if err != nil {
		e.T.Fatal(err)
	}
	sa := eventstore.StreamAppend{StreamID: stream, ExpectedVersion: v}
	for _, ev := range evs {
		sa.Events = append(sa.Events, projtest.NewEvent(ev))
	}
	return sa
}

// account registers a customer account.
func (e *env) account(id, name string) {
	e.T.Helper()
	e.on(account.StreamID(id), account.AccountRegistered{AccountID: id, Name: name, PrimaryDomain: strings.ToLower(id) + ".example",
		Address: account.Address{Country: "DE", City: "Berlin"}, Region: "EMEA"})
}

// rename renames an account.
func (e *env) rename(id, old, new string) {
	e.T.Helper()
	e.on(account.StreamID(id), account.CompanyRenamed{AccountID: id, OldName: old, NewName: new})
}

// spec is an order to submit.
type spec struct {
	po, date, typ, customer, partner, distributor, distPO string
}

// submit appends an order.submitted for s and returns its number.
func (e *env) submit(s spec) string {
	e.T.Helper()
	e.orderSeq++
	n := fmt.Sprintf("ORD-%07d", e.orderSeq)
	if s.typ == "" {
		s.typ = order.TypeNew
	}
	if s.date == "" {
		s.date = "2024-06-01"
	}
	if s.partner == "" {
		s.partner = "700001HQ"
	}
	e.on(order.StreamID(n), submitted(n, s))
	return n
}

func submitted(n string, s spec) order.Submitted {
	return order.Submitted{OrderNumber: n, PONumber: s.po, PODate: s.date, OrderType: s.typ, Catalog: order.CatalogSoftware,
		Lines: []order.Line{
			{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 10, UnitPriceMinor: 1999, Currency: "EUR"},
			{SKU: "WS-STD", Product: "Workspace", Edition: "Standard", Quantity: 5, UnitPriceMinor: 999, Currency: "EUR"},
		},
		Currency: "EUR", TotalMinor: 10*1999 + 5*999, CustomerAccountID: s.customer, PartnerID: s.partner,
		DistributorID: s.distributor, DistributorPONumber: s.distPO}
}

// fulfil appends the fulfilment of order n (order.fulfilled, invoice.issued)
// in one append, billed to owner on issuedOn, and returns the invoice
// number.
func (e *env) fulfil(n, owner, po, issuedOn string) string {
	e.T.Helper()
	e.invoiceSeq++
	inv := fmt.Sprintf("INV-%07d", e.invoiceSeq)
	e.licenseSeq++
	lic := fmt.Sprintf("LIC-%07d", e.licenseSeq)
	e.Append(
		e.streamAppend(order.StreamID(n), order.Fulfilled{OrderNumber: n, LicenseIDs: []string{lic}, InvoiceNumber: inv, OwnerAccountID: owner}),
		e.streamAppend(invoice.StreamID(inv), invoice.Issued{InvoiceNumber: inv, OrderNumber: n, AccountID: owner, PONumber: po,
			AmountMinor: 10*1999 + 5*999, Currency: "EUR", IssuedOn: issuedOn, DueDate: "2099-12-31",
			Delivery: invoice.Delivery{Mode: invoice.DeliveryPaper}}),
	)
	return inv
}

// cancel appends the cancellation of order n.
func (e *env) cancel(n string) {
	e.T.Helper()
	e.on(order.StreamID(n), order.Cancelled{OrderNumber: n, Reason: "withdrawn"})
}

// merge merges account from into into, moving orders, in one append as
// the command service does.
func (e *env) merge(from, into string, moved ...string) {
	e.T.Helper()
	m := account.Moved{}
	streams := []eventstore.StreamAppend{
		e.streamAppend(account.StreamID(from), account.AccountMerged{AccountID: from, Into: into, Reason: account.MergeDuplicate, Evidence: []string{"CASE-1"}, Moved: m}),
		e.streamAppend(account.StreamID(into), account.MergeReceived{AccountID: into, From: from, Reason: account.MergeDuplicate, Evidence: []string{"CASE-1"}, Moved: m}),
	}
	for _, n := range moved {
		streams = append(streams, e.streamAppend(order.StreamID(n),
			order.CustomerChanged{OrderNumber: n, FromAccountID: from, ToAccountID: into, Reason: order.ReasonMerge}))
	}
	e.Append(streams...)
}

// dump returns every row of the live tables as JSON, in key order.
func (e *env) dump() []string {
	e.T.Helper()
	return e.Dump(
		`SELECT row_to_json(o)::text FROM proj_orders.orders o ORDER BY order_number`,
		`SELECT row_to_json(i)::text FROM proj_orders.invoices i ORDER BY invoice_number`,
	)
}

var (
	staff, auditor, noRoles, stranger = projtest.Staff, projtest.Auditor, projtest.NoRoles, projtest.Stranger
	customerOf, partner               = projtest.CustomerOf, projtest.Partner
)

// search pages through Search and returns every order number.
func (e *env) search(viewer domain.Principal, f orders.Filter) []string {
	e.T.Helper()
	var out []string
	for pages := 0; ; pages++ {
		items, next, err := orders.Search(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatal(err)
		}
		if f.Limit > 0 && len(items) > f.Limit {
			e.T.Fatalf("page of %d items, limit %d", len(items), f.Limit)
		}
		for _, o := range items {
			out = append(out, o.OrderNumber)
		}
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 10000 {
			e.T.Fatalf("page %d: %d items and a next cursor", pages, len(items))
		}
		f.Cursor = next
	}
}

// distributed pages through DistributorOrders.
func (e *env) distributed(viewer domain.Principal, f orders.DistributorFilter) []string {
	e.T.Helper()
	var out []string
	for pages := 0; ; pages++ {
		items, next, err := orders.DistributorOrders(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatal(err)
		}
		for _, o := range items {
			out = append(out, o.OrderNumber)
		}
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 10000 {
			e.T.Fatalf("page %d: %d items and a next cursor", pages, len(items))
		}
		f.Cursor = next
	}
}

// invoices pages through Invoices.
func (e *env) invoices(viewer domain.Principal, f orders.InvoiceFilter) []string {
	e.T.Helper()
	var out []string
	for pages := 0; ; pages++ {
		items, next, err := orders.Invoices(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatal(err)
		}
		if f.Limit > 0 && len(items) > f.Limit {
			e.T.Fatalf("page of %d items, limit %d", len(items), f.Limit)
		}
		for _, v := range items {
			out = append(out, v.InvoiceNumber)
		}
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 10000 {
			e.T.Fatalf("page %d: %d items and a next cursor", pages, len(items))
		}
		f.Cursor = next
	}
}
