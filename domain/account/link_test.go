package account_test

import (
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/domaintest"
)

// systemCase describes a command the command service issues alongside a
// decision on another aggregate, for the scenarios such commands share.
type systemCase struct {
	name  string
	given []domain.Event
	mk    func(by domain.Actor) account.Command
	want  domaintest.Then
}

func (w systemCase) scenarios() []scenario {
	name := func(s string) string { return w.name + "/" + s }
	sc := func(n string, by domain.Actor, then domaintest.Then, more ...domain.Event) scenario {
		return scenario{Name: name(n), Given: append(append([]domain.Event(nil), w.given...), more...), When: w.mk(by), Then: then}
	}
	return []scenario{
		sc("who: issued with the actor of the decision that caused it (a partner's order), not checked again", as(partner), w.want),
		sc("who: issued with the actor of the decision that caused it (staff), not checked again", as(support), w.want),
		sc("who: issued with the actor of the decision that caused it (a customer contact), not checked again", as(annP), w.want),
		sc("embargo: a hold on the account does not stop what the system records", as(support), w.want, hold(account.HoldAccount)),
		{Name: name("account: an unknown account is not found"), When: w.mk(as(support)), Then: fails(domain.ErrNotFound)},
		{
			Name:  name("account: another account's history does not make this one exist"),
			Given: []domain.Event{func() account.AccountRegistered { e := registered(); e.AccountID = otherID; return e }()},
			When:  w.mk(as(support)),
			Then:  fails(domain.ErrNotFound),
		},
		sc("account: a merged account accepts no further commands, so what would escape the merge fails", as(support), rule("account.merged"), mergedAway()),
	}
}

func TestAttachLicense(t *testing.T) {
	attach := func(id string) account.AttachLicense {
		return account.AttachLicense{AccountID: acmeID, LicenseID: id, By: as(support), At: at}
	}
	bad := func(name, id string) scenario {
		return scenario{Name: "AttachLicense/" + name, Given: history(), When: attach(id), Then: invalid("license_id")}
	}
	cases := []scenario{
		{Name: "AttachLicense/happy path: a license now answers under the account", Given: history(), When: attach(lic1), Then: events(attached(lic1))},
		{Name: "AttachLicense/license ID form: more than seven digits once the numbers grow", Given: history(), When: attach("LIC-10000000"),
			Then: events(attached("LIC-10000000"))},
		{Name: "AttachLicense/already attached: a license the account has is refused", Given: history(attached(lic1)), When: attach(lic1),
			Then: rule("account.license_already_attached")},
		{Name: "AttachLicense/a license detached before may come back (transferred back)",
			Given: history(attached(lic1), account.LicenseDetached{AccountID: acmeID, LicenseID: lic1}), When: attach(lic1), Then: events(attached(lic1))},
		bad("license ID form: required", ""),
		bad("license ID form: seven digits", "LIC-1"),
		bad("license ID form: capital prefix", "lic-0000001"),
		bad("license ID form: not an order number", "ORD-0000001"),
	}
	cases = append(cases, systemCase{name: "AttachLicense", given: history(),
		mk:   func(by domain.Actor) account.Command { c := attach(lic1); c.By = by; return c },
		want: events(attached(lic1))}.scenarios()...)
	runAll(t, cases)
}

func TestDetachLicense(t *testing.T) {
	detach := func(id string) account.DetachLicense {
		return account.DetachLicense{AccountID: acmeID, LicenseID: id, By: as(support), At: at}
	}
	detached := account.LicenseDetached{AccountID: acmeID, LicenseID: lic1}
	cases := []scenario{
		{Name: "DetachLicense/happy path: a license no longer answers under the account", Given: licensed(), When: detach(lic1), Then: events(detached)},
		{Name: "DetachLicense/not attached: a license the account does not have is refused", Given: history(), When: detach(lic1),
			Then: rule("account.license_not_attached")},
		{Name: "DetachLicense/not attached: a license detached before is refused", Given: licensed(detached), When: detach(lic1),
			Then: rule("account.license_not_attached")},
		{Name: "DetachLicense/license ID form", Given: licensed(), When: detach("LIC-"), Then: invalid("license_id")},
	}
	cases = append(cases, systemCase{name: "DetachLicense", given: licensed(),
		mk:   func(by domain.Actor) account.Command { c := detach(lic1); c.By = by; return c },
		want: events(detached)}.scenarios()...)
	runAll(t, cases)
}

