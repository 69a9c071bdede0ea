package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Figures 1 and 2: our append against a plain INSERT (and COPY) of the same
// rows into a table of the same definition.

// rawSchema holds the baseline tables of a figure.
const rawSchema = "bench_raw"

// createRawEventsSQL copies the definition of the store's events table
// (columns, defaults, checks, primary key, unique event ID, unique stream
// and version) and numbers positions from a sequence, as bigserial does.
const createRawEventsSQL = `
CREATE SCHEMA IF NOT EXISTS bench_raw;
CREATE TABLE bench_raw.events (LIKE public.events INCLUDING ALL);
CREATE SEQUENCE bench_raw.events_position_seq OWNED BY bench_raw.events.position;
ALTER TABLE bench_raw.events ALTER COLUMN position SET DEFAULT nextval('bench_raw.events_position_seq')`

// rawColumns are the columns the baseline writes: every column the store
// writes except position (the sequence's) and recorded_at (its default).
var rawColumns = []string{"event_id", "stream_id", "stream_version", "category", "event_type",
	"schema_version", "data", "occurred_at", "actor", "on_behalf_of", "correlation_id",
	"causation_id", "command_id", "client_ip"}

// rawInsertSQL is a plain INSERT of n rows.
func rawInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO bench_raw.events (" + strings.Join(rawColumns, ", ") + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range rawColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString("$" + strconv.Itoa(p))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// rawValues lays out the row the store would write for event e of stream at
// version v.
func rawValues(dst []any, streamID string, v int64, e eventstore.NewEvent, md eventstore.Metadata) []any {
	return append(dst, e.ID, streamID, v, eventstore.Category(streamID), e.Type, e.SchemaVersion,
		[]byte(e.Data), e.OccurredAt, md.Actor, md.OnBehalfOf, md.CorrelationID, md.CausationID,
		md.CommandID, md.ClientIP)
}

// streams hands out the streams of fresh accounts, one per worker and
// round, so that every round appends from version 1.
type streams struct {
	next atomic.Int64
}

func (s *streams) fresh(n int) (ids []string, versions []int64) {
	ids = make([]string, n)
	for i := range ids {
		ids[i] = company{n: int(s.next.Add(1))}.Stream()
	}
	return ids, make([]int64, n)
}

func singleAppends(ctx context.Context, e *env) ([]Row, error) {
	db, err := e.freshDB(ctx, int32(slices.Max(e.sizes.Concurrency)))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Pool.Exec(ctx, createRawEventsSQL); err != nil {
		return nil, fmt.Errorf("create baseline table: %w", err)
	}
	payloads := renamePayloads(1024)
	insertOne := rawInsertSQL(1)
	var ss streams
	var rows []Row
	for _, c := range e.sizes.Concurrency {
		var ours, raw side
		// Ours first and last in each block: neither side always runs on
		// the fuller table.
		for _, isOurs := range rounds(e.sizes.Blocks, true, false, false, true) {
			sids, vers := ss.fresh(c)
			op := func(ctx context.Context, w int) error {
				ev := eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "account.renamed", SchemaVersion: 1,
					Data: payloads[int(vers[w])%len(payloads)], OccurredAt: time.Now()}
				md := metadata()
				if isOurs {
					_, err := db.Store.Append(ctx, []eventstore.StreamAppend{{StreamID: sids[w], ExpectedVersion: vers[w], Events: []eventstore.NewEvent{ev}}}, md)
					if err != nil {
						return fmt.Errorf("append: %w", err)
					}
				} else {
					args := rawValues(make([]any, 0, len(rawColumns)), sids[w], vers[w]+1, ev, md)
					if _, err := db.Pool.Exec(ctx, insertOne, args...); err != nil {
						return fmt.Errorf("insert: %w", err)
					}
				}
				vers[w]++
				return nil
			}
			rd, err := throughput(ctx, c, e.sizes.Warmup, e.sizes.Round, op)
			if err != nil {
				return nil, err
			}
			e.progress("  %d conns, %-12s %6.0f events/s, client CPU %3.0f µs/event", c, label(isOurs, "Store.Append", "INSERT"),
				sideOf(isOurs, &ours, &raw).add(rd.ops, rd.span), rd.clientCPU())
		}
		rows = append(rows, Row{
			Figure: fmt.Sprintf("1. single-event appends with version check, concurrency %d", c),
			Ours:   ours.rate(), Raw: raw.rate(), Unit: "events/s",
			Target: Target{MinRatio: 0.8},
		})
	}
	return rows, nil
}

