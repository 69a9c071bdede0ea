package licenses_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/licenses"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// env is the shared harness plus what the helpers below need to append
// histories as the command service records them.
type env struct {
	*projtest.Env
	// attached is what answers under each account (account.State.Licenses),
	// rights each account's view rights by partner, as the domain keeps
	// them, so that merges carry what the command service would.
	attached map[string][]string
	rights   map[string]map[string]account.ViewRight
	owner    map[string]string
	quantity map[string]int
	end      map[string]string
	lics     int // last license number drawn
	// cal is the calendar the projection is made with (nil: weekends
	// only).
	cal *calendar.Calendar
}

func newEnv(t *testing.T, withNATS bool) *env {
	return &env{Env: projtest.New(t, withNATS), attached: map[string][]string{}, rights: map[string]map[string]account.ViewRight{},
		owner: map[string]string{}, quantity: map[string]int{}, end: map[string]string{}}
}

func (e *env) runner(batch, rebuildBatch int) *projections.Runner {
	e.T.Helper()
	cfg := e.Config(batch)
	cfg.RebuildBatchSize = rebuildBatch
	return e.Runner(cfg, licenses.New(licenses.WithCalendar(e.cal)))
}

// build waits until the store's tail passed every event and rebuilds the
// projection from it in batches of batch events (0: the default).
func (e *env) build(batch int) {
	e.T.Helper()
	e.All()
	if err := e.runner(0, batch).Rebuild(e.Ctx, licenses.Name); err != nil {
		e.T.Fatal(err)
	}
}

// appendOn is one stream's events of an append.
type appendOn struct {
	stream string
	evs    []domain.Event
}

func on(stream string, evs ...domain.Event) appendOn { return appendOn{stream, evs} }

// append appends to several streams in one transaction, each at its
// current version.
func (e *env) append(parts ...appendOn) {
	e.T.Helper()
	var sas []eventstore.StreamAppend
	for _, p := range parts {
		if len(p.evs) == 0 {
			continue
		}
		v, err := e.Store.StreamVersion(e.Ctx, p.stream)
		if err != nil {
			e.T.Fatal(err)
		}
		sa := eventstore.StreamAppend{StreamID: p.stream, ExpectedVersion: v}
		for _, ev := range p.evs {
			sa.Events = append(sa.Events, projtest.NewEvent(ev))
		}
		sas = append(sas, sa)
	}
	e.Append(sas...)
}

func acct(id string) string { return account.StreamID(id) }
func lic(id string) string  { return license.StreamID(id) }

func (e *env) nextLicense() string {
	e.lics++
	return fmt.Sprintf("LIC-%07d", e.lics)
}

func (e *env) attach(accountID, id string) {
	e.attached[accountID] = append(e.attached[accountID], id)
	e.owner[id] = accountID
}

func (e *env) detach(accountID, id string) {
	e.attached[accountID] = slices.DeleteFunc(e.attached[accountID], func(l string) bool { return l == id })
	for pid, vr := range e.rights[accountID] {
		if vr.Scope == account.ScopeAssigned && slices.Contains(vr.LicenseIDs, id) {
			vr.LicenseIDs = slices.DeleteFunc(slices.Clone(vr.LicenseIDs), func(l string) bool { return l == id })
			if len(vr.LicenseIDs) == 0 {
				delete(e.rights[accountID], pid)
			} else {
				e.rights[accountID][pid] = vr
			}
		}
	}
}

// issue issues a license of quantity users to owner, maintenance ending
// on end, as a fulfilment does (the license and the owner's link), and
// returns its ID.
func (e *env) issue(owner string, quantity int, end string) string {
	e.T.Helper()
	id := e.nextLicense()
	e.append(
		on(lic(id), license.Issued{LicenseID: id, Product: "Workspace", Edition: "Enterprise", Quantity: quantity,
			OwnerAccountID: owner, SourceOrder: "ORD-0000001", MaintenanceEnd: end}),
		on(acct(owner), account.LicenseAttached{AccountID: owner, LicenseID: id}))
	e.attach(owner, id)
	e.quantity[id], e.end[id] = quantity, end
	return id
}

