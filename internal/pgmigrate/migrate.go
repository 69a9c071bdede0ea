package pgmigrate

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Up applies every pending migration found in fsys (the *.sql files in its
// "migrations" directory if it has one, as a //go:embed migrations/*.sql
// gives, else at its root), recording versions in the table named versionTable. It is safe to
// call from several processes at once: a PostgreSQL session lock serialises
// them, and migrations already applied are skipped.
func Up(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, versionTable string) error {
	fsys, err := migrationsDir(fsys)
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(versionTable)))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(versionTable),
		goose.WithSessionLocker(locker),
	)
	if err != nil {
		return fmt.Errorf("load migrations for %s: %w", versionTable, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", versionTable, err)
	}
	return nil
}

// Pending reports whether fsys holds migrations not yet applied.
func Pending(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, versionTable string) (bool, error) {
	fsys, err := migrationsDir(fsys)
	if err != nil {
		return false, err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithTableName(versionTable))
	if err != nil {
		return false, fmt.Errorf("load migrations for %s: %w", versionTable, err)
	}
	return p.HasPending(ctx)
}

// lockID derives a stable advisory-lock key per version table, so that
// different packages migrating at once do not wait on each other.
func lockID(name string) int64 {
	var h int64 = 1469598103934665603 >> 1
	for i := 0; i < len(name); i++ {
		h = (h ^ int64(name[i])) * 1099511628211
	}
	if h < 0 {
		h = -h
	}
	return h
}

func migrationsDir(fsys fs.FS) (fs.FS, error) {
	if st, err := fs.Stat(fsys, "migrations"); err == nil && st.IsDir() {
		return fs.Sub(fsys, "migrations")
	}
	return fsys, nil
}