func label(ours bool, a, b string) string {
	if ours {
		return a
	}
	return b
}

// sideOf returns ours or raw, as a round was of ours or not.
func sideOf(isOurs bool, ours, raw *side) *side {
	if isOurs {
		return ours
	}
	return raw
}

func batchAppends(ctx context.Context, e *env) ([]Row, error) {
	c, k := e.sizes.BatchConcurrency, e.sizes.BatchEvents
	db, err := e.freshDB(ctx, int32(c))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Pool.Exec(ctx, createRawEventsSQL); err != nil {
		return nil, fmt.Errorf("create baseline table: %w", err)
	}
	payloads := renamePayloads(1024)
	insertMany := rawInsertSQL(k)
	events := func(v int64) []eventstore.NewEvent {
		evs := make([]eventstore.NewEvent, k)
		now := time.Now()
		for i := range evs {
			evs[i] = eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "account.renamed", SchemaVersion: 1,
				Data: payloads[(int(v)+i)%len(payloads)], OccurredAt: now}
		}
		return evs
	}
	const (
		ours = iota
		insert
		copyIn
	)
	names := []string{"Store.Append", "multi-row INSERT", "COPY"}
	var sides [3]side
	var ss streams
	for _, which := range rounds(e.sizes.Blocks, ours, insert, copyIn, copyIn, insert, ours) {
		sids, vers := ss.fresh(c)
		op := func(ctx context.Context, w int) error {
			evs := events(vers[w])
			md := metadata()
			switch which {
			case ours:
				if _, err := db.Store.Append(ctx, []eventstore.StreamAppend{{StreamID: sids[w], ExpectedVersion: vers[w], Events: evs}}, md); err != nil {
					return fmt.Errorf("append: %w", err)
				}
			case insert:
				args := make([]any, 0, k*len(rawColumns))
				for i, ev := range evs {
					args = rawValues(args, sids[w], vers[w]+int64(i)+1, ev, md)
				}
				if _, err := db.Pool.Exec(ctx, insertMany, args...); err != nil {
					return fmt.Errorf("insert: %w", err)
				}
			case copyIn:
				if err := copyEvents(ctx, db.Pool, sids[w], vers[w], evs, md); err != nil {
					return err
				}
			}
			vers[w] += int64(k)
			return nil
		}
		rd, err := throughput(ctx, c, e.sizes.Warmup, e.sizes.Round, op)
		if err != nil {
			return nil, err
		}
		e.progress("  %-16s %6.0f events/s, client CPU %3.0f µs/event", names[which],
			sides[which].add(rd.ops*int64(k), rd.span), rd.clientCPU()/float64(k))
	}
	fig := fmt.Sprintf("2. batched appends, %d events per append, concurrency %d", k, c)
	return []Row{
		{Figure: fig, Ours: sides[ours].rate(), Raw: sides[insert].rate(), Unit: "events/s",
			Target: Target{MinRatio: 0.7, Min: 50_000}},
		{Figure: fig + ", against COPY (context)", Ours: sides[ours].rate(), Raw: sides[copyIn].rate(), Unit: "events/s"},
	}, nil
}

func copyEvents(ctx context.Context, pool *pgxpool.Pool, streamID string, v int64, evs []eventstore.NewEvent, md eventstore.Metadata) error {
	rows := make([][]any, len(evs))
	for i, ev := range evs {
		rows[i] = rawValues(make([]any, 0, len(rawColumns)), streamID, v+int64(i)+1, ev, md)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{rawSchema, "events"}, rawColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}
