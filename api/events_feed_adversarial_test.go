package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// Adversarial tests of GET /v1/events (issue 7): hostile parameters,
// every caller that must be refused, paging under concurrent appends,
// Server-Sent Events resumption, events the upcasters refuse, and
// forgotten people.

func advPos(fs []feedEvent) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.Position
	}
	return out
}

func advSame(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAdversarialFeedParameters: every malformed, out-of-range, empty,
// repeated or unknown parameter is a 400 invalid_request naming it —
// never a 500, never a silently ignored value, never an event byte — and
// the bounds of limit are honoured exactly.
func TestAdversarialFeedParameters(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Adversarial Params GmbH")
	for i := range 4 {
		e.register(fmt.Sprintf("Adversarial Params %d GmbH", i))
	}
	all := feedNDJSON(t, e.do("GET", "/v1/events?min_position="+e.lastPosition(), e.auditor, nil))
	if !advSame(advPos(all), e.feedPositions(t)) {
		t.Fatalf("the whole feed %v, the store %v", advPos(all), e.feedPositions(t))
	}

	var manyUnknown, manyKnown []string
	// The request target is limited to 8 KiB (a 414 problem): five hundred
	// short entries fit, and four hundred type names.
	for i := range 500 {
		manyUnknown = append(manyUnknown, strconv.Itoa(i%10))
	}
	for range 400 {
		manyKnown = append(manyKnown, "account.registered")
	}
	sse := []string{"Accept", "text/event-stream"}
	for _, tc := range []struct {
		path    string
		headers []string
		field   string
	}{
		{"/v1/events?after=-1", nil, "after"},
		{"/v1/events?after=abc", nil, "after"},
		{"/v1/events?after=1.5", nil, "after"},
		{"/v1/events?after=0x10", nil, "after"},
		{"/v1/events?after=9223372036854775808", nil, "after"}, // 2^63
		{"/v1/events?after=-9223372036854775808", nil, "after"},
		{"/v1/events?after=%201", nil, "after"},
		{"/v1/events?after=%2B3", nil, "after"}, // a number only as written plainly: no sign, no leading zero
		{"/v1/events?after=007", nil, "after"},
		{"/v1/events?limit=%2B3", nil, "limit"},
		{"/v1/events?limit=007", nil, "limit"},
		{"/v1/events?min_position=%2B3", nil, "min_position"},
		{"/v1/events?limit=0", nil, "limit"},
		{"/v1/events?limit=-5", nil, "limit"},
		{"/v1/events?limit=abc", nil, "limit"},
		{"/v1/events?limit=1e3", nil, "limit"},
		{"/v1/events?limit=2147483648", nil, "limit"}, // one over the documented maximum
		{"/v1/events?limit=9223372036854775808", nil, "limit"},
		{"/v1/events?follow=maybe", nil, "follow"},
		{"/v1/events?follow=1", nil, "follow"},
		{"/v1/events?follow=TRUE", nil, "follow"},
		{"/v1/events?shape=weird", nil, "shape"},
		{"/v1/events?shape=CURRENT", nil, "shape"},
		{"/v1/events?category=", nil, "category"},
		{"/v1/events?category=,", nil, "category"},
		{"/v1/events?category=account,,partner", nil, "category"},
		{"/v1/events?category=Account", nil, "category"},
		{"/v1/events?category=%20account", nil, "category"},
		{"/v1/events?type=a,,b", nil, "type"},
		{"/v1/events?type=account.registered,,partner.registered", nil, "type"},
		{"/v1/events?type=account.registered,", nil, "type"},
		{"/v1/events?type=" + strings.Join(manyUnknown, ","), nil, "type"},
		{"/v1/events?type=account.registered%00", nil, "type"},
		{"/v1/events?category=%ff", nil, "category"},
		{"/v1/events?min_position=abc", nil, "min_position"},
		{"/v1/events?min_position=9223372036854775808", nil, "min_position"},
		{"/v1/events?after=1&after=2", nil, "after"},
		{"/v1/events?after=1&after=1", nil, "after"},
		{"/v1/events?limit=1&limit=2", nil, "limit"},
		{"/v1/events?category=account&category=partner", nil, "category"},
		{"/v1/events?type=account.registered&type=partner.registered", nil, "type"},
		{"/v1/events?shape=current&shape=stored", nil, "shape"},
		{"/v1/events?follow=false&follow=true", nil, "follow"},
		{"/v1/events?min_position=1&min_position=2", nil, "min_position"},
		{"/v1/events?Limit=1", nil, "Limit"},
		{"/v1/events?after[]=1", nil, "after[]"},
		{"/v1/events?cursor=abc", nil, "cursor"},
		{"/v1/events?since=2020-01-01", nil, "since"},
		{"/v1/events?limit=1&zzz=1", nil, "zzz"},
		{"/v1/events", append([]string{"Last-Event-ID", "-1"}, sse...), "Last-Event-ID"},
		{"/v1/events", append([]string{"Last-Event-ID", "garbage"}, sse...), "Last-Event-ID"},
		{"/v1/events", append([]string{"Last-Event-ID", "9223372036854775808"}, sse...), "Last-Event-ID"},
		{"/v1/events", append([]string{"Last-Event-ID", "1.0"}, sse...), "Last-Event-ID"},
		{"/v1/events", append([]string{"Last-Event-ID", "+3"}, sse...), "Last-Event-ID"},
		{"/v1/events?after=5", append([]string{"Last-Event-ID", "x"}, sse...), "Last-Event-ID"},
		{"/v1/events?follow=true&limit=0", sse, "limit"},
		{"/v1/events?after=-1", sse, "after"},
	} {
		before := e.events()
		r := e.do("GET", tc.path, e.admin, nil, tc.headers...)
		name := tc.path
		if len(name) > 120 {
			name = name[:120] + "…"
		}
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(string(r.raw), `"field":"`+tc.field+`"`) {
			t.Fatalf("%s %v: the problem does not name %s: %.400s", name, tc.headers, tc.field, r.raw)
		}
		if strings.Contains(string(r.raw), acct) || strings.Contains(string(r.raw), `"stream_id"`) {
			t.Fatalf("%s %v: a refusal carries event bytes: %.400s", name, tc.headers, r.raw)
		}
		if len(r.raw) > 8<<10 {
			t.Fatalf("%s: a %d-byte problem (the refused value echoed whole?)", name, len(r.raw))
		}
		if e.events() != before {
			t.Fatalf("%s appended events", name)
		}
	}

	// Ten thousand entries are past the request-target limit: a 414
	// problem (ten thousand type names, past the header limit too: 431
	// from Go's HTTP server, TestHeaderLimit), not a 500 and not a read of
	// the store.
	for _, tc := range []struct {
		list   string
		status int
	}{
		{strings.Repeat("1,", 9_999) + "1", http.StatusRequestURITooLong},
		{strings.Repeat("account.registered,", 430) + "account.registered", http.StatusRequestURITooLong},
		{strings.Repeat("account.registered,", 9_999) + "account.registered", http.StatusRequestHeaderFieldsTooLarge},
	} {
		r := e.advGet("/v1/events?type="+tc.list, e.auditor)
		if r.err != nil || r.status != tc.status || strings.Contains(r.body, acct) || len(r.body) > 8<<10 {
			t.Fatalf("a %d-byte type list: %d %.300s %v, want %d", len(tc.list), r.status, r.body, r.err, tc.status)
		}
		if tc.status == http.StatusRequestURITooLong && r.ctype != "application/problem+json" {
			t.Fatalf("a %d-byte type list: %d as %s", len(tc.list), r.status, r.ctype)
		}
	}
	// Four hundred copies of one known type are the one type.
	got := feedNDJSON(t, e.do("GET", "/v1/events?type="+strings.Join(manyKnown, ","), e.auditor, nil))
	want := 0
	for _, f := range all {
		if f.Type == "account.registered" {
			want++
		}
	}
	if len(got) != want || want != 5 {
		t.Fatalf("400 × account.registered: %d events, want %d (5 registrations)", len(got), want)
	}
	for _, f := range got {
		if f.Type != "account.registered" {
			t.Fatalf("type filter leaked %s", f.Type)
		}
	}

	// limit is honoured exactly, at each size and at the bounds.
	for n := 1; n <= len(all)+2; n++ {
		got := feedNDJSON(t, e.do("GET", "/v1/events?limit="+strconv.Itoa(n), e.auditor, nil))
		w := min(n, len(all))
		if !advSame(advPos(got), advPos(all[:w])) {
			t.Fatalf("limit=%d: %v, want %v", n, advPos(got), advPos(all[:w]))
		}
	}
	for _, l := range []string{"2147483647", "1000000000"} {
		got := feedNDJSON(t, e.do("GET", "/v1/events?limit="+l, e.auditor, nil))
		want := len(all)
		if len(got) != want {
			t.Fatalf("limit=%s: %d events, want %d", l, len(got), want)
		}
	}
	// after past the end, and at the largest position: nothing, not an error.
	for _, a := range []string{strconv.FormatInt(all[len(all)-1].Position, 10), "9223372036854775807"} {
		r := e.do("GET", "/v1/events?after="+a, e.auditor, nil)
		if got := feedNDJSON(t, r); len(got) != 0 {
			t.Fatalf("after=%s: %d events", a, len(got))
		}
	}
	// An empty value is a value: category= and type= are refused (400
	// naming them, above), and the OpenAPI document types after, limit and
	// min_position as integers and follow and shape as enums, none of which
	// admits "".
	for _, p := range []string{"after", "limit", "follow", "shape", "min_position"} {
		r := e.advGet("/v1/events?"+p+"=", e.auditor)
		if r.err != nil || r.status != http.StatusBadRequest || r.ctype != "application/problem+json" || !strings.Contains(r.body, `"field":"`+p+`"`) {
			t.Errorf("GET /v1/events?%s= : want 400 naming %s, got %d %s with %d bytes (%d events)", p, p, r.status, r.ctype, len(r.body), strings.Count(r.body, `"stream_id"`))
		}
	}
	// Limit with follow ends after exactly limit events (NDJSON and SSE),
	// instead of waiting for more.
	for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
		r := e.do("GET", "/v1/events?follow=true&limit=3", e.auditor, nil, "Accept", accept)
		if r.status != http.StatusOK {
			t.Fatalf("follow limit=3 (%s): %d %s", accept, r.status, r.raw)
		}
		n := strings.Count(string(r.raw), `"stream_id"`)
		if n != 3 {
			t.Fatalf("follow limit=3 (%s): %d events: %s", accept, n, r.raw)
		}
	}
}

