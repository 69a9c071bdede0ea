package customers_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// TestListByFoldedNamePrefix: the prefix is folded like the names: case,
// accents, punctuation and legal suffixes do not matter, and no character
// acts as a LIKE wildcard.
func TestListByFoldedNamePrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.register(
		registered("100001HQ", "abc ltd"),
		registered("100002HQ", "ABC Logistics GmbH"),
		registered("100003HQ", "Abcd Inc."),
		registered("100004HQ", "Über Systems AG"),
		registered("100005HQ", "XYZ"),
		registered("100006HQ", "50 Cent Holdings"),
		registered("100007HQ", "5x0 Labs"),
		registered("100008HQ", "A_C Partners"),
		registered("100009HQ", "Zeta 100%"),
	)
	e.build()
	cases := []struct {
		q    string
		want []string
	}{
		{"ABC, Ltd.", []string{"100001HQ", "100002HQ", "100003HQ"}},
		{"abc l", []string{"100002HQ"}},
		{"ABCD", []string{"100003HQ"}},
		{"uber", []string{"100004HQ"}},
		{"ÜBER sys", []string{"100004HQ"}},
		{"50%", []string{"100006HQ"}},
		{"5_", []string{"100006HQ", "100007HQ"}}, // folds to "5"
		{"5_0", nil},                             // "5 0": "_" is no wildcard
		{"a_c", []string{"100008HQ"}},
		{`a\c`, nil},
		{"zeta 100", []string{"100009HQ"}},
		{"nothing like it", nil},
	}
	for _, c := range cases {
		got := ids(e.listAll(staff, customers.Filter{NamePrefix: c.q}))
		sort.Strings(got)
		want := slices.Clone(c.want)
		sort.Strings(want)
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("q=%q: got %v, want %v", c.q, got, want)
		}
	}
	// No prefix: everything, ordered by folded name then ID.
	all := e.listAll(staff, customers.Filter{})
	if len(all) != 9 {
		t.Fatalf("%d customers listed, want 9", len(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := names.FoldCompany(all[i-1].Name), names.FoldCompany(all[i].Name)
		if a > b || a == b && all[i-1].AccountID >= all[i].AccountID {
			t.Fatalf("out of order: %q before %q", all[i-1].Name, all[i].Name)
		}
	}
	c := all[slices.IndexFunc(all, func(c customers.Customer) bool { return c.AccountID == "100004HQ" })]
	want := customers.Customer{AccountID: "100004HQ", Name: "Über Systems AG", FormerNames: []string{},
		PrimaryDomain: "100004hq.example", Country: "DE", State: "BE", City: "Berlin", Region: "EMEA",
		VATNumber: "DE100004", Tags: []string{}, Status: "active"}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

// TestFormerNamesAreSearchable: after renames, the company is found by its
// current and each former name, once, marked Renamed.
func TestFormerNamesAreSearchable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.register(registered("200001HQ", "Contoso Ltd"), registered("200002HQ", "Fabrikam Foods"))
	e.rename("200001HQ", "Contoso Ltd", "Fabrikam Inc")
	e.rename("200001HQ", "Fabrikam Inc", "Northwind Traders")
	e.build()
	for _, q := range []string{"contoso", "CONTOSO LTD", "fabrikam", "northwind"} {
		got := e.listAll(staff, customers.Filter{NamePrefix: q})
		var renamed []customers.Customer
		for _, c := range got {
			if c.AccountID == "200001HQ" {
				renamed = append(renamed, c)
			}
		}
		if len(renamed) != 1 {
			t.Fatalf("q=%q: renamed company found %d times in %v", q, len(renamed), ids(got))
		}
		c := renamed[0]
		if c.Name != "Northwind Traders" || !c.Renamed || !slices.Equal(c.FormerNames, []string{"Contoso Ltd", "Fabrikam Inc"}) {
			t.Fatalf("q=%q: %+v", q, c)
		}
	}
	if got := ids(e.listAll(staff, customers.Filter{NamePrefix: "fabrikam"})); !slices.Equal(got, []string{"200002HQ", "200001HQ"}) {
		// ordered by the current folded name: "fabrikam foods" < "northwind traders"
		t.Fatalf("fabrikam: %v", got)
	}
	c, _, err := customers.Get(e.Ctx, e.Pool, staff, "200002HQ")
	if err != nil || c.Renamed || len(c.FormerNames) != 0 {
		t.Fatalf("unrenamed company: %+v %v", c, err)
	}
}

// TestPagingVisitsEveryRowOnce: following next cursors lists every visible
// row exactly once, in order, whatever the page size, for staff (with ties
// on the folded name) and for a dual-role partner (once per relationship).
func TestPagingVisitsEveryRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	var regs []account.AccountRegistered
	for i := 0; i < 137; i++ {
		name := fmt.Sprintf("Company %02d", i%40) // ties: the same name under several IDs
		if i%7 == 0 {
			name += " GmbH" // folds to the same as without
		}
		regs = append(regs, registered(fmt.Sprintf("%06dHQ", 300000+(i*7919)%1000), name))
	}
	e.register(regs...)
	e.build()
	for i, r := range regs {
		if i%3 == 0 {
			e.Exec(`INSERT INTO proj_customers.relationships VALUES ($1, 'P1', 'partner', 'reseller', 1)`, r.AccountID)
		}
		if i%6 == 0 {
			e.Exec(`INSERT INTO proj_customers.relationships VALUES ($1, 'P1', 'partner', 'distributor', 1)`, r.AccountID)
		}
	}
	full, next, err := customers.List(e.Ctx, e.Pool, staff, customers.Filter{Limit: 500})
	if err != nil || next != "" || len(full) != 137 {
		t.Fatalf("one page: %d items, next %q, %v", len(full), next, err)
	}
	fullP, _, err := customers.List(e.Ctx, e.Pool, partner("P1"), customers.Filter{Limit: 500})
	if err != nil || len(fullP) != 46+23 {
		t.Fatalf("partner, one page: %d items, %v", len(fullP), err)
	}
	for _, limit := range []int{1, 3, 10, 136, 137} {
		if got := e.listAll(staff, customers.Filter{Limit: limit}); !slices.Equal(ids(got), ids(full)) {
			t.Fatalf("limit %d: paged %d items, differ from the single page", limit, len(got))
		}
		if got := e.listAll(partner("P1"), customers.Filter{Limit: limit}); !slices.Equal(ids(got), ids(fullP)) {
			t.Fatalf("partner, limit %d: paged %d items, differ from the single page", limit, len(got))
		}
	}
	seen := map[string]bool{}
	for _, id := range ids(fullP) {
		if seen[id] {
			t.Fatalf("partner sees %s twice", id)
		}
		seen[id] = true
	}
	// With a filter, paging covers exactly the filtered rows.
	want := e.listAll(staff, customers.Filter{NamePrefix: "company 1", Limit: 500})
	if got := e.listAll(staff, customers.Filter{NamePrefix: "company 1", Limit: 4}); len(want) == 0 || !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("filtered paging: %v, want %v", ids(got), ids(want))
	}
	// Default page size.
	page, next, err := customers.List(e.Ctx, e.Pool, staff, customers.Filter{})
	if err != nil || len(page) != customers.DefaultLimit || next == "" {
		t.Fatalf("default page: %d items, next %q, %v", len(page), next, err)
	}
}

