package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Record is one command in the activity log.
type Record struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	OnBehalfOf   string    `json:"on_behalf_of,omitempty"`
	Operation    string    `json:"operation"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	CustomerID   string    `json:"customer_id,omitempty"`
	// Status is accepted, refused, denied, invalid or failed; Code and
	// Detail say why a command was not accepted (the problem's code and
	// detail).
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Changes are what an accepted command's events changed, in order.
	Changes       []Change `json:"changes"`
	CorrelationID string   `json:"correlation_id,omitempty"`
	ClientIP      string   `json:"client_ip,omitempty"`
	UserAgent     string   `json:"user_agent,omitempty"`
	// Position is an accepted command's first event's position.
	Position int64 `json:"position,omitempty"`
}

// Filter selects records. From and To bound the time, [From, To); the
// other fields filter when set.
type Filter struct {
	From, To  time.Time
	Customer  string
	Actor     string
	Operation string
	// Resource is "type/id" (order/ORD-0000001) or an ID alone.
	Resource string
	Limit    int
	Cursor   string
}

// cursor is the sort key of the last record of a page.
type cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// partnerVisibleOperations are the account commands whose records a
// partner sees for the customers it is related to: changes to the company
// facts the customer list shows it.
var partnerVisibleOperations = []string{"RegisterAccount", "RenameCompany", "ChangeAddress", "SetVATNumber", "TagAccount", "UntagAccount"}

// query builds the log's query for viewer and f: both tables, the same
// conditions, newest first. limit 0 reads everything (Export).
func query(viewer domain.Principal, f Filter, after *cursor, limit int) (string, []any, bool) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{`at >= ` + arg(f.From.UTC()), `at < ` + arg(f.To.UTC())}
	switch readmodel.ScopeOf(viewer) {
	case readmodel.SeeAll:
	case readmodel.SeeOwn:
		own := arg(viewer.AccountID)
		where = append(where, `(customer_id = `+own+` OR starts_with(actor, 'customer:' || `+own+` || '/'))`)
	case readmodel.SeeRelated:
		// Its own actions, and the changes to the company facts of the
		// customers it is related to (what the customer list shows it).
		// Records about others' orders, licenses, agreements, cases, a
		// customer's contacts or a merge's inventory answer to those read
		// models' rules, which the log must not get round.
		p := arg(viewer.PartnerID)
		where = append(where, `(starts_with(actor, 'partner:' || `+p+` || '/') OR (resource_type = 'account'
			AND operation = ANY(`+arg(partnerVisibleOperations)+`)
			AND customer_id IN (SELECT account_id FROM proj_customers.relationships WHERE party_id = `+p+`)))`)
	default:
		return "", nil, false
	}
	if f.Customer != "" {
		where = append(where, `customer_id = `+arg(f.Customer))
	}
	if f.Actor != "" {
		where = append(where, `actor = `+arg(f.Actor))
	}
	if f.Operation != "" {
		where = append(where, `operation = `+arg(f.Operation))
	}
	if f.Resource != "" {
		if typ, id, ok := strings.Cut(f.Resource, "/"); ok {
			where = append(where, `resource_type = `+arg(typ)+` AND resource_id = `+arg(id))
		} else {
			where = append(where, `resource_id = `+arg(f.Resource))
		}
	}
	if after != nil {
		where = append(where, `(at, id) < (`+arg(after.At)+`, `+arg(after.ID)+`)`)
	}
	cond := strings.Join(where, " AND ")
	order := ` ORDER BY at DESC, id DESC`
	page := order
	if limit > 0 {
		page += ` LIMIT ` + arg(limit)
	}
	sql := `SELECT * FROM ((SELECT id, at, actor, on_behalf_of, operation, resource_type, resource_id, customer_id,
			'accepted' AS status, '' AS code, '' AS detail, changes, correlation_id, client_ip, user_agent, position
		FROM ` + Schema + `.activity WHERE ` + cond + page + `)
		UNION ALL
		(SELECT id, at, actor, on_behalf_of, operation, resource_type, resource_id, customer_id,
			status, code, detail, '[]'::jsonb, correlation_id, client_ip, user_agent, 0
		FROM activity_refusals WHERE ` + cond + page + `)) log` + page
	return sql, args, true
}

func scanRecord(row pgx.CollectableRow) (Record, error) {
	var r Record
	var changes []byte
	err := row.Scan(&r.ID, &r.At, &r.Actor, &r.OnBehalfOf, &r.Operation, &r.ResourceType, &r.ResourceID,
		&r.CustomerID, &r.Status, &r.Code, &r.Detail, &changes, &r.CorrelationID, &r.ClientIP, &r.UserAgent, &r.Position)
	if err != nil {
		return r, err
	}
	r.At = r.At.UTC()
	if err := json.Unmarshal(changes, &r.Changes); err != nil {
		return r, fmt.Errorf("decode changes of %s: %w", r.ID, err)
	}
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	return r, nil
}

// List returns a page of the records viewer may see that f selects, newest
// first, and the cursor of the next page ("" on the last). Staff with a
// role see every record; a customer contact the records about its account
// and its own actions; a partner contact its own actions and the changes
// to the company facts of the customers it is related to
// (partnerVisibleOperations; proj_customers.relationships) — never records
// about another party's orders, licenses, agreements or cases, which the
// other read models would not show it. Personal data, kept sealed in the
// rows, is shown opened: in plaintext, or as erased once the person was
// forgotten (openRecords).
func List(ctx context.Context, q readmodel.Querier, viewer domain.Principal, f Filter) ([]Record, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	var after *cursor
	if f.Cursor != "" {
		after = &cursor{}
		if err := readmodel.DecodeCursor(f.Cursor, after); err != nil || after.ID == "" {
			return nil, "", readmodel.ErrBadCursor
		}
	}
	sql, args, ok := query(viewer, f, after, limit+1)
	if !ok {
		return []Record{}, "", nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list activity: %w", err)
	}
	recs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, "", fmt.Errorf("list activity: %w", err)
	}
	if err := openRecords(ctx, q, recs); err != nil {
		return nil, "", fmt.Errorf("list activity: %w", err)
	}
	if len(recs) <= limit {
		return recs, "", nil
	}
	recs = recs[:limit]
	last := recs[limit-1]
	return recs, readmodel.EncodeCursor(cursor{At: last.At, ID: last.ID}), nil
}

// Export calls emit with every record viewer may see that f selects (its
// Limit and Cursor aside), newest first, streamed from the database as
// emit consumes them. Personal data is opened as List opens it; q must be
// able to query while the export's rows are open (a pool) when records
// hold sealed values.
func Export(ctx context.Context, q readmodel.Querier, viewer domain.Principal, f Filter, emit func(Record) error) error {
	sql, args, ok := query(viewer, f, nil, 0)
	if !ok {
		return nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("export activity: %w", err)
	}
	defer rows.Close()
	keys := keyCache{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("export activity: %w", err)
		}
		if err := keys.open(ctx, q, &r); err != nil {
			return fmt.Errorf("export activity: %w", err)
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export activity: %w", err)
	}
	return nil
}
