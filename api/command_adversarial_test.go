package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// The adversarial command test: every command endpoint of the served
// OpenAPI document (so a route added later is covered without a change
// here) receives malformed and hostile requests, each built so that it
// cannot be a valid command: no or bad tokens; IDs with SQL and wildcard
// metacharacters, or of nothing; a party acting on another party's
// resources; truncated, oversized, non-JSON, invalid UTF-8, NUL-bearing,
// deeply nested bodies, unknown and repeated fields, wrong types and
// numbers out of range; forged Idempotency-Keys; wrong Content-Types with
// bodies that are not JSON. It asserts: zero 5xx, only 4xx problems with a
// stable code, zero events appended (the store's head position does not
// move), and no answer to another party carries the victim's data.
//
// The victim's world is FuzzCommands': the valid bodies of its seed corpus
// (testdata/fuzz/FuzzCommands/valid_*) apply to it, so a body below is
// valid unless the test breaks it on purpose.

// advCmd is one adversarial request.
type advCmd struct {
	kind, method, path, token, ctype string
	body                             []byte
	headers                          []string
	// cross: the caller is another party; the answer must carry none of
	// the victim's data.
	cross bool
}

// advWorldIDs are the victim's resources, by the names of FuzzCommands'
// path parameters.
func advWorldIDs(cust string) map[string]string {
	return map[string]string{
		"account": cust, "contact": "C-000077", "partner": "700001HQ", "partner_contact": "C-900001", "tag": "vip",
		"order": "ORD-0000002", "contract": "ELA-000001", "license": "LIC-0000001", "host": "lic1.example", "case": "CASE-000001",
	}
}

// advParam names a path parameter of the document as FuzzCommands does.
func advParam(path, name string) string {
	switch name {
	case "id":
		for _, p := range []struct{ prefix, name string }{{"/v1/accounts/", "account"}, {"/v1/partners/", "partner"}, {"/v1/licenses/", "license"}} {
			if strings.HasPrefix(path, p.prefix) {
				return p.name
			}
		}
	case "number":
		for _, p := range []struct{ prefix, name string }{{"/v1/orders/", "order"}, {"/v1/contracts/", "contract"}, {"/v1/cases/", "case"}} {
			if strings.HasPrefix(path, p.prefix) {
				return p.name
			}
		}
	case "contact_id":
		if strings.HasPrefix(path, "/v1/partners/") {
			return "partner_contact"
		}
		return "contact"
	case "partner_id":
		return "partner"
	case "tag":
		return "tag"
	case "host_id":
		return "host"
	}
	return name
}

var docParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// advEndpoints are the command routes (POST and DELETE) of the served
// document, with paths in FuzzCommands' terms ({account}, {order}, ...).
func advEndpoints(t *testing.T, e *env) []struct{ method, path string } {
	r := e.do("GET", "/openapi.json", "", nil)
	paths, _ := r.body["paths"].(map[string]any)
	var out []struct{ method, path string }
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if m != "post" && m != "delete" {
				continue
			}
			fp := docParam.ReplaceAllStringFunc(p, func(s string) string { return "{" + advParam(p, strings.Trim(s, "{}")) + "}" })
			out = append(out, struct{ method, path string }{strings.ToUpper(m), fp})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	if len(out) < len(fuzzEndpoints) {
		t.Fatalf("the document has %d command routes; FuzzCommands drives %d", len(out), len(fuzzEndpoints))
	}
	return out
}

// advValidBodies reads the valid bodies of FuzzCommands' seed corpus, by
// endpoint ("POST /v1/accounts/{account}/rename").
func advValidBodies(t *testing.T) map[string][]byte {
	files, err := filepath.Glob("testdata/fuzz/FuzzCommands/valid_*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid seeds: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 5 {
			t.Fatalf("%s: not a FuzzCommands seed", f)
		}
		arg := func(line, typ string) string {
			v, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, typ+"("), ")"))
			if err != nil {
				t.Fatalf("%s: %q: %v", f, line, err)
			}
			return v
		}
		ep := fuzzEndpoints[int(arg(lines[1], "byte")[0])%len(fuzzEndpoints)]
		if arg(lines[3], "string") != "" {
			continue // a seed with an ID of its own
		}
		out[ep.method+" "+ep.path] = []byte(arg(lines[4], "[]byte"))
	}
	return out
}

