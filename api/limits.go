package api

import (
	"fmt"
	"net/http"
	"strings"
)

// Limits on the request line, checked before anything else reads it. The
// longest legitimate request (a search with every filter and a cursor)
// stays far below both.
const (
	// MaxURIBytes bounds the request target (path and query): a longer one
	// is refused with 414.
	MaxURIBytes = 8 << 10
	// MaxQueryParams bounds the query's &-separated parts: more are
	// refused with 400 before the query is parsed (no query takes more
	// than a dozen parameters).
	MaxQueryParams = 50
	// MaxHeaderBytes is what the HTTP server reads of a request's line and
	// headers; past it Go's server answers 431 itself, in plain text
	// (internal/app sets it on the http.Server). The request line counts
	// too: well above MaxURIBytes, so that an over-long target still gets
	// its 414 problem, while headers stay bounded.
	MaxHeaderBytes = 64 << 10
)

// limits refuses a request target longer than MaxURIBytes (414) and a
// query of more than MaxQueryParams parts (400), as problems, before the
// query is parsed.
func (s *Server) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequestLine(r); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkRequestLine applies the limits of the request line to r.
func checkRequestLine(r *http.Request) error {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if len(uri) > MaxURIBytes {
		return &requestError{status: http.StatusRequestURITooLong,
			detail: fmt.Sprintf("the request target (path and query) exceeds %d bytes", MaxURIBytes)}
	}
	if n := strings.Count(r.URL.RawQuery, "&") + 1; r.URL.RawQuery != "" && n > MaxQueryParams {
		return badRequest(fmt.Sprintf("the query has %d parameters; at most %d are accepted", n, MaxQueryParams))
	}
	return nil
}

// tokenPrefix starts every bearer token (internal/auth): what carries it
// is kept out of the logs.
const tokenPrefix = "cdk_"

// looksLikeToken reports whether s holds what may be a bearer token.
func looksLikeToken(s string) bool {
	return strings.Contains(strings.ToLower(s), tokenPrefix)
}

// logPath is path as logged: a segment that may hold a token (a client
// that put one in a URL) is replaced, so that no secret reaches the logs.
// The query is never logged.
func logPath(path string) string {
	if !looksLikeToken(path) {
		return path
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if looksLikeToken(s) {
			segs[i] = "[redacted]"
		}
	}
	return strings.Join(segs, "/")
}
