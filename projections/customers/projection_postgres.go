package customers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/eventstore"
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
CREATE INDEX IF NOT EXISTS customers_renamed_idx ON %[1]s.customers (account_id)
    WHERE cardinality(former_folds) > 0;
CREATE TABLE IF NOT EXISTS %[1]s.relationships (
    account_id     text COLLATE "C" NOT NULL,
    party_id       text COLLATE "C" NOT NULL,
    party_kind     text        NOT NULL,
    relationship   text COLLATE "C" NOT NULL,
    since_position bigint      NOT NULL,
    PRIMARY KEY (account_id, party_id, relationship)
);
CREATE INDEX IF NOT EXISTS relationships_party_idx ON %[1]s.relationships (party_id, account_id, relationship);
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create customer tables in %s: %w", schema, err)
	}
	return nil
}

// row is a customer row being written.
type row struct {
	accountID, name, nameFold                   string
	formerNames, formerFolds                    []string
	domain, country, state, city, region, vatNo string
	registeredAt, updatedAt                     time.Time
	position                                    int64
}

// renamed is a rename of an account written before this batch.
type renamed struct {
	accountID, oldName, oldFold string
	seq                         int32
}

// final is where an account renamed in this batch ends up.
type final struct {
	name, fold string
	updatedAt  time.Time
	position   int64
}

// copyThreshold is the batch size from which new rows are written with
// COPY rather than one multi-row INSERT.
const copyThreshold = 32

// Apply implements projections.Projection: account.registered inserts a
// row, account.renamed replaces the name and appends the old one to the
// former names. A registration of an account already present (never
// expected: IDs are not reused) is ignored, the first one stands. An event
// of a type it uses at a schema version the catalog does not know fails
// the batch: skipping it would silently lose data.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	type decoded struct {
		e  *eventstore.Event
		ev domain.Event
	}
	var evs []decoded
	var registering []string
	for i := range events {
		e := &events[i]
		ev, err := p.decode(e)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if r, ok := ev.(account.AccountRegistered); ok {
			registering = append(registering, r.AccountID)
		}
		evs = append(evs, decoded{e, ev})
	}
	if len(evs) == 0 {
		return nil
	}
	known, err := existing(ctx, tx, schema, registering)
	if err != nil {
		return err
	}
	b := newBuilder(known)
	for _, d := range evs {
		b.add(d.e, d.ev)
	}
	if err := insert(ctx, tx, schema, b.news); err != nil {
		return err
	}
	return rename(ctx, tx, schema, b.renames, b.finals)
}

