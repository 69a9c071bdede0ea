package supportcase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Limits on what a case holds.
const (
	// MaxTextLen bounds free text (description, what, information, note,
	// reason), in characters.
	MaxTextLen = 10000
	// MaxReferenceLen bounds one evidence reference, in characters.
	MaxReferenceLen = 500
	// MaxEvidence bounds the evidence references of one command.
	MaxEvidence = 50
	// MaxProposalBytes bounds the proposed command's JSON.
	MaxProposalBytes = 64 << 10
	// MaxRequesterLen bounds the requester's principal ID, in bytes.
	MaxRequesterLen = 200
)

var (
	// Case numbers are six digits, more once the sequence passes 999999,
	// never with a leading zero beyond six (internal/numbering).
	requesterPattern = regexp.MustCompile(`^(?:staff|partner|customer):[^\s]+$`)
)

// ValidNumber reports whether n has the form of a case number, e.g.
// CASE-000001.
func ValidNumber(n string) bool { return ids.Case(n) }

// Decide decides cmd against the case's state s: the events to record, or
// an error matching domain.ErrValidation, ErrRuleViolation, ErrForbidden,
// ErrNotFound or ErrDuplicate.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case OpenCase:
		return open(s, c)
	case RequestInformation:
		return requestInformation(s, c)
	case ProvideInformation:
		return provideInformation(s, c)
	case CloseUnanswered:
		return closeUnanswered(s, c)
	case ApproveCase:
		return approve(s, c)
	case RejectCase:
		return reject(s, c)
	case RecordExecutionRefused:
		return refuseExecution(s, c)
	case RecordExecution:
		return recordExecution(s, c)
	}
	return nil, domain.Rule("supportcase.unknown_command", "unknown support case command %T", cmd)
}

func open(s State, c OpenCase) ([]domain.Event, error) {
	if err := mayOpen(c.AccountID, c.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	switch c.RequestType {
	case RequestGeneral, RequestLicensing:
	default:
		p.Add("request_type", "must be general or licensing")
	}
	switch c.Subject {
	case SubjectRename, SubjectMerge, SubjectSplit, SubjectTransfer, SubjectConsolidation, SubjectTermination, SubjectOther:
	default:
		p.Add("subject", "must be rename, merge, split, transfer, consolidation, termination or other")
	}
	if !ids.Org(c.AccountID) {
		p.Add("account_id", "must be six digits and two capital letters, e.g. 123456HQ")
	}
	if len(c.Requester) > MaxRequesterLen || !requesterPattern.MatchString(c.Requester) || !names.Clean(c.Requester) {
		p.Add("requester", "must be a principal ID such as customer:123456HQ/C-000001")
	}
	description := checkText(&p, "description", c.Description, true)
	evidence := checkEvidence(&p, "evidence", c.Evidence)
	proposed := checkProposal(&p, c.Proposed)
	notExecutable := checkProposed(&p, c, proposed)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.By.Kind == domain.KindPartner && (!c.Account.Exists || c.Account.ID != c.AccountID || !c.PartnerRelated) {
		// A partner sees a customer only through an order, a contract
		// right or view rights: any other account does not exist for it.
		return nil, fmt.Errorf("account %s: %w", c.AccountID, domain.ErrNotFound)
	}
	if notExecutable != nil {
		return nil, notExecutable
	}
	if a := c.Account; !a.Exists || a.ID != c.AccountID {
		return nil, domain.Rule("supportcase.account_unknown", "there is no customer account %s", c.AccountID)
	} else if a.MergedInto != "" {
		return nil, domain.Rule("supportcase.account_merged",
			"account %s was merged into %s: open the case for %s", a.ID, a.MergedInto, a.MergedInto)
	}
	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) && c.Requester != c.By.ID {
		return nil, domain.Rule("supportcase.requester_is_caller",
			"only staff open a case on someone else's behalf: the requester must be %s", c.By.ID)
	}
	return []domain.Event{CaseOpened{
		CaseNumber:  c.CaseNumber,
		RequestType: c.RequestType,
		Subject:     c.Subject,
		AccountID:   c.AccountID,
		Requester:   c.Requester,
		Description: description,
		Evidence:    evidence,
		Proposed:    proposed,
		Status:      StatusOpen,
		OpenedAt:    c.At.UTC(),
	}}, nil
}

