package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
)

// Figure 6: the heaviest multi-stream command path, SubmitOrder then
// FulfilOrder, through the HTTP API of the service in this process, against
// the events the same two commands record appended straight to the event
// store. One command pair is a POST /v1/orders by a partner contact and a
// POST /v1/orders/{number}/fulfil by support staff, both answered 2xx.

// customersPerClient is how many customer accounts each client (and each
// baseline appender) takes turns on: an account's stream grows by every
// order and license attached to it, and a few orders per account over a
// run keep it near the size of a real one.
const customersPerClient = 64

// orderPartners is how many reseller partners submit the orders; each has
// a contact with a token, and client w acts as partner w mod orderPartners.
const orderPartners = 4

// orderLines are the lines of the figure's orders: the j-th order of a
// client has the first 2 + j%2 of them.
var orderLines = []order.Line{
	{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 25, UnitPriceMinor: 1999, Currency: "EUR"},
	{SKU: "BK-PRO", Product: "Backup", Edition: "Professional", Quantity: 25, UnitPriceMinor: 499, Currency: "EUR"},
	{SKU: "SEC-ADV", Product: "Endpoint Security", Edition: "Advanced", Quantity: 40, UnitPriceMinor: 1250, Currency: "EUR"},
}

// orderVariants is how many orders of distinct size the figure cycles
// through (2 and 3 lines).
const orderVariants = 2

func linesOf(j int) int { return 2 + j%orderVariants }

// rawNumberBase starts the order, license and invoice numbers of the
// baseline's events, far above those the service draws in a run.
const rawNumberBase = 5_000_000

func ordersFigure(ctx context.Context, e *env) ([]Row, error) {
	c := e.sizes.OrderConcurrency
	if c <= 0 {
		return nil, errors.New("no order concurrency")
	}
	a, closeApp, err := e.openApp(ctx, 0)
	if err != nil {
		return nil, err
	}
	defer closeApp()
	// Only the API is served: the relay and the projectors stay stopped,
	// so that neither side pays for publishing or projecting the other's
	// events; figures 3 and 4 measure those.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: a.API, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(e.cfg.Logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	// The token cache, as the service runs it (App.Run).
	watch, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); _ = a.Tokens.Watch(watch) }()
	defer func() { stopWatch(); <-watched }()

	setup := time.Now()
	fx, err := newOrderFixture(ctx, a, c, "http://"+ln.Addr().String())
	if err != nil {
		return nil, err
	}
	defer fx.client.CloseIdleConnections()
	var tpls [orderVariants]pairTemplate
	for v := range tpls {
		if tpls[v], err = fx.record(ctx, a.Store, v); err != nil {
			return nil, fmt.Errorf("record a pair of %d lines: %w", linesOf(v), err)
		}
	}
	e.progress("  %d customers, %d partners, %d tokens, %d recorded pairs in %s (setup, not measured)",
		len(fx.ours)+len(fx.raw)+orderVariants, orderPartners+1, orderPartners+1, orderVariants, time.Since(setup).Round(time.Millisecond))

	// Client w takes turns on customers w, w+c, w+2c, … of its side's
	// pool, so no two clients ever write one account at once.
	n := len(fx.ours)
	oursNext, rawNext := make([]int, c), make([]int, c)
	rawVersions := make([]int64, n)
	for i := range rawVersions {
		rawVersions[i] = 1 // account.registered
	}
	var rawPairs atomic.Int64
	var ours, raw side
	for _, isOurs := range rounds(e.sizes.Blocks, true, false, false, true) {
		op := func(ctx context.Context, w int) error {
			if isOurs {
				j := oursNext[w]
				oursNext[w]++
				_, _, _, err := fx.pair(ctx, w, fx.ours[(w+c*j)%n], linesOf(j))
				return err
			}
			j := rawNext[w]
			rawNext[w]++
			i := (w + c*j) % n
			return tpls[j%orderVariants].replay(ctx, a.Store, rawPairs.Add(1), fx.raw[i], &rawVersions[i])
		}
		rd, err := throughput(ctx, c, e.sizes.Warmup, e.sizes.Round, op)
		if err != nil {
			return nil, err
		}
		cmds := sideOf(isOurs, &ours, &raw).add(2*rd.ops, rd.span)
		e.progress("  %-12s %5.0f pairs/s (%5.0f commands/s), process CPU %4.0f µs/pair", label(isOurs, "HTTP API", "Store.Append"),
			cmds/2, cmds, rd.clientCPU())
	}
	return []Row{{
		Figure: fmt.Sprintf("6. SubmitOrder→FulfilOrder through HTTP, concurrency %d", c),
		Ours:   ours.rate(), Raw: raw.rate(), Unit: "commands/s",
		Target: Target{MinRatio: 0.5},
	}}, nil
}