// TestAdversarialFeedAccess: every caller other than admin, auditor and
// integration staff is refused — support, compliance, partner and customer
// contacts (with any parameters, in both formats), no token, a malformed,
// an expired and a revoked token — with a problem and no event bytes.
func TestAdversarialFeedAccess(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Adversarial Access GmbH")
	partner := acPartner(t, e, "Adversarial Access Partner Ltd", "active", "reseller_direct")
	pc := acContact(t, e, "/v1/partners/"+partner, e.admin, acContactBody("Petra Partner", "petra@adv-access-partner.example", "unrestricted", "org_admin"))
	cc := acContact(t, e, "/v1/accounts/"+acct, e.admin, acContactBody("Carl Customer", "carl@adv-access.example", "unrestricted", "billing"))
	pcRestricted := acContact(t, e, "/v1/partners/"+partner, e.admin, acContactBody("Rita Restricted", "rita@adv-access-partner.example", "restricted", "sales_agent"))
	ccOrgAdmin := acContact(t, e, "/v1/accounts/"+acct, e.admin, acContactBody("Olga OrgAdmin", "olga@adv-access.example", "unrestricted", "org_admin"))

	expiredTok, _, err := e.app.Tokens.Create(context.Background(), auth.Staff("exp", domain.RoleAuditor), time.Second, "test")
	if err != nil {
		t.Fatal(err)
	}
	revokedTok, revokedInfo, err := e.app.Tokens.Create(context.Background(), auth.Staff("rev", domain.RoleIntegration), time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	// The revoked token works before it is revoked.
	if r := e.do("GET", "/v1/events?limit=1", revokedTok, nil); r.status != http.StatusOK {
		t.Fatalf("integration token before revocation: %d %s", r.status, r.raw)
	}
	if err := e.app.Tokens.Revoke(context.Background(), revokedInfo.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the expired token's hour has come

	noEvents := func(who string, r resp) {
		t.Helper()
		body := string(r.raw)
		for _, leak := range []string{acct, partner, `"stream_id"`, "id: ", "account.registered", "pii:v1:"} {
			if strings.Contains(body, leak) {
				t.Fatalf("%s: the refusal carries %q: %s", who, leak, body)
			}
		}
		if ct := r.header.Get("Content-Type"); ct == "application/x-ndjson" || ct == "text/event-stream" {
			t.Fatalf("%s: a refusal as %s", who, ct)
		}
	}
	queries := []string{
		"/v1/events",
		"/v1/events?follow=false&min_position=" + e.lastPosition(),
		"/v1/events?category=account&shape=current",
		"/v1/events?after=-1",            // 403 before a parameter is judged: nothing learnt
		"/v1/events?type=nope&limit=abc", // likewise
	}
	for _, tc := range []struct {
		who   string
		token string
	}{
		{"support", e.support},
		{"compliance", e.token(auth.Staff("cora", domain.RoleCompliance))},
		{"partner org admin", e.token(auth.PartnerContact(partner, pc))},
		{"partner restricted", e.token(auth.PartnerContact(partner, pcRestricted))},
		{"customer billing", e.token(auth.CustomerContact(acct, cc))},
		{"customer org admin", e.token(auth.CustomerContact(acct, ccOrgAdmin))},
	} {
		for _, q := range queries {
			for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
				r := e.do("GET", q, tc.token, nil, "Accept", accept, "Last-Event-ID", "0")
				wantProblem(t, r, http.StatusForbidden, "forbidden")
				noEvents(tc.who+" "+q+" "+accept, r)
			}
		}
	}
	for _, tc := range []struct {
		who   string
		token string
		raw   string // Authorization header as sent, when not Bearer token
	}{
		{who: "no token"},
		{who: "garbage bearer", token: "garbage"},
		{who: "token with its secret changed", token: expiredTok[:len(expiredTok)-2] + "xx"},
		{who: "basic auth", raw: "Basic YWRtaW46YWRtaW4="},
		{who: "expired", token: expiredTok},
		{who: "revoked", token: revokedTok},
	} {
		for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
			var r resp
			if tc.raw != "" {
				r = e.do("GET", "/v1/events", "", nil, "Accept", accept, "Authorization", tc.raw)
			} else {
				r = e.do("GET", "/v1/events", tc.token, nil, "Accept", accept)
			}
			wantProblem(t, r, http.StatusUnauthorized, "unauthenticated")
			noEvents(tc.who+" "+accept, r)
		}
	}
}

