package supportcase

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// Proposal is the command a case proposes to execute once approved, as a
// compact JSON object that this package does not interpret: the package of
// the aggregate it addresses decodes and decides it. Storage may change its
// bytes (key order, escaping) but never its JSON value; decoding compacts
// it, so white space never makes two proposals differ.
type Proposal []byte

// MarshalJSON implements json.Marshaler: the proposal in canonical form
// (object keys sorted, numbers as written, encoding/json's escaping), or
// null. So the same JSON value always marshals to the same bytes, however
// storage re-rendered it (PostgreSQL's jsonb orders keys its own way).
func (p Proposal) MarshalJSON() ([]byte, error) {
	if len(p) == 0 {
		return []byte("null"), nil
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler. A JSON null is no proposal;
// anything else must be a JSON object.
func (p *Proposal) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		*p = nil
		return nil
	}
	if len(data) == 0 || data[0] != '{' {
		return errors.New("supportcase: a proposal must be a JSON object")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return err
	}
	*p = b.Bytes()
	return nil
}

// CaseOpened: a case was opened. Status is always StatusOpen.
type CaseOpened struct {
	CaseNumber  string    `json:"case_number"`
	RequestType string    `json:"request_type"`
	Subject     string    `json:"subject"`
	AccountID   string    `json:"account_id"`
	Requester   string    `json:"requester"`
	Description string    `json:"description"`
	Evidence    []string  `json:"evidence,omitempty"`
	Proposed    Proposal  `json:"proposed,omitempty"`
	Status      string    `json:"status"`
	OpenedAt    time.Time `json:"opened_at"`
}

// EventType implements domain.Event.
func (CaseOpened) EventType() string { return "supportcase.opened" }

// SchemaVersion implements domain.Event.
func (CaseOpened) SchemaVersion() int { return 1 }

// InformationRequested: the case went back to the requester for What. The
// requester has until Due (RequestedAt plus InformationWindow) to answer;
// after that the case is closed unanswered. Status is always
// StatusWaitingForInformation.
type InformationRequested struct {
	CaseNumber  string    `json:"case_number"`
	What        string    `json:"what"`
	RequestedAt time.Time `json:"requested_at"`
	Due         time.Time `json:"due"`
	Status      string    `json:"status"`
}

// EventType implements domain.Event.
func (InformationRequested) EventType() string { return "supportcase.information_requested" }

// SchemaVersion implements domain.Event.
func (InformationRequested) SchemaVersion() int { return 1 }

// InformationProvided: the requester (or staff on its behalf) answered in
// time with Information and/or further Evidence; the case is open again.
// Status is always StatusOpen.
type InformationProvided struct {
	CaseNumber  string    `json:"case_number"`
	Information string    `json:"information,omitempty"`
	Evidence    []string  `json:"evidence,omitempty"`
	ProvidedAt  time.Time `json:"provided_at"`
	Status      string    `json:"status"`
}

// EventType implements domain.Event.
func (InformationProvided) EventType() string { return "supportcase.information_provided" }

// SchemaVersion implements domain.Event.
func (InformationProvided) SchemaVersion() int { return 1 }

// CaseClosedUnanswered: nobody answered the request for information by Due,
// so the case closed; the requester must open a new one. Status is always
// StatusClosed.
type CaseClosedUnanswered struct {
	CaseNumber string    `json:"case_number"`
	Due        time.Time `json:"due"`
	ClosedAt   time.Time `json:"closed_at"`
	Status     string    `json:"status"`
}

// EventType implements domain.Event.
func (CaseClosedUnanswered) EventType() string { return "supportcase.closed_unanswered" }

// SchemaVersion implements domain.Event.
func (CaseClosedUnanswered) SchemaVersion() int { return 1 }

// CaseApproved: staff approved the case. Status is always StatusApproved.
type CaseApproved struct {
	CaseNumber string    `json:"case_number"`
	Note       string    `json:"note,omitempty"`
	ApprovedAt time.Time `json:"approved_at"`
	Status     string    `json:"status"`
}

// EventType implements domain.Event.
func (CaseApproved) EventType() string { return "supportcase.approved" }

// SchemaVersion implements domain.Event.
func (CaseApproved) SchemaVersion() int { return 1 }

// CaseRejected: staff rejected the case for Reason. Status is always
// StatusRejected.
type CaseRejected struct {
	CaseNumber string    `json:"case_number"`
	Reason     string    `json:"reason"`
	RejectedAt time.Time `json:"rejected_at"`
	Status     string    `json:"status"`
}

// EventType implements domain.Event.
func (CaseRejected) EventType() string { return "supportcase.rejected" }

// SchemaVersion implements domain.Event.
func (CaseRejected) SchemaVersion() int { return 1 }

// CaseExecuted: the change the case proposed was executed, in the same
// atomic append as the case's approval (CaseApproved just before it) and
// the change's own events: Operation (RenameCompany, ...) on Target, the
// proposal's. Every event of that append shares its command ID and
// correlation ID, and names the approval command as its cause (metadata
// causation_id = the approving command's ID, which is also its
// command_id); so the change's events are found from the case by the
// command ID of its supportcase.executed event, and the case from them.
// Status is always StatusCompleted.
type CaseExecuted struct {
	CaseNumber string    `json:"case_number"`
	Operation  string    `json:"operation"`
	Target     string    `json:"target"`
	ExecutedAt time.Time `json:"executed_at"`
	Status     string    `json:"status"`
}

// EventType implements domain.Event.
func (CaseExecuted) EventType() string { return "supportcase.executed" }

// SchemaVersion implements domain.Event.
func (CaseExecuted) SchemaVersion() int { return 1 }

// CaseExecutionRefused: staff approved the case, but the domain refused
// the proposed change when it was executed (for instance the license has
// users allocated, or the rename's email confirmation is not from the
// company's domain). Nothing of the change and no approval was recorded:
// the case stays open, so staff may ask for information or reject it.
// Code is the refusing rule (e.g. license.transfer_allocated), or
// validation_failed or not_found; Reason is what a person reads. Status is
// always StatusOpen.
type CaseExecutionRefused struct {
	CaseNumber string    `json:"case_number"`
	Operation  string    `json:"operation"`
	Target     string    `json:"target"`
	Code       string    `json:"code"`
	Reason     string    `json:"reason"`
	RefusedAt  time.Time `json:"refused_at"`
	Status     string    `json:"status"`
}

// EventType implements domain.Event.
func (CaseExecutionRefused) EventType() string { return "supportcase.execution_refused" }

// SchemaVersion implements domain.Event.
func (CaseExecutionRefused) SchemaVersion() int { return 1 }
