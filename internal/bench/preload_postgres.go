package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
)

// preloadBatch is how many streams one preload append covers.
const preloadBatch = 1000

// preloadWorkers append concurrently; the store takes several appends at
// once.
const preloadWorkers = 4

// preload writes n events with Store.Append: the registrations of
// n - n/2 companies, then a rename of each of the first n/2 of them, so
// that renames come after registrations as they would in production. It
// then vacuums and analyses the events table and checkpoints, so that the
// figure measured next neither sets hint bits on every row it reads nor
// runs into a checkpoint the load caused.
func preload(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, n int, progress func(string, ...any)) error {
	regs, renames := n-n/2, n/2
	start := time.Now()
	err := appendAll(ctx, store, regs, func(c company, at time.Time) eventstore.StreamAppend {
		return eventstore.StreamAppend{StreamID: c.Stream(), Events: []eventstore.NewEvent{newEvent(c.Registration(), at)}}
	})
	if err != nil {
		return fmt.Errorf("preload registrations: %w", err)
	}
	err = appendAll(ctx, store, renames, func(c company, at time.Time) eventstore.StreamAppend {
		return eventstore.StreamAppend{StreamID: c.Stream(), ExpectedVersion: 1, Events: []eventstore.NewEvent{newEvent(c.Rename(1), at)}}
	})
	if err != nil {
		return fmt.Errorf("preload renames: %w", err)
	}
	progress("  wrote %d events in %s (setup, not measured)", n, time.Since(start).Round(time.Millisecond))
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) events`); err != nil {
		return fmt.Errorf("vacuum events: %w", err)
	}
	_, _ = pool.Exec(ctx, `CHECKPOINT`) // best effort: needs superuser or pg_checkpoint
	return nil
}

// appendAll appends one StreamAppend per company 0..n-1, preloadBatch
// companies per append, from preloadWorkers goroutines.
func appendAll(ctx context.Context, store *eventstore.Store, n int, of func(company, time.Time) eventstore.StreamAppend) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, preloadWorkers)
	for range preloadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(preloadBatch)) - preloadBatch
				if lo >= n || ctx.Err() != nil {
					return
				}
				hi := min(lo+preloadBatch, n)
				at := time.Now()
				batch := make([]eventstore.StreamAppend, 0, hi-lo)
				for i := lo; i < hi; i++ {
					batch = append(batch, of(company{n: i}, at))
				}
				if _, err := store.Append(ctx, batch, metadata()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// readEvents returns every event of the store in position order.
func readEvents(ctx context.Context, store *eventstore.Store) ([]eventstore.Event, error) {
	const page = 10_000
	var all []eventstore.Event
	var after eventstore.Position
	for {
		evs, err := store.ReadAll(ctx, after, page)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
		if len(evs) < page {
			return all, nil
		}
		after = evs[len(evs)-1].Position
	}
}
