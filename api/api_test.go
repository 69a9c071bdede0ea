package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// env is a running channeldesk (HTTP, relay, projectors) on its own
// database and embedded NATS server.
type env struct {
	t       testing.TB
	base    string
	app     *app.App
	admin   string
	support string
	auditor string
}

func start(t testing.TB, opts ...func(*app.Config)) *env {
	t.Helper()
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{
		DatabaseURL: pgtest.URL(t),
		NATSURL:     ns.URL(),
		HTTPAddr:    "127.0.0.1:0",
		MaxConns:    12,
		StaleAfter:  30 * time.Second, // a loaded machine (-race, parallel tests) may lag; waiting is not what these tests check
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("open app: %v", err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	e := &env{t: t, app: a}
	select {
	case s := <-addr:
		e.base = "http://" + s
	case err := <-done:
		t.Fatalf("app stopped: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app run: %v", err)
		}
		a.Close()
	})
	e.admin = e.token(auth.Staff("ada", domain.RoleAdmin))
	e.support = e.token(auth.Staff("sam", domain.RoleSupport))
	e.auditor = e.token(auth.Staff("audrey", domain.RoleAuditor))
	return e
}

func (e *env) token(p domain.Principal) string {
	e.t.Helper()
	tok, _, err := e.app.Tokens.Create(context.Background(), p, time.Hour, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (e *env) do(method, path, token string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		sent = j
	}
	if body != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	// Every exchange is checked against the OpenAPI document
	// (openapi_check_test.go).
	e.checkOpenAPI(req, sent, res, raw)
	return r
}

func (e *env) events() int {
	e.t.Helper()
	var n int
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func registerBody(name string) map[string]any {
	return map[string]any{
		"name":           name,
		"primary_domain": "acme.example",
		"address":        map[string]any{"country": "DE", "state": "Bavaria", "city": "Munich"},
		"vat_number":     "DE123456789",
	}
}

func renameBody(oldName, newName string) map[string]any {
	return map[string]any{
		"new_name": newName,
		"evidence": map[string]any{
			"email_confirmation": map[string]any{"from": "legal@acme.example", "reference": "MSG-1"},
			"document":           map[string]any{"kind": "press_release", "reference": "https://acme.example/press/1", "old_name": oldName, "new_name": newName},
		},
	}
}

func (e *env) register(name string) (string, int64) {
	e.t.Helper()
	r := e.do("POST", "/v1/accounts", e.admin, registerBody(name))
	if r.status != http.StatusCreated {
		e.t.Fatalf("register: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string), int64(r.body["position"].(float64))
}

func wantProblem(t testing.TB, r resp, status int, code string) {
	t.Helper()
	if r.status != status || r.body["code"] != code || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("want %d %s problem, got %d %s %s", status, code, r.status, r.header.Get("Content-Type"), r.raw)
	}
	if r.body["type"] == nil || r.body["title"] == nil || r.body["status"] != float64(status) {
		t.Fatalf("problem lacks type/title/status: %s", r.raw)
	}
}

func TestRegisterRenameThenReadYourWrites(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.do("POST", "/v1/accounts", e.admin, registerBody("Acme Widgets GmbH"), "X-Correlation-ID", "corr-e2e-1")
	if r.status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.status, r.raw)
	}
	if r.header.Get("X-Correlation-ID") != "corr-e2e-1" {
		t.Fatalf("correlation ID not echoed: %q", r.header.Get("X-Correlation-ID"))
	}
	id := r.body["id"].(string)
	if r.body["stream"] != "account-"+id || r.body["version"] != float64(1) {
		t.Fatalf("answer: %s", r.raw)
	}
	evs := r.body["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["type"] != "account.registered" {
		t.Fatalf("events: %s", r.raw)
	}
	r = e.do("POST", "/v1/accounts/"+id+"/rename", e.support, renameBody("Acme Widgets GmbH", "Zenith Widgets GmbH"))
	if r.status != http.StatusOK || r.body["version"] != float64(2) {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	pos := int64(r.body["position"].(float64))

	r = e.do("GET", fmt.Sprintf("/v1/customers?q=zenith&min_position=%d", pos), e.admin, nil)
	if r.status != http.StatusOK {
		t.Fatalf("customers: %d %s", r.status, r.raw)
	}
	items := r.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["name"] != "Zenith Widgets GmbH" || items[0].(map[string]any)["account_id"] != id {
		t.Fatalf("customers after rename: %s", r.raw)
	}
	// The old name still finds the company, marked as renamed.
	r = e.do("GET", "/v1/customers?q="+url.QueryEscape("ACME widgets"), e.admin, nil)
	items = r.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["renamed"] != true {
		t.Fatalf("search by old name: %s", r.raw)
	}
	r = e.do("GET", "/v1/accounts/"+id, e.auditor, nil)
	if r.status != http.StatusOK || r.body["name"] != "Zenith Widgets GmbH" || r.body["region"] != "EMEA" {
		t.Fatalf("account: %d %s", r.status, r.raw)
	}

	// The envelope names the actor and carries the correlation ID.
	var actor, corr, ip string
	err := e.app.Pool.QueryRow(context.Background(), `SELECT actor, correlation_id, client_ip FROM events WHERE event_type = 'account.registered'`).Scan(&actor, &corr, &ip)
	if err != nil || actor != "staff:ada" || corr != "corr-e2e-1" || ip != "127.0.0.1" {
		t.Fatalf("envelope: actor %q correlation %q ip %q (%v)", actor, corr, ip, err)
	}
	r = e.do("GET", "/v1/projections", e.admin, nil)
	if r.status != http.StatusOK || len(r.body["items"].([]any)) == 0 {
		t.Fatalf("projections: %d %s", r.status, r.raw)
	}
	p := r.body["items"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "position", "lag_events", "lag_seconds", "state"} {
		if _, ok := p[k]; !ok {
			t.Fatalf("projection status lacks %s: %s", k, r.raw)
		}
	}
}

func TestCustomerPaging(t *testing.T) {
	t.Parallel()
	e := start(t)
	var last int64
	for i := 0; i < 7; i++ {
		_, last = e.register(fmt.Sprintf("Paging Co %02d", i))
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		path := fmt.Sprintf("/v1/customers?limit=3&q=paging&min_position=%d", last)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do("GET", path, e.support, nil)
		if r.status != http.StatusOK {
			t.Fatalf("page: %d %s", r.status, r.raw)
		}
		pages++
		for _, it := range r.body["items"].([]any) {
			id := it.(map[string]any)["account_id"].(string)
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
		next, ok := r.body["next_cursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d customers over %d pages", len(seen), pages)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := start(t)
	body := registerBody("Idem Potent Ltd")
	r1 := e.do("POST", "/v1/accounts", e.admin, body, "Idempotency-Key", "key-1")
	r2 := e.do("POST", "/v1/accounts", e.admin, body, "Idempotency-Key", "key-1")
	if r1.status != http.StatusCreated || r2.status != http.StatusCreated || string(r1.raw) != string(r2.raw) {
		t.Fatalf("repeat answered differently:\n%d %s\n%d %s", r1.status, r1.raw, r2.status, r2.raw)
	}
	if n := e.events(); n != 1 {
		t.Fatalf("%d events after a repeated command, want 1", n)
	}
	other := registerBody("Someone Else Ltd")
	r3 := e.do("POST", "/v1/accounts", e.admin, other, "Idempotency-Key", "key-1")
	wantProblem(t, r3, http.StatusUnprocessableEntity, "invalid_request")
	// Another principal's key space is its own.
	r4 := e.do("POST", "/v1/accounts", e.support, body, "Idempotency-Key", "key-1")
	if r4.status != http.StatusCreated || r4.body["id"] == r1.body["id"] {
		t.Fatalf("other principal: %d %s", r4.status, r4.raw)
	}
	if n := e.events(); n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
}

func TestBadInputIsRefusedAndAppendsNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Target Company AG")
	before := e.events()
	long := strings.Repeat("x", 201)
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/v1/accounts", `{"name": "x",`, 400, "invalid_request"},
		{"not an object", "POST", "/v1/accounts", `[1,2]`, 400, "invalid_request"},
		{"empty body", "POST", "/v1/accounts", ``, 400, "invalid_request"},
		{"trailing data", "POST", "/v1/accounts", `{"name":"A"} {"name":"B"}`, 400, "invalid_request"},
		{"unknown field", "POST", "/v1/accounts", `{"name":"A","primary_domain":"a.example","address":{"country":"US"},"admin":true}`, 400, "invalid_request"},
		{"wrong type", "POST", "/v1/accounts", `{"name":42,"primary_domain":"a.example","address":{"country":"US"}}`, 400, "invalid_request"},
		{"nested wrong type", "POST", "/v1/accounts", `{"name":"A","primary_domain":"a.example","address":"US"}`, 400, "invalid_request"},
		{"too deep", "POST", "/v1/accounts", deep, 400, "invalid_request"},
		{"invalid UTF-8", "POST", "/v1/accounts", []byte("{\"name\":\"\xff\xfe\",\"primary_domain\":\"a.example\",\"address\":{\"country\":\"US\"}}"), 400, "invalid_request"},
		{"too large", "POST", "/v1/accounts", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "invalid_request"},
		{"empty name", "POST", "/v1/accounts", registerBody(""), 422, "validation_failed"},
		{"blank name", "POST", "/v1/accounts", registerBody("   "), 422, "validation_failed"},
		{"over-long name", "POST", "/v1/accounts", registerBody(long), 422, "validation_failed"},
		{"control characters", "POST", "/v1/accounts", registerBody("Evil\x00Corp"), 422, "validation_failed"},
		{"bad country", "POST", "/v1/accounts", map[string]any{"name": "A", "primary_domain": "a.example", "address": map[string]any{"country": "XX"}}, 422, "validation_failed"},
		{"bad domain", "POST", "/v1/accounts", map[string]any{"name": "A", "primary_domain": "not a domain", "address": map[string]any{"country": "US"}}, 422, "validation_failed"},
		{"rename: empty new name", "POST", "/v1/accounts/" + id + "/rename", renameBody("Target Company AG", ""), 422, "validation_failed"},
		{"rename: unknown field", "POST", "/v1/accounts/" + id + "/rename", `{"new_name":"B","evidence":{},"force":true}`, 400, "invalid_request"},
		{"rename: no evidence", "POST", "/v1/accounts/" + id + "/rename", map[string]any{"new_name": "B"}, 422, "validation_failed"},
		{"rename: email from another domain", "POST", "/v1/accounts/" + id + "/rename", func() map[string]any {
			b := renameBody("Target Company AG", "Other AG")
			b["evidence"].(map[string]any)["email_confirmation"].(map[string]any)["from"] = "someone@gmail.com"
			return b
		}(), 422, "rule_violation"},
		{"rename: document names another company", "POST", "/v1/accounts/" + id + "/rename", renameBody("Unrelated AG", "Other AG"), 422, "rule_violation"},
		{"rename: same name", "POST", "/v1/accounts/" + id + "/rename", renameBody("Target Company AG", "TARGET company AG"), 422, "rule_violation"},
		{"rename: unknown account", "POST", "/v1/accounts/999999ZZ/rename", renameBody("Target Company AG", "Other AG"), 404, "not_found"},
		{"rename: malformed account ID", "POST", "/v1/accounts/%27%20OR%201=1/rename", renameBody("Target Company AG", "Other AG"), 404, "not_found"},
		{"bad idempotency key", "POST", "/v1/accounts", registerBody("A"), 400, "invalid_request"},
	}
	for _, c := range cases {
		var headers []string
		if c.name == "bad idempotency key" {
			headers = []string{"Idempotency-Key", strings.Repeat("k", 201)}
		}
		r := e.do(c.method, c.path, e.admin, c.body, headers...)
		if r.status != c.status || r.body["code"] != c.code || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: got %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
	}
	if n := e.events(); n != before {
		t.Fatalf("%d events appended by refused requests", n-before)
	}
}

func TestBadQueriesAndRoutes(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.StaleAfter = 300 * time.Millisecond })
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/customers?cursor=not-a-cursor", 400, "invalid_request"},
		{"GET", "/v1/customers?cursor=eyJ4IjoxfQ", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=0", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=007", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=%2B7", 400, "invalid_request"},
		{"GET", "/v1/customers?min_position=%2B7", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=501", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=ten", 400, "invalid_request"},
		{"GET", "/v1/customers?limit=1&limit=2", 400, "invalid_request"},
		{"GET", "/v1/customers?nmae=acme", 400, "invalid_request"},
		{"GET", "/v1/customers?min_position=-1", 400, "invalid_request"},
		{"GET", "/v1/customers?min_position=abc", 400, "invalid_request"},
		{"GET", "/v1/customers?q=" + strings.Repeat("a", 501), 400, "invalid_request"},
		{"GET", "/v1/customers?min_position=9000000000000000000", 503, "stale"},
		{"GET", "/v1/accounts/123456XX", 404, "not_found"},
		{"GET", "/v1/nothing-here", 404, "invalid_request"},
		{"DELETE", "/v1/customers", 405, "invalid_request"},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, e.admin, nil)
		if r.status != c.status || r.body["code"] != c.code {
			t.Errorf("%s %s: got %d %s, want %d %s", c.method, c.path, r.status, r.raw, c.status, c.code)
		}
		if c.code == "stale" && r.header.Get("Retry-After") == "" {
			t.Errorf("stale answer without Retry-After")
		}
	}
	// Metacharacters in a search are text, not patterns.
	e.register("Percent Co")
	r := e.do("GET", "/v1/customers?q="+url.QueryEscape("%"), e.admin, nil)
	if r.status != 200 || len(r.body["items"].([]any)) != 0 {
		t.Fatalf("wildcard search: %d %s", r.status, r.raw)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Private Customer Inc")
	otherID, _ := e.register("Another Customer Inc")
	customer := e.token(auth.CustomerContact(id, "C-1"))
	partner := e.token(auth.PartnerContact("700001HQ", "P-1"))
	revokedTok, info, err := e.app.Tokens.Create(context.Background(), auth.Staff("old", domain.RoleAdmin), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Tokens.Revoke(context.Background(), info.ID); err != nil {
		t.Fatal(err)
	}
	before := e.events()
	wantProblem(t, e.do("GET", "/v1/customers", "", nil), 401, "unauthenticated")
	wantProblem(t, e.do("GET", "/v1/customers", "cdk_nonsense", nil), 401, "unauthenticated")
	wantProblem(t, e.do("POST", "/v1/accounts", revokedTok, registerBody("X")), 401, "unauthenticated")
	wantProblem(t, e.do("POST", "/v1/accounts", partner, registerBody("X")), 403, "forbidden")
	wantProblem(t, e.do("POST", "/v1/accounts", customer, registerBody("X")), 403, "forbidden")
	wantProblem(t, e.do("POST", "/v1/accounts", e.auditor, registerBody("X")), 403, "forbidden")
	// A customer contact that is not an unrestricted org admin cannot rename.
	wantProblem(t, e.do("POST", "/v1/accounts/"+id+"/rename", customer, renameBody("Private Customer Inc", "New Inc")), 403, "forbidden")
	if n := e.events(); n != before {
		t.Fatalf("%d events appended by refused requests", n-before)
	}
	// A customer sees its own account and nothing else; a partner without a
	// relationship sees none.
	_, last := e.register("Third Customer Inc")
	r := e.do("GET", fmt.Sprintf("/v1/accounts/%s?min_position=%d", id, last), customer, nil)
	if r.status != 200 || r.body["account_id"] != id {
		t.Fatalf("own account: %d %s", r.status, r.raw)
	}
	wantProblem(t, e.do("GET", "/v1/accounts/"+otherID, customer, nil), 404, "not_found")
	wantProblem(t, e.do("GET", "/v1/accounts/"+id, partner, nil), 404, "not_found")
	r = e.do("GET", "/v1/customers", customer, nil)
	if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["account_id"] != id {
		t.Fatalf("customer's list: %s", r.raw)
	}
	r = e.do("GET", "/v1/customers", partner, nil)
	if items := r.body["items"].([]any); len(items) != 0 {
		t.Fatalf("partner without relationships sees: %s", r.raw)
	}
	wantProblem(t, e.do("GET", "/v1/projections", partner, nil), 403, "forbidden")
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := e.do("GET", path, "", nil); r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
	}
}

