package api

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/eventschema"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/licenses"
	"github.com/channeldesk/channeldesk/projections/orders"
)

// The tags of the document, in order.
var apiTags = []any{
	map[string]any{"name": "accounts", "description": "Customer accounts: commands and the account as the caller may see it."},
	map[string]any{"name": "customers", "description": "The customer list and its CSV export."},
	map[string]any{"name": "partners", "description": "Partner organisations and their contacts."},
	map[string]any{"name": "orders", "description": "Orders, distributor orders and invoices."},
	map[string]any{"name": "contracts", "description": "Contracts, associated customers and VAT numbers."},
	map[string]any{"name": "licenses", "description": "Licenses and their allocations."},
	map[string]any{"name": "cases", "description": "Support cases (the case workflow)."},
	map[string]any{"name": "activity", "description": "The activity log: one record per command, accepted or not."},
	map[string]any{"name": "events", "description": "The event feed: every recorded event with its envelope, for downstream systems and auditors."},
	map[string]any{"name": "operations", "description": "Health, readiness, metrics, read model state, this document and the event contract."},
}

// Problem statuses by kind of operation (500, and 401 and 403 where a token
// is needed, are added to every operation).
var (
	commandErrors = []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict,
		http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
	queryErrors = []int{http.StatusBadRequest, http.StatusServiceUnavailable}
	getErrors   = []int{http.StatusBadRequest, http.StatusNotFound, http.StatusServiceUnavailable}
)

// cmd is a command route: pattern, success status (201 for creations), its
// body's type (nil: no body, or an empty one or {}) and a summary.
func cmd[In any](pattern string, status int, summary string) apiOperation {
	op := apiOperation{Pattern: pattern, Command: true, Status: status, Summary: summary,
		Result: reflect.TypeFor[command.Result](), Errors: commandErrors, Tag: tagOf(pattern)}
	if t := reflect.TypeFor[In](); t != reflect.TypeFor[NoBody]() {
		op.Body = t
	} else {
		op.Description = "Takes no body (an empty body or `{}`)."
	}
	return op
}

func tagOf(pattern string) string {
	for _, t := range []struct{ prefix, tag string }{
		{"/v1/accounts", "accounts"}, {"/v1/partners", "partners"}, {"/v1/orders", "orders"}, {"/v1/contracts", "contracts"},
		{"/v1/licenses", "licenses"}, {"/v1/cases", "cases"},
	} {
		if _, path, _ := strings.Cut(pattern, " "); strings.HasPrefix(path, t.prefix) {
			return t.tag
		}
	}
	return ""
}

// Query parameters.
func q(name, description string, schema map[string]any) apiParam {
	if schema == nil {
		schema = str(0)
	}
	return apiParam{Name: name, Description: description, Schema: schema}
}

func required(p apiParam) apiParam { p.Required = true; return p }

// Common list parameters (components).
var (
	pLimit       = apiParam{Name: "limit"}
	pCursor      = apiParam{Name: "cursor"}
	pMinPosition = apiParam{Name: "min_position"}
)

func str(maxLen int) map[string]any {
	if maxLen == 0 {
		return map[string]any{"type": "string"}
	}
	return map[string]any{"type": "string", "maxLength": maxLen}
}

func date() map[string]any { return map[string]any{"type": "string", "format": "date"} }

func enum(values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values}
}

// listOf is the body of a list of T: {"items": [...], "next_cursor": "..."}.
func listOf[T any]() reflect.Type { return reflect.TypeFor[page[T]]() }

// activityFilters are the filters of the activity log and its export.
var activityFilters = []apiParam{
	q("from", "First day (YYYY-MM-DD, UTC); default 30 days before today.", date()),
	q("to", "Last day, included (YYYY-MM-DD, UTC); default today.", date()),
	q("customer", "Customer account ID the records concern.", str(200)),
	q("actor", "Principal ID of the actor, e.g. staff:ada.", str(200)),
	q("operation", "The API.md command name, e.g. RenameCompany.", str(200)),
	q("resource", "Resource, e.g. order/ORD-0000001.", str(200)),
}

// customerFilters are the search parameters of the customer list.
var customerFilters = []apiParam{
	q("q", "Company name prefix: case-, accent- and punctuation-insensitive; finds former names too.", str(500)),
	q("domain", "Primary domain.", str(500)),
	q("relationship", "A partner's relationship with the customer, e.g. renewal_partner.", str(500)),
	q("tag", "A tag of the account.", str(500)),
}