// TestBadPageRequests: a cursor not issued by List, or issued to another
// kind of viewer, is ErrBadCursor; a limit out of range is ErrBadLimit.
func TestBadPageRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.register(registered("400001HQ", "Alpha"), registered("400002HQ", "Beta"))
	e.build()
	e.Exec(`INSERT INTO proj_customers.relationships VALUES ('400001HQ', 'P1', 'partner', 'reseller', 1),
		('400002HQ', 'P1', 'partner', 'reseller', 1)`)
	_, staffNext, err := customers.List(e.Ctx, e.Pool, staff, customers.Filter{Limit: 1})
	if err != nil || staffNext == "" {
		t.Fatal(staffNext, err)
	}
	_, partnerNext, err := customers.List(e.Ctx, e.Pool, partner("P1"), customers.Filter{Limit: 1})
	if err != nil || partnerNext == "" {
		t.Fatal(partnerNext, err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		name    string
		partner bool
		cursor  string
	}{
		{"not base64", false, "!!!"},
		{"padded base64", false, base64.URLEncoding.EncodeToString([]byte(`{"f":"alpha","a":"400001HQ"}`))},
		{"not JSON", false, b64([]byte("not json"))},
		{"unknown field", false, b64([]byte(`{"f":"alpha","a":"400001HQ","x":1}`))},
		{"no account", false, b64([]byte(`{"f":"alpha"}`))},
		{"trailing data", false, b64([]byte(`{"f":"alpha","a":"400001HQ"} {}`))},
		{"wrong type", false, b64([]byte(`{"f":1,"a":"400001HQ"}`))},
		{"array", false, b64([]byte(`["alpha","400001HQ"]`))},
		{"partner cursor for staff", false, partnerNext},
		{"staff cursor for a partner", true, staffNext},
		{"too long", false, b64(make([]byte, 4096))},
	}
	for _, c := range cases {
		v := staff
		if c.partner {
			v = partner("P1")
		}
		if _, _, err := customers.List(e.Ctx, e.Pool, v, customers.Filter{Cursor: c.cursor}); !errors.Is(err, customers.ErrBadCursor) {
			t.Errorf("%s: got %v, want ErrBadCursor", c.name, err)
		}
	}
	for _, limit := range []int{-1, customers.MaxLimit + 1} {
		if _, _, err := customers.List(e.Ctx, e.Pool, staff, customers.Filter{Limit: limit}); !errors.Is(err, customers.ErrBadLimit) {
			t.Errorf("limit %d: got %v, want ErrBadLimit", limit, err)
		}
	}
	if _, _, err := customers.List(e.Ctx, e.Pool, staff, customers.Filter{Limit: customers.MaxLimit, Cursor: staffNext}); err != nil {
		t.Errorf("limit %d with a good cursor: %v", customers.MaxLimit, err)
	}
}

