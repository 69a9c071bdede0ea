package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/domain/license"
)

// TestUpcasters: every version of a type but the newest has exactly one
// upcaster, the newest none; versions have no gaps; and each version's
// golden file, upcast one step, is a valid payload of the next version (no
// member the next version does not know, every value of the right type).
func TestUpcasters(t *testing.T) {
	c := catalog.New()
	versions := map[string][]int{}
	for _, e := range catalog.Entries() {
		versions[e.Type] = append(versions[e.Type], e.Version)
	}
	ups := map[string]catalog.Upcaster{}
	for _, u := range catalog.Upcasters() {
		name := goldenName(u.Type, u.From)
		if _, dup := ups[name]; dup {
			t.Errorf("%s: two upcasters", name)
		}
		ups[name] = u
		if _, ok := c.Lookup(u.Type, u.From); !ok {
			t.Errorf("%s: upcaster for a version not in the catalog", name)
		}
	}
	for typ, vs := range versions {
		cur, _ := c.Current(typ)
		for i, v := range vs {
			if v != i+1 {
				t.Errorf("%s: versions %v, want 1..%d in order", typ, vs, len(vs))
				break
			}
		}
		for v := 1; v <= cur; v++ {
			name := goldenName(typ, v)
			u, ok := ups[name]
			switch {
			case v == cur && ok:
				t.Errorf("%s: upcaster from the current version", name)
			case v < cur && !ok:
				t.Errorf("%s: no upcaster to v%d (add one to catalog.Upcasters)", name, v+1)
			}
			if v == cur {
				continue
			}
			golden, err := os.ReadFile(goldenPath(name))
			if err != nil {
				t.Fatal(err)
			}
			up, err := u.Up(golden)
			if err != nil {
				t.Errorf("%s: upcast golden: %v", name, err)
				continue
			}
			next, _ := c.Lookup(typ, v+1)
			d := json.NewDecoder(bytes.NewReader(up))
			d.DisallowUnknownFields()
			dst := reflect.New(reflect.TypeOf(next.Zero))
			if err := d.Decode(dst.Interface()); err != nil {
				t.Errorf("%s: upcast golden is not a v%d payload: %v\n%s", name, v+1, err, up)
			}
		}
	}
}

// TestDecodeUpcastsAddressChangedV1: a version 1 payload, as written before
// version 2 existed, is read by Decode as the version 2 event with every
// value in its new place, and Upcast reports version 2.
func TestDecodeUpcastsAddressChangedV1(t *testing.T) {
	c := catalog.New()
	v1, err := os.ReadFile(goldenPath("account.address_changed.v1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode("account.address_changed", 1, v1)
	if err != nil {
		t.Fatal(err)
	}
	want := account.AddressChanged{AccountID: "123456HQ",
		From: account.Location{Address: account.Address{Country: "DE", State: "Bayern", City: "München"}, Region: "EMEA"},
		To:   account.Location{Address: account.Address{Country: "AT", State: "Wien", City: "Wien"}, Region: "EMEA"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode v1 = %#v\nwant %#v", got, want)
	}
	v, data, err := c.Upcast("account.address_changed", 1, v1)
	if err != nil || v != 2 {
		t.Fatalf("Upcast = v%d, %v; want v2", v, err)
	}
	v2, err := os.ReadFile(goldenPath("account.address_changed.v2"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if json.Unmarshal(data, &a) != nil || json.Unmarshal(v2, &b) != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("Upcast(v1 golden) = %s\nwant the v2 golden %s", data, v2)
	}
	// The current version passes through unchanged.
	if v, same, err := c.Upcast("account.address_changed", 2, v2); err != nil || v != 2 || !bytes.Equal(same, v2) {
		t.Errorf("Upcast(v2) = v%d, %v: changed", v, err)
	}
}

// TestUpcastAddressChangedV1Cases: members as encoding/json matched them
// for version 1 (any case; absent stays zero; unknown ignored), and
// payloads that are not objects fail, never decode to a zero event.
func TestUpcastAddressChangedV1Cases(t *testing.T) {
	c := catalog.New()
	cases := []struct {
		name, v1 string
		want     account.AddressChanged
		wantErr  bool
	}{
		{name: "only the new side", v1: `{"account_id":"1HQ","address":{"country":"FR"},"region":"EMEA"}`,
			want: account.AddressChanged{AccountID: "1HQ", To: account.Location{Address: account.Address{Country: "FR"}, Region: "EMEA"}}},
		{name: "names in another case", v1: `{"Account_ID":"1HQ","ADDRESS":{"country":"FR"},"Old_Region":"APAC"}`,
			want: account.AddressChanged{AccountID: "1HQ", From: account.Location{Region: "APAC"}, To: account.Location{Address: account.Address{Country: "FR"}}}},
		{name: "unknown member ignored", v1: `{"account_id":"1HQ","later":1}`, want: account.AddressChanged{AccountID: "1HQ"}},
		{name: "null", v1: `null`, wantErr: true},
		{name: "array", v1: `[]`, wantErr: true},
		{name: "not json", v1: `{`, wantErr: true},
		{name: "retyped value", v1: `{"account_id":"1HQ","region":7}`, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Decode("account.address_changed", 1, []byte(tc.v1))
			if tc.wantErr {
				if err == nil || errors.Is(err, catalog.ErrUnknownEvent) {
					t.Fatalf("Decode = %#v, %v; want a decode error", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode = %#v, %v\nwant %#v", got, err, tc.want)
			}
		})
	}
}

// TestUpcastUnknown: a version newer than the code, or a type it does not
// know, is ErrUnknownEvent, not a guess.
func TestUpcastUnknown(t *testing.T) {
	c := catalog.New()
	for _, tc := range []struct {
		typ string
		v   int
	}{{"account.address_changed", 3}, {"account.address_changed", 0}, {"account.nothing", 1}} {
		if _, _, err := c.Upcast(tc.typ, tc.v, []byte(`{}`)); !errors.Is(err, catalog.ErrUnknownEvent) {
			t.Errorf("Upcast(%s v%d) = %v, want ErrUnknownEvent", tc.typ, tc.v, err)
		}
	}
}

// TestDecodeUpcastsTransferredV1: a transfer recorded before transfers
// named their case is read as version 2 without one; a member
// approval_case that version 1 ignored stays ignored.
func TestDecodeUpcastsTransferredV1(t *testing.T) {
	c := catalog.New()
	v1, err := os.ReadFile(goldenPath("license.transferred.v1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range [][]byte{v1, []byte(`{"from_account_id":"123456HQ","to_account_id":"654321AB","Approval_Case":"CASE-000001"}`)} {
		got, err := c.Decode("license.transferred", 1, payload)
		if err != nil {
			t.Fatal(err)
		}
		if want := (license.Transferred{FromAccountID: "123456HQ", ToAccountID: "654321AB"}); got != want {
			t.Errorf("Decode v1 %s = %#v, want %#v", payload, got, want)
		}
	}
	if _, err := c.Decode("license.transferred", 1, []byte(`null`)); err == nil {
		t.Error("a null version 1 payload was upcast")
	}
}