// orderFixture is what the clients of figure 6 act with.
type orderFixture struct {
	base   string
	client *http.Client
	// staff is a support staff member's token, who fulfils; partners are
	// the tokens of the partners' contacts, who submit.
	staff    string
	partners []string
	// resellers are the partners' IDs, as partners their tokens.
	resellers []string
	// distributor is the partner every order goes through.
	distributor string
	// ours and raw are the customer accounts of each side, templates
	// those of the recorded pairs.
	ours, raw, templates []string
	poDate               string
	po                   atomic.Int64
}

// newOrderFixture preloads the accounts, partners and tokens figure 6
// needs, straight into the store: two pools of c × customersPerClient
// registered customers, a distributor and orderPartners resellers, each
// with an unrestricted admin contact.
func newOrderFixture(ctx context.Context, a *app.App, c int, base string) (*orderFixture, error) {
	n := c * customersPerClient
	customers := 2*n + orderVariants
	err := appendAll(ctx, a.Store, customers, func(co company, at time.Time) eventstore.StreamAppend {
		return eventstore.StreamAppend{StreamID: co.Stream(), Events: []eventstore.NewEvent{newEvent(co.Registration(), at)}}
	})
	if err != nil {
		return nil, fmt.Errorf("preload customers: %w", err)
	}
	fx := &orderFixture{base: base, poDate: time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly),
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: 2 * c, MaxIdleConnsPerHost: 2 * c, DisableCompression: true}}}
	for i := range customers {
		id := company{n: i}.ID()
		switch {
		case i < n:
			fx.ours = append(fx.ours, id)
		case i < 2*n:
			fx.raw = append(fx.raw, id)
		default:
			fx.templates = append(fx.templates, id)
		}
	}
	now := time.Now()
	var streams []eventstore.StreamAppend
	for i := range orderPartners + 1 {
		id := company{n: customers + i}.ID()
		kinds := []string{partner.KindResellerIndirect}
		if i == 0 {
			kinds, fx.distributor = []string{partner.KindDistributor}, id
		}
		contact := fmt.Sprintf("C-%06d", 900001+i)
		streams = append(streams, eventstore.StreamAppend{StreamID: partner.StreamID(id), Events: []eventstore.NewEvent{
			newEvent(partner.PartnerRegistered{PartnerID: id, Name: "Channel Partner " + id, Kinds: kinds,
				Address: partner.Address{Country: "DE", City: "Köln"}, Region: "EMEA", Status: domain.PartnerActive}, now),
			newEvent(partner.PartnerContactAdded{PartnerID: id, ContactID: contact, Name: "Orders Desk " + id,
				Email: "orders@" + strings.ToLower(id) + ".partner.example", Roles: []string{domain.ContactOrgAdmin},
				Access: domain.AccessUnrestricted}, now),
		}})
		if i > 0 {
			token, _, err := a.Tokens.Create(ctx, auth.PartnerContact(id, contact), 0, "bench")
			if err != nil {
				return nil, err
			}
			fx.partners, fx.resellers = append(fx.partners, token), append(fx.resellers, id)
		}
	}
	if _, err := a.Store.Append(ctx, streams, metadata()); err != nil {
		return nil, fmt.Errorf("preload partners: %w", err)
	}
	if fx.staff, _, err = a.Tokens.Create(ctx, auth.Staff("bench", domain.RoleSupport), 0, "bench"); err != nil {
		return nil, err
	}
	return fx, nil
}

