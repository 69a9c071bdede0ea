package licenses

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Schema is the PostgreSQL schema queries read (projections.Schema(Name)).
const Schema = "proj_" + Name

// MaxExpiringDays is the widest window of LicenseFilter.ExpiringWithinDays.
const MaxExpiringDays = 365

// AtRiskWithin: an undecided case whose resolution target falls within
// this time from now (or has passed) is at risk of missing it.
const AtRiskWithin = 24 * time.Hour

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier = readmodel.Querier

// ErrBadFilter is returned for a filter value out of its range (an
// expiring window outside 1 to MaxExpiringDays, an unknown case status);
// the API checks its parameters before it asks.
var ErrBadFilter = readmodel.ErrBadFilter

// LicenseFilter selects and pages licenses. Empty fields do not filter.
type LicenseFilter struct {
	// AccountID keeps the licenses answering under this account; a merged
	// account's ID stands for the account it was merged into.
	AccountID string
	// ExpiringWithinDays, 1 to MaxExpiringDays, keeps the active licenses
	// whose maintenance ends between Today and Today plus that many days,
	// both included, ordered by maintenance end; 0 does not filter, and
	// the list is ordered by license ID.
	ExpiringWithinDays int
	// Today is the day the window starts (its date in UTC); zero means
	// the current day.
	Today time.Time
	// Limit is the page size: 0 means readmodel.DefaultLimit; 1 to
	// readmodel.MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// License is a license as the licenses list shows it.
type License struct {
	LicenseID string `json:"license_id"`
	// AccountID is the account the license answers under now (after
	// transfers and merges).
	AccountID string `json:"account_id"`
	Product   string `json:"product"`
	Edition   string `json:"edition"`
	// Quantity is the number of users; Allocated how many of them are
	// allocated to license servers.
	Quantity  int `json:"quantity"`
	Allocated int `json:"allocated"`
	// Allocations by license server, sorted by host ID: shown to staff and
	// to the owning customer, never to a partner (host IDs describe the
	// customer's own servers; view rights are about the licenses).
	Allocations []Allocation `json:"allocations,omitempty"`
	// MaintenanceEnd is the last day of maintenance, YYYY-MM-DD.
	MaintenanceEnd string `json:"maintenance_end"`
	// Status is "active" or "rescinded".
	Status      string `json:"status"`
	SourceOrder string `json:"source_order"`
	// ParentLicenseID is the license this one was split from.
	ParentLicenseID string `json:"parent_license_id,omitempty"`
	// ReplacedBy lists the licenses that replaced a rescinded one.
	ReplacedBy []string  `json:"replaced_by,omitempty"`
	IssuedAt   time.Time `json:"issued_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Position is the event that last changed the license.
	Position int64 `json:"position"`
}

// licenseCursor is the sort key of the last row of a page and the
// fingerprint of the query it belongs to.
type licenseCursor struct {
	End       string `json:"e,omitempty"`
	LicenseID string `json:"l"`
	Query     string `json:"q"`
}

// fingerprint binds a cursor to the viewer and the query: a cursor of
// another query or viewer is refused rather than silently misread.
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

// Resolve returns the account accountID answers under: itself, or the
// account it was merged into (along a chain of at most MaxMergeHops).
func Resolve(ctx context.Context, q Querier, accountID string) (string, error) {
	id := accountID
	for hop := 0; hop < MaxMergeHops; hop++ {
		var into string
		err := q.QueryRow(ctx, `SELECT merged_into FROM `+Schema+`.merged_accounts WHERE account_id = $1`, id).Scan(&into)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("resolve account %s: %w", accountID, err)
		}
		id = into
	}
	return id, nil
}

const licenseSelect = `l.license_id, l.account_id, l.product, l.edition, l.quantity, l.allocated, l.allocations,
	l.maintenance_end, l.status, l.source_order, l.parent_license_id, l.replaced_by, l.issued_at, l.updated_at, l.position`

// ListLicenses returns the page of licenses that viewer may see and f
// selects, and the cursor of the next page ("" on the last one).
//
// Who sees what (DOMAIN.md, "Who may see what"): staff with a role see
// every license; a customer contact the licenses answering under its own
// account (or, its account merged, under the survivor), rescinded ones
// included; a partner contact, of each customer that granted its partner
// view rights, every license with scope all and the listed ones with scope
// assigned — only active licenses answering under that customer now, as
// account.State.PartnerSeesLicense decides (a rescinded, transferred or
// merged-away license no longer answers under it). Ordering for a customer
// gives no view rights. Anyone else sees nothing. A customer or partner
// naming an account it may not see gets an empty page, as for an account
// without licenses.
//
// It returns readmodel.ErrBadLimit or ErrBadCursor for a bad page request
// and ErrBadFilter for an expiring window out of range.
func ListLicenses(ctx context.Context, q Querier, viewer domain.Principal, f LicenseFilter) ([]License, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	if f.ExpiringWithinDays < 0 || f.ExpiringWithinDays > MaxExpiringDays {
		return nil, "", ErrBadFilter
	}
	sc := readmodel.ScopeOf(viewer)
	fp := fingerprint("licenses", viewer.ID, string(viewer.Kind), viewer.AccountID, viewer.PartnerID,
		f.AccountID, strconv.Itoa(f.ExpiringWithinDays))
	expiring := f.ExpiringWithinDays > 0
	var after licenseCursor
	if f.Cursor != "" {
		if err := readmodel.DecodeCursor(f.Cursor, &after); err != nil || after.LicenseID == "" || after.Query != fp ||
			expiring != (after.End != "") {
			return nil, "", readmodel.ErrBadCursor
		}
		if expiring {
			if _, err := time.Parse(time.DateOnly, after.End); err != nil {
				return nil, "", readmodel.ErrBadCursor
			}
		}
	}
	if sc == readmodel.SeeNothing {
		return []License{}, "", nil
	}

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	from := ` FROM ` + Schema + `.licenses l`
	var where []string
	account := ""
	if f.AccountID != "" {
		if account, err = Resolve(ctx, q, f.AccountID); err != nil {
			return nil, "", err
		}
	}
	switch sc {
	case readmodel.SeeOwn:
		own, err := Resolve(ctx, q, viewer.AccountID)
		if err != nil {
			return nil, "", err
		}
		if account != "" && account != own {
			return []License{}, "", nil
		}
		account = own
	case readmodel.SeeRelated:
		from += ` JOIN ` + Schema + `.view_rights v ON v.account_id = l.account_id AND v.partner_id = ` + arg(viewer.PartnerID)
		where = append(where, `l.status = 'active'`, `(v.scope = 'all' OR l.license_id = ANY(v.license_ids))`)
	}
	if account != "" {
		where = append(where, `l.account_id = `+arg(account))
	}
	order := `l.license_id`
	if expiring {
		today := f.Today
		if today.IsZero() {
			today = time.Now()
		}
		y, m, d := today.UTC().Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 0, f.ExpiringWithinDays)
		where = append(where, `l.status = 'active'`, `l.maintenance_end BETWEEN `+arg(start)+`::date AND `+arg(end)+`::date`)
		order = `l.maintenance_end, l.license_id`
		if f.Cursor != "" {
			endAfter, _ := time.Parse(time.DateOnly, after.End)
			where = append(where, `(l.maintenance_end, l.license_id) > (`+arg(endAfter)+`::date, `+arg(after.LicenseID)+`)`)
		}
	} else if f.Cursor != "" {
		where = append(where, `l.license_id > `+arg(after.LicenseID))
	}
	sql := `SELECT ` + licenseSelect + from
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY ` + order + ` LIMIT ` + arg(limit+1)

	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list licenses: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanLicense)
	if err != nil {
		return nil, "", fmt.Errorf("list licenses: %w", err)
	}
	if sc == readmodel.SeeRelated {
		for i := range items {
			items[i].Allocations = nil
		}
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	last := items[limit-1]
	next := licenseCursor{LicenseID: last.LicenseID, Query: fp}
	if expiring {
		next.End = last.MaintenanceEnd
	}
	return items, readmodel.EncodeCursor(next), nil
}

func scanLicense(row pgx.CollectableRow) (License, error) {
	var l License
	var end time.Time
	err := row.Scan(&l.LicenseID, &l.AccountID, &l.Product, &l.Edition, &l.Quantity, &l.Allocated, &l.Allocations,
		&end, &l.Status, &l.SourceOrder, &l.ParentLicenseID, &l.ReplacedBy, &l.IssuedAt, &l.UpdatedAt, &l.Position)
	l.MaintenanceEnd = end.Format(time.DateOnly)
	l.IssuedAt, l.UpdatedAt = l.IssuedAt.UTC(), l.UpdatedAt.UTC()
	if len(l.Allocations) == 0 {
		l.Allocations = nil
	}
	if len(l.ReplacedBy) == 0 {
		l.ReplacedBy = nil
	}
	return l, err
}

// StatusCompleted is the status of a case whose approved proposal was
// executed (supportcase.executed); the list accepts it as a filter ahead of
// the domain constant.
const StatusCompleted = "completed"

// CaseStatuses are the statuses a case list may be filtered by.
var CaseStatuses = []string{supportcase.StatusOpen, supportcase.StatusWaitingForInformation,
	supportcase.StatusApproved, supportcase.StatusRejected, supportcase.StatusClosed, StatusCompleted}

// SLA states of a case against its resolution target.
const (
	// SLAOnTrack: undecided, due later than one business day from now.
	SLAOnTrack = "on_track"
	// SLAAtRisk: undecided, due within one business day from now.
	SLAAtRisk = "at_risk"
	// SLAOverdue: undecided and past its resolution target.
	SLAOverdue = "overdue"
	// SLAMet: decided (or closed) by its resolution target.
	SLAMet = "met"
	// SLAMissed: decided (or closed) after its resolution target.
	SLAMissed = "missed"
)

// SLAStates are the values of Case.SLA and of CaseFilter.SLA.
var SLAStates = []string{SLAOnTrack, SLAAtRisk, SLAOverdue, SLAMet, SLAMissed}

// Orders of the case queue (CaseFilter.Sort).
const (
	// SortAge: the case waiting longest first (opened earliest), ties by
	// case number; the default.
	SortAge = "age"
	// SortAgeDesc: the newest case first.
	SortAgeDesc = "-age"
	// SortDue: the earliest resolution target first, ties by case number.
	SortDue = "due"
	// SortDueDesc: the latest resolution target first.
	SortDueDesc = "-due"
)

// CaseSorts are the values of CaseFilter.Sort.
var CaseSorts = []string{SortAge, SortAgeDesc, SortDue, SortDueDesc}

// CaseFilter selects and pages support cases. Empty fields do not filter.
type CaseFilter struct {
	// Status is one of CaseStatuses.
	Status string
	// AccountID keeps the cases of this account; a merged account's ID
	// stands for the account it was merged into.
	AccountID string
	// SLA is one of SLAStates: the cases in that state at Now.
	SLA string
	// Sort is one of CaseSorts; "" is SortAge.
	Sort string
	// Now is the instant at-risk and the SLA state are judged at; zero
	// means the current time.
	Now time.Time
	// Calendar reckons "within one business day" for SLAAtRisk; nil counts
	// weekends only. Give the one the projection was made with.
	Calendar *calendar.Calendar
	// Limit and Cursor page as in LicenseFilter.
	Limit  int
	Cursor string
}

// Case is a support case as the case queue shows it.
type Case struct {
	CaseNumber string `json:"case_number"`
	// RequestType is general or licensing; Subject rename, merge, split,
	// transfer, consolidation, termination or other.
	RequestType string `json:"request_type"`
	Subject     string `json:"subject"`
	// AccountID is the account the case is for now (after merges);
	// OpenedForAccountID the one it was opened for, when another.
	AccountID          string `json:"account_id"`
	OpenedForAccountID string `json:"opened_for_account_id,omitempty"`
	// Requester is the principal ID of who asked, e.g.
	// "customer:123456HQ/C-000001" or "partner:700001HQ/C-900001".
	Requester string `json:"requester"`
	// Status is open, waiting_for_information, approved, rejected, closed
	// or completed.
	Status   string    `json:"status"`
	OpenedAt time.Time `json:"opened_at"`
	// InformationDue is the deadline of the request for information the
	// case is waiting on (while waiting_for_information; also on a case
	// closed unanswered).
	InformationDue *time.Time `json:"information_due,omitempty"`
	// DecidedAt is when staff approved or rejected the case; ClosedAt when
	// it closed unanswered.
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// ResolutionDue is the resolution target (the case's SLA due date): 5
	// business days (weekends and the configured holidays, in UTC, not
	// counted) after opening, plus the time the requester took to answer
	// requests for information.
	ResolutionDue time.Time `json:"resolution_due"`
	// AtRisk: the case is undecided and its resolution target is less
	// than AtRiskWithin away or past.
	AtRisk bool `json:"at_risk"`
	// SLA is the case's state against ResolutionDue at the query's
	// instant, one of SLAStates.
	SLA       string    `json:"sla"`
	UpdatedAt time.Time `json:"updated_at"`
}

type caseCursor struct {
	// Key is the sort key of the last item (opened_at or resolution_due)
	// in Unix microseconds, PostgreSQL's resolution.
	Key    int64  `json:"t"`
	Number string `json:"n"`
	Query  string `json:"q"`
}

// undecidedSQL is the SQL condition of a case still waiting for a decision.
const undecidedSQL = `c.status IN ('open', 'waiting_for_information')`

// resolvedAtSQL is when a decided case was resolved: decided, or closed
// unanswered.
const resolvedAtSQL = `COALESCE(c.decided_at, c.closed_at, c.updated_at)`

// ListCases returns the page of support cases that viewer may see and f
// selects, in f.Sort's order (oldest opened first by default; ties by
// case number), and the cursor of the next page ("" on the last one). A
// cursor pages only the query (viewer, filters and order) it came from.
//
// Who sees what: staff with a role see every case; a customer contact the
// cases of its own account (or, its account merged, of the survivor),
// whoever opened them; a partner contact the cases its own partner
// opened (the requester is one of its contacts, "partner:<its ID>/…"),
// whatever its relationships with the customer now — a partner is not
// shown the cases a customer or staff opened. Anyone else sees nothing.
//
// It returns readmodel.ErrBadLimit or ErrBadCursor for a bad page request
// and ErrBadFilter for an unknown status, SLA state or order.
func ListCases(ctx context.Context, q Querier, viewer domain.Principal, f CaseFilter) ([]Case, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" && !slices.Contains(CaseStatuses, f.Status) ||
		f.SLA != "" && !slices.Contains(SLAStates, f.SLA) ||
		f.Sort != "" && !slices.Contains(CaseSorts, f.Sort) {
		return nil, "", ErrBadFilter
	}
	order := f.Sort
	if order == "" {
		order = SortAge
	}
	fp := fingerprint("cases", viewer.ID, string(viewer.Kind), viewer.AccountID, viewer.PartnerID, f.AccountID, f.Status, f.SLA, order)
	var after caseCursor
	if f.Cursor != "" {
		if err := readmodel.DecodeCursor(f.Cursor, &after); err != nil || after.Number == "" || after.Query != fp {
			return nil, "", readmodel.ErrBadCursor
		}
	}
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where, ok, err := caseScope(ctx, q, viewer, f.AccountID, arg)
	if err != nil || !ok {
		return []Case{}, "", err
	}
	if f.Status != "" {
		where = append(where, `c.status = `+arg(f.Status))
	}
	switch f.SLA {
	case SLAOverdue:
		where = append(where, undecidedSQL, `c.resolution_due <= `+arg(now))
	case SLAAtRisk:
		where = append(where, undecidedSQL, `c.resolution_due > `+arg(now), `c.resolution_due <= `+arg(f.Calendar.AddBusinessTime(now, calendar.Day)))
	case SLAOnTrack:
		where = append(where, undecidedSQL, `c.resolution_due > `+arg(f.Calendar.AddBusinessTime(now, calendar.Day)))
	case SLAMet:
		where = append(where, `NOT `+undecidedSQL, resolvedAtSQL+` <= c.resolution_due`)
	case SLAMissed:
		where = append(where, `NOT `+undecidedSQL, resolvedAtSQL+` > c.resolution_due`)
	}
	key, dir, cmp := "c.opened_at", "", ">"
	switch order {
	case SortAgeDesc:
		dir, cmp = " DESC", "<"
	case SortDue:
		key = "c.resolution_due"
	case SortDueDesc:
		key, dir, cmp = "c.resolution_due", " DESC", "<"
	}
	if f.Cursor != "" {
		where = append(where, `(`+key+`, c.case_number) `+cmp+` (`+arg(time.UnixMicro(after.Key).UTC())+`, `+arg(after.Number)+`)`)
	}
	sql := `SELECT ` + caseListColumns + ` FROM ` + Schema + `.cases c`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY ` + key + dir + `, c.case_number` + dir + ` LIMIT ` + arg(limit+1)

	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanCase)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	for i := range items {
		items[i].judge(now, f.Calendar)
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	last := items[limit-1]
	next := caseCursor{Key: last.OpenedAt.UnixMicro(), Number: last.CaseNumber, Query: fp}
	if key == "c.resolution_due" {
		next.Key = last.ResolutionDue.UnixMicro()
	}
	return items, readmodel.EncodeCursor(next), nil
}

// caseScope returns the conditions that keep the cases viewer may see (and
// of account, when not ""), with their arguments added through arg; ok is
// false when viewer sees none of them.
func caseScope(ctx context.Context, q Querier, viewer domain.Principal, account string, arg func(any) string) (where []string, ok bool, err error) {
	sc := readmodel.ScopeOf(viewer)
	if sc == readmodel.SeeNothing {
		return nil, false, nil
	}
	if account != "" {
		if account, err = Resolve(ctx, q, account); err != nil {
			return nil, false, err
		}
	}
	switch sc {
	case readmodel.SeeOwn:
		own, err := Resolve(ctx, q, viewer.AccountID)
		if err != nil {
			return nil, false, err
		}
		if account != "" && account != own {
			return nil, false, nil
		}
		account = own
	case readmodel.SeeRelated:
		where = append(where, `c.requester_partner_id = `+arg(viewer.PartnerID))
	}
	if account != "" {
		where = append(where, `c.account_id = `+arg(account))
	}
	return where, true, nil
}

// judge sets the at-risk flag and the SLA state of c at now.
func (c *Case) judge(now time.Time, cal *calendar.Calendar) {
	undecided := c.Status == supportcase.StatusOpen || c.Status == supportcase.StatusWaitingForInformation
	c.AtRisk = undecided && !now.Before(c.ResolutionDue.Add(-AtRiskWithin))
	switch {
	case undecided && !now.Before(c.ResolutionDue):
		c.SLA = SLAOverdue
	case undecided && !cal.AddBusinessTime(now, calendar.Day).Before(c.ResolutionDue):
		c.SLA = SLAAtRisk
	case undecided:
		c.SLA = SLAOnTrack
	default:
		resolved := c.UpdatedAt
		if c.DecidedAt != nil {
			resolved = *c.DecidedAt
		} else if c.ClosedAt != nil {
			resolved = *c.ClosedAt
		}
		c.SLA = SLAMet
		if resolved.After(c.ResolutionDue) {
			c.SLA = SLAMissed
		}
	}
}

const caseListColumns = `c.case_number, c.request_type, c.subject, c.account_id, c.opened_account_id, c.requester, c.status,
		c.opened_at, c.information_due, c.decided_at, c.closed_at, c.resolution_due, c.updated_at`

func scanCase(row pgx.CollectableRow) (Case, error) {
	var c Case
	var opened string
	err := row.Scan(&c.CaseNumber, &c.RequestType, &c.Subject, &c.AccountID, &opened, &c.Requester, &c.Status,
		&c.OpenedAt, &c.InformationDue, &c.DecidedAt, &c.ClosedAt, &c.ResolutionDue, &c.UpdatedAt)
	if opened != c.AccountID {
		c.OpenedForAccountID = opened
	}
	c.OpenedAt, c.ResolutionDue, c.UpdatedAt = c.OpenedAt.UTC(), c.ResolutionDue.UTC(), c.UpdatedAt.UTC()
	for _, t := range []**time.Time{&c.InformationDue, &c.DecidedAt, &c.ClosedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return c, err
}
