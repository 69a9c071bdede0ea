package contract

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Discount levels of an agreement.
const (
	MinDiscountLevel = 1
	MaxDiscountLevel = 6
)

// Bounds of a termination's free text.
const (
	// MaxReasonLen bounds a termination's reason, in characters.
	MaxReasonLen = 1000
	// MaxEvidence bounds a termination's evidence references.
	MaxEvidence = 20
	// MaxReferenceLen bounds one evidence reference, in characters.
	MaxReferenceLen = 500
)

// dateLayout is the form of dates without time in commands and events.
const dateLayout = "2006-01-02"

// ValidNumber reports whether number has the form of an agreement number of
// program: ELA-000001 for enterprise, EASY-000001 for easy.
func ValidNumber(program, number string) bool {
	p, ok := ids.Contract(number)
	return ok && p == program
}

func exampleNumber(program string) string {
	if program == ProgramEasy {
		return "EASY-000001"
	}
	return "ELA-000001"
}

// Decide decides cmd against the agreement's state s: the events to record,
// or an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case RegisterContract:
		return register(s, c)
	case ChangeContractAdministrators:
		return changeAdministrators(s, c)
	case SetDiscountLevel:
		return setDiscountLevel(s, c)
	case GrantManageRights:
		return grantManageRights(s, c)
	case RevokeManageRights:
		return revokeManageRights(s, c)
	case TerminateContract:
		return terminate(s, c)
	}
	return nil, domain.Rule("contract.unknown_command", "unknown contract command %T", cmd)
}

// Move decides that agreement s follows its account into account to, which
// the account was merged into. It is pure, and called by the command
// service for every agreement the merged account holds, in the same atomic
// append as the merge itself; at is the merge's time, which the event
// envelope records. Only admin or support staff merge accounts. A
// terminated agreement moves too: it is part of the account's history.
func Move(s State, to string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	if !by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff merge accounts")
	}
	var p domain.Problems
	if !ids.Org(to) {
		p.Add("to_account_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !s.Exists() {
		return nil, domain.ErrNotFound
	}
	if to == s.AccountID {
		return nil, domain.Rule("contract.owner_unchanged", "agreement %s already belongs to account %s", s.Number, to)
	}
	return []domain.Event{OwnerChanged{FromAccountID: s.AccountID, ToAccountID: to, Reason: ReasonMerge}}, nil
}

func register(s State, c RegisterContract) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff register license agreements")
	}
	var p domain.Problems
	switch c.Program {
	case ProgramEnterprise, ProgramEasy:
		if !ValidNumber(c.Program, c.Number) {
			p.Add("number", "must be a number of the %s program, e.g. %s", c.Program, exampleNumber(c.Program))
		}
	default:
		p.Add("program", "must be enterprise or easy")
	}
	if !ids.Org(c.AccountID) {
		p.Add("account_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	checkAdministrators(&p, c.PrimaryAdmin, c.SecondaryAdmin)
	checkDiscountLevel(&p, "discount_level", c.DiscountLevel)
	start, okStart := checkDate(&p, "term_start", c.TermStart)
	end, okEnd := checkDate(&p, "term_end", c.TermEnd)
	if okStart && okEnd && !end.After(start) {
		p.Add("term_end", "must be after term_start")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	switch {
	case !c.Account.Exists || c.Account.ID != c.AccountID:
		return nil, domain.Rule("contract.account_unknown", "there is no customer account %s", c.AccountID)
	case c.Account.MergedInto != "":
		return nil, domain.Rule("contract.account_merged", "account %s was merged into %s and accepts no further commands", c.AccountID, c.Account.MergedInto)
	}
	if existing := c.ActiveContracts[c.Program]; existing != "" {
		return nil, domain.Rule("contract.one_active_per_program",
			"account %s already has the active %s agreement %s: only one active agreement per program per account", c.AccountID, c.Program, existing)
	}
	return []domain.Event{Registered{
		ContractNumber: c.Number,
		Program:        c.Program,
		AccountID:      c.AccountID,
		PrimaryAdmin:   c.PrimaryAdmin,
		SecondaryAdmin: c.SecondaryAdmin,
		DiscountLevel:  c.DiscountLevel,
		TermStart:      c.TermStart,
		TermEnd:        c.TermEnd,
	}}, nil
}

func changeAdministrators(s State, c ChangeContractAdministrators) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkAdministrators(&p, c.Primary, c.Secondary)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.Number, c.By, customerMayChange); err != nil {
		return nil, err
	}
	if err := notTerminated(s); err != nil {
		return nil, err
	}
	if c.Primary == s.PrimaryAdmin && c.Secondary == s.SecondaryAdmin {
		return nil, domain.Rule("contract.administrators_unchanged", "%s and %q are already the administrators of %s", c.Primary, c.Secondary, s.Number)
	}
	return []domain.Event{AdministratorsChanged{PrimaryAdmin: c.Primary, SecondaryAdmin: c.Secondary}}, nil
}

