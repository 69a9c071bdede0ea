package contracts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/contract"
	"github.com/channeldesk/channeldesk/projections/contracts"
)

// The world of the visibility tests: customers, their agreements and the
// partners related to them in every way there is.
const (
	acme     = "710001HQ" // Acme Robotics GmbH (DE): ELA-000001, and ELA-000005 from Mergeco
	beta     = "710002HQ" // Beta Systems Ltd (FR): ELA-000002, EASY-000002 (managed)
	gamma    = "710003HQ" // Gamma Corp (JP): ELA-000003
	umbrella = "710004HQ" // Umbrella Inc (US, AMER): ELA-000004
	mergeco  = "710005HQ" // Mergeco AG (DE), merged into acme
	threeM   = "710006HQ" // 3M Deutschland GmbH: under '#'
	omega    = "710007HQ" // Ωmega Ltd: under '#'

	pOrder   = "800001HQ" // ordered for acme and umbrella
	pDist    = "800002HQ" // distributed acme's order
	pManage  = "800003HQ" // manages EASY-000002 of beta
	pView    = "800004HQ" // view rights on acme
	pAdvisor = "800005HQ" // solution advisor of acme
	pRenew   = "800006HQ" // renewal partner of gamma
	pMerged  = "800007HQ" // ordered for mergeco
	pNone    = "899999HQ" // related to no one
	pRevoked = "800008HQ" // manage rights on beta's ELA-000002, revoked
)

func (e *env) world() {
	e.T.Helper()
	e.register(acme, "Acme Robotics GmbH", "DE", "Bayern", "München")
	e.register(beta, "Beta Systems Ltd", "FR", "Île-de-France", "Paris")
	e.register(gamma, "Gamma Corp", "JP", "", "Tokyo")
	e.register(umbrella, "Umbrella Inc", "US", "CA", "San Francisco")
	e.register(mergeco, "Mergeco AG", "DE", "", "Berlin")
	e.register(threeM, "3M Deutschland GmbH", "DE", "", "Neuss")
	e.register(omega, "Ωmega Ltd", "GR", "", "Athens")
	for n, a := range map[string]string{"ELA-000001": acme, "ELA-000002": beta, "EASY-000002": beta,
		"ELA-000003": gamma, "ELA-000004": umbrella, "ELA-000005": mergeco} {
		e.agreement(n, a)
	}
	e.on("account-"+acme,
		account.OrderAttached{AccountID: acme, OrderNumber: "ORD-0000001", PartnerID: pOrder, DistributorID: pDist},
		account.ViewRightsGranted{AccountID: acme, PartnerID: pView, Scope: account.ScopeAll},
		account.SolutionAdvisorAssigned{AccountID: acme, PartnerID: pAdvisor, ContactID: "C-000001"})
	e.on("account-"+umbrella, account.OrderAttached{AccountID: umbrella, OrderNumber: "ORD-0000002", PartnerID: pOrder})
	e.on("account-"+gamma, account.RenewalPartnerDesignated{AccountID: gamma, PartnerID: pRenew})
	e.on("account-"+mergeco, account.OrderAttached{AccountID: mergeco, OrderNumber: "ORD-0000003", PartnerID: pMerged})
	e.on("contract-EASY-000002", contract.ManageRightsGranted{PartnerID: pManage})
	e.on("contract-ELA-000002", contract.ManageRightsGranted{PartnerID: pRevoked}, contract.ManageRightsRevoked{PartnerID: pRevoked})
	e.mergeWith(mergeco, acme, []account.OrderLink{{OrderNumber: "ORD-0000003", PartnerID: pMerged}}, "ELA-000005")
	e.build()
}

