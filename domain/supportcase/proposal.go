package supportcase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Operations a case may propose: the API.md command names of the changes
// staff execute when they approve the case.
const (
	OperationRenameCompany   = "RenameCompany"
	OperationMergeAccounts   = "MergeAccounts"
	OperationSplitLicense    = "SplitLicense"
	OperationTransferLicense = "TransferLicense"
	// OperationConsolidateAccounts joins several accounts into the case's
	// account, one merge each, in one append; OperationTerminateContract
	// ends a license agreement. Neither has a direct route: only a case
	// executes them.
	OperationConsolidateAccounts = "ConsolidateAccounts"
	OperationTerminateContract   = "TerminateContract"
)

// subjectOperations maps each subject to the one operation its proposal
// may name; other never carries a proposal.
var subjectOperations = map[string]string{
	SubjectRename:        OperationRenameCompany,
	SubjectMerge:         OperationMergeAccounts,
	SubjectSplit:         OperationSplitLicense,
	SubjectTransfer:      OperationTransferLicense,
	SubjectConsolidation: OperationConsolidateAccounts,
	SubjectTermination:   OperationTerminateContract,
}

// Rules of proposals.
const (
	// RuleNotExecutable refuses, at execution, an operation the command
	// service cannot execute (every subject's operation is executable; it
	// guards a case recorded with an operation no version executes).
	RuleNotExecutable = "supportcase.operation_not_executable"
	// RuleTargetNotOfAccount refuses, at execution, a proposal whose
	// target does not belong to the case's account (a license or an
	// agreement another account holds by now).
	RuleTargetNotOfAccount = "supportcase.target_not_of_account"
)

// Proposed is a case's proposal decoded: the command staff execute when
// they approve the case. Its JSON form, as a client sends it in
// OpenCase.Proposed and as CaseOpened records it, is
//
//	{"operation": "RenameCompany", "target": "123456HQ", "input": {...}}
//
// Operation is one of the Operation constants and must be the one of the
// case's subject; Target is what the direct route addresses in its path (an
// account ID for RenameCompany and MergeAccounts — for a merge, the account
// merged away —, a license ID for SplitLicense and TransferLicense, the
// surviving account — the case's — for ConsolidateAccounts, a contract
// number for TerminateContract); Input is the JSON body the direct route
// takes (for ConsolidateAccounts and TerminateContract, which have none,
// {"sources", "reason", "evidence"} and {"reason", "evidence"}), executed
// as the approving staff member. A split's or transfer's approval_case is
// the case itself and may be left out.
type Proposed struct {
	Operation string          `json:"operation"`
	Target    string          `json:"target"`
	Input     json.RawMessage `json:"input"`
}

// Decode returns the proposal as a Proposed; ok is false for no proposal or
// one that is not of that form (recorded before proposals were typed: such
// a case is approved without executing anything).
func (p Proposal) Decode() (Proposed, bool) {
	if len(p) == 0 {
		return Proposed{}, false
	}
	var out Proposed
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if d.Decode(&out) != nil || subjectFor(out.Operation) == "" {
		return Proposed{}, false
	}
	return out, true
}

func subjectFor(operation string) string {
	for s, op := range subjectOperations {
		if op == operation {
			return s
		}
	}
	return ""
}

// The inputs as the approval rules read them: only the fields the rules
// name. The aggregate the operation addresses validates the whole input
// when the case is executed.
type (
	renameInput struct {
		NewName  string `json:"new_name"`
		Evidence struct {
			EmailConfirmation struct {
				From      string `json:"from"`
				Reference string `json:"reference"`
			} `json:"email_confirmation"`
			Document struct {
				Kind      string `json:"kind"`
				Reference string `json:"reference"`
			} `json:"document"`
		} `json:"evidence"`
	}
	mergeInput struct {
		Into     string   `json:"into"`
		Reason   string   `json:"reason"`
		Evidence []string `json:"evidence"`
	}
	splitInput struct {
		Parts              []json.RawMessage `json:"parts"`
		EmailAuthorisation struct {
			From      string `json:"from"`
			Reference string `json:"reference"`
		} `json:"email_authorisation"`
		ApprovalCase string `json:"approval_case"`
	}
	transferInput struct {
		ToAccountID  string `json:"to_account_id"`
		ApprovalCase string `json:"approval_case"`
	}
	consolidateInput struct {
		Sources  []string `json:"sources"`
		Reason   string   `json:"reason"`
		Evidence []string `json:"evidence"`
	}
	terminationInput struct {
		Reason   string   `json:"reason"`
		Evidence []string `json:"evidence"`
	}
)

