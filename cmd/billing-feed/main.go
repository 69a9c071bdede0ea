package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/billing"
	"github.com/channeldesk/channeldesk/internal/broker"
)

// defaultDatabaseURL is the local channeldesk database: the ledger lives
// in its own schema there unless --database-url says otherwise.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/channeldesk?sslmode=disable"

// defaultNATSURL is where `channeldesk serve` runs its embedded server.
const defaultNATSURL = "nats://127.0.0.1:4222"

const usage = `billing-feed — the billing ledger, fed from channeldesk's JetStream events

Usage: billing-feed <command> [flags]

Commands:
  run       consume order, license and invoice events into the ledger until SIGINT/SIGTERM
  export    write the ledger as CSV to standard output (--format csv)

Environment: BILLING_DATABASE_URL (else DATABASE_URL), NATS_URL.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "billing-feed:", err)
		}
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return runFeed(ctx, args[1:], stderr)
	case "export":
		return export(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
}

func env(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func databaseFlag(fs *flag.FlagSet) *string {
	def := env("BILLING_DATABASE_URL", "DATABASE_URL")
	if def == "" {
		def = defaultDatabaseURL
	}
	return fs.String("database-url", def, "PostgreSQL database holding the billing schema (env BILLING_DATABASE_URL, else DATABASE_URL)")
}

func openPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL: %w", err)
	}
	return pool, nil
}

func runFeed(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := databaseFlag(fs)
	natsURL := fs.String("nats-url", func() string {
		if v := env("NATS_URL"); v != "" {
			return v
		}
		return defaultNATSURL
	}(), "NATS server (env NATS_URL)")
	var cfg billing.Config
	def := broker.Default()
	fs.StringVar(&cfg.Topology.Stream, "stream", def.Stream, "JetStream stream of channeldesk's events")
	fs.StringVar(&cfg.Topology.Prefix, "subject-prefix", def.Prefix, "subject prefix of channeldesk's events")
	fs.StringVar(&cfg.Consumer, "consumer", billing.DefaultConsumer, "durable consumer name")
	fs.IntVar(&cfg.BatchSize, "batch", 256, "most messages per PostgreSQL transaction")
	fs.DurationVar(&cfg.AckWait, "ack-wait", 30*time.Second, "redelivery delay of unacknowledged messages (when the consumer is created)")
	fs.Int64Var(&cfg.StartPosition, "from-position", 0, "new ledger only: skip events at or before this event store position")
	since := fs.String("since", "", "new ledger only: the new consumer delivers from this time (RFC 3339)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			return fmt.Errorf("%w: --since: %v", errUsage, err)
		}
		cfg.StartTime = t
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	cfg.Logger = log
	if err := testPause(&cfg, os.Getenv("BILLING_FEED_TEST_PAUSE"), stderr); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}

	pool, err := openPool(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := billing.Migrate(ctx, pool); err != nil {
		return err
	}
	nc, err := broker.Connect(*natsURL, "billing-feed")
	if err != nil {
		return err
	}
	defer nc.Close()
	feed, err := billing.New(pool, nc, cfg)
	if err != nil {
		return err
	}
	log.Info("billing-feed: consuming", "stream", cfg.Topology.Stream, "consumer", cfg.Consumer, "subjects", strings.Join(cfg.Subjects(), " "))
	err = feed.Run(ctx)
	if errors.Is(err, context.Canceled) {
		log.Info("billing-feed: stopped")
		return nil
	}
	return err
}

// testPause wires BILLING_FEED_TEST_PAUSE ("before-commit:N" or
// "before-ack:N") into cfg: at batch N the feed prints a line and blocks
// until the process is killed.
func testPause(cfg *billing.Config, spec string, stderr io.Writer) error {
	if spec == "" {
		return nil
	}
	stage, num, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 1 || (stage != "before-commit" && stage != "before-ack") {
		return fmt.Errorf("%w: BILLING_FEED_TEST_PAUSE %q: want before-commit:N or before-ack:N", errUsage, spec)
	}
	pause := func(batch int) {
		if batch == n {
			fmt.Fprintf(stderr, "billing-feed: test pause %s batch %d\n", stage, batch)
			select {}
		}
	}
	if stage == "before-commit" {
		cfg.BeforeCommit = pause
	} else {
		cfg.BeforeAck = pause
	}
	return nil
}

func export(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := databaseFlag(fs)
	format := fs.String("format", "csv", "output format: csv")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "csv" {
		return fmt.Errorf("%w: --format %q: only csv", errUsage, *format)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	pool, err := openPool(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := billing.Migrate(ctx, pool); err != nil {
		return err
	}
	return billing.WriteCSV(ctx, pool, stdout)
}
