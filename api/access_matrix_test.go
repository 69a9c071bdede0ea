package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// The access matrix (docs/ACCESS.md): one row per endpoint, one column per
// kind of caller, each cell the answer DOMAIN.md and API.md call for.
// acxRows is the only copy of the matrix: the part of docs/ACCESS.md
// between its markers is generated from it (go test ./api -run
// TestAccessMatrix -update), and the test fails when the two differ.
//
// TestAccessMatrix walks every cell against the running server, on a world
// where every cell is a real question: the resource asked about exists and
// belongs to the caller's party (its customer A, its partner P, the orders
// it submitted or distributes...), and for every caller outside the staff a
// second request asks the same of a resource of another party (customer
// B, partner Q), which must stay hidden: absent from a list, 404 for one
// resource — or, for a caller refused the command whatever the resource,
// exactly the answer a resource that exists nowhere gets. Commands that the
// cell expects to succeed act on fresh resources, so that no cell disturbs
// another; refused ones must append nothing. Every caller walks the rows at
// once, in three phases: queries, commands, and the commands that would
// change the callers' relationships.
//
// The helpers of this file start with acx, so that they do not meet the
// other test files of the package.

var acxUpdate = flag.Bool("update", false, "rewrite the generated part of docs/ACCESS.md from the access matrix of access_matrix_test.go")

// acxColumn is one kind of caller.
type acxColumn struct{ key, title string }

// acxColumns are the matrix's columns, in order.
var acxColumns = []acxColumn{
	{"none", "no token"},
	{"bad", "bad, expired or revoked token"},
	{"admin", "admin"},
	{"support", "support"},
	{"compliance", "compliance"},
	{"auditor", "auditor"},
	{"p_admin", "partner org admin (active partner)"},
	{"p_exec", "partner business executive"},
	{"p_sales", "partner sales agent"},
	{"p_restricted", "restricted partner contact"},
	{"p_expired", "expired or prospect partner's org admin"},
	{"dist", "distributor"},
	{"c_admin", "customer admin (unrestricted)"},
	{"c_restricted", "restricted customer contact"},
	{"held", "party under embargo hold"},
}

// acxRow is one endpoint: its cells in acxColumns' order, separated by
// "|", the notes (acxNotes) that explain them, and how each cell is asked.
type acxRow struct {
	route string // "METHOD /path" as API.md writes it
	cells string
	notes []string
	query *acxQuery
	cmd   *acxCommand
}

// acxQuery asks a query: own (and other, when it is another request) are
// the paths for caller c; ownMark and otherMark the identifiers that tell
// whether the caller's own and the other party's data are in the answer.
// single: one resource, so hidden means 404.
type acxQuery struct {
	own, other        func(w *acxWorld, c *acxCaller) string
	ownMark           func(w *acxWorld, c *acxCaller) string
	otherMark         func(w *acxWorld) string
	single, operation bool
}

// acxReq is one command request.
type acxReq struct {
	path string
	body any
}

// acxCommand asks a command: own builds the request on the caller's own
// resource (fresh: on resources made for this cell, when the cell expects
// it to succeed); other the same request on another party's resource (nil:
// the command names no existing resource, e.g. a registration).
type acxCommand struct {
	own   func(w *acxWorld, c *acxCaller, fresh bool) acxReq
	other func(w *acxWorld) acxReq
}

// Cell shorthands, in column order: none, bad, admin, support,
// compliance, auditor, p_admin, p_exec, p_sales, p_restricted, p_expired,
// dist, c_admin, c_restricted, held.
const (
	acxOpen      = "200|200|200|200|200|200|200|200|200|200|200|200|200|200|200"
	acxUnauth    = "401|401|"
	acxHeld      = "|403 hold"
	acxNoParties = "403|403|403|403|403|403|403|403" // p_* , dist, c_*: refused
)

