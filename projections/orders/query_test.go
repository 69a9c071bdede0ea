package orders_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/projections/orders"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// TestSearchFilters: the PO is compared normalised, against the
// distributor's PO too; type and order number narrow a range; the
// customer name is a folded prefix of the current or a former name of the
// customer, or of the customer an order had before a merge moved it.
func TestSearchFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.account("100001HQ", "Contoso Ltd")
	e.account("100002HQ", "Fabrikam Foods")
	e.account("100003HQ", "Über Systems AG")
	o1 := e.submit(spec{po: "po 42-a", date: "2024-02-01", customer: "100001HQ"})
	o2 := e.submit(spec{po: "PO-42-A", date: "2024-02-02", typ: order.TypeUpgrade, customer: "100002HQ", distributor: "710001HQ", distPO: "dist  7"})
	o3 := e.submit(spec{po: "X", date: "2024-02-03", typ: order.TypeAddOn, customer: "100003HQ"})
	e.rename("100001HQ", "Contoso Ltd", "Northwind Traders")
	e.build()

	want(t, "normalised PO", e.search(staff, orders.Filter{PO: "  PO  42-A "}), o1)
	want(t, "other PO", e.search(staff, orders.Filter{PO: "po-42-a"}), o2)
	want(t, "distributor PO", e.search(staff, orders.Filter{PO: "DIST 7"}), o2)
	want(t, "PO and range", e.search(staff, orders.Filter{PO: "po 42-a", From: day("2024-03-01"), To: day("2024-03-31")}))

	feb := orders.Filter{From: day("2024-02-01"), To: day("2024-02-29")}
	with := func(mod func(*orders.Filter)) orders.Filter { f := feb; mod(&f); return f }
	want(t, "range", e.search(staff, feb), o1, o2, o3)
	want(t, "type", e.search(staff, with(func(f *orders.Filter) { f.Type = order.TypeUpgrade })), o2)
	want(t, "order number", e.search(staff, with(func(f *orders.Filter) { f.OrderNumber = o3 })), o3)
	want(t, "order number, no such", e.search(staff, with(func(f *orders.Filter) { f.OrderNumber = "ORD-9999999" })))
	for _, c := range []struct {
		name string
		want []string
	}{
		{"northwind", []string{o1}},
		{"CONTOSO, Ltd.", []string{o1}}, // the former name
		{"fab", []string{o2}},
		{"uber sys", []string{o3}},
		{"ÜBER", []string{o3}},
		{"systems", nil},
		{"Ltd", nil},
		{" .,-", nil}, // folds to nothing: matches nothing
		{"%", nil},
	} {
		want(t, "customer "+c.name, e.search(staff, with(func(f *orders.Filter) { f.CustomerName = c.name })), c.want...)
	}
	// Combined, and scoped: the partner on o2 is the reseller 700001HQ,
	// the distributor sees only o2.
	want(t, "combined", e.search(staff, with(func(f *orders.Filter) { f.CustomerName = "fab"; f.Type = order.TypeUpgrade })), o2)
	want(t, "distributor by name", e.search(partner("710001HQ"), with(func(f *orders.Filter) { f.CustomerName = "north" })))

	o, err := orders.Get(e.Ctx, e.Pool, staff, o2)
	if err != nil {
		t.Fatal(err)
	}
	if o.PONumber != "PO-42-A" || o.PODate != "2024-02-02" || o.DistributorPONumber != "dist  7" || o.Status != "submitted" ||
		len(o.Lines) != 2 || o.Lines[0] != (orders.Line{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 10, UnitPriceMinor: 1999, Currency: "EUR"}) ||
		o.TotalMinor != 10*1999+5*999 || o.Currency != "EUR" || o.LicenseIDs == nil || o.InvoiceNumber != "" ||
		o.SubmittedAt.IsZero() || o.SubmittedAt.Location().String() != "UTC" {
		t.Fatalf("%+v", o)
	}
	if _, err := orders.Get(e.Ctx, e.Pool, staff, "ORD-9999999"); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
}

