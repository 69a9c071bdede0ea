package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/eventstore"
)

// TestEventFeedShape: an account.address_changed event written at schema
// version 1 (raw, as a release before version 2 wrote it) comes out of the
// feed as written by default, and as version 2 through its upcaster with
// shape=current; an event already current is the same either way.
func TestEventFeedShape(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	id, _ := e.register("Shaped Feed GmbH")
	stream := "account-" + id
	cur, err := e.app.Store.Load(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	v1 := fmt.Sprintf(`{"account_id":%q,"address":{"country":"AT","state":"Wien","city":"Wien"},"region":"EMEA",`+
		`"old_address":{"country":"DE"},"old_region":"EMEA"}`, id)
	if _, err := e.app.Store.Append(ctx, []eventstore.StreamAppend{{StreamID: stream, ExpectedVersion: int64(len(cur)),
		Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "account.address_changed", SchemaVersion: 1,
			Data: json.RawMessage(v1), OccurredAt: time.Now()}}}}, eventstore.Metadata{Actor: "staff:old-release"}); err != nil {
		t.Fatal(err)
	}
	type shaped struct {
		Type          string          `json:"type"`
		SchemaVersion int             `json:"schema_version"`
		Data          json.RawMessage `json:"data"`
	}
	read := func(query string) []shaped {
		t.Helper()
		var out []shaped
		for _, f := range feedNDJSON(t, e.do("GET", "/v1/events?category=account&min_position="+e.lastPosition()+query, e.auditor, nil)) {
			var s shaped
			if err := json.Unmarshal([]byte(f.raw), &s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	stored, current := read(""), read("&shape=current")
	if len(stored) != 2 || len(current) != 2 {
		t.Fatalf("events: stored %d, current %d, want 2 each", len(stored), len(current))
	}
	if string(stored[0].Data) != string(current[0].Data) || stored[0].SchemaVersion != current[0].SchemaVersion {
		t.Errorf("a current event changed shape: %s v%d → %s v%d", stored[0].Data, stored[0].SchemaVersion, current[0].Data, current[0].SchemaVersion)
	}
	sameJSON := func(a, b []byte) bool {
		var x, y any
		return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
	}
	if s := stored[1]; s.Type != "account.address_changed" || s.SchemaVersion != 1 || !sameJSON(s.Data, []byte(v1)) {
		t.Errorf("stored shape: %s v%d %s, want v1 as written", s.Type, s.SchemaVersion, s.Data)
	}
	var v2 struct {
		AccountID string `json:"account_id"`
		From      struct {
			Address struct{ Country string } `json:"address"`
		} `json:"from"`
		To struct {
			Address struct{ Country, City string } `json:"address"`
			Region  string                         `json:"region"`
		} `json:"to"`
	}
	c := current[1]
	if err := json.Unmarshal(c.Data, &v2); err != nil || c.SchemaVersion != 2 {
		t.Fatalf("current shape: v%d %s (%v), want v2", c.SchemaVersion, c.Data, err)
	}
	if v2.AccountID != id || v2.From.Address.Country != "DE" || v2.To.Address.Country != "AT" || v2.To.Address.City != "Wien" || v2.To.Region != "EMEA" {
		t.Errorf("upcast data: %s", c.Data)
	}
	if r := e.do("GET", "/v1/events?shape=newest", e.auditor, nil); r.status != http.StatusBadRequest {
		t.Errorf("shape=newest: %d %s, want 400", r.status, r.raw)
	}
}
