package customers

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// Name is the projection's name; its tables live in Schema.
const Name = "customers"

// Projection maintains the customer list. It is stateless between calls and
// safe for concurrent use; its rows depend only on the events (times come
// from their RecordedAt), so live and rebuilt tables are identical.
type Projection struct {
	catalog *catalog.Catalog
}

// New returns the customer list projection.
func New() *Projection { return &Projection{catalog: catalog.New()} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Versioned: 2 added the relationships'
// sources and the agreements table, and relationships from every event;
// 3 the former names' own table (the search by an old name); 4 the
// customer's folded name on its relationships (a partner's list in name
// order from one index).
func (*Projection) Version() int { return 4 }

// Sort keys are in the "C" collation (byte order) so that ordering, prefix
// ranges and cursors agree whatever the database's default collation is; a
// plain btree on a "C" column serves LIKE-prefix and range search as
// text_pattern_ops would, and ORDER BY and keyset paging as well.
const setupSQL = `
CREATE TABLE IF NOT EXISTS %[1]s.customers (
    account_id     text COLLATE "C" PRIMARY KEY,
    name           text        NOT NULL,
    name_fold      text COLLATE "C" NOT NULL,
    former_names   text[]      NOT NULL DEFAULT '{}',
    former_folds   text[]      NOT NULL DEFAULT '{}',
    primary_domain text        NOT NULL DEFAULT '',
    country        text        NOT NULL DEFAULT '',
    state          text        NOT NULL DEFAULT '',
    city           text        NOT NULL DEFAULT '',
    region         text        NOT NULL DEFAULT '',
    vat_number     text        NOT NULL DEFAULT '',
    tags           text[]      NOT NULL DEFAULT '{}',
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
    merged_into    text        NOT NULL DEFAULT '',
    registered_at  timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    position       bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_name_fold_idx ON %[1]s.customers (name_fold, account_id);
CREATE INDEX IF NOT EXISTS customers_primary_domain_idx ON %[1]s.customers (primary_domain);
CREATE TABLE IF NOT EXISTS %[1]s.former_names (
    fold       text COLLATE "C" NOT NULL,
    account_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (fold, account_id)
);
CREATE TABLE IF NOT EXISTS %[1]s.relationships (
    account_id     text COLLATE "C" NOT NULL,
    party_id       text COLLATE "C" NOT NULL,
    party_kind     text        NOT NULL,
    relationship   text COLLATE "C" NOT NULL,
    since_position bigint      NOT NULL,
    sources        text[]      NOT NULL DEFAULT '{}',
    name_fold      text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, party_id, relationship)
);
CREATE INDEX IF NOT EXISTS relationships_party_idx ON %[1]s.relationships (party_id, name_fold, account_id, relationship);
CREATE TABLE IF NOT EXISTS %[1]s.contracts (
    contract_number text COLLATE "C" PRIMARY KEY,
    account_id      text COLLATE "C" NOT NULL,
    managers        text[]      NOT NULL DEFAULT '{}'
);
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create customer tables in %s: %w", schema, err)
	}
	return nil
}

// Apply implements projections.Projection. It loads the rows, the
// relationships and the agreements the batch touches, applies the events
// to them in memory (builder.add, the same code a rebuild folds with), and
// writes back what changed. An event of a type it uses at a schema
// version the catalog does not know fails the batch: skipping it would
// silently lose data.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	type decoded struct {
		e  *eventstore.Event
		ev domain.Event
	}
	var evs []decoded
	accounts, numbers := map[string]bool{}, map[string]bool{}
	for i := range events {
		e := &events[i]
		ev, err := p.decode(e)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		evs = append(evs, decoded{e, ev})
		switch ev := ev.(type) {
		case contract.Registered:
			numbers[ev.ContractNumber] = true
			accounts[ev.AccountID] = true
		case contract.OwnerChanged:
			numbers[contractNumber(e)] = true
			accounts[ev.FromAccountID], accounts[ev.ToAccountID] = true, true
		case contract.ManageRightsGranted, contract.ManageRightsRevoked:
			numbers[contractNumber(e)] = true
		default: // an account event, on the account's own stream
			accounts[strings.TrimPrefix(e.StreamID, "account-")] = true
		}
	}
	if len(evs) == 0 {
		return nil
	}
	b := newBuilder(true)
	if err := load(ctx, tx, schema, b, keys(accounts), keys(numbers)); err != nil {
		return err
	}
	for _, d := range evs {
		b.add(d.e, d.ev)
	}
	return write(ctx, tx, schema, b)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// decode returns the event e carries if the projection uses its type, nil
// if not.
func (p *Projection) decode(e *eventstore.Event) (domain.Event, error) {
	if !uses[e.Type] {
		return nil, nil
	}
	if ev, ok := decodeFast(e.Type, e.SchemaVersion, e.Data); ok {
		return ev, nil
	}
	ev, err := p.catalog.Decode(e.Type, e.SchemaVersion, e.Data)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", e.Position, err)
	}
	return ev, nil
}

// uses are the event types the projection applies.
var uses = func() map[string]bool {
	m := map[string]bool{}
	for _, ev := range []domain.Event{
		account.AccountRegistered{}, account.CompanyRenamed{}, account.AddressChanged{}, account.VATNumberSet{},
		account.AccountTagged{}, account.AccountUntagged{}, account.OrderAttached{}, account.ViewRightsGranted{},
		account.ViewRightsRevoked{}, account.RenewalPartnerDesignated{}, account.RenewalPartnerRemoved{},
		account.SolutionAdvisorAssigned{}, account.AccountMerged{}, account.MergeReceived{},
		contract.Registered{}, contract.ManageRightsGranted{}, contract.ManageRightsRevoked{}, contract.OwnerChanged{},
	} {
		m[ev.EventType()] = true
	}
	return m
}()

// load reads the rows and relationships of accounts and the agreements
// numbers into b, and then the rows and relationships of the accounts
// those agreements belong to.
func load(ctx context.Context, tx pgx.Tx, schema string, b *builder, accounts, numbers []string) error {
	if len(numbers) > 0 {
		// An unnamed statement is planned with the array at hand, so that
		// the lookup hashes it; a cached generic plan compares every row
		// with every ID.
		rows, err := tx.Query(ctx, `SELECT contract_number, account_id, managers FROM `+table(schema, "contracts")+
			` WHERE contract_number = ANY($1::text[])`, pgx.QueryExecModeExec, numbers)
		if err != nil {
			return fmt.Errorf("load agreements: %w", err)
		}
		var a agreement
		_, err = pgx.ForEachRow(rows, []any{&a.number, &a.accountID, &a.managers}, func() error {
			c := a
			b.contracts[c.number] = &c
			accounts = append(accounts, c.accountID)
			return nil
		})
		if err != nil {
			return fmt.Errorf("load agreements: %w", err)
		}
	}
	if len(accounts) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(rowColumns, ", ")+` FROM `+table(schema, "customers")+
		` WHERE account_id = ANY($1::text[])`, pgx.QueryExecModeExec, accounts)
	if err != nil {
		return fmt.Errorf("load customers: %w", err)
	}
	var r row
	_, err = pgx.ForEachRow(rows, r.scanTargets(), func() error {
		c := r
		b.rows[c.accountID] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load customers: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT account_id, party_id, relationship, since_position, sources FROM `+table(schema, "relationships")+
		` WHERE account_id = ANY($1::text[])`, pgx.QueryExecModeExec, accounts)
	if err != nil {
		return fmt.Errorf("load relationships: %w", err)
	}
	var accountID string
	var rl rel
	_, err = pgx.ForEachRow(rows, []any{&accountID, &rl.partyID, &rl.relationship, &rl.since, &rl.sources}, func() error {
		c := rl
		if len(c.sources) == 0 {
			c.sources = nil
		}
		if b.rels[accountID] == nil {
			b.rels[accountID] = map[string]*rel{}
		}
		b.rels[accountID][relKey(c.partyID, c.relationship)] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load relationships: %w", err)
	}
	return nil
}

