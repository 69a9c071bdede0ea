package contracts_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/projections/contracts"
)

// TestSearchQuality: a company name is found whatever the case, accents,
// punctuation and legal suffix, by a prefix, by a close misspelling and by
// a former name (marked as renamed); exact matches come first, then
// prefixes, then close spellings, most similar first; the address narrows.
func TestSearchQuality(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	companies := []struct{ id, name, country, state, city string }{
		{"720001HQ", "ABC Ltd", "GB", "", "London"},
		{"720002HQ", "ABC Consulting", "DE", "", "Köln"},
		{"720003HQ", "Société Générale S.A.", "FR", "Île-de-France", "Paris"},
		{"720004HQ", "Müller & Söhne GmbH", "DE", "Baden-Württemberg", "Stuttgart"},
		{"720005HQ", "Acme Robotics", "US", "CA", "San José"},
		{"720006HQ", "Oldname Industries", "DE", "", "Berlin"},
		{"720007HQ", "ABD Ltd", "GB", "", "Leeds"},
		{"720008HQ", "Zebra Zoology", "GB", "", "London"},
	}
	for i, c := range companies {
		e.register(c.id, c.name, c.country, c.state, c.city)
		e.agreement(fmt.Sprintf("ELA-%06d", i+1), c.id)
	}
	e.on("account-720006HQ", account.CompanyRenamed{AccountID: "720006HQ", OldName: "Oldname Industries", NewName: "Newname Industries"})
	e.build()

	for _, c := range []struct {
		query                string
		country, state, city string
		want                 []string // contract numbers, in order
	}{
		{query: "ABC, Ltd.", want: []string{"ELA-000001", "ELA-000002", "ELA-000007"}},          // exact, prefix, similar
		{query: "abc ltd", want: []string{"ELA-000001", "ELA-000002", "ELA-000007"}},            // legal suffix ignored
		{query: "abc consulting", want: []string{"ELA-000002"}},                                 // exact only
		{query: "ab", want: []string{"ELA-000001", "ELA-000002", "ELA-000007"}},                 // prefix (too short for similarity)
		{query: "SOCIETE GENERALE", want: []string{"ELA-000003"}},                               // accents
		{query: "société-générale, s.a.", want: []string{"ELA-000003"}},                         // punctuation, suffix
		{query: "muller sohne", want: []string{"ELA-000004"}},                                   // '&' and umlauts
		{query: "Mueller Soehne", want: []string{"ELA-000004"}},                                 // close spelling
		{query: "acme robtics", want: []string{"ELA-000005"}},                                   // a typo
		{query: "acme", want: []string{"ELA-000005"}},                                           // prefix
		{query: "newname", want: []string{"ELA-000006"}},                                        // current name
		{query: "oldname industries", want: []string{"ELA-000006"}},                             // former name
		{query: "abc", country: "gb", want: []string{"ELA-000001", "ELA-000007"}},               // country, either case
		{query: "societe", state: "ILE DE FRANCE", city: "paris", want: []string{"ELA-000003"}}, // state and city folded
		{query: "societe", city: "Lyon"},                                                        // another city
		{query: "acme", city: "San Jose", want: []string{"ELA-000005"}},
		{query: "nothing like it"},
		{query: "%"},                                                                          // folds to nothing
		{query: "a%", want: []string{"ELA-000001", "ELA-000002", "ELA-000007", "ELA-000005"}}, // no wildcards: the prefix "a"
	} {
		got := e.searchAll(staff, contracts.Filter{Company: c.query, Country: c.country, State: c.state, City: c.city})
		if !slices.Equal(numbers(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%q %s/%s/%s: %v, want %v", c.query, c.country, c.state, c.city, numbers(got), c.want)
		}
	}

	// Found by the former name: marked as renamed, with the name matched.
	got := e.searchAll(staff, contracts.Filter{Company: "Oldname"})
	if len(got) != 1 || !got[0].Renamed || got[0].MatchedFormerName != "Oldname Industries" ||
		got[0].CompanyName != "Newname Industries" || !slices.Equal(got[0].FormerNames, []string{"Oldname Industries"}) {
		t.Fatalf("by the former name: %+v", got)
	}
	got = e.searchAll(staff, contracts.Filter{Company: "Newname"})
	if len(got) != 1 || !got[0].Renamed || got[0].MatchedFormerName != "" {
		t.Fatalf("by the current name: %+v", got)
	}
	// And the fields of a contract.
	got = e.searchAll(staff, contracts.Filter{Company: "abc ltd"})
	want := contracts.Contract{ContractNumber: "ELA-000001", Program: "enterprise", AccountID: "720001HQ", CompanyName: "ABC Ltd",
		PrimaryAdmin: "C-000001", SecondaryAdmin: "C-000002", DiscountLevel: 3, TermStart: "2024-01-01", TermEnd: "2026-12-31",
		Status: "active", Country: "GB", City: "London", FormerNames: []string{}}
	if fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", want) {
		t.Fatalf("contract:\n got %+v\nwant %+v", got[0], want)
	}
	// VAT search ranks the same way and lists EMEA and APAC only.
	vs, _, err := contracts.VAT(e.Ctx, e.Pool, staff, contracts.VATFilter{Company: "abc"})
	if err != nil || len(vs) != 3 || vs[0].AccountID != "720001HQ" || vs[1].AccountID != "720002HQ" || vs[2].AccountID != "720007HQ" {
		t.Fatalf("vat search: %+v %v", vs, err)
	}
	if vs, _, err := contracts.VAT(e.Ctx, e.Pool, staff, contracts.VATFilter{Company: "acme robtics"}); err != nil || len(vs) != 0 {
		t.Fatalf("vat search of an AMER customer: %+v %v", vs, err)
	}
	if vs, _, err := contracts.VAT(e.Ctx, e.Pool, staff, contracts.VATFilter{Company: "oldname"}); err != nil || len(vs) != 1 ||
		!vs[0].Renamed || vs[0].MatchedFormerName != "Oldname Industries" {
		t.Fatalf("vat search by a former name: %+v %v", vs, err)
	}
}