// checkProposed checks a proposal against the case it is opened with, and
// the approval rules of its operation (DOMAIN.md, "Support case"):
//
//   - subject other carries no proposal;
//   - the operation is the subject's, the target has the form of what the
//     operation addresses, and the input is a JSON object;
//   - a rename targets the case's account and carries the email
//     confirmation from the company's domain (from, reference) and one
//     document (kind, reference), with the new name;
//   - a merge names both accounts (the target, merged away, and input.into,
//     the survivor; one of them the case's account), a reason and at least
//     one evidence reference;
//   - a split carries its parts and the customer's email authorisation; its
//     approval case, if named, is this case;
//   - a transfer names the account the license goes to, another
//     organisation: the adjustment across organisations the case exists
//     for;
//   - a termination targets an agreement (its contract number) and gives
//     a reason and at least one evidence reference.
//
// Whether the license of a split or transfer, or the agreement of a
// termination, belongs to the case's account is a fact known at execution
// (RuleTargetNotOfAccount). Field problems are reported under proposed.*;
// the rule violation is returned as err.
func checkProposed(p *domain.Problems, c OpenCase, raw Proposal) error {
	if len(raw) == 0 {
		return nil
	}
	if msg := checkProposalJSON(raw); msg != "" {
		p.Add("proposed", "%s", msg)
		return nil
	}
	op, ok := subjectOperations[c.Subject]
	switch {
	case c.Subject == SubjectOther:
		p.Add("proposed", "must be left out for subject other: it proposes no command")
		return nil
	case !ok:
		return nil // the subject itself is reported
	}
	var pr Proposed
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&pr); err != nil {
		p.Add("proposed", "must be {\"operation\", \"target\", \"input\"}: %s", strings.TrimPrefix(err.Error(), "json: "))
		return nil
	}
	switch {
	case pr.Operation == "":
		p.Add("proposed.operation", "is required: %s for subject %s", op, c.Subject)
		return nil
	case subjectFor(pr.Operation) == "":
		p.Add("proposed.operation", "must be RenameCompany, MergeAccounts, SplitLicense, TransferLicense, ConsolidateAccounts or TerminateContract")
		return nil
	case pr.Operation != op:
		p.Add("proposed.operation", "must be %s for subject %s, not %s", op, c.Subject, pr.Operation)
		return nil
	}
	in := bytes.TrimSpace(pr.Input)
	if len(in) == 0 || in[0] != '{' {
		p.Add("proposed.input", "must be a JSON object: the body of %s", op)
		return nil
	}
	decode := func(v any) bool {
		if err := json.Unmarshal(in, v); err != nil {
			p.Add("proposed.input", "must be the body of %s: %s", op, strings.TrimPrefix(err.Error(), "json: "))
			return false
		}
		return true
	}
	required := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			p.Add("proposed.input."+field, "is required")
		}
	}
	switch op {
	case OperationRenameCompany:
		if !ids.Org(pr.Target) {
			p.Add("proposed.target", "must be the account to rename, e.g. 123456HQ")
		} else if ids.Org(c.AccountID) && pr.Target != c.AccountID {
			p.Add("proposed.target", "must be the case's account %s", c.AccountID)
		}
		var r renameInput
		if decode(&r) {
			required("new_name", r.NewName)
			required("evidence.email_confirmation.from", r.Evidence.EmailConfirmation.From)
			required("evidence.email_confirmation.reference", r.Evidence.EmailConfirmation.Reference)
			required("evidence.document.kind", r.Evidence.Document.Kind)
			required("evidence.document.reference", r.Evidence.Document.Reference)
		}
	case OperationMergeAccounts:
		if !ids.Org(pr.Target) {
			p.Add("proposed.target", "must be the account merged away, e.g. 123456HQ")
		}
		var m mergeInput
		if decode(&m) {
			switch {
			case !ids.Org(m.Into):
				p.Add("proposed.input.into", "must be the surviving account, e.g. 123456HQ")
			case m.Into == pr.Target:
				p.Add("proposed.input.into", "must differ from the account merged away")
			case ids.Org(pr.Target) && ids.Org(c.AccountID) && pr.Target != c.AccountID && m.Into != c.AccountID:
				p.Add("proposed.target", "the case's account %s must be one of the two accounts", c.AccountID)
			}
			checkMergeReason(p, m.Reason)
			if len(m.Evidence) == 0 {
				p.Add("proposed.input.evidence", "must list at least one reference")
			}
		}
	case OperationSplitLicense:
		if !ids.License(pr.Target) {
			p.Add("proposed.target", "must be the license to split, e.g. LIC-0000001")
		}
		var s splitInput
		if decode(&s) {
			if len(s.Parts) < 2 {
				p.Add("proposed.input.parts", "must list at least two parts")
			}
			required("email_authorisation.from", s.EmailAuthorisation.From)
			required("email_authorisation.reference", s.EmailAuthorisation.Reference)
			if s.ApprovalCase != "" && s.ApprovalCase != c.CaseNumber {
				p.Add("proposed.input.approval_case", "must be left out or be this case, %s", c.CaseNumber)
			}
		}
	case OperationTransferLicense:
		if !ids.License(pr.Target) {
			p.Add("proposed.target", "must be the license to transfer, e.g. LIC-0000001")
		}
		var t transferInput
		if decode(&t) {
			switch {
			case !ids.Org(t.ToAccountID):
				p.Add("proposed.input.to_account_id", "must be the account the license goes to, e.g. 123456HQ")
			case ids.Org(c.AccountID) && t.ToAccountID == c.AccountID:
				p.Add("proposed.input.to_account_id", "must be another organisation than the case's account %s", c.AccountID)
			}
			if t.ApprovalCase != "" && t.ApprovalCase != c.CaseNumber {
				p.Add("proposed.input.approval_case", "must be left out or be this case, %s", c.CaseNumber)
			}
		}
	case OperationConsolidateAccounts:
		if !ids.Org(pr.Target) {
			p.Add("proposed.target", "must be the surviving account, e.g. 123456HQ")
		} else if ids.Org(c.AccountID) && pr.Target != c.AccountID {
			p.Add("proposed.target", "must be the case's account %s, which survives", c.AccountID)
		}
		var m consolidateInput
		if decode(&m) {
			checkSources(p, pr.Target, m.Sources)
			checkMergeReason(p, m.Reason)
			if len(m.Evidence) == 0 {
				p.Add("proposed.input.evidence", "must list at least one reference")
			}
		}
	case OperationTerminateContract:
		if _, ok := ids.Contract(pr.Target); !ok {
			p.Add("proposed.target", "must be the agreement to terminate, e.g. ELA-000001")
		}
		var t terminationInput
		if decode(&t) {
			required("reason", t.Reason)
			switch {
			case len(t.Evidence) == 0:
				p.Add("proposed.input.evidence", "must list at least one reference")
			case len(t.Evidence) > maxTerminationEvidence:
				p.Add("proposed.input.evidence", "must list at most %d references", maxTerminationEvidence)
			}
			for i, ref := range t.Evidence {
				if strings.TrimSpace(ref) == "" {
					p.Add(fmt.Sprintf("proposed.input.evidence[%d]", i), "is required")
				}
			}
		}
	}
	return nil
}

