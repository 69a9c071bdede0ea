package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/projections"
)

// fgPerson is a contact's personal data as a test sends it.
type fgPerson struct{ name, email, phone string }

func (p fgPerson) values() []string { return []string{p.name, p.email, p.phone} }

func (p fgPerson) body(roles ...string) map[string]any {
	return map[string]any{"name": p.name, "email": p.email, "phone": p.phone, "roles": roles, "access": "restricted"}
}

// fgStored returns the places that hold v in plaintext: the events'
// payloads, any table of any read model, the refusals of the activity
// log.
func (e *env) fgStored(t *testing.T, v string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := e.app.Pool.Query(ctx, `SELECT schemaname, tablename FROM pg_tables
		WHERE schemaname LIKE 'proj\_%' OR (schemaname = 'public' AND tablename IN ('events', 'activity_refusals'))`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var st [2]string
		return st, r.Scan(&st[0], &st[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, st := range tables {
		var n int
		sql := `SELECT count(*) FROM ` + pgx.Identifier{st[0], st[1]}.Sanitize() + ` t WHERE strpos(t::text, $1) > 0`
		if err := e.app.Pool.QueryRow(ctx, sql, v).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			where = append(where, st[0]+"."+st[1])
		}
	}
	return where
}

// fgActivity returns what the activity log shows an auditor: the list
// (every page) and both exports, as one text.
func (e *env) fgActivity(t *testing.T, auditor string) string {
	t.Helper()
	var sb strings.Builder
	path := "/v1/activity?limit=3&min_position=" + e.lastPosition()
	for pages := 0; path != ""; pages++ {
		r := e.do("GET", path, auditor, nil)
		if r.status != http.StatusOK || pages > 100 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		sb.Write(r.raw)
		path = ""
		if next, _ := r.body["next_cursor"].(string); next != "" {
			path = "/v1/activity?limit=3&cursor=" + next
		}
	}
	for _, f := range []string{"csv", "ndjson"} {
		r := e.do("GET", "/v1/activity/export?format="+f+"&min_position="+e.lastPosition(), auditor, nil)
		if r.status != http.StatusOK {
			t.Fatalf("activity export %s: %d %s", f, r.status, r.raw)
		}
		sb.Write(r.raw)
	}
	return sb.String()
}

// fgCustomers returns the customer list and its export as an admin sees
// them.
func (e *env) fgCustomers(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/v1/customers?min_position=", "/v1/customers/export?min_position="} {
		r := e.do("GET", p+e.lastPosition(), e.admin, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, r.status, r.raw)
		}
		sb.Write(r.raw)
	}
	return sb.String()
}

