package contracts

import (
	"context"
	"fmt"
	"maps"
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

// Version implements projections.Versioned: 2 added company_names.held
// (the company holds an agreement) and its trigram index, the table
// former_names and the functions close_threshold and close_names; 3 the
// table spellings (kept by a trigger on company_names) and the function
// close_spellings; 4 the table spelling_trigrams (the trigram index moved
// off the counts, which change with every company) and no trigram index on
// company_names; 5 applies contract.terminated (an agreement's status
// "terminated"); 6 numbers the changes to spelling_trigrams (change_seq)
// for the in-process index of spellings (Spellings) and lets
// close_spellings score only the rows changed since a number.
func (*Projection) Version() int { return 6 }

// Keys and folded names are in the "C" collation (byte order), so that
// ordering, prefix ranges and cursors agree whatever the database's
// default collation is. company_names has a btree on the folded name for
// prefix ranges and for following a spelling to the names that bear it.
// Close spellings are looked up among the distinct folded names: spellings
// counts, for each, the names, names of companies holding an agreement and
// former names that bear it (a statement trigger on company_names keeps
// it), and spelling_trigrams holds each spelling in use, with trigram GIN
// indexes (pg_trgm, projections migration 00002) of all of them (VAT
// search) and of the held ones (contract search). Former names are in
// former_names too, with a trigram index of their own, for a partner's
// search, which reads current names from its relationships (its column
// former, always true, lets close_names read it as company_names would
// be); companies has a btree on the current folded name for the
// first-letter list.
//
// close_threshold(q) is the least similarity of a close spelling of the
// folded search q (see threshold). It is marked PARALLEL UNSAFE, which it
// is not, so that no statement of a name search (each calls it) plans
// parallel workers: starting one costs more (a millisecond or two) than
// these statements take, and the planner, which sees a partner's hundreds
// of relationships scored, would.
//
// close_names(names, q, threshold, held) returns the rows of the table
// names (this schema's former_names: a function body cannot name its own
// schema, which a rebuild renames) whose folded name has a pg_trgm
// similarity to q of at least threshold and does not start with q, with
// that similarity; with held, only names of companies that hold an
// agreement. close_spellings(trigrams, q, threshold, held) does the same
// for spelling_trigrams; given the OID of that table (known) and a change
// number (since), only for the rows changed after it and those that are
// not ASCII (see Spellings). Both are STABLE, so that their statements see
// the snapshot of the statement calling them, as the rest of a search does.
// The % operator the trigram index serves compares
// with the setting pg_trgm.similarity_threshold: each function sets it for
// its own statement alone (its SET clause restores it on return, even
// within a caller's transaction), which no plain statement can do. It also
// turns off every plan but a bitmap scan, which here can only be of a
// trigram index: the planner takes a similarity for as cheap as a
// comparison and would rather score every name than read the index. The
// spellings' trigram indexes keep a short pending list (256 kB, not the
// default 4 MB): every search reads the pending list through, while a
// list flushed now and then still takes a rebuild's many new spellings in
// bulk rather than one index update at a time.
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
    held       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, name_fold)
);
CREATE INDEX IF NOT EXISTS company_names_fold_idx ON %[1]s.company_names (name_fold, account_id);
CREATE TABLE IF NOT EXISTS %[1]s.former_names (
    account_id text COLLATE "C" NOT NULL,
    name_fold  text COLLATE "C" NOT NULL,
    name       text    NOT NULL,
    former     boolean NOT NULL DEFAULT true CHECK (former),
    PRIMARY KEY (account_id, name_fold)
);
CREATE INDEX IF NOT EXISTS former_names_fold_idx ON %[1]s.former_names (name_fold, account_id);
CREATE INDEX IF NOT EXISTS former_names_trgm_idx ON %[1]s.former_names USING gin (name_fold gin_trgm_ops);
CREATE TABLE IF NOT EXISTS %[1]s.spellings (
    name_fold text COLLATE "C" PRIMARY KEY,
    names     integer NOT NULL,
    held      integer NOT NULL,
    formers   integer NOT NULL
);
CREATE TABLE IF NOT EXISTS %[1]s.spelling_trigrams (
    name_fold  text COLLATE "C" PRIMARY KEY,
    held       boolean NOT NULL,
    change_seq bigserial NOT NULL
);
CREATE INDEX IF NOT EXISTS spelling_trigrams_change_idx ON %[1]s.spelling_trigrams (change_seq);
CREATE INDEX IF NOT EXISTS spelling_trigrams_wide_idx ON %[1]s.spelling_trigrams
    USING gin (name_fold gin_trgm_ops) WHERE octet_length(name_fold) <> char_length(name_fold);
