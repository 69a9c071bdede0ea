package customers_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// on appends events to one stream at its current version.
func (e *env) on(stream string, evs ...domain.Event) {
	e.T.Helper()
	v, err := e.Store.StreamVersion(e.Ctx, stream)
	if err != nil {
		e.T.Fatal(err)
	}
	sa := eventstore.StreamAppend{StreamID: stream, ExpectedVersion: v}
	for _, ev := range evs {
		sa.Events = append(sa.Events, projtest.NewEvent(ev))
	}
	e.Append(sa)
}

// rels returns "account party relationship [sources]" for every
// relationship row.
func (e *env) rels() []string {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT account_id || ' ' || party_id || ' ' || relationship ||
		CASE WHEN cardinality(sources) > 0 THEN ' ' || array_to_string(sources, ',') ELSE '' END
		FROM proj_customers.relationships ORDER BY 1`)
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.T.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestRelationshipsFollowTheEvents: every way a partner comes to be
// related to a customer (an order it placed or distributed, view rights,
// renewal, advice, manage rights under an agreement) makes a relationship
// row, and the ways it ends remove it: revoked view rights, a removed or
// replaced renewal partner or advisor, manage rights revoked under the
// last agreement. A merge marks the merged account, moves its
// relationships to the survivor as the domain does (the survivor keeps its
// own renewal partner) and its agreements' manage rights with them. Tags,
// address and VAT number follow too. A live projector applying one event
// at a time and both rebuilds end with the same rows.
func TestRelationshipsFollowTheEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	live := e.runner(1, 0)
	stop := e.Start(live)

	a, b := "700001HQ", "700002HQ"
	e.register(registered(a, "Alpha Robotics GmbH"), registered(b, "Beta Robotics GmbH"))
	e.on("account-"+a,
		account.AddressChanged{AccountID: a, To: account.Location{Address: account.Address{Country: "FR", City: "Lyon"}, Region: "EMEA"}},
		account.VATNumberSet{AccountID: a, VATNumber: "FR123"},
		account.AccountTagged{AccountID: a, Tag: "strategic"}, account.AccountTagged{AccountID: a, Tag: "edu"},
		account.AccountUntagged{AccountID: a, Tag: "strategic"},
		account.OrderAttached{AccountID: a, OrderNumber: "ORD-1", PartnerID: "P1", DistributorID: "D1"},
		account.OrderAttached{AccountID: a, OrderNumber: "ORD-2", PartnerID: "P1"},
		account.ViewRightsGranted{AccountID: a, PartnerID: "P2", Scope: account.ScopeAll},
		account.ViewRightsGranted{AccountID: a, PartnerID: "P3", Scope: account.ScopeAll},
		account.ViewRightsRevoked{AccountID: a, PartnerID: "P3"},
		account.RenewalPartnerDesignated{AccountID: a, PartnerID: "P4"},
		account.RenewalPartnerDesignated{AccountID: a, PartnerID: "P5"},
		account.SolutionAdvisorAssigned{AccountID: a, PartnerID: "P6", ContactID: "C-1"},
	)
	e.on("account-"+b, account.RenewalPartnerDesignated{AccountID: b, PartnerID: "P7"})
	e.on("contract-ELA-000001", contract.Registered{ContractNumber: "ELA-000001", Program: "ela", AccountID: a},
		contract.ManageRightsGranted{PartnerID: "P8"}, contract.ManageRightsGranted{PartnerID: "P9"})
	e.on("contract-EASY-000001", contract.Registered{ContractNumber: "EASY-000001", Program: "easy", AccountID: a},
		contract.ManageRightsGranted{PartnerID: "P8"})
	e.on("contract-ELA-000001", contract.ManageRightsRevoked{PartnerID: "P9"})
	e.on("contract-EASY-000001", contract.ManageRightsRevoked{PartnerID: "P8"})

	wantBefore := []string{
		a + " D1 distributor", a + " P1 ordering_partner", a + " P2 view_rights", a + " P5 renewal_partner",
		a + " P6 solution_advisor", a + " P8 manage_rights ELA-000001", b + " P7 renewal_partner",
	}
	if err := live.WaitFor(e.Ctx, e.PublishAll(), customers.Name); err != nil {
		t.Fatal(err)
	}
	if got := e.rels(); !slices.Equal(got, wantBefore) {
		t.Fatalf("relationships:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(wantBefore, "\n     "))
	}

	// a is merged into b, in one append as the command service writes it.
	moved := account.Moved{Contracts: []account.ContractLink{{Number: "ELA-000001", Program: "ela"}, {Number: "EASY-000001", Program: "easy"}},
		Orders: []account.OrderLink{{OrderNumber: "ORD-1", PartnerID: "P1", DistributorID: "D1"}, {OrderNumber: "ORD-2", PartnerID: "P1"}},
		Relationships: account.Relationships{ViewRights: []account.ViewRight{{PartnerID: "P2", Scope: account.ScopeAll}},
			RenewalPartner: "P5", SolutionAdvisor: &account.Advisor{PartnerID: "P6", ContactID: "C-1"}}}
	va, _ := e.Store.StreamVersion(e.Ctx, "account-"+a)
	vb, _ := e.Store.StreamVersion(e.Ctx, "account-"+b)
	vc, _ := e.Store.StreamVersion(e.Ctx, "contract-ELA-000001")
	vd, _ := e.Store.StreamVersion(e.Ctx, "contract-EASY-000001")
	e.Append(
		eventstore.StreamAppend{StreamID: "account-" + a, ExpectedVersion: va, Events: []eventstore.NewEvent{
			projtest.NewEvent(account.AccountMerged{AccountID: a, Into: b, Reason: "duplicate", Evidence: []string{"CASE-1"}, Moved: moved})}},
		eventstore.StreamAppend{StreamID: "account-" + b, ExpectedVersion: vb, Events: []eventstore.NewEvent{
			projtest.NewEvent(account.MergeReceived{AccountID: b, From: a, Reason: "duplicate", Evidence: []string{"CASE-1"}, Moved: moved})}},
		eventstore.StreamAppend{StreamID: "contract-ELA-000001", ExpectedVersion: vc, Events: []eventstore.NewEvent{
			projtest.NewEvent(contract.OwnerChanged{FromAccountID: a, ToAccountID: b, Reason: "merge"})}},
		eventstore.StreamAppend{StreamID: "contract-EASY-000001", ExpectedVersion: vd, Events: []eventstore.NewEvent{
			projtest.NewEvent(contract.OwnerChanged{FromAccountID: a, ToAccountID: b, Reason: "merge"})}},
	)
	// Manage rights granted after the merge land on the survivor, which
	// is then renamed: its relationships carry its new name.
	e.on("contract-EASY-000001", contract.ManageRightsGranted{PartnerID: "P9"})
	e.on("account-"+b, account.CompanyRenamed{AccountID: b, OldName: "Beta Robotics GmbH", NewName: "Gamma Systems GmbH"})
	if err := live.WaitFor(e.Ctx, e.PublishAll(), customers.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	wantAfter := []string{
		b + " D1 distributor", b + " P1 ordering_partner", b + " P2 view_rights", b + " P6 solution_advisor",
		b + " P7 renewal_partner", b + " P8 manage_rights ELA-000001", b + " P9 manage_rights EASY-000001",
	}
	if got := e.rels(); !slices.Equal(got, wantAfter) {
		t.Fatalf("relationships after the merge:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(wantAfter, "\n     "))
	}
	var status, into, country, vat string
	var tags []string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT status, merged_into, country, vat_number, tags FROM proj_customers.customers
		WHERE account_id = $1`, a).Scan(&status, &into, &country, &vat, &tags); err != nil {
		t.Fatal(err)
	}
	if status != "merged" || into != b || country != "FR" || vat != "FR123" || !slices.Equal(tags, []string{"edu"}) {
		t.Fatalf("merged account row: %s %s %s %s %v", status, into, country, vat, tags)
	}

	want := e.dump()
	for _, rb := range []struct{ batch, foldRows int }{{100000, 0}, {2, 0}, {5, -1}, {100000, -1}} {
		cfg := e.Config(0)
		cfg.RebuildBatchSize, cfg.RebuildFoldRows = rb.batch, rb.foldRows
		if err := e.Runner(cfg, customers.New()).Rebuild(e.Ctx, customers.Name); err != nil {
			t.Fatal(err)
		}
		if got := e.dump(); !slices.Equal(got, want) {
			t.Fatalf("rebuild %+v:\n got %s\nwant %s", rb, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}

	// What partners see: the list, one row per relationship, only of the
	// survivor; the merged account is found by its old ID and leads on.
	if got := ids(e.listAll(partner("P1"), customers.Filter{})); !slices.Equal(got, []string{b + "/ordering_partner"}) {
		t.Fatalf("P1 sees %v", got)
	}
	if got := ids(e.listAll(partner("P3"), customers.Filter{})); len(got) != 0 {
		t.Fatalf("P3, whose view rights were revoked, sees %v", got)
	}
	for _, prefix := range []string{"gamma", "beta rob"} { // the new name and the old one
		if got := ids(e.listAll(partner("P1"), customers.Filter{NamePrefix: prefix})); !slices.Equal(got, []string{b + "/ordering_partner"}) {
			t.Fatalf("P1 searching %q sees %v", prefix, got)
		}
	}
	if got := ids(e.listAll(partner("P1"), customers.Filter{NamePrefix: "alpha"})); len(got) != 0 {
		t.Fatalf("P1 searching the merged account's name sees %v", got)
	}
	for _, g := range []struct {
		who  string
		as   domain.Principal
		want string // "" for not found
	}{
		{"staff", staff, b},
		{"P1, related to the survivor", partner("P1"), b},
		{"P7, the survivor's own renewal partner", partner("P7"), b},
		{"P3, related to neither", partner("P3"), ""},
		{"a contact of the merged account", customerOf(a), b},
		{"a contact of the survivor", customerOf(b), b},
		{"a contact of another account", customerOf("700009HQ"), ""},
	} {
		c, from, err := customers.Get(e.Ctx, e.Pool, g.as, a)
		if g.want == "" {
			if !errors.Is(err, customers.ErrNotFound) {
				t.Errorf("%s gets the merged ID: %+v %v, want not found", g.who, c, err)
			}
			continue
		}
		if err != nil || c.AccountID != g.want || !slices.Equal(from, []string{a}) {
			t.Errorf("%s gets the merged ID: %+v %v %v, want %s", g.who, c, from, err, g.want)
		}
	}
}
