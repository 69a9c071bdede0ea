package license

import (
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// SystemPrincipalID is the staff principal under which the system itself
// acts, e.g. order fulfilment issuing licenses.
const SystemPrincipalID = "staff:system"

// Host ID types: how a license server is identified. The closed list is the
// host IDs a license server reports (FlexNet lmhostid), each in the one
// canonical form it prints, so that one server has one host ID:
const (
	// HostName: the license server's host name, compared case-sensitively
	// as license files are: letters, digits and hyphens in dot-separated
	// labels.
	HostName = "hostname"
	// HostMAC: the Ethernet address, 12 lower-case hex digits without
	// separators (lmhostid -ether), as appliances use.
	HostMAC = "mac"
	// HostIP: the IPv4 or IPv6 address in its canonical text form
	// (lmhostid -internet).
	HostIP = "ip"
)

// Limits.
const (
	// MaxQuantity bounds the users of one license, an allocation or a part,
	// so that no sum of them overflows.
	MaxQuantity = 1_000_000
	// MaxHostIDLen is the longest host ID, in bytes.
	MaxHostIDLen = 255
	// MaxTextLen is the longest product or edition name, in characters.
	MaxTextLen = 100
	// MaxReferenceLen is the longest evidence reference, in characters.
	MaxReferenceLen = 500
	// MaxSplitParts is the most parts one split creates.
	MaxSplitParts = 100
	// SplitApprovalThreshold: splitting a license of more users than this
	// needs a staff approval recorded on a support case.
	SplitApprovalThreshold = 1000
)

// dateLayout is the form of dates without time in commands and events.
const dateLayout = "2006-01-02"

var (
	macPattern   = regexp.MustCompile(`^[0-9a-f]{12}$`)
	labelPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// ValidID reports whether id has the form of a license ID, e.g. LIC-0000001.
func ValidID(id string) bool { return ids.License(id) }

// ValidHostID reports whether hostID is a host ID of type hostIDType in its
// canonical form.
func ValidHostID(hostIDType, hostID string) bool {
	if !printableHostID(hostID) {
		return false
	}
	switch hostIDType {
	case HostName:
		for _, label := range strings.Split(hostID, ".") {
			if !labelPattern.MatchString(label) {
				return false
			}
		}
		return true
	case HostMAC:
		return macPattern.MatchString(hostID)
	case HostIP:
		addr, err := netip.ParseAddr(hostID)
		return err == nil && addr.Zone() == "" && addr.String() == hostID
	}
	return false
}

// printableHostID reports whether s is 1 to MaxHostIDLen printable ASCII
// characters other than space.
func printableHostID(s string) bool {
	if s == "" || len(s) > MaxHostIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Decide decides cmd against the license's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case IssueLicense:
		return issue(s, c)
	case AllocateLicense:
		return allocateLicense(s, c)
	case ReturnAllocation:
		return returnAllocation(s, c)
	case ReallocateLicense:
		return reallocate(s, c)
	case TransferLicense:
		return transfer(s, c)
	case RenewMaintenance:
		return renew(s, c)
	}
	return nil, domain.Rule("license.unknown_command", "unknown license command %T", cmd)
}

// Move decides that license s follows its owner into account to, which the
// owner was merged into. It is pure, and called by the command service for
// every license the merged account holds, in the same atomic append as the
// merge itself; at is the merge's time, which the event envelope records.
// Only admin or support staff merge accounts. A rescinded license moves too:
// it is part of the account's history. Allocations stay as they are: the
// license servers are the same company's.
func Move(s State, to string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	if !by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff merge accounts")
	}
	var p domain.Problems
	checkOrg(&p, "to_account_id", to)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !s.Exists() {
		return nil, domain.ErrNotFound
	}
	if to == s.Owner {
		return nil, domain.Rule("license.owner_unchanged", "license %s already belongs to account %s", s.ID, to)
	}
	return []domain.Event{OwnerChanged{FromAccountID: s.Owner, ToAccountID: to, Reason: ReasonMerge}}, nil
}

