package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Figure 7 (issue 4): the read side on a demo data set of
// Sizes.ReadAccounts customer accounts, loaded through the commands and
// projected by a rebuild of the read models it reads (readModels). The
// data set is kept in a
// database of its own (the bench database's name plus "_reads") and loaded
// again only when its size or seed differ, since a million accounts take
// the better part of an hour to load.

// readModels are the read models figure 7 reads; the others are not
// rebuilt for it.
var readModels = map[string]bool{customers.Name: true, contracts.Name: true, activity.Name: true}

// readsSeed is the demo seed of the data set.
const readsSeed = 7

// readQueries is how many timed queries each latency figure runs.
const readQueries = 2000

func readsFigure(ctx context.Context, e *env) ([]Row, error) {
	url, err := readsURL(e.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := e.readsData(ctx, url); err != nil {
		return nil, err
	}
	d, err := app.OpenDB(ctx, app.Config{DatabaseURL: url, MaxConns: 8, Logger: e.cfg.Logger})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var rows []Row

	// 7a. A customer list page: 50 rows by a name prefix of two letters,
	// as staff and as a partner, the query the API runs.
	prefixes := namePrefixes(ctx, d)
	partners, err := busyPartners(ctx, d)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(readsSeed, 1))
	staff := auth.Staff("bench", domain.RoleSupport)
	var lat []time.Duration
	for i := range readQueries {
		viewer := staff
		if i%2 == 1 && len(partners) > 0 {
			viewer = auth.PartnerContact(partners[rng.IntN(len(partners))], "C-000001")
		}
		f := customers.Filter{NamePrefix: prefixes[rng.IntN(len(prefixes))], Limit: 50}
		start := time.Now()
		if _, _, err := customers.List(ctx, d.Pool, viewer, f); err != nil {
			return nil, fmt.Errorf("customer list: %w", err)
		}
		lat = append(lat, time.Since(start))
	}
	e.progress("  customer list page: p50 %.2f ms, p99 %.2f ms", ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
	rows = append(rows, Row{Figure: "7. customer list page (50 rows, name prefix), p99", Ours: ms(percentile(lat, 0.99)),
		Unit: "ms", Target: Target{Max: 10}})

	// 7b. Contract search by company name, against the same statements
	// (recorded from a first run of each search) executed straight with
	// pgx, the two in turns first.
	row, err := e.contractSearchRows(ctx, d, partners, rng)
	if err != nil {
		return nil, err
	}
	rows = append(rows, row)

	// 7c. The activity log of one customer over the last 30 days.
	accounts, err := someAccounts(ctx, d, 500)
	if err != nil {
		return nil, err
	}
	auditor := auth.Staff("bench", domain.RoleAuditor)
	now := time.Now().UTC()
	lat = lat[:0]
	for range readQueries {
		f := activity.Filter{From: now.AddDate(0, 0, -30), To: now.Add(time.Hour), Customer: accounts[rng.IntN(len(accounts))], Limit: 50}
		start := time.Now()
		if _, _, err := activity.List(ctx, d.Pool, auditor, f); err != nil {
			return nil, fmt.Errorf("activity log: %w", err)
		}
		lat = append(lat, time.Since(start))
	}
	e.progress("  activity by customer, 30 days: p50 %.2f ms, p99 %.2f ms", ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
	rows = append(rows, Row{Figure: "7. activity log by customer over 30 days, p99", Ours: ms(percentile(lat, 0.99)),
		Unit: "ms", Target: Target{Max: 20}})

	// 7d. The customer CSV export through HTTP against COPY of the same
	// columns, alternating, with the bench process's peak Go heap during
	// ours.
	exp, err := e.exportRows(ctx, url, d)
	if err != nil {
		return nil, err
	}
	rows = append(rows, exp...)

	// 7e. What authentication and rate limiting cost a query.
	cost, err := e.authCost(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("authentication cost: %w", err)
	}
	return append(rows, cost), nil
}

// recorder is a Querier that records the statements it runs.
type recorder struct {
	q     readmodel.Querier
	calls []recordedCall
}

type recordedCall struct {
	sql  string
	args []any
}

func (r *recorder) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.calls = append(r.calls, recordedCall{sql, args})
	return r.q.Query(ctx, sql, args...)
}

func (r *recorder) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	r.calls = append(r.calls, recordedCall{sql, args})
	return r.q.QueryRow(ctx, sql, args...)
}