// pair submits an order of the first lines orderLines for customer as
// client w's partner, then fulfils it as staff. It returns both answers
// and the order's PO number; any answer but 2xx is an error with its body.
func (fx *orderFixture) pair(ctx context.Context, w int, customer string, lines int) (submitted, fulfilled command.Result, po string, err error) {
	po = fmt.Sprintf("BENCH-PO-%08d", fx.po.Add(1))
	body, err := json.Marshal(command.SubmitOrderInput{
		PONumber: po, PODate: fx.poDate, OrderType: order.TypeNew, Catalog: order.CatalogSoftware,
		Lines: orderLines[:lines], CustomerAccountID: customer,
		DistributorID: fx.distributor, DistributorPONumber: "D-" + po,
		Comments: "Licence keys to the IT contact, please; invoice on the PO.",
	})
	if err != nil {
		return submitted, fulfilled, po, err
	}
	if err := fx.post(ctx, "/v1/orders", fx.partners[w%len(fx.partners)], body, &submitted); err != nil {
		return submitted, fulfilled, po, err
	}
	err = fx.post(ctx, "/v1/orders/"+submitted.ID+"/fulfil", fx.staff, []byte(`{}`), &fulfilled)
	return submitted, fulfilled, po, err
}

// post sends a command and decodes its answer into res.
func (fx *orderFixture) post(ctx context.Context, path, token string, body []byte, res *command.Result) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fx.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := fx.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(answer))
	}
	if err := json.Unmarshal(answer, res); err != nil || len(res.Events) == 0 {
		return fmt.Errorf("POST %s: answer %s: %v", path, answer, err)
	}
	return nil
}

// pairTemplate is what one command pair recorded, to be appended again
// with fresh IDs, numbers and streams.
type pairTemplate struct {
	submit, fulfil appendTemplate
	// customer is the recorded pair's customer account; its stream is
	// appended at the version of the account the baseline writes to.
	customer string
	// fresh maps each value of the recorded pair that is unique to it to
	// a function of the baseline pair's number giving a value of the
	// same length: order, license and invoice numbers, PO number and PO
	// reservation stream.
	fresh map[string]func(k int64) string
}

// appendTemplate is the events one command appended, stream by stream,
// in the order recorded, with the versions they were appended at.
type appendTemplate struct {
	streams []eventstore.StreamAppend
	md      eventstore.Metadata
	// accountEvents is how many events went to the customer's stream.
	accountEvents int64
}

// record runs one pair of variant v for its template customer through the
// API and reads back what it recorded.
func (fx *orderFixture) record(ctx context.Context, store *eventstore.Store, v int) (pairTemplate, error) {
	customer := fx.templates[v]
	sub, ful, po, err := fx.pair(ctx, 0, customer, linesOf(v))
	if err != nil {
		return pairTemplate{}, err
	}
	t := pairTemplate{customer: customer, fresh: map[string]func(int64) string{}}
	if t.submit, err = recorded(ctx, store, sub, customer); err != nil {
		return t, err
	}
	if t.fulfil, err = recorded(ctx, store, ful, customer); err != nil {
		return t, err
	}
	partnerID := fx.resellers[0]
	if want := order.POReservationStream(partnerID, po); !t.submit.writes(want) {
		return t, fmt.Errorf("SubmitOrder by %s wrote no PO reservation %s", t.submit.md.Actor, want)
	}
	rawPO := func(k int64) string { return fmt.Sprintf("BENCH-PO-%08d", rawNumberBase+k) }
	t.fresh[po] = rawPO
	t.fresh[order.POReservationStream(partnerID, po)] = func(k int64) string {
		return order.POReservationStream(partnerID, rawPO(k))
	}
	licenses := 0
	for _, at := range []appendTemplate{t.submit, t.fulfil} {
		for _, s := range at.streams {
			cat := eventstore.Category(s.StreamID)
			switch cat {
			case "order", "invoice":
				t.fresh[strings.TrimPrefix(s.StreamID, cat+"-")] = renumber(strings.TrimPrefix(s.StreamID, cat+"-"), 0)
			case "license":
				t.fresh[strings.TrimPrefix(s.StreamID, cat+"-")] = renumber(strings.TrimPrefix(s.StreamID, cat+"-"), licenses)
				licenses++
			}
		}
	}
	if licenses != linesOf(v) || len(t.fresh) != 4+licenses || t.submit.accountEvents != 1 || t.fulfil.accountEvents != int64(licenses) {
		return t, fmt.Errorf("the pair recorded %d licenses, %d unique values and %d+%d account events for an order of %d lines",
			licenses, len(t.fresh), t.submit.accountEvents, t.fulfil.accountEvents, linesOf(v))
	}
	return t, nil
}

