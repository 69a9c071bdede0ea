package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// The read models queries use, by projection name.
const customersModel = "customers"

// page is the body of every list: items and, except on the last page, the
// cursor of the next.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Paging limits of API.md.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// wholeNumber reads a whole number written as a client should: decimal
// digits, no sign, no leading zero (other than "0" itself), at most an
// int64. "+3", "007", " 3" and "3.0" are not.
func wholeNumber(v string) (int64, bool) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" || len(v) > 1 && v[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func limitParam(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, ok := wholeNumber(v)
	if !ok {
		return 0, badParam("limit", "must be a whole number from 1 to %d", maxLimit)
	}
	if n < 1 || n > maxLimit {
		return 0, badParam("limit", "must be from 1 to %d", maxLimit)
	}
	return int(n), nil
}

// onlyParams refuses unknown and repeated query parameters, so that a typo
// does not silently widen a search, and values that are not text (invalid
// UTF-8, NUL), which PostgreSQL refuses to compare.
func onlyParams(q url.Values, allowed ...string) error {
	var unknown []string
	for k, vs := range q {
		for _, v := range vs {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return badParam(k, "must be UTF-8 text without NUL characters")
			}
		}
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
			}
		}
		if !known {
			unknown = append(unknown, k)
			continue
		}
		if len(vs) > 1 {
			return badParam(k, "must be given once")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return badParam(unknown[0], "is not a parameter of this query (allowed: %s)", strings.Join(allowed, ", "))
	}
	return nil
}

// waitMinPosition honours min_position: it waits until every named read
// model (all, if none are named) has applied that position, for at most
// Config.StaleAfter.
func (s *Server) waitMinPosition(r *http.Request, models ...string) error {
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
	err := s.cfg.Reads.WaitFor(ctx, eventstore.Position(n), models...)
	if errors.Is(err, projections.ErrStale) || errors.Is(err, context.DeadlineExceeded) {
		return &staleError{pos: eventstore.Position(n)}
	}
	return err
}
