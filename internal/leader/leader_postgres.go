package leader

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Key returns the advisory-lock key of a named component.
func Key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("channeldesk:" + name))
	return int64(h.Sum64())
}

// Config tunes Run.
type Config struct {
	// Retry is how long a follower waits before trying the lock again,
	// and how long Run pauses after fn failed. Default 1s.
	Retry time.Duration
	// Check is how often the holder verifies that its lock connection is
	// alive. Default 1s.
	Check time.Duration
	// OnError is told about errors that Run retries. Optional.
	OnError func(error)
}

// Run runs fn whenever this process holds the lock named name, until ctx
// ends. fn's context is cancelled when ctx ends or the lock connection dies
// (the lock is then lost to another process); fn must stop promptly. If fn
// returns before that, the lock is released and Run tries again after
// Config.Retry. Run returns ctx's error.
func Run(ctx context.Context, pool *pgxpool.Pool, name string, cfg Config, fn func(ctx context.Context) error) error {
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	if cfg.Check <= 0 {
		cfg.Check = time.Second
	}
	report := func(err error) {
		if cfg.OnError != nil && err != nil && !errors.Is(err, context.Canceled) {
			cfg.OnError(fmt.Errorf("%s: %w", name, err))
		}
	}
	for {
		held, err := hold(ctx, pool, name, cfg.Check, fn)
		if err != nil {
			report(err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if held && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.Retry):
		}
	}
}

// hold tries the lock once; when it gets it, it runs fn while watching the
// connection.
func hold(ctx context.Context, pool *pgxpool.Pool, name string, check time.Duration, fn func(context.Context) error) (bool, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	key := Key(name)
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Release()
		return false, err
	}
	if !got {
		conn.Release()
		return false, nil
	}
	workCtx, cancel := context.WithCancel(ctx)
	lost := make(chan error, 1)
	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		t := time.NewTicker(check)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if _, err := conn.Exec(workCtx, `SELECT 1`); err != nil && workCtx.Err() == nil {
					lost <- fmt.Errorf("lock connection lost: %w", err)
					cancel()
					return
				}
			}
		}
	}()
	err = fn(workCtx)
	close(done)
	<-watcher // the connection is not safe for concurrent use
	cancel()
	select {
	case lerr := <-lost:
		conn.Conn().Close(context.Background())
		conn.Release()
		return true, lerr
	default:
	}
	unlockCtx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer c2()
	if _, uerr := conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, key); uerr != nil {
		// A connection that cannot unlock must not go back to the pool
		// still holding the lock.
		conn.Conn().Close(unlockCtx)
	}
	conn.Release()
	return true, err
}
