package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/activity"
)

// activityModel is the read model of the activity log's accepted commands.
const activityModel = activity.Name

// resourceTypes maps a path's first segment to the stream category its
// resource is recorded under (as the events' metadata names it).
var resourceTypes = map[string]string{
	"accounts": "account", "partners": "partner", "orders": "order", "contracts": "contract",
	"licenses": "license", "cases": "supportcase",
}

// refused records in the activity log a command of principal p that err
// refused or denied. The record is best effort: if it cannot be written,
// the answer still goes out and the failure is logged.
func (s *Server) refused(r *http.Request, p domain.Principal, op string, err error) {
	if s.cfg.Refusals == nil {
		return
	}
	pr := problemFor(err)
	status := activity.StatusRefused
	switch {
	case pr.Status >= 500:
		status = activity.StatusFailed
	case pr.Status == http.StatusForbidden:
		status = activity.StatusDenied
	case pr.Code == "invalid_request" || pr.Code == "validation_failed":
		status = activity.StatusInvalid
	}
	if op == "" {
		op = r.Pattern
	}
	rec := activity.Refusal{At: time.Now(), Actor: p.ID, Operation: op, Status: status, Code: pr.Code, Detail: pr.Detail,
		CorrelationID: correlationID(r.Context()), ClientIP: clientIP(r), UserAgent: userAgent(r)}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
	rec.ResourceType = resourceTypes[segs[0]]
	if len(segs) > 1 && rec.ResourceType != "" {
		rec.ResourceID = strings.ToValidUTF8(segs[1], "")
		if len(rec.ResourceID) > 100 {
			rec.ResourceID = rec.ResourceID[:100]
		}
		if rec.ResourceType == "account" {
			rec.CustomerID = rec.ResourceID
		}
	}
	// Recorded even when the client has gone: a refusal happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.cfg.Refusals.Record(ctx, rec); err != nil {
		s.log.Error("activity log: refusal not recorded", "operation", op, "actor", p.ID, "error", err)
	}
}

// activityParams are the filters of the activity log's queries.
var activityParams = []string{"from", "to", "customer", "actor", "operation", "resource", "min_position"}

// defaultActivityDays is the range of the log shown without dates.
const defaultActivityDays = 30

// activityFilter reads the filters: from and to are dates (YYYY-MM-DD,
// both days included); without them the last 30 days.
func activityFilter(r *http.Request) (activity.Filter, error) {
	q := r.URL.Query()
	var f activity.Filter
	today := time.Now().UTC().Truncate(24 * time.Hour)
	f.From, f.To = today.AddDate(0, 0, -defaultActivityDays), today.AddDate(0, 0, 1)
	if v := q.Get("from"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, badParam("from", "must be a date, YYYY-MM-DD")
		}
		f.From = d
	}
	if v := q.Get("to"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, badParam("to", "must be a date, YYYY-MM-DD")
		}
		f.To = d.AddDate(0, 0, 1)
	}
	if !f.From.Before(f.To) {
		return f, badParam("from", "must not be after to")
	}
	f.Customer, f.Actor, f.Operation, f.Resource = q.Get("customer"), q.Get("actor"), q.Get("operation"), q.Get("resource")
	for name, v := range map[string]string{"customer": f.Customer, "actor": f.Actor, "operation": f.Operation, "resource": f.Resource} {
		if len(v) > 200 {
			return f, badParam(name, "must be at most 200 characters")
		}
	}
	return f, nil
}

// listActivity: GET /v1/activity.
func (s *Server) listActivity(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, append(activityParams, "limit", "cursor")...); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	f, err := activityFilter(r)
	if err != nil {
		return err
	}
	f.Limit, f.Cursor = limit, q.Get("cursor")
	if err := s.waitMinPosition(r, activityModel, customersModel); err != nil {
		return err
	}
	items, next, err := activity.List(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[activity.Record]{Items: items, NextCursor: next})
	return nil
}

// exportActivity: GET /v1/activity/export — the records the filters
// select, as CSV (default) or NDJSON (format=ndjson), streamed: memory
// does not grow with the log. A failure once records were sent aborts the
// response, so that a cut-off export is never taken for a whole one.
func (s *Server) exportActivity(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, append(activityParams, "format")...); err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "ndjson" {
		return badParam("format", "must be csv or ndjson")
	}
	f, err := activityFilter(r)
	if err != nil {
		return err
	}
	if err := s.waitMinPosition(r, activityModel, customersModel); err != nil {
		return err
	}
	var write func(activity.Record) error
	var flush func() error
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="activity.csv"`)
		cw := csv.NewWriter(w)
		header := []string{"at", "actor", "on_behalf_of", "operation", "resource_type", "resource_id", "customer_id",
			"status", "code", "detail", "changes", "correlation_id", "client_ip", "user_agent", "position", "id"}
		if err := cw.Write(header); err != nil {
			return err
		}
		write = func(rec activity.Record) error {
			changes, err := json.Marshal(rec.Changes)
			if err != nil {
				return err
			}
			pos := ""
			if rec.Position != 0 {
				pos = strconv.FormatInt(rec.Position, 10)
			}
			return cw.Write([]string{rec.At.Format(time.RFC3339Nano), csvCell(rec.Actor), csvCell(rec.OnBehalfOf), rec.Operation,
				rec.ResourceType, csvCell(rec.ResourceID), rec.CustomerID, rec.Status, rec.Code, csvCell(rec.Detail),
				csvCell(string(changes)), csvCell(rec.CorrelationID), rec.ClientIP, csvCell(rec.UserAgent), pos, rec.ID})
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="activity.ndjson"`)
		enc := json.NewEncoder(w)
		write = func(rec activity.Record) error { return enc.Encode(rec) }
		flush = func() error {
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			return nil
		}
	}
	n := 0
	err = activity.Export(r.Context(), s.cfg.DB, principal(r.Context()), f, func(rec activity.Record) error {
		if err := write(rec); err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		s.log.Error("activity export aborted", "error", err, "records", n)
		panic(http.ErrAbortHandler)
	}
	return flush()
}
