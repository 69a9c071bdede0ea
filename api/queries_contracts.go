package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
)

// contractQueries registers the contract, associated-customer and VAT
// queries of API.md (issue 4). Each reads the contract search read model
// and the customer list's relationships (who may see whom), and waits for
// both on min_position.
func (s *Server) contractQueries(mux *http.ServeMux) {
	mux.Handle("GET /v1/contracts", s.authed(s.searchContracts))
	mux.Handle("GET /v1/associated-customers", s.authed(s.associatedCustomers))
	mux.Handle("GET /v1/vat", s.authed(s.searchVAT))
}

// maxParamLen bounds every free-text query parameter.
const maxParamLen = 500

// contractParamsLen refuses over-long values of the named parameters.
func contractParamsLen(q url.Values, params ...string) error {
	for _, p := range params {
		if len(q.Get(p)) > maxParamLen {
			return badParam(p, "must be at most %d characters", maxParamLen)
		}
	}
	return nil
}

// companyOrID checks that a query has exactly one of company and
// company_id, and that the one given is usable: a company name with
// letters or digits, or an account ID.
func companyOrID(q url.Values) error {
	switch hasName, hasID := q.Has("company"), q.Has("company_id"); {
	case hasName && hasID:
		return badParam("company_id", "give either company (a name) or company_id (an account ID), not both")
	case !hasName && !hasID:
		return badParam("company", "required: a company name (company) or an account ID (company_id)")
	case hasID && !ids.Org(q.Get("company_id")):
		return badParam("company_id", "must be an account ID: six digits and two capital letters, e.g. 123456HQ")
	case hasName && names.FoldCompany(q.Get("company")) == "":
		return badParam("company", "must contain letters or digits")
	}
	return nil
}

// searchContracts: GET /v1/contracts — by company (a company name, with
// optional country, state and city) or by company_id; answers
// page[contracts.Contract].
func (s *Server) searchContracts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "company", "country", "state", "city", "company_id", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := contractParamsLen(q, "company", "country", "state", "city", "company_id", "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	if err := companyOrID(q); err != nil {
		return err
	}
	f := contracts.Filter{Company: q.Get("company"), Country: q.Get("country"), State: q.Get("state"), City: q.Get("city"),
		CompanyID: q.Get("company_id"), Limit: limit, Cursor: q.Get("cursor")}
	for _, p := range []string{"country", "state", "city"} {
		if q.Has(p) && f.CompanyID != "" {
			return badParam(p, "narrows a search by company name; a company_id needs no more")
		}
	}
	if _, ok := geo.RegionOf(strings.ToUpper(f.Country)); f.Country != "" && !ok {
		return badParam("country", "must be an ISO 3166-1 alpha-2 country code, e.g. DE")
	}
	for _, p := range []string{"state", "city"} {
		if v := q.Get(p); v != "" && names.Fold(v) == "" {
			return badParam(p, "must contain letters or digits")
		}
	}
	if err := s.waitMinPosition(r, contracts.Name, customers.Name); err != nil {
		return err
	}
	items, next, err := s.cfg.Spellings.Search(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []contracts.Contract{}
	}
	writeJSON(w, http.StatusOK, page[contracts.Contract]{Items: items, NextCursor: next})
	return nil
}

// associatedCustomers: GET /v1/associated-customers — letter (A to Z, or
// '#', sent as %23, for names starting with anything else); answers
// page[contracts.AssociatedCustomer]: account_id and name.
func (s *Server) associatedCustomers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "letter", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := contractParamsLen(q, "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	letter := q.Get("letter")
	if len(letter) != 1 || !(letter == "#" || letter[0] >= 'A' && letter[0] <= 'Z' || letter[0] >= 'a' && letter[0] <= 'z') {
		return badParam("letter", "must be one letter from A to Z, or # (sent as %%23) for names starting with anything else")
	}
	if err := s.waitMinPosition(r, contracts.Name, customers.Name); err != nil {
		return err
	}
	items, next, err := contracts.Associated(r.Context(), s.cfg.DB, principal(r.Context()),
		contracts.LetterFilter{Letter: letter, Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[contracts.AssociatedCustomer]{Items: items, NextCursor: next})
	return nil
}

// searchVAT: GET /v1/vat — by company_id or company (a name); answers
// page[contracts.VATEntry] of customers in EMEA and APAC only. A
// company_id the caller may see in another region answers 422
// rule_violation (rule vat.region) without the number; one it may not see,
// 404.
func (s *Server) searchVAT(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "company", "company_id", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := contractParamsLen(q, "company", "company_id", "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	if err := companyOrID(q); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, contracts.Name, customers.Name); err != nil {
		return err
	}
	items, next, err := s.cfg.Spellings.VAT(r.Context(), s.cfg.DB, principal(r.Context()),
		contracts.VATFilter{CompanyID: q.Get("company_id"), Company: q.Get("company"), Limit: limit, Cursor: q.Get("cursor")})
	var re *contracts.RegionError
	if errors.As(err, &re) {
		return domain.Rule("vat.region", "%s", re.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[contracts.VATEntry]{Items: items, NextCursor: next})
	return nil
}
