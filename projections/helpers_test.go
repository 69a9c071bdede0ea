package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// env is the shared harness plus what only the runtime's tests need.
type env struct{ *projtest.Env }

func newEnv(t *testing.T, withNATS bool) *env { return &env{projtest.New(t, withNATS)} }

// appendEvents appends n events of alternating types to fresh streams, a
// few per append, and returns them as recorded.
func (e *env) appendEvents(n int) []eventstore.Event {
	e.T.Helper()
	var out []eventstore.Event
	for len(out) < n {
		k := min(1+len(out)%3, n-len(out))
		var streams []eventstore.StreamAppend
		for i := 0; i < k; i++ {
			typ := []string{"license.issued", "account.tagged", "order.submitted"}[(len(out)+i)%3]
			streams = append(streams, eventstore.StreamAppend{
				StreamID: fmt.Sprintf("%s-%s", strings.Split(typ, ".")[0], uuid.NewString()[:8]),
				Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1,
					Data: json.RawMessage(`{"n":1}`), OccurredAt: time.Now()}},
			})
		}
		out = append(out, e.Append(streams...)...)
	}
	return out
}

// tally is a test projection that records every event it is given. Its
// primary key makes applying an event twice fail loudly. gate, when set,
// blocks Apply on the rebuild schema until it is closed.
type tally struct {
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
	// rebuilt counts the events Apply got for a rebuild schema.
	rebuilt atomic.Int64
}

func (*tally) Name() string { return "tally" }

func (*tally) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgx.Identifier{schema, "seen"}.Sanitize()+
		` (position bigint PRIMARY KEY, event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, type text NOT NULL)`)
	return err
}

func (t *tally) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	if strings.HasSuffix(schema, "_rebuild") {
		t.rebuilt.Add(int64(len(events)))
	}
	if t.gate != nil && strings.HasSuffix(schema, "_rebuild") {
		t.once.Do(func() { close(t.entered) })
		select {
		case <-t.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pos := make([]int64, len(events))
	ids := make([]uuid.UUID, len(events))
	streams := make([]string, len(events))
	types := make([]string, len(events))
	for i, e := range events {
		if i > 0 && e.Position <= events[i-1].Position {
			return fmt.Errorf("events out of order: %d after %d", e.Position, events[i-1].Position)
		}
		pos[i], ids[i], streams[i], types[i] = int64(e.Position), e.ID, e.StreamID, e.Type
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "seen"}.Sanitize()+
		` SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[])`, pos, ids, streams, types)
	return err
}

// seen returns the positions the tally projection holds in its live schema.
func (e *env) seen() []eventstore.Position {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT position FROM proj_tally.seen ORDER BY position`)
	if err != nil {
		e.T.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[eventstore.Position])
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}

// assertComplete checks that the tally holds exactly the store's events
// and its checkpoint is the last of them.
func (e *env) assertComplete() {
	e.T.Helper()
	var want []eventstore.Position
	for _, ev := range e.All() {
		want = append(want, ev.Position)
	}
	e.WaitCheckpoint("tally", want[len(want)-1])
	if got := e.seen(); !slices.Equal(got, want) {
		e.T.Fatalf("projection holds %d events, store %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	if cp := e.Checkpoint("tally").Position; cp != want[len(want)-1] {
		e.T.Fatalf("checkpoint %d, want %d", cp, want[len(want)-1])
	}
}

// foldingTally is the tally rebuilt through a Fold, with a secondary index
// that Rebuild drops before loading and builds after. Its fold, like
// Apply, blocks the first batch until gate is closed, when gate is set.
type foldingTally struct {
	tally
	folded atomic.Int64 // events given to folds
}

func (t *foldingTally) Setup(ctx context.Context, tx pgx.Tx, schema string) error {
	if err := t.tally.Setup(ctx, tx, schema); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `CREATE INDEX IF NOT EXISTS seen_type_idx ON `+pgx.Identifier{schema, "seen"}.Sanitize()+` (type, position)`)
	return err
}

func (t *foldingTally) NewFold() projections.Fold { return &tallyFold{t: t} }

type tallyFold struct {
	t    *foldingTally
	rows []eventstore.Event
}

func (f *tallyFold) Add(events []eventstore.Event) error {
	if f.t.gate != nil {
		f.t.once.Do(func() { close(f.t.entered) })
		<-f.t.gate
	}
	for _, e := range events {
		if n := len(f.rows); n > 0 && e.Position <= f.rows[n-1].Position {
			return fmt.Errorf("events out of order: %d after %d", e.Position, f.rows[n-1].Position)
		}
		f.rows = append(f.rows, e)
	}
	f.t.folded.Add(int64(len(events)))
	return nil
}

func (f *tallyFold) Len() int { return len(f.rows) }

func (f *tallyFold) Tables() []projections.Table {
	return []projections.Table{{
		Name: "seen", Columns: []string{"position", "event_id", "stream_id", "type"}, Rows: len(f.rows),
		Values: func(i int) []any {
			e := f.rows[i]
			return []any{int64(e.Position), e.ID, e.StreamID, e.Type}
		},
	}}
}

// indexes returns the definitions of the indexes of the live schema of
// projection name, sorted.
func (e *env) indexes(name string) []string {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`,
		projections.Schema(name))
	if err != nil {
		e.T.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}
