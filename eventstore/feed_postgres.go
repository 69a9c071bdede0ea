package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Filter selects events by stream category and event type. An empty
// Categories selects every category, an empty Types every type; both given,
// an event must match one of each.
type Filter struct {
	Categories []string
	Types      []string
}

// IsZero reports whether f selects every event.
func (f Filter) IsZero() bool { return len(f.Categories) == 0 && len(f.Types) == 0 }

// FeedPage is one read of the feed (see ReadFeed).
type FeedPage struct {
	// Events are the selected events, in position order.
	Events []Event
	// Next is the position the read got to: every event the filter selects
	// at or below it is in Events or was in an earlier page. Read the next
	// page after it. It is at least the position read after, and may be
	// past the last event of Events (the read walked over events the filter
	// does not select, or reached the horizon).
	Next Position
	// CaughtUp reports that the read reached the horizon: nothing selected
	// above Next had committed when it ran. A follower waits before it
	// reads again; a reader of what is there now stops.
	CaughtUp bool
}

// feedScanFactor bounds the events a filtered read walks over, as a
// multiple of its limit: a filter that selects few events would otherwise
// make one read walk the whole log. Events has no index by category or
// type (every index costs every append), so a read walks positions.
const feedScanFactor = 20

// ReadFeed returns up to limit events above after that f selects, in
// position order, never passing over an event that may still commit: it
// reads below the horizon as ReadAll does, so a reader that resumes after
// FeedPage.Next (or after the last event it received) misses nothing and
// receives nothing twice. A filtered read walks at most feedScanFactor ×
// limit events; a page may therefore be empty and not caught up, its Next
// past after: read on from Next. Memory is bounded by limit, not by the
// log.
func (s *Store) ReadFeed(ctx context.Context, after Position, f Filter, limit int) (FeedPage, error) {
	if limit <= 0 {
		limit = 1000
	}
	h, err := s.Horizon(ctx)
	if err != nil {
		return FeedPage{}, err
	}
	// Everything below the horizon is final; the read covers at most up to
	// h - 1 (or nothing, when after is at or past it).
	top := max(after, h-1)
	if f.IsZero() {
		evs, err := s.readRange(ctx, after, h, limit)
		if err != nil {
			return FeedPage{}, err
		}
		if len(evs) == limit {
			return FeedPage{Events: evs, Next: evs[len(evs)-1].Position}, nil
		}
		return FeedPage{Events: evs, Next: top, CaughtUp: true}, nil
	}
	// The bound: the last position of the next scan events below the
	// horizon, or the horizon itself when fewer are left.
	scan := int64(limit) * feedScanFactor
	bound, caughtUp := top, true
	var p Position
	err = s.pool.QueryRow(ctx, `SELECT position FROM events WHERE position > $1 AND position < $2
		ORDER BY position OFFSET $3 LIMIT 1`, after, h, scan-1).Scan(&p)
	switch {
	case err == nil:
		bound, caughtUp = p, false
	case !errors.Is(err, pgx.ErrNoRows):
		return FeedPage{}, fmt.Errorf("read feed from %d: %w", after, err)
	}
	var where strings.Builder
	args := []any{eventFormats, after, bound, limit}
	where.WriteString(`position > $1 AND position <= $2`)
	if len(f.Categories) > 0 {
		args = append(args, f.Categories)
		where.WriteString(` AND category = ANY($` + strconv.Itoa(len(args)-1) + `)`)
	}
	if len(f.Types) > 0 {
		args = append(args, f.Types)
		where.WriteString(` AND event_type = ANY($` + strconv.Itoa(len(args)-1) + `)`)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE `+where.String()+
		` ORDER BY position LIMIT $3`, args...)
	if err != nil {
		return FeedPage{}, fmt.Errorf("read feed from %d: %w", after, err)
	}
	evs, err := collectEvents(rows, limit)
	if err != nil {
		return FeedPage{}, fmt.Errorf("read feed from %d: %w", after, err)
	}
	if len(evs) == limit {
		return FeedPage{Events: evs, Next: evs[len(evs)-1].Position}, nil
	}
	return FeedPage{Events: evs, Next: bound, CaughtUp: caughtUp}, nil
}

// PositionBefore returns the position of the last event below pos, 0 when
// there is none. A republish gives it as the previous position of its first
// event, as the relay did.
func (s *Store) PositionBefore(ctx context.Context, pos Position) (Position, error) {
	var p Position
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events WHERE position < $1`, pos).Scan(&p)
	if err != nil {
		return 0, fmt.Errorf("position before %d: %w", pos, err)
	}
	return p, nil
}
