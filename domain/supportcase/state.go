package supportcase

import (
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Request types.
const (
	RequestGeneral   = "general"
	RequestLicensing = "licensing"
)

// Subjects of a case.
const (
	SubjectRename        = "rename"
	SubjectMerge         = "merge"
	SubjectSplit         = "split"
	SubjectTransfer      = "transfer"
	SubjectConsolidation = "consolidation"
	SubjectTermination   = "termination"
	SubjectOther         = "other"
)

// Statuses of a case. A case is open or waiting for information until staff
// approve or reject it, or it closes because a request for information went
// unanswered. A case with a proposal is completed when approved: its
// approval executes the change in the same append. Approved (a case
// without a proposal), completed, rejected and closed cases accept none of
// this package's commands.
const (
	StatusOpen                  = "open"
	StatusWaitingForInformation = "waiting_for_information"
	StatusApproved              = "approved"
	StatusRejected              = "rejected"
	StatusClosed                = "closed"
	StatusCompleted             = "completed"
)

// InformationWindow is how long a requester has to answer a request for
// information before the case closes unanswered.
const InformationWindow = 24 * time.Hour

// SystemPrincipalID is the staff principal of the system's own timers, the
// only one that closes unanswered cases.
const SystemPrincipalID = "staff:system"

// State is a case as its events made it. The zero State is a case that does
// not exist.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	Number      string
	RequestType string
	Subject     string
	AccountID   string
	Requester   string
	Description string
	// Evidence lists every reference, from the opening and from each
	// answer, in the order received.
	Evidence []string
	Proposed Proposal
	Status   string
	// OpenedAt starts the resolution target.
	OpenedAt time.Time

	// The latest request for information: what was asked, when, and the
	// deadline for an answer.
	InformationWanted      string
	InformationRequestedAt time.Time
	InformationDue         time.Time
	// Information lists the answers given, in order.
	Information []string
	// Waited is the time spent waiting for answers that came, for a
	// resolution target that does not count the requester's time.
	Waited time.Duration

	// DecidedAt is when staff approved or rejected the case, with the
	// approval's Note or the rejection's reason.
	DecidedAt       time.Time
	Note            string
	RejectionReason string
	// ClosedAt is when the case closed unanswered.
	ClosedAt time.Time

	// ExecutedAt is when the approval executed the proposal (the case is
	// completed).
	ExecutedAt time.Time
	// Refusals lists, in order, why the domain refused to execute the
	// proposal when staff approved the case.
	Refusals []Refusal
}

// Refusal is one refusal of a case's proposal at execution.
type Refusal struct {
	Code, Reason string
	At           time.Time
}

// Exists reports whether the case was opened.
func (s State) Exists() bool { return s.Number != "" }

// Decided reports whether staff approved (and so maybe completed) or
// rejected the case.
func (s State) Decided() bool {
	return s.Status == StatusApproved || s.Status == StatusRejected || s.Status == StatusCompleted
}

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. It never modifies the slices of s or of e.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case CaseOpened:
		s = State{
			Number:      e.CaseNumber,
			RequestType: e.RequestType,
			Subject:     e.Subject,
			AccountID:   e.AccountID,
			Requester:   e.Requester,
			Description: e.Description,
			Evidence:    append([]string(nil), e.Evidence...),
			Proposed:    append(Proposal(nil), e.Proposed...),
			Status:      StatusOpen,
			OpenedAt:    e.OpenedAt,
		}
	case InformationRequested:
		s.Status = StatusWaitingForInformation
		s.InformationWanted = e.What
		s.InformationRequestedAt = e.RequestedAt
		s.InformationDue = e.Due
	case InformationProvided:
		s.Status = StatusOpen
		if e.Information != "" {
			s.Information = append(append([]string(nil), s.Information...), e.Information)
		}
		if len(e.Evidence) > 0 {
			s.Evidence = append(append([]string(nil), s.Evidence...), e.Evidence...)
		}
		if d := e.ProvidedAt.Sub(s.InformationRequestedAt); d > 0 {
			s.Waited += d
		}
	case CaseClosedUnanswered:
		s.Status = StatusClosed
		s.ClosedAt = e.ClosedAt
	case CaseApproved:
		s.Status = StatusApproved
		s.DecidedAt = e.ApprovedAt
		s.Note = e.Note
	case CaseExecuted:
		s.Status = StatusCompleted
		s.ExecutedAt = e.ExecutedAt
	case CaseExecutionRefused:
		s.Status = StatusOpen
		s.Refusals = append(append([]Refusal(nil), s.Refusals...), Refusal{Code: e.Code, Reason: e.Reason, At: e.RefusedAt})
	case CaseRejected:
		s.Status = StatusRejected
		s.DecidedAt = e.RejectedAt
		s.RejectionReason = e.Reason
	}
	return s
}
