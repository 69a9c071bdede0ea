package api

import "net/http"

// openAPIRoutes registers GET /openapi.json (issue 4): the OpenAPI 3.1
// document of this API. A stub to be filled in.
func (s *Server) openAPIRoutes(mux *http.ServeMux) {}
