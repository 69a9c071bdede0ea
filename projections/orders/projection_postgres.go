package orders

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// Name is the projection's name; its tables live in Schema.
const Name = "orders"

// Projection maintains the orders and invoices read model. It is stateless
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

// Identifiers and normalised PO numbers are in the "C" collation (byte
// order), so that ordering, cursors and equality agree whatever the
// database's default collation is. Every query of query_postgres.go has an
// index that serves its filter and its order (PO date, then number):
//
//   - staff by PO date: orders_po_date_idx; a customer: orders_customer_idx;
//     a partner: orders_partner_idx and orders_distributor_idx, one branch
//     each; by PO number: orders_po_idx and orders_distributor_po_idx;
//     distributor orders: orders_distributor_idx (a partner) and
//     orders_distributed_idx (staff); by customer name: the customer list's
//     name indexes or the order's customer by key (see customerNamed), and
//     orders_moved_idx for orders a merge moved;
//   - invoices likewise by issue date, per scope, by order and by PO.
const setupSQL = `
CREATE TABLE IF NOT EXISTS %[1]s.orders (
    order_number          text COLLATE "C" PRIMARY KEY,
    po_number             text        NOT NULL,
    po_norm               text COLLATE "C" NOT NULL,
    po_date               date        NOT NULL,
    order_type            text        NOT NULL,
    catalog               text        NOT NULL,
    lines                 jsonb       NOT NULL DEFAULT '[]',
    currency              text        NOT NULL,
    total_minor           bigint      NOT NULL,
    customer_account_id   text COLLATE "C" NOT NULL,
    former_customers      text[]      NOT NULL DEFAULT '{}',
    partner_id            text COLLATE "C" NOT NULL,
    distributor_id        text COLLATE "C" NOT NULL DEFAULT '',
    distributor_po_number text        NOT NULL DEFAULT '',
    distributor_po_norm   text COLLATE "C" NOT NULL DEFAULT '',
    status                text        NOT NULL CHECK (status IN ('submitted', 'cancelled', 'fulfilled')),
    invoice_number        text COLLATE "C" NOT NULL DEFAULT '',
    license_ids           text[]      NOT NULL DEFAULT '{}',
    submitted_at          timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    position              bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_po_date_idx ON %[1]s.orders (po_date, order_number);
CREATE INDEX IF NOT EXISTS orders_customer_idx ON %[1]s.orders (customer_account_id, po_date, order_number);
CREATE INDEX IF NOT EXISTS orders_partner_idx ON %[1]s.orders (partner_id, po_date, order_number);
CREATE INDEX IF NOT EXISTS orders_distributor_idx ON %[1]s.orders (distributor_id, po_date, order_number)
    WHERE distributor_id <> '';
CREATE INDEX IF NOT EXISTS orders_distributed_idx ON %[1]s.orders (po_date, order_number)
    WHERE distributor_id <> '';
CREATE INDEX IF NOT EXISTS orders_moved_idx ON %[1]s.orders (po_date, order_number)
    WHERE cardinality(former_customers) > 0;
CREATE INDEX IF NOT EXISTS orders_po_idx ON %[1]s.orders (po_norm);
CREATE INDEX IF NOT EXISTS orders_distributor_po_idx ON %[1]s.orders (distributor_po_norm)
    WHERE distributor_po_norm <> '';
CREATE TABLE IF NOT EXISTS %[1]s.invoices (
    invoice_number      text COLLATE "C" PRIMARY KEY,
    order_number        text COLLATE "C" NOT NULL,
    account_id          text COLLATE "C" NOT NULL,
    customer_account_id text COLLATE "C" NOT NULL,
    partner_id          text COLLATE "C" NOT NULL DEFAULT '',
    distributor_id      text COLLATE "C" NOT NULL DEFAULT '',
    po_number           text        NOT NULL,
    po_norm             text COLLATE "C" NOT NULL,
    distributor_po_norm text COLLATE "C" NOT NULL DEFAULT '',
    amount_minor        bigint      NOT NULL,
    currency            text        NOT NULL,
    issued_on           date        NOT NULL,
    due_date            date        NOT NULL,
    delivery_mode       text        NOT NULL,
    issued_at           timestamptz NOT NULL,
    position            bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_issued_idx ON %[1]s.invoices (issued_on, invoice_number);
CREATE INDEX IF NOT EXISTS invoices_order_idx ON %[1]s.invoices (order_number);
CREATE INDEX IF NOT EXISTS invoices_po_idx ON %[1]s.invoices (po_norm);
CREATE INDEX IF NOT EXISTS invoices_distributor_po_idx ON %[1]s.invoices (distributor_po_norm)
    WHERE distributor_po_norm <> '';
CREATE INDEX IF NOT EXISTS invoices_account_idx ON %[1]s.invoices (account_id, issued_on, invoice_number);
CREATE INDEX IF NOT EXISTS invoices_customer_idx ON %[1]s.invoices (customer_account_id, issued_on, invoice_number);
CREATE INDEX IF NOT EXISTS invoices_partner_idx ON %[1]s.invoices (partner_id, issued_on, invoice_number);
CREATE INDEX IF NOT EXISTS invoices_distributor_idx ON %[1]s.invoices (distributor_id, issued_on, invoice_number)
    WHERE distributor_id <> '';
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create order tables in %s: %w", schema, err)
	}
	return nil
}

// Apply implements projections.Projection. It loads the orders the batch
// touches and their invoices, applies the events to them in memory
// (builder.add, the same code a rebuild folds with), and writes back what
// changed. An event of a type it uses at a schema version the catalog does
// not know fails the batch: skipping it would silently lose data.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	type decoded struct {
		e  *eventstore.Event
		ev domain.Event
	}
	var evs []decoded
	numbers := map[string]bool{}
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
		numbers[orderNumberOf(ev)] = true
	}
	if len(evs) == 0 {
		return nil
	}
	b := newBuilder(true)
	if err := load(ctx, tx, schema, b, projections.SortedKeys(numbers)); err != nil {
		return err
	}
	for _, d := range evs {
		if err := b.add(d.e, d.ev); err != nil {
			return err
		}
	}
	return write(ctx, tx, schema, b)
}

// orderNumberOf is the order an event of the projection concerns.
func orderNumberOf(ev domain.Event) string {
	switch ev := ev.(type) {
	case order.Submitted:
		return ev.OrderNumber
	case order.Cancelled:
		return ev.OrderNumber
	case order.Fulfilled:
		return ev.OrderNumber
	case order.CustomerChanged:
		return ev.OrderNumber
	case invoice.Issued:
		return ev.OrderNumber
	}
	return ""
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
		order.Submitted{}, order.Cancelled{}, order.Fulfilled{}, order.CustomerChanged{}, invoice.Issued{},
	} {
		m[ev.EventType()] = true
	}
	return m
}()

// load reads the orders numbers and every invoice of them into b (an
// invoice names its order, so the invoices an invoice.issued of the batch
// could repeat are among them).
func load(ctx context.Context, tx pgx.Tx, schema string, b *builder, numbers []string) error {
	// Unnamed statements are planned with the array at hand (see the
	// customers projection).
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(orderColumns, ", ")+` FROM `+table(schema, "orders")+
		` WHERE order_number = ANY($1::text[])`, pgx.QueryExecModeExec, numbers)
	if err != nil {
		return fmt.Errorf("load orders: %w", err)
	}
	var o orderRow
	if _, err := pgx.ForEachRow(rows, o.scanTargets(), func() error {
		c := o
		b.orders[c.number] = &c
		return nil
	}); err != nil {
		return fmt.Errorf("load orders: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT `+strings.Join(invoiceColumns, ", ")+` FROM `+table(schema, "invoices")+
		` WHERE order_number = ANY($1::text[])`, pgx.QueryExecModeExec, numbers)
	if err != nil {
		return fmt.Errorf("load invoices: %w", err)
	}
	var inv invoiceRow
	if _, err := pgx.ForEachRow(rows, inv.scanTargets(), func() error {
		c := inv
		b.invoices[c.number] = &c
		return nil
	}); err != nil {
		return fmt.Errorf("load invoices: %w", err)
	}
	return nil
}

