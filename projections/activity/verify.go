package activity

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Names of the two chains, as a Report names them.
const (
	ChainActivity = "activity"
	ChainRefusals = "activity_refusals"
)

// Kinds of Break.
const (
	// BreakAltered: the record's hash does not match its content — the
	// record was changed after it was written (or forged with a made-up
	// hash).
	BreakAltered = "altered"
	// BreakLink: the record's prev_hash does not match the hash of the
	// record before it — a record was deleted or inserted before it.
	BreakLink = "broken link"
	// BreakTruncated: the last records were deleted. For the refusals:
	// the chain does not reach the record activity_refusals_head (updated
	// with every record) names. For the activity log: the event store
	// holds an event the projection applied after the last record's.
	BreakTruncated = "truncated"
)

// ErrNotChained is returned by Verify when a table of the log exists but
// predates the hash chain (the service was not started, or not migrated,
// since the upgrade).
var ErrNotChained = errors.New("activity: the log has no hash chain yet")

// Break is the first broken record of a chain.
type Break struct {
	// Index is the record's place in the chain, from 1 (for
	// BreakTruncated, the place after the last record).
	Index int64 `json:"index"`
	// ID is the record's ID; for BreakTruncated, the activity record the
	// missing event belonged to ("" for the refusals).
	ID string `json:"id,omitempty"`
	// Key is the record's position (activity) or seq (refusals); for
	// BreakTruncated, the missing event's position or the seq the head
	// names.
	Key int64 `json:"key"`
	// Kinds are what is wrong: BreakAltered, BreakLink or both, or
	// BreakTruncated.
	Kinds []string `json:"kinds"`
	// Detail says it in words.
	Detail string `json:"detail"`
}

// ChainReport is the verdict on one chain.
type ChainReport struct {
	Chain string `json:"chain"`
	// Missing: the table does not exist (the activity projection has not
	// been set up yet); nothing to verify.
	Missing bool `json:"missing,omitempty"`
	// Records is how many whole records the chain holds before its first
	// break (all of them when it is whole).
	Records int64 `json:"records"`
	// Head is the hash of the last whole record, in hex ("" for an empty
	// chain). Kept elsewhere, it anchors the chain: a later verify must
	// find it at the same place.
	Head string `json:"head"`
	// Broken is the first broken record, nil when the chain is whole.
	Broken *Break `json:"broken,omitempty"`
}

// Report is the verdict on both chains of the log.
type Report struct {
	Activity ChainReport `json:"activity"`
	Refusals ChainReport `json:"refusals"`
}

// OK reports whether both chains are whole.
func (r Report) OK() bool { return r.Activity.Broken == nil && r.Refusals.Broken == nil }

// activityColumns are the columns of proj_activity.activity that
// scanActivityRow reads, changes as jsonb's text.
const activityColumns = `id, at, actor, on_behalf_of, operation, resource_type, resource_id, customer_id, changes::text,
	correlation_id, client_ip, user_agent, position, prev_hash, hash`

// scanActivityRow scans activityColumns; changes is as stored, not yet
// canonical.
func scanActivityRow(row pgx.CollectableRow) (activityRow, error) {
	var r activityRow
	err := row.Scan(&r.id, &r.at, &r.actor, &r.onBehalfOf, &r.operation, &r.resourceType, &r.resourceID, &r.customerID,
		&r.changes, &r.correlationID, &r.clientIP, &r.userAgent, &r.position, &r.prevHash, &r.hash)
	return r, err
}

const refusalColumns = `seq, id, at, actor, on_behalf_of, operation, resource_type, resource_id, customer_id,
	status, code, detail, correlation_id, client_ip, user_agent, prev_hash, hash`

func scanRefusalRow(row pgx.CollectableRow) (refusalRow, error) {
	var r refusalRow
	err := row.Scan(&r.seq, &r.id, &r.at, &r.actor, &r.onBehalfOf, &r.operation, &r.resourceType, &r.resourceID,
		&r.customerID, &r.status, &r.code, &r.detail, &r.correlationID, &r.clientIP, &r.userAgent, &r.prevHash, &r.hash)
	return r, err
}

