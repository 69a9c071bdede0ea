package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
)

// copyChunk is how many rows one COPY transaction of a fold writes: large
// enough that a transaction costs nothing against its rows, small enough
// that it ends in well under a second, since every open write transaction
// holds back the store's horizon and so every reader of the store.
const copyChunk = 50_000

// foldInto folds the history up to the store's horizon into f, writes its
// rows into schema with COPY, then builds the indexes dropped before
// loading (their CREATE statements) and analyses the tables. Should f
// reach Config.RebuildFoldRows first, it stops there and the caller applies
// the rest with Apply. It returns how many events it folded and the
// position of the last.
//
// Building an index once over loaded rows sorts them once; keeping it while
// loading would insert every row into it one by one. Indexes that back a
// constraint (primary keys, unique keys) stay, so a fold that broke one
// fails the load rather than the swap.
func (r *Runner) foldInto(ctx context.Context, p Projection, f Fold, schema string, indexes []string) (int, eventstore.Position, error) {
	started := time.Now()
	var at eventstore.Position
	var total int
	full := false
	// Up to the horizon, again while a pass still finds a full batch, as
	// applyToHorizon does.
	for !full {
		h, err := r.store.Horizon(ctx)
		if err != nil {
			return 0, 0, err
		}
		n, last, err := r.read(ctx, at, h, func(ctx context.Context, evs []eventstore.Event) (bool, error) {
			opened, err := r.open(ctx, p, evs)
			if err != nil {
				return false, err
			}
			if err := f.Add(opened); err != nil {
				return false, fmt.Errorf("fold %d events from %d: %w", len(evs), evs[0].Position, err)
			}
			full = f.Len() >= r.cfg.RebuildFoldRows
			return !full, nil
		})
		if err != nil {
			return 0, 0, err
		}
		total += n
		at = last
		if n < r.cfg.RebuildBatchSize {
			break
		}
	}
	if full {
		r.log.Warn("rebuild: fold full, applying the rest event by event",
			"schema", schema, "rows", f.Len(), "position", at)
	}
	folded := time.Now()
	rows := 0
	for _, t := range f.Tables() {
		if err := r.copyTable(ctx, schema, t); err != nil {
			return 0, 0, err
		}
		rows += t.Rows
	}
	copied := time.Now()
	for _, def := range indexes {
		if err := r.shortTx(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, def)
			return err
		}); err != nil {
			return 0, 0, fmt.Errorf("build index: %w", err)
		}
	}
	if err := r.analyze(ctx, schema); err != nil {
		return 0, 0, err
	}
	r.log.Info("rebuild: history folded and written", "schema", schema, "events", total, "rows", rows,
		"fold_seconds", folded.Sub(started).Seconds(), "copy_seconds", copied.Sub(folded).Seconds(),
		"index_seconds", time.Since(copied).Seconds())
	return total, at, nil
}

// copyTable writes t's rows into schema, copyChunk rows per transaction.
func (r *Runner) copyTable(ctx context.Context, schema string, t Table) error {
	for lo := 0; lo < t.Rows; lo += copyChunk {
		hi := min(lo+copyChunk, t.Rows)
		err := r.shortTx(ctx, func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{schema, t.Name}, t.Columns,
				pgx.CopyFromSlice(hi-lo, func(i int) ([]any, error) { return t.Values(lo + i), nil }))
			return err
		})
		if err != nil {
			return fmt.Errorf("copy rows %d to %d of %s: %w", lo, hi, t.Name, err)
		}
	}
	return nil
}

// shortTx runs fn in a transaction on the rebuild schema. The schema only
// becomes visible in the swap, which commits synchronously; losing an
// unflushed transaction in a server crash only makes the rebuild fail and
// start over.
func (r *Runner) shortTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		return fn(tx)
	})
}

// dropIndexes drops the indexes of schema's tables that back no constraint
// and returns the statements that create them again, as PostgreSQL itself
// writes them (pg_get_indexdef), so the rebuilt indexes are those Setup
// made, by name and definition.
func dropIndexes(ctx context.Context, tx pgx.Tx, schema string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`, schema)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", schema, err)
	}
	type index struct{ name, def string }
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
		var ix index
		err := row.Scan(&ix.name, &ix.def)
		return ix, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", schema, err)
	}
	defs := make([]string, len(list))
	for i, ix := range list {
		if _, err := tx.Exec(ctx, `DROP INDEX `+pgx.Identifier{schema, ix.name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", ix.name, err)
		}
		defs[i] = ix.def
	}
	return defs, nil
}

// analyze gathers planner statistics for every table in schema, so that
// the first queries on the swapped-in tables are planned for their size.
func (r *Runner) analyze(ctx context.Context, schema string) error {
	rows, err := r.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", schema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", schema, err)
	}
	for _, t := range tables {
		if _, err := r.pool.Exec(ctx, `ANALYZE `+pgx.Identifier{schema, t}.Sanitize()); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}
