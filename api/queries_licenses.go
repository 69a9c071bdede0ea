package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/projections/licenses"
)

// licensesModel is the read model the license and case queries read.
const licensesModel = licenses.Name

// licenseQueries registers the license and case queries of API.md (issue 4).
func (s *Server) licenseQueries(mux *http.ServeMux) {
	mux.Handle("GET /v1/licenses", s.authed(s.listLicenses))
	mux.Handle("GET /v1/cases", s.authed(s.listCases))
	mux.Handle("GET /v1/cases/{number}", s.authed(s.getCase))
}

// listLicenses: GET /v1/licenses — `account` (an account ID; a merged ID
// answers under the survivor), `expiring_within_days` (1 to 365: active
// licenses whose maintenance ends between today, UTC, and today plus that
// many days, soonest first), `limit`, `cursor`, `min_position`. Items are
// licenses.License; who sees which is licenses.ListLicenses'.
func (s *Server) listLicenses(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "account", "expiring_within_days", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	f := licenses.LicenseFilter{Limit: limit, Today: time.Now().UTC()}
	if f.AccountID, err = licAccountParam(q); err != nil {
		return err
	}
	if v, ok := q["expiring_within_days"]; ok {
		n, ok := wholeNumber(v[0])
		if !ok || n < 1 || n > licenses.MaxExpiringDays {
			return badParam("expiring_within_days", "must be a whole number of days from 1 to %d", licenses.MaxExpiringDays)
		}
		f.ExpiringWithinDays = int(n)
	}
	if f.Cursor, err = licCursorParam(q); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, licensesModel); err != nil {
		return err
	}
	items, next, err := licenses.ListLicenses(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []licenses.License{}
	}
	writeJSON(w, http.StatusOK, page[licenses.License]{Items: items, NextCursor: next})
	return nil
}

// listCases: GET /v1/cases — `status` (open, waiting_for_information,
// approved, rejected, closed, completed), `account` (a merged ID answers
// under the survivor), `sla` (on_track, at_risk: due within one business
// day, overdue, met, missed), `sort` (age: oldest opened first, the
// default; -age; due: earliest resolution target first; -due), `limit`,
// `cursor`, `min_position`. Items are licenses.Case; who sees which is
// licenses.ListCases' (a partner contact: the cases its partner opened).
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "status", "account", "sla", "sort", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	f := licenses.CaseFilter{Limit: limit, Now: time.Now().UTC(), Calendar: s.cfg.Holidays}
	if v, ok := q["sla"]; ok {
		if !slices.Contains(licenses.SLAStates, v[0]) {
			return badParam("sla", "must be one of %s", strings.Join(licenses.SLAStates, ", "))
		}
		f.SLA = v[0]
	}
	if v, ok := q["sort"]; ok {
		if !slices.Contains(licenses.CaseSorts, v[0]) {
			return badParam("sort", "must be one of %s", strings.Join(licenses.CaseSorts, ", "))
		}
		f.Sort = v[0]
	}
	if v, ok := q["status"]; ok {
		known := false
		for _, st := range licenses.CaseStatuses {
			known = known || v[0] == st
		}
		if !known {
			return badParam("status", "must be one of %s", strings.Join(licenses.CaseStatuses, ", "))
		}
		f.Status = v[0]
	}
	if f.AccountID, err = licAccountParam(q); err != nil {
		return err
	}
	if f.Cursor, err = licCursorParam(q); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, licensesModel); err != nil {
		return err
	}
	items, next, err := licenses.ListCases(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []licenses.Case{}
	}
	writeJSON(w, http.StatusOK, page[licenses.Case]{Items: items, NextCursor: next})
	return nil
}

// getCase: GET /v1/cases/{number} — the case as the list shows it, with
// its timeline (every step: when, which, who, on whose behalf, its detail
// and position) and the events its commands recorded on other streams
// (licenses.CaseDetail). 404 when the case does not exist or the caller
// may not see it in the list.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query(), "min_position"); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, licensesModel); err != nil {
		return err
	}
	d, err := licenses.CaseTimeline(r.Context(), s.cfg.DB, principal(r.Context()), r.PathValue("number"), time.Now().UTC(), s.cfg.Holidays)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// licAccountParam returns the `account` parameter: absent, or an account ID
// such as 123456HQ.
func licAccountParam(q url.Values) (string, error) {
	v, ok := q["account"]
	if !ok {
		return "", nil
	}
	if !account.ValidID(v[0]) {
		return "", badParam("account", "must be an account ID such as 123456HQ")
	}
	return v[0], nil
}

// licCursorParam returns the `cursor` parameter; the read model refuses one
// it did not issue.
func licCursorParam(q url.Values) (string, error) {
	v := q.Get("cursor")
	if len(v) > 500 {
		return "", badParam("cursor", "must be at most 500 characters")
	}
	return v, nil
}