// rowColumns are the columns of a customer row, in the order of
// row.values and row.scanTargets.
var rowColumns = []string{"account_id", "name", "name_fold", "former_names", "former_folds",
	"primary_domain", "country", "state", "city", "region", "vat_number", "tags", "status", "merged_into",
	"registered_at", "updated_at", "position"}

func (r *row) values() []any {
	return []any{r.accountID, r.name, r.nameFold, r.formerNames, r.formerFolds, r.domain,
		r.country, r.state, r.city, r.region, r.vatNo, r.tags, r.status, r.mergedInto,
		r.registeredAt, r.updatedAt, r.position}
}

func (r *row) scanTargets() []any {
	return []any{&r.accountID, &r.name, &r.nameFold, &r.formerNames, &r.formerFolds, &r.domain,
		&r.country, &r.state, &r.city, &r.region, &r.vatNo, &r.tags, &r.status, &r.mergedInto,
		&r.registeredAt, &r.updatedAt, &r.position}
}

var relColumns = []string{"account_id", "party_id", "party_kind", "relationship", "since_position", "sources", "name_fold"}

// relValues is a relationship row; nameFold is its customer's current
// folded name.
func relValues(accountID, nameFold string, r *rel) []any {
	sources := r.sources
	if sources == nil {
		sources = []string{}
	}
	return []any{accountID, r.partyID, partyPartner, r.relationship, r.since, sources, nameFold}
}