// acxRows is the matrix.
var acxRows = []acxRow{
	// Operations.
	{route: "GET /healthz", cells: acxOpen, notes: []string{"ops"}, query: acxOp("/healthz")},
	{route: "GET /readyz", cells: acxOpen, notes: []string{"ops"}, query: acxOp("/readyz")},
	{route: "GET /metrics", cells: acxOpen, notes: []string{"ops"}, query: acxOp("/metrics")},
	{route: "GET /openapi.json", cells: acxOpen, notes: []string{"ops"}, query: acxOp("/openapi.json")},
	{route: "GET /asyncapi.json", cells: acxOpen, notes: []string{"ops"}, query: acxOp("/asyncapi.json")},

	// Queries.
	{route: "GET /v1/customers", notes: []string{"staff-read", "partner-sees", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/customers?limit=500" }, nil, acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/customers/export", notes: []string{"staff-read", "partner-sees", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/customers/export" }, nil, acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/accounts/{id}", notes: []string{"staff-read", "partner-sees", "status-read", "never-reveal"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: &acxQuery{single: true,
			own:     func(w *acxWorld, c *acxCaller) string { return "/v1/accounts/" + w.A },
			other:   func(w *acxWorld, c *acxCaller) string { return "/v1/accounts/" + w.B },
			ownMark: func(w *acxWorld, c *acxCaller) string { return w.A }, otherMark: func(w *acxWorld) string { return w.B }}},
	{route: "GET /v1/contracts", notes: []string{"staff-read", "partner-sees", "status-read", "distributor-placed"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/contracts?company=Alder+Analytics&limit=500" },
			func(*acxWorld, *acxCaller) string { return "/v1/contracts?company=Birch+Biotech&limit=500" },
			func(w *acxWorld, c *acxCaller) string { return w.ctA }, func(w *acxWorld) string { return w.ctB })},
	{route: "GET /v1/orders", notes: []string{"staff-read", "po-search", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/orders?from=2000-01-01&to=2099-12-31&limit=500" }, nil,
			func(w *acxWorld, c *acxCaller) string { return c.order }, func(w *acxWorld) string { return w.ord3 })},
	{route: "GET /v1/orders/{number}", notes: []string{"staff-read", "po-search", "status-read", "never-reveal"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: &acxQuery{single: true,
			own:     func(w *acxWorld, c *acxCaller) string { return "/v1/orders/" + c.order },
			other:   func(w *acxWorld, c *acxCaller) string { return "/v1/orders/" + w.ord3 },
			ownMark: func(w *acxWorld, c *acxCaller) string { return c.order }, otherMark: func(w *acxWorld) string { return w.ord3 }}},
	{route: "GET /v1/distributor-orders", notes: []string{"staff-read", "distributor-orders", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 empty|200 empty|200 empty|200 empty|200 empty|200 rel|200 empty|200 empty" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string {
			return "/v1/distributor-orders?from=2000-01-01&to=2099-12-31&limit=500"
		}, nil,
			func(w *acxWorld, c *acxCaller) string { return w.ord1 }, func(w *acxWorld) string { return w.ord3 })},
	{route: "GET /v1/associated-customers", notes: []string{"staff-read", "partner-sees", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/associated-customers?letter=A&limit=500" },
			func(*acxWorld, *acxCaller) string { return "/v1/associated-customers?letter=B&limit=500" }, acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/vat", notes: []string{"staff-read", "partner-sees", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/vat?company=Alder&limit=500" },
			func(*acxWorld, *acxCaller) string { return "/v1/vat?company=Birch&limit=500" }, acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/licenses", notes: []string{"staff-read", "licenses-view-rights", "status-read", "restricted-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 empty|200 empty|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/licenses?limit=500" }, nil,
			func(w *acxWorld, c *acxCaller) string { return c.license }, func(w *acxWorld) string { return w.lic3 })},
	{route: "GET /v1/invoices", notes: []string{"staff-read", "po-search", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/invoices?limit=500" }, nil,
			func(w *acxWorld, c *acxCaller) string { return c.invoice }, func(w *acxWorld) string { return w.inv3 })},
	{route: "GET /v1/cases", notes: []string{"staff-read", "cases-read", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 empty|200 empty|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/cases?limit=500" }, nil,
			func(w *acxWorld, c *acxCaller) string { return c.kase }, func(w *acxWorld) string { return w.caseB })},
	{route: "GET /v1/cases/{number}", notes: []string{"staff-read", "cases-read", "status-read", "never-reveal"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|404|404|200 own|200 own" + acxHeld,
		query: &acxQuery{single: true,
			own:     func(w *acxWorld, c *acxCaller) string { return "/v1/cases/" + c.kase },
			other:   func(w *acxWorld, c *acxCaller) string { return "/v1/cases/" + w.caseB },
			ownMark: func(w *acxWorld, c *acxCaller) string { return c.kase }, otherMark: func(w *acxWorld) string { return w.caseB }}},
	{route: "GET /v1/activity", notes: []string{"staff-read", "activity-read", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/activity?from=2000-01-01&limit=500" }, nil,
			acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/activity/export", notes: []string{"staff-read", "activity-read", "status-read"},
		cells: acxUnauth + "200 all|200 all|200 all|200 all|200 rel|200 rel|200 rel|200 rel|200 rel|200 rel|200 own|200 own" + acxHeld,
		query: acxList(func(*acxWorld, *acxCaller) string { return "/v1/activity/export?from=2000-01-01&format=ndjson" }, nil,
			acxMarkAccount, func(w *acxWorld) string { return w.B })},
	{route: "GET /v1/projections", notes: []string{"projections"},
		cells: acxUnauth + "200|200|200|200|403|403|403|403|403|403|403|403" + acxHeld, query: acxOp("/v1/projections")},
	{route: "GET /v1/events", notes: []string{"events"},
		cells: acxUnauth + "200|403|403|200|403|403|403|403|403|403|403|403" + acxHeld, query: acxOp("/v1/events?after=0")},

	// Account commands.
	{route: "POST /v1/accounts", notes: []string{"staff-commands", "register-staff"},
		cells: acxUnauth + "201|201|403|403|" + acxNoParties + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			return acxReq{"/v1/accounts", w.registerBody(fmt.Sprintf("Fresh Account %d GmbH", w.next()))}
		}}},
	{route: "POST /v1/accounts/{id}/rename", notes: []string{"staff-commands", "rename-who", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, old := w.accountFor(c, fresh)
			n := fmt.Sprintf("%s %d", strings.TrimSuffix(old, " GmbH"), w.next()) + " GmbH"
			if id == w.A && fresh {
				w.nameA = n
			}
			return acxReq{"/v1/accounts/" + id + "/rename", acxRenameBody(w.domainOf(id), old, n)}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/rename", acxRenameBody("birch.example", "Birch Biotech AB", "Birch Bio AB")}
		}}},
	acxAccountRow("POST /v1/accounts/{id}/address", "200", func(w *acxWorld) any { return acAddress("DE", fmt.Sprintf("Town %d", w.next())) }),
	acxAccountRow("POST /v1/accounts/{id}/vat-number", "200", func(w *acxWorld) any { return map[string]any{"vat_number": fmt.Sprintf("DE%09d", 100000000+w.next())} }),
	acxAccountRow("POST /v1/accounts/{id}/tags", "200", func(w *acxWorld) any { return map[string]any{"tag": fmt.Sprintf("tag-%d", w.next())} }),
	{route: "DELETE /v1/accounts/{id}/tags/{tag}", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			tag := "keep"
			if fresh {
				tag = fmt.Sprintf("gone-%d", w.next())
				w.ok("POST", "/v1/accounts/"+id+"/tags", map[string]any{"tag": tag})
			}
			return acxReq{"/v1/accounts/" + id + "/tags/" + tag, nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/accounts/" + w.B + "/tags/keep", nil} }}},
	{route: "POST /v1/accounts/{id}/contacts", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "201|201|403|403|403|403|403|403|403|403|201|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			n := w.next()
			return acxReq{"/v1/accounts/" + id + "/contacts", acContactBody(fmt.Sprintf("Nia Newcomer %d", n), fmt.Sprintf("nia%d@%s", n, w.domainOf(id)), "restricted", "technical")}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/contacts", acContactBody("Nia Newcomer", "nia@birch.example", "restricted", "technical")}
		}}},
	{route: "POST /v1/accounts/{id}/contacts/{contact_id}/access", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			contact, access := "C-000502", "restricted" // the restricted contact, as it is
			if fresh {
				contact, access = w.freshAccountContact(id), "unrestricted"
			}
			return acxReq{"/v1/accounts/" + id + "/contacts/" + contact + "/access", map[string]any{"access": access}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/contacts/C-000503/access", map[string]any{"access": "unrestricted"}}
		}}},
	{route: "POST /v1/accounts/{id}/contacts/{contact_id}/forget", notes: []string{"forget", "staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			contact := "C-000509" // a spare contact of A's
			if fresh {
				contact = w.freshAccountContact(id)
			}
			return acxReq{"/v1/accounts/" + id + "/contacts/" + contact + "/forget", nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/accounts/" + w.B + "/contacts/C-000503/forget", nil} }}},
	{route: "POST /v1/accounts/{id}/invoice-delivery", notes: []string{"staff-commands", "unrestricted-changes", "invoice-delivery", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			return acxReq{"/v1/accounts/" + id + "/invoice-delivery", map[string]any{"mode": "paperless", "recipients": []string{"ap@" + w.domainOf(id)}}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/invoice-delivery", map[string]any{"mode": "paperless", "recipients": []string{"ap@birch.example"}}}
		}}},
	{route: "POST /v1/accounts/{id}/solution-advisor", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			adv := w.P
			if fresh {
				adv = w.freshPartner(domain.PartnerActive, partner.KindAdvisor)
			}
			return acxReq{"/v1/accounts/" + id + "/solution-advisor", map[string]any{"partner_id": adv, "contact_id": "C-900001"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/solution-advisor", map[string]any{"partner_id": w.P, "contact_id": "C-900001"}}
		}}},
	{route: "POST /v1/accounts/{id}/view-rights", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			p := w.P
			if fresh {
				p = w.freshPartner(domain.PartnerActive)
			}
			return acxReq{"/v1/accounts/" + id + "/view-rights", map[string]any{"partner_id": p, "scope": "all"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/view-rights", map[string]any{"partner_id": w.P, "scope": "all"}}
		}}},
	{route: "DELETE /v1/accounts/{id}/view-rights/{partner_id}", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			p := w.P
			if fresh {
				p = w.freshPartner(domain.PartnerActive)
				w.ok("POST", "/v1/accounts/"+id+"/view-rights", map[string]any{"partner_id": p, "scope": "all"})
			}
			return acxReq{"/v1/accounts/" + id + "/view-rights/" + p, nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/accounts/" + w.B + "/view-rights/" + w.Q, nil} }}},
	{route: "POST /v1/accounts/{id}/embargo-hold/clear", notes: []string{"compliance-clears", "never-reveal"},
		cells: acxUnauth + "403|403|200|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id := w.A
			if fresh {
				id = w.freshHeldAccount()
			}
			return acxReq{"/v1/accounts/" + id + "/embargo-hold/clear", map[string]any{"party": "account", "note": "verified: a namesake"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/embargo-hold/clear", map[string]any{"party": "account", "note": "x"}}
		}}},

	// Partner commands.
	{route: "POST /v1/partners", notes: []string{"staff-commands", "register-staff"},
		cells: acxUnauth + "201|201|403|403|" + acxNoParties + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			return acxReq{"/v1/partners", map[string]any{"name": fmt.Sprintf("Fresh Partner %d Ltd", w.next()), "kinds": []string{partner.KindResellerDirect},
				"address": map[string]any{"country": "GB", "city": "London"}, "status": "prospect"}}
		}}},
	{route: "POST /v1/partners/{id}/status", notes: []string{"staff-commands", "partner-status", "customer-partner", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			if fresh {
				return acxReq{"/v1/partners/" + w.freshPartner(domain.PartnerProspect) + "/status", map[string]any{"status": "active", "reason": "signed"}}
			}
			// As it is: a wrongful acceptance is a rule violation, not a change.
			return acxReq{"/v1/partners/" + c.org + "/status", map[string]any{"status": c.orgStatus}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/partners/" + w.Q + "/status", map[string]any{"status": "active"}}
		}}},
	{route: "POST /v1/partners/{id}/contacts", notes: []string{"staff-commands", "partner-acts", "customer-partner", "never-reveal"},
		cells: acxUnauth + "201|201|403|403|201|201|403|403|403|201|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := w.next()
			return acxReq{"/v1/partners/" + c.org + "/contacts", acContactBody(fmt.Sprintf("Sol Seller %d", n), fmt.Sprintf("sol%d@partner.example", n), "restricted", "sales_agent")}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/partners/" + w.Q + "/contacts", acContactBody("Sol Seller", "sol@partner.example", "restricted", "sales_agent")}
		}}},
	{route: "POST /v1/partners/{id}/contacts/{contact_id}/access", notes: []string{"staff-commands", "partner-acts", "customer-partner", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|200|200|403|403|403|200|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			contact, access := c.spareContact, "restricted" // as it is
			if fresh {
				contact, access = w.freshPartnerContact(c.org), "unrestricted"
			}
			return acxReq{"/v1/partners/" + c.org + "/contacts/" + contact + "/access", map[string]any{"access": access}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/partners/" + w.Q + "/contacts/C-900001/access", map[string]any{"access": "restricted"}}
		}}},
	{route: "POST /v1/partners/{id}/contacts/{contact_id}/forget", notes: []string{"forget", "staff-commands", "partner-acts", "customer-partner", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|200|200|403|403|403|200|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			contact := c.spareContact
			if fresh {
				contact = w.freshPartnerContact(c.org)
			}
			return acxReq{"/v1/partners/" + c.org + "/contacts/" + contact + "/forget", nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/partners/" + w.Q + "/contacts/C-900001/forget", nil} }}},
	{route: "POST /v1/partners/{id}/embargo-hold/clear", notes: []string{"not-in-api", "compliance-clears", "customer-partner", "never-reveal"},
		cells: acxUnauth + "403|403|200|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id := c.org
			if fresh {
				id = w.freshHeldPartner()
			}
			return acxReq{"/v1/partners/" + id + "/embargo-hold/clear", map[string]any{"party": "partner", "note": "verified: a namesake"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/partners/" + w.Q + "/embargo-hold/clear", map[string]any{"party": "partner", "note": "x"}}
		}}},

	// Orders.
	{route: "POST /v1/orders", notes: []string{"staff-commands", "partner-acts", "submit-who"},
		cells: acxUnauth + "201|201|403|403|201|201|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			b := orderBody(w.A, fmt.Sprintf("PO-CELL-%d", w.next()))
			b["po_date"] = acxPODate
			if c.kind == domain.KindStaff {
				b["partner_id"] = w.P
			}
			return acxReq{"/v1/orders", b}
		}}},
	{route: "POST /v1/orders/{number}/fulfil", notes: []string{"staff-commands", "fulfil-who", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := c.openOrder
			if fresh {
				n = w.freshOrder(w.A)
			}
			return acxReq{"/v1/orders/" + n + "/fulfil", map[string]any{}}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/orders/" + w.ord3b + "/fulfil", map[string]any{}} }}},
	{route: "POST /v1/orders/{number}/cancel", notes: []string{"staff-commands", "partner-acts", "cancel-who", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|200|200|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := c.openOrder
			if fresh {
				n = w.freshOrder(w.A)
			}
			return acxReq{"/v1/orders/" + n + "/cancel", map[string]any{"reason": "customer changed its mind"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/orders/" + w.ord3b + "/cancel", map[string]any{"reason": "x"}}
		}}},

	// Contracts.
	{route: "POST /v1/contracts", notes: []string{"staff-commands", "contract-register"},
		cells: acxUnauth + "201|201|403|403|" + acxNoParties + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id := w.A
			if fresh {
				id = w.freshAccount()
			}
			return acxReq{"/v1/contracts", acxContractBody("easy", id)}
		}}},
	{route: "POST /v1/contracts/{number}/administrators", notes: []string{"staff-commands", "contract-admins", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := w.ctA
			if fresh && c.kind == domain.KindStaff {
				n = w.freshContract()
			}
			return acxReq{"/v1/contracts/" + n + "/administrators", map[string]any{"primary_admin": fmt.Sprintf("C-%06d", 600000+w.next())}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/contracts/" + w.ctB + "/administrators", map[string]any{"primary_admin": "C-000599"}}
		}}},
	{route: "POST /v1/contracts/{number}/discount-level", notes: []string{"staff-commands", "discount-who", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := w.ctA
			if fresh {
				n = w.freshContract()
			}
			return acxReq{"/v1/contracts/" + n + "/discount-level", map[string]any{"discount_level": 5}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/contracts/" + w.ctB + "/discount-level", map[string]any{"discount_level": 5}}
		}}},
	{route: "POST /v1/contracts/{number}/manage-rights", notes: []string{"staff-commands", "unrestricted-changes", "manage-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			p := w.Q
			if fresh {
				p = w.freshPartner(domain.PartnerActive)
			}
			return acxReq{"/v1/contracts/" + w.ctA + "/manage-rights", map[string]any{"partner_id": p}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/contracts/" + w.ctB + "/manage-rights", map[string]any{"partner_id": w.P}}
		}}},
	{route: "DELETE /v1/contracts/{number}/manage-rights/{partner_id}", notes: []string{"not-in-api", "staff-commands", "unrestricted-changes", "manage-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			p := w.P
			if fresh {
				p = w.freshPartner(domain.PartnerActive)
				w.ok("POST", "/v1/contracts/"+w.ctA+"/manage-rights", map[string]any{"partner_id": p})
			}
			return acxReq{"/v1/contracts/" + w.ctA + "/manage-rights/" + p, nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/contracts/" + w.ctB + "/manage-rights/" + w.Q, nil} }}},

	// Licenses.
	{route: "POST /v1/licenses/{id}/allocations", notes: []string{"staff-commands", "licensing-tools", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|404|404|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			return acxReq{"/v1/licenses/" + c.license + "/allocations", map[string]any{"host_id_type": "hostname", "host_id": fmt.Sprintf("h%d.alder.example", w.next()), "quantity": 1}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/licenses/" + w.lic3 + "/allocations", map[string]any{"host_id_type": "hostname", "host_id": "x.birch.example", "quantity": 1}}
		}}},
	{route: "DELETE /v1/licenses/{id}/allocations/{host_id}", notes: []string{"staff-commands", "licensing-tools", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|404|404|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			host := c.keep
			if fresh {
				host = fmt.Sprintf("r%d.alder.example", w.next())
				w.ok("POST", "/v1/licenses/"+c.license+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": host, "quantity": 1})
			}
			return acxReq{"/v1/licenses/" + c.license + "/allocations/" + host, nil}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/licenses/" + w.lic3 + "/allocations/keep.birch.example", nil}
		}}},
	{route: "POST /v1/licenses/{id}/reallocate", notes: []string{"staff-commands", "licensing-tools", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|404|404|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			host := c.keep
			if fresh {
				host = fmt.Sprintf("m%d.alder.example", w.next())
				w.ok("POST", "/v1/licenses/"+c.license+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": host, "quantity": 1})
			}
			return acxReq{"/v1/licenses/" + c.license + "/reallocate", map[string]any{"from_host_id": host, "to_host_id_type": "hostname", "to_host_id": fmt.Sprintf("n%d.alder.example", w.next())}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/licenses/" + w.lic3 + "/reallocate", map[string]any{"from_host_id": "keep.birch.example", "to_host_id_type": "hostname", "to_host_id": "y.birch.example"}}
		}}},
	{route: "POST /v1/licenses/{id}/split", notes: []string{"staff-commands", "licensing-tools", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|404|404|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			l := c.spare
			if fresh {
				l = w.freshLicense(w.A)
			}
			return acxReq{"/v1/licenses/" + l + "/split", acxSplitBody("alder.example")}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/licenses/" + w.lic3 + "/split", acxSplitBody("birch.example")}
		}}},
	{route: "POST /v1/licenses/{id}/transfer", notes: []string{"staff-commands", "transfer-who", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|404|404|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			l := c.spare
			if fresh {
				l = w.freshLicense(w.A)
			}
			return acxReq{"/v1/licenses/" + l + "/transfer", map[string]any{"to_account_id": w.B, "approval_case": w.approvedTransferCase()}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/licenses/" + w.lic3 + "/transfer", map[string]any{"to_account_id": w.A}}
		}}},
	{route: "POST /v1/licenses/{id}/renew", notes: []string{"renew-who", "partner-acts", "licenses-view-rights", "never-reveal"},
		cells: acxUnauth + "403|403|403|403|200|200|403|403|404|404|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			return acxReq{"/v1/licenses/" + c.license + "/renew", nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/licenses/" + w.lic3 + "/renew", nil} }}},

	// Support cases.
	{route: "POST /v1/cases", notes: []string{"staff-commands", "partner-acts", "case-open", "never-reveal"},
		cells: acxUnauth + "201|201|403|403|201|201|403|403|403|201|201|201" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			return acxReq{"/v1/cases", acxCaseBody(c, w.A)}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/cases", map[string]any{"request_type": "general", "subject": "other", "account_id": w.B, "description": "Please help"}}
		}}},
	acxStaffCaseStep("request-info", map[string]any{"what": "the signed letter"}, map[string]any{"what": "x"}),
	{route: "POST /v1/cases/{number}/provide-info", notes: []string{"staff-commands", "case-requester", "cases-read", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|200|200|403|403|403|404|200|200" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := c.waitingCase
			if fresh {
				opener := c.token
				if c.kind == domain.KindStaff {
					opener = w.tok["c_admin"] // staff answer for the customer's requester
				}
				n = w.freshCase(opener, "")
				w.ok("POST", "/v1/cases/"+n+"/request-info", map[string]any{"what": "the signed letter"})
			}
			return acxReq{"/v1/cases/" + n + "/provide-info", map[string]any{"information": "attached"}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/cases/" + w.caseB + "/provide-info", map[string]any{"information": "x"}}
		}}},
	acxStaffCaseStep("approve", map[string]any{"note": "ok"}, map[string]any{}),
	acxStaffCaseStep("reject", map[string]any{"reason": "no evidence"}, map[string]any{"reason": "x"}),
	{route: "POST /v1/accounts/{id}/renewal-partner", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			p := w.P
			if fresh {
				p = w.freshPartner(domain.PartnerActive)
			}
			return acxReq{"/v1/accounts/" + id + "/renewal-partner", map[string]any{"partner_id": p}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/renewal-partner", map[string]any{"partner_id": w.P}}
		}}},
	{route: "DELETE /v1/accounts/{id}/renewal-partner", notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|200|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			if fresh && id != w.A {
				w.ok("POST", "/v1/accounts/"+id+"/renewal-partner", map[string]any{"partner_id": w.freshPartner(domain.PartnerActive)})
			}
			return acxReq{"/v1/accounts/" + id + "/renewal-partner", nil}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/accounts/" + w.B + "/renewal-partner", nil} }}},
	{route: "POST /v1/accounts/{id}/merge", notes: []string{"staff-commands", "merge-who", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			src, into := w.A, w.B
			if fresh {
				src, into = w.freshAccount(), w.freshAccount()
			}
			return acxReq{"/v1/accounts/" + src + "/merge", map[string]any{"into": into, "reason": "duplicate", "evidence": []string{"CASE-000042"}}}
		}, other: func(w *acxWorld) acxReq {
			return acxReq{"/v1/accounts/" + w.B + "/merge", map[string]any{"into": w.A, "reason": "duplicate", "evidence": []string{"CASE-000042"}}}
		}}},
}