CREATE INDEX IF NOT EXISTS spelling_trigrams_idx ON %[1]s.spelling_trigrams
    USING gin (name_fold gin_trgm_ops) WITH (gin_pending_list_limit = 256);
CREATE INDEX IF NOT EXISTS spelling_trigrams_held_idx ON %[1]s.spelling_trigrams
    USING gin (name_fold gin_trgm_ops) WITH (gin_pending_list_limit = 256) WHERE held;
CREATE OR REPLACE FUNCTION %[1]s.count_spellings() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    changed text;
    folds text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := 'SELECT name_fold, 1 AS n, held::int AS h, former::int AS f FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        changed := 'SELECT name_fold, -1 AS n, -held::int AS h, -former::int AS f FROM old_rows';
    ELSE
        changed := 'SELECT name_fold, 1 AS n, held::int AS h, former::int AS f FROM new_rows
            UNION ALL SELECT name_fold, -1, -held::int, -former::int FROM old_rows';
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT name_fold) FROM (%%s) r', changed) INTO folds;
    IF folds IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format(%[5]s, TG_TABLE_SCHEMA, changed);
    EXECUTE format(%[7]s, TG_TABLE_SCHEMA) USING folds;
    RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER company_names_spellings_ins AFTER INSERT ON %[1]s.company_names
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %[1]s.count_spellings();
CREATE OR REPLACE TRIGGER company_names_spellings_del AFTER DELETE ON %[1]s.company_names
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %[1]s.count_spellings();
CREATE OR REPLACE TRIGGER company_names_spellings_upd AFTER UPDATE ON %[1]s.company_names
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %[1]s.count_spellings();
CREATE OR REPLACE FUNCTION %[1]s.close_spellings(trigrams regclass, q text, threshold double precision, held boolean,
    known oid DEFAULT NULL, since bigint DEFAULT NULL)
RETURNS TABLE (name_fold text, score real)
LANGUAGE plpgsql STABLE ROWS 100
SET pg_trgm.similarity_threshold = 0.3
SET enable_seqscan = off
SET enable_indexscan = off
SET enable_indexonlyscan = off
AS $fn$
DECLARE
    cond text := CASE WHEN held THEN ' AND t.held' ELSE '' END;
BEGIN
    IF known IS NOT NULL AND known = trigrams::oid AND since IS NOT NULL THEN
        RETURN QUERY EXECUTE format(%[8]s, trigrams, cond) USING q, threshold, since;
        cond := cond || ' AND octet_length(t.name_fold) <> char_length(t.name_fold)';
    END IF;
    PERFORM set_config('pg_trgm.similarity_threshold', threshold::text, true);
    RETURN QUERY EXECUTE format(%[6]s, trigrams, cond) USING q;
END
$fn$;
CREATE OR REPLACE FUNCTION %[1]s.close_threshold(q text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE
RETURN greatest(%[3]g, (cardinality(show_trgm(q)) - %[4]d)::float8 / (cardinality(show_trgm(q)) + %[4]d)) - 1e-6;
CREATE OR REPLACE FUNCTION %[1]s.close_names(names regclass, q text, threshold double precision, held boolean)
RETURNS TABLE (account_id text, name_fold text, former boolean, name text, score real)
LANGUAGE plpgsql STABLE ROWS 100
SET pg_trgm.similarity_threshold = 0.3
SET enable_seqscan = off
SET enable_indexscan = off
SET enable_indexonlyscan = off
AS $fn$
BEGIN
    PERFORM set_config('pg_trgm.similarity_threshold', threshold::text, true);
    RETURN QUERY EXECUTE format(%[2]s, names, CASE WHEN held THEN ' AND n.held' ELSE '' END) USING q;
END
$fn$;
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
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize(), quoteLiteral(closeNamesSQL),
		minSimilarity, closeTypos, quoteLiteral(countSpellingsSQL), quoteLiteral(closeSpellingsSQL),
		quoteLiteral(syncSpellingsSQL), quoteLiteral(changedSpellingsSQL))); err != nil {
		return fmt.Errorf("create contract tables in %s: %w", schema, err)
	}
	return nil
}

