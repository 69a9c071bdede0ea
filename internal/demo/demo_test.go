package demo_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

type env struct {
	store  *eventstore.Store
	tokens *auth.Registry
	cmds   *command.Service
}

func setup(t *testing.T) env { return setupClock(t, nil) }

// setupClock sets up a fresh database and a command service with the clock
// now (time.Now if nil).
func setupClock(t *testing.T, now func() time.Time) env {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t, 12)
	e := env{store: eventstore.New(pool), tokens: auth.NewRegistry(pool, nil)}
	ids := numbering.New(pool)
	for _, m := range []func(context.Context) error{e.store.Migrate, e.tokens.Migrate, ids.Migrate} {
		if err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.cmds = command.New(e.store, ids, command.Config{Now: now})
	return e
}

// all reads every event of the store in commit order. The load is over,
// so the whole range is complete: no need to wait for the horizon, which
// transactions of other databases on the server hold back.
func all(t *testing.T, s *eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for {
		var after eventstore.Position
		if len(out) > 0 {
			after = out[len(out)-1].Position
		}
		batch, err := s.ReadRange(context.Background(), after, math.MaxInt64, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
	}
}

// fold loads a stream and folds it with evolve.
func fold[S any](t *testing.T, s *eventstore.Store, stream string, evolve func(S, domain.Event) S) S {
	t.Helper()
	evs, err := s.Load(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	var st S
	for _, e := range evs {
		de, err := cat.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			t.Fatalf("decode %s: %v", e.Type, err)
		}
		st = evolve(st, de)
	}
	return st
}

func data[T any](t *testing.T, e eventstore.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("decode %s: %v", e.Type, err)
	}
	return v
}

