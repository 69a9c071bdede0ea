package billing

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// harness is a billing schema on a test database and an embedded NATS
// server holding the event stream.
type harness struct {
	t    *testing.T
	srv  *natstest.Server
	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
	top  broker.Topology
	prev eventstore.Position
	pos  eventstore.Position
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t, 4)
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t)
	nc, err := broker.Connect(srv.URL(), "billing-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	top := broker.Default()
	if _, err := top.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, pool: pool, nc: nc, js: js, top: top}
}

// event builds the recorded event at the next position.
func (h *harness) event(stream string, version int64, data any) eventstore.Event {
	h.t.Helper()
	var typ string
	var schema int
	switch d := data.(type) {
	case interface {
		EventType() string
		SchemaVersion() int
	}:
		typ, schema = d.EventType(), d.SchemaVersion()
	default:
		h.t.Fatalf("event data %T has no type", data)
	}
	body, err := json.Marshal(data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.pos += 1 << 20
	return eventstore.Event{
		ID: uuid.New(), StreamID: stream, StreamVersion: version, Position: h.pos,
		Category: eventstore.Category(stream), Type: typ, SchemaVersion: schema, Data: body,
		OccurredAt: time.Now().UTC(), RecordedAt: time.Now().UTC(), Metadata: eventstore.Metadata{Actor: "staff:test"},
	}
}

// publish publishes events as the relay does.
func (h *harness) publish(evs ...eventstore.Event) {
	h.t.Helper()
	for _, e := range evs {
		body, err := json.Marshal(e)
		if err != nil {
			h.t.Fatal(err)
		}
		h.publishMsg(h.top.Message(e, h.prev, body))
		h.prev = e.Position
	}
}

func (h *harness) publishMsg(m *nats.Msg) {
	h.t.Helper()
	if _, err := h.js.PublishMsg(context.Background(), m); err != nil {
		h.t.Fatal(err)
	}
}

// run runs a feed with cfg until the test ends; stop stops it and waits.
func (h *harness) run(cfg Config) (f *Feed, stop func()) {
	h.t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 2 * time.Second
	}
	f, err := New(h.pool, h.nc, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				h.t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
	h.t.Cleanup(stop)
	return f, stop
}

// waitHandled waits until the feed has committed the message at the last
// stream sequence and handled at least n events.
func (h *harness) waitHandled(f *Feed, n int64) {
	h.t.Helper()
	st, err := h.js.Stream(context.Background(), h.top.Stream)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// An error is retried: a test may break the connections on purpose.
		seq, handled, err := f.Checkpoint(context.Background())
		if err == nil && seq >= info.State.LastSeq && handled >= n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("feed at stream sequence %d with %d events handled (%v); want %d and %d", seq, handled, err, info.State.LastSeq, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ledger returns the export, without the header.
func (h *harness) ledger() [][]string {
	h.t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(context.Background(), h.pool, &buf); err != nil {
		h.t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		h.t.Fatal(err)
	}
	if !slices.Equal(recs[0], CSVHeader()) {
		h.t.Fatalf("header %v, want %v", recs[0], CSVHeader())
	}
	return recs[1:]
}

func (h *harness) parked() map[string]string {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT subject, reason FROM billing.parked`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var s, r string
		if err := rows.Scan(&s, &r); err != nil {
			h.t.Fatal(err)
		}
		out[s] = r
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func submitted(number, account string, lines ...order.Line) order.Submitted {
	var total int64
	for _, l := range lines {
		total += int64(l.Quantity) * l.UnitPriceMinor
	}
	return order.Submitted{
		OrderNumber: number, PONumber: "PO-" + number, PODate: "2026-11-01", OrderType: order.TypeNew,
		Catalog: order.CatalogSoftware, Lines: lines, Currency: "EUR", TotalMinor: total,
		CustomerAccountID: account, PartnerID: "P100001",
	}
}

func line(sku string, qty int, price int64) order.Line {
	return order.Line{SKU: sku, Product: "Product " + sku, Edition: "Standard", Quantity: qty, UnitPriceMinor: price, Currency: "EUR"}
}

func issued(number, orderNumber, account string, amount int64) invoice.Issued {
	return invoice.Issued{
		InvoiceNumber: number, OrderNumber: orderNumber, AccountID: account, PONumber: "PO-" + orderNumber,
		AmountMinor: amount, Currency: "EUR", IssuedOn: "2026-11-30", DueDate: "2026-12-30",
		Delivery: invoice.Delivery{Mode: invoice.DeliveryPaper},
	}
}

// TestFeedWritesOneLedgerRowPerInvoiceLine: an order's invoice becomes one
// ledger row per order line, whether the invoice arrives after its order
// or before it; events of no billing effect only move the checkpoints.
func TestFeedWritesOneLedgerRowPerInvoiceLine(t *testing.T) {
	h := newHarness(t)
	o1 := submitted("ORD-1", "A1", line("SKU-A", 2, 1000), line("SKU-B", 1, 550))
	o2 := submitted("ORD-2", "A2", line("SKU-C", 5, 200))
	h.publish(
		h.event("order-ORD-1", 1, o1),
		h.event("license-L1", 1, license.Issued{LicenseID: "L1", Product: "Product SKU-A", Edition: "Standard", Quantity: 2, OwnerAccountID: "A1", SourceOrder: "ORD-1", MaintenanceEnd: "2027-11-01"}),
		h.event("order-ORD-1", 2, order.Fulfilled{OrderNumber: "ORD-1", LicenseIDs: []string{"L1", "L2"}, InvoiceNumber: "INV-1", OwnerAccountID: "A1"}),
		h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 2550)),
		// The invoice of ORD-2 before the order: it waits for the lines.
		h.event("invoice-INV-2", 1, issued("INV-2", "ORD-2", "A2", 1000)),
		h.event("order-ORD-2", 1, o2),
	)
	f, _ := h.run(Config{BatchSize: 2})
	h.waitHandled(f, 6)

	got := h.ledger()
	want := [][]string{
		{"INV-1", "1", "ORD-1", "A1", "P100001", "PO-ORD-1", "SKU-A", "Product SKU-A", "Standard", "2", "1000", "2000", "EUR", "2026-11-30", "2026-12-30"},
		{"INV-1", "2", "ORD-1", "A1", "P100001", "PO-ORD-1", "SKU-B", "Product SKU-B", "Standard", "1", "550", "550", "EUR", "2026-11-30", "2026-12-30"},
		{"INV-2", "1", "ORD-2", "A2", "P100001", "PO-ORD-2", "SKU-C", "Product SKU-C", "Standard", "5", "200", "1000", "EUR", "2026-11-30", "2026-12-30"},
	}
	if len(got) != len(want) {
		t.Fatalf("ledger has %d rows, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i][:15], want[i]) {
			t.Errorf("row %d:\n got %v\nwant %v", i, got[i][:15], want[i])
		}
	}
	var pending, licenses int
	if err := h.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM billing.pending_invoices), (SELECT count(*) FROM billing.licenses)`).Scan(&pending, &licenses); err != nil {
		t.Fatal(err)
	}
	if pending != 0 || licenses != 1 {
		t.Errorf("%d pending invoices and %d licenses, want 0 and 1", pending, licenses)
	}
	if p := h.parked(); len(p) != 0 {
		t.Errorf("parked %v, want nothing", p)
	}
}

// TestFeedParksPoisonMessages: a message that cannot be applied is parked
// with its reason and acknowledged, and the messages after it are applied.
func TestFeedParksPoisonMessages(t *testing.T) {
	h := newHarness(t)
	good := h.event("order-ORD-1", 1, submitted("ORD-1", "A1", line("SKU-A", 1, 100)))
	h.publish(good)

	notJSON := nats.NewMsg(h.top.Prefix + ".invoice.issued.invoice-BAD1")
	notJSON.Data = []byte("{not json")
	notJSON.Header.Set(broker.HeaderMsgID, uuid.NewString())

	lying := h.event("invoice-BAD2", 1, issued("BAD2", "ORD-1", "A1", 100))
	lyingBody, _ := json.Marshal(lying)
	lyingMsg := h.top.Message(lying, 0, lyingBody)
	lyingMsg.Subject = h.top.Prefix + ".invoice.issued.invoice-BAD2x"
	lyingMsg.Header.Set(broker.HeaderStreamVersion, "7")

	wrongAmount := h.event("invoice-BAD3", 1, issued("BAD3", "ORD-1", "A1", 999))
	badDate := issued("BAD4", "ORD-1", "A1", 100)
	badDate.DueDate = "soon"
	futureSchema := h.event("order-ORD-9", 1, submitted("ORD-9", "A9", line("SKU-Z", 1, 1)))
	futureSchema.SchemaVersion = 2
	wrongShape := h.event("license-L9", 1, license.Issued{LicenseID: "L9", Quantity: 1, OwnerAccountID: "A1"})
	wrongShape.Data = json.RawMessage(`{"license_id":"L9","quantity":"many","owner_account_id":"A1"}`)

	// An invoice that waits for its order and disagrees with it once the
	// order arrives is parked as it arrived; the order is applied.
	early := h.event("invoice-BAD5", 1, issued("BAD5", "ORD-5", "A1", 1))

	h.publishMsg(notJSON)
	h.publishMsg(lyingMsg)
	h.publish(wrongAmount, h.event("invoice-BAD4", 1, badDate), futureSchema, wrongShape, early)
	h.publish(h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 100)))
	h.publish(h.event("order-ORD-5", 1, submitted("ORD-5", "A1", line("SKU-E", 1, 50))))

	f, _ := h.run(Config{BatchSize: 3})
	h.waitHandled(f, 10)

	got := h.parked()
	want := map[string]string{
		notJSON.Subject:                               "body is not an event envelope",
		lyingMsg.Subject:                              "header Channeldesk-Stream-Version is \"7\"",
		h.top.Subject(wrongAmount):                    "invoice BAD3 is 999 EUR, its order ORD-1's lines come to 100 EUR",
		h.top.Prefix + ".invoice.issued.invoice-BAD4": `due_date "soon" is not a YYYY-MM-DD date`,
		h.top.Subject(futureSchema):                   "schema version 2 is not known",
		h.top.Subject(wrongShape):                     "license.issued data",
		h.top.Subject(early):                          "invoice BAD5 is 1 EUR, its order ORD-5's lines come to 50 EUR",
	}
	for subj, reason := range want {
		if !strings.Contains(got[subj], reason) {
			t.Errorf("parked %s with reason %q, want one containing %q", subj, got[subj], reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parked %d messages, want %d: %v", len(got), len(want), got)
	}
	if rows := h.ledger(); len(rows) != 1 || rows[0][0] != "INV-1" {
		t.Errorf("ledger %v, want the one line of INV-1", rows)
	}
	var outcome string
	if err := h.pool.QueryRow(context.Background(), `SELECT outcome FROM billing.processed WHERE event_id = $1`, early.ID).Scan(&outcome); err != nil || outcome != "parked" {
		t.Errorf("early invoice recorded as %q (%v), want parked", outcome, err)
	}
	var orders int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM billing.orders WHERE order_number = 'ORD-5'`).Scan(&orders); err != nil || orders != 1 {
		t.Errorf("%d orders ORD-5 (%v), want 1", orders, err)
	}
	// Nothing is left for JetStream to deliver again.
	c, err := h.js.Consumer(context.Background(), h.top.Stream, DefaultConsumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer has %d messages awaiting ack and %d pending, want none", info.NumAckPending, info.NumPending)
	}
}

// TestFeedRedeliveryChangesNothing: every message delivered again (the
// durable consumer lost and re-created from the start, as after an
// operator's reset) is recognised by event ID and writes nothing twice.
func TestFeedRedeliveryChangesNothing(t *testing.T) {
	h := newHarness(t)
	var evs []eventstore.Event
	for i, n := range []string{"ORD-1", "ORD-2", "ORD-3"} {
		o := submitted(n, "A1", line("SKU-A", i+1, 100), line("SKU-B", 1, 10))
		evs = append(evs, h.event("order-"+n, 1, o), h.event("invoice-INV-"+n, 1, issued("INV-"+n, n, "A1", o.TotalMinor)))
	}
	h.publish(evs...)
	f, stop := h.run(Config{})
	h.waitHandled(f, int64(len(evs)))
	before := h.ledger()
	stop()

	ctx := context.Background()
	if err := h.js.DeleteConsumer(ctx, h.top.Stream, DefaultConsumer); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(ctx, `UPDATE billing.feed SET ack_floor = 0, last_stream_seq = 0`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var commits []Commit
	f, _ = h.run(Config{OnCommit: func(c Commit) {
		mu.Lock()
		defer mu.Unlock()
		commits = append(commits, c)
	}})
	h.waitHandled(f, int64(len(evs)))
	mu.Lock()
	redelivered, applied := 0, 0
	for _, c := range commits {
		redelivered += c.Redelivered
		applied += c.Applied
	}
	mu.Unlock()
	if redelivered != len(evs) || applied != 0 {
		t.Errorf("second run: %d redelivered, %d applied; want %d and 0", redelivered, applied, len(evs))
	}
	if after := h.ledger(); !slices.EqualFunc(before, after, slices.Equal) || len(after) != 6 {
		t.Errorf("ledger after redelivery:\n%v\nwant the 6 rows of before:\n%v", after, before)
	}
}

// TestFeedOrdersEachStream: an event that arrives before an earlier event
// of its stream waits for it; one whose predecessor never comes is parked
// after GapRedeliveries deliveries and the stream goes on.
func TestFeedOrdersEachStream(t *testing.T) {
	h := newHarness(t)
	o := submitted("ORD-1", "A1", line("SKU-A", 1, 100))
	first := h.event("order-ORD-1", 1, o)
	second := h.event("order-ORD-1", 2, order.Cancelled{OrderNumber: "ORD-1", Reason: "test"})
	orphan := h.event("order-ORD-2", 3, order.Cancelled{OrderNumber: "ORD-2", Reason: "test"})
	h.publish(second, orphan, first)

	f, _ := h.run(Config{GapRedeliveries: 3, GapDelay: 10 * time.Millisecond})
	h.waitHandled(f, 3)

	var outcomes []string
	rows, err := h.pool.Query(context.Background(), `SELECT outcome FROM billing.processed ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// By position: first, second, orphan (published second, orphan, first).
	if want := []string{"applied", "ignored", "parked"}; !slices.Equal(outcomes, want) {
		t.Errorf("outcomes by position %v, want %v", outcomes, want)
	}
	var version int64
	if err := h.pool.QueryRow(context.Background(), `SELECT version FROM billing.stream_checkpoint WHERE stream_id = 'order-ORD-1'`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 2 {
		t.Errorf("order-ORD-1 checkpoint at version %d, want 2", version)
	}
	if p := h.parked()[h.top.Subject(orphan)]; !strings.Contains(p, "version 3 arrived after version 0") {
		t.Errorf("orphan parked with %q", p)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"zero", Config{}, nil},
		{"all bad", Config{Topology: broker.Topology{Stream: "a b", Prefix: "x.>"}, BatchSize: -1, AckWait: -1, StartPosition: -5},
			[]string{"topology", "batch size", "negative ack wait", "start position"}},
		{"batch too large", Config{BatchSize: maxBatchSize + 1}, []string{"batch size"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if (err == nil) != (len(c.want) == 0) {
				t.Fatalf("Validate() = %v, want errors %v", err, c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestFeedRecreatesItsConsumerAfterItsCheckpoint: when the durable
// consumer is deleted under a running feed, the feed creates it again
// starting after the ack floor it recorded, so it neither applies the old
// events again (those redelivered are recognised) nor misses the new ones.
func TestFeedRecreatesItsConsumerAfterItsCheckpoint(t *testing.T) {
	h := newHarness(t)
	o := submitted("ORD-1", "A1", line("SKU-A", 1, 100))
	h.publish(h.event("order-ORD-1", 1, o), h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 100)))
	var mu sync.Mutex
	applied := 0
	f, _ := h.run(Config{OnCommit: func(c Commit) {
		mu.Lock()
		defer mu.Unlock()
		applied += c.Applied
	}})
	h.waitHandled(f, 2)
	if err := h.js.DeleteConsumer(context.Background(), h.top.Stream, DefaultConsumer); err != nil {
		t.Fatal(err)
	}
	o2 := submitted("ORD-2", "A1", line("SKU-B", 3, 100))
	h.publish(h.event("order-ORD-2", 1, o2), h.event("invoice-INV-2", 1, issued("INV-2", "ORD-2", "A1", 300)))
	h.waitHandled(f, 4)
	mu.Lock()
	defer mu.Unlock()
	if applied != 4 {
		t.Errorf("%d events applied, want 4", applied)
	}
	if rows := h.ledger(); len(rows) != 2 || rows[1][0] != "INV-2" {
		t.Errorf("ledger %v, want the lines of INV-1 and INV-2", rows)
	}
}

// TestFeedStartsPartWay: a new ledger started at a position skips the
// events at or before it and takes the first event it sees of each stream
// as that stream's start; the start is recorded and holds on later runs.
func TestFeedStartsPartWay(t *testing.T) {
	h := newHarness(t)
	o1 := submitted("ORD-1", "A1", line("SKU-A", 1, 100))
	o2 := submitted("ORD-2", "A1", line("SKU-B", 2, 100))
	old := h.event("order-ORD-1", 1, o1)
	h.publish(old, h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 100)),
		h.event("order-ORD-1", 2, order.Cancelled{OrderNumber: "ORD-1", Reason: "late"}),
		h.event("order-ORD-2", 1, o2), h.event("invoice-INV-2", 1, issued("INV-2", "ORD-2", "A1", 200)))
	f, stop := h.run(Config{StartPosition: int64(old.Position) + 1<<20}) // after INV-1
	h.waitHandled(f, 3)
	stop()
	if rows := h.ledger(); len(rows) != 1 || rows[0][0] != "INV-2" {
		t.Errorf("ledger %v, want only the line of INV-2", rows)
	}
	if p := h.parked(); len(p) != 0 {
		t.Errorf("parked %v: the first event seen of a stream is its start", p)
	}
	var start int64
	if err := h.pool.QueryRow(context.Background(), `SELECT start_position FROM billing.feed`).Scan(&start); err != nil {
		t.Fatal(err)
	}
	f, _ = h.run(Config{}) // a later run without the flag keeps the recorded start
	h.waitHandled(f, 3)
	var again int64
	if err := h.pool.QueryRow(context.Background(), `SELECT start_position FROM billing.feed`).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if start != int64(old.Position)+1<<20 || again != start {
		t.Errorf("start position %d, then %d; want %d both times", start, again, int64(old.Position)+1<<20)
	}
}

// TestFeedSurvivesANATSRestart: the NATS server restarts under a running
// feed; the connection reconnects and the feed goes on with the events
// published after the restart.
func TestFeedSurvivesANATSRestart(t *testing.T) {
	h := newHarness(t)
	o := submitted("ORD-1", "A1", line("SKU-A", 1, 100))
	h.publish(h.event("order-ORD-1", 1, o), h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 100)))
	f, _ := h.run(Config{})
	h.waitHandled(f, 2)
	h.srv.Restart(t)
	waitConnected(t, h.nc)
	o2 := submitted("ORD-2", "A1", line("SKU-B", 2, 100))
	h.publish(h.event("order-ORD-2", 1, o2), h.event("invoice-INV-2", 1, issued("INV-2", "ORD-2", "A1", 200)))
	h.waitHandled(f, 4)
	if rows := h.ledger(); len(rows) != 2 || rows[1][0] != "INV-2" {
		t.Errorf("ledger %v, want the lines of INV-1 and INV-2", rows)
	}
}

func waitConnected(t *testing.T, nc *nats.Conn) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !nc.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("not reconnected to NATS in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFeedRetriesAfterLosingPostgreSQL: every database connection of the
// feed is terminated; the batch in hand fails, goes back to JetStream and
// is applied on a retry, and nothing is doubled.
func TestFeedRetriesAfterLosingPostgreSQL(t *testing.T) {
	h := newHarness(t)
	o := submitted("ORD-1", "A1", line("SKU-A", 1, 100))
	h.publish(h.event("order-ORD-1", 1, o), h.event("invoice-INV-1", 1, issued("INV-1", "ORD-1", "A1", 100)))
	terminated := make(chan struct{})
	var once sync.Once
	var calls atomic.Int64
	f, _ := h.run(Config{BatchSize: 1, BeforeCommit: func(batch int) {
		calls.Add(1)
		if batch == 2 {
			// The batch's own connection goes too: its commit fails.
			once.Do(func() {
				admin, err := pgxpool.New(context.Background(), h.pool.Config().ConnString())
				if err == nil {
					_, err = admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
						WHERE datname = current_database() AND pid <> pg_backend_pid()`)
					admin.Close()
				}
				if err != nil {
					t.Errorf("terminate connections: %v", err)
				}
				close(terminated)
			})
		}
	}})
	<-terminated
	h.waitHandled(f, 2)
	if n := calls.Load(); n < 3 {
		t.Errorf("%d batches reached their commit, want at least 3 (the second again after its failure)", n)
	}
	if rows := h.ledger(); len(rows) != 1 || rows[0][0] != "INV-1" {
		t.Errorf("ledger %v, want the one line of INV-1", rows)
	}
}

// TestFeedPipelinesOrdinaryBatches: a batch of ordinary events (orders,
// their licenses and invoices, in order) goes in one round trip; a batch
// holding a message to park goes step by step, and both give the ledger
// the events call for.
func TestFeedPipelinesOrdinaryBatches(t *testing.T) {
	h := newHarness(t)
	var evs []eventstore.Event
	for i := 1; i <= 20; i++ {
		n := fmt.Sprintf("ORD-%d", i)
		evs = append(evs,
			h.event("order-"+n, 1, submitted(n, "A1", line("SKU-A", i, 100))),
			h.event("license-L"+n, 1, license.Issued{LicenseID: "L" + n, Product: "P", Edition: "E", Quantity: i, OwnerAccountID: "A1", SourceOrder: n, MaintenanceEnd: "2027-11-01"}),
			h.event("invoice-INV-"+n, 1, issued("INV-"+n, n, "A1", int64(i*100))))
	}
	// A poison invoice (its amount disagrees with its order) among them.
	evs = append(evs, h.event("invoice-INV-X", 1, issued("INV-X", "ORD-1", "A1", 1)))
	h.publish(evs...)

	var mu sync.Mutex
	var pipelined, stepwise int
	f, _ := h.run(Config{BatchSize: 16, OnCommit: func(c Commit) {
		mu.Lock()
		defer mu.Unlock()
		if c.Pipelined {
			pipelined++
		} else {
			stepwise++
		}
	}})
	h.waitHandled(f, int64(len(evs)))

	if got := h.ledger(); len(got) != 20 {
		t.Fatalf("ledger has %d rows, want 20: %v", len(got), got)
	}
	if p := h.parked(); len(p) != 1 {
		t.Errorf("parked %v, want the poison invoice only", p)
	}
	mu.Lock()
	defer mu.Unlock()
	if pipelined == 0 || stepwise == 0 {
		t.Errorf("%d batches pipelined and %d step by step, want both kinds", pipelined, stepwise)
	}
}