// TestAdversarialFeedPagingUnderLoad: a reader paging with limit=3 and
// after=the last position it got, with and without a category filter and
// through Last-Event-ID, while writers register accounts and partners,
// reads exactly the store's events — no gap, no duplicate, in order — and
// the concatenation equals one unpaged read at the end.
func TestAdversarialFeedPagingUnderLoad(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.register("Paging Seed GmbH")
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				var path string
				var body map[string]any
				if (w+i)%2 == 0 {
					path, body = "/v1/accounts", registerBody(fmt.Sprintf("Paging Writer %d-%d AG", w, i))
				} else {
					path, body = "/v1/partners", map[string]any{"name": fmt.Sprintf("Paging Partner %d-%d Ltd", w, i),
						"kinds": []string{"reseller_direct"}, "address": map[string]any{"country": "GB", "city": "London"}, "status": "active"}
				}
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(string(b)))
				req.Header.Set("Authorization", "Bearer "+e.admin)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					t.Errorf("%s: %d", path, res.StatusCode)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	type reader struct {
		name     string
		query    string
		sse      bool
		cats     []string
		after    int64
		got      []int64
		finished bool
	}
	readers := []*reader{
		{name: "all", query: "limit=3"},
		{name: "account", query: "limit=3&category=account", cats: []string{"account"}},
		{name: "partner type", query: "limit=2&type=partner.registered", cats: []string{"partner"}},
		{name: "sse all", query: "limit=3&follow=false", sse: true},
	}
	ended := false
	for reads := 0; ; reads++ {
		if !ended {
			select {
			case <-done:
				ended = true
			default:
			}
		}
		all := true
		for _, rd := range readers {
			if rd.finished {
				continue
			}
			all = false
			var page []int64
			if rd.sse {
				r := e.do("GET", "/v1/events?"+rd.query, e.auditor, nil, "Accept", "text/event-stream", "Last-Event-ID", strconv.FormatInt(rd.after, 10))
				if r.status != http.StatusOK {
					t.Fatalf("%s: %d %s", rd.name, r.status, r.raw)
				}
				for _, m := range sseParse(t, string(r.raw)) {
					if !m.hasID || m.data == "" {
						continue
					}
					var f feedEvent
					if err := json.Unmarshal([]byte(m.data), &f); err != nil {
						t.Fatal(err)
					}
					if m.id != strconv.FormatInt(f.Position, 10) {
						t.Fatalf("%s: id %s for an event at %d", rd.name, m.id, f.Position)
					}
					page = append(page, f.Position)
				}
			} else {
				page = advPos(feedNDJSON(t, e.do("GET", "/v1/events?"+rd.query+"&after="+strconv.FormatInt(rd.after, 10), e.auditor, nil)))
			}
			limit, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(rd.query, "&")[0], "limit="))
			if len(page) > limit {
				t.Fatalf("%s: limit %d, got %d", rd.name, limit, len(page))
			}
			for _, p := range page {
				if p <= rd.after {
					t.Fatalf("%s: %d after %d: out of order or repeated", rd.name, p, rd.after)
				}
				rd.after = p
			}
			rd.got = append(rd.got, page...)
			if ended && len(page) < limit && advSame(rd.got, e.feedPositions(t, rd.cats...)) {
				rd.finished = true
			}
		}
		if all {
			break
		}
		if reads > 5000 {
			for _, rd := range readers {
				if !rd.finished {
					t.Fatalf("%s never caught up: read %v, the store %v", rd.name, rd.got, e.feedPositions(t, rd.cats...))
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	// The concatenation of pages equals one read, and the store.
	for _, rd := range readers {
		q := strings.TrimSuffix(strings.Join(strings.Split(rd.query, "&")[1:], "&"), "follow=false")
		one := advPos(feedNDJSON(t, e.do("GET", "/v1/events?follow=false&"+q, e.auditor, nil)))
		if !advSame(rd.got, one) || !advSame(one, e.feedPositions(t, rd.cats...)) {
			t.Fatalf("%s: pages %v, one read %v, the store %v", rd.name, rd.got, one, e.feedPositions(t, rd.cats...))
		}
	}
}

// TestAdversarialFeedServerSentEvents: id lines are the store's positions;
// Last-Event-ID takes precedence over after (documented: an EventSource
// reconnecting sends the header while its URL keeps the first after), also
// when after is larger; a Last-Event-ID past the end gives nothing; a
// following stream whose client goes away ends on the server, which keeps
// serving (the test's cleanup, which stops the server, would hang on a
// leaked handler).
func TestAdversarialFeedServerSentEvents(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.FeedPoll = 10 * time.Millisecond; c.FeedHeartbeat = 30 * time.Millisecond })
	for i := range 4 {
		e.register(fmt.Sprintf("SSE Adversarial %d GmbH", i))
	}
	store := e.feedPositions(t)
	ids := func(body string) []int64 {
		var out []int64
		for _, m := range sseParse(t, body) {
			if m.data == "" {
				continue
			}
			n, err := strconv.ParseInt(m.id, 10, 64)
			if err != nil {
				t.Fatalf("id %q", m.id)
			}
			var f feedEvent
			if err := json.Unmarshal([]byte(m.data), &f); err != nil || f.Position != n || f.Type != m.event {
				t.Fatalf("message id %s event %s, data %s", m.id, m.event, m.data)
			}
			out = append(out, n)
		}
		return out
	}
	r := e.do("GET", "/v1/events?follow=false&min_position="+e.lastPosition(), e.auditor, nil, "Accept", "text/event-stream")
	if got := ids(string(r.raw)); !advSame(got, store) {
		t.Fatalf("SSE ids %v, the store %v", got, store)
	}
	// Precedence: Last-Event-ID over after, both ways.
	for _, tc := range []struct {
		after, lastID int64
	}{
		{0, store[1]},
		{store[3], store[0]},
		{store[len(store)-1], store[len(store)-2]},
	} {
		r := e.do("GET", fmt.Sprintf("/v1/events?follow=false&after=%d", tc.after), e.auditor, nil,
			"Accept", "text/event-stream", "Last-Event-ID", strconv.FormatInt(tc.lastID, 10))
		var want []int64
		for _, p := range store {
			if p > tc.lastID {
				want = append(want, p)
			}
		}
		if got := ids(string(r.raw)); !advSame(got, want) {
			t.Fatalf("after=%d Last-Event-ID=%d: %v, want %v", tc.after, tc.lastID, got, want)
		}
	}
	r = e.do("GET", "/v1/events?follow=false", e.auditor, nil, "Accept", "text/event-stream", "Last-Event-ID", "9223372036854775807")
	if r.status != http.StatusOK || len(ids(string(r.raw))) != 0 {
		t.Fatalf("Last-Event-ID at the largest position: %d %s", r.status, r.raw)
	}
	// An Accept that refuses event-stream (q=0) is NDJSON.
	r = e.do("GET", "/v1/events?follow=false", e.auditor, nil, "Accept", "text/event-stream;q=0, application/x-ndjson")
	if got := feedNDJSON(t, r); !advSame(advPos(got), store) {
		t.Fatalf("q=0: %v", advPos(got))
	}

	// Clients that go away: ten followers opened and dropped mid-stream.
	for range 10 {
		s := e.sseOpen(t, "/v1/events?category=account", e.auditor, "Accept", "text/event-stream")
		s.until(t, "a heartbeat", func(l string) bool { return l == ": heartbeat" })
		s.cancel()
		s.res.Body.Close()
	}
	// The server still serves, and a new follower gets new events.
	s := e.sseOpen(t, "/v1/events?after="+e.lastPosition(), e.auditor, "Accept", "text/event-stream")
	id, _ := e.register("SSE After Drops GmbH")
	s.until(t, "the new event", func(l string) bool { return strings.HasPrefix(l, "data: ") && strings.Contains(l, id) })
	s.cancel()
}

