package screening_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/internal/screening"
)

// clock is a settable clock shared by the Waits of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 8)
	c := &clock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
	one := screening.NewWaits(pool, c.now)
	if err := one.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A second instance of the service on the same database, started after
	// the first denial: the wait is the same there.
	other := screening.NewWaits(pool, c.now)
	if err := other.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	deny := func(w *screening.Waits, principal, hold string) time.Time {
		t.Helper()
		at, err := w.Deny(ctx, principal, hold)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	const ann, bob, hold = "customer:123456HQ/C-000001", "customer:123456HQ/C-000002", "account-123456HQ@3"
	first := c.now()

	got := deny(one, ann, hold)
	if want := first.Add(6 * time.Hour); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("first denial: retry after %v, want %v UTC", got, want)
	}
	c.advance(2 * time.Hour)
	if again := deny(other, ann, hold); !again.Equal(got) {
		t.Errorf("a denial within the wait, on another instance, moved it: %v, want %v", again, got)
	}
	if b := deny(one, bob, hold); !b.Equal(c.now().Add(6 * time.Hour)) {
		t.Errorf("another principal's wait starts at its own denial: %v", b)
	}
	c.advance(4*time.Hour - time.Second)
	if again := deny(one, ann, hold); !again.Equal(got) {
		t.Errorf("a denial a second before the wait ends moved it: %v, want %v", again, got)
	}
	c.advance(time.Second)
	if after := deny(one, ann, hold); !after.Equal(c.now().Add(6 * time.Hour)) {
		t.Errorf("denied again once the wait ran out: retry after %v, want a new wait from now %v", after, c.now().Add(6*time.Hour))
	}
	c.advance(time.Hour)
	if other := deny(other, ann, "account-123456HQ@9"); !other.Equal(c.now().Add(6 * time.Hour)) {
		t.Errorf("a denial for another hold (one placed after a clearance) starts its own wait: %v", other)
	}
}

func TestWaitsConcurrentFirstDenials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t, 8)
	base := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	if err := screening.NewWaits(pool, nil).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Eight instances deny the same principal at once, each with a clock a
	// second apart: every one answers the instant of the denial that won.
	var wg sync.WaitGroup
	got := make([]time.Time, 8)
	errs := make([]error, 8)
	for i := range got {
		w := screening.NewWaits(pool, func() time.Time { return base.Add(time.Duration(i) * time.Second) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = w.Deny(ctx, "partner:777777PA/C-000003", "partner-777777PA@2")
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !got[i].Equal(got[0]) {
			t.Fatalf("instances disagree on the wait: %v", got)
		}
	}
	if got[0].Before(base.Add(6*time.Hour)) || got[0].After(base.Add(6*time.Hour+7*time.Second)) {
		t.Errorf("retry after %v is not 6 hours after one of the denials", got[0])
	}
}
