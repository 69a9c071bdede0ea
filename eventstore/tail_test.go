package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/internal/pgtest"
)

func newEvent() NewEvent {
	return NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "account.tagged", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now()}
}

var testMD = Metadata{Actor: "staff:test"}

// TestNaiveTailSkipsButReadAllDoesNot shows, deterministically, why a tail
// must not simply read "position > checkpoint": a transaction that started
// appending first commits last. The naive tail has already moved past its
// position and never sees it; ReadAll holds back the later event until the
// earlier transaction has finished, and then delivers both in order.
func TestNaiveTailSkipsButReadAllDoesNot(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 4)
	s := New(pool)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	rows, err := flatten([]StreamAppend{{StreamID: "account-SLOW", Events: []NewEvent{newEvent()}}}, testMD)
	if err != nil {
		t.Fatal(err)
	}
	slowRec, err := s.insert(ctx, slow, []StreamAppend{{StreamID: "account-SLOW"}}, rows)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := s.Append(ctx, []StreamAppend{{StreamID: "account-FAST", Events: []NewEvent{newEvent()}}}, testMD)
	if err != nil {
		t.Fatal(err)
	}
	if fast[0].Position <= slowRec[0].Position {
		t.Fatalf("the later transaction got a lower position: %d <= %d", fast[0].Position, slowRec[0].Position)
	}

	naive := func(after Position) []Event {
		rows, err := pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE position > $1 ORDER BY position`, after)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := pgx.CollectRows(rows, scanEvent)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	naiveSeen := naive(0)
	if len(naiveSeen) != 1 || naiveSeen[0].StreamID != "account-FAST" {
		t.Fatalf("naive tail read %v", naiveSeen)
	}
	naiveCheckpoint := naiveSeen[0].Position

	gapFree, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(gapFree) != 0 {
		t.Fatalf("ReadAll delivered %d events while an earlier transaction is in flight", len(gapFree))
	}

	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if late := naive(naiveCheckpoint); len(late) != 0 {
		t.Fatalf("naive tail unexpectedly saw %v", late)
	}
	// The naive tail has skipped account-SLOW for good. ReadAll delivers
	// both, in order, once no older transaction anywhere on the server is
	// still running (other tests share the server's transaction IDs, so
	// this may take a moment, and a transaction of another test that began
	// between SLOW and FAST may let SLOW through alone for a while; FAST
	// must never come without SLOW before it).
	deadline := time.Now().Add(30 * time.Second)
	for {
		gapFree, err = s.ReadAll(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(gapFree) > 0 && gapFree[0].StreamID != "account-SLOW" {
			t.Fatalf("ReadAll delivered %v before account-SLOW", gapFree)
		}
		if len(gapFree) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(gapFree) != 2 || gapFree[0].StreamID != "account-SLOW" || gapFree[1].StreamID != "account-FAST" {
		t.Fatalf("ReadAll after commit: %v", gapFree)
	}
}

// TestTailUnderConcurrentWriters runs 32 writers appending thousands of
// events (single events and multi-stream appends, some refused by conflicts)
// while a tail reads with ReadAll. The tail must see every committed event
// exactly once, in increasing position order. A naive "position > N" tail
// runs alongside; it can skip events (it is only logged, since whether it
// does depends on timing; TestNaiveTailSkipsButReadAllDoesNot forces it).
func TestTailUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 32, 120
	pool := pgtest.Pool(t, writers+4)
	s := New(pool)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	var committed atomic.Int64 // events of the appends that succeeded
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				var err error
				switch i % 3 {
				case 0, 1:
					_, err = s.Append(ctx, []StreamAppend{{StreamID: fmt.Sprintf("account-W%dN%d", w, i), Events: []NewEvent{newEvent()}}}, testMD)
					if err == nil {
						committed.Add(1)
					}
				case 2:
					// Two writers contend for shared streams: some appends conflict.
					shared := fmt.Sprintf("license-SH%d", i%5)
					v, _ := s.StreamVersion(ctx, shared)
					_, err = s.Append(ctx, []StreamAppend{
						{StreamID: shared, ExpectedVersion: v, Events: []NewEvent{newEvent()}},
						{StreamID: fmt.Sprintf("license-W%dN%d", w, i), Events: []NewEvent{newEvent(), newEvent()}},
					}, testMD)
					if err != nil && !isConflict(err) {
						t.Errorf("append: %v", err)
					}
					if err == nil {
						committed.Add(3)
					}
					err = nil
				}
				if err != nil {
					t.Errorf("append: %v", err)
				}
			}
		}(w)
	}
	go func() { wg.Wait(); done.Store(true) }()

	var seen []Position
	var naiveSeen int
	var cp, naiveCP Position
	deadline := time.Now().Add(60 * time.Second)
	for {
		finished := done.Load()
		batch, err := s.ReadAll(ctx, cp, 97)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range batch {
			if e.Position <= cp {
				t.Fatalf("position %d delivered after %d", e.Position, cp)
			}
			cp = e.Position
			seen = append(seen, e.Position)
		}
		var n int
		var maxPos *int64
		if err := pool.QueryRow(ctx, `SELECT count(*), max(position) FROM events WHERE position > $1`, naiveCP).Scan(&n, &maxPos); err != nil {
			t.Fatal(err)
		}
		if maxPos != nil {
			naiveSeen += n
			naiveCP = Position(*maxPos)
		}
		if finished && len(batch) == 0 {
			// Everything is committed; stop once the tail has all of it (a
			// transaction elsewhere on the server may hold the horizon back
			// for a moment, which delays but must not lose anything).
			var total int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
				t.Fatal(err)
			}
			if len(seen) >= total {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatal("tail did not catch up in time")
		}
	}
	rows, err := pool.Query(ctx, `SELECT position FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[Position])
	if err != nil {
		t.Fatal(err)
	}
	// Every single-event append succeeds; the contended ones may conflict,
	// and a conflict writes nothing.
	if int64(len(all)) != committed.Load() || len(all) < writers*perWriter*2/3 {
		t.Fatalf("%d events in the store, %d appended by the writers", len(all), committed.Load())
	}
	if len(seen) != len(all) {
		t.Fatalf("tail saw %d events, %d committed", len(seen), len(all))
	}
	for i := range all {
		if seen[i] != all[i] {
			t.Fatalf("event %d: tail saw position %d, store has %d", i, seen[i], all[i])
		}
	}
	t.Logf("%d events, tail saw all once in order; a naive tail saw %d (skipped %d)", len(all), naiveSeen, len(all)-naiveSeen)
}

func isConflict(err error) bool {
	_, ok := err.(*ConflictError)
	return ok
}