// fillPath fills path's parameters from ids; the first is replaced with
// first when that is not empty.
func fillPath(path string, ids map[string]string, first string) string {
	segs := strings.Split(path, "/")
	done := false
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		v := ids[strings.Trim(s, "{}")]
		if !done && first != "" {
			v, done = first, true
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/")
}

// topFields are the top-level member names of a JSON object, in order.
func topFields(body []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// withField returns body with member name set to the raw JSON value.
func withField(body []byte, name, value string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		m = map[string]json.RawMessage{}
	}
	m[name] = json.RawMessage(value)
	b, _ := json.Marshal(m)
	return b
}

// hostileIDs stand in for the first path parameter: SQL and wildcard
// metacharacters, traversal, control and format characters, IDs of
// nothing. None names an existing resource, unless a lookup treats it as a
// pattern.
var hostileIDs = []string{
	"' OR '1'='1", "1; DROP TABLE events; --", "%", "_", "*", "LIC-%", "ORD-000000_", "CASE-%",
	`\`, "../../etc/passwd", "C-0000\x0077", "\u202eQH123456", "ＥＬＡ－０００００１", strings.Repeat("9", 2000),
}

// hostileStrings replace string values of a cross-party caller's bodies.
var hostileStrings = []string{
	`"' OR 1=1 --"`, `"%"`, `"_%_"`, `"a\u0000b"`, `"\\"`, `"${jndi:ldap://x/a}"`, `"` + strings.Repeat("x", 10_000) + `"`,
}

func advCommands(t *testing.T, e *env, eps []struct{ method, path string }, valid map[string][]byte, ids map[string]string,
	revoked, otherPartner, otherCustomer, usedKey string) []advCmd {
	var cmds []advCmd
	add := func(c advCmd) { cmds = append(cmds, c) }
	for _, ep := range eps {
		body := valid[ep.method+" "+ep.path]
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte(`{}`)
		}
		real := fillPath(ep.path, ids, "")
		hasParams := strings.Contains(ep.path, "{")

		// No token or a bad one: 401.
		for _, tok := range []string{"", revoked, "cdk_aaaaaaaaaaaaaaaa_" + strings.Repeat("A", 43), "not-a-token", e.admin + "x", strings.Repeat("t", 5000)} {
			add(advCmd{kind: "bad token", method: ep.method, path: real, token: tok, body: body, cross: true})
		}
		add(advCmd{kind: "token in the query", method: ep.method, path: real + "?access_token=" + e.admin, body: body, cross: true})
		add(advCmd{kind: "basic auth", method: ep.method, path: real, body: body, headers: []string{"Authorization", "Basic " + e.admin}, cross: true})

		if hasParams {
			// Staff, a valid body, an ID of nothing.
			for _, id := range hostileIDs {
				add(advCmd{kind: "hostile ID", method: ep.method, path: fillPath(ep.path, ids, id), token: e.admin, body: body})
			}
			// Another party on the victim's resources, with the valid body
			// and with hostile strings in it.
			for _, tok := range []string{otherPartner, otherCustomer} {
				add(advCmd{kind: "other party", method: ep.method, path: real, token: tok, body: body, cross: true})
			}
			for i, name := range topFields(body) {
				for j, s := range hostileStrings {
					tok := []string{otherPartner, otherCustomer}[(i+j)%2]
					add(advCmd{kind: "other party, hostile string", method: ep.method, path: real, token: tok, body: withField(body, name, s), cross: true})
				}
			}
		}

		// Staff on the victim's real resources, with bodies that cannot
		// be decoded.
		for _, cut := range []int{1, 2, len(body) / 4, len(body) / 2, len(body) - 2, len(body) - 1} {
			if cut >= 1 && cut < len(body) {
				add(advCmd{kind: "truncated", method: ep.method, path: real, token: e.admin, body: body[:cut]})
			}
		}
		inner := string(body[1:])
		sep := ","
		if strings.TrimSpace(inner) == "}" {
			sep = ""
		}
		broken := map[string]string{
			"unknown field":         `{"zz_unknown":1` + sep + inner,
			"unknown nested field":  `{"zz":{"a":{"b":1}}` + sep + inner,
			"invalid UTF-8 key":     "{\"\xff\xfe\":1" + sep + inner,
			"invalid UTF-8 value":   "{\"zz\":\"\xc3\x28\"" + sep + inner,
			"overlong UTF-8":        "{\"\xc0\xaf\":1" + sep + inner,
			"raw NUL":               "{\"a\x00\":1" + sep + inner,
			"NUL before the body":   "\x00" + string(body),
			"byte order mark":       "\xef\xbb\xbf" + string(body),
			"deep nesting":          `{"zz":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`,
			"nesting past 32":       strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40),
			"array body":            "[" + string(body) + "]",
			"null body":             "null",
			"string body":           `"` + strings.Repeat("s", 100) + `"`,
			"number body":           "1e400",
			"boolean body":          "true",
			"two objects":           string(body) + string(body),
			"trailing garbage":      string(body) + " ]",
			"single quotes":         `{'zz': 1}`,
			"comment":               "/* */" + string(body),
			"NaN":                   `{"zz": NaN}`,
			"bad escape":            `{"zz":"\x"}`,
			"lone surrogate key":    `{"\ud800":1` + sep + inner,
			"huge exponent":         `{"zz":1e999999999999}`,
			"control character key": "{\"\x01\":1" + sep + inner,
		}
		for _, k := range slices.Sorted(maps.Keys(broken)) {
			add(advCmd{kind: k, method: ep.method, path: real, token: e.admin, body: []byte(broken[k])})
		}
		if f := topFields(body); len(f) > 0 {
			add(advCmd{kind: "repeated field", method: ep.method, path: real, token: e.admin,
				body: []byte(`{"` + f[0] + `":null,` + inner)})
			add(advCmd{kind: "field name in capitals", method: ep.method, path: real, token: e.admin,
				body: []byte(`{"` + strings.ToUpper(f[0]) + `":null,` + inner)})
		}
		// Every field out of range (a huge number is no string, object,
		// array or boolean, and overflows every number type). A case's
		// proposal is free-form JSON kept as is, so it is left alone.
		for _, name := range topFields(body) {
			if name == "proposed" {
				continue
			}
			for _, v := range []string{"1e400", "-123456789012345678901234567890e300"} {
				add(advCmd{kind: "out of range", method: ep.method, path: real, token: e.admin, body: withField(body, name, v)})
			}
		}
		add(advCmd{kind: "oversized", method: ep.method, path: real, token: e.admin,
			body: append(append([]byte(`{"zz":"`), bytes.Repeat([]byte("a"), api.MaxBodyBytes)...), `"}`...)})
		add(advCmd{kind: "oversized white space", method: ep.method, path: real, token: e.admin,
			body: append(bytes.Repeat([]byte(" "), api.MaxBodyBytes+1), body...)})

		// Not JSON, whatever the Content-Type says.
		for ct, b := range map[string]string{
			"application/x-www-form-urlencoded": "name=Form+GmbH&primary_domain=form.example",
			"application/xml":                   "<account><name>XML GmbH</name></account>",
			"multipart/form-data; boundary=x":   "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMultipart GmbH\r\n--x--\r\n",
			"text/plain":                        "rename to Plain GmbH",
			"application/json; charset=utf-16":  "\xff\xfe{\x00}\x00",
		} {
			add(advCmd{kind: "wrong content type", method: ep.method, path: real, token: e.admin, body: []byte(b), ctype: ct})
		}
		// A valid body with a forged Idempotency-Key: refused before the
		// command runs.
		for _, key := range []string{strings.Repeat("k", 201), "two words", "ключ", "tab\there", "\"quoted\" key"} {
			add(advCmd{kind: "forged Idempotency-Key", method: ep.method, path: real, token: e.admin, body: body,
				headers: []string{"Idempotency-Key", key}})
		}
		if ep.method+" "+ep.path == "POST /v1/accounts" {
			// The key of an accepted registration, with another body.
			add(advCmd{kind: "reused Idempotency-Key", method: ep.method, path: real, token: e.admin,
				body:    []byte(`{"name":"Another Key GmbH","primary_domain":"key.example","address":{"country":"DE"}}`),
				headers: []string{"Idempotency-Key", usedKey}})
		}
	}
	return cmds
}

// TestAdversarialCommands: see the top of the file.
func TestAdversarialCommands(t *testing.T) {
	t.Parallel()
	// Thousands of requests from a few tokens: a limit no test reaches.
	e := start(t, generousLimit)
	ctx := context.Background()

	// The victim's world, as FuzzCommands builds it.
	cust, _ := e.register("Fuzz Customer GmbH")
	reseller := e.partnerOrg("700001HQ", domain.PartnerActive)
	e.customerContact(cust, "C-000077", domain.AccessUnrestricted)
	e.fulfilled(cust, 100) // ORD-0000001, LIC-0000001
	for _, r := range []resp{
		e.do("POST", "/v1/orders", reseller, orderBody(cust, "PO-F2")),
		e.do("POST", "/v1/contracts", e.admin, map[string]any{"program": "enterprise", "account_id": cust, "primary_admin": "C-000077",
			"discount_level": 3, "term_start": "2024-01-01", "term_end": "2026-12-31"}),
		e.do("POST", "/v1/cases", e.support, map[string]any{"request_type": "general", "subject": "rename", "account_id": cust, "description": "d"}),
	} {
		if r.status != http.StatusCreated {
			t.Fatalf("setup: %d %s", r.status, r.raw)
		}
	}
	// The other party: a partner with a customer of its own, and that
	// customer's contact.
	other, _ := e.register("Other Party AG")
	otherPartner := e.partnerOrg("700009HQ", domain.PartnerActive)
	if r := e.do("POST", "/v1/orders", otherPartner, orderBody(other, "PO-OTHER-1")); r.status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.status, r.raw)
	}
	otherCustomer := e.customerContact(other, "C-000099", domain.AccessUnrestricted)
	revoked, info, err := e.app.Tokens.Create(ctx, auth.Staff("rex", domain.RoleAdmin), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Tokens.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	usedKey := "adversarial-used-key"
	if r := e.do("POST", "/v1/accounts", e.admin, registerBody("Keyed GmbH"), "Idempotency-Key", usedKey); r.status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.status, r.raw)
	}
	// What the other party may never read: the victim's names, contact
	// and PO numbers (a body may quote what the caller sent, so only data
	// absent from the request counts).
	secrets := []string{"Fuzz Customer GmbH", "Cus Tomer C-000077", "c-000077@acme.example", "PO-F2", cust, "Pat Partner"}

	eps := advEndpoints(t, e)
	valid := advValidBodies(t)
	if len(valid) < 25 {
		t.Fatalf("valid bodies for %d routes only: the hostile-ID requests would be refused for their bodies alone", len(valid))
	}
	cmds := advCommands(t, e, eps, valid, advWorldIDs(cust), revoked, otherPartner, otherCustomer, usedKey)
	headBefore, eventsBefore := advHead(t, e), e.events()

	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		byKind   = map[string]int{}
		failures []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 30 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	client := &http.Client{}
	work := make(chan advCmd)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				status, ctype, raw, err := advSend(client, e.base, c)
				if err != nil {
					fail("%s %s %s: %v", c.kind, c.method, c.path, err)
					continue
				}
				mu.Lock()
				statuses[status]++
				byKind[c.kind]++
				mu.Unlock()
				what := fmt.Sprintf("%s: %s %.120s body %.80q", c.kind, c.method, c.path, c.body)
				if status < 400 || status >= 500 {
					fail("%s answered %d: %.300s", what, status, raw)
					continue
				}
				var p struct {
					Status int    `json:"status"`
					Code   string `json:"code"`
				}
				if ctype != "application/problem+json" || json.Unmarshal(raw, &p) != nil || p.Status != status || !problemCodes[p.Code] {
					fail("%s answered %d, not a problem with a stable code: %s %.300s", what, status, ctype, raw)
				}
				if c.cross {
					sent := c.path + string(c.body)
					for _, s := range secrets {
						if strings.Contains(string(raw), s) && !strings.Contains(sent, s) {
							fail("%s: the answer to another party carries %q: %.300s", what, s, raw)
						}
					}
				}
			}
		}()
	}
	for _, c := range cmds {
		work <- c
	}
	close(work)
	wg.Wait()

	if head, n := advHead(t, e), e.events(); head != headBefore || n != eventsBefore {
		t.Errorf("the store moved from head %d (%d events) to %d (%d events): an adversarial request was accepted", headBefore, eventsBefore, head, n)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if len(cmds) < 2000 {
		t.Errorf("only %d adversarial requests; want at least 2000", len(cmds))
	}
	t.Logf("%d adversarial requests on %d command routes: answers by status %v; %d kinds of attack", len(cmds), len(eps), statuses, len(byKind))
}

// advHead is the store's head position.
func advHead(t *testing.T, e *env) int64 {
	t.Helper()
	var head int64
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	return head
}

// advSend sends c and returns the answer.
func advSend(client *http.Client, base string, c advCmd) (int, string, []byte, error) {
	req, err := http.NewRequest(c.method, base+c.path, bytes.NewReader(c.body))
	if err != nil {
		return 0, "", nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	ctype := c.ctype
	if ctype == "" {
		ctype = "application/json"
	}
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header.Set(c.headers[i], c.headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), raw, err
}
