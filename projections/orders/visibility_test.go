package orders_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/orders"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// all2024 is a PO date range holding every order of these tests.
var all2024 = orders.Filter{From: day("2024-01-01"), To: day("2024-12-31")}

// visibilityWorld: accounts A, B and C; resellers P1 and P2, distributor D
// and an unrelated partner U.
//
//	o1  A  P1       PO-100  2024-03-01
//	o2  B  P2  D    PO-200  2024-03-15 (distributor PO D-200)
//	o3  C  P1       PO-300  2024-04-01, fulfilled: invoice billed to C
//	o4  A  P2       PO-100  2024-05-01
const (
	accA, accB, accC = "100001HQ", "100002HQ", "100003HQ"
	p1, p2, dist, u  = "700001HQ", "700002HQ", "710001HQ", "799999HQ"
)

func visibilityWorld(t *testing.T) (e *env, o1, o2, o3, o4, inv string) {
	e = newEnv(t, false)
	e.account(accA, "Alpha Industries GmbH")
	e.account(accB, "Beta Trading Ltd")
	e.account(accC, "Gamma Systems AG")
	o1 = e.submit(spec{po: "PO-100", date: "2024-03-01", customer: accA, partner: p1})
	o2 = e.submit(spec{po: "PO-200", date: "2024-03-15", customer: accB, partner: p2, distributor: dist, distPO: "D-200"})
	o3 = e.submit(spec{po: "PO-300", date: "2024-04-01", customer: accC, partner: p1})
	o4 = e.submit(spec{po: "PO-100", date: "2024-05-01", customer: accA, partner: p2})
	inv = e.fulfil(o3, accC, "PO-300", "2024-04-10")
	e.build()
	return e, o1, o2, o3, o4, inv
}

// visible returns the orders viewer finds in 2024, and checks Get agrees
// for each of want and refuses the others with ErrNotFound.
func (e *env) visible(viewer domain.Principal, every []string) []string {
	e.T.Helper()
	got := e.search(viewer, all2024)
	for _, n := range every {
		o, err := orders.Get(e.Ctx, e.Pool, viewer, n)
		switch {
		case slices.Contains(got, n) && (err != nil || o.OrderNumber != n):
			e.T.Fatalf("%s lists %s but Get gives %+v %v", viewer.ID, n, o, err)
		case !slices.Contains(got, n) && !errors.Is(err, orders.ErrNotFound):
			e.T.Fatalf("%s does not list %s but Get gives %+v %v", viewer.ID, n, o, err)
		}
	}
	return got
}

