package api_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

// TestAsyncAPIDocument: GET /asyncapi.json is served without a token, and
// a bad token changes nothing; it is exactly the document internal/
// eventschema generates from the catalog for the deployment's topology
// (the test app runs on the default one).
func TestAsyncAPIDocument(t *testing.T) {
	t.Parallel()
	e := start(t)
	want := eventschema.AsyncAPI(broker.Default(), catalog.Entries())
	for _, token := range []string{"", "not-a-token"} {
		r := e.do("GET", "/asyncapi.json", token, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /asyncapi.json (token %q): %d %s %.200s", token, r.status, r.header.Get("Content-Type"), r.raw)
		}
		if !bytes.Equal(r.raw, want) {
			t.Fatalf("GET /asyncapi.json is not the generated document:\n%.500s", r.raw)
		}
		if r.body["asyncapi"] != eventschema.AsyncAPIVersion {
			t.Errorf("asyncapi = %v", r.body["asyncapi"])
		}
	}
}
