package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

func newStore(t testing.TB, conns int32) (*eventstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t, conns)
	s := eventstore.New(pool)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s, pool
}

func ev(typ string) eventstore.NewEvent {
	return eventstore.NewEvent{
		ID:            uuid.Must(uuid.NewV7()),
		Type:          typ,
		SchemaVersion: 1,
		Data:          json.RawMessage(`{"n":1}`),
		OccurredAt:    time.Now(),
	}
}

var md = eventstore.Metadata{Actor: "staff:test", CorrelationID: "corr-1", CausationID: "cause-1", CommandID: "cmd-1", ClientIP: "127.0.0.1", OnBehalfOf: "customer:1",
	Operation: "RenameCompany", Resource: "account/123456HQ", UserAgent: "portal/2.1 (Windows NT 10.0)"}

func count(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAppendAndLoadKeepEnvelope(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 4)
	ctx := context.Background()
	e1, e2 := ev("account.registered"), ev("account.renamed")
	rec, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-123456HQ", ExpectedVersion: 0, Events: []eventstore.NewEvent{e1, e2}}}, md)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 2 || rec[0].Position >= rec[1].Position || rec[0].Position <= 0 {
		t.Fatalf("positions not increasing: %+v", rec)
	}
	got, err := s.Load(ctx, "account-123456HQ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("loaded %d events", len(got))
	}
	g := got[1]
	if g.ID != e2.ID || g.StreamVersion != 2 || g.Position != rec[1].Position || g.Type != "account.renamed" ||
		g.SchemaVersion != 1 || g.Category != "account" || g.Metadata != md || g.RecordedAt.IsZero() ||
		!g.OccurredAt.Equal(e2.OccurredAt.UTC().Truncate(time.Microsecond)) || string(g.Data) != `{"n": 1}` {
		t.Fatalf("envelope not kept: %+v", g)
	}
	if v, _ := s.StreamVersion(ctx, "account-123456HQ"); v != 2 {
		t.Fatalf("version %d", v)
	}
	if none, _ := s.Load(ctx, "account-000000XX"); len(none) != 0 {
		t.Fatalf("missing stream loaded %d events", len(none))
	}
}

func TestAppendConflict(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 4)
	ctx := context.Background()
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-1", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("a.b")}}}, md); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		expected int64
		events   int
	}{
		{"stale version, one event", 0, 1},
		{"stale version, many events", 0, 3},
		{"version from the future, one event", 5, 1},
		{"version from the future, many events", 5, 2},
	} {
		var evs []eventstore.NewEvent
		for i := 0; i < c.events; i++ {
			evs = append(evs, ev("a.b"))
		}
		_, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-1", ExpectedVersion: c.expected, Events: evs}}, md)
		if !errors.Is(err, eventstore.ErrConflict) {
			t.Fatalf("%s: want ErrConflict, got %v", c.name, err)
		}
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || ce.StreamID != "account-1" || ce.Actual != 1 || ce.Expected != c.expected {
			t.Fatalf("%s: conflict details %+v", c.name, ce)
		}
	}
	if n := count(t, pool); n != 1 {
		t.Fatalf("%d events after refused appends, want 1", n)
	}
	// A stream that moved past a version it has: the version exists, the
	// next one too.
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-3", Events: []eventstore.NewEvent{ev("a.b"), ev("a.b"), ev("a.b")}}}, md); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		streams []eventstore.StreamAppend
	}{
		{"one event", []eventstore.StreamAppend{{StreamID: "account-3", ExpectedVersion: 1, Events: []eventstore.NewEvent{ev("a.b")}}}},
		{"many events", []eventstore.StreamAppend{{StreamID: "account-3", ExpectedVersion: 2, Events: []eventstore.NewEvent{ev("a.b"), ev("a.b")}}}},
		{"several streams", []eventstore.StreamAppend{
			{StreamID: "account-4", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("a.b")}},
			{StreamID: "account-3", ExpectedVersion: 2, Events: []eventstore.NewEvent{ev("a.b")}},
		}},
	} {
		_, err := s.Append(ctx, c.streams, md)
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || ce.StreamID != "account-3" || ce.Actual != 3 {
			t.Fatalf("stale version, %s: want a conflict on account-3 at version 3, got %v", c.name, err)
		}
	}
	if n := count(t, pool); n != 4 {
		t.Fatalf("%d events after refused appends, want 4", n)
	}
}

