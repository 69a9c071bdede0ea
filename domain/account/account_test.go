package account_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// then is the expected outcome of a scenario: either exactly events, or an
// error matching err. For domain.ErrRuleViolation, rule is the RuleError's
// identifier; for domain.ErrValidation, fields is exactly the set of fields
// the ValidationError complains about.
type then struct {
	events []domain.Event
	err    error
	rule   string
	fields []string
}

// scenario is one Given / When / Then case. adjust, when set, edits the
// folded state before the decision: it stands in for events that do not
// exist yet (AddContact, SetContactAccess, MergeAccounts).
type scenario struct {
	name   string
	given  []domain.Event
	adjust func(*account.State)
	when   account.Command
	then   then
}

// fold builds the state a scenario starts from.
func fold(given []domain.Event, adjust func(*account.State)) account.State {
	var s account.State
	for _, e := range given {
		s = account.Evolve(s, e)
	}
	if adjust != nil {
		adjust(&s)
	}
	return s
}

// run decides sc.when against the Given state and checks the outcome. It
// decides twice, on two states built the same way, and requires the same
// answer: Decide is pure. It also requires that Decide left its input state
// as it found it.
func run(t *testing.T, sc scenario) {
	t.Helper()
	s := fold(sc.given, sc.adjust)
	got, err := account.Decide(s, sc.when)

	if again, err2 := account.Decide(fold(sc.given, sc.adjust), sc.when); !reflect.DeepEqual(got, again) || !reflect.DeepEqual(err, err2) {
		t.Errorf("Decide is not pure: first (%#v, %v), then (%#v, %v)", got, err, again, err2)
	}
	if !reflect.DeepEqual(s, fold(sc.given, sc.adjust)) {
		t.Errorf("Decide changed its input state: %#v", s)
	}

	want := sc.then
	if want.err == nil {
		if err != nil {
			t.Fatalf("want events %#v, got error %v", want.events, err)
		}
		if !reflect.DeepEqual(got, want.events) {
			t.Fatalf("events:\n got %#v\nwant %#v", got, want.events)
		}
		return
	}
	if err == nil {
		t.Fatalf("want error %v, got events %#v", want.err, got)
	}
	if got != nil {
		t.Errorf("refused command also returned events %#v", got)
	}
	if !errors.Is(err, want.err) {
		t.Fatalf("error %v (%T) does not match %v", err, err, want.err)
	}
	switch want.err {
	case domain.ErrRuleViolation:
		var re *domain.RuleError
		if !errors.As(err, &re) {
			t.Fatalf("error %v is not a *domain.RuleError", err)
		}
		if re.Rule != want.rule {
			t.Errorf("rule %q (%s), want %q", re.Rule, re.Detail, want.rule)
		}
	case domain.ErrValidation:
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error %v is not a *domain.ValidationError", err)
		}
		var fields []string
		for _, p := range ve.Problems {
			fields = append(fields, p.Field)
		}
		sort.Strings(fields)
		wantFields := append([]string(nil), want.fields...)
		sort.Strings(wantFields)
		if !reflect.DeepEqual(fields, wantFields) {
			t.Errorf("problems with %q, want %q (%v)", fields, wantFields, err)
		}
	case domain.ErrForbidden:
		var fe *domain.ForbiddenError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *domain.ForbiddenError", err)
		}
	}
}

func events(es ...domain.Event) then { return then{events: es} }
func rule(r string) then             { return then{err: domain.ErrRuleViolation, rule: r} }
func invalid(fields ...string) then  { return then{err: domain.ErrValidation, fields: fields} }
func fails(sentinel error) then      { return then{err: sentinel} }
func staff(id string, roles ...domain.Role) domain.Principal {
	return domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles}
}

const (
	acmeID     = "123456HQ"
	acmeName   = "ACME Ltd."
	acmeDomain = "acme.example"
	otherID    = "654321AB"
)

var (
	at          = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")
	partner     = domain.Principal{ID: "partner:777777PA/P-1", Kind: domain.KindPartner, PartnerID: "777777PA", ContactID: "P-1"}
)

