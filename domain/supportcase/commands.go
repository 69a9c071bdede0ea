package supportcase

import (
	"encoding/json"
	"time"

	"github.com/channeldesk/channeldesk/domain"
)

// Command is a command on one support case.
type Command interface {
	// Target is the case number the command addresses.
	Target() string
	isCommand()
}

// OpenCase opens a case under CaseNumber, which the system allocated (form
// CASE-000001), for the account AccountID on behalf of Requester (a
// principal ID). Evidence lists references to documents already stored;
// Proposed is the command the case asks the vendor to execute, if any, as
// JSON.
//
// Account and PartnerRelated are facts the command service loads in the
// same attempt: the account the case is about, and, for a partner caller,
// whether the partner is related to that customer (through an order, view
// rights, renewal, advice or manage rights under one of its agreements).
type OpenCase struct {
	CaseNumber  string
	RequestType string
	Subject     string
	AccountID   string
	Requester   string
	Description string
	Evidence    []string
	Proposed    json.RawMessage

	Account        domain.OrgRef
	PartnerRelated bool

	By domain.Actor
	At time.Time
}

// RequestInformation sends an open case back to its requester, asking for
// What.
type RequestInformation struct {
	CaseNumber string
	What       string
	By         domain.Actor
	At         time.Time
}

// ProvideInformation answers a request for information, with text, further
// evidence references, or both.
type ProvideInformation struct {
	CaseNumber  string
	Information string
	Evidence    []string
	By          domain.Actor
	At          time.Time
}

// CloseUnanswered closes a case whose request for information was not
// answered in time. Only the system's timer sends it.
type CloseUnanswered struct {
	CaseNumber string
	By         domain.Actor
	At         time.Time
}

// ApproveCase approves an open case, with an optional note. A case with a
// proposal is executed by the same approval: Decide answers CaseApproved
// and CaseExecuted, and the command service appends them with the change's
// events in one atomic append.
type ApproveCase struct {
	CaseNumber string
	Note       string
	By         domain.Actor
	At         time.Time
}

// RecordExecutionRefused records that the domain refused, at execution,
// the change an approval of the case was to execute: Code names the
// refusing rule (or validation_failed, not_found) and Reason says why. The
// command service sends it, as the approving staff member, after the
// approval's own append was abandoned.
type RecordExecutionRefused struct {
	CaseNumber string
	Code       string
	Reason     string
	By         domain.Actor
	At         time.Time
}

// RecordExecution records that a change was executed on the authority of
// an approved case that proposed none (staff approved it, then ran the
// change's own route naming the case: a license split or transfer with its
// approval_case). It is decided in the change's own append, so the case
// completes with exactly one change, and its supportcase.executed shares
// the change's command ID. Operation is the change (OperationSplitLicense,
// OperationTransferLicense) and Changed what it addressed (the license).
type RecordExecution struct {
	CaseNumber string
	Operation  string
	Changed    string
	// AccountID is the account the change was made for (the license's
	// owner); it must be the case's.
	AccountID string
	By        domain.Actor
	At        time.Time
}

// RejectCase rejects an open case, saying why.
type RejectCase struct {
	CaseNumber string
	Reason     string
	By         domain.Actor
	At         time.Time
}

// Target implements Command.
func (c OpenCase) Target() string { return c.CaseNumber }

// Target implements Command.
func (c RequestInformation) Target() string { return c.CaseNumber }

// Target implements Command.
func (c ProvideInformation) Target() string { return c.CaseNumber }

// Target implements Command.
func (c CloseUnanswered) Target() string { return c.CaseNumber }

// Target implements Command.
func (c ApproveCase) Target() string { return c.CaseNumber }

// Target implements Command.
func (c RecordExecutionRefused) Target() string { return c.CaseNumber }

// Target implements Command.
func (c RecordExecution) Target() string { return c.CaseNumber }

// Target implements Command.
func (c RejectCase) Target() string { return c.CaseNumber }

func (OpenCase) isCommand()               {}
func (RequestInformation) isCommand()     {}
func (ProvideInformation) isCommand()     {}
func (CloseUnanswered) isCommand()        {}
func (ApproveCase) isCommand()            {}
func (RejectCase) isCommand()             {}
func (RecordExecutionRefused) isCommand() {}
func (RecordExecution) isCommand()        {}

// StreamID is the event stream of a case.
func StreamID(caseNumber string) string { return "supportcase-" + caseNumber }
