package licenses

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/calendar"
)

// MaxMergeHops bounds how far the projection and its queries follow a
// chain of merged accounts.
const MaxMergeHops = 16

// ResolutionTarget is the business time within which a case should be
// resolved (DOMAIN.md: 5 business days), not counting the time the
// requester took to answer requests for information.
const ResolutionTarget = 5 * 24 * time.Hour

// licenseRow is one row of the licenses table.
type licenseRow struct {
	id, accountID, product, edition string
	quantity                        int
	// allocations by host, sorted by host ID.
	allocations         []Allocation
	maintenanceEnd      time.Time // a date, UTC midnight
	status, sourceOrder string
	parent              string
	replacedBy          []string
	issuedAt, updatedAt time.Time
	position            int64
}

// Allocation is what of a license is allocated to one license server.
type Allocation struct {
	HostIDType string `json:"host_id_type"`
	HostID     string `json:"host_id"`
	Quantity   int    `json:"quantity"`
}

func (r *licenseRow) allocated() int {
	n := 0
	for _, a := range r.allocations {
		n += a.Quantity
	}
	return n
}

// viewRight is one partner's view rights on one customer's licenses.
// licenseIDs is sorted and empty for scope all.
type viewRight struct {
	scope      string
	licenseIDs []string
	updatedAt  time.Time
	position   int64
}

// caseRow is one row of the cases table.
type caseRow struct {
	number, accountID, openedAccountID string
	requestType, subject               string
	requester, requesterPartner        string
	status                             string
	openedAt                           time.Time
	// Zero when there is none (NULL).
	infoRequestedAt, infoDue, decidedAt, closedAt time.Time
	resolutionDue                                 time.Time
	updatedAt                                     time.Time
	position                                      int64
}

// builder applies events to the rows in memory. Apply loads what a batch
// touches into one (the licenses and cases by key, those of every account
// merged in the batch, the view rights of every account the batch
// changes, the merges that resolve the accounts it names), applies the
// batch and writes back what changed. Everything it does depends only on
// the events, in order.
type builder struct {
	// cal is the business calendar resolution targets are reckoned with.
	cal      *calendar.Calendar
	licenses map[string]*licenseRow
	cases    map[string]*caseRow
	rights   map[string]map[string]*viewRight // by account, then partner
	merged   map[string]string                // account → the account it was merged into
	// What changed: rows to write, accounts whose view rights to replace;
	// merges to record, with the position of their event.
	dirtyLicenses, dirtyCases, dirtyRights map[string]bool
	newMerges                              map[string]int64
	// steps are the case steps the batch recorded, in position order.
	steps []stepRow
}

func newBuilder(cal *calendar.Calendar) *builder {
	return &builder{
		cal:      cal,
		licenses: map[string]*licenseRow{}, cases: map[string]*caseRow{},
		rights: map[string]map[string]*viewRight{}, merged: map[string]string{},
		dirtyLicenses: map[string]bool{}, dirtyCases: map[string]bool{}, dirtyRights: map[string]bool{}, newMerges: map[string]int64{},
	}
}

// resolve returns the account id answers under: id itself, or the account
// it was merged into, along a chain of at most MaxMergeHops.
func (b *builder) resolve(id string) string {
	for hop := 0; hop < MaxMergeHops; hop++ {
		into, ok := b.merged[id]
		if !ok || into == "" {
			break
		}
		id = into
	}
	return id
}

// licenseStream returns the license ID of a license stream.
func licenseStream(e *eventstore.Event) string { return strings.TrimPrefix(e.StreamID, "license-") }