// TestPagingVisitsEveryRowOnce: following next cursors lists every visible
// order (and invoice) exactly once, in (date, number) order, whatever the
// page size: for staff, and for a partner that submitted some and
// distributes others (two branches merged).
func TestPagingVisitsEveryRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	var mine, all, invs, partnerInvs []string
	for i := range 31 {
		s := spec{po: fmt.Sprintf("PO-%d", i), date: fmt.Sprintf("2024-01-%02d", 1+i%5), customer: "100001HQ"} // many ties on the date
		switch i % 3 {
		case 0:
			s.partner = "700001HQ"
		case 1:
			s.partner, s.distributor = "700002HQ", "700001HQ"
		case 2:
			s.partner = "700003HQ"
		}
		n := e.submit(s)
		all = append(all, n)
		if i%3 != 2 {
			mine = append(mine, n)
		}
		if i%2 == 0 {
			inv := e.fulfil(n, "100001HQ", s.po, fmt.Sprintf("2024-02-%02d", 1+i/2%4))
			invs = append(invs, inv)
			if i%3 != 2 {
				partnerInvs = append(partnerInvs, inv)
			}
		}
	}
	e.build()
	var dates = map[string]string{}
	for _, n := range all {
		o, err := orders.Get(e.Ctx, e.Pool, staff, n)
		if err != nil {
			t.Fatal(err)
		}
		dates[n] = o.PODate
	}
	byKey := func(ns []string) []string {
		out := slices.Clone(ns)
		sort.Slice(out, func(i, j int) bool {
			return dates[out[i]] < dates[out[j]] || dates[out[i]] == dates[out[j]] && out[i] < out[j]
		})
		return out
	}
	jan := orders.Filter{From: day("2024-01-01"), To: day("2024-01-31")}
	for _, limit := range []int{1, 2, 7, 50} {
		f := jan
		f.Limit = limit
		want(t, fmt.Sprintf("staff, limit %d", limit), e.search(staff, f), byKey(all)...)
		want(t, fmt.Sprintf("partner, limit %d", limit), e.search(partner("700001HQ"), f), byKey(mine)...)
		got := e.invoices(staff, orders.InvoiceFilter{Limit: limit})
		if g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(invs)); !slices.Equal(g, w) {
			t.Fatalf("invoices, limit %d: %v, want %v", limit, got, invs)
		}
		got = e.invoices(partner("700001HQ"), orders.InvoiceFilter{Limit: limit})
		if g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(partnerInvs)); !slices.Equal(g, w) {
			t.Fatalf("partner invoices, limit %d: %v, want %v", limit, got, partnerInvs)
		}
		d := e.distributed(partner("700001HQ"), orders.DistributorFilter{From: jan.From, To: jan.To, Limit: limit})
		if len(d) != 10 {
			t.Fatalf("distributor orders, limit %d: %v", limit, d)
		}
	}
	// Invoices in issue-date order.
	items, _, err := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		if a.IssuedOn > b.IssuedOn || a.IssuedOn == b.IssuedOn && a.InvoiceNumber >= b.InvoiceNumber {
			t.Fatalf("out of order: %+v before %+v", a, b)
		}
	}
	// Invoice filters.
	want(t, "invoice by number", e.invoices(staff, orders.InvoiceFilter{Number: invs[3]}), invs[3])
	want(t, "invoice by order", e.invoices(staff, orders.InvoiceFilter{OrderNumber: all[0]}), invs[0])
	want(t, "invoice by PO", e.invoices(staff, orders.InvoiceFilter{PO: " po-2 "}), invs[1])
	byDay := e.invoices(staff, orders.InvoiceFilter{From: day("2024-02-02"), To: day("2024-02-02")})
	for _, n := range byDay {
		v, _, _ := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Number: n})
		if v[0].IssuedOn != "2024-02-02" {
			t.Fatalf("%s issued %s", n, v[0].IssuedOn)
		}
	}
	if len(byDay) == 0 || len(e.invoices(staff, orders.InvoiceFilter{From: day("2024-02-03")}))+
		len(e.invoices(staff, orders.InvoiceFilter{To: day("2024-02-02")})) != len(invs) {
		t.Fatalf("open ranges do not split the invoices")
	}
}

