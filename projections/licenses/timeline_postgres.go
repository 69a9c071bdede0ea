package licenses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// CaseStep is one step of a case's timeline: one event of its stream.
type CaseStep struct {
	// At is when the step was taken (the event's occurred-at).
	At time.Time `json:"at"`
	// Step names it: opened, information_requested, information_provided,
	// approved, rejected, closed_unanswered, executed, execution_refused,
	// or the name of a case event type added later (its type without
	// "supportcase.").
	Step string `json:"step"`
	// EventType is the event's type, e.g. supportcase.opened.
	EventType string `json:"event_type"`
	// Actor is the principal who took the step (staff:system for the
	// timer that closes an unanswered case); OnBehalfOf whom it acted
	// for, "" when for itself.
	Actor      string `json:"actor"`
	OnBehalfOf string `json:"on_behalf_of"`
	// Detail is the event's payload without the case number and status:
	// what was asked, answered, noted, the reason, the deadline…
	Detail json.RawMessage `json:"detail"`
	// Position is the event's global position.
	Position eventstore.Position `json:"position"`
}

// ChangeEvent is an event another aggregate recorded in the same append as
// a step of the case (the change an approved case executed, e.g. the
// account.renamed of a rename case).
type ChangeEvent struct {
	ID       string              `json:"id"`
	Type     string              `json:"type"`
	Stream   string              `json:"stream"`
	Position eventstore.Position `json:"position"`
}

// CaseDetail is one case with its whole history.
type CaseDetail struct {
	Case
	// Timeline lists every step in the order taken.
	Timeline []CaseStep `json:"timeline"`
	// ChangeEvents lists, in position order, the events of other streams
	// appended by the same commands as the case's steps: what executing
	// the case changed. Empty until a step executes something.
	ChangeEvents []ChangeEvent `json:"change_events"`
}

// appendBlock is the span of positions one append's events share: the
// event store numbers them transaction ID << 20 plus their index in the
// append (eventstore's package documentation), so the events of the
// append that recorded position p lie in [p - p%appendBlock, that +
// appendBlock).
const appendBlock = int64(eventstore.MaxAppendEvents) + 1

// CaseTimeline returns case number as viewer may see it (exactly as
// ListCases shows it, judged at now with cal), with its timeline and the
// events its steps' commands recorded on other streams, read from the
// event store. A case viewer may not see, or that does not exist, is
// readmodel.ErrNotFound.
func CaseTimeline(ctx context.Context, q Querier, viewer domain.Principal, number string, now time.Time, cal *calendar.Calendar) (CaseDetail, error) {
	if !supportcase.ValidNumber(number) {
		return CaseDetail{}, readmodel.ErrNotFound
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where, ok, err := caseScope(ctx, q, viewer, "", arg)
	if err != nil {
		return CaseDetail{}, err
	}
	if !ok {
		return CaseDetail{}, readmodel.ErrNotFound
	}
	where = append(where, `c.case_number = `+arg(number))
	rows, err := q.Query(ctx, `SELECT `+caseListColumns+` FROM `+Schema+`.cases c WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: %w", number, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCase)
	if errors.Is(err, pgx.ErrNoRows) {
		return CaseDetail{}, readmodel.ErrNotFound
	}
	if err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: %w", number, err)
	}
	if now.IsZero() {
		now = time.Now()
	}
	c.judge(now.UTC(), cal)
	d := CaseDetail{Case: c, Timeline: []CaseStep{}, ChangeEvents: []ChangeEvent{}}

	rows, err = q.Query(ctx, `SELECT at, step, event_type, actor, on_behalf_of, detail, position
		FROM `+Schema+`.case_steps WHERE case_number = $1 ORDER BY position`, number)
	if err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: steps: %w", number, err)
	}
	var s CaseStep
	if _, err := pgx.ForEachRow(rows, []any{&s.At, &s.Step, &s.EventType, &s.Actor, &s.OnBehalfOf, &s.Detail, &s.Position}, func() error {
		st := s
		st.At = st.At.UTC()
		st.Detail = append(json.RawMessage(nil), s.Detail...)
		d.Timeline = append(d.Timeline, st)
		return nil
	}); err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: steps: %w", number, err)
	}

	// Each step's append is one short range of the events' primary key.
	rows, err = q.Query(ctx, `SELECT e.event_id::text, e.event_type, e.stream_id, e.position
		FROM `+Schema+`.case_steps s
		JOIN LATERAL (SELECT * FROM events e
			WHERE e.position >= s.position - s.position % $2 AND e.position < s.position - s.position % $2 + $2
			AND e.command_id = s.command_id AND e.stream_id <> $3) e ON true
		WHERE s.case_number = $1 AND s.command_id <> ''
		ORDER BY e.position`, number, appendBlock, supportcase.StreamID(number))
	if err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: change events: %w", number, err)
	}
	var ce ChangeEvent
	if _, err := pgx.ForEachRow(rows, []any{&ce.ID, &ce.Type, &ce.Stream, &ce.Position}, func() error {
		// Two steps of one command would list its events twice.
		if n := len(d.ChangeEvents); n == 0 || d.ChangeEvents[n-1].Position != ce.Position {
			d.ChangeEvents = append(d.ChangeEvents, ce)
		}
		return nil
	}); err != nil {
		return CaseDetail{}, fmt.Errorf("case %s: change events: %w", number, err)
	}
	return d, nil
}
