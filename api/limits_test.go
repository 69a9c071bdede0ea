package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/api"
)

// TestRequestLineLimits: through the running server, a request target
// longer than api.MaxURIBytes is refused with 414 and a query of more than
// api.MaxQueryParams parts with 400, both as problems (env.do checks them
// against the OpenAPI document), on queries and commands alike; one at the
// limits passes them. Nothing is appended.
func TestRequestLineLimits(t *testing.T) {
	t.Parallel()
	e := start(t)
	before := e.events()
	// A target of exactly n bytes: /v1/customers?q=aaa...
	target := func(path string, n int) string {
		prefix := path + "?q="
		return prefix + strings.Repeat("a", n-len(prefix))
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		detail             string
	}{
		{"query over the URI limit", "GET", target("/v1/customers", api.MaxURIBytes+1), nil, 414, "exceeds 8192 bytes"},
		{"query far over the URI limit", "GET", target("/v1/customers", 40<<10), nil, 414, "exceeds 8192 bytes"},
		{"command over the URI limit", "POST", target("/v1/accounts", api.MaxURIBytes+1), registerBody("Long GmbH"), 414, "exceeds 8192 bytes"},
		{"path over the URI limit", "GET", "/v1/accounts/" + strings.Repeat("9", api.MaxURIBytes), nil, 414, "exceeds 8192 bytes"},
		{"query at the URI limit", "GET", target("/v1/customers", api.MaxURIBytes), nil, 400, "query parameter q"},
		{"too many parameters", "GET", "/v1/customers?" + strings.Repeat("q=a&", api.MaxQueryParams) + "limit=5", nil, 400, "the query has 51 parameters"},
		{"too many parameters on a command", "POST", "/v1/accounts?" + strings.Repeat("x&", 60) + "x", registerBody("Params GmbH"), 400, "the query has 61 parameters"},
		{"parameters at the limit", "GET", "/v1/customers?" + strings.Repeat("q=a&", api.MaxQueryParams-1) + "limit=5", nil, 400, "q: must be given once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, e.admin, c.body)
			wantProblem(t, r, c.status, "invalid_request")
			if !strings.Contains(r.body["detail"].(string), c.detail) {
				t.Fatalf("detail %q lacks %q", r.body["detail"], c.detail)
			}
		})
	}
	if e.events() != before {
		t.Fatal("a refused request appended events")
	}
}

// TestHeaderLimit: headers past api.MaxHeaderBytes are refused by Go's
// server with 431 before any handler runs; a request with headers well
// within it is served.
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	e := start(t)
	send := func(size int) int {
		t.Helper()
		req, err := http.NewRequest("GET", e.base+"/v1/customers", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.admin)
		for i := 0; size > 0; i++ {
			n := min(size, 1000)
			req.Header.Set(fmt.Sprintf("X-Filler-%d", i), strings.Repeat("f", n))
			size -= n
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if st := send(8 << 10); st != http.StatusOK {
		t.Fatalf("8 KiB of headers: %d; want 200", st)
	}
	// Go allows 4 KiB of slack over MaxHeaderBytes.
	if st := send(api.MaxHeaderBytes + 8<<10); st != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("%d bytes of headers: %d; want 431", api.MaxHeaderBytes+8<<10, st)
	}
}