// advRaw is an answer read by hand, since the connection may be cut.
type advRaw struct {
	status int
	ctype  string
	body   string
	err    error // the request's or the body's
}

func (e *env) advGet(path, token string, headers ...string) advRaw {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// A fresh connection: the transport would retry an idempotent GET cut
	// on a reused one.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		return advRaw{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return advRaw{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(b), err: err}
}

// TestAdversarialFeedUnreadableEvent: an account.address_changed written at
// version 1 with a payload its upcaster refuses (a JSON array) and one at a
// schema version the catalog does not know. shape=stored sends them as
// written; shape=current must not pass them off in a shape they do not
// have, and must not leave the client without word.
func TestAdversarialFeedUnreadableEvent(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	id, _ := e.register("Unreadable Feed GmbH")
	stream := "account-" + id
	cur, err := e.app.Store.Load(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	before := e.lastPosition()
	res, err := e.app.Store.Append(ctx, []eventstore.StreamAppend{{StreamID: stream, ExpectedVersion: int64(len(cur)),
		Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "account.address_changed", SchemaVersion: 1,
			Data: json.RawMessage(`["not","an","object"]`), OccurredAt: time.Now()}}}}, eventstore.Metadata{Actor: "staff:old-release"})
	if err != nil {
		t.Fatal(err)
	}
	_ = res
	bad := e.lastPosition()
	e.register("Readable After GmbH")
	last := e.lastPosition()

	// As stored: every event, the bad one as written.
	stored := feedNDJSON(t, e.do("GET", "/v1/events?min_position="+last, e.auditor, nil))
	if !advSame(advPos(stored), e.feedPositions(t)) || !strings.Contains(stored[len(stored)-2].raw, `"data":["not","an","object"]`) {
		t.Fatalf("stored: %v", advPos(stored))
	}
	// Current, with a page that ends before the bad event: fine.
	r := e.advGet("/v1/events?shape=current&limit=1", e.auditor)
	if r.err != nil || r.status != http.StatusOK || strings.Count(r.body, "\n") != 1 {
		t.Fatalf("current, before the bad event: %+v", r)
	}
	// Current, starting at the bad event: nothing has been sent, so the
	// client can be told why — a problem before the stream starts.
	r = e.advGet("/v1/events?shape=current&after="+before, e.auditor)
	t.Logf("shape=current after=%s (the next event cannot be upcast): status %d %q body %q err %v", before, r.status, r.ctype, r.body, r.err)
	// A problem naming the position, before any header.
	if r.err != nil || r.status < 400 || r.ctype != "application/problem+json" || !strings.Contains(r.body, bad) {
		t.Errorf("shape=current at an event that cannot be upcast: want a problem naming position %s before the stream, got status %d %q body %q error %v",
			bad, r.status, r.ctype, r.body, r.err)
	}
	// Current from the start: the events before the bad one are readable.
	// A client must be able to make progress up to it (and learn where it
	// stopped), instead of losing the whole page.
	r = e.advGet("/v1/events?shape=current", e.auditor)
	t.Logf("shape=current from 0: status %d body %d bytes, err %v", r.status, len(r.body), r.err)
	var got []int64
	for _, l := range strings.Split(strings.TrimSuffix(r.body, "\n"), "\n") {
		var f feedEvent
		if l != "" && json.Unmarshal([]byte(l), &f) == nil {
			got = append(got, f.Position)
		}
	}
	// The readable events up to it go out, then the cut.
	if want := len(stored) - 2; len(got) != want {
		t.Errorf("shape=current from 0: %d events before the cut, want the %d before the bad event (status %d, error %v)", len(got), want, r.status, r.err)
	}
	// Past the bad event, shape=current reads on (a client that knew the
	// position could step over it; the feed never tells it).
	r = e.advGet("/v1/events?shape=current&after="+bad, e.auditor)
	if r.err != nil || r.status != http.StatusOK || strings.Count(r.body, "\n") != 1 || !strings.Contains(r.body, "account.registered") {
		t.Fatalf("current, after the bad event: %+v", r)
	}
	// The cut is never mistaken for a whole feed: with the stream started
	// (SSE follow flushes its header at once) the body ends in an error.
	r = e.advGet("/v1/events?shape=current&follow=true", e.auditor, "Accept", "text/event-stream")
	t.Logf("SSE shape=current follow: status %d body %q err %v", r.status, r.body, r.err)
	if r.err == nil {
		t.Errorf("SSE shape=current follow: the stream ended cleanly (%d %q) — a cut feed taken for a whole one", r.status, r.body)
	}

	// A schema version the catalog does not know: the same.
	cur, _ = e.app.Store.Load(ctx, stream)
	if _, err := e.app.Store.Append(ctx, []eventstore.StreamAppend{{StreamID: stream, ExpectedVersion: int64(len(cur)),
		Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "account.address_changed", SchemaVersion: 99,
			Data: json.RawMessage(`{"account_id":"x"}`), OccurredAt: time.Now()}}}}, eventstore.Metadata{Actor: "staff:future-release"}); err != nil {
		t.Logf("the store refuses an unknown schema version: %v", err)
		return
	}
	v99 := e.lastPosition()
	r = e.advGet("/v1/events?shape=current&after="+last+"&min_position="+v99, e.auditor)
	t.Logf("shape=current at v99: status %d %q body %q err %v", r.status, r.ctype, r.body, r.err)
	// A problem naming the position, as above.
	if r.err != nil || r.status < 400 || r.ctype != "application/problem+json" || !strings.Contains(r.body, v99) {
		t.Errorf("shape=current at a v99 event: want a problem naming position %s, got status %d %q body %q error %v", v99, r.status, r.ctype, r.body, r.err)
	}
	// As stored, it is sent as written.
	if got := feedNDJSON(t, e.do("GET", "/v1/events?after="+last+"&min_position="+v99, e.auditor, nil)); len(got) != 1 || !strings.Contains(got[0].raw, `"schema_version":99`) {
		t.Fatalf("stored v99: %v", got)
	}
}