// acxNotes explain cells whose rule is not obvious, with their source.
// The doc numbers them in this order.
var acxNotes = []struct{ key, text string }{
	{"ops", "API.md \"Operations\": served outside `/v1` and outside the bearer-token convention (a probe, a scraper and a client generator have no token); they carry no customer data, so no token, a bad one or a held one changes nothing. `GET /asyncapi.json` is in API.md (\"the published event contract\")."},
	{"staff-read", "DOMAIN.md \"Staff roles\" (support, compliance, auditor — read-only, activity log — and admin) and docs/READ-SIDE.md: staff with a role read every read model."},
	{"partner-sees", "DOMAIN.md \"Who may see what\": a partner or distributor sees a customer only through an order it placed, manage rights or the renewal role. Every partner column is related to customer A (P ordered for it, holds manage rights and is its renewal partner with `all` view rights; the distributor is on P's orders; the expired partner and the prospect ordered for A while they were active) and none to customer B."},
	{"status-read", "DOMAIN.md: \"A partner may act only while its status is active … through an org admin or business executive with unrestricted access\" — acting is running commands; what a partner's contacts see is the \"Who may see what\" rule, which names no role, access or status. A reading, not a quotation: the lead may decide that an expired or prospect partner, a sales agent or a restricted contact sees less."},
	{"never-reveal", "API.md \"Conventions\": \"Allowed but not permitted → 403. A resource the caller may not see → 404 (never reveal that it exists)\". A caller that may run the command on some resources gets 404 on those it may not see; a caller that may run it on none is refused (403) whatever the resource, which tells nothing. So every caller outside the staff also asks the same of another party's resource (customer B, partner Q, their orders, agreements, licenses and cases): the answer must be 404, or exactly the answer for a resource that exists nowhere (asked too), and append nothing."},
	{"distributor-placed", "DOMAIN.md \"Who may see what\": \"a partner or distributor sees … contracts … only if it placed an order for that customer\": the distributor on an order placed it (docs/READ-SIDE.md: `distributor` opens the customer's agreements)."},
	{"po-search", "DOMAIN.md: order search shows the orders the caller is associated with (submitted it, or is the distributor on it); invoices are the invoices of those orders; a customer's contact sees its own account's. No dates and no PO → no results, so the list is asked with a date range."},
	{"distributor-orders", "DOMAIN.md \"Read models\": \"distributor orders by date range\" — the orders a distributor is on. A caller that is no distributor is on none: an empty list, not a refusal (the endpoint exists for every caller)."},
	{"licenses-view-rights", "DOMAIN.md: \"a partner sees all of a customer's licenses with `all` view rights, only the listed ones with `assigned` rights, none otherwise\". P has `all` on A; the distributor and the expired and prospect partners have no view rights, so they may not know A's licenses exist: 404 on a license command."},
	{"restricted-read", "DOMAIN.md: \"Only unrestricted contacts may use licensing tools\": the tools are the license commands (allocate, return, reallocate, split); reading the account's licenses is not one (a reading: the lead may decide otherwise)."},
	{"cases-read", "Cases: DOMAIN.md gives no rule for who reads them; docs/READ-SIDE.md and the cases read model: a customer contact sees its account's cases, a partner the cases it opened (P opened one on A; the distributor and the expired and prospect partners opened none, so they may not know A's cases exist: 404 on a case command they could run on their own cases)."},
	{"activity-read", "DOMAIN.md lists the activity log without saying who reads it beyond the auditor; docs/READ-SIDE.md \"The activity log\": a customer contact sees its account's records and its own, a partner its own actions and the company facts of the customers it is related to (A's registration), never B's."},
	{"projections", "API.md lists `GET /v1/projections` (the read models' positions and lag) without a rule; it is the operators' view of the service, not data of a party: staff only, anyone else 403 (it exists for every caller, so 403, not 404)."},
	{"events", "API.md \"Queries\" and \"Principals and tokens\" (`integration` \"for downstream systems reading the event feed\") and issue 7 (\"for callers with the auditor or a dedicated integration role\"): the feed carries every party's events, so it is for the auditor (DOMAIN.md: read-only), `integration` principals (not a column here; api/events_feed_test.go asks as one) and admin; support and compliance, who work on cases and holds through the read models, are refused (403), and so is a partner or customer contact (allowed in but not permitted: 403). A reading for the lead to confirm."},
	{"staff-commands", "DOMAIN.md \"Staff roles\": support runs cases and commands on behalf of customers, compliance embargo holds, the auditor is read-only; admin runs the back office. So admin and support may run a command unless a rule reserves it; compliance and the auditor may not (403)."},
	{"register-staff", "Registering a company, a partner or an agreement is back-office work: DOMAIN.md gives partners and customers no such command; they know the endpoint, so 403."},
	{"rename-who", "DOMAIN.md RenameCompany: \"Only staff or an unrestricted customer admin may ask [public]\"."},
	{"unrestricted-changes", "DOMAIN.md Account: \"Only unrestricted contacts may use licensing tools or change anything on the account [seed]\" (so the restricted contact: 403); the account is the customer's, so a partner related to it may see it but not change it (403)."},
	{"partner-account", "A partner (or distributor) changes nothing on a customer's account: DOMAIN.md gives view rights, renewal partners, advisors and contacts to the customer and to staff; the partner sees the account, so 403."},
	{"invoice-delivery", "DOMAIN.md SetInvoiceDelivery: \"Partners and distributors cannot choose it for a customer [seed]\"."},
	{"forget", "ForgetContact (issue 5, item 4; API.md lists both routes, DOMAIN.md not yet the command): forgetting a contact changes the organisation's record, so it follows the organisation's other contact commands — staff, the customer's unrestricted contact, an active partner's unrestricted org admin or business executive (DOMAIN.md Account and Partner). A reading for the lead to confirm."},
	{"not-in-api", "Served, but not in API.md: `DELETE /v1/contracts/{number}/manage-rights/{partner_id}` is RevokeManageRights (DOMAIN.md Contract; API.md lists only the grant), `POST /v1/partners/{id}/embargo-hold/clear` is ClearEmbargoHold for a held partner or partner contact (DOMAIN.md names only the account's)."},
	{"compliance-clears", "DOMAIN.md: \"`ClearEmbargoHold` (compliance staff only) lifts it\"; admin and support may not either (403)."},
	{"partner-status", "DOMAIN.md: ChangePartnerStatus is the vendor's program decision; a partner does not change its own status (403 on its own organisation)."},
	{"customer-partner", "A customer contact runs no command on a partner organisation (DOMAIN.md Partner: the partner acts through its own contacts): 403, whatever the partner, which tells nothing of it."},
	{"partner-acts", "DOMAIN.md Partner: \"A partner may act only while its status is active (not expired, not prospect), through an org admin or business executive with unrestricted access [seed]\": the sales agent, the restricted contact and the expired or prospect partner are refused (403), on their own organisation's and their customers' resources."},
	{"submit-who", "DOMAIN.md SubmitOrder: the order names the submitting partner and optionally the distributor; the customer does not submit (403). The distributor is on orders, it does not submit them as the partner (403)."},
	{"fulfil-who", "DOMAIN.md FulfilOrder issues the licenses and the invoice: the vendor's act (staff); the partner on the order, the distributor and the customer see the order but may not fulfil it (403)."},
	{"cancel-who", "CancelOrder: DOMAIN.md names no caller; the submitting partner (active, org admin or business executive) and staff cancel; the distributor and the customer see the order but may not cancel it (403)."},
	{"contract-register", "RegisterContract: DOMAIN.md gives it to no contact; the customer's unrestricted contact may not register an agreement (403)."},
	{"contract-admins", "ChangeContractAdministrators: the customer's agreement, so its unrestricted contact may (DOMAIN.md: unrestricted contacts change anything on the account); a partner with manage rights sees the agreement but may not change its administrators (403)."},
	{"discount-who", "SetDiscountLevel: the vendor's price decision (staff); the customer's contacts and partners may not (403)."},
	{"manage-rights", "GrantManageRights / RevokeManageRights: the customer gives and takes manage rights (its unrestricted contact); the managing partner may not grant or revoke them (403)."},
	{"licensing-tools", "DOMAIN.md License: allocating (and returning, reallocating, splitting) is for an \"unrestricted contact of the owning org only\"; support runs commands on behalf of customers (DOMAIN.md \"Staff roles\"); a partner with view rights sees the license but may not use the tools (403)."},
	{"transfer-who", "TransferLicense: the customer's unrestricted contact asks through a support case, not directly (403); staff transfer, naming the approved case."},
	{"renew-who", "DOMAIN.md RenewMaintenance: \"only the customer itself, or a partner with view rights on that license (renewal partner), may renew [seed]\": staff may not (403); P is A's renewal partner with `all` view rights."},
	{"case-open", "OpenCase: DOMAIN.md names the requester: a customer contact (restricted too: opening a case changes nothing on the account), or an active partner through an org admin or business executive, for a customer it is related to; support opens on a customer's behalf."},
	{"case-staff", "RequestInformation, ApproveCase, RejectCase: DOMAIN.md — staff (support); the requester and every other contact may not (403, whatever the case)."},
	{"case-requester", "ProvideInformation: the requester answers (each allowed contact answers a case it opened itself), or support on its behalf (DOMAIN.md \"Staff roles\": commands on behalf of customers); another contact of the organisation may not answer for the requester (403)."},
	{"merge-who", "MergeAccounts: staff; a customer's unrestricted contact asks through a support case (403)."},
}

