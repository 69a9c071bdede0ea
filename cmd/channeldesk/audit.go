package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/projections/activity"
)

// exitError makes the process exit with code instead of 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the process's exit status for err: 1 unless err carries
// another.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}

// usageError is a mistake in the command line: exit status 2.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// errChainBroken is audit verify's answer when a chain is broken: exit
// status 1, after the report.
var errChainBroken = errors.New("the activity log's hash chain is broken: see the report above")

const auditUsage = "usage: channeldesk audit verify [--database-url URL] [--json]"

// audit runs `channeldesk audit verify`: it walks the activity log's two
// hash chains (activity.Verify) in one read-only snapshot and prints, per
// chain, OK with its record count and head, or its first broken record.
// Exit status 0 when both are whole, 1 when one is broken (or the check
// could not be made), 2 on a usage error. It changes nothing in the
// database.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, auditUsage)
		if len(args) == 0 {
			return usageError(errors.New("audit: no subcommand given"))
		}
		return usageError(fmt.Errorf("unknown audit command %q (verify)", args[0]))
	}
	fs, cfg := command("audit verify", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, auditUsage)
		return usageError(fmt.Errorf("audit verify takes no arguments, got %q", fs.Args()))
	}
	pool, err := app.OpenPostgres(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	var rep activity.Report
	// One snapshot for both chains, so the refusals' head and chain agree
	// while the service keeps writing.
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) (err error) {
			rep, err = activity.Verify(ctx, tx)
			return err
		})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printChain(stdout, rep.Activity)
		printChain(stdout, rep.Refusals)
	}
	if !rep.OK() {
		return errChainBroken
	}
	return nil
}

func printChain(w io.Writer, c activity.ChainReport) {
	key := "position"
	if c.Chain == activity.ChainRefusals {
		key = "seq"
	}
	switch {
	case c.Missing:
		fmt.Fprintf(w, "%s: no table yet, nothing to verify\n", c.Chain)
	case c.Broken != nil:
		b := c.Broken
		fmt.Fprintf(w, "%s: BROKEN at record %d (id %q, %s %d): %s — %s\n", c.Chain, b.Index, b.ID, key, b.Key,
			strings.Join(b.Kinds, " and "), b.Detail)
		if c.Head != "" {
			fmt.Fprintf(w, "%s: whole before it: %d records, head %s\n", c.Chain, c.Records, c.Head)
		}
	case c.Records == 0:
		fmt.Fprintf(w, "%s: OK, empty\n", c.Chain)
	default:
		fmt.Fprintf(w, "%s: OK, %d records, head %s\n", c.Chain, c.Records, c.Head)
	}
}