// orderColumns are the columns of an order row, in the order of
// orderRow.values and orderRow.scanTargets.
var orderColumns = []string{"order_number", "po_number", "po_norm", "po_date", "order_type", "catalog", "lines",
	"currency", "total_minor", "customer_account_id", "former_customers", "partner_id", "distributor_id", "distributor_po_number",
	"distributor_po_norm", "status", "invoice_number", "license_ids", "submitted_at", "updated_at", "position"}

func (o *orderRow) values() []any {
	if o.formerCustomers == nil {
		o.formerCustomers = []string{}
	}
	if o.licenseIDs == nil {
		o.licenseIDs = []string{}
	}
	return []any{o.number, o.poNumber, o.poNorm, o.poDate, o.orderType, o.catalog, string(o.lines),
		o.currency, o.totalMinor, o.customer, o.formerCustomers, o.partner, o.distributor, o.distributorPO,
		o.distPONorm, o.status, o.invoiceNumber, o.licenseIDs, o.submittedAt, o.updatedAt, o.position}
}

func (o *orderRow) scanTargets() []any {
	return []any{&o.number, &o.poNumber, &o.poNorm, &o.poDate, &o.orderType, &o.catalog, &o.lines,
		&o.currency, &o.totalMinor, &o.customer, &o.formerCustomers, &o.partner, &o.distributor, &o.distributorPO,
		&o.distPONorm, &o.status, &o.invoiceNumber, &o.licenseIDs, &o.submittedAt, &o.updatedAt, &o.position}
}

// invoiceColumns are the columns of an invoice row, in the order of
// invoiceRow.values and invoiceRow.scanTargets.
var invoiceColumns = []string{"invoice_number", "order_number", "account_id", "customer_account_id", "partner_id",
	"distributor_id", "po_number", "po_norm", "distributor_po_norm", "amount_minor", "currency", "issued_on",
	"due_date", "delivery_mode", "issued_at", "position"}

func (i *invoiceRow) values() []any {
	return []any{i.number, i.orderNumber, i.account, i.customer, i.partner, i.distributor, i.poNumber, i.poNorm,
		i.distPONorm, i.amountMinor, i.currency, i.issuedOn, i.dueDate, i.deliveryMode, i.issuedAt, i.position}
}

func (i *invoiceRow) scanTargets() []any {
	return []any{&i.number, &i.orderNumber, &i.account, &i.customer, &i.partner, &i.distributor, &i.poNumber, &i.poNorm,
		&i.distPONorm, &i.amountMinor, &i.currency, &i.issuedOn, &i.dueDate, &i.deliveryMode, &i.issuedAt, &i.position}
}

// write upserts the orders and invoices the batch changed.
func write(ctx context.Context, tx pgx.Tx, schema string, b *builder) error {
	var os, is [][]any
	for _, n := range projections.SortedKeys(b.dirtyOrders) {
		os = append(os, b.orders[n].values())
	}
	for _, n := range projections.SortedKeys(b.dirtyInvoices) {
		is = append(is, b.invoices[n].values())
	}
	if err := projections.Upsert(ctx, tx, schema, "orders", orderColumns, orderColumns[0], os); err != nil {
		return err
	}
	return projections.Upsert(ctx, tx, schema, "invoices", invoiceColumns, invoiceColumns[0], is)
}

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
