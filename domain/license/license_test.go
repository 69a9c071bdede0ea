package license_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/license"
)

type scenario = domaintest.Scenario[license.State, license.Command]

var aggregate = domaintest.Aggregate[license.State, license.Command]{Evolve: license.Evolve, Decide: license.Decide}

var (
	events  = domaintest.Events
	rule    = domaintest.Rule
	invalid = domaintest.Invalid
	fails   = domaintest.Fails
)

const (
	licID      = "LIC-0000001"
	partA      = "LIC-0000002"
	partB      = "LIC-0000003"
	partC      = "LIC-0000004"
	acmeID     = "123456HQ"
	acmeDomain = "acme.example"
	otherID    = "654321AB"
	targetID   = "222222TG"
	renewerID  = "777777PA"
	rivalID    = "888888PB"
	orderNo    = "ORD-0000042"
	maintEnd   = "2026-03-31"
	mac        = "0019b9f1c2d3"
	host       = "lic01.acme.example"
)

var (
	at          = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	admin       = staff("alice", domain.RoleAdmin)
	support     = staff("sam", domain.RoleSupport)
	auditor     = staff("audrey", domain.RoleAuditor)
	compliance  = staff("colin", domain.RoleCompliance)
	integration = staff("svc-erp", domain.RoleIntegration)
	noRoles     = staff("nobody")
	system      = staff("system", domain.RoleIntegration)

	ann        = customer(acmeID, "C-000001", domain.AccessUnrestricted) // unrestricted contact of the owner
	rita       = customer(acmeID, "C-000003", domain.AccessRestricted)   // restricted contact of the owner
	stranger   = customer(otherID, "C-000009", domain.AccessUnrestricted)
	newOwner   = customer(targetID, "C-000007", domain.AccessUnrestricted)
	unresolved = domain.Actor{Principal: domain.Principal{ID: "customer:" + acmeID + "/C-000001", Kind: domain.KindCustomer, AccountID: acmeID, ContactID: "C-000001"}}
	renewer    = partner(renewerID, domain.PartnerActive, domain.AccessUnrestricted, domain.ContactOrgAdmin)
	rival      = partner(rivalID, domain.PartnerActive, domain.AccessUnrestricted, domain.ContactOrgAdmin)
)

func staff(id string, roles ...domain.Role) domain.Actor {
	return domain.Staff(domain.Principal{ID: "staff:" + id, Kind: domain.KindStaff, Roles: roles})
}

// customer is a known org admin of account accountID with access.
func customer(accountID, id, access string) domain.Actor {
	return domain.Actor{
		Principal:    domain.Principal{ID: "customer:" + accountID + "/" + id, Kind: domain.KindCustomer, AccountID: accountID, ContactID: id},
		ContactKnown: true, ContactAccess: access, ContactRoles: []string{domain.ContactOrgAdmin},
	}
}

// partner is a known contact of partner id.
func partner(id, status, access string, roles ...string) domain.Actor {
	return domain.Actor{
		Principal:    domain.Principal{ID: "partner:" + id + "/C-000100", Kind: domain.KindPartner, PartnerID: id, ContactID: "C-000100"},
		ContactKnown: true, ContactAccess: access, ContactRoles: roles, PartnerStatus: status,
	}
}

// issuedWith is ACME's license of quantity users.
func issuedWith(quantity int) license.Issued {
	return license.Issued{
		LicenseID: licID, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: quantity,
		OwnerAccountID: acmeID, SourceOrder: orderNo, MaintenanceEnd: maintEnd,
	}
}

// lic is the history of ACME's freshly issued license of 500 users.
func lic() []domain.Event { return []domain.Event{issuedWith(500)} }

// allocated is lic() with 100 users on the appliance mac and 150 on host.
func allocated() []domain.Event {
	return append(lic(),
		license.Allocated{HostIDType: license.HostMAC, HostID: mac, Quantity: 100},
		license.Allocated{HostIDType: license.HostName, HostID: host, Quantity: 150})
}

func rescinded(s *license.State) {
	s.Status, s.ReplacedBy = license.StatusRescinded, []string{partA, partB}
}

