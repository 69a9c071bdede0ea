package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	reg := auth.NewRegistry(pgtest.Pool(t, 2), func() time.Time { return now })
	if err := reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := auth.Staff("alice", domain.RoleSupport)
	tok, info, err := reg.Create(ctx, p, time.Hour, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg.Authenticate(ctx, tok)
	if err != nil || got.ID != "staff:alice" || !got.HasRole(domain.RoleSupport) {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	list, err := reg.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != info.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	for _, bad := range []string{"", "cdk_", tok + "x", tok[:len(tok)-1] + otherChar(tok[len(tok)-1]), strings.Replace(tok, info.ID, "aaaaaaaaaaaaaaaa", 1), "Bearer " + tok} {
		if _, err := reg.Authenticate(ctx, bad); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	now = now.Add(2 * time.Hour)
	if _, err := reg.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("expired token accepted: %v", err)
	}
	now = now.Add(-2 * time.Hour)
	if err := reg.Revoke(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token accepted: %v", err)
	}
	if err := reg.Revoke(ctx, "nope"); !errors.Is(err, auth.ErrNoToken) {
		t.Fatalf("revoke unknown: %v", err)
	}
	var stored int
	if err := auth.PgtestCount(ctx, reg, tok, &stored); err != nil || stored != 0 {
		t.Fatalf("the token itself is stored somewhere: %d %v", stored, err)
	}
}

func TestInvalidPrincipalsRefused(t *testing.T) {
	for _, p := range []domain.Principal{
		{Kind: domain.KindStaff, ID: "staff:alice"},
		{Kind: domain.KindStaff, ID: "staff:Alice Smith", Roles: []domain.Role{domain.RoleAdmin}},
		{Kind: domain.KindStaff, ID: "staff:bob", Roles: []domain.Role{"root"}},
		auth.CustomerContact("12345HQ", "c1"),
		auth.CustomerContact("123456HQ", ""),
		auth.PartnerContact("123456hq", "p1"),
		{Kind: "robot"},
	} {
		if err := auth.ValidPrincipal(p); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := auth.ValidPrincipal(auth.PartnerContact("654321HQ", "P-1")); err != nil {
		t.Error(err)
	}
}

// otherChar is a token character other than c: a last character changed
// for sure.
func otherChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