// TestAgainstExternalNATS runs the same register → rename → read path with
// the machine's NATS server (127.0.0.1:4222) instead of an embedded one, on a
// stream and subjects of its own.
func TestAgainstExternalNATS(t *testing.T) {
	t.Parallel()
	nc := natstest.External(t)
	suffix := strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	topo := broker.Topology{Stream: "CDTEST_" + suffix, Prefix: "cdtest" + suffix + ".events"}
	t.Cleanup(func() {
		js, err := jetstream.New(nc)
		if err == nil {
			js.DeleteStream(context.Background(), topo.Stream)
		}
	})
	e := start(t, func(c *app.Config) {
		c.NATSURL = natstest.ExternalURL
		c.Topology = topo
	})
	id, _ := e.register("External Nats Ltd")
	r := e.do("POST", "/v1/accounts/"+id+"/rename", e.admin, renameBody("External Nats Ltd", "Internal Nats Ltd"))
	if r.status != 200 {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	r = e.do("GET", fmt.Sprintf("/v1/accounts/%s?min_position=%d", id, int64(r.body["position"].(float64))), e.admin, nil)
	if r.status != 200 || r.body["name"] != "Internal Nats Ltd" {
		t.Fatalf("account: %d %s", r.status, r.raw)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), topo.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.State.Msgs != 2 {
		t.Fatalf("external stream holds %+v (%v), want 2 messages", info.State, err)
	}
}