func requestInformation(s State, c RequestInformation) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff ask for information on a case")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	what := checkText(&p, "what", c.What, true)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.CaseNumber); err != nil {
		return nil, err
	}
	if err := undecided(s); err != nil {
		return nil, err
	}
	if s.Status == StatusWaitingForInformation {
		return nil, domain.Rule("supportcase.waiting_for_information",
			"case %s already waits for information, due %s", s.Number, s.InformationDue.Format(time.RFC3339))
	}
	at := c.At.UTC()
	return []domain.Event{InformationRequested{
		CaseNumber:  s.Number,
		What:        what,
		RequestedAt: at,
		Due:         at.Add(InformationWindow),
		Status:      StatusWaitingForInformation,
	}}, nil
}

func provideInformation(s State, c ProvideInformation) ([]domain.Event, error) {
	// Who may answer depends on the case (its requester); what does not is
	// settled first. A partner answers only while it may act at all.
	switch {
	case c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
	case c.By.Kind == domain.KindStaff:
		return nil, domain.Forbidden("only admin or support staff answer on a requester's behalf")
	case c.By.Kind == domain.KindPartner:
		if err := c.By.PartnerMayAct(); err != nil {
			return nil, err
		}
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	information := checkText(&p, "information", c.Information, false)
	evidence := checkEvidence(&p, "evidence", c.Evidence)
	if information == "" && len(c.Evidence) == 0 {
		p.Add("information", "is required unless evidence is given")
	}
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.CaseNumber); err != nil {
		return nil, err
	}
	switch {
	case c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
	case c.By.ID != "" && c.By.ID == s.Requester:
	case c.By.Kind == domain.KindCustomer && c.By.AccountID == s.AccountID:
		return nil, domain.Forbidden("only the requester or staff answer for case %s", s.Number)
	default:
		// Anyone else may not learn that the case exists.
		return nil, domain.ErrNotFound
	}
	if err := undecided(s); err != nil {
		return nil, err
	}
	if s.Status != StatusWaitingForInformation {
		return nil, domain.Rule("supportcase.not_waiting_for_information", "case %s is not waiting for information", s.Number)
	}
	if !c.At.Before(s.InformationDue) {
		return nil, domain.Rule("supportcase.information_overdue",
			"the information for case %s was due by %s; the case closes and must be resubmitted",
			s.Number, s.InformationDue.Format(time.RFC3339))
	}
	return []domain.Event{InformationProvided{
		CaseNumber:  s.Number,
		Information: information,
		Evidence:    evidence,
		ProvidedAt:  c.At.UTC(),
		Status:      StatusOpen,
	}}, nil
}

func closeUnanswered(s State, c CloseUnanswered) ([]domain.Event, error) {
	if c.By.ID != SystemPrincipalID || !c.By.HasRole(domain.RoleAdmin) {
		return nil, domain.Forbidden("only the system closes unanswered cases")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.CaseNumber); err != nil {
		return nil, err
	}
	if err := undecided(s); err != nil {
		return nil, err
	}
	if s.Status != StatusWaitingForInformation {
		return nil, domain.Rule("supportcase.not_waiting_for_information", "case %s is not waiting for information", s.Number)
	}
	if c.At.Before(s.InformationDue) {
		return nil, domain.Rule("supportcase.information_not_overdue",
			"the requester of case %s has until %s to answer", s.Number, s.InformationDue.Format(time.RFC3339))
	}
	return []domain.Event{CaseClosedUnanswered{
		CaseNumber: s.Number,
		Due:        s.InformationDue,
		ClosedAt:   c.At.UTC(),
		Status:     StatusClosed,
	}}, nil
}

func approve(s State, c ApproveCase) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff approve cases")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	note := checkText(&p, "note", c.Note, false)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := decidable(s, c.CaseNumber); err != nil {
		return nil, err
	}
	at := c.At.UTC()
	evs := []domain.Event{CaseApproved{CaseNumber: s.Number, Note: note, ApprovedAt: at, Status: StatusApproved}}
	if pr, ok := s.Proposed.Decode(); ok {
		evs = append(evs, CaseExecuted{CaseNumber: s.Number, Operation: pr.Operation, Target: pr.Target, ExecutedAt: at, Status: StatusCompleted})
	}
	return evs, nil
}