// customer is contact id of account accountID.
func customer(accountID, id string) domain.Principal {
	return domain.Principal{ID: "customer:" + accountID + "/" + id, Kind: domain.KindCustomer, AccountID: accountID, ContactID: id}
}

// registration is a valid RegisterAccount for ACME, edited by edit.
func registration(edit func(*account.RegisterAccount)) account.RegisterAccount {
	c := account.RegisterAccount{
		AccountID:     acmeID,
		Name:          acmeName,
		PrimaryDomain: acmeDomain,
		Address:       account.Address{Country: "GB", State: "England", City: "London"},
		VATNumber:     "GB123456789",
		By:            admin,
		At:            at,
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// registered is the event of a valid registration of ACME.
func registered() account.AccountRegistered {
	return account.AccountRegistered{
		AccountID:     acmeID,
		Name:          acmeName,
		PrimaryDomain: acmeDomain,
		Address:       account.Address{Country: "GB", State: "England", City: "London"},
		Region:        "EMEA",
		VATNumber:     "GB123456789",
	}
}

// acme is the history of a freshly registered ACME.
func acme() []domain.Event { return []domain.Event{registered()} }

// evidence is valid evidence for renaming ACME Ltd. to Globex Ltd.
func evidence() account.RenameEvidence {
	return account.RenameEvidence{
		EmailConfirmation: account.EmailConfirmation{From: "cfo@acme.example", Reference: "mail:2025-03-10/cfo-confirmation.eml"},
		Document: account.Document{
			Kind:      account.DocLegalDocument,
			Reference: "doc:companies-house/certificate-of-change-of-name.pdf",
			OldName:   "ACME Ltd.",
			NewName:   "Globex Ltd",
		},
	}
}

// renaming is a valid RenameCompany of ACME to "Globex Ltd" by admin,
// edited by edit.
func renaming(edit func(*account.RenameCompany)) account.RenameCompany {
	c := account.RenameCompany{AccountID: acmeID, NewName: "Globex Ltd", Evidence: evidence(), By: admin, At: at}
	if edit != nil {
		edit(&c)
	}
	return c
}

// renameAccepted is a scenario where the rename of ACME, edited by edit, is
// accepted: one CompanyRenamed from "ACME Ltd." to newName carrying the
// command's evidence as given.
func renameAccepted(name, newName string, adjust func(*account.State), edit func(*account.RenameCompany)) scenario {
	c := renaming(edit)
	return scenario{
		name:   name,
		given:  acme(),
		adjust: adjust,
		when:   c,
		then:   events(account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: newName, Evidence: c.Evidence}),
	}
}

// withContact adds contact id with access and roles to the state, as
// AddContact and SetContactAccess will once they exist.
func withContact(id, access string, roles ...string) func(*account.State) {
	return func(s *account.State) {
		s.Contacts[id] = account.Contact{ID: id, Roles: roles, Access: access}
	}
}

func TestRegisterAccount(t *testing.T) {
	regionCase := func(country, region string) scenario {
		return scenario{
			name: "RegisterAccount/region: " + country + " is " + region,
			when: registration(func(c *account.RegisterAccount) { c.Address = account.Address{Country: country} }),
			then: events(account.AccountRegistered{
				AccountID: acmeID, Name: acmeName, PrimaryDomain: acmeDomain,
				Address: account.Address{Country: country}, Region: region, VATNumber: "GB123456789",
			}),
		}
	}
	by := func(p domain.Principal) func(*account.RegisterAccount) {
		return func(c *account.RegisterAccount) { c.By = p }
	}
	badField := func(rule, field string, edit func(*account.RegisterAccount)) scenario {
		return scenario{name: "RegisterAccount/" + rule, when: registration(edit), then: invalid(field)}
	}
	cases := []scenario{
		{
			name: "RegisterAccount/happy path: an admin registers an account with every field",
			when: registration(nil),
			then: events(registered()),
		},
		{
			name: "RegisterAccount/who: support staff may register",
			when: registration(by(support)),
			then: events(registered()),
		},
		{
			name: "RegisterAccount/who: staff holding admin among other roles may register",
			when: registration(by(staff("ann", domain.RoleAuditor, domain.RoleAdmin))),
			then: events(registered()),
		},
		regionCase("US", "AMER"),
		regionCase("BR", "AMER"),
		regionCase("DE", "EMEA"),
		regionCase("ZA", "EMEA"),
		regionCase("JP", "APAC"),
		regionCase("AU", "APAC"),
		{
			name: "RegisterAccount/VAT number is optional and omitted when empty",
			when: registration(func(c *account.RegisterAccount) { c.VATNumber = "" }),
			then: events(func() account.AccountRegistered { e := registered(); e.VATNumber = ""; return e }()),
		},
		{
			name: "RegisterAccount/state and city are optional",
			when: registration(func(c *account.RegisterAccount) { c.Address.State, c.Address.City = "", "" }),
			then: events(func() account.AccountRegistered {
				e := registered()
				e.Address.State, e.Address.City = "", ""
				return e
			}()),
		},
		{
			name: "RegisterAccount/name, state and city are recorded without surrounding white space",
			when: registration(func(c *account.RegisterAccount) {
				c.Name, c.Address.State, c.Address.City = "  ACME Ltd. ", " England ", "London  "
			}),
			then: events(registered()),
		},
		{
			name: "RegisterAccount/name length: exactly 200 characters (not bytes) is accepted",
			when: registration(func(c *account.RegisterAccount) { c.Name = strings.Repeat("é", account.MaxNameLen) }),
			then: events(func() account.AccountRegistered {
				e := registered()
				e.Name = strings.Repeat("é", account.MaxNameLen)
				return e
			}()),
		},
		{
			name: "RegisterAccount/VAT format: capitals, digits, spaces, dots and hyphens are accepted",
			when: registration(func(c *account.RegisterAccount) { c.VATNumber = "DE 123.456-78" }),
			then: events(func() account.AccountRegistered { e := registered(); e.VATNumber = "DE 123.456-78"; return e }()),
		},

		// Who may register: admin or support staff only.
		{name: "RegisterAccount/who: an auditor may not register", when: registration(by(auditor)), then: fails(domain.ErrForbidden)},
		{name: "RegisterAccount/who: compliance may not register", when: registration(by(compliance)), then: fails(domain.ErrForbidden)},
		{name: "RegisterAccount/who: an integration may not register", when: registration(by(integration)), then: fails(domain.ErrForbidden)},
		{name: "RegisterAccount/who: staff without roles may not register", when: registration(by(noRoles)), then: fails(domain.ErrForbidden)},
		{name: "RegisterAccount/who: a partner may not register", when: registration(by(partner)), then: fails(domain.ErrForbidden)},
		{name: "RegisterAccount/who: a customer contact may not register", when: registration(by(customer(acmeID, "C-1"))), then: fails(domain.ErrForbidden)},
		{
			name: "RegisterAccount/who: staff roles on a customer principal count for nothing",
			when: registration(by(domain.Principal{ID: "customer:x", Kind: domain.KindCustomer, Roles: []domain.Role{domain.RoleAdmin}})),
			then: fails(domain.ErrForbidden),
		},
		{name: "RegisterAccount/who: the zero principal may not register", when: registration(by(domain.Principal{})), then: fails(domain.ErrForbidden)},
		{
			name: "RegisterAccount/who: checked before validation, so the refused learn nothing",
			when: registration(func(c *account.RegisterAccount) { c.By, c.AccountID = partner, "bad" }),
			then: fails(domain.ErrForbidden),
		},

		// Account ID: six digits and two capital letters.
		badField("account ID form: required", "account_id", func(c *account.RegisterAccount) { c.AccountID = "" }),
		badField("account ID form: five digits", "account_id", func(c *account.RegisterAccount) { c.AccountID = "12345HQ" }),
		badField("account ID form: seven digits", "account_id", func(c *account.RegisterAccount) { c.AccountID = "1234567HQ" }),
		badField("account ID form: lower-case suffix", "account_id", func(c *account.RegisterAccount) { c.AccountID = "123456hq" }),
		badField("account ID form: one-letter suffix", "account_id", func(c *account.RegisterAccount) { c.AccountID = "123456H" }),
		badField("account ID form: digit in suffix", "account_id", func(c *account.RegisterAccount) { c.AccountID = "123456H1" }),
		badField("account ID form: letters first", "account_id", func(c *account.RegisterAccount) { c.AccountID = "HQ123456" }),
		badField("account ID form: trailing space", "account_id", func(c *account.RegisterAccount) { c.AccountID = "123456HQ " }),
		badField("account ID form: trailing newline", "account_id", func(c *account.RegisterAccount) { c.AccountID = "123456HQ\n" }),
		badField("account ID form: non-ASCII digits", "account_id", func(c *account.RegisterAccount) { c.AccountID = "١٢٣٤٥٦HQ" }),

		// Name.
		badField("name: required", "name", func(c *account.RegisterAccount) { c.Name = "" }),
		badField("name: white space only", "name", func(c *account.RegisterAccount) { c.Name = " \t " }),
		badField("name: at most 200 characters", "name", func(c *account.RegisterAccount) { c.Name = strings.Repeat("a", account.MaxNameLen+1) }),
		badField("name: no control characters (NUL)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\x00Ltd" }),
		badField("name: no control characters (tab inside)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\tLtd" }),
		badField("name: no control characters (C1)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\u0085Ltd" }),
		badField("name: valid UTF-8", "name", func(c *account.RegisterAccount) { c.Name = "ACME \xff Ltd" }),
		badField("name: must contain letters or digits", "name", func(c *account.RegisterAccount) { c.Name = "-- ... --" }),

		// Primary domain.
		badField("domain: required", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "" }),
		badField("domain: lower case only", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "ACME.example" }),
		badField("domain: at least two labels", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "acme" }),
		badField("domain: no empty label", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "acme..example" }),
		badField("domain: no trailing dot", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "acme.example." }),
		badField("domain: no leading hyphen in a label", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "-acme.example" }),
		badField("domain: no underscore", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "acme_uk.example" }),
		badField("domain: a name, not a URL", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "https://acme.example" }),
		badField("domain: a domain, not an email address", "primary_domain", func(c *account.RegisterAccount) { c.PrimaryDomain = "cfo@acme.example" }),

		// Country.
		badField("country code: required", "address.country", func(c *account.RegisterAccount) { c.Address.Country = "" }),
		badField("country code: upper case", "address.country", func(c *account.RegisterAccount) { c.Address.Country = "gb" }),
		badField("country code: alpha-2, not alpha-3", "address.country", func(c *account.RegisterAccount) { c.Address.Country = "GBR" }),
		badField("country code: assigned", "address.country", func(c *account.RegisterAccount) { c.Address.Country = "XX" }),
		badField("country code: not a name", "address.country", func(c *account.RegisterAccount) { c.Address.Country = "United Kingdom" }),

		// State and city.
		badField("state length: at most 100 characters", "address.state", func(c *account.RegisterAccount) {
			c.Address.State = strings.Repeat("s", account.MaxPlaceLen+1)
		}),
		badField("state: no control characters", "address.state", func(c *account.RegisterAccount) { c.Address.State = "Eng\x1bland" }),
		badField("state: valid UTF-8", "address.state", func(c *account.RegisterAccount) { c.Address.State = "\xc3\x28" }),
		badField("city length: at most 100 characters", "address.city", func(c *account.RegisterAccount) {
			c.Address.City = strings.Repeat("c", account.MaxPlaceLen+1)
		}),
		badField("city: no control characters", "address.city", func(c *account.RegisterAccount) { c.Address.City = "Lon\ndon" }),

		// VAT number.
		badField("VAT format: upper case", "vat_number", func(c *account.RegisterAccount) { c.VATNumber = "gb123456789" }),
		badField("VAT format: at least 2 characters", "vat_number", func(c *account.RegisterAccount) { c.VATNumber = "G" }),
		badField("VAT format: at most 30 characters", "vat_number", func(c *account.RegisterAccount) {
			c.VATNumber = "GB" + strings.Repeat("1", account.MaxVATLen-1)
		}),
		badField("VAT format: no slash", "vat_number", func(c *account.RegisterAccount) { c.VATNumber = "GB123/456" }),
		badField("VAT format: no leading space", "vat_number", func(c *account.RegisterAccount) { c.VATNumber = " GB123456789" }),

		{
			name: "RegisterAccount/validation: every problem is reported at once",
			when: account.RegisterAccount{
				AccountID: "x", Name: "", PrimaryDomain: "ACME",
				Address:   account.Address{Country: "ZZ", State: strings.Repeat("s", 101), City: "\x00"},
				VATNumber: "vat", By: admin, At: at,
			},
			then: invalid("account_id", "name", "primary_domain", "address.country", "address.state", "address.city", "vat_number"),
		},

		// Existing IDs.
		{
			name:  "RegisterAccount/duplicate: an existing account ID is refused",
			given: acme(),
			when:  registration(func(c *account.RegisterAccount) { c.Name, c.PrimaryDomain = "Other Co", "other.example" }),
			then:  fails(domain.ErrDuplicate),
		},
		{
			name:  "RegisterAccount/duplicate: a renamed account's ID is still taken",
			given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			when:  registration(nil),
			then:  fails(domain.ErrDuplicate),
		},
	}
	runAll(t, cases)
}

