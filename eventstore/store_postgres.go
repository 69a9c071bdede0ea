package eventstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationTable is the table in which goose records the event store's
// schema version.
const MigrationTable = "goose_eventstore"

// Store is the PostgreSQL event store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool. Call Migrate before first use.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Migrate applies the event store's pending schema migrations.
func (s *Store) Migrate(ctx context.Context) error {
	return pgmigrate.Up(ctx, s.pool, migrationsFS(), MigrationTable)
}

// Migrated reports whether every migration has been applied.
func (s *Store) Migrated(ctx context.Context) (bool, error) {
	pending, err := pgmigrate.Pending(ctx, s.pool, migrationsFS(), MigrationTable)
	return !pending && err == nil, err
}

func migrationsFS() embed.FS { return migrations }

// Command records an idempotent command in the same transaction as its
// events. Scope separates callers (the acting principal), Key is the
// client's idempotency key and RequestHash a digest of the request, so that
// the same key with another request is refused. Result renders the answer
// stored for repeats from the recorded events.
type Command struct {
	Scope       string
	Key         string
	RequestHash string
	CommandID   string
	Result      func(recorded []Event) (json.RawMessage, error)
}

// RecordedCommand is a command found in the command log.
type RecordedCommand struct {
	RequestHash string
	CommandID   string
	Result      json.RawMessage
	Position    Position
}

// ErrDuplicateCommand is returned by Append when another request recorded
// the same scope and idempotency key first; nothing was appended. Look the
// command up to answer with its result.
var ErrDuplicateCommand = errors.New("eventstore: command already recorded")

// AppendOption configures one Append.
type AppendOption func(*appendConfig)

type appendConfig struct {
	command *Command
}

// WithCommand records cmd in the command log in the append's transaction.
func WithCommand(cmd Command) AppendOption {
	return func(c *appendConfig) { c.command = &cmd }
}

const eventColumns = `position, event_id, stream_id, stream_version, category, event_type,
	schema_version, data, occurred_at, recorded_at, actor, on_behalf_of, correlation_id,
	causation_id, command_id, client_ip, operation, resource, user_agent`

// Append appends the events of every stream in streams atomically: either all
// streams were at their expected versions and every event is recorded, or
// nothing is written and the error matches ErrConflict. It returns the
// recorded events in the order given, with their positions.
//
// A stream given without events is a version assertion: it must be at its
// expected version (0: it has no events) for the append to go through, and
// it is checked in the same statement as the writes, so an append whose
// decision read a stream it does not write conflicts if that stream moved
// since it was read. At least one stream must have events.
//
// An assertion sees what was committed when the append's statement began:
// unlike a written stream, whose next version the unique key reserves, an
// asserted stream is not locked, so a write to it that commits while the
// append itself runs (its statement, and with WithCommand its transaction)
// is not seen.
func (s *Store) Append(ctx context.Context, streams []StreamAppend, md Metadata, opts ...AppendOption) ([]Event, error) {
	var cfg appendConfig
	for _, o := range opts {
		o(&cfg)
	}
	rows, err := flatten(streams, md)
	if err != nil {
		return nil, err
	}
	if cfg.command == nil {
		return s.insert(ctx, s.pool, streams, rows)
	}
	var recorded []Event
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		recorded, err = s.insert(ctx, tx, streams, rows)
		if err != nil {
			return err
		}
		return recordCommand(ctx, tx, *cfg.command, recorded)
	})
	if err != nil {
		return nil, err
	}
	return recorded, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// flatten validates streams and lays their events out as rows.
