package pii_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/pii"
)

// memKeys is a KeyStore in memory.
type memKeys struct {
	mu   sync.Mutex
	keys map[string][]byte // nil value: destroyed
}

func newMemKeys() *memKeys { return &memKeys{keys: map[string][]byte{}} }

func (m *memKeys) Ensure(_ context.Context, subjects []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for _, s := range subjects {
		k, ok := m.keys[s]
		if !ok {
			k = make([]byte, pii.KeySize)
			if _, err := rand.Read(k); err != nil {
				return nil, err
			}
			m.keys[s] = k
		}
		if k == nil {
			return nil, pii.ErrForgotten
		}
		out[s] = k
	}
	return out, nil
}

func (m *memKeys) Keys(_ context.Context, subjects []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for _, s := range subjects {
		if k, ok := m.keys[s]; ok {
			out[s] = k
		}
	}
	return out, nil
}

func (m *memKeys) destroy(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[s] = nil
}

// golden reads the golden payload of an event type from the catalog's
// testdata.
func golden(t testing.TB, typ string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "domain", "catalog", "testdata", typ+".v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seal(t *testing.T, c *pii.Codec, typ string, data []byte) []byte {
	t.Helper()
	out, err := c.Seal(context.Background(), []eventstore.NewEvent{{Type: typ, SchemaVersion: 1, Data: data}})
	if err != nil {
		t.Fatalf("seal %s: %v", typ, err)
	}
	return out[0].Data
}

func open(c *pii.Codec, typ string, data []byte) ([]byte, error) {
	out, err := c.Open(context.Background(), []eventstore.Event{{Type: typ, SchemaVersion: 1, Data: data, Position: 7}})
	if err != nil {
		return nil, err
	}
	return out[0].Data, nil
}

// plaintexts are the personal values of the golden files.
var plaintexts = []string{"Jürgen Müller", "j.mueller@mueller-soehne.example", "Zoë Weiß", "zoe.weiss@kanal-partner.example", "+49 89 1234567"}

func containsPlaintext(data []byte) string {
	for _, p := range plaintexts {
		// The JSON encoder may escape non-ASCII; compare decoded text too.
		if bytes.Contains(data, []byte(p)) || strings.Contains(decodedText(data), p) {
			return p
		}
	}
	return ""
}

func decodedText(data []byte) string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	b, _ := json.Marshal(v)
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			sb.WriteString(x + "\n")
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return sb.String() + string(b)
}

func sameJSON(t *testing.T, a, b []byte) {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("JSON differs:\n got %s\nwant %s", ja, jb)
	}
}

// TestSealOpenRoundTrip: every event type with personal data is stored
// with none of it in plaintext, opens back to exactly what was sealed, and
// once the person is forgotten opens to the erased marker in every
// personal field and nowhere else.
func TestSealOpenRoundTrip(t *testing.T) {
	for typ := range pii.Rules() {
		t.Run(typ, func(t *testing.T) {
			keys := newMemKeys()
			c := pii.New(keys)
			plain := golden(t, typ)
			sealed := seal(t, c, typ, plain)
			if p := containsPlaintext(sealed); p != "" {
				t.Fatalf("sealed payload still holds %q: %s", p, sealed)
			}
			if !bytes.Contains(sealed, []byte(pii.Prefix)) {
				t.Fatalf("nothing sealed: %s", sealed)
			}
			got, err := open(c, typ, sealed)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, plain)

			for s := range keys.keys {
				keys.destroy(s)
			}
			got, err = open(c, typ, sealed)
			if err != nil {
				t.Fatal(err)
			}
			if p := containsPlaintext(got); p != "" {
				t.Fatalf("forgotten person still readable (%q): %s", p, got)
			}
			if n := bytes.Count(got, []byte(`"`+pii.Erased+`"`)); n != 3 {
				t.Fatalf("want name, email and phone erased, got %d erased values: %s", n, got)
			}
			if _, err := c.Seal(context.Background(), []eventstore.NewEvent{{Type: typ, Data: plain}}); !errors.Is(err, pii.ErrForgotten) {
				t.Fatalf("sealing for a forgotten person: want ErrForgotten, got %v", err)
			}
		})
	}
}

// TestPlainEventsPassUnchanged: events without sealed values (other types,
// and contacts recorded before sealing began) are returned as they are.
func TestPlainEventsPassUnchanged(t *testing.T) {
	c := pii.New(newMemKeys())
	in := []eventstore.Event{
		{Type: "account.contact_added", Data: golden(t, "account.contact_added")},
		{Type: "account.renamed", Data: golden(t, "account.renamed")},
	}
	out, err := c.Open(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !bytes.Equal(out[i].Data, in[i].Data) {
			t.Fatalf("event %d changed: %s", i, out[i].Data)
		}
	}
	sealed, err := c.Seal(context.Background(), []eventstore.NewEvent{{Type: "account.renamed", Data: in[1].Data}})
	if err != nil || !bytes.Equal(sealed[0].Data, in[1].Data) {
		t.Fatalf("an event without personal data was changed: %s %v", sealed[0].Data, err)
	}
}