// Verify walks both chains of the log, streaming their records (constant
// memory), and reports for each the first broken record, or how many
// records it holds and its head. It changes nothing. Against a live
// service, run it in a REPEATABLE READ transaction, so both chains are
// read as of one instant; through a pool, a record committed during the
// walk may or may not be included, and no false break results.
//
// A whole chain proves that no record was altered, inserted or deleted
// since the last one was written — except by someone who can also rewrite
// every hash after it; keep the heads elsewhere to catch that (see
// docs/READ-SIDE.md).
func Verify(ctx context.Context, q readmodel.Querier) (Report, error) {
	act, err := verifyActivity(ctx, q)
	if err != nil {
		return Report{}, err
	}
	ref, err := verifyRefusals(ctx, q)
	if err != nil {
		return Report{}, err
	}
	return Report{Activity: act, Refusals: ref}, nil
}

// walker checks one chain record after record.
type walker struct {
	rep  ChainReport
	prev []byte
}

func newWalker(chain string) *walker { return &walker{rep: ChainReport{Chain: chain}, prev: genesis} }

// check checks a record with the given stored hash, prev_hash and the hash
// its content gives; it reports whether the walk goes on.
func (w *walker) check(id string, key int64, stored, prevHash, computed []byte) bool {
	var kinds []string
	var details []string
	if !bytes.Equal(prevHash, w.prev) {
		kinds = append(kinds, BreakLink)
		details = append(details, "its prev_hash does not match the hash of the record before it: a record was deleted or inserted before it")
	}
	if !bytes.Equal(stored, computed) {
		kinds = append(kinds, BreakAltered)
		details = append(details, "its hash does not match its content: it was altered or forged")
	}
	if kinds == nil {
		w.rep.Records++
		w.prev = stored
		w.rep.Head = hex.EncodeToString(stored)
		return true
	}
	detail := details[0]
	if len(details) > 1 {
		detail += "; " + details[1]
	}
	w.rep.Broken = &Break{Index: w.rep.Records + 1, ID: id, Key: key, Kinds: kinds, Detail: detail}
	return false
}

// exists reports whether table (schema-qualified) exists.
func exists(ctx context.Context, q readmodel.Querier, table string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for %s: %w", table, err)
	}
	return ok, nil
}

func verifyActivity(ctx context.Context, q readmodel.Querier) (ChainReport, error) {
	w := newWalker(ChainActivity)
	var head string
	var headPosition int64
	if ok, err := exists(ctx, q, Schema+".activity"); err != nil || !ok {
		w.rep.Missing = !ok
		return w.rep, err
	}
	var chained bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'activity' AND column_name = 'hash')`, Schema).Scan(&chained); err != nil {
		return ChainReport{}, fmt.Errorf("verify activity: %w", err)
	}
	if !chained {
		return ChainReport{}, fmt.Errorf("verify activity: %w: %s.activity predates the hash chain; "+
			"start the service, which projects the log again at version %d", ErrNotChained, Schema, New().Version())
	}
	// The checkpoint first: records committed after it are walked too,
	// and every event it passed must be found in a record.
	cp, err := checkpoint(ctx, q)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify activity: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT `+activityColumns+` FROM `+Schema+`.activity ORDER BY position`)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanActivityRow(rows)
		if err != nil {
			return ChainReport{}, fmt.Errorf("verify activity: record %d: %w", w.rep.Records+1, err)
		}
		var computed []byte
		// Stored changes that are not a JSON array cannot have been
		// written by the projection: computed stays nil, altered.
		if r.changes, err = canonicalChanges(r.changes); err == nil {
			computed = hashActivity(&r)
		}
		if !w.check(r.id, r.position, r.hash, r.prevHash, computed) {
			break
		}
		head = r.id
		headPosition = r.position
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ChainReport{}, fmt.Errorf("verify activity: %w", err)
	}
	if w.rep.Broken != nil || cp == 0 {
		return w.rep, nil
	}
	b, err := missingTail(ctx, q, head, headPosition, cp)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify activity: %w", err)
	}
	if b != nil {
		b.Index = w.rep.Records + 1
		w.rep.Broken = b
	}
	return w.rep, nil
}

