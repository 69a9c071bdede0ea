package partner

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Limits on field lengths, in characters.
const (
	MaxNameLen   = 200
	MaxPlaceLen  = 100
	MaxReasonLen = 1000
	// MaxReferenceLen bounds an embargo hold's matched entry and note.
	MaxReferenceLen = 500
)

var (
// Contact numbers are six digits, more once the sequence passes
// 999999, never with a leading zero beyond six (internal/numbering).
)

// ValidID reports whether id has the form of an organisation ID: six digits
// and a two-letter suffix, e.g. 123456HQ.
func ValidID(id string) bool { return ids.Org(id) }

// ValidContactID reports whether id has the form of a contact ID, e.g.
// C-000001.
func ValidContactID(id string) bool { return ids.Contact(id) }

// Decide decides cmd against the partner's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case RegisterPartner:
		return register(s, c)
	case ChangePartnerStatus:
		return changeStatus(s, c)
	case AddPartnerContact:
		return addContact(s, c)
	case SetContactAccess:
		return setAccess(s, c)
	case ForgetContact:
		return forgetContact(s, c)
	case PlaceEmbargoHold:
		return placeEmbargoHold(s, c)
	case ClearEmbargoHold:
		return clearEmbargoHold(s, c)
	}
	return nil, domain.Rule("partner.unknown_command", "unknown partner command %T", cmd)
}

func register(s State, c RegisterPartner) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff register partners")
	}
	var p domain.Problems
	if !ValidID(c.PartnerID) {
		p.Add("partner_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	checkName(&p, "name", c.Name)
	kinds := checkKinds(&p, c.Kinds)
	region, ok := geo.RegionOf(c.Address.Country)
	if !ok {
		p.Add("address.country", "must be an ISO 3166-1 alpha-2 code such as US, DE or JP")
	}
	checkPlace(&p, "address.state", c.Address.State)
	checkPlace(&p, "address.city", c.Address.City)
	status := c.Status
	if status == "" {
		status = domain.PartnerProspect
	}
	if !validStatus(status) {
		p.Add("status", "must be prospect, active or expired")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	return []domain.Event{PartnerRegistered{
		PartnerID: c.PartnerID,
		Name:      strings.TrimSpace(c.Name),
		Kinds:     kinds,
		Address:   Address{Country: c.Address.Country, State: strings.TrimSpace(c.Address.State), City: strings.TrimSpace(c.Address.City)},
		Region:    string(region),
		Status:    status,
	}}, nil
}

func changeStatus(s State, c ChangePartnerStatus) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff change a partner's program status")
	}
	var p domain.Problems
	if !validStatus(c.Status) {
		p.Add("status", "must be prospect, active or expired")
	}
	checkText(&p, "reason", c.Reason, MaxReasonLen)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if c.Status == s.Status {
		return nil, domain.Rule("partner.status_unchanged", "partner %s is already %s", s.ID, s.Status)
	}
	return []domain.Event{PartnerStatusChanged{
		PartnerID:      s.ID,
		Status:         c.Status,
		PreviousStatus: s.Status,
		Reason:         strings.TrimSpace(c.Reason),
	}}, nil
}