// TestTamperedValuesFailClearly: an altered ciphertext, an envelope moved
// to another field or another event type, a truncated or malformed one
// and one whose key was never created all fail with a clear error: no
// panic, no plaintext, no silent erasure.
func TestTamperedValuesFailClearly(t *testing.T) {
	keys := newMemKeys()
	c := pii.New(keys)
	sealed := seal(t, c, "account.contact_added", golden(t, "account.contact_added"))
	var doc map[string]any
	if err := json.Unmarshal(sealed, &doc); err != nil {
		t.Fatal(err)
	}
	name, email := doc["name"].(string), doc["email"].(string)
	if _, err := keys.Ensure(context.Background(), []string{"C-000003"}); err != nil {
		t.Fatal(err)
	}
	flip := func(env string) string {
		i := strings.LastIndex(env, ":")
		blob, err := base64.RawURLEncoding.DecodeString(env[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		blob[len(blob)-1] ^= 1
		return env[:i+1] + base64.RawURLEncoding.EncodeToString(blob)
	}
	with := func(field, v string) []byte {
		d := map[string]any{}
		for k, x := range doc {
			d[k] = x
		}
		d[field] = v
		b, _ := json.Marshal(d)
		return b
	}
	for _, tc := range []struct {
		name, typ string
		data      []byte
		want      error
	}{
		{"altered ciphertext", "account.contact_added", with("name", flip(name)), pii.ErrTampered},
		{"moved to another field", "account.contact_added", with("name", email), pii.ErrTampered},
		{"moved to another event type", "partner.contact_added", sealed, pii.ErrTampered},
		{"another person's key", "account.contact_added", with("name", strings.Replace(name, "C-000001", "C-000003", 1)), pii.ErrTampered},
		{"moved to another person", "account.contact_added", with("contact_id", "C-000002"), pii.ErrTampered},
		{"truncated", "account.contact_added", with("name", name[:len(pii.Prefix)+12]), pii.ErrMalformed},
		{"not base64", "account.contact_added", with("name", pii.Prefix+"C-000001:***"), pii.ErrMalformed},
		{"no subject", "account.contact_added", with("name", pii.Prefix+":AAAA"), pii.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := open(c, tc.typ, tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v (%s)", tc.want, err, got)
			}
		})
	}
	// A key store that lost the person's key is not taken for a
	// forgotten person.
	if got, err := open(pii.New(newMemKeys()), "account.contact_added", sealed); !errors.Is(err, pii.ErrUnknownSubject) {
		t.Fatalf("lost key: want ErrUnknownSubject, got %v (%s)", err, got)
	}
	// The same envelope under the right subject, field and type opens.
	if got, err := open(c, "account.contact_added", sealed); err != nil || containsPlaintext(got) == "" {
		t.Fatalf("untouched payload: %v %s", err, got)
	}
}

// TestRulesCoverTheCatalog: every event type whose payload (its golden
// file) holds a person's email is declared in Rules, and every rule names
// a catalog event type: a new event carrying personal data cannot be
// stored in plaintext by oversight.
func TestRulesCoverTheCatalog(t *testing.T) {
	rules := pii.Rules()
	known := map[string]bool{}
	for _, e := range catalog.Entries() {
		known[e.Type] = true
		var v any
		if err := json.Unmarshal(golden(t, e.Type), &v); err != nil {
			t.Fatal(err)
		}
		if hasPerson(v) {
			if _, ok := rules[e.Type]; !ok {
				t.Errorf("%s carries a person's name and email but pii.Rules does not list it", e.Type)
			}
		}
	}
	for typ := range rules {
		if !known[typ] {
			t.Errorf("pii.Rules lists %s, which is no catalog event type", typ)
		}
	}
}

// hasPerson reports whether v holds an object with both a name and an
// email: a person.
func hasPerson(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		_, n := x["name"]
		_, e := x["email"]
		if n && e {
			return true
		}
		for _, e := range x {
			if hasPerson(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasPerson(e) {
				return true
			}
		}
	}
	return false
}

// TestLookalikesAreNotOpened: text that merely looks sealed — a company
// name, or a contact's own name typed that way — is stored and read back
// as it was typed, never taken for an envelope (which would fail every
// reader of the store on hostile input).
func TestLookalikesAreNotOpened(t *testing.T) {
	c := pii.New(newMemKeys())
	fake := pii.Prefix + "C-000001:bm90IGEgcmVhbCBlbnZlbG9wZQ"
	renamed := []byte(`{"account_id":"123456HQ","old_name":"` + fake + `","new_name":"x","evidence":{}}`)
	if got, err := open(c, "account.renamed", renamed); err != nil || !bytes.Equal(got, renamed) {
		t.Fatalf("a company name that looks sealed: %v %s", err, got)
	}
	added := []byte(`{"account_id":"123456HQ","contact_id":"C-000001","name":"` + fake + `","email":"a@b.example","roles":["billing"],"access":"restricted"}`)
	sealed := seal(t, c, "account.contact_added", added)
	if bytes.Contains(sealed, []byte(fake)) {
		t.Fatalf("a name that looks sealed was stored as typed: %s", sealed)
	}
	got, err := open(c, "account.contact_added", sealed)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, added)
}
