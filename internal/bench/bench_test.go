package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

func TestAppendFiguresAtTinySize(t *testing.T) {
	url := pgtest.URL(t)
	sizes := Sizes{
		Warmup: 20 * time.Millisecond, Round: 100 * time.Millisecond, Blocks: 1,
		Concurrency:      []int{1, 2},
		BatchConcurrency: 2, BatchEvents: 10,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := Run(ctx, Config{DatabaseURL: url, Sizes: sizes, Only: []string{"append", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 { // two concurrencies, batched against INSERT and COPY
		t.Fatalf("got %d rows, want 4: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Figure, r.Err)
		}
		if !(r.Ours > 0) || !(r.Raw > 0) || !(r.Ratio() > 0) {
			t.Errorf("%s: ours %v, raw %v: want both positive", r.Figure, r.Ours, r.Raw)
		}
	}
	var b strings.Builder
	if err := Render(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2+len(rows) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), 2+len(rows), b.String())
	}
	if lines[0] != "| figure | ours | raw baseline | ratio | target |" {
		t.Errorf("header %q", lines[0])
	}
	for _, l := range lines[2:] {
		if strings.Count(l, " | ") != 4 || !strings.HasSuffix(l, " |") {
			t.Errorf("malformed row %q", l)
		}
		if strings.Contains(l, "not measured") {
			t.Errorf("row not measured: %q", l)
		}
	}
}

func TestOrdersFigureAtTinySize(t *testing.T) {
	url := pgtest.URL(t)
	sizes := Sizes{Warmup: 20 * time.Millisecond, Round: time.Second, Blocks: 1, OrderConcurrency: 2} // a round long enough for pairs to finish on a loaded machine
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := Run(ctx, Config{DatabaseURL: url, Sizes: sizes, Only: []string{"orders"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.Err != nil {
		t.Fatalf("%s: %v", r.Figure, r.Err)
	}
	if r.Figure != "6. SubmitOrder→FulfilOrder through HTTP, concurrency 2" || r.Unit != "commands/s" {
		t.Errorf("row %q in %q", r.Figure, r.Unit)
	}
	if !(r.Ours > 0) || !(r.Raw > 0) || !(r.Ratio() > 0) {
		t.Errorf("ours %v, raw %v: want both positive", r.Ours, r.Raw)
	}
	// Every order was fulfilled, on both sides: the service's orders (drawn
	// numbers) and the baseline's (renumbered from rawNumberBase) alike,
	// each with a license per line, an invoice and a PO reservation.
	pool, err := app.OpenPostgres(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var orders, submitted, fulfilled, reserved, invoices, licenses, attached int
	err = pool.QueryRow(ctx, `SELECT
		count(DISTINCT stream_id) FILTER (WHERE category = 'order' AND stream_id < 'order-ORD-5'),
		count(*) FILTER (WHERE event_type = 'order.submitted'),
		count(*) FILTER (WHERE event_type = 'order.fulfilled'),
		count(*) FILTER (WHERE event_type = 'orderpo.reserved'),
		count(*) FILTER (WHERE event_type = 'invoice.issued'),
		count(*) FILTER (WHERE event_type = 'license.issued'),
		count(*) FILTER (WHERE event_type = 'account.license_attached')
		FROM events`).Scan(&orders, &submitted, &fulfilled, &reserved, &invoices, &licenses, &attached)
	if err != nil {
		t.Fatal(err)
	}
	if orders < 2 || submitted <= orders || fulfilled != submitted || reserved != submitted || invoices != submitted ||
		licenses < 2*submitted || licenses > 3*submitted || attached != licenses {
		t.Errorf("%d orders by the service; %d submitted, %d fulfilled, %d POs reserved, %d invoices, %d licenses, %d attached",
			orders, submitted, fulfilled, reserved, invoices, licenses, attached)
	}
}

func TestRenderNotMeasuredAndTargets(t *testing.T) {
	rows := []Row{
		{Figure: "met", Ours: 900, Raw: 1000, Unit: "events/s", Target: Target{MinRatio: 0.8}},
		{Figure: "just missed", Ours: 798, Raw: 1000, Unit: "events/s", Target: Target{MinRatio: 0.8}},
		{Figure: "missed", Ours: 60, Unit: "ms", Target: Target{Max: 50}},
		{Figure: "failed", Err: errFigure("relay | broke\nbadly"), Target: Target{MinRatio: 0.7}},
	}
	var b strings.Builder
	if err := Render(&b, rows); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"| met | 900 events/s | 1,000 events/s | 0.90× | ≥ 0.8× raw: met |",
		"| just missed | 798 events/s | 1,000 events/s | 0.79× | ≥ 0.8× raw: **missed** |",
		"| missed | 60.0 ms | — | — | ≤ 50.0 ms: **missed** |",
		`| failed | not measured: relay \| broke badly | — | — | ≥ 0.7× raw |`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		only    []string
		want    []string
		wantErr bool
	}{
		{"all", nil, []string{"append", "batch", "relay", "visible", "rebuild", "orders", "reads", "billing"}, false},
		{"orders by number", []string{"6"}, []string{"orders"}, false},
		{"names and numbers in measuring order", []string{"rebuild", "1"}, []string{"append", "rebuild"}, false},
		{"unknown", []string{"append", "nope"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			figs, err := Select(tc.only)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			var got []string
			for _, f := range figs {
				got = append(got, f.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

type errFigure string

func (e errFigure) Error() string { return string(e) }

// TestReadsFigureAtTinySize: figure 7 loads a demo data set into a database
// of its own, keeps it for the next run (which then loads nothing), and
// measures every row.
func TestReadsFigureAtTinySize(t *testing.T) {
	url := pgtest.URL(t)
	reads, err := readsURL(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cfg, err := pgx.ParseConfig(reads)
		if err != nil {
			return
		}
		conn, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{cfg.Database}.Sanitize()+` WITH (FORCE)`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for run := range 2 {
		var progress strings.Builder
		rows, err := Run(ctx, Config{DatabaseURL: url, Sizes: Sizes{Round: time.Second, Blocks: 1, ReadAccounts: 12},
			Only: []string{"reads"}, Progress: &progress})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 {
			t.Fatalf("run %d: %d rows: %+v\n%s", run, len(rows), rows, progress.String())
		}
		for _, r := range rows {
			if r.Err != nil || r.Ours <= 0 {
				t.Fatalf("run %d: row %+v\n%s", run, r, progress.String())
			}
		}
		if kept := strings.Contains(progress.String(), "(kept)"); kept != (run == 1) {
			t.Fatalf("run %d: data set kept %v:\n%s", run, kept, progress.String())
		}
	}
}