// TestLoadRecordsTheDataSetThroughTheCommands loads a small data set on a
// fresh database and checks, from the store: the events the report counts,
// the shape of the data (every kind of partner, both kinds of view rights,
// fulfilments with licenses and invoices), believable actors, the three
// stories, the tokens, and that a second load is refused without recording
// anything.
func TestLoadRecordsTheDataSetThroughTheCommands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	const accounts = 24
	rep, err := demo.Load(ctx, e.cmds, e.store, e.tokens, demo.Config{Accounts: accounts, Seed: 7, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	evs := all(t, e.store)

	t.Run("the report counts what the store holds", func(t *testing.T) {
		got := map[string]int64{}
		for _, ev := range evs {
			got[ev.Type]++
		}
		for typ, n := range got {
			if rep.Events[typ] != n {
				t.Errorf("%s: store %d, report %d", typ, n, rep.Events[typ])
			}
		}
		if int64(len(evs)) != rep.EventsTotal() {
			t.Errorf("store holds %d events, report says %d", len(evs), rep.EventsTotal())
		}
	})

	count := func(typ string) int {
		n := 0
		for _, ev := range evs {
			if ev.Type == typ {
				n++
			}
		}
		return n
	}
	t.Run("shape", func(t *testing.T) {
		if n := count("account.registered"); n != accounts {
			t.Errorf("%d accounts registered, want %d", n, accounts)
		}
		p := rep.Partners
		if n := count("partner.registered"); n != p.Distributors+p.Advisors+p.Resellers || p.Distributors < 3 || p.Advisors < 1 || p.Resellers < 8 {
			t.Errorf("%d partners registered, report %+v", n, p)
		}
		var dual, prospects, expired, viaDistributor int
		scopes := map[string]int{}
		licenses := 0
		for _, ev := range evs {
			switch ev.Type {
			case "partner.registered":
				pr := data[partner.PartnerRegistered](t, ev)
				if slices.Contains(pr.Kinds, partner.KindResellerDirect) && slices.Contains(pr.Kinds, partner.KindResellerIndirect) {
					dual++
				}
				if pr.Status == domain.PartnerProspect {
					prospects++
				}
			case "partner.status_changed":
				if data[partner.PartnerStatusChanged](t, ev).Status == domain.PartnerExpired {
					expired++
				}
			case "order.submitted":
				if data[order.Submitted](t, ev).DistributorID != "" {
					viaDistributor++
				}
			case "order.fulfilled":
				licenses += len(data[order.Fulfilled](t, ev).LicenseIDs)
			case "account.view_rights_granted":
				scopes[data[account.ViewRightsGranted](t, ev).Scope]++
			}
		}
		if dual == 0 || prospects == 0 || expired == 0 || viaDistributor == 0 {
			t.Errorf("dual-role %d, prospects %d, expired %d, orders through a distributor %d: want some of each", dual, prospects, expired, viaDistributor)
		}
		if dual != p.DualRole || prospects != p.Prospects || expired != p.Expired {
			t.Errorf("store: dual %d, prospects %d, expired %d; report %+v", dual, prospects, expired, p)
		}
		if scopes[account.ScopeAll] == 0 || scopes[account.ScopeAssigned] == 0 {
			t.Errorf("view rights by scope %v: want both kinds", scopes)
		}
		if f, inv := count("order.fulfilled"), count("invoice.issued"); f == 0 || f != inv {
			t.Errorf("%d orders fulfilled, %d invoices issued", f, inv)
		}
		if got := count("license.issued"); got != licenses+2 {
			t.Errorf("%d licenses issued, want %d by fulfilments and 2 by the split", got, licenses)
		}
		if count("account.contact_added") < accounts || count("contract.registered") == 0 {
			t.Errorf("%d customer contacts, %d agreements", count("account.contact_added"), count("contract.registered"))
		}
	})

	t.Run("actors are believable", func(t *testing.T) {
		for _, ev := range evs {
			var want string
			switch ev.Type {
			case "account.registered", "partner.registered", "order.fulfilled", "supportcase.approved", "account.merged":
				want = "staff:"
			case "order.submitted":
				want = "partner:"
			case "account.renamed", "supportcase.opened":
				want = "customer:"
			default:
				continue
			}
			if !strings.HasPrefix(ev.Actor, want) {
				t.Errorf("%s by %q, want a %s principal", ev.Type, ev.Actor, want)
			}
			if ev.CorrelationID == "" || ev.ClientIP == "" {
				t.Errorf("%s without correlation ID or client IP: %+v", ev.Type, ev.Metadata)
			}
		}
		for _, ev := range evs {
			if ev.Type == "account.merged" && !strings.HasPrefix(ev.OnBehalfOf, "customer:") {
				t.Errorf("the merge was not recorded on behalf of the customer: %+v", ev.Metadata)
			}
		}
	})

	s := rep.Stories
	t.Run("merge", func(t *testing.T) {
		src := fold(t, e.store, account.StreamID(s.MergeSource), account.Evolve)
		dst := fold(t, e.store, account.StreamID(s.MergeTarget), account.Evolve)
		if src.Status != account.StatusMerged || src.MergedInto != s.MergeTarget || !slices.Contains(dst.MergedFrom, s.MergeSource) {
			t.Fatalf("source %s %s into %q; target merged from %v", src.ID, src.Status, src.MergedInto, dst.MergedFrom)
		}
		if len(src.Licenses) != 0 {
			t.Errorf("the merged account still holds licenses %v", src.Licenses)
		}
		c := fold(t, e.store, supportcase.StreamID(s.MergeCase), supportcase.Evolve)
		if c.Subject != supportcase.SubjectMerge || c.Status != supportcase.StatusApproved {
			t.Errorf("merge case %s: %s, %s", s.MergeCase, c.Subject, c.Status)
		}
	})
	t.Run("split", func(t *testing.T) {
		orig := fold(t, e.store, license.StreamID(s.SplitLicense), license.Evolve)
		if orig.Status != license.StatusRescinded || !slices.Equal(orig.ReplacedBy, s.SplitParts) || orig.Quantity <= license.SplitApprovalThreshold {
			t.Fatalf("split license %s: %s, %d users, replaced by %v; report %v", orig.ID, orig.Status, orig.Quantity, orig.ReplacedBy, s.SplitParts)
		}
		sum := 0
		for _, id := range s.SplitParts {
			part := fold(t, e.store, license.StreamID(id), license.Evolve)
			sum += part.Quantity
			if part.ParentLicense != orig.ID || part.Owner != s.MergeTarget {
				t.Errorf("part %s: parent %s, owner %s", id, part.ParentLicense, part.Owner)
			}
		}
		if sum != orig.Quantity {
			t.Errorf("parts sum to %d, the license had %d", sum, orig.Quantity)
		}
		c := fold(t, e.store, supportcase.StreamID(s.SplitCase), supportcase.Evolve)
		// The split completed its approved case.
		if c.Subject != supportcase.SubjectSplit || c.Status != supportcase.StatusCompleted || c.AccountID != orig.Owner {
			t.Errorf("split case %s: %s, %s, account %s", s.SplitCase, c.Subject, c.Status, c.AccountID)
		}
	})
	t.Run("rename", func(t *testing.T) {
		a := fold(t, e.store, account.StreamID(s.RenamedAccount), account.Evolve)
		if a.Name != s.NewName || !slices.Contains(a.FormerNames, s.OldName) || s.OldName == s.NewName {
			t.Errorf("account %s is %q, formerly %v; report %q → %q", a.ID, a.Name, a.FormerNames, s.OldName, s.NewName)
		}
	})

	t.Run("tokens authenticate as their principals", func(t *testing.T) {
		roles := []string{"admin", "support agent", "auditor", "partner admin", "restricted partner contact", "customer admin"}
		if len(rep.Principals) != len(roles) {
			t.Fatalf("%d principals, want %d", len(rep.Principals), len(roles))
		}
		for i, p := range rep.Principals {
			got, err := e.tokens.Authenticate(ctx, p.Token)
			if err != nil {
				t.Fatalf("%s: %v", p.Role, err)
			}
			if p.Role != roles[i] || got.ID != p.Principal.ID || got.Kind != p.Principal.Kind {
				t.Errorf("token %d (%s) authenticates as %+v, want %+v", i, p.Role, got, p.Principal)
			}
		}
		staff := func(i int, r domain.Role) {
			if p := rep.Principals[i].Principal; !p.HasRole(r) {
				t.Errorf("%s %s lacks role %s", rep.Principals[i].Role, p.ID, r)
			}
		}
		staff(0, domain.RoleAdmin)
		staff(1, domain.RoleSupport)
		staff(2, domain.RoleAuditor)
		pa, pr := rep.Principals[3].Principal, rep.Principals[4].Principal
		ps := fold(t, e.store, partner.StreamID(pa.PartnerID), partner.Evolve)
		if a := ps.Actor(pa); a.PartnerMayAct() != nil || !a.HasContactRole(domain.ContactOrgAdmin) || !ps.DualRole() {
			t.Errorf("partner admin %s: %+v, dual-role %v", pa.ID, a, ps.DualRole())
		}
		if a := ps.Actor(pr); pr.PartnerID != pa.PartnerID || !a.ContactKnown || a.ContactAccess != domain.AccessRestricted {
			t.Errorf("restricted partner contact %s: %+v", pr.ID, a)
		}
		ca := rep.Principals[5].Principal
		as := fold(t, e.store, account.StreamID(ca.AccountID), account.Evolve)
		if a := as.Actor(ca); a.CustomerMayChange(as.ID) != nil || !a.HasContactRole(domain.ContactOrgAdmin) || as.ID != s.RenamedAccount {
			t.Errorf("customer admin %s: %+v on %s", ca.ID, a, as.ID)
		}
	})

	t.Run("a second load is refused and records nothing", func(t *testing.T) {
		before, err := e.tokens.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = demo.Load(ctx, e.cmds, e.store, e.tokens, demo.Config{Accounts: accounts, Seed: 8, Concurrency: 4})
		if !errors.Is(err, demo.ErrAlreadyLoaded) {
			t.Fatalf("second load: %v, want ErrAlreadyLoaded", err)
		}
		if n := len(all(t, e.store)); n != len(evs) {
			t.Errorf("the store grew from %d to %d events", len(evs), n)
		}
		after, err := e.tokens.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("tokens: %d before, %d after", len(before), len(after))
		}
	})
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  demo.Config
		want []string
	}{
		{"too few accounts", demo.Config{Accounts: demo.MinAccounts - 1, Concurrency: 1}, []string{"accounts"}},
		{"no workers", demo.Config{Accounts: 100, Concurrency: 0}, []string{"concurrency"}},
		{"both at once", demo.Config{Accounts: 1, Concurrency: -1}, []string{"accounts", "concurrency"}},
		{"fine", demo.Config{Accounts: demo.MinAccounts, Concurrency: 1}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if (err == nil) != (len(c.want) == 0) {
				t.Fatalf("Validate() = %v, want problems with %v", err, c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to name %s", err, w)
				}
			}
		})
	}
}