func TestConcurrentAppendsToOneStreamOneWins(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 8)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "order-1", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("order.submitted")}}}, md)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, eventstore.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 15 || count(t, pool) != 1 {
		t.Fatalf("wins %d conflicts %d events %d", wins, conflicts, count(t, pool))
	}
}

func TestMultiStreamAppendIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 4)
	ctx := context.Background()
	_, err := s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "license-A", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.issued")}},
		{StreamID: "license-B", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.issued")}},
	}, md)
	if err != nil {
		t.Fatal(err)
	}
	// A split: rescind A, issue C and D, touch B; B's expected version is stale.
	_, err = s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "license-A", ExpectedVersion: 1, Events: []eventstore.NewEvent{ev("license.rescinded")}},
		{StreamID: "license-C", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.issued")}},
		{StreamID: "license-D", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.issued")}},
		{StreamID: "license-B", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.changed")}},
	}, md)
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.StreamID != "license-B" {
		t.Fatalf("want conflict on license-B, got %v", err)
	}
	if n := count(t, pool); n != 2 {
		t.Fatalf("%d events after a refused multi-stream append, want 2 (none of any stream)", n)
	}
	rec, err := s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "license-A", ExpectedVersion: 1, Events: []eventstore.NewEvent{ev("license.rescinded")}},
		{StreamID: "license-C", ExpectedVersion: 0, Events: []eventstore.NewEvent{ev("license.issued"), ev("license.allocated")}},
		{StreamID: "license-B", ExpectedVersion: 1, Events: []eventstore.NewEvent{ev("license.changed")}},
	}, md)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		stream  string
		version int64
	}{{"license-A", 2}, {"license-C", 1}, {"license-C", 2}, {"license-B", 2}}
	for i, w := range want {
		if rec[i].StreamID != w.stream || rec[i].StreamVersion != w.version || (i > 0 && rec[i].Position <= rec[i-1].Position) {
			t.Fatalf("event %d: %+v", i, rec[i])
		}
	}
}

func TestConcurrentMultiStreamAppendsNeverHalfApply(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 8)
	ctx := context.Background()
	// Writers race to move overlapping pairs of streams; each append either
	// lands on both streams or on none.
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				a, b := fmt.Sprintf("account-S%d", (w+i)%4), fmt.Sprintf("account-S%d", (w+i+1)%4)
				va, _ := s.StreamVersion(ctx, a)
				vb, _ := s.StreamVersion(ctx, b)
				_, err := s.Append(ctx, []eventstore.StreamAppend{
					{StreamID: a, ExpectedVersion: va, Events: []eventstore.NewEvent{ev("account.merged")}},
					{StreamID: b, ExpectedVersion: vb, Events: []eventstore.NewEvent{ev("account.merged")}},
				}, md)
				if err != nil && !errors.Is(err, eventstore.ErrConflict) {
					t.Errorf("append: %v", err)
				}
			}
		}(w)
	}
	wg.Wait()
	var odd int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT position >> 20 FROM events GROUP BY 1 HAVING count(*) <> 2) x`).Scan(&odd)
	if err != nil || odd != 0 {
		t.Fatalf("%d appends landed on one stream only (err %v)", odd, err)
	}
	var gaps int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT stream_id, max(stream_version) m, count(*) c FROM events GROUP BY 1) x WHERE m <> c`).Scan(&gaps)
	if err != nil || gaps != 0 {
		t.Fatalf("%d streams with version gaps (err %v)", gaps, err)
	}
}

