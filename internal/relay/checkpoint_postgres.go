package relay

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationTable is the table in which goose records the relay's schema
// version.
const MigrationTable = "goose_relay"

// Migrate applies the relay's pending schema migrations (its checkpoint
// table). It is safe to call from several processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Up(ctx, pool, migrations, MigrationTable)
}

// checkpoints reads and writes one relay's row of relay_checkpoint.
type checkpoints struct {
	pool *pgxpool.Pool
	name string
}

func (c checkpoints) load(ctx context.Context) (eventstore.Position, error) {
	var pos eventstore.Position
	err := c.pool.QueryRow(ctx, `SELECT position FROM relay_checkpoint WHERE name = $1`, c.name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", c.name, err)
	}
	return pos, nil
}

// save moves the checkpoint forward to pos, adding n to the count of
// published events. A position at or below the recorded one is ignored, so
// that a relay that lost its lock and saves late cannot move it back.
func (c checkpoints) save(ctx context.Context, pos eventstore.Position, n int) error {
	_, err := c.pool.Exec(ctx, `INSERT INTO relay_checkpoint AS c (name, position, published, updated_at)
		VALUES ($1, $2, $3, now())
		ON CONFLICT (name) DO UPDATE SET position = excluded.position,
			published = c.published + excluded.published, updated_at = excluded.updated_at
		WHERE c.position < excluded.position`, c.name, pos, n)
	if err != nil {
		return fmt.Errorf("save checkpoint %s at %d: %w", c.name, pos, err)
	}
	return nil
}
