package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
)

// EventFeed reads the event store for GET /v1/events
// (eventstore.Store.ReadFeed and Horizon).
type EventFeed interface {
	ReadFeed(ctx context.Context, after eventstore.Position, f eventstore.Filter, limit int) (eventstore.FeedPage, error)
	Horizon(ctx context.Context) (eventstore.Position, error)
}

// The feed's pacing (Config.FeedPoll and FeedHeartbeat default to these).
const (
	// defaultFeedPoll is how long a follower waits, once caught up, before
	// it reads the store again.
	defaultFeedPoll = 250 * time.Millisecond
	// defaultFeedHeartbeat is how often an idle Server-Sent Events stream
	// sends a comment, so that proxies keep the connection open.
	defaultFeedHeartbeat = 15 * time.Second
	// feedBatch is how many events the feed reads, writes and flushes at a
	// time: its memory does not grow with the log.
	feedBatch = 500
	// feedWriteTimeout bounds each write of a stream; it replaces the
	// server's WriteTimeout, which would cut a long follow.
	feedWriteTimeout = time.Minute
	// maxFeedLimit is the largest limit (events of one response).
	maxFeedLimit = math.MaxInt32
)

// feedRoles are the staff roles that read the feed: the auditor (read-only,
// every party's records), integration (downstream systems, API.md) and admin.
var feedRoles = []domain.Role{domain.RoleAdmin, domain.RoleAuditor, domain.RoleIntegration}

// feedParams are the query parameters of GET /v1/events.
var feedParams = []string{"after", "category", "type", "limit", "follow", "shape", "min_position"}

// Known categories and types, from the event catalog, sorted.
var feedCategories, feedTypes = func() (cats, types []string) {
	for _, e := range catalog.Entries() {
		if !slices.Contains(cats, e.Category) {
			cats = append(cats, e.Category)
		}
		if !slices.Contains(types, e.Type) {
			types = append(types, e.Type)
		}
	}
	slices.Sort(cats)
	slices.Sort(types)
	return cats, types
}()

// feedRequest is a parsed GET /v1/events.
type feedRequest struct {
	after  eventstore.Position
	filter eventstore.Filter
	limit  int // 0: no limit
	follow bool
	sse    bool
	// current: each event's data upcast to the current version of its
	// type (shape=current), schema_version saying which; otherwise the
	// version that was written, as NATS carries it.
	current bool
}

// parseFeed reads the parameters; Last-Event-ID (sent by an EventSource
// reconnecting) takes the place of after.
func parseFeed(r *http.Request) (feedRequest, error) {
	q := r.URL.Query()
	var f feedRequest
	if err := onlyParams(q, feedParams...); err != nil {
		return f, err
	}
	for _, name := range []string{"after", "limit", "follow", "shape", "min_position"} {
		// Present but empty is a mistake, not "the default": limit= must
		// not mean no limit.
		if q.Has(name) && q.Get(name) == "" {
			return f, badParam(name, "must not be empty: leave the parameter out for its default")
		}
	}
	f.sse = acceptsEventStream(r.Header.Get("Accept"))
	if v := q.Get("after"); v != "" {
		n, ok := wholeNumber(v)
		if !ok {
			return f, badParam("after", "must be a position (a non-negative whole number)")
		}
		f.after = eventstore.Position(n)
	}
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, ok := wholeNumber(v)
		if !ok {
			return f, badRequest("header Last-Event-ID: must be a position (a non-negative whole number)",
				domain.FieldProblem{Field: "Last-Event-ID", Message: "must be a position (a non-negative whole number)"})
		}
		f.after = eventstore.Position(n)
	}
	var err error
	if f.filter.Categories, err = feedList(q, "category", "category", feedCategories); err != nil {
		return f, err
	}
	if f.filter.Types, err = feedList(q, "type", "event type", feedTypes); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		n, ok := wholeNumber(v)
		if !ok || n < 1 || n > maxFeedLimit {
			return f, badParam("limit", "must be a whole number from 1 to %d", maxFeedLimit)
		}
		f.limit = int(n)
	}
	f.follow = f.sse
	switch q.Get("follow") {
	case "":
	case "true":
		f.follow = true
	case "false":
		f.follow = false
	default:
		return f, badParam("follow", "must be true or false")
	}
	switch q.Get("shape") {
	case "", "stored":
	case "current":
		f.current = true
	default:
		return f, badParam("shape", "must be stored (as written, the default) or current (upcast to the current version)")
	}
	return f, nil
}

