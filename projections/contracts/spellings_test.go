package contracts_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// TestSearchesWithTheSpellingsIndexAnswerAsWithout: with the live
// projectors running, contract and VAT searches by name answer row for
// row, page for page, the same with the in-process index of spellings as
// without it: before it is read, once read, after companies are added,
// renamed, given their first agreement and merged (their names no longer
// held) behind its back, once it has read those changes, and after a
// rebuild replaced the tables it read.
func TestSearchesWithTheSpellingsIndexAnswerAsWithout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.Runner(e.Config(5), customers.New(), contracts.New())
	e.Start(live)
	rng := rand.New(rand.NewPCG(3, 3))
	heads := []string{"Redwood", "Rosewood", "Redwod", "Northwind", "Nordwind", "Ωmega", "Oakridge", "Oak Ridge", "Kestrel"}
	trades := []string{"Consulting", "Consultants", "Logistics", "Logistic", "Software", "Freight"}
	name := func() string {
		n := heads[rng.IntN(len(heads))] + " " + trades[rng.IntN(len(trades))]
		if rng.IntN(4) == 0 {
			n += " Group"
		}
		return n + " GmbH"
	}
	countries := []string{"DE", "US", "JP"}
	next := 0
	var bare []string                 // companies without an agreement yet
	agreements := map[string]string{} // the agreement of each company holding one
	companies := func(n int) {
		for range n {
			next++
			id := fmt.Sprintf("78%04dHQ", next)
			e.register(id, name(), countries[next%len(countries)], "", "Berlin")
			if rng.IntN(3) > 0 {
				agreements[id] = fmt.Sprintf("ELA-%06d", next)
				e.agreement(agreements[id], id)
			} else {
				bare = append(bare, id)
			}
			if rng.IntN(4) == 0 {
				e.on("account-"+id, account.CompanyRenamed{AccountID: id, NewName: name()})
			}
			if next%2 == 0 {
				e.on("account-"+id, account.OrderAttached{AccountID: id, OrderNumber: fmt.Sprintf("ORD-%07d", next), PartnerID: pOrder})
			}
		}
	}
	wait := func() {
		t.Helper()
		if err := live.WaitFor(e.Ctx, e.PublishAll(), contracts.Name, customers.Name); err != nil {
			t.Fatal(err)
		}
	}
	companies(150)
	wait()

	sp := contracts.NewSpellings(e.Pool, nil)
	searches := []string{"Redwood Consulting", "Redwoox Consultinx", "Redwood", "Rosewod", "Northwind Logistics Group",
		"Nordwind Logistics", "Northwinx Logistic", "Ωmega Logistic", "Omega Logistics", "Oak Ridge Software", "Oakridge Sofware", "Kestrl Freigt", "Consulting", "Logistcs"}
	check := func(when string) {
		t.Helper()
		rows := 0
		for _, q := range searches {
			for _, viewer := range []domain.Principal{staff, partner(pOrder)} {
				for _, limit := range []int{7, 50} {
					f := contracts.Filter{Company: q, Limit: limit}
					got, want := e.searchWith(sp, viewer, f), e.searchWith(nil, viewer, f)
					if !slices.Equal(found(got), found(want)) {
						t.Errorf("%s: %q as %s, pages of %d: with the index\n %v\nwithout\n %v", when, q, viewer.ID, limit, found(got), found(want))
					}
					rows += len(want)
					v := contracts.VATFilter{Company: q, Limit: limit}
					if got, want := e.vatWith(sp, viewer, v), e.vatWith(nil, viewer, v); !slices.Equal(got, want) {
						t.Errorf("%s: VAT %q as %s, pages of %d: with the index\n %v\nwithout\n %v", when, q, viewer.ID, limit, got, want)
					}
				}
			}
		}
		if rows < 300 {
			t.Fatalf("%s: only %d rows found in all", when, rows)
		}
	}
	check("before the index is read")
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("index read")

	companies(60)
	for i, id := range bare[:len(bare)/2] {
		e.agreement(fmt.Sprintf("EASY-%06d", i+1), id)
	}
	// Merges move agreements away: the sources' names are no longer held.
	for i := 1; i <= 9; i += 2 {
		source, target := fmt.Sprintf("78%04dHQ", i), fmt.Sprintf("78%04dHQ", i+1)
		var moved []string
		if n, ok := agreements[source]; ok {
			moved = append(moved, n)
		}
		e.merge(source, target, moved...)
	}
	wait()
	check("changes since the index was read")
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("changes read")

	if err := e.runner(0, 0, 0).Rebuild(e.Ctx, contracts.Name); err != nil {
		t.Fatal(err)
	}
	check("tables rebuilt")
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("rebuilt tables read")
}

// found lists each contract found and the former name it was found by.
func found(cs []contracts.Contract) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ContractNumber + " " + c.MatchedFormerName
	}
	return out
}

// searchWith pages through sp.Search (sp nil: contracts.Search).
func (e *env) searchWith(sp *contracts.Spellings, viewer domain.Principal, f contracts.Filter) []contracts.Contract {
	e.T.Helper()
	var out []contracts.Contract
	for pages := 0; ; pages++ {
		items, next, err := sp.Search(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatalf("search %+v as %s: %v", f, viewer.ID, err)
		}
		out = append(out, items...)
		if next == "" || pages > 1000 {
			return out
		}
		f.Cursor = next
	}
}

// vatWith pages through sp.VAT and lists each entry's account, VAT number
// and the former name it was found by.
func (e *env) vatWith(sp *contracts.Spellings, viewer domain.Principal, f contracts.VATFilter) []string {
	e.T.Helper()
	var out []string
	for pages := 0; ; pages++ {
		items, next, err := sp.VAT(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatalf("vat %+v as %s: %v", f, viewer.ID, err)
		}
		for _, v := range items {
			out = append(out, v.AccountID+" "+v.VATNumber+" "+v.MatchedFormerName)
		}
		if next == "" || pages > 1000 {
			return out
		}
		f.Cursor = next
	}
}