func TestIdempotentCommand(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 4)
	ctx := context.Background()
	cmd := eventstore.Command{Scope: "staff:test", Key: "k-1", RequestHash: "h1", CommandID: "cmd-1",
		Result: func(rec []eventstore.Event) (json.RawMessage, error) {
			return json.Marshal(map[string]any{"position": rec[len(rec)-1].Position})
		}}
	rec, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{ev("a.b")}}}, md, eventstore.WithCommand(cmd))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LookupCommand(ctx, "staff:test", "k-1")
	if err != nil || got == nil {
		t.Fatalf("lookup: %v %v", got, err)
	}
	if got.Position != rec[0].Position || got.RequestHash != "h1" || string(got.Result) != fmt.Sprintf(`{"position": %d}`, rec[0].Position) {
		t.Fatalf("recorded %+v", got)
	}
	// The same key again (a retry racing past the lookup) appends nothing.
	_, err = s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-2", Events: []eventstore.NewEvent{ev("a.b")}}}, md, eventstore.WithCommand(cmd))
	if !errors.Is(err, eventstore.ErrDuplicateCommand) {
		t.Fatalf("want ErrDuplicateCommand, got %v", err)
	}
	if n := count(t, pool); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
	// Another scope may use the same key.
	cmd.Scope = "staff:other"
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-2", Events: []eventstore.NewEvent{ev("a.b")}}}, md, eventstore.WithCommand(cmd)); err != nil {
		t.Fatal(err)
	}
	if none, err := s.LookupCommand(ctx, "staff:test", "nope"); none != nil || err != nil {
		t.Fatalf("unknown key: %v %v", none, err)
	}
}

func TestInvalidAppends(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 2)
	ctx := context.Background()
	good := ev("a.b")
	bad := []struct {
		name    string
		streams []eventstore.StreamAppend
		md      eventstore.Metadata
	}{
		{"no streams", nil, md},
		{"no actor", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}}, eventstore.Metadata{}},
		{"no events", []eventstore.StreamAppend{{StreamID: "account-1"}}, md},
		{"only assertions", []eventstore.StreamAppend{{StreamID: "account-1"}, {StreamID: "partner-1", ExpectedVersion: 3}}, md},
		{"assertion with a negative version", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}, {StreamID: "partner-1", ExpectedVersion: -1}}, md},
		{"assertion on a malformed stream", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}, {StreamID: "partner.1"}}, md},
		{"assertion on a stream also written", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}, {StreamID: "account-1"}}, md},
		{"stream without category", []eventstore.StreamAppend{{StreamID: "account", Events: []eventstore.NewEvent{good}}}, md},
		{"stream with a dot", []eventstore.StreamAppend{{StreamID: "account-1.2", Events: []eventstore.NewEvent{good}}}, md},
		{"stream with a wildcard", []eventstore.StreamAppend{{StreamID: "account-*", Events: []eventstore.NewEvent{good}}}, md},
		{"stream twice", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}, {StreamID: "account-1", Events: []eventstore.NewEvent{ev("a.b")}}}, md},
		{"negative version", []eventstore.StreamAppend{{StreamID: "account-1", ExpectedVersion: -1, Events: []eventstore.NewEvent{good}}}, md},
		{"invalid JSON", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "a.b", SchemaVersion: 1, Data: json.RawMessage(`{`), OccurredAt: time.Now()}}}}, md},
		{"invalid JSON among several events", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good, {ID: uuid.New(), Type: "a.b", SchemaVersion: 1, Data: json.RawMessage(`{"a":}`), OccurredAt: time.Now()}}}}, md},
		{"no data", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "a.b", SchemaVersion: 1, OccurredAt: time.Now()}}}}, md},
		{"NUL escape jsonb refuses", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "a.b", SchemaVersion: 1, Data: json.RawMessage(`{"a":"\u0000"}`), OccurredAt: time.Now()}}}}, md},
		{"data not UTF-8", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "a.b", SchemaVersion: 1, Data: json.RawMessage("{\"a\":\"\xff\"}"), OccurredAt: time.Now()}}}}, md},
		{"data not UTF-8 among several events", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good, {ID: uuid.New(), Type: "a.b", SchemaVersion: 1, Data: json.RawMessage("\"\xff\""), OccurredAt: time.Now()}}}}, md},
		{"type with a wildcard", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "account.*", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now()}}}}, md},
		{"type without category", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "registered", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now()}}}}, md},
		{"type with a space", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "account.re named", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now()}}}}, md},
		{"no event ID", []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{{Type: "a.b", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now()}}}}, md},
	}
	for _, c := range bad {
		if _, err := s.Append(ctx, c.streams, c.md); !errors.Is(err, eventstore.ErrInvalidAppend) {
			t.Errorf("%s: want ErrInvalidAppend, got %v", c.name, err)
		}
	}
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-1", Events: []eventstore.NewEvent{good}}}, md); err != nil {
		t.Fatal(err)
	}
	// The same event ID twice is refused and appends nothing.
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-2", Events: []eventstore.NewEvent{good}}}, md); !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Errorf("repeated event ID: %v", err)
	}
	if n := count(t, pool); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

