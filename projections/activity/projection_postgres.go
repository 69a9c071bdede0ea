// Package activity is the activity log (DOMAIN.md read models; issue 4):
// one record per command, accepted, refused or denied — when, actor, on
// behalf of, operation, resource, customer, old and new values, status,
// correlation ID, client IP and user agent.
//
// Accepted commands are projected from their events (Projection): the
// events carry the request's metadata (eventstore.Metadata), so the record
// is never lost once the command committed, and the log rebuilds from the
// store. Refused and denied commands leave no event; the HTTP layer records
// them with Refusals.Record in a table of their own, which no rebuild
// touches. List and Export read both as one log.
package activity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Name is the projection's name; its tables live in Schema.
const Name = "activity"

// Schema is the PostgreSQL schema queries read.
const Schema = "proj_" + Name

// Projection projects accepted commands into the activity log.
type Projection struct{}

// New returns the activity log projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

const setupSQL = `
CREATE TABLE IF NOT EXISTS %[1]s.activity (
    id             text COLLATE "C" PRIMARY KEY,
    at             timestamptz NOT NULL,
    actor          text COLLATE "C" NOT NULL,
    on_behalf_of   text        NOT NULL DEFAULT '',
    operation      text COLLATE "C" NOT NULL DEFAULT '',
    resource_type  text COLLATE "C" NOT NULL DEFAULT '',
    resource_id    text COLLATE "C" NOT NULL DEFAULT '',
    customer_id    text COLLATE "C" NOT NULL DEFAULT '',
    changes        jsonb       NOT NULL DEFAULT '[]',
    correlation_id text        NOT NULL DEFAULT '',
    client_ip      text        NOT NULL DEFAULT '',
    user_agent     text        NOT NULL DEFAULT '',
    position       bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS activity_at_idx ON %[1]s.activity (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_customer_idx ON %[1]s.activity (customer_id, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_actor_idx ON %[1]s.activity (actor, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_operation_idx ON %[1]s.activity (operation, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activity_resource_idx ON %[1]s.activity (resource_id, at DESC, id DESC);
`

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(setupSQL, pgx.Identifier{schema}.Sanitize())); err != nil {
		return fmt.Errorf("create activity tables in %s: %w", schema, err)
	}
	return nil
}

// Change is what one event of a command changed: its type, the values it
// replaced (its old_* fields) and the values it set (the rest, new_*
// fields under their plain names).
type Change struct {
	Event string                     `json:"event"`
	Old   map[string]json.RawMessage `json:"old,omitempty"`
	New   map[string]json.RawMessage `json:"new"`
}

// record is one accepted command's row, built from its events.
type record struct {
	id, actor, onBehalfOf, operation, resourceType, resourceID, customerID string
	correlationID, clientIP, userAgent                                     string
	at                                                                     time.Time
	changes                                                                []Change
	position                                                               int64
}

// Apply implements projections.Projection: the events of one command (one
// append: the same command ID) make one record; an event recorded without
// a command ID (written straight to the store, not through a command)
// makes one of its own. A command whose events a batch boundary splits is
// completed by the next batch: its changes are appended in order.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	recs, err := build(events)
	if err != nil || len(recs) == 0 {
		return err
	}
	ids, ats, actors, behalf, ops, rtypes, rids, customers := make([]string, len(recs)), make([]time.Time, len(recs)),
		make([]string, len(recs)), make([]string, len(recs)), make([]string, len(recs)), make([]string, len(recs)),
		make([]string, len(recs)), make([]string, len(recs))
	changes, corr, ips, uas, pos := make([]string, len(recs)), make([]string, len(recs)), make([]string, len(recs)),
		make([]string, len(recs)), make([]int64, len(recs))
	for i, r := range recs {
		c, err := json.Marshal(r.changes)
		if err != nil {
			return fmt.Errorf("encode changes of %s: %w", r.id, err)
		}
		ids[i], ats[i], actors[i], behalf[i], ops[i], rtypes[i], rids[i], customers[i] =
			r.id, r.at, r.actor, r.onBehalfOf, r.operation, r.resourceType, r.resourceID, r.customerID
		changes[i], corr[i], ips[i], uas[i], pos[i] = string(c), r.correlationID, r.clientIP, r.userAgent, r.position
	}
	t := pgx.Identifier{schema, "activity"}.Sanitize()
	_, err = tx.Exec(ctx, `INSERT INTO `+t+` AS a (id, at, actor, on_behalf_of, operation, resource_type, resource_id,
			customer_id, changes, correlation_id, client_ip, user_agent, position)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::jsonb[], $10::text[], $11::text[], $12::text[], $13::bigint[])
		ON CONFLICT (id) DO UPDATE SET changes = a.changes || EXCLUDED.changes,
			customer_id = CASE WHEN a.customer_id = '' THEN EXCLUDED.customer_id ELSE a.customer_id END`,
		ids, ats, actors, behalf, ops, rtypes, rids, customers, changes, corr, ips, uas, pos)
	if err != nil {
		return fmt.Errorf("write %d activity records: %w", len(recs), err)
	}
	return nil
}

// build groups events into records, in the order of their first events.
func build(events []eventstore.Event) ([]*record, error) {
	var out []*record
	byID := map[string]*record{}
	for i := range events {
		e := &events[i]
		id := e.CommandID
		if id == "" {
			id = e.ID.String()
		}
		r := byID[id]
		if r == nil {
			rtype, rid, _ := strings.Cut(e.Resource, "/")
			r = &record{id: id, actor: e.Actor, onBehalfOf: e.OnBehalfOf, operation: e.Operation,
				resourceType: rtype, resourceID: rid, correlationID: e.CorrelationID, clientIP: e.ClientIP,
				userAgent: e.UserAgent, at: e.RecordedAt, position: int64(e.Position), changes: []Change{}}
			if e.Resource == "" {
				r.resourceType, r.resourceID = e.Category, strings.TrimPrefix(e.StreamID, e.Category+"-")
			}
			byID[id] = r
			out = append(out, r)
		}
		c, customer, err := change(e)
		if err != nil {
			return nil, err
		}
		r.changes = append(r.changes, c)
		if r.customerID == "" {
			r.customerID = customer
		}
	}
	return out, nil
}

// customerFields are the payload fields that name the customer account an
// event concerns, in the order they are looked at.
var customerFields = []string{"account_id", "customer_account_id", "owner_account_id"}

// change is what event e changed, and the customer account it concerns:
// the account of an account stream, else the first of customerFields.
func change(e *eventstore.Event) (Change, string, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return Change{}, "", fmt.Errorf("event %d (%s): payload is not a JSON object: %w", e.Position, e.Type, err)
	}
	c := Change{Event: e.Type, New: map[string]json.RawMessage{}}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "old_"):
			if c.Old == nil {
				c.Old = map[string]json.RawMessage{}
			}
			c.Old[strings.TrimPrefix(k, "old_")] = fields[k]
		case strings.HasPrefix(k, "new_"):
			c.New[strings.TrimPrefix(k, "new_")] = fields[k]
		default:
			c.New[k] = fields[k]
		}
	}
	customer := ""
	if e.Category == "account" {
		customer = strings.TrimPrefix(e.StreamID, "account-")
	} else {
		for _, f := range customerFields {
			var s string
			if raw, ok := fields[f]; ok && json.Unmarshal(raw, &s) == nil && s != "" {
				customer = s
				break
			}
		}
	}
	return c, customer, nil
}