// decode returns the event e carries if the projection uses its type, nil
// if not.
func (p *Projection) decode(e *eventstore.Event) (domain.Event, error) {
	switch e.Type {
	case account.AccountRegistered{}.EventType(), account.CompanyRenamed{}.EventType():
	default:
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

// builder turns events into customer rows in memory: Apply uses one per
// batch, a rebuild one for the whole history (see NewFold).
type builder struct {
	// known holds the accounts with a row written before the events added
	// here; nil when there is none, as in a rebuild from position 0.
	known map[string]bool
	// news are the rows registered here, in event order, and byID the same
	// by account.
	news []*row
	byID map[string]*row
	// renames and finals are the renames of rows written before.
	renames []renamed
	finals  map[string]final
}

func newBuilder(known map[string]bool) *builder {
	return &builder{known: known, byID: map[string]*row{}, finals: map[string]final{}}
}

// add applies one event decoded by Projection.decode.
func (b *builder) add(e *eventstore.Event, ev domain.Event) {
	switch ev := ev.(type) {
	case account.AccountRegistered:
		if b.known[ev.AccountID] || b.byID[ev.AccountID] != nil {
			return
		}
		r := &row{
			accountID: ev.AccountID, name: ev.Name, nameFold: names.FoldCompany(ev.Name),
			formerNames: []string{}, formerFolds: []string{},
			domain: ev.PrimaryDomain, country: ev.Address.Country, state: ev.Address.State,
			city: ev.Address.City, region: ev.Region, vatNo: ev.VATNumber,
			registeredAt: e.RecordedAt, updatedAt: e.RecordedAt, position: int64(e.Position),
		}
		b.news = append(b.news, r)
		b.byID[ev.AccountID] = r
	case account.CompanyRenamed:
		fold := names.FoldCompany(ev.NewName)
		if r := b.byID[ev.AccountID]; r != nil {
			oldFold := r.nameFold // the old name is the current one, as a rule
			if ev.OldName != r.name {
				oldFold = names.FoldCompany(ev.OldName)
			}
			r.formerNames = append(r.formerNames, ev.OldName)
			r.formerFolds = append(r.formerFolds, oldFold)
			r.name, r.nameFold = ev.NewName, fold
			r.updatedAt, r.position = e.RecordedAt, int64(e.Position)
			return
		}
		if b.known == nil {
			return // no row written before: nothing to rename
		}
		b.renames = append(b.renames, renamed{accountID: ev.AccountID, oldName: ev.OldName,
			oldFold: names.FoldCompany(ev.OldName), seq: int32(len(b.renames))})
		b.finals[ev.AccountID] = final{name: ev.NewName, fold: fold, updatedAt: e.RecordedAt, position: int64(e.Position)}
	}
}

// existing returns which of ids already have a row.
func existing(ctx context.Context, tx pgx.Tx, schema string, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	// An unnamed statement is planned with the array at hand, so that the
	// lookup hashes it; a cached generic plan compares every row with every
	// ID.
	rows, err := tx.Query(ctx, `SELECT account_id FROM `+table(schema, "customers")+` WHERE account_id = ANY($1::text[])`,
		pgx.QueryExecModeExec, ids)
	if err != nil {
		return nil, fmt.Errorf("look up accounts: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up accounts: %w", err)
	}
	for _, id := range found {
		known[id] = true
	}
	return known, nil
}

var insertColumns = []string{"account_id", "name", "name_fold", "former_names", "former_folds",
	"primary_domain", "country", "state", "city", "region", "vat_number", "registered_at",
	"updated_at", "position"}

func (r *row) values() []any {
	return []any{r.accountID, r.name, r.nameFold, r.formerNames, r.formerFolds, r.domain,
		r.country, r.state, r.city, r.region, r.vatNo, r.registeredAt, r.updatedAt, r.position}
}

// insert writes new rows: COPY for many, one multi-row INSERT for a few.
func insert(ctx context.Context, tx pgx.Tx, schema string, news []*row) error {
	if len(news) == 0 {
		return nil
	}
	if len(news) >= copyThreshold {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{schema, "customers"}, insertColumns,
			pgx.CopyFromSlice(len(news), func(i int) ([]any, error) { return news[i].values(), nil }))
		if err != nil {
			return fmt.Errorf("copy %d customers: %w", len(news), err)
		}
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + table(schema, "customers") + ` (` + strings.Join(insertColumns, ", ") + `) VALUES `)
	args := make([]any, 0, len(news)*len(insertColumns))
	for i, r := range news {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range insertColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(args) + j + 1))
		}
		b.WriteByte(')')
		args = append(args, r.values()...)
	}
	if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert %d customers: %w", len(news), err)
	}
	return nil
}

// renameSQL applies every rename of the batch to rows written before it in
// one statement: the old names appended in event order, the last new name
// kept.
const renameSQL = `
WITH r AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[])
        AS r(account_id, seq, old_name, old_fold)
), olds AS (
    SELECT account_id, array_agg(old_name ORDER BY seq) AS names,
        array_agg(old_fold ORDER BY seq) AS folds
    FROM r GROUP BY account_id
), f AS (
    SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::bigint[])
        AS f(account_id, name, name_fold, updated_at, position)
)
UPDATE %s c
SET name = f.name, name_fold = f.name_fold,
    former_names = c.former_names || olds.names, former_folds = c.former_folds || olds.folds,
    updated_at = f.updated_at, position = f.position
FROM olds JOIN f USING (account_id)
WHERE c.account_id = olds.account_id`

func rename(ctx context.Context, tx pgx.Tx, schema string, renames []renamed, finals map[string]final) error {
	if len(renames) == 0 {
		return nil
	}
	ids := make([]string, len(renames))
	seqs := make([]int32, len(renames))
	olds := make([]string, len(renames))
	oldFolds := make([]string, len(renames))
	for i, r := range renames {
		ids[i], seqs[i], olds[i], oldFolds[i] = r.accountID, r.seq, r.oldName, r.oldFold
	}
	var fIDs, fNames, fFolds []string
	var fTimes []time.Time
	var fPos []int64
	for id, f := range finals {
		fIDs, fNames, fFolds = append(fIDs, id), append(fNames, f.name), append(fFolds, f.fold)
		fTimes, fPos = append(fTimes, f.updatedAt), append(fPos, f.position)
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(renameSQL, table(schema, "customers")), pgx.QueryExecModeExec,
		ids, seqs, olds, oldFolds, fIDs, fNames, fFolds, fTimes, fPos)
	if err != nil {
		return fmt.Errorf("rename %d customers: %w", len(finals), err)
	}
	return nil
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