// foldOf is the current folded name of an account the builder holds.
func (b *builder) foldOf(accountID string) string {
	if r := b.rows[accountID]; r != nil {
		return r.nameFold
	}
	return ""
}

var contractColumns = []string{"contract_number", "account_id", "managers"}

var formerColumns = []string{"fold", "account_id"}

// dedupe drops repeated (fold, account) rows: an account renamed away
// from the same name twice has it once.
func dedupe(rows [][]any) [][]any {
	seen := map[[2]string]bool{}
	out := rows[:0]
	for _, r := range rows {
		k := [2]string{r[0].(string), r[1].(string)}
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func (a *agreement) values() []any { return []any{a.number, a.accountID, a.managers} }

// write writes back what the batch changed: customer rows and agreements
// upserted, the relationships of every account whose relationships
// changed replaced.
func write(ctx context.Context, tx pgx.Tx, schema string, b *builder) error {
	var rows, agreements [][]any
	for _, id := range projections.SortedKeys(b.dirtyRows) {
		rows = append(rows, b.rows[id].values())
	}
	for _, n := range projections.SortedKeys(b.dirtyContracts) {
		agreements = append(agreements, b.contracts[n].values())
	}
	if err := projections.Upsert(ctx, tx, schema, "customers", rowColumns, "account_id", rows); err != nil {
		return err
	}
	if err := projections.Upsert(ctx, tx, schema, "contracts", contractColumns, "contract_number", agreements); err != nil {
		return err
	}
	// A rename adds a former name; nothing removes one.
	var former [][]any
	for _, id := range projections.SortedKeys(b.renamed) {
		for _, f := range b.rows[id].formerFolds {
			former = append(former, []any{f, id})
		}
	}
	if len(former) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "former_names")+` WHERE account_id = ANY($1::text[])`,
			pgx.QueryExecModeExec, projections.SortedKeys(b.renamed)); err != nil {
			return fmt.Errorf("replace former names: %w", err)
		}
		if err := projections.Upsert(ctx, tx, schema, "former_names", formerColumns, "", dedupe(former)); err != nil {
			return err
		}
	}
	if len(b.dirtyRels) == 0 {
		return nil
	}
	changed := projections.SortedKeys(b.dirtyRels)
	if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "relationships")+` WHERE account_id = ANY($1::text[])`,
		pgx.QueryExecModeExec, changed); err != nil {
		return fmt.Errorf("replace relationships: %w", err)
	}
	var rels [][]any
	for _, id := range changed {
		for _, k := range projections.SortedKeys(b.rels[id]) {
			rels = append(rels, relValues(id, b.foldOf(id), b.rels[id][k]))
		}
	}
	return projections.Upsert(ctx, tx, schema, "relationships", relColumns, "", rels)
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