func setDiscountLevel(s State, c SetDiscountLevel) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkDiscountLevel(&p, "discount_level", c.Level)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.Number, c.By, staffOnly); err != nil {
		return nil, err
	}
	if err := notTerminated(s); err != nil {
		return nil, err
	}
	if c.Level == s.DiscountLevel {
		return nil, domain.Rule("contract.discount_level_unchanged", "agreement %s is already at discount level %d", s.Number, c.Level)
	}
	return []domain.Event{DiscountLevelSet{DiscountLevel: c.Level}}, nil
}

func grantManageRights(s State, c GrantManageRights) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !ids.Org(c.PartnerID) {
		p.Add("partner_id", "must be six digits and two capital letters, e.g. 654321PA")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.Number, c.By, customerMayChange); err != nil {
		return nil, err
	}
	if err := notTerminated(s); err != nil {
		return nil, err
	}
	switch {
	case !c.Partner.Exists || c.Partner.ID != c.PartnerID:
		return nil, domain.Rule("contract.partner_unknown", "there is no partner %s", c.PartnerID)
	case c.Partner.MergedInto != "":
		return nil, domain.Rule("contract.partner_merged", "partner %s was merged into %s", c.PartnerID, c.Partner.MergedInto)
	case s.ManagedByPartner(c.PartnerID):
		return nil, domain.Rule("contract.manage_rights_already_granted", "partner %s already manages %s", c.PartnerID, s.Number)
	}
	return []domain.Event{ManageRightsGranted{PartnerID: c.PartnerID}}, nil
}

func revokeManageRights(s State, c RevokeManageRights) ([]domain.Event, error) {
	if err := mayAsk(c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	if !ids.Org(c.PartnerID) {
		p.Add("partner_id", "must be six digits and two capital letters, e.g. 654321PA")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, c.Number, c.By, customerMayChange); err != nil {
		return nil, err
	}
	// Revoking is not refused for a terminated agreement: withdrawing
	// access never is (its termination revoked every right already).
	if !s.ManagedByPartner(c.PartnerID) {
		return nil, domain.Rule("contract.manage_rights_not_granted", "partner %s does not manage %s", c.PartnerID, s.Number)
	}
	return []domain.Event{ManageRightsRevoked{PartnerID: c.PartnerID}}, nil
}

// Who besides admin and support staff may act on an existing agreement.
const (
	staffOnly         = false
	customerMayChange = true // and an unrestricted contact of the customer
)

// mayAsk is the part of mayAct that does not depend on the agreement:
// admin and support staff may ask; other staff and unknown principals are
// refused at once; customer and partner contacts are decided by mayAct once
// the agreement is known.
func mayAsk(by domain.Actor) error {
	switch by.Kind {
	case domain.KindStaff:
		if by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
			return nil
		}
		return domain.Forbidden("only admin or support staff change license agreements")
	case domain.KindCustomer, domain.KindPartner:
		return nil
	}
	return domain.Forbidden("unknown principal kind %q", by.Kind)
}