// refuseExecution records that the approval's change was refused: the
// case must be one staff could approve (it was, a moment ago) and have a
// proposal to refuse.
func refuseExecution(s State, c RecordExecutionRefused) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff approve cases")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	if strings.TrimSpace(c.Code) == "" {
		p.Add("code", "is required")
	}
	reason := checkText(&p, "reason", c.Reason, true)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := decidable(s, c.CaseNumber); err != nil {
		return nil, err
	}
	pr, ok := s.Proposed.Decode()
	if !ok {
		return nil, domain.Rule("supportcase.no_proposal", "case %s proposes no command to execute", s.Number)
	}
	return []domain.Event{CaseExecutionRefused{
		CaseNumber: s.Number, Operation: pr.Operation, Target: pr.Target,
		Code: strings.TrimSpace(c.Code), Reason: reason, RefusedAt: c.At.UTC(), Status: StatusOpen,
	}}, nil
}

// RuleNotApprovedFor refuses to record a change on a case that does not
// authorise it: not approved (yet, or any more: executed already), about
// another subject or account, or with a proposal of its own (executed by
// its approval).
const RuleNotApprovedFor = "supportcase.not_approved_for_change"

// recordExecution completes an approved case without a proposal with the
// change run on its authority (see RecordExecution). The change itself
// was decided by its own aggregate, with the actor's authority: staff, or
// for a small split the owning account's own contact, who may complete
// only a case of that account. The refusals name no account, as the actor
// may not know the case's.
func recordExecution(s State, c RecordExecution) ([]domain.Event, error) {
	staff := c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport)
	if !staff && c.By.Kind != domain.KindCustomer {
		return nil, domain.Forbidden("only admin or support staff, or the account's own contact, execute what a case approved")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	subject := subjectFor(c.Operation)
	if subject == "" {
		p.Add("operation", "must be one of the operations a case proposes")
	}
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !s.Exists() || s.Number != c.CaseNumber {
		return nil, domain.Rule(RuleNotApprovedFor, "there is no support case %s", c.CaseNumber)
	}
	switch {
	case s.AccountID != c.AccountID || !staff && c.By.AccountID != s.AccountID:
		return nil, domain.Rule(RuleNotApprovedFor, "case %s is not about this account's %s", c.CaseNumber, subject)
	case s.Subject != subject:
		return nil, domain.Rule(RuleNotApprovedFor, "case %s is about a %s, not a %s", s.Number, s.Subject, subject)
	case s.Status == StatusCompleted:
		return nil, domain.Rule(RuleNotApprovedFor, "case %s was executed already: one case approves one change", s.Number)
	case s.Status != StatusApproved:
		return nil, domain.Rule(RuleNotApprovedFor, "case %s is %s, not approved", s.Number, strings.ReplaceAll(s.Status, "_", " "))
	}
	if _, ok := s.Proposed.Decode(); ok {
		// Unreachable through ApproveCase, which executes a proposal;
		// refused all the same, as the proposal would be bypassed.
		return nil, domain.Rule(RuleNotApprovedFor, "case %s proposes its own change, executed by its approval", s.Number)
	}
	return []domain.Event{CaseExecuted{CaseNumber: s.Number, Operation: c.Operation, Target: c.Changed, ExecutedAt: c.At.UTC(), Status: StatusCompleted}}, nil
}

func reject(s State, c RejectCase) ([]domain.Event, error) {
	if !c.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport) {
		return nil, domain.Forbidden("only admin or support staff reject cases")
	}
	var p domain.Problems
	checkNumber(&p, c.CaseNumber)
	reason := checkText(&p, "reason", c.Reason, true)
	checkAt(&p, c.At)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := decidable(s, c.CaseNumber); err != nil {
		return nil, err
	}
	return []domain.Event{CaseRejected{CaseNumber: s.Number, Reason: reason, RejectedAt: c.At.UTC(), Status: StatusRejected}}, nil
}

