package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Problem is an RFC 9457 problem detail with channeldesk's stable code.
type Problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail,omitempty"`
	Code   string                `json:"code"`
	Errors []domain.FieldProblem `json:"errors,omitempty"`
	// RetryAfter is when an embargo_hold denial may be retried (RFC 3339,
	// UTC), while the 6-hour wait applies.
	RetryAfter    string `json:"retry_after,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	// retryAfter is the Retry-After header, in seconds.
	retryAfter int
}

// requestError is an error in the request itself (malformed JSON, unknown
// field, bad parameter): code invalid_request.
type requestError struct {
	status int
	detail string
	fields []domain.FieldProblem
}

func (e *requestError) Error() string { return e.detail }

func badRequest(detail string, fields ...domain.FieldProblem) error {
	return &requestError{status: http.StatusBadRequest, detail: detail, fields: fields}
}

func badParam(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return badRequest("query parameter "+name+": "+msg, domain.FieldProblem{Field: name, Message: msg})
}

// staleError: min_position was not reached in time.
type staleError struct{ pos eventstore.Position }

func (e *staleError) Error() string {
	return fmt.Sprintf("the read model has not yet reached position %d; retry shortly", e.pos)
}

var errUnauthenticated = errors.New("a valid bearer token is required (Authorization: Bearer <token>)")

// problemFor maps an error to its problem. This is the one place where
// errors become HTTP statuses.
func problemFor(err error) Problem {
	var (
		re *requestError
		ve *domain.ValidationError
		ru *domain.RuleError
		fe *domain.ForbiddenError
		se *staleError
		ee *embargoError
		rl *rateLimitedError
	)
	switch {
	case errors.As(err, &re):
		return Problem{Status: re.status, Code: "invalid_request", Title: "Invalid request", Detail: re.detail, Errors: re.fields}
	case errors.Is(err, command.ErrIdempotencyMismatch):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_request", Title: "Idempotency key reused",
			Detail: "this Idempotency-Key was already used with a different request; use a new key for a new request"}
	case errors.As(err, &ve):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Title: "Validation failed", Detail: ve.Error(), Errors: ve.Problems}
	case errors.As(err, &ee):
		p := Problem{Status: http.StatusForbidden, Code: "embargo_hold", Title: "Embargo hold", Detail: ee.Error()}
		if !ee.retryAfter.IsZero() {
			p.RetryAfter = ee.retryAfter.UTC().Format(time.RFC3339)
			p.retryAfter = max(1, int(math.Ceil(time.Until(ee.retryAfter).Seconds())))
			p.Detail += "; the mandatory 6-hour wait after a denial ends at " + p.RetryAfter
		}
		return p
	case errors.As(err, &ru) && (ru.Rule == "account.embargo_hold" || ru.Rule == "partner.embargo_hold"):
		// Access denied while compliance verifies a restricted-party match:
		// a denial, not a business rule the caller could satisfy.
		return Problem{Status: http.StatusForbidden, Code: "embargo_hold", Title: "Embargo hold", Detail: ru.Detail}
	case errors.As(err, &ru):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "rule_violation", Title: "Business rule violated", Detail: ru.Detail + " (rule " + ru.Rule + ")"}
	case errors.As(err, &fe):
		return Problem{Status: http.StatusForbidden, Code: "forbidden", Title: "Forbidden", Detail: fe.Reason}
	case errors.Is(err, domain.ErrNotFound), errors.Is(err, readmodel.ErrNotFound):
		return Problem{Status: http.StatusNotFound, Code: "not_found", Title: "Not found", Detail: "no such resource"}
	case errors.Is(err, domain.ErrDuplicate):
		return Problem{Status: http.StatusConflict, Code: "duplicate", Title: "Duplicate", Detail: "it already exists"}
	case errors.Is(err, eventstore.ErrConflict):
		return Problem{Status: http.StatusConflict, Code: "conflict", Title: "Concurrent change",
			Detail: "the resource was changed by someone else at the same time; retry the request"}
	case errors.Is(err, readmodel.ErrBadCursor):
		return Problem{Status: http.StatusBadRequest, Code: "invalid_request", Title: "Invalid request", Detail: "the cursor is not one this server issued",
			Errors: []domain.FieldProblem{{Field: "cursor", Message: "malformed or forged cursor"}}}
	case errors.Is(err, readmodel.ErrBadFilter):
		return Problem{Status: http.StatusBadRequest, Code: "invalid_request", Title: "Invalid request", Detail: err.Error()}
	case errors.Is(err, readmodel.ErrBadLimit):
		return Problem{Status: http.StatusBadRequest, Code: "invalid_request", Title: "Invalid request", Detail: "limit must be from 1 to 500",
			Errors: []domain.FieldProblem{{Field: "limit", Message: "must be from 1 to 500"}}}
	case errors.Is(err, errUnauthenticated), errors.Is(err, auth.ErrUnauthenticated):
		return Problem{Status: http.StatusUnauthorized, Code: "unauthenticated", Title: "Unauthenticated", Detail: errUnauthenticated.Error()}
	case errors.As(err, &rl):
		return Problem{Status: http.StatusTooManyRequests, Code: "rate_limited", Title: "Too many requests", Detail: rl.Error(), retryAfter: rl.retryAfter()}
	case errors.As(err, &se), errors.Is(err, projections.ErrStale):
		return Problem{Status: http.StatusServiceUnavailable, Code: "stale", Title: "Read model behind", Detail: err.Error(), retryAfter: 1}
	case errors.As(err, new(*unreadableEventError)):
		// Our data, not the request: an internal error, said plainly, as
		// the client can read on (shape=stored, or after the position).
		return Problem{Status: http.StatusInternalServerError, Code: "internal", Title: "Unreadable event", Detail: err.Error()}
	case errors.Is(err, context.Canceled):
		return Problem{Status: 499, Code: "canceled", Title: "Request canceled"}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "internal", Title: "Internal error",
		Detail: "something went wrong on our side; quote the correlation ID when reporting it"}
}

// writeProblem answers with err as problem+json; internal errors are
// logged, never shown.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Type = "urn:channeldesk:problem:" + p.Code
	p.CorrelationID = correlationID(r.Context())
	if p.Status >= 500 && p.Code != "stale" {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("error", err.Error()),
			slog.String("correlation_id", p.CorrelationID), slog.String("path", logPath(r.URL.Path)))
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	writeJSONType(w, p.Status, "application/problem+json", p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json", v)
}

func writeJSONType(w http.ResponseWriter, status int, ctype string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, ctype = http.StatusInternalServerError, "application/problem+json"
		b = []byte(`{"type":"urn:channeldesk:problem:internal","title":"Internal error","status":500,"code":"internal"}`)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
