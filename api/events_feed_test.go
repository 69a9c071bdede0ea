package api_test

import (
	"bufio"
	"bytes"
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

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// feedEvent is one event of the feed as a client reads it.
type feedEvent struct {
	ID       string `json:"id"`
	StreamID string `json:"stream_id"`
	Position int64  `json:"position"`
	Category string `json:"category"`
	Type     string `json:"type"`
	Actor    string `json:"actor"`
	raw      string
}

// feedNDJSON parses an NDJSON answer of GET /v1/events.
func feedNDJSON(t *testing.T, r resp) []feedEvent {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("feed: %d %s %s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	var out []feedEvent
	for _, line := range strings.Split(strings.TrimSuffix(string(r.raw), "\n"), "\n") {
		if line == "" {
			continue
		}
		var e feedEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("feed line %q: %v", line, err)
		}
		e.raw = line
		out = append(out, e)
	}
	return out
}

// feedPositions are the positions of the store's events of the given
// categories (every event when none), in order.
func (e *env) feedPositions(t *testing.T, categories ...string) []int64 {
	t.Helper()
	q := `SELECT position FROM events ORDER BY position`
	var args []any
	if len(categories) > 0 {
		q = `SELECT position FROM events WHERE category = ANY($1) ORDER BY position`
		args = append(args, categories)
	}
	rows, err := e.app.Pool.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestEventFeedResumable reads the feed ten events at a time, reconnecting
// after the last position received, while four writers register accounts
// through the API: every event arrives once, in position order, none is
// missed, and the envelope is the store's.
func TestEventFeedResumable(t *testing.T) {
	t.Parallel()
	e := start(t)
	integration := e.token(auth.Staff("erp", domain.RoleIntegration))
	for i := range 5 {
		e.register(fmt.Sprintf("Feed Before %d GmbH", i))
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				b, _ := json.Marshal(registerBody(fmt.Sprintf("Feed Writer %d-%d AG", w, i)))
				req, _ := http.NewRequest("POST", e.base+"/v1/accounts", bytes.NewReader(b))
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
					t.Errorf("register: %d", res.StatusCode)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	var got []feedEvent
	after := int64(0)
	for reads := 0; ; reads++ {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		page := feedNDJSON(t, e.do("GET", "/v1/events?limit=10&after="+strconv.FormatInt(after, 10), integration, nil))
		if len(page) > 10 {
			t.Fatalf("limit 10, got %d events", len(page))
		}
		for _, ev := range page {
			if ev.Position <= after {
				t.Fatalf("event at %d after %d: out of order or repeated", ev.Position, after)
			}
			after = ev.Position
		}
		got = append(got, page...)
		if finished && len(page) < 10 && len(got) >= len(e.feedPositions(t)) {
			break
		}
		if reads > 10_000 {
			t.Fatal("the feed never caught up")
		}
		if len(page) < 10 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	want := e.feedPositions(t)
	if len(got) != len(want) {
		t.Fatalf("read %d events, the store holds %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Position != want[i] {
			t.Fatalf("event %d: position %d, the store's is %d", i, got[i].Position, want[i])
		}
	}
	// The envelope is the store's: the same JSON the relay publishes.
	var data string
	var version int64
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT data::text, stream_version FROM events WHERE position = $1`, got[0].Position).
		Scan(&data, &version); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(got[0].raw), &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "stream_id", "stream_version", "position", "category", "type", "schema_version", "data", "occurred_at", "recorded_at", "actor", "correlation_id"} {
		if _, ok := line[k]; !ok {
			t.Fatalf("envelope lacks %s: %s", k, got[0].raw)
		}
	}
	if line["stream_version"] != float64(version) || got[0].Actor != "staff:ada" || got[0].Category != "account" || got[0].Type != "account.registered" {
		t.Fatalf("envelope: %s", got[0].raw)
	}
	var a, b any
	_ = json.Unmarshal([]byte(data), &a)
	b = line["data"]
	if ja, _ := json.Marshal(a); string(ja) != func() string { jb, _ := json.Marshal(b); return string(jb) }() {
		t.Fatalf("data %s, the store's %s", got[0].raw, data)
	}
}

// TestEventFeedFilters: category and type select, as comma lists; what
// they select keeps its order.
func TestEventFeedFilters(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Filtered Feed GmbH")
	partner := acPartner(t, e, "Filtered Partner Ltd", "active", "reseller_direct")
	acContact(t, e, "/v1/accounts/"+acct, e.admin, acContactBody("Filter Person", "filter.person@feed.example", "restricted", "billing"))
	// min_position: the horizon is server-wide, another test's transaction
	// may hold it back for a moment.
	all := feedNDJSON(t, e.do("GET", "/v1/events?min_position="+e.lastPosition(), e.auditor, nil))
	if len(all) != len(e.feedPositions(t)) {
		t.Fatalf("the whole feed: %d events, the store holds %d", len(all), len(e.feedPositions(t)))
	}
	for _, tc := range []struct {
		query string
		want  func(feedEvent) bool
	}{
		{"category=partner", func(f feedEvent) bool { return f.Category == "partner" }},
		{"category=account,partner", func(f feedEvent) bool { return f.Category == "account" || f.Category == "partner" }},
		{"type=account.contact_added", func(f feedEvent) bool { return f.Type == "account.contact_added" }},
		{"type=account.registered,partner.registered", func(f feedEvent) bool {
			return f.Type == "account.registered" || f.Type == "partner.registered"
		}},
		{"category=account&type=account.registered,partner.registered", func(f feedEvent) bool { return f.Type == "account.registered" }},
		{"category=invoice", func(f feedEvent) bool { return false }},
	} {
		var want []int64
		for _, f := range all {
			if tc.want(f) {
				want = append(want, f.Position)
			}
		}
		got := feedNDJSON(t, e.do("GET", "/v1/events?"+tc.query, e.auditor, nil))
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", tc.query, len(got), len(want))
		}
		for i := range got {
			if got[i].Position != want[i] || !tc.want(got[i]) {
				t.Fatalf("%s: event %d is %s at %d, want position %d", tc.query, i, got[i].Type, got[i].Position, want[i])
			}
		}
	}
	if got := feedNDJSON(t, e.do("GET", "/v1/events?category=partner", e.auditor, nil)); len(got) == 0 || got[0].StreamID != "partner-"+partner {
		t.Fatalf("partner feed: %v", got)
	}
	// limit ends the answer; after skips.
	got := feedNDJSON(t, e.do("GET", "/v1/events?limit=2", e.auditor, nil))
	if len(got) != 2 || got[1].Position != all[1].Position {
		t.Fatalf("limit=2: %v", got)
	}
	got = feedNDJSON(t, e.do("GET", "/v1/events?after="+strconv.FormatInt(all[len(all)-2].Position, 10), e.auditor, nil))
	if len(got) != 1 || got[0].Position != all[len(all)-1].Position {
		t.Fatalf("after the last but one: %v", got)
	}
	// min_position: answered once that position is in the feed.
	got = feedNDJSON(t, e.do("GET", "/v1/events?min_position="+e.lastPosition(), e.auditor, nil))
	if strconv.FormatInt(got[len(got)-1].Position, 10) != e.lastPosition() {
		t.Fatalf("min_position: the feed ends at %d", got[len(got)-1].Position)
	}
}

// TestEventFeedRefusals: bad parameters are 400 invalid_request naming the
// parameter (unknown categories and types with the known ones); callers
// other than admin, auditor and integration staff are 403.
func TestEventFeedRefusals(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Refused Feed GmbH")
	partner := acPartner(t, e, "Refused Feed Partner Ltd", "active", "reseller_direct")
	pc := acContact(t, e, "/v1/partners/"+partner, e.admin, acContactBody("Pat Partner", "pat@refused-partner.example", "unrestricted", "org_admin"))
	cc := acContact(t, e, "/v1/accounts/"+acct, e.admin, acContactBody("Cory Customer", "cory@refused.example", "unrestricted", "billing"))
	for _, tc := range []struct {
		path    string
		headers []string
		field   string
	}{
		{"/v1/events?after=-1", nil, "after"},
		{"/v1/events?after=x", nil, "after"},
		{"/v1/events?after=99999999999999999999", nil, "after"},
		{"/v1/events?limit=0", nil, "limit"},
		{"/v1/events?limit=ten", nil, "limit"},
		{"/v1/events?follow=yes", nil, "follow"},
		{"/v1/events?category=nope", nil, "category"},
		{"/v1/events?category=account,", nil, "category"},
		{"/v1/events?type=account.nope", nil, "type"},
		{"/v1/events?type=", nil, "type"},
		{"/v1/events?min_position=-3", nil, "min_position"},
		{"/v1/events?from=2020-01-01", nil, "from"},
		{"/v1/events?after=1&after=2", nil, "after"},
		{"/v1/events", []string{"Last-Event-ID", "abc", "Accept", "text/event-stream"}, "Last-Event-ID"},
	} {
		before := e.events()
		r := e.do("GET", tc.path, e.admin, nil, tc.headers...)
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(string(r.raw), `"field":"`+tc.field+`"`) {
			t.Fatalf("%s: the problem does not name %s: %s", tc.path, tc.field, r.raw)
		}
		if e.events() != before {
			t.Fatalf("%s appended events", tc.path)
		}
	}
	r := e.do("GET", "/v1/events?category=nope", e.admin, nil)
	if !strings.Contains(r.body["detail"].(string), "account, contract, invoice, license, order, orderpo, partner, supportcase") {
		t.Fatalf("unknown category: the detail lacks the list: %s", r.raw)
	}
	r = e.do("GET", "/v1/events?type=nope", e.admin, nil)
	if !strings.Contains(r.body["detail"].(string), "account.registered") {
		t.Fatalf("unknown type: the detail lacks the list: %s", r.raw)
	}
	for _, tc := range []struct {
		who    string
		token  string
		status int
	}{
		{"admin", e.admin, http.StatusOK},
		{"auditor", e.auditor, http.StatusOK},
		{"integration", e.token(auth.Staff("erp", domain.RoleIntegration)), http.StatusOK},
		{"support", e.support, http.StatusForbidden},
		{"compliance", e.token(auth.Staff("cora", domain.RoleCompliance)), http.StatusForbidden},
		{"partner contact", e.token(auth.PartnerContact(partner, pc)), http.StatusForbidden},
		{"customer contact", e.token(auth.CustomerContact(acct, cc)), http.StatusForbidden},
	} {
		for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
			r := e.do("GET", "/v1/events?follow=false&min_position="+e.lastPosition(), tc.token, nil, "Accept", accept)
			if tc.status == http.StatusOK {
				if r.status != http.StatusOK || !strings.Contains(string(r.raw), acct) {
					t.Fatalf("%s (%s): %d %s", tc.who, accept, r.status, r.raw)
				}
				continue
			}
			wantProblem(t, r, tc.status, "forbidden")
		}
	}
	wantProblem(t, e.do("GET", "/v1/events", "", nil), http.StatusUnauthorized, "unauthenticated")
}

// sseMessage is one message of a Server-Sent Events stream: its fields,
// and the comments before it.
type sseMessage struct {
	id, event, data, retry string
	hasID                  bool
	comments               []string
}

// sseParse splits a Server-Sent Events body into messages.
func sseParse(t *testing.T, body string) []sseMessage {
	t.Helper()
	var out []sseMessage
	var m sseMessage
	for _, line := range strings.Split(body, "\n") {
		if line == "" {
			if m.hasID || m.data != "" || m.retry != "" || len(m.comments) > 0 {
				out = append(out, m)
			}
			m = sseMessage{}
			continue
		}
		if c, ok := strings.CutPrefix(line, ":"); ok {
			m.comments = append(m.comments, strings.TrimSpace(c))
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("SSE line %q", line)
		}
		switch k {
		case "id":
			m.id, m.hasID = v, true
		case "event":
			m.event = v
		case "data":
			if m.data != "" {
				t.Fatalf("an event of several data lines: %q", body)
			}
			m.data = v
		case "retry":
			m.retry = v
		default:
			t.Fatalf("SSE field %q", k)
		}
	}
	return out
}

// sseStream reads a following stream line by line.
type sseStream struct {
	res    *http.Response
	lines  chan string
	cancel context.CancelFunc
}

func (e *env) sseOpen(t *testing.T, path, token string, headers ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{res: res, lines: make(chan string, 1024), cancel: cancel}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// until reads lines until one satisfies ok; the stream ending first fails.
func (s *sseStream) until(t *testing.T, what string, ok func(string) bool) []string {
	t.Helper()
	var seen []string
	timeout := time.After(60 * time.Second) // only so that a broken stream fails instead of hanging
	for {
		select {
		case l, open := <-s.lines:
			if !open {
				t.Fatalf("the stream ended before %s; read %q", what, seen)
			}
			seen = append(seen, l)
			if ok(l) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no %s; read %q", what, seen)
		}
	}
}

// TestEventFeedServerSentEvents: the feed as Server-Sent Events — one
// message per event, id the position, event the type, data the same
// envelope as NDJSON; Last-Event-ID resumes; a follower gets events as
// they commit, heartbeats while idle (with an id past what a filter left
// out), and ends when the server stops its streams.
func TestEventFeedServerSentEvents(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *app.Config) { c.FeedPoll = 10 * time.Millisecond; c.FeedHeartbeat = 50 * time.Millisecond })
	for i := range 3 {
		e.register(fmt.Sprintf("Streamed %d GmbH", i))
	}
	nd := feedNDJSON(t, e.do("GET", "/v1/events?min_position="+e.lastPosition(), e.auditor, nil))
	r := e.do("GET", "/v1/events?follow=false&min_position="+e.lastPosition(), e.auditor, nil, "Accept", "text/event-stream")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/event-stream" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("SSE: %d %v", r.status, r.header)
	}
	msgs := sseParse(t, string(r.raw))
	if len(msgs) != len(nd)+1 || msgs[0].retry == "" {
		t.Fatalf("SSE: %d messages for %d events: %q", len(msgs), len(nd), r.raw)
	}
	for i, m := range msgs[1:] {
		if m.id != strconv.FormatInt(nd[i].Position, 10) || m.event != nd[i].Type || m.data != nd[i].raw {
			t.Fatalf("SSE message %d: %+v, NDJSON %s", i, m, nd[i].raw)
		}
	}
	// Last-Event-ID takes the place of after (an EventSource reconnecting
	// sends both).
	r = e.do("GET", "/v1/events?follow=false&after=0", e.auditor, nil, "Accept", "text/event-stream", "Last-Event-ID", msgs[1].id)
	if rest := sseParse(t, string(r.raw)); len(rest) != len(nd) || rest[1].id != msgs[2].id {
		t.Fatalf("resumed after %s: %q", msgs[1].id, r.raw)
	}

	// Following (the default for SSE): the events there, then a new one.
	s := e.sseOpen(t, "/v1/events", e.integrationToken(), "Accept", "text/event-stream")
	if s.res.StatusCode != http.StatusOK {
		t.Fatalf("follow: %d", s.res.StatusCode)
	}
	s.until(t, "the last event there", func(l string) bool { return l == "id: "+msgs[len(msgs)-1].id })
	id, _ := e.register("Streamed Later GmbH")
	s.until(t, "the new event", func(l string) bool { return strings.HasPrefix(l, "data: ") && strings.Contains(l, id) })
	s.until(t, "a heartbeat", func(l string) bool { return l == ": heartbeat" })

	// A filter that selects nothing still moves Last-Event-ID on.
	last := e.lastPosition()
	f := e.sseOpen(t, "/v1/events?type=partner.registered", e.auditor, "Accept", "text/event-stream")
	seen := f.until(t, "an id past the events left out", func(l string) bool {
		v, ok := strings.CutPrefix(l, "id: ")
		n, _ := strconv.ParseInt(v, 10, 64)
		l2, _ := strconv.ParseInt(last, 10, 64)
		return ok && n >= l2
	})
	for _, l := range seen {
		if strings.HasPrefix(l, "data: ") {
			t.Fatalf("a filtered stream sent an event it does not select: %s", l)
		}
	}

	// NDJSON can follow too; StopStreams (the server's shutdown) ends
	// every follower.
	n := e.sseOpen(t, "/v1/events?follow=true&after="+last, e.auditor)
	if n.res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("follow NDJSON: %v", n.res.Header)
	}
	id, _ = e.register("Followed Later GmbH")
	n.until(t, "the new event as NDJSON", func(l string) bool { return strings.HasPrefix(l, "{") && strings.Contains(l, id) })
	e.app.API.StopStreams()
	for _, st := range []*sseStream{s, f, n} {
		st.ends(t)
	}
}

// ends reads the stream to its end.
func (s *sseStream) ends(t *testing.T) {
	t.Helper()
	timeout := time.After(60 * time.Second) // only so that a stream left open fails instead of hanging
	for {
		select {
		case _, open := <-s.lines:
			if !open {
				return
			}
		case <-timeout:
			t.Fatal("the stream did not end")
		}
	}
}

func (e *env) integrationToken() string { return e.token(auth.Staff("erp", domain.RoleIntegration)) }

// TestEventFeedKeepsPersonalDataSealed: the feed carries a contact's
// personal data sealed as stored, before and after the person is
// forgotten; never the plaintext.
func TestEventFeedKeepsPersonalDataSealed(t *testing.T) {
	t.Parallel()
	e := start(t)
	acct, _ := e.register("Sealed Feed GmbH")
	p := fgPerson{"Waltraud Versiegelt", "waltraud.v@sealed-feed.example", "+49 89 5550123"}
	contact := acContact(t, e, "/v1/accounts/"+acct, e.admin, p.body("billing"))
	check := func(stage string) {
		t.Helper()
		for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
			r := e.do("GET", "/v1/events?follow=false&category=account&min_position="+e.lastPosition(), e.auditor, nil, "Accept", accept)
			if r.status != http.StatusOK || !strings.Contains(string(r.raw), "pii:v1:"+contact+":") {
				t.Fatalf("%s (%s): no sealed envelope in %s", stage, accept, r.raw)
			}
			for _, v := range p.values() {
				if strings.Contains(string(r.raw), v) {
					t.Fatalf("%s (%s): the feed shows %q", stage, accept, v)
				}
			}
		}
	}
	check("before forgetting")
	r := e.do("POST", "/v1/accounts/"+acct+"/contacts/"+contact+"/forget", e.admin, nil)
	if r.status != http.StatusOK {
		t.Fatalf("forget: %d %s", r.status, r.raw)
	}
	check("after forgetting")
}