// mayOpen is who may open a case for accountID: admin or support staff, a
// contact the account knows (whatever its access: asking is not changing),
// or a partner while it may act. A contact of another customer is answered
// as if the account did not exist.
func mayOpen(accountID string, by domain.Actor) error {
	switch {
	case by.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
		return nil
	case by.Kind == domain.KindCustomer && by.AccountID != "" && by.AccountID == accountID:
		if !by.ContactKnown {
			return domain.Forbidden("only a contact account %s knows may open a case for it", accountID)
		}
		return nil
	case by.Kind == domain.KindCustomer:
		return domain.ErrNotFound
	case by.Kind == domain.KindPartner:
		return by.PartnerMayAct()
	}
	return domain.Forbidden("only admin or support staff, a contact of the account or an active partner open cases")
}

// exists refuses a command on a case that was never opened. A state folded
// from another case's stream does not count: the events would carry that
// case's number.
func exists(s State, number string) error {
	if !s.Exists() || s.Number != number {
		return domain.ErrNotFound
	}
	return nil
}

// undecided refuses a command on a case that staff already decided or that
// closed unanswered.
func undecided(s State) error {
	switch {
	case s.Status == StatusClosed:
		return domain.Rule("supportcase.closed", "case %s closed unanswered; the requester must open a new case", s.Number)
	case s.Decided():
		return domain.Rule("supportcase.decided", "case %s was already %s", s.Number, s.Status)
	}
	return nil
}

// decidable refuses to approve or reject a case that does not exist, was
// already decided or closed, or waits for information.
func decidable(s State, number string) error {
	if err := exists(s, number); err != nil {
		return err
	}
	if err := undecided(s); err != nil {
		return err
	}
	if s.Status == StatusWaitingForInformation {
		return domain.Rule("supportcase.waiting_for_information",
			"case %s waits for information until %s: it is decided once the requester answers", s.Number, s.InformationDue.Format(time.RFC3339))
	}
	return nil
}

func checkNumber(p *domain.Problems, n string) {
	if !ValidNumber(n) {
		p.Add("case_number", "must be CASE- and six digits, e.g. CASE-000001")
	}
}

// checkAt refuses a command without its instant: the deadlines and the
// resolution target are measured from it.
func checkAt(p *domain.Problems, at time.Time) {
	if at.IsZero() {
		p.Add("at", "is required")
	}
}

// checkText checks free text that may run over several lines and returns
// it without surrounding white space.
func checkText(p *domain.Problems, field, v string, required bool) string {
	t := strings.TrimSpace(v)
	switch {
	case required && t == "":
		p.Add(field, "is required")
	case !utf8.ValidString(v):
		p.Add(field, "must be valid UTF-8")
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		p.Add(field, "must not contain control characters other than line breaks and tabs")
	case utf8.RuneCountInString(t) > MaxTextLen:
		p.Add(field, "must be at most %d characters", MaxTextLen)
	}
	return t
}

// checkEvidence checks evidence references and returns a copy, or nil for
// none.
func checkEvidence(p *domain.Problems, field string, refs []string) []string {
	if len(refs) > MaxEvidence {
		p.Add(field, "must list at most %d references", MaxEvidence)
		return nil
	}
	for i, r := range refs {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case strings.TrimSpace(r) == "":
			p.Add(f, "is required")
		case !names.Clean(r):
			p.Add(f, "must be valid UTF-8 without control characters")
		case utf8.RuneCountInString(r) > MaxReferenceLen:
			p.Add(f, "must be at most %d characters", MaxReferenceLen)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return append([]string(nil), refs...)
}

// checkProposal checks the optional proposed command: absent, null, or a
// JSON object of at most MaxProposalBytes. It returns the object compacted.
func checkProposal(p *domain.Problems, raw json.RawMessage) Proposal {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil
	}
	if len(raw) > MaxProposalBytes {
		p.Add("proposed", "must be at most %d bytes", MaxProposalBytes)
		return nil
	}
	var b bytes.Buffer
	if t[0] != '{' || json.Compact(&b, t) != nil {
		p.Add("proposed", "must be a JSON object: the proposed command")
		return nil
	}
	return b.Bytes()
}
