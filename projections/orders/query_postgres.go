package orders

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Schema is the PostgreSQL schema queries read (projections.Schema(Name)).
const Schema = "proj_" + Name

// The errors of the read side (readmodel's), under this package's names.
var (
	// ErrNotFound is returned by Get when the order does not exist or the
	// viewer may not see it; the two are deliberately indistinguishable.
	ErrNotFound = readmodel.ErrNotFound
	// ErrBadCursor is returned by the lists for a cursor they did not
	// issue, or issued for another query or viewer.
	ErrBadCursor = readmodel.ErrBadCursor
	// ErrBadLimit is returned by the lists for a limit below 1 or above
	// readmodel.MaxLimit.
	ErrBadLimit = readmodel.ErrBadLimit
)

// MessageNoCriteria is what the API says next to the empty list of an
// order search without a PO number or a PO date range (DOMAIN.md: no
// dates, no results, never everything).
const MessageNoCriteria = "give a PO number (po) or a PO date range (from and to): without one, an order search lists nothing"

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier = readmodel.Querier

// Filter selects and pages an order search. A search needs PO or both
// From and To (HasCriteria); the other fields narrow it.
type Filter struct {
	// PO matches the order's PO number or its distributor's PO number,
	// compared normalised (order.NormalisePO).
	PO string
	// From and To bound the PO date, both inclusive; the zero time leaves
	// a bound open. Only the dates count.
	From, To time.Time
	// Type is the exact order type (order.Type*).
	Type string
	// OrderNumber is the exact order number.
	OrderNumber string
	// CustomerName matches the start of a name of the customer account the
	// order answers under, or of an account it answered under before a
	// merge moved it (its customer when it was placed): the account's
	// current or a former name, compared folded (names.FoldCompany). A
	// name that folds to nothing matches nothing.
	CustomerName string
	// Limit is the page size: 0 means readmodel.DefaultLimit; 1 to
	// readmodel.MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// HasCriteria reports whether f is a search: a PO number, or a PO date
// range with both ends.
func (f Filter) HasCriteria() bool {
	return order.NormalisePO(f.PO) != "" || !f.From.IsZero() && !f.To.IsZero()
}

// DistributorFilter pages the orders of a distributor by PO date; both
// ends of the range are required.
type DistributorFilter struct {
	// From and To bound the PO date, both inclusive.
	From, To time.Time
	Limit    int
	Cursor   string
}

// InvoiceFilter selects and pages invoices. Empty fields do not filter.
type InvoiceFilter struct {
	// Number is the exact invoice number.
	Number string
	// OrderNumber is the exact number of the invoice's order.
	OrderNumber string
	// PO matches the invoice's PO number or its order's distributor PO
	// number, compared normalised (order.NormalisePO).
	PO string
	// From and To bound the issue date, both inclusive; the zero time
	// leaves a bound open.
	From, To time.Time
	Limit    int
	Cursor   string
}

// Line is one line of an order.
type Line struct {
	SKU      string `json:"sku"`
	Product  string `json:"product"`
	Edition  string `json:"edition"`
	Quantity int    `json:"quantity"`
	// UnitPriceMinor is in the minor unit of Currency (1999 = 19.99 EUR).
	UnitPriceMinor int64  `json:"unit_price_minor"`
	Currency       string `json:"currency"`
}

// Order is an order as a search or a lookup shows it.
type Order struct {
	OrderNumber string `json:"order_number"`
	// PONumber is the PO number as the partner gave it.
	PONumber string `json:"po_number"`
	// PODate is YYYY-MM-DD.
	PODate    string `json:"po_date"`
	OrderType string `json:"order_type"`
	Catalog   string `json:"catalog"`
	Lines     []Line `json:"lines"`
	// TotalMinor is the sum of the lines in the minor unit of Currency.
	TotalMinor int64  `json:"total_minor"`
	Currency   string `json:"currency"`
	// CustomerAccountID is the account the order answers under: its
	// customer, or the account a merge moved it to.
	CustomerAccountID   string `json:"customer_account_id"`
	PartnerID           string `json:"partner_id"`
	DistributorID       string `json:"distributor_id,omitempty"`
	DistributorPONumber string `json:"distributor_po_number,omitempty"`
	// Status is submitted, cancelled or fulfilled.
	Status string `json:"status"`
	// InvoiceNumber and LicenseIDs are set once the order is fulfilled.
	InvoiceNumber string   `json:"invoice_number,omitempty"`
	LicenseIDs    []string `json:"license_ids"`
	// SubmittedAt and UpdatedAt are when the store recorded the submission
	// and the last change (RFC 3339, UTC).
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Invoice is an invoice as the list shows it.
type Invoice struct {
	InvoiceNumber string `json:"invoice_number"`
	OrderNumber   string `json:"order_number"`
	// AccountID is the account billed; it stays when a merge moves the
	// order.
	AccountID string `json:"account_id"`
	PONumber  string `json:"po_number"`
	// AmountMinor is in the minor unit of Currency.
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	// IssuedOn and DueDate are YYYY-MM-DD.
	IssuedOn string `json:"issued_on"`
	DueDate  string `json:"due_date"`
	// DeliveryMode is paper or paperless.
	DeliveryMode string `json:"delivery_mode"`
	// IssuedAt is when the store recorded the invoice (RFC 3339, UTC).
	IssuedAt time.Time `json:"issued_at"`
}

// Search returns the page of orders that viewer may see and f selects,
// ordered by PO date and order number, and the cursor of the next page
// ("" on the last one). Without a PO number or a PO date range it returns
// nothing (f.HasCriteria; the API says MessageNoCriteria). It returns
// ErrBadLimit or ErrBadCursor for a bad page request.
func Search(ctx context.Context, q Querier, viewer domain.Principal, f Filter) ([]Order, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	po := order.NormalisePO(f.PO)
	fold := names.FoldCompany(f.CustomerName)
	key := queryKey(viewer, "orders", po, day(f.From), day(f.To), f.Type, f.OrderNumber, fold)
	after, err := decodeCursor(f.Cursor, key)
	if err != nil {
		return nil, "", err
	}
	if !f.HasCriteria() || f.CustomerName != "" && fold == "" {
		return []Order{}, "", nil
	}
	sc, err := scopeOf(ctx, q, viewer)
	if err != nil || sc.scope == readmodel.SeeNothing {
		return []Order{}, "", err
	}
	var b sqlBuilder
	var conds []string
	if po != "" {
		p := b.arg(po)
		// The second arm names the partial index's predicate, so that the
		// planner may use it.
		conds = append(conds, `(o.po_norm = `+p+` OR (o.distributor_po_norm = `+p+` AND o.distributor_po_norm <> ''))`)
	}
	conds = append(conds, dateRange("o.po_date", &b, f.From, f.To)...)
	if f.Type != "" {
		conds = append(conds, `o.order_type = `+b.arg(f.Type))
	}
	if f.OrderNumber != "" {
		conds = append(conds, `o.order_number = `+b.arg(f.OrderNumber))
	}
	branches, union := orderBranches(&b, sc), unionAll
	if fold != "" {
		branches, union = cross(branches, customerNamed(&b, fold)), unionDistinct
	}
	return listOrders(ctx, q, &b, conds, branches, union, after, limit, key)
}

// DistributorOrders returns the page of orders with a distributor in the
// PO date range of f that viewer may list as a distributor: a partner
// contact the orders its partner distributes, staff with a role every
// order with a distributor, anyone else nothing. Both ends of the range
// are required; without them it returns nothing.
func DistributorOrders(ctx context.Context, q Querier, viewer domain.Principal, f DistributorFilter) ([]Order, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	key := queryKey(viewer, "distributor-orders", day(f.From), day(f.To))
	after, err := decodeCursor(f.Cursor, key)
	if err != nil {
		return nil, "", err
	}
	if f.From.IsZero() || f.To.IsZero() {
		return []Order{}, "", nil
	}
	var b sqlBuilder
	var branch string
	switch readmodel.ScopeOf(viewer) {
	case readmodel.SeeAll:
		branch = `o.distributor_id <> ''`
	case readmodel.SeeRelated:
		branch = `o.distributor_id = ` + b.arg(viewer.PartnerID) + ` AND o.distributor_id <> ''`
	default:
		return []Order{}, "", nil
	}
	return listOrders(ctx, q, &b, dateRange("o.po_date", &b, f.From, f.To), []string{branch}, unionAll, after, limit, key)
}

// Get returns order number as viewer may see it: ErrNotFound when it does
// not exist or is not visible, deliberately indistinguishable.
func Get(ctx context.Context, q Querier, viewer domain.Principal, number string) (Order, error) {
	if !utf8.ValidString(number) || strings.ContainsRune(number, 0) {
		return Order{}, ErrNotFound // not text: no order has that number
	}
	sc, err := scopeOf(ctx, q, viewer)
	if err != nil {
		return Order{}, err
	}
	if sc.scope == readmodel.SeeNothing {
		return Order{}, ErrNotFound
	}
	var b sqlBuilder
	cond := `o.order_number = ` + b.arg(number)
	switch sc.scope {
	case readmodel.SeeOwn:
		cond += ` AND o.customer_account_id = ANY(` + b.arg(sc.accounts) + `::text[])`
	case readmodel.SeeRelated:
		p := b.arg(sc.partner)
		cond += ` AND (o.partner_id = ` + p + ` OR o.distributor_id = ` + p + `)`
	}
	rows, err := q.Query(ctx, `SELECT `+orderSelect+` FROM `+Schema+`.orders o WHERE `+cond, b.args...)
	if err != nil {
		return Order{}, fmt.Errorf("get order: %w", err)
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrder)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order: %w", err)
	}
	return o, nil
}

// Invoices returns the page of invoices that viewer may see and f
// selects, ordered by issue date and invoice number, and the cursor of the
// next page ("" on the last one): staff with a role see every invoice, a
// customer contact those billed to its account or issued for orders that
// answer under it, a partner contact those of the orders its partner
// submitted or distributes. It returns ErrBadLimit or ErrBadCursor for a
// bad page request.
func Invoices(ctx context.Context, q Querier, viewer domain.Principal, f InvoiceFilter) ([]Invoice, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	po := order.NormalisePO(f.PO)
	key := queryKey(viewer, "invoices", f.Number, f.OrderNumber, po, day(f.From), day(f.To))
	after, err := decodeCursor(f.Cursor, key)
	if err != nil {
		return nil, "", err
	}
	sc, err := scopeOf(ctx, q, viewer)
	if err != nil || sc.scope == readmodel.SeeNothing {
		return []Invoice{}, "", err
	}
	var b sqlBuilder
	var conds []string
	if f.Number != "" {
		conds = append(conds, `i.invoice_number = `+b.arg(f.Number))
	}
	if f.OrderNumber != "" {
		conds = append(conds, `i.order_number = `+b.arg(f.OrderNumber))
	}
	if po != "" {
		p := b.arg(po)
		conds = append(conds, `(i.po_norm = `+p+` OR (i.distributor_po_norm = `+p+` AND i.distributor_po_norm <> ''))`)
	}
	conds = append(conds, dateRange("i.issued_on", &b, f.From, f.To)...)
	if after.Number != "" {
		conds = append(conds, `(i.issued_on, i.invoice_number) > (`+b.arg(after.Date)+`::date, `+b.arg(after.Number)+`)`)
	}
	var branches []string
	switch sc.scope {
	case readmodel.SeeAll:
		branches = []string{""}
	case readmodel.SeeOwn:
		a := b.arg(sc.accounts) + `::text[]`
		branches = []string{`i.customer_account_id = ANY(` + a + `)`,
			`i.account_id = ANY(` + a + `) AND NOT i.customer_account_id = ANY(` + a + `)`}
	case readmodel.SeeRelated:
		p := b.arg(sc.partner)
		branches = []string{`i.partner_id = ` + p,
			`i.distributor_id = ` + p + ` AND i.distributor_id <> '' AND i.partner_id <> ` + p}
	}
	sql := pageSQL(Schema+`.invoices i`, invoiceSelect, `issued_on, invoice_number`, "i.", conds, branches, unionAll, b.arg(limit+1))
	rows, err := q.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list invoices: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanInvoice)
	if err != nil {
		return nil, "", fmt.Errorf("list invoices: %w", err)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = cursor{Date: last.IssuedOn, Number: last.InvoiceNumber, Query: key}.encode()
	}
	return items, next, nil
}

