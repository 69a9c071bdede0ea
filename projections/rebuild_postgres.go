package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Rebuild builds the projection named name again from position 0: into a
// fresh schema proj_<name>_rebuild (a leftover of a crashed rebuild is
// dropped first), reading the store in batches of Config.RebuildBatchSize,
// while the live schema keeps serving and, if a Runner runs anywhere, keeps
// being updated. A projection that is a Folder has its history folded in
// memory and its rows written with COPY, its indexes built after them (see
// foldInto); any other is built with Apply, batch by batch. Rebuild then
// applies with Apply what was committed meanwhile, takes the live
// checkpoint (the live projector waits), applies to the new schema what the
// live one has beyond it, swaps the schemas and keeps the checkpoint, all
// in one transaction: queries never see a half-built model and the
// projector goes on without a gap.
//
// While it runs, Status reports StateRebuilding. If it fails or the process
// dies, the live schema is untouched and stays live. A projection never set
// up is simply built. Only one rebuild of a projection runs at a time;
// another returns ErrRebuildRunning.
func (r *Runner) Rebuild(ctx context.Context, name string) (err error) {
	p, ok := r.byName[name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownProjection, name)
	}
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, rebuildLockKey(name)).Scan(&got); err != nil {
		return fmt.Errorf("rebuild %s: lock: %w", name, err)
	}
	if !got {
		return fmt.Errorf("%w: %s", ErrRebuildRunning, name)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, rebuildLockKey(name)); uerr != nil {
			// Never hand a connection still holding the lock back to the pool.
			conn.Conn().Close(uctx)
		}
	}()

	prev, err := r.markRebuilding(ctx, name)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			r.abandonRebuild(ctx, name, prev)
		}
	}()
	rs := rebuildSchema(name)
	var fold Fold
	if f, ok := p.(Folder); ok && r.cfg.RebuildFoldRows > 0 {
		fold = f.NewFold()
	}
	var indexes []string
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+ident(rs)+` CASCADE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident(rs)); err != nil {
			return err
		}
		if err := p.Setup(ctx, tx, rs); err != nil {
			return err
		}
		if fold != nil {
			indexes, err = dropIndexes(ctx, tx, rs)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild %s: set up: %w", name, err)
	}

	started := time.Now()
	var at eventstore.Position
	var total int
	if fold != nil {
		if total, at, err = r.foldInto(ctx, p, fold, rs, indexes); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
	}
	n, at, err := r.applyToHorizon(ctx, p, rs, at)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	total += n
	if err := r.swap(ctx, p, at); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	r.observe(name, at)
	r.log.Info("projection rebuilt", "projection", name, "events", total,
		"seconds", time.Since(started).Seconds())
	return nil
}

// markRebuilding sets the state in its own short transaction, so that it is
// visible while the rebuild runs, and returns the state before.
func (r *Runner) markRebuilding(ctx context.Context, name string) (string, error) {
	var prev string
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var err error
		if _, prev, err = lockCheckpoint(ctx, tx, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE projection_checkpoints
			SET state = 'rebuilding', rebuild_started_at = now(), updated_at = now() WHERE name = $1`, name)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rebuild %s: mark: %w", name, err)
	}
	if prev == StateRebuilding {
		prev = StateLive // left by a crashed rebuild: we hold the lock
	}
	return prev, nil
}

// abandonRebuild puts the state back and drops the half-built schema, on a
// best-effort basis: a later rebuild drops it anyway, and Status and the
// projector treat a state left by a dead rebuild as live.
func (r *Runner) abandonRebuild(ctx context.Context, name, prev string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := r.pool.Exec(cctx, `UPDATE projection_checkpoints SET state = $2, updated_at = now()
		WHERE name = $1 AND state = 'rebuilding'`, name, prev); err != nil {
		r.log.Warn("reset state after failed rebuild", "projection", name, "err", err)
	}
	if _, err := r.pool.Exec(cctx, `DROP SCHEMA IF EXISTS `+ident(rebuildSchema(name))+` CASCADE`); err != nil {
		r.log.Warn("drop schema of failed rebuild", "projection", name, "err", err)
	}
}