// TestForgetContactThroughARebuild: a customer contact and a partner
// contact, each with a name, an email and a phone, are shown by the
// activity log (list and both exports) while no table holds them in
// plaintext, not even the events'. Once both are forgotten every read
// model, export and the activity log shows them erased, and still after
// every read model is rebuilt from the first event; the events stay.
func TestForgetContactThroughARebuild(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	auditor := e.token(auth.Staff("audrey", domain.RoleAuditor))
	acct, _ := e.register("Forgetful Widgets GmbH")
	partnerID := acPartner(t, e, "Forgetful Partner Ltd", "active", "reseller_direct")
	cust := fgPerson{"Hildegard Vergeßlich", "hildegard.v@forgetful.example", "+49 30 5550199"}
	part := fgPerson{"Peregrin Partnerson", "peregrin.p@partner-forget.example", "+44 20 7946 0958"}
	custID := acContact(t, e, "/v1/accounts/"+acct, e.admin, cust.body("billing"))
	partID := acContact(t, e, "/v1/partners/"+partnerID, e.admin, part.body("sales_agent"))
	people := append(cust.values(), part.values()...)
	// Refused commands are logged; their details must not repeat the
	// person's data either.
	acRefused(t, e, "POST", "/v1/accounts/"+acct+"/contacts", e.admin, fgPerson{"Someone Else", cust.email, ""}.body("billing"), http.StatusUnprocessableEntity, "rule_violation")
	acRefused(t, e, "POST", "/v1/partners/"+partnerID+"/contacts", e.admin, fgPerson{"Someone Else", part.email, ""}.body("sales_agent"), http.StatusUnprocessableEntity, "rule_violation")

	shown := e.fgActivity(t, auditor)
	for _, v := range people {
		if !strings.Contains(shown, v) {
			t.Fatalf("before forgetting, the activity log does not show %q", v)
		}
		if where := e.fgStored(t, v); len(where) > 0 {
			t.Fatalf("%q is stored in plaintext in %v", v, where)
		}
	}
	if !strings.Contains(e.fgCustomers(t), acct) {
		t.Fatal("the customer list lacks the account")
	}

	r := e.do("POST", "/v1/accounts/"+acct+"/contacts/"+custID+"/forget", e.admin, nil)
	acAccepted(t, r, http.StatusOK, acct, "account-"+acct, 0, "account.contact_forgotten")
	r = e.do("POST", "/v1/partners/"+partnerID+"/contacts/"+partID+"/forget", e.support, "{}")
	acAccepted(t, r, http.StatusOK, partnerID, "partner-"+partnerID, 0, "partner.contact_forgotten")
	acRefused(t, e, "POST", "/v1/accounts/"+acct+"/contacts/"+custID+"/forget", e.admin, nil, http.StatusUnprocessableEntity, "rule_violation")
	acRefused(t, e, "POST", "/v1/partners/"+partnerID+"/contacts/"+partID+"/forget", e.admin, nil, http.StatusUnprocessableEntity, "rule_violation")
	// A forgotten contact's access is not changed any more.
	acRefused(t, e, "POST", "/v1/accounts/"+acct+"/contacts/"+custID+"/access", e.admin, map[string]any{"access": "unrestricted"}, http.StatusUnprocessableEntity, "rule_violation")

	check := func(stage string) {
		t.Helper()
		shown := e.fgActivity(t, auditor)
		for _, v := range people {
			if strings.Contains(shown, v) {
				t.Fatalf("%s: the activity log still shows %q", stage, v)
			}
			if where := e.fgStored(t, v); len(where) > 0 {
				t.Fatalf("%s: %q is stored in plaintext in %v", stage, v, where)
			}
		}
		// Name, email and phone of each person, in the list and both
		// exports, read as erased (the CSV export escapes quotes).
		if n := strings.Count(shown, domain.Erased); n < 2*3*3 {
			t.Fatalf("%s: want every personal value shown as %s, found it %d times:\n%s", stage, domain.Erased, n, shown)
		}
		if !strings.Contains(shown, "ForgetContact") {
			t.Fatalf("%s: the activity log lacks the forget commands", stage)
		}
		if !strings.Contains(e.fgCustomers(t), acct) {
			t.Fatalf("%s: the customer list lacks the account", stage)
		}
		// The events stay.
		var added, forgotten int
		err := e.app.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE event_type LIKE '%.contact_added'),
			count(*) FILTER (WHERE event_type LIKE '%.contact_forgotten') FROM events
			WHERE data->>'contact_id' = ANY($1)`, []string{custID, partID}).Scan(&added, &forgotten)
		if err != nil || added != 2 || forgotten != 2 {
			t.Fatalf("%s: want both contacts' events kept, got %d added, %d forgotten (%v)", stage, added, forgotten, err)
		}
	}
	check("after forgetting")

	for _, p := range app.Projections() {
		if err := e.app.Projections.Rebuild(ctx, p.Name()); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
	}
	st, err := e.app.Projections.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.State != projections.StateLive {
			t.Fatalf("%s is %s after its rebuild", s.Name, s.State)
		}
	}
	check("after rebuilding every read model")

	// The keys are gone, the rows that say so stay.
	var destroyed int
	if err := e.app.Pool.QueryRow(ctx, `SELECT count(*) FROM person_keys WHERE subject = ANY($1) AND key IS NULL AND destroyed_at IS NOT NULL`,
		[]string{custID, partID}).Scan(&destroyed); err != nil || destroyed != 2 {
		t.Fatalf("want both keys destroyed, got %d (%v)", destroyed, err)
	}
}

// TestForgetContactWhoMay: a forget asked by a caller who may not is
// refused per API.md — 404 where it may not know the organisation, 403
// where it may know it but not do this, 422 for a contact forgetting
// itself — appends nothing and leaves the person readable; an
// unrestricted org admin of the account may forget another contact of it.
func TestForgetContactWhoMay(t *testing.T) {
	t.Parallel()
	e := start(t)
	auditor := e.token(auth.Staff("audrey", domain.RoleAuditor))
	acct, _ := e.register("Guarded Widgets GmbH")
	other, _ := e.register("Other Guarded GmbH")
	person := fgPerson{"Konstanze Bleibt", "konstanze.b@guarded.example", "+43 1 5550123"}
	victim := acContact(t, e, "/v1/accounts/"+acct, e.admin, person.body("technical"))
	admin := acContact(t, e, "/v1/accounts/"+acct, e.admin, map[string]any{"name": "Olga Orgadmin", "email": "olga@guarded.example", "roles": []string{"org_admin"}, "access": "unrestricted"})
	restricted := acContact(t, e, "/v1/accounts/"+acct, e.admin, map[string]any{"name": "Rudi Restricted", "email": "rudi@guarded.example", "roles": []string{"org_admin"}, "access": "restricted"})
	stranger := acContact(t, e, "/v1/accounts/"+other, e.admin, map[string]any{"name": "Sina Stranger", "email": "sina@other.example", "roles": []string{"org_admin"}, "access": "unrestricted"})
	partnerID := acPartner(t, e, "Guarded Partner Ltd", "active", "reseller_direct")
	pAdmin := acContact(t, e, "/v1/partners/"+partnerID, e.admin, map[string]any{"name": "Paula Padmin", "email": "paula@gp.example", "roles": []string{"org_admin"}, "access": "unrestricted"})
	pAgent := acContact(t, e, "/v1/partners/"+partnerID, e.admin, fgPerson{"Sven Salesagent", "sven@gp.example", "+44 20 7946 0000"}.body("sales_agent"))
	otherPartner := acPartner(t, e, "Other Partner Ltd", "active", "reseller_direct")
	opAdmin := acContact(t, e, "/v1/partners/"+otherPartner, e.admin, map[string]any{"name": "Otto Other", "email": "otto@op.example", "roles": []string{"org_admin"}, "access": "unrestricted"})

	forgetAcct := "/v1/accounts/" + acct + "/contacts/" + victim + "/forget"
	forgetPart := "/v1/partners/" + partnerID + "/contacts/" + pAgent + "/forget"
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", forgetAcct, "", 401, "unauthenticated"},
		{"auditor", forgetAcct, auditor, 403, "forbidden"},
		{"restricted contact", forgetAcct, e.token(auth.CustomerContact(acct, restricted)), 403, "forbidden"},
		{"another customer's contact", forgetAcct, e.token(auth.CustomerContact(other, stranger)), 404, "not_found"},
		{"a partner", forgetAcct, e.token(auth.PartnerContact(partnerID, pAdmin)), 403, "forbidden"},
		{"itself", "/v1/accounts/" + acct + "/contacts/" + admin + "/forget", e.token(auth.CustomerContact(acct, admin)), 422, "rule_violation"},
		{"unknown account", "/v1/accounts/999999ZZ/contacts/" + victim + "/forget", e.admin, 404, "not_found"},
		{"malformed contact ID", "/v1/accounts/" + acct + "/contacts/nobody/forget", e.admin, 404, "not_found"},
		{"another partner", forgetPart, e.token(auth.PartnerContact(otherPartner, opAdmin)), 404, "not_found"},
		{"a sales agent of the partner", forgetPart, e.token(auth.PartnerContact(partnerID, pAgent)), 403, "forbidden"},
		{"a customer, on a partner", forgetPart, e.token(auth.CustomerContact(acct, admin)), 403, "forbidden"},
		{"auditor, on a partner", forgetPart, auditor, 403, "forbidden"},
		{"unknown partner contact", "/v1/partners/" + partnerID + "/contacts/C-999999/forget", e.admin, 404, "not_found"},
		{"a body", forgetAcct, e.admin, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.name == "a body" {
				body = `{"reason":"because"}`
			}
			acRefused(t, e, "POST", tc.path, tc.token, body, tc.status, tc.code)
		})
	}
	shown := e.fgActivity(t, auditor)
	for _, v := range person.values() {
		if !strings.Contains(shown, v) {
			t.Fatalf("a refused forget erased %q", v)
		}
	}
	var keys int
	if err := e.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM person_keys WHERE key IS NULL`).Scan(&keys); err != nil || keys != 0 {
		t.Fatalf("a refused forget destroyed %d keys (%v)", keys, err)
	}

	// An unrestricted org admin of the account may forget another of its
	// contacts.
	r := e.do("POST", forgetAcct, e.token(auth.CustomerContact(acct, admin)), nil)
	acAccepted(t, r, http.StatusOK, acct, "account-"+acct, 0, "account.contact_forgotten")
	if strings.Contains(e.fgActivity(t, auditor), person.name) {
		t.Fatal("the forgotten contact is still shown")
	}
}