// contractSearchRows times contract searches by company name (half of them
// by staff, half by the partners with the most customers): the full name
// of a customer with agreements, its first word, or the name with one
// letter changed. The baseline runs the statements each search ran,
// recorded, straight with pgx and reads their rows.
func (e *env) contractSearchRows(ctx context.Context, d *app.DB, partners []string, rng *rand.Rand) (Row, error) {
	rows, err := d.Pool.Query(ctx, `SELECT c.name FROM `+customers.Schema+`.customers c
		WHERE c.status = 'active' AND EXISTS (SELECT 1 FROM proj_contracts.contracts k WHERE k.account_id = c.account_id)
		ORDER BY random() LIMIT 500`)
	if err != nil {
		return Row{}, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) == 0 {
		return Row{}, fmt.Errorf("companies with agreements: %d, %v", len(names), err)
	}
	staff := auth.Staff("bench", domain.RoleSupport)
	// The service's in-process index of spellings, read as the service
	// reads it when it starts.
	sp := contracts.NewSpellings(d.Pool, nil)
	start := time.Now()
	if err := sp.Refresh(ctx); err != nil {
		return Row{}, err
	}
	e.progress("  spellings read into the in-process index in %s", time.Since(start).Round(time.Millisecond))
	spCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = sp.Run(spCtx) }() // refreshed as the service refreshes it
	var ours, raw, cold []time.Duration
	// The searches by kind: a full name, its first word, a letter wrong
	// (as staff on even i, as a partner on odd i when there are any).
	kinds := []string{"full name", "first word", "full name", "one letter wrong"}
	classes := map[string][]time.Duration{}
	for i := range readQueries {
		name := names[rng.IntN(len(names))]
		switch i % 4 {
		case 1:
			name, _, _ = strings.Cut(name, " ")
		case 3:
			b := []rune(name)
			b[rng.IntN(len(b))] = 'x'
			name = string(b)
		}
		viewer := staff
		if i%2 == 1 && len(partners) > 0 {
			viewer = auth.PartnerContact(partners[rng.IntN(len(partners))], "C-000001")
		}
		f := contracts.Filter{Company: name, Limit: 50}
		// First the search records its statements: the first run of each,
		// which reads its pages in (timed as cold). Then ours and the
		// same statements straight with pgx, each as the second or third
		// run, in turns first.
		rec := &recorder{q: d.Pool}
		start := time.Now()
		if _, _, err := sp.Search(ctx, rec, viewer, f); err != nil {
			return Row{}, fmt.Errorf("contract search %q: %w", name, err)
		}
		cold = append(cold, time.Since(start))
		timeOurs := func() error {
			start := time.Now()
			if _, _, err := sp.Search(ctx, d.Pool, viewer, f); err != nil {
				return fmt.Errorf("contract search %q: %w", name, err)
			}
			ours = append(ours, time.Since(start))
			class := kinds[i%4] + " as staff"
			if viewer.PartnerID != "" {
				class = kinds[i%4] + " as a partner"
			}
			classes[class] = append(classes[class], ours[len(ours)-1])
			return nil
		}
		timeRaw := func() error {
			start := time.Now()
			for _, c := range rec.calls {
				rs, err := d.Pool.Query(ctx, c.sql, c.args...)
				if err != nil {
					return err
				}
				for rs.Next() {
				}
				rs.Close()
				if err := rs.Err(); err != nil {
					return err
				}
			}
			raw = append(raw, time.Since(start))
			return nil
		}
		first, second := timeOurs, timeRaw
		if i/2%2 == 1 {
			first, second = timeRaw, timeOurs
		}
		if err := first(); err != nil {
			return Row{}, err
		}
		if err := second(); err != nil {
			return Row{}, err
		}
	}
	for _, class := range slices.Sorted(maps.Keys(classes)) {
		e.progress("  contract search, %s (%d searches): p50 %.2f ms, p99 %.2f ms", class, len(classes[class]),
			ms(percentile(classes[class], 0.5)), ms(percentile(classes[class], 0.99)))
	}
	e.progress("  contract search: p50 %.2f ms (raw %.2f ms), p99 %.2f ms (raw %.2f ms); first run of each search p50 %.2f ms, p99 %.2f ms",
		ms(percentile(ours, 0.5)), ms(percentile(raw, 0.5)), ms(percentile(ours, 0.99)), ms(percentile(raw, 0.99)),
		ms(percentile(cold, 0.5)), ms(percentile(cold, 0.99)))
	return Row{Figure: "7. contract search by company name, p99", Ours: ms(percentile(ours, 0.99)), Raw: ms(percentile(raw, 0.99)),
		Unit: "ms", Target: Target{Max: 10}}, nil
}