// applyToHorizon applies to schema the events after at up to the store's
// horizon, again and again while a pass still finds a full batch, so that
// what is left for the swap transaction is small. It returns how many
// events it applied and the position of the last (at when none).
func (r *Runner) applyToHorizon(ctx context.Context, p Projection, schema string, at eventstore.Position) (int, eventstore.Position, error) {
	var total int
	for {
		h, err := r.store.Horizon(ctx)
		if err != nil {
			return 0, 0, err
		}
		n, last, err := r.bulk(ctx, p, schema, at, h)
		if err != nil {
			return 0, 0, err
		}
		total += n
		at = last
		if n < r.cfg.RebuildBatchSize {
			return total, at, nil
		}
	}
}

// bulk applies the events in (after, before) to schema, one transaction per
// batch, reading the next batch while the last one is written. It returns
// how many events it applied and the position of the last.
func (r *Runner) bulk(ctx context.Context, p Projection, schema string, after, before eventstore.Position) (int, eventstore.Position, error) {
	return r.read(ctx, after, before, func(ctx context.Context, evs []eventstore.Event) (bool, error) {
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			// The rebuild schema only becomes visible in the swap, which
			// commits synchronously; losing an unflushed batch in a
			// server crash only makes the rebuild fail and start over.
			if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
			return r.apply(ctx, p, tx, schema, evs)
		})
		if err != nil {
			return false, fmt.Errorf("apply %d events from %d: %w", len(evs), evs[0].Position, err)
		}
		return true, nil
	})
}

// errEnough ends a read whose consumer wants no more.
var errEnough = errors.New("projections: enough events read")

// read hands the events in (after, before) to use in batches of
// Config.RebuildBatchSize, in position order, reading the next batch while
// use handles the last, until use returns false or the range ends. It
// returns how many events use took and the position of the last (after
// when none).
func (r *Runner) read(ctx context.Context, after, before eventstore.Position,
	use func(context.Context, []eventstore.Event) (more bool, err error)) (int, eventstore.Position, error) {
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []eventstore.Event, 1)
	g.Go(func() error {
		defer close(batches)
		from := after
		for {
			evs, err := r.store.ReadRange(gctx, from, before, r.cfg.RebuildBatchSize)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				return nil
			}
			select {
			case batches <- evs:
			case <-gctx.Done():
				return gctx.Err()
			}
			if len(evs) < r.cfg.RebuildBatchSize {
				return nil
			}
			from = evs[len(evs)-1].Position
		}
	})
	n, last := 0, after
	g.Go(func() error {
		for evs := range batches {
			more, err := use(gctx, evs)
			if err != nil {
				return err
			}
			n += len(evs)
			last = evs[len(evs)-1].Position
			if !more {
				return errEnough
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil && !errors.Is(err, errEnough) {
		return 0, 0, err
	}
	return n, last, nil
}

// swap makes the rebuilt schema live. Holding the live checkpoint, it
// applies what the live projector applied beyond at, renames the schemas,
// drops the old one and sets the checkpoint to the later of the two.
func (r *Runner) swap(ctx context.Context, p Projection, at eventstore.Position) error {
	name := p.Name()
	live, rs, old := Schema(name), rebuildSchema(name), oldSchema(name)
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		cp, _, err := lockCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		for at < cp {
			evs, err := r.store.ReadRange(ctx, at, cp+1, r.cfg.RebuildBatchSize)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				break
			}
			if err := r.apply(ctx, p, tx, rs, evs); err != nil {
				return fmt.Errorf("apply %d events after %d: %w", len(evs), at, err)
			}
			at = evs[len(evs)-1].Position
		}
		exists, err := schemaExists(ctx, tx, live)
		if err != nil {
			return err
		}
		if exists {
			if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+ident(old)+` CASCADE`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `ALTER SCHEMA `+ident(live)+` RENAME TO `+ident(old)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `ALTER SCHEMA `+ident(rs)+` RENAME TO `+ident(live)); err != nil {
			return err
		}
		if exists {
			if _, err := tx.Exec(ctx, `DROP SCHEMA `+ident(old)+` CASCADE`); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE projection_checkpoints
			SET position = $2, state = 'live', rebuilt_at = now(), updated_at = now(), version = $3
			WHERE name = $1`, name, max(at, cp), versionOf(p))
		if err != nil {
			return fmt.Errorf("swap: %w", err)
		}
		return nil
	})
}