// feedList reads a comma-separated list of known values; nil when absent.
func feedList(q map[string][]string, name, what string, known []string) ([]string, error) {
	vs := q[name]
	if len(vs) == 0 {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(vs[0], ",") {
		if !slices.Contains(known, v) {
			if len(v) > 100 {
				v = v[:100] + "…"
			}
			return nil, badParam(name, "unknown %s %q (known: %s)", what, v, strings.Join(known, ", "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// acceptsEventStream reports whether the Accept header asks for
// text/event-stream: listed with a quality above 0 (RFC 9110, 12.4.2; a
// q of 0 means "not acceptable").
func acceptsEventStream(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
			continue
		}
		acceptable := true
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				qv, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				acceptable = err == nil && qv > 0
			}
		}
		if acceptable {
			return true
		}
	}
	return false
}

// eventFeed: GET /v1/events — the store's events in position order, each
// with its full envelope exactly as the relay publishes it to NATS (the
// JSON of eventstore.Event.AppendJSON; personal data sealed as stored, so
// a forgotten person's stays unreadable). As NDJSON, one event a line, or
// as Server-Sent Events (Accept: text/event-stream), one event per message
// with its position as the id and its type as the event name.
//
// The feed is gap-free and resumable: it reads as the relay does, below
// the horizon (eventstore.Store.ReadFeed), so a reader that reconnects with
// after (or Last-Event-ID) set to the last position it received gets every
// later event once. Without follow the response ends once it has sent what
// had committed; with follow (the default for Server-Sent Events) it stays
// open and sends events as they commit, until the client goes, the server
// shuts down, or limit events were sent. A read failure once events were
// sent aborts the response, so that a cut-off feed is never taken for a
// whole one.
func (s *Server) eventFeed(w http.ResponseWriter, r *http.Request) error {
	if !principal(r.Context()).IsStaffWith(feedRoles...) {
		return domain.Forbidden("only admin, auditor or integration staff may read the event feed")
	}
	f, err := parseFeed(r)
	if err != nil {
		return err
	}
	if s.cfg.Events == nil {
		return errors.New("event feed: no event store configured")
	}
	if err := s.waitHorizon(r); err != nil {
		return err
	}
	ctx := r.Context()
	batch := func(sent int) int {
		if f.limit > 0 {
			return min(feedBatch, f.limit-sent)
		}
		return feedBatch
	}
	// The first read before the answer's header: a failure is still a
	// problem, not a cut stream; so is a first event that cannot be shown
	// in the shape asked for.
	page, err := s.cfg.Events.ReadFeed(ctx, f.after, f.filter, batch(0))
	if err != nil {
		return err
	}
	if f.current && len(page.Events) > 0 {
		up, err := upcastEvent(s.catalog, &page.Events[0])
		if err != nil {
			return &unreadableEventError{e: &page.Events[0], err: err}
		}
		page.Events[0] = *up // current now: the loop passes it through as it is
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	if f.sse {
		h.Set("Content-Type", "text/event-stream")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if f.follow {
		// A follower with nothing to read yet must still get its header:
		// a client waits for it before it reads a line.
		if err := rc.Flush(); err != nil {
			return nil
		}
	}

	var buf []byte
	if f.sse {
		// How long an EventSource waits before it reconnects.
		buf = append(buf, "retry: 2000\n\n"...)
	}
	sent := 0
	lastID := f.after // the last id sent (SSE)
	pos := f.after
	heartbeat := s.cfg.FeedHeartbeat
	if heartbeat <= 0 {
		heartbeat = defaultFeedHeartbeat
	}
	poll := s.cfg.FeedPoll
	if poll <= 0 {
		poll = defaultFeedPoll
	}
	lastWrite := time.Now()
	write := func() bool {
		if len(buf) == 0 {
			return true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(feedWriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return false
		}
		if err := rc.Flush(); err != nil {
			return false
		}
		buf, lastWrite = buf[:0], time.Now()
		return true
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		for i := range page.Events {
			e := &page.Events[i]
			if f.current {
				if e, err = upcastEvent(s.catalog, e); err != nil {
					// An event the code cannot read: never sent in a shape
					// it does not have. The events before it go out, so a
					// client resumes up to it, and asked again from there
					// it gets the problem before any header.
					s.log.Error("event feed aborted: upcast", "event", page.Events[i].ID, "position", int64(page.Events[i].Position), "error", err)
					write()
					panic(http.ErrAbortHandler)
				}
			}
			if f.sse {
				buf = append(buf, "id: "...)
				buf = strconv.AppendInt(buf, int64(e.Position), 10)
				buf = append(buf, "\nevent: "...)
				buf = append(buf, e.Type...)
				buf = append(buf, "\ndata: "...)
			}
			if buf, err = e.AppendJSON(buf); err != nil {
				// Not JSON in the store: never sent half-encoded.
				s.log.Error("event feed aborted: encode", "event", e.ID, "error", err)
				panic(http.ErrAbortHandler)
			}
			if f.sse {
				buf = append(buf, "\n\n"...)
				lastID = e.Position
			} else {
				buf = append(buf, '\n')
			}
		}
		sent += len(page.Events)
		pos = page.Next
		if !write() || (f.limit > 0 && sent >= f.limit) {
			return nil
		}
		if page.CaughtUp {
			if !f.follow {
				return nil
			}
			timer.Reset(poll)
			select {
			case <-ctx.Done():
				return nil
			case <-s.stop:
				return nil
			case <-timer.C:
			}
			if f.sse && time.Since(lastWrite) >= heartbeat {
				buf = append(buf, ": heartbeat\n"...)
				if pos > lastID {
					// An id without data moves the EventSource's
					// Last-Event-ID past the events a filter left out,
					// without dispatching an event.
					buf = append(buf, "id: "...)
					buf = strconv.AppendInt(buf, int64(pos), 10)
					buf = append(buf, '\n')
					lastID = pos
				}
				buf = append(buf, '\n')
				if !write() {
					return nil
				}
			}
		}
		// A page that is neither full nor caught up (a filtered read that
		// walked its scan) is read on at once.
		if page, err = s.cfg.Events.ReadFeed(ctx, pos, f.filter, batch(sent)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("event feed aborted", "error", err, "events", sent, "position", int64(pos))
			panic(http.ErrAbortHandler)
		}
	}
}

// waitHorizon honours min_position for the feed, which reads the store,
// not a read model: it waits until every transaction up to that position
// has finished, so that the feed includes it, for at most
// Config.StaleAfter.
func (s *Server) waitHorizon(r *http.Request) error {
	v := r.URL.Query().Get("min_position")
	if v == "" {
		return nil
	}
	n, ok := wholeNumber(v)
	if !ok {
		return badParam("min_position", "must be a position returned by a command (a non-negative whole number)")
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StaleAfter)
	defer cancel()
	for {
		h, err := s.cfg.Events.Horizon(ctx)
		if err == nil && h > eventstore.Position(n) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			if r.Context().Err() != nil {
				return r.Context().Err()
			}
			return &staleError{pos: eventstore.Position(n)}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// upcastEvent returns e with its data as the current version of its type
// (e itself when it is current).
func upcastEvent(c *catalog.Catalog, e *eventstore.Event) (*eventstore.Event, error) {
	v, data, err := c.Upcast(e.Type, e.SchemaVersion, e.Data)
	if err != nil {
		return nil, err
	}
	if v == e.SchemaVersion {
		return e, nil
	}
	up := *e
	up.SchemaVersion, up.Data = v, data
	return &up, nil
}

// unreadableEventError: the first event of a shape=current answer cannot
// be upcast to the current version of its type.
type unreadableEventError struct {
	e   *eventstore.Event
	err error
}

func (u *unreadableEventError) Error() string {
	return fmt.Sprintf("the event at position %d (%s, schema version %d) cannot be read as the current version of its type; "+
		"read it with shape=stored, or resume after it", int64(u.e.Position), u.e.Type, u.e.SchemaVersion)
}

func (u *unreadableEventError) Unwrap() error { return u.err }