func flatten(streams []StreamAppend, md Metadata) ([]Event, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("%w: no streams", ErrInvalidAppend)
	}
	if md.Actor == "" {
		return nil, fmt.Errorf("%w: no actor", ErrInvalidAppend)
	}
	var seen map[string]bool // only for several streams
	if len(streams) > 1 {
		seen = make(map[string]bool, len(streams))
	}
	n := 0
	for _, sa := range streams {
		n += len(sa.Events)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no events", ErrInvalidAppend)
	}
	rows := make([]Event, 0, n)
	for _, sa := range streams {
		if err := validStreamID(sa.StreamID); err != nil {
			return nil, err
		}
		if seen != nil {
			if seen[sa.StreamID] {
				return nil, fmt.Errorf("%w: stream %s named twice", ErrInvalidAppend, sa.StreamID)
			}
			seen[sa.StreamID] = true
		}
		if sa.ExpectedVersion < 0 {
			return nil, fmt.Errorf("%w: negative expected version for %s", ErrInvalidAppend, sa.StreamID)
		}
		for i, e := range sa.Events {
			// Data is not parsed here: PostgreSQL parses it into jsonb
			// anyway, and its refusal is an ErrInvalidAppend too (see
			// insertError).
			if e.ID == uuid.Nil || e.SchemaVersion < 1 || e.OccurredAt.IsZero() || len(e.Data) == 0 {
				return nil, fmt.Errorf("%w: event %d of %s lacks an ID, schema version, time or data", ErrInvalidAppend, i, sa.StreamID)
			}
			if !validType(e.Type) {
				return nil, fmt.Errorf("%w: event type %q is not <category>.<name> in lower case", ErrInvalidAppend, e.Type)
			}
			rows = append(rows, Event{
				ID:            e.ID,
				StreamID:      sa.StreamID,
				StreamVersion: sa.ExpectedVersion + int64(i) + 1,
				Category:      Category(sa.StreamID),
				Type:          e.Type,
				SchemaVersion: e.SchemaVersion,
				Data:          e.Data,
				OccurredAt:    e.OccurredAt.UTC(),
				Metadata:      md,
			})
		}
	}
	if len(rows) > MaxAppendEvents {
		return nil, fmt.Errorf("%w: %d events in one append, at most %d", ErrInvalidAppend, len(rows), MaxAppendEvents)
	}
	return rows, nil
}

// validStreamID accepts "<category>-<id>" with a lower-case category and an
// ID of letters, digits, '-' and '_': stream IDs become NATS subject tokens.
func validStreamID(id string) error {
	c, rest, ok := cutCategory(id)
	if !ok || c == "" || rest == "" || len(id) > 200 || !isToken(c, false) || !isToken(rest, true) {
		return fmt.Errorf("%w: stream ID %q is not <category>-<id>", ErrInvalidAppend, id)
	}
	return nil
}

// validType accepts "<category>.<name>[.<name>…]" of lower-case letters,
// digits and underscores: types become part of NATS subjects.
func validType(t string) bool {
	if len(t) > 100 {
		return false
	}
	parts := 0
	for p := range strings.SplitSeq(t, ".") {
		if p == "" || !isToken(p, false) {
			return false
		}
		parts++
	}
	return parts >= 2
}

func isToken(s string, mixed bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case mixed && (c >= 'A' && c <= 'Z' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func cutCategory(id string) (string, string, bool) {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			return id[:i], id[i+1:], true
		}
	}
	return "", "", false
}

// The single-event statement is the hot path: one round trip, the version
// check and the insert in one statement, no explicit transaction.
//
// The version check looks for the exact previous version ($3 - 1) rather
// than computing the stream's max(stream_version), which costs PostgreSQL
// twice as much: versions are dense (every append continues its stream
// at the version checked), so the stream is at version v exactly when v
// exists (or, for v = 0, no event does) and v + 1 does not, and the
// unique (stream_id, stream_version) key refuses v + 1 if the stream moved
// past v; insertError maps that refusal to a conflict.
const insertOneSQL = `
INSERT INTO events (position, event_id, stream_id, stream_version, category, event_type,
	schema_version, data, occurred_at, actor, on_behalf_of, correlation_id, causation_id,
	command_id, client_ip, operation, resource, user_agent)
SELECT (pg_current_xact_id()::text::bigint << 20) | 1, $1::uuid, $2::text, $3::bigint, $4::text,
	$5::text, $6::int, $7::jsonb, $8::timestamptz, $9::text, $10::text, $11::text, $12::text,
	$13::text, $14::text, $15::text, $16::text, $17::text
WHERE CASE WHEN $3::bigint = 1 THEN NOT EXISTS (SELECT FROM events WHERE stream_id = $2::text)
	ELSE EXISTS (SELECT FROM events WHERE stream_id = $2::text AND stream_version = $3::bigint - 1) END
RETURNING position, recorded_at`