// schemaNames name the component schemas of types whose Go name says
// too little in the document, or that two packages share.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[command.Result]():      "CommandResult",
	reflect.TypeFor[command.ResultEvent](): "CommandResultEvent",
	reflect.TypeFor[activity.Record]():     "ActivityRecord",
	reflect.TypeFor[activity.Change]():     "ActivityChange",
	reflect.TypeFor[order.Line]():          "OrderLineInput",
	reflect.TypeFor[orders.Line]():         "OrderLine",
	reflect.TypeFor[account.Document]():    "RenameDocument",
}

// fieldExtras adds what reflection cannot see to fields of the body types
// ("package.Type.json_name"); a key that names no field fails the build
// of the document.
var fieldExtras = map[string]map[string]any{
	"command.SubmitOrderInput.po_date":         date(),
	"command.FulfilOrderInput.due_date":        date(),
	"command.RegisterContractInput.term_start": date(),
	"command.RegisterContractInput.term_end":   date(),
	"orders.Order.po_date":                     date(),
	"orders.Invoice.issued_on":                 date(),
	"orders.Invoice.due_date":                  date(),
	"licenses.License.maintenance_end":         date(),
	"contracts.Contract.term_start":            date(),
	"contracts.Contract.term_end":              date(),
	"api.projectionView.state":                 enum(projections.StateStarting, projections.StateLive, projections.StateRebuilding),
	"activity.Record.status":                   enum(activity.StatusAccepted, activity.StatusRefused, activity.StatusDenied, activity.StatusInvalid, activity.StatusFailed),
	"customers.Customer.status":                enum("active", "merged"),
	"licenses.Case.status":                     enum(licenses.CaseStatuses...),
	"command.ResultEvent.id":                   {"format": "uuid"},
	"activity.Record.at":                       {"format": "date-time"},
}

