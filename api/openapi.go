package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// openAPIRoutes registers GET /openapi.json (API.md, "Operations"): the
// OpenAPI 3.1 document of this API, served without a token. The document
// is generated from the operation table (openapi_ops.go) and the Go types
// of the bodies when the first server starts; the tests validate every
// request and answer of the API test suite against it and check that its
// operations are exactly the routes registered.
//
// A document that cannot describe a route as the table says (a command
// route unknown to api/operations.go, a duplicate operationId, ...) is
// still served; the problems are logged here and fail the tests.
func (s *Server) openAPIRoutes(mux *http.ServeMux) {
	doc, problems := openAPIDocument()
	if len(problems) > 0 {
		s.log.Error("the OpenAPI document is incomplete", "problems", problems)
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(doc)
	})
}

// openAPIDocument is the document as served, built once, and what kept
// it from describing every operation of the table.
var openAPIDocument = sync.OnceValues(func() ([]byte, []string) {
	doc, problems := buildOpenAPI(apiOperations())
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return []byte(`{"openapi":"3.1.0","info":{"title":"channeldesk HTTP API","version":"1"},"paths":{}}`),
			append(problems, "encoding: "+err.Error())
	}
	return append(b, '\n'), problems
})

// apiOperation is one operation of the document: a route as registered.
type apiOperation struct {
	// Pattern is the route's ServeMux pattern, "METHOD /path/{param}".
	Pattern string
	// ID is the operationId. A command's defaults to its API.md command
	// name (operations); two routes of one command need their own.
	ID          string
	Summary     string
	Description string
	Tag         string
	// Public: served without a bearer token.
	Public bool
	// Command: a command route (its operation in operations, the
	// Idempotency-Key header, a command.Result answer).
	Command bool
	// Query lists the query parameters; path parameters come from Pattern
	// (pathParams describes them).
	Query []apiParam
	// Header lists request headers of the operation's own (Last-Event-ID).
	Header []apiParam
	// Body is the request body's type; nil for none. A body whose fields
	// are all optional may be left out.
	Body reflect.Type
	// Status is the success status (200 when 0); Result its JSON body's
	// type, Content its other media types.
	Status  int
	Result  reflect.Type
	Content map[string]apiContent
	// More are other documented answers by status (readyz's 503).
	More map[int]apiResponse
	// Errors are the problem+json statuses the operation may answer.
	Errors []int
	// Headers are response headers of the success answer.
	Headers map[string]string
}

type apiParam struct {
	Name        string
	Description string
	Schema      map[string]any
	Required    bool
}

type apiContent struct {
	Schema      map[string]any
	Type        reflect.Type // or a Go type
	Description string
	// Columns of a CSV body's header row (x-csv-columns).
	Columns []string
}

type apiResponse struct {
	Description string
	Type        reflect.Type
	Schema      map[string]any
}

// problemCodes are the problem codes of API.md ("Errors", and stale for
// min_position), by the statuses that carry them.
var problemCodes = map[int][]string{
	http.StatusBadRequest:            {"invalid_request"},
	http.StatusUnauthorized:          {"unauthenticated"},
	http.StatusForbidden:             {"forbidden", "embargo_hold"},
	http.StatusNotFound:              {"not_found"},
	http.StatusConflict:              {"conflict", "duplicate"},
	http.StatusRequestEntityTooLarge: {"invalid_request"},
	http.StatusRequestURITooLong:     {"invalid_request"},
	http.StatusUnprocessableEntity:   {"invalid_request", "validation_failed", "rule_violation"},
	http.StatusTooManyRequests:       {"rate_limited"},
	http.StatusInternalServerError:   {"internal"},
	http.StatusServiceUnavailable:    {"stale"},
}

