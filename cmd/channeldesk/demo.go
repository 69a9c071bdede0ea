package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/channeldesk/channeldesk/internal/app"
	commands "github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/screening"
)

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("demo", stderr)
	accounts := fs.Int("accounts", demo.DefaultAccounts, fmt.Sprintf("customer accounts to load (at least %d); partners, contacts, agreements and orders scale with them", demo.MinAccounts))
	seed := fs.Uint64("seed", demo.DefaultSeed, "seed of the generated data: the same seed gives the same data set")
	workers := fs.Int("concurrency", demo.DefaultConcurrency, "commands in flight at once")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	parties := fs.String("restricted-parties", env("RESTRICTED_PARTIES", ""), "the restricted-party list the names are screened against, as serve does (default: the embedded sample)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: channeldesk demo [flags]\n\nLoads a realistic data set through the command service (no server needed) and prints a token for\neach kind of principal, once. A database takes one demo load: a second run refuses.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	dc := demo.Config{Accounts: *accounts, Seed: *seed, Concurrency: *workers}
	if err := dc.Validate(); err != nil {
		return fmt.Errorf("demo: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if !*quiet {
		dc.Progress = stderr
	}
	list, err := screening.Load(*parties)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The pool serves the workers and the sequences they draw from.
	cfg.MaxConns = int32(max(32, *workers+4))
	return withDB(ctx, cfg, func(d *app.DB) error {
		rep, err := demo.Load(ctx, commands.New(d.Store, d.IDs, commands.Config{Screener: list}), d.Store, d.Tokens, dc)
		if errors.Is(err, demo.ErrAlreadyLoaded) {
			return fmt.Errorf("%w: nothing was added. Load into a fresh database (--database-url or DATABASE_URL), or issue more tokens with `channeldesk token create`", err)
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		return rep.Print(stdout)
	})
}