// closeNamesSQL is the statement close_names runs, a format() string: %s
// is the table, the second %s the condition on held; $1 is the search. The
// trigram index serves "n.name_fold % $1" at the threshold the function
// sets.
const closeNamesSQL = `SELECT n.account_id::text, n.name_fold::text, n.former, n.name, similarity(n.name_fold, $1)
	FROM %s n WHERE n.name_fold %% $1 AND NOT starts_with(n.name_fold, $1)%s`

// countSpellingsSQL is the statement count_spellings runs, a format()
// string: %1$I is the schema of the table the trigger fired on, %2$s the
// rows changed (name_fold and the changes n, h and f to the counts of
// names, held names and former names). The trigger then deletes the
// spellings no name has any more.
const countSpellingsSQL = `INSERT INTO %1$I.spellings AS s (name_fold, names, held, formers)
	SELECT name_fold, sum(n), sum(h), sum(f) FROM (%2$s) r GROUP BY name_fold
	ON CONFLICT (name_fold) DO UPDATE SET names = s.names + EXCLUDED.names, held = s.held + EXCLUDED.held,
		formers = s.formers + EXCLUDED.formers`

// syncSpellingsSQL keeps spelling_trigrams, which a trigram index is read
// from, in step with the counts in spellings for the folds in $1: a
// spelling some name bears is in it (held when a name of a company holding
// an agreement bears it), one no name bears any more leaves it, and its
// count row goes too. Only a spelling that appears, goes or changes held
// writes the indexed table: counts change with every company, and a
// trigram index rewritten as often searches slowly. %1$I is the schema.
const syncSpellingsSQL = `WITH c AS (SELECT name_fold, names > 0 AS used, held > 0 AS held FROM %1$I.spellings
		WHERE name_fold = ANY($1)),
	gone AS (DELETE FROM %1$I.spelling_trigrams t USING c WHERE t.name_fold = c.name_fold AND NOT c.used),
	unused AS (DELETE FROM %1$I.spellings s USING c WHERE s.name_fold = c.name_fold AND NOT c.used)
	INSERT INTO %1$I.spelling_trigrams AS t (name_fold, held) SELECT name_fold, held FROM c WHERE used
	ON CONFLICT (name_fold) DO UPDATE SET held = EXCLUDED.held, change_seq = EXCLUDED.change_seq
		WHERE t.held <> EXCLUDED.held`

// closeSpellingsSQL is the statement close_spellings runs, a format()
// string: %s is the spelling_trigrams table, the second %s the condition
// on held; $1 is the search. The trigram index serves "t.name_fold % $1"
// at the threshold the function sets.
const closeSpellingsSQL = `SELECT t.name_fold::text, similarity(t.name_fold, $1)
	FROM %s t WHERE t.name_fold %% $1 AND NOT starts_with(t.name_fold, $1)%s`

// changedSpellingsSQL is the statement close_spellings runs first for a
// caller that knows the spellings up to a change number from an index of
// its own (Spellings), a format() string as closeSpellingsSQL's: $1 is the
// search, $2 the threshold, $3 the change number. It scores the spellings
// changed (written, or their held changed) after it, read from a btree:
// few, unless the index lags. The function then reads the spellings that
// are not ASCII, which that index leaves out, from their own trigram index
// (closeSpellingsSQL with that condition).
const changedSpellingsSQL = `SELECT t.name_fold::text, similarity(t.name_fold, $1)
	FROM %s t WHERE t.change_seq > $3 AND similarity(t.name_fold, $1) >= $2 AND NOT starts_with(t.name_fold, $1)%s`

// quoteLiteral returns s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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
	if err := load(ctx, tx, schema, b, projections.SortedKeys(accounts), projections.SortedKeys(numbers)); err != nil {
		return err
	}
	// The accounts whose agreements the batch may move away: whether they
	// still hold one is asked again after the write.
	owners := map[string]bool{}
	for _, a := range b.contracts {
		owners[a.accountID] = true
	}
	for _, d := range evs {
		b.add(d.e, d.ev)
	}
	return write(ctx, tx, schema, b, owners)
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
		contract.Terminated{},
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

