package account_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/domaintest"
)

type scenario = domaintest.Scenario[account.State, account.Command]

var aggregate = domaintest.Aggregate[account.State, account.Command]{Evolve: account.Evolve, Decide: account.Decide}

// fold builds the state a scenario starts from.
func fold(given []domain.Event, adjust func(*account.State)) account.State {
	return domaintest.Fold(aggregate, given, adjust)
}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

func staff(id string, roles ...domain.Role) domain.Principal {
	return domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles}
}

// as is principal p acting, as the command service passes it to account
// commands: with no contact facts, which Decide resolves from the account.
func as(p domain.Principal) domain.Actor { return domain.Actor{Principal: p} }

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
		By:            as(admin),
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
	c := account.RenameCompany{AccountID: acmeID, NewName: "Globex Ltd", Evidence: evidence(), By: as(admin), At: at}
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
		Name:   name,
		Given:  acme(),
		Adjust: adjust,
		When:   c,
		Then:   events(account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: newName, Evidence: c.Evidence}),
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
			Name: "RegisterAccount/region: " + country + " is " + region,
			When: registration(func(c *account.RegisterAccount) { c.Address = account.Address{Country: country} }),
			Then: events(account.AccountRegistered{
				AccountID: acmeID, Name: acmeName, PrimaryDomain: acmeDomain,
				Address: account.Address{Country: country}, Region: region, VATNumber: "GB123456789",
			}),
		}
	}
	by := func(p domain.Principal) func(*account.RegisterAccount) {
		return func(c *account.RegisterAccount) { c.By = as(p) }
	}
	badField := func(rule, field string, edit func(*account.RegisterAccount)) scenario {
		return scenario{Name: "RegisterAccount/" + rule, When: registration(edit), Then: invalid(field)}
	}
	cases := []scenario{
		{
			Name: "RegisterAccount/happy path: an admin registers an account with every field",
			When: registration(nil),
			Then: events(registered()),
		},
		{
			Name: "RegisterAccount/who: support staff may register",
			When: registration(by(support)),
			Then: events(registered()),
		},
		{
			Name: "RegisterAccount/who: staff holding admin among other roles may register",
			When: registration(by(staff("ann", domain.RoleAuditor, domain.RoleAdmin))),
			Then: events(registered()),
		},
		regionCase("US", "AMER"),
		regionCase("BR", "AMER"),
		regionCase("DE", "EMEA"),
		regionCase("ZA", "EMEA"),
		regionCase("JP", "APAC"),
		regionCase("AU", "APAC"),
		{
			Name: "RegisterAccount/VAT number is optional and omitted when empty",
			When: registration(func(c *account.RegisterAccount) { c.VATNumber = "" }),
			Then: events(func() account.AccountRegistered { e := registered(); e.VATNumber = ""; return e }()),
		},
		{
			Name: "RegisterAccount/state and city are optional",
			When: registration(func(c *account.RegisterAccount) { c.Address.State, c.Address.City = "", "" }),
			Then: events(func() account.AccountRegistered {
				e := registered()
				e.Address.State, e.Address.City = "", ""
				return e
			}()),
		},
		{
			Name: "RegisterAccount/name, state and city are recorded without surrounding white space",
			When: registration(func(c *account.RegisterAccount) {
				c.Name, c.Address.State, c.Address.City = "  ACME Ltd. ", " England ", "London  "
			}),
			Then: events(registered()),
		},
		{
			Name: "RegisterAccount/name length: exactly 200 characters (not bytes) is accepted",
			When: registration(func(c *account.RegisterAccount) { c.Name = strings.Repeat("é", account.MaxNameLen) }),
			Then: events(func() account.AccountRegistered {
				e := registered()
				e.Name = strings.Repeat("é", account.MaxNameLen)
				return e
			}()),
		},
		{
			Name: "RegisterAccount/VAT format: capitals, digits, spaces, dots and hyphens are accepted",
			When: registration(func(c *account.RegisterAccount) { c.VATNumber = "DE 123.456-78" }),
			Then: events(func() account.AccountRegistered { e := registered(); e.VATNumber = "DE 123.456-78"; return e }()),
		},

		// Who may register: admin or support staff only.
		{Name: "RegisterAccount/who: an auditor may not register", When: registration(by(auditor)), Then: fails(domain.ErrForbidden)},
		{Name: "RegisterAccount/who: compliance may not register", When: registration(by(compliance)), Then: fails(domain.ErrForbidden)},
		{Name: "RegisterAccount/who: an integration may not register", When: registration(by(integration)), Then: fails(domain.ErrForbidden)},
		{Name: "RegisterAccount/who: staff without roles may not register", When: registration(by(noRoles)), Then: fails(domain.ErrForbidden)},
		{Name: "RegisterAccount/who: a partner may not register", When: registration(by(partner)), Then: fails(domain.ErrForbidden)},
		{Name: "RegisterAccount/who: a customer contact may not register", When: registration(by(customer(acmeID, "C-1"))), Then: fails(domain.ErrForbidden)},
		{
			Name: "RegisterAccount/who: staff roles on a customer principal count for nothing",
			When: registration(by(domain.Principal{ID: "customer:x", Kind: domain.KindCustomer, Roles: []domain.Role{domain.RoleAdmin}})),
			Then: fails(domain.ErrForbidden),
		},
		{Name: "RegisterAccount/who: the zero principal may not register", When: registration(by(domain.Principal{})), Then: fails(domain.ErrForbidden)},
		{
			Name: "RegisterAccount/who: checked before validation, so the refused learn nothing",
			When: registration(func(c *account.RegisterAccount) { c.By, c.AccountID = as(partner), "bad" }),
			Then: fails(domain.ErrForbidden),
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
		badField("Name: required", "name", func(c *account.RegisterAccount) { c.Name = "" }),
		badField("Name: white space only", "name", func(c *account.RegisterAccount) { c.Name = " \t " }),
		badField("Name: at most 200 characters", "name", func(c *account.RegisterAccount) { c.Name = strings.Repeat("a", account.MaxNameLen+1) }),
		badField("Name: no control characters (NUL)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\x00Ltd" }),
		badField("Name: no control characters (tab inside)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\tLtd" }),
		badField("Name: no control characters (C1)", "name", func(c *account.RegisterAccount) { c.Name = "ACME\u0085Ltd" }),
		badField("Name: valid UTF-8", "name", func(c *account.RegisterAccount) { c.Name = "ACME \xff Ltd" }),
		badField("Name: must contain letters or digits", "name", func(c *account.RegisterAccount) { c.Name = "-- ... --" }),

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
			Name: "RegisterAccount/validation: every problem is reported at once",
			When: account.RegisterAccount{
				AccountID: "x", Name: "", PrimaryDomain: "ACME",
				Address:   account.Address{Country: "ZZ", State: strings.Repeat("s", 101), City: "\x00"},
				VATNumber: "vat", By: as(admin), At: at,
			},
			Then: invalid("account_id", "name", "primary_domain", "address.country", "address.state", "address.city", "vat_number"),
		},

		// Existing IDs.
		{
			Name:  "RegisterAccount/duplicate: an existing account ID is refused",
			Given: acme(),
			When:  registration(func(c *account.RegisterAccount) { c.Name, c.PrimaryDomain = "Other Co", "other.example" }),
			Then:  fails(domain.ErrDuplicate),
		},
		{
			Name:  "RegisterAccount/duplicate: a renamed account's ID is still taken",
			Given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			When:  registration(nil),
			Then:  fails(domain.ErrDuplicate),
		},
		{
			Name:  "RegisterAccount/duplicate: a merged account's ID is still taken (IDs are never reused)",
			Given: append(acme(), mergedAway()),
			When:  registration(nil),
			Then:  fails(domain.ErrDuplicate),
		},
	}
	runAll(t, cases)
}