// insertManySQL appends any number of events to any number of streams in one
// statement: the events are passed as arrays, the expected version of every
// stream, written or only asserted, is checked, and no row is inserted if
// any stream moved. Version v is current when it exists (or, for v = 0, no
// event does) and v + 1 does not: for a written stream the unique key
// would refuse v + 1 anyway, for an asserted one only this check sees it.
// Rows are inserted in stream order, so that concurrent appends to
// overlapping streams wait for each other's keys in the same order and
// cannot deadlock; positions follow the order given.
const insertManySQL = `
WITH input AS (
	SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[],
		$6::int[], $7::text[], $8::timestamptz[]) WITH ORDINALITY
		AS t(event_id, stream_id, stream_version, category, event_type, schema_version,
			data, occurred_at, ord)
), expected AS (
	SELECT * FROM unnest($9::text[], $10::bigint[]) AS x(stream_id, version)
), moved AS (
	SELECT 1 FROM expected x
	WHERE CASE WHEN x.version = 0 THEN EXISTS (SELECT FROM events e WHERE e.stream_id = x.stream_id)
		ELSE NOT EXISTS (SELECT FROM events e WHERE e.stream_id = x.stream_id AND e.stream_version = x.version)
			OR EXISTS (SELECT FROM events e WHERE e.stream_id = x.stream_id AND e.stream_version = x.version + 1) END
	LIMIT 1
)
INSERT INTO events (position, event_id, stream_id, stream_version, category, event_type,
	schema_version, data, occurred_at, actor, on_behalf_of, correlation_id, causation_id,
	command_id, client_ip, operation, resource, user_agent)
SELECT (pg_current_xact_id()::text::bigint << 20) | ord, event_id, stream_id, stream_version,
	category, event_type, schema_version, data::jsonb, occurred_at, $11, $12, $13, $14, $15, $16,
	$17, $18, $19
FROM input
WHERE NOT EXISTS (SELECT 1 FROM moved)
ORDER BY stream_id, ord
RETURNING event_id, position, recorded_at`

func (s *Store) insert(ctx context.Context, q querier, streams []StreamAppend, rows []Event) ([]Event, error) {
	md := rows[0].Metadata
	if len(rows) == 1 && len(streams) == 1 {
		r := &rows[0]
		// IDs go as [16]byte, which pgx sends in binary, not as
		// uuid.UUID, whose driver.Valuer makes a string for the server to
		// parse.
		res, err := q.Query(ctx, insertOneSQL, insertedFormats, [16]byte(r.ID), r.StreamID, r.StreamVersion,
			r.Category, r.Type, r.SchemaVersion, []byte(r.Data), r.OccurredAt, md.Actor, md.OnBehalfOf,
			md.CorrelationID, md.CausationID, md.CommandID, md.ClientIP, md.Operation, md.Resource, md.UserAgent)
		var inserted bool
		if err == nil {
			inserted, err = scanInserted(res, &r.Position, &r.RecordedAt)
		}
		if err != nil {
			return nil, s.insertError(ctx, q, streams, err)
		}
		if !inserted {
			return nil, s.conflict(ctx, q, streams)
		}
		return rows, nil
	}
	n := len(rows)
	ids := make([][16]byte, n)
	sids := make([]string, n)
	vers := make([]int64, n)
	cats := make([]string, n)
	types := make([]string, n)
	schemas := make([]int32, n)
	datas := make([]string, n)
	times := make([]time.Time, n)
	for i, r := range rows {
		ids[i], sids[i], vers[i], cats[i], types[i] = r.ID, r.StreamID, r.StreamVersion, r.Category, r.Type
		schemas[i], datas[i], times[i] = int32(r.SchemaVersion), string(r.Data), r.OccurredAt
	}
	expIDs := make([]string, len(streams))
	expVers := make([]int64, len(streams))
	for i, sa := range streams {
		expIDs[i], expVers[i] = sa.StreamID, sa.ExpectedVersion
	}
	res, err := q.Query(ctx, insertManySQL, ids, sids, vers, cats, types, schemas, datas, times,
		expIDs, expVers, md.Actor, md.OnBehalfOf, md.CorrelationID, md.CausationID, md.CommandID, md.ClientIP,
		md.Operation, md.Resource, md.UserAgent)
	if err != nil {
		return nil, s.insertError(ctx, q, streams, err)
	}
	byID := make(map[uuid.UUID]int, n)
	for i := range rows {
		byID[rows[i].ID] = i
	}
	got := 0
	for res.Next() {
		var id uuid.UUID
		var pos Position
		var at time.Time
		if err := res.Scan(&id, &pos, &at); err != nil {
			res.Close()
			return nil, fmt.Errorf("append: %w", err)
		}
		i, ok := byID[id]
		if !ok {
			res.Close()
			return nil, fmt.Errorf("append: unexpected event %s returned", id)
		}
		rows[i].Position, rows[i].RecordedAt = pos, at.UTC()
		got++
	}
	if err := res.Err(); err != nil {
		return nil, s.insertError(ctx, q, streams, err)
	}
	if got == 0 {
		return nil, s.conflict(ctx, q, streams)
	}
	if got != n {
		return nil, fmt.Errorf("append: %d of %d events recorded", got, n)
	}
	return rows, nil
}

