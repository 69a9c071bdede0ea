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
	"syscall"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "channeldesk:", err)
		}
		os.Exit(exitCode(err))
	}
}

const usage = `channeldesk — the channel back office

Usage: channeldesk <command> [flags]

Commands:
  serve                        run the HTTP API, the relay and the projectors
  migrate                      create the database if missing and apply every migration
  token create                 issue a bearer token (printed once)
  token list                   list tokens (no secrets)
  token revoke ID              revoke a token at once
  projections status           position, lag and state of every read model
  projections rebuild NAME     rebuild a read model from the event store
  audit verify                 check the activity log's hash chains (exit 1: broken, 2: usage)
  events republish --from POS  re-send a range of events to JetStream (duplicates dropped)
  bench                        benchmarks against raw baselines
  demo                         load a realistic data set and print a token per kind of principal

Environment: DATABASE_URL, NATS_URL, HTTP_ADDR, CHANNELDESK_DATA_DIR (see README.md).
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "token":
		return token(ctx, rest, stdout, stderr)
	case "projections":
		return projectionsCmd(ctx, rest, stdout, stderr)
	case "audit":
		return audit(ctx, rest, stdout, stderr)
	case "events":
		return eventsCmd(ctx, rest, stdout, stderr)
	case "bench":
		return bench(ctx, rest, stdout, stderr)
	case "demo":
		return demoCmd(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
