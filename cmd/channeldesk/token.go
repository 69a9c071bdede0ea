package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: channeldesk token create|list|revoke")
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return tokenList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return tokenRevoke(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown token command %q (create, list, revoke)", args[0])
}

func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("token create", stderr)
	staff := fs.String("staff", "", "staff member's name (with --roles)")
	roles := fs.String("roles", "", "comma-separated staff roles: admin, support, compliance, auditor, integration")
	partner := fs.String("partner", "", "partner organisation ID (with --contact)")
	acct := fs.String("account", "", "customer account ID (with --contact)")
	contact := fs.String("contact", "", "contact ID within the partner or account")
	ttl := fs.String("ttl", "90d", "lifetime, e.g. 90d, 12h")
	label := fs.String("label", "", "a note to recognise the token by in `token list`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	life, err := parseTTL(*ttl)
	if err != nil {
		return err
	}
	var p domain.Principal
	switch {
	case *staff != "" && *partner == "" && *acct == "":
		var rs []domain.Role
		for _, r := range strings.Split(*roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				rs = append(rs, domain.Role(r))
			}
		}
		p = auth.Staff(*staff, rs...)
	case *partner != "" && *staff == "" && *acct == "":
		p = auth.PartnerContact(*partner, *contact)
	case *acct != "" && *staff == "" && *partner == "":
		p = auth.CustomerContact(*acct, *contact)
	default:
		return errors.New("give exactly one of --staff NAME --roles R,..., --partner ID --contact ID, or --account ID --contact ID")
	}
	if err := auth.ValidPrincipal(p); err != nil {
		return fmt.Errorf("invalid principal: %w", err)
	}
	return withDB(ctx, cfg, func(d *app.DB) error {
		if p.Kind == domain.KindCustomer {
			v, err := d.Store.StreamVersion(ctx, account.StreamID(p.AccountID))
			if err != nil {
				return err
			}
			if v == 0 {
				return fmt.Errorf("no account %s: register it first", p.AccountID)
			}
		}
		tok, info, err := d.Tokens.Create(ctx, p, life, *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %s for %s, expires %s (shown once; store it now)\n", info.ID, p.ID, info.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, tok)
		return nil
	})
}

func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--ttl %q: want a positive number of days like 90d, or a duration like 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--ttl %q: want a positive number of days like 90d, or a duration like 12h", s)
	}
	return d, nil
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("token list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var list []auth.Info
	err := withDB(ctx, cfg, func(d *app.DB) (err error) {
		list, err = d.Tokens.List(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRINCIPAL\tROLES\tCREATED\tEXPIRES\tSTATE\tLABEL")
	for _, t := range list {
		state := "active"
		switch {
		case t.RevokedAt != nil:
			state = "revoked"
		case !time.Now().Before(t.ExpiresAt):
			state = "expired"
		}
		var rs []string
		for _, r := range t.Principal.Roles {
			rs = append(rs, string(r))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Principal.ID, strings.Join(rs, ","),
			t.CreatedAt.Format(time.DateOnly), t.ExpiresAt.Format(time.DateOnly), state, t.Label)
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := command("token revoke", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: channeldesk token revoke ID (see `channeldesk token list`)")
	}
	return withDB(ctx, cfg, func(d *app.DB) error {
		if err := d.Tokens.Revoke(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s revoked\n", fs.Arg(0))
		return nil
	})
}