// listOrders runs an order list: conds on every branch, one branch per
// way the viewer may see an order, keyset paging on (PO date, number).
func listOrders(ctx context.Context, q Querier, b *sqlBuilder, conds, branches []string, union string, after cursor, limit int, key string) ([]Order, string, error) {
	if after.Number != "" {
		conds = append(conds, `(o.po_date, o.order_number) > (`+b.arg(after.Date)+`::date, `+b.arg(after.Number)+`)`)
	}
	sql := pageSQL(Schema+`.orders o`, orderSelect, `po_date, order_number`, "o.", conds, branches, union, b.arg(limit+1))
	args := b.args
	if union == unionDistinct {
		// A name search is planned with its prefix at hand, every time: a
		// rare prefix is best looked up name first, a common one order
		// first, which a cached generic plan cannot tell apart.
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list orders: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, "", fmt.Errorf("list orders: %w", err)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = cursor{Date: last.PODate, Number: last.OrderNumber, Query: key}.encode()
	}
	return items, next, nil
}

// orderBranches are the ways sc sees an order, one query branch each, so
// that each walks its own index in order: a partner the orders it
// submitted and (apart from those) the orders it distributes.
func orderBranches(b *sqlBuilder, sc scope) []string {
	switch sc.scope {
	case readmodel.SeeOwn:
		return []string{`o.customer_account_id = ANY(` + b.arg(sc.accounts) + `::text[])`}
	case readmodel.SeeRelated:
		p := b.arg(sc.partner)
		return []string{`o.partner_id = ` + p, `o.distributor_id = ` + p + ` AND o.distributor_id <> '' AND o.partner_id <> ` + p}
	}
	return []string{""}
}

