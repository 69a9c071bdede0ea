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
//
// Each table is a hash chain (chain.go; issue 5): every record carries the
// hash of the one before it, so Verify (`channeldesk audit verify`) finds
// the first record altered, inserted or deleted since it was written.
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

// Version implements projections.Versioned. 2: the hash chain (prev_hash,
// hash) and the unique index on position it is walked by.
func (*Projection) Version() int { return 2 }

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
    position       bigint      NOT NULL,
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS activity_position_idx ON %[1]s.activity (position);
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
	// commandID is the command ID of its events ("" for an event recorded
	// without one); firstEvent the ID of its first event.
	commandID, firstEvent string
	at                    time.Time
	changes               []Change
	position              int64
}

// Apply implements projections.Projection: the events of one command (one
// append: the same command ID, at consecutive positions) make one record;
// an event recorded without a command ID (written straight to the store,
// not through a command) makes one of its own. A command whose events a
// batch boundary splits is completed by the next batch: its changes are
// appended in order. Each record is chained to the one before it in
// position order (chain.go): the last record written, read back at the
// start of every batch, is the chain's head, so live batches of any size
// and a rebuild give the same hashes.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	recs, err := build(events)
	if err != nil || len(recs) == 0 {
		return err
	}
	t := pgx.Identifier{schema, "activity"}.Sanitize()
	head, taken, err := chainState(ctx, tx, t, recs)
	if err != nil {
		return err
	}
	rows, err := chain(recs, head, taken)
	if err != nil {
		return err
	}
	return write(ctx, tx, t, rows)
}

// chainState reads the head of the chain in table t (nil when t is empty)
// and which of the IDs of recs earlier records already bear.
func chainState(ctx context.Context, tx pgx.Tx, t string, recs []*record) (*activityRow, map[string]bool, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	rows, err := tx.Query(ctx, `SELECT `+activityColumns+` FROM `+t+`
		WHERE position = (SELECT max(position) FROM `+t+`) OR id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("read the activity chain's head: %w", err)
	}
	found, err := pgx.CollectRows(rows, scanActivityRow)
	if err != nil {
		return nil, nil, fmt.Errorf("read the activity chain's head: %w", err)
	}
	var head *activityRow
	taken := map[string]bool{}
	for i := range found {
		taken[found[i].id] = true
		if head == nil || found[i].position > head.position {
			head = &found[i]
		}
	}
	return head, taken, nil
}

// chain turns recs into rows chained after head. The first of recs
// completes head when it continues head's command. Any other record whose
// ID an earlier record bears (taken) — a command ID met again after other
// events, which no command does — is given the ID "<command ID>/<ID of its
// first event>", so no record is ever rewritten but the head.
func chain(recs []*record, head *activityRow, taken map[string]bool) ([]activityRow, error) {
	prev := genesis
	if head != nil {
		prev = head.hash
	}
	out := make([]activityRow, 0, len(recs))
	for i, r := range recs {
		changes, err := json.Marshal(r.changes)
		if err != nil {
			return nil, fmt.Errorf("encode changes of %s: %w", r.id, err)
		}
		var row activityRow
		if i == 0 && head != nil && continues(r, head) {
			row = *head
			if row.changes, err = canonicalChanges(head.changes, changes); err != nil {
				return nil, fmt.Errorf("changes of %s: %w", r.id, err)
			}
			if row.customerID == "" {
				row.customerID = r.customerID
			}
		} else {
			if taken[r.id] {
				r.id = r.commandID + "/" + r.firstEvent
			}
			row = activityRow{id: r.id, at: r.at, actor: r.actor, onBehalfOf: r.onBehalfOf, operation: r.operation,
				resourceType: r.resourceType, resourceID: r.resourceID, customerID: r.customerID,
				correlationID: r.correlationID, clientIP: r.clientIP, userAgent: r.userAgent, position: r.position,
				prevHash: prev}
			if row.changes, err = canonicalChanges(changes); err != nil {
				return nil, fmt.Errorf("changes of %s: %w", r.id, err)
			}
		}
		row.hash = hashActivity(&row)
		prev = row.hash
		out = append(out, row)
	}
	return out, nil
}

// continues reports whether r, the first record of a batch, continues
// head: the events of one command, split by the batch boundary.
func continues(r *record, head *activityRow) bool {
	return r.commandID != "" && (head.id == r.commandID || strings.HasPrefix(head.id, r.commandID+"/"))
}

// write inserts rows into table t in one statement; the head completed by
// chain replaces its stored row.
func write(ctx context.Context, tx pgx.Tx, t string, rows []activityRow) error {
	n := len(rows)
	ids, ats, actors, behalf, ops, rtypes, rids, customers := make([]string, n), make([]time.Time, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	changes, corr, ips, uas, pos, prevs, hashes := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]int64, n), make([][]byte, n), make([][]byte, n)
	for i, r := range rows {
		ids[i], ats[i], actors[i], behalf[i], ops[i], rtypes[i], rids[i], customers[i] =
			r.id, r.at, r.actor, r.onBehalfOf, r.operation, r.resourceType, r.resourceID, r.customerID
		changes[i], corr[i], ips[i], uas[i], pos[i], prevs[i], hashes[i] =
			string(r.changes), r.correlationID, r.clientIP, r.userAgent, r.position, r.prevHash, r.hash
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+t+` (id, at, actor, on_behalf_of, operation, resource_type, resource_id,
			customer_id, changes, correlation_id, client_ip, user_agent, position, prev_hash, hash)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::jsonb[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bytea[], $15::bytea[])
		ON CONFLICT (id) DO UPDATE SET changes = EXCLUDED.changes, customer_id = EXCLUDED.customer_id, hash = EXCLUDED.hash`,
		ids, ats, actors, behalf, ops, rtypes, rids, customers, changes, corr, ips, uas, pos, prevs, hashes)
	if err != nil {
		return fmt.Errorf("write %d activity records: %w", n, err)
	}
	return nil
}

// build groups events into records, in the order of their first events:
// a run of consecutive events of one command makes one record. A command
// ID met again after other events starts a record under the ID
// "<command ID>/<ID of its first event>", as chain does for IDs stored
// before the batch, so the records do not depend on where batches end.
func build(events []eventstore.Event) ([]*record, error) {
	var out []*record
	seen := map[string]bool{}
	var r *record
	for i := range events {
		e := &events[i]
		if r == nil || e.CommandID == "" || e.CommandID != r.commandID {
			id := e.CommandID
			switch {
			case id == "":
				id = e.ID.String()
			case seen[id]:
				id += "/" + e.ID.String()
			}
			if e.CommandID != "" {
				seen[e.CommandID] = true
			}
			rtype, rid, _ := strings.Cut(e.Resource, "/")
			r = &record{id: id, commandID: e.CommandID, firstEvent: e.ID.String(), actor: e.Actor,
				onBehalfOf: e.OnBehalfOf, operation: e.Operation, resourceType: rtype, resourceID: rid,
				correlationID: e.CorrelationID, clientIP: e.ClientIP, userAgent: e.UserAgent, at: e.RecordedAt,
				position: int64(e.Position), changes: []Change{}}
			if e.Resource == "" {
				r.resourceType, r.resourceID = e.Category, strings.TrimPrefix(e.StreamID, e.Category+"-")
			}
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
