package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/relay"
)

const eventsUsage = "usage: channeldesk events republish --from POSITION [--to POSITION] [--database-url URL] [--nats-url URL]"

// eventsCmd runs `channeldesk events republish`: it re-sends a range of
// the event store to JetStream for consumers that lost their data
// (relay.Relay.Republish) and prints how many events were sent and how
// many JetStream dropped as duplicates (still inside its duplicate
// window). Exit status 0 when the whole range was sent, 1 on a failure
// (after printing what was sent), 2 on a usage error.
func eventsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "republish" {
		fmt.Fprintln(stderr, eventsUsage)
		if len(args) == 0 {
			return usageError(errors.New("events: no subcommand given"))
		}
		return usageError(fmt.Errorf("unknown events command %q (republish)", args[0]))
	}
	fs, cfg := command("events republish", stderr)
	port, _ := strconv.Atoi(env("CHANNELDESK_EMBEDDED_NATS_PORT", "4223"))
	fs.StringVar(&cfg.NATSURL, "nats-url", env("NATS_URL", fmt.Sprintf("nats://127.0.0.1:%d", port)),
		"NATS server or cluster to publish to (env NATS_URL; default: the embedded server of a local `channeldesk serve`)")
	from := fs.Int64("from", -1, "first position to re-send (required; 0: from the first event)")
	to := fs.Int64("to", 0, "last position to re-send (default: up to the last committed event)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err)
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fmt.Errorf("events republish: unexpected argument %q\n%s", fs.Arg(0), eventsUsage))
	case *from < 0:
		return usageError(errors.New("events republish: --from POSITION is required (a non-negative position)\n" + eventsUsage))
	case *to < 0 || (*to != 0 && *to < *from):
		return usageError(errors.New("events republish: --to must be a position at or after --from\n" + eventsUsage))
	}
	d, err := app.OpenDB(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	nc, err := broker.Connect(cfg.NATSURL, "channeldesk-republish")
	if err != nil {
		return err
	}
	defer nc.Close()
	r, err := relay.New(d.Pool, d.Store, nc, relay.Config{Topology: cfg.Topology, Logger: logger(stderr, "warn")})
	if err != nil {
		return err
	}
	res, err := r.Republish(ctx, eventstore.Position(*from), eventstore.Position(*to))
	fmt.Fprintf(stdout, "republished %d events (%d dropped by JetStream as duplicates, %d stored again); last position %d\n",
		res.Sent, res.Duplicates, res.Sent-res.Duplicates, res.Last)
	if err != nil {
		next := *from
		if res.Last > 0 {
			next = int64(res.Last) + 1
		}
		return fmt.Errorf("republish stopped (run again with --from %d): %w", next, err)
	}
	return nil
}