// TargetOfAccount decides, at execution, whether the license a split or
// transfer proposal targets, or the agreement a termination targets, still
// belongs to the case's account: owner is the license's owner or the
// agreement's account as loaded with the approval. Rename and merge
// targets were checked against the account when the case was opened.
func TargetOfAccount(s State, pr Proposed, owner string) error {
	switch pr.Operation {
	case OperationSplitLicense, OperationTransferLicense:
		if owner != s.AccountID {
			return domain.Rule(RuleTargetNotOfAccount, "license %s is not one of the case's account's", pr.Target)
		}
	case OperationTerminateContract:
		if owner != s.AccountID {
			return domain.Rule(RuleTargetNotOfAccount, "agreement %s is not one of the case's account's", pr.Target)
		}
	}
	return nil
}

// checkSources checks the accounts a consolidation joins into target: at
// least two (one is a merge), at most twenty, each an account ID named
// once, none the survivor. The account aggregate decides the same again
// at execution (account.Consolidate), with every merge's own rules.
func checkSources(p *domain.Problems, target string, sources []string) {
	const field = "proposed.input.sources"
	switch {
	case len(sources) < 2:
		p.Add(field, "must list at least two accounts to join into the case's account (for one, open a merge case)")
		return
	case len(sources) > 20:
		p.Add(field, "must list at most 20 accounts")
		return
	}
	seen := map[string]bool{}
	for i, id := range sources {
		switch {
		case !ids.Org(id):
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be an account ID, e.g. 123456HQ")
		case id == target:
			p.Add(fmt.Sprintf("%s[%d]", field, i), "is the surviving account itself")
		case seen[id]:
			p.Add(fmt.Sprintf("%s[%d]", field, i), "names %s a second time", id)
		}
		seen[id] = true
	}
}