var problemDescriptions = map[int]string{
	http.StatusBadRequest:            "The request is malformed: malformed JSON, an unknown field or parameter, a wrong type (`errors` names the fields).",
	http.StatusUnauthorized:          "No bearer token, or one that is unknown, expired or revoked.",
	http.StatusForbidden:             "The caller may not do this (`forbidden`), or is denied all access while an embargo hold stands (`embargo_hold`, with `retry_after` while the 6-hour wait applies).",
	http.StatusNotFound:              "No such resource, or one the caller may not see.",
	http.StatusConflict:              "A concurrent change (`conflict`: safe to retry) or a duplicate (`duplicate`).",
	http.StatusRequestEntityTooLarge: "The request body exceeds 1 MiB.",
	http.StatusUnprocessableEntity:   "Validation failed (`validation_failed`, with `errors`), a business rule was violated (`rule_violation`: `detail` says which), or an Idempotency-Key was reused with another request (`invalid_request`).",
	http.StatusRequestURITooLong:     "The request target (path and query) exceeds 8 KiB.",
	http.StatusTooManyRequests:       "The caller (its token, or its client IP without one) has used up its rate limit on this instance; retry after `Retry-After` seconds.",
	http.StatusInternalServerError:   "Something failed on the server's side; the body has no internal details (quote `correlation_id`).",
	http.StatusServiceUnavailable:    "The read models did not reach `min_position` within 5 seconds (`stale`); retry after `Retry-After` seconds.",
}

var pathParamRe = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// pathParamDescription describes a path parameter by name and path.
func pathParamDescription(path, name string) string {
	switch name {
	case "id":
		switch {
		case strings.HasPrefix(path, "/v1/accounts/"):
			return "Account ID, e.g. 123456HQ (an ID merged into another answers as the survivor where the operation says so)."
		case strings.HasPrefix(path, "/v1/partners/"):
			return "Partner ID, e.g. 700001HQ."
		case strings.HasPrefix(path, "/v1/licenses/"):
			return "License ID, e.g. LIC-0000001."
		}
	case "number":
		switch {
		case strings.HasPrefix(path, "/v1/orders/"):
			return "Order number, e.g. ORD-0000001."
		case strings.HasPrefix(path, "/v1/contracts/"):
			return "Contract number, e.g. ELA-000001."
		case strings.HasPrefix(path, "/v1/cases/"):
			return "Case number, e.g. CASE-000001."
		}
	case "contact_id":
		return "Contact ID, e.g. C-000001."
	case "partner_id":
		return "Partner ID, e.g. 700001HQ."
	case "tag":
		return "The tag."
	case "host_id":
		return "The license server's host ID."
	}
	return ""
}

