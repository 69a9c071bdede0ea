package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/projections/orders"
)

// ordersModel is the read model of the order and invoice queries. They
// also read the customer list (a customer contact's merged accounts, the
// customer name filter), so they wait for both.
const ordersModel = orders.Name

// ordersParamLen bounds every free-text query parameter.
const ordersParamLen = 500

// orderQueries registers the order and invoice queries of API.md:
//
//	GET /v1/orders               po; from, to (PO date); type, order_number, customer_name
//	GET /v1/orders/{number}      one order
//	GET /v1/distributor-orders   from, to (both required)
//	GET /v1/invoices             number, order, po, from, to (issue date)
//
// Every list also takes limit, cursor and min_position. Items are
// orders.Order and orders.Invoice.
func (s *Server) orderQueries(mux *http.ServeMux) {
	mux.Handle("GET /v1/orders", s.authed(s.searchOrders))
	mux.Handle("GET /v1/orders/{number}", s.authed(s.getOrder))
	mux.Handle("GET /v1/distributor-orders", s.authed(s.listDistributorOrders))
	mux.Handle("GET /v1/invoices", s.authed(s.listInvoices))
}

// orderPage is the body of GET /v1/orders: a page, and a message when the
// search lacks what it needs (orders.MessageNoCriteria).
type orderPage struct {
	Items      []orders.Order `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
	Message    string         `json:"message,omitempty"`
}

// searchOrders: GET /v1/orders. Without a PO number or a PO date range the
// answer is an empty list with a message, never every order.
func (s *Server) searchOrders(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "po", "from", "to", "type", "order_number", "customer_name", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := ordersMaxLen(q, "po", "type", "order_number", "customer_name", "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	from, to, err := ordersDateRange(q, true)
	if err != nil {
		return err
	}
	f := orders.Filter{PO: q.Get("po"), From: from, To: to, Type: q.Get("type"), OrderNumber: q.Get("order_number"),
		CustomerName: q.Get("customer_name"), Limit: limit, Cursor: q.Get("cursor")}
	switch f.Type {
	case "", order.TypeNew, order.TypeAddOn, order.TypeUpgrade, order.TypeSubscriptionRenewal:
	default:
		return badParam("type", "must be new, add_on, upgrade or subscription_renewal")
	}
	if f.CustomerName != "" && names.FoldCompany(f.CustomerName) == "" {
		return badParam("customer_name", "must hold letters or digits beyond a legal suffix")
	}
	if err := s.waitMinPosition(r, ordersModel, customersModel); err != nil {
		return err
	}
	if !f.HasCriteria() {
		writeJSON(w, http.StatusOK, orderPage{Items: []orders.Order{}, Message: orders.MessageNoCriteria})
		return nil
	}
	items, next, err := orders.Search(r.Context(), s.cfg.DB, principal(r.Context()), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []orders.Order{}
	}
	writeJSON(w, http.StatusOK, orderPage{Items: items, NextCursor: next})
	return nil
}

// getOrder: GET /v1/orders/{number}; 404 when the order does not exist or
// the caller may not see it.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query(), "min_position"); err != nil {
		return err
	}
	if err := s.waitMinPosition(r, ordersModel, customersModel); err != nil {
		return err
	}
	o, err := orders.Get(r.Context(), s.cfg.DB, principal(r.Context()), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// listDistributorOrders: GET /v1/distributor-orders.
func (s *Server) listDistributorOrders(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "from", "to", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := ordersMaxLen(q, "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	from, to, err := ordersDateRange(q, true)
	if err != nil {
		return err
	}
	if from.IsZero() {
		return badParam("from", "is required (with to): the PO date range of the orders")
	}
	if err := s.waitMinPosition(r, ordersModel); err != nil {
		return err
	}
	items, next, err := orders.DistributorOrders(r.Context(), s.cfg.DB, principal(r.Context()),
		orders.DistributorFilter{From: from, To: to, Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	if items == nil {
		items = []orders.Order{}
	}
	writeJSON(w, http.StatusOK, page[orders.Order]{Items: items, NextCursor: next})
	return nil
}

// listInvoices: GET /v1/invoices.
func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "number", "order", "po", "from", "to", "limit", "cursor", "min_position"); err != nil {
		return err
	}
	if err := ordersMaxLen(q, "number", "order", "po", "cursor"); err != nil {
		return err
	}
	limit, err := limitParam(q)
	if err != nil {
		return err
	}
	from, to, err := ordersDateRange(q, false)
	if err != nil {
		return err
	}
	if err := s.waitMinPosition(r, ordersModel, customersModel); err != nil {
		return err
	}
	items, next, err := orders.Invoices(r.Context(), s.cfg.DB, principal(r.Context()), orders.InvoiceFilter{
		Number: q.Get("number"), OrderNumber: q.Get("order"), PO: q.Get("po"), From: from, To: to,
		Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	if items == nil {
		items = []orders.Invoice{}
	}
	writeJSON(w, http.StatusOK, page[orders.Invoice]{Items: items, NextCursor: next})
	return nil
}

// ordersMaxLen refuses a parameter longer than ordersParamLen.
func ordersMaxLen(q url.Values, params ...string) error {
	for _, p := range params {
		if len(q.Get(p)) > ordersParamLen {
			return badParam(p, "must be at most %d characters", ordersParamLen)
		}
	}
	return nil
}

// ordersDateRange reads from and to (YYYY-MM-DD, inclusive); zero times
// when absent. With both, a range needs both ends (one alone is refused);
// without, either end may be left open. from after to is refused.
func ordersDateRange(q url.Values, both bool) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, badParam(name, "must be a date written YYYY-MM-DD")
		}
		return t, nil
	}
	if from, err = parse("from"); err != nil {
		return
	}
	if to, err = parse("to"); err != nil {
		return
	}
	switch {
	case both && !from.IsZero() && to.IsZero():
		return from, to, badParam("to", "is required with from: a PO date range has both ends")
	case both && from.IsZero() && !to.IsZero():
		return from, to, badParam("from", "is required with to: a PO date range has both ends")
	case !from.IsZero() && !to.IsZero() && from.After(to):
		return from, to, badParam("from", "must not be after to")
	}
	return from, to, nil
}