// acxDisagreement is a group of cells where the server answers otherwise
// than the documents: reported to the lead, who decides. The matrix keeps
// the documents' answer; the test passes while the server answers exactly
// got, and fails once it answers anything else (the documents' answer
// included: then the entry goes).
type acxDisagreement struct {
	routes []string
	cols   []string // nil: every column
	got    string
	why    string
}

var acxDisagreements = []acxDisagreement{}

// acxKnown maps each disagreeing cell ("route | column") to the server's
// answer.
var acxKnown = func() map[string]string {
	m := map[string]string{}
	for _, d := range acxDisagreements {
		cols := d.cols
		if cols == nil {
			for _, c := range acxColumns {
				cols = append(cols, c.key)
			}
		}
		for _, r := range d.routes {
			for _, c := range cols {
				m[r+" | "+c] = d.got
			}
		}
	}
	return m
}()

// acxCaller is one column's caller.
type acxCaller struct {
	col    string
	kind   domain.PrincipalKind // "" for no token and bad tokens
	actor  string               // the principal's ID, as events record it
	token  string
	tokens []string // several callers of one kind, each asked: the bad, expired and revoked tokens; the held customer and partner contacts
	held   bool
	org    string // partner callers: their organisation; others: P
	// The caller's own resources: the order it is on, its open order, its
	// license (and a spare one), its invoice, a case it sees, a case
	// waiting for its answer.
	order, openOrder, license, spare, invoice, kase, waitingCase string
	// spareContact: a restricted contact of org, for refused commands;
	// keep: a host holding an allocation of license, for refused commands;
	// orgStatus: org's program status.
	spareContact, keep, orgStatus string
	// alts are more callers of the column's kind, each asked the same.
	alts []*acxCaller
}

