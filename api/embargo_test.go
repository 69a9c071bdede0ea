package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// The helpers of this file start with em, so that they do not meet the
// other test files of the package.

// emWantHold checks that the latest hold placed on party in stream (an
// account's or a partner's) records the list entry want.
func emWantHold(t *testing.T, e *env, stream, party, want string) {
	t.Helper()
	category, _, _ := strings.Cut(stream, "-")
	var entry string
	err := e.app.Pool.QueryRow(context.Background(),
		`SELECT data->>'matched_entry' FROM events WHERE stream_id = $1 AND event_type = $2 AND data->>'party' = $3
		 ORDER BY position DESC LIMIT 1`, stream, category+".embargo_hold_placed", party).Scan(&entry)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	if entry != want {
		t.Fatalf("hold on %s of %s records %q, want %q", party, stream, entry, want)
	}
}

// emListedOrg registers an organisation (category account or partner) at
// path, as admin, whose name is on the list: it must be accepted with the
// hold on it in the same append, recording entry. It returns the ID.
func emListedOrg(t *testing.T, e *env, category, path string, body any, entry string) string {
	t.Helper()
	r := e.do("POST", path, e.admin, body)
	if r.status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", category, r.status, r.raw)
	}
	id := r.body["id"].(string)
	stream := category + "-" + id
	acAccepted(t, r, http.StatusCreated, id, stream, 2, category+".registered", category+".embargo_hold_placed")
	emWantHold(t, e, stream, category, entry)
	return id
}

