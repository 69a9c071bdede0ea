package projections

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/leader"
	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationTable is the table in which goose records the version of the
// projection runtime's own schema (the checkpoints).
const MigrationTable = "goose_projections"

// Migrate creates or upgrades the checkpoint table. It is safe to call from
// several processes at once. Each projection's own tables are created by
// the Runner (Setup), not here.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("projection migrations: %w", err)
	}
	return pgmigrate.Up(ctx, pool, sub, MigrationTable)
}

// ensureLive makes sure the projection has a checkpoint row and a set-up
// live schema, and clears the state a crashed rebuild left. The schema is
// created and set up in one transaction that holds the checkpoint row, so it
// exists only set up, and never appears while a rebuild swaps schemas.
func ensureLive(ctx context.Context, pool *pgxpool.Pool, p Projection) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, state, err := lockCheckpoint(ctx, tx, p.Name())
		if err != nil {
			return err
		}
		if state == StateRebuilding {
			// A rebuild that crashed leaves its mark; the live schema is
			// intact and serving.
			running, err := rebuildRunning(ctx, pool, p.Name())
			if err != nil {
				return err
			}
			if !running {
				if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET state = 'live', updated_at = now()
					WHERE name = $1`, p.Name()); err != nil {
					return fmt.Errorf("clear crashed rebuild of %s: %w", p.Name(), err)
				}
			}
		}
		exists, err := schemaExists(ctx, tx, Schema(p.Name()))
		if err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT version FROM projection_checkpoints WHERE name = $1`, p.Name()).Scan(&version); err != nil {
			return fmt.Errorf("read version of %s: %w", p.Name(), err)
		}
		want := versionOf(p)
		if exists && version == want {
			return nil
		}
		if exists {
			// Set up with another shape: start afresh.
			if _, err := tx.Exec(ctx, `DROP SCHEMA `+ident(Schema(p.Name()))+` CASCADE`); err != nil {
				return fmt.Errorf("drop %s of version %d: %w", p.Name(), version, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET version = $2 WHERE name = $1`, p.Name(), want); err != nil {
			return fmt.Errorf("record version of %s: %w", p.Name(), err)
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident(Schema(p.Name()))); err != nil {
			return fmt.Errorf("create schema for %s: %w", p.Name(), err)
		}
		if err := p.Setup(ctx, tx, Schema(p.Name())); err != nil {
			return fmt.Errorf("set up %s: %w", p.Name(), err)
		}
		// Empty tables hold no event, whatever a checkpoint left from a
		// dropped schema says.
		if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = 0, state = 'starting',
			updated_at = now() WHERE name = $1 AND position <> 0`, p.Name()); err != nil {
			return fmt.Errorf("reset checkpoint of %s: %w", p.Name(), err)
		}
		return nil
	})
}

// lockCheckpoint creates the projection's checkpoint row if missing and
// locks it for the rest of tx. Whoever holds it may write the live schema
// and move the checkpoint: live projectors and the rebuild swap serialise
// on it.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string) (eventstore.Position, string, error) {
	var pos eventstore.Position
	var state string
	for range 2 {
		err := tx.QueryRow(ctx, `SELECT position, state FROM projection_checkpoints
			WHERE name = $1 FOR UPDATE`, name).Scan(&pos, &state)
		if err == nil {
			return pos, state, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, "", fmt.Errorf("lock checkpoint %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1)
			ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return 0, "", fmt.Errorf("create checkpoint %s: %w", name, err)
		}
	}
	return 0, "", fmt.Errorf("lock checkpoint %s: row vanished", name)
}

// advance moves the checkpoint of a live projector. A rebuild in progress
// keeps its state.
func advance(ctx context.Context, tx pgx.Tx, name string, pos eventstore.Position) error {
	_, err := tx.Exec(ctx, `UPDATE projection_checkpoints
		SET position = $2, updated_at = now(),
			state = CASE WHEN state = 'rebuilding' THEN state ELSE 'live' END
		WHERE name = $1`, name, pos)
	if err != nil {
		return fmt.Errorf("advance checkpoint %s to %d: %w", name, pos, err)
	}
	return nil
}

func schemaExists(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, schema string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up schema %s: %w", schema, err)
	}
	return ok, nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// rebuildLockKey is the advisory lock a rebuild holds for as long as it
// runs, so that two rebuilds of one projection never overlap and Status can
// tell a running rebuild from one that crashed.
func rebuildLockKey(name string) int64 { return leader.Key("projection-rebuild:" + name) }

// rebuildRunning reports whether some session of this database holds the
// rebuild lock of name.
func rebuildRunning(ctx context.Context, pool *pgxpool.Pool, name string) (bool, error) {
	key := uint64(rebuildLockKey(name))
	var held bool
	// A bigint advisory key shows in pg_locks split into classid (high 32
	// bits) and objid (low 32 bits), with objsubid 1.
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid = $1::bigint::oid AND objid = $2::bigint::oid)`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("look up rebuild of %s: %w", name, err)
	}
	return held, nil
}

// checkpoints returns the checkpoint and state of each named projection
// that has a row.
func checkpoints(ctx context.Context, pool *pgxpool.Pool, names []string) (map[string]checkpoint, error) {
	rows, err := pool.Query(ctx, `SELECT name, position, state FROM projection_checkpoints
		WHERE name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (checkpoint, error) {
		var c checkpoint
		err := r.Scan(&c.name, &c.pos, &c.state)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	m := make(map[string]checkpoint, len(list))
	for _, c := range list {
		m[c.name] = c
	}
	return m, nil
}

type checkpoint struct {
	name  string
	pos   eventstore.Position
	state string
}
