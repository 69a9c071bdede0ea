package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
)

// applyChunk applies, in one transaction, the events next lists after the
// live checkpoint, and moves the checkpoint to the last of them. The
// checkpoint row is locked first, so a concurrent rebuild swap or a second
// projector waits, and next sees the checkpoint as it is. It reports
// whether next said it listed everything.
func (r *Runner) applyChunk(ctx context.Context, p Projection,
	next func(cp eventstore.Position, limit int) ([]eventstore.Event, bool, error)) (done bool, err error) {
	var applied eventstore.Position
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		cp, _, err := lockCheckpoint(ctx, tx, p.Name())
		if err != nil {
			return err
		}
		events, d, err := next(cp, r.cfg.RebuildBatchSize)
		if err != nil {
			return err
		}
		done = d || len(events) == 0
		if len(events) == 0 {
			return nil
		}
		if err := r.apply(ctx, p, tx, Schema(p.Name()), events); err != nil {
			return fmt.Errorf("apply %d events after %d to %s: %w", len(events), cp, p.Name(), err)
		}
		applied = events[len(events)-1].Position
		return advance(ctx, tx, p.Name(), applied)
	})
	if err != nil {
		return false, err
	}
	if applied > 0 {
		r.observe(p.Name(), applied)
	}
	return done, nil
}