func TestRenameCompany(t *testing.T) {
	by := func(p domain.Principal) func(*account.RenameCompany) {
		return func(c *account.RenameCompany) { c.By = p }
	}
	refused := func(name string, p domain.Principal, adjust func(*account.State)) scenario {
		return scenario{name: "RenameCompany/who: " + name, given: acme(), adjust: adjust, when: renaming(by(p)), then: fails(domain.ErrForbidden)}
	}
	invalidRename := func(name string, edit func(*account.RenameCompany), fields ...string) scenario {
		return scenario{name: "RenameCompany/" + name, given: acme(), when: renaming(edit), then: invalid(fields...)}
	}
	ruled := func(name, r string, edit func(*account.RenameCompany)) scenario {
		return scenario{name: "RenameCompany/" + name, given: acme(), when: renaming(edit), then: rule(r)}
	}
	ann := customer(acmeID, "C-1")

	cases := []scenario{
		renameAccepted("RenameCompany/happy path: admin staff renames with email and legal document", "Globex Ltd", nil, nil),
		renameAccepted("RenameCompany/who: support staff may ask", "Globex Ltd", nil, by(support)),
		renameAccepted("RenameCompany/who: an unrestricted org admin of the account may ask", "Globex Ltd",
			withContact("C-1", account.AccessUnrestricted, account.RoleOrgAdmin), by(ann)),
		renameAccepted("RenameCompany/who: an unrestricted org admin with other roles too may ask", "Globex Ltd",
			withContact("C-1", account.AccessUnrestricted, account.RoleBilling, account.RoleOrgAdmin), by(ann)),
		renameAccepted("RenameCompany/new name is recorded without surrounding white space", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.NewName = "  Globex Ltd \t" }),

		// Evidence: the email.
		renameAccepted("RenameCompany/evidence: email from a subdomain of the company's domain is accepted", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "cfo@uk.acme.example" }),
		renameAccepted("RenameCompany/evidence: email from a deeper subdomain is accepted", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "cfo@mail.uk.acme.example" }),
		renameAccepted("RenameCompany/evidence: email domain compared without regard to case", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "CFO@ACME.Example" }),
		invalidRename("evidence: email confirmation is required",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation = account.EmailConfirmation{} },
			"evidence.email_confirmation.from", "evidence.email_confirmation.reference"),
		invalidRename("evidence: email sender is required",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "" }, "evidence.email_confirmation.from"),
		invalidRename("evidence: email sender must be an email address",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "acme.example" }, "evidence.email_confirmation.from"),
		invalidRename("evidence: email sender must be a bare address",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "CFO <cfo@acme.example>" }, "evidence.email_confirmation.from"),
		invalidRename("evidence: email reference is required",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.Reference = "  " }, "evidence.email_confirmation.reference"),
		invalidRename("evidence: email reference at most 500 characters",
			func(c *account.RenameCompany) {
				c.Evidence.EmailConfirmation.Reference = strings.Repeat("r", account.MaxReferenceLen+1)
			}, "evidence.email_confirmation.reference"),
		invalidRename("evidence: email reference without control characters",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.Reference = "mail:\x07" }, "evidence.email_confirmation.reference"),
		ruled("evidence: email must come from the company's own domain", "rename.email_from_company_domain",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "cfo@globex.example" }),
		ruled("evidence: email from a look-alike domain ending in the company's name is refused", "rename.email_from_company_domain",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "cfo@evilacme.example" }),
		ruled("evidence: email from a domain that merely starts with the company's domain is refused", "rename.email_from_company_domain",
			func(c *account.RenameCompany) { c.Evidence.EmailConfirmation.From = "cfo@acme.example.attacker.test" }),
		{
			name:   "RenameCompany/evidence: email from the parent of the company's domain is refused",
			given:  acme(),
			adjust: func(s *account.State) { s.PrimaryDomain = "uk.acme.example" },
			when:   renaming(nil), // from cfo@acme.example
			then:   rule("rename.email_from_company_domain"),
		},

		// Evidence: the document.
		renameAccepted("RenameCompany/evidence: a press release is accepted", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.Evidence.Document.Kind = account.DocPressRelease }),
		renameAccepted("RenameCompany/evidence: a letterhead request is accepted", "Globex Ltd", nil,
			func(c *account.RenameCompany) { c.Evidence.Document.Kind = account.DocLetterheadRequest }),
		renameAccepted("RenameCompany/evidence: names compared without legal suffix, case or punctuation (\"ACME Ltd.\" vs \"Acme\")", "Globex Ltd", nil,
			func(c *account.RenameCompany) {
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = "Acme", "GLOBEX LIMITED"
			}),
		renameAccepted("RenameCompany/evidence: names compared without accents or extra white space", "Globex Ltd", nil,
			func(c *account.RenameCompany) {
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = "  Ácme,  Ltd", "Glöbex   Ltd."
			}),
		invalidRename("evidence: document is required",
			func(c *account.RenameCompany) { c.Evidence.Document = account.Document{} },
			"evidence.document.kind", "evidence.document.reference", "evidence.document.old_name", "evidence.document.new_name"),
		invalidRename("evidence: document kind is required",
			func(c *account.RenameCompany) { c.Evidence.Document.Kind = "" }, "evidence.document.kind"),
		invalidRename("evidence: document kind must be press release, legal document or letterhead request",
			func(c *account.RenameCompany) { c.Evidence.Document.Kind = "tweet" }, "evidence.document.kind"),
		invalidRename("evidence: document kind is exact (no other spelling)",
			func(c *account.RenameCompany) { c.Evidence.Document.Kind = "Legal Document" }, "evidence.document.kind"),
		invalidRename("evidence: document reference is required",
			func(c *account.RenameCompany) { c.Evidence.Document.Reference = "" }, "evidence.document.reference"),
		invalidRename("evidence: document must state the old name",
			func(c *account.RenameCompany) { c.Evidence.Document.OldName = "" }, "evidence.document.old_name"),
		invalidRename("evidence: document must state the new name",
			func(c *account.RenameCompany) { c.Evidence.Document.NewName = " " }, "evidence.document.new_name"),
		ruled("evidence: document must name the old name", "rename.document_names_both",
			func(c *account.RenameCompany) { c.Evidence.Document.OldName = "Initech Ltd" }),
		ruled("evidence: document must name the new name", "rename.document_names_both",
			func(c *account.RenameCompany) { c.Evidence.Document.NewName = "Globex Holdings Ltd" }),
		ruled("evidence: document naming the names the other way round is refused", "rename.document_names_both",
			func(c *account.RenameCompany) {
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = "Globex Ltd", "ACME Ltd."
			}),
		{
			name:  "RenameCompany/evidence: document must name the current name, not a former one",
			given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			when: renaming(func(c *account.RenameCompany) {
				c.NewName = "Initech"
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = acmeName, "Initech"
			}),
			then: rule("rename.document_names_both"),
		},

		// New name.
		invalidRename("new name: required", func(c *account.RenameCompany) { c.NewName = "" }, "new_name"),
		invalidRename("new name: at most 200 characters",
			func(c *account.RenameCompany) { c.NewName = strings.Repeat("n", account.MaxNameLen+1) }, "new_name"),
		invalidRename("new name: no control characters", func(c *account.RenameCompany) { c.NewName = "Glo\x7fbex" }, "new_name"),
		invalidRename("new name: valid UTF-8", func(c *account.RenameCompany) { c.NewName = "Glo\xfebex" }, "new_name"),
		invalidRename("new name: must contain letters or digits", func(c *account.RenameCompany) { c.NewName = "&&&" }, "new_name"),
		ruled("same name: renaming to the current name is refused", "rename.same_name",
			func(c *account.RenameCompany) { c.NewName, c.Evidence.Document.NewName = acmeName, acmeName }),
		ruled("same name: a change of case, spacing or punctuation alone is not a rename", "rename.same_name",
			func(c *account.RenameCompany) { c.NewName, c.Evidence.Document.NewName = "acme  LTD", "acme  LTD" }),
		renameAccepted("RenameCompany/same name: a change of legal form is a rename", "ACME Limited", nil,
			func(c *account.RenameCompany) {
				c.NewName, c.Evidence.Document.NewName = "ACME Limited", "ACME Limited"
			}),
		{
			name:  "RenameCompany/same name: renaming back to a former name is allowed",
			given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			when: renaming(func(c *account.RenameCompany) {
				c.NewName = acmeName
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = "Globex Ltd", acmeName
			}),
			then: events(account.CompanyRenamed{AccountID: acmeID, OldName: "Globex Ltd", NewName: acmeName, Evidence: account.RenameEvidence{
				EmailConfirmation: evidence().EmailConfirmation,
				Document:          account.Document{Kind: account.DocLegalDocument, Reference: evidence().Document.Reference, OldName: "Globex Ltd", NewName: acmeName},
			}}),
		},

		// The account.
		{name: "RenameCompany/account: an unknown account is not found", when: renaming(nil), then: fails(domain.ErrNotFound)},
		{
			name:  "RenameCompany/account: another account's history does not make this one exist",
			given: []domain.Event{func() account.AccountRegistered { e := registered(); e.AccountID = otherID; return e }()},
			when:  renaming(func(c *account.RenameCompany) { c.AccountID = acmeID }),
			then:  fails(domain.ErrNotFound),
		},
		{
			name:   "RenameCompany/account: a merged account accepts no further commands",
			given:  acme(),
			adjust: func(s *account.State) { s.Status, s.MergedInto = account.StatusMerged, otherID },
			when:   renaming(nil),
			then:   rule("account.merged"),
		},

		// Who may ask: staff (admin, support) or an unrestricted org admin of the account.
		refused("an auditor may not ask", auditor, nil),
		refused("compliance may not ask", compliance, nil),
		refused("an integration may not ask", integration, nil),
		refused("staff without roles may not ask", noRoles, nil),
		refused("a partner may not ask", partner, nil),
		refused("a partner may not ask even naming the account", domain.Principal{
			ID: "partner:777777PA/P-1", Kind: domain.KindPartner, PartnerID: "777777PA", AccountID: acmeID, ContactID: "C-1",
		}, withContact("C-1", account.AccessUnrestricted, account.RoleOrgAdmin)),
		{name: "RenameCompany/who: a customer contact of another account may not ask, and is told the account does not exist (API.md: never reveal)",
			given: acme(), adjust: withContact("C-1", account.AccessUnrestricted, account.RoleOrgAdmin),
			when: renaming(by(customer(otherID, "C-1"))), then: fails(domain.ErrNotFound)},
		refused("a restricted org admin of the account may not ask", ann,
			withContact("C-1", account.AccessRestricted, account.RoleOrgAdmin)),
		refused("an org admin with no access level set may not ask", ann,
			withContact("C-1", "", account.RoleOrgAdmin)),
		refused("an unrestricted contact who is not an org admin may not ask", ann,
			withContact("C-1", account.AccessUnrestricted, account.RoleBusinessExecutive, account.RoleBilling, account.RoleTechnical)),
		refused("a contact the account does not know may not ask", ann, nil),
		refused("staff roles on a customer principal count for nothing", domain.Principal{
			ID: "customer:" + acmeID + "/C-9", Kind: domain.KindCustomer, AccountID: acmeID, ContactID: "C-9",
			Roles: []domain.Role{domain.RoleAdmin},
		}, nil),
		refused("the zero principal may not ask", domain.Principal{}, nil),
		{
			name:  "RenameCompany/who: checked before the business rules, so the refused learn nothing of them",
			given: acme(),
			when:  renaming(func(c *account.RenameCompany) { c.By, c.Evidence.EmailConfirmation.From = auditor, "x@other.example" }),
			then:  fails(domain.ErrForbidden),
		},
	}
	runAll(t, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	// A type embedding a command satisfies Command but is none of the
	// commands Decide knows.
	type wrapped struct{ account.RenameCompany }
	cases := []scenario{
		{name: "Decide/unknown command: nil is refused", given: acme(), when: nil, then: rule("account.unknown_command")},
		{name: "Decide/unknown command: a foreign type is refused", given: acme(), when: wrapped{renaming(nil)}, then: rule("account.unknown_command")},
	}
	runAll(t, cases)
}

