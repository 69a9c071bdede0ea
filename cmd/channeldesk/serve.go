package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/timer"
)

// command starts the flags of a command with the database flag every
// command shares; errors go to stderr.
func command(name string, stderr io.Writer) (*flag.FlagSet, *app.Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &app.Config{}
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", app.DefaultDatabaseURL), "PostgreSQL URL (env DATABASE_URL); the database is created if missing")
	return fs, cfg
}

// withDB opens the database (created and migrated if need be), runs fn and
// closes it.
func withDB(ctx context.Context, cfg *app.Config, fn func(*app.DB) error) error {
	d, err := app.OpenDB(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("serve", stderr)
	fs.StringVar(&cfg.NATSURL, "nats-url", env("NATS_URL", ""), "external NATS server or cluster (env NATS_URL); empty runs an embedded server")
	fs.StringVar(&cfg.DataDir, "data-dir", env("CHANNELDESK_DATA_DIR", "data"), "directory for the embedded NATS server's JetStream files (env CHANNELDESK_DATA_DIR)")
	port, _ := strconv.Atoi(env("CHANNELDESK_EMBEDDED_NATS_PORT", "4223"))
	fs.IntVar(&cfg.EmbeddedNATSPort, "embedded-nats-port", port, "client port of the embedded NATS server (env CHANNELDESK_EMBEDDED_NATS_PORT)")
	fs.StringVar(&cfg.HTTPAddr, "addr", env("HTTP_ADDR", "127.0.0.1:8080"), "HTTP listen address (env HTTP_ADDR)")
	fs.StringVar(&cfg.RelayPublisher, "relay-publisher", env("CHANNELDESK_RELAY_PUBLISHER", "jetstream"), "relay publisher: jetstream (async, default) or watermill")
	replicas, _ := strconv.Atoi(env("CHANNELDESK_STREAM_REPLICAS", "1"))
	fs.IntVar(&cfg.StreamReplicas, "stream-replicas", replicas, "replicas of the JetStream event stream when it is created (env CHANNELDESK_STREAM_REPLICAS; 3 on a three-node cluster)")
	fs.StringVar(&cfg.RestrictedParties, "restricted-parties", env("RESTRICTED_PARTIES", ""), "CSV file of the restricted-party list for embargo screening (env RESTRICTED_PARTIES; name,kind,source per line); empty uses the built-in sample of deploy/restricted-parties.csv")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("TLS_CERT", ""), "PEM file of the HTTPS certificate (chain) (env TLS_CERT); with --tls-key serves HTTPS, without both plain HTTP")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("TLS_KEY", ""), "PEM file of the certificate's private key (env TLS_KEY)")
	rateEnv, _ := strconv.ParseFloat(env("CHANNELDESK_RATE_LIMIT", strconv.Itoa(api.DefaultRatePerSecond)), 64)
	fs.Float64Var(&cfg.RateLimit.PerSecond, "rate-limit", rateEnv, "sustained requests per second per token (per client IP without one), per instance; 0 turns rate limiting off (env CHANNELDESK_RATE_LIMIT)")
	burstEnv, _ := strconv.Atoi(env("CHANNELDESK_RATE_BURST", strconv.Itoa(api.DefaultRateBurst)))
	fs.IntVar(&cfg.RateLimit.Burst, "rate-burst", burstEnv, "requests a caller may send at once after a pause (env CHANNELDESK_RATE_BURST)")
	timerEvery, err := time.ParseDuration(env("CHANNELDESK_TIMER_INTERVAL", timer.DefaultInterval.String()))
	if err != nil {
		return fmt.Errorf("CHANNELDESK_TIMER_INTERVAL: %w", err)
	}
	fs.DurationVar(&cfg.TimerInterval, "timer-interval", timerEvery, "how often this instance fires due case timers, e.g. closing cases unanswered for 24 hours (env CHANNELDESK_TIMER_INTERVAL)")
	timerLease, err := time.ParseDuration(env("CHANNELDESK_TIMER_LEASE", timer.DefaultLease.String()))
	if err != nil {
		return fmt.Errorf("CHANNELDESK_TIMER_LEASE: %w", err)
	}
	fs.DurationVar(&cfg.TimerLease, "timer-lease", timerLease, "how long a timer this instance claimed stays its own before another instance takes it for dead and fires it (env CHANNELDESK_TIMER_LEASE)")
	fs.StringVar(&cfg.Holidays, "holidays", env("CHANNELDESK_HOLIDAYS", ""), "file of holidays the case SLA does not count, one YYYY-MM-DD a line (env CHANNELDESK_HOLIDAYS); empty: weekends only")
	level := fs.String("log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := rateFlags(&cfg.RateLimit); err != nil {
		return err
	}
	if cfg.TimerInterval <= 0 {
		return fmt.Errorf("--timer-interval %s: want a positive duration, e.g. 5s", cfg.TimerInterval)
	}
	if cfg.TimerLease <= 0 {
		return fmt.Errorf("--timer-lease %s: want a positive duration, e.g. 1m", cfg.TimerLease)
	}
	cfg.Logger = logger(stderr, *level)
	a, err := app.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx, func(addr string) {
		nats := "embedded NATS in " + cfg.DataDir
		if cfg.NATSURL != "" {
			nats = "NATS at " + cfg.NATSURL
		}
		list := "the built-in sample restricted-party list"
		if cfg.RestrictedParties != "" {
			list = "the restricted-party list " + cfg.RestrictedParties
		}
		scheme := "http"
		if a.TLS() {
			scheme = "https"
		}
		fmt.Fprintf(stdout, "channeldesk listening on %s://%s (%s; screening against %s, %d entries)\n", scheme, addr, nats, list, a.Screening.Len())
	})
}

// rateFlags checks --rate-limit and --rate-burst: 0 requests per second
// turns limiting off (a negative rate in the configuration), a burst must
// be at least 1.
func rateFlags(rl *api.RateLimit) error {
	switch {
	case rl.PerSecond < 0 || math.IsNaN(rl.PerSecond) || math.IsInf(rl.PerSecond, 0):
		return fmt.Errorf("--rate-limit %v: want requests per second, 0 or more (0 turns rate limiting off)", rl.PerSecond)
	case rl.PerSecond == 0:
		rl.PerSecond = -1
	case rl.Burst < 1:
		return fmt.Errorf("--rate-burst %d: want at least 1", rl.Burst)
	}
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("migrate", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withDB(ctx, cfg, func(*app.DB) error {
		fmt.Fprintln(stdout, "database ready: every migration applied")
		return nil
	})
}
