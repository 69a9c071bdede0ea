package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/partner"
)

// Facts the tally counts besides event types.
const (
	factRegion         = "region:"
	factProgram        = "program:"
	factViewRights     = "view_rights:"
	factViaDistributor = "via_distributor"
)

// Report is what a load recorded, and the principals it issued tokens for.
type Report struct {
	Accounts    int
	Seed        uint64
	Concurrency int
	Elapsed     time.Duration
	// Commands accepted, and the events they recorded by type.
	Commands int64
	Events   map[string]int64
	// Facts counted besides the events: accounts per region
	// ("region:EMEA"), agreements per program ("program:easy"), view rights
	// per scope ("view_rights:all"), orders through a distributor
	// ("via_distributor").
	Facts    map[string]int64
	Partners PartnerCounts
	Stories  Stories
	// Principals in the order they are printed: admin, support agent,
	// auditor, partner admin, restricted partner contact, customer admin.
	Principals []Principal
}

// PartnerCounts breaks the partner organisations down.
type PartnerCounts struct {
	Distributors, Advisors, Resellers, DualRole, Expired, Prospects int
}

// Principal is a principal of the data set with its token.
type Principal struct {
	// Role says which kind of principal it is ("partner admin").
	Role      string
	Principal domain.Principal
	// About describes it: the person, the organisation, its access.
	About string
	Token string
}

// EventsTotal is the number of events recorded.
func (r *Report) EventsTotal() int64 {
	var n int64
	for _, c := range r.Events {
		n += c
	}
	return n
}

func (l *loader) report(elapsed time.Duration) *Report {
	r := &Report{Accounts: l.cfg.Accounts, Seed: l.cfg.Seed, Concurrency: l.cfg.Concurrency, Elapsed: elapsed,
		Commands: l.tally.commands.Load(), Events: l.tally.events, Facts: l.tally.facts, Stories: l.story}
	for _, p := range l.partners {
		switch {
		case p.is(partner.KindDistributor):
			r.Partners.Distributors++
		case p.is(partner.KindAdvisor):
			r.Partners.Advisors++
		default:
			r.Partners.Resellers++
		}
		if p.dual() {
			r.Partners.DualRole++
		}
		if p.expire {
			r.Partners.Expired++
		}
		if p.status == domain.PartnerProspect {
			r.Partners.Prospects++
		}
	}
	fp, c := l.featured(), l.showcase[0]
	kinds := strings.Join(fp.kinds, " and ")
	r.Principals = []Principal{
		{Role: "admin", Principal: staffAdmin, About: "staff, role admin"},
		{Role: "support agent", Principal: staffSupport[0], About: "staff, role support"},
		{Role: "auditor", Principal: staffAuditor, About: "staff, role auditor (read-only, activity log)"},
		{Role: "partner admin", Principal: fp.principal(fp.admin),
			About: fmt.Sprintf("%s, org admin, unrestricted, of %s (%s, dual-role)", fp.admin.name, fp.org.name, kinds)},
		{Role: "restricted partner contact", Principal: fp.principal(fp.agent),
			About: fmt.Sprintf("%s, sales agent, restricted, of %s", fp.agent.name, fp.org.name)},
		{Role: "customer admin", Principal: c.customer(),
			About: fmt.Sprintf("%s, org admin, unrestricted, of %s (formerly %s; merged, split and renamed)", c.admin.name, l.story.NewName, c.org.name)},
	}
	return r
}

// issueTokens issues a token for each principal of r.
func (r *Report) issueTokens(ctx context.Context, tokens Tokens, ttl time.Duration) error {
	for i, p := range r.Principals {
		tok, _, err := tokens.Create(ctx, p.Principal, ttl, "demo: "+p.Role)
		if err != nil {
			return fmt.Errorf("token for the %s %s: %w", p.Role, p.Principal.ID, err)
		}
		r.Principals[i].Token = tok
	}
	return nil
}

// Print writes the summary of the load and the tokens.
func (r *Report) Print(w io.Writer) error {
	var b bytes.Buffer
	ev := func(t string) int64 { return r.Events[t] }
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(&b, "channeldesk demo: %d customer accounts in %s (%.0f accounts/s), %d commands (%.0f commands/s), %d events; seed %d, %d workers\n\n",
		r.Accounts, r.Elapsed.Round(time.Millisecond), float64(r.Accounts)/secs, r.Commands, float64(r.Commands)/secs, r.EventsTotal(), r.Seed, r.Concurrency)
	row := func(what, format string, args ...any) {
		fmt.Fprintf(&b, "  %-20s %s\n", what, fmt.Sprintf(format, args...))
	}
	p := r.Partners
	row("partners", "%d: %d distributors, %d solution advisors, %d resellers (%d dual-role); expired %d, prospect %d",
		ev("partner.registered"), p.Distributors, p.Advisors, p.Resellers, p.DualRole, p.Expired, p.Prospects)
	row("partner contacts", "%d", ev("partner.contact_added"))
	row("customer accounts", "%d: AMER %d, EMEA %d, APAC %d; %d merged", ev("account.registered"),
		r.Facts[factRegion+string(geo.AMER)], r.Facts[factRegion+string(geo.EMEA)], r.Facts[factRegion+string(geo.APAC)], ev("account.merged"))
	row("customer contacts", "%d", ev("account.contact_added"))
	row("license agreements", "%d: enterprise %d, easy %d; manage rights %d", ev("contract.registered"),
		r.Facts[factProgram+contract.ProgramEnterprise], r.Facts[factProgram+contract.ProgramEasy], ev("contract.manage_rights_granted"))
	submitted, fulfilled, cancelled := ev("order.submitted"), ev("order.fulfilled"), ev("order.cancelled")
	row("orders", "%d: %d fulfilled, %d cancelled, %d pending; %d through a distributor",
		submitted, fulfilled, cancelled, submitted-fulfilled-cancelled, r.Facts[factViaDistributor])
	row("licenses", "%d issued, %d allocated to a license server, %d rescinded", ev("license.issued"), ev("license.allocated"), ev("license.rescinded"))
	row("invoices", "%d", ev("invoice.issued"))
	row("view rights", "%d: all %d, assigned %d", ev("account.view_rights_granted"),
		r.Facts[factViewRights+account.ScopeAll], r.Facts[factViewRights+account.ScopeAssigned])
	row("renewal partners", "%d", ev("account.renewal_partner_designated"))
	row("solution advisors", "%d", ev("account.solution_advisor_assigned"))
	row("support cases", "%d opened, %d approved", ev("supportcase.opened"), ev("supportcase.approved"))
	s := r.Stories
	fmt.Fprintln(&b)
	row("merge", "%s into %s (acquisition), approved on %s", s.MergeSource, s.MergeTarget, s.MergeCase)
	row("split", "%s (%d users) into %s, approved on %s", s.SplitLicense, bigLicenseUsers, strings.Join(s.SplitParts, " and "), s.SplitCase)
	row("rename", "%s: %q is now %q", s.RenamedAccount, s.OldName, s.NewName)
	fmt.Fprintln(&b, "\nThe events are in the event store: `channeldesk serve` projects them into the read models.")
	fmt.Fprintln(&b, "\nTokens (shown once; only their hashes are stored):")
	for _, p := range r.Principals {
		fmt.Fprintf(&b, "  %-27s %s — %s\n  %-27s %s\n", p.Role, p.Principal.ID, p.About, "", p.Token)
	}
	_, err := w.Write(b.Bytes())
	return err
}