// split splits license id into parts of the quantities, as SplitLicense
// records it, and returns the parts' IDs.
func (e *env) split(id string, quantities ...int) []string {
	e.T.Helper()
	owner := e.owner[id]
	parts := make([]license.Part, len(quantities))
	ids := make([]string, len(quantities))
	appends := []appendOn{{stream: lic(id)}}
	links := []domain.Event{account.LicenseDetached{AccountID: owner, LicenseID: id}}
	for i, q := range quantities {
		ids[i] = e.nextLicense()
		parts[i] = license.Part{LicenseID: ids[i], Quantity: q, MaintenanceEnd: e.end[id]}
		appends = append(appends, on(lic(ids[i]), license.Issued{LicenseID: ids[i], Product: "Workspace", Edition: "Enterprise",
			Quantity: q, OwnerAccountID: owner, SourceOrder: "ORD-0000001", MaintenanceEnd: e.end[id], ParentLicenseID: id}))
		links = append(links, account.LicenseAttached{AccountID: owner, LicenseID: ids[i]})
	}
	appends[0].evs = []domain.Event{
		license.LicenseSplit{Parts: parts, RescindList: []string{id}, EmailAuthorisation: license.EmailAuthorisation{From: "it@x.example", Reference: "M-1"}},
		license.Rescinded{Reason: license.ReasonSplit, ReplacedBy: ids},
	}
	e.append(append(appends, on(acct(owner), links...))...)
	e.detach(owner, id)
	for i, p := range ids {
		e.attach(owner, p)
		e.quantity[p], e.end[p] = quantities[i], e.end[id]
	}
	return ids
}

// transfer transfers license id to account to, as TransferLicense records
// it.
func (e *env) transfer(id, to string) {
	e.T.Helper()
	from := e.owner[id]
	e.append(
		on(lic(id), license.Transferred{FromAccountID: from, ToAccountID: to}),
		on(acct(from), account.LicenseDetached{AccountID: from, LicenseID: id}),
		on(acct(to), account.LicenseAttached{AccountID: to, LicenseID: id}))
	e.detach(from, id)
	e.attach(to, id)
}

// grant grants partner view rights on customer: scope all without IDs,
// assigned with them.
func (e *env) grant(customer, partner string, ids ...string) {
	e.T.Helper()
	vr := account.ViewRight{PartnerID: partner, Scope: account.ScopeAll}
	if len(ids) > 0 {
		vr = account.ViewRight{PartnerID: partner, Scope: account.ScopeAssigned, LicenseIDs: ids}
	}
	e.append(on(acct(customer), account.ViewRightsGranted{AccountID: customer, PartnerID: partner, Scope: vr.Scope, LicenseIDs: ids}))
	if e.rights[customer] == nil {
		e.rights[customer] = map[string]account.ViewRight{}
	}
	e.rights[customer][partner] = vr
}

func (e *env) revoke(customer, partner string) {
	e.T.Helper()
	e.append(on(acct(customer), account.ViewRightsRevoked{AccountID: customer, PartnerID: partner}))
	delete(e.rights[customer], partner)
}

// merge merges source into target as MergeAccounts records it: the two
// account events and an owner change for every license answering under
// source.
func (e *env) merge(source, target string) {
	e.T.Helper()
	moved := account.Moved{Licenses: slices.Sorted(slices.Values(e.attached[source]))}
	for _, pid := range slices.Sorted(maps.Keys(e.rights[source])) {
		moved.Relationships.ViewRights = append(moved.Relationships.ViewRights, e.rights[source][pid])
	}
	parts := []appendOn{
		on(acct(source), account.AccountMerged{AccountID: source, Into: target, Reason: account.MergeDuplicate, Evidence: []string{"CASE-000001"}, Moved: moved}),
		on(acct(target), account.MergeReceived{AccountID: target, From: source, Reason: account.MergeDuplicate, Evidence: []string{"CASE-000001"}, Moved: moved}),
	}
	for _, id := range moved.Licenses {
		parts = append(parts, on(lic(id), license.OwnerChanged{FromAccountID: source, ToAccountID: target, Reason: license.ReasonMerge}))
	}
	e.append(parts...)
	for _, id := range moved.Licenses {
		e.attach(target, id)
	}
	e.attached[source] = nil
	for _, vr := range moved.Relationships.ViewRights {
		have, ok := e.rights[target][vr.PartnerID]
		switch {
		case !ok:
		case have.Scope == account.ScopeAll || vr.Scope == account.ScopeAll:
			vr = account.ViewRight{PartnerID: vr.PartnerID, Scope: account.ScopeAll}
		default:
			ids := slices.Concat(have.LicenseIDs, vr.LicenseIDs)
			slices.Sort(ids)
			vr.LicenseIDs = slices.Compact(ids)
		}
		if e.rights[target] == nil {
			e.rights[target] = map[string]account.ViewRight{}
		}
		e.rights[target][vr.PartnerID] = vr
	}
	e.rights[source] = nil
}

