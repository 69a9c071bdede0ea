package supportcase_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/supportcase"
)

type scenario = domaintest.Scenario[supportcase.State, supportcase.Command]

var aggregate = domaintest.Aggregate[supportcase.State, supportcase.Command]{Evolve: supportcase.Evolve, Decide: supportcase.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

const (
	caseNo    = "CASE-000042"
	otherCase = "CASE-000043"
	acmeID    = "123456HQ"
	otherID   = "654321AB"
	partnerID = "777777PA"
)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

// customer is contact id of account accountID as the command service
// resolves it from the account: known, with access.
func customer(accountID, id, access string) domain.Actor {
	return domain.Actor{
		Principal:     domain.Principal{ID: "customer:" + accountID + "/" + id, Kind: domain.KindCustomer, AccountID: accountID, ContactID: id},
		ContactKnown:  true,
		ContactRoles:  []string{domain.ContactTechnical},
		ContactAccess: access,
	}
}

// partnerContact is contact id of partner org with status, access and
// roles, as the command service resolves it from the partner.
func partnerContact(org, id, status, access string, roles ...string) domain.Actor {
	return domain.Actor{
		Principal:     domain.Principal{ID: "partner:" + org + "/" + id, Kind: domain.KindPartner, PartnerID: org, ContactID: id},
		ContactKnown:  true,
		ContactRoles:  roles,
		ContactAccess: access,
		PartnerStatus: status,
	}
}

var (
	// openedAt is a Friday morning.
	openedAt    = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	requestedAt = openedAt.Add(2 * time.Hour)
	due         = requestedAt.Add(24 * time.Hour)
	decidedAt   = openedAt.Add(48 * time.Hour)

	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")
	system      = domain.Staff(domain.Principal{ID: supportcase.SystemPrincipalID, Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleAdmin}})

	// ann opened the case: a restricted contact of ACME, which may still
	// ask for what it may not do itself.
	ann      = customer(acmeID, "C-000001", domain.AccessRestricted)
	bob      = customer(acmeID, "C-000002", domain.AccessUnrestricted)
	stranger = customer(otherID, "C-000003", domain.AccessUnrestricted)

	partnerAdmin = partnerContact(partnerID, "C-000010", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactOrgAdmin)
)

// proposal is a rename of ACME to Globex Ltd as the case proposes it.
const proposal = `{"operation":"RenameCompany","target":"123456HQ","input":{"new_name":"Globex Ltd","evidence":{` +
	`"email_confirmation":{"from":"cfo@acme.example","reference":"MSG-1"},` +
	`"document":{"kind":"legal_document","reference":"doc:companies-house/certificate.pdf","old_name":"ACME Ltd","new_name":"Globex Ltd"}}}}`