// add applies one event the projection uses. It fails on a date it cannot
// read, which only a broken history holds.
func (b *builder) add(e *eventstore.Event, ev domain.Event) error {
	switch ev := ev.(type) {
	case license.Issued:
		end, err := parseDate(ev.MaintenanceEnd)
		if err != nil {
			return fmt.Errorf("event %d: license %s: %w", e.Position, ev.LicenseID, err)
		}
		r := &licenseRow{
			id: ev.LicenseID, accountID: b.resolve(ev.OwnerAccountID), product: ev.Product, edition: ev.Edition,
			quantity: ev.Quantity, maintenanceEnd: end, status: license.StatusActive, sourceOrder: ev.SourceOrder,
			parent: ev.ParentLicenseID, issuedAt: e.RecordedAt.UTC(),
		}
		b.licenses[r.id] = r
		b.touchLicense(r, e)
	case license.Allocated:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.allocations = allocate(r.allocations, ev.HostIDType, ev.HostID, ev.Quantity)
			b.touchLicense(r, e)
		}
	case license.AllocationReturned:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.allocations = release(r.allocations, ev.HostID)
			b.touchLicense(r, e)
		}
	case license.Reallocated:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.allocations = allocate(release(r.allocations, ev.FromHostID), ev.ToHostIDType, ev.ToHostID, ev.Quantity)
			b.touchLicense(r, e)
		}
	case license.Rescinded:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.status = license.StatusRescinded
			r.replacedBy = slices.Clone(ev.ReplacedBy)
			b.touchLicense(r, e)
		}
	case license.Transferred:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.accountID = b.resolve(ev.ToAccountID)
			b.touchLicense(r, e)
		}
	case license.OwnerChanged:
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.accountID = b.resolve(ev.ToAccountID)
			b.touchLicense(r, e)
		}
	case license.MaintenanceRenewed:
		end, err := parseDate(ev.To)
		if err != nil {
			return fmt.Errorf("event %d: license %s: %w", e.Position, licenseStream(e), err)
		}
		if r := b.licenses[licenseStream(e)]; r != nil {
			r.maintenanceEnd = end
			b.touchLicense(r, e)
		}

	case account.ViewRightsGranted:
		vr := &viewRight{scope: ev.Scope}
		if ev.Scope != account.ScopeAll {
			vr.licenseIDs = sortedSet(ev.LicenseIDs)
		}
		b.grant(ev.AccountID, ev.PartnerID, vr, e)
	case account.ViewRightsRevoked:
		b.revoke(ev.AccountID, ev.PartnerID)
	case account.LicenseDetached:
		b.lapse(ev.AccountID, ev.LicenseID, e)
	case account.AccountMerged:
		b.merge(ev.AccountID, ev.Into, e)
	case account.MergeReceived:
		for _, vr := range ev.Moved.Relationships.ViewRights {
			b.receive(ev.AccountID, vr, e)
		}

	case supportcase.CaseOpened:
		at := ev.OpenedAt.UTC()
		c := &caseRow{
			number: ev.CaseNumber, accountID: b.resolve(ev.AccountID), openedAccountID: ev.AccountID,
			requestType: ev.RequestType, subject: ev.Subject, requester: ev.Requester,
			requesterPartner: requesterPartner(ev.Requester), status: supportcase.StatusOpen,
			openedAt: at, resolutionDue: b.cal.AddBusinessTime(at, ResolutionTarget),
		}
		b.cases[c.number] = c
		b.touchCase(c, e)
	case supportcase.InformationRequested:
		if c := b.cases[ev.CaseNumber]; c != nil {
			c.status = supportcase.StatusWaitingForInformation
			c.infoRequestedAt, c.infoDue = ev.RequestedAt.UTC(), ev.Due.UTC()
			b.touchCase(c, e)
		}
	case supportcase.InformationProvided:
		if c := b.cases[ev.CaseNumber]; c != nil {
			c.status = supportcase.StatusOpen
			// The requester's time does not count against the target, as
			// supportcase.State.Waited.
			if d := ev.ProvidedAt.Sub(c.infoRequestedAt); !c.infoRequestedAt.IsZero() && d > 0 {
				c.resolutionDue = b.cal.AddBusinessTime(c.resolutionDue, d)
			}
			c.infoDue = time.Time{}
			b.touchCase(c, e)
		}
	case supportcase.CaseClosedUnanswered:
		if c := b.cases[ev.CaseNumber]; c != nil {
			c.status = supportcase.StatusClosed
			c.closedAt = ev.ClosedAt.UTC()
			b.touchCase(c, e)
		}
	case supportcase.CaseApproved:
		if c := b.cases[ev.CaseNumber]; c != nil {
			c.status = supportcase.StatusApproved
			c.decidedAt = ev.ApprovedAt.UTC()
			b.touchCase(c, e)
		}
	case supportcase.CaseRejected:
		if c := b.cases[ev.CaseNumber]; c != nil {
			c.status = supportcase.StatusRejected
			c.decidedAt = ev.RejectedAt.UTC()
			b.touchCase(c, e)
		}
	}
	return nil
}

