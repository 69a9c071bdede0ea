package contracts_test

import (
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/projtest"
	"github.com/jackc/pgx/v5"
)

// env is the shared harness.
type env struct {
	*projtest.Env
}

func newEnv(t *testing.T, withNATS bool) *env { return &env{Env: projtest.New(t, withNATS)} }

// runner returns a runner of the contracts projection alone.
func (e *env) runner(batch, rebuildBatch, foldRows int) *projections.Runner {
	e.T.Helper()
	cfg := e.Config(batch)
	cfg.RebuildBatchSize, cfg.RebuildFoldRows = rebuildBatch, foldRows
	return e.Runner(cfg, contracts.New())
}

// build waits until the store's tail passed every event and rebuilds both
// read models the queries use: the customer list (relationships) and the
// contract search.
func (e *env) build() {
	e.T.Helper()
	e.All()
	r := e.Runner(e.Config(0), customers.New(), contracts.New())
	for _, name := range []string{customers.Name, contracts.Name} {
		if err := r.Rebuild(e.Ctx, name); err != nil {
			e.T.Fatal(err)
		}
	}
}

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

// register registers an account with an address in country.
func (e *env) register(id, name, country, state, city string) {
	e.T.Helper()
	region, ok := geo.RegionOf(country)
	if !ok {
		e.T.Fatalf("country %q", country)
	}
	e.on("account-"+id, account.AccountRegistered{AccountID: id, Name: name, PrimaryDomain: strings.ToLower(id) + ".example",
		Address: account.Address{Country: country, State: state, City: city}, Region: string(region), VATNumber: country + "VAT" + id[:6]})
}

// agreement registers a license agreement for account.
func (e *env) agreement(number, accountID string) {
	e.T.Helper()
	program := contract.ProgramEnterprise
	if strings.HasPrefix(number, "EASY-") {
		program = contract.ProgramEasy
	}
	e.on("contract-"+number, contract.Registered{ContractNumber: number, Program: program, AccountID: accountID,
		PrimaryAdmin: "C-000001", SecondaryAdmin: "C-000002", DiscountLevel: 3, TermStart: "2024-01-01", TermEnd: "2026-12-31"})
}

// merge merges source into target in one append, as the command service
// writes it, moving the agreements named.
func (e *env) merge(source, target string, agreements ...string) {
	e.T.Helper()
	e.mergeWith(source, target, nil, agreements...)
}

// mergeWith is merge moving orders too (their partners' relationships).
func (e *env) mergeWith(source, target string, orders []account.OrderLink, agreements ...string) {
	e.T.Helper()
	var links []account.ContractLink
	for _, n := range agreements {
		links = append(links, account.ContractLink{Number: n, Program: contract.ProgramEnterprise})
	}
	moved := account.Moved{Contracts: links, Orders: orders}
	var streams []eventstore.StreamAppend
	for _, s := range []struct {
		stream string
		ev     domain.Event
	}{
		{"account-" + source, account.AccountMerged{AccountID: source, Into: target, Reason: "duplicate", Evidence: []string{"CASE-1"}, Moved: moved}},
		{"account-" + target, account.MergeReceived{AccountID: target, From: source, Reason: "duplicate", Evidence: []string{"CASE-1"}, Moved: moved}},
	} {
		v, _ := e.Store.StreamVersion(e.Ctx, s.stream)
		streams = append(streams, eventstore.StreamAppend{StreamID: s.stream, ExpectedVersion: v, Events: []eventstore.NewEvent{projtest.NewEvent(s.ev)}})
	}
	for _, n := range agreements {
		v, _ := e.Store.StreamVersion(e.Ctx, "contract-"+n)
		streams = append(streams, eventstore.StreamAppend{StreamID: "contract-" + n, ExpectedVersion: v, Events: []eventstore.NewEvent{
			projtest.NewEvent(contract.OwnerChanged{FromAccountID: source, ToAccountID: target, Reason: contract.ReasonMerge})}})
	}
	e.Append(streams...)
}

// dump returns every row of the live tables as JSON, in key order.
//
// It fails the test when the spellings, which a trigger counts and
// indexes, differ from the counts and the held names of company_names.
func (e *env) dump() []string {
	e.T.Helper()
	var wrong []string
	rows, err := e.Pool.Query(e.Ctx, `SELECT coalesce(row_to_json(s)::text, '-') || ' counted, ' || coalesce(row_to_json(c)::text, '-') || ' in company_names'
		FROM proj_contracts.spellings s
		FULL JOIN (SELECT name_fold, count(*)::int AS names, count(*) FILTER (WHERE held)::int AS held,
				count(*) FILTER (WHERE former)::int AS formers
			FROM proj_contracts.company_names GROUP BY name_fold) c ON c.name_fold = s.name_fold
		WHERE (s.name_fold, s.names, s.held, s.formers) IS DISTINCT FROM (c.name_fold, c.names, c.held, c.formers)
		UNION ALL
		SELECT coalesce(row_to_json(t)::text, '-') || ' indexed, ' || coalesce(row_to_json(c)::text, '-') || ' in company_names'
		FROM proj_contracts.spelling_trigrams t
		FULL JOIN (SELECT name_fold, bool_or(held) AS held FROM proj_contracts.company_names GROUP BY name_fold) c ON c.name_fold = t.name_fold
		WHERE (t.name_fold, t.held) IS DISTINCT FROM (c.name_fold, c.held)`)
	if err == nil {
		wrong, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		e.T.Fatal(err)
	}
	if len(wrong) > 0 {
		e.T.Fatalf("spellings differ from the names:\n%s", strings.Join(wrong, "\n"))
	}
	return e.Dump(
		`SELECT row_to_json(c)::text FROM proj_contracts.companies c ORDER BY account_id`,
		`SELECT row_to_json(n)::text FROM proj_contracts.company_names n ORDER BY account_id, name_fold`,
		`SELECT row_to_json(n)::text FROM proj_contracts.former_names n ORDER BY account_id, name_fold`,
		`SELECT row_to_json(s)::text FROM proj_contracts.spellings s ORDER BY name_fold`,
		// change_seq numbers the writes, which differ between a live
		// projector and a rebuild; it is not the read model's content.
		`SELECT (to_jsonb(t) - 'change_seq')::text FROM proj_contracts.spelling_trigrams t ORDER BY name_fold`,
		`SELECT row_to_json(c)::text FROM proj_contracts.contracts c ORDER BY contract_number`,
	)
}

var (
	staff, auditor, noRoles, stranger = projtest.Staff, projtest.Auditor, projtest.NoRoles, projtest.Stranger
	customerOf, partner               = projtest.CustomerOf, projtest.Partner
)

// searchAll pages through Search and returns every contract.
func (e *env) searchAll(viewer domain.Principal, f contracts.Filter) []contracts.Contract {
	e.T.Helper()
	var out []contracts.Contract
	for pages := 0; ; pages++ {
		items, next, err := contracts.Search(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatalf("search %+v as %s: %v", f, viewer.ID, err)
		}
		if f.Limit > 0 && len(items) > f.Limit {
			e.T.Fatalf("page of %d items, limit %d", len(items), f.Limit)
		}
		out = append(out, items...)
		if next == "" {
			return out
		}
		if len(items) == 0 || pages > 10000 {
			e.T.Fatalf("page %d: %d items and a next cursor", pages, len(items))
		}
		f.Cursor = next
	}
}

// numbers returns the contract numbers of cs.
func numbers(cs []contracts.Contract) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ContractNumber
	}
	return out
}