// buildOpenAPI builds the document of ops, and lists what kept it from
// describing them as the table says.
func buildOpenAPI(ops []apiOperation) (map[string]any, []string) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var roots []reflect.Type
	roots = append(roots, reflect.TypeFor[Problem]())
	for _, op := range ops {
		roots = append(roots, op.Body, op.Result)
		for _, c := range op.Content {
			roots = append(roots, c.Type)
		}
		for _, r := range op.More {
			roots = append(roots, r.Type)
		}
	}
	roots = nonNil(roots)
	g := newSchemaGen(schemaNames, fieldExtras, roots...)

	g.ref(reflect.TypeFor[Problem]())
	var allCodes []string
	for _, codes := range problemCodes {
		allCodes = append(allCodes, codes...)
	}
	sort.Strings(allCodes)
	allCodes = uniq(allCodes)
	pschema := g.components["Problem"].(map[string]any)
	props := pschema["properties"].(map[string]any)
	props["code"] = merge(props["code"].(map[string]any), map[string]any{"enum": allCodes,
		"description": "The stable code a client acts on."})
	props["type"] = merge(props["type"].(map[string]any), map[string]any{"format": "uri", "description": "urn:channeldesk:problem:{code}"})
	props["retry_after"] = merge(props["retry_after"].(map[string]any), map[string]any{"format": "date-time",
		"description": "embargo_hold: when the 6-hour wait after a denial ends (RFC 3339, UTC)."})
	props["correlation_id"] = merge(props["correlation_id"].(map[string]any), map[string]any{
		"description": "The request's X-Correlation-ID."})
	pschema["description"] = "An RFC 9457 problem detail with channeldesk's stable code (API.md, Errors)."

	responses := map[string]any{}
	var statuses []int
	for st := range problemCodes {
		statuses = append(statuses, st)
	}
	sort.Ints(statuses)
	for _, st := range statuses {
		codes := problemCodes[st]
		codeEnum := make([]any, len(codes))
		for i, c := range codes {
			codeEnum[i] = c
		}
		r := map[string]any{
			"description": problemDescriptions[st],
			"headers":     map[string]any{"X-Correlation-ID": map[string]any{"$ref": "#/components/headers/X-Correlation-ID"}},
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{
				"allOf": []any{
					map[string]any{"$ref": "#/components/schemas/Problem"},
					map[string]any{"properties": map[string]any{
						"status": map[string]any{"const": st},
						"code":   map[string]any{"enum": codeEnum},
					}},
				}}}},
		}
		switch st {
		case http.StatusUnauthorized:
			r["headers"].(map[string]any)["WWW-Authenticate"] = map[string]any{"required": true,
				"description": `Bearer realm="channeldesk" (with error="invalid_token" for a bad token).`, "schema": map[string]any{"type": "string"}}
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			r["headers"].(map[string]any)["Retry-After"] = map[string]any{"required": true,
				"description": "Seconds to wait before retrying.", "schema": map[string]any{"type": "integer", "minimum": 1}}
		case http.StatusForbidden:
			r["headers"].(map[string]any)["Retry-After"] = map[string]any{
				"description": "embargo_hold: seconds until the 6-hour wait ends, while it applies.", "schema": map[string]any{"type": "integer", "minimum": 1}}
		}
		responses[strconv.Itoa(st)] = r
	}

	paths := map[string]any{}
	ids := map[string]string{}
	for _, op := range ops {
		method, path, ok := strings.Cut(op.Pattern, " ")
		if !ok {
			fail("%s: a pattern without a method", op.Pattern)
			continue
		}
		o := map[string]any{}
		id := op.ID
		if op.Command {
			cmd, ok := operations[op.Pattern]
			if !ok {
				fail("%s: a command route that api/operations.go does not name", op.Pattern)
			}
			o["x-command"] = cmd
			if id == "" {
				id = cmd
			}
		}
		if id == "" {
			fail("%s: no operationId", op.Pattern)
			id = op.Pattern
		}
		if other, dup := ids[id]; dup {
			fail("%s: operationId %s is already %s's", op.Pattern, id, other)
			id += " " + op.Pattern
		}
		ids[id] = op.Pattern
		o["operationId"] = id
		o["summary"] = op.Summary
		if op.Description != "" {
			o["description"] = op.Description
		}
		if op.Tag != "" {
			o["tags"] = []string{op.Tag}
		}
		if op.Public {
			o["security"] = []any{}
		}
		var params []any
		for _, m := range pathParamRe.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"description": pathParamDescription(path, m[1]), "schema": map[string]any{"type": "string", "minLength": 1}})
		}
		for _, q := range op.Query {
			p := map[string]any{"name": q.Name, "in": "query", "schema": q.Schema}
			if q.Description != "" {
				p["description"] = q.Description
			}
			if q.Required {
				p["required"] = true
			}
			if ref, ok := commonParams[q.Name]; ok && q.Schema == nil {
				p = map[string]any{"$ref": "#/components/parameters/" + ref}
			}
			params = append(params, p)
		}
		for _, h := range op.Header {
			params = append(params, map[string]any{"name": h.Name, "in": "header", "description": h.Description, "schema": h.Schema})
		}
		if op.Command {
			params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
		}
		params = append(params, map[string]any{"$ref": "#/components/parameters/CorrelationID"})
		o["parameters"] = params

		if op.Body != nil {
			rb := map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": g.ref(op.Body)}}}
			if optionalFields(op.Body) {
				rb["description"] = "Every field is optional: the body may be left out."
			} else {
				rb["required"] = true
			}
			o["requestBody"] = rb
		}

		rs := map[string]any{}
		status := op.Status
		if status == 0 {
			status = http.StatusOK
		}
		success := map[string]any{"description": successDescription(op, status)}
		content := map[string]any{}
		if op.Result != nil {
			content["application/json"] = map[string]any{"schema": g.ref(op.Result)}
		}
		for mt, c := range op.Content {
			m := map[string]any{}
			switch {
			case c.Type != nil:
				m["schema"] = g.ref(c.Type)
			case c.Schema != nil:
				m["schema"] = c.Schema
			}
			if c.Columns != nil {
				m["x-csv-columns"] = c.Columns
			}
			if s, ok := m["schema"].(map[string]any); ok && c.Description != "" {
				// A media type has no description of its own.
				m["schema"] = merge(s, map[string]any{"description": c.Description})
			}
			content[mt] = m
		}
		if len(content) > 0 {
			success["content"] = content
		}
		hdrs := map[string]any{"X-Correlation-ID": map[string]any{"$ref": "#/components/headers/X-Correlation-ID"}}
		for name, desc := range op.Headers {
			hdrs[name] = map[string]any{"description": desc, "schema": map[string]any{"type": "string"}, "required": true}
		}
		success["headers"] = hdrs
		rs[strconv.Itoa(status)] = success
		for st, r := range op.More {
			m := map[string]any{"description": r.Description,
				"headers": map[string]any{"X-Correlation-ID": map[string]any{"$ref": "#/components/headers/X-Correlation-ID"}}}
			switch {
			case r.Type != nil:
				m["content"] = map[string]any{"application/json": map[string]any{"schema": g.ref(r.Type)}}
			case r.Schema != nil:
				m["content"] = map[string]any{"application/json": map[string]any{"schema": r.Schema}}
			}
			rs[strconv.Itoa(st)] = m
		}
		errs := op.Errors
		errs = append(errs, http.StatusInternalServerError)
		// Every request line is checked (api/limits.go), and every caller
		// but the probes' and the scraper's rate limited (api/ratelimit.go).
		errs = append(errs, http.StatusBadRequest, http.StatusRequestURITooLong)
		if !rateExempt(&http.Request{Method: method, URL: &url.URL{Path: path}}) {
			errs = append(errs, http.StatusTooManyRequests)
		}
		if !op.Public {
			errs = append(errs, http.StatusUnauthorized, http.StatusForbidden)
		}
		for _, st := range errs {
			if _, ok := problemCodes[st]; !ok {
				fail("%s: no problem response %d", op.Pattern, st)
				continue
			}
			rs[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + strconv.Itoa(st)}
		}
		o["responses"] = rs

		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		lm := strings.ToLower(method)
		if _, dup := item[lm]; dup {
			fail("%s: twice in the table", op.Pattern)
		}
		item[lm] = o
	}
	for _, k := range g.unusedExtras() {
		fail("fieldExtras: %s names no field of the bodies", k)
	}
	problems = append(problems, g.problems...)

	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "channeldesk HTTP API",
			"version": "1",
			"description": "The back office's HTTP API (API.md). JSON bodies with snake_case fields, RFC 3339 UTC timestamps, " +
				"dates as YYYY-MM-DD. Commands answer 201 (created) or 200 with the command's result; every query takes " +
				"min_position (read your writes); lists page with limit and an opaque cursor. Errors are " +
				"application/problem+json with a stable code.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"tags":     apiTags,
		"paths":    paths,
		"components": map[string]any{
			"schemas":   g.components,
			"responses": responses,
			"parameters": map[string]any{
				"Limit": map[string]any{"name": "limit", "in": "query", "description": "Page size, 1 to 500 (default 50).",
					"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
				"Cursor": map[string]any{"name": "cursor", "in": "query", "description": "The next_cursor of the previous page (opaque).",
					"schema": map[string]any{"type": "string", "maxLength": 500}},
				"MinPosition": map[string]any{"name": "min_position", "in": "query",
					"description": "Answer only once every read model the query uses has applied this position (a command's `position`); after at most 5 s of waiting, 503 `stale` with Retry-After.",
					"schema":      map[string]any{"type": "integer", "format": "int64", "minimum": 0}},
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header",
					"description": "A repeat with the same key and body returns the first answer and appends nothing; the same key with another body answers 422 invalid_request.",
					"schema":      map[string]any{"type": "string", "pattern": "^[!-~]{1,200}$"}},
				"CorrelationID": map[string]any{"name": "X-Correlation-ID", "in": "header",
					"description": "Kept when it is 1-128 letters, digits or -_.: (and holds no cdk_, lest a bearer token sent by mistake be logged), replaced by a generated ID otherwise; echoed in the answer.",
					"schema":      map[string]any{"type": "string"}},
			},
			"headers": map[string]any{
				"X-Correlation-ID": map[string]any{"required": true, "description": "The request's correlation ID (generated when absent).",
					"schema": map[string]any{"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}},
			},
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer",
					"description": "A token from `channeldesk token create` (staff, partner or customer contact)."},
			},
		},
	}, problems
}

// commonParams are the query parameters every list shares, as components.
var commonParams = map[string]string{"limit": "Limit", "cursor": "Cursor", "min_position": "MinPosition"}

func successDescription(op apiOperation, status int) string {
	switch {
	case op.Command && status == http.StatusCreated:
		return "Created: the command's result (use `position` as min_position to read your write)."
	case op.Command:
		return "Done: the command's result (use `position` as min_position to read your write)."
	}
	return "OK"
}

func nonNil(ts []reflect.Type) []reflect.Type {
	var out []reflect.Type
	for _, t := range ts {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}

func uniq(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