func want(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// TestStaffSeeEveryOrder: staff with any role (support, auditor) see every
// order and invoice; staff without a role and a principal of no kind see
// none, and Get answers them not found.
func TestStaffSeeEveryOrder(t *testing.T) {
	t.Parallel()
	e, o1, o2, o3, o4, inv := visibilityWorld(t)
	every := []string{o1, o2, o3, o4}
	for _, v := range []domain.Principal{staff, auditor} {
		want(t, v.ID+" orders", e.visible(v, every), o1, o2, o3, o4)
		want(t, v.ID+" invoices", e.invoices(v, orders.InvoiceFilter{}), inv)
		want(t, v.ID+" PO-100", e.search(v, orders.Filter{PO: "po-100"}), o1, o4)
	}
	for _, v := range []domain.Principal{noRoles, stranger} {
		want(t, v.ID+" orders", e.visible(v, every))
		want(t, v.ID+" PO-100", e.search(v, orders.Filter{PO: "PO-100"}))
		want(t, v.ID+" invoices", e.invoices(v, orders.InvoiceFilter{}))
		want(t, v.ID+" distributor orders", e.distributed(v, orders.DistributorFilter{From: all2024.From, To: all2024.To}))
	}
}

// TestCustomerSeesItsOwnOrders: a customer contact sees the orders of its
// account and their invoices, never another customer's.
func TestCustomerSeesItsOwnOrders(t *testing.T) {
	t.Parallel()
	e, o1, o2, o3, o4, inv := visibilityWorld(t)
	every := []string{o1, o2, o3, o4}
	want(t, "A", e.visible(customerOf(accA), every), o1, o4)
	want(t, "B", e.visible(customerOf(accB), every), o2)
	want(t, "C", e.visible(customerOf(accC), every), o3)
	want(t, "A by PO", e.search(customerOf(accA), orders.Filter{PO: "PO-100"}), o1, o4)
	want(t, "B by A's PO", e.search(customerOf(accB), orders.Filter{PO: "PO-100"}))
	want(t, "C invoices", e.invoices(customerOf(accC), orders.InvoiceFilter{}), inv)
	for _, id := range []string{accA, accB, "999999ZZ"} {
		want(t, id+" invoices", e.invoices(customerOf(id), orders.InvoiceFilter{}))
		want(t, id+" invoice by number", e.invoices(customerOf(id), orders.InvoiceFilter{Number: inv}))
		want(t, id+" distributor orders", e.distributed(customerOf(id), orders.DistributorFilter{From: all2024.From, To: all2024.To}))
	}
}

// TestPartnerSeesTheOrdersItIsOn: a partner sees the orders it submitted
// and those it is the distributor on, by date range and by PO number, and
// the invoices of those; an unrelated partner sees nothing, not even with
// the exact PO number.
func TestPartnerSeesTheOrdersItIsOn(t *testing.T) {
	t.Parallel()
	e, o1, o2, o3, o4, inv := visibilityWorld(t)
	every := []string{o1, o2, o3, o4}
	want(t, "P1", e.visible(partner(p1), every), o1, o3)
	want(t, "P2", e.visible(partner(p2), every), o2, o4)
	want(t, "D", e.visible(partner(dist), every), o2)
	want(t, "U", e.visible(partner(u), every))

	// By PO: only the orders the caller is associated with, even where
	// another partner used the same PO number.
	want(t, "P1 PO-100", e.search(partner(p1), orders.Filter{PO: "PO-100"}), o1)
	want(t, "P2 PO-100", e.search(partner(p2), orders.Filter{PO: "po-100"}), o4)
	want(t, "D PO-200", e.search(partner(dist), orders.Filter{PO: "PO-200"}), o2)
	want(t, "D its own PO", e.search(partner(dist), orders.Filter{PO: "d-200"}), o2)
	want(t, "D PO-100", e.search(partner(dist), orders.Filter{PO: "PO-100"}))
	want(t, "U PO-100", e.search(partner(u), orders.Filter{PO: "PO-100"}))
	want(t, "U PO-300", e.search(partner(u), orders.Filter{PO: "PO-300"}))

	// Distributor orders: only where the caller is the distributor.
	dr := orders.DistributorFilter{From: all2024.From, To: all2024.To}
	want(t, "D distributes", e.distributed(partner(dist), dr), o2)
	want(t, "P2 distributes", e.distributed(partner(p2), dr))
	want(t, "U distributes", e.distributed(partner(u), dr))
	want(t, "staff distributor orders", e.distributed(staff, dr), o2)

	// Invoices: of the orders the partner is on.
	want(t, "P1 invoices", e.invoices(partner(p1), orders.InvoiceFilter{}), inv)
	for _, p := range []string{p2, dist, u} {
		want(t, p+" invoices", e.invoices(partner(p), orders.InvoiceFilter{}))
		want(t, p+" invoice by PO", e.invoices(partner(p), orders.InvoiceFilter{PO: "PO-300"}))
	}
}

// TestNoDatesNoOrders: without a PO number or both ends of a PO date
// range, a search lists nothing, for staff too, whatever other filter it
// carries.
func TestNoDatesNoOrders(t *testing.T) {
	t.Parallel()
	e, o1, _, _, _, _ := visibilityWorld(t)
	for _, f := range []orders.Filter{
		{},
		{PO: "   "},
		{Type: "new"},
		{OrderNumber: o1},
		{CustomerName: "alpha"},
		{From: day("2024-01-01")},
		{To: day("2024-12-31")},
	} {
		if f.HasCriteria() {
			t.Fatalf("%+v counts as a search", f)
		}
		for _, v := range []domain.Principal{staff, partner(p1), customerOf(accA)} {
			want(t, v.ID, e.search(v, f))
		}
	}
	// The same filters with a range find the orders.
	f := all2024
	f.OrderNumber = o1
	want(t, "with a range", e.search(staff, f), o1)
	// The range is inclusive at both ends, and days outside it are out.
	want(t, "one day", e.search(staff, orders.Filter{From: day("2024-03-01"), To: day("2024-03-01")}), o1)
	want(t, "before", e.search(staff, orders.Filter{From: day("2023-01-01"), To: day("2024-02-29")}))
}

// TestMergeMovesOrdersToTheSurvivor: once C is merged into A, the order
// that moved answers under A: A's contacts see it and its invoice (billed
// to C), a contact of C sees what answers under A, B still sees neither;
// the partners on the order see it as before.
func TestMergeMovesOrdersToTheSurvivor(t *testing.T) {
	t.Parallel()
	e, o1, o2, o3, o4, inv := visibilityWorld(t)
	every := []string{o1, o2, o3, o4}
	want(t, "A before", e.visible(customerOf(accA), every), o1, o4)
	want(t, "A invoices before", e.invoices(customerOf(accA), orders.InvoiceFilter{}))

	e.merge(accC, accA, o3)
	e.build()
	want(t, "A after", e.visible(customerOf(accA), every), o1, o3, o4)
	want(t, "A invoices after", e.invoices(customerOf(accA), orders.InvoiceFilter{}), inv)
	want(t, "C after", e.visible(customerOf(accC), every), o1, o3, o4)
	want(t, "C invoices after", e.invoices(customerOf(accC), orders.InvoiceFilter{}), inv)
	want(t, "B after", e.visible(customerOf(accB), every), o2)
	want(t, "B invoices after", e.invoices(customerOf(accB), orders.InvoiceFilter{}))
	want(t, "P1 after", e.visible(partner(p1), every), o1, o3)
	want(t, "U after", e.visible(partner(u), every))

	o, err := orders.Get(e.Ctx, e.Pool, staff, o3)
	if err != nil || o.CustomerAccountID != accA {
		t.Fatalf("moved order: %+v %v", o, err)
	}
	items, _, err := orders.Invoices(e.Ctx, e.Pool, staff, orders.InvoiceFilter{Number: inv})
	if err != nil || len(items) != 1 || items[0].AccountID != accC {
		t.Fatalf("the invoice stays billed to C: %+v %v", items, err)
	}
	// The merged company's name finds the order that moved.
	f := all2024
	f.CustomerName = "gamma"
	want(t, "by the merged name", e.search(staff, f), o3)
	want(t, "by the merged name, B", e.search(customerOf(accB), f))
}