// group is the callers a cell of c's column asks: each of its tokens,
// itself and its alternatives; nil for a lone caller.
func (c *acxCaller) group() []*acxCaller {
	var g []*acxCaller
	for _, tk := range c.tokens {
		cc := *c
		cc.token, cc.tokens, cc.alts = tk, nil, nil
		g = append(g, &cc)
	}
	if len(c.alts) > 0 {
		self := *c
		self.alts = nil
		g = append(append(g, &self), c.alts...)
	}
	return g
}

// acxWorld is the test's world. See buildAcxWorld.
type acxWorld struct {
	e     *env
	t     testing.TB
	setup string // an admin token for set-up, apart from the admin column's
	seq   *atomic.Int64
	sent  *atomic.Int64 // requests the cells sent

	A, B  string // customers
	H     string // a customer under embargo hold
	nameA string

	P     string // active partner: ordered for A (with D), manage rights, renewal partner, view rights
	Q     string // active partner of B
	D, D2 string // distributors: D on P's orders for A, D2 on Q's for B
	X     string // expired partner: ordered for A while active
	Y     string // prospect partner: ordered for A while active, then back to prospect

	ord1, ord2, ord3, ord3b, ordX, ordXf, ordY, ordYf string
	lic1, lic1b, lic3, licX, licY                     string
	inv1, inv3, invX, invY                            string
	ctA, ctB                                          string
	caseA, casePA, caseB                              string
	wCaseA, wCasePA                                   string

	tok     map[string]string
	callers []*acxCaller
}

const acxPODate = "2026-06-01"

func (w *acxWorld) next() int { return int(w.seq.Add(1)) }

// on is w for a subtest: its failures are t's. The copy shares the
// sequence; what a column changes in it (A's name) is its own.
func (w *acxWorld) on(t *testing.T) *acxWorld {
	cw, ce := *w, *w.e
	ce.t = t
	cw.e, cw.t = &ce, t
	return &cw
}