// renumber returns a function giving numbers of the form of number (a
// prefix, a hyphen and digits), the i-th of the k-th baseline pair.
func renumber(number string, i int) func(k int64) string {
	cut := strings.LastIndexByte(number, '-') + 1
	prefix, digits := number[:cut], len(number)-cut
	return func(k int64) string {
		return fmt.Sprintf("%s%0*d", prefix, digits, rawNumberBase+4*k+int64(i))
	}
}

// recorded reads back the events of a command's answer. They are
// committed, so the range of their positions is complete: ReadAll's wait
// for the horizon, which other databases' transactions on a shared server
// hold back, is not needed.
func recorded(ctx context.Context, store *eventstore.Store, res command.Result, customer string) (appendTemplate, error) {
	first, last := res.Events[0].Position, res.Events[len(res.Events)-1].Position
	evs, err := store.ReadRange(ctx, first-1, last+1, len(res.Events))
	if err != nil {
		return appendTemplate{}, err
	}
	if len(evs) != len(res.Events) {
		return appendTemplate{}, fmt.Errorf("read %d events of %d", len(evs), len(res.Events))
	}
	var t appendTemplate
	index := map[string]int{}
	for i, ev := range evs {
		if ev.ID != res.Events[i].ID {
			return t, fmt.Errorf("event %d read back is %s, not %s", i, ev.ID, res.Events[i].ID)
		}
		k, ok := index[ev.StreamID]
		if !ok {
			k = len(t.streams)
			index[ev.StreamID] = k
			t.streams = append(t.streams, eventstore.StreamAppend{StreamID: ev.StreamID, ExpectedVersion: ev.StreamVersion - 1})
		}
		t.streams[k].Events = append(t.streams[k].Events, eventstore.NewEvent{Type: ev.Type, SchemaVersion: ev.SchemaVersion, Data: ev.Data})
		if ev.StreamID == account.StreamID(customer) {
			t.accountEvents++
		}
	}
	t.md = evs[0].Metadata
	return t, nil
}

// writes reports whether the command appended to stream.
func (t appendTemplate) writes(stream string) bool {
	for _, s := range t.streams {
		if s.StreamID == stream {
			return true
		}
	}
	return false
}

// replay appends what the recorded pair appended, as the k-th baseline
// pair for customer, whose stream is at *version: the same streams (new
// ones fresh, the customer's in place of the recorded one), versions,
// event types and payloads, with fresh event, command and correlation
// IDs and every number of the recorded pair replaced by one of the same
// length.
func (t pairTemplate) replay(ctx context.Context, store *eventstore.Store, k int64, customer string, version *int64) error {
	args := []string{t.customer, customer}
	for old, fresh := range t.fresh {
		args = append(args, old, fresh(k))
	}
	r := strings.NewReplacer(args...)
	now := time.Now()
	for _, at := range []appendTemplate{t.submit, t.fulfil} {
		streams := make([]eventstore.StreamAppend, len(at.streams))
		for i, s := range at.streams {
			streams[i] = eventstore.StreamAppend{StreamID: r.Replace(s.StreamID), ExpectedVersion: s.ExpectedVersion,
				Events: make([]eventstore.NewEvent, len(s.Events))}
			if s.StreamID == account.StreamID(t.customer) {
				streams[i].ExpectedVersion = *version
			}
			for j, ev := range s.Events {
				ev.ID, ev.OccurredAt, ev.Data = uuid.Must(uuid.NewV7()), now, json.RawMessage(r.Replace(string(ev.Data)))
				streams[i].Events[j] = ev
			}
		}
		md := at.md
		md.CorrelationID, md.CommandID = uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
		md.CausationID = md.CommandID
		if _, err := store.Append(ctx, streams, md); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		*version += at.accountEvents
	}
	return nil
}