// readsURL is the URL of the kept read data set: the bench database's
// name with "_reads".
func readsURL(benchURL string) (string, error) {
	cfg, err := pgx.ParseConfig(benchURL)
	if err != nil {
		return "", err
	}
	if cfg.Database == "" {
		return "", errors.New("bench database URL names no database")
	}
	return strings.Replace(benchURL, "/"+cfg.Database, "/"+cfg.Database+"_reads", 1), nil
}

// readsData loads the data set into url unless it holds it already.
func (e *env) readsData(ctx context.Context, url string) error {
	want := fmt.Sprintf("demo accounts=%d seed=%d", e.sizes.ReadAccounts, readsSeed)
	pool, err := app.OpenPostgres(ctx, url, 2)
	if err != nil {
		return err
	}
	var have string
	err = pool.QueryRow(ctx, `SELECT data_set FROM bench_reads`).Scan(&have)
	pool.Close()
	if err == nil && have == want {
		e.progress("  data set in %s: %s (kept)", url, want)
		return e.reproject(ctx, url)
	}
	e.progress("  loading %s into %s (kept for the next runs)", want, url)
	sub := &env{cfg: e.cfg, sizes: e.sizes}
	sub.cfg.DatabaseURL = url
	if err := sub.reset(ctx); err != nil {
		return err
	}
	d, err := app.OpenDB(ctx, app.Config{DatabaseURL: url, MaxConns: 16, Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	cmds := command.New(d.Store, numbering.NewBlocks(d.IDs, 0), command.Config{})
	var progress io.Writer
	if e.cfg.Progress != nil {
		progress = e.cfg.Progress
	}
	if _, err := demo.Load(ctx, cmds, d.Store, d.Tokens, demo.Config{Accounts: e.sizes.ReadAccounts, Seed: readsSeed,
		Concurrency: 8, Progress: progress, ProgressEvery: 30 * time.Second}); err != nil {
		return fmt.Errorf("demo load: %w", err)
	}
	e.progress("  loaded in %s; rebuilding the read models", time.Since(start).Round(time.Second))
	runner, err := projections.NewRunner(d.Pool, d.Store, nil, projections.Config{Topology: broker.Default(), Logger: e.cfg.Logger},
		app.Projections()...)
	if err != nil {
		return err
	}
	for _, p := range app.Projections() {
		if !readModels[p.Name()] {
			continue
		}
		t := time.Now()
		if err := runner.Rebuild(ctx, p.Name()); err != nil {
			return fmt.Errorf("rebuild %s: %w", p.Name(), err)
		}
		e.progress("  rebuilt %s in %s", p.Name(), time.Since(t).Round(time.Millisecond))
	}
	if _, err := d.Pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return err
	}
	if _, err := d.Pool.Exec(ctx, `CREATE TABLE bench_reads (data_set text NOT NULL)`); err != nil {
		return err
	}
	_, err = d.Pool.Exec(ctx, `INSERT INTO bench_reads VALUES ($1)`, want)
	return err
}

// reproject rebuilds the read models figure 7 reads whose tables are of
// another version than the code's, or missing (a read model changed since
// the data set was loaded), then analyses the database.
func (e *env) reproject(ctx context.Context, url string) error {
	d, err := app.OpenDB(ctx, app.Config{DatabaseURL: url, MaxConns: 8, Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	defer d.Close()
	runner, err := projections.NewRunner(d.Pool, d.Store, nil, projections.Config{Topology: broker.Default(), Logger: e.cfg.Logger},
		app.Projections()...)
	if err != nil {
		return err
	}
	rebuilt := false
	for _, p := range app.Projections() {
		if !readModels[p.Name()] {
			continue
		}
		want := 1
		if v, ok := p.(projections.Versioned); ok {
			want = v.Version()
		}
		var have int
		err := d.Pool.QueryRow(ctx, `SELECT version FROM projection_checkpoints WHERE name = $1`, p.Name()).Scan(&have)
		if err == nil && have == want {
			continue
		}
		t := time.Now()
		if err := runner.Rebuild(ctx, p.Name()); err != nil {
			return fmt.Errorf("rebuild %s: %w", p.Name(), err)
		}
		e.progress("  rebuilt %s (version %d) in %s", p.Name(), want, time.Since(t).Round(time.Millisecond))
		rebuilt = true
	}
	if rebuilt {
		if _, err := d.Pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			return err
		}
	}
	return nil
}

// namePrefixes returns the two-letter prefixes of the customers' folded
// names, each as often as customers have it.
func namePrefixes(ctx context.Context, d *app.DB) []string {
	rows, err := d.Pool.Query(ctx, `SELECT left(name_fold, 2) FROM `+customers.Schema+`.customers
		WHERE status = 'active' ORDER BY random() LIMIT 1000`)
	if err != nil {
		return []string{"a"}
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(out) == 0 {
		return []string{"a"}
	}
	return out
}

// busyPartners returns the partners with the most customer relationships.
func busyPartners(ctx context.Context, d *app.DB) ([]string, error) {
	rows, err := d.Pool.Query(ctx, `SELECT party_id FROM `+customers.Schema+`.relationships
		GROUP BY party_id ORDER BY count(*) DESC LIMIT 20`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// someAccounts returns n customers chosen at random.
func someAccounts(ctx context.Context, d *app.DB, n int) ([]string, error) {
	rows, err := d.Pool.Query(ctx, `SELECT account_id FROM `+customers.Schema+`.customers ORDER BY random() LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// exportRows measures the staff's customer export through the HTTP API
// (the whole list, as CSV) against COPY of the same columns to the
// client, alternating twice, and the peak Go heap in use during ours.
func (e *env) exportRows(ctx context.Context, url string, d *app.DB) ([]Row, error) {
	dir, err := os.MkdirTemp("", "channeldesk-bench-reads-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	a, err := app.Open(ctx, app.Config{DatabaseURL: url, EmbeddedNATSPort: -1, DataDir: dir, MaxConns: 8, Logger: e.cfg.Logger})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: a.API, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	token, _, err := a.Tokens.Create(ctx, auth.Staff("bench", domain.RoleSupport), time.Hour, "bench export")
	if err != nil {
		return nil, err
	}
	var n int64
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM `+customers.Schema+`.customers WHERE status = 'active'`).Scan(&n); err != nil {
		return nil, err
	}
	ours := func() (time.Duration, uint64, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/v1/customers/export", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		runtime.GC()
		go func() {
			defer close(sampled)
			var mem runtime.MemStats
			for {
				runtime.ReadMemStats(&mem)
				if mem.HeapInuse > peak.Load() {
					peak.Store(mem.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var lines int64
			lines, err = countLines(resp.Body)
			resp.Body.Close()
			if err == nil && lines != n+1 {
				err = fmt.Errorf("export gave %d lines for %d customers", lines, n)
			}
		}
		took := time.Since(start)
		close(stop)
		<-sampled
		return took, peak.Load(), err
	}
	raw := func() (time.Duration, error) {
		conn, err := d.Pool.Acquire(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Release()
		start := time.Now()
		tag, err := conn.Conn().PgConn().CopyTo(ctx, io.Discard, `COPY (SELECT c.account_id, c.name, c.primary_domain, '' AS relationship,
			array_to_string(c.tags, ';') FROM `+customers.Schema+`.customers c WHERE c.status = 'active'
			ORDER BY c.name_fold, c.account_id) TO STDOUT (FORMAT csv, HEADER)`)
		if err == nil && tag.RowsAffected() != n {
			err = fmt.Errorf("COPY gave %d rows for %d customers", tag.RowsAffected(), n)
		}
		return time.Since(start), err
	}
	var oursTotal, rawTotal time.Duration
	var peak uint64
	for range 2 {
		t, p, err := ours()
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		oursTotal += t
		peak = max(peak, p)
		r, err := raw()
		if err != nil {
			return nil, fmt.Errorf("COPY: %w", err)
		}
		rawTotal += r
	}
	oursRate, rawRate := float64(2*n)/oursTotal.Seconds(), float64(2*n)/rawTotal.Seconds()
	e.progress("  customer export: %.0f rows/s (HTTP, CSV), COPY %.0f rows/s, %d rows, peak Go heap %.1f MB", oursRate, rawRate, n, float64(peak)/1e6)
	return []Row{
		{Figure: fmt.Sprintf("7. customer CSV export through HTTP, %d rows", n), Ours: oursRate, Raw: rawRate, Unit: "rows/s",
			Target: Target{MinRatio: 0.5}},
		{Figure: "7. peak Go heap in use during the export (context)", Ours: float64(peak) / 1e6, Unit: "MB"},
	}, nil
}

// countLines counts the lines of r.
func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		for _, b := range buf[:k] {
			if b == '\n' {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