// eventsBy counts the events appended by principal (its ID).
func (w *acxWorld) eventsBy(principal string) int {
	w.t.Helper()
	var n int
	if err := w.e.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE actor = $1`, principal).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// ok runs a set-up command as admin; it must succeed.
func (w *acxWorld) ok(method, path string, body any) resp {
	w.t.Helper()
	r := w.e.do(method, path, w.setup, body)
	// The callers of a phase set up in parallel, many on account A: a
	// command still conflicting after the service's own attempts answers
	// 409, which says to retry, and a client does.
	for try := 1; r.status == http.StatusConflict && try < 5; try++ {
		time.Sleep(time.Duration(try*20) * time.Millisecond)
		r = w.e.do(method, path, w.setup, body)
	}
	if r.status != http.StatusOK && r.status != http.StatusCreated {
		w.t.Fatalf("set-up %s %s: %d %s", method, path, r.status, r.raw)
	}
	return r
}

// registerBody is a valid RegisterAccount body for a fresh account.
func (w *acxWorld) registerBody(name string) map[string]any {
	return map[string]any{"name": name, "primary_domain": "fresh.example", "address": map[string]any{"country": "DE", "city": "Bonn"}}
}

func (w *acxWorld) register(name, dom, country, vat string) string {
	w.t.Helper()
	b := map[string]any{"name": name, "primary_domain": dom, "address": map[string]any{"country": country, "city": "Capital"}, "vat_number": vat}
	return w.ok("POST", "/v1/accounts", b).body["id"].(string)
}

func (w *acxWorld) freshAccount() string {
	return w.register(fmt.Sprintf("Fresh Account %d GmbH", w.next()), "fresh.example", "DE", "")
}

func (w *acxWorld) domainOf(id string) string {
	switch id {
	case w.A:
		return "alder.example"
	case w.B:
		return "birch.example"
	}
	return "fresh.example"
}

// accountFor is the account a caller's account command acts on, and its
// name: a fresh one for staff expecting success, A for everyone else.
func (w *acxWorld) accountFor(c *acxCaller, fresh bool) (string, string) {
	if fresh && c.kind == domain.KindStaff {
		name := fmt.Sprintf("Fresh Account %d GmbH", w.next())
		return w.register(name, "fresh.example", "DE", ""), name
	}
	return w.A, w.nameA
}

func (w *acxWorld) freshAccountContact(id string) string {
	n := w.next()
	return w.ok("POST", "/v1/accounts/"+id+"/contacts", acContactBody(fmt.Sprintf("Fay Fresh %d", n), fmt.Sprintf("fay%d@%s", n, w.domainOf(id)), "restricted", "technical")).body["id"].(string)
}

func (w *acxWorld) freshPartnerContact(org string) string {
	n := w.next()
	return w.ok("POST", "/v1/partners/"+org+"/contacts", acContactBody(fmt.Sprintf("Pia Fresh %d", n), fmt.Sprintf("pia%d@partner.example", n), "restricted", "sales_agent")).body["id"].(string)
}

// partnerOrg registers partner id with its status, kinds and contacts
// (C-900001 an unrestricted org admin, then the extra ones given as
// role/access pairs, numbered on).
func (w *acxWorld) partnerOrg(id, status string, kinds []string, extra ...[2]string) {
	evs := []domain.Event{partner.PartnerRegistered{PartnerID: id, Name: "Partner " + id, Kinds: kinds, Address: partner.Address{Country: "DE"}, Region: "EMEA", Status: status},
		partner.PartnerContactAdded{PartnerID: id, ContactID: "C-900001", Name: "Pat Partner", Email: "pat@partner.example", Roles: []string{domain.ContactOrgAdmin}, Access: domain.AccessUnrestricted}}
	for i, x := range extra {
		evs = append(evs, partner.PartnerContactAdded{PartnerID: id, ContactID: fmt.Sprintf("C-%06d", 900002+i), Name: fmt.Sprintf("Pat Partner %d", i+2),
			Email: fmt.Sprintf("pat%d@partner.example", i+2), Roles: []string{x[0]}, Access: x[1]})
	}
	w.e.appendEvents(partner.StreamID(id), evs...)
}

func (w *acxWorld) freshPartner(status string, kinds ...string) string {
	if len(kinds) == 0 {
		kinds = []string{partner.KindResellerIndirect}
	}
	id := fmt.Sprintf("71%04dHQ", w.next())
	w.partnerOrg(id, status, kinds)
	return id
}

// freshHeldAccount registers an account whose name is on the sample
// restricted-party list: it is held on registration.
func (w *acxWorld) freshHeldAccount() string {
	return w.register("Eastern Horizon Trading LLC", "eastern.example", "AE", "")
}

func (w *acxWorld) freshHeldPartner() string {
	return w.ok("POST", "/v1/partners", map[string]any{"name": "Northern Star Logistics Ltd", "kinds": []string{partner.KindResellerDirect},
		"address": map[string]any{"country": "GB"}, "status": "active"}).body["id"].(string)
}

// order submits an order of P (through D) or of another partner, as admin
// on its behalf, for customer.
func (w *acxWorld) order(partnerID, distributor, customer, po string) string {
	b := orderBody(customer, po, orderLine("WS-ENT", 100), orderLine("WS-STD", 100))
	b["po_date"], b["partner_id"] = acxPODate, partnerID
	if distributor != "" {
		b["distributor_id"], b["distributor_po_number"] = distributor, "D"+po
	}
	return w.ok("POST", "/v1/orders", b).body["id"].(string)
}

func (w *acxWorld) freshOrder(customer string) string {
	return w.order(w.P, "", customer, fmt.Sprintf("PO-FRESH-%d", w.next()))
}

// fulfil fulfils an order and returns its licenses and invoice.
func (w *acxWorld) fulfil(number string) ([]string, string) {
	w.t.Helper()
	w.ok("POST", "/v1/orders/"+number+"/fulfil", map[string]any{})
	ctx := context.Background()
	rows, err := w.e.app.Pool.Query(ctx, `SELECT data->>'license_id' FROM events WHERE event_type = 'license.issued' AND data->>'source_order' = $1 ORDER BY position`, number)
	if err != nil {
		w.t.Fatal(err)
	}
	var lics []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			w.t.Fatal(err)
		}
		lics = append(lics, l)
	}
	if err := rows.Err(); err != nil || len(lics) == 0 {
		w.t.Fatalf("licenses of %s: %v %v", number, lics, err)
	}
	var inv string
	if err := w.e.app.Pool.QueryRow(ctx, `SELECT data->>'invoice_number' FROM events WHERE event_type = 'invoice.issued' AND data->>'order_number' = $1`, number).Scan(&inv); err != nil {
		w.t.Fatalf("invoice of %s: %v", number, err)
	}
	return lics, inv
}

func (w *acxWorld) freshLicense(customer string) string {
	lics, _ := w.fulfil(w.freshOrder(customer))
	return lics[0]
}

func (w *acxWorld) freshContract() string {
	return w.ok("POST", "/v1/contracts", acxContractBody("enterprise", w.freshAccount())).body["id"].(string)
}

// freshCase opens a case on A as token (requester: "" for the caller
// itself; staff name a customer contact).
func (w *acxWorld) freshCase(token, requester string) string {
	w.t.Helper()
	b := map[string]any{"request_type": "general", "subject": "other", "account_id": w.A, "description": "Please help"}
	if requester != "" {
		b["requester"] = requester
	}
	r := w.e.do("POST", "/v1/cases", token, b)
	if r.status != http.StatusCreated {
		w.t.Fatalf("set-up: open case: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

// approvedTransferCase opens a transfer case on A for its contact
// C-000501 and approves it without a proposal: the authority a staff
// transfer names, good for one transfer.
func (w *acxWorld) approvedTransferCase() string {
	w.t.Helper()
	n := w.ok("POST", "/v1/cases", map[string]any{"request_type": "licensing", "subject": "transfer", "account_id": w.A,
		"description": "Please transfer", "requester": "customer:" + w.A + "/C-000501"}).body["id"].(string)
	w.ok("POST", "/v1/cases/"+n+"/approve", map[string]any{})
	return n
}

func acxCaseBody(c *acxCaller, account string) map[string]any {
	b := map[string]any{"request_type": "general", "subject": "other", "account_id": account, "description": "Please help"}
	if c.kind == domain.KindStaff {
		b["requester"] = "customer:" + account + "/C-000501"
	}
	return b
}

func acxContractBody(program, account string) map[string]any {
	return map[string]any{"program": program, "account_id": account, "primary_admin": "C-000501", "discount_level": 3,
		"term_start": "2025-01-01", "term_end": "2027-12-31"}
}

func acxRenameBody(dom, oldName, newName string) map[string]any {
	return map[string]any{"new_name": newName, "evidence": map[string]any{
		"email_confirmation": map[string]any{"from": "legal@" + dom, "reference": "MSG-1"},
		"document":           map[string]any{"kind": "legal_document", "reference": "REG-1", "old_name": oldName, "new_name": newName},
	}}
}

func acxSplitBody(dom string) map[string]any {
	return map[string]any{"parts": []map[string]any{{"quantity": 60}, {"quantity": 40}},
		"email_authorisation": map[string]any{"from": "it@" + dom, "reference": "MSG-42"}}
}

// acxAccountRow is an account command with the usual cells (staff and
// the customer's unrestricted contact; nobody else), on A or a fresh
// account.
func acxAccountRow(route, ok string, body func(w *acxWorld) any) acxRow {
	_, rest, _ := strings.Cut(route, "/{id}")
	return acxRow{route: route, notes: []string{"staff-commands", "unrestricted-changes", "partner-account", "never-reveal"},
		cells: acxUnauth + ok + "|" + ok + "|403|403|403|403|403|403|403|403|" + ok + "|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			id, _ := w.accountFor(c, fresh)
			return acxReq{"/v1/accounts/" + id + rest, body(w)}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/accounts/" + w.B + rest, body(w)} }}}
}

// acxOp asks path and looks at the status only.
func acxOp(path string) *acxQuery {
	return &acxQuery{operation: true, own: func(*acxWorld, *acxCaller) string { return path }}
}

// acxList asks a list: own (and other, if not nil) as the caller, and
// looks for the marks in the answers.
func acxList(own, other func(*acxWorld, *acxCaller) string, ownMark func(*acxWorld, *acxCaller) string, otherMark func(*acxWorld) string) *acxQuery {
	return &acxQuery{own: own, other: other, ownMark: ownMark, otherMark: otherMark}
}

func acxMarkAccount(w *acxWorld, c *acxCaller) string { return w.A }

// buildAcxWorld builds the world through the API (and, for partner
// organisations, whose registration is not under test, straight events).
func buildAcxWorld(t *testing.T, e *env) *acxWorld {
	w := &acxWorld{e: e, t: t, tok: map[string]string{}, seq: new(atomic.Int64), sent: new(atomic.Int64)}
	w.setup = e.token(auth.Staff("setup", domain.RoleAdmin))
	w.nameA = "Alder Analytics GmbH"
	w.A = w.register(w.nameA, "alder.example", "DE", "DE811111111")
	w.B = w.register("Birch Biotech AB", "birch.example", "SE", "SE556677889901")
	w.P, w.Q, w.D, w.D2, w.X = "700101HQ", "700102HQ", "700103HQ", "700104HQ", "700106HQ"
	w.partnerOrg(w.P, domain.PartnerActive, []string{partner.KindResellerIndirect, partner.KindAdvisor},
		[2]string{domain.ContactBusinessExecutive, domain.AccessUnrestricted}, // C-900002
		[2]string{domain.ContactSalesAgent, domain.AccessUnrestricted},        // C-900003
		[2]string{domain.ContactOrgAdmin, domain.AccessRestricted},            // C-900004
		[2]string{domain.ContactSalesAgent, domain.AccessRestricted})          // C-900005, spare
	spare := [2]string{domain.ContactSalesAgent, domain.AccessRestricted} // C-900002
	w.partnerOrg(w.Q, domain.PartnerActive, []string{partner.KindResellerIndirect}, spare)
	w.partnerOrg(w.D, domain.PartnerActive, []string{partner.KindDistributor}, spare)
	w.partnerOrg(w.D2, domain.PartnerActive, []string{partner.KindDistributor})
	w.partnerOrg(w.X, domain.PartnerActive, []string{partner.KindResellerIndirect}, spare)
	w.Y = "700107HQ"
	w.partnerOrg(w.Y, domain.PartnerActive, []string{partner.KindResellerIndirect}, spare)
	for _, c := range []struct{ account, id, access string }{{w.A, "C-000501", domain.AccessUnrestricted}, {w.A, "C-000502", domain.AccessRestricted}, {w.A, "C-000509", domain.AccessRestricted}, {w.B, "C-000503", domain.AccessUnrestricted}} {
		e.appendEvents(account.StreamID(c.account), account.ContactAdded{AccountID: c.account, ContactID: c.id, Name: "Cus Tomer " + c.id,
			Email: strings.ToLower(c.id) + "@" + w.domainOf(c.account), Roles: []string{domain.ContactOrgAdmin, domain.ContactTechnical}, Access: c.access})
	}
	w.H = w.freshHeldAccount()
	heldContact := acContact(t, e, "/v1/accounts/"+w.H, w.setup, acContactBody("Hana Held", "hana@eastern.example", "unrestricted", "org_admin"))
	heldPartner := w.freshHeldPartner()
	heldPartnerContact := acContact(t, e, "/v1/partners/"+heldPartner, w.setup, acContactBody("Pat Held", "pat@northern.example", "unrestricted", "org_admin"))

	// Orders, licenses, invoices.
	w.ord1 = w.order(w.P, w.D, w.A, "PO-ALPHA-1")
	w.ord2 = w.order(w.P, w.D, w.A, "PO-ALPHA-2")
	w.ord3 = w.order(w.Q, w.D2, w.B, "PO-BRAVO-1")
	w.ord3b = w.order(w.Q, "", w.B, "PO-BRAVO-2")
	w.ordX = w.order(w.X, "", w.A, "PO-XRAY-1")
	w.ordXf = w.order(w.X, "", w.A, "PO-XRAY-2")
	w.ordY = w.order(w.Y, "", w.A, "PO-YANKEE-1")
	w.ordYf = w.order(w.Y, "", w.A, "PO-YANKEE-2")
	var lics []string
	lics, w.inv1 = w.fulfil(w.ord1)
	w.lic1, w.lic1b = lics[0], lics[1]
	lics, w.inv3 = w.fulfil(w.ord3)
	w.lic3 = lics[0]
	lics, w.invX = w.fulfil(w.ordXf)
	w.licX = lics[0]
	lics, w.invY = w.fulfil(w.ordYf)
	w.licY = lics[0]
	w.ok("POST", "/v1/partners/"+w.X+"/status", map[string]any{"status": "expired", "reason": "program agreement ended"})
	w.ok("POST", "/v1/partners/"+w.Y+"/status", map[string]any{"status": "prospect", "reason": "back to the application stage"})
	w.ok("POST", "/v1/licenses/"+w.licY+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": "keepy.alder.example", "quantity": 1})
	w.ok("POST", "/v1/licenses/"+w.lic1+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": "keep.alder.example", "quantity": 1})
	w.ok("POST", "/v1/licenses/"+w.lic1b+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": "keepb.alder.example", "quantity": 1})
	w.ok("POST", "/v1/licenses/"+w.licX+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": "keepx.alder.example", "quantity": 1})
	w.ok("POST", "/v1/licenses/"+w.lic3+"/allocations", map[string]any{"host_id_type": "hostname", "host_id": "keep.birch.example", "quantity": 1})

	// Agreements, rights, tags.
	w.ctA = w.ok("POST", "/v1/contracts", acxContractBody("enterprise", w.A)).body["id"].(string)
	w.ctB = w.ok("POST", "/v1/contracts", map[string]any{"program": "enterprise", "account_id": w.B, "primary_admin": "C-000503", "discount_level": 3,
		"term_start": "2025-01-01", "term_end": "2027-12-31"}).body["id"].(string)
	w.ok("POST", "/v1/contracts/"+w.ctA+"/manage-rights", map[string]any{"partner_id": w.P})
	w.ok("POST", "/v1/contracts/"+w.ctB+"/manage-rights", map[string]any{"partner_id": w.Q})
	w.ok("POST", "/v1/accounts/"+w.A+"/view-rights", map[string]any{"partner_id": w.P, "scope": "all"})
	w.ok("POST", "/v1/accounts/"+w.B+"/view-rights", map[string]any{"partner_id": w.Q, "scope": "all"})
	w.ok("POST", "/v1/accounts/"+w.A+"/renewal-partner", map[string]any{"partner_id": w.P})
	w.ok("POST", "/v1/accounts/"+w.A+"/tags", map[string]any{"tag": "keep"})
	w.ok("POST", "/v1/accounts/"+w.B+"/tags", map[string]any{"tag": "keep"})

	// Tokens.
	tok := w.tok
	tok["admin"] = e.token(auth.Staff("ada-matrix", domain.RoleAdmin))
	tok["support"] = e.token(auth.Staff("sam-matrix", domain.RoleSupport))
	tok["compliance"] = e.token(auth.Staff("cora-matrix", domain.RoleCompliance))
	tok["auditor"] = e.token(auth.Staff("audrey-matrix", domain.RoleAuditor))
	for col, c := range map[string]string{"p_admin": "C-900001", "p_exec": "C-900002", "p_sales": "C-900003", "p_restricted": "C-900004"} {
		tok[col] = e.token(auth.PartnerContact(w.P, c))
	}
	tok["p_expired"] = e.token(auth.PartnerContact(w.X, "C-900001"))
	tok["dist"] = e.token(auth.PartnerContact(w.D, "C-900001"))
	tok["c_admin"] = e.token(auth.CustomerContact(w.A, "C-000501"))
	tok["c_restricted"] = e.token(auth.CustomerContact(w.A, "C-000502"))
	tok["held"] = e.token(auth.CustomerContact(w.H, heldContact))
	actors := map[string]string{"admin": "staff:ada-matrix", "support": "staff:sam-matrix", "compliance": "staff:cora-matrix", "auditor": "staff:audrey-matrix",
		"p_admin": auth.PartnerContact(w.P, "C-900001").ID, "p_exec": auth.PartnerContact(w.P, "C-900002").ID,
		"p_sales": auth.PartnerContact(w.P, "C-900003").ID, "p_restricted": auth.PartnerContact(w.P, "C-900004").ID,
		"p_expired": auth.PartnerContact(w.X, "C-900001").ID, "dist": auth.PartnerContact(w.D, "C-900001").ID,
		"c_admin": auth.CustomerContact(w.A, "C-000501").ID, "c_restricted": auth.CustomerContact(w.A, "C-000502").ID,
		"held": auth.CustomerContact(w.H, heldContact).ID}
	custB := e.token(auth.CustomerContact(w.B, "C-000503"))

	// Cases: of A by its admin and by P; of B; two waiting for an answer.
	w.caseA = w.freshCase(tok["c_admin"], "")
	w.casePA = w.freshCase(tok["p_admin"], "")
	w.caseB = w.openCaseOn(custB, w.B)
	w.wCaseA = w.freshCase(tok["c_admin"], "")
	w.wCasePA = w.freshCase(tok["p_admin"], "")
	for _, n := range []string{w.wCaseA, w.wCasePA} {
		w.ok("POST", "/v1/cases/"+n+"/request-info", map[string]any{"what": "the signed letter"})
	}

	// Bad tokens: one never issued, one expired, one revoked.
	expired, _, err := e.app.Tokens.Create(context.Background(), auth.Staff("expired", domain.RoleAdmin), time.Nanosecond, "")
	if err != nil {
		t.Fatal(err)
	}
	revoked, info, err := e.app.Tokens.Create(context.Background(), auth.Staff("revoked", domain.RoleAdmin), time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Tokens.Revoke(context.Background(), info.ID); err != nil {
		t.Fatal(err)
	}

	for _, col := range acxColumns {
		c := &acxCaller{col: col.key, token: tok[col.key], actor: actors[col.key], org: w.P, spareContact: "C-900005", keep: "keep.alder.example", orgStatus: domain.PartnerActive,
			order: w.ord1, openOrder: w.ord2, license: w.lic1, spare: w.lic1b, invoice: w.inv1, kase: w.caseA, waitingCase: w.wCaseA}
		switch col.key {
		case "none":
		case "bad":
			c.tokens = []string{"cdk_nonsense_" + strings.Repeat("x", 43), expired, revoked}
		case "admin", "support", "compliance", "auditor":
			// Their own license is A's second one: fewer writers on
			// the first at once.
			c.kind, c.license, c.keep = domain.KindStaff, w.lic1b, "keepb.alder.example"
		case "p_admin", "p_exec", "p_sales", "p_restricted":
			c.kind, c.kase, c.waitingCase = domain.KindPartner, w.casePA, w.wCasePA
		case "p_expired":
			c.kind, c.org, c.order, c.openOrder, c.license, c.spare, c.invoice = domain.KindPartner, w.X, w.ordXf, w.ordX, w.licX, w.licX, w.invX
			c.spareContact, c.keep, c.orgStatus = "C-900002", "keepx.alder.example", domain.PartnerExpired
			y := *c
			y.token, y.actor = e.token(auth.PartnerContact(w.Y, "C-900001")), auth.PartnerContact(w.Y, "C-900001").ID
			y.org, y.order, y.openOrder, y.license, y.spare, y.invoice = w.Y, w.ordYf, w.ordY, w.licY, w.licY, w.invY
			y.keep, y.orgStatus = "keepy.alder.example", domain.PartnerProspect
			c.alts = []*acxCaller{&y}
		case "dist":
			c.kind, c.org, c.spareContact = domain.KindPartner, w.D, "C-900002"
		case "c_admin", "c_restricted":
			c.kind = domain.KindCustomer
		case "held":
			c.kind, c.held = domain.KindCustomer, true
			c.tokens = []string{tok["held"], e.token(auth.PartnerContact(heldPartner, heldPartnerContact))}
		}
		w.callers = append(w.callers, c)
	}
	return w
}

func (w *acxWorld) openCaseOn(token, accountID string) string {
	r := w.e.do("POST", "/v1/cases", token, map[string]any{"request_type": "general", "subject": "other", "account_id": accountID, "description": "Please help"})
	if r.status != http.StatusCreated {
		w.t.Fatalf("set-up: open case on %s: %d %s", accountID, r.status, r.raw)
	}
	return r.body["id"].(string)
}

// acxAnswer is what one answer says, as a cell writes it: the status, and
// "hold" for an embargo denial (with retry_after), the problem code for
// the other refusals.
func acxAnswer(r resp) string {
	switch {
	case r.status == http.StatusForbidden && r.body["code"] == "embargo_hold":
		if s, _ := r.body["retry_after"].(string); s == "" || r.header.Get("Retry-After") == "" {
			return "403 hold without retry_after"
		}
		return "403 hold"
	case r.status == http.StatusForbidden && r.body["code"] != "forbidden",
		r.status == http.StatusNotFound && r.body["code"] != "not_found" && r.body["code"] != nil,
		r.status == http.StatusUnauthorized && r.body["code"] != "unauthenticated":
		return fmt.Sprintf("%d %v", r.status, r.body["code"])
	case r.status >= 400 && r.status != 401 && r.status != 403 && r.status != 404:
		return fmt.Sprintf("%d %v", r.status, r.body["code"])
	}
	return fmt.Sprint(r.status)
}

// acxCell is one cell's expectation and how it went.
type acxCell struct {
	row    *acxRow
	c      *acxCaller
	want   string
	got    string
	detail string
}

// key names the cell as acxKnown does.
func (x *acxCell) key() string { return x.row.route + " | " + x.c.col }

// wantsSuccess reports whether the cell expects a command to be accepted.
func (x *acxCell) wantsSuccess() bool { return x.want == "200" || x.want == "201" }

// ask runs one cell.
func (w *acxWorld) ask(x *acxCell) {
	method, _, _ := strings.Cut(x.row.route, " ")
	c := x.c
	if group := c.group(); len(group) > 0 {
		var got []string
		for _, cc := range group {
			one := &acxCell{row: x.row, c: cc, want: x.want}
			w.ask(one)
			got = append(got, one.got)
			x.detail += one.detail
		}
		x.got = got[0]
		if slices.ContainsFunc(got, func(s string) bool { return s != got[0] }) {
			x.got = strings.Join(got, " / ")
		}
		return
	}
	if q := x.row.query; q != nil {
		w.askQuery(x, q)
		return
	}
	w.askCommand(x, method)
}

// askQuery asks a query cell: the caller's own request, then the other
// party's (when it is another request), and names what was seen.
func (w *acxWorld) askQuery(x *acxCell, q *acxQuery) {
	c := x.c
	path := q.own(w, c)
	r := w.e.do("GET", path, c.token, nil)
	w.sent.Add(1)
	x.got = acxAnswer(r)
	x.detail = fmt.Sprintf("GET %s: %d %.300s", path, r.status, r.raw)
	if q.operation || r.status != http.StatusOK && !(q.single && r.status == http.StatusNotFound) {
		return
	}
	if c.kind == "" || c.held {
		return
	}
	ownSeen := r.status == http.StatusOK && strings.Contains(string(r.raw), q.ownMark(w, c))
	otherSeen := strings.Contains(string(r.raw), q.otherMark(w))
	if q.other != nil {
		op := q.other(w, c)
		ro := w.e.do("GET", op, c.token, nil)
		w.sent.Add(1)
		otherSeen = ro.status == http.StatusOK && strings.Contains(string(ro.raw), q.otherMark(w))
		x.detail += fmt.Sprintf("; GET %s: %d %.300s", op, ro.status, ro.raw)
		if q.single && !otherSeen && ro.status != http.StatusNotFound {
			defer func() { x.got += fmt.Sprintf(" (other: %s)", acxAnswer(ro)) }()
		}
	}
	want := strings.TrimPrefix(x.want, "200 ")
	switch {
	case ownSeen && otherSeen:
		x.got = "200 all"
	case ownSeen && (want == "own" || want == "rel"):
		x.got = "200 " + want
	case ownSeen:
		x.got = "200 own"
	case otherSeen:
		x.got = "200 other's only"
	case q.single:
		x.got = "404"
	default:
		x.got = "200 empty"
	}
}

// askCommand asks a command cell: on the caller's own resource (a fresh
// one when the cell expects success), then, for callers outside the
// staff, on the other party's, and if that is no 404, on a missing one.
func (w *acxWorld) askCommand(x *acxCell, method string) {
	c := x.c
	req := x.row.cmd.own(w, c, x.wantsSuccess())
	before := w.eventsBy(c.actor)
	r := w.e.do(method, req.path, c.token, req.body)
	w.sent.Add(1)
	x.got = acxAnswer(r)
	x.detail = fmt.Sprintf("%s %s: %d %.300s", method, req.path, r.status, r.raw)
	if r.status >= 300 {
		if n := w.eventsBy(c.actor); n != before {
			x.got += fmt.Sprintf(" (+%d events)", n-before)
		}
	}
	if c.kind == domain.KindStaff || c.kind == "" || c.held || x.row.cmd.other == nil {
		return
	}
	o := x.row.cmd.other(w)
	before = w.eventsBy(c.actor)
	ro := w.e.do(method, o.path, c.token, o.body)
	w.sent.Add(1)
	x.detail += fmt.Sprintf("; other %s %s: %d %.300s", method, o.path, ro.status, ro.raw)
	if ro.status == http.StatusNotFound && w.eventsBy(c.actor) == before {
		return
	}
	// Does the answer tell that the other party's resource exists? The
	// same request on one that exists nowhere says.
	m := w.missing(o)
	rm := w.e.do(method, m.path, c.token, m.body)
	w.sent.Add(1)
	x.detail += fmt.Sprintf("; missing %s %s: %d %.300s", method, m.path, rm.status, rm.raw)
	n := w.eventsBy(c.actor)
	if n == before && acxAnswer(ro) == acxAnswer(rm) {
		return // the same answer as for nothing: it tells nothing
	}
	x.got += fmt.Sprintf(" (other: %s; a missing one: %s)", acxAnswer(ro), acxAnswer(rm))
	if n != before {
		x.got += fmt.Sprintf(" (+%d events)", n-before)
	}
}

// missing is o with the other party's identifiers replaced by ones of the
// same form that exist nowhere.
func (w *acxWorld) missing(o acxReq) acxReq {
	r := strings.NewReplacer(w.B, "999999ZZ", w.Q, "999998ZZ", w.ord3b, "ORD-9999999", w.ctB, "ELA-999999",
		w.lic3, "LIC-9999999", w.caseB, "CASE-999999")
	m := acxReq{path: r.Replace(o.path)}
	if o.body != nil {
		j, err := json.Marshal(o.body)
		if err != nil {
			w.t.Fatal(err)
		}
		m.body = r.Replace(string(j))
	}
	return m
}

// TestAccessMatrix: see the comment at the top of the file.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	for i, row := range acxRows {
		if n := len(strings.Split(row.cells, "|")); n != len(acxColumns) {
			t.Fatalf("row %d %s: %d cells for %d columns", i, row.route, n, len(acxColumns))
		}
	}
	acxCheckDoc(t)

	e := start(t, func(c *app.Config) {
		// Hundreds of requests a caller in a few seconds: the rate limit
		// is another test's subject.
		c.RateLimit.PerSecond = -1
	})
	w := buildAcxWorld(t, e)

	// Every read model has the world before the queries are asked.
	last := e.lastPosition()
	for _, p := range []string{"/v1/customers?", "/v1/orders?po=x&", "/v1/contracts?company=x&", "/v1/licenses?", "/v1/activity?"} {
		if r := e.do("GET", p+"min_position="+last, w.setup, nil); r.status != http.StatusOK {
			t.Fatalf("wait for %s: %d %s", p, r.status, r.raw)
		}
	}

	// Three phases, each walked by every caller at once, one row after
	// another: the queries (nothing changes), the commands, and last the
	// commands whose acceptance would change what the callers are related
	// to (the renewal partner, the merge).
	var phases [3][]int
	for i, row := range acxRows {
		switch {
		case row.query != nil:
			phases[0] = append(phases[0], i)
		case strings.Contains(row.route, "/renewal-partner") || strings.HasSuffix(row.route, "/merge"):
			phases[2] = append(phases[2], i)
		default:
			phases[1] = append(phases[1], i)
		}
	}
	var mu sync.Mutex
	cells, failed := 0, 0
	seenKnown := map[string]bool{}
	for p, rows := range phases {
		t.Run(fmt.Sprintf("phase%d", p+1), func(t *testing.T) {
			for j, c := range w.callers {
				t.Run(c.col, func(t *testing.T) {
					t.Parallel()
					cw := w.on(t)
					for _, i := range rows {
						row := &acxRows[i]
						x := &acxCell{row: row, c: c, want: strings.Split(row.cells, "|")[j]}
						cw.ask(x)
						mu.Lock()
						cells++
						k, known := acxKnown[x.key()]
						switch {
						case x.got == x.want && known:
							t.Errorf("%s: answers %q as the matrix says; remove it from acxKnown", x.key(), x.got)
						case x.got == x.want:
						case known && k == x.got:
							seenKnown[x.key()] = true
						default:
							failed++
							t.Errorf("%s: want %q, got %q\n\t%s", x.key(), x.want, x.got, x.detail)
						}
						mu.Unlock()
					}
				})
			}
		})
	}
	t.Logf("access matrix: %d cells (%d rows × %d callers) tested with %d requests, %d differ from the matrix, %d known disagreements",
		cells, len(acxRows), len(acxColumns), w.sent.Load(), failed, len(seenKnown))
}

// The generated part of docs/ACCESS.md lies between these markers.
const (
	acxBegin = "<!-- BEGIN MATRIX: generated from api/access_matrix_test.go by `go test ./api -run TestAccessMatrix -update`; do not edit -->"
	acxEnd   = "<!-- END MATRIX -->"
)

const acxDoc = "../docs/ACCESS.md"

// acxCheckDoc compares the generated part of docs/ACCESS.md with the
// matrix (or rewrites it, with -update).
func acxCheckDoc(t *testing.T) {
	raw, err := os.ReadFile(acxDoc)
	if err != nil {
		t.Fatalf("read %s: %v", acxDoc, err)
	}
	before, rest, ok1 := bytes.Cut(raw, []byte(acxBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(acxEnd))
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", acxDoc, acxBegin, acxEnd)
	}
	gen := acxGenerate()
	if *acxUpdate {
		out := slices.Concat(before, []byte(acxBegin), []byte(gen), []byte(acxEnd), after)
		if err := os.WriteFile(acxDoc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got, _, _ := bytes.Cut(rest, []byte(acxEnd)); string(got) != gen {
		t.Fatalf("%s is not the matrix of access_matrix_test.go: run go test ./api -run TestAccessMatrix -update", acxDoc)
	}
}

// acxGenerate writes the matrix, its notes and the known disagreements as
// Markdown.
func acxGenerate() string {
	var b strings.Builder
	num := map[string]int{}
	for i, n := range acxNotes {
		num[n.key] = i + 1
	}
	b.WriteString("\n\n| endpoint |")
	for _, c := range acxColumns {
		b.WriteString(" " + c.title + " |")
	}
	b.WriteString(" notes |\n|---|")
	for range acxColumns {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, r := range acxRows {
		b.WriteString("| `" + r.route + "` |")
		for _, cell := range strings.Split(r.cells, "|") {
			b.WriteString(" " + cell + " |")
		}
		var ids []int
		for _, k := range r.notes {
			ids = append(ids, num[k])
		}
		slices.Sort(ids)
		var ns []string
		for _, n := range ids {
			ns = append(ns, fmt.Sprintf("[%d](#n%d)", n, n))
		}
		b.WriteString(" " + strings.Join(ns, " ") + " |\n")
	}
	b.WriteString("\n### Notes\n\n")
	for i, n := range acxNotes {
		fmt.Fprintf(&b, "<a id=\"n%d\"></a>%d. %s\n", i+1, i+1, n.text)
	}
	b.WriteString("\n### Where the server answers otherwise (known; the test fails when one changes)\n\n")
	if len(acxDisagreements) == 0 {
		b.WriteString("None.\n")
	} else {
		want := map[string]string{}
		for _, r := range acxRows {
			for j, cell := range strings.Split(r.cells, "|") {
				want[r.route+" | "+acxColumns[j].key] = cell
			}
		}
		title := map[string]string{}
		for _, c := range acxColumns {
			title[c.key] = c.title
		}
		b.WriteString("| endpoints | callers | the documents | the server | why |\n|---|---|---|---|---|\n")
		for _, d := range acxDisagreements {
			var routes, cols, wants []string
			for _, r := range d.routes {
				routes = append(routes, "`"+r+"`")
			}
			for _, c := range d.cols {
				cols = append(cols, title[c])
			}
			if d.cols == nil {
				cols = []string{"every caller"}
			}
			for k, v := range acxKnown {
				if v == d.got && slices.ContainsFunc(d.routes, func(r string) bool { return strings.HasPrefix(k, r+" | ") }) && !slices.Contains(wants, want[k]) {
					wants = append(wants, want[k])
				}
			}
			slices.Sort(wants)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", strings.Join(routes, "<br>"), strings.Join(cols, ", "), strings.Join(wants, ", "), d.got, d.why)
		}
		fmt.Fprintf(&b, "\n%d cells in all.\n", len(acxKnown))
	}
	b.WriteString("\n")
	return b.String()
}

// acxStaffCaseStep is the row of a case step only staff take
// (request-info, approve, reject): on the caller's case (a fresh one of
// the customer's admin when the cell succeeds) with body own, and on the
// other customer's case with body other.
func acxStaffCaseStep(step string, own, other map[string]any) acxRow {
	return acxRow{route: "POST /v1/cases/{number}/" + step, notes: []string{"staff-commands", "case-staff", "cases-read", "never-reveal"},
		cells: acxUnauth + "200|200|403|403|403|403|403|403|403|403|403|403" + acxHeld,
		cmd: &acxCommand{own: func(w *acxWorld, c *acxCaller, fresh bool) acxReq {
			n := c.kase
			if fresh {
				n = w.freshCase(w.tok["c_admin"], "")
			}
			return acxReq{"/v1/cases/" + n + "/" + step, own}
		}, other: func(w *acxWorld) acxReq { return acxReq{"/v1/cases/" + w.caseB + "/" + step, other} }}}
}
