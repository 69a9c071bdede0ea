package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

var (
	tokenLine     = regexp.MustCompile(`^\s+(cdk_\S+)$`)
	principalLine = regexp.MustCompile(`^  (\S.*?)\s{2,}((?:staff|partner|customer):\S+) — `)
)

// TestDemoPrintsTokensOnceAndRefusesASecondLoad runs `channeldesk demo` on
// a fresh database: stdout has the summary and six tokens, each labelled
// with the principal it authenticates as; a second run fails clearly and
// prints no token.
func TestDemoPrintsTokensOnceAndRefusesASecondLoad(t *testing.T) {
	url := pgtest.URL(t)
	var out, errOut strings.Builder
	if err := run([]string{"demo", "--accounts", "12", "--seed", "3", "--concurrency", "4", "--database-url", url}, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	text := out.String()
	for _, want := range []string{"customer accounts    12:", "merge ", "split ", "rename ", "channeldesk serve"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}

	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	reg := auth.NewRegistry(pool, nil)
	lines := strings.Split(text, "\n")
	got := map[string]domain.Principal{}
	for i, l := range lines {
		m := tokenLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		label := principalLine.FindStringSubmatch(lines[i-1])
		if label == nil {
			t.Fatalf("token without its principal above it: %q", lines[i-1])
		}
		p, err := reg.Authenticate(context.Background(), m[1])
		if err != nil {
			t.Fatalf("the %s token does not authenticate: %v", label[1], err)
		}
		if p.ID != label[2] {
			t.Errorf("the %s token authenticates as %s, printed as %s", label[1], p.ID, label[2])
		}
		if _, dup := got[label[1]]; dup {
			t.Errorf("%s printed twice", label[1])
		}
		got[label[1]] = p
	}
	want := map[string]func(domain.Principal) bool{
		"admin":                      func(p domain.Principal) bool { return p.HasRole(domain.RoleAdmin) },
		"support agent":              func(p domain.Principal) bool { return p.HasRole(domain.RoleSupport) },
		"auditor":                    func(p domain.Principal) bool { return p.HasRole(domain.RoleAuditor) },
		"partner admin":              func(p domain.Principal) bool { return p.Kind == domain.KindPartner },
		"restricted partner contact": func(p domain.Principal) bool { return p.Kind == domain.KindPartner },
		"customer admin":             func(p domain.Principal) bool { return p.Kind == domain.KindCustomer },
	}
	if len(got) != len(want) {
		t.Errorf("%d tokens printed (%v), want %d", len(got), got, len(want))
	}
	for role, ok := range want {
		if p, printed := got[role]; !printed || !ok(p) {
			t.Errorf("%s: %+v", role, p)
		}
	}
	if got["partner admin"].PartnerID != got["restricted partner contact"].PartnerID || got["partner admin"].ID == got["restricted partner contact"].ID {
		t.Errorf("the partner principals are not two contacts of one partner: %+v, %+v", got["partner admin"], got["restricted partner contact"])
	}

	out.Reset()
	err = run([]string{"demo", "--accounts", "12", "--database-url", url}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "already loaded") || !strings.Contains(err.Error(), "fresh database") {
		t.Fatalf("second demo: %v, want a clear refusal", err)
	}
	if out.Len() != 0 {
		t.Errorf("the refused run printed %q", out.String())
	}
}

func TestDemoRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--accounts", "2"},
		{"demo", "--concurrency", "0"},
		{"demo", "extra"},
	} {
		var out, errOut strings.Builder
		if err := run(args, &out, &errOut); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one clear line", args, err)
		}
	}
}