func (b *builder) touchLicense(r *licenseRow, e *eventstore.Event) {
	r.updatedAt, r.position = e.RecordedAt.UTC(), int64(e.Position)
	b.dirtyLicenses[r.id] = true
}

func (b *builder) touchCase(c *caseRow, e *eventstore.Event) {
	c.updatedAt, c.position = e.RecordedAt.UTC(), int64(e.Position)
	b.dirtyCases[c.number] = true
}

// grant sets a partner's view rights on an account, replacing any before.
func (b *builder) grant(accountID, partnerID string, vr *viewRight, e *eventstore.Event) {
	if accountID == "" || partnerID == "" {
		return
	}
	vr.updatedAt, vr.position = e.RecordedAt.UTC(), int64(e.Position)
	if b.rights[accountID] == nil {
		b.rights[accountID] = map[string]*viewRight{}
	}
	b.rights[accountID][partnerID] = vr
	b.dirtyRights[accountID] = true
}

// revoke removes a partner's view rights on an account altogether.
func (b *builder) revoke(accountID, partnerID string) {
	if _, ok := b.rights[accountID][partnerID]; ok {
		delete(b.rights[accountID], partnerID)
		b.dirtyRights[accountID] = true
	}
}

// lapse drops license id from every assigned view right on the account, as
// domain/account's lapse: a license that no longer answers under the
// account is no longer shown through it, even if it comes back; a right
// left with no license lapses altogether.
func (b *builder) lapse(accountID, id string, e *eventstore.Event) {
	for pid, vr := range b.rights[accountID] {
		if vr.scope != account.ScopeAssigned || !slices.Contains(vr.licenseIDs, id) {
			continue
		}
		ids := slices.DeleteFunc(slices.Clone(vr.licenseIDs), func(l string) bool { return l == id })
		if len(ids) == 0 {
			b.revoke(accountID, pid)
			continue
		}
		b.grant(accountID, pid, &viewRight{scope: vr.scope, licenseIDs: ids}, e)
	}
}

// merge records that source was merged into into: its view rights go
// (account.merge_received brings them to the survivor) and its licenses
// and cases answer under the survivor from now on.
func (b *builder) merge(source, into string, e *eventstore.Event) {
	if source == "" || into == "" || source == into {
		return
	}
	b.merged[source] = into
	b.newMerges[source] = int64(e.Position)
	if len(b.rights[source]) > 0 {
		b.rights[source] = nil
		b.dirtyRights[source] = true
	}
	to := b.resolve(into)
	for _, r := range b.licenses {
		if r.accountID == source {
			r.accountID = to
			b.touchLicense(r, e)
		}
	}
	for _, c := range b.cases {
		if c.accountID == source {
			c.accountID = to
			b.touchCase(c, e)
		}
	}
}

// receive joins view rights a merge brought into the survivor's, as
// domain/account's receive: all wins over assigned, assigned lists unite.
func (b *builder) receive(accountID string, moved account.ViewRight, e *eventstore.Event) {
	vr := &viewRight{scope: moved.Scope}
	if moved.Scope != account.ScopeAll {
		vr.licenseIDs = sortedSet(moved.LicenseIDs)
	}
	if have, ok := b.rights[accountID][moved.PartnerID]; ok {
		switch {
		case have.scope == account.ScopeAll || moved.Scope == account.ScopeAll:
			vr = &viewRight{scope: account.ScopeAll}
		default:
			vr.licenseIDs = sortedSet(slices.Concat(have.licenseIDs, moved.LicenseIDs))
		}
	}
	b.grant(accountID, moved.PartnerID, vr, e)
}