func TestIssueLicense(t *testing.T) {
	issuing := func(edit func(*license.IssueLicense)) license.IssueLicense {
		c := license.IssueLicense{
			LicenseID: licID, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: 500,
			OwnerAccountID: acmeID, SourceOrder: orderNo, MaintenanceEnd: maintEnd,
			Owner: domain.OrgRef{ID: acmeID, Exists: true}, By: system, At: at,
		}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	by := func(a domain.Actor) func(*license.IssueLicense) { return func(c *license.IssueLicense) { c.By = a } }
	bad := func(name string, edit func(*license.IssueLicense), fields ...string) scenario {
		return scenario{Name: "IssueLicense/" + name, When: issuing(edit), Then: invalid(fields...)}
	}
	refused := func(name string, a domain.Actor) scenario {
		return scenario{Name: "IssueLicense/who: " + name, When: issuing(by(a)), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{Name: "IssueLicense/happy path: order fulfilment (the system) issues a license", When: issuing(nil), Then: events(issuedWith(500))},
		{Name: "IssueLicense/who: admin staff may issue", When: issuing(by(admin)), Then: events(issuedWith(500))},
		{Name: "IssueLicense/who: support staff may issue", When: issuing(by(support)), Then: events(issuedWith(500))},
		{
			Name: "IssueLicense/product and edition are recorded without surrounding white space",
			When: issuing(func(c *license.IssueLicense) { c.Product, c.Edition = " Citrix Virtual Apps\t", "  Premium " }),
			Then: events(issuedWith(500)),
		},
		{
			Name: "IssueLicense/a license number past the padding is accepted",
			When: issuing(func(c *license.IssueLicense) { c.LicenseID = "LIC-10000000" }),
			Then: events(func() license.Issued { e := issuedWith(500); e.LicenseID = "LIC-10000000"; return e }()),
		},
		refused("an integration other than the system may not issue", integration),
		refused("an auditor may not issue", auditor),
		refused("compliance may not issue", compliance),
		refused("staff without roles may not issue", noRoles),
		refused("the owner's unrestricted contact may not issue", ann),
		refused("a partner may not issue", renewer),
		refused("the zero actor may not issue", domain.Actor{}),
		refused("a customer principal named like the system may not issue", domain.Actor{Principal: domain.Principal{ID: license.SystemPrincipalID, Kind: domain.KindCustomer, AccountID: acmeID}}),

		bad("license ID: required", func(c *license.IssueLicense) { c.LicenseID = "" }, "license_id"),
		bad("license ID: seven digits", func(c *license.IssueLicense) { c.LicenseID = "LIC-000001" }, "license_id"),
		bad("license ID: the LIC- prefix", func(c *license.IssueLicense) { c.LicenseID = "ELA-0000001" }, "license_id"),
		bad("product: required", func(c *license.IssueLicense) { c.Product = " " }, "product"),
		bad("product: at most 100 characters", func(c *license.IssueLicense) { c.Product = strings.Repeat("p", license.MaxTextLen+1) }, "product"),
		bad("product: no control characters", func(c *license.IssueLicense) { c.Product = "Citrix\x00" }, "product"),
		bad("edition: required", func(c *license.IssueLicense) { c.Edition = "" }, "edition"),
		bad("edition: letters or digits", func(c *license.IssueLicense) { c.Edition = "--" }, "edition"),
		bad("quantity: more than 0", func(c *license.IssueLicense) { c.Quantity = 0 }, "quantity"),
		bad("quantity: not negative", func(c *license.IssueLicense) { c.Quantity = -5 }, "quantity"),
		bad("quantity: at most a million", func(c *license.IssueLicense) { c.Quantity = license.MaxQuantity + 1 }, "quantity"),
		bad("owner: an account ID", func(c *license.IssueLicense) { c.OwnerAccountID = "ACME" }, "owner_account_id"),
		bad("source order: an order number", func(c *license.IssueLicense) { c.SourceOrder = "PO-4711" }, "source_order"),
		bad("maintenance end: required", func(c *license.IssueLicense) { c.MaintenanceEnd = "" }, "maintenance_end"),
		bad("maintenance end: a real date", func(c *license.IssueLicense) { c.MaintenanceEnd = "2026-02-29" }, "maintenance_end"),
		{
			Name: "IssueLicense/validation: every problem is reported at once",
			When: license.IssueLicense{By: support, At: at},
			Then: invalid("license_id", "product", "edition", "quantity", "owner_account_id", "source_order", "maintenance_end"),
		},
		{Name: "IssueLicense/duplicate: an issued license ID is refused", Given: lic(), When: issuing(nil), Then: fails(domain.ErrDuplicate)},
		{
			Name: "IssueLicense/owner: the account must exist",
			When: issuing(func(c *license.IssueLicense) { c.Owner.Exists = false }), Then: rule("license.owner_unknown"),
		},
		{
			Name: "IssueLicense/owner: a fact about another account does not count",
			When: issuing(func(c *license.IssueLicense) { c.Owner.ID = otherID }), Then: rule("license.owner_unknown"),
		},
		{
			Name: "IssueLicense/owner: a merged account accepts no further licenses",
			When: issuing(func(c *license.IssueLicense) { c.Owner.MergedInto = targetID }), Then: rule("license.owner_merged"),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestAllocateLicense(t *testing.T) {
	alloc := func(typ, id string, q int, by domain.Actor) license.AllocateLicense {
		return license.AllocateLicense{LicenseID: licID, HostIDType: typ, HostID: id, Quantity: q, By: by, At: at}
	}
	macAlloc := func(q int) license.Allocated {
		return license.Allocated{HostIDType: license.HostMAC, HostID: mac, Quantity: q}
	}
	badHost := func(name, typ, id string, fields ...string) scenario {
		return scenario{Name: "AllocateLicense/host ID: " + name, Given: lic(), When: alloc(typ, id, 1, ann), Then: invalid(fields...)}
	}
	cases := []scenario{
		{Name: "AllocateLicense/happy path: the owner's unrestricted contact allocates to a license server", Given: lic(), When: alloc(license.HostMAC, mac, 100, ann), Then: events(macAlloc(100))},
		{Name: "AllocateLicense/who: support staff may allocate for the customer", Given: lic(), When: alloc(license.HostName, host, 5, support), Then: events(license.Allocated{HostIDType: license.HostName, HostID: host, Quantity: 5})},
		{Name: "AllocateLicense/who: admin staff may allocate", Given: lic(), When: alloc(license.HostIP, "10.0.0.5", 5, admin), Then: events(license.Allocated{HostIDType: license.HostIP, HostID: "10.0.0.5", Quantity: 5})},
		{Name: "AllocateLicense/host ID: an IPv6 address", Given: lic(), When: alloc(license.HostIP, "2001:db8::5", 5, ann), Then: events(license.Allocated{HostIDType: license.HostIP, HostID: "2001:db8::5", Quantity: 5})},
		{Name: "AllocateLicense/host ID: a host name keeps its case", Given: lic(), When: alloc(license.HostName, "LIC01", 5, ann), Then: events(license.Allocated{HostIDType: license.HostName, HostID: "LIC01", Quantity: 5})},
		{Name: "AllocateLicense/allocated ≤ quantity: allocating every user is accepted", Given: lic(), When: alloc(license.HostMAC, mac, 500, ann), Then: events(macAlloc(500))},
		{Name: "AllocateLicense/allocated ≤ quantity: the rest after other allocations is accepted", Given: allocated(), When: alloc(license.HostIP, "10.0.0.5", 250, ann), Then: events(license.Allocated{HostIDType: license.HostIP, HostID: "10.0.0.5", Quantity: 250})},
		{Name: "AllocateLicense/allocating more to the same server adds to it", Given: allocated(), When: alloc(license.HostMAC, mac, 50, ann), Then: events(macAlloc(50))},
		{Name: "AllocateLicense/allocated ≤ quantity: one user more than the license has is refused", Given: lic(), When: alloc(license.HostMAC, mac, 501, ann), Then: rule("license.over_allocated")},
		{Name: "AllocateLicense/allocated ≤ quantity: counting every server's allocation", Given: allocated(), When: alloc(license.HostIP, "10.0.0.5", 251, ann), Then: rule("license.over_allocated")},
		{Name: "AllocateLicense/allocated ≤ quantity: returned users may be allocated again", Given: append(allocated(), license.AllocationReturned{HostID: host}), When: alloc(license.HostIP, "10.0.0.5", 400, ann), Then: events(license.Allocated{HostIDType: license.HostIP, HostID: "10.0.0.5", Quantity: 400})},
		{Name: "AllocateLicense/one license server has one host ID type", Given: allocated(), When: alloc(license.HostName, mac, 5, ann), Then: rule("license.host_id_type_conflict")},
		{Name: "AllocateLicense/active licenses only: a rescinded license is not allocated", Given: lic(), Adjust: rescinded, When: alloc(license.HostMAC, mac, 5, ann), Then: rule("license.rescinded")},

		// Who: an unrestricted contact of the owning org only, or staff.
		{Name: "AllocateLicense/who: a restricted contact of the owner may not use licensing tools", Given: lic(), When: alloc(license.HostMAC, mac, 5, rita), Then: fails(domain.ErrForbidden)},
		{Name: "AllocateLicense/who: a contact the owner does not know may not", Given: lic(), When: alloc(license.HostMAC, mac, 5, unresolved), Then: fails(domain.ErrForbidden)},
		{Name: "AllocateLicense/who: a contact of another org is told the license does not exist", Given: lic(), When: alloc(license.HostMAC, mac, 5, stranger), Then: fails(domain.ErrNotFound)},
		{Name: "AllocateLicense/who: a partner acts only on its own org's licenses, and is told this one does not exist", Given: lic(), When: alloc(license.HostMAC, mac, 5, renewer), Then: fails(domain.ErrNotFound)},
		{Name: "AllocateLicense/who: an auditor may not", Given: lic(), When: alloc(license.HostMAC, mac, 5, auditor), Then: fails(domain.ErrForbidden)},
		{Name: "AllocateLicense/who: the system issues licenses but does not allocate them", Given: lic(), When: alloc(license.HostMAC, mac, 5, system), Then: fails(domain.ErrForbidden)},
		{Name: "AllocateLicense/who: the zero actor may not", Given: lic(), When: alloc(license.HostMAC, mac, 5, domain.Actor{}), Then: fails(domain.ErrForbidden)},
		{
			Name: "AllocateLicense/who: after a transfer the old owner's contacts are strangers", Given: append(lic(), license.Transferred{FromAccountID: acmeID, ToAccountID: targetID, ApprovalCase: transferCase}),
			When: alloc(license.HostMAC, mac, 5, ann), Then: fails(domain.ErrNotFound),
		},
		{
			Name: "AllocateLicense/who: after a transfer the new owner's contacts may allocate", Given: append(lic(), license.Transferred{FromAccountID: acmeID, ToAccountID: targetID, ApprovalCase: transferCase}),
			When: alloc(license.HostMAC, mac, 5, newOwner), Then: events(macAlloc(5)),
		},
		{
			Name: "AllocateLicense/who: after a merge the target's contacts may allocate", Given: append(lic(), license.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: license.ReasonMerge}),
			When: alloc(license.HostMAC, mac, 5, newOwner), Then: events(macAlloc(5)),
		},
		{Name: "AllocateLicense/an unknown license is not found", When: alloc(license.HostMAC, mac, 5, support), Then: fails(domain.ErrNotFound)},
		{
			Name: "AllocateLicense/another license's history does not make this one exist", Given: lic(),
			When: license.AllocateLicense{LicenseID: partA, HostIDType: license.HostMAC, HostID: mac, Quantity: 5, By: support, At: at}, Then: fails(domain.ErrNotFound),
		},

		// Host ID type and host ID: a closed list, each in its canonical form.
		badHost("type required", "", mac, "host_id_type"),
		badHost("type from the list (hostname, mac, ip)", "ether", mac, "host_id_type"),
		badHost("type is exact", "MAC", mac, "host_id_type"),
		badHost("host ID required", license.HostName, "", "host_id"),
		badHost("host ID required whatever the type", "", "", "host_id_type", "host_id"),
		badHost("at most 255 characters", license.HostName, strings.Repeat("a.", 127)+"ab", "host_id"),
		badHost("printable, no spaces", license.HostName, "lic 01", "host_id"),
		badHost("printable, no control characters", license.HostName, "lic01\n", "host_id"),
		badHost("ASCII only", license.HostName, "lïc01", "host_id"),
		badHost("host name: no underscore", license.HostName, "lic_01", "host_id"),
		badHost("host name: no empty label", license.HostName, "lic01..acme", "host_id"),
		badHost("host name: no label starting with a hyphen", license.HostName, "-lic01", "host_id"),
		badHost("MAC: 12 hex digits", license.HostMAC, "0019b9f1c2", "host_id"),
		badHost("MAC: without separators", license.HostMAC, "00:19:b9:f1:c2:d3", "host_id"),
		badHost("MAC: lower case", license.HostMAC, "0019B9F1C2D3", "host_id"),
		badHost("IP: an address", license.HostIP, "lic01", "host_id"),
		badHost("IP: canonical form (no leading zeros)", license.HostIP, "10.0.0.05", "host_id"),
		badHost("IP: canonical form (IPv6 in lower case, compressed)", license.HostIP, "2001:DB8:0:0:0:0:0:5", "host_id"),
		badHost("IP: no zone", license.HostIP, "fe80::1%eth0", "host_id"),
		{Name: "AllocateLicense/quantity: more than 0", Given: lic(), When: alloc(license.HostMAC, mac, 0, ann), Then: invalid("quantity")},
		{Name: "AllocateLicense/quantity: at most a million", Given: lic(), When: alloc(license.HostMAC, mac, license.MaxQuantity+1, ann), Then: invalid("quantity")},
		{
			Name:  "AllocateLicense/who: checked before validation for staff, so the refused learn nothing",
			Given: lic(), When: alloc("", "", 0, auditor), Then: fails(domain.ErrForbidden),
		},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestReturnAllocation(t *testing.T) {
	ret := func(id string, by domain.Actor) license.ReturnAllocation {
		return license.ReturnAllocation{LicenseID: licID, HostID: id, By: by, At: at}
	}
	cases := []scenario{
		{Name: "ReturnAllocation/happy path: the owner's unrestricted contact returns a server's allocation", Given: allocated(), When: ret(mac, ann), Then: events(license.AllocationReturned{HostID: mac})},
		{Name: "ReturnAllocation/who: support staff may return", Given: allocated(), When: ret(host, support), Then: events(license.AllocationReturned{HostID: host})},
		{Name: "ReturnAllocation/an unknown host is refused", Given: allocated(), When: ret("10.0.0.5", ann), Then: rule("license.allocation_unknown")},
		{Name: "ReturnAllocation/host IDs are compared exactly", Given: allocated(), When: ret(strings.ToUpper(host), ann), Then: rule("license.allocation_unknown")},
		{Name: "ReturnAllocation/returning twice is refused", Given: append(allocated(), license.AllocationReturned{HostID: mac}), When: ret(mac, ann), Then: rule("license.allocation_unknown")},
		{Name: "ReturnAllocation/a rescinded license has nothing to return", Given: allocated(), Adjust: rescinded, When: ret(mac, ann), Then: rule("license.rescinded")},
		{Name: "ReturnAllocation/who: a restricted contact of the owner may not", Given: allocated(), When: ret(mac, rita), Then: fails(domain.ErrForbidden)},
		{Name: "ReturnAllocation/who: a contact of another org is told the license does not exist", Given: allocated(), When: ret(mac, stranger), Then: fails(domain.ErrNotFound)},
		{Name: "ReturnAllocation/who: a partner is told the license does not exist", Given: allocated(), When: ret(mac, renewer), Then: fails(domain.ErrNotFound)},
		{Name: "ReturnAllocation/who: compliance may not", Given: allocated(), When: ret(mac, compliance), Then: fails(domain.ErrForbidden)},
		{Name: "ReturnAllocation/host ID: required", Given: allocated(), When: ret("", ann), Then: invalid("host_id")},
		{Name: "ReturnAllocation/host ID: printable", Given: allocated(), When: ret("lic\x0001", ann), Then: invalid("host_id")},
		{Name: "ReturnAllocation/an unknown license is not found", When: ret(mac, ann), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestReallocateLicense(t *testing.T) {
	move := func(from, typ, to string, by domain.Actor) license.ReallocateLicense {
		return license.ReallocateLicense{LicenseID: licID, FromHostID: from, ToHostIDType: typ, ToHostID: to, By: by, At: at}
	}
	cases := []scenario{
		{
			Name: "ReallocateLicense/happy path: the owner's contact moves a server's allocation to a new host ID", Given: allocated(),
			When: move(mac, license.HostName, "lic02.acme.example", ann),
			Then: events(license.Reallocated{FromHostID: mac, ToHostIDType: license.HostName, ToHostID: "lic02.acme.example", Quantity: 100}),
		},
		{
			Name: "ReallocateLicense/who: admin staff may reallocate", Given: allocated(),
			When: move(host, license.HostIP, "10.0.0.5", admin),
			Then: events(license.Reallocated{FromHostID: host, ToHostIDType: license.HostIP, ToHostID: "10.0.0.5", Quantity: 150}),
		},
		{
			Name: "ReallocateLicense/onto a server already holding users of the license, of the same type", Given: append(allocated(), license.Allocated{HostIDType: license.HostMAC, HostID: "0019b9f1c2d4", Quantity: 10}),
			When: move(mac, license.HostMAC, "0019b9f1c2d4", ann),
			Then: events(license.Reallocated{FromHostID: mac, ToHostIDType: license.HostMAC, ToHostID: "0019b9f1c2d4", Quantity: 100}),
		},
		{Name: "ReallocateLicense/one license server has one host ID type", Given: allocated(), When: move(host, license.HostName, mac, ann), Then: rule("license.host_id_type_conflict")},
		{Name: "ReallocateLicense/from a host holding nothing is refused", Given: allocated(), When: move("0019b9f1c2d4", license.HostName, "lic02", ann), Then: rule("license.allocation_unknown")},
		{Name: "ReallocateLicense/a rescinded license is not reallocated", Given: allocated(), Adjust: rescinded, When: move(mac, license.HostName, "lic02", ann), Then: rule("license.rescinded")},
		{Name: "ReallocateLicense/to the same host ID is not a move", Given: allocated(), When: move(mac, license.HostMAC, mac, ann), Then: invalid("to_host_id")},
		{Name: "ReallocateLicense/the new host ID type from the list", Given: allocated(), When: move(mac, "dongle", "FLEXID-9-1234", ann), Then: invalid("to_host_id_type")},
		{Name: "ReallocateLicense/the new host ID in its type's form", Given: allocated(), When: move(mac, license.HostMAC, "00-19-b9-f1-c2-d4", ann), Then: invalid("to_host_id")},
		{Name: "ReallocateLicense/every problem at once", Given: allocated(), When: move("", "", "", ann), Then: invalid("from_host_id", "to_host_id_type", "to_host_id")},
		{Name: "ReallocateLicense/who: a restricted contact of the owner may not", Given: allocated(), When: move(mac, license.HostName, "lic02", rita), Then: fails(domain.ErrForbidden)},
		{Name: "ReallocateLicense/who: a contact of another org is told the license does not exist", Given: allocated(), When: move(mac, license.HostName, "lic02", stranger), Then: fails(domain.ErrNotFound)},
		{Name: "ReallocateLicense/who: a partner is told the license does not exist", Given: allocated(), When: move(mac, license.HostName, "lic02", rival), Then: fails(domain.ErrNotFound)},
		{Name: "ReallocateLicense/who: an integration may not", Given: allocated(), When: move(mac, license.HostName, "lic02", integration), Then: fails(domain.ErrForbidden)},
		{Name: "ReallocateLicense/an unknown license is not found", When: move(mac, license.HostName, "lic02", admin), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

// onStream stands for one domain.StreamEvents of Split's result, so that
// Split runs through the same Given/When/Then checks (exact events, purity,
// error matching) as Decide.
type onStream struct {
	StreamID string
	Events   []domain.Event
}

func (onStream) EventType() string  { return "test.on_stream" }
func (onStream) SchemaVersion() int { return 1 }

var splitter = domaintest.Aggregate[license.State, license.SplitLicense]{
	Evolve: license.Evolve,
	Decide: func(s license.State, c license.SplitLicense) ([]domain.Event, error) {
		out, err := license.Split(s, c)
		var evs []domain.Event
		for _, se := range out {
			evs = append(evs, onStream{StreamID: se.StreamID, Events: se.Events})
		}
		return evs, err
	},
}

type splitScenario = domaintest.Scenario[license.State, license.SplitLicense]

func TestSplitLicense(t *testing.T) {
	auth := license.EmailAuthorisation{From: "cfo@acme.example", Reference: "mail:2025-03-10/split-authorisation.eml"}
	splitting := func(by domain.Actor, edit func(*license.SplitLicense), parts ...license.SplitPart) license.SplitLicense {
		c := license.SplitLicense{LicenseID: licID, Parts: parts, EmailAuthorisation: auth, OwnerDomain: acmeDomain, By: by, At: at}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	p := func(id string, q int) license.SplitPart { return license.SplitPart{LicenseID: id, Quantity: q} }
	two := []license.SplitPart{p(partA, 200), p(partB, 300)}
	// part is the Issued of a part of ACME's license, with maintenance end.
	part := func(id string, q int, end string) onStream {
		return onStream{StreamID: "license-" + id, Events: []domain.Event{license.Issued{
			LicenseID: id, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: q,
			OwnerAccountID: acmeID, SourceOrder: orderNo, MaintenanceEnd: end, ParentLicenseID: licID,
		}}}
	}
	// original is the events on the split license's own stream.
	original := func(a license.EmailAuthorisation, approval string, parts ...license.Part) onStream {
		ids := make([]string, len(parts))
		for i, pt := range parts {
			ids[i] = pt.LicenseID
		}
		return onStream{StreamID: "license-" + licID, Events: []domain.Event{
			license.LicenseSplit{Parts: parts, RescindList: []string{licID}, EmailAuthorisation: a, ApprovalCase: approval},
			license.Rescinded{Reason: license.ReasonSplit, ReplacedBy: ids},
		}}
	}
	big := []domain.Event{issuedWith(1500)}
	withCase := func(c *license.SplitLicense) { c.ApprovalCase = "CASE-000042" }
	bad := func(name string, edit func(*license.SplitLicense), parts []license.SplitPart, fields ...string) splitScenario {
		return splitScenario{Name: "SplitLicense/" + name, Given: lic(), When: splitting(ann, edit, parts...), Then: invalid(fields...)}
	}
	ruled := func(name, r string, given []domain.Event, c license.SplitLicense) splitScenario {
		return splitScenario{Name: "SplitLicense/" + name, Given: given, When: c, Then: rule(r)}
	}
	manyParts := make([]license.SplitPart, license.MaxSplitParts+1)
	for i := range manyParts {
		manyParts[i] = p(fmt.Sprintf("LIC-%07d", 100+i), 1)
	}

	cases := []splitScenario{
		{
			Name:  "SplitLicense/happy path: the original is rescinded, the parts are issued with its maintenance, the rescind list names the original",
			Given: lic(), When: splitting(ann, nil, two...),
			Then: events(
				original(auth, "", license.Part{LicenseID: partA, Quantity: 200, MaintenanceEnd: maintEnd}, license.Part{LicenseID: partB, Quantity: 300, MaintenanceEnd: maintEnd}),
				part(partA, 200, maintEnd), part(partB, 300, maintEnd)),
		},
		{
			Name:  "SplitLicense/who: support staff may split into three parts, each part on its own stream in order",
			Given: lic(), When: splitting(support, nil, p(partC, 1), p(partA, 249), p(partB, 250)),
			Then: events(
				original(auth, "",
					license.Part{LicenseID: partC, Quantity: 1, MaintenanceEnd: maintEnd},
					license.Part{LicenseID: partA, Quantity: 249, MaintenanceEnd: maintEnd},
					license.Part{LicenseID: partB, Quantity: 250, MaintenanceEnd: maintEnd}),
				part(partC, 1, maintEnd), part(partA, 249, maintEnd), part(partB, 250, maintEnd)),
		},
		{
			Name:  "SplitLicense/maintenance is split with the licenses: the parts end when the renewed original ends",
			Given: append(lic(), license.MaintenanceRenewed{From: maintEnd, To: "2027-03-31"}), When: splitting(ann, nil, two...),
			Then: events(
				original(auth, "", license.Part{LicenseID: partA, Quantity: 200, MaintenanceEnd: "2027-03-31"}, license.Part{LicenseID: partB, Quantity: 300, MaintenanceEnd: "2027-03-31"}),
				part(partA, 200, "2027-03-31"), part(partB, 300, "2027-03-31")),
		},
		{
			Name:  "SplitLicense/over 1000 users needs a staff approval recorded on a support case: staff executing the approved case split",
			Given: big, When: splitting(support, withCase, p(partA, 1000), p(partB, 500)),
			Then: events(
				original(auth, "CASE-000042", license.Part{LicenseID: partA, Quantity: 1000, MaintenanceEnd: maintEnd}, license.Part{LicenseID: partB, Quantity: 500, MaintenanceEnd: maintEnd}),
				part(partA, 1000, maintEnd), part(partB, 500, maintEnd)),
		},
		ruled("over 1000 users needs a staff approval recorded on a support case: none named", "license.split_needs_approval",
			big, splitting(support, nil, p(partA, 1000), p(partB, 500))),
		ruled("over 1000 users needs a staff approval recorded on a support case: a customer cannot vouch for its own approval", "license.split_needs_approval",
			big, splitting(ann, withCase, p(partA, 1000), p(partB, 500))),
		{
			Name:  "SplitLicense/over 1000 users needs a staff approval: exactly 1000 users do not",
			Given: []domain.Event{issuedWith(1000)}, When: splitting(ann, nil, p(partA, 999), p(partB, 1)),
			Then: events(
				original(auth, "", license.Part{LicenseID: partA, Quantity: 999, MaintenanceEnd: maintEnd}, license.Part{LicenseID: partB, Quantity: 1, MaintenanceEnd: maintEnd}),
				part(partA, 999, maintEnd), part(partB, 1, maintEnd)),
		},
		{
			Name: "SplitLicense/a part of a split license may be split again, its parts naming it as parent",
			Given: []domain.Event{func() license.Issued {
				e := issuedWith(200)
				e.LicenseID, e.ParentLicenseID = partA, "LIC-0000000"
				return e
			}()},
			When: license.SplitLicense{LicenseID: partA, Parts: []license.SplitPart{p(partB, 100), p(partC, 100)}, EmailAuthorisation: auth, OwnerDomain: acmeDomain, By: ann, At: at},
			Then: events(
				onStream{StreamID: "license-" + partA, Events: []domain.Event{
					license.LicenseSplit{Parts: []license.Part{{LicenseID: partB, Quantity: 100, MaintenanceEnd: maintEnd}, {LicenseID: partC, Quantity: 100, MaintenanceEnd: maintEnd}}, RescindList: []string{partA}, EmailAuthorisation: auth},
					license.Rescinded{Reason: license.ReasonSplit, ReplacedBy: []string{partB, partC}},
				}},
				onStream{StreamID: "license-" + partB, Events: []domain.Event{license.Issued{LicenseID: partB, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: 100, OwnerAccountID: acmeID, SourceOrder: orderNo, MaintenanceEnd: maintEnd, ParentLicenseID: partA}}},
				onStream{StreamID: "license-" + partC, Events: []domain.Event{license.Issued{LicenseID: partC, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: 100, OwnerAccountID: acmeID, SourceOrder: orderNo, MaintenanceEnd: maintEnd, ParentLicenseID: partA}}}),
		},

		// Parts sum to the original quantity.
		ruled("parts sum to the original quantity: fewer users are refused", "license.split_sum", lic(), splitting(ann, nil, p(partA, 200), p(partB, 299))),
		ruled("parts sum to the original quantity: more users are refused", "license.split_sum", lic(), splitting(ann, nil, p(partA, 200), p(partB, 301))),

		// Email authorisation from the company's domain.
		{
			Name:  "SplitLicense/email authorisation from a subdomain of the company's domain is accepted",
			Given: lic(), When: splitting(ann, func(c *license.SplitLicense) { c.EmailAuthorisation.From = "it@uk.acme.example" }, two...),
			Then: events(
				original(license.EmailAuthorisation{From: "it@uk.acme.example", Reference: auth.Reference}, "",
					license.Part{LicenseID: partA, Quantity: 200, MaintenanceEnd: maintEnd}, license.Part{LicenseID: partB, Quantity: 300, MaintenanceEnd: maintEnd}),
				part(partA, 200, maintEnd), part(partB, 300, maintEnd)),
		},
		ruled("needs email authorisation from the company's domain: another domain is refused", "license.split_email_authorisation",
			lic(), splitting(ann, func(c *license.SplitLicense) { c.EmailAuthorisation.From = "cfo@globex.example" }, two...)),
		ruled("needs email authorisation from the company's domain: a look-alike domain is refused", "license.split_email_authorisation",
			lic(), splitting(ann, func(c *license.SplitLicense) { c.EmailAuthorisation.From = "cfo@acme.example.attacker.test" }, two...)),
		ruled("needs email authorisation from the company's domain: no known domain, no authorisation", "license.split_email_authorisation",
			lic(), splitting(support, func(c *license.SplitLicense) { c.OwnerDomain = "" }, two...)),
		ruled("needs email authorisation from the company's domain: staff need it too", "license.split_email_authorisation",
			lic(), splitting(admin, func(c *license.SplitLicense) { c.EmailAuthorisation.From = "alice@vendor.example" }, two...)),

		// Allocations are returned first.
		ruled("refused while allocations are active: return them first", "license.split_allocated", allocated(), splitting(ann, nil, two...)),
		{
			Name:  "SplitLicense/refused while allocations are active: once returned the split proceeds",
			Given: append(allocated(), license.AllocationReturned{HostID: mac}, license.AllocationReturned{HostID: host}), When: splitting(ann, nil, two...),
			Then: events(
				original(auth, "", license.Part{LicenseID: partA, Quantity: 200, MaintenanceEnd: maintEnd}, license.Part{LicenseID: partB, Quantity: 300, MaintenanceEnd: maintEnd}),
				part(partA, 200, maintEnd), part(partB, 300, maintEnd)),
		},
		{
			Name:  "SplitLicense/the original is rescinded: it is not split again",
			Given: append(lic(), license.LicenseSplit{}, license.Rescinded{Reason: license.ReasonSplit, ReplacedBy: []string{partA, partB}}),
			When:  splitting(ann, nil, p(partC, 250), p("LIC-0000005", 250)),
			Then:  rule("license.rescinded"),
		},

		// Who: the owner's unrestricted contact, or staff.
		{Name: "SplitLicense/who: a restricted contact of the owner may not", Given: lic(), When: splitting(rita, nil, two...), Then: fails(domain.ErrForbidden)},
		{Name: "SplitLicense/who: a contact of another org is told the license does not exist", Given: lic(), When: splitting(stranger, nil, two...), Then: fails(domain.ErrNotFound)},
		{Name: "SplitLicense/who: a partner is told the license does not exist", Given: lic(), When: splitting(renewer, nil, two...), Then: fails(domain.ErrNotFound)},
		{Name: "SplitLicense/who: an auditor may not", Given: lic(), When: splitting(auditor, nil, two...), Then: fails(domain.ErrForbidden)},
		{Name: "SplitLicense/who: the system may not", Given: lic(), When: splitting(system, nil, two...), Then: fails(domain.ErrForbidden)},
		{Name: "SplitLicense/an unknown license is not found", When: splitting(support, nil, two...), Then: fails(domain.ErrNotFound)},

		// The command's fields.
		bad("parts: at least two", nil, []license.SplitPart{p(partA, 500)}, "parts"),
		bad("parts: none is not a split", nil, nil, "parts"),
		bad("parts: at most 100", nil, manyParts, "parts"),
		bad("parts: each a license ID", nil, []license.SplitPart{p("LIC-2", 200), p(partB, 300)}, "parts[0].license_id"),
		bad("parts: new licenses, not the one split", nil, []license.SplitPart{p(partA, 200), p(licID, 300)}, "parts[1].license_id"),
		bad("parts: distinct IDs", nil, []license.SplitPart{p(partA, 200), p(partA, 300)}, "parts[1].license_id"),
		bad("parts: each at least one user", nil, []license.SplitPart{p(partA, 500), p(partB, 0)}, "parts[1].quantity"),
		bad("email authorisation: the sender is required", func(c *license.SplitLicense) { c.EmailAuthorisation.From = "" }, two, "email_authorisation.from"),
		bad("email authorisation: the sender is an email address", func(c *license.SplitLicense) { c.EmailAuthorisation.From = "CFO <cfo@acme.example>" }, two, "email_authorisation.from"),
		bad("email authorisation: a reference is required", func(c *license.SplitLicense) { c.EmailAuthorisation.Reference = " " }, two, "email_authorisation.reference"),
		bad("approval case: a case number", withCaseNumber("4711"), two, "approval_case"),
		bad("every problem at once", func(c *license.SplitLicense) {
			c.EmailAuthorisation = license.EmailAuthorisation{}
			c.ApprovalCase = "x"
		},
			[]license.SplitPart{p("x", -1)}, "parts", "parts[0].license_id", "parts[0].quantity", "email_authorisation.from", "email_authorisation.reference", "approval_case"),
	}
	domaintest.RunAll(t, splitter, cases)
}

func withCaseNumber(n string) func(*license.SplitLicense) {
	return func(c *license.SplitLicense) { c.ApprovalCase = n }
}

// transferCase approved the transfers of the license's scenarios.
const transferCase = "CASE-000009"

func TestTransferLicense(t *testing.T) {
	to := func(id string, by domain.Actor) license.TransferLicense {
		return license.TransferLicense{LicenseID: licID, ToAccountID: id, ApprovalCase: transferCase, To: domain.OrgRef{ID: id, Exists: true}, By: by, At: at}
	}
	edited := func(c license.TransferLicense, edit func(*license.TransferLicense)) license.TransferLicense {
		edit(&c)
		return c
	}
	cases := []scenario{
		{Name: "TransferLicense/happy path: support staff transfer a license to another account", Given: lic(), When: to(targetID, support), Then: events(license.Transferred{FromAccountID: acmeID, ToAccountID: targetID, ApprovalCase: transferCase})},
		{Name: "TransferLicense/who: admin staff may transfer", Given: lic(), When: to(targetID, admin), Then: events(license.Transferred{FromAccountID: acmeID, ToAccountID: targetID, ApprovalCase: transferCase})},
		{
			Name:  "TransferLicense/refused while allocations are active: once returned the transfer proceeds",
			Given: append(allocated(), license.AllocationReturned{HostID: mac}, license.AllocationReturned{HostID: host}),
			When:  to(targetID, support), Then: events(license.Transferred{FromAccountID: acmeID, ToAccountID: targetID, ApprovalCase: transferCase}),
		},
		{Name: "TransferLicense/refused while allocations are active", Given: allocated(), When: to(targetID, support), Then: rule("license.transfer_allocated")},
		{Name: "TransferLicense/refused while allocations are active: one server is enough", Given: append(allocated(), license.AllocationReturned{HostID: mac}), When: to(targetID, support), Then: rule("license.transfer_allocated")},
		{Name: "TransferLicense/the target account must exist", Given: lic(), When: edited(to(targetID, support), func(c *license.TransferLicense) { c.To.Exists = false }), Then: rule("license.transfer_target_unknown")},
		{Name: "TransferLicense/a fact about another account does not count", Given: lic(), When: edited(to(targetID, support), func(c *license.TransferLicense) { c.To.ID = otherID }), Then: rule("license.transfer_target_unknown")},
		{Name: "TransferLicense/a merged account accepts no further licenses", Given: lic(), When: edited(to(targetID, support), func(c *license.TransferLicense) { c.To.MergedInto = otherID }), Then: rule("license.transfer_target_merged")},
		{Name: "TransferLicense/to its own owner is not a transfer", Given: lic(), When: to(acmeID, support), Then: rule("license.transfer_same_owner")},
		{Name: "TransferLicense/a rescinded license is not transferred", Given: lic(), Adjust: rescinded, When: to(targetID, support), Then: rule("license.rescinded")},
		{Name: "TransferLicense/target account: an account ID", Given: lic(), When: to("target", support), Then: invalid("to_account_id")},
		{Name: "TransferLicense/an unknown license is not found", When: to(targetID, support), Then: fails(domain.ErrNotFound)},

		// Adjustments across organisations go through a case that staff execute.
		{Name: "TransferLicense/staff transfer only on an approved case", Given: lic(), When: edited(to(targetID, support), func(c *license.TransferLicense) { c.ApprovalCase = "" }), Then: rule("license.transfer_needs_case")},
		{Name: "TransferLicense/approval case: a case number", Given: lic(), When: edited(to(targetID, support), func(c *license.TransferLicense) { c.ApprovalCase = "42" }), Then: invalid("approval_case")},
		{Name: "TransferLicense/who: the owner's unrestricted contact asks through a support case, not directly", Given: lic(), When: to(targetID, ann), Then: fails(domain.ErrForbidden)},
		{Name: "TransferLicense/who: a contact of the receiving account is told the license does not exist", Given: lic(), When: to(targetID, newOwner), Then: fails(domain.ErrNotFound)},
		{Name: "TransferLicense/who: a partner is told the license does not exist", Given: lic(), When: to(targetID, renewer), Then: fails(domain.ErrNotFound)},
		{Name: "TransferLicense/who: an auditor may not", Given: lic(), When: to(targetID, auditor), Then: fails(domain.ErrForbidden)},
		{Name: "TransferLicense/who: the system may not", Given: lic(), When: to(targetID, system), Then: fails(domain.ErrForbidden)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestRenewMaintenance(t *testing.T) {
	renew := func(by domain.Actor, renewalPartner string, viewRights bool) license.RenewMaintenance {
		return license.RenewMaintenance{LicenseID: licID, RenewalPartnerID: renewalPartner, HasViewRights: viewRights, By: by, At: at}
	}
	oneYear := license.MaintenanceRenewed{From: maintEnd, To: "2027-03-31"}
	endingOn := func(d string) []domain.Event {
		e := issuedWith(500)
		e.MaintenanceEnd = d
		return []domain.Event{e}
	}
	cases := []scenario{
		{Name: "RenewMaintenance/happy path: the customer itself renews for one year", Given: lic(), When: renew(ann, renewerID, false), Then: events(oneYear)},
		{Name: "RenewMaintenance/the customer renews without any renewal partner", Given: lic(), When: renew(ann, "", false), Then: events(oneYear)},
		{Name: "RenewMaintenance/the renewal partner with view rights on the license may renew", Given: lic(), When: renew(renewer, renewerID, true), Then: events(oneYear)},
		{
			Name: "RenewMaintenance/the renewal partner's business executive may renew", Given: lic(),
			When: renew(partner(renewerID, domain.PartnerActive, domain.AccessUnrestricted, domain.ContactBusinessExecutive), renewerID, true), Then: events(oneYear),
		},
		{Name: "RenewMaintenance/one year from the current end, not from today", Given: append(lic(), oneYear), When: renew(ann, "", false), Then: events(license.MaintenanceRenewed{From: "2027-03-31", To: "2028-03-31"})},
		{Name: "RenewMaintenance/a lapsed end date still extends from that date", Given: endingOn("2020-06-30"), When: renew(ann, "", false), Then: events(license.MaintenanceRenewed{From: "2020-06-30", To: "2021-06-30"})},
		{Name: "RenewMaintenance/29 February renews to 28 February", Given: endingOn("2028-02-29"), When: renew(ann, "", false), Then: events(license.MaintenanceRenewed{From: "2028-02-29", To: "2029-02-28"})},
		{Name: "RenewMaintenance/28 February of the year before a leap year stays 28 February", Given: endingOn("2027-02-28"), When: renew(ann, "", false), Then: events(license.MaintenanceRenewed{From: "2027-02-28", To: "2028-02-28"})},
		{Name: "RenewMaintenance/31 December renews to 31 December", Given: endingOn("2025-12-31"), When: renew(ann, "", false), Then: events(license.MaintenanceRenewed{From: "2025-12-31", To: "2026-12-31"})},
		{Name: "RenewMaintenance/a rescinded license is not renewed", Given: lic(), Adjust: rescinded, When: renew(ann, "", false), Then: rule("license.rescinded")},
		{Name: "RenewMaintenance/a license without a readable maintenance end is not renewed", Given: lic(), Adjust: func(s *license.State) { s.MaintenanceEnd = "" }, When: renew(ann, "", false), Then: rule("license.maintenance_end_unknown")},
		{Name: "RenewMaintenance/an unknown license is not found", When: renew(ann, "", false), Then: fails(domain.ErrNotFound)},

		// Only the customer itself, or its renewal partner with view rights.
		{Name: "RenewMaintenance/who: a partner with view rights that is not the renewal partner may not", Given: lic(), When: renew(rival, renewerID, true), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: the renewal partner without view rights on the license may not", Given: lic(), When: renew(renewer, renewerID, false), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a partner with no relation to the owner is told the license does not exist", Given: lic(), When: renew(rival, renewerID, false), Then: fails(domain.ErrNotFound)},
		{Name: "RenewMaintenance/who: no partner is the renewal partner of an owner that designated none", Given: lic(), When: renew(partner("", domain.PartnerActive, domain.AccessUnrestricted, domain.ContactOrgAdmin), "", false), Then: fails(domain.ErrNotFound)},
		{Name: "RenewMaintenance/who: an expired renewal partner may not act", Given: lic(), When: renew(partner(renewerID, domain.PartnerExpired, domain.AccessUnrestricted, domain.ContactOrgAdmin), renewerID, true), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a prospect renewal partner may not act", Given: lic(), When: renew(partner(renewerID, domain.PartnerProspect, domain.AccessUnrestricted, domain.ContactOrgAdmin), renewerID, true), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a restricted contact of the renewal partner may not", Given: lic(), When: renew(partner(renewerID, domain.PartnerActive, domain.AccessRestricted, domain.ContactOrgAdmin), renewerID, true), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: the renewal partner's sales agent may not", Given: lic(), When: renew(partner(renewerID, domain.PartnerActive, domain.AccessUnrestricted, domain.ContactSalesAgent), renewerID, true), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a restricted contact of the customer may not", Given: lic(), When: renew(rita, "", false), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a contact the customer does not know may not", Given: lic(), When: renew(unresolved, "", false), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: a contact of another customer is told the license does not exist", Given: lic(), When: renew(stranger, "", false), Then: fails(domain.ErrNotFound)},
		{Name: "RenewMaintenance/who: staff do not renew on the customer's behalf", Given: lic(), When: renew(support, "", false), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: admin staff do not renew either", Given: lic(), When: renew(admin, "", false), Then: fails(domain.ErrForbidden)},
		{Name: "RenewMaintenance/who: the zero actor may not", Given: lic(), When: renew(domain.Actor{}, "", false), Then: fails(domain.ErrForbidden)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestDecideUnknownCommand(t *testing.T) {
	type wrapped struct{ license.RenewMaintenance }
	domaintest.RunAll(t, aggregate, []scenario{
		{Name: "Decide/unknown command: nil is refused", Given: lic(), When: nil, Then: rule("license.unknown_command")},
		{Name: "Decide/unknown command: a foreign type is refused", Given: lic(), When: wrapped{}, Then: rule("license.unknown_command")},
	})
}

// moving is a command that stands for Move, so that the merge runs through
// the same Given/When/Then checks as Decide.
type moving struct {
	To string
	By domain.Actor
}

func TestMove(t *testing.T) {
	mover := domaintest.Aggregate[license.State, moving]{
		Evolve: license.Evolve,
		Decide: func(s license.State, m moving) ([]domain.Event, error) { return license.Move(s, m.To, m.By, at) },
	}
	domaintest.RunAll(t, mover, []domaintest.Scenario[license.State, moving]{
		{
			Name: "MergeAccounts/the license answers under the target account, allocations and all", Given: allocated(),
			When: moving{To: targetID, By: support},
			Then: events(license.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: license.ReasonMerge}),
		},
		{
			Name: "MergeAccounts/a rescinded license moves too: it is the account's history", Given: lic(), Adjust: rescinded,
			When: moving{To: targetID, By: admin},
			Then: events(license.OwnerChanged{FromAccountID: acmeID, ToAccountID: targetID, Reason: license.ReasonMerge}),
		},
		{Name: "MergeAccounts/only admin or support staff merge", Given: lic(), When: moving{To: targetID, By: ann}, Then: fails(domain.ErrForbidden)},
		{Name: "MergeAccounts/the system does not merge", Given: lic(), When: moving{To: targetID, By: system}, Then: fails(domain.ErrForbidden)},
		{Name: "MergeAccounts/the target is an account ID", Given: lic(), When: moving{To: "", By: admin}, Then: invalid("to_account_id")},
		{Name: "MergeAccounts/an unknown license is not found", When: moving{To: targetID, By: admin}, Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/merging into oneself is refused", Given: lic(), When: moving{To: acmeID, By: admin}, Then: rule("license.owner_unchanged")},
	})
}

func TestEvolve(t *testing.T) {
	fold := func(given ...domain.Event) license.State { return domaintest.Fold(aggregate, given, nil) }

	t.Run("issuing sets up an active license with nothing allocated", func(t *testing.T) {
		got := fold(issuedWith(500))
		want := license.State{
			ID: licID, Product: "Citrix Virtual Apps", Edition: "Premium", Quantity: 500, Owner: acmeID,
			SourceOrder: orderNo, MaintenanceEnd: maintEnd, Status: license.StatusActive,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v\nwant %#v", got, want)
		}
		if !got.Exists() || (license.State{}).Exists() || got.Allocated() != 0 {
			t.Error("Exists/Allocated: an issued license exists with nothing allocated, the zero state does not exist")
		}
	})

	t.Run("allocations add up per server, move and return", func(t *testing.T) {
		s := fold(append(allocated(), license.Allocated{HostIDType: license.HostMAC, HostID: mac, Quantity: 20})...)
		want := map[string]license.Allocation{
			mac:  {HostIDType: license.HostMAC, HostID: mac, Quantity: 120},
			host: {HostIDType: license.HostName, HostID: host, Quantity: 150},
		}
		if !reflect.DeepEqual(s.Allocations, want) || s.Allocated() != 270 {
			t.Fatalf("allocations %#v (%d)", s.Allocations, s.Allocated())
		}
		s = license.Evolve(s, license.Reallocated{FromHostID: mac, ToHostIDType: license.HostName, ToHostID: host, Quantity: 120})
		if !reflect.DeepEqual(s.Allocations, map[string]license.Allocation{host: {HostIDType: license.HostName, HostID: host, Quantity: 270}}) {
			t.Fatalf("after reallocation %#v", s.Allocations)
		}
		s = license.Evolve(s, license.AllocationReturned{HostID: host})
		if s.Allocations != nil || s.Allocated() != 0 {
			t.Fatalf("after return: %#v, want nil", s.Allocations)
		}
	})

	t.Run("a split rescinds the original and issues parts with their parent", func(t *testing.T) {
		out, err := license.Split(fold(lic()...), license.SplitLicense{
			LicenseID: licID, Parts: []license.SplitPart{{LicenseID: partA, Quantity: 100}, {LicenseID: partB, Quantity: 400}},
			EmailAuthorisation: license.EmailAuthorisation{From: "cfo@acme.example", Reference: "m"}, OwnerDomain: acmeDomain, By: ann, At: at,
		})
		if err != nil {
			t.Fatal(err)
		}
		orig := fold(append(lic(), out[0].Events...)...)
		if orig.Status != license.StatusRescinded || !reflect.DeepEqual(orig.ReplacedBy, []string{partA, partB}) || orig.Quantity != 500 {
			t.Errorf("original after split: %#v", orig)
		}
		a := fold(out[1].Events...)
		if a.ID != partA || a.ParentLicense != licID || a.Quantity != 100 || a.MaintenanceEnd != maintEnd || a.Status != license.StatusActive || a.Owner != acmeID {
			t.Errorf("part after split: %#v", a)
		}
	})

	t.Run("transfers, merges and renewals", func(t *testing.T) {
		s := fold(append(lic(),
			license.Transferred{FromAccountID: acmeID, ToAccountID: otherID},
			license.OwnerChanged{FromAccountID: otherID, ToAccountID: targetID, Reason: license.ReasonMerge},
			license.MaintenanceRenewed{From: maintEnd, To: "2027-03-31"})...)
		if s.Owner != targetID || s.MaintenanceEnd != "2027-03-31" {
			t.Errorf("state %#v", s)
		}
	})

	t.Run("states from a shared history do not share allocations or replacements", func(t *testing.T) {
		base := fold(allocated()...)
		one := license.Evolve(base, license.Allocated{HostIDType: license.HostIP, HostID: "10.0.0.5", Quantity: 1})
		two := license.Evolve(base, license.AllocationReturned{HostID: mac})
		three := license.Evolve(base, license.Reallocated{FromHostID: host, ToHostIDType: license.HostIP, ToHostID: "10.0.0.6", Quantity: 150})
		if len(base.Allocations) != 2 || base.Allocated() != 250 || len(one.Allocations) != 3 || len(two.Allocations) != 1 || len(three.Allocations) != 2 {
			t.Fatalf("aliasing: base %v, one %v, two %v, three %v", base.Allocations, one.Allocations, two.Allocations, three.Allocations)
		}
		replaced := []string{partA, partB}
		r := license.Evolve(base, license.Rescinded{Reason: license.ReasonSplit, ReplacedBy: replaced})
		replaced[0] = "changed"
		if r.ReplacedBy[0] != partA {
			t.Errorf("ReplacedBy shares the event's slice")
		}
	})

	t.Run("events of other types leave the state unchanged", func(t *testing.T) {
		s := fold(allocated()...)
		if got := license.Evolve(s, foreign{}); !reflect.DeepEqual(got, s) {
			t.Errorf("got %#v, want %#v", got, s)
		}
	})
}

// foreign is an event of another aggregate.
type foreign struct{}

func (foreign) EventType() string  { return "contract.registered" }
func (foreign) SchemaVersion() int { return 1 }

func TestStreamID(t *testing.T) {
	if got := license.StreamID(licID); got != "license-LIC-0000001" {
		t.Errorf("StreamID = %q", got)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"LIC-0000001": true, "LIC-9999999": true, "LIC-10000000": true,
		"": false, "LIC-000001": false, "LIC-00000001": false, "lic-0000001": false, "LIC0000001": false, "LIC-0000001 ": false,
	} {
		if got := license.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestValidHostID(t *testing.T) {
	cases := []struct {
		typ, id string
		want    bool
	}{
		{license.HostName, "lic01", true},
		{license.HostName, "LIC01.Acme.example", true},
		{license.HostName, "a", true},
		{license.HostName, strings.Repeat("a", 63), true},
		{license.HostName, strings.Repeat("a", 64), false},
		{license.HostName, strings.Repeat("a.", 127) + "a", true}, // 255 characters
		{license.HostName, "lic01-", false},
		{license.HostName, "lic01.", false},
		{license.HostMAC, "0019b9f1c2d3", true},
		{license.HostMAC, "0019b9f1c2dg", false},
		{license.HostIP, "192.0.2.1", true},
		{license.HostIP, "2001:db8::1", true},
		{license.HostIP, "::ffff:192.0.2.1", true},
		{license.HostIP, "192.0.2.256", false},
		{license.HostIP, " 192.0.2.1", false},
		{"", "lic01", false},
	}
	for _, tc := range cases {
		if got := license.ValidHostID(tc.typ, tc.id); got != tc.want {
			t.Errorf("ValidHostID(%q, %q) = %v, want %v", tc.typ, tc.id, got, tc.want)
		}
	}
}