func issue(s State, c IssueLicense) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) && !isSystem(c.By) {
		return nil, domain.Forbidden("licenses are issued by order fulfilment or by admin or support staff")
	}
	var p domain.Problems
	if !ValidID(c.LicenseID) {
		p.Add("license_id", "must be a license ID such as LIC-0000001")
	}
	checkText(&p, "product", c.Product)
	checkText(&p, "edition", c.Edition)
	checkQuantity(&p, "quantity", c.Quantity)
	checkOrg(&p, "owner_account_id", c.OwnerAccountID)
	if !ids.Order(c.SourceOrder) {
		p.Add("source_order", "must be an order number such as ORD-0000001")
	}
	if _, ok := parseDate(c.MaintenanceEnd); !ok {
		p.Add("maintenance_end", "must be a date YYYY-MM-DD")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	switch {
	case !c.Owner.Exists || c.Owner.ID != c.OwnerAccountID:
		return nil, domain.Rule("license.owner_unknown", "there is no customer account %s", c.OwnerAccountID)
	case c.Owner.MergedInto != "":
		return nil, domain.Rule("license.owner_merged", "account %s was merged into %s and accepts no further licenses", c.OwnerAccountID, c.Owner.MergedInto)
	}
	return []domain.Event{Issued{
		LicenseID:      c.LicenseID,
		Product:        strings.TrimSpace(c.Product),
		Edition:        strings.TrimSpace(c.Edition),
		Quantity:       c.Quantity,
		OwnerAccountID: c.OwnerAccountID,
		SourceOrder:    c.SourceOrder,
		MaintenanceEnd: c.MaintenanceEnd,
	}}, nil
}

func allocateLicense(s State, c AllocateLicense) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkHost(&p, "host_id_type", "host_id", c.HostIDType, c.HostID)
	checkQuantity(&p, "quantity", c.Quantity)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.LicenseID, c.By, ownerMayChange); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	if err := hostTypeAgrees(s, c.HostIDType, c.HostID); err != nil {
		return nil, err
	}
	if free := s.Quantity - s.Allocated(); c.Quantity > free {
		return nil, domain.Rule("license.over_allocated",
			"license %s has %d users of which %d are allocated: %d more would exceed it", s.ID, s.Quantity, s.Allocated(), c.Quantity)
	}
	return []domain.Event{Allocated{HostIDType: c.HostIDType, HostID: c.HostID, Quantity: c.Quantity}}, nil
}

func returnAllocation(s State, c ReturnAllocation) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !printableHostID(c.HostID) {
		p.Add("host_id", "must be 1 to %d printable characters without spaces", MaxHostIDLen)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.LicenseID, c.By, ownerMayChange); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	if _, ok := s.Allocations[c.HostID]; !ok {
		return nil, domain.Rule("license.allocation_unknown", "nothing of license %s is allocated to %s", s.ID, c.HostID)
	}
	return []domain.Event{AllocationReturned{HostID: c.HostID}}, nil
}

func reallocate(s State, c ReallocateLicense) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !printableHostID(c.FromHostID) {
		p.Add("from_host_id", "must be 1 to %d printable characters without spaces", MaxHostIDLen)
	}
	checkHost(&p, "to_host_id_type", "to_host_id", c.ToHostIDType, c.ToHostID)
	if c.ToHostID != "" && c.ToHostID == c.FromHostID {
		p.Add("to_host_id", "must be another license server than from_host_id")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.LicenseID, c.By, ownerMayChange); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	from, ok := s.Allocations[c.FromHostID]
	if !ok {
		return nil, domain.Rule("license.allocation_unknown", "nothing of license %s is allocated to %s", s.ID, c.FromHostID)
	}
	if err := hostTypeAgrees(s, c.ToHostIDType, c.ToHostID); err != nil {
		return nil, err
	}
	return []domain.Event{Reallocated{FromHostID: c.FromHostID, ToHostIDType: c.ToHostIDType, ToHostID: c.ToHostID, Quantity: from.Quantity}}, nil
}