// opening is a valid OpenCase: ann asks for ACME to be renamed, edited by
// edit.
func opening(edit func(*supportcase.OpenCase)) supportcase.OpenCase {
	c := supportcase.OpenCase{
		CaseNumber:  caseNo,
		RequestType: supportcase.RequestGeneral,
		Subject:     supportcase.SubjectRename,
		AccountID:   acmeID,
		Requester:   ann.ID,
		Description: "Please rename ACME Ltd. to Globex Ltd.\nThe certificate is attached.",
		Evidence:    []string{"mail:2025-03-10/cfo-confirmation.eml", "doc:companies-house/certificate.pdf"},
		Proposed:    json.RawMessage(proposal),
		// The partner callers of these scenarios are related to acme.
		Account:        domain.OrgRef{ID: acmeID, Exists: true},
		PartnerRelated: true,
		By:             ann,
		At:             openedAt,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// opened is the event of opening(nil), edited by edit.
func opened(edit func(*supportcase.CaseOpened)) supportcase.CaseOpened {
	e := supportcase.CaseOpened{
		CaseNumber:  caseNo,
		RequestType: supportcase.RequestGeneral,
		Subject:     supportcase.SubjectRename,
		AccountID:   acmeID,
		Requester:   ann.ID,
		Description: "Please rename ACME Ltd. to Globex Ltd.\nThe certificate is attached.",
		Evidence:    []string{"mail:2025-03-10/cfo-confirmation.eml", "doc:companies-house/certificate.pdf"},
		Proposed:    supportcase.Proposal(proposal),
		Status:      supportcase.StatusOpen,
		OpenedAt:    openedAt,
	}
	if edit != nil {
		edit(&e)
	}
	return e
}

func requested() supportcase.InformationRequested {
	return supportcase.InformationRequested{
		CaseNumber: caseNo, What: "The certificate's second page, please.", RequestedAt: requestedAt, Due: due,
		Status: supportcase.StatusWaitingForInformation,
	}
}

// History of the case at each status.
func open() []domain.Event    { return []domain.Event{opened(nil)} }
func waiting() []domain.Event { return append(open(), requested()) }
func answered() []domain.Event {
	return append(waiting(), supportcase.InformationProvided{
		CaseNumber: caseNo, Information: "Attached.", Evidence: []string{"doc:certificate-page-2.pdf"},
		ProvidedAt: requestedAt.Add(3 * time.Hour), Status: supportcase.StatusOpen,
	})
}
func approved() []domain.Event {
	return append(open(), supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved})
}
func rejected() []domain.Event {
	return append(open(), supportcase.CaseRejected{CaseNumber: caseNo, Reason: "no legal document", RejectedAt: decidedAt, Status: supportcase.StatusRejected})
}
func closed() []domain.Event {
	return append(waiting(), supportcase.CaseClosedUnanswered{CaseNumber: caseNo, Due: due, ClosedAt: due, Status: supportcase.StatusClosed})
}

// otherHistory is the history of another case of ACME.
func otherHistory() []domain.Event {
	return []domain.Event{opened(func(e *supportcase.CaseOpened) { e.CaseNumber = otherCase })}
}

func TestOpenCase(t *testing.T) {
	by := func(a domain.Actor) func(*supportcase.OpenCase) {
		return func(c *supportcase.OpenCase) { c.By, c.Requester = a, a.ID }
	}
	openedBy := func(a domain.Actor) supportcase.CaseOpened {
		return opened(func(e *supportcase.CaseOpened) { e.Requester = a.ID })
	}
	accepted := func(name string, a domain.Actor) scenario {
		return scenario{Name: "OpenCase/who: " + name, When: opening(by(a)), Then: events(openedBy(a))}
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "OpenCase/who: " + name, When: opening(by(a)), Then: fails(domain.ErrForbidden)}
	}
	const partnerRule = "OpenCase/who: a partner may act only while its status is active (not expired, not prospect), through an org admin or business executive with unrestricted access: "
	partnerRefused := func(name string, a domain.Actor) scenario {
		return scenario{Name: partnerRule + name, When: opening(by(a)), Then: fails(domain.ErrForbidden)}
	}
	badField := func(name string, edit func(*supportcase.OpenCase), fields ...string) scenario {
		return scenario{Name: "OpenCase/" + name, When: opening(edit), Then: invalid(fields...)}
	}
	subjectCase := func(subject, requestType string) scenario {
		return scenario{
			Name: "OpenCase/subject: " + subject + " (" + requestType + ")",
			When: opening(func(c *supportcase.OpenCase) { c.Subject, c.RequestType, c.Proposed = subject, requestType, nil }),
			Then: events(opened(func(e *supportcase.CaseOpened) { e.Subject, e.RequestType, e.Proposed = subject, requestType, nil })),
		}
	}
	cases := []scenario{
		{
			Name: "OpenCase/happy path: a restricted customer contact asks for a rename with evidence and the proposed command; status open, opened_at recorded",
			When: opening(nil),
			Then: events(opened(nil)),
		},
		accepted("an unrestricted contact of the account may open", bob),
		accepted("support staff may open for themselves", support),
		accepted("admin staff may open", admin),
		{
			Name: "OpenCase/who: support staff open on behalf of a customer contact, who is the requester",
			When: opening(func(c *supportcase.OpenCase) { c.By = support }),
			Then: events(opened(nil)),
		},
		{
			Name: partnerRule + "an active partner's unrestricted org admin may open",
			When: opening(by(partnerAdmin)), Then: events(openedBy(partnerAdmin)),
		},
		{
			Name: partnerRule + "an active partner's unrestricted business executive may open",
			When: opening(by(partnerContact(partnerID, "C-000011", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactBusinessExecutive))),
			Then: events(openedBy(partnerContact(partnerID, "C-000011", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactBusinessExecutive))),
		},
		subjectCase(supportcase.SubjectMerge, supportcase.RequestGeneral),
		subjectCase(supportcase.SubjectSplit, supportcase.RequestLicensing),
		subjectCase(supportcase.SubjectTransfer, supportcase.RequestLicensing),
		subjectCase(supportcase.SubjectConsolidation, supportcase.RequestGeneral),
		subjectCase(supportcase.SubjectTermination, supportcase.RequestGeneral),
		subjectCase(supportcase.SubjectOther, supportcase.RequestLicensing),
		{
			Name: "OpenCase/evidence and the proposed command are optional",
			When: opening(func(c *supportcase.OpenCase) { c.Evidence, c.Proposed = nil, nil }),
			Then: events(opened(func(e *supportcase.CaseOpened) { e.Evidence, e.Proposed = nil, nil })),
		},
		{
			Name: "OpenCase/proposed: JSON null is no proposal",
			When: opening(func(c *supportcase.OpenCase) { c.Proposed = json.RawMessage(" null ") }),
			Then: events(opened(func(e *supportcase.CaseOpened) { e.Proposed = nil })),
		},
		{
			Name: "OpenCase/proposed: recorded compact, its JSON value unchanged",
			When: opening(func(c *supportcase.OpenCase) {
				var b bytes.Buffer
				_ = json.Indent(&b, []byte(proposal), " ", "\t")
				c.Proposed = json.RawMessage("\n" + b.String() + "\n")
			}),
			Then: events(opened(nil)),
		},
		{
			Name: "OpenCase/description: recorded without surrounding white space, line breaks and tabs kept",
			When: opening(func(c *supportcase.OpenCase) { c.Description = "\n  Line one\n\tLine two\r\n  " }),
			Then: events(opened(func(e *supportcase.CaseOpened) { e.Description = "Line one\n\tLine two" })),
		},
		{
			Name: "OpenCase/opened_at: recorded in UTC whatever the zone of At",
			When: opening(func(c *supportcase.OpenCase) { c.At = openedAt.In(time.FixedZone("CET", 3600)) }),
			Then: events(opened(nil)),
		},
		{
			Name: "OpenCase/case number: numbers past CASE-999999 have more digits",
			When: opening(func(c *supportcase.OpenCase) { c.CaseNumber = "CASE-1000000" }),
			Then: events(opened(func(e *supportcase.CaseOpened) { e.CaseNumber = "CASE-1000000" })),
		},

		// Who may open.
		{
			Name: "OpenCase/who: a contact of another account is told the account does not exist",
			When: opening(by(stranger)), Then: fails(domain.ErrNotFound),
		},
		{
			Name: "OpenCase/who: a contact of another account learns nothing from an invalid command either",
			When: opening(func(c *supportcase.OpenCase) { c.By, c.Subject = stranger, "bad" }), Then: fails(domain.ErrNotFound),
		},
		refused("a contact the account does not know may not open", domain.Actor{Principal: ann.Principal}),
		partnerRefused("an expired partner may not open", partnerContact(partnerID, "C-000010", domain.PartnerExpired, domain.AccessUnrestricted, domain.ContactOrgAdmin)),
		partnerRefused("a prospect may not open", partnerContact(partnerID, "C-000010", domain.PartnerProspect, domain.AccessUnrestricted, domain.ContactOrgAdmin)),
		partnerRefused("a restricted org admin may not open", partnerContact(partnerID, "C-000010", domain.PartnerActive, domain.AccessRestricted, domain.ContactOrgAdmin)),
		partnerRefused("a sales agent may not open", partnerContact(partnerID, "C-000010", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactSalesAgent)),
		partnerRefused("an admin agent may not open", partnerContact(partnerID, "C-000010", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactAdminAgent)),
		partnerRefused("a contact the partner does not know may not open", domain.Actor{Principal: partnerAdmin.Principal, PartnerStatus: domain.PartnerActive}),
		refused("an auditor may not open", auditor),
		refused("compliance may not open", compliance),
		refused("an integration may not open", integration),
		refused("staff without roles may not open", noRoles),
		refused("the zero actor may not open", domain.Actor{}),
		{
			Name: "OpenCase/who: checked before validation, so the refused learn nothing",
			When: opening(func(c *supportcase.OpenCase) { c.By, c.CaseNumber = auditor, "x" }), Then: fails(domain.ErrForbidden),
		},
		{
			Name: "OpenCase/requester: a customer contact opens only in its own name",
			When: opening(func(c *supportcase.OpenCase) { c.Requester = bob.ID }), Then: rule("supportcase.requester_is_caller"),
		},
		{
			Name: "OpenCase/a partner sees a customer only through an order, a contract right or view rights: an unrelated partner is told the account does not exist",
			When: opening(func(c *supportcase.OpenCase) {
				c.By, c.Requester, c.PartnerRelated = partnerAdmin, partnerAdmin.ID, false
			}),
			Then: fails(domain.ErrNotFound),
		},
		{
			Name: "OpenCase/a partner sees a customer only through an order, a contract right or view rights: an unknown account is not found either, as for an unrelated one",
			When: opening(func(c *supportcase.OpenCase) {
				c.By, c.Requester, c.Account = partnerAdmin, partnerAdmin.ID, domain.OrgRef{ID: acmeID}
			}),
			Then: fails(domain.ErrNotFound),
		},
		{
			Name: "OpenCase/the account must exist: staff opening a case for an unknown account are told so",
			When: opening(func(c *supportcase.OpenCase) { c.By, c.Account = admin, domain.OrgRef{ID: acmeID} }),
			Then: rule("supportcase.account_unknown"),
		},
		{
			Name: "OpenCase/the account must exist: a fact about another account does not count",
			When: opening(func(c *supportcase.OpenCase) { c.By, c.Account = admin, domain.OrgRef{ID: "654321HQ", Exists: true} }),
			Then: rule("supportcase.account_unknown"),
		},
		{
			Name: "OpenCase/a merged account accepts no further commands: open the case for the target",
			When: opening(func(c *supportcase.OpenCase) { c.By, c.Account.MergedInto = admin, "654321HQ" }),
			Then: rule("supportcase.account_merged"),
		},
		{
			Name: "OpenCase/requester: a partner opens only in its own name",
			When: opening(func(c *supportcase.OpenCase) { c.By = partnerAdmin }), Then: rule("supportcase.requester_is_caller"),
		},

		// Validation.
		badField("case number form: required", func(c *supportcase.OpenCase) { c.CaseNumber = "" }, "case_number"),
		badField("case number form: six digits", func(c *supportcase.OpenCase) { c.CaseNumber = "CASE-00042" }, "case_number"),
		badField("case number form: upper case", func(c *supportcase.OpenCase) { c.CaseNumber = "case-000042" }, "case_number"),
		badField("case number form: no padding beyond six digits", func(c *supportcase.OpenCase) { c.CaseNumber = "CASE-0000042" }, "case_number"),
		badField("case number form: not another document's number", func(c *supportcase.OpenCase) { c.CaseNumber = "ORD-0000042" }, "case_number"),
		badField("request type: required", func(c *supportcase.OpenCase) { c.RequestType = "" }, "request_type"),
		badField("request type: general or licensing", func(c *supportcase.OpenCase) { c.RequestType = "billing" }, "request_type"),
		badField("subject: required", func(c *supportcase.OpenCase) { c.Subject = "" }, "subject"),
		badField("subject: one of the listed subjects", func(c *supportcase.OpenCase) { c.Subject = "upgrade" }, "subject"),
		badField("subject: exact spelling", func(c *supportcase.OpenCase) { c.Subject = "Rename" }, "subject"),
		badField("account ID form: required (staff ask; a contact naming another account is not found)",
			func(c *supportcase.OpenCase) { c.By, c.AccountID = support, "" }, "account_id"),
		badField("account ID form: six digits and two capitals", func(c *supportcase.OpenCase) { c.By, c.AccountID = support, "123456hq" }, "account_id"),
		badField("requester: required", func(c *supportcase.OpenCase) { c.Requester = "" }, "requester"),
		badField("requester: a principal ID with its kind", func(c *supportcase.OpenCase) { c.Requester = "ann@acme.example" }, "requester"),
		badField("requester: a known kind of principal", func(c *supportcase.OpenCase) { c.Requester = "robot:r2" }, "requester"),
		badField("requester: no white space", func(c *supportcase.OpenCase) { c.Requester = ann.ID + " " }, "requester"),
		badField("requester: at most 200 bytes", func(c *supportcase.OpenCase) {
			c.Requester = "customer:" + strings.Repeat("x", supportcase.MaxRequesterLen)
		}, "requester"),
		badField("description: required", func(c *supportcase.OpenCase) { c.Description = " \n\t " }, "description"),
		badField("description: at most 10000 characters", func(c *supportcase.OpenCase) {
			c.Description = strings.Repeat("é", supportcase.MaxTextLen+1)
		}, "description"),
		badField("description: no control characters but line breaks and tabs", func(c *supportcase.OpenCase) { c.Description = "bell\x07" }, "description"),
		badField("description: valid UTF-8", func(c *supportcase.OpenCase) { c.Description = "bad \xff" }, "description"),
		badField("evidence: no blank reference", func(c *supportcase.OpenCase) { c.Evidence = []string{"doc:a", " "} }, "evidence[1]"),
		badField("evidence: references on one line", func(c *supportcase.OpenCase) { c.Evidence = []string{"doc:a\ndoc:b"} }, "evidence[0]"),
		badField("evidence: a reference at most 500 characters", func(c *supportcase.OpenCase) {
			c.Evidence = []string{strings.Repeat("r", supportcase.MaxReferenceLen+1)}
		}, "evidence[0]"),
		badField("evidence: at most 50 references", func(c *supportcase.OpenCase) {
			c.Evidence = make([]string, supportcase.MaxEvidence+1)
			for i := range c.Evidence {
				c.Evidence[i] = "doc:x"
			}
		}, "evidence"),
		badField("proposed: a JSON object, not an array", func(c *supportcase.OpenCase) { c.Proposed = json.RawMessage(`[1]`) }, "proposed"),
		badField("proposed: a JSON object, not a string", func(c *supportcase.OpenCase) { c.Proposed = json.RawMessage(`"rename"`) }, "proposed"),
		badField("proposed: valid JSON", func(c *supportcase.OpenCase) { c.Proposed = json.RawMessage(`{"type":`) }, "proposed"),
		badField("proposed: one JSON value", func(c *supportcase.OpenCase) { c.Proposed = json.RawMessage(`{} {}`) }, "proposed"),
		badField("proposed: at most 64 KiB", func(c *supportcase.OpenCase) {
			c.Proposed = json.RawMessage(`{"x":"` + strings.Repeat("x", supportcase.MaxProposalBytes) + `"}`)
		}, "proposed"),
		badField("at: the command's instant is required", func(c *supportcase.OpenCase) { c.At = time.Time{} }, "at"),
		{
			Name: "OpenCase/validation: every problem is reported at once",
			When: supportcase.OpenCase{
				CaseNumber: "1", RequestType: "x", Subject: "y", AccountID: "z", Requester: "", Description: "",
				Evidence: []string{""}, Proposed: json.RawMessage(`1`), By: admin,
			},
			Then: invalid("case_number", "request_type", "subject", "account_id", "requester", "description", "evidence[0]", "proposed", "at"),
		},

		{Name: "OpenCase/duplicate: an existing case number is refused", Given: open(), When: opening(nil), Then: fails(domain.ErrDuplicate)},
		{Name: "OpenCase/duplicate: a closed case's number is still taken", Given: closed(), When: opening(nil), Then: fails(domain.ErrDuplicate)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func asking(by domain.Actor, at time.Time) supportcase.RequestInformation {
	return supportcase.RequestInformation{CaseNumber: caseNo, What: "The certificate's second page, please.", By: by, At: at}
}

func TestRequestInformation(t *testing.T) {
	refused := func(name string, by domain.Actor) scenario {
		return scenario{Name: "RequestInformation/who: " + name, Given: open(), When: asking(by, requestedAt), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{
			Name:  "RequestInformation/happy path: support sends an incomplete case back; the answer is due in 24 hours",
			Given: open(), When: asking(support, requestedAt), Then: events(requested()),
		},
		{
			Name: "RequestInformation/admin may ask; requested_at and due recorded in UTC", Given: open(),
			When: asking(admin, requestedAt.In(time.FixedZone("PST", -8*3600))), Then: events(requested()),
		},
		{
			Name: "RequestInformation/what is recorded without surrounding white space", Given: open(),
			When: supportcase.RequestInformation{CaseNumber: caseNo, What: "\n The certificate's second page, please.\n", By: support, At: requestedAt},
			Then: events(requested()),
		},
		{
			Name: "RequestInformation/a case that got its answer may be sent back again", Given: answered(),
			When: asking(support, decidedAt),
			Then: events(supportcase.InformationRequested{CaseNumber: caseNo, What: "The certificate's second page, please.",
				RequestedAt: decidedAt, Due: decidedAt.Add(24 * time.Hour), Status: supportcase.StatusWaitingForInformation}),
		},
		refused("the requester may not", ann),
		refused("a partner may not", partnerAdmin),
		refused("an auditor may not", auditor),
		refused("compliance may not", compliance),
		refused("staff without roles may not", noRoles),
		refused("the zero actor may not", domain.Actor{}),
		{Name: "RequestInformation/what: required", Given: open(), When: supportcase.RequestInformation{CaseNumber: caseNo, By: support, At: requestedAt}, Then: invalid("what")},
		{
			Name: "RequestInformation/what: no control characters", Given: open(),
			When: supportcase.RequestInformation{CaseNumber: caseNo, What: "a\x00b", By: support, At: requestedAt}, Then: invalid("what"),
		},
		{
			Name: "RequestInformation/validation: every problem at once, before existence",
			When: supportcase.RequestInformation{CaseNumber: "CASE-1", What: "", By: support}, Then: invalid("case_number", "what", "at"),
		},
		{Name: "RequestInformation/case: an unknown case is not found", When: asking(support, requestedAt), Then: fails(domain.ErrNotFound)},
		{Name: "RequestInformation/case: another case's history does not make this one exist", Given: otherHistory(), When: asking(support, requestedAt), Then: fails(domain.ErrNotFound)},
		{Name: "RequestInformation/only when open: a case already waiting for information", Given: waiting(), When: asking(support, requestedAt.Add(time.Hour)), Then: rule("supportcase.waiting_for_information")},
		{Name: "RequestInformation/only when open: not an approved case", Given: approved(), When: asking(support, decidedAt), Then: rule("supportcase.decided")},
		{Name: "RequestInformation/only when open: not a rejected case", Given: rejected(), When: asking(support, decidedAt), Then: rule("supportcase.decided")},
		{Name: "RequestInformation/only when open: not a closed case", Given: closed(), When: asking(support, decidedAt), Then: rule("supportcase.closed")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func providing(by domain.Actor, at time.Time) supportcase.ProvideInformation {
	return supportcase.ProvideInformation{CaseNumber: caseNo, Information: "Attached.", Evidence: []string{"doc:certificate-page-2.pdf"}, By: by, At: at}
}

func provided(at time.Time) supportcase.InformationProvided {
	return supportcase.InformationProvided{CaseNumber: caseNo, Information: "Attached.", Evidence: []string{"doc:certificate-page-2.pdf"}, ProvidedAt: at, Status: supportcase.StatusOpen}
}

func TestProvideInformation(t *testing.T) {
	const window = "ProvideInformation/an incomplete case goes back to the requester; with no answer in 24 hours it closes and must be resubmitted: "
	// partnerCase is the case opened and sent back, with the partner's
	// admin as the requester.
	partnerCase := func() []domain.Event {
		return []domain.Event{opened(func(e *supportcase.CaseOpened) { e.Requester = partnerAdmin.ID }), requested()}
	}
	cases := []scenario{
		{
			Name:  "ProvideInformation/happy path: the requester answers with text and evidence; the case is open again",
			Given: waiting(), When: providing(ann, requestedAt.Add(time.Hour)), Then: events(provided(requestedAt.Add(time.Hour))),
		},
		{
			Name:  window + "an answer one nanosecond before the deadline is accepted",
			Given: waiting(), When: providing(ann, due.Add(-time.Nanosecond)), Then: events(provided(due.Add(-time.Nanosecond))),
		},
		{
			Name:  window + "an answer exactly 24 hours after the request is too late",
			Given: waiting(), When: providing(ann, due), Then: rule("supportcase.information_overdue"),
		},
		{
			Name:  window + "an answer exactly at the deadline is too late whatever the zone of At",
			Given: waiting(), When: providing(ann, due.In(time.FixedZone("JST", 9*3600))), Then: rule("supportcase.information_overdue"),
		},
		{
			Name:  window + "an answer a day late is refused even before the case is closed",
			Given: waiting(), When: providing(ann, due.Add(24*time.Hour)), Then: rule("supportcase.information_overdue"),
		},
		{
			Name:  window + "once closed, the requester must open a new case",
			Given: closed(), When: providing(ann, due.Add(time.Minute)), Then: rule("supportcase.closed"),
		},
		{
			Name:  "ProvideInformation/support staff may answer on the requester's behalf",
			Given: waiting(), When: providing(support, requestedAt.Add(time.Hour)), Then: events(provided(requestedAt.Add(time.Hour))),
		},
		{
			Name: "ProvideInformation/evidence alone is an answer", Given: waiting(),
			When: supportcase.ProvideInformation{CaseNumber: caseNo, Evidence: []string{"doc:x.pdf"}, By: ann, At: requestedAt},
			Then: events(supportcase.InformationProvided{CaseNumber: caseNo, Evidence: []string{"doc:x.pdf"}, ProvidedAt: requestedAt, Status: supportcase.StatusOpen}),
		},
		{
			Name: "ProvideInformation/text alone is an answer, recorded without surrounding white space", Given: waiting(),
			When: supportcase.ProvideInformation{CaseNumber: caseNo, Information: " See page 2.\n", By: ann, At: requestedAt},
			Then: events(supportcase.InformationProvided{CaseNumber: caseNo, Information: "See page 2.", ProvidedAt: requestedAt, Status: supportcase.StatusOpen}),
		},
		{
			Name: "ProvideInformation/a partner requester answers while it may act", Given: partnerCase(),
			When: providing(partnerAdmin, requestedAt), Then: events(provided(requestedAt)),
		},
		{
			Name:  "ProvideInformation/a partner may act only while its status is active (not expired, not prospect): an expired partner requester may not answer",
			Given: partnerCase(),
			When:  providing(partnerContact(partnerID, "C-000010", domain.PartnerExpired, domain.AccessUnrestricted, domain.ContactOrgAdmin), requestedAt),
			Then:  fails(domain.ErrForbidden),
		},
		{
			Name:  "ProvideInformation/who: another contact of the account may not answer for the requester",
			Given: waiting(), When: providing(bob, requestedAt), Then: fails(domain.ErrForbidden),
		},
		{
			Name:  "ProvideInformation/who: a contact of another account is told the case does not exist",
			Given: waiting(), When: providing(stranger, requestedAt), Then: fails(domain.ErrNotFound),
		},
		{
			Name:  "ProvideInformation/who: a partner that is not the requester is told the case does not exist",
			Given: waiting(), When: providing(partnerAdmin, requestedAt), Then: fails(domain.ErrNotFound),
		},
		{Name: "ProvideInformation/who: an auditor may not answer", Given: waiting(), When: providing(auditor, requestedAt), Then: fails(domain.ErrForbidden)},
		{
			Name:  "ProvideInformation/who: staff without admin or support may not answer, even as the requester",
			Given: []domain.Event{opened(func(e *supportcase.CaseOpened) { e.Requester = noRoles.ID }), requested()},
			When:  providing(noRoles, requestedAt), Then: fails(domain.ErrForbidden),
		},
		{Name: "ProvideInformation/who: the zero actor is told the case does not exist", Given: waiting(), When: providing(domain.Actor{}, requestedAt), Then: fails(domain.ErrNotFound)},
		{Name: "ProvideInformation/only while waiting: an open case asked nothing", Given: open(), When: providing(ann, requestedAt), Then: rule("supportcase.not_waiting_for_information")},
		{Name: "ProvideInformation/only while waiting: an answered case waits no more", Given: answered(), When: providing(ann, requestedAt.Add(4*time.Hour)), Then: rule("supportcase.not_waiting_for_information")},
		{Name: "ProvideInformation/only while waiting: not an approved case", Given: approved(), When: providing(ann, decidedAt), Then: rule("supportcase.decided")},
		{
			Name: "ProvideInformation/an answer needs text or evidence", Given: waiting(),
			When: supportcase.ProvideInformation{CaseNumber: caseNo, Information: "  ", By: ann, At: requestedAt}, Then: invalid("information"),
		},
		{
			Name: "ProvideInformation/evidence: no blank reference", Given: waiting(),
			When: supportcase.ProvideInformation{CaseNumber: caseNo, Evidence: []string{"doc:a", ""}, By: ann, At: requestedAt}, Then: invalid("evidence[1]"),
		},
		{
			Name: "ProvideInformation/information: no control characters", Given: waiting(),
			When: supportcase.ProvideInformation{CaseNumber: caseNo, Information: "\x1b[31m", By: ann, At: requestedAt}, Then: invalid("information"),
		},
		{
			Name: "ProvideInformation/validation: every problem at once, before existence",
			When: supportcase.ProvideInformation{CaseNumber: "", Information: "", By: ann}, Then: invalid("case_number", "information", "at"),
		},
		{Name: "ProvideInformation/case: an unknown case is not found", When: providing(ann, requestedAt), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func closing(by domain.Actor, at time.Time) supportcase.CloseUnanswered {
	return supportcase.CloseUnanswered{CaseNumber: caseNo, By: by, At: at}
}

func closedAt(at time.Time) supportcase.CaseClosedUnanswered {
	return supportcase.CaseClosedUnanswered{CaseNumber: caseNo, Due: due, ClosedAt: at, Status: supportcase.StatusClosed}
}

func TestCloseUnanswered(t *testing.T) {
	const window = "CloseUnanswered/an incomplete case goes back to the requester; with no answer in 24 hours it closes and must be resubmitted: "
	refused := func(name string, by domain.Actor) scenario {
		return scenario{Name: "CloseUnanswered/who: " + name, Given: waiting(), When: closing(by, due), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{Name: window + "the system closes the case exactly 24 hours after the request", Given: waiting(), When: closing(system, due), Then: events(closedAt(due))},
		{Name: window + "the system closes a case later than due; closed_at recorded in UTC", Given: waiting(),
			When: closing(system, due.Add(time.Hour).In(time.FixedZone("CET", 3600))), Then: events(closedAt(due.Add(time.Hour)))},
		{Name: window + "one nanosecond before the deadline the case stays open", Given: waiting(), When: closing(system, due.Add(-time.Nanosecond)), Then: rule("supportcase.information_not_overdue")},
		{Name: window + "a case that got its answer is not closed", Given: answered(), When: closing(system, due), Then: rule("supportcase.not_waiting_for_information")},
		{Name: "CloseUnanswered/only while waiting: an open case asked nothing", Given: open(), When: closing(system, due), Then: rule("supportcase.not_waiting_for_information")},
		{Name: "CloseUnanswered/only while waiting: a closed case closes once", Given: closed(), When: closing(system, due.Add(time.Hour)), Then: rule("supportcase.closed")},
		{Name: "CloseUnanswered/only while waiting: not a rejected case", Given: rejected(), When: closing(system, due), Then: rule("supportcase.decided")},
		refused("admin staff other than the system may not", admin),
		refused("support staff may not", support),
		refused("the system principal without the admin role may not", domain.Staff(domain.Principal{ID: supportcase.SystemPrincipalID, Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleSupport}})),
		refused("a customer principal named like the system may not", domain.Actor{Principal: domain.Principal{
			ID: supportcase.SystemPrincipalID, Kind: domain.KindCustomer, AccountID: acmeID, Roles: []domain.Role{domain.RoleAdmin}}}),
		refused("the requester may not", ann),
		refused("the zero actor may not", domain.Actor{}),
		{Name: "CloseUnanswered/validation: every problem at once, before existence", When: supportcase.CloseUnanswered{By: system}, Then: invalid("case_number", "at")},
		{Name: "CloseUnanswered/case: an unknown case is not found", When: closing(system, due), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestApproveAndRejectCase(t *testing.T) {
	approving := func(by domain.Actor, note string) supportcase.ApproveCase {
		return supportcase.ApproveCase{CaseNumber: caseNo, Note: note, By: by, At: decidedAt}
	}
	rejecting := func(by domain.Actor, reason string) supportcase.RejectCase {
		return supportcase.RejectCase{CaseNumber: caseNo, Reason: reason, By: by, At: decidedAt}
	}
	// approvedEvent is the approval of the case with its proposal: the
	// approval and, in the same decision, the proposal's execution.
	approvedEvent := func(note string) []domain.Event {
		return []domain.Event{
			supportcase.CaseApproved{CaseNumber: caseNo, Note: note, ApprovedAt: decidedAt, Status: supportcase.StatusApproved},
			supportcase.CaseExecuted{CaseNumber: caseNo, Operation: supportcase.OperationRenameCompany, Target: acmeID, ExecutedAt: decidedAt, Status: supportcase.StatusCompleted},
		}
	}
	rejectedEvent := func(reason string) supportcase.CaseRejected {
		return supportcase.CaseRejected{CaseNumber: caseNo, Reason: reason, RejectedAt: decidedAt, Status: supportcase.StatusRejected}
	}
	refused := func(name string, by domain.Actor) []scenario {
		return []scenario{
			{Name: "ApproveCase/who: " + name, Given: open(), When: approving(by, ""), Then: fails(domain.ErrForbidden)},
			{Name: "RejectCase/who: " + name, Given: open(), When: rejecting(by, "no"), Then: fails(domain.ErrForbidden)},
		}
	}
	cases := []scenario{
		{Name: "ApproveCase/happy path: support approves an open case with a note", Given: open(), When: approving(support, " Evidence checked. "), Then: events(approvedEvent("Evidence checked.")...)},
		{Name: "ApproveCase/admin approves without a note", Given: open(), When: approving(admin, ""), Then: events(approvedEvent("")...)},
		{Name: "ApproveCase/a case that got its answer may be approved", Given: answered(), When: approving(support, ""), Then: events(approvedEvent("")...)},
		{Name: "ApproveCase/a case without a proposal is approved only: nothing to execute", Given: []domain.Event{opened(func(e *supportcase.CaseOpened) { e.Proposed = nil })},
			When: approving(support, ""), Then: events(approvedEvent("")[0])},
		{Name: "ApproveCase/a proposal recorded before proposals were typed is approved only", Given: []domain.Event{opened(func(e *supportcase.CaseOpened) { e.Proposed = supportcase.Proposal(`{"type":"RenameCompany"}`) })},
			When: approving(support, ""), Then: events(approvedEvent("")[0])},
		{Name: "ApproveCase/not a completed case", Given: append(open(), approvedEvent("")...), When: approving(support, ""), Then: rule("supportcase.decided")},
		{Name: "ApproveCase/not while waiting for information", Given: waiting(), When: approving(support, ""), Then: rule("supportcase.waiting_for_information")},
		{Name: "ApproveCase/not an approved case", Given: approved(), When: approving(support, ""), Then: rule("supportcase.decided")},
		{Name: "ApproveCase/not a rejected case", Given: rejected(), When: approving(support, ""), Then: rule("supportcase.decided")},
		{Name: "ApproveCase/not a closed case", Given: closed(), When: approving(support, ""), Then: rule("supportcase.closed")},
		{Name: "ApproveCase/note: no control characters", Given: open(), When: approving(support, "ok\x00"), Then: invalid("note")},
		{Name: "ApproveCase/note: at most 10000 characters", Given: open(), When: approving(support, strings.Repeat("n", supportcase.MaxTextLen+1)), Then: invalid("note")},
		{Name: "ApproveCase/case: an unknown case is not found", When: approving(support, ""), Then: fails(domain.ErrNotFound)},
		{Name: "ApproveCase/case: another case's history does not make this one exist", Given: otherHistory(), When: approving(support, ""), Then: fails(domain.ErrNotFound)},
		{Name: "ApproveCase/validation: every problem at once, before existence", When: supportcase.ApproveCase{Note: "\x07", By: admin}, Then: invalid("case_number", "note", "at")},

		{Name: "RejectCase/happy path: support rejects an open case, saying why", Given: open(), When: rejecting(support, "The document does not name the new company.\n"), Then: events(rejectedEvent("The document does not name the new company."))},
		{Name: "RejectCase/a case that got its answer may be rejected", Given: answered(), When: rejecting(admin, "still incomplete"), Then: events(rejectedEvent("still incomplete"))},
		{Name: "RejectCase/reason: required", Given: open(), When: rejecting(support, ""), Then: invalid("reason")},
		{Name: "RejectCase/reason: white space is no reason", Given: open(), When: rejecting(support, " \n "), Then: invalid("reason")},
		{Name: "RejectCase/reason: valid UTF-8", Given: open(), When: rejecting(support, "no \xc3"), Then: invalid("reason")},
		{Name: "RejectCase/not while waiting for information", Given: waiting(), When: rejecting(support, "no"), Then: rule("supportcase.waiting_for_information")},
		{Name: "RejectCase/not an approved case", Given: approved(), When: rejecting(support, "no"), Then: rule("supportcase.decided")},
		{Name: "RejectCase/not a rejected case", Given: rejected(), When: rejecting(support, "no"), Then: rule("supportcase.decided")},
		{Name: "RejectCase/not a closed case", Given: closed(), When: rejecting(support, "no"), Then: rule("supportcase.closed")},
		{Name: "RejectCase/case: an unknown case is not found", When: rejecting(support, "no"), Then: fails(domain.ErrNotFound)},
		{Name: "RejectCase/validation: every problem at once, before existence", When: supportcase.RejectCase{CaseNumber: "CASE-", By: admin}, Then: invalid("case_number", "reason", "at")},
	}
	for _, by := range []struct {
		name string
		a    domain.Actor
	}{
		{"the requester may not", ann},
		{"a partner may not", partnerAdmin},
		{"an auditor may not", auditor},
		{"compliance may not", compliance},
		{"an integration may not", integration},
		{"the zero actor may not", domain.Actor{}},
	} {
		cases = append(cases, refused(by.name, by.a)...)
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ supportcase.ApproveCase }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: open(), When: nil, Then: rule("supportcase.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: open(), When: wrapped{}, Then: rule("supportcase.unknown_command")},
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "account.registered" }
func (foreign) SchemaVersion() int { return 1 }

func TestEvolve(t *testing.T) {
	t.Run("opening records opened_at, from which the 5-business-day target is computed", func(t *testing.T) {
		got := supportcase.Evolve(supportcase.State{}, opened(nil))
		want := supportcase.State{
			Number: caseNo, RequestType: supportcase.RequestGeneral, Subject: supportcase.SubjectRename, AccountID: acmeID,
			Requester: ann.ID, Description: opened(nil).Description, Evidence: opened(nil).Evidence,
			Proposed: supportcase.Proposal(proposal), Status: supportcase.StatusOpen, OpenedAt: openedAt,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (supportcase.State{}).Exists() {
			t.Error("Exists: an opened case exists and the zero state does not")
		}
	})

	t.Run("a case that waited for an answer records the request, the answers and the time waited", func(t *testing.T) {
		s := domaintest.Fold(aggregate, waiting(), nil)
		if s.Status != supportcase.StatusWaitingForInformation || !s.InformationRequestedAt.Equal(requestedAt) || !s.InformationDue.Equal(due) ||
			s.InformationWanted != requested().What {
			t.Fatalf("waiting: %#v", s)
		}
		s = domaintest.Fold(aggregate, answered(), nil)
		wantEvidence := append(append([]string(nil), opened(nil).Evidence...), "doc:certificate-page-2.pdf")
		if s.Status != supportcase.StatusOpen || s.Waited != 3*time.Hour || !reflect.DeepEqual(s.Evidence, wantEvidence) ||
			!reflect.DeepEqual(s.Information, []string{"Attached."}) || !s.OpenedAt.Equal(openedAt) {
			t.Fatalf("answered: %#v", s)
		}
	})

	t.Run("approval, rejection and closing record when and why", func(t *testing.T) {
		a := domaintest.Fold(aggregate, append(approved()[:1:1], supportcase.CaseApproved{CaseNumber: caseNo, Note: "ok", ApprovedAt: decidedAt, Status: supportcase.StatusApproved}), nil)
		if a.Status != supportcase.StatusApproved || !a.Decided() || a.Note != "ok" || !a.DecidedAt.Equal(decidedAt) {
			t.Errorf("approved: %#v", a)
		}
		r := domaintest.Fold(aggregate, rejected(), nil)
		if r.Status != supportcase.StatusRejected || !r.Decided() || r.RejectionReason != "no legal document" || !r.DecidedAt.Equal(decidedAt) {
			t.Errorf("rejected: %#v", r)
		}
		c := domaintest.Fold(aggregate, closed(), nil)
		if c.Status != supportcase.StatusClosed || c.Decided() || !c.ClosedAt.Equal(due) {
			t.Errorf("closed: %#v", c)
		}
	})

	t.Run("every event's status field agrees with the state it leads to", func(t *testing.T) {
		var s supportcase.State
		for _, e := range append(answered(), supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved}) {
			s = supportcase.Evolve(s, e)
			if got := reflect.ValueOf(e).FieldByName("Status").String(); got != s.Status {
				t.Errorf("%s: event status %q, state status %q", e.EventType(), got, s.Status)
			}
		}
	})

	t.Run("states from a shared history do not share slices", func(t *testing.T) {
		base := domaintest.Fold(aggregate, waiting(), nil)
		base.Evidence = append(make([]string, 0, 8), base.Evidence...) // room to append in place
		one := supportcase.Evolve(base, supportcase.InformationProvided{CaseNumber: caseNo, Evidence: []string{"one"}, Information: "1", ProvidedAt: requestedAt})
		two := supportcase.Evolve(base, supportcase.InformationProvided{CaseNumber: caseNo, Evidence: []string{"two"}, Information: "2", ProvidedAt: requestedAt})
		if one.Evidence[2] != "one" || two.Evidence[2] != "two" || len(base.Evidence) != 2 {
			t.Errorf("aliasing: base %q, one %q, two %q", base.Evidence, one.Evidence, two.Evidence)
		}
	})

	t.Run("the state does not share the event's slices", func(t *testing.T) {
		e := opened(nil)
		s := supportcase.Evolve(supportcase.State{}, e)
		e.Evidence[0], e.Proposed[0] = "changed", ' '
		if s.Evidence[0] == "changed" || s.Proposed[0] != '{' {
			t.Errorf("state aliases its event: %#v", s)
		}
	})

	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := domaintest.Fold(aggregate, answered(), nil)
		if got := supportcase.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v, want %#v", got, s)
		}
	})
}

func TestDecideDoesNotAliasCommand(t *testing.T) {
	c := opening(nil)
	got, err := supportcase.Decide(supportcase.State{}, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Evidence[0], c.Proposed[1] = "changed", 'X'
	e := got[0].(supportcase.CaseOpened)
	if e.Evidence[0] == "changed" || string(e.Proposed) != proposal {
		t.Errorf("the event shares memory with the command: %#v", e)
	}
}

func TestProposalJSON(t *testing.T) {
	type wrapper struct {
		P supportcase.Proposal `json:"p,omitempty"`
	}
	cases := []struct {
		name, in string
		want     supportcase.Proposal
	}{
		{"compacted on decoding", `{"p": { "a" : [1, 2] }}`, supportcase.Proposal(`{"a":[1,2]}`)},
		{"null is none", `{"p": null}`, nil},
		{"absent is none", `{}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w wrapper
			if err := json.Unmarshal([]byte(tc.in), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w.P, tc.want) {
				t.Errorf("decoded %q, want %q", w.P, tc.want)
			}
		})
	}
	for _, in := range []string{`{"p": "rename"}`, `{"p": [1]}`, `{"p": 1}`, `{"p": true}`} {
		var w wrapper
		if err := json.Unmarshal([]byte(in), &w); err == nil {
			t.Errorf("decoding %s: no error, got %q; a proposal is a JSON object", in, w.P)
		}
	}
	if b, err := json.Marshal(wrapper{}); err != nil || string(b) != `{}` {
		t.Errorf("no proposal: %s, %v", b, err)
	}
	if b, err := json.Marshal(struct{ P supportcase.Proposal }{}); err != nil || string(b) != `{"P":null}` {
		t.Errorf("no proposal without omitempty: %s, %v", b, err)
	}
	if b, err := json.Marshal(wrapper{P: supportcase.Proposal(`{"b":1.50,"a":"<x>","c":{"z":[1e400],"y":null}}`)}); err != nil ||
		string(b) != `{"p":{"a":"\u003cx\u003e","b":1.50,"c":{"y":null,"z":[1e400]}}}` {
		t.Errorf("proposal: %s, %v; want the keys sorted, the numbers as written", b, err)
	}
}

func TestStreamID(t *testing.T) {
	if got := supportcase.StreamID(caseNo); got != "supportcase-CASE-000042" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidNumber(t *testing.T) {
	for n, want := range map[string]bool{
		"CASE-000001": true, "CASE-999999": true, "CASE-1000000": true,
		"": false, "CASE-": false, "CASE-00001": false, "CASE-0000001": false, "case-000001": false, "CASE000001": false, "CASE-000001 ": false,
	} {
		if got := supportcase.ValidNumber(n); got != want {
			t.Errorf("ValidNumber(%q) = %v, want %v", n, got, want)
		}
	}
}

// TestRecordExecution: a change run on the authority of an approved case
// without a proposal completes the case, once.
func TestRecordExecution(t *testing.T) {
	const lic = "LIC-0000007"
	transferCase := func(status string) []domain.Event {
		evs := []domain.Event{opened(func(e *supportcase.CaseOpened) {
			e.Subject, e.RequestType, e.Proposed = supportcase.SubjectTransfer, supportcase.RequestLicensing, nil
		})}
		switch status {
		case supportcase.StatusApproved:
			evs = append(evs, supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved})
		case supportcase.StatusCompleted:
			evs = append(evs, supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved},
				supportcase.CaseExecuted{CaseNumber: caseNo, Operation: supportcase.OperationTransferLicense, Target: lic, ExecutedAt: decidedAt, Status: supportcase.StatusCompleted})
		case supportcase.StatusRejected:
			evs = append(evs, supportcase.CaseRejected{CaseNumber: caseNo, Reason: "no", RejectedAt: decidedAt, Status: supportcase.StatusRejected})
		}
		return evs
	}
	executedAt := decidedAt.Add(time.Hour)
	recording := func(edit func(*supportcase.RecordExecution)) supportcase.RecordExecution {
		c := supportcase.RecordExecution{CaseNumber: caseNo, Operation: supportcase.OperationTransferLicense, Changed: lic,
			AccountID: acmeID, By: support, At: executedAt}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	notApproved := rule(supportcase.RuleNotApprovedFor)
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "RecordExecution/happy path: the transfer completes its approved case", Given: transferCase(supportcase.StatusApproved), When: recording(nil),
			Then: events(supportcase.CaseExecuted{CaseNumber: caseNo, Operation: supportcase.OperationTransferLicense, Target: lic, ExecutedAt: executedAt, Status: supportcase.StatusCompleted})},
		{Name: "RecordExecution/one case approves one change", Given: transferCase(supportcase.StatusCompleted), When: recording(nil), Then: notApproved},
		{Name: "RecordExecution/not an open case", Given: transferCase(supportcase.StatusOpen), When: recording(nil), Then: notApproved},
		{Name: "RecordExecution/not a rejected case", Given: transferCase(supportcase.StatusRejected), When: recording(nil), Then: notApproved},
		{Name: "RecordExecution/not a case about another subject", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.Operation = supportcase.OperationSplitLicense }), Then: notApproved},
		{Name: "RecordExecution/not a case of another account", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.AccountID = otherID }), Then: notApproved},
		{Name: "RecordExecution/not a case that proposes its own change", Given: append(open(), supportcase.CaseApproved{CaseNumber: caseNo, ApprovedAt: decidedAt, Status: supportcase.StatusApproved}),
			When: recording(func(c *supportcase.RecordExecution) { c.Operation = supportcase.OperationRenameCompany }), Then: notApproved},
		{Name: "RecordExecution/an unknown case", When: recording(nil), Then: notApproved},
		{Name: "RecordExecution/who: the account's own contact completes its case (a small split it ran itself)", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.By = bob }),
			Then: events(supportcase.CaseExecuted{CaseNumber: caseNo, Operation: supportcase.OperationTransferLicense, Target: lic, ExecutedAt: executedAt, Status: supportcase.StatusCompleted})},
		{Name: "RecordExecution/who: not another account's contact", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.By, c.AccountID = stranger, otherID }), Then: notApproved},
		{Name: "RecordExecution/who: not a partner", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.By = partnerAdmin }), Then: fails(domain.ErrForbidden)},
		{Name: "RecordExecution/who: not an auditor", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.By = auditor }), Then: fails(domain.ErrForbidden)},
		{Name: "RecordExecution/validation: operation and case number", Given: transferCase(supportcase.StatusApproved),
			When: recording(func(c *supportcase.RecordExecution) { c.Operation, c.CaseNumber = "DeleteAccount", "CASE-" }), Then: invalid("case_number", "operation")},
	})
}
