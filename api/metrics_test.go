package api_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestMetrics: GET /metrics (API.md, operations) serves, without a token,
// request counts by route pattern and status (IDs in paths make no series
// of their own), request timings, the read models' positions and lag, and
// the Go runtime's metrics.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, pos := e.register("Metered Widgets GmbH")
	if r := e.do("GET", "/v1/accounts/"+id+"?min_position="+strconv.FormatInt(pos, 10), e.admin, nil); r.status != 200 {
		t.Fatalf("get account: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/accounts/999999ZZ", e.admin, nil); r.status != 404 {
		t.Fatalf("get unknown account: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/no-such-thing", e.admin, nil); r.status != 404 {
		t.Fatalf("unknown path: %d", r.status)
	}

	r := e.do("GET", "/metrics", "", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	text := string(r.raw)
	for _, want := range []string{
		`channeldesk_http_requests_total{code="201",method="POST",route="POST /v1/accounts"} 1`,
		`channeldesk_http_requests_total{code="200",method="GET",route="GET /v1/accounts/{id}"} 1`,
		`channeldesk_http_requests_total{code="404",method="GET",route="GET /v1/accounts/{id}"} 1`,
		`channeldesk_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`channeldesk_http_request_duration_seconds_count{method="POST",route="POST /v1/accounts"} 1`,
		`channeldesk_projection_lag_events{projection="customers"}`,
		`channeldesk_projection_position{projection="customers"}`,
		`channeldesk_projection_state{projection="customers",state="live"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, id) {
		t.Errorf("an account ID appears in the metrics")
	}
}

// TestQueriesBeforeAnyProjectorRan: the read models' tables exist as soon
// as the service is open (app.Open prepares them), so a query right after
// a start answers from empty tables instead of failing.
func TestQueriesBeforeAnyProjectorRan(t *testing.T) {
	t.Parallel()
	e := start(t)
	if r := e.do("GET", "/v1/customers", e.admin, nil); r.status != 200 {
		t.Fatalf("customers right after start: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/accounts/123456HQ", e.admin, nil); r.status != 404 {
		t.Fatalf("account right after start: %d %s", r.status, r.raw)
	}
}
