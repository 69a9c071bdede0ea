package licenses

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections"
)

// Name is the projection's name; its tables live in schema "proj_licenses".
const Name = "licenses"

// Projection maintains the licenses read model. It is stateless between
// calls and safe for concurrent use; its rows depend only on the events,
// so live and rebuilt tables are identical.
type Projection struct {
	catalog *catalog.Catalog
	cal     *calendar.Calendar
}

// Option configures a Projection.
type Option func(*Projection)

// WithCalendar reckons resolution targets with cal's holidays as well as
// weekends. The rows then depend on the calendar too: a live projector
// and a rebuild agree only when given the same one, and a changed
// calendar applies to the events projected after the change (rebuild the
// projection to apply it to every case).
func WithCalendar(cal *calendar.Calendar) Option {
	return func(p *Projection) { p.cal = cal }
}

// New returns the projection; without options it counts weekends only.
func New(opts ...Option) *Projection {
	p := &Projection{catalog: catalog.New()}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Version implements projections.Versioned: 2 added case_steps and the
// index of cases by resolution target.
func (*Projection) Version() int { return 2 }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Keys and sort keys are in the "C" collation (byte order), so that
// ordering and keyset cursors agree whatever the database's default
// collation is.
const setupSQL = `
CREATE TABLE IF NOT EXISTS %[1]s.licenses (
    license_id        text COLLATE "C" PRIMARY KEY,
    account_id        text COLLATE "C" NOT NULL,
    product           text        NOT NULL,
    edition           text        NOT NULL,
    quantity          integer     NOT NULL,
    allocated         integer     NOT NULL DEFAULT 0,
    allocations       jsonb       NOT NULL DEFAULT '[]',
    maintenance_end   date        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('active', 'rescinded')),
    source_order      text        NOT NULL DEFAULT '',
    parent_license_id text        NOT NULL DEFAULT '',
    replaced_by       text[]      NOT NULL DEFAULT '{}',
    issued_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    position          bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS licenses_account_idx ON %[1]s.licenses (account_id, license_id);
CREATE INDEX IF NOT EXISTS licenses_expiring_idx ON %[1]s.licenses (maintenance_end, license_id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS licenses_account_expiring_idx ON %[1]s.licenses (account_id, maintenance_end, license_id) WHERE status = 'active';
CREATE TABLE IF NOT EXISTS %[1]s.view_rights (
    account_id  text COLLATE "C" NOT NULL,
    partner_id  text COLLATE "C" NOT NULL,
    scope       text        NOT NULL CHECK (scope IN ('all', 'assigned')),
    license_ids text[]      NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL,
    position    bigint      NOT NULL,
    PRIMARY KEY (account_id, partner_id)
);
CREATE INDEX IF NOT EXISTS view_rights_partner_idx ON %[1]s.view_rights (partner_id, account_id);
CREATE TABLE IF NOT EXISTS %[1]s.merged_accounts (
    account_id  text COLLATE "C" PRIMARY KEY,
    merged_into text COLLATE "C" NOT NULL,
    position    bigint      NOT NULL
);
CREATE TABLE IF NOT EXISTS %[1]s.cases (
    case_number              text COLLATE "C" PRIMARY KEY,
    account_id               text COLLATE "C" NOT NULL,
    opened_account_id        text COLLATE "C" NOT NULL,
    request_type             text        NOT NULL,
    subject                  text        NOT NULL,
    requester                text        NOT NULL,
    requester_partner_id     text COLLATE "C" NOT NULL DEFAULT '',
    status                   text        NOT NULL,
    opened_at                timestamptz NOT NULL,
    information_requested_at timestamptz,
    information_due          timestamptz,
    decided_at               timestamptz,
    closed_at                timestamptz,
    resolution_due           timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    position                 bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_opened_idx ON %[1]s.cases (opened_at, case_number);
CREATE INDEX IF NOT EXISTS cases_account_idx ON %[1]s.cases (account_id, opened_at, case_number);
CREATE INDEX IF NOT EXISTS cases_status_idx ON %[1]s.cases (status, opened_at, case_number);
CREATE INDEX IF NOT EXISTS cases_partner_idx ON %[1]s.cases (requester_partner_id, opened_at, case_number)
    WHERE requester_partner_id <> '';
CREATE INDEX IF NOT EXISTS cases_due_idx ON %[1]s.cases (resolution_due, case_number);
CREATE TABLE IF NOT EXISTS %[1]s.case_steps (
    case_number  text COLLATE "C" NOT NULL,
    position     bigint      NOT NULL,
    step         text        NOT NULL,
    event_type   text        NOT NULL,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    on_behalf_of text        NOT NULL DEFAULT '',
    command_id   text        NOT NULL DEFAULT '',
    detail       jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (case_number, position)
);
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create license tables in %s: %w", schema, err)
	}
	return nil
}

// uses are the event types the projection applies.
var uses = func() map[string]bool {
	m := map[string]bool{}
	for _, ev := range []domain.Event{
		license.Issued{}, license.Allocated{}, license.AllocationReturned{}, license.Reallocated{},
		license.Rescinded{}, license.Transferred{}, license.MaintenanceRenewed{}, license.OwnerChanged{},
		account.ViewRightsGranted{}, account.ViewRightsRevoked{}, account.LicenseDetached{},
		account.AccountMerged{}, account.MergeReceived{},
		supportcase.CaseOpened{}, supportcase.InformationRequested{}, supportcase.InformationProvided{},
		supportcase.CaseClosedUnanswered{}, supportcase.CaseApproved{}, supportcase.CaseRejected{},
	} {
		m[ev.EventType()] = true
	}
	return m
}()

// decode returns the event e carries if the projection uses its type, nil
// if not; an event of a used type at a schema version the catalog does not
// know fails: skipping it would silently lose data.
func (p *Projection) decode(e *eventstore.Event) (domain.Event, error) {
	if !uses[e.Type] {
		return nil, nil
	}
	ev, err := p.catalog.Decode(e.Type, e.SchemaVersion, e.Data)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", e.Position, err)
	}
	return ev, nil
}

// Apply implements projections.Projection. It loads the rows the batch
// touches, applies the events to them in memory (builder.add) and writes
// back what changed.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	type decoded struct {
		e  *eventstore.Event
		ev domain.Event
	}
	var evs []decoded
	lics, cases, rightsOf, named, mergedAway := set{}, set{}, set{}, set{}, set{}
	var steps []*eventstore.Event
	for i := range events {
		e := &events[i]
		if number, ok := caseStream(e); ok {
			// Every event of a case is a step of its timeline, including
			// types this projection does not decode.
			steps = append(steps, e)
			cases.add(number)
		}
		ev, err := p.decode(e)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		evs = append(evs, decoded{e, ev})
		switch ev := ev.(type) {
		case license.Issued:
			lics.add(ev.LicenseID)
			named.add(ev.OwnerAccountID)
		case license.Transferred:
			lics.add(licenseStream(e))
			named.add(ev.ToAccountID)
		case license.OwnerChanged:
			lics.add(licenseStream(e))
			named.add(ev.ToAccountID)
		case license.Allocated, license.AllocationReturned, license.Reallocated, license.Rescinded, license.MaintenanceRenewed:
			lics.add(licenseStream(e))
		case account.ViewRightsGranted:
			rightsOf.add(ev.AccountID)
		case account.ViewRightsRevoked:
			rightsOf.add(ev.AccountID)
		case account.LicenseDetached:
			rightsOf.add(ev.AccountID)
		case account.AccountMerged:
			rightsOf.add(ev.AccountID)
			mergedAway.add(ev.AccountID)
			named.add(ev.Into)
		case account.MergeReceived:
			rightsOf.add(ev.AccountID)
		case supportcase.CaseOpened:
			cases.add(ev.CaseNumber)
			named.add(ev.AccountID)
		case supportcase.InformationRequested:
			cases.add(ev.CaseNumber)
		case supportcase.InformationProvided:
			cases.add(ev.CaseNumber)
		case supportcase.CaseClosedUnanswered:
			cases.add(ev.CaseNumber)
		case supportcase.CaseApproved:
			cases.add(ev.CaseNumber)
		case supportcase.CaseRejected:
			cases.add(ev.CaseNumber)
		}
	}
	if len(evs) == 0 && len(steps) == 0 {
		return nil
	}
	b := newBuilder(p.cal)
	if err := load(ctx, tx, schema, b, lics.keys(), cases.keys(), rightsOf.keys(), named.keys(), mergedAway.keys()); err != nil {
		return err
	}
	// Steps and decoded events in position order: both lists are.
	si := 0
	for _, d := range evs {
		for si < len(steps) && steps[si].Position < d.e.Position {
			if err := b.step(steps[si], false); err != nil {
				return err
			}
			si++
		}
		if err := b.add(d.e, d.ev); err != nil {
			return err
		}
		if si < len(steps) && steps[si] == d.e {
			if err := b.step(steps[si], true); err != nil {
				return err
			}
			si++
		}
	}
	for ; si < len(steps); si++ {
		if err := b.step(steps[si], false); err != nil {
			return err
		}
	}
	return write(ctx, tx, schema, b)
}

type set map[string]bool

func (s set) add(k string) {
	if k != "" {
		s[k] = true
	}
}

func (s set) keys() []string { return projections.SortedKeys(s) }

// load reads into b the licenses lics and cases numbers, the licenses and
// cases answering under the accounts mergedAway (a merge in the batch
// moves them), the view rights of the accounts rightsOf, and the merges
// that resolve the accounts named.
func load(ctx context.Context, tx pgx.Tx, schema string, b *builder, lics, numbers, rightsOf, named, mergedAway []string) error {
	if len(named) > 0 {
		// The chains are short: each account is merged at most once, and
		// into an account that is not merged.
		rows, err := tx.Query(ctx, `WITH RECURSIVE chain(account_id, merged_into, hops) AS (
				SELECT account_id, merged_into, 1 FROM `+table(schema, "merged_accounts")+` WHERE account_id = ANY($1::text[])
				UNION
				SELECT m.account_id, m.merged_into, c.hops + 1 FROM `+table(schema, "merged_accounts")+` m
				JOIN chain c ON m.account_id = c.merged_into WHERE c.hops < $2)
			SELECT DISTINCT account_id, merged_into FROM chain`, pgx.QueryExecModeExec, named, MaxMergeHops)
		if err != nil {
			return fmt.Errorf("load merges: %w", err)
		}
		var from, into string
		if _, err := pgx.ForEachRow(rows, []any{&from, &into}, func() error {
			b.merged[from] = into
			return nil
		}); err != nil {
			return fmt.Errorf("load merges: %w", err)
		}
	}
	if len(lics) > 0 || len(mergedAway) > 0 {
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(licenseColumns, ", ")+` FROM `+table(schema, "licenses")+
			` WHERE license_id = ANY($1::text[]) OR account_id = ANY($2::text[])`, pgx.QueryExecModeExec, lics, mergedAway)
		if err != nil {
			return fmt.Errorf("load licenses: %w", err)
		}
		var r licenseRow
		var allocated int
		var allocs []byte
		if _, err := pgx.ForEachRow(rows, r.scanTargets(&allocated, &allocs), func() error {
			c := r
			if err := json.Unmarshal(allocs, &c.allocations); err != nil {
				return fmt.Errorf("license %s: allocations: %w", c.id, err)
			}
			if len(c.allocations) == 0 {
				c.allocations = nil
			}
			if len(c.replacedBy) == 0 {
				c.replacedBy = nil
			}
			b.licenses[c.id] = &c
			return nil
		}); err != nil {
			return fmt.Errorf("load licenses: %w", err)
		}
	}
	if len(numbers) > 0 || len(mergedAway) > 0 {
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(caseColumns, ", ")+` FROM `+table(schema, "cases")+
			` WHERE case_number = ANY($1::text[]) OR account_id = ANY($2::text[])`, pgx.QueryExecModeExec, numbers, mergedAway)
		if err != nil {
			return fmt.Errorf("load cases: %w", err)
		}
		var c caseRow
		var infoRequestedAt, infoDue, decidedAt, closedAt *time.Time
		if _, err := pgx.ForEachRow(rows, c.scanTargets(&infoRequestedAt, &infoDue, &decidedAt, &closedAt), func() error {
			r := c
			r.infoRequestedAt, r.infoDue, r.decidedAt, r.closedAt = deref(infoRequestedAt), deref(infoDue), deref(decidedAt), deref(closedAt)
			b.cases[r.number] = &r
			return nil
		}); err != nil {
			return fmt.Errorf("load cases: %w", err)
		}
	}
	if len(rightsOf) > 0 {
		rows, err := tx.Query(ctx, `SELECT account_id, partner_id, scope, license_ids, updated_at, position FROM `+
			table(schema, "view_rights")+` WHERE account_id = ANY($1::text[])`, pgx.QueryExecModeExec, rightsOf)
		if err != nil {
			return fmt.Errorf("load view rights: %w", err)
		}
		var accountID, partnerID string
		var vr viewRight
		if _, err := pgx.ForEachRow(rows, []any{&accountID, &partnerID, &vr.scope, &vr.licenseIDs, &vr.updatedAt, &vr.position}, func() error {
			c := vr
			if len(c.licenseIDs) == 0 {
				c.licenseIDs = nil
			}
			if b.rights[accountID] == nil {
				b.rights[accountID] = map[string]*viewRight{}
			}
			b.rights[accountID][partnerID] = &c
			return nil
		}); err != nil {
			return fmt.Errorf("load view rights: %w", err)
		}
	}
	return nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// null returns nil for the zero time (NULL), t otherwise.
func null(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// licenseColumns are the columns of a license row, in the order of
// licenseRow.values and licenseRow.scanTargets.
var licenseColumns = []string{"license_id", "account_id", "product", "edition", "quantity", "allocated", "allocations",
	"maintenance_end", "status", "source_order", "parent_license_id", "replaced_by", "issued_at", "updated_at", "position"}

func (r *licenseRow) values() []any {
	allocs := r.allocations
	if allocs == nil {
		allocs = []Allocation{}
	}
	j, err := json.Marshal(allocs)
	if err != nil {
		panic(err) // plain fields
	}
	replaced := r.replacedBy
	if replaced == nil {
		replaced = []string{}
	}
	return []any{r.id, r.accountID, r.product, r.edition, r.quantity, r.allocated(), string(j),
		r.maintenanceEnd, r.status, r.sourceOrder, r.parent, replaced, r.issuedAt, r.updatedAt, r.position}
}

func (r *licenseRow) scanTargets(allocated *int, allocs *[]byte) []any {
	return []any{&r.id, &r.accountID, &r.product, &r.edition, &r.quantity, allocated, allocs,
		&r.maintenanceEnd, &r.status, &r.sourceOrder, &r.parent, &r.replacedBy, &r.issuedAt, &r.updatedAt, &r.position}
}

// caseColumns are the columns of a case row, in the order of
// caseRow.values and caseRow.scanTargets.
var caseColumns = []string{"case_number", "account_id", "opened_account_id", "request_type", "subject", "requester",
	"requester_partner_id", "status", "opened_at", "information_requested_at", "information_due", "decided_at",
	"closed_at", "resolution_due", "updated_at", "position"}

func (c *caseRow) values() []any {
	return []any{c.number, c.accountID, c.openedAccountID, c.requestType, c.subject, c.requester,
		c.requesterPartner, c.status, c.openedAt, null(c.infoRequestedAt), null(c.infoDue), null(c.decidedAt),
		null(c.closedAt), c.resolutionDue, c.updatedAt, c.position}
}

func (c *caseRow) scanTargets(infoRequestedAt, infoDue, decidedAt, closedAt **time.Time) []any {
	return []any{&c.number, &c.accountID, &c.openedAccountID, &c.requestType, &c.subject, &c.requester,
		&c.requesterPartner, &c.status, &c.openedAt, infoRequestedAt, infoDue, decidedAt,
		closedAt, &c.resolutionDue, &c.updatedAt, &c.position}
}

var rightColumns = []string{"account_id", "partner_id", "scope", "license_ids", "updated_at", "position"}

func rightValues(accountID, partnerID string, vr *viewRight) []any {
	ids := vr.licenseIDs
	if ids == nil {
		ids = []string{}
	}
	return []any{accountID, partnerID, vr.scope, ids, vr.updatedAt, vr.position}
}

// write writes back what the batch changed: licenses, cases and merges
// upserted, the view rights of every account whose rights changed
// replaced.
func write(ctx context.Context, tx pgx.Tx, schema string, b *builder) error {
	var lics, cases, merges [][]any
	for _, id := range projections.SortedKeys(b.dirtyLicenses) {
		lics = append(lics, b.licenses[id].values())
	}
	for _, n := range projections.SortedKeys(b.dirtyCases) {
		cases = append(cases, b.cases[n].values())
	}
	for _, id := range projections.SortedKeys(b.newMerges) {
		merges = append(merges, []any{id, b.merged[id], b.newMerges[id]})
	}
	if err := projections.Upsert(ctx, tx, schema, "licenses", licenseColumns, "license_id", lics); err != nil {
		return err
	}
	if err := projections.Upsert(ctx, tx, schema, "cases", caseColumns, "case_number", cases); err != nil {
		return err
	}
	if err := projections.Upsert(ctx, tx, schema, "merged_accounts", []string{"account_id", "merged_into", "position"}, "account_id", merges); err != nil {
		return err
	}
	var steps [][]any
	for _, st := range b.steps {
		steps = append(steps, st.values())
	}
	if err := projections.Upsert(ctx, tx, schema, "case_steps", stepColumns, "", steps); err != nil {
		return err
	}
	if len(b.dirtyRights) == 0 {
		return nil
	}
	changed := projections.SortedKeys(b.dirtyRights)
	if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "view_rights")+` WHERE account_id = ANY($1::text[])`,
		pgx.QueryExecModeExec, changed); err != nil {
		return fmt.Errorf("replace view rights: %w", err)
	}
	var rights [][]any
	for _, id := range changed {
		for _, pid := range projections.SortedKeys(b.rights[id]) {
			rights = append(rights, rightValues(id, pid, b.rights[id][pid]))
		}
	}
	return projections.Upsert(ctx, tx, schema, "view_rights", rightColumns, "", rights)
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