// insertError maps a failed insert: a unique violation on the stream version
// means the stream moved past the expected version, before or while the
// append ran (then conflict finds which stream and where it is); a data
// exception (class 22: data that is not JSON, a \u0000 escape jsonb
// refuses, invalid UTF-8) means the append can never succeed.
func (s *Store) insertError(ctx context.Context, q querier, streams []StreamAppend, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("append: %w", err)
	}
	switch {
	case pgErr.Code == "23505" && pgErr.ConstraintName == "events_stream_version_key":
		return s.conflict(ctx, q, streams)
	case pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
		return fmt.Errorf("%w: an event ID was already recorded", ErrInvalidAppend)
	case strings.HasPrefix(pgErr.Code, "22"):
		return fmt.Errorf("%w: %s", ErrInvalidAppend, pgErr.Message)
	}
	return fmt.Errorf("append: %w", err)
}

func (s *Store) conflictAfterRace(streams []StreamAppend) error {
	if len(streams) == 1 {
		return &ConflictError{StreamID: streams[0].StreamID, Expected: streams[0].ExpectedVersion, Actual: -1}
	}
	return &ConflictError{StreamID: "(one of the appended streams)", Expected: -1, Actual: -1}
}

// conflict finds which stream was not at its expected version. It runs on
// the pool, not in the caller's (possibly aborted) transaction.
func (s *Store) conflict(ctx context.Context, _ querier, streams []StreamAppend) error {
	for _, sa := range streams {
		v, err := s.StreamVersion(ctx, sa.StreamID)
		if err != nil {
			return fmt.Errorf("append: version check: %w", err)
		}
		if v != sa.ExpectedVersion {
			return &ConflictError{StreamID: sa.StreamID, Expected: sa.ExpectedVersion, Actual: v}
		}
	}
	return s.conflictAfterRace(streams)
}

// StreamVersion returns the current version of a stream, 0 if it has no
// events.
func (s *Store) StreamVersion(ctx context.Context, streamID string) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1`, streamID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("stream version %s: %w", streamID, err)
	}
	return v, nil
}

// Load returns every event of a stream in version order; an empty slice if
// the stream does not exist.
func (s *Store) Load(ctx context.Context, streamID string) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE stream_id = $1 ORDER BY stream_version`,
		eventFormats, streamID)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", streamID, err)
	}
	evs, err := collectEvents(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", streamID, err)
	}
	return evs, nil
}