// requesterPartner returns the partner of a requester that is a partner
// contact ("partner:<partner ID>/<contact ID>"), "" for anyone else.
func requesterPartner(requester string) string {
	rest, ok := strings.CutPrefix(requester, string(domain.KindPartner)+":")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return id
}

// allocate adds quantity on host to allocs, returning a new sorted slice.
func allocate(allocs []Allocation, hostIDType, hostID string, quantity int) []Allocation {
	out := slices.Clone(allocs)
	for i := range out {
		if out[i].HostID == hostID {
			out[i] = Allocation{HostIDType: hostIDType, HostID: hostID, Quantity: out[i].Quantity + quantity}
			return out
		}
	}
	out = append(out, Allocation{HostIDType: hostIDType, HostID: hostID, Quantity: quantity})
	slices.SortFunc(out, func(a, b Allocation) int { return strings.Compare(a.HostID, b.HostID) })
	return out
}

// release removes host from allocs, returning a new slice.
func release(allocs []Allocation, hostID string) []Allocation {
	return slices.DeleteFunc(slices.Clone(allocs), func(a Allocation) bool { return a.HostID == hostID })
}

// sortedSet returns ids sorted without repeats, as a new slice.
func sortedSet(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("maintenance end %q is not a date YYYY-MM-DD", s)
	}
	return t, nil
}

// AddBusinessTime returns the instant d of business time after t: time on
// Saturdays and Sundays (UTC) does not count, and no holidays. A
// projection made with WithCalendar also skips that calendar's holidays.
// Adding a and then b equals adding a+b.
func AddBusinessTime(t time.Time, d time.Duration) time.Time {
	return (*calendar.Calendar)(nil).AddBusinessTime(t, d)
}

// stepRow is one row of the case_steps table: one event of a case's
// stream.
type stepRow struct {
	number     string
	position   int64
	step       string
	eventType  string
	at         time.Time
	actor      string
	onBehalfOf string
	commandID  string
	detail     []byte // a JSON object
}

// stepColumns are the columns of a step row, in the order of
// stepRow.values.
var stepColumns = []string{"case_number", "position", "step", "event_type", "at", "actor", "on_behalf_of", "command_id", "detail"}

func (r *stepRow) values() []any {
	return []any{r.number, r.position, r.step, r.eventType, r.at, r.actor, r.onBehalfOf, r.commandID, string(r.detail)}
}

// caseStream returns the case number of an event on a case's stream.
func caseStream(e *eventstore.Event) (string, bool) {
	n, ok := strings.CutPrefix(e.StreamID, "supportcase-")
	return n, ok && n != ""
}

// stepName is the step an event type records: the type without its
// "supportcase." prefix (opened, information_requested, approved, …), so
// that a case event type added later is a step of its own name.
func stepName(eventType string) string {
	n, _ := strings.CutPrefix(eventType, "supportcase.")
	return n
}

// step records the case event e as a step of its case's timeline. An event
// the projection did not decode (a case event type it does not know, such
// as supportcase.executed) still moves the case to the status it states:
// every case event carries the status the case is in after it.
func (b *builder) step(e *eventstore.Event, decoded bool) error {
	number, _ := caseStream(e)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(e.Data, &fields); err != nil || fields == nil {
		fields = map[string]json.RawMessage{}
	}
	if c := b.cases[number]; c != nil && !decoded {
		var status string
		if raw, ok := fields["status"]; ok && json.Unmarshal(raw, &status) == nil && status != "" {
			c.status = status
			b.touchCase(c, e)
		}
	}
	delete(fields, "case_number")
	delete(fields, "status")
	detail, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("event %d: case step: %w", e.Position, err)
	}
	b.steps = append(b.steps, stepRow{
		number: number, position: int64(e.Position), step: stepName(e.Type), eventType: e.Type,
		at: e.OccurredAt.UTC(), actor: e.Actor, onBehalfOf: e.OnBehalfOf, commandID: e.CommandID, detail: detail,
	})
	return nil
}