// TestContractVisibility: who sees which customer's contracts, by company
// ID (404 when not) and by company name (not listed when not), both sides
// of every rule: staff with a role see all, staff without none; a customer
// contact its own (its merged account's ID leads to it); a partner those
// of the customers it ordered for, distributed to, renews or manages an
// agreement of (every agreement of that customer), never through view
// rights or advice alone, nor through revoked manage rights.
func TestContractVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.world()
	acmes := []string{"ELA-000001", "ELA-000005"}
	betas := []string{"EASY-000002", "ELA-000002"}
	for _, c := range []struct {
		who     string
		as      domain.Principal
		id      string
		want    []string // nil: not found
		byName  string   // a name search for the same company
		company string
	}{
		{"support staff", staff, acme, acmes, "acme robotics", acme},
		{"an auditor", auditor, beta, betas, "beta", beta},
		{"staff, by the merged account's ID", staff, mergeco, acmes, "", ""},
		{"staff without a role", noRoles, acme, nil, "acme", acme},
		{"no principal", stranger, acme, nil, "acme", acme},
		{"the customer itself", customerOf(acme), acme, acmes, "acme", acme},
		{"the customer, by its merged account's ID", customerOf(acme), mergeco, acmes, "", ""},
		{"a contact of the merged account", customerOf(mergeco), acme, acmes, "acme", acme},
		{"another customer", customerOf(beta), acme, nil, "acme", acme},
		{"the ordering partner", partner(pOrder), acme, acmes, "acme", acme},
		{"the ordering partner, of another customer", partner(pOrder), beta, nil, "beta", beta},
		{"the distributor", partner(pDist), acme, acmes, "ACME", acme},
		{"the managing partner, every agreement of the customer", partner(pManage), beta, betas, "Beta Systems", beta},
		{"the managing partner, of another customer", partner(pManage), acme, nil, "acme", acme},
		{"a partner whose manage rights were revoked", partner(pRevoked), beta, nil, "beta", beta},
		{"the renewal partner", partner(pRenew), gamma, []string{"ELA-000003"}, "gamma", gamma},
		{"a partner with view rights only", partner(pView), acme, nil, "acme", acme},
		{"the solution advisor", partner(pAdvisor), acme, nil, "acme", acme},
		{"the merged account's ordering partner, now the survivor's", partner(pMerged), mergeco, acmes, "acme", acme},
		{"an unrelated partner", partner(pNone), acme, nil, "acme", acme},
	} {
		got, next, err := contracts.Search(e.Ctx, e.Pool, c.as, contracts.Filter{CompanyID: c.id})
		switch {
		case c.want == nil:
			if !errors.Is(err, contracts.ErrNotFound) || got != nil {
				t.Errorf("%s: company %s answers %v %v, want not found", c.who, c.id, numbers(got), err)
			}
		case err != nil || next != "" || !slices.Equal(numbers(got), c.want):
			t.Errorf("%s: company %s answers %v %q %v, want %v", c.who, c.id, numbers(got), next, err, c.want)
		default:
			for _, k := range got {
				if k.AccountID != c.company && !(c.id == mergeco && k.AccountID == acme) {
					t.Errorf("%s: %s answers under %s", c.who, k.ContractNumber, k.AccountID)
				}
			}
		}
		if c.byName == "" {
			continue
		}
		found := e.searchAll(c.as, contracts.Filter{Company: c.byName})
		var mine []string
		for _, k := range found {
			if k.AccountID == c.company {
				mine = append(mine, k.ContractNumber)
			}
		}
		if !slices.Equal(mine, c.want) {
			t.Errorf("%s: a search for %q finds %v of %s, want %v", c.who, c.byName, mine, c.company, c.want)
		}
		if c.want == nil && len(found) > 0 {
			t.Errorf("%s: a search for %q finds %v", c.who, c.byName, numbers(found))
		}
	}
	// A merged company is not found by its name: its agreements answer
	// under the survivor.
	if got := e.searchAll(staff, contracts.Filter{Company: "mergeco"}); len(got) != 0 {
		t.Fatalf("mergeco found: %+v", got)
	}
	// Unknown IDs and IDs of any form are simply not found.
	for _, id := range []string{"999999ZZ", "x' OR '1'='1", strings.Repeat("9", 600)} {
		if _, _, err := contracts.Search(e.Ctx, e.Pool, staff, contracts.Filter{CompanyID: id}); !errors.Is(err, contracts.ErrNotFound) {
			t.Errorf("company %q: %v", id, err)
		}
	}
}

// TestAssociatedCustomersVisibility: the first-letter list holds the
// caller's customers only: all for staff with a role, none for staff
// without; a customer's own; a partner's related ones through any
// relationship (view rights and advice too), each once.
func TestAssociatedCustomersVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.world()
	for _, c := range []struct {
		who    string
		as     domain.Principal
		letter string
		want   []string
	}{
		{"staff", staff, "a", []string{acme}},
		{"an auditor", auditor, "A", []string{acme}},
		{"staff, names starting with anything else", staff, "#", []string{threeM, omega}},
		{"staff, a merged company is not listed", staff, "M", nil},
		{"staff without a role", noRoles, "A", nil},
		{"no principal", stranger, "A", nil},
		{"the customer itself", customerOf(beta), "B", []string{beta}},
		{"the customer, another letter", customerOf(beta), "A", nil},
		{"a contact of the merged account", customerOf(mergeco), "A", []string{acme}},
		{"the ordering and distributing partner", partner(pOrder), "A", []string{acme}},
		{"the ordering partner, an AMER customer", partner(pOrder), "u", []string{umbrella}},
		{"a partner with view rights", partner(pView), "A", []string{acme}},
		{"the solution advisor", partner(pAdvisor), "A", []string{acme}},
		{"the managing partner", partner(pManage), "B", []string{beta}},
		{"the managing partner, another letter", partner(pManage), "A", nil},
		{"a partner whose manage rights were revoked", partner(pRevoked), "B", nil},
		{"an unrelated partner", partner(pNone), "A", nil},
	} {
		got, next, err := contracts.Associated(e.Ctx, e.Pool, c.as, contracts.LetterFilter{Letter: c.letter})
		var ids []string
		for _, a := range got {
			ids = append(ids, a.AccountID)
		}
		if err != nil || next != "" || !slices.Equal(ids, c.want) {
			t.Errorf("%s, letter %s: %v %q %v, want %v", c.who, c.letter, ids, next, err, c.want)
		}
	}
	for _, l := range []string{"", "AB", "1", "é", "%"} {
		if _, _, err := contracts.Associated(e.Ctx, e.Pool, staff, contracts.LetterFilter{Letter: l}); !errors.Is(err, contracts.ErrBadLetter) {
			t.Errorf("letter %q: %v", l, err)
		}
	}
}