// TestAdversarialFeedForgottenPeople: a forgotten customer and partner
// contact's events never show plaintext in the feed, in any shape, format
// or filter; the sealed values stay in place.
func TestAdversarialFeedForgottenPeople(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Forgotten Feed GmbH")
	partner := acPartner(t, e, "Forgotten Feed Partner Ltd", "active", "reseller_direct")
	cp := fgPerson{"Ottilie Vergessen", "ottilie.v@forgotten-feed.example", "+49 30 5550177"}
	pp := fgPerson{"Bartholomew Forgot", "bart.forgot@forgotten-partner.example", "+44 20 79460123"}
	cc := acContact(t, e, "/v1/accounts/"+acct, e.admin, cp.body("billing"))
	pc := acContact(t, e, "/v1/partners/"+partner, e.admin, pp.body("sales_agent"))
	for _, f := range []string{"/v1/accounts/" + acct + "/contacts/" + cc + "/forget", "/v1/partners/" + partner + "/contacts/" + pc + "/forget"} {
		if r := e.do("POST", f, e.admin, nil); r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", f, r.status, r.raw)
		}
	}
	plain := append(cp.values(), pp.values()...)
	// Parts of a value too: the local part of an address, a surname.
	plain = append(plain, "ottilie.v", "Vergessen", "bart.forgot", "5550177", "79460123")
	for _, q := range []string{
		"", "&shape=current", "&category=account", "&category=partner", "&category=account,partner&shape=current",
		"&type=account.contact_added", "&type=partner.contact_added", "&limit=1000",
	} {
		for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
			for _, tok := range []string{e.auditor, e.admin, e.integrationToken()} {
				r := e.do("GET", "/v1/events?follow=false&min_position="+e.lastPosition()+q, tok, nil, "Accept", accept)
				if r.status != http.StatusOK {
					t.Fatalf("%s (%s): %d %s", q, accept, r.status, r.raw)
				}
				for _, v := range plain {
					if strings.Contains(string(r.raw), v) {
						t.Fatalf("%s (%s): the feed shows %q of a forgotten person", q, accept, v)
					}
				}
				if q == "" && (!strings.Contains(string(r.raw), "pii:v1:"+cc+":") || !strings.Contains(string(r.raw), "pii:v1:"+pc+":")) {
					t.Fatalf("%s (%s): the sealed values are gone: %s", q, accept, r.raw)
				}
			}
		}
	}
}