func transfer(s State, c TransferLicense) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkOrg(&p, "to_account_id", c.ToAccountID)
	if c.ApprovalCase != "" && !ids.Case(c.ApprovalCase) {
		p.Add("approval_case", "must be a case number such as CASE-000001")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	// License adjustments across organisations go through a support case
	// that staff execute: the owner's contacts may not transfer themselves,
	// and staff only on an approved case.
	if err := mayAct(s, c.LicenseID, c.By, staffOnly); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	switch {
	case c.ApprovalCase == "":
		return nil, domain.Rule("license.transfer_needs_case",
			"a license goes to another organisation only through an approved support case: open a transfer case proposing it "+
				"(approving the case executes it), or name the approved case in approval_case")
	case !c.To.Exists || c.To.ID != c.ToAccountID:
		return nil, domain.Rule("license.transfer_target_unknown", "there is no customer account %s", c.ToAccountID)
	case c.To.MergedInto != "":
		return nil, domain.Rule("license.transfer_target_merged", "account %s was merged into %s and accepts no further licenses", c.ToAccountID, c.To.MergedInto)
	case c.ToAccountID == s.Owner:
		return nil, domain.Rule("license.transfer_same_owner", "license %s already belongs to account %s", s.ID, s.Owner)
	case len(s.Allocations) > 0:
		return nil, domain.Rule("license.transfer_allocated",
			"license %s has %d users allocated to %d license servers: return them before transferring", s.ID, s.Allocated(), len(s.Allocations))
	}
	return []domain.Event{Transferred{FromAccountID: s.Owner, ToAccountID: c.ToAccountID, ApprovalCase: c.ApprovalCase}}, nil
}

func renew(s State, c RenewMaintenance) ([]domain.Event, error) {
	// Only the customer and its renewal partner renew: staff included,
	// nobody renews on their behalf.
	switch c.By.Kind {
	case domain.KindCustomer, domain.KindPartner:
	default:
		return nil, domain.Forbidden("only the customer itself or its renewal partner may renew maintenance")
	}
	if !s.Exists() || s.ID != c.LicenseID {
		return nil, domain.ErrNotFound
	}
	if err := mayRenew(s, c); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	to, ok := addYear(s.MaintenanceEnd)
	if !ok {
		return nil, domain.Rule("license.maintenance_end_unknown", "license %s has no maintenance end date to renew from", s.ID)
	}
	return []domain.Event{MaintenanceRenewed{From: s.MaintenanceEnd, To: to}}, nil
}

// mayRenew enforces DOMAIN.md: only the customer itself, or its renewal
// partner with view rights on the license, may renew. A party with no
// relation to the owner is told the license does not exist.
func mayRenew(s State, c RenewMaintenance) error {
	by := c.By
	if by.Kind == domain.KindCustomer {
		if by.AccountID != s.Owner {
			return domain.ErrNotFound
		}
		return by.CustomerMayChange(s.Owner)
	}
	renewalPartner := c.RenewalPartnerID != "" && by.PartnerID == c.RenewalPartnerID
	switch {
	case !renewalPartner && !c.HasViewRights:
		return domain.ErrNotFound
	case !renewalPartner:
		return domain.Forbidden("partner %s is not the renewal partner of account %s", by.PartnerID, s.Owner)
	case !c.HasViewRights:
		return domain.Forbidden("partner %s has no view rights on license %s", by.PartnerID, s.ID)
	}
	return by.PartnerMayAct()
}

// addYear returns date d one year later; 29 February becomes 28 February.
func addYear(d string) (string, bool) {
	t, ok := parseDate(d)
	if !ok {
		return "", false
	}
	y, m, day := t.Date()
	next := time.Date(y+1, m, day, 0, 0, 0, 0, time.UTC)
	if next.Month() != m {
		next = time.Date(y+1, m+1, 0, 0, 0, 0, 0, time.UTC) // the last day of m
	}
	return next.Format(dateLayout), true
}

// Who besides admin and support staff may act on an existing license.
const (
	staffOnly      = false
	ownerMayChange = true // and an unrestricted contact of the owning account
)

