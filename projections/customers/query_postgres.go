package customers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Schema is the PostgreSQL schema queries read (projections.Schema(Name)).
const Schema = "proj_" + Name

// Paging limits of List.
const (
	DefaultLimit = readmodel.DefaultLimit
	MaxLimit     = readmodel.MaxLimit
)

// The errors of the read side (readmodel's), under this package's names.
var (
	// ErrNotFound is returned by Get when the account does not exist or
	// the viewer may not see it; the two are deliberately
	// indistinguishable.
	ErrNotFound = readmodel.ErrNotFound
	// ErrBadCursor is returned by List for a cursor it did not issue or
	// that does not fit the viewer.
	ErrBadCursor = readmodel.ErrBadCursor
	// ErrBadLimit is returned by List for a limit below 1 or above
	// MaxLimit.
	ErrBadLimit = readmodel.ErrBadLimit
)

// Filter selects and pages customers. Empty fields do not filter.
type Filter struct {
	// NamePrefix matches the start of the current or any former name,
	// compared folded (names.FoldCompany).
	NamePrefix string
	// Domain is the exact primary domain (compared in lower case).
	Domain string
	// Relationship keeps accounts with a relationship of this kind (for a
	// partner: its own relationship of this kind).
	Relationship string
	// Tag keeps accounts carrying this tag.
	Tag string
	// Limit is the page size: 0 means DefaultLimit; 1 to MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// Customer is an account as a list or a lookup shows it.
type Customer struct {
	AccountID     string   `json:"account_id"`
	Name          string   `json:"name"`
	FormerNames   []string `json:"former_names"`
	PrimaryDomain string   `json:"primary_domain"`
	Country       string   `json:"country"`
	State         string   `json:"state,omitempty"`
	City          string   `json:"city,omitempty"`
	Region        string   `json:"region"`
	VATNumber     string   `json:"vat_number,omitempty"`
	Tags          []string `json:"tags"`
	// Status is "active" or "merged".
	Status string `json:"status"`
	// MergedInto is the account a merged account now answers under.
	MergedInto string `json:"merged_into,omitempty"`
	// Relationship is the viewing partner's relationship with the account
	// (empty for staff and customers).
	Relationship string `json:"relationship,omitempty"`
	// Renamed reports that the company had other names (FormerNames).
	Renamed bool `json:"renamed"`
}

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier = readmodel.Querier

// cursor is the sort key of the last row of a page.
type cursor struct {
	Fold         string `json:"f"`
	AccountID    string `json:"a"`
	Relationship string `json:"r,omitempty"`
}

func (c cursor) encode() string { return readmodel.EncodeCursor(c) }

func decodeCursor(s string, sc readmodel.Scope) (cursor, error) {
	var c cursor
	if err := readmodel.DecodeCursor(s, &c); err != nil || c.AccountID == "" {
		return cursor{}, ErrBadCursor
	}
	if (sc == readmodel.SeeRelated) != (c.Relationship != "") {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// maxRune is above every character a folded name holds, so that
// [prefix, prefix+maxRune) is exactly the byte-ordered strings starting
// with prefix.
const maxRune = "\U0010FFFF"

const columns = `c.account_id, c.name, c.name_fold, c.former_names, c.primary_domain, c.country,
	c.state, c.city, c.region, c.vat_number, c.tags, c.status, c.merged_into`

// partnerColumns are columns for a partner's list: the key columns from the
// relationship row, so that ORDER BY follows the relationships' (party,
// name, account, relationship) index.
const partnerColumns = `r.account_id, c.name, r.name_fold, c.former_names, c.primary_domain, c.country,
	c.state, c.city, c.region, c.vat_number, c.tags, c.status, c.merged_into`

// List returns the page of customers that viewer may see and f selects,
// ordered by folded name, account ID and (for partners) relationship, and
// the cursor of the next page ("" on the last one). A partner sees each
// account once per relationship it has with it. Merged accounts are not
// listed (Get still finds them). It returns ErrBadLimit or ErrBadCursor for
// a bad page request.
func List(ctx context.Context, q Querier, viewer domain.Principal, f Filter) ([]Customer, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	sc := readmodel.ScopeOf(viewer)
	var after cursor
	if f.Cursor != "" {
		var err error
		if after, err = decodeCursor(f.Cursor, sc); err != nil {
			return nil, "", err
		}
	}
	if sc == readmodel.SeeNothing {
		return []Customer{}, "", nil
	}

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var from string
	where := []string{`c.status = 'active'`}
	order := "name_fold, account_id"
	nameFold, accountID := "c.name_fold", "c.account_id"
	if sc == readmodel.SeeRelated {
		// The partner's relationships in name order, from their own index;
		// each row's customer by its key.
		nameFold, accountID = "r.name_fold", "r.account_id"
		from = `SELECT ` + partnerColumns + `, r.relationship FROM ` + Schema + `.relationships r
			JOIN ` + Schema + `.customers c ON c.account_id = r.account_id`
		where = append(where, `r.party_id = `+arg(viewer.PartnerID))
		if f.Relationship != "" {
			where = append(where, `r.relationship = `+arg(f.Relationship))
		}
		order += ", relationship"
	} else {
		from = `SELECT ` + columns + `, '' AS relationship FROM ` + Schema + `.customers c`
		if sc == readmodel.SeeOwn {
			where = append(where, `c.account_id = `+arg(viewer.AccountID))
		}
		if f.Relationship != "" {
			where = append(where, `EXISTS (SELECT 1 FROM `+Schema+`.relationships r
				WHERE r.account_id = c.account_id AND r.relationship = `+arg(f.Relationship)+`)`)
		}
	}
	if f.Domain != "" {
		where = append(where, `c.primary_domain = `+arg(strings.ToLower(f.Domain)))
	}
	if f.Tag != "" {
		where = append(where, `c.tags @> ARRAY[`+arg(f.Tag)+`::text]`)
	}
	if f.Cursor != "" {
		if sc == readmodel.SeeRelated {
			where = append(where, `(r.name_fold, r.account_id, r.relationship) > (`+
				arg(after.Fold)+`, `+arg(after.AccountID)+`, `+arg(after.Relationship)+`)`)
		} else {
			where = append(where, `(c.name_fold, c.account_id) > (`+arg(after.Fold)+`, `+arg(after.AccountID)+`)`)
		}
	}
	n := arg(limit + 1)
	page := ` ORDER BY ` + order + ` LIMIT ` + n
	sql := from + ` WHERE ` + strings.Join(where, " AND ") + page
	if prefix := names.FoldCompany(f.NamePrefix); prefix != "" {
		lo, hi := arg(prefix), arg(prefix+maxRune)
		and := func(cond string) string {
			return from + ` WHERE ` + strings.Join(append(slices.Clone(where), cond), " AND ")
		}
		// Two branches, each served by its own index: the current name walks
		// the name index in order and stops after a page; former names are
		// a range of their own table's key (fold, account). A single OR
		// would scan every row for a rare prefix. Ranges rather than LIKE:
		// no character of the prefix acts as a wildcard.
		sql = `SELECT * FROM ((` + and(nameFold+` >= `+lo+` AND `+nameFold+` < `+hi) + page + `)
			UNION (` + and(accountID+` IN (SELECT f.account_id FROM `+Schema+`.former_names f
				WHERE f.fold >= `+lo+` AND f.fold < `+hi+`)`) + `)) u` + page
	}

	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	if len(items) <= limit {
		out := make([]Customer, len(items))
		for i := range items {
			out[i] = items[i].Customer
		}
		return out, "", nil
	}
	items = items[:limit]
	out := make([]Customer, limit)
	for i := range items {
		out[i] = items[i].Customer
	}
	last := items[limit-1]
	next := cursor{Fold: last.fold, AccountID: last.AccountID, Relationship: last.Relationship}
	return out, next.encode(), nil
}

// MaxMergeHops bounds how far Get follows a chain of merged accounts.
const MaxMergeHops = 16

// Get returns the account that answers for accountID as viewer may see it,
// and the merged accounts on the way: an ID that was merged leads to the
// account it was merged into (and on, along a chain), which is the one
// returned and the one whose visibility counts; a customer contact of a
// merged account sees the account its own was merged into. ErrNotFound
// when the account does not exist or is not visible, deliberately
// indistinguishable. A partner with several relationships with the
// account gets the first of them (in byte order).
func Get(ctx context.Context, q Querier, viewer domain.Principal, accountID string) (Customer, []string, error) {
	sc := readmodel.ScopeOf(viewer)
	if sc == readmodel.SeeNothing || !utf8.ValidString(accountID) || strings.ContainsRune(accountID, 0) {
		return Customer{}, nil, ErrNotFound // not text: no account has that ID
	}
	var from []string
	id := accountID
	for hop := 0; ; hop++ {
		var status, into string
		err := q.QueryRow(ctx, `SELECT status, merged_into FROM `+Schema+`.customers WHERE account_id = $1`, id).Scan(&status, &into)
		if errors.Is(err, pgx.ErrNoRows) {
			return Customer{}, nil, ErrNotFound
		}
		if err != nil {
			return Customer{}, nil, fmt.Errorf("get account %s: %w", id, err)
		}
		if status != statusMerged || into == "" || hop == MaxMergeHops {
			break
		}
		from = append(from, id)
		id = into
	}
	var sql string
	args := []any{id}
	switch sc {
	case readmodel.SeeAll:
		sql = `SELECT ` + columns + `, '' FROM ` + Schema + `.customers c WHERE c.account_id = $1`
	case readmodel.SeeOwn:
		if id != viewer.AccountID && !slices.Contains(from, viewer.AccountID) {
			return Customer{}, nil, ErrNotFound
		}
		sql = `SELECT ` + columns + `, '' FROM ` + Schema + `.customers c WHERE c.account_id = $1`
	case readmodel.SeeRelated:
		sql = `SELECT ` + columns + `, r.relationship FROM ` + Schema + `.customers c
			JOIN ` + Schema + `.relationships r ON r.account_id = c.account_id
			WHERE c.account_id = $1 AND r.party_id = $2 ORDER BY r.relationship LIMIT 1`
		args = append(args, viewer.PartnerID)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return Customer{}, nil, fmt.Errorf("get account %s: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if errors.Is(err, pgx.ErrNoRows) {
		return Customer{}, nil, ErrNotFound
	}
	if err != nil {
		return Customer{}, nil, fmt.Errorf("get account %s: %w", id, err)
	}
	return r.Customer, from, nil
}

// listed is a Customer with its sort key.
type listed struct {
	Customer
	fold string
}

func scanCustomer(row pgx.CollectableRow) (listed, error) {
	var l listed
	c := &l.Customer
	err := row.Scan(&c.AccountID, &c.Name, &l.fold, &c.FormerNames, &c.PrimaryDomain, &c.Country,
		&c.State, &c.City, &c.Region, &c.VATNumber, &c.Tags, &c.Status, &c.MergedInto, &c.Relationship)
	if c.FormerNames == nil {
		c.FormerNames = []string{}
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	c.Renamed = len(c.FormerNames) > 0
	return l, err
}

// Export calls emit with every customer viewer may see, in list order
// (folded name, account ID, relationship), whatever filter the viewer's
// search has: DOMAIN.md's export is always the caller's full list. A
// partner gets an account once per relationship it has with it. Rows are
// streamed from the database as emit consumes them, so memory does not
// grow with the list. Merged accounts are not listed.
func Export(ctx context.Context, q Querier, viewer domain.Principal, emit func(Customer) error) error {
	var sql string
	var args []any
	switch readmodel.ScopeOf(viewer) {
	case readmodel.SeeAll:
		sql = `SELECT ` + columns + `, '' FROM ` + Schema + `.customers c WHERE c.status = 'active'
			ORDER BY c.name_fold, c.account_id`
	case readmodel.SeeOwn:
		sql = `SELECT ` + columns + `, '' FROM ` + Schema + `.customers c WHERE c.status = 'active' AND c.account_id = $1`
		args = append(args, viewer.AccountID)
	case readmodel.SeeRelated:
		sql = `SELECT ` + columns + `, r.relationship FROM ` + Schema + `.customers c
			JOIN ` + Schema + `.relationships r ON r.account_id = c.account_id
			WHERE c.status = 'active' AND r.party_id = $1
			ORDER BY c.name_fold, c.account_id, r.relationship`
		args = append(args, viewer.PartnerID)
	default:
		return nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("export customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanCustomer(rows)
		if err != nil {
			return fmt.Errorf("export customers: %w", err)
		}
		if err := emit(l.Customer); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export customers: %w", err)
	}
	return nil
}