func runAll(t *testing.T, cases []scenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, sc := range cases {
		if seen[sc.name] {
			t.Errorf("two cases named %q", sc.name)
		}
		seen[sc.name] = true
		t.Run(sc.name, func(t *testing.T) { run(t, sc) })
	}
}

func TestEvolve(t *testing.T) {
	t.Run("registration sets up an active account with no contacts", func(t *testing.T) {
		got := account.Evolve(account.State{}, registered())
		want := account.State{
			ID: acmeID, Name: acmeName, PrimaryDomain: acmeDomain,
			Address: account.Address{Country: "GB", State: "England", City: "London"},
			Region:  "EMEA", VATNumber: "GB123456789", Status: account.StatusActive,
			Contacts: map[string]account.Contact{},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (account.State{}).Exists() {
			t.Error("Exists: a registered account exists and the zero state does not")
		}
	})

	t.Run("a rename keeps the old name searchable in FormerNames", func(t *testing.T) {
		s := fold(acme(), nil)
		decided, err := account.Decide(s, renaming(nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range decided {
			s = account.Evolve(s, e)
		}
		if s.Name != "Globex Ltd" || !reflect.DeepEqual(s.FormerNames, []string{acmeName}) {
			t.Fatalf("after rename: Name %q, FormerNames %q", s.Name, s.FormerNames)
		}
		s = account.Evolve(s, account.CompanyRenamed{AccountID: acmeID, OldName: "Globex Ltd", NewName: "Initech"})
		if s.Name != "Initech" || !reflect.DeepEqual(s.FormerNames, []string{acmeName, "Globex Ltd"}) {
			t.Fatalf("after second rename: Name %q, FormerNames %q", s.Name, s.FormerNames)
		}
	})

	t.Run("states from a shared history do not share FormerNames", func(t *testing.T) {
		base := fold(append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "B"}), nil)
		base.FormerNames = append(make([]string, 0, 8), base.FormerNames...) // room to append in place
		one := account.Evolve(account.Evolve(base, account.CompanyRenamed{AccountID: acmeID, OldName: "B", NewName: "C"}),
			account.CompanyRenamed{AccountID: acmeID, OldName: "C", NewName: "E"})
		two := account.Evolve(account.Evolve(base, account.CompanyRenamed{AccountID: acmeID, OldName: "B", NewName: "D"}),
			account.CompanyRenamed{AccountID: acmeID, OldName: "D", NewName: "F"})
		if !reflect.DeepEqual(one.FormerNames, []string{acmeName, "B", "C"}) || !reflect.DeepEqual(two.FormerNames, []string{acmeName, "B", "D"}) ||
			!reflect.DeepEqual(base.FormerNames, []string{acmeName}) {
			t.Fatalf("aliasing: base %q, one %q, two %q", base.FormerNames, one.FormerNames, two.FormerNames)
		}
	})

	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := fold(acme(), nil)
		if got := account.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v, want %#v", got, s)
		}
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "license.split" }
func (foreign) SchemaVersion() int { return 1 }

func TestStreamID(t *testing.T) {
	if got := account.StreamID(acmeID); got != "account-123456HQ" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"123456HQ": true, "000000AA": true, "999999ZZ": true,
		"": false, "123456hq": false, "12345HQ": false, "1234567HQ": false, "123456HQQ": false, " 123456HQ": false,
	} {
		if got := account.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}
