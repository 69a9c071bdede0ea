package bench

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// Figure 5: rebuilding the customer list from the store against a COPY of
// the rows the rebuild produced into a table of the same definition.

func rebuildFigure(ctx context.Context, e *env) ([]Row, error) {
	db, err := e.freshDB(ctx, 8)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	n := e.sizes.RebuildEvents
	if err := preload(ctx, db.Pool, db.Store, n, e.progress); err != nil {
		return nil, err
	}
	runner, err := projections.NewRunner(db.Pool, db.Store, nil,
		projections.Config{Topology: broker.Default(), Logger: e.cfg.Logger}, customers.New())
	if err != nil {
		return nil, err
	}
	runtime.GC() // the preload's garbage is not the rebuild's
	start := time.Now()
	if err := runner.Rebuild(ctx, customers.Name); err != nil {
		return nil, err
	}
	ours := time.Since(start)
	e.progress("  rebuild: %.0f events/s", float64(n)/ours.Seconds())

	table := pgx.Identifier{customers.Schema, "customers"}.Sanitize()
	rows, err := db.Pool.Query(ctx, `SELECT * FROM `+table)
	if err != nil {
		return nil, fmt.Errorf("read rebuilt rows: %w", err)
	}
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	values, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		return nil, fmt.Errorf("read rebuilt rows: %w", err)
	}
	if want := n - n/2; len(values) != want {
		return nil, fmt.Errorf("rebuilt customer list has %d rows, want %d", len(values), want)
	}
	if err := checkRenamed(ctx, db.Pool, n/2); err != nil {
		return nil, err
	}
	if _, err := db.Pool.Exec(ctx, `CREATE SCHEMA `+rawSchema+`;
		CREATE TABLE `+rawSchema+`.customers (LIKE `+table+` INCLUDING ALL)`); err != nil {
		return nil, fmt.Errorf("create baseline table: %w", err)
	}
	_, _ = db.Pool.Exec(ctx, `CHECKPOINT`) // the rebuild's writes, not the baseline's, pay for it
	runtime.GC()
	start = time.Now()
	copied, err := db.Pool.CopyFrom(ctx, pgx.Identifier{rawSchema, "customers"}, cols, pgx.CopyFromRows(values))
	if err != nil {
		return nil, fmt.Errorf("copy rows: %w", err)
	}
	raw := time.Since(start)
	if int(copied) != len(values) {
		return nil, fmt.Errorf("copied %d rows of %d", copied, len(values))
	}
	e.progress("  COPY of %d rows: %s, %.0f events/s equivalent", copied, raw.Round(time.Millisecond), float64(n)/raw.Seconds())
	return []Row{{
		Figure: fmt.Sprintf("5. rebuild of the customer list from %d events (%d rows)", n, len(values)),
		Ours:   float64(n) / ours.Seconds(), Raw: float64(n) / raw.Seconds(), Unit: "events/s",
		Target: Target{MinRatio: 0.5, Min: 50_000},
	}}, nil
}

// checkRenamed makes sure the rebuild applied the renames, not only the
// registrations.
func checkRenamed(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, want int) error {
	var got int
	err := q.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{customers.Schema, "customers"}.Sanitize()+`
		WHERE cardinality(former_names) > 0`).Scan(&got)
	if err != nil {
		return fmt.Errorf("count renamed customers: %w", err)
	}
	if got != want {
		return fmt.Errorf("rebuilt customer list has %d renamed customers, want %d", got, want)
	}
	return nil
}