// base is the instant the cases of the tests are opened around: a Monday.
var base = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func (e *env) openCase(number, accountID, requester string, at time.Time) {
	e.T.Helper()
	e.append(on(supportcase.StreamID(number), supportcase.CaseOpened{CaseNumber: number, RequestType: supportcase.RequestGeneral,
		Subject: supportcase.SubjectOther, AccountID: accountID, Requester: requester, Description: "Please help",
		Status: supportcase.StatusOpen, OpenedAt: at}))
}

func (e *env) caseEvents(number string, evs ...domain.Event) {
	e.T.Helper()
	e.append(on(supportcase.StreamID(number), evs...))
}

// execute appends, as one command of actor on behalf of onBehalfOf, a
// supportcase.executed event (a type this projection does not decode: it
// stands for one another package adds) moving the case to status
// completed, and a tag on the account: the change the case executed. It
// returns the tag event.
func (e *env) execute(number, accountID, actor, onBehalfOf string, at time.Time) eventstore.Event {
	e.T.Helper()
	cs, as := supportcase.StreamID(number), account.StreamID(accountID)
	cv, err := e.Store.StreamVersion(e.Ctx, cs)
	if err != nil {
		e.T.Fatal(err)
	}
	av, err := e.Store.StreamVersion(e.Ctx, as)
	if err != nil {
		e.T.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"case_number": number, "executed_at": at, "status": licenses.StatusCompleted})
	rec, err := e.Store.Append(e.Ctx, []eventstore.StreamAppend{
		{StreamID: cs, ExpectedVersion: cv, Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "supportcase.executed", SchemaVersion: 1, Data: data, OccurredAt: at}}},
		{StreamID: as, ExpectedVersion: av, Events: []eventstore.NewEvent{projtest.NewEvent(account.AccountTagged{AccountID: accountID, Tag: "executed-" + number})}},
	}, eventstore.Metadata{Actor: actor, OnBehalfOf: onBehalfOf, CommandID: uuid.Must(uuid.NewV7()).String()})
	if err != nil {
		e.T.Fatal(err)
	}
	return rec[1]
}

// dump returns every row of the live tables as JSON, in key order.
func (e *env) dump() []string {
	e.T.Helper()
	return e.Dump(
		`SELECT row_to_json(l)::text FROM proj_licenses.licenses l ORDER BY license_id`,
		`SELECT row_to_json(v)::text FROM proj_licenses.view_rights v ORDER BY account_id, partner_id`,
		`SELECT row_to_json(m)::text FROM proj_licenses.merged_accounts m ORDER BY account_id`,
		`SELECT row_to_json(c)::text FROM proj_licenses.cases c ORDER BY case_number`,
		`SELECT row_to_json(s)::text FROM proj_licenses.case_steps s ORDER BY case_number, position`,
	)
}

var (
	staff, auditor, noRoles, stranger = projtest.Staff, projtest.Auditor, projtest.NoRoles, projtest.Stranger
	customerOf, partner               = projtest.CustomerOf, projtest.Partner
)

// licensesOf pages through ListLicenses with pages of limit and returns the
// IDs of every item.
func (e *env) licensesOf(viewer domain.Principal, f licenses.LicenseFilter) []string {
	e.T.Helper()
	var out []string
	for _, l := range e.allLicenses(viewer, f) {
		out = append(out, l.LicenseID)
	}
	return out
}

func (e *env) allLicenses(viewer domain.Principal, f licenses.LicenseFilter) []licenses.License {
	e.T.Helper()
	var out []licenses.License
	for pages := 0; ; pages++ {
		items, next, err := licenses.ListLicenses(e.Ctx, e.Pool, viewer, f)
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

// casesOf pages through ListCases and returns the case numbers.
func (e *env) casesOf(viewer domain.Principal, f licenses.CaseFilter) []string {
	e.T.Helper()
	var out []string
	for _, c := range e.allCases(viewer, f) {
		out = append(out, c.CaseNumber)
	}
	return out
}

func (e *env) allCases(viewer domain.Principal, f licenses.CaseFilter) []licenses.Case {
	e.T.Helper()
	var out []licenses.Case
	for pages := 0; ; pages++ {
		items, next, err := licenses.ListCases(e.Ctx, e.Pool, viewer, f)
		if err != nil {
			e.T.Fatal(err)
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

// want compares lists of IDs; nil and empty are the same.
func want(t *testing.T, what string, got []string, wanted ...string) {
	t.Helper()
	if len(got) == 0 && len(wanted) == 0 {
		return
	}
	if !slices.Equal(got, wanted) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, wanted)
	}
}