// checkMergeReason checks a merge's or consolidation's reason: one of the
// reasons the account aggregate takes (account.MergeDuplicate …), which
// decides it again at execution.
func checkMergeReason(p *domain.Problems, reason string) {
	switch reason {
	case "duplicate", "acquisition", "merger", "downsizing":
	default:
		p.Add("proposed.input.reason", "must be duplicate, acquisition, merger or downsizing")
	}
}

// maxTerminationEvidence is the most evidence references a termination
// takes (contract.MaxEvidence, which decides it again at execution).
const maxTerminationEvidence = 20

// checkProposalJSON walks a proposal's JSON and says what is wrong with its
// form, "" if nothing: no object may name a member twice, names compared
// as encoding/json matches them to fields (without regard to case), and
// no string may hold a control character other than tab, line feed or
// carriage return. The proposal is recorded as written and decoded again
// when the case is executed, from the database's copy, whose members may
// come in another order: with one member per name, what is checked when
// the case is opened is what runs when it is approved. A control
// character no field takes would make the case one that can never execute
// (and a NUL one the database cannot store).
func checkProposalJSON(raw []byte) string {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var walk func(path string) string
	walk = func(path string) string {
		tok, err := d.Token()
		if err != nil {
			return "is not valid JSON"
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				var names []string
				for d.More() {
					k, err := d.Token()
					if err != nil {
						return "is not valid JSON"
					}
					name, _ := k.(string)
					for _, seen := range names {
						if strings.EqualFold(seen, name) {
							return fmt.Sprintf("names %s.%s twice (as %q and %q): each member once", path, name, seen, name)
						}
					}
					if msg := checkString(path+"."+name, name); msg != "" {
						return msg
					}
					names = append(names, name)
					if msg := walk(path + "." + name); msg != "" {
						return msg
					}
				}
			case '[':
				for i := 0; d.More(); i++ {
					if msg := walk(fmt.Sprintf("%s[%d]", path, i)); msg != "" {
						return msg
					}
				}
			}
			if _, err := d.Token(); err != nil { // the closing delimiter
				return "is not valid JSON"
			}
		case string:
			return checkString(path, t)
		}
		return ""
	}
	return walk("proposed")
}

// checkString refuses, in a string of a proposal, what no field takes:
// invalid UTF-8, a control character other than tab, line feed and
// carriage return, an invisible format character (names.CleanText).
func checkString(path, v string) string {
	if !names.CleanText(v) {
		return fmt.Sprintf("%s is not valid UTF-8 text without control characters (other than tabs and line breaks) or invisible format characters", path)
	}
	return ""
}

// Executable decides, when case s is approved, whether its proposal pr may
// run: its operation must be the one of the case's subject, and the
// accounts a rename, merge or consolidation names must include the case's
// account as checkProposed required when the case was opened. A case
// opened before every proposal's form was checked (checkProposalJSON)
// may hold a proposal whose recorded reading differs from the one checked;
// this check holds for what actually runs.
func Executable(s State, pr Proposed) error {
	if op := subjectOperations[s.Subject]; op != pr.Operation {
		return domain.Rule(RuleNotExecutable, "case %s is about a %s: it does not execute %s", s.Number, s.Subject, pr.Operation)
	}
	switch pr.Operation {
	case OperationRenameCompany, OperationConsolidateAccounts:
		if pr.Target != s.AccountID {
			return domain.Rule(RuleTargetNotOfAccount, "account %s is not the case's account", pr.Target)
		}
	case OperationMergeAccounts:
		var m mergeInput
		_ = json.Unmarshal(pr.Input, &m) // a malformed input is refused by the merge itself
		if pr.Target != s.AccountID && m.Into != s.AccountID {
			return domain.Rule(RuleTargetNotOfAccount, "the merge does not involve the case's account")
		}
	}
	return nil
}