// TestAdversarialFeedSSEReconnectFiltered: an EventSource-like client
// following category=partner, dropping its connection after a few lines
// and reconnecting with Last-Event-ID set to the last id it saw (an
// event's or a heartbeat's, which moves past what the filter left out),
// while writers register accounts and partners: it receives every partner
// event once, in order, and nothing else.
func TestAdversarialFeedSSEReconnectFiltered(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.FeedPoll = 5 * time.Millisecond; c.FeedHeartbeat = 15 * time.Millisecond })
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				path, body := "/v1/accounts", registerBody(fmt.Sprintf("Reconnect Writer %d-%d AG", w, i))
				if (w+i)%3 == 0 {
					path, body = "/v1/partners", map[string]any{"name": fmt.Sprintf("Reconnect Partner %d-%d Ltd", w, i),
						"kinds": []string{"reseller_direct"}, "address": map[string]any{"country": "GB", "city": "London"}, "status": "active"}
				}
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(string(b)))
				req.Header.Set("Authorization", "Bearer "+e.admin)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					t.Errorf("%s: %d", path, res.StatusCode)
					return
				}
				time.Sleep(3 * time.Millisecond)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	lastID := "0"
	var got []int64
	heartbeatIDs := 0 // ids that moved past what the filter left out
	finished := false
	for conn := 0; ; conn++ {
		if conn > 2000 {
			t.Fatalf("never caught up: %v, the store %v", got, e.feedPositions(t, "partner"))
		}
		select {
		case <-done:
			finished = true
		default:
		}
		s := e.sseOpen(t, "/v1/events?category=partner", e.auditor, "Accept", "text/event-stream", "Last-Event-ID", lastID)
		if s.res.StatusCode != http.StatusOK {
			t.Fatalf("reconnect %d: %d", conn, s.res.StatusCode)
		}
		// Read a few lines (at least to the first heartbeat), then drop.
		var pendingID string
		seen := s.until(t, "a heartbeat", func(l string) bool { return l == ": heartbeat" })
		seen = append(seen, s.until(t, "the heartbeat's end", func(l string) bool { return l == "" })...)
		for _, l := range seen {
			switch {
			case strings.HasPrefix(l, "id: "):
				pendingID = strings.TrimPrefix(l, "id: ")
			case strings.HasPrefix(l, "data: "):
				var f feedEvent
				if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &f); err != nil {
					t.Fatal(err)
				}
				if f.Category != "partner" || strconv.FormatInt(f.Position, 10) != pendingID {
					t.Fatalf("event %s at %d under id %s", f.Type, f.Position, pendingID)
				}
				if len(got) > 0 && f.Position <= got[len(got)-1] {
					t.Fatalf("event at %d after %d: repeated or out of order (Last-Event-ID %s)", f.Position, got[len(got)-1], lastID)
				}
				got = append(got, f.Position)
			case l == "":
				// A message ends: an EventSource takes its id as Last-Event-ID.
				if pendingID != "" {
					if len(got) == 0 || pendingID != strconv.FormatInt(got[len(got)-1], 10) {
						heartbeatIDs++
					}
					lastID = pendingID
				}
			}
		}
		s.cancel()
		s.res.Body.Close()
		if finished && advSame(got, e.feedPositions(t, "partner")) {
			break
		}
	}
	if len(got) < 8 || heartbeatIDs == 0 {
		t.Fatalf("only %d partner events, %d heartbeat ids: the test did not test", len(got), heartbeatIDs)
	}
}