// TestForgetContactMovedByAMerge: a merge copies the merged account's
// contacts into its two events; they are sealed there too, and forgetting
// the contact at the surviving account erases it in both, in the activity
// log and through a rebuild of the log.
func TestForgetContactMovedByAMerge(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	auditor := e.token(auth.Staff("audrey", domain.RoleAuditor))
	src, _ := e.register("Merged Away GmbH")
	dst, _ := e.register("Survivor GmbH")
	person := fgPerson{"Mechthild Mitgenommen", "mechthild.m@merged.example", "+49 40 5550177"}
	contact := acContact(t, e, "/v1/accounts/"+src, e.admin, person.body("technical"))
	r := e.do("POST", "/v1/accounts/"+src+"/merge", e.admin, map[string]any{"into": dst, "reason": "duplicate", "evidence": []string{"CASE-000001"}})
	if r.status != http.StatusOK {
		t.Fatalf("merge: %d %s", r.status, r.raw)
	}
	var moved int
	if err := e.app.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE event_type IN ('account.merged', 'account.merge_received')
		AND data->'moved'->'contacts'->0->>'id' = $1 AND data->'moved'->'contacts'->0->>'name' LIKE 'pii:v1:%'`, contact).Scan(&moved); err != nil || moved != 2 {
		t.Fatalf("want the contact sealed in both merge events, got %d (%v)", moved, err)
	}
	shown := e.fgActivity(t, auditor)
	for _, v := range person.values() {
		if !strings.Contains(shown, v) {
			t.Fatalf("before forgetting, the activity log does not show %q", v)
		}
		if where := e.fgStored(t, v); len(where) > 0 {
			t.Fatalf("%q is stored in plaintext in %v", v, where)
		}
	}
	// The merged account accepts no command: the contact is forgotten
	// where it lives now.
	acRefused(t, e, "POST", "/v1/accounts/"+src+"/contacts/"+contact+"/forget", e.admin, nil, http.StatusUnprocessableEntity, "rule_violation")
	r = e.do("POST", "/v1/accounts/"+dst+"/contacts/"+contact+"/forget", e.admin, nil)
	acAccepted(t, r, http.StatusOK, dst, "account-"+dst, 0, "account.contact_forgotten")
	for _, stage := range []string{"after forgetting", "after rebuilding the log"} {
		if stage != "after forgetting" {
			if err := e.app.Projections.Rebuild(ctx, "activity"); err != nil {
				t.Fatal(err)
			}
		}
		shown := e.fgActivity(t, auditor)
		for _, v := range person.values() {
			if strings.Contains(shown, v) {
				t.Fatalf("%s: the activity log still shows %q", stage, v)
			}
		}
		if !strings.Contains(shown, domain.Erased) {
			t.Fatalf("%s: nothing shown erased", stage)
		}
	}
}