// TestVATVisibility: VAT numbers of EMEA and APAC customers only, to
// those who may see the customer (any relationship for a partner); an
// AMER customer's is never given: a search by name does not list it, a
// lookup by ID says the region is excluded to a caller who may see the
// customer and "not found" to any other.
func TestVATVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.world()
	type want struct {
		vat    string // "" with region false: not found
		region bool   // a *RegionError
	}
	for _, c := range []struct {
		who string
		as  domain.Principal
		id  string
		want
	}{
		{"staff", staff, acme, want{vat: "DEVAT710001"}},
		{"staff, APAC", staff, gamma, want{vat: "JPVAT710003"}},
		{"staff, by the merged account's ID", staff, mergeco, want{vat: "DEVAT710001"}},
		{"staff, an AMER customer", staff, umbrella, want{region: true}},
		{"an auditor", auditor, beta, want{vat: "FRVAT710002"}},
		{"staff without a role", noRoles, acme, want{}},
		{"no principal", stranger, acme, want{}},
		{"the customer itself", customerOf(beta), beta, want{vat: "FRVAT710002"}},
		{"the AMER customer itself", customerOf(umbrella), umbrella, want{region: true}},
		{"another customer", customerOf(beta), acme, want{}},
		{"another customer, AMER", customerOf(beta), umbrella, want{}},
		{"a partner with view rights", partner(pView), acme, want{vat: "DEVAT710001"}},
		{"the solution advisor", partner(pAdvisor), acme, want{vat: "DEVAT710001"}},
		{"the ordering partner, an AMER customer", partner(pOrder), umbrella, want{region: true}},
		{"a partner, a customer it is not related to", partner(pView), beta, want{}},
		{"an unrelated partner", partner(pNone), acme, want{}},
		{"an unrelated partner, AMER", partner(pNone), umbrella, want{}},
	} {
		got, _, err := contracts.VAT(e.Ctx, e.Pool, c.as, contracts.VATFilter{CompanyID: c.id})
		var re *contracts.RegionError
		switch {
		case c.region:
			if !errors.As(err, &re) || got != nil {
				t.Errorf("%s: %s answers %+v %v, want the region excluded", c.who, c.id, got, err)
			}
		case c.vat == "":
			if !errors.Is(err, contracts.ErrNotFound) || got != nil {
				t.Errorf("%s: %s answers %+v %v, want not found", c.who, c.id, got, err)
			}
		default:
			if err != nil || len(got) != 1 || got[0].VATNumber != c.vat {
				t.Errorf("%s: %s answers %+v %v, want %s", c.who, c.id, got, err, c.vat)
			}
		}
	}
	for _, c := range []struct {
		who, company string
		as           domain.Principal
		want         []string
	}{
		{"staff", "acme", staff, []string{"DEVAT710001"}},
		{"staff, an AMER customer", "umbrella", staff, nil},
		{"the ordering partner, an AMER customer", "umbrella", partner(pOrder), nil},
		{"a partner with view rights", "acme robotics gmbh", partner(pView), []string{"DEVAT710001"}},
		{"an unrelated partner", "acme", partner(pNone), nil},
		{"another customer", "acme", customerOf(beta), nil},
		{"the customer itself", "beta", customerOf(beta), []string{"FRVAT710002"}},
		{"staff without a role", "acme", noRoles, nil},
	} {
		got, _, err := contracts.VAT(e.Ctx, e.Pool, c.as, contracts.VATFilter{Company: c.company})
		var vats []string
		for _, v := range got {
			vats = append(vats, v.VATNumber)
		}
		if err != nil || !slices.Equal(vats, c.want) {
			t.Errorf("%s: %q finds %v %v, want %v", c.who, c.company, vats, err, c.want)
		}
	}
}