// checkpoint is the position up to which the activity projection applied
// the events, 0 when unknown (no checkpoint, or one of another version of
// the projection).
func checkpoint(ctx context.Context, q readmodel.Querier) (int64, error) {
	if ok, err := exists(ctx, q, "projection_checkpoints"); err != nil || !ok {
		return 0, err
	}
	var cp int64
	err := q.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1 AND version = $2`,
		Name, New().Version()).Scan(&cp)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the checkpoint: %w", err)
	}
	return cp, nil
}

// missingTail looks in the event store for an event the projection
// applied (at or below cp) after the last record's (head, at
// headPosition) that is not part of it: every event makes or extends a
// record, so such an event means the last records were deleted. The chain
// alone cannot show that, since nothing follows them.
func missingTail(ctx context.Context, q readmodel.Querier, head string, headPosition, cp int64) (*Break, error) {
	if ok, err := exists(ctx, q, "events"); err != nil || !ok {
		return nil, err
	}
	// The head's command ID: its ID, or what precedes "/" in the ID of a
	// command met again; an event without a command continues no record.
	command, _, _ := strings.Cut(head, "/")
	var pos int64
	var id string
	err := q.QueryRow(ctx, `SELECT position, CASE command_id WHEN '' THEN event_id::text ELSE command_id END
		FROM events WHERE position > $1 AND position <= $2 AND (command_id = '' OR command_id <> $3)
		ORDER BY position LIMIT 1`, headPosition, cp, command).Scan(&pos, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for events past the last record: %w", err)
	}
	return &Break{ID: id, Key: pos, Kinds: []string{BreakTruncated}, Detail: fmt.Sprintf("the event at position %d "+
		"(of %s), which the projection applied (checkpoint %d), has no record after the last one: the last records were deleted",
		pos, id, cp)}, nil
}

func verifyRefusals(ctx context.Context, q readmodel.Querier) (ChainReport, error) {
	w := newWalker(ChainRefusals)
	if ok, err := exists(ctx, q, "activity_refusals"); err != nil || !ok {
		w.rep.Missing = !ok
		return w.rep, err
	}
	if ok, err := exists(ctx, q, "activity_refusals_head"); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: activity_refusals predates the hash chain; run `channeldesk migrate`", ErrNotChained)
		}
		return ChainReport{}, fmt.Errorf("verify activity_refusals: %w", err)
	}
	// The head first: records committed after it are walked too, and the
	// one it names must be met on the way.
	var headSeq int64
	var headHash []byte
	err := q.QueryRow(ctx, `SELECT seq, hash FROM activity_refusals_head`).Scan(&headSeq, &headHash)
	headFound := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return ChainReport{}, fmt.Errorf("verify activity_refusals: read the head: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT `+refusalColumns+` FROM activity_refusals ORDER BY seq`)
	if err != nil {
		return ChainReport{}, fmt.Errorf("verify activity_refusals: %w", err)
	}
	defer rows.Close()
	metHead := headSeq == 0 && bytes.Equal(headHash, genesis)
	for rows.Next() {
		r, err := scanRefusalRow(rows)
		if err != nil {
			return ChainReport{}, fmt.Errorf("verify activity_refusals: record %d: %w", w.rep.Records+1, err)
		}
		if !w.check(r.id, r.seq, r.hash, r.prevHash, hashRefusal(&r)) {
			break
		}
		if r.seq == headSeq && bytes.Equal(r.hash, headHash) {
			metHead = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ChainReport{}, fmt.Errorf("verify activity_refusals: %w", err)
	}
	if w.rep.Broken == nil && !metHead {
		detail := fmt.Sprintf("the chain does not hold the record activity_refusals_head names (seq %d, hash %x): "+
			"the last records were deleted, or the head was altered", headSeq, headHash)
		if !headFound {
			detail = "activity_refusals_head is empty: the head was deleted"
		}
		w.rep.Broken = &Break{Index: w.rep.Records + 1, Key: headSeq, Kinds: []string{BreakTruncated}, Detail: detail}
	}
	return w.rep, nil
}