// TestBadPageRequests: a forged cursor, one of another query or viewer,
// and a limit out of range are refused.
func TestBadPageRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	for i := range 3 {
		n := e.submit(spec{po: fmt.Sprintf("PO-%d", i), customer: "100001HQ", partner: "700001HQ"})
		e.fulfil(n, "100001HQ", fmt.Sprintf("PO-%d", i), "2024-06-02")
	}
	e.build()
	f := orders.Filter{From: day("2024-01-01"), To: day("2024-12-31"), Limit: 1}
	_, next, err := orders.Search(e.Ctx, e.Pool, staff, f)
	if err != nil || next == "" {
		t.Fatalf("%q %v", next, err)
	}
	_, invNext, err := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Limit: 1})
	if err != nil || invNext == "" {
		t.Fatalf("%q %v", invNext, err)
	}
	other := f
	other.To = day("2024-11-30")
	typed := f
	typed.Type = "new"
	for _, c := range []struct {
		name   string
		viewer domain.Principal
		f      orders.Filter
		cursor string
	}{
		{"garbage", staff, f, "not a cursor"},
		{"forged", staff, f, base64.RawURLEncoding.EncodeToString([]byte(`{"d":"2024-01-01","n":"ORD-0000001","q":"x"}`))},
		{"bad date", staff, f, base64.RawURLEncoding.EncodeToString([]byte(`{"d":"x","n":"ORD-0000001","q":"x"}`))},
		{"other range", staff, other, next},
		{"other filter", staff, typed, next},
		{"other viewer", auditor, f, next},
		{"partner", partner("700001HQ"), f, next},
		{"an invoice cursor", staff, f, invNext},
	} {
		c.f.Cursor = c.cursor
		if _, _, err := orders.Search(e.Ctx, e.Pool, c.viewer, c.f); !errors.Is(err, readmodel.ErrBadCursor) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, _, err := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Limit: 1, PO: "PO-1", Cursor: invNext}); !errors.Is(err, orders.ErrBadCursor) {
		t.Errorf("invoice cursor of another filter: %v", err)
	}
	if _, _, err := orders.DistributorOrders(e.Ctx, e.Pool, staff, orders.DistributorFilter{From: f.From, To: f.To, Cursor: next}); !errors.Is(err, orders.ErrBadCursor) {
		t.Errorf("order cursor on distributor orders: %v", err)
	}
	for _, limit := range []int{-1, 501} {
		f.Limit = limit
		if _, _, err := orders.Search(e.Ctx, e.Pool, staff, f); !errors.Is(err, orders.ErrBadLimit) {
			t.Errorf("limit %d: %v", limit, err)
		}
		if _, _, err := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Limit: limit}); !errors.Is(err, orders.ErrBadLimit) {
			t.Errorf("invoices, limit %d: %v", limit, err)
		}
	}
	// The right cursor continues.
	f.Limit, f.Cursor = 1, next
	items, _, err := orders.Search(e.Ctx, e.Pool, staff, f)
	if err != nil || len(items) != 1 || items[0].OrderNumber != "ORD-0000002" {
		t.Fatalf("%+v %v", items, err)
	}
}

// TestCustomerNameFindsAnOrderOnce: an order whose customer matches a name
// in several ways (its account's current and former name, the account a
// merge moved it from) is listed once, and paging over such orders visits
// each once; an order matches by the name of the account it was placed for
// after a merge moved it, and by its account's former name.
func TestCustomerNameFindsAnOrderOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.account("100001HQ", "Acme Ltd")
	e.account("100002HQ", "Acme Holdings")
	e.account("100003HQ", "Other Co")
	e.account("100004HQ", "Acme Old GmbH")
	var ns []string
	for i := range 5 {
		ns = append(ns, e.submit(spec{po: fmt.Sprintf("PO-%d", i), date: fmt.Sprintf("2024-01-%02d", 1+i), customer: "100001HQ"}))
	}
	ns = append(ns, e.submit(spec{po: "PO-H", date: "2024-01-03", customer: "100002HQ"}))
	ns = append(ns, e.submit(spec{po: "PO-O", date: "2024-01-02", customer: "100003HQ"}))
	ns = append(ns, e.submit(spec{po: "PO-B", date: "2024-01-04", customer: "100004HQ"}))
	e.rename("100002HQ", "Acme Holdings", "Zenith Group")
	e.rename("100004HQ", "Acme Old GmbH", "Beta New GmbH")
	e.merge("100001HQ", "100002HQ", ns[:5]...)
	e.build()
	jan := func(name string, limit int) orders.Filter {
		return orders.Filter{From: day("2024-01-01"), To: day("2024-01-31"), CustomerName: name, Limit: limit}
	}
	// In (PO date, number) order.
	acme := []string{ns[0], ns[1], ns[2], ns[5], ns[3], ns[7], ns[4]}
	for _, limit := range []int{0, 1, 2, 4} {
		want(t, fmt.Sprintf("acme, limit %d", limit), e.search(staff, jan("ACME", limit)), acme...)
	}
	want(t, "acme ltd", e.search(staff, jan("Acme, Ltd.", 0)), acme...)
	want(t, "zenith", e.search(staff, jan("zenith", 0)), ns[0], ns[1], ns[2], ns[5], ns[3], ns[4])
	want(t, "acme h", e.search(staff, jan("acme h", 0)), ns[0], ns[1], ns[2], ns[5], ns[3], ns[4])
	want(t, "acme o", e.search(staff, jan("acme o", 0)), ns[7])
	want(t, "beta", e.search(staff, jan("beta", 0)), ns[7])
	want(t, "other", e.search(staff, jan("other", 2)), ns[6])
	want(t, "acme, as the survivor", e.search(customerOf("100002HQ"), jan("acme", 2)), ns[0], ns[1], ns[2], ns[5], ns[3], ns[4])
	want(t, "acme, as another customer", e.search(customerOf("100003HQ"), jan("acme", 2)))
}