// TestSearchPaging: paging through a search of both phases in pages of
// every size gives every row once, in the order of one large page; a
// cursor of another query or another kind of viewer is refused.
func TestSearchPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	n := 0
	for i := 0; i < 12; i++ {
		id := fmt.Sprintf("73%04dHQ", i)
		e.register(id, fmt.Sprintf("Paging %02d Ltd", i%7), "DE", "", "Berlin") // names shared by two companies
		n++
		e.agreement(fmt.Sprintf("ELA-%06d", n), id)
		if i%3 == 0 {
			n++
			e.agreement(fmt.Sprintf("EASY-%06d", n), id)
		}
	}
	for i := 0; i < 6; i++ { // close spellings, not prefixes
		id := fmt.Sprintf("74%04dHQ", i)
		e.register(id, fmt.Sprintf("Apaging %d", i), "FR", "", "Paris")
		n++
		e.agreement(fmt.Sprintf("ELA-%06d", n), id)
	}
	e.build()
	all, next, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "paging", Limit: 500})
	if err != nil || next != "" || len(all) != n {
		t.Fatalf("one page: %d of %d, %q %v", len(all), n, next, err)
	}
	if all[len(all)-1].CompanyName[:7] != "Apaging" || all[0].CompanyName != "Paging 00 Ltd" {
		t.Fatalf("order: %v", numbers(all))
	}
	for _, limit := range []int{1, 2, 3, 5, 16, 17} {
		if got := e.searchAll(staff, contracts.Filter{Company: "paging", Limit: limit}); !slices.Equal(numbers(got), numbers(all)) {
			t.Fatalf("pages of %d:\n got %v\nwant %v", limit, numbers(got), numbers(all))
		}
	}
	// By company ID, a page at a time.
	ids := e.searchAll(staff, contracts.Filter{CompanyID: "730000HQ", Limit: 1})
	if !slices.Equal(numbers(ids), []string{"EASY-000002", "ELA-000001"}) {
		t.Fatalf("by ID: %v", numbers(ids))
	}
	// Associated customers, a page at a time.
	var letters []string
	f := contracts.LetterFilter{Letter: "p", Limit: 5}
	for {
		page, next, err := contracts.Associated(e.Ctx, e.Pool, staff, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			letters = append(letters, a.AccountID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(letters) != 12 || letters[0] != "730000HQ" || letters[1] != "730007HQ" || letters[11] != "730006HQ" {
		t.Fatalf("associated: %v", letters)
	}

	_, cur, _ := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "paging", Limit: 2})
	_, idCur, _ := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{CompanyID: "730000HQ", Limit: 1})
	_, letterCur, _ := contracts.Associated(e.Ctx, e.Pool, staff, contracts.LetterFilter{Letter: "p", Limit: 2})
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"another name", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "pagin", Cursor: cur})
			return err
		}},
		{"another filter", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "paging", City: "Berlin", Cursor: cur})
			return err
		}},
		{"another kind of viewer", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, partner(pOrder), contracts.Filter{Company: "paging", Cursor: cur})
			return err
		}},
		{"a name search's cursor by ID", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{CompanyID: "730000HQ", Cursor: cur})
			return err
		}},
		{"another ID", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{CompanyID: "730001HQ", Cursor: idCur})
			return err
		}},
		{"another letter", func() error {
			_, _, err := contracts.Associated(e.Ctx, e.Pool, staff, contracts.LetterFilter{Letter: "q", Cursor: letterCur})
			return err
		}},
		{"a letter cursor in a VAT search", func() error {
			_, _, err := contracts.VAT(e.Ctx, e.Pool, staff, contracts.VATFilter{Company: "paging", Cursor: letterCur})
			return err
		}},
		{"a cursor in a VAT lookup by ID", func() error {
			_, _, err := contracts.VAT(e.Ctx, e.Pool, staff, contracts.VATFilter{CompanyID: "730000HQ", Cursor: cur})
			return err
		}},
		{"garbage", func() error {
			_, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "paging", Cursor: "eyJiIjoieCJ9"})
			return err
		}},
	} {
		if err := c.run(); !errors.Is(err, contracts.ErrBadCursor) {
			t.Errorf("%s: %v, want a bad cursor", c.name, err)
		}
	}
	for _, l := range []int{-1, 501} {
		if _, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{Company: "paging", Limit: l}); !errors.Is(err, contracts.ErrBadLimit) {
			t.Errorf("limit %d: %v", l, err)
		}
	}
}