// head is the number of events in the store and the position of the last.
func head(t *testing.T, pool *pgxpool.Pool) (int, int64) {
	t.Helper()
	var n int
	var last int64
	if err := pool.QueryRow(context.Background(), `SELECT count(*), coalesce(max(position), 0) FROM events`).Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	return n, last
}

// TestVersionAssertions: a stream given without events is checked at its
// expected version in the same append as the writes. While it is there the
// writes go through and nothing is added to it; once it moved, nothing of
// the append is recorded on any stream, and the conflict names it.
func TestVersionAssertions(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t, 4)
	ctx := context.Background()
	// A fact stream at version 2 and a stream the commands write, at 1.
	if _, err := s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "partner-1", Events: []eventstore.NewEvent{ev("partner.registered"), ev("partner.status_changed")}},
		{StreamID: "order-1", Events: []eventstore.NewEvent{ev("order.submitted")}},
	}, md); err != nil {
		t.Fatal(err)
	}

	// Holding assertions: before or after the writes, one event or several,
	// a stream that does not exist asserted at 0.
	rec, err := s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "partner-1", ExpectedVersion: 2},
		{StreamID: "order-1", ExpectedVersion: 1, Events: []eventstore.NewEvent{ev("order.cancelled")}},
		{StreamID: "account-404", ExpectedVersion: 0},
	}, md)
	if err != nil {
		t.Fatalf("holding assertions: %v", err)
	}
	if len(rec) != 1 || rec[0].StreamID != "order-1" || rec[0].StreamVersion != 2 || rec[0].Position <= 0 {
		t.Fatalf("recorded %+v, want order.cancelled at version 2 of order-1", rec)
	}
	rec, err = s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "order-1", ExpectedVersion: 2, Events: []eventstore.NewEvent{ev("order.noted"), ev("order.noted")}},
		{StreamID: "order-2", Events: []eventstore.NewEvent{ev("order.submitted")}},
		{StreamID: "partner-1", ExpectedVersion: 2},
	}, md)
	if err != nil || len(rec) != 3 {
		t.Fatalf("holding assertion with several streams: %+v %v", rec, err)
	}
	for stream, want := range map[string]int64{"partner-1": 2, "order-1": 4, "order-2": 1, "account-404": 0} {
		if v, err := s.StreamVersion(ctx, stream); err != nil || v != want {
			t.Fatalf("%s at version %d (%v), want %d", stream, v, err, want)
		}
	}

	// The fact moves; every append that still asserts version 2 conflicts
	// on it and records nothing anywhere, however its writes are shaped.
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "partner-1", ExpectedVersion: 2, Events: []eventstore.NewEvent{ev("partner.status_changed")}}}, md); err != nil {
		t.Fatal(err)
	}
	n, last := head(t, pool)
	for _, c := range []struct {
		name     string
		streams  []eventstore.StreamAppend
		expected int64
	}{
		{"one event", []eventstore.StreamAppend{
			{StreamID: "order-1", ExpectedVersion: 4, Events: []eventstore.NewEvent{ev("order.cancelled")}},
			{StreamID: "partner-1", ExpectedVersion: 2},
		}, 2},
		{"several streams, the assertion first", []eventstore.StreamAppend{
			{StreamID: "partner-1", ExpectedVersion: 2},
			{StreamID: "order-1", ExpectedVersion: 4, Events: []eventstore.NewEvent{ev("order.cancelled")}},
			{StreamID: "order-3", Events: []eventstore.NewEvent{ev("order.submitted"), ev("order.fulfilled")}},
			{StreamID: "account-404"},
		}, 2},
		{"an older version", []eventstore.StreamAppend{
			{StreamID: "order-3", Events: []eventstore.NewEvent{ev("order.submitted")}},
			{StreamID: "partner-1", ExpectedVersion: 1},
		}, 1},
		{"a stream asserted not to exist", []eventstore.StreamAppend{
			{StreamID: "order-3", Events: []eventstore.NewEvent{ev("order.submitted")}},
			{StreamID: "partner-1", ExpectedVersion: 0},
		}, 0},
		{"a version from the future", []eventstore.StreamAppend{
			{StreamID: "order-3", Events: []eventstore.NewEvent{ev("order.submitted")}},
			{StreamID: "partner-1", ExpectedVersion: 7},
		}, 7},
	} {
		_, err := s.Append(ctx, c.streams, md)
		var ce *eventstore.ConflictError
		if !errors.Is(err, eventstore.ErrConflict) || !errors.As(err, &ce) || ce.StreamID != "partner-1" || ce.Expected != c.expected || ce.Actual != 3 {
			t.Fatalf("%s: want a conflict on partner-1 at 3, expected %d; got %v", c.name, c.expected, err)
		}
		if gotN, gotLast := head(t, pool); gotN != n || gotLast != last {
			t.Fatalf("%s: %d events up to %d after a refused append, want %d up to %d", c.name, gotN, gotLast, n, last)
		}
	}
	// In a transaction with the command log too: nothing appended, no
	// command recorded.
	cmd := eventstore.Command{Scope: "staff:test", Key: "k-assert", RequestHash: "h", CommandID: "cmd-a"}
	_, err = s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "order-1", ExpectedVersion: 4, Events: []eventstore.NewEvent{ev("order.cancelled")}},
		{StreamID: "partner-1", ExpectedVersion: 2},
	}, md, eventstore.WithCommand(cmd))
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("with a command: want a conflict, got %v", err)
	}
	if rc, err := s.LookupCommand(ctx, cmd.Scope, cmd.Key); rc != nil || err != nil {
		t.Fatalf("a refused append recorded its command: %+v %v", rc, err)
	}
	if gotN, _ := head(t, pool); gotN != n {
		t.Fatalf("%d events after a refused append with a command, want %d", gotN, n)
	}
	// Asserting the current version goes through again.
	if _, err := s.Append(ctx, []eventstore.StreamAppend{
		{StreamID: "order-1", ExpectedVersion: 4, Events: []eventstore.NewEvent{ev("order.cancelled")}},
		{StreamID: "partner-1", ExpectedVersion: 3},
	}, md, eventstore.WithCommand(cmd)); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.StreamVersion(ctx, "partner-1"); v != 3 {
		t.Fatalf("an assertion wrote to partner-1: version %d", v)
	}
}

