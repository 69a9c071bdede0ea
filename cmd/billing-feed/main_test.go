package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/billing"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/natstest"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/internal/relay"
)

func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "billing-feed")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running billing-feed process; lines receives its standard
// error line by line.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error

	mu  sync.Mutex
	log []string
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// waitLine waits for a line of standard error containing s.
func (p *proc) waitLine(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, s) {
				return
			}
		case err := <-p.done:
			t.Fatalf("billing-feed exited (%v) before printing %q:\n%s", err, s, p.output())
		case <-timeout:
			t.Fatalf("billing-feed did not print %q in 2 minutes:\n%s", s, p.output())
		}
	}
}

// kill sends SIGKILL: no deferred function, no clean stop.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// TestKilledMidBatchEndsWithExactLedger runs the real binary against a demo
// load being recorded and relayed: killed (SIGKILL) once after a batch
// committed but before it was acknowledged, once with a batch written but
// not committed, then run to the end and stopped with SIGTERM. The ledger
// equals the one computed straight from the event store: no line missing,
// none doubled, and every order, license and invoice event handled once.
func TestKilledMidBatchEndsWithExactLedger(t *testing.T) {
	bin := binary(t)
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := eventstore.New(pool)
	tokens := auth.NewRegistry(pool, nil)
	ids := numbering.New(pool)
	for _, m := range []func(context.Context) error{store.Migrate, tokens.Migrate, ids.Migrate,
		func(ctx context.Context) error { return relay.Migrate(ctx, pool) }} {
		if err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}
	srv := natstest.Start(t)
	nc, err := broker.Connect(srv.URL(), "billing-feed-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := relay.New(pool, store, nc, relay.Config{Logger: quiet, BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan error, 1)
	go func() { relayDone <- r.Run(rctx) }()
	t.Cleanup(func() { stopRelay(); <-relayDone })

	// The load runs while the feed is killed and restarted.
	loadDone := make(chan error, 1)
	go func() {
		_, err := demo.Load(ctx, command.New(store, ids, command.Config{}), store, tokens,
			demo.Config{Accounts: 40, Seed: 5, Concurrency: 2})
		loadDone <- err
	}()

	args := []string{"run", "--database-url", dbURL, "--nats-url", srv.URL(), "--batch", "16", "--ack-wait", "2s", "--log-level", "warn"}
	p := start(t, bin, []string{"BILLING_FEED_TEST_PAUSE=before-ack:3"}, args...)
	p.waitLine(t, "test pause before-ack batch 3")
	p.kill(t)
	p = start(t, bin, []string{"BILLING_FEED_TEST_PAUSE=before-commit:2"}, args...)
	p.waitLine(t, "test pause before-commit batch 2")
	p.kill(t)
	p = start(t, bin, nil, args...)

	if err := <-loadDone; err != nil {
		t.Fatalf("demo load: %v", err)
	}
	events := readAll(t, store)
	last := events[len(events)-1].Position
	waitFor(t, "the relay to publish every event", func() (bool, string) {
		cp, err := r.Checkpoint(ctx)
		return err == nil && cp >= last, fmt.Sprintf("relay checkpoint %d, last position %d (%v)", cp, last, err)
	})
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the feed to catch up", func() (bool, string) {
		c, err := js.Consumer(ctx, broker.Default().Stream, billing.DefaultConsumer)
		if err != nil {
			return false, err.Error()
		}
		info, err := c.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		return info.NumPending == 0 && info.NumAckPending == 0,
			fmt.Sprintf("%d pending, %d awaiting ack", info.NumPending, info.NumAckPending)
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Errorf("billing-feed after SIGTERM: %v, want exit 0\n%s", err, p.output())
	}

	want, relevant := expectedLedger(t, events)
	if len(want) == 0 {
		t.Fatal("the demo load issued no invoice")
	}
	out, err := exec.Command(bin, "export", "--format", "csv", "--database-url", dbURL).Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], billing.CSVHeader()) {
		t.Fatalf("export header %v", recs[0])
	}
	got := map[string]int{}
	for _, rec := range recs[1:] {
		got[ledgerKey(rec[0], rec[1], rec[2], rec[3], rec[6], rec[9], rec[10], rec[11], rec[12])]++
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("ledger line %s appears %d times", k, n)
		}
		if !want[k] {
			t.Errorf("ledger line %s is not in the store", k)
		}
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("ledger line %s missing", k)
		}
	}
	t.Logf("%d events in the store, %d of them order, license or invoice events; %d ledger lines", len(events), relevant, len(recs)-1)

	var processed, handled, parked int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM billing.processed),
		(SELECT handled FROM billing.feed), (SELECT count(*) FROM billing.parked)`).Scan(&processed, &handled, &parked); err != nil {
		t.Fatal(err)
	}
	if processed != int64(relevant) || handled != int64(relevant) || parked != 0 {
		t.Errorf("%d events processed, %d counted as handled, %d parked; want %d, %d and 0", processed, handled, parked, relevant, relevant)
	}
}

// readAll reads every event of the store.
func readAll(t *testing.T, s *eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for {
		var after eventstore.Position
		if len(out) > 0 {
			after = out[len(out)-1].Position
		}
		batch, err := s.ReadRange(context.Background(), after, math.MaxInt64, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
	}
}

func ledgerKey(fields ...string) string { return strings.Join(fields, "|") }

// expectedLedger computes the ledger from the store's events with the
// domain's own types: for each invoice.issued, one line per line of its
// order. relevant counts the order, license and invoice events.
func expectedLedger(t *testing.T, events []eventstore.Event) (lines map[string]bool, relevant int) {
	t.Helper()
	orders := map[string]order.Submitted{}
	var invoices []invoice.Issued
	for _, e := range events {
		switch e.Category {
		case "order", "license", "invoice":
			relevant++
		}
		switch e.Type {
		case "order.submitted":
			var o order.Submitted
			if err := json.Unmarshal(e.Data, &o); err != nil {
				t.Fatal(err)
			}
			orders[o.OrderNumber] = o
		case "invoice.issued":
			var v invoice.Issued
			if err := json.Unmarshal(e.Data, &v); err != nil {
				t.Fatal(err)
			}
			invoices = append(invoices, v)
		}
	}
	lines = map[string]bool{}
	for _, v := range invoices {
		o, ok := orders[v.OrderNumber]
		if !ok {
			t.Fatalf("invoice %s of unknown order %s", v.InvoiceNumber, v.OrderNumber)
		}
		for i, l := range o.Lines {
			lines[ledgerKey(v.InvoiceNumber, strconv.Itoa(i+1), v.OrderNumber, v.AccountID, l.SKU,
				strconv.Itoa(l.Quantity), strconv.FormatInt(l.UnitPriceMinor, 10),
				strconv.FormatInt(int64(l.Quantity)*l.UnitPriceMinor, 10), v.Currency)] = true
		}
	}
	return lines, relevant
}

// waitFor polls cond until it holds, for at most three minutes.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %s", what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestUsage: bad invocations exit with a usage error, not a stack or a
// connection attempt.
func TestUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"no command", nil, "", "no command given"},
		{"unknown command", []string{"serve"}, "", `unknown command "serve"`},
		{"bad format", []string{"export", "--format", "xlsx"}, "", "only csv"},
		{"bad since", []string{"run", "--since", "yesterday"}, "", "--since"},
		{"bad batch", []string{"run", "--batch", "-3"}, "", "batch size"},
		{"bad pause", []string{"run"}, "later", "BILLING_FEED_TEST_PAUSE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("BILLING_FEED_TEST_PAUSE", c.env)
			var out, errOut bytes.Buffer
			err := run(c.args, &out, &errOut)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("run(%q) = %v, want a usage error mentioning %q", c.args, err, c.want)
			}
		})
	}
}