// TestLoadStopsWithTheContext checks that a cancelled load ends with the
// context's error rather than running on.
func TestLoadStopsWithTheContext(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := demo.Load(ctx, e.cmds, e.store, e.tokens, demo.Config{Accounts: 20_000, Concurrency: 2})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load = %v, want the context's deadline", err)
	}
}

// TestSameSeedSameData loads the same seed on two fresh databases with one
// worker and the same clock: the events are the same, down to the IDs the
// sequences drew.
func TestSameSeedSameData(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	load := func(t *testing.T, seed uint64) []string {
		e := setupClock(t, clock)
		if _, err := demo.Load(context.Background(), e.cmds, e.store, e.tokens, demo.Config{Accounts: demo.MinAccounts, Seed: seed, Concurrency: 1, Now: clock}); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range all(t, e.store) {
			out = append(out, ev.StreamID+" "+ev.Type+" "+string(ev.Data)+" by "+ev.Actor+" for "+ev.OnBehalfOf)
		}
		slices.Sort(out)
		return out
	}
	var a, b []string
	t.Run("loads", func(t *testing.T) {
		t.Run("a", func(t *testing.T) { t.Parallel(); a = load(t, 11) })
		t.Run("b", func(t *testing.T) { t.Parallel(); b = load(t, 11) })
	})
	if len(a) == 0 || !slices.Equal(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("the same seed gave different events (%d and %d), first difference:\n%s\n%s", len(a), len(b), a[i], b[i])
			}
		}
		t.Fatalf("the same seed gave %d and %d events", len(a), len(b))
	}
}