// How pageSQL merges branches: unionAll for branches that never share a
// row, unionDistinct for branches that may.
const (
	unionAll      = " UNION ALL "
	unionDistinct = " UNION "
)

// pageSQL builds a keyset page: each branch selects from from where conds
// and its own condition hold, in key order, up to limit rows; several
// branches are merged with union and cut to limit again.
func pageSQL(from, cols, key, alias string, conds, branches []string, union, limit string) string {
	order := alias + strings.ReplaceAll(key, ", ", ", "+alias)
	parts := make([]string, len(branches))
	for i, br := range branches {
		where := conds
		if br != "" {
			where = append(where[:len(where):len(where)], br)
		}
		w := ""
		if len(where) > 0 {
			w = ` WHERE ` + strings.Join(where, " AND ")
		}
		parts[i] = `SELECT ` + cols + ` FROM ` + from + w + ` ORDER BY ` + order + ` LIMIT ` + limit
	}
	sql := parts[0]
	if len(parts) > 1 {
		sql = `SELECT * FROM ((` + strings.Join(parts, `)`+union+`(`) + `)) u ORDER BY ` + key + ` LIMIT ` + limit
	}
	return sql
}

// customerNamed returns the conditions under which an order's customer
// bears a name starting with the folded prefix, one query branch each
// (their rows may overlap: the page merges them with UNION): the account
// the order answers under has such a current name, or such a former name,
// or (only for an order a merge moved) an account it answered under
// before has such a name.
//
// The current name is an EXISTS on the customer list's table, which the
// planner turns into a semi-join of its choice: the orders first, each
// looking up its customer by key (a partner's or a customer's orders, a
// short range, a common prefix), or the names first, through the folded
// name index, and then the orders of those accounts (many orders, a rare
// prefix). Former names are looked up first, once, among the few renamed
// accounts (the customer list's partial index); the planner cannot tell
// how few, so it is not given the choice. Moved orders have their own
// partial index.
func customerNamed(b *sqlBuilder, fold string) []string {
	lo, hi := b.arg(fold), b.arg(fold+maxRune)
	c := customers.Schema + `.customers c`
	current := `c.name_fold >= ` + lo + ` AND c.name_fold < ` + hi
	former := `cardinality(c.former_folds) > 0 AND EXISTS (SELECT 1 FROM unnest(c.former_folds) ff WHERE starts_with(ff, ` + lo + `))`
	return []string{
		`EXISTS (SELECT 1 FROM ` + c + ` WHERE c.account_id = o.customer_account_id AND ` + current + `)`,
		`o.customer_account_id = ANY(ARRAY(SELECT c.account_id FROM ` + c + ` WHERE ` + former + `))`,
		`cardinality(o.former_customers) > 0 AND EXISTS (SELECT 1 FROM ` + c + ` WHERE c.account_id = ANY(o.former_customers)
			AND (` + current + ` OR ` + former + `))`,
	}
}