// TestCloseSpellings: a long search lists names a typo or two away, not
// every name that shares one of its words; the close-spelling phase lists
// the MaxClose closest companies at most, leaving out those tied with the
// last; a partner finds, by prefix, close spelling and former name, what
// staff find among the companies it may see, whichever way its search
// goes (its customers scored for a word, the trigram index for a long
// search).
func TestCloseSpellings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	n := 0
	company := func(id, name string) {
		e.register(id, name, "DE", "", "Berlin")
		n++
		e.agreement(fmt.Sprintf("ELA-%06d", n), id)
	}
	company("750001HQ", "Redwood Consulting GmbH")
	company("750002HQ", "Redwod Consulting GmbH")      // a typo away
	company("750003HQ", "Acme Consulting Partners AG") // one word in common
	company("750004HQ", "Redwood Consulting Group AG") // a prefix
	company("750005HQ", "Blue Harbour Ltd")
	company("750006HQ", "Blue Harbor Ltd")
	company("750007HQ", "Old Harbour Ltd")
	e.on("account-750007HQ", account.CompanyRenamed{AccountID: "750007HQ", OldName: "Old Harbour Ltd", NewName: "Quayside Ltd"})
	company("750008HQ", "Harbour Blue Ltd")
	// 60 names alike and 60 a little less alike: 120 close spellings.
	for i := range 120 {
		name := "Zephyr Trading GmbH"
		if i >= 60 {
			name = "Zephyr Tradings GmbH"
		}
		company(fmt.Sprintf("76%04dHQ", i), name)
	}
	// The partner ordered for every other company.
	visible := map[string]bool{}
	for i, id := range []string{"750001HQ", "750002HQ", "750003HQ", "750004HQ", "750005HQ", "750006HQ", "750007HQ", "750008HQ"} {
		if i%2 == 0 {
			visible[id] = true
			e.on("account-"+id, account.OrderAttached{AccountID: id, OrderNumber: fmt.Sprintf("ORD-%07d", i+1), PartnerID: pOrder})
		}
	}
	e.build()

	accounts := func(cs []contracts.Contract) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.AccountID)
		}
		return out
	}
	got := accounts(e.searchAll(staff, contracts.Filter{Company: "Redwood Consulting"}))
	if want := []string{"750001HQ", "750004HQ", "750002HQ"}; !slices.Equal(got, want) {
		t.Errorf("redwood consulting: %v, want %v (exact, prefix, a typo away; not a name sharing a word)", got, want)
	}
	got = accounts(e.searchAll(staff, contracts.Filter{Company: "Redwod Consultin"}))
	if !slices.Contains(got, "750001HQ") || !slices.Contains(got, "750002HQ") || slices.Contains(got, "750003HQ") {
		t.Errorf("redwod consultin: %v", got)
	}

	// The cap: the 60 closest, since the 101st is tied with the 60 next.
	all := e.searchAll(staff, contracts.Filter{Company: "Zephyr Tradinx"})
	if len(all) != 60 || all[0].CompanyName != "Zephyr Trading GmbH" || all[59].CompanyName != "Zephyr Trading GmbH" {
		t.Fatalf("zephyr tradinx: %d rows, first %+v", len(all), all[0])
	}
	for _, limit := range []int{7, 50} {
		if got := e.searchAll(staff, contracts.Filter{Company: "Zephyr Tradinx", Limit: limit}); !slices.Equal(numbers(got), numbers(all)) {
			t.Fatalf("pages of %d: %d rows, want %d", limit, len(got), len(all))
		}
	}

	// A partner: staff's rows of the companies it may see, for a word (its
	// customers scored), a long search (the trigram index), prefixes and a
	// former name.
	for _, q := range []string{"Harbour", "Harbor", "Blue", "Blue Harbour", "Blue Harbour Ltd", "Redwood Consulting",
		"Redwod Consultin", "Old Harbour", "Old Harbor", "Quayside", "Zephyr Tradinx"} {
		var want []string
		for _, c := range e.searchAll(staff, contracts.Filter{Company: q}) {
			if visible[c.AccountID] {
				want = append(want, c.ContractNumber)
			}
		}
		got := numbers(e.searchAll(partner(pOrder), contracts.Filter{Company: q, Limit: 2}))
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%q as the partner: %v, want %v", q, got, want)
		}
	}
	if got := e.searchAll(partner(pOrder), contracts.Filter{Company: "Old Harbor"}); len(got) != 1 || got[0].MatchedFormerName != "Old Harbour Ltd" {
		t.Errorf("old harbor as the partner: %+v", got)
	}
}

