package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// TestEventsRecordTheRequest: a command's events carry the operation it
// ran (the API.md command name), what it addressed and the client's user
// agent (cut, control characters dropped), besides actor and client IP.
func TestEventsRecordTheRequest(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Metadata Probe GmbH")
	ua := "portal/2.1 (\tWindows NT 10.0) " + strings.Repeat("x", 400)
	r := e.do("POST", "/v1/accounts/"+id+"/contacts", e.admin, map[string]any{"name": "Mia Meta", "email": "mia@acme.example",
		"roles": []string{domain.ContactTechnical}, "access": domain.AccessRestricted}, "User-Agent", ua)
	if r.status != 201 {
		t.Fatalf("add contact: %d %s", r.status, r.raw)
	}
	evs, err := e.app.Store.Load(context.Background(), account.StreamID(id))
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %d %v", len(evs), err)
	}
	reg, add := evs[0].Metadata, evs[1].Metadata
	if reg.Operation != "RegisterAccount" || reg.Resource != "account/"+id {
		t.Errorf("registration: %+v", reg)
	}
	contact := r.body["id"].(string)
	if add.Operation != "AddContact" || add.Resource != "account/"+id+"/"+contact || add.Actor != "staff:ada" ||
		len(add.UserAgent) != 256 || !strings.HasPrefix(add.UserAgent, "portal/2.1 (Windows NT 10.0) xxx") {
		t.Errorf("contact: %+v", add)
	}
}
