package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// logBuffer collects the service's log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoSecretInLogs runs requests with valid, revoked, expired-looking,
// made-up and malformed tokens through the running server, logging at
// debug level into a buffer: in the Authorization header, and wrongly in
// query strings, paths, other headers (X-Correlation-ID, Idempotency-Key,
// X-Api-Key) and bodies, on queries and commands, accepted and refused.
// No token, nor its secret part, may appear in the captured logs.
func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	e := start(t, func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	revoked, info, err := e.app.Tokens.Create(ctx, auth.Staff("rex", domain.RoleAdmin), time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Tokens.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"admin":     e.admin,
		"support":   e.support,
		"revoked":   revoked,
		"made up":   "cdk_abcdefghijklmnop_" + strings.Repeat("S", 43),
		"malformed": "cdk_" + strings.Repeat("M", 30),
	}
	cust, _ := e.register("Log Scan GmbH")

	n := 0
	send := func(method, path, token string, body any, headers ...string) {
		t.Helper()
		n++
		req, err := http.NewRequest(method, e.base+path, strings.NewReader(bodyText(t, body)))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d", method, path, res.StatusCode)
		}
	}
	for _, tok := range tokens {
		q := url.QueryEscape(tok)
		send("GET", "/v1/customers", tok, nil)
		send("GET", "/v1/customers?access_token="+q, "", nil)
		send("GET", "/v1/customers?q="+q, tok, nil)
		send("GET", "/v1/customers?cursor="+q, tok, nil)
		send("GET", "/v1/activity?actor="+q, tok, nil)
		send("GET", "/v1/accounts/"+url.PathEscape(tok), tok, nil)
		send("GET", "/v1/"+url.PathEscape(tok), "", nil)
		send("GET", "/v1/customers", "", nil, "X-Api-Key", tok, "X-Correlation-ID", tok)
		send("POST", "/v1/accounts", tok, registerBody("Leak "+tok[len(tok)-10:]), "Idempotency-Key", tok)
		send("POST", "/v1/accounts?token="+q, tok, map[string]any{"name": tok, "token": tok})
		send("POST", "/v1/accounts/"+cust+"/tags", tok, `{"tag": "`+tok+`", "`+tok+`": 1`)
		send("POST", "/v1/accounts/"+cust+"/rename", tok, renameBody("Log Scan GmbH", tok))
		send("DELETE", "/v1/accounts/"+cust+"/tags/"+url.PathEscape(tok), tok, nil)
		send("POST", "/v1/accounts/"+url.PathEscape(tok)+"/address", tok, `{"country": "`+tok+`"}`)
		send("GET", "/v1/customers", "", nil, "Authorization", "Basic "+tok)
		send("GET", "/v1/customers", "", nil, "Authorization", tok)
	}
	// The last request's line shows that everything before it was logged
	// (a request is logged once its answer is written).
	send("GET", "/v1/customers", e.admin, nil, "X-Correlation-ID", "secrets-scan-last")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "correlation_id=secrets-scan-last") {
		if time.Now().After(deadline) {
			t.Fatalf("the last request was never logged; logs:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if lines := strings.Count(out, "msg=request "); lines < n {
		t.Fatalf("%d request lines logged for %d requests: the scan would prove nothing", lines, n)
	}
	for name, tok := range tokens {
		secret := tok[max(0, len(tok)-20):]
		if i := strings.LastIndexByte(tok, '_'); i > 0 && len(tok)-i > 20 {
			secret = tok[i+1:]
		}
		for _, s := range []string{tok, url.QueryEscape(tok), secret} {
			if strings.Contains(out, s) {
				t.Errorf("the %s token (%q) appears in the logs:\n%s", name, s, linesWith(out, s))
			}
		}
	}
	t.Logf("%d requests with %d tokens; %d bytes of logs at debug level scanned", n, len(tokens), len(out))
}

func bodyText(t *testing.T, body any) string {
	switch b := body.(type) {
	case nil:
		return ""
	case string:
		return b
	}
	j, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

func linesWith(out, s string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