// TestAdversarialFeedHeldTransaction: the feed's gap-free promise against
// the case it exists for — a transaction that took its position first and
// commits last. While it is open, an event committed after it (a higher
// position) is not served, to NDJSON readers or to a follower; once it
// commits, both events arrive, in position order, to a reader that
// resumes after the last position it had.
func TestAdversarialFeedHeldTransaction(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.FeedPoll = 10 * time.Millisecond })
	ctx := context.Background()
	a, _ := e.register("Held Transaction GmbH")
	before := feedNDJSON(t, e.do("GET", "/v1/events?min_position="+e.lastPosition(), e.auditor, nil))
	last := strconv.FormatInt(before[len(before)-1].Position, 10)

	tx, err := e.app.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	v1 := fmt.Sprintf(`{"account_id":%q,"address":{"country":"AT","state":"Wien","city":"Wien"},"region":"EMEA",`+
		`"old_address":{"country":"DE"},"old_region":"EMEA"}`, a)
	var held int64
	if err := tx.QueryRow(ctx, `INSERT INTO events (position, event_id, stream_id, stream_version, category, event_type,
		schema_version, data, occurred_at, actor)
		SELECT (pg_current_xact_id()::text::bigint << 20) | 1, $1, $2, 2, 'account', 'account.address_changed', 1, $3::jsonb, now(), 'staff:slow-writer'
		RETURNING position`, uuid.Must(uuid.NewV7()), "account-"+a, v1).Scan(&held); err != nil {
		t.Fatal(err)
	}
	follower := e.sseOpen(t, "/v1/events?after="+last, e.auditor, "Accept", "text/event-stream")
	b, posB := e.register("Committed First GmbH")
	if posB <= held {
		t.Fatalf("the later transaction's position %d is not above the held one's %d", posB, held)
	}
	// While the first transaction is open: nothing past it.
	for range 5 {
		got := feedNDJSON(t, e.do("GET", "/v1/events?after="+last, e.auditor, nil))
		for _, f := range got {
			if f.Position >= held {
				t.Fatalf("the feed served %s at %d while the transaction at %d was open: a reader resuming after it would never see %d",
					f.Type, f.Position, held, held)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := feedNDJSON(t, e.do("GET", fmt.Sprintf("/v1/events?after=%s&min_position=%d", last, posB), e.auditor, nil))
	if len(got) != 2 || got[0].Position != held || got[1].Position != posB || !strings.Contains(got[1].raw, b) {
		t.Fatalf("after the commit: %v, want [%d %d]", advPos(got), held, posB)
	}
	var ids []string
	for _, l := range follower.until(t, "the later event", func(l string) bool { return l == fmt.Sprintf("id: %d", posB) }) {
		if v, ok := strings.CutPrefix(l, "id: "); ok {
			ids = append(ids, v)
		}
	}
	if want := []string{strconv.FormatInt(held, 10), strconv.FormatInt(posB, 10)}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("the follower's ids: %v, want %v", ids, want)
	}
}

// TestAdversarialFeedNegotiation: Accept is read as HTTP defines it — any
// positive quality selects Server-Sent Events, q=0 (in any spelling)
// refuses them — and min_position past anything committed is a 503 stale
// problem before the stream starts, not an empty 200.
func TestAdversarialFeedNegotiation(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.StaleAfter = 300 * time.Millisecond })
	e.register("Negotiated Feed GmbH")
	minQ := "&min_position=" + e.lastPosition()
	for _, tc := range []struct {
		accept string
		sse    bool
	}{
		{"text/event-stream", true},
		{"TEXT/EVENT-STREAM", true},
		{"application/x-ndjson, text/event-stream", true},
		{"text/event-stream;q=1", true},
		{"text/event-stream; q=0.5", true},
		{"text/event-stream;q=0.01", true},
		{"text/event-stream;q=0", false},
		{"text/event-stream; q=0.0", false},
		{"text/event-stream;q=0.000", false},
		{"*/*", false},
		{"application/json", false},
		{"", false},
	} {
		r := e.advGet("/v1/events?follow=false"+minQ, e.auditor, "Accept", tc.accept)
		want := "application/x-ndjson"
		if tc.sse {
			want = "text/event-stream"
		}
		// Any quality above 0 is acceptable (q=0.5, q=0.01).
		if r.err != nil || r.status != http.StatusOK || r.ctype != want {
			t.Errorf("Accept %q: %d %s (%v), want %s", tc.accept, r.status, r.ctype, r.err, want)
		}
	}
	for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
		r := e.do("GET", "/v1/events?follow=true&min_position=9223372036854775807", e.auditor, nil, "Accept", accept)
		wantProblem(t, r, http.StatusServiceUnavailable, "stale")
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("stale (%s): no Retry-After: %v", accept, r.header)
		}
	}
}

