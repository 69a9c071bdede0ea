package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/jackc/pgx/v5"

	benchmark "github.com/channeldesk/channeldesk/internal/bench"
)

// defaultBenchDatabaseURL is a database of its own: the bench drops every
// schema in it before each figure.
const defaultBenchDatabaseURL = "postgres://postgres@127.0.0.1:5432/channeldesk_bench?sslmode=disable"

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("database-url", env("BENCH_DATABASE_URL", defaultBenchDatabaseURL),
		"PostgreSQL URL of a database kept for benchmarks (env BENCH_DATABASE_URL); created if missing, and every schema in it is dropped on each run")
	quick := fs.Bool("quick", false, "smoke run with small sizes and short rounds")
	only := fs.String("only", "", "comma-separated figures to run, by name or number: "+figureNames())
	level := fs.String("log-level", "error", "log level of the components under test, written to stderr")
	readAccounts := fs.Int("read-accounts", 0, "customer accounts of figure 7's demo data set (default 1000000, with --quick 2000); loaded once into <database>_reads and kept, which takes about an hour per 250000 accounts")
	billingAccounts := fs.Int("billing-accounts", 0, "customer accounts of figure 8's demo load (default 5000, with --quick 100)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bench process (client side: pgx, the store's Go code, relay, projectors; for figure 6 also the HTTP API and its clients) to this file")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: channeldesk bench [flags]\n\nMeasures channeldesk against raw baselines in one run and prints one Markdown table on stdout; progress goes to stderr.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	cc, err := pgx.ParseConfig(*url)
	if err != nil {
		return fmt.Errorf("bench: --database-url is not a valid PostgreSQL URL: %w", err)
	}
	if !strings.Contains(cc.Database, "bench") {
		return fmt.Errorf("bench: refusing database %q: the bench drops every schema in its database, so its name must contain \"bench\"", cc.Database)
	}
	cfg := benchmark.Config{DatabaseURL: *url, Sizes: benchmark.FullSizes(), Progress: stderr, Logger: logger(stderr, *level)}
	if *quick {
		cfg.Sizes = benchmark.QuickSizes()
	}
	if *readAccounts < 0 {
		return fmt.Errorf("bench: --read-accounts %d: want a positive number", *readAccounts)
	}
	if *readAccounts > 0 {
		cfg.Sizes.ReadAccounts = *readAccounts
	}
	if *billingAccounts < 0 {
		return fmt.Errorf("bench: --billing-accounts %d: want a positive number", *billingAccounts)
	}
	if *billingAccounts > 0 {
		cfg.Sizes.BillingAccounts = *billingAccounts
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rows, err := benchmark.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := benchmark.Render(stdout, rows); err != nil {
		return err
	}
	failed := 0
	for _, r := range rows {
		if r.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("bench: %d figure(s) not measured", failed)
	}
	return nil
}

func figureNames() string {
	var names []string
	for _, f := range benchmark.Figures() {
		names = append(names, fmt.Sprintf("%d %s", f.Number, f.Name))
	}
	return strings.Join(names, ", ")
}