// cross returns every pair of a condition of as and one of bs, joined by
// AND.
func cross(as, bs []string) []string {
	var out []string
	for _, a := range as {
		for _, b := range bs {
			if a == "" {
				out = append(out, b)
			} else {
				out = append(out, a+` AND `+b)
			}
		}
	}
	return out
}

// maxRune is above every character a folded name holds, so that [prefix,
// prefix+maxRune) is exactly the byte-ordered strings starting with
// prefix.
const maxRune = "\U0010FFFF"

func dateRange(col string, b *sqlBuilder, from, to time.Time) []string {
	var out []string
	if !from.IsZero() {
		out = append(out, col+` >= `+b.arg(day(from))+`::date`)
	}
	if !to.IsZero() {
		out = append(out, col+` <= `+b.arg(day(to))+`::date`)
	}
	return out
}

// day is t's date as YYYY-MM-DD, "" for the zero time.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

type sqlBuilder struct{ args []any }

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// scope is what a viewer may see: for a customer contact the accounts
// whose orders count as its own, for a partner contact its partner.
type scope struct {
	scope    readmodel.Scope
	accounts []string
	partner  string
}

// scopeOf returns viewer's scope. A customer contact's accounts are its
// own and, when its account was merged, the accounts it was merged into,
// along the chain, as the customer list records them (GET
// /v1/accounts/{id} answers the same way).
func scopeOf(ctx context.Context, q Querier, viewer domain.Principal) (scope, error) {
	sc := scope{scope: readmodel.ScopeOf(viewer)}
	switch sc.scope {
	case readmodel.SeeRelated:
		sc.partner = viewer.PartnerID
	case readmodel.SeeOwn:
		sc.accounts = []string{viewer.AccountID}
		id := viewer.AccountID
		for range customers.MaxMergeHops {
			var into string
			err := q.QueryRow(ctx, `SELECT merged_into FROM `+customers.Schema+`.customers WHERE account_id = $1`, id).Scan(&into)
			if errors.Is(err, pgx.ErrNoRows) || err == nil && into == "" {
				break
			}
			if err != nil {
				return scope{}, fmt.Errorf("accounts of %s: %w", viewer.AccountID, err)
			}
			sc.accounts = append(sc.accounts, into)
			id = into
		}
	}
	return sc, nil
}