// TestAdversarialFeedHead: HEAD /v1/events (Go's mux serves HEAD with the
// GET handler) answers promptly — a following SSE HEAD must not hold the
// connection open with nothing to send — and refuses whom GET refuses.
func TestAdversarialFeedHead(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.register("Head Feed GmbH")
	head := func(path, token string, headers ...string) (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "HEAD", e.base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	for _, tc := range []struct {
		path, token string
		headers     []string
		status      int
	}{
		{"/v1/events", "", nil, http.StatusUnauthorized},
		{"/v1/events", e.support, nil, http.StatusForbidden},
		{"/v1/events?after=-1", e.auditor, nil, http.StatusBadRequest},
		{"/v1/events", e.auditor, nil, http.StatusOK},
		{"/v1/events?follow=true", e.auditor, nil, http.StatusOK},
		{"/v1/events", e.auditor, []string{"Accept", "text/event-stream"}, http.StatusOK},
	} {
		start := time.Now()
		st, err := head(tc.path, tc.token, tc.headers...)
		t.Logf("HEAD %s %v: %d %v in %v", tc.path, tc.headers, st, err, time.Since(start).Round(time.Millisecond))
		// A HEAD that follows is answered once its header is flushed (the
		// client has what it asked for); a HEAD that never answers would
		// fail here on the 5 s timeout.
		if err != nil || (st != tc.status && st != http.StatusMethodNotAllowed) {
			t.Errorf("HEAD %s %v: %d %v, want %d (or 405)", tc.path, tc.headers, st, err, tc.status)
		}
	}
}

// TestAdversarialFeedForgottenAfterMerge: a contact moved by a merge (its
// personal data copied into account.merged and account.merge_received),
// whose address also confirmed a rename, then forgotten on the survivor:
// the contact events and the merge events never show the person in
// plaintext, in either shape or format (the rename's evidence is a known
// gap, below).
func TestAdversarialFeedForgottenAfterMerge(t *testing.T) {
	t.Parallel()
	e := start(t)
	src, _ := e.register("Merged Away GmbH")
	into, _ := e.register("Survivor GmbH")
	p := fgPerson{"Hildegard Verschmolzen", "hildegard.v@acme.example", "+49 40 5550199"}
	c := acContact(t, e, "/v1/accounts/"+src, e.admin, p.body("billing"))
	if r := e.do("POST", "/v1/accounts/"+src+"/merge", e.admin, map[string]any{"into": into, "reason": "duplicate", "evidence": []string{"CASE-000042"}}); r.status != http.StatusOK {
		t.Fatalf("merge: %d %s", r.status, r.raw)
	}
	// The survivor is renamed on the person's own email confirmation (an
	// address of the company's domain, as the rule asks).
	body := renameBody("Survivor GmbH", "Survivor Renamed GmbH")
	body["evidence"].(map[string]any)["email_confirmation"] = map[string]any{"from": p.email, "reference": "MSG-77"}
	if r := e.do("POST", "/v1/accounts/"+into+"/rename", e.admin, body); r.status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/accounts/"+into+"/contacts/"+c+"/forget", e.admin, nil); r.status != http.StatusOK {
		t.Fatalf("forget after merge: %d %s", r.status, r.raw)
	}
	for _, q := range []string{"", "&shape=current", "&type=account.merged,account.merge_received,account.contact_added"} {
		for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
			r := e.do("GET", "/v1/events?follow=false&min_position="+e.lastPosition()+q, e.auditor, nil, "Accept", accept)
			if r.status != http.StatusOK || strings.Count(string(r.raw), "pii:v1:"+c+":") < 3 {
				t.Fatalf("%s (%s): %d, want the sealed values in three events: %s", q, accept, r.status, r.raw)
			}
			values := []string{p.name, p.phone, "Verschmolzen", "5550199"}
			if strings.HasPrefix(q, "&type=") {
				values = append(values, p.email, "hildegard.v")
			}
			for _, v := range values {
				if strings.Contains(string(r.raw), v) {
					t.Fatalf("%s (%s): the feed shows %q of a forgotten person", q, accept, v)
				}
			}
		}
	}
	// Not asserted (a known gap, in the closing note of 2026-11-30): a
	// rename's email_confirmation.from, like a split's
	// email_authorisation.from, is an address, sometimes a person's, that
	// is stored and served in plaintext: internal/pii seals contact
	// payloads only, so the address a forgotten person sent evidence from
	// stays readable in account.renamed.
}
