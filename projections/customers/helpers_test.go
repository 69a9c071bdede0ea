package customers_test

import (
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// env is the shared harness plus the counter history draws account IDs
// from.
type env struct {
	*projtest.Env
	seq int // last number used for a generated ID
}

func newEnv(t *testing.T, withNATS bool) *env { return &env{Env: projtest.New(t, withNATS)} }

func (e *env) runner(batch, rebuildBatch int) *projections.Runner {
	e.T.Helper()
	cfg := e.Config(batch)
	cfg.RebuildBatchSize = rebuildBatch
	return e.Runner(cfg, customers.New())
}

// build waits until the store's tail passed every event and rebuilds the
// projection from it.
func (e *env) build() {
	e.T.Helper()
	e.All()
	if err := e.runner(0, 0).Rebuild(e.Ctx, customers.Name); err != nil {
		e.T.Fatal(err)
	}
}

func registered(id, name string) account.AccountRegistered {
	return account.AccountRegistered{AccountID: id, Name: name, PrimaryDomain: strings.ToLower(id) + ".example",
		Address: account.Address{Country: "DE", State: "BE", City: "Berlin"}, Region: "EMEA", VATNumber: "DE" + id[:6]}
}

func renamedEvent(id, old, new string) account.CompanyRenamed {
	return account.CompanyRenamed{AccountID: id, OldName: old, NewName: new}
}

// register appends one registration per account, all in one append.
func (e *env) register(regs ...account.AccountRegistered) {
	e.T.Helper()
	for len(regs) > 0 {
		n := min(len(regs), 5000)
		streams := make([]eventstore.StreamAppend, n)
		for i, r := range regs[:n] {
			streams[i] = eventstore.StreamAppend{StreamID: "account-" + r.AccountID, Events: []eventstore.NewEvent{projtest.NewEvent(r)}}
		}
		e.Append(streams...)
		regs = regs[n:]
	}
}

// rename appends renames of one account in one append.
func (e *env) rename(id string, names ...string) {
	e.T.Helper()
	v, err := e.Store.StreamVersion(e.Ctx, "account-"+id)
	if err != nil {
		e.T.Fatal(err)
	}
	var evs []eventstore.NewEvent
	for i := 1; i < len(names); i++ {
		evs = append(evs, projtest.NewEvent(renamedEvent(id, names[i-1], names[i])))
	}
	e.Append(eventstore.StreamAppend{StreamID: "account-" + id, ExpectedVersion: v, Events: evs})
}

// dump returns every row of the live tables as JSON, in key order.
func (e *env) dump() []string {
	e.T.Helper()
	return e.Dump(
		`SELECT row_to_json(c)::text FROM proj_customers.customers c ORDER BY account_id`,
		`SELECT row_to_json(r)::text FROM proj_customers.relationships r ORDER BY account_id, party_id, relationship`,
		`SELECT row_to_json(c)::text FROM proj_customers.contracts c ORDER BY contract_number`,
		`SELECT row_to_json(f)::text FROM proj_customers.former_names f ORDER BY fold, account_id`,
	)
}

var (
	staff, auditor, noRoles, stranger = projtest.Staff, projtest.Auditor, projtest.NoRoles, projtest.Stranger
	customerOf, partner               = projtest.CustomerOf, projtest.Partner
)

// listAll pages through List and returns every item.
func (e *env) listAll(viewer domain.Principal, f customers.Filter) []customers.Customer {
	e.T.Helper()
	var out []customers.Customer
	for pages := 0; ; pages++ {
		items, next, err := customers.List(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatal(err)
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

func ids(cs []customers.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.AccountID
		if c.Relationship != "" {
			out[i] += "/" + c.Relationship
		}
	}
	return out
}