// TestStaffAndPartnerFindTheSameCloseSpellings cross-checks the three ways
// a name search finds close spellings: staff walk the spellings most
// similar first and stop at MaxClose companies; a partner joins the
// spellings to its relationships (a long search) or scores its customers'
// names (a word). A partner that ordered for every company must see what
// staff see, row for row and in the same order, among names drawn from a
// small vocabulary, so that many companies share a spelling, scores tie,
// and renamed companies are found by a current or a former name, whichever
// is closer.
func TestStaffAndPartnerFindTheSameCloseSpellings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	rng := rand.New(rand.NewPCG(4, 2))
	heads := []string{"Redwood", "Rosewood", "Redwod", "Northwind", "Northwinds", "Oakridge", "Oak Ridge", "Kestrel"}
	trades := []string{"Consulting", "Consultants", "Logistics", "Logistic", "Software", "Freight"}
	name := func() string {
		n := heads[rng.IntN(len(heads))] + " " + trades[rng.IntN(len(trades))]
		if rng.IntN(4) == 0 {
			n += " Group"
		}
		return n + " GmbH"
	}
	for i := range 260 {
		id := fmt.Sprintf("77%04dHQ", i)
		e.register(id, name(), "DE", "", "Berlin")
		if rng.IntN(5) > 0 {
			e.agreement(fmt.Sprintf("ELA-%06d", i+1), id)
		}
		if rng.IntN(4) == 0 {
			old := ""
			for range 1 + rng.IntN(2) {
				next := name()
				if old == "" {
					e.on("account-"+id, account.CompanyRenamed{AccountID: id, NewName: next})
				} else {
					e.on("account-"+id, account.CompanyRenamed{AccountID: id, OldName: old, NewName: next})
				}
				old = next
			}
		}
		e.on("account-"+id, account.OrderAttached{AccountID: id, OrderNumber: fmt.Sprintf("ORD-%07d", i+1), PartnerID: pOrder})
	}
	e.build()
	for _, q := range []string{"Redwood Consulting", "Redwoox Consultinx", "Redwood", "Redwoo", "Rosewod", "Northwind Logistics Group",
		"Northwinx Logistic", "Oak Ridge Software", "Oakridge Sofware", "Kestrel Freight", "Kestrl Freigt", "Consulting", "Logistcs"} {
		staffRows := e.searchAll(staff, contracts.Filter{Company: q, Limit: 7})
		partnerRows := e.searchAll(partner(pOrder), contracts.Filter{Company: q, Limit: 9})
		if !slices.Equal(numbers(staffRows), numbers(partnerRows)) {
			t.Errorf("%q: staff find %d agreements, the partner %d:\n staff   %v\n partner %v", q, len(staffRows), len(partnerRows),
				numbers(staffRows), numbers(partnerRows))
			continue
		}
		for i := range staffRows {
			if staffRows[i].MatchedFormerName != partnerRows[i].MatchedFormerName {
				t.Errorf("%q: %s found by %q for staff, by %q for the partner", q, staffRows[i].ContractNumber,
					staffRows[i].MatchedFormerName, partnerRows[i].MatchedFormerName)
			}
		}
		if len(staffRows) == 0 {
			t.Errorf("%q finds nothing", q)
		}
	}
}