// TestVisibility: staff (any role) see every account; a customer contact
// only its own; a partner only accounts it has a relationship with, once
// per relationship; anyone else nothing. Get answers ErrNotFound for what
// the viewer may not see, exactly as for what does not exist.
func TestVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.register(registered("500001HQ", "Alpha"), registered("500002HQ", "Beta"),
		registered("500003HQ", "Gamma"), registered("500004HQ", "Delta"))
	e.build()
	e.Exec(`INSERT INTO proj_customers.relationships VALUES
		('500001HQ', 'P1', 'partner', 'reseller', 1),
		('500001HQ', 'P1', 'partner', 'distributor', 1),
		('500002HQ', 'P1', 'partner', 'renewal_partner', 1),
		('500003HQ', 'P2', 'partner', 'reseller', 1)`)
	e.Exec(`UPDATE proj_customers.customers SET tags = '{vip}' WHERE account_id IN ('500002HQ', '500003HQ')`)
	e.Exec(`UPDATE proj_customers.customers SET status = 'merged', merged_into = '500001HQ' WHERE account_id = '500004HQ'`)

	list := []struct {
		name string
		who  string
		f    customers.Filter
		want []string
	}{
		{"staff see all active", "staff", customers.Filter{}, []string{"500001HQ", "500002HQ", "500003HQ"}},
		{"auditor too", "auditor", customers.Filter{}, []string{"500001HQ", "500002HQ", "500003HQ"}},
		{"staff by relationship", "staff", customers.Filter{Relationship: "reseller"}, []string{"500001HQ", "500003HQ"}},
		{"staff by tag", "staff", customers.Filter{Tag: "vip"}, []string{"500002HQ", "500003HQ"}},
		{"staff by domain", "staff", customers.Filter{Domain: "500003HQ.Example"}, []string{"500003HQ"}},
		{"staff without roles", "noroles", customers.Filter{}, nil},
		{"nobody", "stranger", customers.Filter{}, nil},
		{"customer sees itself", "customer", customers.Filter{}, []string{"500002HQ"}},
		{"customer, prefix not matching", "customer", customers.Filter{NamePrefix: "alpha"}, nil},
		{"partner once per relationship", "P1", customers.Filter{}, []string{"500001HQ/distributor", "500001HQ/reseller", "500002HQ/renewal_partner"}},
		{"partner by relationship", "P1", customers.Filter{Relationship: "reseller"}, []string{"500001HQ/reseller"}},
		{"partner by tag", "P1", customers.Filter{Tag: "vip"}, []string{"500002HQ/renewal_partner"}},
		{"other partner", "P2", customers.Filter{}, []string{"500003HQ/reseller"}},
		{"partner without relationships", "P3", customers.Filter{}, nil},
	}
	for _, c := range list {
		v := viewerFor(c.who)
		got, _, err := customers.List(e.Ctx, e.Pool, v, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if g := ids(got); !slices.Equal(g, c.want) && !(len(g) == 0 && len(c.want) == 0) {
			t.Errorf("%s: got %v, want %v", c.name, g, c.want)
		}
	}

	gets := []struct {
		who, id string
		ok      bool
		rel     string
	}{
		{"staff", "500003HQ", true, ""},
		{"staff", "999999HQ", false, ""},
		{"noroles", "500001HQ", false, ""},
		{"stranger", "500001HQ", false, ""},
		{"customer", "500002HQ", true, ""},
		{"customer", "500001HQ", false, ""},
		{"P1", "500001HQ", true, "distributor"},
		{"P1", "500002HQ", true, "renewal_partner"},
		{"P1", "500003HQ", false, ""},
		{"P2", "500003HQ", true, "reseller"},
		{"P3", "500001HQ", false, ""},
	}
	for _, g := range gets {
		c, _, err := customers.Get(e.Ctx, e.Pool, viewerFor(g.who), g.id)
		if !g.ok {
			if !errors.Is(err, customers.ErrNotFound) {
				t.Errorf("%s gets %s: got %+v %v, want ErrNotFound", g.who, g.id, c, err)
			}
			continue
		}
		if err != nil || c.AccountID != g.id || c.Relationship != g.rel {
			t.Errorf("%s gets %s: %+v %v", g.who, g.id, c, err)
		}
	}
	// A merged account is not listed; Get leads from its ID to the account
	// it was merged into, and says which merged IDs it came through.
	m, from, err := customers.Get(e.Ctx, e.Pool, staff, "500004HQ")
	if err != nil || m.AccountID != "500001HQ" || m.Status != "active" || !slices.Equal(from, []string{"500004HQ"}) {
		t.Fatalf("merged: %+v %v %v", m, from, err)
	}
}

func viewerFor(who string) domain.Principal {
	switch who {
	case "staff":
		return staff
	case "auditor":
		return auditor
	case "noroles":
		return noRoles
	case "customer":
		return customerOf("500002HQ")
	case "P1", "P2", "P3":
		return partner(who)
	}
	return stranger
}
