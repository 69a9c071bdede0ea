package customers

import (
	"encoding/json"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
)

const (
	registeredType = "account.registered"
	renamedType    = "account.renamed"
)

// viaCatalog is what the projection decoded before the scanner: the
// catalog's encoding/json decoding, evidence dropped.
func viaCatalog(t testing.TB, typ string, data []byte) (domain.Event, error) {
	t.Helper()
	ev, err := catalog.New().Decode(typ, 1, data)
	if r, ok := ev.(account.CompanyRenamed); ok {
		r.Evidence = account.RenameEvidence{}
		ev = r
	}
	return ev, err
}

// TestDecodeFastMatchesEncodingJSON: where the scanner decodes a payload,
// its values are those of encoding/json; where it gives up, the projection
// falls back to the catalog and gets them all the same.
func TestDecodeFastMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		typ  string
		data string
		fast bool // the scanner must take it
	}{
		{"registration as jsonb writes it", registeredType,
			`{"name": "Northwind GmbH", "region": "AMER", "address": {"city": "San Jose", "state": "CA", "country": "US"}, "account_id": "100000HQ", "vat_number": "DE1", "primary_domain": "northwind.example"}`, true},
		{"registration as json.Marshal writes it", registeredType,
			`{"account_id":"1HQ","name":"Ünïcödé Ltd","primary_domain":"u.example","address":{"country":"DE"},"region":"EMEA"}`, true},
		{"empty address and extra members", registeredType,
			`{"account_id": "1HQ", "address": {}, "extra": [1, {"a": "}"}, null, true, -1.5e3], "name": "X"}`, true},
		{"rename with evidence holding quotes and braces", renamedType,
			`{"evidence": {"document": {"kind": "press_release", "new_name": "B \"}\\", "old_name": "A"}}, "new_name": "B", "old_name": "A", "account_id": "2HQ"}`, true},
		{"empty object", renamedType, `{}`, true},
		{"escaped name", registeredType, `{"account_id": "1HQ", "name": "A \"quoted\" \u00e9 name"}`, false},
		{"key in other case", registeredType, `{"account_id": "1HQ", "Name": "Upper"}`, false},
		{"key in other case after the exact one", renamedType, `{"new_name": "B", "NEW_NAME": "C"}`, false},
		{"kelvin sign folds to k", registeredType, `{"account_id": "1HQ", "\u212a": "x", "name": "N"}`, false},
		{"null name", registeredType, `{"account_id": "1HQ", "name": null}`, false},
		{"number for a string", renamedType, `{"account_id": 12}`, false},
		{"address not an object", registeredType, `{"account_id": "1HQ", "address": "Berlin"}`, false},
		{"escaped key", renamedType, `{"new\u005fname": "B"}`, false},
		{"not an object", renamedType, `["account_id"]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !json.Valid([]byte(c.data)) {
				t.Fatalf("test payload is not JSON: %s", c.data)
			}
			want, wantErr := viaCatalog(t, c.typ, []byte(c.data))
			got, ok := decodeFast(c.typ, 1, []byte(c.data))
			if ok != c.fast {
				t.Fatalf("scanner took it: %v, want %v", ok, c.fast)
			}
			if ok && (wantErr != nil || got != want) {
				t.Fatalf("scanner: %+v\nencoding/json: %+v (%v)", got, want, wantErr)
			}
			p := New()
			ev, err := p.decode(&eventstore.Event{Type: c.typ, SchemaVersion: 1, Data: []byte(c.data)})
			if (err != nil) != (wantErr != nil) || err == nil && ev != want {
				t.Fatalf("decode: %+v (%v)\nencoding/json: %+v (%v)", ev, err, want, wantErr)
			}
		})
	}
	if _, ok := decodeFast(registeredType, 2, []byte(`{}`)); ok {
		t.Fatal("scanner took a schema version it does not know")
	}
	if _, err := New().decode(&eventstore.Event{Type: registeredType, SchemaVersion: 2, Data: []byte(`{}`)}); err == nil {
		t.Fatal("unknown schema version decoded")
	}
}

// FuzzDecodeFast: on any valid JSON, the scanner either gives up or gives
// what encoding/json gives; on anything, it does not panic.
func FuzzDecodeFast(f *testing.F) {
	f.Add(true, []byte(`{"name": "N", "address": {"city": "C"}, "account_id": "1HQ", "primary_domain": "d.example"}`))
	f.Add(false, []byte(`{"evidence": {"document": {"kind": "k"}}, "new_name": "B", "old_name": "A", "account_id": "2HQ"}`))
	f.Add(false, []byte(`{"new_name": "B\"", "x": [{"]": "["}]}`))
	f.Fuzz(func(t *testing.T, registration bool, data []byte) {
		typ := renamedType
		if registration {
			typ = registeredType
		}
		got, ok := decodeFast(typ, 1, data)
		if !ok || !json.Valid(data) {
			return
		}
		want, err := viaCatalog(t, typ, data)
		if err != nil || got != want {
			t.Fatalf("%s\nscanner: %+v\nencoding/json: %+v (%v)", data, got, want, err)
		}
	})
}

// BenchmarkDecode compares the scanner with encoding/json on a rename as
// the store returns it.
func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"evidence": {"document": {"kind": "press_release", "new_name": "Aurora Marine S.p.A.", "old_name": "Silverline Logistics AB", "reference": "https://press.silverline-logistics-ab-598999hq.example/2025/rename-1"}, "email_confirmation": {"from": "legal@silverline-logistics-ab-598999hq.example", "reference": "<598999hq.1@mail.silverline-logistics-ab-598999hq.example>"}}, "new_name": "Aurora Marine S.p.A.", "old_name": "Silverline Logistics AB", "account_id": "598999HQ"}`)
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, ok := decodeFast(renamedType, 1, data); !ok {
				b.Fatal("not taken")
			}
		}
	})
	c := catalog.New()
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Decode(renamedType, 1, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
