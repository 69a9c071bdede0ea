package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections"
)

func projectionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: channeldesk projections status|rebuild NAME")
	}
	fs, cfg := command("projections "+args[0], stderr)
	asJSON := fs.Bool("json", false, "print JSON (status)")
	fs.StringVar(&cfg.Holidays, "holidays", env("CHANNELDESK_HOLIDAYS", ""), "file of holidays the case SLA does not count (rebuild; as serve's --holidays, env CHANNELDESK_HOLIDAYS)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	holidays, err := calendar.Load(cfg.Holidays)
	if err != nil {
		return err
	}
	d, err := app.OpenDB(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	// Status and rebuild read PostgreSQL only; no NATS connection needed.
	r, err := projections.NewRunner(d.Pool, d.Store, nil, projections.Config{Topology: broker.Default(), Opener: d.PII}, app.ProjectionsWith(holidays)...)
	if err != nil {
		return err
	}
	switch args[0] {
	case "status":
		st, err := r.Status(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(st)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tPOSITION\tLAG EVENTS\tLAG SECONDS")
		for _, s := range st {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\n", s.Name, s.State, s.Position, s.LagEvents, s.LagSeconds)
		}
		return tw.Flush()
	case "rebuild":
		if fs.NArg() != 1 {
			return errors.New("usage: channeldesk projections rebuild NAME (see `channeldesk projections status`)")
		}
		start := time.Now()
		if err := r.Rebuild(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "projection %s rebuilt from the event store in %s and live again\n", fs.Arg(0), time.Since(start).Round(time.Millisecond))
		return nil
	}
	return fmt.Errorf("unknown projections command %q (status, rebuild)", args[0])
}