// cursor is the sort key of the last row of a page and the query it
// belongs to.
type cursor struct {
	Date   string `json:"d"`
	Number string `json:"n"`
	// Query is queryKey of the query and viewer the cursor was issued for.
	Query string `json:"q"`
}

func (c cursor) encode() string { return readmodel.EncodeCursor(c) }

// decodeCursor decodes s ("" gives the zero cursor), refusing a cursor of
// another query or viewer than key's.
func decodeCursor(s, key string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	var c cursor
	if err := readmodel.DecodeCursor(s, &c); err != nil || c.Number == "" || c.Query != key {
		return cursor{}, ErrBadCursor
	}
	if _, err := time.Parse(time.DateOnly, c.Date); err != nil {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// queryKey is a digest of the viewer and the parts of a query, which a
// cursor carries: a cursor only continues the query that issued it.
func queryKey(viewer domain.Principal, parts ...string) string {
	h := sha256.New()
	for _, p := range append([]string{viewer.ID, string(viewer.Kind), viewer.AccountID, viewer.PartnerID}, parts...) {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

const orderSelect = `o.order_number, o.po_number, o.po_date, o.order_type, o.catalog, o.lines, o.total_minor,
	o.currency, o.customer_account_id, o.partner_id, o.distributor_id, o.distributor_po_number, o.status,
	o.invoice_number, o.license_ids, o.submitted_at, o.updated_at`

func scanOrder(row pgx.CollectableRow) (Order, error) {
	var o Order
	var poDate time.Time
	var lines []byte
	if err := row.Scan(&o.OrderNumber, &o.PONumber, &poDate, &o.OrderType, &o.Catalog, &lines, &o.TotalMinor,
		&o.Currency, &o.CustomerAccountID, &o.PartnerID, &o.DistributorID, &o.DistributorPONumber, &o.Status,
		&o.InvoiceNumber, &o.LicenseIDs, &o.SubmittedAt, &o.UpdatedAt); err != nil {
		return o, err
	}
	if err := json.Unmarshal(lines, &o.Lines); err != nil {
		return o, fmt.Errorf("order %s: lines: %w", o.OrderNumber, err)
	}
	if o.Lines == nil {
		o.Lines = []Line{}
	}
	if o.LicenseIDs == nil {
		o.LicenseIDs = []string{}
	}
	o.PODate = poDate.Format(time.DateOnly)
	o.SubmittedAt, o.UpdatedAt = o.SubmittedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}

const invoiceSelect = `i.invoice_number, i.order_number, i.account_id, i.po_number, i.amount_minor, i.currency,
	i.issued_on, i.due_date, i.delivery_mode, i.issued_at`

func scanInvoice(row pgx.CollectableRow) (Invoice, error) {
	var v Invoice
	var issued, due time.Time
	if err := row.Scan(&v.InvoiceNumber, &v.OrderNumber, &v.AccountID, &v.PONumber, &v.AmountMinor, &v.Currency,
		&issued, &due, &v.DeliveryMode, &v.IssuedAt); err != nil {
		return v, err
	}
	v.IssuedOn, v.DueDate, v.IssuedAt = issued.Format(time.DateOnly), due.Format(time.DateOnly), v.IssuedAt.UTC()
	return v, nil
}
