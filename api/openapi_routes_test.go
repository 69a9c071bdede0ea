package api

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// routePatternRe is a ServeMux pattern with a method, as the routes are
// registered.
var routePatternRe = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\S*$`)

// sourcePatterns are the route patterns written in the package's source
// (every string literal that is one, outside the OpenAPI table,
// openapi_ops.go),
// with where: the registration rather than api/operations.go when there
// is one. Routes are registered with literal patterns:
// TestOpenAPIRegistrationsUseLiterals keeps it so.
func sourcePatterns(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	forEachSourceFile(t, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && routePatternRe.MatchString(s) {
				if at, seen := found[s]; !seen || strings.HasPrefix(at, "operations.go:") {
					found[s] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	})
	return found
}

func forEachSourceFile(t *testing.T, fn func(*token.FileSet, *ast.File)) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "openapi_ops.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		fn(fset, f)
	}
}

// probe asks a server built with no dependencies for method and path
// without a token: a route answers (401 where a token is needed); a
// request no route takes answers 404 or 405 invalid_request.
func probe(s *Server, pattern string) (status int, code string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = pathParamRe.ReplaceAllString(path, "x")
	req := httptest.NewRequest(method, "http://channeldesk.test"+path, nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var p struct{ Code string }
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	return w.Code, p.Code
}

func routed(status int, code string) bool {
	return !((status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && code == "invalid_request")
}

// TestOpenAPIRoutesAreRegistered: every operation of the document is a
// route of the server (probed), answering 401 without a token unless the
// document says it needs none.
func TestOpenAPIRoutesAreRegistered(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	for _, op := range apiOperations() {
		status, code := probe(s, op.Pattern)
		switch {
		case !routed(status, code):
			t.Errorf("%s is in the OpenAPI document but the server has no such route (answered %d %s)", op.Pattern, status, code)
		case op.Public && status == http.StatusUnauthorized:
			t.Errorf("%s is public in the OpenAPI document but asks for a token", op.Pattern)
		case !op.Public && status != http.StatusUnauthorized:
			t.Errorf("%s needs a bearer token in the OpenAPI document but answered %d without one", op.Pattern, status)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute: every route pattern of the package's
// source is an operation of the document, with the same path parameter
// names; a command route (api/operations.go) is documented as that
// command, and a query is not.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	documented := map[string]apiOperation{}
	for _, op := range apiOperations() {
		documented[op.Pattern] = op
	}
	found := sourcePatterns(t)
	var patterns []string
	for p := range found {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		if _, ok := documented[p]; ok {
			continue
		}
		if status, code := probe(s, p); routed(status, code) {
			t.Errorf("route %s (%s) is registered but not in the OpenAPI document: add it to api/openapi_ops.go", p, found[p])
		} else {
			t.Errorf("%s (%s) looks like a route pattern but is neither served nor documented", p, found[p])
		}
	}
	for p, op := range documented {
		_, isCommand := operations[p]
		if op.Command != isCommand {
			t.Errorf("%s: Command is %v in api/openapi_ops.go, but api/operations.go says %v", p, op.Command, isCommand)
		}
	}
	// The document as served.
	raw, problems := openAPIDocument()
	for _, p := range problems {
		t.Errorf("OpenAPI document: %s", p)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v %q", err, doc.OpenAPI)
	}
	n := 0
	for path, item := range doc.Paths {
		for method, o := range item {
			n++
			p := strings.ToUpper(method) + " " + path
			if _, ok := found[p]; !ok {
				t.Errorf("%s is in the OpenAPI document but no route is registered with that pattern", p)
			}
			if cmd, ok := operations[p]; ok && o["x-command"] != cmd {
				t.Errorf("%s: x-command %v, want %s", p, o["x-command"], cmd)
			}
		}
	}
	if n != len(documented) {
		t.Errorf("the document has %d operations, the table %d", n, len(documented))
	}
}

// TestOpenAPIRegistrationsUseLiterals: routes are registered with literal
// patterns (mux.Handle, mux.HandleFunc, the route helpers), so that
// sourcePatterns sees every one.
func TestOpenAPIRegistrationsUseLiterals(t *testing.T) {
	forEachSourceFile(t, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if name != "Handle" && name != "HandleFunc" && name != "route" {
				return true
			}
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
			case *ast.Ident:
				// The route helpers pass their own literal-fed parameter on.
				if a.Name != "pattern" {
					t.Errorf("%s: %s registers a route with a pattern that is not a literal", fset.Position(call.Pos()), name)
				}
			default:
				t.Errorf("%s: %s registers a route with a pattern that is not a literal", fset.Position(call.Pos()), name)
			}
			return true
		})
	})
}

// TestOpenAPIDocumentShape: bodies are reflected from their Go types.
func TestOpenAPIDocumentShape(t *testing.T) {
	var doc map[string]any
	raw, _ := openAPIDocument()
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	reg := schemas["RegisterAccountInput"].(map[string]any)
	if reg["additionalProperties"] != false || strings.Join(anyStrings(reg["required"]), ",") != "name,primary_domain,address" {
		t.Errorf("RegisterAccountInput: %v", reg)
	}
	if _, ok := reg["properties"].(map[string]any)["vat_number"]; !ok {
		t.Errorf("RegisterAccountInput lacks vat_number: %v", reg)
	}
	if _, ok := schemas["AccountAddress"]; !ok {
		t.Errorf("two Address types are not told apart: %v", keys(schemas))
	}
	code := schemas["Problem"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
	want := "conflict,duplicate,embargo_hold,forbidden,internal,invalid_request,not_found,rate_limited,rule_violation,stale,unauthenticated,validation_failed"
	if got := strings.Join(anyStrings(code["enum"]), ","); got != want {
		t.Errorf("problem codes %s, want %s", got, want)
	}
	res := schemas["CommandResultEvent"].(map[string]any)["properties"].(map[string]any)
	if id := res["id"].(map[string]any); id["format"] != "uuid" {
		t.Errorf("CommandResultEvent.id: %v", id)
	}
	c := schemas["Case"].(map[string]any)["properties"].(map[string]any)
	if at := c["opened_at"].(map[string]any); at["format"] != "date-time" {
		t.Errorf("Case.opened_at: %v", at)
	}
	if _, ok := c["decided_at"].(map[string]any)["anyOf"]; ok {
		t.Errorf("an omitempty pointer is optional, not nullable: %v", c["decided_at"])
	}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			_, public := o.(map[string]any)["security"]
			if public != (path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/openapi.json" || path == "/asyncapi.json") {
				t.Errorf("%s %s: public is %v", method, path, public)
			}
		}
	}
}

func anyStrings(v any) []string {
	var out []string
	switch s := v.(type) {
	case []any:
		for _, x := range s {
			out = append(out, x.(string))
		}
	case []string:
		out = s
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// probeAuth takes any token for an admin's.
type probeAuth struct{}

func (probeAuth) Authenticate(context.Context, string) (domain.Principal, error) {
	return auth.Staff("openapi-probe", domain.RoleAdmin), nil
}

// TestOpenAPIQueryParametersAreTaken: the server takes every query
// parameter the document gives an operation, and (where it names the
// parameters it takes when refusing an unknown one) no other; the API
// tests' validation checks too that a parameter the server took is
// documented. Parameters are sent to a server without a database: whatever
// it answers then, it must not be that a documented parameter is unknown.
func TestOpenAPIQueryParametersAreTaken(t *testing.T) {
	s := New(Config{Auth: probeAuth{}, Logger: slog.New(slog.DiscardHandler)})
	allowedRe := regexp.MustCompile(`\(allowed: ([a-z_, ]+)\)$`)
	for _, op := range apiOperations() {
		if method, path, _ := strings.Cut(op.Pattern, " "); method == http.MethodGet && !op.Public {
			path = pathParamRe.ReplaceAllString(path, "x")
			req := httptest.NewRequest(http.MethodGet, "http://channeldesk.test"+path+"?openapi_probe=1", nil)
			req.Header.Set("Authorization", "Bearer probe")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			var pr Problem
			_ = json.Unmarshal(w.Body.Bytes(), &pr)
			if m := allowedRe.FindStringSubmatch(pr.Detail); m != nil {
				var documented []string
				for _, p := range op.Query {
					documented = append(documented, p.Name)
				}
				taken := strings.Split(m[1], ", ")
				sort.Strings(documented)
				sort.Strings(taken)
				if strings.Join(documented, ",") != strings.Join(taken, ",") {
					t.Errorf("%s: the server takes the query parameters %v, the OpenAPI document gives %v", op.Pattern, taken, documented)
				}
			}
		}
		for _, p := range op.Query {
			_, path, _ := strings.Cut(op.Pattern, " ")
			path = pathParamRe.ReplaceAllString(path, "x")
			value := "A"
			switch sch := p.Schema; {
			case sch == nil || p.Name == "limit" || p.Name == "min_position":
				value = "1"
			case sch["enum"] != nil:
				value = sch["enum"].([]string)[0]
			case sch["format"] == "date":
				value = "2024-01-02"
			case sch["type"] == "integer":
				value = "1"
			}
			req := httptest.NewRequest(http.MethodGet, "http://channeldesk.test"+path+"?"+url.Values{p.Name: {value}}.Encode(), nil)
			req.Header.Set("Authorization", "Bearer probe")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			var pr Problem
			_ = json.Unmarshal(w.Body.Bytes(), &pr)
			if w.Code == http.StatusBadRequest && len(pr.Errors) > 0 && pr.Errors[0].Field == p.Name &&
				strings.Contains(pr.Detail, "is not a parameter of this query") {
				t.Errorf("%s: the OpenAPI document gives it query parameter %s, which the server does not take: %s", op.Pattern, p.Name, pr.Detail)
			}
		}
	}
}