func isSystem(by domain.Actor) bool {
	return by.Kind == domain.KindStaff && by.ID == SystemPrincipalID
}

// mayAsk is the part of mayAct that does not depend on the license: admin
// and support staff may ask; other staff and unknown principals are refused
// at once; contacts are decided by mayAct once the license is known.
func mayAsk(by domain.Actor) error {
	switch by.Kind {
	case domain.KindStaff:
		if by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
			return nil
		}
		return domain.Forbidden("only admin or support staff change licenses")
	case domain.KindCustomer, domain.KindPartner:
		return nil
	}
	return domain.Forbidden("unknown principal kind %q", by.Kind)
}

// mayAct settles, once mayAsk passed, that license id exists and that by
// may act on it. A contact acts only on licenses of its own organisation
// (DOMAIN.md); anyone else is told the license does not exist. Partners are
// among them: none of these commands is a partner's to give, and answering
// "forbidden" would tell a partner without view rights that the license
// exists.
func mayAct(s State, id string, by domain.Actor, ownerMay bool) error {
	// A state folded from another license's stream must not answer in this
	// command's name.
	if !s.Exists() || s.ID != id {
		return domain.ErrNotFound
	}
	switch {
	case by.Kind == domain.KindStaff:
		return nil
	case by.Kind != domain.KindCustomer || by.AccountID != s.Owner:
		return domain.ErrNotFound
	case ownerMay:
		return by.CustomerMayChange(s.Owner)
	}
	return domain.Forbidden("only staff, on a support case, may do this")
}

func notRescinded(s State) error {
	if s.Status == StatusRescinded {
		return domain.Rule("license.rescinded", "license %s was rescinded (replaced by %s) and accepts no further commands", s.ID, strings.Join(s.ReplacedBy, ", "))
	}
	return nil
}

// hostTypeAgrees refuses a host ID already holding an allocation of s under
// another host ID type: one license server has one host ID.
func hostTypeAgrees(s State, hostIDType, hostID string) error {
	if a, ok := s.Allocations[hostID]; ok && a.HostIDType != hostIDType {
		return domain.Rule("license.host_id_type_conflict", "%s holds users of license %s as a %s host ID, not a %s", hostID, s.ID, a.HostIDType, hostIDType)
	}
	return nil
}

func checkHost(p *domain.Problems, typeField, idField, hostIDType, hostID string) {
	switch hostIDType {
	case HostName, HostMAC, HostIP:
		if !ValidHostID(hostIDType, hostID) {
			p.Add(idField, "must be %s", hostIDHint(hostIDType))
		}
	default:
		p.Add(typeField, "must be hostname, mac or ip")
		if !printableHostID(hostID) {
			p.Add(idField, "must be 1 to %d printable characters without spaces", MaxHostIDLen)
		}
	}
}

func hostIDHint(hostIDType string) string {
	switch hostIDType {
	case HostMAC:
		return "a MAC address of 12 lower-case hex digits without separators, e.g. 0019b9f1c2d3"
	case HostIP:
		return "an IPv4 or IPv6 address in canonical form, e.g. 10.0.0.5 or 2001:db8::5"
	}
	return "a host name of letters, digits and hyphens in dot-separated labels, at most 255 characters"
}

func checkQuantity(p *domain.Problems, field string, q int) {
	if q < 1 || q > MaxQuantity {
		p.Add(field, "must be 1 to %d", MaxQuantity)
	}
}

func checkOrg(p *domain.Problems, field, id string) {
	if !ids.Org(id) {
		p.Add(field, "must be six digits and two capital letters, e.g. 123456HQ")
	}
}

func checkText(p *domain.Problems, field, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxTextLen:
		p.Add(field, "must be at most %d characters", MaxTextLen)
	case names.Fold(v) == "":
		p.Add(field, "must contain letters or digits")
	}
}

func checkReference(p *domain.Problems, field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxReferenceLen:
		p.Add(field, "must be at most %d characters", MaxReferenceLen)
	}
}

// parseDate parses a YYYY-MM-DD date.
func parseDate(v string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, v)
	return t, err == nil && t.Format(dateLayout) == v
}