// mayAct settles, once mayAsk passed, that agreement number exists and that
// by may act on it. A contact who may not know of the agreement — of another
// customer, or of a partner without manage rights — is told it does not
// exist.
func mayAct(s State, number string, by domain.Actor, customerMay bool) error {
	// A state folded from another agreement's stream must not answer in
	// this command's name.
	if !s.Exists() || s.Number != number {
		return domain.ErrNotFound
	}
	switch by.Kind {
	case domain.KindStaff:
		return nil
	case domain.KindCustomer:
		if by.AccountID != s.AccountID {
			return domain.ErrNotFound
		}
		if customerMay {
			return by.CustomerMayChange(s.AccountID)
		}
	case domain.KindPartner:
		if !s.ManagedByPartner(by.PartnerID) {
			return domain.ErrNotFound
		}
	}
	if customerMay {
		return domain.Forbidden("only staff or an unrestricted contact of account %s may do this", s.AccountID)
	}
	return domain.Forbidden("only admin or support staff may do this")
}

// terminate decides a termination: only admin or support staff terminate
// (on a support case), with a reason and evidence. The partners that still
// hold manage rights lose them first, in the order they were granted, so
// that every reader that follows revocations drops their access through
// this agreement; then the agreement is terminated, dated At's UTC day.
func terminate(s State, c TerminateContract) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff terminate license agreements")
	}
	var p domain.Problems
	reason := checkReason(&p, "reason", c.Reason)
	switch {
	case len(c.Evidence) == 0:
		p.Add("evidence", "must list at least one reference")
	case len(c.Evidence) > MaxEvidence:
		p.Add("evidence", "must list at most %d references", MaxEvidence)
	}
	for i, ref := range c.Evidence {
		checkReference(&p, fmt.Sprintf("evidence[%d]", i), ref)
	}
	if c.At.IsZero() {
		p.Add("at", "is required")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	// A state folded from another agreement's stream must not be
	// terminated in this command's name.
	if !s.Exists() || s.Number != c.Number {
		return nil, domain.ErrNotFound
	}
	if err := notTerminated(s); err != nil {
		return nil, err
	}
	evs := make([]domain.Event, 0, len(s.ManagedBy)+1)
	for _, partnerID := range s.ManagedBy {
		evs = append(evs, ManageRightsRevoked{PartnerID: partnerID})
	}
	return append(evs, Terminated{
		Reason:       reason,
		Evidence:     slices.Clone(c.Evidence),
		TerminatedOn: c.At.UTC().Format(dateLayout),
	}), nil
}

// notTerminated refuses a change to a terminated agreement.
func notTerminated(s State) error {
	if s.Status == StatusTerminated {
		return domain.Rule("contract.terminated", "agreement %s was terminated on %s and accepts no further change", s.Number, s.TerminatedOn)
	}
	return nil
}

// checkReason checks a free text that may span lines (tabs and line breaks
// allowed, no other control or format characters) and returns it without
// surrounding white space.
func checkReason(p *domain.Problems, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !names.CleanText(v):
		p.Add(field, "must be valid UTF-8 without control characters other than tabs and line breaks")
	case utf8.RuneCountInString(v) > MaxReasonLen:
		p.Add(field, "must be at most %d characters", MaxReasonLen)
	}
	return v
}

// checkReference checks one evidence reference: a document's name or ID on
// one line.
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

func checkAdministrators(p *domain.Problems, primary, secondary string) {
	if primary == "" {
		p.Add("primary_admin", "is required")
	} else if !ids.Contact(primary) {
		p.Add("primary_admin", "must be a contact ID such as C-000001")
	}
	switch {
	case secondary == "":
	case !ids.Contact(secondary):
		p.Add("secondary_admin", "must be a contact ID such as C-000002")
	case secondary == primary:
		p.Add("secondary_admin", "must be another contact than the primary administrator")
	}
}

func checkDiscountLevel(p *domain.Problems, field string, level int) {
	if level < MinDiscountLevel || level > MaxDiscountLevel {
		p.Add(field, "must be %d to %d", MinDiscountLevel, MaxDiscountLevel)
	}
}

// checkDate parses a YYYY-MM-DD date, recording a problem if it is not one.
func checkDate(p *domain.Problems, field, v string) (time.Time, bool) {
	if v == "" {
		p.Add(field, "is required")
		return time.Time{}, false
	}
	t, err := time.Parse(dateLayout, v)
	if err != nil || t.Format(dateLayout) != v {
		p.Add(field, "must be a date YYYY-MM-DD")
		return time.Time{}, false
	}
	return t, true
}