// nameColumns are the columns of a company_names row Apply writes, in the
// order of company.nameValues; held is set afterwards (setHeld), since
// Apply does not have every agreement of a company at hand. A fold, which
// has, writes it with the rows (heldColumn).
var nameColumns = []string{"account_id", "name_fold", "name", "former"}

const heldColumn = "held"

// nameValues returns the company_names rows of c, each ending with held
// (whether c holds an agreement) when with is set.
func (c *company) nameValues(with, held bool) [][]any {
	ns := c.names()
	out := make([][]any, len(ns))
	for i, n := range ns {
		out[i] = []any{c.accountID, n.fold, n.name, n.former}
		if with {
			out[i] = append(out[i], held)
		}
	}
	return out
}

// formerColumns are the columns of a former_names row, in the order of
// company.formerValues.
var formerColumns = []string{"account_id", "name_fold", "name"}

// formerValues returns the former_names rows of c: its company_names rows
// of former names.
func (c *company) formerValues() [][]any {
	var out [][]any
	for _, n := range c.names() {
		if n.former {
			out = append(out, []any{c.accountID, n.fold, n.name})
		}
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

// write writes back what the batch changed: companies and agreements
// upserted, the names of every company whose names changed replaced, and
// company_names.held set again for those companies and for the accounts
// that held a changed agreement before the batch (owners) or hold it now.
func write(ctx context.Context, tx pgx.Tx, schema string, b *builder, owners map[string]bool) error {
	var companies, agreements, nameRows [][]any
	for _, id := range projections.SortedKeys(b.dirtyCompanies) {
		companies = append(companies, b.companies[id].values())
	}
	for _, n := range projections.SortedKeys(b.dirtyContracts) {
		agreements = append(agreements, b.contracts[n].values())
	}
	if err := projections.Upsert(ctx, tx, schema, "companies", companyColumns, "account_id", companies); err != nil {
		return err
	}
	if err := projections.Upsert(ctx, tx, schema, "contracts", contractColumns, "contract_number", agreements); err != nil {
		return err
	}
	held := maps.Clone(owners)
	for n := range b.dirtyContracts {
		held[b.contracts[n].accountID] = true
	}
	if len(b.dirtyNames) > 0 {
		changed := projections.SortedKeys(b.dirtyNames)
		if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "company_names")+` WHERE account_id = ANY($1::text[])`,
			pgx.QueryExecModeExec, changed); err != nil {
			return fmt.Errorf("replace company names: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+table(schema, "former_names")+` WHERE account_id = ANY($1::text[])`,
			pgx.QueryExecModeExec, changed); err != nil {
			return fmt.Errorf("replace former names: %w", err)
		}
		var formerRows [][]any
		for _, id := range changed {
			c := b.companies[id]
			nameRows = append(nameRows, c.nameValues(false, false)...)
			formerRows = append(formerRows, c.formerValues()...)
			held[id] = true
		}
		if err := projections.Upsert(ctx, tx, schema, "company_names", nameColumns, "", nameRows); err != nil {
			return err
		}
		if err := projections.Upsert(ctx, tx, schema, "former_names", formerColumns, "", formerRows); err != nil {
			return err
		}
	}
	return setHeld(ctx, tx, schema, projections.SortedKeys(held))
}

// setHeld sets company_names.held of the accounts given: whether the
// account holds an agreement now.
func setHeld(ctx context.Context, tx pgx.Tx, schema string, accounts []string) error {
	if len(accounts) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE `+table(schema, "company_names")+` n
		SET held = h.held
		FROM (SELECT a.id, EXISTS (SELECT 1 FROM `+table(schema, "contracts")+` c WHERE c.account_id = a.id) AS held
			FROM unnest($1::text[]) a(id)) h
		WHERE n.account_id = h.id AND n.held <> h.held`, pgx.QueryExecModeExec, accounts); err != nil {
		return fmt.Errorf("mark companies holding agreements: %w", err)
	}
	return nil
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