func TestRenameCompany(t *testing.T) {
	by := func(p domain.Principal) func(*account.RenameCompany) {
		return func(c *account.RenameCompany) { c.By = as(p) }
	}
	refused := func(name string, p domain.Principal, adjust func(*account.State)) scenario {
		return scenario{Name: "RenameCompany/who: " + name, Given: acme(), Adjust: adjust, When: renaming(by(p)), Then: fails(domain.ErrForbidden)}
	}
	invalidRename := func(name string, edit func(*account.RenameCompany), fields ...string) scenario {
		return scenario{Name: "RenameCompany/" + name, Given: acme(), When: renaming(edit), Then: invalid(fields...)}
	}
	ruled := func(name, r string, edit func(*account.RenameCompany)) scenario {
		return scenario{Name: "RenameCompany/" + name, Given: acme(), When: renaming(edit), Then: rule(r)}
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
			Name:   "RenameCompany/evidence: email from the parent of the company's domain is refused",
			Given:  acme(),
			Adjust: func(s *account.State) { s.PrimaryDomain = "uk.acme.example" },
			When:   renaming(nil), // from cfo@acme.example
			Then:   rule("rename.email_from_company_domain"),
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
			Name:  "RenameCompany/evidence: document must name the current name, not a former one",
			Given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			When: renaming(func(c *account.RenameCompany) {
				c.NewName = "Initech"
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = acmeName, "Initech"
			}),
			Then: rule("rename.document_names_both"),
		},

		// New name.
		invalidRename("new Name: required", func(c *account.RenameCompany) { c.NewName = "" }, "new_name"),
		invalidRename("new Name: at most 200 characters",
			func(c *account.RenameCompany) { c.NewName = strings.Repeat("n", account.MaxNameLen+1) }, "new_name"),
		invalidRename("new Name: no control characters", func(c *account.RenameCompany) { c.NewName = "Glo\x7fbex" }, "new_name"),
		invalidRename("new Name: valid UTF-8", func(c *account.RenameCompany) { c.NewName = "Glo\xfebex" }, "new_name"),
		invalidRename("new Name: must contain letters or digits", func(c *account.RenameCompany) { c.NewName = "&&&" }, "new_name"),
		ruled("same Name: renaming to the current name is refused", "rename.same_name",
			func(c *account.RenameCompany) { c.NewName, c.Evidence.Document.NewName = acmeName, acmeName }),
		ruled("same Name: a change of case, spacing or punctuation alone is not a rename", "rename.same_name",
			func(c *account.RenameCompany) { c.NewName, c.Evidence.Document.NewName = "acme  LTD", "acme  LTD" }),
		renameAccepted("RenameCompany/same Name: a change of legal form is a rename", "ACME Limited", nil,
			func(c *account.RenameCompany) {
				c.NewName, c.Evidence.Document.NewName = "ACME Limited", "ACME Limited"
			}),
		{
			Name:  "RenameCompany/same Name: renaming back to a former name is allowed",
			Given: append(acme(), account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
			When: renaming(func(c *account.RenameCompany) {
				c.NewName = acmeName
				c.Evidence.Document.OldName, c.Evidence.Document.NewName = "Globex Ltd", acmeName
			}),
			Then: events(account.CompanyRenamed{AccountID: acmeID, OldName: "Globex Ltd", NewName: acmeName, Evidence: account.RenameEvidence{
				EmailConfirmation: evidence().EmailConfirmation,
				Document:          account.Document{Kind: account.DocLegalDocument, Reference: evidence().Document.Reference, OldName: "Globex Ltd", NewName: acmeName},
			}}),
		},

		// The account.
		{Name: "RenameCompany/account: an unknown account is not found", When: renaming(nil), Then: fails(domain.ErrNotFound)},
		{
			Name:  "RenameCompany/account: another account's history does not make this one exist",
			Given: []domain.Event{func() account.AccountRegistered { e := registered(); e.AccountID = otherID; return e }()},
			When:  renaming(func(c *account.RenameCompany) { c.AccountID = acmeID }),
			Then:  fails(domain.ErrNotFound),
		},
		{
			Name:   "RenameCompany/account: a merged account accepts no further commands",
			Given:  acme(),
			Adjust: func(s *account.State) { s.Status, s.MergedInto = account.StatusMerged, otherID },
			When:   renaming(nil),
			Then:   rule("account.merged"),
		},

		{
			Name:   "RenameCompany/embargo: an org admin is denied while the account is on hold",
			Given:  append(acme(), account.EmbargoHoldPlaced{AccountID: acmeID, Party: account.HoldAccount, MatchedEntry: "SDN"}),
			Adjust: withContact("C-1", account.AccessUnrestricted, account.RoleOrgAdmin),
			When:   renaming(by(ann)),
			Then:   rule("account.embargo_hold"),
		},
		{
			Name:  "RenameCompany/embargo: staff may still rename an account on hold",
			Given: append(acme(), account.EmbargoHoldPlaced{AccountID: acmeID, Party: account.HoldAccount, MatchedEntry: "SDN"}),
			When:  renaming(nil),
			Then:  events(account.CompanyRenamed{AccountID: acmeID, OldName: acmeName, NewName: "Globex Ltd", Evidence: evidence()}),
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
		{Name: "RenameCompany/who: a customer contact of another account may not ask, and is told the account does not exist (API.md: never reveal)",
			Given: acme(), Adjust: withContact("C-1", account.AccessUnrestricted, account.RoleOrgAdmin),
			When: renaming(by(customer(otherID, "C-1"))), Then: fails(domain.ErrNotFound)},
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
			Name:  "RenameCompany/who: checked before the business rules, so the refused learn nothing of them",
			Given: acme(),
			When: renaming(func(c *account.RenameCompany) {
				c.By, c.Evidence.EmailConfirmation.From = as(auditor), "x@other.example"
			}),
			Then: fails(domain.ErrForbidden),
		},
	}
	runAll(t, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	// A type embedding a command satisfies Command but is none of the
	// commands Decide knows.
	type wrapped struct{ account.RenameCompany }
	cases := []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: acme(), When: nil, Then: rule("account.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: acme(), When: wrapped{renaming(nil)}, Then: rule("account.unknown_command")},
	}
	runAll(t, cases)
}

func runAll(t *testing.T, cases []scenario) {
	t.Helper()
	domaintest.RunAll(t, aggregate, cases)
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