// emDenied sends a request as a principal under an embargo hold: it must be
// refused with 403 embargo_hold, append nothing, and carry the wait's end
// as retry_after (RFC 3339 UTC) and Retry-After (seconds). It returns
// retry_after.
func emDenied(t *testing.T, e *env, method, path, token string, body any) time.Time {
	t.Helper()
	before := e.events()
	sent := time.Now()
	r := e.do(method, path, token, body)
	wantProblem(t, r, http.StatusForbidden, "embargo_hold")
	if n := e.events(); n != before {
		t.Fatalf("%s %s: a denied request appended %d events", method, path, n-before)
	}
	raw, _ := r.body["retry_after"].(string)
	at, err := time.Parse(time.RFC3339, raw)
	if err != nil || at.Location() != time.UTC || raw[len(raw)-1] != 'Z' {
		t.Fatalf("%s %s: retry_after %q is not an RFC 3339 UTC instant: %s", method, path, raw, r.raw)
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs <= 0 || secs > int(6*time.Hour/time.Second) {
		t.Fatalf("Retry-After header %q: want the seconds left of the 6-hour wait", r.header.Get("Retry-After"))
	}
	if left := time.Until(at); (time.Duration(secs)*time.Second - left).Abs() > 5*time.Second {
		t.Fatalf("Retry-After %d s does not agree with retry_after %s", secs, raw)
	}
	// The wait began at this denial or at one of the same test before it.
	if began := at.Add(-6 * time.Hour); began.After(time.Now().Add(time.Second)) || began.Before(sent.Add(-5*time.Minute)) {
		t.Fatalf("retry_after %s is not 6 hours after a denial of this test (this one at %s)", raw, sent.UTC().Format(time.RFC3339))
	}
	return at
}

// emDenial is the wait recorded for principal: the hold it was denied for
// and when.
func emDenial(t *testing.T, e *env, principal domain.Principal) (hold string, at time.Time) {
	t.Helper()
	err := e.app.Pool.QueryRow(context.Background(), `SELECT hold, denied_at FROM embargo_denials WHERE principal_id = $1`, principal.ID).Scan(&hold, &at)
	if err != nil {
		t.Fatalf("denial of %s: %v", principal.ID, err)
	}
	return hold, at
}

func TestEmbargoScreeningOfAccounts(t *testing.T) {
	t.Parallel()
	var dbURL string
	e := start(t, func(c *app.Config) { dbURL = c.DatabaseURL })
	compliance := e.token(auth.Staff("cora", domain.RoleCompliance))

	// A name on the sample list (deploy/restricted-parties.csv: "Eastern
	// Horizon Trading LLC"), written another way: accepted, with the hold
	// in the same append.
	id := emListedOrg(t, e, "account", "/v1/accounts", registerBody("EASTERN-HORIZON Trading, L.L.C."), "SAMPLE-SDN-0001: Eastern Horizon Trading LLC")
	stream := "account-" + id
	base := "/v1/accounts/" + id
	// Staff are never held: the admin adds a contact to the held account.
	contact := acContact(t, e, base, e.admin, acContactBody("Hana Held", "hana@acme.example", "unrestricted", "org_admin"))
	held := auth.CustomerContact(id, contact)
	heldToken := e.token(held)

	// Every request of its contacts is denied, queries too; the first
	// denial starts the wait, and later ones answer the same instant.
	first := time.Now()
	wait := emDenied(t, e, "GET", base, heldToken, nil)
	if d := wait.Sub(first.Add(6 * time.Hour)); d < -time.Second || d > 5*time.Second {
		t.Fatalf("first denial at about %v: retry_after %v is not 6 hours later", first, wait)
	}
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"POST", base + "/address", acAddress("FR", "Lyon")},
		{"GET", "/v1/customers", nil},
		{"POST", "/v1/orders", map[string]any{"nonsense": true}},
		{"POST", base + "/embargo-hold/clear", map[string]any{"party": "account", "note": "it is me"}},
	} {
		if again := emDenied(t, e, req.method, req.path, heldToken, req.body); !again.Equal(wait) {
			t.Fatalf("%s %s: retry_after %v, want the first denial's %v", req.method, req.path, again, wait)
		}
	}
	holdID, deniedAt := emDenial(t, e, held)
	if want := stream + "@2"; holdID != want || !deniedAt.Add(6*time.Hour).Truncate(time.Second).Equal(wait) {
		t.Fatalf("denial recorded: hold %s at %v; want %s, 6 hours before %v", holdID, deniedAt, want, wait)
	}

	// Another instance on the same database (or this one restarted)
	// answers the same wait.
	other := start(t, func(c *app.Config) { c.DatabaseURL = dbURL })
	if again := emDenied(t, other, "GET", base, heldToken, nil); !again.Equal(wait) {
		t.Fatalf("another instance: retry_after %v, want %v", again, wait)
	}

	// Only compliance clears the hold.
	clear := map[string]any{"party": "account", "note": "verified: a namesake, not the listed entity"}
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.admin, clear, http.StatusForbidden, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.support, clear, http.StatusForbidden, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, map[string]any{"party": contact, "note": "not held"}, 422, "rule_violation")
	r := e.do("POST", base+"/embargo-hold/clear", compliance, clear)
	acAccepted(t, r, http.StatusOK, id, stream, 0, "account.embargo_hold_cleared")

	// Clearing ends the wait: the contact is admitted at once.
	r = e.do("POST", base+"/address", heldToken, acAddress("FR", "Lyon"))
	acAccepted(t, r, http.StatusOK, id, stream, 0, "account.address_changed")

	// A rename to a listed name holds the account again; a new hold is a
	// new wait.
	r = e.do("POST", base+"/rename", e.admin, renameBody("Eastern Horizon Trading", "Nordwind Technik, Inc."))
	acAccepted(t, r, http.StatusOK, id, stream, 0, "account.renamed", "account.embargo_hold_placed")
	emWantHold(t, e, stream, "account", "SAMPLE-EU-0003: Nordwind Technik GmbH")
	emDenied(t, e, "GET", base, heldToken, nil)
	if again, _ := emDenial(t, e, held); again == holdID {
		t.Fatalf("the new hold is denied under the old one's wait (%s)", again)
	}
	// A rename while on hold to another listed name adds no second hold.
	r = e.do("POST", base+"/rename", e.support, renameBody("Nordwind Technik", "Kestrel Maritime Services Ltd"))
	acAccepted(t, r, http.StatusOK, id, stream, 0, "account.renamed")
}

func TestEmbargoScreeningOfCustomerContacts(t *testing.T) {
	t.Parallel()
	e := start(t)
	id, _ := e.register("Clean Harbour Supplies GmbH")
	base := "/v1/accounts/" + id
	stream := "account-" + id
	admin := acContact(t, e, base, e.admin, acContactBody("Ada Admin", "ada@acme.example", "unrestricted", "org_admin"))
	adminToken := e.token(auth.CustomerContact(id, admin))

	// The account's own admin adds a contact whose name is on the list
	// (listed as "Volkov, Dmitri"): accepted, the new contact on hold.
	r := e.do("POST", base+"/contacts", adminToken, acContactBody("dmitri VOLKOV", "dv@acme.example", "unrestricted", "technical"))
	acAccepted(t, r, http.StatusCreated, "", stream, 0, "account.contact_added", "account.embargo_hold_placed")
	listed := r.body["id"].(string)
	emWantHold(t, e, stream, listed, "SAMPLE-SDN-0011: Volkov, Dmitri")
	// A near name is no match.
	r = e.do("POST", base+"/contacts", adminToken, acContactBody("Dmitri Volkova", "dva@acme.example", "restricted", "technical"))
	acAccepted(t, r, http.StatusCreated, "", stream, 0, "account.contact_added")

	// The held contact is denied; the account's other contacts are not.
	listedToken := e.token(auth.CustomerContact(id, listed))
	emDenied(t, e, "POST", base+"/vat-number", listedToken, map[string]any{"vat_number": "DE999999999"})
	r = e.do("POST", base+"/vat-number", adminToken, map[string]any{"vat_number": "DE999999999"})
	acAccepted(t, r, http.StatusOK, id, stream, 0, "account.vat_number_set")
}

