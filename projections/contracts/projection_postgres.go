package contracts

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/eventstore"
)

// Name is the projection's name; its tables live in Schema.
const Name = "contracts"

// Projection maintains the contract search read model. It is stateless
// between calls and safe for concurrent use; its rows depend only on the
// events (times come from their RecordedAt), so live and rebuilt tables
// are identical.
type Projection struct {
	catalog *catalog.Catalog
}

// New returns the projection.
func New() *Projection { return &Projection{catalog: catalog.New()} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Keys and folded names are in the "C" collation (byte order), so that
// ordering, prefix ranges and cursors agree whatever the database's
// default collation is. company_names has a btree on the folded name for
// prefix ranges and a trigram GIN index (pg_trgm, projections migration
// 00002) for close spellings; companies has a btree on the current folded
// name for the first-letter list.
const setupSQL = `
CREATE TABLE IF NOT EXISTS %[1]s.companies (
    account_id    text COLLATE "C" PRIMARY KEY,
    name          text        NOT NULL,
    name_fold     text COLLATE "C" NOT NULL,
    former_names  text[]      NOT NULL DEFAULT '{}',
    former_folds  text[] COLLATE "C" NOT NULL DEFAULT '{}',
    country       text        NOT NULL DEFAULT '',
    state         text        NOT NULL DEFAULT '',
    city          text        NOT NULL DEFAULT '',
    state_fold    text COLLATE "C" NOT NULL DEFAULT '',
    city_fold     text COLLATE "C" NOT NULL DEFAULT '',
    region        text        NOT NULL DEFAULT '',
    vat_number    text        NOT NULL DEFAULT '',
    status        text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
    merged_into   text COLLATE "C" NOT NULL DEFAULT '',
    registered_at timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    position      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS companies_name_fold_idx ON %[1]s.companies (name_fold, account_id);
CREATE TABLE IF NOT EXISTS %[1]s.company_names (
    account_id text COLLATE "C" NOT NULL,
    name_fold  text COLLATE "C" NOT NULL,
    name       text    NOT NULL,
    former     boolean NOT NULL,
    PRIMARY KEY (account_id, name_fold)
);
CREATE INDEX IF NOT EXISTS company_names_fold_idx ON %[1]s.company_names (name_fold, account_id);
CREATE INDEX IF NOT EXISTS company_names_trgm_idx ON %[1]s.company_names USING gin (name_fold gin_trgm_ops);
CREATE TABLE IF NOT EXISTS %[1]s.contracts (
    contract_number text COLLATE "C" PRIMARY KEY,
    program         text        NOT NULL,
    account_id      text COLLATE "C" NOT NULL,
    primary_admin   text        NOT NULL DEFAULT '',
    secondary_admin text        NOT NULL DEFAULT '',
    discount_level  integer     NOT NULL,
    term_start      text        NOT NULL DEFAULT '',
    term_end        text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    managers        text[]      NOT NULL DEFAULT '{}',
    registered_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    position        bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS contracts_account_idx ON %[1]s.contracts (account_id, contract_number);
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create contract tables in %s: %w", schema, err)
	}
	return nil
}

// Apply implements projections.Projection. It loads the companies and
// agreements the batch touches, applies the events to them in memory
// (builder.add, the same code a rebuild folds with) and writes back what
// changed. An event of a type it uses at a schema version the catalog does
// not know fails the batch: skipping it would silently lose data.
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
		case account.AccountRegistered:
			accounts[ev.AccountID] = true
		case account.CompanyRenamed:
			accounts[ev.AccountID] = true
		case account.AddressChanged:
			accounts[ev.AccountID] = true
		case account.VATNumberSet:
			accounts[ev.AccountID] = true
		case account.AccountMerged:
			accounts[ev.AccountID] = true
		case contract.Registered:
			numbers[ev.ContractNumber] = true
		default: // the other contract events, on the agreement's stream
			numbers[contractNumber(e)] = true
		}
	}
	if len(evs) == 0 {
		return nil
	}
	b := newBuilder(true)
	if err := load(ctx, tx, schema, b, sortedKeys(accounts), sortedKeys(numbers)); err != nil {
		return err
	}
	for _, d := range evs {
		b.add(d.e, d.ev)
	}
	return write(ctx, tx, schema, b)
}

// decode returns the event e carries if the projection uses its type, nil
// if not.
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

// uses are the event types the projection applies.
var uses = func() map[string]bool {
	m := map[string]bool{}
	for _, ev := range []domain.Event{
		account.AccountRegistered{}, account.CompanyRenamed{}, account.AddressChanged{}, account.VATNumberSet{},
		account.AccountMerged{},
		contract.Registered{}, contract.AdministratorsChanged{}, contract.DiscountLevelSet{},
		contract.ManageRightsGranted{}, contract.ManageRightsRevoked{}, contract.OwnerChanged{},
	} {
		m[ev.EventType()] = true
	}
	return m
}()

// load reads the companies accounts and the agreements numbers into b.
func load(ctx context.Context, tx pgx.Tx, schema string, b *builder, accounts, numbers []string) error {
	if len(accounts) > 0 {
		// An unnamed statement is planned with the array at hand, so that
		// the lookup hashes it; a cached generic plan compares every row
		// with every ID.
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(companyColumns, ", ")+` FROM `+table(schema, "companies")+
			` WHERE account_id = ANY($1::text[])`, pgx.QueryExecModeExec, accounts)
		if err != nil {
			return fmt.Errorf("load companies: %w", err)
		}
		var c company
		_, err = pgx.ForEachRow(rows, c.scanTargets(), func() error {
			cc := c
			b.companies[cc.accountID] = &cc
			return nil
		})
		if err != nil {
			return fmt.Errorf("load companies: %w", err)
		}
	}
	if len(numbers) > 0 {
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(contractColumns, ", ")+` FROM `+table(schema, "contracts")+
			` WHERE contract_number = ANY($1::text[])`, pgx.QueryExecModeExec, numbers)
		if err != nil {
			return fmt.Errorf("load agreements: %w", err)
		}
		var a agreement
		_, err = pgx.ForEachRow(rows, a.scanTargets(), func() error {
			aa := a
			b.contracts[aa.number] = &aa
			return nil
		})
		if err != nil {
			return fmt.Errorf("load agreements: %w", err)
		}
	}
	return nil
}

// companyColumns are the columns of a company row, in the order of
// company.values and company.scanTargets.
var companyColumns = []string{"account_id", "name", "name_fold", "former_names", "former_folds", "country", "state", "city",
	"state_fold", "city_fold", "region", "vat_number", "status", "merged_into", "registered_at", "updated_at", "position"}

func (c *company) values() []any {
	return []any{c.accountID, c.name, c.nameFold, nonNil(c.formerNames), nonNil(c.formerFolds), c.country, c.state, c.city,
		c.stateFold, c.cityFold, c.region, c.vatNo, c.status, c.mergedInto, c.registeredAt, c.updatedAt, c.position}
}

func (c *company) scanTargets() []any {
	return []any{&c.accountID, &c.name, &c.nameFold, &c.formerNames, &c.formerFolds, &c.country, &c.state, &c.city,
		&c.stateFold, &c.cityFold, &c.region, &c.vatNo, &c.status, &c.mergedInto, &c.registeredAt, &c.updatedAt, &c.position}
}

var nameColumns = []string{"account_id", "name_fold", "name", "former"}

// nameValues returns the company_names rows of c.
func (c *company) nameValues() [][]any {
	ns := c.names()
	out := make([][]any, len(ns))
	for i, n := range ns {
		out[i] = []any{c.accountID, n.fold, n.name, n.former}
	}
	return out
}

var contractColumns = []string{"contract_number", "program", "account_id", "primary_admin", "secondary_admin",
	"discount_level", "term_start", "term_end", "status", "managers", "registered_at", "updated_at", "position"}

func (a *agreement) values() []any {
	return []any{a.number, a.program, a.accountID, a.primaryAdmin, a.secondaryAdmin,
		a.discountLevel, a.termStart, a.termEnd, a.status, nonNil(a.managers), a.registeredAt, a.updatedAt, a.position}
}

// nonNil returns s, or an empty slice for nil: an array column is never
// NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (a *agreement) scanTargets() []any {
	return []any{&a.number, &a.program, &a.accountID, &a.primaryAdmin, &a.secondaryAdmin,
		&a.discountLevel, &a.termStart, &a.termEnd, &a.status, &a.managers, &a.registeredAt, &a.updatedAt, &a.position}
}

// copyThreshold is the number of rows from which a write goes through
// COPY into a temporary table rather than one multi-row statement.
const copyThreshold = 32

// write writes back what the batch changed: companies and agreements
// upserted, the names of every company whose names changed replaced.
func write(ctx context.Context, tx pgx.Tx, schema string, b *builder) error {
	var companies, agreements, nameRows [][]any
	for _, id := range sortedKeys(b.dirtyCompanies) {
		companies = append(companies, b.companies[id].values())
	}
	for _, n := range sortedKeys(b.dirtyContracts) {
		agreements = append(agreements, b.contracts[n].values())
	}
	if err := upsert(ctx, tx, schema, "companies", companyColumns, "account_id", companies); err != nil {
		return err
	}
	if err := upsert(ctx, tx, schema, "contracts", contractColumns, "contract_number", agreements); err != nil {
		return err
	}
	if len(b.dirtyNames) == 0 {
		return nil
	}
	changed := sortedKeys(b.dirtyNames)
	if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "company_names")+` WHERE account_id = ANY($1::text[])`,
		pgx.QueryExecModeExec, changed); err != nil {
		return fmt.Errorf("replace company names: %w", err)
	}
	for _, id := range changed {
		nameRows = append(nameRows, b.companies[id].nameValues()...)
	}
	return upsert(ctx, tx, schema, "company_names", nameColumns, "", nameRows)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// upsert inserts rows into a table of schema, replacing those with the
// same key (none when key is ""): many through COPY into a temporary
// table, a few in one multi-row statement.
func upsert(ctx context.Context, tx pgx.Tx, schema, name string, columns []string, key string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := strings.Join(columns, ", ")
	onConflict := ""
	if key != "" {
		sets := make([]string, 0, len(columns))
		for _, c := range columns {
			if c != key {
				sets = append(sets, c+" = EXCLUDED."+c)
			}
		}
		onConflict = ` ON CONFLICT (` + key + `) DO UPDATE SET ` + strings.Join(sets, ", ")
	}
	if len(rows) >= copyThreshold {
		tmp := "contracts_upsert_" + name
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+tmp+` (LIKE `+table(schema, name)+`) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+tmp); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, columns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("write %d %s: %w", len(rows), name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+table(schema, name)+` (`+cols+`) SELECT `+cols+` FROM `+tmp+onConflict); err != nil {
			return fmt.Errorf("write %d %s: %w", len(rows), name, err)
		}
		return nil
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO ` + table(schema, name) + ` (` + cols + `) VALUES `)
	args := make([]any, 0, len(rows)*len(columns))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range columns {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(len(args) + j + 1))
		}
		sb.WriteByte(')')
		args = append(args, r...)
	}
	sb.WriteString(onConflict)
	if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("write %d %s: %w", len(rows), name, err)
	}
	return nil
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