func TestAttachContract(t *testing.T) {
	attach := func(number, program string) account.AttachContract {
		return account.AttachContract{AccountID: acmeID, Number: number, Program: program, By: as(support), At: at}
	}
	contract := func(number, program string) account.ContractAttached {
		return account.ContractAttached{AccountID: acmeID, Number: number, Program: program}
	}
	cases := []scenario{
		{Name: "AttachContract/happy path: an enterprise agreement (ELA)", Given: history(), When: attach("ELA-000123", account.ProgramEnterprise),
			Then: events(contract("ELA-000123", account.ProgramEnterprise))},
		{Name: "AttachContract/an easy agreement", Given: history(), When: attach("EASY-000007", account.ProgramEasy),
			Then: events(contract("EASY-000007", account.ProgramEasy))},
		{Name: "AttachContract/agreements of both programs side by side", Given: history(contract("ELA-000123", account.ProgramEnterprise)),
			When: attach("EASY-000007", account.ProgramEasy), Then: events(contract("EASY-000007", account.ProgramEasy))},
		{Name: "AttachContract/already attached: a contract the account has is refused", Given: history(contract("ELA-000123", account.ProgramEnterprise)),
			When: attach("ELA-000123", account.ProgramEnterprise), Then: rule("account.contract_already_attached")},
		{Name: "AttachContract/program: enterprise or easy", Given: history(), When: attach("ELA-000123", "ela"), Then: invalid("program")},
		{Name: "AttachContract/program: required", Given: history(), When: attach("ELA-000123", ""), Then: invalid("program")},
		{Name: "AttachContract/number form: an enterprise agreement's number is ELA-", Given: history(), When: attach("EASY-000007", account.ProgramEnterprise),
			Then: invalid("number")},
		{Name: "AttachContract/number form: an easy agreement's number is EASY-", Given: history(), When: attach("ELA-000123", account.ProgramEasy),
			Then: invalid("number")},
		{Name: "AttachContract/number form: six digits", Given: history(), When: attach("ELA-123", account.ProgramEnterprise), Then: invalid("number")},
	}
	cases = append(cases, systemCase{name: "AttachContract", given: history(),
		mk: func(by domain.Actor) account.Command {
			c := attach("ELA-000123", account.ProgramEnterprise)
			c.By = by
			return c
		},
		want: events(contract("ELA-000123", account.ProgramEnterprise))}.scenarios()...)
	runAll(t, cases)
}

func orderAttached(number, pid, did string) account.OrderAttached {
	return account.OrderAttached{AccountID: acmeID, OrderNumber: number, PartnerID: pid, DistributorID: did}
}

func TestAttachOrder(t *testing.T) {
	attach := func(number, pid, did string) account.AttachOrder {
		return account.AttachOrder{AccountID: acmeID, OrderNumber: number, PartnerID: pid, DistributorID: did, By: as(partner), At: at}
	}
	cases := []scenario{
		{Name: "AttachOrder/happy path: an order through a distributor, with both", Given: history(), When: attach("ORD-0000042", partnerID, distributorID),
			Then: events(orderAttached("ORD-0000042", partnerID, distributorID))},
		{Name: "AttachOrder/an order without a distributor", Given: history(), When: attach("ORD-0000042", partnerID, ""),
			Then: events(orderAttached("ORD-0000042", partnerID, ""))},
		{Name: "AttachOrder/already attached: an order the account has is refused", Given: history(orderAttached("ORD-0000042", partnerID, "")),
			When: attach("ORD-0000042", partnerID, ""), Then: rule("account.order_already_attached")},
		{Name: "AttachOrder/order number form", Given: history(), When: attach("ORD-42", partnerID, ""), Then: invalid("order_number")},
		{Name: "AttachOrder/partner ID: required", Given: history(), When: attach("ORD-0000042", "", distributorID), Then: invalid("partner_id")},
		{Name: "AttachOrder/distributor ID form, when there is one", Given: history(), When: attach("ORD-0000042", partnerID, "DIST"), Then: invalid("distributor_id")},
		{Name: "AttachOrder/validation: every problem is reported at once", Given: history(), When: attach("", "", "x"),
			Then: invalid("order_number", "partner_id", "distributor_id")},
	}
	cases = append(cases, systemCase{name: "AttachOrder", given: history(),
		mk:   func(by domain.Actor) account.Command { c := attach("ORD-0000042", partnerID, ""); c.By = by; return c },
		want: events(orderAttached("ORD-0000042", partnerID, ""))}.scenarios()...)
	runAll(t, cases)
}