// TestLoadMany: several streams in one round trip, each in version order;
// a stream that does not exist has no entry, a stream named twice one.
func TestLoadMany(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 2)
	ctx := context.Background()
	for i, id := range []string{"account-A", "account-B", "account-A"} {
		v, _ := s.StreamVersion(ctx, id)
		if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: id, ExpectedVersion: v, Events: []eventstore.NewEvent{ev("account.renamed"), ev("account.renamed")}}}, md); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	got, err := s.LoadMany(ctx, []string{"account-A", "account-missing", "account-B", "account-A"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["account-A"]) != 4 || len(got["account-B"]) != 2 {
		t.Fatalf("got %d streams: A %d, B %d events", len(got), len(got["account-A"]), len(got["account-B"]))
	}
	for id, evs := range got {
		one, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			if evs[i].StreamID != id || evs[i].StreamVersion != int64(i+1) || evs[i].ID != one[i].ID {
				t.Fatalf("%s[%d]: %+v", id, i, evs[i])
			}
		}
	}
	if none, err := s.LoadMany(ctx, nil); err != nil || len(none) != 0 {
		t.Fatalf("no streams: %v %v", none, err)
	}
}

// TestSingleEventAppendKeepsEnvelope: the one-event append takes its own
// statement; its metadata round trips as the many-event one's does.
func TestSingleEventAppendKeepsEnvelope(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 2)
	ctx := context.Background()
	if _, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-654321HQ", Events: []eventstore.NewEvent{ev("account.registered")}}}, md); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, "account-654321HQ")
	if err != nil || len(got) != 1 || got[0].Metadata != md {
		t.Fatalf("loaded %+v, %v; want metadata %+v", got, err, md)
	}
}