// apiOperations is the table of the document: every route of the server,
// as registered (server.go, routes_*.go, queries_*.go), with its
// parameters, body and answers.
func apiOperations() []apiOperation {
	ops := []apiOperation{
		// Operations.
		{Pattern: "GET /healthz", ID: "Health", Summary: "The process is up.", Tag: "operations", Public: true,
			Content: map[string]apiContent{"application/json": {Schema: map[string]any{"type": "object",
				"properties": map[string]any{"status": map[string]any{"const": "ok"}}, "required": []string{"status"}, "additionalProperties": false}}}},
		{Pattern: "GET /readyz", ID: "Ready", Summary: "PostgreSQL and NATS are reachable and migrations applied.", Tag: "operations", Public: true,
			Content: map[string]apiContent{"application/json": {Schema: readySchema("ready")}},
			More:    map[int]apiResponse{http.StatusServiceUnavailable: {Description: "Not ready: `checks` says which dependency failed.", Schema: readySchema("not ready")}}},
		{Pattern: "GET /metrics", ID: "Metrics", Summary: "Prometheus metrics: requests by route and status, durations, read model positions and lag.", Tag: "operations", Public: true,
			Content: map[string]apiContent{
				"text/plain":                   {Schema: str(0), Description: "Prometheus text exposition format."},
				"application/openmetrics-text": {Schema: str(0), Description: "OpenMetrics, when the scraper asks for it."},
			}},
		{Pattern: "GET /openapi.json", ID: "OpenAPI", Summary: "This document (OpenAPI 3.1).", Tag: "operations", Public: true,
			Content: map[string]apiContent{"application/json": {Schema: map[string]any{"type": "object", "required": []string{"openapi", "info", "paths"}}}}},
		{Pattern: "GET /asyncapi.json", ID: "AsyncAPI", Summary: "The published event contract (AsyncAPI 3.0): NATS subjects, headers and a JSON Schema per event type and version.", Tag: "operations", Public: true,
			Content: map[string]apiContent{"application/json": {Schema: map[string]any{"type": "object", "required": []string{"asyncapi", "info", "channels", "operations", "components"},
				"properties": map[string]any{"asyncapi": map[string]any{"const": eventschema.AsyncAPIVersion}}}}}},
		{Pattern: "GET /v1/projections", ID: "ListProjections", Summary: "Each read model's position, lag in events and seconds, and state (staff only).", Tag: "operations",
			Query: []apiParam{pMinPosition}, Result: listOf[projectionView](), Errors: queryErrors},

		// Accounts and customers (queries).
		{Pattern: "GET /v1/accounts/{id}", ID: "GetAccount", Tag: "accounts",
			Summary:     "The account as the caller may see it.",
			Description: "An account ID merged into another answers with the survivor (`merged_from` lists the IDs merged into it that led here).",
			Query:       []apiParam{pMinPosition}, Result: reflect.TypeFor[accountView](), Errors: getErrors},
		{Pattern: "GET /v1/customers", ID: "ListCustomers", Tag: "customers", Summary: "The customers the caller may see, searched and paged.",
			Query: append(append([]apiParam{}, customerFilters...), pLimit, pCursor, pMinPosition), Result: listOf[customers.Customer](), Errors: queryErrors},
		{Pattern: "GET /v1/customers/export", ID: "ExportCustomers", Tag: "customers",
			Summary:     "The caller's full customer list as CSV, streamed.",
			Description: "Always the caller's full list: the list's search parameters are accepted and ignored. A partner gets one row per relationship.",
			Query: append(append([]apiParam{q("format", "csv, the default and only format.", enum("csv"))}, customerFilters...),
				q("limit", "Accepted and ignored.", str(0)), q("cursor", "Accepted and ignored.", str(0)), pMinPosition),
			Content: map[string]apiContent{"text/csv": {Schema: str(0), Description: "RFC 4180 CSV with a header row; tags joined with ';'.",
				Columns: []string{"account_id", "company_name", "primary_domain", "relationship", "tags"}}},
			Headers: map[string]string{"Content-Disposition": `attachment; filename="customers.csv"`}, Errors: queryErrors},

		// Account commands.
		cmd[command.RegisterAccountInput]("POST /v1/accounts", http.StatusCreated, "Register a customer account."),
		cmd[command.RenameCompanyInput]("POST /v1/accounts/{id}/rename", http.StatusOK, "Rename the company, with evidence."),
		cmd[command.ChangeAddressInput]("POST /v1/accounts/{id}/address", http.StatusOK, "Change the account's address."),
		cmd[command.SetVATNumberInput]("POST /v1/accounts/{id}/vat-number", http.StatusOK, "Set the VAT number."),
		cmd[command.TagAccountInput]("POST /v1/accounts/{id}/tags", http.StatusOK, "Tag the account."),
		cmd[NoBody]("DELETE /v1/accounts/{id}/tags/{tag}", http.StatusOK, "Remove a tag."),
		cmd[command.AddContactInput]("POST /v1/accounts/{id}/contacts", http.StatusCreated, "Add a customer contact."),
		cmd[command.SetContactAccessInput]("POST /v1/accounts/{id}/contacts/{contact_id}/access", http.StatusOK, "Set a customer contact's access."),
		forgetOp(cmd[NoBody]("POST /v1/accounts/{id}/contacts/{contact_id}/forget", http.StatusOK, "Forget a customer contact at the person's request (crypto-shredding).")),
		cmd[command.SetInvoiceDeliveryInput]("POST /v1/accounts/{id}/invoice-delivery", http.StatusOK, "Set how invoices are delivered."),
		cmd[command.AssignSolutionAdvisorInput]("POST /v1/accounts/{id}/solution-advisor", http.StatusOK, "Assign a partner contact as solution advisor."),
		cmd[command.GrantViewRightsInput]("POST /v1/accounts/{id}/view-rights", http.StatusOK, "Grant a partner view rights."),
		cmd[NoBody]("DELETE /v1/accounts/{id}/view-rights/{partner_id}", http.StatusOK, "Revoke a partner's view rights."),
		cmd[command.DesignateRenewalPartnerInput]("POST /v1/accounts/{id}/renewal-partner", http.StatusOK, "Designate the renewal partner."),
		cmd[NoBody]("DELETE /v1/accounts/{id}/renewal-partner", http.StatusOK, "Remove the renewal partner."),
		cmd[command.MergeAccountsInput]("POST /v1/accounts/{id}/merge", http.StatusOK, "Merge the account into another (`into`)."),
		cmd[command.ClearEmbargoHoldInput]("POST /v1/accounts/{id}/embargo-hold/clear", http.StatusOK, "Clear the account's embargo hold (compliance)."),

		// Partner commands.
		cmd[command.RegisterPartnerInput]("POST /v1/partners", http.StatusCreated, "Register a partner organisation."),
		cmd[command.ChangePartnerStatusInput]("POST /v1/partners/{id}/status", http.StatusOK, "Change the partner's program status."),
		cmd[command.AddContactInput]("POST /v1/partners/{id}/contacts", http.StatusCreated, "Add a partner contact."),
		withID("SetPartnerContactAccess", cmd[command.SetContactAccessInput]("POST /v1/partners/{id}/contacts/{contact_id}/access", http.StatusOK, "Set a partner contact's access.")),
		withID("ForgetPartnerContact", forgetOp(cmd[NoBody]("POST /v1/partners/{id}/contacts/{contact_id}/forget", http.StatusOK, "Forget a partner contact at the person's request (crypto-shredding)."))),
		withID("ClearPartnerEmbargoHold", cmd[command.ClearEmbargoHoldInput]("POST /v1/partners/{id}/embargo-hold/clear", http.StatusOK, "Clear the partner's embargo hold (compliance).")),

		// Orders.
		cmd[command.SubmitOrderInput]("POST /v1/orders", http.StatusCreated, "Submit an order."),
		cmd[command.FulfilOrderInput]("POST /v1/orders/{number}/fulfil", http.StatusOK, "Fulfil the order: invoice and licenses."),
		cmd[command.CancelOrderInput]("POST /v1/orders/{number}/cancel", http.StatusOK, "Cancel the order."),
		{Pattern: "GET /v1/orders", ID: "SearchOrders", Tag: "orders",
			Summary:     "Search orders by PO number or PO date range, with advanced filters.",
			Description: "Without a PO number or a PO date range the answer is an empty list with a `message`, never every order.",
			Query: []apiParam{q("po", "PO number.", str(500)), q("from", "PO date range: first day (with to).", date()), q("to", "PO date range: last day, included (with from).", date()),
				q("type", "Order type.", enum(order.TypeNew, order.TypeAddOn, order.TypeUpgrade, order.TypeSubscriptionRenewal)),
				q("order_number", "Order number.", str(500)), q("customer_name", "Customer name (as company search).", str(500)), pLimit, pCursor, pMinPosition},
			Result: reflect.TypeFor[orderPage](), Errors: queryErrors},
		{Pattern: "GET /v1/orders/{number}", ID: "GetOrder", Tag: "orders", Summary: "One order.",
			Query: []apiParam{pMinPosition}, Result: reflect.TypeFor[orders.Order](), Errors: getErrors},
		{Pattern: "GET /v1/distributor-orders", ID: "ListDistributorOrders", Tag: "orders", Summary: "Orders placed through the caller's distributor, by PO date range.",
			Query:  []apiParam{required(q("from", "First PO date.", date())), required(q("to", "Last PO date, included.", date())), pLimit, pCursor, pMinPosition},
			Result: listOf[orders.Order](), Errors: queryErrors},
		{Pattern: "GET /v1/invoices", ID: "ListInvoices", Tag: "orders", Summary: "Invoices, by number, order, PO number or issue date.",
			Query: []apiParam{q("number", "Invoice number.", str(500)), q("order", "Order number.", str(500)), q("po", "PO number.", str(500)),
				q("from", "First issue date.", date()), q("to", "Last issue date, included.", date()), pLimit, pCursor, pMinPosition},
			Result: listOf[orders.Invoice](), Errors: queryErrors},

		// Contracts.
		cmd[command.RegisterContractInput]("POST /v1/contracts", http.StatusCreated, "Register a contract."),
		cmd[command.ChangeContractAdministratorsInput]("POST /v1/contracts/{number}/administrators", http.StatusOK, "Change the contract's administrators."),
		cmd[command.SetDiscountLevelInput]("POST /v1/contracts/{number}/discount-level", http.StatusOK, "Set the discount level."),
		cmd[command.GrantManageRightsInput]("POST /v1/contracts/{number}/manage-rights", http.StatusOK, "Grant a partner manage rights."),
		cmd[NoBody]("DELETE /v1/contracts/{number}/manage-rights/{partner_id}", http.StatusOK, "Revoke a partner's manage rights."),
		{Pattern: "GET /v1/contracts", ID: "SearchContracts", Tag: "contracts",
			Summary:     "Search contracts by company name (with country, state, city) or by company ID.",
			Description: "Exactly one of `company` and `company_id`; `country`, `state` and `city` narrow a search by name only. A company_id the caller may not see (or that does not exist) answers 404.",
			Query: []apiParam{q("company", "Company name (case-, accent- and punctuation-insensitive; former names too).", str(500)),
				q("country", "ISO 3166-1 alpha-2 country code.", str(500)), q("state", "State.", str(500)), q("city", "City.", str(500)),
				q("company_id", "Account ID.", str(500)), pLimit, pCursor, pMinPosition},
			Result: listOf[contracts.Contract](), Errors: getErrors},
		{Pattern: "GET /v1/associated-customers", ID: "ListAssociatedCustomers", Tag: "contracts", Summary: "The caller's associated customers by first letter.",
			Query: []apiParam{required(q("letter", "A to Z, or # (sent as %23) for names starting with anything else.",
				map[string]any{"type": "string", "pattern": "^[A-Za-z#]$"})), pLimit, pCursor, pMinPosition},
			Result: listOf[contracts.AssociatedCustomer](), Errors: queryErrors},
		{Pattern: "GET /v1/vat", ID: "SearchVAT", Tag: "contracts", Summary: "VAT numbers of customers in EMEA and APAC, by company ID or name.",
			Description: "Exactly one of `company_id` and `company`. A company ID the caller may see in another region answers 422 rule_violation (rule vat.region); one it may not see, 404.",
			Query:       []apiParam{q("company_id", "Account ID.", str(500)), q("company", "Company name.", str(500)), pLimit, pCursor, pMinPosition},
			Result:      listOf[contracts.VATEntry](), Errors: append([]int{http.StatusNotFound, http.StatusUnprocessableEntity}, queryErrors...)},

		// Licenses.
		cmd[command.AllocateLicenseInput]("POST /v1/licenses/{id}/allocations", http.StatusOK, "Allocate license users to a license server."),
		cmd[NoBody]("DELETE /v1/licenses/{id}/allocations/{host_id}", http.StatusOK, "Return a license server's allocation."),
		cmd[command.ReallocateLicenseInput]("POST /v1/licenses/{id}/reallocate", http.StatusOK, "Move an allocation to another license server."),
		cmd[command.SplitLicenseInput]("POST /v1/licenses/{id}/split", http.StatusOK, "Split the license."),
		described(cmd[command.TransferLicenseInput]("POST /v1/licenses/{id}/transfer", http.StatusOK, "Transfer the license to another account."),
			"Staff only, and only on an approved transfer case of the license's owner that proposed no change itself, named in `approval_case` "+
				"(without one: 422 rule_violation, rule license.transfer_needs_case). The transfer completes the case in the same append "+
				"(`supportcase.executed`), so one case approves one transfer; a case proposing the transfer is executed by its approval instead."),
		cmd[NoBody]("POST /v1/licenses/{id}/renew", http.StatusOK, "Renew maintenance."),
		{Pattern: "GET /v1/licenses", ID: "ListLicenses", Tag: "licenses", Summary: "Licenses the caller may see (view rights), by account or expiring maintenance.",
			Query: []apiParam{q("account", "Account ID (a merged ID answers under the survivor).", str(0)),
				q("expiring_within_days", "Active licenses whose maintenance ends within this many days (UTC), soonest first.",
					map[string]any{"type": "integer", "minimum": 1, "maximum": licenses.MaxExpiringDays}), pLimit, pCursor, pMinPosition},
			Result: listOf[licenses.License](), Errors: queryErrors},

		// Support cases.
		described(cmd[command.OpenCaseInput]("POST /v1/cases", http.StatusCreated, "Open a support case."),
			"`proposed`, when given, is the change the case asks for, which approving the case executes: "+
				"`{\"operation\": \"RenameCompany\"|\"MergeAccounts\"|\"SplitLicense\"|\"TransferLicense\"|\"ConsolidateAccounts\"|\"TerminateContract\", \"target\": \"<id>\", \"input\": {...}}` — "+
				"the operation of the case's subject (rename, merge, split, transfer, consolidation, termination), the ID the direct route takes in its path "+
				"(the account renamed or merged away, the license split or transferred) and the body it takes. "+
				"A consolidation has no direct route: its target is the case's account, which survives, and its input "+
				"`{\"sources\": [2 to 20 account IDs], \"reason\": \"duplicate\"|\"acquisition\"|\"merger\"|\"downsizing\", \"evidence\": [...]}`; "+
				"approving it merges every source into the case's account in the one append. "+
				"A termination has no direct route either: its target is the contract number of the case's account's agreement, "+
				"its input `{\"reason\", \"evidence\": [...]}`; approving it revokes every partner's manage rights on the agreement and terminates it. "+
				"Subject `other` carries no proposal. "+
				"Approval rules checked here (422 validation_failed, fields `proposed.*`, nothing appended): a rename targets the case's account and carries "+
				"the email confirmation and one document; a merge names both accounts (one of them the case's), a reason and evidence; a split its parts "+
				"and the email authorisation; a transfer another organisation; a consolidation two to twenty other accounts, each once, a reason and evidence; a termination a contract number, a reason and at least one evidence reference. "+
				"Unknown input fields are refused as the direct route refuses them."),
		cmd[command.RequestInformationInput]("POST /v1/cases/{number}/request-info", http.StatusOK, "Ask the requester for information."),
		cmd[command.ProvideInformationInput]("POST /v1/cases/{number}/provide-info", http.StatusOK, "Provide the information asked for."),
		described(cmd[command.ApproveCaseInput]("POST /v1/cases/{number}/approve", http.StatusOK, "Approve the case."),
			"A case with a proposal is executed by its approval, as the approving staff member, in ONE atomic append: "+
				"`supportcase.approved`, `supportcase.executed` (status `completed`) and the change's events, all listed in the answer, "+
				"sharing one command_id and the request's correlation_id, with causation_id the approval's command ID. "+
				"A split is approved by the case itself. A termination revokes every partner's manage rights on the agreement "+
				"(`contract.manage_rights_revoked`) and then records `contract.terminated`; the agreement must be the case's account's "+
				"(rule supportcase.target_not_of_account). When the domain refuses the change (its rule, an invalid input, a target gone or no longer "+
				"the case's account's) nothing of it is appended, `supportcase.execution_refused` is recorded on the case, which stays open, and the "+
				"answer is 422 rule_violation, rule supportcase.execution_refused, whose detail names the refusing rule and why. "+
				"A change that still conflicts after retries is 409 conflict with nothing appended. A case without a proposal is approved only."),
		cmd[command.RejectCaseInput]("POST /v1/cases/{number}/reject", http.StatusOK, "Reject the case."),
		{Pattern: "GET /v1/cases", ID: "ListCases", Tag: "cases", Summary: "Support cases the caller may see, oldest opened first.",
			Query: []apiParam{q("status", "Case status.", enum(licenses.CaseStatuses...)),
				q("account", "Account ID (a merged ID answers under the survivor).", str(0)),
				q("sla", "The cases in this state against their resolution target now: on_track, at_risk (due within one business day), overdue, met, missed.", enum(licenses.SLAStates...)),
				q("sort", "Order: age (oldest opened first, the default), -age (newest first), due (earliest resolution target first), -due.", enum(licenses.CaseSorts...)),
				pLimit, pCursor, pMinPosition},
			Result: listOf[licenses.Case](), Errors: queryErrors},
		{Pattern: "GET /v1/cases/{number}", ID: "GetCase", Tag: "cases", Summary: "One case with its timeline and the events its execution recorded.",
			Query: []apiParam{pMinPosition}, Result: reflect.TypeFor[licenses.CaseDetail](), Errors: getErrors},

		// Activity log.
		{Pattern: "GET /v1/activity", ID: "ListActivity", Tag: "activity", Summary: "Activity log records the caller may see, newest first.",
			Query: append(append([]apiParam{}, activityFilters...), pLimit, pCursor, pMinPosition), Result: listOf[activity.Record](), Errors: queryErrors},
		{Pattern: "GET /v1/activity/export", ID: "ExportActivity", Tag: "activity", Summary: "The records the filters select, as CSV or NDJSON, streamed.",
			Query: append(append([]apiParam{}, activityFilters...), q("format", "csv (default) or ndjson.", enum("csv", "ndjson")), pMinPosition),
			Content: map[string]apiContent{
				"text/csv": {Schema: str(0), Description: "RFC 4180 CSV with a header row; changes as JSON.",
					Columns: []string{"at", "actor", "on_behalf_of", "operation", "resource_type", "resource_id", "customer_id",
						"status", "code", "detail", "changes", "correlation_id", "client_ip", "user_agent", "position", "id"}},
				"application/x-ndjson": {Type: reflect.TypeFor[[]activity.Record](),
					Description: "One record (JSON) per line; the schema describes the stream as an array of its lines."},
			},
			Headers: map[string]string{"Content-Disposition": "attachment; filename=\"activity.csv\" or \"activity.ndjson\""}, Errors: queryErrors},

		// The event feed.
		{Pattern: "GET /v1/events", ID: "ReadEvents", Tag: "events",
			Summary: "Every recorded event in position order, as NDJSON or Server-Sent Events; resumable from any position.",
			Description: "For staff with the admin, auditor or integration role (anyone else: 403). Each event carries its full envelope, " +
				"the same JSON the relay publishes to NATS; personal data stays sealed as stored (a forgotten person's never opens). " +
				"Gap-free: the feed never passes over an event that commits later, so reconnecting with `after` (or `Last-Event-ID`) " +
				"set to the last position received gets every later event exactly once. `Accept: text/event-stream` answers " +
				"Server-Sent Events: `id:` is the position, `event:` the type, `data:` the envelope; idle streams get a comment every 15 s, " +
				"with an `id:` when a filter passed over events. Without `follow` the answer ends once what had committed is sent; " +
				"with it, it stays open and sends events as they commit.",
			Query: []apiParam{
				q("after", "Send the events after this position (default 0: from the start).", map[string]any{"type": "integer", "format": "int64", "minimum": 0}),
				q("category", "Only these stream categories, comma-separated (e.g. `account,order`); unknown ones are refused with the list.",
					map[string]any{"type": "string", "pattern": "^[a-z0-9_]+(,[a-z0-9_]+)*$"}),
				q("type", "Only these event types, comma-separated (e.g. `account.renamed`); unknown ones are refused with the list.",
					map[string]any{"type": "string", "pattern": "^[a-z0-9_.]+(,[a-z0-9_.]+)*$"}),
				q("limit", "End the answer after this many events (default: no limit).", map[string]any{"type": "integer", "minimum": 1, "maximum": maxFeedLimit}),
				q("follow", "Keep the answer open and send events as they commit: default true for Server-Sent Events, false for NDJSON.", enum("true", "false")),
				q("shape", "`stored` (default): each event's data at the schema version it was written, as NATS carries it; "+
					"`current`: upcast to the current version of its type (docs/schemas), `schema_version` saying so.", enum("stored", "current")),
				pMinPosition},
			Header: []apiParam{{Name: "Last-Event-ID", Description: "Sent by an EventSource that reconnects: the last position it received; takes the place of `after`.",
				Schema: map[string]any{"type": "string", "pattern": "^[0-9]{1,19}$"}}},
			Content: map[string]apiContent{
				"application/x-ndjson": {Type: reflect.TypeFor[[]eventstore.Event](),
					Description: "One event (its envelope, JSON) per line; the schema describes the stream as an array of its lines."},
				"text/event-stream": {Schema: str(0),
					Description: "Server-Sent Events: `id: <position>`, `event: <type>`, `data: <envelope JSON>` per event; `retry:` first; `: heartbeat` comments."},
			},
			Headers: map[string]string{"Cache-Control": "no-store", "X-Accel-Buffering": "no: a proxy (nginx) must not buffer the stream"}, Errors: queryErrors},
	}
	return ops
}

func withID(id string, op apiOperation) apiOperation { op.ID = id; return op }

// described is op with description d.
func described(op apiOperation, d string) apiOperation { op.Description = d; return op }

func readySchema(status string) map[string]any {
	return map[string]any{"type": "object", "additionalProperties": false, "required": []string{"status", "checks"},
		"properties": map[string]any{
			"status": map[string]any{"const": status},
			"checks": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
				"description": "Each dependency: \"ok\" or what failed."},
		}}
}