// LoadMany loads several streams in one round trip: each stream's events
// in version order, by stream ID; a stream that does not exist has no
// entry. The streams are read in one snapshot.
func (s *Store) LoadMany(ctx context.Context, streamIDs []string) (map[string][]Event, error) {
	out := make(map[string][]Event, len(streamIDs))
	if len(streamIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE stream_id = ANY($1)
		ORDER BY stream_id, stream_version`, eventFormats, streamIDs)
	if err != nil {
		return nil, fmt.Errorf("load %d streams: %w", len(streamIDs), err)
	}
	evs, err := collectEvents(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("load %d streams: %w", len(streamIDs), err)
	}
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].StreamID == evs[i].StreamID {
			j++
		}
		out[evs[i].StreamID] = evs[i:j:j]
		i = j
	}
	return out, nil
}

// Horizon returns the position below which the set of committed events is
// final: every transaction that could still commit events has a position at
// or above it.
func (s *Store) Horizon(ctx context.Context) (Position, error) {
	var xmin int64
	if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xmin); err != nil {
		return 0, fmt.Errorf("read horizon: %w", err)
	}
	return Position(xmin << positionShift), nil
}

// ReadAll returns up to limit events with positions above after, in position
// order, never passing over an event that may still commit (see the package
// documentation). An empty result means nothing is ready yet.
func (s *Store) ReadAll(ctx context.Context, after Position, limit int) ([]Event, error) {
	// The horizon is read before the events, in an earlier snapshot: every
	// transaction below it had finished before that snapshot, so its events
	// are visible to the later read. (Reading both in one statement would
	// rely on both using the same snapshot.)
	h, err := s.Horizon(ctx)
	if err != nil {
		return nil, err
	}
	return s.readRange(ctx, after, h, limit)
}

// ReadRange returns up to limit events with after < position < before, in
// position order. Unlike ReadAll it does not bound the range by the horizon:
// use it only for ranges already known to be complete.
func (s *Store) ReadRange(ctx context.Context, after, before Position, limit int) ([]Event, error) {
	return s.readRange(ctx, after, before, limit)
}

func (s *Store) readRange(ctx context.Context, after, before Position, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE position > $1 AND position < $2 ORDER BY position LIMIT $3`, eventFormats, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read from %d: %w", after, err)
	}
	evs, err := collectEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read from %d: %w", after, err)
	}
	return evs, nil
}

// Lag reports how many committed events lie above pos and how long ago the
// oldest of them was recorded (zero when none).
func (s *Store) Lag(ctx context.Context, pos Position) (events int64, age time.Duration, err error) {
	h, err := s.Horizon(ctx)
	if err != nil {
		return 0, 0, err
	}
	var oldest *time.Time
	err = s.pool.QueryRow(ctx, `SELECT count(*), min(recorded_at) FROM events WHERE position > $1 AND position < $2`,
		pos, h).Scan(&events, &oldest)
	if err != nil {
		return 0, 0, fmt.Errorf("lag from %d: %w", pos, err)
	}
	if oldest != nil {
		age = time.Since(*oldest)
		if age < 0 {
			age = 0
		}
	}
	return events, age, nil
}

func scanEvent(row pgx.CollectableRow) (Event, error) {
	var e Event
	var data []byte
	err := row.Scan(&e.Position, (*[16]byte)(&e.ID), &e.StreamID, &e.StreamVersion, &e.Category, &e.Type,
		&e.SchemaVersion, &data, &e.OccurredAt, &e.RecordedAt, &e.Actor, &e.OnBehalfOf,
		&e.CorrelationID, &e.CausationID, &e.CommandID, &e.ClientIP, &e.Operation, &e.Resource, &e.UserAgent)
	e.Data = data
	e.OccurredAt, e.RecordedAt = e.OccurredAt.UTC(), e.RecordedAt.UTC()
	return e, err
}

func recordCommand(ctx context.Context, tx pgx.Tx, cmd Command, recorded []Event) error {
	if cmd.Scope == "" || cmd.Key == "" {
		return fmt.Errorf("%w: command without scope or key", ErrInvalidAppend)
	}
	result := json.RawMessage(`{}`)
	if cmd.Result != nil {
		var err error
		if result, err = cmd.Result(recorded); err != nil {
			return fmt.Errorf("render command result: %w", err)
		}
	}
	last := recorded[len(recorded)-1].Position
	_, err := tx.Exec(ctx, `INSERT INTO command_log (scope, idem_key, request_hash, command_id, result, position)
		VALUES ($1, $2, $3, $4, $5, $6)`, cmd.Scope, cmd.Key, cmd.RequestHash, cmd.CommandID, []byte(result), last)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return ErrDuplicateCommand
	}
	if err != nil {
		return fmt.Errorf("record command: %w", err)
	}
	return nil
}

// LookupCommand returns the command recorded under scope and key, or nil if
// there is none.
func (s *Store) LookupCommand(ctx context.Context, scope, key string) (*RecordedCommand, error) {
	var rc RecordedCommand
	var result []byte
	err := s.pool.QueryRow(ctx, `SELECT request_hash, command_id, result, position FROM command_log
		WHERE scope = $1 AND idem_key = $2`, scope, key).Scan(&rc.RequestHash, &rc.CommandID, &result, &rc.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up command %s: %w", key, err)
	}
	rc.Result = result
	return &rc, nil
}