func addContact(s State, c AddPartnerContact) ([]domain.Event, error) {
	if err := mayManageContacts(c.PartnerID, c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !ValidContactID(c.ContactID) {
		p.Add("contact_id", "must be C- and six digits, e.g. C-000001")
	}
	checkName(&p, "name", c.Name)
	if _, ok := names.EmailDomain(c.Email); !ok {
		p.Add("email", "must be an email address such as jane@partner.example")
	}
	if !domain.ValidPhone(strings.TrimSpace(c.Phone)) {
		p.Add("phone", "must be a phone number such as +49 89 1234567 (at most %d characters)", domain.MaxPhoneLen)
	}
	roles := checkRoles(&p, c.Roles)
	checkAccess(&p, c.Access)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if err := mayActHere(s, c.By); err != nil {
		return nil, err
	}
	if err := notHeld(s, c.By); err != nil {
		return nil, err
	}
	if _, ok := s.Contacts[c.ContactID]; ok {
		return nil, domain.ErrDuplicate
	}
	for _, ct := range s.Contacts {
		if strings.EqualFold(ct.Email, c.Email) {
			// The email is not repeated: a refusal is logged, and personal
			// data is kept only sealed (internal/pii).
			return nil, domain.Rule("partner.contact_email_duplicate",
				"partner %s already has a contact with this email", s.ID)
		}
	}
	return []domain.Event{PartnerContactAdded{
		PartnerID: s.ID,
		ContactID: c.ContactID,
		Name:      strings.TrimSpace(c.Name),
		Email:     c.Email,
		Phone:     strings.TrimSpace(c.Phone),
		Roles:     roles,
		Access:    c.Access,
	}}, nil
}

func setAccess(s State, c SetContactAccess) ([]domain.Event, error) {
	if err := mayManageContacts(c.PartnerID, c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !ValidContactID(c.ContactID) {
		p.Add("contact_id", "must be C- and six digits, e.g. C-000001")
	}
	checkAccess(&p, c.Access)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if err := mayActHere(s, c.By); err != nil {
		return nil, err
	}
	if err := notHeld(s, c.By); err != nil {
		return nil, err
	}
	ct, ok := s.Contacts[c.ContactID]
	if !ok {
		return nil, fmt.Errorf("contact %s of partner %s: %w", c.ContactID, s.ID, domain.ErrNotFound)
	}
	if ct.Forgotten {
		return nil, forgottenContact(ct.ID)
	}
	if c.By.Kind == domain.KindPartner && c.By.ContactID == c.ContactID {
		return nil, domain.Rule("partner.own_access", "a partner contact may not change its own access")
	}
	if ct.Access == c.Access {
		return nil, domain.Rule("partner.contact_access_unchanged", "contact %s already has %s access", ct.ID, ct.Access)
	}
	return []domain.Event{ContactAccessSet{
		PartnerID:      s.ID,
		ContactID:      ct.ID,
		Access:         c.Access,
		PreviousAccess: ct.Access,
	}}, nil
}

// mayManageContacts is who may add partner contacts or set their access,
// as far as it does not depend on the partner's state: admin or support
// staff, or the partner itself while DOMAIN.md lets it act. A contact of
// another partner is answered as if this partner did not exist: it may not
// learn that it does.
func mayManageContacts(partnerID string, by domain.Actor) error {
	switch {
	case by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
		return nil
	case by.Kind == domain.KindPartner && by.PartnerID != "" && by.PartnerID == partnerID:
		return by.PartnerMayAct()
	case by.Kind == domain.KindPartner:
		return domain.ErrNotFound
	}
	return domain.Forbidden("only staff or the partner's own org admin or business executive manage its contacts")
}

// exists refuses a command on a partner that was never registered. A state
// folded from another partner's stream does not count: the events would
// carry that partner's ID.
func exists(s State, partnerID string) error {
	if !s.Exists() || s.ID != partnerID {
		return domain.ErrNotFound
	}
	return nil
}

func validStatus(v string) bool {
	switch v {
	case domain.PartnerProspect, domain.PartnerActive, domain.PartnerExpired:
		return true
	}
	return false
}

// checkKinds validates kinds and returns them in the order of Kinds(), so
// that two registrations of the same kinds record the same list.
func checkKinds(p *domain.Problems, kinds []string) []string {
	if len(kinds) == 0 {
		p.Add("kinds", "at least one of reseller_direct, reseller_indirect, distributor or advisor is required")
		return nil
	}
	ok := true
	for i, k := range kinds {
		field := fmt.Sprintf("kinds[%d]", i)
		switch {
		case !contains(Kinds(), k):
			p.Add(field, "must be reseller_direct, reseller_indirect, distributor or advisor")
			ok = false
		case contains(kinds[:i], k):
			p.Add(field, "%s is listed twice", k)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	var out []string
	for _, k := range Kinds() {
		if contains(kinds, k) {
			out = append(out, k)
		}
	}
	return out
}

// partnerRoles are the roles of a partner contact, in the order events
// record them.
func partnerRoles() []string {
	return []string{domain.ContactOrgAdmin, domain.ContactBusinessExecutive, domain.ContactAdminAgent, domain.ContactSalesAgent}
}

// checkRoles validates a partner contact's roles and returns them in the
// order of partnerRoles.
func checkRoles(p *domain.Problems, roles []string) []string {
	if len(roles) == 0 {
		p.Add("roles", "at least one of org_admin, business_executive, admin_agent or sales_agent is required")
		return nil
	}
	ok := true
	for i, r := range roles {
		field := fmt.Sprintf("roles[%d]", i)
		switch {
		case !contains(partnerRoles(), r):
			p.Add(field, "must be org_admin, business_executive, admin_agent or sales_agent")
			ok = false
		case contains(roles[:i], r):
			p.Add(field, "%s is listed twice", r)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	var out []string
	for _, r := range partnerRoles() {
		if contains(roles, r) {
			out = append(out, r)
		}
	}
	return out
}

func checkAccess(p *domain.Problems, v string) {
	if v != domain.AccessRestricted && v != domain.AccessUnrestricted {
		p.Add("access", "must be restricted or unrestricted")
	}
}

func checkName(p *domain.Problems, field, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxNameLen:
		p.Add(field, "must be at most %d characters", MaxNameLen)
	case names.Fold(v) == "":
		p.Add(field, "must contain letters or digits")
	}
}

func checkPlace(p *domain.Problems, field, v string) {
	if !names.Clean(v) {
		p.Add(field, "must be valid UTF-8 without control characters")
	} else if utf8.RuneCountInString(v) > MaxPlaceLen {
		p.Add(field, "must be at most %d characters", MaxPlaceLen)
	}
}

// checkText checks optional free text on one line.
func checkText(p *domain.Problems, field, v string, max int) {
	if !names.Clean(v) {
		p.Add(field, "must be valid UTF-8 without control characters")
	} else if utf8.RuneCountInString(strings.TrimSpace(v)) > max {
		p.Add(field, "must be at most %d characters", max)
	}
}

// mayActHere decides whether a partner caller may act on its own
// organisation from the organisation's record (program status, the
// contact's roles and access), not from what the command says of the
// caller (DOMAIN-DESIGN.md: an aggregate that holds the contacts decides
// from its own state).
func mayActHere(s State, by domain.Actor) error {
	if by.Kind != domain.KindPartner {
		return nil
	}
	return s.Actor(by.Principal).PartnerMayAct()
}