func TestEmbargoScreeningOfPartners(t *testing.T) {
	t.Parallel()
	e := start(t)
	compliance := e.token(auth.Staff("cora", domain.RoleCompliance))

	// "Northern Star Logistics" is listed without a kind: it screens
	// companies (and people).
	id := emListedOrg(t, e, "partner", "/v1/partners", map[string]any{
		"name": "Northern Star Logistics Ltd", "kinds": []string{"reseller_direct"}, "address": map[string]any{"country": "GB"}, "status": "active",
	}, "SAMPLE-SDN-0007: Northern Star Logistics")
	stream := "partner-" + id
	base := "/v1/partners/" + id
	pc := acContact(t, e, base, e.admin, acContactBody("Pat Partner", "pat@nsl.example", "unrestricted", "org_admin"))
	held := auth.PartnerContact(id, pc)
	heldToken := e.token(held)

	wait := emDenied(t, e, "POST", base+"/contacts", heldToken, acContactBody("Quinn", "q@nsl.example", "restricted", "sales_agent"))
	if again := emDenied(t, e, "GET", "/v1/customers", heldToken, nil); !again.Equal(wait) {
		t.Fatalf("second denial: retry_after %v, want %v", again, wait)
	}
	if holdID, _ := emDenial(t, e, held); holdID != stream+"@2" {
		t.Fatalf("denied for hold %s", holdID)
	}

	clear := map[string]any{"party": "partner", "note": "verified: not the listed entity"}
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.admin, clear, http.StatusForbidden, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.support, clear, http.StatusForbidden, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.auditor, clear, http.StatusForbidden, "forbidden")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", heldToken, clear, http.StatusForbidden, "embargo_hold")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, map[string]any{"party": "account", "note": "x"}, 422, "validation_failed")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, map[string]any{"party": pc, "note": "not held"}, 422, "rule_violation")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, `{"party":"partner","note":"x","force":true}`, 400, "invalid_request")
	acRefused(t, e, "POST", "/v1/partners/999999ZZ/embargo-hold/clear", compliance, clear, 404, "not_found")
	acRefused(t, e, "POST", "/v1/partners/nope/embargo-hold/clear", compliance, clear, 404, "not_found")
	r := e.do("POST", base+"/embargo-hold/clear", compliance, clear)
	acAccepted(t, r, http.StatusOK, id, stream, 0, "partner.embargo_hold_cleared")
	acRefused(t, e, "POST", base+"/embargo-hold/clear", compliance, clear, 422, "rule_violation")

	// Cleared: the partner's admin acts again at once, and adds a contact
	// whose name is listed ("Samira Qasemi"): accepted, on hold.
	r = e.do("POST", base+"/contacts", heldToken, acContactBody("Samira  Qasemi", "sq@nsl.example", "unrestricted", "sales_agent"))
	acAccepted(t, r, http.StatusCreated, "", stream, 0, "partner.contact_added", "partner.embargo_hold_placed")
	listed := r.body["id"].(string)
	emWantHold(t, e, stream, listed, "SAMPLE-SDN-0012: Samira Qasemi")
	emDenied(t, e, "GET", "/v1/customers", e.token(auth.PartnerContact(id, listed)), nil)
	r = e.do("POST", base+"/contacts", heldToken, acContactBody("Quinn Quiet", "qq@nsl.example", "restricted", "sales_agent"))
	acAccepted(t, r, http.StatusCreated, "", stream, 0, "partner.contact_added")

	// A partner contact of another partner may not learn that this one
	// exists.
	other := acPartner(t, e, "Clean Channel Ltd", "active", "reseller_direct")
	oc := acContact(t, e, "/v1/partners/"+other, e.admin, acContactBody("Olga Other", "olga@clean.example", "unrestricted", "org_admin"))
	acRefused(t, e, "POST", base+"/embargo-hold/clear", e.token(auth.PartnerContact(other, oc)), map[string]any{"party": listed, "note": "x"}, 404, "not_found")
}
