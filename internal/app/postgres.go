package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultDatabaseURL is used when DATABASE_URL is not set: the local
// server, database channeldesk.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/channeldesk?sslmode=disable"

// OpenPostgres connects to url, creating its database first if it does not
// exist. Errors are one line that says what to do.
func OpenPostgres(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := createDatabase(cctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unreachable(cfg.ConnConfig, err)
	}
	if err := pool.Ping(cctx); err != nil {
		pool.Close()
		return nil, unreachable(cfg.ConnConfig, err)
	}
	return pool, nil
}

// createDatabase creates cc.Database if it is missing, connecting to the
// server's postgres database to do so.
func createDatabase(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		conn.Close(ctx)
		return nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return unreachable(cc, err)
	}
	admin := cc.Copy()
	admin.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return unreachable(admin, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	if err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("create database %s: %w (the DATABASE_URL user needs CREATEDB, or create it yourself)", cc.Database, err)
	}
	return nil
}

func isDuplicateDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P04"
}

func unreachable(cc *pgx.ConnConfig, err error) error {
	addr := net.JoinHostPort(cc.Host, fmt.Sprint(cc.Port))
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s (database %s): %s — start PostgreSQL (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or point DATABASE_URL at a running server", addr, cc.Database, msg)
}
