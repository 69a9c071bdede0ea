package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	vderrors "github.com/pb33f/libopenapi-validator/errors"
)

// The OpenAPI check: env.do hands every request it sends and the answer it
// gets to checkOpenAPI, which validates them against the document the
// server serves at /openapi.json (with pb33f/libopenapi-validator, which
// implements OpenAPI 3.1 and JSON Schema 2020-12). So every answer of the
// API tests is checked against the document, and the document cannot drift
// from what the server does:
//
//   - every answer: status documented for the operation, media type,
//     body against its schema (problem+json included, with the code enum
//     of API.md), required response headers (X-Correlation-ID, Retry-After
//     on 503, ...); a CSV body's header row against x-csv-columns; NDJSON
//     line by line;
//   - the request too when the server accepted it (2xx): path, query and
//     header parameters, bearer token, and the body against its schema.
//     Requests the tests send malformed on purpose are refused by the
//     server, and are not checked;
//   - a method and path the document does not have must answer as an
//     unknown route does (404 or 405 problem, code invalid_request);
//     anything else is a route the document is missing.
type openAPICheck struct {
	mu  sync.Mutex
	v   validator.Validator
	doc map[string]any
	err error
}

var (
	oaOnce  sync.Once
	oaCheck openAPICheck
)

// openAPIValidator returns the validator of the document served by the
// server at base (the same for every server: it is built from code).
func openAPIValidator(base string) (*openAPICheck, error) {
	oaOnce.Do(func() {
		res, err := http.Get(base + "/openapi.json")
		if err != nil {
			oaCheck.err = err
			return
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			oaCheck.err = fmt.Errorf("GET /openapi.json: %d %v", res.StatusCode, err)
			return
		}
		if err := json.Unmarshal(raw, &oaCheck.doc); err != nil {
			oaCheck.err = fmt.Errorf("GET /openapi.json is not JSON: %v", err)
			return
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			oaCheck.err = fmt.Errorf("openapi document: %v", err)
			return
		}
		v, errs := validator.NewValidator(doc,
			config.WithFormatAssertions(),
			// Undeclared query parameters and headers are errors too: the
			// server refuses unknown parameters, so one it accepted must
			// be in the document. (Bodies need no strict mode: every
			// object of the document but the free-form ones - changes'
			// values, a case's proposal - refuses undeclared properties.)
			config.WithStrictMode(),
			config.WithStrictIgnorePaths("$.body", "$.body.**"),
			config.WithStrictIgnoredHeadersExtra("x-content-type-options", "idempotency-key"),
			config.WithBodyDecoder("application/x-ndjson", content.DecoderFunc(decodeNDJSON)))
		if len(errs) > 0 {
			oaCheck.err = fmt.Errorf("openapi validator: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			oaCheck.err = fmt.Errorf("the document is not valid OpenAPI 3.1: %s", describe(verrs))
			return
		}
		oaCheck.v = v
	})
	return &oaCheck, oaCheck.err
}

// decodeNDJSON reads an NDJSON stream as the array of its lines (the
// document's schema of application/x-ndjson describes it so).
func decodeNDJSON(in *content.DecodeInput) (any, error) {
	var out []any
	sc := bufio.NewScanner(in.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			return nil, fmt.Errorf("line %d is empty", n)
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		out = append(out, v)
	}
	if out == nil {
		out = []any{}
	}
	return out, sc.Err()
}

// checkOpenAPI validates one exchange of env.do against the document.
func (e *env) checkOpenAPI(req *http.Request, reqBody []byte, res *http.Response, raw []byte) {
	e.t.Helper()
	c, err := openAPIValidator(e.base)
	if err != nil {
		e.t.Fatalf("OpenAPI: %v", err)
	}
	// Fresh copies: the validator reads the bodies.
	rq := req.Clone(req.Context())
	rq.Body = io.NopCloser(bytes.NewReader(reqBody))
	rs := *res
	rs.Body = io.NopCloser(bytes.NewReader(raw))
	rs.Request = rq

	c.mu.Lock()
	ok, errs := c.v.ValidateHttpResponse(rq, &rs)
	c.mu.Unlock()
	what := fmt.Sprintf("%s %s answered %d %s", req.Method, req.URL.RequestURI(), res.StatusCode, res.Header.Get("Content-Type"))
	if !ok && undocumentedRoute(errs) {
		var p struct{ Code string }
		_ = json.Unmarshal(raw, &p)
		if (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed) &&
			res.Header.Get("Content-Type") == "application/problem+json" && p.Code == "invalid_request" {
			return // not a route, neither in the server nor in the document
		}
		e.t.Errorf("OpenAPI: %s, but the document has no such operation (a route missing from api/openapi_ops.go?): %s",
			what, describe(errs))
		return
	}
	if !ok {
		e.t.Errorf("OpenAPI: %s, which the document does not allow:\n%s\nbody: %s", what, describe(errs), clipBody(raw))
	}
	if cols := csvColumns(c.doc, req, res); cols != "" {
		if first, _, _ := strings.Cut(string(raw), "\n"); strings.TrimSuffix(first, "\r") != cols {
			e.t.Errorf("OpenAPI: %s with the CSV header %q; x-csv-columns of the document: %q", what, first, cols)
		}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return
	}
	rq.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(bytes.TrimSpace(reqBody)) == 0 {
		// An empty body (or white space: decodeStrict reads it so) is no
		// body, whatever Content-Type came with it; the validator would
		// take it for a JSON null.
		rq.Body = http.NoBody
		rq.Header.Del("Content-Type")
	}
	c.mu.Lock()
	ok, errs = c.v.ValidateHttpRequest(rq)
	c.mu.Unlock()
	if !ok {
		e.t.Errorf("OpenAPI: the request of %s does not match the document:\n%s\nrequest body: %s", what, describe(errs), clipBody(reqBody))
	}
}

func undocumentedRoute(errs []*vderrors.ValidationError) bool {
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			return true
		}
	}
	return false
}

// csvColumns is the header row the document gives a text/csv answer of
// req ("" when it gives none).
func csvColumns(doc map[string]any, req *http.Request, res *http.Response) string {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || res.StatusCode != http.StatusOK {
		return ""
	}
	paths, _ := doc["paths"].(map[string]any)
	item, _ := paths[req.URL.Path].(map[string]any)
	op, _ := item[strings.ToLower(req.Method)].(map[string]any)
	r, _ := op["responses"].(map[string]any)
	ok, _ := r["200"].(map[string]any)
	ct, _ := ok["content"].(map[string]any)
	csv, _ := ct["text/csv"].(map[string]any)
	cols, _ := csv["x-csv-columns"].([]any)
	if cols == nil {
		return "(the document names no x-csv-columns)"
	}
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

func describe(errs []*vderrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s", e.Message, e.Reason)
		if e.SpecPath != "" {
			fmt.Fprintf(&b, " [%s]", e.SpecPath)
		}
		b.WriteString("\n")
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      %s at %s (schema %s)\n", f.Reason, f.FieldPath, f.KeywordLocation)
		}
	}
	return b.String()
}

func clipBody(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// TestOpenAPIDocument: the document is served without a token, is OpenAPI
// 3.1 and valid against the OpenAPI 3.1 schema.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.do("GET", "/openapi.json", "", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || r.body["openapi"] != "3.1.0" {
		t.Fatalf("GET /openapi.json: %d %s %.200s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	if _, err := openAPIValidator(e.base); err != nil {
		t.Fatal(err)
	}
}
