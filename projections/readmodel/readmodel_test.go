package readmodel_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

type key struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

func TestCursorsRoundTripAndRefuseAnythingElse(t *testing.T) {
	in := key{Name: "acme", ID: "100001HQ"}
	var out key
	if err := readmodel.DecodeCursor(readmodel.EncodeCursor(in), &out); err != nil || out != in {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, c := range map[string]string{
		"not base64":     "%%%",
		"padded base64":  base64.URLEncoding.EncodeToString([]byte(`{"n":"a","i":"b"}`)),
		"not JSON":       b64("acme"),
		"unknown field":  b64(`{"n":"a","i":"b","x":1}`),
		"trailing data":  b64(`{"n":"a","i":"b"} {}`),
		"wrong type":     b64(`{"n":1,"i":"b"}`),
		"far too long":   strings.Repeat("A", 4096),
		"a JSON array":   b64(`["a","b"]`),
		"a JSON null...": b64(`null x`),
	} {
		var k key
		if err := readmodel.DecodeCursor(c, &k); !errors.Is(err, readmodel.ErrBadCursor) {
			t.Errorf("%s: %v, %+v", name, err, k)
		}
	}
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{0: 50, 1: 1, 500: 500} {
		if got, err := readmodel.PageSize(limit); err != nil || got != want {
			t.Errorf("PageSize(%d) = %d, %v", limit, got, err)
		}
	}
	for _, limit := range []int{-1, 501, 1 << 30} {
		if _, err := readmodel.PageSize(limit); !errors.Is(err, readmodel.ErrBadLimit) {
			t.Errorf("PageSize(%d): %v", limit, err)
		}
	}
}

func TestScopeOf(t *testing.T) {
	for _, c := range []struct {
		p    domain.Principal
		want readmodel.Scope
	}{
		{domain.Principal{ID: "staff:a", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleAuditor}}, readmodel.SeeAll},
		{domain.Principal{ID: "staff:b", Kind: domain.KindStaff}, readmodel.SeeNothing},
		{domain.Principal{Kind: domain.KindCustomer, AccountID: "100001HQ", ContactID: "C-000001"}, readmodel.SeeOwn},
		{domain.Principal{Kind: domain.KindCustomer}, readmodel.SeeNothing},
		{domain.Principal{Kind: domain.KindPartner, PartnerID: "100002HQ", ContactID: "C-000002"}, readmodel.SeeRelated},
		{domain.Principal{Kind: domain.KindPartner}, readmodel.SeeNothing},
		{domain.Principal{}, readmodel.SeeNothing},
	} {
		if got := readmodel.ScopeOf(c.p); got != c.want {
			t.Errorf("%+v: %v, want %v", c.p, got, c.want)
		}
	}
}
