package eventstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/eventstore"
)

// readFeedAll pages through the feed from after until it is caught up,
// checking each page's promises, and returns the events and the last Next.
func readFeedAll(t *testing.T, s *eventstore.Store, after eventstore.Position, f eventstore.Filter, limit int) ([]eventstore.Event, eventstore.Position) {
	t.Helper()
	var out []eventstore.Event
	for range 100_000 {
		p, err := s.ReadFeed(context.Background(), after, f, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) > limit {
			t.Fatalf("page of %d events, limit %d", len(p.Events), limit)
		}
		if p.Next < after {
			t.Fatalf("Next %d went back from %d", p.Next, after)
		}
		for _, e := range p.Events {
			if e.Position <= after || e.Position > p.Next {
				t.Fatalf("event at %d outside (%d, %d]", e.Position, after, p.Next)
			}
			after = e.Position
		}
		after = p.Next
		out = append(out, p.Events...)
		if p.CaughtUp {
			return out, after
		}
	}
	t.Fatal("the feed never caught up")
	return nil, 0
}

func TestReadFeedFilters(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 4)
	ctx := context.Background()
	// 60 events: account.tagged on accounts, order.submitted on orders,
	// account.renamed every tenth; one append carries two streams.
	for i := range 60 {
		var apps []eventstore.StreamAppend
		switch {
		case i%10 == 0:
			apps = []eventstore.StreamAppend{{StreamID: fmt.Sprintf("account-R%d", i), Events: []eventstore.NewEvent{ev("account.renamed")}}}
		case i%2 == 0:
			apps = []eventstore.StreamAppend{{StreamID: fmt.Sprintf("account-T%d", i), Events: []eventstore.NewEvent{ev("account.tagged")}}}
		default:
			apps = []eventstore.StreamAppend{{StreamID: fmt.Sprintf("order-O%d", i), Events: []eventstore.NewEvent{ev("order.submitted")}}}
		}
		if _, err := s.Append(ctx, apps, md); err != nil {
			t.Fatal(err)
		}
	}
	// The tail stops below the oldest transaction running anywhere on the
	// server (another test's, say): wait until it has passed the appends.
	var all []eventstore.Event
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if all, _ = readFeedAll(t, s, 0, eventstore.Filter{}, 1000); len(all) >= 60 || time.Now().After(deadline) {
			break
		}
	}
	if len(all) != 60 {
		t.Fatalf("unfiltered: %d events, want 60", len(all))
	}
	for _, tc := range []struct {
		name   string
		f      eventstore.Filter
		limits []int
		want   func(eventstore.Event) bool
	}{
		{"category", eventstore.Filter{Categories: []string{"order"}}, []int{1, 3, 1000},
			func(e eventstore.Event) bool { return e.Category == "order" }},
		{"type", eventstore.Filter{Types: []string{"account.renamed"}}, []int{1, 2, 1000},
			func(e eventstore.Event) bool { return e.Type == "account.renamed" }},
		{"two types", eventstore.Filter{Types: []string{"account.renamed", "order.submitted"}}, []int{1, 7},
			func(e eventstore.Event) bool { return e.Type == "account.renamed" || e.Type == "order.submitted" }},
		{"category and type", eventstore.Filter{Categories: []string{"account"}, Types: []string{"account.tagged", "order.submitted"}}, []int{1, 5},
			func(e eventstore.Event) bool { return e.Type == "account.tagged" }},
		{"nothing", eventstore.Filter{Categories: []string{"invoice"}}, []int{1, 1000},
			func(e eventstore.Event) bool { return false }},
	} {
		var want []eventstore.Position
		for _, e := range all {
			if tc.want(e) {
				want = append(want, e.Position)
			}
		}
		for _, limit := range tc.limits {
			// limit 1 walks at most 20 events a read: the 60 take several
			// reads, some of them empty and not caught up.
			got, next := readFeedAll(t, s, 0, tc.f, limit)
			if len(got) != len(want) {
				t.Fatalf("%s, limit %d: %d events, want %d", tc.name, limit, len(got), len(want))
			}
			for i := range got {
				if got[i].Position != want[i] || !tc.want(got[i]) {
					t.Fatalf("%s, limit %d: event %d at %d (%s), want %d", tc.name, limit, i, got[i].Position, got[i].Type, want[i])
				}
			}
			if next < all[len(all)-1].Position {
				t.Fatalf("%s, limit %d: caught up at %d, before the last event %d", tc.name, limit, next, all[len(all)-1].Position)
			}
			// Resuming from the middle gives the rest.
			if len(want) > 2 {
				rest, _ := readFeedAll(t, s, want[1], tc.f, limit)
				if len(rest) != len(want)-2 || rest[0].Position != want[2] {
					t.Fatalf("%s, limit %d: resumed after %d: %d events", tc.name, limit, want[1], len(rest))
				}
			}
		}
	}
	// The envelope is the store's, in full.
	got, _ := readFeedAll(t, s, 0, eventstore.Filter{Types: []string{"account.renamed"}}, 10)
	if e := got[0]; e.Actor != md.Actor || e.CorrelationID != md.CorrelationID || e.UserAgent != md.UserAgent || strings.ReplaceAll(string(e.Data), " ", "") != `{"n":1}` || e.StreamVersion != 1 {
		t.Fatalf("envelope: %+v", e)
	}
	// Past the end: nothing, caught up, Next not moved back.
	p, err := s.ReadFeed(ctx, all[len(all)-1].Position+1<<40, eventstore.Filter{}, 10)
	if err != nil || len(p.Events) != 0 || !p.CaughtUp || p.Next != all[len(all)-1].Position+1<<40 {
		t.Fatalf("past the end: %+v %v", p, err)
	}
}

// TestReadFeedUnderConcurrentWriters: a filtered follower paging with a
// small limit, while writers append, sees every committed event it selects
// exactly once, in position order.
func TestReadFeedUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 8, 60
	s, _ := newStore(t, writers+2)
	ctx := context.Background()
	var wg sync.WaitGroup
	var done atomic.Bool
	committed := make(chan eventstore.Position, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				cat := "account"
				if i%3 == 0 {
					cat = "order"
				}
				recs, err := s.Append(ctx, []eventstore.StreamAppend{{StreamID: fmt.Sprintf("%s-W%dN%d", cat, w, i),
					Events: []eventstore.NewEvent{ev(cat + ".x")}}}, md)
				if err != nil {
					t.Error(err)
					return
				}
				if cat == "order" {
					committed <- recs[0].Position
				}
			}
		}()
	}
	go func() { wg.Wait(); done.Store(true) }()
	f := eventstore.Filter{Categories: []string{"order"}}
	seen := map[eventstore.Position]bool{}
	var after eventstore.Position
	for {
		finished := done.Load() // read before the page: a page read after every write commits
		p, err := s.ReadFeed(ctx, after, f, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			if e.Category != "order" || e.Position <= after || seen[e.Position] {
				t.Fatalf("event %d (%s) after %d, seen before: %v", e.Position, e.Category, after, seen[e.Position])
			}
			seen[e.Position] = true
			after = e.Position
		}
		after = p.Next
		if p.CaughtUp && (!finished || len(seen) != len(committed)) {
			time.Sleep(2 * time.Millisecond) // let the writers get ahead
		}
		if finished && p.CaughtUp {
			// The horizon may lag behind other tests' transactions:
			// caught up means only that nothing more is final yet.
			if len(seen) == len(committed) {
				break
			}
		}
	}
	close(committed)
	for pos := range committed {
		if !seen[pos] {
			t.Fatalf("committed event %d never read", pos)
		}
	}
}
