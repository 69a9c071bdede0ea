package api

import (
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// registerAccount: POST /v1/accounts (RegisterAccount).
func (s *Server) registerAccount(w http.ResponseWriter, r *http.Request) error {
	return commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.RegisterAccountInput) (command.Result, error) {
		return s.cfg.Commands.RegisterAccount(r.Context(), m, in)
	})(w, r)
}

// renameCompany: POST /v1/accounts/{id}/rename (RenameCompany).
func (s *Server) renameCompany(w http.ResponseWriter, r *http.Request) error {
	return commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.RenameCompanyInput) (command.Result, error) {
		return s.cfg.Commands.RenameCompany(r.Context(), m, r.PathValue("id"), in)
	})(w, r)
}

// decodeCommand reads and strictly decodes a command body and builds its
// metadata.
func decodeCommand(w http.ResponseWriter, r *http.Request, v any) ([]byte, command.Meta, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, command.Meta{}, err
	}
	if err := decodeStrict(body, v); err != nil {
		return nil, command.Meta{}, err
	}
	m, err := meta(r, body)
	return body, m, err
}

// accountView is GET /v1/accounts/{id}: the account as the caller may see
// it; an ID that was merged answers with the target and says so.
type accountView struct {
	customers.Customer
	MergedFrom []string `json:"merged_from,omitempty"`
}

// getAccount: GET /v1/accounts/{id}.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query(), "min_position"); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, customersModel); err != nil {
		return err
	}
	c, from, err := customers.Get(r.Context(), s.cfg.DB, principal(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountView{Customer: c, MergedFrom: from})
	return nil
}

// listCustomers: GET /v1/customers.
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "q", "domain", "relationship", "tag", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	f := customers.Filter{
		NamePrefix:   q.Get("q"),
		Domain:       q.Get("domain"),
		Relationship: q.Get("relationship"),
		Tag:          q.Get("tag"),
		Limit:        limit,
		Cursor:       q.Get("cursor"),
	}
	for name, v := range map[string]string{"q": f.NamePrefix, "domain": f.Domain, "relationship": f.Relationship, "tag": f.Tag, "cursor": f.Cursor} {
		if len(v) > 500 {
			return badParam(name, "must be at most 500 characters")
		}
	}
	if err := s.waitMinPosition(r, customersModel); err != nil {
		return err
	}
	items, next, err := customers.List(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []customers.Customer{}
	}
	writeJSON(w, http.StatusOK, page[customers.Customer]{Items: items, NextCursor: next})
	return nil
}

// listProjections: GET /v1/projections (staff only).
func (s *Server) listProjections(w http.ResponseWriter, r *http.Request) error {
	if p := principal(r.Context()); p.Kind != domain.KindStaff {
		return domain.Forbidden("only staff may see the state of the read models")
	}
	if err := onlyParams(r.URL.Query(), "min_position"); err != nil {
		return err
	}
	if err := s.waitMinPosition(r); err != nil {
		return err
	}
	st, err := s.cfg.Reads.Status(r.Context())
	if err != nil {
		return err
	}
	items := make([]projectionView, len(st))
	for i, p := range st {
		items[i] = projectionView{Name: p.Name, Position: int64(p.Position), LagEvents: p.LagEvents, LagSeconds: p.LagSeconds, State: p.State}
	}
	writeJSON(w, http.StatusOK, page[projectionView]{Items: items})
	return nil
}

type projectionView struct {
	Name       string  `json:"name"`
	Position   int64   `json:"position"`
	LagEvents  int64   `json:"lag_events"`
	LagSeconds float64 `json:"lag_seconds"`
	State      string  `json:"state"`
}

// exportCustomers: GET /v1/customers/export — the caller's full customer
// list as CSV (one row per relationship for a partner), whatever search
// parameters come with it (DOMAIN.md: filters do not apply). The rows are
// streamed: memory does not grow with the list. A failure once rows were
// sent aborts the response, so that a client never takes a cut-off file
// for a whole one.
func (s *Server) exportCustomers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	// The list's search parameters are accepted and ignored.
	if err := onlyParams(q, "format", "q", "domain", "relationship", "tag", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	for _, name := range []string{"q", "domain", "relationship", "tag"} {
		if len(q.Get(name)) > 500 {
			return badParam(name, "must be at most 500 characters") // as in the list (and the OpenAPI document)
		}
	}
	if f := q.Get("format"); f != "" && f != "csv" {
		return badParam("format", "must be csv")
	}
	if err := s.waitMinPosition(r, customersModel); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	cw := csv.NewWriter(w)
	started := false
	rows := 0
	err := customers.Export(r.Context(), s.cfg.DB, principal(r.Context()), func(c customers.Customer) error {
		if !started {
			started = true
			if err := cw.Write([]string{"account_id", "company_name", "primary_domain", "relationship", "tags"}); err != nil {
				return err
			}
		}
		rows++
		if err := cw.Write([]string{c.AccountID, csvCell(c.Name), csvCell(c.PrimaryDomain), c.Relationship, csvCell(strings.Join(c.Tags, ";"))}); err != nil {
			return err
		}
		if rows%1000 == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	if err != nil {
		if !started {
			return err
		}
		s.log.Error("customer export aborted", "error", err, "rows", rows)
		panic(http.ErrAbortHandler)
	}
	if !started {
		if err := cw.Write([]string{"account_id", "company_name", "primary_domain", "relationship", "tags"}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell keeps a cell from being read as a formula by a spreadsheet
// (CSV injection): a value starting with =, +, -, @, tab or carriage
// return gets a leading apostrophe.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
